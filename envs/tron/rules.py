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
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < MIN_SIZE:
            raise ValueError(f"size must be an int >= {MIN_SIZE}, got {size!r}")
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
