"""Dojo's agents. ``load_agent(path)`` turns a checkpoint into a policy: ``agent.act(obs, action_mask=None)``.

Each agent is one module (``dqn``, ``ppo``, ``reinforce``, ``qlearning``, ``alphazero``) that defines ``CONFIG``
(a typed dataclass), ``LEARNER`` (collects experience and learns, one ``advance()`` at a time) and ``load_policy``.
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
    """A greedy policy from a checkpoint file (always loaded with ``weights_only=True``)."""
    from agents.checkpoint import load_checkpoint
    from agents.common import pick_device
    from agents.config import build_config

    data = load_checkpoint(path)
    if data["agent"] == "autoencoder":
        raise DojoError(f"{path} is an autoencoder (train-ae) checkpoint, not an agent; agents use it with "
                        f"--set encoder=ae:{path}")
    if data["agent"] not in AGENT_NAMES:
        raise DojoError(f"{path} was made by agent {data['agent']!r}, which this Dojo does not have")
    module = agent_module(data["agent"])
    config = build_config(module.CONFIG, data["config"])
    try:
        policy = module.load_policy(data, config, pick_device(device))
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise DojoError(f"{path}: the weights do not fit a {data['agent']} model ({first})") from None
    # The game to play the agent in is the one it was judged on, which may differ from its training setup.
    policy.env_kwargs = dict(data.get("eval_env_kwargs", data["env_kwargs"]))
    return policy


__all__ = ["AGENT_NAMES", "Agent", "DojoError", "agent_module", "load_agent"]
