"""The rules for an agent's lookahead setting (``search_depth``); the searches themselves are the games' own
(``envs/<game>/search.py``, listed with their depth limits in ``envs.registry``)."""

from __future__ import annotations

from collections.abc import Callable

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
