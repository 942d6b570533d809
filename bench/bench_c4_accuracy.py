"""Connect Four move accuracy against the perfect solver, per stage of the game.

Positions come from real play: games between a mix of players (the DQN agent, minimax:2, minimax:4,
greedy, random), each move replaced by a random one with probability ``--noise`` so games vary. From them the
bench samples positions in three stages (plies 4-12, 13-24, 25+; finished positions and positions with a single
legal move left out, one copy of each position up to mirroring) and labels every legal move with its exact
score (envs/connect_four/solver.py). The labelled set is cached in bench/data/c4_positions.json so later runs
are fast and comparable; ``--regenerate`` rebuilds it. The committed set (seed 0, 150 games, 979 positions)
has 825 labelled: its first stage only at plies 8-12, the 154 earlier positions being too slow to label (hours).

For each player (an agent checkpoint or a built-in bot name) it reports per stage:
- optimal: the share of moves that keep the best game-theoretic result (win / draw / loss) of the position;
- best score: the stricter share of moves with the best Pons score (fastest win, slowest loss);
- blunders: the share of moves that change the result (win -> draw or loss, draw -> loss);
- contested / opt.contested: how many positions had a result-changing move at all (in a lost position every
  move is "optimal"), and the share of optimal moves among those.
The player sees the env's planes observation of the side to move with the legal mask.

    python bench/bench_c4_accuracy.py [--players assets/agents/connect_four.pt minimax:2 minimax:4 random perfect]
    python bench/bench_c4_accuracy.py --regenerate [--positions 1000] [--seed 0]

Prints a table, then a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.errors import DojoError  # noqa: E402
from envs.connect_four.rules import Board  # noqa: E402
from envs.connect_four.solver import SearchBudgetExceeded, Solver, canonical_key  # noqa: E402
from envs.registry import CONNECT_FOUR, make_bot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "c4_positions.json"
AGENT = ROOT / "assets" / "agents" / "connect_four.pt"
# The committed set was generated with the agent shipped then, the DQN (now connect_four_dqn.pt).
GENERATING_AGENT = ROOT / "assets" / "agents" / "connect_four_dqn.pt"
STAGES = ((4, 12), (13, 24), (25, 41))
GENERATORS = (str(GENERATING_AGENT), "minimax:2", "minimax:4", "greedy", "random")
DEFAULT_PLAYERS = (str(AGENT), "minimax:2", "minimax:4", "random", "perfect")


def load_player(spec: str, rng: np.random.Generator):
    """``(obs, mask) -> column`` for a built-in bot name or a checkpoint, with a ladder budget where given
    (``agent.pt@sims=1600``, ``agent.pt@depth=2``)."""
    from agents.ladder import load_level_agent, parse_spec

    try:
        parsed = parse_spec(CONNECT_FOUR.env_id, spec)
        if parsed.bot is not None:
            return make_bot(CONNECT_FOUR.env_id, spec, rng)
        import torch

        torch.set_num_threads(1)  # a batch-1 search: more threads only fight the other bench or trainer for cores
        agent = load_level_agent(CONNECT_FOUR.env_id, parsed)
    except (DojoError, ValueError) as error:
        raise SystemExit(str(error)) from None
    return lambda obs, mask: int(agent.act(obs, action_mask=mask))


def player_label(spec: str) -> str:
    """A player's name in the tables: a checkpoint's file name with its budget, or the bot's name."""
    return Path(spec).name if "/" in spec or ".pt" in spec else spec


def play_games(count: int, noise: float, rng: np.random.Generator) -> list[list[int]]:
    """``count`` games between random pairs of the generating players: each game's column sequence."""
    players = [load_player(spec, rng) for spec in GENERATORS]
    games = []
    for _ in range(count):
        pair = rng.choice(len(players), size=2)
        board = Board()
        while not board.is_over():
            mask = board.legal_mask()
            if rng.random() < noise:
                col = int(rng.choice(np.flatnonzero(mask)))
            else:
                col = players[pair[board.current_player]](board.planes(board.current_player), mask)
            board.play(col)
        games.append(board.history.copy())
    return games


def stage_of(ply: int) -> int | None:
    for index, (low, high) in enumerate(STAGES):
        if low <= ply <= high:
            return index
    return None


def sample_positions(games: list[list[int]], per_stage: int, rng: np.random.Generator) -> list[dict]:
    """Up to ``per_stage`` distinct positions per stage (one per game and stage first, for variety)."""
    candidates: list[list[str]] = [[] for _ in STAGES]
    for game in games:
        for ply in range(len(game)):
            stage = stage_of(ply)
            if stage is None:
                continue
            board = replay(game[:ply])
            if board.is_over() or len(board.legal_moves()) < 2:
                continue
            candidates[stage].append("".join(str(col) for col in game[:ply]))
    chosen = []
    for stage, pool in enumerate(candidates):
        seen: set[int] = set()
        for index in rng.permutation(len(pool)):
            board = replay_text(pool[index])
            key = canonical_key(board.pieces[board.current_player], board.pieces[0] | board.pieces[1])
            if key in seen:
                continue
            seen.add(key)
            chosen.append({"moves": pool[index], "stage": stage})
            if len(seen) == per_stage:
                break
    return chosen


def replay(columns: list[int]) -> Board:
    board = Board()
    for col in columns:
        board.play(col)
    return board


def replay_text(moves: str) -> Board:
    return replay([int(char) for char in moves])


