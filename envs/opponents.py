"""Built-in opponents for the two-player games.

An opponent is a callable ``(obs, action_mask) -> action``. ``obs`` is the opponent's own PLANES observation
(the envs pass planes even when the agent observes pixels), from which the searching opponents rebuild the
position:
* Connect Four planes (3, 6, 7): own discs, other discs, empty; row 0 at the top.
* Tron planes (7, H, W): own head, own neck, own trail, other head, other neck, other trail, arena.
Randomness comes only from the Generator handed to :func:`make_opponent` (the env's ``np_random``), so seeded
resets replay the same games.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from envs.bitboard import grow, to_bitboard
from envs.connect_four.rules import (
    BOARD_MASK,
    CENTRE_COLUMN_MASK,
    COLS,
    COLUMN_BITS,
    DIRECTION_SHIFTS,
    ROWS,
    Board,
    has_four,
)
from envs.tron.rules import OTHER_HEAD, OTHER_TRAIL, OWN_HEAD, OWN_NECK, OWN_TRAIL
from envs.tron.rules import STRAIGHT as TRON_STRAIGHT
from envs.tron.rules import TURN_LEFT as TRON_LEFT
from envs.tron.rules import TURN_RIGHT as TRON_RIGHT

Opponent = Callable[[np.ndarray, np.ndarray], int]

GAMES = ("connect_four", "tron")
CONNECT_FOUR_OPPONENTS = ("random", "greedy", "minimax:K", "pattern", "perfect")
MAX_MINIMAX_DEPTH = 8  # about 0.15 s a move from the empty board; 9 takes 0.7 s, and deeper ones grow fast
TRON_OPPONENTS = ("random", "wall-follower", "space", "pattern", "voronoi[:MS|:dN]")
PATTERN_NOISE = 0.05  # share of moves a pattern opponent plays at random: a habit, not a script (at 0.1 no
# predictor can reach 90% top-1 over 10 games on some seeds; the opponent-model bench prints that ceiling)


def make_opponent(game: str, spec: str | Opponent, rng: np.random.Generator) -> Opponent:
    """Build the opponent ``spec`` (a name, or any callable, returned as is) for ``game``."""
    if game not in GAMES:
        raise ValueError(f"unknown game {game!r}; choose one of {GAMES}")
    if callable(spec):
        return spec
    if game == "connect_four":
        if spec == "random":
            return RandomMove(rng)
        if spec == "greedy":
            return ConnectFourGreedy(rng)
        if spec == "pattern":
            return ConnectFourPattern(rng)
        if spec == "perfect":
            from envs.connect_four.solver import PerfectPlayer  # lazily: the solver compiles with numba

            return PerfectPlayer(rng)
        if isinstance(spec, str) and spec.startswith("minimax:"):
            depth_text = spec.removeprefix("minimax:")
            digits = depth_text.isascii() and depth_text.isdigit() and len(depth_text) <= 3
            if not digits or not 1 <= int(depth_text) <= MAX_MINIMAX_DEPTH:
                raise ValueError(f"minimax depth must be 1..{MAX_MINIMAX_DEPTH}, got {spec[:40]!r} (e.g. 'minimax:4')")
            return ConnectFourMinimax(int(depth_text))
        raise ValueError(f"unknown connect_four opponent {spec!r}; choose one of {CONNECT_FOUR_OPPONENTS}")
    if spec == "random":
        return TronRandom(rng)
    if spec == "wall-follower":
        return TronWallFollower()
    if spec == "space":
        return TronSpace()
    if spec == "pattern":
        return TronPattern(rng)
    if isinstance(spec, str) and spec.partition(":")[0] == "voronoi":
        from envs.tron.voronoi import make_voronoi  # numba loads for this bot only

        return make_voronoi(spec)
    raise ValueError(f"unknown tron opponent {spec!r}; choose one of {TRON_OPPONENTS}")


def _random_allowed(mask: np.ndarray | list[bool], rng: np.random.Generator) -> int:
    """A uniformly random action among the True entries of ``mask`` (among all actions if none is True)."""
    # rng.random() costs a third of rng.integers() per call, which matters at tens of thousands of steps/s.
    flags = mask.tolist() if isinstance(mask, np.ndarray) else mask
    allowed = [action for action, ok in enumerate(flags) if ok]
    if not allowed:
        return int(rng.random() * len(mask))
    return allowed[int(rng.random() * len(allowed))]


class RandomMove:
    """Uniform over the legal moves in the mask."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        return _random_allowed(action_mask, self.rng)


