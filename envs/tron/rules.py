"""Tron light-cycle rules: pure python and numpy, no gymnasium.

Two cycles move at the same time every tick. A cycle's trail is every cell it has occupied, its current head
cell included, so "entering any trail cell" covers running into a standing head as well. Crashes:
* leaving the arena;
* entering a trail cell (own or opponent's);
* both heads entering the same cell (both crash);
* a head-on swap (each enters the other's previous cell): both crash, which the trail rule already implies
  because each head cell is part of its trail.
Both crashing on the same tick is a draw.

Actions are relative to the cycle's heading: 0 turn left, 1 straight on, 2 turn right.
Coordinates are (row, col) with row 0 at the top; headings are 0 up, 1 right, 2 down, 3 left (clockwise).
"""

from __future__ import annotations

import numpy as np

TURN_LEFT, STRAIGHT, TURN_RIGHT = 0, 1, 2
ACTIONS = (TURN_LEFT, STRAIGHT, TURN_RIGHT)
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
HEADING_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))
EMPTY = 0  # grid value of a free cell; seat s's trail cells hold s + 1
MIN_SIZE = 4
MAX_SIZE = 64  # an arena bigger than this is a typo; its planes and flood fills would be needlessly big
# The observation planes (seen from one seat), shared by the env that builds them and the opponents that read
# them: own head, own neck (previous head: head minus neck is the heading), own trail (head included), the
# same three for the other seat, and an all-ones arena plane.
OWN_HEAD, OWN_NECK, OWN_TRAIL, OTHER_HEAD, OTHER_NECK, OTHER_TRAIL, ARENA = range(7)
PLANE_COUNT = 7


def turned(heading: int, action: int) -> int:
    """The heading after a relative action (0 left, 1 straight, 2 right)."""
    return (heading + action - 1) % 4


# For each heading, the (row, col) steps of the three relative actions: left, straight, right.
ACTION_DELTAS = tuple(
    tuple(HEADING_DELTAS[turned(heading, action)] for action in ACTIONS) for heading in range(4)
)


