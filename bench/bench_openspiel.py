"""Dojo's Connect Four players against an outside reference: OpenSpiel's MCTS bot.

The reference is ``open_spiel.python.algorithms.mcts.MCTSBot`` with random rollouts (``RandomRolloutEvaluator``,
one rollout per leaf), ``uct_c = 2`` and ``--simulations`` simulations per move (each value is one match). The
Dojo player is an agent checkpoint or a built-in bot name; it sees the env's planes observation with the legal
mask. Seats alternate game by game. Both games are driven by the same column actions; the board is checked
against OpenSpiel's after every move (``openspiel_grid``).

    python bench/bench_openspiel.py [--players assets/agents/connect_four.pt] [--simulations 400 2000] [--games 100]

Reports W/D/L per seat, the win rate with its standard error, and ms per move for both sides; a table, then a
final JSON line. OpenSpiel is a bench dependency (requirements-dev.txt), not an app one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_c4_accuracy import load_player, player_label  # noqa: E402
from envs.connect_four.rules import COLS, ROWS, Board  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = {".": -1, "x": 0, "o": 1}  # OpenSpiel: player 0 plays 'x' and moves first, as Dojo's player 0


def openspiel_grid(state) -> np.ndarray:
    """OpenSpiel's connect_four state as Dojo's (6, 7) grid: row 0 the top row, -1 empty, else the owner."""
    rows = [line for line in str(state).splitlines() if line.strip()][:ROWS]
    if len(rows) != ROWS or any(len(row) != COLS for row in rows):
        raise ValueError(f"unexpected OpenSpiel board text: {str(state)!r}")
    return np.array([[SYMBOLS[char] for char in row] for row in rows], dtype=np.int8)


def mcts_bot(game, simulations: int, seed: int):
    from open_spiel.python.algorithms import mcts

    rng = np.random.RandomState(seed)
    evaluator = mcts.RandomRolloutEvaluator(n_rollouts=1, random_state=rng)
    return mcts.MCTSBot(game, uct_c=2, max_simulations=simulations, evaluator=evaluator, random_state=rng)


def play_game(player, bot, game, player_seat: int) -> tuple[float, float, int, float, int]:
    """One game: (Dojo player's result, its seconds, its moves, the bot's seconds, the bot's moves)."""
    board, state = Board(), game.new_initial_state()
    clocks, counts = [0.0, 0.0], [0, 0]
    while not board.is_over():
        mover = board.current_player
        tick = time.perf_counter()
        if mover == player_seat:
            col = int(player(board.planes(mover), board.legal_mask()))
        else:
            col = int(bot.step(state))
        side = 0 if mover == player_seat else 1
        clocks[side] += time.perf_counter() - tick
        counts[side] += 1
        board.play(col)
        state.apply_action(col)
        if not np.array_equal(openspiel_grid(state), board.to_grid()):
            raise RuntimeError(f"the boards diverged after {board.history}")
    if state.is_terminal() and state.returns()[player_seat] != board.result(player_seat):
        raise RuntimeError(f"the results differ after {board.history}")
    return board.result(player_seat), clocks[0], counts[0], clocks[1], counts[1]


def match(spec: str, simulations: int, games: int, seed: int) -> dict:
    import pyspiel

    game = pyspiel.load_game("connect_four")
    player = load_player(spec, np.random.default_rng(seed))
    tallies = {seat: {"W": 0, "D": 0, "L": 0} for seat in ("first", "second")}
    clocks = np.zeros(4)
    for index in range(games):
        seat = index % 2
        bot = mcts_bot(game, simulations, seed + index)
        outcome, *times = play_game(player, bot, game, seat)
        clocks += times
        tallies["first" if seat == 0 else "second"]["W" if outcome > 0 else "D" if outcome == 0 else "L"] += 1
        print(f"  game {index + 1}/{games} vs mcts:{simulations}: seat {seat}, result {outcome:+.0f}",
              file=sys.stderr, flush=True)
    wins = tallies["first"]["W"] + tallies["second"]["W"]
    rate = wins / games
    return {"games": games, "simulations": simulations, **tallies, "win_rate": rate,
            "win_rate_se": float(np.sqrt(rate * (1 - rate) / games)),
            "player_ms_per_move": 1000 * clocks[0] / max(clocks[1], 1),
            "mcts_ms_per_move": 1000 * clocks[2] / max(clocks[3], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", nargs="*", default=[str(ROOT / "assets" / "agents" / "connect_four.pt")])
    parser.add_argument("--simulations", nargs="*", type=int, default=[400, 2000])
    parser.add_argument("--games", type=int, default=100, help="games per match, seats alternating (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import pyspiel  # noqa: F401
    except ImportError:
        raise SystemExit("this bench needs OpenSpiel: pip install -r requirements-dev.txt") from None
    print(f"{'player':<30}{'mcts sims':>10}{'first W/D/L':>14}{'second W/D/L':>14}{'win rate':>16}"
          f"{'ms/move':>9}{'mcts ms':>9}")
    results = {}
    for spec in args.players:
        for simulations in args.simulations:
            line = match(spec, simulations, args.games, args.seed)
            name = player_label(spec)
            results[f"{name} vs mcts:{simulations}"] = line
            first, second = line["first"], line["second"]
            print(f"{name:<30}{simulations:>10}{'{W}/{D}/{L}'.format(**first):>14}{'{W}/{D}/{L}'.format(**second):>14}"
                  f"{line['win_rate']:>9.1%} ±{line['win_rate_se']:.1%}{line['player_ms_per_move']:>9.1f}"
                  f"{line['mcts_ms_per_move']:>9.1f}", flush=True)
    print(json.dumps({"bench": "openspiel", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