# ----- Connect Four --------------------------------------------------------------------------------------
CENTRE_FIRST = (3, 2, 4, 1, 5, 0, 6)  # move ordering: central columns take part in the most fours
WIN_SCORE = 1_000_000
THREE_WEIGHT, TWO_WEIGHT, OPPONENT_THREE_WEIGHT, CENTRE_WEIGHT = 5, 2, 4, 3


def board_from_planes(obs: np.ndarray) -> Board:
    """Rebuild the position from a Connect Four planes observation; the observer becomes player 0, to move."""
    grid = np.full((ROWS, COLS), -1, dtype=np.int8)
    grid[obs[0] > 0] = 0
    grid[obs[1] > 0] = 1
    return Board.from_grid(grid, current_player=0)


def _column_top(col: int) -> int:
    return col * COLUMN_BITS + ROWS


def window_counts(own: int, other: int) -> tuple[int, int]:
    """How many four-cell windows free of ``other`` hold exactly 2 and exactly 3 of ``own``'s discs.

    Bit-sliced: for each direction the four cells of every window are four shifted copies of the bitboard,
    so all windows are counted at once with a few ands/xors instead of a loop over 69 windows.
    """
    free = BOARD_MASK & ~other
    twos = threes = 0
    for shift in DIRECTION_SHIFTS:
        windows = free & (free >> shift) & (free >> 2 * shift) & (free >> 3 * shift)
        if not windows:
            continue
        a, b, c, d = own, own >> shift, own >> 2 * shift, own >> 3 * shift
        ab_both, ab_one = a & b, a ^ b
        cd_both, cd_one = c & d, c ^ d
        threes += (windows & ((ab_both & cd_one) | (cd_both & ab_one))).bit_count()
        twos += (windows & ((ab_both & ~(c | d)) | (cd_both & ~(a | b)) | (ab_one & cd_one))).bit_count()
    return twos, threes


def evaluate(own: int, other: int) -> int:
    """Heuristic value of a position for ``own`` (the side to move): open 2s/3s windows and centre discs."""
    own_twos, own_threes = window_counts(own, other)
    other_twos, other_threes = window_counts(other, own)
    centre = (own & CENTRE_COLUMN_MASK).bit_count() - (other & CENTRE_COLUMN_MASK).bit_count()
    return (
        THREE_WEIGHT * own_threes
        + TWO_WEIGHT * (own_twos - other_twos)
        - OPPONENT_THREE_WEIGHT * other_threes
        + CENTRE_WEIGHT * centre
    )


def _negamax(own: int, other: int, heights: list[int], depth: int, alpha: float, beta: float) -> float:
    """Alpha-beta negamax value for the side to move (``own``); wins found sooner score higher."""
    moves = [col for col in CENTRE_FIRST if heights[col] < _column_top(col)]
    if not moves:
        return 0  # full board: draw
    # An immediate win ends the search at once, whatever the ordering would have explored first.
    for col in moves:
        if has_four(own | (1 << heights[col])):
            return WIN_SCORE + depth
    if depth == 0:
        return evaluate(own, other)
    best = -float("inf")
    for col in moves:
        bit = 1 << heights[col]
        heights[col] += 1
        score = -_negamax(other, own | bit, heights, depth - 1, -beta, -alpha)
        heights[col] -= 1
        if score > best:
            best = score
            if score > alpha:
                alpha = score
                if alpha >= beta:
                    break
    return best


