"""The perfect-play search behind envs/connect_four/solver.py, compiled with numba (imported only on first solve).

Pascal Pons' design (http://blog.gamesolver.org): a position is two int64 bitboards in the layout of
``rules.py`` (column ``c`` owns bits ``c * 7 .. c * 7 + 6``, bottom first, one sentinel bit): ``current``, the
discs of the side to move, and ``mask``, every disc. The score of a position for the side to move is

    +(22 - n)  if it wins with its n-th disc,   -(22 - n)  if the other side wins with its n-th disc,   0  draw,

so a faster win scores higher and a slower loss scores higher (range -18 .. 18 on the 7x6 board).

The search is negamax with alpha-beta, called with null windows (alpha, alpha + 1) by :func:`solve`, which
bisects the score range (Pons' "iterative deepening"). Each node only tries moves that do not hand the other
side an immediate win (a forced block is the only move; a cell under an opponent's winning cell is never
played), explores them centre first and then by how many winning cells they create, and stores the bound it
proves in a transposition table (numpy arrays owned by the caller, so one table serves many solves). Before
searching its moves a node asks the table whether one of them is already known to refute the window (an
"enhanced transposition cutoff"), which saves a search whenever a transposition was solved elsewhere.
"""

from __future__ import annotations

import numba
import numpy as np

