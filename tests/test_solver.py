"""The perfect Connect Four solver: known positions, an independent brute force, the sign convention, the
`perfect` bot, the opening book and bad input. Positions are written as 1-based column strings (Pons' notation)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.connect_four.book import generate, save_book
from envs.connect_four.rules import COLS, Board, has_four
from envs.connect_four.solver import (
    CELLS,
    PerfectPlayer,
    SearchBudgetExceeded,
    Solver,
    best_moves,
    canonical_key,
    load_book,
    move_values,
    position_of,
    solve,
)
from envs.registry import CONNECT_FOUR, make_bot

# A whole game that fills the board without a four (0-based columns).
DRAWN_GAME = "263140414365645456256601225050431001323321"
# 28 plies in: the other side threatens to win in column 2; any other move loses with its 15th disc (-7).
FORCED_BLOCK = "3237534556776533347546611441"


def board_of(moves: str, zero_based: bool = False) -> Board:
    board = Board()
    for char in moves:
        board.play(int(char) - (0 if zero_based else 1))
    return board


@pytest.mark.parametrize(
    ("moves", "score"),
    [
        ("4455", 18),  # Pons: the mover wins with its 4th disc (an open three on the bottom row)
        ("44455554221", -15),  # Pons: whatever the mover plays, the other side wins with its 7th disc
        ("112233", 18),  # three in the bottom row, the fourth cell free: win at once with the 4th disc
        ("121314", 18),  # three in column 1: the side to move completes the vertical four at once
        (FORCED_BLOCK, -1),  # the only move that does not lose at once blocks column 2, then the game is lost
    ],
)
def test_known_positions(moves: str, score: int) -> None:
    assert solve(board_of(moves)) == score


def test_forced_block_is_the_only_move_that_does_not_lose_at_once() -> None:
    values = move_values(board_of(FORCED_BLOCK))
    assert np.isnan(values[2]) and values[1] == -1  # column 3 is full; blocking in column 2
    assert all(values[col] == -7 for col in (0, 3, 4, 5, 6))
    assert best_moves(board_of(FORCED_BLOCK)) == [1]


def test_full_board_draw() -> None:
    last = board_of(DRAWN_GAME[:-1], zero_based=True)
    assert solve(last) == 0
    values = move_values(last)
    assert values[int(DRAWN_GAME[-1])] == 0 and np.isnan(values).sum() == COLS - 1


def brute_force(current: int, mask: int, moves: int, memo: dict) -> int:
    """Plain negamax over every move, with memoisation only: the Pons score for the side to move."""
    key = (current, mask)
    if key in memo:
        return memo[key]
    best = -CELLS
    for col in range(COLS):
        top = 1 << (col * 7 + 5)
        if mask & top:
            continue
        move = (mask + (1 << (col * 7))) & (0x3F << (col * 7))
        if has_four(current | move):
            score = (CELLS + 1 - moves) // 2
        elif moves + 1 == CELLS:
            score = 0
        else:
            score = -brute_force(current ^ mask, mask | move, moves + 1, memo)
        best = max(best, score)
    memo[key] = best
    return best


def random_position(plies: int, rng: np.random.Generator) -> Board:
    """A running position after ``plies`` random moves (redrawn until nobody has won)."""
    while True:
        board = Board()
        while len(board.history) < plies and not board.is_over():
            board.play(int(rng.choice(board.legal_moves())))
        if not board.is_over():
            return board


def test_agrees_with_brute_force_on_late_positions() -> None:
    rng = np.random.default_rng(7)
    solver = Solver(book_path=None)
    scores = []
    for plies in [30, 31, 32, 33, 34, 35, 36, 38, 40] * 3:
        board = random_position(plies, rng)
        expected = brute_force(*position_of(board), {})
        assert solver.score(board) == expected, board
        values = solver.move_values(board)
        assert np.nanmax(values) == expected
        scores.append(expected)
    assert len(set(np.sign(scores))) == 3  # the sample holds wins, draws and losses


def test_a_tiny_table_full_of_collisions_gives_the_same_scores() -> None:
    # 1,024 slots for searches of up to ~10^5 positions: every bucket is fought over, so the two-slot replacement
    # and the enhanced transposition cutoffs (before ply 30) run on overwritten entries all the time.
    from envs.connect_four import negamax

    rng = np.random.default_rng(11)
    roomy = Solver(book_path=None)
    tiny = negamax.new_table(10)
    for plies in [22, 24, 26, 28, 29, 31] * 2:
        board = random_position(plies, rng)
        expected = roomy.score(board)
        assert negamax.solve(*position_of(board), *tiny, negamax.new_work()) == expected, board
        if plies > 28:
            assert expected == brute_force(*position_of(board), {})


def test_sign_convention_and_mirror_symmetry() -> None:
    board = board_of("4455")
    assert solve(board) > 0  # the side to move (the first player) wins
    board.play(2)  # 3: the open three; now the other side loses whatever it does
    assert solve(board) == -18
    left = board_of(FORCED_BLOCK)
    right = board_of("".join(str(8 - int(char)) for char in FORCED_BLOCK))
    assert solve(left) == solve(right)
    np.testing.assert_array_equal(move_values(left)[::-1], move_values(right))
    assert canonical_key(*position_of(left)[:2]) == canonical_key(*position_of(right)[:2])


def play_out(board: Board, seats: dict[int, object]) -> Board:
    """Play ``board`` to the end with one ``(obs, mask) -> column`` player per seat."""
    while not board.is_over():
        player = board.current_player
        board.play(int(seats[player](board.planes(player), board.legal_mask())))
    return board


@pytest.mark.parametrize("opponent", ["random", "minimax:4"])
def test_perfect_never_does_worse_than_the_position_allows(opponent: str) -> None:
    # Games start after a random opening of 26 plies: the solver answers those positions in milliseconds,
    # while the empty board takes it hours (see the README); the perfect side must reach the position's value.
    rng = np.random.default_rng(3)
    for game in range(4):
        start = random_position(26, rng)
        seat = game % 2
        value = np.sign(solve(start)) if start.current_player == seat else -np.sign(solve(start))
        end = play_out(start.copy(), {seat: make_bot(CONNECT_FOUR.env_id, "perfect", rng),
                                      1 - seat: make_bot(CONNECT_FOUR.env_id, opponent, rng)})
        assert end.result(seat) >= value


def test_perfect_bot_breaks_ties_with_the_generator() -> None:
    board = board_of("44455544766157524573216731")  # 26 plies: columns 3 and 6 both win at once
    player = board.current_player
    picks = {PerfectPlayer(np.random.default_rng(seed))(board.planes(player), board.legal_mask())
             for seed in range(12)}
    assert picks == {2, 5}


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="game is over"):
        solve(board_of("1212121"))
    with pytest.raises(ValueError, match="Board"):
        solve(np.zeros((6, 7)))
    grid = np.full((6, 7), -1)
    grid[5, :3] = 0  # three discs of player 0 and none of player 1, yet player 0 to move
    with pytest.raises(ValueError, match="impossible position"):
        solve(Board.from_grid(grid, current_player=0))
    with pytest.raises(ValueError, match="no legal move"):
        PerfectPlayer(np.random.default_rng(0))(Board().planes(0), np.zeros(COLS, dtype=bool))
    with pytest.raises(ValueError, match="unknown Connect Four opponent"):
        make_bot(CONNECT_FOUR.env_id, "perfekt", np.random.default_rng(0))


def test_node_limit_raises_and_leaves_a_clean_table() -> None:
    board = board_of("44455")
    solver = Solver(book_path=None, node_limit=1000)
    with pytest.raises(SearchBudgetExceeded):
        solver.score(board)
    late = random_position(34, np.random.default_rng(1))
    solver.node_limit = None
    assert solver.score(late) == brute_force(*position_of(late), {})


def test_book_generation_round_trip_and_use(tmp_path) -> None:
    root = random_position(30, np.random.default_rng(5))
    current, mask, plies = position_of(root)
    book = generate(plies + 2, Solver(book_path=None), root=(current, mask))
    assert book[canonical_key(current, mask)] == brute_force(current, mask, plies, {})
    path = tmp_path / "book.npz"
    save_book(book, plies + 2, path)
    assert load_book(path) == book
    # The solver answers from the book first: a doctored entry proves the lookup.
    save_book({**book, canonical_key(current, mask): 5}, plies + 2, path)
    assert Solver(book_path=path).score(root) == 5


def test_bad_book_files_are_one_line_errors(tmp_path) -> None:
    path = tmp_path / "book.npz"
    path.write_bytes(b"not a book")
    with pytest.raises(ValueError, match="not a Connect Four opening book"):
        load_book(path)
    np.savez(path, keys=np.array([5, 3], dtype=np.int64), scores=np.zeros(2, dtype=np.int8), max_ply=np.int64(1))
    with pytest.raises(ValueError, match="sorted"):
        load_book(path)
    np.savez(path, keys=np.array([3, 5], dtype=np.int64), scores=np.array([0, 40], dtype=np.int8),
             max_ply=np.int64(1))
    with pytest.raises(ValueError, match="-18..18"):
        load_book(path)
