"""bench_c4_vs_solver's labels: the game-theoretic result seen from a seat, or unknown past the node budget."""

from __future__ import annotations

from bench.bench_c4_vs_solver import known_value
from envs.connect_four.rules import Board
from envs.connect_four.solver import Solver


def replay(moves: str) -> Board:
    board = Board()
    for char in moves:
        board.play(int(char))
    return board


def test_values_are_seen_from_the_seat_and_opposite_for_the_other():
    solver = Solver()
    board = replay("2631404143656454562566012250")  # 28 plies: solved in milliseconds
    score = solver.score(board)
    mover, other = board.current_player, 1 - board.current_player
    expected = (score > 0) - (score < 0)
    assert known_value(solver, board, mover) == expected
    assert known_value(solver, board, other) == -expected


def test_finished_games_are_read_off_the_board():
    won = replay("0101010")  # seat 0 stacks four in column 0
    assert won.is_over() and won.winner == 0
    assert known_value(Solver(), won, 0) == 1 and known_value(Solver(), won, 1) == -1


def test_a_position_over_the_budget_is_unknown():
    assert known_value(Solver(node_limit=1_000), Board(), 0) is None


def test_bench_players_take_ladder_budgets_and_refuse_bad_specs():
    """The Connect Four benches' players: a bot, a checkpoint with a simulation budget, one-line exits otherwise."""
    import numpy as np
    import pytest

    from agents.ladder import ROOT
    from bench.bench_c4_accuracy import load_player

    board = replay("33")
    rng = np.random.default_rng(0)
    agent = load_player(str(ROOT / "assets" / "agents" / "connect_four.pt") + "@sims=2", rng)
    assert board.legal_mask()[agent(board.planes(board.current_player), board.legal_mask())]
    assert load_player("minimax:1", rng)(board.planes(board.current_player), board.legal_mask()) in range(7)
    for bad, message in (("minimax:x", "minimax"), ("assets/agents/connect_four.pt@sims=x", "budget"),
                         (str(ROOT / "assets" / "agents" / "tron.pt"), "not dojo/ConnectFour-v0")):
        with pytest.raises(SystemExit, match=message) as raised:
            load_player(bad, rng)
        assert "\n" not in str(raised.value)