def minimax_move(board: Board, depth: int) -> int:
    """The best column for the side to move by alpha-beta search to ``depth`` plies (ties: centre first)."""
    own, other = board.pieces[board.current_player], board.pieces[1 - board.current_player]
    heights = board.heights.copy()
    moves = [col for col in CENTRE_FIRST if heights[col] < _column_top(col)]
    if not moves:
        raise ValueError("no legal move: the board is full")
    for col in moves:
        if has_four(own | (1 << heights[col])):
            return col
    best_col, alpha, beta = moves[0], -float("inf"), float("inf")
    for col in moves:
        bit = 1 << heights[col]
        heights[col] += 1
        score = -_negamax(other, own | bit, heights, depth - 1, -beta, -alpha)
        heights[col] -= 1
        if score > alpha:
            alpha, best_col = score, col
    return best_col


def _winning_columns(own: int, heights: list[int], columns: list[int]) -> list[int]:
    return [col for col in columns if has_four(own | (1 << heights[col]))]


class ConnectFourGreedy:
    """Wins if it can, else blocks the other player's immediate win, else plays a random legal move."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        board = board_from_planes(obs)
        legal = [col for col in range(COLS) if action_mask[col]]
        for player in (0, 1):  # own win first, then the other's threat
            columns = _winning_columns(board.pieces[player], board.heights, legal)
            if columns:
                return columns[0]
        return _random_allowed(action_mask, self.rng)


class ConnectFourMinimax:
    """Alpha-beta search to a fixed depth with a window/centre evaluation; deterministic."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        return minimax_move(board_from_planes(obs), self.depth)


class ConnectFourPattern:
    """Cycles through a fixed column preference, skipping full columns, with a little noise."""

    SEQUENCE = (3, 2, 4, 3, 1, 5)

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.index = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        if self.rng.random() < PATTERN_NOISE:
            # A noisy move still uses up its turn in the cycle, so the habit keeps its rhythm.
            self.index = (self.index + 1) % len(self.SEQUENCE)
            return _random_allowed(action_mask, self.rng)
        for _ in range(len(self.SEQUENCE)):
            col = self.SEQUENCE[self.index]
            self.index = (self.index + 1) % len(self.SEQUENCE)
            if action_mask[col]:
                return col
        return _random_allowed(action_mask, self.rng)  # only columns outside the sequence are left


# ----- Tron ----------------------------------------------------------------------------------------------


class TronView:
    """What a Tron opponent needs, read off its planes observation: head, heading and the blocked cells."""

    __slots__ = ("obs", "size", "head", "forward")

    def __init__(self, obs: np.ndarray) -> None:
        self.obs = obs
        self.size = obs.shape[1]
        self.head = divmod(int(obs[OWN_HEAD].argmax()), self.size)
        neck = divmod(int(obs[OWN_NECK].argmax()), self.size)
        self.forward = (self.head[0] - neck[0], self.head[1] - neck[1])

    @property
    def blocked(self) -> np.ndarray:
        """Bool (size, size): every trail cell, heads included."""
        return (self.obs[OWN_TRAIL] | self.obs[OTHER_TRAIL]) > 0

    def direction(self, action: int) -> tuple[int, int]:
        """The (row, col) step that a relative action takes."""
        d_row, d_col = self.forward
        if action == TRON_LEFT:
            return -d_col, d_row
        if action == TRON_RIGHT:
            return d_col, -d_row
        return d_row, d_col

    def cell(self, action: int, origin: tuple[int, int] | None = None) -> tuple[int, int]:
        row, col = self.head if origin is None else origin
        d_row, d_col = self.direction(action)
        return row + d_row, col + d_col

    def is_blocked(self, cell: tuple[int, int]) -> bool:
        row, col = cell
        if not (0 <= row < self.size and 0 <= col < self.size):
            return True
        return bool(self.obs[OWN_TRAIL, row, col] or self.obs[OTHER_TRAIL, row, col])

    def safe_mask(self, action_mask: np.ndarray) -> list[bool]:
        """Per action: allowed by ``action_mask`` and not crashing at once; falls back to the mask itself.

        Safety is re-derived from the planes, so the opponent stays sensible when handed an all-True mask.
        """
        allowed = [bool(ok) for ok in np.asarray(action_mask).tolist()]
        safe = [ok and not self.is_blocked(self.cell(action)) for action, ok in enumerate(allowed)]
        return safe if any(safe) else allowed


