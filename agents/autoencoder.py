"""The observation autoencoder: frame collection, training (``train-ae``), its checkpoint, and its frozen encoder.

Frames are 64x64 RGB, channel first, uint8: grid games give them as ``obs_mode="pixels"`` observations; any other
env's ``render_mode="rgb_array"`` picture is area-downscaled to 64x64 (a non-square picture is squashed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import envs
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.common import action_mask_of, make_env, new_run_dir, obs_shape, pick_device, set_torch_threads
from agents.config import apply_overrides, build_config, config_to_dict
from agents.errors import DojoError
from agents.safe_files import prepare_run_dir
from envs.common import downscale
from nets.autoencoder import BOTTLENECKS, AutoencoderConfig, ConvAutoencoder, ConvEncoder, FrozenLatentFeatures

AGENT_NAME = "autoencoder"
FRAME_SIZE = 64
FRAME_SHAPE = (3, FRAME_SIZE, FRAME_SIZE)
AGENT_EPSILON = 0.05  # a few random moves keep a deterministic agent from replaying the same few episodes
MAX_EPISODE_FRAMES = 1_000  # so one long episode (a solved CartPole) cannot fill the whole set alone
SHOWN_FRAMES = 8  # held-out frames in the originals-vs-reconstructions picture
MEDIAN_FRAMES = 1_000  # frames the background (the per-pixel median) is taken from


# ---- frames -------------------------------------------------------------------------------------------------
class FrameSource:
    """An env that yields 64x64 RGB frames, played at random or by an agent.

    An agent trained on another observation (a grid game's planes) plays a twin env stepped with the same actions
    from the same seed; the frames come from the pixel env.
    """

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agent: Any = None) -> None:
        self.grid = env_id in envs.GRID_GAMES
        if self.grid:
            self.view_env = make_env(env_id, {**env_kwargs, "obs_mode": "pixels", "pixel_size": FRAME_SIZE})
        else:
            self.view_env = make_env(env_id, env_kwargs, render_mode="rgb_array")
        self.agent = agent
        self.act_env = self.view_env
        if agent is not None and self.grid and agent.env_kwargs.get("obs_mode", "planes") != "pixels":
            self.act_env = make_env(env_id, agent.env_kwargs)

    def frame(self, obs: np.ndarray) -> np.ndarray:
        if self.grid:
            return np.asarray(obs, dtype=np.uint8)
        picture = self.view_env.render()
        return np.ascontiguousarray(downscale(picture, FRAME_SIZE).transpose(2, 0, 1))

    def play(self, count: int, seed: int, rng: np.random.Generator, on_frame: Any = None) -> list[np.ndarray]:
        """``count`` frames from whole episodes (the last one cut short), reset seeds ``seed``, ``seed + 1``..."""
        frames: list[np.ndarray] = []
        self.view_env.action_space.seed(seed)
        episode = 0
        while len(frames) < count:
            obs, info = self.view_env.reset(seed=seed + episode)
            act_obs = obs if self.act_env is self.view_env else self.act_env.reset(seed=seed + episode)[0]
            episode += 1
            for _ in range(MAX_EPISODE_FRAMES):
                frames.append(self.frame(obs))
                if on_frame is not None:
                    on_frame()
                if len(frames) >= count:
                    break
                action = self._action(act_obs, action_mask_of(info), rng)
                obs, reward, terminated, truncated, info = self.view_env.step(action)
                if self.act_env is not self.view_env:
                    act_obs, twin_reward, twin_terminated, twin_truncated, _ = self.act_env.step(action)
                    if (twin_reward, twin_terminated, twin_truncated) != (reward, terminated, truncated):
                        break  # the twins drifted apart (a game with hidden randomness): start a new pair
                else:
                    act_obs = obs
                if terminated or truncated:
                    break
        return frames

    def _action(self, obs: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> Any:
        if self.agent is not None and rng.random() >= AGENT_EPSILON:
            return self.agent.act(obs, mask)
        if mask is not None:
            return int(rng.choice(np.flatnonzero(mask)))
        return self.view_env.action_space.sample()

    def close(self) -> None:
        self.view_env.close()
        if self.act_env is not self.view_env:
            self.act_env.close()


def collect_frames(env_id: str, env_kwargs: dict[str, Any], count: int, seed: int, agent: Any = None,
                   agent_fraction: float = 0.5, progress: bool = True) -> np.ndarray:
    """(count, 3, 64, 64) uint8 frames: random play, and ``agent_fraction`` of them agent play when one is given."""
    from tqdm import tqdm

    agent_count = int(round(count * agent_fraction)) if agent is not None else 0
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    with tqdm(total=count, desc="frames", unit="frame", disable=not progress, dynamic_ncols=True) as bar:
        for player, wanted, first_seed in ((None, count - agent_count, seed), (agent, agent_count, seed + 500_000)):
            if wanted == 0:
                continue
            source = FrameSource(env_id, env_kwargs, player)
            try:
                frames += source.play(wanted, first_seed, rng, on_frame=lambda: bar.update(1))
            finally:
                source.close()
    stacked = np.stack(frames)
    if stacked.shape[1:] != FRAME_SHAPE:
        raise DojoError(f"{env_id} gives frames of shape {stacked.shape[1:]}, expected {FRAME_SHAPE}")
    return stacked


def split_frames(frames: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle and hold out ``test_fraction`` of the frames (at least one) for measuring."""
    order = np.random.default_rng(seed).permutation(len(frames))
    test_count = max(1, int(round(len(frames) * test_fraction)))
    return frames[order[test_count:]], frames[order[:test_count]]


# ---- training and measuring ---------------------------------------------------------------------------------
def reconstruction_mse(model: ConvAutoencoder, frames: np.ndarray, device: torch.device,
                       batch_size: int = 256) -> float:
    """Mean squared error per pixel and channel, with pixels in [0, 1]."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(frames), batch_size):
            batch = torch.as_tensor(frames[start : start + batch_size], device=device)
            recon, _ = model(batch)
            total += float(((recon - batch.float() / 255.0) ** 2).sum())
    return total / frames.size


def psnr_db(mse: float) -> float:
    """Peak signal-to-noise ratio for pixels in [0, 1]."""
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def train_autoencoder(train: np.ndarray, config: AutoencoderConfig, device: torch.device, seed: int,
                      progress: bool = True) -> tuple[ConvAutoencoder, float]:
    """Train on uint8 frames with MSE and Adam (learning rate decaying linearly to a tenth); returns the last loss."""
    from tqdm import tqdm

    torch.manual_seed(seed)
    model = ConvAutoencoder(train.shape[1:], config.channels, config.latent, config.bottleneck).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - 0.9 * step / config.steps)
    frames = torch.as_tensor(train)  # stays on the CPU: only each batch goes to the device
    # Plain MSE is dominated by the static background: a blurry apple costs a few pixels' error out of 12k, yet it
    # is what an agent most needs to see. Pixels away from the median frame weigh more when foreground_weight > 0.
    weighted = config.foreground_weight > 0
    background = frames[:MEDIAN_FRAMES].float().median(dim=0).values.to(device) / 255.0 if weighted else None
    generator = torch.Generator().manual_seed(seed)
    batch_size = min(config.batch_size, len(train))
    loss_value = float("nan")
    model.train()
    with tqdm(total=config.steps, desc="train-ae", unit="step", disable=not progress, dynamic_ncols=True) as bar:
        for step in range(config.steps):
            batch = frames[torch.randint(len(frames), (batch_size,), generator=generator)].to(device)
            recon, _ = model(batch)
            target = batch.float() / 255.0
            if weighted:
                weight = 1.0 + config.foreground_weight * (target - background).abs().amax(dim=1, keepdim=True)
                loss = (weight * (recon - target) ** 2).mean() / weight.mean()
            else:
                loss = torch.nn.functional.mse_loss(recon, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % 50 == 0 or step == config.steps - 1:
                loss_value = float(loss.item())
                bar.set_postfix_str(f"loss {loss_value:.5f}, {psnr_db(loss_value):.1f} dB")
            bar.update(1)
    model.eval()
    return model, loss_value


def save_comparison(path: Path, model: ConvAutoencoder, frames: np.ndarray, device: torch.device) -> Path:
    """A PNG: originals on the top row, their reconstructions below, each frame drawn at twice its size."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    with torch.no_grad():
        recon, _ = model(torch.as_tensor(frames, device=device))
    recon_frames = (recon.clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy()
    rows = [np.concatenate(list(row), axis=2) for row in (frames, recon_frames)]
    picture = np.concatenate(rows, axis=1).transpose(1, 2, 0)  # (H, W, 3)
    picture = picture.repeat(2, axis=0).repeat(2, axis=1)
    if picture.shape[2] == 1:
        picture = picture.repeat(3, axis=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(pygame.surfarray.make_surface(np.ascontiguousarray(picture.transpose(1, 0, 2))), str(path))
    return path


# ---- checkpoints --------------------------------------------------------------------------------------------
def autoencoder_payload(model: ConvAutoencoder, config: AutoencoderConfig, env_id: str, env_kwargs: dict[str, Any],
                        counters: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    shape = list(model.input_shape)
    return {"agent": AGENT_NAME, "env_id": env_id, "env_kwargs": env_kwargs,
            "spaces": {"observation": {"type": "box", "shape": shape, "dtype": "uint8", "max": 255.0}},
            "config": config_to_dict(config), "model": model.state_dict(), "counters": counters, "metrics": metrics}


def load_autoencoder(path: str | os.PathLike) -> tuple[ConvAutoencoder, dict[str, Any]]:
    """The trained autoencoder (eval mode, on the CPU) and its checkpoint data; DojoError for anything else."""
    data = load_checkpoint(path, kind=AGENT_NAME)
    if data["agent"] != AGENT_NAME:
        raise DojoError(f"{path} is a {data['agent']} checkpoint, not an autoencoder one (make one with train-ae)")
    config = build_config(AutoencoderConfig, data["config"])
    try:
        model = ConvAutoencoder(obs_shape(data["spaces"]["observation"]), config.channels, config.latent,
                                config.bottleneck)
        model.load_state_dict(data["model"])
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise DojoError(f"{path}: the weights do not fit an autoencoder ({first})") from None
    model.eval()
    return model, data


def frozen_encoder(spaces: dict[str, Any], path: str, hidden: tuple[int, ...],
                   activation: str) -> FrozenLatentFeatures:
    """The frozen encoder of the autoencoder at ``path`` with a trainable MLP on top (``encoder=ae:PATH``).

    The first build reads the file and records the encoder (architecture and weights) in ``spaces["autoencoder"]``;
    ``spaces`` goes into the agent's checkpoints, so an agent rebuilds from its own file even once the AE file is
    gone (and a second encoder, PPO's critic, gets the same weights).
    """
    record = spaces.get("autoencoder")
    if record is None or record["source"] != path:
        if not path:
            raise DojoError("encoder=ae:PATH needs the path of an autoencoder checkpoint after 'ae:'")
        model, data = load_autoencoder(path)
        wanted = obs_shape(spaces["observation"])
        if tuple(model.input_shape) != tuple(wanted):
            raise DojoError(f"the autoencoder {path} reads observations of shape {tuple(model.input_shape)}, but "
                            f"this env gives {tuple(wanted)} (train one on this env, e.g. with obs_mode=pixels)")
        config = build_config(AutoencoderConfig, data["config"])
        record = {"source": path, "input_shape": list(model.input_shape), "channels": list(config.channels),
                  "latent": config.latent, "bottleneck": config.bottleneck,
                  "encoder": model.encoder.state_dict()}
        spaces["autoencoder"] = record
    # Agents saved before the keypoints bottleneck existed have no "bottleneck" entry: theirs is dense.
    encoder = ConvEncoder(record["input_shape"], record["channels"], int(record["latent"]),
                          record.get("bottleneck", "dense"))
    encoder.load_state_dict(record["encoder"])
    return FrozenLatentFeatures(encoder, hidden, activation)


# ---- the command --------------------------------------------------------------------------------------------
def ae_config_from_args(args: argparse.Namespace) -> AutoencoderConfig:
    config = AutoencoderConfig()
    given = {name: getattr(args, name) for name in ("latent", "frames", "steps") if getattr(args, name) is not None}
    config = dataclasses.replace(apply_overrides(config, args.set or []), **given)
    for name in ("latent", "frames", "steps", "batch_size"):
        if getattr(config, name) < 1:
            raise DojoError(f"{name} must be at least 1, got {getattr(config, name)}")
    if config.frames < 2:
        raise DojoError(f"frames must be at least 2 (one to train on, one to hold out), got {config.frames}")
    if not 0.0 < config.test_fraction < 1.0:
        raise DojoError(f"test_fraction must be between 0 and 1, got {config.test_fraction}")
    if config.foreground_weight < 0:
        raise DojoError(f"foreground_weight must be 0 or more, got {config.foreground_weight}")
    if not 0.0 <= config.agent_fraction <= 1.0:
        raise DojoError(f"agent_fraction must be between 0 and 1, got {config.agent_fraction}")
    if config.bottleneck not in BOTTLENECKS:
        raise DojoError(f"unknown bottleneck {config.bottleneck!r}; choose one of {', '.join(BOTTLENECKS)}")
    if config.bottleneck == "keypoints" and config.latent % 2:
        raise DojoError(f"bottleneck=keypoints needs an even --latent (an x and a y per point), got {config.latent}")
    if not config.channels or min(config.channels) < 1:
        raise DojoError(f"channels must be positive numbers, got {list(config.channels)}")
    return config


def train_ae(args: argparse.Namespace) -> int:
    """``train-ae``: collect frames, train, measure on held-out frames, save ae.pt and a comparison PNG."""
    from agents import load_agent

    if not args.env:
        raise DojoError("train-ae needs --env, e.g. --env dojo/Snake-v0 or --env CartPole-v1")
    config = ae_config_from_args(args)
    device = pick_device(args.device)
    set_torch_threads(device, config.torch_threads)
    agent = None
    if args.checkpoint:
        agent = load_agent(args.checkpoint)
        if agent.env_id != args.env:
            raise DojoError(f"the agent in {args.checkpoint} plays {agent.env_id}, not {args.env}")
    env_kwargs = dict(agent.env_kwargs) if agent is not None else {}
    if agent is not None and args.env in envs.GRID_GAMES:
        env_kwargs.pop("obs_mode", None)  # the frames are always pixels; the agent keeps its own observation
    run_dir = prepare_run_dir(args.run_dir if args.run_dir else new_run_dir(f"{args.env}-ae"), ())  # before work
    progress = not args.quiet
    started = time.perf_counter()
    frames = collect_frames(args.env, env_kwargs, config.frames, args.seed, agent, config.agent_fraction, progress)
    train, test = split_frames(frames, config.test_fraction, args.seed)
    model, train_loss = train_autoencoder(train, config, device, args.seed, progress)
    mse = reconstruction_mse(model, test, device)
    seconds = time.perf_counter() - started
    input_floats = int(np.prod(FRAME_SHAPE))
    result = {"psnr_db": round(psnr_db(mse), 3), "mse": mse, "compression_ratio": input_floats / config.latent,
              "latent": config.latent, "env": args.env, "frames": int(len(frames)), "train_frames": int(len(train)),
              "test_frames": int(len(test)), "steps": config.steps, "train_loss": train_loss,
              "seconds": round(seconds, 1), "device": str(device),
              "checkpoint": str(run_dir / "ae.pt"), "image": str(run_dir / "reconstructions.png")}
    counters = {"steps": config.steps, "frames": int(len(frames)), "seed": args.seed}
    metrics = {key: result[key] for key in ("psnr_db", "mse", "compression_ratio", "train_loss", "seconds")}
    save_checkpoint(run_dir / "ae.pt", autoencoder_payload(model, config, args.env, env_kwargs, counters, metrics))
    save_comparison(run_dir / "reconstructions.png", model, test[:SHOWN_FRAMES], device)
    (run_dir / "config.json").write_text(json.dumps({"env_id": args.env, "env_kwargs": env_kwargs, "seed": args.seed,
                                                     "agent_checkpoint": args.checkpoint,
                                                     "config": config_to_dict(config)}, indent=2) + "\n")
    rows = [("env", args.env), ("frames (train / held out)", f"{len(train)} / {len(test)}"),
            ("latent floats", config.latent), ("compression ratio", f"{result['compression_ratio']:g}"),
            ("held-out MSE", f"{mse:.6f}"), ("held-out PSNR", f"{result['psnr_db']:.2f} dB"),
            ("seconds", f"{seconds:.1f}"), ("checkpoint", result["checkpoint"]), ("picture", result["image"])]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if args.env in envs.GRID_GAMES:
        print(f"Use it:  python main.py train --env {args.env} --agent dqn --set encoder=ae:{result['checkpoint']} "
              """--env-kwargs '{"obs_mode": "pixels"}'""")
    print(json.dumps(result))
    return 0

