"""Tabular Q-learning: exact for Discrete observations, binned for Box observations (so it can learn CartPole).

Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') * (1 - terminated) - Q(s, a)), with epsilon-greedy
exploration; alpha and epsilon both decay linearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agents.common import (
    StepHook,
    action_mask_of,
    close_env,
    describe_spaces,
    episode_seed,
    generator_state,
    make_env,
    report_reset,
    report_step,
    restore_generator,
)
from agents.errors import DojoError


@dataclass
class QLearningConfig:
    """Hyperparameters of tabular Q-learning; every field can be set with ``--set key=value``."""

    learning_rate: float = 0.1
    """Step size alpha at the start."""
    learning_rate_end: float = 0.1
    """Step size alpha after the decay."""
    gamma: float = 0.99
    """Discount factor."""
    epsilon_start: float = 1.0
    """Exploration rate at the first step."""
    epsilon_end: float = 0.05
    """Exploration rate after the decay."""
    decay_steps: int = 20_000
    """Env steps over which epsilon and alpha fall linearly."""
    bins: tuple[int, ...] = (10,)
    """Bins per observation dimension for Box observations (one value applies to all)."""
    obs_low: tuple[float, ...] = ()
    """Lower clip per dimension for binning (default: the space's bounds where finite, else -obs_clip)."""
    obs_high: tuple[float, ...] = ()
    """Upper clip per dimension for binning (default: the space's bounds where finite, else +obs_clip)."""
    obs_clip: float = 5.0
    """Bound used for infinite space bounds."""
    initial_q: float = 0.0
    """Initial table value (optimism encourages exploration)."""


class Discretizer:
    """Maps an observation to a table row: the index itself, or the flat index of its bins."""

    def __init__(self, spaces: dict[str, Any], config: QLearningConfig, space_low: np.ndarray | None,
                 space_high: np.ndarray | None) -> None:
        desc = spaces["observation"]
        if desc["type"] == "discrete":
            self.n_states = int(desc["n"])
            self.bins = None
            return
        shape = desc["shape"]
        if len(shape) != 1:
            raise DojoError(f"qlearning bins flat vector observations only; this env gives shape {tuple(shape)} "
                            "(use dqn for grids and images)")
        dims = int(shape[0])
        self.bins = _per_dim(config.bins, dims, "bins").astype(np.int64)
        if (self.bins < 1).any():
            raise DojoError(f"bins must be at least 1, got {config.bins}")
        default_low = np.where(np.isfinite(space_low), space_low, -config.obs_clip)
        default_high = np.where(np.isfinite(space_high), space_high, config.obs_clip)
        self.low = _per_dim(config.obs_low, dims, "obs_low") if config.obs_low else default_low
        self.high = _per_dim(config.obs_high, dims, "obs_high") if config.obs_high else default_high
        if (self.high <= self.low).any():
            raise DojoError("obs_high must be above obs_low in every dimension")
        self.n_states = math.prod(int(count) for count in self.bins)  # exact: numpy's product wraps around
        if self.n_states > 10_000_000:
            raise DojoError(f"{self.n_states:,} table rows is too many; use fewer bins")
        self._strides = np.cumprod(np.concatenate(([1], self.bins[::-1][:-1])))[::-1]

    def index(self, obs: Any) -> int:
        if self.bins is None:
            return int(obs)
        scaled = (np.asarray(obs, dtype=np.float64) - self.low) / (self.high - self.low)
        cells = np.clip((scaled * self.bins).astype(np.int64), 0, self.bins - 1)
        return int(cells @ self._strides)

    def indices(self, obs: np.ndarray) -> np.ndarray:
        if self.bins is None:
            return np.asarray(obs, dtype=np.int64).reshape(-1)
        scaled = (np.asarray(obs, dtype=np.float64) - self.low) / (self.high - self.low)
        cells = np.clip((scaled * self.bins).astype(np.int64), 0, self.bins - 1)
        return cells @ self._strides


def _per_dim(values: tuple[float, ...], dims: int, name: str) -> np.ndarray:
    if len(values) == 1:
        return np.full(dims, values[0], dtype=np.float64)
    if len(values) != dims:
        raise DojoError(f"{name} needs 1 or {dims} values, got {len(values)}")
    return np.asarray(values, dtype=np.float64)


class QTablePolicy:
    """The greedy policy of a Q-table."""

    name = "qlearning"

    def __init__(self, table: np.ndarray, discretizer: Discretizer, env_id: str, env_kwargs: dict[str, Any],
                 config: QLearningConfig) -> None:
        self.table, self.discretizer = table, discretizer
        self.env_id, self.env_kwargs, self.config = env_id, env_kwargs, config

    def q_values(self, obs: Any, action_mask: np.ndarray | None = None) -> np.ndarray:
        row = self.table[self.discretizer.index(obs)].copy()
        if action_mask is not None:
            row[~np.asarray(action_mask, dtype=bool)] = -np.inf
        return row

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> int:
        return int(np.argmax(self.q_values(obs, action_mask)))

    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        rows = self.table[self.discretizer.indices(obs)].copy()
        if action_mask is not None:
            rows[~np.asarray(action_mask, dtype=bool)] = -np.inf
        return rows.argmax(axis=1)

    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        return {"kind": "q_values", "values": self.q_values(obs, action_mask).tolist()}


def _space_bounds(spaces: dict[str, Any], env_id: str, env_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    if spaces["observation"]["type"] == "discrete":
        return None, None
    env = make_env(env_id, env_kwargs)
    try:
        return env.observation_space.low.astype(np.float64), env.observation_space.high.astype(np.float64)
    finally:
        env.close()


def policy_from_checkpoint(data: dict[str, Any], config: QLearningConfig, device: torch.device) -> QTablePolicy:
    low, high = (np.asarray(data["model"]["space_low"].numpy()), np.asarray(data["model"]["space_high"].numpy())) \
        if "space_low" in data["model"] else (None, None)
    discretizer = Discretizer(data["spaces"], config, low, high)
    table = data["model"]["q_table"].numpy().astype(np.float64)
    if table.shape != (discretizer.n_states, int(data["spaces"]["action"]["n"])):
        raise DojoError(f"Q-table shape {tuple(table.shape)} does not match the config's bins")
    return QTablePolicy(table, discretizer, data["env_id"], data["env_kwargs"], config)


class QLearningLearner:
    """Plays one epsilon-greedy episode per ``advance`` and updates the table after every step."""

    name = "qlearning"
    config_class = QLearningConfig
    single_env = True

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: QLearningConfig, device: torch.device,
                 seed: int) -> None:
        self.env_id, self.env_kwargs, self.config, self.seed = env_id, env_kwargs, config, seed
        self.env = make_env(env_id, env_kwargs)
        self.spaces = describe_spaces(self.env.observation_space, self.env.action_space)
        if self.spaces["action"]["type"] != "discrete":
            raise DojoError(f"qlearning needs discrete actions, but {env_id} has continuous ones; use --agent ppo")
        self.space_low, self.space_high = _space_bounds(self.spaces, env_id, env_kwargs)
        self.discretizer = Discretizer(self.spaces, config, self.space_low, self.space_high)
        self.n_actions = int(self.spaces["action"]["n"])
        self.table = np.full((self.discretizer.n_states, self.n_actions), config.initial_q, dtype=np.float64)
        self.policy = QTablePolicy(self.table, self.discretizer, env_id, env_kwargs, config)
        self.rng = np.random.default_rng(seed)
        self.steps = 0
        self.episodes = 0
        self.last_td = float("nan")

    def _schedule(self, start: float, end: float) -> float:
        fraction = min(1.0, self.steps / max(1, self.config.decay_steps))
        return start + fraction * (end - start)

    @property
    def epsilon(self) -> float:
        return self._schedule(self.config.epsilon_start, self.config.epsilon_end)

    def stats(self) -> dict[str, float]:
        return {"epsilon": self.epsilon, "loss": self.last_td}

    def advance(self, on_step: StepHook | None = None) -> list[dict[str, float]]:
        """One epsilon-greedy episode, learning at every step. ``on_step`` sees every env step (and the reset);
        when it returns False the episode stops there, unfinished."""
        config = self.config
        raw, info = self.env.reset(seed=episode_seed(self.seed, self.episodes))
        state = self.discretizer.index(raw)
        total, length, td_sum = 0.0, 0, 0.0
        if not report_reset(on_step, self.env, raw, info):
            return []
        while True:
            mask = action_mask_of(info)
            if self.rng.random() < self.epsilon:
                action = int(self.rng.choice(np.flatnonzero(mask))) if mask is not None \
                    else int(self.rng.integers(self.n_actions))
            else:
                # Ties broken at random: an all-zero row would otherwise always pick action 0 and stop exploring.
                row = self.policy.q_values(raw, mask)
                action = int(self.rng.choice(np.flatnonzero(row == row.max())))
            raw, reward, terminated, truncated, info = self.env.step(action)
            next_state = self.discretizer.index(raw)
            bootstrap = 0.0 if terminated else config.gamma * float(self.table[next_state].max())
            td_error = float(reward) + bootstrap - self.table[state, action]
            self.table[state, action] += self._schedule(config.learning_rate, config.learning_rate_end) * td_error
            td_sum += td_error * td_error
            state = next_state
            total += float(reward)
            length += 1
            self.steps += 1
            if not report_step(on_step, self.env, raw, float(reward), terminated, truncated, info, total):
                return []
            if terminated or truncated:
                break
        self.episodes += 1
        self.last_td = td_sum / length
        return [{"return": total, "length": length}]

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        model = {"q_table": torch.as_tensor(self.table)}
        if self.space_low is not None:
            model["space_low"] = torch.as_tensor(self.space_low)
            model["space_high"] = torch.as_tensor(self.space_high)
        return {"model": model, "counters": {"steps": self.steps, "episodes": self.episodes},
                "rng": {"numpy": generator_state(self.rng)}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        table = state["model"]["q_table"].numpy()
        if table.shape != self.table.shape:
            raise DojoError(f"saved Q-table has shape {tuple(table.shape)}, expected {self.table.shape}")
        self.table[:] = table
        self.steps = int(state["counters"]["steps"])
        self.episodes = int(state["counters"]["episodes"])
        if "rng" in state:
            self.rng = restore_generator(state["rng"]["numpy"])

    def close(self) -> None:
        close_env(self.env)  # a rendering env (Trainer(frames=True)) must not quit the app's pygame


CONFIG = QLearningConfig
LEARNER = QLearningLearner
load_policy = policy_from_checkpoint
