"""Every game Dojo offers, in one table: what the envs, the agents and the app know about a game.

A row (``Game``) names the gymnasium id, the title and blurb the app shows, the seats, the action labels, the
keys a human plays with, the built-in opponents ("bots") and the lookahead with its depth limit. Everything
else reads this table: ``envs/__init__`` registers the envs from it, the agents look up bots and searches in
it, and the app its titles, labels and keys. To add a bot, add one line to its game's ``bots``: the name (``:K``
marks a bot that takes an argument, as ``minimax:4``) and the ``"module:factory"`` that builds it from
``(rng)`` or ``(rng, argument)``. Factories load on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from envs.common import Bot

ARROWS = {"UP": 0, "RIGHT": 1, "DOWN": 2, "LEFT": 3, "w": 0, "d": 1, "s": 2, "a": 3}


@dataclass(frozen=True)
class Controls:
    """How a human plays: ``keys`` maps pygame key names (``pygame.K_<name>``) to actions.

    ``mode``: ``held`` (real time, the held key acts, else ``noop``), ``ticked`` (steady ticks, the last pressed
    key applies, else the game goes on), ``turns`` (one step per key press), ``columns`` (a key or a click drops
    a disc) or ``steer`` (Tron: keys give absolute directions, turned into the cycle's relative actions).
    """

    mode: str
    keys: Mapping[str, Any]
    noop: Any = None


@dataclass(frozen=True)
class Game:
    """One row of the table."""

    env_id: str
    title: str
    blurb: str
    action_labels: tuple[str, ...]
    controls: Controls
    players: int = 1
    entry_point: str | None = None  # None: one of gymnasium's own envs
    name: str = ""  # the game's folder under envs/ (Dojo's games only)
    bots: Mapping[str, str] = field(default_factory=dict)
    default_bot: str | None = None  # who the app plays when no trained agent is saved
    bot_choices: tuple[str, ...] = ()  # the bots the app offers
    search: str | None = None  # "module:function" of the lookahead: (obs, mask, depth, leaf_values) -> action
    max_search_depth: int = 0
    seat_kwarg: str | None = None  # the env argument that seats the agent, and its values for seat 0 and seat 1
    seat_values: tuple[Any, Any] = (0, 1)
    solved_threshold: float | None = None

    @property
    def two_player(self) -> bool:
        return self.players == 2


def _held(left: Any, right: Any, noop: Any = None) -> Controls:
    return Controls("held", {"LEFT": left, "a": left, "RIGHT": right, "d": right}, noop)


CARTPOLE = Game("CartPole-v1", "CartPole", "Balance a pole on a cart by pushing it left or right.",
                ("left", "right"), _held(0, 1), solved_threshold=475.0)
MOUNTAIN_CAR = Game("MountainCar-v0", "Mountain Car", "Rock an underpowered car up the hill to the flag.",
                    ("left", "none", "right"), _held(0, 2, 1), solved_threshold=-110.0)
ACROBOT = Game("Acrobot-v1", "Acrobot", "Swing a two-link arm until its tip clears the line.", ("-1", "0", "+1"),
               _held(0, 2, 1), solved_threshold=-100.0)
# Pendulum has no threshold in gymnasium's registry; -200 is the usual bar.
PENDULUM = Game("Pendulum-v1", "Pendulum", "Swing a pendulum up and hold it upright (continuous torque).",
                ("torque",), _held(np.array([2.0], np.float32), np.array([-2.0], np.float32),
                               np.array([0.0], np.float32)), solved_threshold=-200.0)
SNAKE = Game("dojo/Snake-v0", "Snake", "Eat apples, grow, and never bite yourself or the wall.",
             ("up", "right", "down", "left"), Controls("ticked", ARROWS), entry_point="envs.snake.env:SnakeEnv",
             name="snake", search="envs.snake.search:search_move", max_search_depth=4)
MAZE = Game("dojo/Maze-v0", "Maze", "Find the way from the top-left corner to the goal.",
            ("up", "right", "down", "left"), Controls("turns", ARROWS), entry_point="envs.maze.env:MazeEnv",
            name="maze")
CONNECT_FOUR = Game(
    "dojo/ConnectFour-v0", "Connect Four", "Drop discs, connect four. Two players, turn by turn.",
    ("1", "2", "3", "4", "5", "6", "7"),
    Controls("columns", {**{str(col + 1): col for col in range(7)}, **{f"KP{col + 1}": col for col in range(7)}}),
    players=2, entry_point="envs.connect_four.env:ConnectFourEnv", name="connect_four",
    bots={
        "random": "envs.common:RandomBot",
        "greedy": "envs.connect_four.bots:GreedyBot",
        "minimax:K": "envs.connect_four.bots:minimax_bot",
        "pattern": "envs.connect_four.bots:PatternBot",
        "perfect": "envs.connect_four.solver:PerfectPlayer",  # numba compiles on first use
        "solver": "envs.connect_four.solver:budgeted_solver_player",  # exact when cheap, else minimax:8
    },
    default_bot="minimax:4", bot_choices=("random", "greedy", "pattern", "minimax:2", "minimax:4"),
    search="envs.connect_four.search:search_move", max_search_depth=6,
    seat_kwarg="agent_first", seat_values=(True, False))
TRON = Game(
    "dojo/Tron-v0", "Tron", "Light cycles: make the other rider crash first.", ("left", "straight", "right"),
    Controls("steer", ARROWS), players=2, entry_point="envs.tron.env:TronEnv", name="tron",
    bots={
        "random": "envs.common:RandomBot",
        "wall-follower": "envs.tron.bots:WallFollowerBot",
        "space": "envs.tron.bots:SpaceBot",
        "pattern": "envs.tron.bots:PatternBot",
        "voronoi": "envs.tron.voronoi:voronoi_bot",  # 100 ms a move; numba loads for this bot only
        "voronoi:K": "envs.tron.voronoi:voronoi_bot",  # voronoi:MS (a budget in ms) or voronoi:dN (N plies)
    },
    default_bot="space", bot_choices=("random", "wall-follower", "pattern", "space"),
    search="envs.tron.search:search_move", max_search_depth=3, seat_kwarg="agent_seat", seat_values=(0, 1))

GAMES: tuple[Game, ...] = (CARTPOLE, MOUNTAIN_CAR, ACROBOT, PENDULUM, SNAKE, MAZE, CONNECT_FOUR, TRON)
_BY_ID = {game.env_id: game for game in GAMES}


def game(env_id: str) -> Game | None:
    """The row of ``env_id``, or None for an env Dojo does not describe (any other gymnasium id)."""
    return _BY_ID.get(env_id)


def two_player(env_id: str) -> bool:
    known = _BY_ID.get(env_id)
    return known is not None and known.two_player


@functools.cache
def load(path: str) -> Any:
    """The object a ``"module:attribute"`` string names (looked up once: envs build a bot at every reset)."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def bot_names(env_id: str) -> tuple[str, ...]:
    """The bot names of a game, ``:K`` marking those that take an argument."""
    known = _BY_ID.get(env_id)
    return tuple(known.bots) if known is not None else ()


def make_bot(env_id: str, spec: str | Bot, rng: np.random.Generator) -> Bot:
    """Build the bot ``spec`` (a name from the game's table, or any callable, returned as is) for ``env_id``.

    Randomness comes only from ``rng`` (an env passes its ``np_random``), so seeded resets replay the same games.
    """
    if callable(spec):
        return spec
    known = _BY_ID.get(env_id)
    if known is None or not known.bots:
        title = known.title if known is not None else env_id
        raise ValueError(f"{title} has no built-in opponents")
    if not isinstance(spec, str):
        raise ValueError(f"unknown {known.title} opponent {spec!r}; choose one of {', '.join(known.bots)}")
    if spec in known.bots and ":" not in spec:  # the common case first: envs build their bot at every reset
        factory: Callable[..., Bot] = load(known.bots[spec])
        return factory(rng)
    name, colon, argument = spec.partition(":")
    takes_argument = [key for key in known.bots if ":" in key and key.split(":")[0] == name]
    if colon and takes_argument:
        return load(known.bots[takes_argument[0]])(rng, argument)
    raise ValueError(f"unknown {known.title} opponent {spec!r}; choose one of {', '.join(known.bots)}")
