"""``train-ae``: collect frames, train the autoencoder, measure it on held-out frames, save ``ae.pt`` and the
comparison picture in the run folder."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

import envs
from agents.autoencoder.checkpoint import autoencoder_payload
from agents.autoencoder.frames import FRAME_SHAPE, collect_frames, split_frames
from agents.autoencoder.picture import save_comparison
from agents.autoencoder.training import psnr_db, reconstruction_mse, train_autoencoder
from agents.checkpoint import save_checkpoint
from agents.common import pick_device, set_torch_threads
from agents.config import apply_overrides, config_to_dict
from agents.errors import DojoError
from agents.rundir import AE_FILE, AE_PICTURE, CONFIG_FILE, new_run_dir
from agents.safe_files import prepare_run_dir
from nets.autoencoder import BOTTLENECKS, AutoencoderConfig

SHOWN_FRAMES = 8  # held-out frames in the originals-vs-reconstructions picture


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
              "checkpoint": str(run_dir / AE_FILE), "image": str(run_dir / AE_PICTURE)}
    counters = {"steps": config.steps, "frames": int(len(frames)), "seed": args.seed}
    metrics = {key: result[key] for key in ("psnr_db", "mse", "compression_ratio", "train_loss", "seconds")}
    save_checkpoint(run_dir / AE_FILE, autoencoder_payload(model, config, args.env, env_kwargs, counters, metrics))
    save_comparison(run_dir / AE_PICTURE, model, test[:SHOWN_FRAMES], device)
    (run_dir / CONFIG_FILE).write_text(json.dumps({"env_id": args.env, "env_kwargs": env_kwargs, "seed": args.seed,
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
