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