def label(positions: list[dict], out: Path, node_limit: int | None, min_ply: int = 0) -> None:
    """Every legal move's exact score; the file is rewritten as it goes, so a stopped run keeps its work.

    A position whose labelling needs more than ``node_limit`` positions searched per move is marked
    ``"values": null`` and left out of the measurements (the report counts them); ``--label-missing`` retries
    every unlabelled position (with a higher ``--node-limit``, more of them succeed) of at least ``min_ply``
    plies."""
    solver = Solver(node_limit=node_limit)
    # Deepest first: a shallower position's search then reuses what the table learnt about later ones.
    order = sorted(range(len(positions)), key=lambda index: -len(positions[index]["moves"]))
    pending = [index for index in order if positions[index].get("values") is None
               and len(positions[index]["moves"]) >= min_ply]
    start = last_save = time.perf_counter()
    for done, index in enumerate(pending, 1):
        entry = positions[index]
        tick = time.perf_counter()
        try:
            values = solver.move_values(replay_text(entry["moves"]))
            entry["values"] = [None if np.isnan(value) else int(value) for value in values]
        except SearchBudgetExceeded:
            entry["values"] = None
        entry["seconds"] = round(time.perf_counter() - tick, 3)
        if time.perf_counter() - last_save > 30 or done == len(pending):
            save(positions, out)
            last_save = time.perf_counter()
            print(f"labelled {done}/{len(pending)} ({time.perf_counter() - start:.0f} s)", flush=True)


def save(positions: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "[\n" + ",\n".join(json.dumps(entry, separators=(",", ":")) for entry in positions) + "\n]\n"
    temporary = out.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(out)


def result(score: float) -> int:
    return int(np.sign(score))


def measure(spec: str, positions: list[dict], seed: int) -> dict[str, dict[str, float]]:
    """Per stage: shares of optimal moves, best-score moves and blunders, and ms per move."""
    player = load_player(spec, np.random.default_rng(seed))
    # per stage: positions, optimal, best score, blunders, seconds, contested positions, optimal among those
    tallies = [[0, 0, 0, 0, 0.0, 0, 0] for _ in STAGES]
    for entry in positions:
        if entry.get("values") is None:
            continue  # too expensive to label (see label), or not labelled yet
        board = replay_text(entry["moves"])
        values = np.array([np.nan if value is None else value for value in entry["values"]], dtype=float)
        mask = ~np.isnan(values)
        tick = time.perf_counter()
        col = int(player(board.planes(board.current_player), mask))
        elapsed = time.perf_counter() - tick
        tally = tallies[entry["stage"]]
        tally[0] += 1
        tally[4] += elapsed
        if not mask[col]:
            tally[3] += 1  # an illegal move forfeits the game: counted as a blunder
            continue
        best = np.nanmax(values)
        optimal = result(values[col]) == result(best)
        tally[1] += optimal
        tally[2] += values[col] == best
        tally[3] += result(values[col]) < result(best)
        # Contested: some legal move would throw the result away (in a lost position every move is optimal).
        if result(np.nanmin(values)) < result(best):
            tally[5] += 1
            tally[6] += optimal
    report = {}
    for (low, high), (count, optimal, best, blunders, seconds, contested, won) in zip(STAGES, tallies):
        name = f"{low}-{high}" if high < 41 else f"{low}+"
        report[name] = {"positions": count, "optimal": optimal / max(count, 1), "best_score": best / max(count, 1),
                        "blunders": blunders / max(count, 1), "ms_per_move": 1000 * seconds / max(count, 1),
                        "contested": contested, "optimal_contested": won / max(contested, 1)}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", nargs="*", default=list(DEFAULT_PLAYERS),
                        help="agent checkpoints and built-in bot names (random, greedy, minimax:K, perfect, ...)")
    parser.add_argument("--regenerate", action="store_true", help="play new games and label a new set")
    parser.add_argument("--positions", type=int, default=1000, help="positions in a regenerated set (default 1000)")
    parser.add_argument("--games", type=int, default=400, help="games to sample a regenerated set from")
    parser.add_argument("--noise", type=float, default=0.1, help="share of random moves in those games")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label-missing", action="store_true",
                        help="label the positions of the set that have no values yet (slow near the start)")
    parser.add_argument("--node-limit", type=int, default=50_000_000,
                        help="skip positions whose labelling needs more positions searched per move than this")
    parser.add_argument("--min-ply", type=int, default=0,
                        help="with --label-missing: only positions of at least this many plies (the early ones "
                             "take longest)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the labelled set (default {DATA})")
    args = parser.parse_args()
    if args.regenerate or not args.data.is_file():
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        positions = sample_positions(play_games(args.games, args.noise, rng), args.positions // len(STAGES), rng)
        print(f"sampled {len(positions)} positions from {args.games} games in {time.perf_counter() - start:.0f} s")
        save(positions, args.data)
    positions = json.loads(args.data.read_text())
    if args.regenerate or args.label_missing:
        label(positions, args.data, args.node_limit, args.min_ply)
    missing = [sum(entry.get("values") is None for entry in positions if entry["stage"] == stage)
               for stage in range(len(STAGES))]
    if any(missing):
        print(f"unlabelled positions per stage, left out: {missing} (--label-missing labels them)")
    print(f"{'player':<30}{'stage':<8}{'positions':>10}{'optimal':>9}{'best score':>12}{'blunders':>10}"
          f"{'contested':>11}{'opt.contested':>15}{'ms/move':>9}")
    results = {}
    for spec in args.players:
        report = measure(spec, positions, args.seed)
        results[spec] = report
        for stage, line in report.items():
            print(f"{player_label(spec):<30}{stage:<8}{line['positions']:>10}"
                  f"{line['optimal']:>9.1%}{line['best_score']:>12.1%}{line['blunders']:>10.1%}"
                  f"{line['contested']:>11}{line['optimal_contested']:>15.1%}{line['ms_per_move']:>9.1f}", flush=True)
    print(json.dumps({"bench": "c4_accuracy", "data": str(args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT)
                      else args.data), "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
