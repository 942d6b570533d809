"""Tron territory: which free cells each cycle reaches first (a Voronoi split of the arena by BFS distance).

Why: a Tron game is decided by space. A cycle cut off into the smaller region loses, and the cells a cycle reaches
before the other are the space it can claim. A network reading raw trails must discover flood fills on its own;
these two planes hand it the split directly, and the lookahead uses the same fill to tell when the cycles are
separated.

Both fills run on python-int bitboards: each row gets a guard bit so horizontal shifts cannot wrap, and one BFS
step for every cell at once is five shifts and an and (a 16x16 split costs tens of microseconds).
"""

from __future__ import annotations

import numpy as np

from envs.bitboard import board_cells, from_bitboard, grow
from envs.tron.rules import TronGame

TERRITORY_PLANES = 2  # cells the own head reaches first, cells the other head reaches first (ties in neither)


def split(free: int, own_head: int, other_head: int, stride: int) -> tuple[int, int, bool]:
    """(cells the own head reaches first, cells the other head reaches first, whether the heads' fills meet).

    ``free`` holds the free cells, the heads are single bits (heads are trail cells, so not in ``free``).
    Each BFS front grows by one step per round; a cell both fronts reach in the same round is a tie, owned by
    neither but passed on by both (cells beyond it are at equal distance from both heads too).
    """
    own_front, other_front = own_head, other_head
    own = other = claimed = 0
    while own_front or other_front:
        own_next = grow(own_front, stride) & free & ~claimed
        other_next = grow(other_front, stride) & free & ~claimed
        tie = own_next & other_next
        own |= own_next & ~tie
        other |= other_next & ~tie
        claimed |= own_next | other_next
        own_front, other_front = own_next, other_next
    # The fills meet where a tie was found or one side's cells touch the other's.
    meet = bool(claimed & ~own & ~other) or bool(grow(own, stride) & other)
    return own, other, meet


def free_cells(game: TronGame) -> int:
    """The arena's free cells as a bitboard."""
    return board_cells(game.size) & ~game.trail_bits()


def game_split(game: TronGame) -> tuple[int, int, bool]:
    """:func:`split` of ``game`` from seat 0's side: (seat 0's cells, seat 1's cells, whether the fills meet)."""
    return split(free_cells(game), game.cell_bit(game.heads[0]), game.cell_bit(game.heads[1]), game.size + 1)


def territory_planes(game: TronGame) -> np.ndarray:
    """Uint8 (2, size, size) of 0/1 from seat 0's point of view: the cells seat 0 / seat 1 reaches first (for seat
    1's view turn them 180 degrees and swap them, as its observation is)."""
    own, other, _ = game_split(game)
    return np.stack([from_bitboard(own, game.size), from_bitboard(other, game.size)])