WIDTH, HEIGHT = 7, 6
CELLS = WIDTH * HEIGHT
STRIDE = HEIGHT + 1  # bits per column: six cells and the sentinel
MIN_SCORE = -(CELLS // 2) + 3  # the fastest possible loss: the other side wins with its 4th disc
MAX_SCORE = (CELLS + 1) // 2 - 3  # the fastest possible win
BOTTOM_MASK = sum(1 << (col * STRIDE) for col in range(WIDTH))
BOARD_MASK = BOTTOM_MASK * ((1 << HEIGHT) - 1)
COLUMN_MASKS = np.array([((1 << HEIGHT) - 1) << (col * STRIDE) for col in range(WIDTH)], dtype=np.int64)
CENTRE_FIRST = np.array([3, 2, 4, 1, 5, 0, 6], dtype=np.int64)
# The table: 2**23 slots in buckets of two, indexed by the key's low bits (a mask, not a division: measured
# 1.5x faster than Pons' prime-sized table of 32-bit partial keys), each keeping the whole 49-bit key, one int8
# bound and the log2 of the positions its search took; 80 MB. A bucket's first slot keeps the costlier search
# (Breuker's two-level replacement), the second the newest: with the cutoffs below, it searched about a third
# of the positions (half the time) of one always-replaced slot on 8-15-ply positions from real play (a one-off
# side-by-side run; bench/bench_c4_solver.py times the current search only).
TABLE_BITS = 23
ETC_PLIES = 30  # enhanced transposition cutoffs only this early: near the end the extra lookups cost more
UPPER_BOUND_LIMIT = MAX_SCORE - MIN_SCORE + 1  # stored values 1 .. this are upper bounds, above it lower bounds
LOWER_BOUND_OFFSET = UPPER_BOUND_LIMIT + 1 - MIN_SCORE


def jit(**options):
    """numba.njit, caching the machine code beside this file (or in the user's cache folder) when possible:
    a fresh process then starts solving in well under a second instead of compiling for several."""

    def decorate(function):
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError:  # no writable cache location (read-only install, no home): compile each run
            return numba.njit(cache=False, **options)(function)

    return decorate


SLOTS = 8  # the work array gives each ply 8 entries for its ordered moves
SCORE_BASE, NODE_INDEX, LIMIT_INDEX = CELLS * SLOTS, (CELLS + 1) * SLOTS, (CELLS + 1) * SLOTS + 1


def new_table(bits: int = TABLE_BITS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An empty transposition table of 2**bits slots: (keys, values, search sizes); value 0 marks an empty slot."""
    return np.zeros(1 << bits, dtype=np.int64), np.zeros(1 << bits, dtype=np.int8), np.zeros(1 << bits, dtype=np.int8)


def new_work() -> np.ndarray:
    """Scratch for one search, so nodes allocate nothing: ply p's ordered moves at p * SLOTS .., then the
    ordering scores at SCORE_BASE .., the count of nodes searched at NODE_INDEX and at LIMIT_INDEX the count
    at which the search gives up (its answer and the table are then meaningless: the caller clears both)."""
    work = np.zeros((CELLS + 2) * SLOTS, dtype=np.int64)
    work[LIMIT_INDEX] = np.iinfo(np.int64).max
    return work


@jit(inline="always")
def popcount(bits: int) -> int:
    count = 0
    while bits:
        bits &= bits - 1
        count += 1
    return count


@jit(inline="always")
def winning_cells(position: int, mask: int) -> int:
    """The empty cells (playable or not) that would complete a four for the owner of ``position``."""
    # vertical: three discs straight below
    found = (position << 1) & (position << 2) & (position << 3)
    # horizontal (shift 7) and the two diagonals (shifts 6 and 8), written out: numba then folds the shifts
    pair = (position << 7) & (position << 14)
    found |= (pair & (position << 21)) | (pair & (position >> 7))
    pair = (position >> 7) & (position >> 14)
    found |= (pair & (position << 7)) | (pair & (position >> 21))
    pair = (position << 6) & (position << 12)
    found |= (pair & (position << 18)) | (pair & (position >> 6))
    pair = (position >> 6) & (position >> 12)
    found |= (pair & (position << 6)) | (pair & (position >> 18))
    pair = (position << 8) & (position << 16)
    found |= (pair & (position << 24)) | (pair & (position >> 8))
    pair = (position >> 8) & (position >> 16)
    found |= (pair & (position << 8)) | (pair & (position >> 24))
    return found & (BOARD_MASK ^ mask)


@jit(inline="always")
def playable(mask: int) -> int:
    """One bit per non-full column: the cell a disc dropped there lands on."""
    return (mask + BOTTOM_MASK) & BOARD_MASK


@jit()
def can_win_now(current: int, mask: int) -> bool:
    return (winning_cells(current, mask) & playable(mask)) != 0


@jit(inline="always")
def non_losing_moves(current: int, mask: int) -> int:
    """The playable cells after which the other side cannot win at once (0: every move loses)."""
    moves = playable(mask)
    threats = winning_cells(current ^ mask, mask)
    forced = moves & threats
    if forced:
        if forced & (forced - 1):  # two cells to block: lost
            return 0
        moves = forced
    return moves & ~(threats >> 1)  # never fill the cell under an opponent's winning cell


@jit(inline="always")
def bucket_of(key: int, keys: np.ndarray) -> int:
    """The first of the two slots where ``key`` may be stored."""
    return (key & ((keys.shape[0] >> 1) - 1)) << 1


@jit(inline="always")
def store(keys: np.ndarray, values: np.ndarray, sizes: np.ndarray, bucket: int, key: int, value: int,
          searched: int) -> None:
    """Keep ``value`` for ``key``: in the first slot when its search (``searched`` positions) cost at least as
    much as the one kept there (or it is the same position), else in the second, always-replaced slot."""
    size = 0
    while searched > 1:
        searched >>= 1
        size += 1
    if keys[bucket] == key or size >= sizes[bucket]:
        keys[bucket] = key
        values[bucket] = np.int8(value)
        sizes[bucket] = np.int8(size)
    else:
        keys[bucket + 1] = key
        values[bucket + 1] = np.int8(value)


@jit()
def negamax(current: int, mask: int, moves: int, alpha: int, beta: int, keys: np.ndarray,
            values: np.ndarray, sizes: np.ndarray, work: np.ndarray) -> int:
    """The score if it lies in (alpha, beta); else a bound on the side the window was missed.

    Precondition: the side to move cannot win at once (the caller checks; non-losing moves keep it true).
    """
    work[NODE_INDEX] += 1
    if work[NODE_INDEX] > work[LIMIT_INDEX]:
        return alpha  # out of budget: unwind at once
    candidates = non_losing_moves(current, mask)
    if candidates == 0:
        return -((CELLS - moves) // 2)
    if moves >= CELLS - 2:  # neither side can win with the last two discs
        return 0
    low = -((CELLS - 2 - moves) // 2)  # the other side cannot win with its next disc
    if alpha < low:
        alpha = low
        if alpha >= beta:
            return alpha
    high = (CELLS - 1 - moves) // 2  # we cannot win with our next disc
    if beta > high:
        beta = high
        if alpha >= beta:
            return beta
    key = current + mask  # unique: per column, the discs of the mover plus the column's fill never carry
    bucket = bucket_of(key, keys)
    for slot in range(bucket, bucket + 2):
        if keys[slot] == key and values[slot] != 0:
            stored = np.int64(values[slot])
            if stored > UPPER_BOUND_LIMIT:
                bound = stored - LOWER_BOUND_OFFSET
                if alpha < bound:
                    alpha = bound
                    if alpha >= beta:
                        return alpha
            else:
                bound = stored + MIN_SCORE - 1
                if beta > bound:
                    beta = bound
                    if alpha >= beta:
                        return beta
    start = work[NODE_INDEX]
    # Order: more new winning cells first; among equals the more central column (insertion sort, stable).
    base = moves * SLOTS  # one frame per ply is alive at a time, so each ply owns a row (see new_work)
    count = 0
    for index in range(WIDTH - 1, -1, -1):
        move = candidates & COLUMN_MASKS[CENTRE_FIRST[index]]
        if move:
            score = popcount(winning_cells(current | move, mask))
            position = count
            count += 1
            while position and work[SCORE_BASE + position - 1] > score:
                work[base + position] = work[base + position - 1]
                work[SCORE_BASE + position] = work[SCORE_BASE + position - 1]
                position -= 1
            work[base + position] = move
            work[SCORE_BASE + position] = score
    if moves < ETC_PLIES:
        # A move whose resulting position has a stored upper bound u scores at least -u for us.
        for index in range(count - 1, -1, -1):
            child = (current ^ mask) + (mask | work[base + index])
            child_bucket = bucket_of(child, keys)
            for slot in range(child_bucket, child_bucket + 2):
                if keys[slot] == child and 0 < values[slot] <= UPPER_BOUND_LIMIT:
                    bound = -(np.int64(values[slot]) + MIN_SCORE - 1)
                    if bound >= beta:
                        return bound
    for index in range(count - 1, -1, -1):
        move = work[base + index]
        score = -negamax(current ^ mask, mask | move, moves + 1, -beta, -alpha, keys, values, sizes, work)
        if score >= beta:
            store(keys, values, sizes, bucket, key, score + LOWER_BOUND_OFFSET, work[NODE_INDEX] - start)
            return score
        if score > alpha:
            alpha = score
    store(keys, values, sizes, bucket, key, alpha - MIN_SCORE + 1, work[NODE_INDEX] - start)
    return alpha


@jit(inline="always")
def half_toward_zero(value: int) -> int:
    """value / 2 rounded toward zero (C's division, which the bisection below was designed with)."""
    return -((-value) // 2) if value < 0 else value // 2


@jit()
def solve(current: int, mask: int, moves: int, keys: np.ndarray, values: np.ndarray, sizes: np.ndarray,
          work: np.ndarray) -> int:
    """The exact score of a running position for the side to move, by null-window bisection."""
    if can_win_now(current, mask):
        return (CELLS + 1 - moves) // 2
    low = -((CELLS - moves) // 2)
    high = (CELLS + 1 - moves) // 2
    while low < high:
        # Probe near zero first: most positions are close to a draw, and short wins/losses are cheap.
        middle = low + (high - low) // 2
        if middle <= 0 and half_toward_zero(low) < middle:
            middle = half_toward_zero(low)
        elif middle >= 0 and half_toward_zero(high) > middle:
            middle = half_toward_zero(high)
        result = negamax(current, mask, moves, middle, middle + 1, keys, values, sizes, work)
        if work[NODE_INDEX] > work[LIMIT_INDEX]:
            return 0
        if result <= middle:
            high = result
        else:
            low = result
    return low
