"""Agents trained with and without `--set opponent_model=true` meet an opponent, game after game.

Each `--agents` checkpoint (Connect Four or Tron) plays `--games` games one after another against `--opponent`
(default `pattern`), seats alternating, game k from seed `--seed + k`, on the board it was trained on. An
opponent_model=true agent plays through its own model: a copy of the predictor in its checkpoint that keeps
learning from game to game, as in training (``agent.fork(learn=True)``), so it can pick up an opponent its
network was not trained against. Other agents play as they are. One process per agent. Prints a table (wins,
draws, losses, win rate with its standard error, ms per move (the model's prediction included), the model's top-1
over these games) and a final JSON line.

    python bench/bench_opponent_agents.py --agents A.pt B.pt [--opponent pattern] [--games 200] [--seed 5000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from agents import DojoError, load_agent  # noqa: E402
from agents.common import make_env  # noqa: E402
from envs import registry  # noqa: E402

SEAT_KEYS = {game.env_id: game.seat_kwarg for game in registry.GAMES if game.two_player}


def play_agent(path: str, opponent: str, games: int, seed: int) -> dict:
    """Wins, draws and losses of one agent over ``games`` games in a row against ``opponent``."""
    torch.set_num_threads(1)  # one process per agent on a small machine
    torch.manual_seed(seed)  # the model's dropout while it learns: the same draws whichever agents run beside it
    agent = load_agent(path, device="cpu")
    kwargs = {**agent.env_kwargs, "opponent": opponent, SEAT_KEYS[agent.env_id]: "alternate"}
    env = make_env(agent.env_id, kwargs)
    models = hasattr(agent, "fork")
    if models:
        agent = agent.fork(learn=True)  # its copy of the model is the one that plays and learns here
    counts = {"wins": 0, "draws": 0, "losses": 0}
    moves, seconds = 0, 0.0
    for game in range(games):
        obs, info = env.reset(seed=seed + game)
        if models:
            agent.start_game()
            agent.observe_info(info)
        done, reward = False, 0.0
        while not done:
            started = time.perf_counter()
            action = agent.act(obs, info["action_mask"])
            seconds += time.perf_counter() - started
            moves += 1
            obs, reward, terminated, truncated, info = env.step(action)
            if models:
                agent.observe_info(info)
            done = terminated or truncated
        if models:
            agent.end_game()
        counts["wins" if reward > 0 else "losses" if reward < 0 else "draws"] += 1
    model_top1 = agent.tracker.predictor.accuracy if models else None
    env.close()
    win_rate = counts["wins"] / games
    return {"agent": path, "opponent_model": models, "line_ticks": agent.tracker.line_ticks if models else 0,
            "search_depth": getattr(getattr(agent, "play", None), "search_depth", 0), **counts, "win_rate": win_rate,
            "win_rate_se": math.sqrt(win_rate * (1 - win_rate) / games), "ms_per_move": 1000 * seconds / moves,
            "model_top1": model_top1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", nargs="+", required=True, metavar="CKPT", help="agent checkpoints to compare")
    parser.add_argument("--opponent", default="pattern", help="the built-in opponent they meet (default pattern)")
    parser.add_argument("--games", type=int, default=200, help="games per agent, one after another (default 200)")
    parser.add_argument("--seed", type=int, default=5000, help="seed of the first game (default 5000)")
    args = parser.parse_args()
    if args.games < 1:
        parser.error("--games must be >= 1")
    try:  # here, once, so that a bad checkpoint or opponent is one line rather than a worker's traceback
        for path in args.agents:
            agent = load_agent(path, device="cpu")
            if agent.env_id not in SEAT_KEYS:
                parser.error(f"{path} plays {agent.env_id}, not a two-player game ({', '.join(SEAT_KEYS)})")
            make_env(agent.env_id, {**agent.env_kwargs, "opponent": args.opponent}).reset(seed=0)
    except (DojoError, ValueError) as error:
        parser.error(str(error))
    with ProcessPoolExecutor(max_workers=len(args.agents)) as pool:
        futures = [pool.submit(play_agent, path, args.opponent, args.games, args.seed) for path in args.agents]
        rows = [future.result() for future in futures]
    print(f"{args.games} games in a row per agent against {args.opponent} (seats alternate, seeds from {args.seed})")
    print(f"{'agent':<44}{'model':>6}{'search':>7}{'wins':>6}{'draws':>7}{'losses':>8}{'win rate':>10}{'+-':>7}"
          f"{'ms/move':>9}{'model top-1':>13}")
    for row in rows:
        search = f"{row['line_ticks']}L" if row["line_ticks"] else str(row["search_depth"])
        top1 = "-" if row["model_top1"] is None else f"{row['model_top1']:.3f}"
        print(f"{row['agent'][-44:]:<44}{'yes' if row['opponent_model'] else 'no':>6}{search:>7}{row['wins']:>6}"
              f"{row['draws']:>7}{row['losses']:>8}{row['win_rate']:>10.3f}{row['win_rate_se']:>7.3f}"
              f"{row['ms_per_move']:>9.1f}{top1:>13}")
    print(json.dumps({"bench": "opponent_agents", "opponent": args.opponent, "games": args.games, "seed": args.seed,
                      "agents": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
