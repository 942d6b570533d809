"""Connect Four's built-in opponents (listed in ``envs.registry``): greedy, minimax:K and pattern (random is
``envs.common.RandomBot``).

A bot is a callable ``(obs, action_mask) -> column`` where ``obs`` is the bot's own planes observation, from
which it rebuilds the position with ``Board.from_planes``. Randomness comes only from the generator it is built
with (the env's ``np_random``), so seeded resets replay the same games.
"""

from __future__ import annotations

import numpy as np

from envs.common import PATTERN_NOISE, random_allowed
from envs.connect_four.rules import (
    BOARD_MASK,
    BOTTOM_ROW,
    CELL_WEIGHTS,
    CENTRE_COLUMN_MASK,
    COLS,
    COLUMN_BITS,
    DIRECTION_SHIFTS,
    PLANE_OTHER,
    PLANE_OWN,
    Board,
    has_four,
)
from envs.connect_four.search import negamax_move

CENTRE_FIRST = (3, 2, 4, 1, 5, 0, 6)  # move ordering: central columns take part in the most fours
WIN_SCORE = 1_000_000
THREE_WEIGHT, TWO_WEIGHT, OPPONENT_THREE_WEIGHT, CENTRE_WEIGHT = 5, 2, 4, 3
_FLAT_WEIGHTS = CELL_WEIGHTS.reshape(-1).astype(np.uint64)
_BOARD, _BOTTOM, _CENTRE = np.uint64(BOARD_MASK), np.uint64(BOTTOM_ROW), np.uint64(CENTRE_COLUMN_MASK)
_SHIFTS = tuple(np.uint64(shift) for shift in DIRECTION_SHIFTS)
_ONE, _TWO, _THREE = np.uint64(1), np.uint64(2), np.uint64(3)


