"""Snake's rules: pure Python + numpy, no gymnasium, no rendering.

Cells are numbered row-major (``cell = row * size + col``). The body is a deque from head (index 0) to tail.
Every step is O(1): occupancy is a bytearray and the free cells live in an array with a position index,
so an apple is drawn uniformly from the free cells without scanning the board.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTION_NAMES: tuple[str, ...] = ("up", "right", "down", "left")
ROW_STEP: tuple[int, ...] = (-1, 0, 1, 0)
COL_STEP: tuple[int, ...] = (0, 1, 0, -1)
START_LENGTH = 3
MIN_SIZE = 4
MAX_SIZE = 64  # a board bigger than this is a typo, and its planes and search would not fit
NO_CELL = -1
# The planes observation (uint8 (4, size, size), values 0..255): the body valued by its place (255 at the head,
# ``order_step`` less per segment towards the tail, never below 1), the head, the apple, the cells without snake.
BODY, HEAD, APPLE, FREE = 0, 1, 2, 3
NUM_PLANES = 4
FULL = 255


def order_step(size: int) -> int:
    """How much each body segment's plane value falls towards the tail: the largest step that keeps a full-board
    snake's tail at >= 1, so long snakes keep distinct values (boards over 255 cells clip the far tail at 1)."""
    return max(1, (FULL - 1) // max(1, size * size - 1))


class StepOutcome(NamedTuple):
    """What one step changed; the env uses it to update its cached observation planes in place."""

    ate: bool
    died: bool
    won: bool
    freed_cell: int  # the cell the tail left, NO_CELL when the snake grew or died


class SnakeRules:
    """One game of single-player Snake on a ``size`` x ``size`` board surrounded by walls."""

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"snake board size must be an int >= {MIN_SIZE} and <= {MAX_SIZE}, got {size!r}")
        self.size = int(size)
        self.area = self.size * self.size
        # free_cells[:free_count] are the cells without snake; free_slot[cell] is where a cell sits in it.
        self.body: deque[int] = deque()
        self.occupied = bytearray(self.area)
        self.free_cells: list[int] = []
        self.free_slot: list[int] = []
        self.free_count = 0
        self._clear_board()
        self.direction = RIGHT
        self.apple = NO_CELL
        self.score = 0
        self.steps_since_food = 0
        self.dead = False
        self.won = False
        self._rng: np.random.Generator | None = None

    # ----------------------------------------------------------------- state queries
    @property
    def head(self) -> int:
        return self.body[0]

    @property
    def length(self) -> int:
        return len(self.body)

    @property
    def over(self) -> bool:
        return self.dead or self.won

    def cell(self, row: int, col: int) -> int:
        return row * self.size + col

    def copy(self) -> SnakeRules:
        """An independent copy without the apple generator: a search's position, where eating places no apple."""
        twin = SnakeRules.__new__(SnakeRules)
        twin.size, twin.area = self.size, self.area
        twin.body = self.body.copy()
        twin.occupied = bytearray(self.occupied)
        twin.free_cells, twin.free_slot, twin.free_count = list(self.free_cells), list(self.free_slot), self.free_count
        twin.direction, twin.apple, twin.score = self.direction, self.apple, self.score
        twin.steps_since_food, twin.dead, twin.won = self.steps_since_food, self.dead, self.won
        twin._rng = None
        return twin

    # ----------------------------------------------------------------- the planes observation
    def write_planes(self, planes: np.ndarray) -> None:
        """Fill ``planes`` (uint8 (4, size, size)) with this position's observation."""
        planes.fill(0)
        planes[FREE] = FULL
        flat = planes.reshape(NUM_PLANES, -1)
        body = np.fromiter(self.body, dtype=np.intp, count=len(self.body))
        flat[BODY, body] = np.maximum(1, FULL - np.arange(len(body)) * order_step(self.size))
        flat[FREE, body] = 0
        flat[HEAD, body[0]] = FULL
        if self.apple >= 0:
            flat[APPLE, self.apple] = FULL

    def planes(self) -> np.ndarray:
        """This position's planes observation (a new array)."""
        planes = np.empty((NUM_PLANES, self.size, self.size), dtype=np.uint8)
        self.write_planes(planes)
        return planes

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> SnakeRules:
        """Rebuild the position from a planes observation (without an apple generator, as :meth:`copy`).

        From the head, each next segment is the neighbouring body cell with the highest order value (exact while
        values are distinct, i.e. boards up to 255 cells). Score and steps since food are not in the planes: 0.
        """
        obs = np.asarray(obs)
        if obs.ndim != 3 or obs.shape[0] != NUM_PLANES or obs.shape[1] != obs.shape[2]:
            raise ValueError(f"Snake planes must have shape ({NUM_PLANES}, size, size), got {obs.shape}")
        size = obs.shape[1]
        values = obs[BODY].astype(np.int32)
        row, col = divmod(int(obs[HEAD].argmax()), size)
        cells, seen = [(row, col)], {(row, col)}
        while True:
            neighbours = [(row + d_row, col + d_col) for d_row, d_col in zip(ROW_STEP, COL_STEP)]
            options = [(values[r, c], (r, c)) for r, c in neighbours
                       if 0 <= r < size and 0 <= c < size and values[r, c] > 0 and (r, c) not in seen]
            if not options:
                break
            row, col = max(options)[1]
            cells.append((row, col))
            seen.add((row, col))
        if len(cells) < 2:
            raise ValueError("the body plane holds no neck next to the head")
        (head_row, head_col), (neck_row, neck_col) = cells[0], cells[1]
        direction = list(zip(ROW_STEP, COL_STEP)).index((head_row - neck_row, head_col - neck_col))
        apple = divmod(int(obs[APPLE].argmax()), size) if obs[APPLE].any() else None
        rules = cls(size)
        rules.set_state(cells, direction, apple)
        return rules

    def row_col(self, cell: int) -> tuple[int, int]:
        return divmod(cell, self.size)

    # ----------------------------------------------------------------- setup
    def reset(self, rng: np.random.Generator) -> None:
        """Length-3 snake in the middle heading right, tail to its left, and one apple on a free cell."""
        self._rng = rng
        self._clear_board()
        middle = self.size // 2
        for offset in range(START_LENGTH):
            cell = self.cell(middle, middle - offset)
            self.body.append(cell)
            self._take(cell)
        self.direction = RIGHT
        self.score = 0
        self.steps_since_food = 0
        self.dead = False
        self.won = False
        self.apple = self._random_free_cell()

    def set_state(self, body: list[tuple[int, int]], direction: int, apple: tuple[int, int] | None) -> None:
        """Put the game in an exact position (head first); for tests, puzzles and replays.

        Raises ValueError for a body that leaves the board, overlaps itself or is not a connected chain,
        and for an apple on the snake.
        """
        if direction not in (UP, RIGHT, DOWN, LEFT):
            raise ValueError(f"direction must be one of 0..3 (up/right/down/left), got {direction!r}")
        if len(body) < 2:
            raise ValueError(f"snake body needs at least 2 cells (head first), got {len(body)}")
        cells: list[int] = []
        for row, col in body:
            if not (0 <= row < self.size and 0 <= col < self.size):
                raise ValueError(f"body cell {(row, col)} is off the {self.size}x{self.size} board")
            cells.append(self.cell(row, col))
        if len(set(cells)) != len(cells):
            raise ValueError(f"snake body overlaps itself: {body}")
        for (row_a, col_a), (row_b, col_b) in zip(body, body[1:]):
            if abs(row_a - row_b) + abs(col_a - col_b) != 1:
                raise ValueError(f"body cells {(row_a, col_a)} and {(row_b, col_b)} are not adjacent")
        (head_row, head_col), (neck_row, neck_col) = body[0], body[1]
        if (head_row + ROW_STEP[direction], head_col + COL_STEP[direction]) == (neck_row, neck_col):
            raise ValueError(f"direction {ACTION_NAMES[direction]} points from the head back into the neck")
        apple_cell = NO_CELL
        if apple is not None:
            if not (0 <= apple[0] < self.size and 0 <= apple[1] < self.size):
                raise ValueError(f"apple {apple} is off the {self.size}x{self.size} board")
            apple_cell = self.cell(*apple)
            if apple_cell in cells:
                raise ValueError(f"apple {apple} is on the snake")
        self._clear_board()
        for cell in cells:
            self.body.append(cell)
            self._take(cell)
        self.direction = direction
        self.dead = False
        self.won = len(cells) == self.area
        self.score = 0
        self.steps_since_food = 0
        self.apple = apple_cell

    # ----------------------------------------------------------------- dynamics
    def effective_direction(self, action: int) -> int:
        """The heading an action results in: turning back into the neck means keep going straight."""
        if (action + 2) % 4 == self.direction:
            return self.direction
        return action

    def step(self, action: int) -> StepOutcome:
        """Advance one move.

        Raises ValueError for an unknown action and RuntimeError once the game is over.
        """
        if self.dead or self.won:
            raise RuntimeError("the snake game is over; call reset() before stepping again")
        if action not in (UP, RIGHT, DOWN, LEFT):
            raise ValueError(f"snake action must be one of 0..3 (up/right/down/left), got {action!r}")
        self.direction = self.effective_direction(int(action))
        size = self.size
        head_row, head_col = divmod(self.body[0], size)
        row = head_row + ROW_STEP[self.direction]
        col = head_col + COL_STEP[self.direction]
        if not (0 <= row < size and 0 <= col < size):
            self.dead = True
            return StepOutcome(False, True, False, NO_CELL)
        target = row * size + col
        tail = self.body[-1]
        # Running into the body is fatal, except into the tail cell, which the tail leaves this very step
        # (when the snake eats, the target is the apple, which is never the tail).
        if self.occupied[target] and target != tail:
            self.dead = True
            return StepOutcome(False, True, False, NO_CELL)

        if target == self.apple:
            self.body.appendleft(target)
            self._take(target)
            self.score += 1
            self.steps_since_food = 0
            if self.free_count == 0:
                self.won = True
                self.apple = NO_CELL
                return StepOutcome(True, False, True, NO_CELL)
            # A search's copy has no generator: the next apple's place is for the search to consider.
            self.apple = self._random_free_cell() if self._rng is not None else NO_CELL
            return StepOutcome(True, False, False, NO_CELL)

        self.body.pop()
        self._release(tail)
        self.body.appendleft(target)
        self._take(target)
        self.steps_since_food += 1
        return StepOutcome(False, False, False, tail)

    # ----------------------------------------------------------------- free-cell bookkeeping
    def _clear_board(self) -> None:
        self.occupied = bytearray(self.area)
        self.free_cells = list(range(self.area))
        self.free_slot = list(range(self.area))
        self.free_count = self.area
        self.body = deque()

    def _take(self, cell: int) -> None:
        """Mark a cell as snake: swap it with the last free cell and shrink the free list."""
        self.occupied[cell] = 1
        slot = self.free_slot[cell]
        last = self.free_count - 1
        moved = self.free_cells[last]
        self.free_cells[slot] = moved
        self.free_slot[moved] = slot
        self.free_cells[last] = cell
        self.free_slot[cell] = last
        self.free_count = last

    def _release(self, cell: int) -> None:
        """Mark a snake cell as free again by growing the free list over it."""
        self.occupied[cell] = 0
        slot = self.free_slot[cell]
        first_taken = self.free_count
        moved = self.free_cells[first_taken]
        self.free_cells[slot] = moved
        self.free_slot[moved] = slot
        self.free_cells[first_taken] = cell
        self.free_slot[cell] = first_taken
        self.free_count = first_taken + 1

    def _random_free_cell(self) -> int:
        if self._rng is None:
            raise RuntimeError("call reset(rng) before placing apples")
        return self.free_cells[int(self._rng.integers(self.free_count))]
