"""Square grids as python-int bitboards, for flood fills shared by the games and their lookaheads.

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
