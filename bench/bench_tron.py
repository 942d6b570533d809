"""A round robin of Tron players on the 16x16 arena: the built-in bots, the voronoi search bot and agents.

Players are opponent specs (``random``, ``wall-follower``, ``space``, ``pattern``, ``voronoi:d2`` the textbook
2-ply Voronoi bot, ``voronoi`` at 100 ms a move, any ``voronoi:MS`` / ``voronoi:dN``) or agent checkpoints
(a path ending in ``.pt``, played through ``load_agent(path).act(obs, action_mask=...)``, its lookahead
included). Every pair plays ``--games`` games, seats alternating, each opening played once from either seat:
games 2k and 2k + 1 start from the same random opening (``opening_moves`` random non-crashing ticks for both
cycles, as Tron evaluation uses: the strong preset's eval env), with the seats swapped.

For each pair: wins, draws and losses of the first player, its win rate +- standard error, its score (a draw
counts half) and both players' mean ms per move; for voronoi players also their search speed (positions per
second while searching, a position being one tick boundary of the alpha-beta tree) and mean depth reached
(ticks; the endgame's own-move depth separately). Prints a table, then a final JSON line.

    python bench/bench_tron.py [--games 100] [--players SPEC ...] [--pairs A,B ...] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.config import preset_for  # noqa: E402
from envs.registry import TRON, make_bot  # noqa: E402
from envs.tron.env import TronEnv  # noqa: E402
from envs.tron.rules import PLANE_COUNT  # noqa: E402
from envs.tron.voronoi import SearchRecord, VoronoiBot, warm_up  # noqa: E402

DEFAULT_PLAYERS = ("random", "wall-follower", "space", "pattern", "voronoi:d2", "voronoi",
                   str(ROOT / "assets" / "agents" / "tron.pt"))
# Random openings as the project evaluates Tron today: the strong preset's env (bench_match uses the same 3).
OPENING_MOVES = int(preset_for("dqn", "dojo/Tron-v0", "strong")[1]["env_kwargs"]["opening_moves"])
Move = Callable[[np.ndarray, np.ndarray], int]


@dataclass
class Player:
    """One contestant: how to build its move function for a game, and what it spent so far."""

    name: str
    make: Callable[[int], Move]  # seed -> a fresh move function (bots keep per-game state)
    territory: bool = False  # whether it reads the env's territory planes
    seconds: float = 0.0
    moves: int = 0
    search: list[SearchRecord] = field(default_factory=list)  # a voronoi bot's log of its searched moves


def make_player(spec: str) -> Player:
    if spec.endswith(".pt"):
        import torch

        from agents import load_agent

        torch.set_num_threads(1)
        agent = load_agent(spec)
        if getattr(agent, "env_wrapper", None) is not None:
            raise SystemExit(f"{spec}: agents with an opponent model need their env wrapper; not benched here")

        def make_agent(seed: int) -> Move:
            return lambda obs, mask: int(agent.act(obs, action_mask=mask))

        return Player(Path(spec).stem, make_agent, bool(agent.env_kwargs.get("territory_plane", False)))
    make_bot(TRON.env_id, spec, np.random.default_rng(0))  # a bad spec fails here, before any game
    return Player(spec, lambda seed: make_bot(TRON.env_id, spec, np.random.default_rng(seed)))


def play_game(env: TronEnv, players: tuple[Player, Player], seed: int) -> float:
    """One game from the opening of ``seed``, ``players[seat]`` in each seat: seat 0's result (+1, 0, -1)."""
    env.reset(seed=seed)
    moves = [player.make(seed + seat) for seat, player in enumerate(players)]
    obs = [env.observation_for(0), env.observation_for(1)]
    while True:
        actions = []
        for seat, player in enumerate(players):
            view = obs[seat] if player.territory else obs[seat][:PLANE_COUNT]
            start = time.perf_counter()
            actions.append(moves[seat](view, env.action_mask_for(seat)))
            player.seconds += time.perf_counter() - start
            player.moves += 1
        obs[0], obs[1], reward, terminated, truncated, _ = env.joint_step(*actions)
        if terminated or truncated:
            for player, move in zip(players, moves):
                if isinstance(move, VoronoiBot):
                    player.search.extend(move.moves)
            return reward


