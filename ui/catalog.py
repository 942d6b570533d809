"""What the app knows about each game: display names, action labels, which agents fit, presets.

Nothing here imports pygame: the headless commands may use it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

import envs
from agents import agent_module
from agents.config import load_presets
from agents.errors import DojoError

TITLES: dict[str, str] = {
    "CartPole-v1": "CartPole", "MountainCar-v0": "Mountain Car", "Acrobot-v1": "Acrobot",
    "Pendulum-v1": "Pendulum", "dojo/Snake-v0": "Snake", "dojo/Maze-v0": "Maze",
    "dojo/ConnectFour-v0": "Connect Four", "dojo/Tron-v0": "Tron",
}
BLURBS: dict[str, str] = {
    "CartPole-v1": "Balance a pole on a cart by pushing it left or right.",
    "MountainCar-v0": "Rock an underpowered car up the hill to the flag.",
    "Acrobot-v1": "Swing a two-link arm until its tip clears the line.",
    "Pendulum-v1": "Swing a pendulum up and hold it upright (continuous torque).",
    "dojo/Snake-v0": "Eat apples, grow, and never bite yourself or the wall.",
    "dojo/Maze-v0": "Find the way from the top-left corner to the goal.",
    "dojo/ConnectFour-v0": "Drop discs, connect four. Two players, turn by turn.",
    "dojo/Tron-v0": "Light cycles: make the other rider crash first.",
}
ACTION_LABELS: dict[str, tuple[str, ...]] = {
    "CartPole-v1": ("left", "right"),
    "MountainCar-v0": ("left", "none", "right"),
    "Acrobot-v1": ("-1", "0", "+1"),
    "Pendulum-v1": ("torque",),
    "dojo/Snake-v0": ("up", "right", "down", "left"),
    "dojo/Maze-v0": ("up", "right", "down", "left"),
    "dojo/ConnectFour-v0": ("1", "2", "3", "4", "5", "6", "7"),
    "dojo/Tron-v0": ("left", "straight", "right"),
}
# Built-in opponents to fall back on when no trained checkpoint exists for a two-player game.
DEFAULT_OPPONENTS: dict[str, str] = {"dojo/ConnectFour-v0": "minimax:4", "dojo/Tron-v0": "space"}
BUILTIN_OPPONENTS: dict[str, tuple[str, ...]] = {
    "dojo/ConnectFour-v0": ("random", "greedy", "pattern", "minimax:2", "minimax:4"),
    "dojo/Tron-v0": ("random", "wall-follower", "pattern", "space"),
}


def title(env_id: str) -> str:
    return TITLES.get(env_id, env_id)


def action_labels(env_id: str, count: int) -> list[str]:
    labels = ACTION_LABELS.get(env_id, ())
    return list(labels) if len(labels) == count else [str(index) for index in range(count)]


def is_two_player(env_id: str) -> bool:
    return env_id in envs.TWO_PLAYER


@dataclass(frozen=True)
class Spaces:
    discrete_actions: bool
    flat_obs: bool  # a vector or a Discrete index: what tabular Q-learning can bin


@functools.cache
def _spaces(env_id: str, kwargs_json: str) -> Spaces:
    from agents.common import make_env

    try:
        env = make_env(env_id, json.loads(kwargs_json))
    except (ImportError, gym.error.Error) as error:
        raise DojoError(f"{title(env_id)} is not available in this Dojo ({error})") from None
    try:
        obs_space, act_space = env.observation_space, env.action_space
        flat = isinstance(obs_space, gym.spaces.Discrete) or len(getattr(obs_space, "shape", ()) or ()) == 1
        return Spaces(isinstance(act_space, gym.spaces.Discrete), flat)
    finally:
        env.close()


def spaces_of(env_id: str, env_kwargs: dict[str, Any] | None = None) -> Spaces:
    """The kind of spaces a game has with these settings (made once); DojoError when it cannot be made."""
    return _spaces(env_id, json.dumps(env_kwargs or {}, sort_keys=True))


def agent_fit(agent: str, env_id: str) -> str | None:
    """None when ``agent`` can learn ``env_id``, else the reason it cannot (shown in the launcher).

    The game is judged with the agent's preset settings: Maze's Q-learning preset observes cell indices.
    """
    preset = load_presets().get(agent, {})
    kwargs = dict(preset.get(env_id, preset.get("default", {})).get("env_kwargs", {}))
    spaces = spaces_of(env_id, kwargs)
    if agent in ("dqn", "qlearning") and not spaces.discrete_actions:
        return f"{agent} needs discrete actions"
    if agent == "qlearning" and not spaces.flat_obs:
        return "qlearning needs flat observations, not grids"
    if agent == "alphazero" and env_id not in envs.TWO_PLAYER:
        return "alphazero searches the two-player games' rules"
    return None


def preset_choices(agent: str, env_id: str) -> list[str]:
    """'tuned' when presets.toml has settings for this game, and always the agent's 'default'."""
    table = load_presets().get(agent, {})
    return ["tuned", "default"] if env_id in table else ["default"]


def preset_overrides(agent: str, env_id: str, choice: str) -> tuple[list[str], dict[str, Any]]:
    """``--set`` pairs and Trainer keyword arguments that make a run use ``choice``.

    The Trainer always starts from the tuned preset where one exists; 'default' therefore sets every config
    field back to the agent's defaults (plus the default preset's own values).
    """
    if choice != "default" or env_id not in load_presets().get(agent, {}):
        return [], {}
    from agents.trainer import TRAINER_KEYS

    defaults = dict(load_presets().get(agent, {}).get("default", {}))
    extra: dict[str, Any] = {key: defaults.pop(key) for key in ("steps", "eval_every", "eval_episodes")
                             if key in defaults}
    for key in TRAINER_KEYS:  # env settings and checkpoint cadence are not config fields
        defaults.pop(key, None)
    config_cls = agent_module(agent).CONFIG
    values = {field.name: field.default for field in dataclasses.fields(config_cls)}
    values.update(defaults)
    pairs = [f"{name}={json.dumps(list(value) if isinstance(value, tuple) else value)}"
             for name, value in values.items()]
    return pairs, extra


def preset_summary(agent: str, env_id: str, choice: str) -> str:
    """One line: the step budget and a few headline settings of a preset."""
    presets = load_presets().get(agent, {})
    table = presets.get(env_id, {}) if choice == "tuned" else presets.get("default", {})
    steps = table.get("steps", presets.get("default", {}).get("steps", 100_000))
    shown = [f"{key}={table[key]}" for key in ("learning_rate", "n_envs", "batch_size", "hidden") if key in table]
    return f"{steps:,} steps" + (f"  ·  {', '.join(shown)}" if shown else "")
