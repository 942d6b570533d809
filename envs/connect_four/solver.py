"""Perfect play for Connect Four: the exact score of any position, every move's score, and the `perfect` bot.

Scores follow Pascal Pons' convention, always for the side to move: ``22 - n`` when it wins with its n-th disc
(a faster win scores higher: +18 at best), ``0`` for a draw, ``n - 22`` when the other side wins with its n-th
disc (a slower loss scores higher). The sign alone is the game-theoretic result: > 0 win, 0 draw, < 0 loss.

The search (envs/connect_four/negamax.py, numba) is compiled on the first solve, not on import, and keeps one
transposition table (80 MB, allocated on first use) across calls, so the moves of one game share their work.
Positions near the start of the game can be answered from an opening book (envs/connect_four/book.py) when
one is installed at :data:`BOOK_PATH`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from envs.connect_four.bots import minimax_move
from envs.connect_four.rules import BOARD_MASK, COLS, COLUMN_BITS, ROWS, Board, has_four

CELLS = ROWS * COLS
CENTRE_FIRST = (3, 2, 4, 1, 5, 0, 6)
BOOK_PATH = Path(__file__).resolve().parents[2] / "assets" / "connect_four_book.npz"


def position_of(board: Board) -> tuple[int, int, int]:
    """(discs of the side to move, all discs, plies played) of a running position; ValueError otherwise."""
    if not isinstance(board, Board):
        raise ValueError(f"the solver takes a connect_four Board, got {type(board).__name__}")
    if board.is_over():
        raise ValueError("the game is over: a finished position has no moves to solve")
    current = board.pieces[board.current_player]
    mask = board.pieces[0] | board.pieces[1]
    moves = mask.bit_count()
    if current.bit_count() != moves // 2 or mask & ~BOARD_MASK:
        raise ValueError(f"impossible position: the side to move has {current.bit_count()} discs of {moves}")
    return current, mask, moves


def mirror_key(key: int) -> int:
    """The key of the left-right mirrored position (columns never carry into each other in a key)."""
    mirrored = 0
    for col in range(COLS):
        mirrored |= ((key >> (col * COLUMN_BITS)) & 0x7F) << ((COLS - 1 - col) * COLUMN_BITS)
    return mirrored


def canonical_key(current: int, mask: int) -> int:
    """One key for a position and its mirror image (their scores are equal)."""
    key = current + mask
    return min(key, mirror_key(key))


def drop(mask: int, col: int) -> int:
    """The bit a disc dropped into non-full ``col`` occupies."""
    return (mask + (1 << (col * COLUMN_BITS))) & (((1 << ROWS) - 1) << (col * COLUMN_BITS))


BOOK_MAX_SCORE = 18
BOOK_KEY_LIMIT = 1 << (COLS * COLUMN_BITS)


def load_book(path: Path) -> dict[int, int]:
    """The book at ``path`` as {canonical key: score}; ValueError (one line) when the file is not a valid book."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, scores, max_ply = data["keys"], data["scores"], data["max_ply"]
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path}: not a Connect Four opening book ({error})") from None
    if keys.dtype != np.int64 or scores.dtype != np.int8 or keys.ndim != 1 or keys.shape != scores.shape:
        raise ValueError(f"{path}: keys must be int64 and scores int8 of one length")
    if len(keys) and (keys[0] < 0 or keys[-1] >= BOOK_KEY_LIMIT or np.any(np.diff(keys) <= 0)):
        raise ValueError(f"{path}: keys must be sorted, unique and below 2**49")
    if np.any(np.abs(scores) > BOOK_MAX_SCORE) or max_ply.shape != () or not 0 <= int(max_ply) < CELLS:
        raise ValueError(f"{path}: scores must lie in -18..18 and max_ply in 0..41")
    return dict(zip(keys.tolist(), scores.tolist()))


class SearchBudgetExceeded(RuntimeError):
    """A solve needed more positions than the solver's ``node_limit`` allowed."""


