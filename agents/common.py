"""What every agent shares: devices, env construction, space descriptions, RNG state, the per-step hook and
greedy evaluation."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import envs
from agents.errors import DojoError

ActFn = Callable[[np.ndarray, np.ndarray | None], np.ndarray]


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU; an explicit device must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise DojoError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    if name == "cuda" and not torch.cuda.is_available():
        raise DojoError("device cuda asked for, but no CUDA GPU is available (try --device auto)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise DojoError("device mps asked for, but Apple's MPS is not available (try --device auto)")
    return torch.device(name)


def check_env_id(env_id: str) -> None:
    """Raise a one-line error for an env id gymnasium does not know."""
    if env_id not in gym.registry:
        known = ", ".join(envs.all_env_ids())
        raise DojoError(f"unknown env {env_id!r}; Dojo offers: {known} (any registered gymnasium id works too)")


def make_env(env_id: str, env_kwargs: dict[str, Any] | None = None, render_mode: str | None = None) -> gym.Env:
    """One env, with kwargs errors turned into a one-line message."""
    check_env_id(env_id)
    kwargs = dict(env_kwargs or {})
    if render_mode is not None:
        kwargs["render_mode"] = render_mode
    try:
        return gym.make(env_id, **kwargs)
    except (TypeError, ValueError) as error:
        raise DojoError(f"cannot make {env_id} with {kwargs}: {error}") from None


def make_vec_env(env_id: str, num_envs: int, env_kwargs: dict[str, Any] | None = None) -> gym.vector.VectorEnv:
    """A vector env: gymnasium's numpy implementation where one exists (CartPole), else synchronous copies."""
    check_env_id(env_id)
    kwargs = dict(env_kwargs or {})
    mode = "vector_entry_point" if gym.spec(env_id).vector_entry_point and not kwargs else "sync"
    try:
        return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
    except (TypeError, ValueError) as error:
        raise DojoError(f"cannot make {env_id} with {kwargs}: {error}") from None


def close_env(env: gym.Env) -> None:
    """Close ``env`` without letting it quit pygame: gymnasium's classic-control envs call ``pygame.quit()`` in
    ``close()`` once they have rendered, which in the app would take its window and every font with it."""
    unwrapped = env.unwrapped
    if getattr(unwrapped, "screen", None) is not None:
        unwrapped.screen = None
    env.close()


def describe_spaces(observation_space: gym.Space, action_space: gym.Space) -> dict[str, Any]:
    """A JSON-able description of the spaces, stored in checkpoints so a model can be rebuilt without the env."""
    if isinstance(observation_space, gym.spaces.Discrete):
        obs = {"type": "discrete", "n": int(observation_space.n)}
    elif isinstance(observation_space, gym.spaces.Box):
        high = np.asarray(observation_space.high, dtype=np.float64)
        finite_high = float(high[np.isfinite(high)].max()) if np.isfinite(high).any() else 1.0
        obs = {"type": "box", "shape": list(observation_space.shape), "dtype": str(observation_space.dtype),
               "max": finite_high}
    else:
        raise DojoError(f"observation space {observation_space} is not supported (Box or Discrete only)")
    if isinstance(action_space, gym.spaces.Discrete):
        act = {"type": "discrete", "n": int(action_space.n)}
    elif isinstance(action_space, gym.spaces.Box):
        act = {"type": "box", "shape": list(action_space.shape), "low": action_space.low.astype(float).tolist(),
               "high": action_space.high.astype(float).tolist()}
    else:
        raise DojoError(f"action space {action_space} is not supported (Discrete or Box only)")
    return {"observation": obs, "action": act}


def input_scale(obs_desc: dict[str, Any]) -> float:
    """Images (uint8 up to 255) are scaled into [0, 1]; everything else goes in as it is."""
    if obs_desc.get("dtype") == "uint8" and obs_desc.get("max", 1.0) > 1.0:
        return 1.0 / 255.0
    return 1.0


