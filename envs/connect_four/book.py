"""The opening book of the Connect Four solver: the exact score of every running position up to a few plies.

Early positions are the solver's slow ones (minutes near the empty board), so the book keeps their scores,
computed by the solver itself: the positions of the deepest ply are searched, every shallower one is the best
of its children. A position and its mirror image share one entry.

    python -m envs.connect_four.book --max-ply 2 [--out assets/connect_four_book.npz]

File format (numpy .npz, no pickles): ``keys`` int64, sorted and unique, each ``min(key, mirrored key)`` with
``key = discs of the side to move + all discs`` (the bitboards of envs/connect_four/rules.py); ``scores``
int8, the Pons score for the side to move; ``max_ply``, the deepest ply the book covers completely.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from envs.connect_four.rules import COLS, COLUMN_BITS, ROWS, has_four
from envs.connect_four.solver import BOOK_PATH, CELLS, Solver, canonical_key, drop, load_book


def positions_by_ply(max_ply: int, root: tuple[int, int] = (0, 0)) -> list[dict[int, tuple[int, int]]]:
    """For each ply from the root's to ``max_ply``: {canonical key: (discs of the side to move, all discs)} of
    the running positions reachable from ``root`` (the empty board by default)."""
    levels: list[dict[int, tuple[int, int]]] = [{canonical_key(*root): root}]
    for _ in range(max_ply - (root[1]).bit_count()):
        level: dict[int, tuple[int, int]] = {}
        for current, mask in levels[-1].values():
            for col in range(COLS):
                if mask & (1 << (col * COLUMN_BITS + ROWS - 1)):
                    continue
                move = drop(mask, col)
                if has_four(current | move):
                    continue  # the game ends: nothing to store
                child = (current ^ mask, mask | move)
                level.setdefault(canonical_key(*child), child)
        levels.append(level)
    return levels


def generate(max_ply: int, solver: Solver | None = None, root: tuple[int, int] = (0, 0)) -> dict[int, int]:
    """Scores of every running position of at most ``max_ply`` plies reachable from ``root`` (default: the empty
    board): the deepest searched, the rest backed up from their children."""
    solver = solver or Solver(book_path=None)
    levels = positions_by_ply(max_ply, root)
    root_ply = root[1].bit_count()
    book: dict[int, int] = {}
    start = time.perf_counter()
    deepest = levels[-1]
    for index, (key, (current, mask)) in enumerate(sorted(deepest.items())):
        book[key] = solver.score_bits(current, mask, max_ply)
        print(f"ply {max_ply}: {index + 1}/{len(deepest)} solved ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)
    for ply in range(max_ply - 1, root_ply - 1, -1):
        for key, (current, mask) in levels[ply - root_ply].items():
            book[key] = max(child_score(current, mask, ply, col, book) for col in range(COLS)
                            if not mask & (1 << (col * COLUMN_BITS + ROWS - 1)))
    return book


def child_score(current: int, mask: int, ply: int, col: int, book: dict[int, int]) -> int:
    """The score the side to move gets by playing ``col``, from the book's entry for the next ply."""
    move = drop(mask, col)
    if has_four(current | move):
        return (CELLS + 1 - ply) // 2
    return -book[canonical_key(current ^ mask, mask | move)]


def save_book(book: dict[int, int], max_ply: int, path: Path) -> None:
    keys = np.array(sorted(book), dtype=np.int64)
    scores = np.array([book[key] for key in keys.tolist()], dtype=np.int8)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(temporary, keys=keys, scores=scores, max_ply=np.int64(max_ply))
    temporary.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-ply", type=int, default=2, help="the deepest ply covered (default 2)")
    parser.add_argument("--out", type=Path, default=BOOK_PATH, help=f"where to write it (default {BOOK_PATH})")
    args = parser.parse_args()
    if not 0 <= args.max_ply < CELLS:
        parser.error("--max-ply must lie in 0..41")
    start = time.perf_counter()
    book = generate(args.max_ply)
    save_book(book, args.max_ply, args.out)
    load_book(args.out)  # the file reads back as a valid book
    print(f"{len(book)} positions up to ply {args.max_ply} in {time.perf_counter() - start:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
