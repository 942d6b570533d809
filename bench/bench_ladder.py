"""The difficulty ladder: a round robin between levels of Connect Four or Tron, Elo fitted over all its games.

Levels are specs (agents/ladder.py): built-in bots (``random``, ``minimax:4``, ``solver``; ``space``,
``voronoi:50``...) or checkpoints with a search budget (``assets/agents/connect_four_dqn.pt@depth=2``,
``assets/agents/connect_four.pt@sims=400``).
Every pair plays ``--games`` games, seats alternating: games 2k and 2k + 1 start from the same random opening
(Connect Four: 2 random plies, Tron: 3 random non-crashing ticks, as the strong presets evaluate) with the seats
swapped. ``--neighbours K`` plays only the pairs at most K apart in the given order (give the levels roughly from
weak to strong) when a full round robin costs too much.

The Elos are a Bradley-Terry maximum-likelihood fit over all games (a draw counts half; one virtual draw per pair
keeps clean sweeps finite), anchored at ``--anchor`` (default the first level) = 0, ± from the games' counts (the
likelihood's curvature). Prints each pair's result, then the ladder table, then a final JSON line; ``--write
assets/ladder.json`` stores the game's ladder (levels sorted by Elo, with the command that measured them).

    python bench/bench_ladder.py --env dojo/ConnectFour-v0 [--levels SPEC ...] [--games 12] [--write FILE]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.errors import DojoError  # noqa: E402
from agents.ladder import Contestant, GameLadder, Level, fit_elo, write_ladder  # noqa: E402
from envs.registry import CONNECT_FOUR, TRON  # noqa: E402

C4_OPENING_MOVES = 2  # the strong Connect Four preset's evaluation openings
DEFAULT_LEVELS = {
    CONNECT_FOUR.env_id: ("random", "assets/agents/connect_four_dqn.pt@depth=0", "greedy", "minimax:1", "minimax:2",
                          "assets/agents/connect_four.pt@sims=2", "minimax:4", "assets/agents/connect_four.pt@sims=16",
                          "minimax:6", "assets/agents/connect_four.pt@sims=100", "solver",
                          "assets/agents/connect_four.pt"),
    TRON.env_id: ("random", "wall-follower", "pattern", "assets/agents/tron_dqn.pt@depth=0", "space",
                  "assets/agents/tron.pt@sims=2", "assets/agents/tron_dqn.pt@depth=2", "voronoi:d2",
                  "assets/agents/tron.pt", "voronoi:10", "voronoi:30", "voronoi"),
}


def play_connect_four(players: tuple[Contestant, Contestant], seed: int, clock: dict[str, list[float]]) -> float:
    """One game from the opening of ``seed``, ``players[seat]`` in each seat: seat 0's result (+1, 0, -1)."""
    from envs.connect_four.env import ConnectFourEnv

    env = ConnectFourEnv(opponent=None, opening_moves=C4_OPENING_MOVES)
    env.reset(seed=seed)
    for seat, player in enumerate(players):
        player.start(seed + seat)
    while not env.board.is_over():
        seat = env.current_player
        start = time.perf_counter()
        move = players[seat].act(env.observation_for(seat), env.action_masks())
        clock[players[seat].name].append(time.perf_counter() - start)
        env.step(move)
    return 0.0 if env.winner < 0 else (1.0 if env.winner == 0 else -1.0)


def tron_player(contestant: Contestant, clock: dict[str, list[float]]):
    """The contestant as bench_tron plays it (its game loop and openings are the ones used here)."""
    from bench.bench_tron import Player

    def make(seed: int):
        contestant.start(seed)

        def move(obs: np.ndarray, mask: np.ndarray) -> int:
            start = time.perf_counter()
            action = contestant.act(obs, mask)
            clock[contestant.name].append(time.perf_counter() - start)
            return action

        return move

    return Player(contestant.name, make, contestant.territory)