class Solver:
    """Exact scores with one transposition table that lives as long as the solver (reuse it across moves).

    ``node_limit`` caps the positions one search may visit (None: no cap); past it the call raises
    :class:`SearchBudgetExceeded` and the table starts afresh (a cut-off search leaves wrong bounds in it).
    """

    def __init__(self, book_path: Path | None = BOOK_PATH, node_limit: int | None = None) -> None:
        self.book_path = book_path
        self.node_limit = node_limit
        self._book: dict[int, int] | None = None
        self._table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._work: np.ndarray | None = None
        self.nodes = 0  # positions searched so far, over every call

    def score(self, board: Board) -> int:
        """The exact score of ``board`` for the side to move (see the module docstring)."""
        return self.score_bits(*position_of(board))

    def move_values(self, board: Board) -> np.ndarray:
        """Float (7,): the score the side to move gets by playing each column; NaN where illegal."""
        current, mask, moves = position_of(board)
        values = np.full(COLS, np.nan)
        for col in CENTRE_FIRST:
            if mask & (1 << (col * COLUMN_BITS + ROWS - 1)):
                continue  # full column
            move = drop(mask, col)
            if has_four(current | move):
                values[col] = (CELLS + 1 - moves) // 2
            elif moves + 1 == CELLS:
                values[col] = 0  # the last cell, no four: a draw
            else:
                values[col] = -self.score_bits(current ^ mask, mask | move, moves + 1)
        return values

    def best_moves(self, board: Board) -> list[int]:
        """The columns with the best score: the fastest win, else a draw, else the slowest loss."""
        values = self.move_values(board)
        best = np.nanmax(values)
        return [col for col in range(COLS) if values[col] == best]

    def score_bits(self, current: int, mask: int, moves: int) -> int:
        """The score of a running position given as bitboards (see negamax.py); the book first, then search."""
        book = self._load_book()
        if book:
            known = book.get(canonical_key(current, mask))
            if known is not None:
                return known
        from envs.connect_four import negamax  # numba: imported and compiled on the first search only

        if self._table is None:
            self._table, self._work = negamax.new_table(), negamax.new_work()
        work = self._work
        work[negamax.NODE_INDEX] = 0
        work[negamax.LIMIT_INDEX] = np.iinfo(np.int64).max if self.node_limit is None else self.node_limit
        score = int(negamax.solve(current, mask, moves, *self._table, work))
        self.nodes += int(work[negamax.NODE_INDEX])
        if work[negamax.NODE_INDEX] > work[negamax.LIMIT_INDEX]:
            self.clear()
            raise SearchBudgetExceeded(f"the search needed more than {self.node_limit} positions")
        return score

    def clear(self) -> None:
        """Forget everything the table learnt (the next search starts cold)."""
        if self._table is not None:
            for array in self._table:
                array[:] = 0

    def _load_book(self) -> dict[int, int]:
        if self._book is None:
            self._book = load_book(self.book_path) if self.book_path and self.book_path.is_file() else {}
        return self._book


_SHARED: Solver | None = None


def shared_solver() -> Solver:
    """The process-wide solver (one 80 MB table however many bots and envs use it)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Solver()
    return _SHARED


def solve(board: Board) -> int:
    """The exact Pons score of ``board`` for the side to move."""
    return shared_solver().score(board)


def move_values(board: Board) -> np.ndarray:
    """Float (7,): each column's score for the side to move; NaN for full columns."""
    return shared_solver().move_values(board)


def best_moves(board: Board) -> list[int]:
    """The optimal columns (best Pons score) for the side to move."""
    return shared_solver().best_moves(board)


class PerfectPlayer:
    """The built-in `perfect` opponent: a move with the best score (fastest win, else a draw, else the slowest
    loss), ties broken at random by the env's generator so that games vary."""

    def __init__(self, rng: np.random.Generator, solver: Solver | None = None) -> None:
        self.rng = rng
        self.solver = solver

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        allowed = np.asarray(action_mask, dtype=bool)
        if not allowed.any():
            raise ValueError("the perfect player was given no legal move")
        values = (self.solver or shared_solver()).move_values(Board.from_planes(obs))
        values[~allowed] = np.nan
        if np.isnan(values).all():
            raise ValueError("the perfect player was given no legal move")
        best = np.flatnonzero(values == np.nanmax(values))
        return int(best[int(self.rng.random() * len(best))])


SOLVER_NODE_BUDGET = 2_000_000  # positions per column solve: about a second a move at worst on this CPU
SOLVER_FALLBACK_DEPTH = 6  # minimax:6: 0.5 s on the empty board here (minimax:8 takes ~45 s there)


class BudgetedSolverPlayer:
    """The built-in ``solver`` opponent: the exact best move whenever every column solves within
    :data:`SOLVER_NODE_BUDGET` positions, else ``minimax:6``. It is *not* perfect play: early positions (without an
    opening book) need minutes to hours to solve, so there it plays the fallback; from the middle game on it plays
    perfectly. ``fallbacks`` / ``exact`` count its moves of each kind."""

    def __init__(self, rng: np.random.Generator, solver: Solver) -> None:
        self.perfect = PerfectPlayer(rng, solver)
        self.exact = self.fallbacks = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        try:
            move = self.perfect(obs, action_mask)
        except SearchBudgetExceeded:
            self.fallbacks += 1
            return minimax_move(Board.from_planes(obs), SOLVER_FALLBACK_DEPTH)
        self.exact += 1
        return move


_BUDGETED: Solver | None = None


def budgeted_solver_player(rng: np.random.Generator) -> BudgetedSolverPlayer:
    """``solver`` for the registry: every such player shares one capped solver (one 80 MB table)."""
    global _BUDGETED
    if _BUDGETED is None:
        _BUDGETED = Solver(node_limit=SOLVER_NODE_BUDGET)
    return BudgetedSolverPlayer(rng, _BUDGETED)
