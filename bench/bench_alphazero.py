"""AlphaZero speed on this machine: self-play simulations/s, where the time goes, games/hour and move time.

For each game, the learner of the preset (``--set`` overrides it; ``--checkpoint`` loads trained weights instead of
a fresh network) plays self-play games without training until every parallel game has finished once. The time is
split three ways: the network (the evaluator callback, batched), the engine (copy, apply, legal_actions, planes,
movers, is_over, result of envs/<game>/rules.py, timed by wrappers that add ~0.3 us a call) and the tree (the rest:
selection, expansion, backup, batching). Then single-game play: the loaded agent's move time at its top level
(``play_simulations``, leaves batched with virtual loss), the number the <= 1 s target is about.

Wall-clock numbers depend on what else runs: on a shared machine compare the CPU-time column too.
Prints a table and a final JSON line.

    python bench/bench_alphazero.py [--env dojo/ConnectFour-v0] [--checkpoint PATH] [--set simulations=100 ...]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from agents.alphazero import AlphaZeroLearner, AlphaZeroPolicy, policy_from_checkpoint  # noqa: E402
from agents.checkpoint import load_checkpoint  # noqa: E402
from agents.config import apply_overrides, build_config, preset_for  # noqa: E402
from agents.trainer import TRAINER_KEYS  # noqa: E402
from envs.connect_four.rules import Board  # noqa: E402
from envs.tron.rules import TronGame  # noqa: E402

ENGINE_METHODS = ("copy", "apply", "legal_actions", "planes", "movers", "is_over", "result")
GAMES = ("dojo/ConnectFour-v0", "dojo/Tron-v0")


class EngineClock:
    """Wraps the engine classes' methods with timers; only the outermost engine call counts (no double counting)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._depth = 0
        self._saved: list[tuple[type, str, Any]] = []

    def install(self) -> None:
        for cls in (Board, TronGame):
            for name in ENGINE_METHODS:
                original = getattr(cls, name)
                self._saved.append((cls, name, original))
                setattr(cls, name, self._timed(original))

    def remove(self) -> None:
        for cls, name, original in self._saved:
            setattr(cls, name, original)
        self._saved.clear()

    def _timed(self, method: Any) -> Any:
        clock = self

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if clock._depth:
                return method(*args, **kwargs)
            clock._depth += 1
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.calls += 1
                clock._depth -= 1

        return timed


def learner_for(env_id: str, overrides: list[str], checkpoint: str | None) -> AlphaZeroLearner:
    if checkpoint:
        data = load_checkpoint(checkpoint)
        config = apply_overrides(build_config(AlphaZeroLearner.config_class, data["config"]), overrides)
        learner = AlphaZeroLearner(data["env_id"], data["env_kwargs"], config, torch.device("cpu"), 0)
        trained = policy_from_checkpoint(data, config, torch.device("cpu"))
        learner.net.load_state_dict(trained.evaluator.net.state_dict())
        learner.net.eval()
        learner.evaluator.refresh()
        return learner
    _, preset = preset_for("alphazero", env_id)
    for key in TRAINER_KEYS:
        preset.pop(key, None)
    config = apply_overrides(build_config(AlphaZeroLearner.config_class, preset), overrides)
    return AlphaZeroLearner(env_id, {}, config, torch.device("cpu"), 0)


def self_play(learner: AlphaZeroLearner, max_seconds: float) -> dict[str, float]:
    """Self-play without training until every game slot has finished its first game (or the time cap): the
    first games of all slots give an unbiased mean length (the first few to finish are the short ones)."""
    learner.config.min_replay = 10**12  # no training: this measures self-play alone
    learner.advance()  # warm-up: the first batches pay for oneDNN's kernel setup
    learner.games = [learner._new_game() for _ in learner.games]
    before = dict(learner.search_stats)
    clock = EngineClock()
    clock.install()
    first_lengths: dict[int, int] = {}
    moves = 0
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        while len(first_lengths) < len(learner.games) and time.perf_counter() - wall < max_seconds:
            lengths = [len(game.moves) + 1 for game in learner.games]
            steps = learner.steps
            learner.advance()
            moves += learner.steps - steps
            for slot, game in enumerate(learner.games):
                if not game.moves and slot not in first_lengths:  # the slot's first game just ended
                    first_lengths[slot] = lengths[slot]
    finally:
        clock.remove()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats = {key: learner.search_stats[key] - before[key] for key in before}
    network, engine = stats["evaluator_s"], clock.seconds
    plies = float(np.mean(list(first_lengths.values()))) if first_lengths else float("nan")
    return {"sims_per_s": stats["simulations"] / wall, "sims_per_cpu_s": stats["simulations"] / cpu,
            "network_share": network / wall, "engine_share": engine / wall,
            "tree_share": max(0.0, wall - network - engine) / wall,
            "positions_per_sim": stats["positions"] / max(1.0, stats["simulations"]),
            "moves_per_s": moves / wall, "mean_plies": plies, "games_per_hour": 3600 * moves / wall / plies,
            "games_per_cpu_hour": 3600 * moves / cpu / plies, "finished_slots": len(first_lengths),
            "wall_s": wall, "cpu_s": cpu}