def play_pair(env_id: str, first: Contestant, second: Contestant, games: int, seed: int,
              clock: dict[str, list[float]]) -> tuple[int, int, int]:
    """``games`` games, seats alternating over shared openings: (wins, draws, losses) of ``first``."""
    results = []
    if env_id == TRON.env_id:
        from bench.bench_tron import OPENING_MOVES, play_game
        from envs.tron.env import TronEnv

        pair = (tron_player(first, clock), tron_player(second, clock))
        env = TronEnv(opponent=None, opening_moves=OPENING_MOVES,
                      territory_plane=first.territory or second.territory)
        for game in range(games):
            opening = seed + game // 2
            results.append(play_game(env, pair, opening) if game % 2 == 0 else -play_game(env, pair[::-1], opening))
    else:
        for game in range(games):
            opening = seed + game // 2
            results.append(play_connect_four((first, second), opening, clock) if game % 2 == 0
                           else -play_connect_four((second, first), opening, clock))
    outcome = np.array(results)
    return int((outcome > 0).sum()), int((outcome == 0).sum()), int((outcome < 0).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, choices=sorted(DEFAULT_LEVELS), help="the game")
    parser.add_argument("--levels", nargs="*", help="level specs, roughly weakest first (default: the game's list)")
    parser.add_argument("--games", type=int, default=12, help="games per pair (even; default 12)")
    parser.add_argument("--neighbours", type=int, default=0, help="play only pairs at most this far apart (0: all)")
    parser.add_argument("--anchor", help="the level at Elo 0 (default: the first)")
    parser.add_argument("--seed", type=int, default=0, help="the first opening's seed")
    parser.add_argument("--write", metavar="FILE", help="store the ladder there (e.g. assets/ladder.json)")
    args = parser.parse_args()
    if args.games < 2 or args.games % 2:
        raise SystemExit("--games must be an even number >= 2 (each opening is played from both seats)")
    import torch

    torch.set_num_threads(1)
    specs = list(dict.fromkeys(args.levels or DEFAULT_LEVELS[args.env]))
    anchor = args.anchor or specs[0]
    if anchor not in specs:
        raise SystemExit(f"--anchor {anchor!r} is not one of the levels")
    try:
        players = [Contestant(args.env, spec) for spec in specs]
    except DojoError as error:
        raise SystemExit(f"error: {error}") from None
    if args.env == TRON.env_id and any(spec.startswith("voronoi") for spec in specs):
        from envs.tron.voronoi import warm_up

        warm_up()  # the compiled search loads before any timed move
    clock: dict[str, list[float]] = {spec: [] for spec in specs}
    pairs = [(i, j) for i in range(len(specs)) for j in range(i + 1, len(specs))
             if not args.neighbours or j - i <= args.neighbours]
    results: dict[tuple[int, int], tuple[float, float]] = {}
    lines = []
    started = time.perf_counter()
    print(f"{'first':<40}{'second':<40}{'W':>4}{'D':>4}{'L':>4}{'score':>7}{'s':>6}")
    for i, j in pairs:
        start = time.perf_counter()
        wins, draws, losses = play_pair(args.env, players[i], players[j], args.games, args.seed, clock)
        results[(i, j)] = (float(args.games), wins + draws / 2)
        lines.append({"first": specs[i], "second": specs[j], "wins": wins, "draws": draws, "losses": losses})
        print(f"{specs[i]:<40}{specs[j]:<40}{wins:>4}{draws:>4}{losses:>4}{(wins + draws / 2) / args.games:>7.2f}"
              f"{time.perf_counter() - start:>6.0f}", flush=True)
    elo, se = fit_elo(len(specs), results, anchor=specs.index(anchor))
    played = {index: sum(int(n) for pair, (n, _) in results.items() if index in pair) for index in range(len(specs))}
    order = sorted(range(len(specs)), key=lambda index: elo[index])
    print(f"\n{'level':<8}{'spec':<44}{'Elo':>7}{'±':>6}{'games':>7}{'ms/move':>9}")
    for rank, index in enumerate(order, 1):
        moves = clock[specs[index]]
        print(f"{rank:<8}{specs[index]:<44}{elo[index]:>7.0f}{se[index]:>6.0f}{played[index]:>7}"
              f"{1000 * float(np.mean(moves)) if moves else 0:>9.1f}")
    spread = float(elo[order[-1]] - elo[order[0]])
    print(f"spread {spread:.0f} Elo over {len(specs)} levels, {sum(played.values()) // 2} games, "
          f"{time.perf_counter() - started:.0f} s")
    levels = tuple(Level(specs[index], round(float(elo[index]), 1), round(float(se[index]), 1), played[index])
                   for index in order)
    if args.write:
        command = "python bench/bench_ladder.py " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
        try:
            write_ladder(args.write, args.env, GameLadder(levels, anchor, command))
        except DojoError as error:
            raise SystemExit(f"error: {error}") from None
        print(f"wrote the {args.env} ladder to {args.write}")
    print(json.dumps({"bench": "ladder", "env": args.env, "games_per_pair": args.games, "anchor": anchor,
                      "spread": spread, "pairs": lines,
                      "levels": [{"spec": level.spec, "elo": level.elo, "se": level.se, "games": level.games,
                                  "ms_per_move": 1000 * float(np.mean(clock[level.spec])) if clock[level.spec]
                                  else 0.0} for level in levels]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