def search_stats(log: list) -> dict:
    """Voronoi's search speed and depth from its per-move log."""
    searched = [record for record in log if record.mode == "search"]
    endgame = [record for record in log if record.mode == "endgame"]
    seconds = sum(record.seconds for record in searched)
    return {"search_moves": len(searched),
            "nodes_per_s": sum(record.nodes for record in searched) / max(seconds, 1e-9),
            "nodes_per_move": float(np.mean([record.nodes for record in searched])) if searched else 0.0,
            "mean_depth_ticks": float(np.mean([record.depth for record in searched])) if searched else 0.0,
            "max_move_ms": 1000 * max((record.seconds for record in log), default=0.0),
            "p99_move_ms": 1000 * float(np.percentile([record.seconds for record in log], 99)) if log else 0.0,
            "max_move_cpu_ms": 1000 * max((record.cpu_seconds for record in log), default=0.0),
            "endgame_moves": len(endgame),
            "endgame_mean_depth": float(np.mean([record.depth for record in endgame])) if endgame else 0.0}


def match(first: Player, second: Player, games: int, seed: int, size: int) -> dict:
    env = TronEnv(opponent=None, size=size, opening_moves=OPENING_MOVES,
                  territory_plane=first.territory or second.territory)
    for player in (first, second):
        player.seconds, player.moves, player.search = 0.0, 0, []
    results = []
    for game in range(games):
        opening = seed + game // 2
        if game % 2 == 0:
            results.append(play_game(env, (first, second), opening))
        else:
            results.append(-play_game(env, (second, first), opening))
    outcome = np.array(results)
    wins, draws, losses = int((outcome > 0).sum()), int((outcome == 0).sum()), int((outcome < 0).sum())
    rate = wins / games
    line = {"first": first.name, "second": second.name, "games": games, "wins": wins, "draws": draws,
            "losses": losses, "win_rate": rate, "se": math.sqrt(rate * (1 - rate) / games),
            "score": (wins + draws / 2) / games,
            "ms_per_move": [1000 * player.seconds / max(player.moves, 1) for player in (first, second)]}
    for key, player in (("first_search", first), ("second_search", second)):
        if player.search:
            line[key] = search_stats(player.search)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=100, help="games per pair (default 100; even)")
    parser.add_argument("--players", nargs="*", default=list(DEFAULT_PLAYERS), help="specs or .pt checkpoints")
    parser.add_argument("--pairs", nargs="*", metavar="A,B", help="play only these pairs (default: all pairs)")
    parser.add_argument("--seed", type=int, default=0, help="the first opening's seed")
    parser.add_argument("--size", type=int, default=16, help="arena size (default 16)")
    args = parser.parse_args()
    if args.games < 2 or args.games % 2:
        raise SystemExit("--games must be an even number >= 2 (each opening is played from both seats)")
    if args.pairs:
        pairs = [tuple(pair.split(",")) for pair in args.pairs]
        if any(len(pair) != 2 for pair in pairs):
            raise SystemExit("--pairs takes A,B items, e.g. --pairs voronoi,space")
        specs = list(dict.fromkeys(spec for pair in pairs for spec in pair))
    else:
        specs = list(dict.fromkeys(args.players))
        pairs = list(combinations(specs, 2))
    players = {spec: make_player(spec) for spec in specs}
    warm_up()  # the compiled search loads before any timed move
    lines = []
    print(f"{'first':<14}{'second':<14}{'W':>5}{'D':>5}{'L':>5}{'win rate':>16}{'score':>7}{'ms/move':>16}"
          f"   voronoi search: nodes/s, mean depth (ticks)")
    for spec_a, spec_b in pairs:
        line = match(players[spec_a], players[spec_b], args.games, args.seed, args.size)
        lines.append(line)
        speeds = [f"{line[key]['nodes_per_s']:.0f}, {line[key]['mean_depth_ticks']:.2f}" if key in line else "-"
                  for key in ("first_search", "second_search")]
        print(f"{line['first']:<14}{line['second']:<14}{line['wins']:>5}{line['draws']:>5}{line['losses']:>5}"
              f"{line['win_rate']:>10.1%} ±{line['se']:>4.1%}{line['score']:>7.3f}"
              f"{line['ms_per_move'][0]:>8.2f}/{line['ms_per_move'][1]:<7.2f}"
              f"   {' / '.join(speeds) if line.keys() & {'first_search', 'second_search'} else ''}", flush=True)
    print(json.dumps({"bench": "tron", "opening_moves": OPENING_MOVES, "size": args.size, "results": lines}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
