"""The OpenSpiel bench's board mapping: one move sequence gives the same position in OpenSpiel and in Dojo."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_openspiel import openspiel_grid
from envs.connect_four.rules import Board

pyspiel = pytest.importorskip("pyspiel")


@pytest.mark.parametrize("moves", ["3323", "0123456012", "3332221110"])
def test_same_moves_same_position(moves: str) -> None:
    state, board = pyspiel.load_game("connect_four").new_initial_state(), Board()
    for char in moves:
        state.apply_action(int(char))
        board.play(int(char))
        assert np.array_equal(openspiel_grid(state), board.to_grid())
        assert state.current_player() == (-4 if board.is_over() else board.current_player)
        assert sorted(state.legal_actions()) == board.legal_moves()


def test_a_win_ends_both_games_alike() -> None:
    state, board = pyspiel.load_game("connect_four").new_initial_state(), Board()
    for col in [0, 1, 0, 1, 0, 1, 0]:  # player 0 stacks four in column 0
        state.apply_action(col)
        board.play(col)
    assert state.is_terminal() and board.winner == 0
    assert state.returns() == [board.result(0), board.result(1)] == [1.0, -1.0]
