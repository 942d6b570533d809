"""PUCT tree search (agents/mcts.py) on positions with a known answer, with a uniform evaluator: the search alone
must find forced wins, blocks and Tron's larger region; visit counts, priors, noise and re-rooting keep their
bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from agents.mcts import SearchSettings, Tree, search
from envs.connect_four.rules import Board
from envs.tron.rules import OTHER_HEAD, OTHER_NECK, OTHER_TRAIL, OWN_HEAD, OWN_NECK, OWN_TRAIL, TURN_RIGHT, TronGame


def uniform(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knows nothing: equal priors, value 0 (only the rules' finished games tell the search anything)."""
    actions = 7 if planes.shape[1] == 3 else 3
    return np.full((len(planes), actions), 1.0 / actions), np.zeros(len(planes))


def board(moves: str) -> Board:
    position = Board()
    for column in moves:
        position.play(int(column))
    return position


def best_move(engine, simulations: int, seat: int = 0, leaves: int = 1, actions: int = 7) -> int:
    tree = Tree(engine, actions)
    search([tree], uniform, simulations, SearchSettings(leaves_per_tree=leaves))
    return int(tree.visit_counts(seat).argmax())


@pytest.mark.parametrize("moves, seat, winning", [
    ("010101", 0, {0}),  # vertical three in column 0
    ("051625", 0, {3}),  # bottom row 0 1 2: column 3 completes it
    ("1223344364", 0, {1}),  # the second row's 2 3 4: column 1 completes it
    ("011262236335", 0, {3}),  # the diagonal rising from column 0: column 3 completes it
    ("6050605", 1, {0}),  # player 1 with three in column 0
])
@pytest.mark.parametrize("leaves", [1, 8])
def test_connect_four_takes_an_immediate_win(moves, seat, winning, leaves):
    position = board(moves)
    assert position.current_player == seat
    assert best_move(position, 200, seat, leaves) in winning


def test_connect_four_blocks_an_immediate_loss():
    position = board("01010")  # player 0 threatens column 0; player 1 must block
    assert best_move(position, 400, seat=1) == 0


def test_connect_four_finds_a_two_move_forced_win():
    # Player 0 holds columns 2 and 3 of the bottom row with 1 and 4 open: either makes an open three, a double
    # threat that wins on player 0's next move whatever player 1 replies.
    position = board("2636")
    assert best_move(position, 3000) in (1, 4)


def tron_from_map(rows: list[str]) -> TronGame:
    """A Tron position from a map: A/B the heads of seats 0/1, a/b their necks, 0/1 more trail, . free."""
    size = len(rows)
    planes = np.zeros((7, size, size), dtype=np.uint8)
    marks = {"A": (OWN_HEAD, OWN_TRAIL), "a": (OWN_NECK, OWN_TRAIL), "0": (OWN_TRAIL,),
             "B": (OTHER_HEAD, OTHER_TRAIL), "b": (OTHER_NECK, OTHER_TRAIL), "1": (OTHER_TRAIL,)}
    for row, line in enumerate(rows):
        for col, mark in enumerate(line.replace(" ", "")):
            for plane in marks.get(mark, ()):
                planes[plane, row, col] = 1
    planes[6] = 1
    return TronGame.from_planes(planes)


def test_tron_turns_into_the_larger_region_at_the_end():
    # Seat 0 (heading up, straight on is a wall) chooses between a 3-cell pocket on the left and 40 cells on the
    # right; seat 1 is shut into 8 cells. The pocket loses in 4 ticks, the open side outlives seat 1.
    game = tron_from_map([
        ". . . . . . . .",
        ". . . . . . . .",
        "1 1 1 0 . . . .",
        ". . . A . . . .",
        "b 1 1 a . . . .",
        "B . . 0 . . . .",
        ". . . 0 . . . .",
        ". . . 0 . . . .",
    ])
    assert game.legal_actions(0).tolist() == [True, False, True]
    assert best_move(game, 600, seat=0, actions=3) == TURN_RIGHT


