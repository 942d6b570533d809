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

import functools

import numpy as np

from envs.bitboard import to_bitboard

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


@functools.cache
def move_targets(size: int) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """[heading][flat head cell] -> the flat cells the actions (left, straight, right) move to, ``size * size``
    where a move leaves the arena: the masks are then three lookups a seat instead of bounds arithmetic."""
    off_board = size * size
    table = []
    for heading in range(4):
        row_table = []
        for cell in range(off_board):
            row, col = divmod(cell, size)
            moves = []
            for d_row, d_col in ACTION_DELTAS[heading]:
                r, c = row + d_row, col + d_col
                moves.append(r * size + c if 0 <= r < size and 0 <= c < size else off_board)
            row_table.append(tuple(moves))
        table.append(tuple(row_table))
    return tuple(table)


def relative_action(heading: int, direction: int) -> int:
    """An absolute direction (0 up, 1 right, 2 down, 3 left) as the relative action that turns a cycle heading
    ``heading`` that way; reversing is impossible on a light cycle, so the opposite direction means straight on."""
    return {0: STRAIGHT, 1: TURN_RIGHT, 3: TURN_LEFT}.get((direction - heading) % 4, STRAIGHT)


def start_positions(size: int) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(row, col, heading) of both seats: left-middle facing right and its 180-degree rotation.

    Point symmetry (rather than a mirror) keeps relative actions fair: a left turn means the same for both.
    """
    row, col = (size - 1) // 2, size // 4
    return (row, col, RIGHT), (size - 1 - row, size - 1 - col, LEFT)


@functools.cache
def _start_state(size: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[tuple[int, int], ...], bytes]:
    """(heads, headings, necks, owner cells) of the start position, built once per size (envs reset often)."""
    cells = bytearray(size * size)
    heads, headings, necks = [], [], []
    for seat, (row, col, heading) in enumerate(start_positions(size)):
        d_row, d_col = HEADING_DELTAS[heading]
        heads.append((row, col))
        headings.append(heading)
        necks.append((row - d_row, col - d_col))
        cells[row * size + col] = seat + 1
    return tuple(heads), tuple(headings), tuple(necks), bytes(cells)


class TronGame:
    """The arena state: an owner grid, both heads, headings, previous heads ("necks") and paths."""

    __slots__ = (
        "size",
        "cells",
        "heads",
        "headings",
        "necks",
        "paths",
        "crashed",
        "crash_cells",
        "steps",
        "_trail_bits",
    )

    def __init__(self, size: int = 16) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"size must be an int >= {MIN_SIZE} and <= {MAX_SIZE}, got {size!r}")
        self.size = int(size)
        # The owner of every cell, row-major. Per-tick checks read this bytearray (plain python indexing is
        # several times faster than numpy scalar access); ``grid`` is a numpy view of the same memory.
        self.cells = bytearray(self.size * self.size)
        self.reset()

    @property
    def grid(self) -> np.ndarray:
        """(size, size) int8 view of the owner cells (0 free, seat + 1 on a trail); writes go to the game."""
        return np.frombuffer(self.cells, dtype=np.int8).reshape(self.size, self.size)

    def trail_bits(self) -> int:
        """Every trail cell as a bitboard (``envs.bitboard`` layout, a guard bit after each row), for flood fills.

        Computed from the cells on first use, then kept up to date by :meth:`step` and :meth:`copy`, so a search
        that copies and steps pays for it once."""
        if self._trail_bits is None:
            self._trail_bits = to_bitboard(self.grid != EMPTY)
        return self._trail_bits

    def cell_bit(self, cell: tuple[int, int]) -> int:
        """The bit of ``cell`` in :meth:`trail_bits`."""
        return 1 << (cell[0] * (self.size + 1) + cell[1])

    def reset(self) -> None:
        (head_0, head_1), headings, necks, cells = _start_state(self.size)
        self.cells[:] = cells
        self.heads: list[tuple[int, int]] = [head_0, head_1]
        self.headings: list[int] = list(headings)
        # A virtual neck behind each start cell, so the heading can be read off head minus neck.
        self.necks: list[tuple[int, int]] = list(necks)
        self.paths: list[list[tuple[int, int]]] = [[head_0], [head_1]]
        self.crashed = [False, False]
        self.crash_cells: list[tuple[int, int] | None] = [None, None]
        self.steps = 0
        self._trail_bits: int | None = None

    def copy(self) -> TronGame:
        """An independent copy (search plays moves on copies)."""
        twin = TronGame.__new__(TronGame)
        twin.size = self.size
        twin.cells = bytearray(self.cells)
        twin.heads = list(self.heads)
        twin.headings = list(self.headings)
        twin.necks = list(self.necks)
        twin.paths = [list(self.paths[0]), list(self.paths[1])]
        twin.crashed = list(self.crashed)
        twin.crash_cells = list(self.crash_cells)
        twin.steps = self.steps
        twin._trail_bits = self._trail_bits
        return twin

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> TronGame:
        """Rebuild the arena from a planes observation; the observer becomes seat 0.

        Seat 1's observation is the arena turned 180 degrees, so a position rebuilt from it is that turned
        arena: the same game, seen with the observer in seat 0. The trails' order and the tick count are not in
        the planes: each path holds the head alone and ``steps`` is the number of trail cells beyond the starts.
        A missing or detached neck (a hand-made board) leaves that cycle heading up.
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
        game.heads, game.necks, game.headings = [], [], []
        for head_plane, neck_plane in ((OWN_HEAD, OWN_NECK), (OTHER_HEAD, OTHER_NECK)):
            head = divmod(int(obs[head_plane].argmax()), size)
            neck = divmod(int(obs[neck_plane].argmax()), size)
            delta = (head[0] - neck[0], head[1] - neck[1])
            heading = HEADING_DELTAS.index(delta) if delta in HEADING_DELTAS else UP
            game.heads.append(head)
            game.necks.append(neck if delta in HEADING_DELTAS else (head[0] + 1, head[1]))
            game.headings.append(heading)
        game.paths = [[game.heads[0]], [game.heads[1]]]
        game.crashed = [False, False]
        game.crash_cells = [None, None]
        game.steps = max(0, (int((owner > 0).sum()) - 2) // 2)
        game._trail_bits = None
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

    def safe_code(self, seat: int) -> int:
        """:meth:`safe_actions` as bits (1: left, 2: straight, 4: right): the hot path of the env's masks."""
        row, col = self.heads[seat]
        cells, off_board = self.cells, self.size * self.size
        left, straight, right = move_targets(self.size)[self.headings[seat]][row * self.size + col]
        return ((left != off_board and cells[left] == EMPTY)
                | (straight != off_board and cells[straight] == EMPTY) << 1
                | (right != off_board and cells[right] == EMPTY) << 2)

    def safe_actions(self, seat: int) -> list[bool]:
        """Per action: whether it avoids crashing into a wall or trail right away (head-on meetings aside)."""
        code = self.safe_code(seat)
        return [bool(code & 1), bool(code & 2), bool(code & 4)]

    def safe_mask(self, seat: int) -> np.ndarray:
        """:meth:`safe_actions` as a bool array of shape (3,)."""
        return np.array(self.safe_actions(seat), dtype=bool)

    def step(self, action_0: int, action_1: int) -> tuple[bool, bool]:
        """Advance one tick with both seats' actions; returns who crashed. Raises ValueError when over."""
        if self.crashed[0] or self.crashed[1]:
            raise ValueError("the game is over; reset() before stepping again")
        if action_0 not in ACTIONS or action_1 not in ACTIONS:
            seat, action = (0, action_0) if action_0 not in ACTIONS else (1, action_1)
            raise ValueError(f"action for seat {seat} must be one of {ACTIONS}, got {action!r}")
        size, cells, heads, headings = self.size, self.cells, self.heads, self.headings
        # Every crash is decided on the board as it was before the tick: the moves are simultaneous. Targets are
        # flat cells from the move table (``size * size`` off the arena), the hot path of envs and search.
        targets, off_board = move_targets(size), size * size
        (row_0, col_0), (row_1, col_1) = heads
        target_0 = targets[headings[0]][row_0 * size + col_0][action_0]
        target_1 = targets[headings[1]][row_1 * size + col_1][action_1]
        if target_0 == target_1:  # the same cell, or both off the arena
            crashed = [True, True]
        else:
            crashed = [target_0 == off_board or cells[target_0] != EMPTY,
                       target_1 == off_board or cells[target_1] != EMPTY]
        for seat, action, target in ((0, action_0, target_0), (1, action_1, target_1)):
            headings[seat] = (headings[seat] + action - 1) % 4
            if crashed[seat]:
                self.crash_cells[seat] = divmod(target, size) if target != off_board else heads[seat]
                continue
            cell = divmod(target, size)
            self.necks[seat] = heads[seat]
            heads[seat] = cell
            self.paths[seat].append(cell)
            cells[target] = seat + 1
            if self._trail_bits is not None:
                self._trail_bits |= 1 << (target + cell[0])  # a guard bit after each row: row * (size + 1) + col
        self.crashed = crashed
        self.steps += 1
        return crashed[0], crashed[1]

    def move_alone(self, seat: int, action: int) -> bool:
        """Move ``seat``'s cycle by itself, the other standing still (a rollout of one side's predicted moves, not
        a tick of the game); returns False, changing nothing, where the move would crash."""
        row, col = self.target(seat, action)
        if not self.is_free(row, col):
            return False
        self.headings[seat] = turned(self.headings[seat], action)
        self.necks[seat], self.heads[seat] = self.heads[seat], (row, col)
        self.paths[seat].append((row, col))
        self.cells[row * self.size + col] = seat + 1
        if self._trail_bits is not None:
            self._trail_bits |= self.cell_bit((row, col))
        return True

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