def obs_shape(obs_desc: dict[str, Any]) -> tuple[int, ...]:
    """The tensor shape of one observation (a Discrete observation becomes a one-hot vector)."""
    if obs_desc["type"] == "discrete":
        return (int(obs_desc["n"]),)
    return tuple(int(d) for d in obs_desc["shape"])


BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")  # numpy's; a file names one, never a callable


def generator_state(rng: np.random.Generator) -> dict[str, Any]:
    """A numpy Generator's state as plain Python values (safe for weights_only checkpoints)."""
    return dict(rng.bit_generator.state)


def restore_generator(state: dict[str, Any]) -> np.random.Generator:
    """A Generator from ``generator_state``; the bit generator is one of numpy's by name, never any callable."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise DojoError(f"unknown random generator {str(name)[:40]!r} in the checkpoint; numpy's are "
                        f"{', '.join(BIT_GENERATORS)}")
    try:
        rng = np.random.Generator(getattr(np.random, name)())
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise DojoError(f"the checkpoint's {name} random state does not load ({error})") from None
    return rng


def memory_limit() -> int:
    """Bytes one buffer may take: half the machine's memory where known, else 8 GB."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):
        return 8 << 30


def check_buffer_size(what: str, nbytes: int, settings: str) -> None:
    """Refuse a buffer the machine cannot hold before allocating it (zeros are lazily mapped, so an oversized one
    would only fail, or be killed, once it fills)."""
    limit = memory_limit()
    if nbytes > limit:
        raise DojoError(f"{what} would take {nbytes / 2**30:.1f} GB, more than half this machine's memory "
                        f"({limit / 2**30:.1f} GB); lower {settings}")


def episode_seed(base_seed: int, episode: int) -> int:
    """The reset seed of a training episode: deterministic, so a resumed run replays the same episodes."""
    return (base_seed * 1_000_003 + episode * 7919) % (2**31 - 1)


@dataclass
class StepEvent:
    """One env step of a learner, for the trainer's ``on_step`` hooks (the watch screen draws ``env``'s frame)."""

    env: gym.Env
    obs: Any
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    episode_return: float
    reset: bool = False  # the episode's first observation, not a step


StepHook = Callable[[StepEvent], bool | None]
"""Called after every env step (and reset) of a learner with a single env; returning False ends the slice."""


def report_step(on_step: StepHook | None, env: gym.Env, obs: Any, reward: float, terminated: bool, truncated: bool,
                info: dict[str, Any], episode_return: float) -> bool:
    """Tell ``on_step`` about a step; whether the learner may go on with its slice."""
    if on_step is None:
        return True
    return on_step(StepEvent(env, obs, reward, terminated, truncated, info, episode_return)) is not False


def report_reset(on_step: StepHook | None, env: gym.Env, obs: Any, info: dict[str, Any]) -> bool:
    """Tell ``on_step`` about an episode's reset; whether the learner may go on with its slice."""
    if on_step is None:
        return True
    return on_step(StepEvent(env, obs, 0.0, False, False, info, 0.0, reset=True)) is not False


def action_mask_of(info: dict[str, Any]) -> np.ndarray | None:
    mask = info.get("action_mask")
    return None if mask is None else np.asarray(mask, dtype=bool)


@dataclass
class EvalResult:
    """Per-episode outcomes of a batch of greedy episodes."""

    returns: np.ndarray
    successes: np.ndarray | None  # info["success"] at each episode's end, where the env reports it
    scores: np.ndarray | None = None  # info["score"] (Snake's apples) at each episode's end, where reported


