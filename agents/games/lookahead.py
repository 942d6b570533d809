"""An agent's lookahead (``search_depth``): its greedy policy wrapped so that it acts through its game's search
(``envs/<game>/search.py``, listed in ``envs.registry``), the network's values scoring the leaves.

Why: a value network judges positions well but is blind to short tactics; the rules are known, so checking every
line a few moves deep costs milliseconds and removes those blunders (README: bench_match's numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from agents.errors import DojoError
from envs import registry

# The most plies (Connect Four), joint ticks (Tron) or moves (Snake) each game's lookahead may take: deeper would
# take seconds per move.
SEARCH_ENVS = {game.env_id: game.max_search_depth for game in registry.GAMES if game.search}
MAX_SEARCH_DEPTH = max(SEARCH_ENVS.values())


def search_function(env_id: str) -> Callable:
    """The game's lookahead: ``(obs, action_mask, depth, leaf_values) -> action``."""
    return registry.load(registry.game(env_id).search)


def check_search(env_id: str, obs_mode: str, depth: int) -> None:
    """Rules for the ``search_depth`` setting, as ValueError messages the caller turns into DojoError."""
    if depth < 0 or depth > MAX_SEARCH_DEPTH:
        raise ValueError(f"search_depth must be 0..{MAX_SEARCH_DEPTH}, got {depth}")
    if depth and (env_id not in SEARCH_ENVS or obs_mode != "planes"):
        names = ", ".join(registry.game(env).title for env in SEARCH_ENVS)
        raise ValueError(f"search_depth needs {names} with obs_mode=planes (the search reads the board); got {env_id} "
                         f"({obs_mode})")
    if depth > SEARCH_ENVS.get(env_id, MAX_SEARCH_DEPTH):
        raise ValueError(f"search_depth for {env_id} must be 0..{SEARCH_ENVS[env_id]}, got {depth}")


def check_lookahead(env_id: str, obs_mode: str, depth: int, opponent_model: bool) -> None:
    """Every rule for an agent's ``search_depth`` (training and ``export --set`` alike), as one-line DojoErrors."""
    try:
        check_search(env_id, obs_mode, depth)
    except ValueError as error:
        raise DojoError(str(error)) from None
    if depth and opponent_model and env_id != registry.TRON.env_id:
        raise DojoError("search_depth and opponent_model=true combine for Tron only (its lookahead follows the "
                        "model's predicted line): add --set search_depth=0")


class Wrapped:
    """A policy around another: whatever it does not define itself (the network, its values) is the inner one's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (copying): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def net_input(self, obs: Any) -> Any:
        """What the network reads of an observation (a learner stores this in its replay)."""
        return self.inner.net_input(obs) if hasattr(self.inner, "net_input") else obs

    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        """One ``act`` per observation: a search or a model acts on one position at a time."""
        masks = [None] * len(obs) if action_mask is None else action_mask
        # A vector env's finished slot shows an over board with no legal move; its action is ignored.
        return np.array([self.act(one, mask) if mask is None or np.any(mask) else 0
                         for one, mask in zip(obs, masks)], dtype=np.int64)


class LookaheadPolicy(Wrapped):
    """The inner policy's network, acting through a ``depth``-deep search of its game."""

    def __init__(self, inner: Any, env_id: str, depth: int) -> None:
        super().__init__(inner)
        self.depth = depth
        self.search = search_function(env_id)

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> int:
        return int(self.search(obs, action_mask, self.depth, self.inner.position_values))
