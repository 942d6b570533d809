"""Dojo's games as gymnasium environments; importing this package registers them (from ``envs.registry``).

Nothing here imports torch or the agents, and pygame is imported only for ``render_mode="human"``.
"""

from __future__ import annotations

import gymnasium as gym

from envs import registry

CLASSIC_CONTROL: tuple[str, ...] = tuple(game.env_id for game in registry.GAMES if game.entry_point is None)
# Entry points are strings so that importing ``envs`` stays cheap: a game's module loads on first make().
GRID_GAMES: dict[str, str] = {game.env_id: game.entry_point for game in registry.GAMES if game.entry_point}
TWO_PLAYER: frozenset[str] = frozenset(game.env_id for game in registry.GAMES if game.two_player)


def _register() -> None:
    for env_id, entry_point in GRID_GAMES.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)


def all_env_ids() -> list[str]:
    """Every env Dojo offers, classic control first."""
    return [*CLASSIC_CONTROL, *GRID_GAMES]


def solved_threshold(env_id: str) -> float | None:
    """The evaluation return that counts as solved, or None where the game has no such bar."""
    known = registry.game(env_id)
    if known is not None and known.solved_threshold is not None:
        return known.solved_threshold
    return gym.spec(env_id).reward_threshold


_register()
