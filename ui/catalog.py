"""What the app asks about each game (titles, blurbs, labels and bots come from ``envs.registry``): which agents
fit it and which presets it has.

Nothing here imports pygame: the headless commands may use it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from agents.config import load_presets
from agents.errors import DojoError
from envs import registry


def title(env_id: str) -> str:
    game = registry.game(env_id)
    return game.title if game is not None else env_id


def blurb(env_id: str) -> str:
    game = registry.game(env_id)
    return game.blurb if game is not None else ""


def action_labels(env_id: str, count: int) -> list[str]:
    game = registry.game(env_id)
    labels = game.action_labels if game is not None else ()
    return list(labels) if len(labels) == count else [str(index) for index in range(count)]


def is_two_player(env_id: str) -> bool:
    return registry.two_player(env_id)


def default_bot(env_id: str) -> str | None:
    """The built-in opponent the app plays when no trained agent is saved for a two-player game."""
    game = registry.game(env_id)
    return game.default_bot if game is not None else None


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
    if agent == "alphazero" and not registry.two_player(env_id):
        return "alphazero searches the two-player games' rules"
    return None


WATCH_VARIANT = "watch"  # presets.toml's "<env_id>:watch" tables: the app's watch runs, tuned to learn visibly soon


def preset_choices(agent: str, env_id: str) -> list[str]:
    """'tuned' when presets.toml has settings for this game, and always the agent's 'default'."""
    table = load_presets().get(agent, {})
    return ["tuned", "default"] if env_id in table else ["default"]


def watch_preset(agent: str, env_id: str, choice: str = "tuned") -> str | None:
    """The preset variant a watch run uses for a launcher choice (Trainer's ``preset``): the game's ``watch``
    variant where presets.toml has one (what ``train`` uses learns too slowly to see: Snake's 2 M steps), else
    None (the tuned table); ``default``: the agent's own defaults."""
    if choice == "default":
        return "default"
    table = load_presets().get(agent, {})
    return WATCH_VARIANT if f"{env_id}:{WATCH_VARIANT}" in table else None


def preset_summary(agent: str, env_id: str, choice: str) -> str:
    """One line: the step budget and a few headline settings of the preset a watch run uses."""
    presets = load_presets().get(agent, {})
    variant = watch_preset(agent, env_id, choice)
    key = "default" if variant == "default" else f"{env_id}:{variant}" if variant else env_id
    table = presets.get(key, {})
    steps = table.get("steps", presets.get("default", {}).get("steps", 100_000))
    shown = [f"{key}={table[key]}" for key in ("learning_rate", "n_envs", "batch_size", "hidden") if key in table]
    return f"{steps:,} steps" + (f"  ·  {', '.join(shown)}" if shown else "")
