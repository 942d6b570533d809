"""Does the opponent model help the Tron lookahead? The same agent against `pattern`, three ways of searching.

* worst case: the agent's own lookahead (`search_depth=2`: both cycles' 9 joint moves per tick, the other
  cycle's worst reply counted);
* predicted line: `envs.tron.search.line_move`, `--ticks` ticks deep against the path the opponent model
  predicts (the LSTM rolled forward: `agents.games.opponent.tron_predicted_line`);
* straight line: the same search against a path without the model (the other cycle keeps straight on, dodging
  where that crashes). This is the control: it has the deeper search and not the prediction.

Every arm first plays `--warmup` games with the worst-case search while the model learns online (the same games
in every arm, so each arm starts from the same model), then `--games` measured games from seeds `--seed`,
`--seed + 1`, ..., seats alternating; the model keeps learning as in play. The arms run in parallel processes.
Network leaves come from `--agent` (default: the shipped Tron agent). Prints a table and a final JSON line.

    python bench/bench_opponent_search.py [--games 200] [--ticks 6] [--warmup 20] [--seed 1000] [--agent PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import gymnasium as gym  # noqa: E402
import torch  # noqa: E402

import envs  # noqa: E402,F401  (registers the dojo envs)
from agents import DojoError, load_agent  # noqa: E402
from agents.games.opponent import OpponentObserver, OpponentTracker, opponent_mask, tron_predicted_line  # noqa: E402
from agents.opponent_model import OpponentPredictor  # noqa: E402
from envs import registry  # noqa: E402
from envs.tron.search import MAX_LINE_TICKS  # noqa: E402
from envs.tron.search import line_move as tron_line_move  # noqa: E402
from envs.tron.search import search_move as tron_move  # noqa: E402

TRON = registry.TRON.env_id
ARMS = ("worst case", "predicted line", "straight line")
WORST_CASE_DEPTH = 2  # the shipped agent's search_depth
WARMUP_SEED = 500_000  # far from the measured games' seeds


def play_arm(arm: str, agent_path: str, games: int, ticks: int, warmup: int, seed: int) -> dict:
    """Wins, draws and losses of one arm over ``games`` measured games (after ``warmup`` shared ones)."""
    torch.set_num_threads(1)  # one process per arm on a small machine
    agent = load_agent(agent_path, device="cpu")
    kwargs = {key: value for key, value in agent.env_kwargs.items() if key not in ("opponent", "agent_seat")}
    predictor: OpponentPredictor | None = None
    counts = {"wins": 0, "draws": 0, "losses": 0}
    moves, seconds = 0, 0.0
    for game in range(warmup + games):
        measured = game >= warmup
        env = gym.make(TRON, **kwargs, opponent="pattern", agent_seat=game % 2)
        if predictor is None:
            predictor = OpponentPredictor(env.observation_space.shape, int(env.action_space.n), seed=0)
        env = OpponentObserver(env, OpponentTracker("tron", predictor, learn=True))
        obs, info = env.reset(seed=seed + game - warmup if measured else WARMUP_SEED + game)
        done, reward = False, 0.0
        while not done:
            board, mask = obs, info["action_mask"]
            started = time.perf_counter()
            if not measured or arm == "worst case":
                action = tron_move(board, mask, WORST_CASE_DEPTH, agent.position_values)
            else:
                line = (tron_predicted_line(predictor, board, opponent_mask("tron", board), ticks)
                        if arm == "predicted line" else [1] * ticks)
                action = tron_line_move(board, mask, line, ticks, agent.position_values)
            if measured:
                seconds += time.perf_counter() - started
                moves += 1
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        if measured:
            counts["wins" if reward > 0 else "losses" if reward < 0 else "draws"] += 1
        env.close()
    win_rate = counts["wins"] / games
    return {"arm": arm, **counts, "win_rate": win_rate, "win_rate_se": math.sqrt(win_rate * (1 - win_rate) / games),
            "ms_per_move": 1000 * seconds / max(moves, 1), "model_top1": predictor.accuracy}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200, help="measured games per arm (default 200)")
    parser.add_argument("--ticks", type=int, default=MAX_LINE_TICKS,
                        help=f"depth of the line searches (default and most: {MAX_LINE_TICKS})")
    parser.add_argument("--warmup", type=int, default=20, help="games the model learns from first (default 20)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first measured game (default 1000)")
    parser.add_argument("--agent", default=str(ROOT / "assets" / "agents" / "tron_dqn.pt"),
                        help="Tron agent whose network values the leaves (default: the shipped DQN, tron_dqn.pt)")
    args = parser.parse_args()
    if args.games < 1 or args.warmup < 0 or not 1 <= args.ticks <= MAX_LINE_TICKS:
        parser.error(f"--games must be >= 1, --warmup >= 0 and --ticks 1..{MAX_LINE_TICKS}")
    try:  # here, once, so that a bad --agent is one line rather than a worker's traceback
        env_id = load_agent(args.agent, device="cpu").env_id
    except DojoError as error:
        parser.error(str(error))
    if env_id != TRON:
        parser.error(f"{args.agent} plays {env_id}, not {TRON}")
    with ProcessPoolExecutor(max_workers=len(ARMS)) as pool:
        futures = [pool.submit(play_arm, arm, args.agent, args.games, args.ticks, args.warmup, args.seed)
                   for arm in ARMS]
        rows = [future.result() for future in futures]
    print(f"Tron against pattern, {args.games} games per arm (seats alternate), line searches {args.ticks} ticks deep")
    print(f"{'search':<16}{'wins':>6}{'draws':>7}{'losses':>8}{'win rate':>10}{'+-':>6}{'ms/move':>9}"
          f"{'model top-1':>13}")
    for row in rows:
        print(f"{row['arm']:<16}{row['wins']:>6}{row['draws']:>7}{row['losses']:>8}{row['win_rate']:>10.3f}"
              f"{row['win_rate_se']:>6.3f}{row['ms_per_move']:>9.1f}{row['model_top1']:>13.3f}")
    print(json.dumps({"bench": "opponent_search", "opponent": "pattern", "games": args.games, "ticks": args.ticks,
                      "warmup": args.warmup, "seed": args.seed, "agent": args.agent, "arms": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