def play(policy: AlphaZeroPolicy, positions: list[np.ndarray]) -> dict[str, float]:
    policy.act(positions[0])  # warm-up
    wall = cpu = 0.0
    for obs in positions:
        fresh = policy.with_budget(policy.simulations)  # a policy keeps its last search: time a new one
        started, started_cpu = time.perf_counter(), time.process_time()
        fresh.act(obs)
        wall, cpu = wall + time.perf_counter() - started, cpu + time.process_time() - started_cpu
    return {"simulations": policy.simulations, "move_s": wall / len(positions), "move_cpu_s": cpu / len(positions),
            "play_sims_per_s": policy.simulations * len(positions) / wall}


def sample_positions(learner: AlphaZeroLearner, count: int) -> list[np.ndarray]:
    """The start position and positions of the self-play games now in flight, from the mover's side."""
    positions = [learner.start.planes(0)]
    for game in learner.games:
        engine = game.tree.engine
        if len(positions) < count and not engine.is_over():
            positions.append(engine.planes(engine.movers()[0]))
    return positions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=GAMES, help="one game (default: both)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="self-play time cap per game (default 600)")
    parser.add_argument("--play-moves", type=int, default=5, help="single-game moves timed (default 5)")
    parser.add_argument("--checkpoint", help="an alphazero checkpoint: its network and config (one game)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="config overrides")
    args = parser.parse_args()
    torch.set_num_threads(1)
    games = [load_checkpoint(args.checkpoint)["env_id"]] if args.checkpoint else [args.env] if args.env else GAMES
    results: dict[str, Any] = {"torch_threads": 1}
    print(f"{'game':<22}{'sims/s':>9}{'sims/cpu-s':>11}{'network':>9}{'engine':>8}{'tree':>7}{'moves/s':>9}"
          f"{'plies':>7}{'games/h':>9}{'games/cpu-h':>12}{'move s':>8}{'cpu s':>7}{'at sims':>8}", flush=True)
    for env_id in games:
        learner = learner_for(env_id, args.set, args.checkpoint)
        selfplay = self_play(learner, args.max_seconds)
        policy = learner.policy.with_budget(learner.config.play_simulations)
        single = play(policy, sample_positions(learner, args.play_moves))
        results[env_id] = {**{key: round(value, 4) for key, value in {**selfplay, **single}.items()},
                           "config": {key: getattr(learner.config, key) for key in
                                      ("games", "simulations", "fast_simulations", "full_search_share", "channels",
                                       "blocks", "play_simulations", "play_leaves")}}
        print(f"{env_id:<22}{selfplay['sims_per_s']:>9.0f}{selfplay['sims_per_cpu_s']:>11.0f}"
              f"{selfplay['network_share']:>9.0%}{selfplay['engine_share']:>8.0%}{selfplay['tree_share']:>7.0%}"
              f"{selfplay['moves_per_s']:>9.1f}{selfplay['mean_plies']:>7.1f}{selfplay['games_per_hour']:>9.0f}"
              f"{selfplay['games_per_cpu_hour']:>12.0f}{single['move_s']:>8.2f}{single['move_cpu_s']:>7.2f}"
              f"{single['simulations']:>8}", flush=True)
    print(json.dumps(results).replace("NaN", "null"))  # a self-play cap that ended before any game: no length


if __name__ == "__main__":
    main()