class TronRandom:
    """Uniform among the moves the mask allows: the env hands opponents the non-crashing moves (among all
    moves when none is safe), so this never suicides when it can help it."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        return _random_allowed(np.asarray(action_mask, dtype=bool), self.rng)


class TronWallFollower:
    """Keeps a wall or trail on its left (left-hand rule); heads straight until it finds one.

    Blocked ahead: turn right, which puts the obstacle on the left. The obstacle on the left ends (the cell
    left of the head is free but the one left of the previous cell was not): turn left around the corner.
    """

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        view = TronView(obs)
        safe = view.safe_mask(action_mask)
        neck = (view.head[0] - view.forward[0], view.head[1] - view.forward[1])
        corner_ended = not view.is_blocked(view.cell(TRON_LEFT)) and view.is_blocked(
            view.cell(TRON_LEFT, origin=neck)
        )
        preference = (
            (TRON_LEFT, TRON_STRAIGHT, TRON_RIGHT) if corner_ended else (TRON_STRAIGHT, TRON_RIGHT, TRON_LEFT)
        )
        for action in preference:
            if safe[action]:
                return action
        return TRON_STRAIGHT


def reachable_area(blocked: np.ndarray, starts: list[tuple[int, int]]) -> list[int]:
    """For each start cell, how many free cells it reaches (itself included, 0 if blocked or outside).

    Flood fill on a python-int bitboard (envs/tron/territory.py): one dilation step is five shifts and an and,
    far faster than a cell-by-cell BFS in python.
    """
    size = blocked.shape[0]
    stride = size + 1
    free = to_bitboard(~blocked)
    areas = []
    for row, col in starts:
        if not (0 <= row < size and 0 <= col < size):
            areas.append(0)
            continue
        region = (1 << (row * stride + col)) & free
        while True:
            grown = grow(region, stride) & free
            if grown == region:
                break
            region = grown
        areas.append(region.bit_count())
    return areas


class TronSpace:
    """Flood fill: the move whose reachable region is largest (ties: straight, then left, then right).

    A cell the other head can also enter next tick risks a head-on crash (a draw), so its region counts half.
    """

    PREFERENCE = (TRON_STRAIGHT, TRON_LEFT, TRON_RIGHT)

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        view = TronView(obs)
        safe = view.safe_mask(action_mask)
        candidates = [action for action in self.PREFERENCE if safe[action]]
        if not candidates:
            return TRON_STRAIGHT
        cells = [view.cell(action) for action in candidates]
        # The own head is part of the own trail, so a fill from the next cell never leaks back through it.
        # A crashing move's cell is not free and reaches nothing: area 0.
        areas = reachable_area(view.blocked, cells)
        other_row, other_col = divmod(int(obs[OTHER_HEAD].argmax()), view.size)
        for index, (row, col) in enumerate(cells):
            if abs(row - other_row) + abs(col - other_col) == 1:
                areas[index] //= 2
        best = max(range(len(candidates)), key=lambda index: (areas[index], -index))
        return candidates[best]


class TronPattern:
    """Repeats a fixed relative-turn sequence with some noise, dodging immediate crashes when it can."""

    SEQUENCE = (
        TRON_STRAIGHT,
        TRON_STRAIGHT,
        TRON_STRAIGHT,
        TRON_RIGHT,
        TRON_STRAIGHT,
        TRON_STRAIGHT,
        TRON_STRAIGHT,
        TRON_LEFT,
    )

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.index = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        safe = TronView(obs).safe_mask(action_mask)
        action = self.SEQUENCE[self.index]
        self.index = (self.index + 1) % len(self.SEQUENCE)
        if self.rng.random() < PATTERN_NOISE or not safe[action]:
            return _random_allowed(safe, self.rng)
        return action
