"""How long the perfect Connect Four solver takes, by ply, on positions from real and from random play.

Real-play positions come from the accuracy bench's set (bench/data/c4_positions.json); random-play positions
from seeded uniform play. Each position is solved from an empty transposition table (the worst case: the bot
and the benches reuse theirs), with a cap of ``--node-limit`` positions searched; a capped solve counts in
``over`` and its time in the maximum. Also reports the warm-up: the first solve in a fresh process, which
compiles the search (or loads numba's cache of it).

    python bench/bench_c4_solver.py [--per-bucket 8] [--node-limit 30000000]

Prints a table, then a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_c4_accuracy import DATA, replay_text  # noqa: E402
from envs.connect_four.rules import Board  # noqa: E402
from envs.connect_four.solver import SearchBudgetExceeded, Solver  # noqa: E402

BUCKETS = ((8, 11), (12, 15), (16, 19), (20, 24), (25, 41))
WARM_UP = ("import time; start = time.perf_counter(); from envs.connect_four.rules import Board; "
           "from envs.connect_four.solver import solve; board = Board(); "
           "[board.play(int(c)) for c in '2631404143656454562566012250']; solve(board); "
           "print(time.perf_counter() - start)")  # a 28-ply position: the search itself takes milliseconds


def random_board(plies: int, rng: np.random.Generator) -> Board:
    while True:
        board = Board()
        while len(board.history) < plies and not board.is_over():
            board.play(int(rng.choice(board.legal_moves())))
        if not board.is_over():
            return board


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-bucket", type=int, default=8, help="positions per ply bucket and source")
    parser.add_argument("--node-limit", type=int, default=30_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as cache:  # an empty numba cache: the first run compiles, the next loads
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        warm = [float(subprocess.run([sys.executable, "-c", WARM_UP], cwd=root, capture_output=True, text=True,
                                     check=True, env=environment).stdout) for _ in range(2)]
    print(f"warm-up (first solve in a fresh process): {warm[0]:.2f} s compiling, {warm[1]:.2f} s from numba's cache")
    rng = np.random.default_rng(args.seed)
    real = [entry["moves"] for entry in json.loads(DATA.read_text())] if DATA.is_file() else []
    solver = Solver(book_path=None, node_limit=args.node_limit)
    solver.score(random_board(30, rng))  # compile before timing
    print(f"{'source':<8}{'plies':<8}{'n':>4}{'mean s':>9}{'max s':>9}{'max Mnodes':>12}{'over':>6}")
    results = {}
    for source in ("real", "random"):
        for low, high in BUCKETS:
            if source == "real":
                pool = [moves for moves in real if low <= len(moves) <= high]
                boards = [replay_text(pool[index]) for index in rng.permutation(len(pool))[:args.per_bucket]]
            else:
                boards = [random_board(int(rng.integers(low, high + 1)), rng) for _ in range(args.per_bucket)]
            times, nodes, over = [], [], 0
            for board in boards:
                solver.clear()
                before, tick = solver.nodes, time.perf_counter()
                try:
                    solver.score(board)
                except SearchBudgetExceeded:
                    over += 1
                times.append(time.perf_counter() - tick)
                nodes.append(solver.nodes - before)
            name = f"{low}-{high}" if high < 41 else f"{low}+"
            line = {"positions": len(times), "mean_s": float(np.mean(times)) if times else None,
                    "max_s": max(times, default=None), "max_nodes": max(nodes, default=None), "over_limit": over}
            results[f"{source} {name}"] = line
            if times:
                print(f"{source:<8}{name:<8}{len(times):>4}{line['mean_s']:>9.3f}{line['max_s']:>9.3f}"
                      f"{line['max_nodes'] / 1e6:>12.1f}{over:>6}", flush=True)
    print(json.dumps({"bench": "c4_solver", "warm_up_s": warm, "node_limit": args.node_limit, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
