"""Strength of the shipped grid-game agents (assets/agents/*.pt, or the checkpoints given), measured by matches.

- Connect Four: against random, minimax:2 and minimax:4, ``--games`` per line, half with the agent moving first
  and half second; with the agent's lookahead (its search_depth) and with the network alone.
- Tron 16x16: against space (and random), half in each seat.
- Snake 10x10: mean apples over ``--games // 2`` games (with its lookahead and the network alone).  Maze 9x9: share
  of mazes solved.

Deterministic opponents (minimax, space) would replay one game ``--games`` times, so those matches start with
a few random opening moves for both sides (``opening_moves``), as the strong presets evaluate.

    python bench/bench_match.py [--games 200] [--checkpoint dojo/Tron-v0=runs/.../best.pt ...] [--envs ENV ...]

Prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents import load_agent  # noqa: E402
from agents.common import play_episodes  # noqa: E402
from envs.registry import CONNECT_FOUR, MAZE, SNAKE, TRON, game  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
C4, TRON_ID, SNAKE_ID = CONNECT_FOUR.env_id, TRON.env_id, SNAKE.env_id
SHIPPED = {C4: "connect_four.pt", TRON_ID: "tron.pt", SNAKE_ID: "snake.pt", MAZE.env_id: "maze.pt"}
MATCHES = {C4: [("random", 0), ("minimax:2", 2), ("minimax:4", 2)], TRON_ID: [("random", 0), ("space", 3)]}
TARGETS = {(C4, "random"): 0.95, (C4, "minimax:2"): 0.80, (TRON_ID, "space"): 0.60}


def match(agent, opponent: str, opening_moves: int, games: int) -> dict[str, float]:
    """``games`` games against ``opponent``, half in each seat: win rates per seat and overall."""
    key, seats = game(agent.env_id).seat_kwarg, game(agent.env_id).seat_values
    kwargs = {**agent.env_kwargs, "opponent": opponent, "opening_moves": opening_moves}
    rates, draws = [], 0
    for index, seat in enumerate(seats):
        returns = play_episodes(agent, agent.env_id, {**kwargs, key: seat}, games // 2,
                                seed=9000 + 1000 * index).returns
        rates.append(float((returns > 0).mean()))
        draws += int((returns == 0).sum())
    return {"win_rate_first": rates[0], "win_rate_second": rates[1], "win_rate": float(np.mean(rates)),
            "draw_rate": draws / (2 * (games // 2))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200, help="games per match line (default 200)")
    parser.add_argument("--checkpoint", nargs="*", default=[], metavar="ENV=PATH",
                        help="measure these instead of the shipped agents")
    parser.add_argument("--envs", nargs="*", metavar="ENV", help="measure only these games (default: all)")
    args = parser.parse_args()
    paths = {env_id: ROOT / "assets" / "agents" / name for env_id, name in SHIPPED.items()
             if not args.envs or env_id in args.envs}
    for pair in args.checkpoint:
        env_id, _, path = pair.partition("=")
        paths[env_id] = Path(path)
    results: dict[str, dict] = {}
    print(f"{'game':<22}{'opponent':<14}{'agent':<18}{'first':>7}{'second':>8}{'total':>7}{'target':>8}{'s':>6}")
    for env_id, path in paths.items():
        if not path.is_file():
            print(f"{env_id:<22}(no checkpoint at {path})")
            continue
        agent = load_agent(path)
        start = time.perf_counter()
        variants = [("network", agent)]
        depth = getattr(getattr(agent, "play", None), "search_depth", 0)
        if depth:
            alone = agent.inner  # the same network acting on its own, in the same games
            alone.env_kwargs = dict(agent.env_kwargs)
            variants = [(f"net+search:{depth}", agent), ("network alone", alone)]
        if env_id in MATCHES:
            for opponent, opening in MATCHES[env_id]:
                for label, player in variants:
                    start = time.perf_counter()
                    line = match(player, opponent, opening, args.games)
                    target = TARGETS.get((env_id, opponent))
                    results[f"{env_id} vs {opponent} ({label})"] = {**line, "games": args.games, "target": target}
                    print(f"{env_id:<22}{opponent:<14}{label:<18}{line['win_rate_first']:>7.1%}"
                          f"{line['win_rate_second']:>8.1%}{line['win_rate']:>7.1%}"
                          f"{'' if target is None else format(target, '.0%'):>8}{time.perf_counter() - start:>6.0f}",
                          flush=True)
            continue
        for label, player in variants:
            start = time.perf_counter()
            outcome = play_episodes(player, env_id, agent.env_kwargs, args.games // 2 if
                                    env_id == SNAKE_ID else args.games, seed=777)
            if env_id == SNAKE_ID:
                value, what, target = float(outcome.scores.mean()), "mean apples", 20
                text = f"{value:.1f} apples"
            else:
                value, what, target = float(outcome.successes.mean()), "solved", 0.98
                text = f"{value:.1%} solved"
            key = env_id if label == variants[0][0] else f"{env_id} ({label})"
            results[key] = {what.replace(" ", "_"): value, "games": len(outcome.returns), "target": target}
            print(f"{env_id:<22}{'-':<14}{label:<18}{text:>22}{target:>8}{time.perf_counter() - start:>6.0f}",
                  flush=True)
    print(json.dumps({"bench": "match", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
