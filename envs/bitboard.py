"""Square grids as python-int bitboards: the one flood fill that the games, their bots and their lookaheads share.

Each row gets a guard bit (always 0) so horizontal shifts cannot wrap into the next row; one BFS step for every
cell at once is then five shifts and an and.
"""

from __future__ import annotations

import numpy as np


def to_bitboard(cells: np.ndarray) -> int:
    """A bool (size, size) array as a python int, one guard bit (always 0) after each row."""
    size = cells.shape[0]
    padded = np.zeros((size, size + 1), dtype=bool)
    padded[:, :size] = cells
    return int.from_bytes(np.packbits(padded.ravel(), bitorder="little").tobytes(), "little")


def from_bitboard(bits: int, size: int) -> np.ndarray:
    """The inverse of :func:`to_bitboard`: a uint8 (size, size) array of 0/1."""
    stride = size + 1
    raw = np.frombuffer(bits.to_bytes((size * stride + 7) // 8, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[: size * stride].reshape(size, stride)[:, :size]


def grow(region: int, stride: int) -> int:
    """``region`` plus its four-neighbours (unmasked: and it with the free cells)."""
    return region | (region << 1) | (region >> 1) | (region << stride) | (region >> stride)


def flood(region: int, allowed: int, stride: int) -> int:
    """``region`` grown through the ``allowed`` cells until it stops growing (a flood fill)."""
    while True:
        grown = grow(region, stride) & allowed
        if grown == region:
            return region
        region = grown


def board_cells(size: int) -> int:
    """Every cell of a size x size board as a bitboard (the guard bits clear)."""
    return _BOARD_CELLS.get(size) or _BOARD_CELLS.setdefault(size, to_bitboard(np.ones((size, size), dtype=bool)))


_BOARD_CELLS: dict[int, int] = {}

# ----- row bitboards: one uint64 per row, for the compiled (numba) searches ------------------------------
# Python ints cannot enter numba code, so the compiled Tron search keeps the same bit layout as a numpy array
# of rows (arenas up to 64 wide; a row's bits past the width stay 0). ``grow_rows`` is written in the subset
# numba compiles; envs/tron/chambers.py compiles it, so this module itself never imports numba.
MAX_ROW_WIDTH = 64


def to_rows(cells: np.ndarray) -> np.ndarray:
    """A bool (size, size) array as uint64 rows: bit ``col`` of row ``row`` is ``cells[row, col]``."""
    size = cells.shape[1]
    if size > MAX_ROW_WIDTH:
        raise ValueError(f"row bitboards hold at most {MAX_ROW_WIDTH} columns, got {size}")
    weights = np.left_shift(np.uint64(1), np.arange(size, dtype=np.uint64))
    return (np.asarray(cells, dtype=bool) * weights).sum(axis=1, dtype=np.uint64)


def from_rows(rows: np.ndarray, size: int) -> np.ndarray:
    """The inverse of :func:`to_rows`: a uint8 (rows, size) array of 0/1."""
    shifts = np.arange(size, dtype=np.uint64)
    return ((rows[:, None] >> shifts[None, :]) & np.uint64(1)).astype(np.uint8)


def grow_rows(region: np.ndarray, free: np.ndarray, out: np.ndarray) -> None:
    """``out`` = (``region`` plus its four-neighbours) and ``free``, row by row (``free`` keeps rows from wrapping)."""
    last = region.shape[0] - 1
    one = np.uint64(1)
    for row in range(last + 1):
        grown = region[row] | (region[row] << one) | (region[row] >> one)
        if row > 0:
            grown |= region[row - 1]
        if row < last:
            grown |= region[row + 1]
        out[row] = grown & free[row]