def test_root_visits_count_the_simulations_and_follow_the_prior():
    def biased(planes):
        priors = np.full((len(planes), 7), 0.05)
        priors[:, 5] = 0.7
        return priors, np.zeros(len(planes))

    tree = Tree(Board(), 7)
    search([tree], biased, 300, SearchSettings())
    visits = tree.visit_counts(0)
    assert tree.root_visits() == 300 and visits.sum() == 299  # the first visit expands the root itself
    assert visits.argmax() == 5 and visits[5] > 0.5 * visits.sum()
    np.testing.assert_allclose(tree.root_priors(0), [0.05] * 5 + [0.7, 0.05])


def test_simultaneous_moves_keep_one_set_of_statistics_per_seat():
    tree = Tree(TronGame(8), 3)
    search([tree], uniform, 200, SearchSettings(leaves_per_tree=4))
    for seat in (0, 1):
        assert tree.visit_counts(seat).sum() == 199
    assert tree.root_value(0) == pytest.approx(-tree.root_value(1))


def test_many_trees_share_batches_and_reach_their_own_budgets():
    calls = []

    def counting(planes):
        calls.append(len(planes))
        return uniform(planes)

    trees = [Tree(board("33"), 7) for _ in range(5)]
    search(trees, counting, [10, 20, 30, 40, 50], SearchSettings())
    assert [tree.root_visits() for tree in trees] == [10, 20, 30, 40, 50]
    assert calls[0] == 5 and max(calls) == 5 and len(calls) < sum([10, 20, 30, 40, 50])


def test_virtual_loss_collects_several_leaves_per_batch():
    calls = []

    def counting(planes):
        calls.append(len(planes))
        return uniform(planes)

    tree = Tree(Board(), 7)
    search([tree], counting, 400, SearchSettings(leaves_per_tree=8))
    assert tree.root_visits() == 400
    assert max(calls) == 8 and len(calls) < 400 / 4
    assert all(not waiting for waiting in tree.pending)  # nothing left in flight


def test_noise_changes_the_root_priors_reproducibly():
    priors = []
    for _ in range(2):
        tree = Tree(Board(), 7)
        search([tree], uniform, 2, SearchSettings(), rng=np.random.default_rng(5), noise=[True], alpha=0.3,
               fraction=0.5)
        priors.append(tree.root_priors(0))
    np.testing.assert_array_equal(priors[0], priors[1])
    assert priors[0].sum() == pytest.approx(1.0)
    assert not np.allclose(priors[0], 1 / 7)
    quiet = Tree(Board(), 7)
    search([quiet], uniform, 2, SearchSettings(), rng=np.random.default_rng(5), noise=[False])
    np.testing.assert_allclose(quiet.root_priors(0), 1 / 7)


def test_advance_keeps_the_chosen_subtree():
    tree = Tree(Board(), 7)
    search([tree], uniform, 300, SearchSettings())
    visits = tree.visit_counts(0)
    size = tree.size
    tree.advance([3])
    assert tree.root_visits() == visits[3]
    assert tree.size < size
    assert tree.engine.history == [3]
    tree.advance([0])  # a move the search may not have expanded still works
    assert tree.engine.history == [3, 0]


def test_a_saved_tree_rebuilds_identically():
    tree = Tree(TronGame(8), 3)
    search([tree], uniform, 150, SearchSettings())
    tree.advance([int(tree.visit_counts(0).argmax()), int(tree.visit_counts(1).argmax())])
    rebuilt = Tree.from_state(tree.engine.copy(), 3, tree.state_dict())
    assert rebuilt.size == tree.size
    for name in ("actions", "priors", "visits", "value_sums", "children", "node_visits", "node_values", "terminal"):
        assert getattr(rebuilt, name) == getattr(tree, name), name
    for original, copy in zip(tree.engines, rebuilt.engines):
        np.testing.assert_array_equal(original.planes(0), copy.planes(0))


def test_a_finished_game_is_not_searched():
    tree = Tree(board("0101010"), 7)  # player 0 has won
    assert tree.is_over()
    search([tree], uniform, 50, SearchSettings())
    assert tree.root_visits() == 0 and tree.root_value(0) == 1.0
