"""Dojo's agents. ``load_agent(path)`` turns a checkpoint into a policy: ``agent.act(obs, action_mask=None)``.

Reading order for a newcomer (an hour):

1. ``common.py``: what every algorithm shares (envs, spaces, seeds, the per-step hook, greedy evaluation).
2. One file per algorithm, each top to bottom: ``qlearning.py``, ``dqn.py``, ``reinforce.py``, ``ppo.py`` (the
   last two share ``actor_critic.py``; DQN uses ``replay.py``; all use ``optim.py``'s Adam). Each defines
   ``CONFIG`` (a typed dataclass), ``LEARNER`` (collects experience and learns, one ``advance()`` at a time) and
   ``load_policy``. ``alphazero.py`` learns by self-play through tree search (``mcts.py``), its agent in
   ``alphazero_policy.py``.
3. ``trainer.py``: the loop around any learner (evaluation, logs, checkpoints, resume) with hooks that the headless
   CLI (``commands.py``) and the app's watch screen both use. ``checkpoint.py`` is the file format, ``rundir.py``
   the run-folder layout, ``config.py`` presets (``presets.toml``) and ``--set``.
4. ``games/``: what is composed around a learner in Dojo's games: the league of opponents, the lookahead through
   each game's search, the opponent model (``opponent_model.py`` is its LSTM predictor) and ``train-opponent-model``.
5. ``autoencoder/``: ``train-ae`` and the frozen encoder an agent can see through.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from agents.errors import DojoError

AGENT_NAMES: tuple[str, ...] = ("dqn", "ppo", "reinforce", "qlearning", "alphazero")


class Agent(Protocol):
    """What every loaded agent offers the app and outside scripts."""

    name: str
    env_id: str
    env_kwargs: dict[str, Any]
    config: Any

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> Any:
        """The greedy action for one observation."""

    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        """Greedy actions for a batch of observations."""

    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        """Per-action Q-values or probabilities, for display."""


def agent_module(name: str) -> ModuleType:
    """The module of an agent, by name; a one-line error for unknown names."""
    if name not in AGENT_NAMES:
        raise DojoError(f"unknown agent {name!r}; choose one of {', '.join(AGENT_NAMES)}")
    return importlib.import_module(f"agents.{name}")


def load_agent(path: str, device: str = "cpu") -> Agent:
    """A greedy policy from a checkpoint file (always loaded with ``weights_only=True``), with the lookahead and
    opponent model it was trained with (``agent.play``, DQN)."""
    from agents.checkpoint import load_checkpoint

    return agent_from_data(load_checkpoint(path), path, device)


def agent_from_data(data: dict[str, Any], path: Any, device: str = "cpu") -> Agent:
    """A greedy policy from a validated checkpoint's contents (``load_checkpoint``'s result, or what ``export`` is
    about to write); ``path`` names it in errors."""
    from agents.common import pick_device
    from agents.config import build_config
    from agents.games.play import policy_for_checkpoint
    from agents.games.settings import algorithm_config_of, play_of

    if data["agent"] == "autoencoder":
        raise DojoError(f"{path} is an autoencoder (train-ae) checkpoint, not an agent; agents use it with "
                        f"--set encoder=ae:{path}")
    if data["agent"] not in AGENT_NAMES:
        raise DojoError(f"{path} was made by agent {str(data['agent'])[:40]!r}, which this Dojo does not have")
    module = agent_module(data["agent"])
    config = build_config(module.CONFIG, algorithm_config_of(data))
    try:
        policy = module.load_policy(data, config, pick_device(device))
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise DojoError(f"{path}: the weights do not fit a {data['agent']} model ({first})") from None
    if getattr(module.LEARNER, "takes_play", False):
        policy = policy_for_checkpoint(policy, play_of(data), data)
    # The game to play the agent in is the one it was judged on, which may differ from its training setup.
    policy.env_kwargs = dict(data.get("eval_env_kwargs", data["env_kwargs"]))
    return policy


__all__ = ["AGENT_NAMES", "Agent", "DojoError", "agent_from_data", "agent_module", "load_agent"]
