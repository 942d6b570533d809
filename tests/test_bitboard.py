"""Grid bitboards (envs/bitboard.py): exact round trips, and growth that never wraps around a row's end."""

import numpy as np
import pytest

from envs.bitboard import from_bitboard, from_rows, grow, grow_rows, to_bitboard, to_rows


@pytest.mark.parametrize("size", [4, 10, 16])
def test_round_trip(size):
    cells = np.random.default_rng(size).random((size, size)) < 0.4
    np.testing.assert_array_equal(from_bitboard(to_bitboard(cells), size), cells.astype(np.uint8))


@pytest.mark.parametrize("row, col, expected", [
    (0, 0, {(0, 0), (0, 1), (1, 0)}),
    (2, 4, {(2, 4), (2, 3), (1, 4), (3, 4)}),  # the right edge: nothing leaks into the next row
    (4, 0, {(4, 0), (4, 1), (3, 0)}),  # the bottom-left corner: nothing leaks into the row above's end
])
def test_grow_reaches_the_four_neighbours_only(row, col, expected):
    size = 5
    start = np.zeros((size, size), dtype=bool)
    start[row, col] = True
    everywhere = to_bitboard(np.ones((size, size), dtype=bool))
    grown = from_bitboard(grow(to_bitboard(start), size + 1) & everywhere, size)
    assert {tuple(cell) for cell in np.argwhere(grown)} == expected


@pytest.mark.parametrize("size", [4, 10, 16, 64])
def test_rows_round_trip_and_grow_like_the_int_bitboards(size):
    rng = np.random.default_rng(size)
    cells, free = rng.random((size, size)) < 0.2, rng.random((size, size)) < 0.7
    rows = to_rows(cells)
    np.testing.assert_array_equal(from_rows(rows, size), cells.astype(np.uint8))
    grown = np.zeros(size, dtype=np.uint64)
    grow_rows(rows, to_rows(free), grown)
    expected = from_bitboard(grow(to_bitboard(cells), size + 1) & to_bitboard(free), size)
    np.testing.assert_array_equal(from_rows(grown, size), expected)


def test_rows_refuse_arenas_wider_than_a_word():
    with pytest.raises(ValueError, match="64"):
        to_rows(np.zeros((65, 65), dtype=bool))
