"""Self-play throughput with the games played in this process, or in 1, 2... Ray workers (``--set workers=N``).

A fixed small config (the Connect Four preset's 32x4 network, fewer simulations: 40 full / 8 cheap, 16 games per
process) plays without training (min_replay out of reach), so only self-play is measured. Each mode warms up first
(in-process: one move; workers: until every worker has handed back a batch, so actor start-up is left out), then
counts moves, training positions and finished games for ``--seconds``, and the CPU time spent (this process's,
plus the workers' own CPU time for their batches): games per CPU-hour tells the cost of the workers apart from how
busy the shared cores are. Worker counts above the free cores only
queue. Ray runs locally on this machine's cores, started once here. Prints a table, then a final JSON line.

    python bench/bench_selfplay_workers.py [--workers 0,1,2] [--seconds 45] [--set games=32 ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from agents.alphazero import AlphaZeroConfig, AlphaZeroLearner  # noqa: E402
from agents.config import apply_overrides, build_config, preset_for  # noqa: E402
from agents.trainer import TRAINER_KEYS  # noqa: E402

ENV = "dojo/ConnectFour-v0"
SMALL = ["simulations=40", "fast_simulations=8", "games=16", "eval_simulations=4", "min_replay=5000000"]


def small_config(overrides: list[str]) -> AlphaZeroConfig:
    _, preset = preset_for("alphazero", ENV)
    for key in TRAINER_KEYS:
        preset.pop(key, None)
    return apply_overrides(build_config(AlphaZeroConfig, preset), [*SMALL, *overrides])


def measure(config: AlphaZeroConfig, workers: int, seconds: float) -> dict[str, float]:
    learner = AlphaZeroLearner(ENV, {}, replace(config, workers=workers), torch.device("cpu"), seed=0)
    try:
        started = time.perf_counter()
        learner.advance()
        while workers and min(learner.workers.reported) == 0:  # every worker is up and has played a batch
            learner.advance()
        warmup = time.perf_counter() - started
        steps, positions, episodes = learner.steps, learner.replay.size, learner.episodes
        worker_cpu = learner.workers.cpu_s if workers else 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            learner.advance()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cpu += learner.workers.cpu_s - worker_cpu if workers else 0.0
    finally:
        learner.close()
    games = learner.episodes - episodes
    return {"workers": workers, "games_per_hour": 3600 * games / wall, "moves_per_s": (learner.steps - steps) / wall,
            "positions_per_s": (learner.replay.size - positions) / wall, "games_per_cpu_hour": 3600 * games / cpu,
            "games": games, "wall_s": wall, "cpu_s": cpu, "warmup_s": warmup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="0,1,2", help="comma-separated worker counts (0: in this process)")
    parser.add_argument("--seconds", type=float, default=45.0, help="measured seconds per mode")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = small_config(args.overrides)
    counts = [int(count) for count in args.workers.split(",")]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if any(counts):
        import ray

        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    rows = [measure(config, count, args.seconds) for count in counts]
    base = rows[0]["games_per_hour"]
    print(f"\nSelf-play on {ENV}, {config.channels}x{config.blocks} net, {config.simulations}/"
          f"{config.fast_simulations} sims (full share {config.full_search_share}), {config.games} games per process, "
          f"{cores} cores, load {os.getloadavg()[0]:.1f}\n")
    print("| self-play | games/h | moves/s | positions/s | speed-up | games/CPU-h | CPU/wall | games | warm-up s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        where = "in-process" if row["workers"] == 0 else f"{row['workers']} worker{'s' * (row['workers'] > 1)}"
        print(f"| {where} | {row['games_per_hour']:,.0f} | {row['moves_per_s']:.1f} | {row['positions_per_s']:.1f} | "
              f"{row['games_per_hour'] / base:.2f}x | {row['games_per_cpu_hour']:,.0f} | "
              f"{row['cpu_s'] / row['wall_s']:.2f} | {row['games']} | {row['warmup_s']:.1f} |")
    print(json.dumps({"env": ENV, "cores": cores, "games_per_process": config.games,
                      "simulations": [config.simulations, config.fast_simulations],
                      "rows": [{key: round(value, 2) for key, value in row.items()} for row in rows]}))


if __name__ == "__main__":
    main()
