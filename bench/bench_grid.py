"""Grid-game training benchmark: trains the shipped presets and measures what they reach.

- DQN on Maze 9x9 (one pinned maze): success rate from the start corner and from random start cells.
- Q-learning on the same Maze (cell-index observation): success rate from the corner.
- DQN on Connect Four vs `random`: win rate as first and as second player, 200 games each.

Prints a table and a final JSON line.

    python bench/bench_grid.py [--games 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents import load_agent  # noqa: E402
from agents.common import play_episodes  # noqa: E402
from agents.trainer import Trainer  # noqa: E402


def train(agent: str, env_id: str, device: str, run_dir: Path) -> tuple[str, float]:
    start = time.perf_counter()
    trainer = Trainer(agent, env_id, seed=0, device=device, run_dir=run_dir)
    trainer.run(progress=False)
    return str(run_dir / "checkpoints" / "best.pt"), time.perf_counter() - start


def success_rate(path: str, games: int, **changes: object) -> float:
    agent = load_agent(path)
    outcome = play_episodes(agent.act_batch, agent.env_id, {**agent.env_kwargs, **changes}, games, seed=777)
    return float(outcome.successes.mean())


def win_rate(path: str, games: int, agent_first: bool, opponent: str = "random") -> float:
    agent = load_agent(path)
    kwargs = {**agent.env_kwargs, "agent_first": agent_first, "opponent": opponent}
    returns = play_episodes(agent.act_batch, agent.env_id, kwargs, games, seed=4242).returns
    return float((returns > 0).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200, help="games per measurement (default 200)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="dojo-grid-") as workdir:
        print(f"{'preset':<30}{'train s':>9}  measurement")
        path, seconds = train("dqn", "dojo/Maze-v0", args.device, Path(workdir) / "maze-dqn")
        corner, anywhere = success_rate(path, args.games), success_rate(path, args.games, random_start=True)
        results["dqn/Maze-v0"] = {"train_s": round(seconds, 1), "success_from_corner": corner,
                                  "success_from_random_starts": anywhere}
        print(f"{'dqn/dojo/Maze-v0':<30}{seconds:>9.1f}  success {corner:.0%} from the corner, "
              f"{anywhere:.0%} from random starts", flush=True)
        path, seconds = train("qlearning", "dojo/Maze-v0", args.device, Path(workdir) / "maze-q")
        corner = success_rate(path, args.games)
        results["qlearning/Maze-v0"] = {"train_s": round(seconds, 1), "success_from_corner": corner}
        print(f"{'qlearning/dojo/Maze-v0':<30}{seconds:>9.1f}  success {corner:.0%} from the corner", flush=True)
        path, seconds = train("dqn", "dojo/ConnectFour-v0", args.device, Path(workdir) / "c4-dqn")
        first, second = win_rate(path, args.games, True), win_rate(path, args.games, False)
        results["dqn/ConnectFour-v0"] = {"train_s": round(seconds, 1), "win_rate_first": first,
                                         "win_rate_second": second, "games_each": args.games}
        print(f"{'dqn/dojo/ConnectFour-v0':<30}{seconds:>9.1f}  vs random: {first:.1%} wins first, "
              f"{second:.1%} wins second ({args.games} games each)", flush=True)
    print(json.dumps({"bench": "grid", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
