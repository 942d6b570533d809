"""Connect Four's lookahead: a full-width negamax over the rules, a few plies deep, with the leaves scored by a
callback (a network's values for an agent, the window heuristic for the ``minimax`` bot).

Why: a learned value judges positions well but is blind to short tactics (a double threat two moves away); the
rules are known, so checking every line a few plies deep costs milliseconds and removes those blunders. All
leaves go to the callback in one batch, so depth 4 (at most 2,401 leaves) costs one network forward pass.
Torch-free: the callback is any ``(planes, legal masks) -> values`` function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from envs.common import PROVEN, SOONER
from envs.connect_four.rules import (
    BOARD_MASK,
    BOTTOM_ROW,
    COLS,
    COLUMN_BITS,
    DIRECTION_SHIFTS,
    PLANE_COUNT,
    ROWS,
    Board,
)

# Bit index of each (row from the top, column) cell of the planes.
_CELL_BITS = np.array([[col * COLUMN_BITS + (ROWS - 1 - row) for col in range(COLS)] for row in range(ROWS)],
                      dtype=np.uint64).reshape(-1)
_BOARD, _BOTTOM = np.uint64(BOARD_MASK), np.uint64(BOTTOM_ROW)
_COLUMNS = np.array([((1 << ROWS) - 1) << (col * COLUMN_BITS) for col in range(COLS)], dtype=np.uint64)
_SHIFTS = tuple(np.uint64(shift) for shift in DIRECTION_SHIFTS)

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, 3, 6, 7) uint8, legal masks (N, 7) bool) -> (N,) value of each position for its side to move."""


def search_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The best column for the side to move in ``obs`` (planes) by a ``depth``-ply negamax (ties: lowest column)."""
    return negamax_move(Board.from_planes(obs), depth, leaf_values, action_mask)


def negamax_move(board: Board, depth: int, leaf_values: LeafValues, action_mask: np.ndarray | None = None,
                 order: Sequence[int] = range(COLS), proven: float = PROVEN, sooner: float = SOONER) -> int:
    """The best column for the side to move by a full-width ``depth``-ply negamax, ties going to the first in
    ``order``. A win with ``d`` plies of search left scores ``proven + sooner * d``; a full board is a draw (0).

    The tree is expanded a ply at a time over numpy arrays of bitboards (every position of a ply at once), so
    a depth-4 search (2,401 leaves) takes about a millisecond besides the leaf callback.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    own = np.array([board.pieces[board.current_player]], dtype=np.uint64)
    other = np.array([board.pieces[1 - board.current_player]], dtype=np.uint64)
    scores = _move_scores(own, other, depth, leaf_values, proven, sooner)[0]
    legal = [col for col in order if scores[col] > -np.inf and (action_mask is None or action_mask[col])]
    if not legal:
        raise ValueError("no legal move: the board is full")
    return legal[int(np.argmax([scores[col] for col in legal]))]


def _move_scores(own: np.ndarray, other: np.ndarray, depth: int, leaf_values: LeafValues, proven: float,
                 sooner: float) -> np.ndarray:
    """(N, 7): each column's value for the side to move (``own``) in N positions, ``depth`` plies deep; -inf for
    a full column. A winning drop is proven, a drop that fills the board a draw, any other worth minus the value
    of the position it leaves (the leaf callback's at the last ply)."""
    moves = ((own | other) + _BOTTOM)[:, None] & _COLUMNS  # (N, 7): the bit a disc dropped into each column takes, or 0
    movers = own[:, None] | moves
    legal = moves != 0
    wins = legal & _has_four(movers)
    full = legal & ~wins & ((movers | other[:, None]) == _BOARD)
    scores = np.where(wins, proven + sooner * depth, np.where(full, 0.0, -np.inf))
    going_on = legal & ~wins & ~full
    next_own, next_other = np.broadcast_to(other[:, None], movers.shape)[going_on], movers[going_on]
    if depth <= 1:
        values = _score_leaves(next_own, next_other, leaf_values)
    else:
        values = _move_scores(next_own, next_other, depth - 1, leaf_values, proven, sooner).max(axis=1)
    scores[going_on] = -values
    return scores


def _has_four(pieces: np.ndarray) -> np.ndarray:
    """Elementwise ``has_four`` over uint64 bitboards."""
    found = np.zeros(pieces.shape, dtype=bool)
    for shift in _SHIFTS:
        pairs = pieces & (pieces >> shift)
        found |= (pairs & (pairs >> (shift + shift))) != 0
    return found


def _score_leaves(own: np.ndarray, other: np.ndarray, leaf_values: LeafValues) -> np.ndarray:
    """The callback's values of the positions (``own`` to move), as float64."""
    if not len(own):
        return np.zeros(0, dtype=np.float64)
    pieces = np.stack([own, other], axis=1)  # (N, 2): side to move, other side
    cells = (pieces[:, :, None] >> _CELL_BITS[None, None, :]) & np.uint64(1)
    planes = np.empty((len(own), PLANE_COUNT, ROWS * COLS), dtype=np.uint8)
    planes[:, :2] = cells
    planes[:, 2] = 1 - planes[:, 0] - planes[:, 1]
    planes = planes.reshape(len(own), PLANE_COUNT, ROWS, COLS)
    legal = planes[:, 2, 0, :] == 1  # a column is playable while its top cell is empty
    return np.asarray(leaf_values(planes, legal), dtype=np.float64)