def window_counts(own: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of uint64 bitboards: how many four-cell windows free of ``other`` hold exactly 2 and exactly 3 of
    ``own``'s discs.

    Bit-sliced: for each direction the four cells of every window are four shifted copies of the bitboard,
    so all windows are counted at once with a few ands/xors instead of a loop over 69 windows.
    """
    free = _BOARD & ~other
    twos = np.zeros(own.shape, dtype=np.int64)
    threes = np.zeros(own.shape, dtype=np.int64)
    for shift in _SHIFTS:
        windows = free & (free >> shift) & (free >> (shift + shift)) & (free >> (shift * _THREE))
        a, b, c, d = own, own >> shift, own >> (shift + shift), own >> (shift * _THREE)
        ab_both, ab_one = a & b, a ^ b
        cd_both, cd_one = c & d, c ^ d
        threes += np.bitwise_count(windows & ((ab_both & cd_one) | (cd_both & ab_one)))
        twos += np.bitwise_count(windows & ((ab_both & ~(c | d)) | (cd_both & ~(a | b)) | (ab_one & cd_one)))
    return twos, threes


def evaluate(own: int, other: int) -> int:
    """Heuristic value of a position for ``own`` (the side to move): open 2s/3s windows and centre discs."""
    return int(_evaluate(np.array([own], dtype=np.uint64), np.array([other], dtype=np.uint64))[0])


def _evaluate(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    count = len(own)
    # Both sides' windows in one pass over (2N,) arrays: half the numpy calls, which dominate at small N.
    twos, threes = window_counts(np.concatenate([own, other]), np.concatenate([other, own]))
    centre = np.bitwise_count(own & _CENTRE).astype(np.int64) - np.bitwise_count(other & _CENTRE)
    return (THREE_WEIGHT * threes[:count] + TWO_WEIGHT * (twos[:count] - twos[count:])
            - OPPONENT_THREE_WEIGHT * threes[count:] + CENTRE_WEIGHT * centre)


def heuristic_values(planes: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The minimax bot's leaf values (a ``LeafValues`` callback): a win on the next move scores ``WIN_SCORE``,
    any other position its window/centre ``evaluate`` for the side to move; vectorised over the leaves (the same
    bit-sliced counts on uint64 arrays), since a depth-4 search has up to 2,401 of them."""
    count = len(planes)
    own = planes[:, PLANE_OWN].reshape(count, -1).astype(np.uint64) @ _FLAT_WEIGHTS
    other = planes[:, PLANE_OTHER].reshape(count, -1).astype(np.uint64) @ _FLAT_WEIGHTS
    values = _evaluate(own, other).astype(np.float64)
    playable = (own | other) + _BOTTOM & _BOARD
    values[(completing_cells(own) & playable) != 0] = WIN_SCORE
    return values


def completing_cells(pieces: np.ndarray) -> np.ndarray:
    """Per bitboard, the empty-or-not cells that would complete a four for its owner (vectorised uint64; the
    caller ands them with the playable cells). Pascal Pons's formula: three in a line plus the fourth cell."""
    cells = (pieces << _ONE) & (pieces << _TWO) & (pieces << _THREE)  # vertical: only on top of three
    for shift in (np.uint64(COLUMN_BITS), np.uint64(COLUMN_BITS - 1), np.uint64(COLUMN_BITS + 1)):
        pair = (pieces << shift) & (pieces << (shift + shift))
        cells |= pair & (pieces << (shift * _THREE))
        cells |= pair & (pieces >> shift)
        pair = (pieces >> shift) & (pieces >> (shift + shift))
        cells |= pair & (pieces << shift)
        cells |= pair & (pieces >> (shift * _THREE))
    return cells & _BOARD


def minimax_move(board: Board, depth: int) -> int:
    """The best column for the side to move by a ``depth``-ply negamax with the heuristic leaves (ties: centre
    first); deterministic."""
    return negamax_move(board, depth, heuristic_values, order=CENTRE_FIRST, proven=WIN_SCORE, sooner=1.0)


class MinimaxBot:
    """Negamax to a fixed depth with the window/centre evaluation at the leaves; deterministic."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        return minimax_move(Board.from_planes(obs), self.depth)


MAX_MINIMAX_DEPTH = 8  # about 0.15 s a move from the empty board; 9 takes 0.7 s, and deeper ones grow fast


def minimax_bot(rng: np.random.Generator, depth_text: str) -> MinimaxBot:
    """``minimax:K``: K plies deep (1..MAX_MINIMAX_DEPTH)."""
    digits = depth_text.isascii() and depth_text.isdigit() and len(depth_text) <= 3
    if not digits or not 1 <= int(depth_text) <= MAX_MINIMAX_DEPTH:
        raise ValueError(f"minimax depth must be 1..{MAX_MINIMAX_DEPTH}, got {('minimax:' + depth_text)[:40]!r} "
                         "(e.g. 'minimax:4')")
    return MinimaxBot(int(depth_text))


class GreedyBot:
    """Wins if it can, else blocks the other player's immediate win, else plays a random legal move."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        board = Board.from_planes(obs)
        legal = [col for col in range(COLS) if action_mask[col]]
        for player in (0, 1):  # own win first, then the other's threat
            columns = [col for col in legal if has_four(board.pieces[player] | (1 << board.heights[col]))]
            if columns:
                return columns[0]
        return random_allowed(action_mask, self.rng)


class PatternBot:
    """Cycles through a fixed column preference, skipping full columns, with a little noise."""

    SEQUENCE = (3, 2, 4, 3, 1, 5)

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.index = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        if self.rng.random() < PATTERN_NOISE:
            # A noisy move still uses up its turn in the cycle, so the habit keeps its rhythm.
            self.index = (self.index + 1) % len(self.SEQUENCE)
            return random_allowed(action_mask, self.rng)
        for _ in range(len(self.SEQUENCE)):
            col = self.SEQUENCE[self.index]
            self.index = (self.index + 1) % len(self.SEQUENCE)
            if action_mask[col]:
                return col
        return random_allowed(action_mask, self.rng)  # only columns outside the sequence are left