def start_positions(size: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(row, col, heading) of both seats: left-middle facing right and its 180-degree rotation.

    Point symmetry (rather than a mirror) keeps relative actions fair: a left turn means the same for both.
    """
    row, col = (size - 1) // 2, size // 4
    return (row, col, RIGHT), (size - 1 - row, size - 1 - col, LEFT)


class TronGame:
    """The arena state: an owner grid, both heads, headings, previous heads ("necks") and paths."""

    __slots__ = (
        "size",
        "cells",
        "grid",
        "heads",
        "headings",
        "necks",
        "paths",
        "crashed",
        "crash_cells",
        "steps",
    )

    def __init__(self, size: int = 16) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"size must be an int >= {MIN_SIZE} and <= {MAX_SIZE}, got {size!r}")
        self.size = int(size)
        # The owner of every cell, row-major. Per-tick checks read this bytearray (plain python indexing is
        # several times faster than numpy scalar access); ``grid`` is a numpy view of the same memory.
        self.cells = bytearray(self.size * self.size)
        self.grid = np.frombuffer(self.cells, dtype=np.int8).reshape(self.size, self.size)
        self.reset()

    def reset(self) -> None:
        self.cells[:] = bytes(len(self.cells))
        self.heads: list[tuple[int, int]] = []
        self.headings: list[int] = []
        self.necks: list[tuple[int, int]] = []
        self.paths: list[list[tuple[int, int]]] = [[], []]
        for seat, (row, col, heading) in enumerate(start_positions(self.size)):
            self.heads.append((row, col))
            self.headings.append(heading)
            d_row, d_col = HEADING_DELTAS[heading]
            # A virtual neck behind the start cell, so the heading can be read off head minus neck.
            self.necks.append((row - d_row, col - d_col))
            self.paths[seat].append((row, col))
            self.cells[row * self.size + col] = seat + 1
        self.crashed = [False, False]
        self.crash_cells: list[tuple[int, int] | None] = [None, None]
        self.steps = 0

    def copy(self) -> TronGame:
        """An independent copy (search plays moves on copies)."""
        twin = TronGame.__new__(TronGame)
        twin.size = self.size
        twin.cells = bytearray(self.cells)
        twin.grid = np.frombuffer(twin.cells, dtype=np.int8).reshape(self.size, self.size)
        twin.heads = list(self.heads)
        twin.headings = list(self.headings)
        twin.necks = list(self.necks)
        twin.paths = [list(self.paths[0]), list(self.paths[1])]
        twin.crashed = list(self.crashed)
        twin.crash_cells = list(self.crash_cells)
        twin.steps = self.steps
        return twin

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> TronGame:
        """Rebuild the arena from a planes observation; the observer becomes seat 0.

        Seat 1's observation is the arena turned 180 degrees, so a position rebuilt from it is that turned
        arena: the same game, seen with the observer in seat 0. The trails' order and the tick count are not in
        the planes: each path holds the head alone and ``steps`` is the number of trail cells beyond the starts.
        """
        obs = np.asarray(obs)
        if obs.ndim != 3 or obs.shape[0] < PLANE_COUNT or obs.shape[1] != obs.shape[2] or obs.shape[1] < MIN_SIZE:
            raise ValueError(f"Tron planes must have shape ({PLANE_COUNT}, size, size), got {obs.shape}")
        game = cls.__new__(cls)
        game.size = size = int(obs.shape[1])
        owner = np.zeros((size, size), dtype=np.int8)
        owner[obs[OWN_TRAIL] > 0] = 1
        owner[obs[OTHER_TRAIL] > 0] = 2
        game.cells = bytearray(owner.tobytes())
        game.grid = np.frombuffer(game.cells, dtype=np.int8).reshape(size, size)
        game.heads, game.necks, game.headings = [], [], []
        for head_plane, neck_plane in ((OWN_HEAD, OWN_NECK), (OTHER_HEAD, OTHER_NECK)):
            head = divmod(int(obs[head_plane].argmax()), size)
            neck = divmod(int(obs[neck_plane].argmax()), size)
            game.heads.append(head)
            game.necks.append(neck)
            game.headings.append(HEADING_DELTAS.index((head[0] - neck[0], head[1] - neck[1])))
        game.paths = [[game.heads[0]], [game.heads[1]]]
        game.crashed = [False, False]
        game.crash_cells = [None, None]
        game.steps = max(0, (int((owner > 0).sum()) - 2) // 2)
        return game

    def planes(self, seat: int) -> np.ndarray:
        """Uint8 (7, size, size) of 0/1 from ``seat``'s point of view (the observation's layout; seat 1's view is
        the arena turned 180 degrees)."""
        size = self.size
        planes = np.zeros((PLANE_COUNT, size, size), dtype=np.uint8)
        owner = self.grid
        for player, offset in ((seat, 0), (1 - seat, OTHER_HEAD - OWN_HEAD)):
            planes[OWN_TRAIL + offset] = owner == player + 1
            planes[(OWN_HEAD + offset, *self.heads[player])] = 1
            neck_row, neck_col = self.necks[player]
            if 0 <= neck_row < size and 0 <= neck_col < size:  # the virtual neck behind a start cell may be outside
                planes[OWN_NECK + offset, neck_row, neck_col] = 1
        planes[ARENA] = 1
        return planes[:, ::-1, ::-1].copy() if seat == 1 else planes

    @property
    def over(self) -> bool:
        return self.crashed[0] or self.crashed[1]

    @property
    def winner(self) -> int:
        """The surviving seat once the other crashed; -1 while running or after a draw."""
        if self.crashed[0] == self.crashed[1]:
            return -1
        return 1 if self.crashed[0] else 0

    def target(self, seat: int, action: int) -> tuple[int, int]:
        """The cell ``seat`` would enter with ``action`` (may lie outside the arena)."""
        d_row, d_col = ACTION_DELTAS[self.headings[seat]][action]
        row, col = self.heads[seat]
        return row + d_row, col + d_col

    def is_free(self, row: int, col: int) -> bool:
        """Inside the arena and not on any trail."""
        size = self.size
        return 0 <= row < size and 0 <= col < size and self.cells[row * size + col] == EMPTY

    def safe_actions(self, seat: int) -> list[bool]:
        """Per action: whether it avoids crashing into a wall or trail right away (head-on meetings aside)."""
        row, col = self.heads[seat]
        size, cells = self.size, self.cells
        safe = []
        for d_row, d_col in ACTION_DELTAS[self.headings[seat]]:
            r, c = row + d_row, col + d_col
            safe.append(0 <= r < size and 0 <= c < size and cells[r * size + c] == EMPTY)
        return safe

    def safe_mask(self, seat: int) -> np.ndarray:
        """:meth:`safe_actions` as a bool array of shape (3,)."""
        return np.array(self.safe_actions(seat), dtype=bool)

    def step(self, action_0: int, action_1: int) -> tuple[bool, bool]:
        """Advance one tick with both seats' actions; returns who crashed. Raises ValueError when over."""
        if self.over:
            raise ValueError("the game is over; reset() before stepping again")
        actions = (action_0, action_1)
        for seat, action in enumerate(actions):
            if action not in ACTIONS:
                raise ValueError(f"action for seat {seat} must be one of {ACTIONS}, got {action!r}")
        targets = [self.target(seat, action) for seat, action in enumerate(actions)]
        # Every crash is decided on the board as it was before the tick: the moves are simultaneous.
        crashed = [not self.is_free(*cell) for cell in targets]
        if targets[0] == targets[1]:
            crashed = [True, True]
        for seat in (0, 1):
            self.headings[seat] = turned(self.headings[seat], actions[seat])
            if crashed[seat]:
                inside = 0 <= targets[seat][0] < self.size and 0 <= targets[seat][1] < self.size
                self.crash_cells[seat] = targets[seat] if inside else self.heads[seat]
                continue
            self.necks[seat] = self.heads[seat]
            self.heads[seat] = targets[seat]
            self.paths[seat].append(targets[seat])
            self.cells[targets[seat][0] * self.size + targets[seat][1]] = seat + 1
        self.crashed = crashed
        self.steps += 1
        return crashed[0], crashed[1]

    # ----- the engine interface that search, bots and learners share (see envs/engine.py) ---------------
    def movers(self) -> tuple[int, ...]:
        """The seats that choose an action now: both (the moves are simultaneous), nobody once over."""
        return () if self.over else (0, 1)

    def legal_actions(self, seat: int) -> np.ndarray:
        """Bool (3,): ``seat``'s moves that do not crash at once; all True when none is safe (every action is
        allowed by the rules, a crash is just a loss)."""
        safe = self.safe_mask(seat)
        return safe if safe.any() else np.ones(3, dtype=bool)

    def apply(self, actions: tuple[int, ...] | list[int]) -> None:
        """One tick with both seats' actions, in :meth:`movers` order."""
        if len(actions) != 2:
            raise ValueError(f"a Tron tick takes two actions (seat 0, seat 1), got {len(actions)}")
        self.step(int(actions[0]), int(actions[1]))

    def is_over(self) -> bool:
        return self.over

    def result(self, seat: int) -> float:
        """+1 if ``seat`` survived the other's crash, -1 if it crashed alone, 0 for a draw or a running game."""
        winner = self.winner
        if winner < 0:
            return 0.0
        return 1.0 if winner == seat else -1.0
