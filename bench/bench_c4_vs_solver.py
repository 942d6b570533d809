"""Connect Four from the empty board against the solver: does a player keep the first player's win?

Perfect play wins for the first player, so a perfect first player beats any defence. Each game starts from the
empty board with the player in the first seat (``--seat 1``: the second) against the built-in ``solver``
opponent (the exact move whenever every column solves within 2M positions, else ``minimax:6``: without an
opening book the first plies of perfect play take hours, so the defence is exact from about ply 12 on). Its
ties are broken by its generator, so games with different seeds differ.

After each of the player's moves the bench asks the solver (a separate table, ``--label-nodes`` positions at
most) for the position's value: +1 while the player still has a forced win, 0 a draw, -1 a loss, ``?`` when the
budget runs out. It reports per game the result, the values after the player's moves, the first ply where a
known value fell (the blunder), and how many of the defence's moves were exact.

    python bench/bench_c4_vs_solver.py [--players assets/agents/connect_four.pt] [--games 4] [--seat 0]

Prints a line per game, a table, then a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_c4_accuracy import AGENT, load_player, player_label  # noqa: E402
from envs.connect_four.rules import Board  # noqa: E402
from envs.connect_four.solver import SearchBudgetExceeded, Solver, budgeted_solver_player  # noqa: E402


def known_value(solver: Solver, board: Board, seat: int) -> int | None:
    """The game-theoretic result for ``seat`` (+1, 0, -1), None when the solve would exceed the budget."""
    if board.is_over():
        return 0 if board.winner is None else (1 if board.winner == seat else -1)
    try:
        score = solver.score(board)
    except SearchBudgetExceeded:
        return None
    mover_value = (score > 0) - (score < 0)
    return mover_value if board.current_player == seat else -mover_value


def play(player, seat: int, seed: int, labeller: Solver) -> dict:
    defence = budgeted_solver_player(np.random.default_rng(seed))
    board, values, blunder, clock = Board(), [], None, 0.0
    while not board.is_over():
        mover = board.current_player
        if mover != seat:
            board.play(defence(board.planes(mover), board.legal_mask()))
            continue
        before = values[-1] if values else None
        start = time.perf_counter()
        board.play(int(player(board.planes(mover), board.legal_mask())))
        clock += time.perf_counter() - start
        value = known_value(labeller, board, seat)
        values.append(value)
        if blunder is None and value is not None and before is not None and value < before:
            blunder = len(board.history)
    result = 0 if board.winner is None else (1 if board.winner == seat else -1)
    return {"seed": seed, "result": result, "values": values, "blunder_ply": blunder,
            "moves": "".join(str(col) for col in board.history), "defence_exact": defence.exact,
            "defence_fallbacks": defence.fallbacks, "player_s_per_move": clock / max(1, len(values))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", nargs="*", default=[str(AGENT)], help="agent checkpoints or bot names")
    parser.add_argument("--games", type=int, default=4, help="games per player (default 4)")
    parser.add_argument("--seat", type=int, choices=(0, 1), default=0, help="the player's seat (0: first)")
    parser.add_argument("--label-nodes", type=int, default=20_000_000,
                        help="positions a value label may search (default 20M, a second or two)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.games < 1:
        raise SystemExit("--games must be at least 1")
    labeller = Solver(node_limit=args.label_nodes)
    rows = {}
    for spec in args.players:
        player = load_player(spec, np.random.default_rng(args.seed))
        games = []
        for index in range(args.games):
            game = play(player, args.seat, args.seed + index, labeller)
            games.append(game)
            marks = " ".join({1: "+", 0: "=", -1: "-", None: "?"}[value] for value in game["values"])
            print(f"{player_label(spec)} seed {game['seed']}: {['lost', 'drew', 'won'][game['result'] + 1]} "
                  f"({game['moves']}); values after its moves: {marks}; first drop at ply "
                  f"{game['blunder_ply'] or '-'}; defence exact {game['defence_exact']}/"
                  f"{game['defence_exact'] + game['defence_fallbacks']}", flush=True)
        results = [game["result"] for game in games]
        rows[spec] = {"won": results.count(1), "drawn": results.count(0), "lost": results.count(-1),
                      "games": games}
    print(f"\n{'player':<34}{'seat':>5}{'won':>5}{'drawn':>7}{'lost':>6}{'blunders':>10}{'s/move':>8}")
    for spec, row in rows.items():
        blunders = sum(game["blunder_ply"] is not None for game in row["games"])
        per_move = float(np.mean([game["player_s_per_move"] for game in row["games"]]))
        print(f"{player_label(spec):<34}{args.seat:>5}{row['won']:>5}{row['drawn']:>7}{row['lost']:>6}"
              f"{blunders:>10}{per_move:>8.2f}")
    print(json.dumps({"bench": "c4_vs_solver", "seat": args.seat, "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