def play_episodes(policy: Any, env_id: str, env_kwargs: dict[str, Any] | None, episodes: int, seed: int,
                  max_steps: int = 100_000, progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """``episodes`` greedy episodes, all played at once in a vector env (one batched forward a step).

    ``progress(finished_episodes, steps)`` is called after every step of the vector env: an evaluation with a
    deep search can take minutes, and a screen must show it is under way.

    ``policy`` is an agent (or any ``(obs, masks) -> actions`` function). An agent with a game state of its own (an
    opponent model: it has ``fork``) plays each episode with a fork that watches its game's infos.
    """
    act = policy.act_batch if hasattr(policy, "act_batch") else policy
    players = [policy.fork() for _ in range(episodes)] if hasattr(policy, "fork") else None
    vec = make_vec_env(env_id, episodes, env_kwargs)
    try:
        obs, info = vec.reset(seed=seed)
        if players is not None:
            for index, player in enumerate(players):
                player.start_game()
                player.observe_info(slot_info(info, index))
        returns = np.zeros(episodes, dtype=np.float64)
        finished = np.zeros(episodes, dtype=bool)
        outcomes: dict[str, np.ndarray] = {}  # info["success"] / info["score"] as each episode ends
        for step in range(max_steps):
            masks = action_mask_of(info)
            if players is None:
                actions = act(obs, masks)
            else:  # a finished slot's action is ignored
                actions = np.array([0 if done else player.act(obs[index], None if masks is None else masks[index])
                                    for index, (player, done) in enumerate(zip(players, finished))])
            obs, reward, terminated, truncated, info = vec.step(actions)
            returns += np.where(finished, 0.0, reward)
            ending = np.logical_or(terminated, truncated) & ~finished
            for key, dtype in (("success", bool), ("score", np.float64)):
                if key in info:
                    values = outcomes.setdefault(key, np.zeros(episodes, dtype=dtype))
                    values[ending] = np.asarray(info[key], dtype=dtype)[ending]
            if players is not None:
                for index in np.flatnonzero(~finished):
                    players[index].observe_info(slot_info(info, index))
                    if ending[index]:
                        players[index].end_game()
            finished |= ending
            if progress is not None:
                progress(int(finished.sum()), step + 1)
            if finished.all():
                break
        return EvalResult(returns, outcomes.get("success"), outcomes.get("score"))
    finally:
        vec.close()


def slot_info(info: dict[str, Any], index: int) -> dict[str, Any]:
    """One sub-env's info out of a vector env's stacked one (the keys that slot reported)."""
    return {key: value[index] for key, value in info.items()
            if not key.startswith("_") and info.get(f"_{key}", np.ones(index + 1, dtype=bool))[index]}


def evaluate(policy: Any, env_id: str, env_kwargs: dict[str, Any] | None, episodes: int, seed: int,
             progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Returns of ``episodes`` greedy episodes (``progress``: as for ``play_episodes``)."""
    return play_episodes(policy, env_id, env_kwargs, episodes, seed, progress=progress).returns


def set_torch_threads(device: torch.device, threads: int) -> None:
    """Small nets run fastest on one CPU thread: more threads only fight the env and the UI for cores."""
    if device.type == "cpu" and threads > 0:
        torch.set_num_threads(threads)


def preprocess(obs: Any, obs_desc: dict[str, Any]) -> np.ndarray:
    """One observation as the array the nets take: Discrete indices become one-hot vectors."""
    if obs_desc["type"] == "discrete":
        one_hot = np.zeros(int(obs_desc["n"]), dtype=np.float32)
        one_hot[int(obs)] = 1.0
        return one_hot
    return np.asarray(obs)


def preprocess_batch(obs: Any, obs_desc: dict[str, Any]) -> np.ndarray:
    """A batch of observations (from a vector env) as the array the nets take."""
    if obs_desc["type"] == "discrete":
        indices = np.asarray(obs, dtype=np.int64).reshape(-1)
        return np.eye(int(obs_desc["n"]), dtype=np.float32)[indices]
    return np.asarray(obs)


def mask_tensor(action_mask: np.ndarray | None, device: torch.device) -> torch.Tensor | None:
    if action_mask is None:
        return None
    return torch.as_tensor(np.asarray(action_mask, dtype=bool), device=device)


def make_adam(params: Any, lr: float, device: torch.device, eps: float = 1e-8) -> Any:
    """Adam for the learners (see agents/optim.py for why it is not torch.optim.Adam)."""
    from agents.optim import Adam

    return Adam(params, lr=lr, eps=eps)
