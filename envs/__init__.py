"""Dojo's games as gymnasium environments; importing this package registers them.

Nothing here imports torch or the agents, and pygame is imported only for ``render_mode="human"``.
"""

from __future__ import annotations

import gymnasium as gym

CLASSIC_CONTROL: tuple[str, ...] = ("CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1")

# Entry points are strings so that importing ``envs`` stays cheap: a game's module loads on first make().
GRID_GAMES: dict[str, str] = {
    "dojo/Snake-v0": "envs.snake.env:SnakeEnv",
    "dojo/Maze-v0": "envs.maze.env:MazeEnv",
    "dojo/ConnectFour-v0": "envs.connect_four.env:ConnectFourEnv",
    "dojo/Tron-v0": "envs.tron.env:TronEnv",
}

TWO_PLAYER: frozenset[str] = frozenset({"dojo/ConnectFour-v0", "dojo/Tron-v0"})

# The return at which an env counts as solved by the periodic evaluation (mean over the eval episodes).
# Pendulum has no threshold in gymnasium's registry; -200 is the usual bar.
SOLVED_THRESHOLDS: dict[str, float] = {
    "CartPole-v1": 475.0,
    "Acrobot-v1": -100.0,
    "MountainCar-v0": -110.0,
    "Pendulum-v1": -200.0,
}


def _register() -> None:
    for env_id, entry_point in GRID_GAMES.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)


def all_env_ids() -> list[str]:
    """Every env Dojo offers, classic control first."""
    return [*CLASSIC_CONTROL, *GRID_GAMES]


def solved_threshold(env_id: str) -> float | None:
    """The evaluation return that counts as solved, or None where the game has no such bar."""
    if env_id in SOLVED_THRESHOLDS:
        return SOLVED_THRESHOLDS[env_id]
    spec = gym.spec(env_id)
    return spec.reward_threshold


_register()
