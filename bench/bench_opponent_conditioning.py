"""Does conditioning on the opponent model help? DQN against `pattern`, trained with and without it.

For Connect Four and Tron, and for each seed: DQN (the game's preset, against `pattern` only) trains for the same
number of steps once with `opponent_model=false` and once with `opponent_model=true`; each agent then plays
`--games` greedy games against `pattern`, half in each seat. Reports the win rates (averaged over the seeds),
their difference, the opponent model's top-1 accuracy during training and the training time.

With ``--tron-search-depth D`` (D > 0) the Tron agents are the `strong` preset's (territory planes), both with a
D-tick lookahead: without the model it is the joint worst-case search, with it the search follows the model's
predicted line (2D ticks) and the network reads the board alone (agents/games/opponent.py).

Prints a table and a final JSON line.

    python bench/bench_opponent_conditioning.py [--seeds 0,1,2] [--c4-steps 8000] [--tron-steps 15000] [--games 200]
                                                [--only connect_four|tron] [--tron-search-depth 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.common import play_episodes  # noqa: E402
from agents.trainer import Trainer  # noqa: E402
from envs.registry import CONNECT_FOUR, TRON  # noqa: E402

GAMES = {game.env_id: (game.seat_kwarg, game.seat_values, game.name) for game in (CONNECT_FOUR, TRON)}


def train_and_play(env_id: str, steps: int, seed: int, opponent_model: bool, games: int,
                   search_depth: int = 0) -> dict[str, float]:
    """Train one agent; its win rate over ``games`` games against pattern (half per seat) and the model's accuracy."""
    seat_key, seats, _ = GAMES[env_id]
    # Both sides of the comparison search alike (or not at all): only the model differs.
    overrides = ["opponent_mix=[]", "curriculum=[]", f"search_depth={search_depth}",
                 f"opponent_model={str(opponent_model).lower()}"]
    start = time.perf_counter()
    trainer = Trainer("dqn", env_id, steps=steps, seed=seed, device="cpu", overrides=overrides,
                      env_kwargs={"opponent": "pattern", seat_key: "alternate"}, eval_every=steps, eval_episodes=10,
                      early_stop=False, write_logs=False, preset="strong" if search_depth else None)
    trainer.run(progress=False)
    train_s = time.perf_counter() - start
    policy = trainer.learner.policy
    tracker = trainer.learner.play.tracker if trainer.learner.play is not None else None
    wins = 0
    for index, seat in enumerate(seats):
        kwargs = {**trainer.env_kwargs, "opponent": "pattern", seat_key: seat}  # the preset's board, as trained
        returns = play_episodes(policy, env_id, kwargs, games // 2, seed=10_000 + 1_000 * seed + index).returns
        wins += int((returns > 0).sum())
    return {"win_rate": wins / (2 * (games // 2)), "train_s": train_s,
            "model_top1": tracker.predictor.accuracy if tracker is not None else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds (default 0,1,2)")
    parser.add_argument("--c4-steps", type=int, default=8000, help="Connect Four training steps (default 8000)")
    parser.add_argument("--tron-steps", type=int, default=15000, help="Tron training steps (default 15000)")
    parser.add_argument("--games", type=int, default=200, help="evaluation games per agent (default 200)")
    parser.add_argument("--only", choices=[name for _, _, name in GAMES.values()], help="run one game only")
    parser.add_argument("--tron-search-depth", type=int, default=0, choices=range(4), metavar="D",
                        help="Tron: the strong preset with a D-tick lookahead on both sides (default 0: none)")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    budgets = {env_id: steps for env_id, steps in ((CONNECT_FOUR.env_id, args.c4_steps), (TRON.env_id, args.tron_steps))
               if args.only in (None, GAMES[env_id][2])}

    print(f"{'game':<14}{'steps':>7}{'seeds':>6}{'without':>9}{'with':>7}{'delta':>8}{'model top-1':>12}"
          f"{'train s without/with':>22}", flush=True)
    results = []
    for env_id, steps in budgets.items():
        depth = args.tron_search_depth if GAMES[env_id][2] == "tron" else 0
        runs = {flag: [train_and_play(env_id, steps, seed, flag, args.games, depth) for seed in seeds]
                for flag in (False, True)}
        without = float(np.mean([run["win_rate"] for run in runs[False]]))
        with_model = float(np.mean([run["win_rate"] for run in runs[True]]))
        row = {"game": GAMES[env_id][2], "steps": steps, "search_depth": depth, "seeds": seeds, "games": args.games,
               "win_rate_without": round(without, 4), "win_rate_with": round(with_model, 4),
               "delta": round(with_model - without, 4),
               "per_seed_without": [run["win_rate"] for run in runs[False]],
               "per_seed_with": [run["win_rate"] for run in runs[True]],
               "model_top1": round(float(np.mean([run["model_top1"] for run in runs[True]])), 4),
               "train_s_without": round(float(np.mean([run["train_s"] for run in runs[False]])), 1),
               "train_s_with": round(float(np.mean([run["train_s"] for run in runs[True]])), 1)}
        results.append(row)
        label = row["game"] + (f" d{depth}" if depth else "")
        print(f"{label:<14}{steps:>7}{len(seeds):>6}{without:>9.3f}{with_model:>7.3f}{row['delta']:>+8.3f}"
              f"{row['model_top1']:>12.3f}{row['train_s_without']:>11.1f}/{row['train_s_with']:<10.1f}", flush=True)
    print(json.dumps({"bench": "opponent_conditioning", "opponent": "pattern", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
