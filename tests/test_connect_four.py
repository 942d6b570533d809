"""Connect Four: rules, env API, observations and renderer."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the games)
from envs import theme
from envs.connect_four.env import ConnectFourEnv
from envs.connect_four.render import ConnectFourRenderer
from envs.connect_four.rules import COLS, ROWS, Board, has_four

# A full game (found by seeded random play) that fills the board without a four: a draw.
DRAW_GAME = [
    5,
    5,
    5,
    0,
    5,
    4,
    4,
    6,
    6,
    3,
    5,
    1,
    3,
    5,
    2,
    1,
    2,
    3,
    0,
    4,
    1,
    4,
    3,
    0,
    2,
    2,
    2,
    1,
    0,
    0,
    0,
    2,
    1,
    6,
    1,
    3,
    4,
    4,
    3,
    6,
    6,
    6,
]


def play(moves: list[int]) -> Board:
    board = Board()
    for col in moves:
        board.play(col)
    return board


def always(col: int):
    """A scripted opponent: column ``col`` while it is legal, else the first legal one."""
    return lambda obs, mask: col if mask[col] else int(np.flatnonzero(mask)[0])


# ----- rules ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moves", "winner", "cells"),
    [
        pytest.param([0, 0, 1, 1, 2, 2, 3], 0, [(5, 0), (5, 1), (5, 2), (5, 3)], id="horizontal"),
        pytest.param([0, 1, 0, 1, 0, 1, 0], 0, [(2, 0), (3, 0), (4, 0), (5, 0)], id="vertical"),
        pytest.param(
            [0, 1, 1, 2, 2, 3, 2, 3, 3, 5, 3], 0, [(2, 3), (3, 2), (4, 1), (5, 0)], id="diagonal-rising"
        ),
        pytest.param(
            [6, 5, 5, 4, 4, 3, 4, 3, 3, 1, 3], 0, [(2, 3), (3, 4), (4, 5), (5, 6)], id="diagonal-falling"
        ),
        pytest.param([6, 0, 6, 1, 5, 2, 5, 3], 1, [(5, 0), (5, 1), (5, 2), (5, 3)], id="second-player-wins"),
        pytest.param([0, 0, 1, 1, 2, 6, 4], None, [], id="gap-is-no-win"),
        pytest.param([0, 1, 0, 1, 0], None, [], id="three-is-no-win"),
    ],
)
def test_wins(moves: list[int], winner: int | None, cells: list[tuple[int, int]]) -> None:
    board = play(moves)
    assert board.winner == winner
    assert board.winning_cells() == cells
    assert board.is_over() == (winner is not None)
    assert not board.is_draw()


def test_no_four_across_the_column_sentinel() -> None:
    # Top two cells of column 0 and bottom two of column 1 are adjacent bits around the sentinel.
    grid = np.full((ROWS, COLS), -1)
    grid[:, 0] = [0, 0, 1, 1, 1, 0]
    grid[4:, 1] = 0
    board = Board.from_grid(grid)
    assert board.winner is None
    assert not has_four(board.pieces[0])


def test_full_board_without_four_is_a_draw() -> None:
    board = play(DRAW_GAME)
    assert board.is_full() and board.is_draw() and board.is_over()
    assert board.winner is None
    assert board.legal_moves() == []
    assert not board.legal_mask().any()


@pytest.mark.parametrize(
    ("moves", "col", "message"),
    [
        pytest.param([0] * 6, 0, "column 0 is full", id="full-column"),
        pytest.param([], 7, "column 7 is out of range", id="right-of-board"),
        pytest.param([], -1, "column -1 is out of range", id="left-of-board"),
        pytest.param([0, 1, 0, 1, 0, 1, 0], 3, "already over", id="after-the-win"),
    ],
)
def test_illegal_moves_raise(moves: list[int], col: int, message: str) -> None:
    board = play(moves)
    assert not board.is_legal(col)
    with pytest.raises(ValueError, match=message):
        board.play(col)


def test_legal_mask_and_landing_rows() -> None:
    board = play([2] * 6 + [3])
    assert board.legal_mask().tolist() == [True, True, False, True, True, True, True]
    assert board.landing_row(3) == ROWS - 2
    assert board.landing_row(4) == ROWS - 1


def test_undo_restores_the_position() -> None:
    board = play([3, 3, 4, 4, 5, 5])
    before = (board.pieces.copy(), board.heights.copy(), board.current_player)
    board.play(6)
    assert board.winner == 0
    assert board.undo() == 6
    assert (board.pieces, board.heights, board.current_player) == before
    assert board.winner is None
    with pytest.raises(ValueError, match="no move to undo"):
        Board().undo()


def test_copy_is_independent() -> None:
    board = play([3])
    twin = board.copy()
    twin.play(4)
    assert board.history == [3] and twin.history == [3, 4]
    assert board.pieces != twin.pieces


def test_grid_round_trip() -> None:
    board = play([3, 3, 4, 2, 6])
    rebuilt = Board.from_grid(board.to_grid())
    assert rebuilt.pieces == board.pieces and rebuilt.heights == board.heights
    assert rebuilt.current_player == board.current_player
    floating = np.full((ROWS, COLS), -1)
    floating[0, 0] = 1
    with pytest.raises(ValueError, match="column 0"):
        Board.from_grid(floating)
    floating[ROWS - 1, 0] = 2
    with pytest.raises(ValueError, match="got 2"):
        Board.from_grid(floating)


# ----- env -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("obs_mode", ["planes", "pixels"])
def test_check_env(obs_mode: str) -> None:
    env = gym.make("dojo/ConnectFour-v0", obs_mode=obs_mode, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    obs, _ = env.reset(seed=0)
    assert obs.shape == ((3, ROWS, COLS) if obs_mode == "planes" else (3, 64, 64))
    assert obs.dtype == np.uint8


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opponent": "grandmaster"},
        {"opponent": "minimax:0"},
        {"opponent": "minimax:deep"},
        {"opponent": 42},
        {"agent_first": "sometimes"},
        {"agent_first": 1},
        {"illegal_move": "ignore"},
        {"obs_mode": "rgb"},
        {"pixel_size": 0},
        {"pixel_size": -8},
        {"render_mode": "ascii"},
    ],
)
def test_bad_kwargs_raise(kwargs: dict) -> None:
    bad_value = next(iter(kwargs.values()))
    with pytest.raises(ValueError, match=str(bad_value).replace("(", r"\(")):
        ConnectFourEnv(**kwargs)


def test_planes_are_from_the_movers_view_with_row_zero_on_top() -> None:
    env = ConnectFourEnv(opponent=always(6))
    env.reset(seed=0)
    obs, *_ = env.step(3)
    assert obs[0, ROWS - 1, 3] == 1 and obs[0].sum() == 1  # own disc, bottom row
    assert obs[1, ROWS - 1, 6] == 1 and obs[1].sum() == 1  # opponent's reply
    assert obs[2].sum() == ROWS * COLS - 2
    assert ((obs[0] + obs[1] + obs[2]) == 1).all()


def test_agent_second_sees_itself_as_own() -> None:
    env = ConnectFourEnv(opponent=always(0), agent_first=False)
    obs, info = env.reset(seed=0)
    assert info["agent_seat"] == 1 and info["current_player"] == 1
    assert obs[1, ROWS - 1, 0] == 1 and obs[0].sum() == 0  # the opponent already moved
    obs, *_ = env.step(3)
    assert obs[0, ROWS - 1, 3] == 1


@pytest.mark.parametrize(
    ("agent_moves", "opponent_col", "reward", "winner"),
    [
        pytest.param([0, 0, 0, 0], 6, 1.0, 0, id="agent-wins"),
        pytest.param([0, 1, 0, 1], 6, -1.0, 1, id="opponent-wins"),
    ],
)
def test_rewards(agent_moves: list[int], opponent_col: int, reward: float, winner: int) -> None:
    env = ConnectFourEnv(opponent=always(opponent_col))
    env.reset(seed=0)
    rewards = []
    for col in agent_moves:
        _, step_reward, terminated, truncated, info = env.step(col)
        rewards.append(step_reward)
    assert rewards == [0.0] * (len(agent_moves) - 1) + [reward]
    assert terminated and not truncated
    assert info["winner"] == winner == env.winner
    assert len(info["winning_cells"]) == 4
    assert not info["action_mask"].any()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(2)


def test_draw_gives_zero_and_ends() -> None:
    env = ConnectFourEnv(opponent=None)
    env.reset(seed=0)
    for col in DRAW_GAME:
        _, reward, terminated, _, info = env.step(col)
        assert reward == 0.0
    assert terminated and info["winner"] == -1 and info["winning_cells"] == []


def test_illegal_move_raises_naming_the_column() -> None:
    env = ConnectFourEnv(opponent=always(0), illegal_move="raise")
    env.reset(seed=0)
    for _ in range(3):
        env.step(0)
    assert not env.action_masks()[0]
    with pytest.raises(ValueError, match="column 0 is full"):
        env.step(0)
    with pytest.raises(ValueError, match="column 9"):
        env.step(9)


def test_an_illegal_move_loses_by_default() -> None:
    env = ConnectFourEnv(opponent=always(0))
    env.reset(seed=0)
    for _ in range(3):
        env.step(0)
    _, reward, terminated, _, info = env.step(0)
    assert (reward, terminated) == (-1.0, True)
    assert info["illegal_move"] and info["winner"] == 1


def test_action_mask_matches_action_masks() -> None:
    env = ConnectFourEnv(opponent=always(2))
    _, info = env.reset(seed=0)
    for _ in range(3):
        _, _, _, _, info = env.step(2)
    assert info["action_mask"].dtype == bool and info["action_mask"].shape == (COLS,)
    assert info["action_mask"].tolist() == env.action_masks().tolist()
    assert info["action_mask"].tolist() == [True, True, False, True, True, True, True]
    assert info["last_move"] == 2


def test_two_seats_from_outside() -> None:
    env = ConnectFourEnv(opponent=None)
    obs, info = env.reset(seed=0)
    assert info["agent_seat"] == -1 and env.current_player == 0
    obs, reward, *_, info = env.step(3)
    # The observation is for the player to move next (seat 1): seat 0's disc is "other".
    assert env.current_player == 1 and info["current_player"] == 1
    assert obs[1, ROWS - 1, 3] == 1 and obs[0].sum() == 0
    assert np.array_equal(obs, env.observation_for(1))
    assert env.observation_for(0)[0, ROWS - 1, 3] == 1
    for col in [4, 3, 4, 3, 4, 3]:
        obs, reward, terminated, _, info = env.step(col)
    # Seat 0 just completed column 3: the reward is the mover's, the observation seat 1's.
    assert (reward, terminated, info["winner"]) == (1.0, True, 0)
    assert obs[1, 2:, 3].tolist() == [1, 1, 1, 1]
    assert env.board.winner == 0


def test_seeded_resets_reproduce() -> None:
    def first_obs(seed: int) -> np.ndarray:
        env = ConnectFourEnv(agent_first=False)  # the random opponent opens
        return env.reset(seed=seed)[0]

    assert np.array_equal(first_obs(5), first_obs(5))
    assert len({first_obs(seed).tobytes() for seed in range(10)}) > 1


def test_seeded_games_replay_exactly() -> None:
    def game(seed: int) -> list[int]:
        env = ConnectFourEnv(opponent="random")
        env.reset(seed=seed)
        terminated = False
        while not terminated:
            _, _, terminated, _, info = env.step(int(np.flatnonzero(env.action_masks())[0]))
        return env.board.history

    assert game(11) == game(11)
    assert game(11) != game(12)


def test_alternate_seats() -> None:
    env = ConnectFourEnv(agent_first="alternate")
    seats = [env.reset(seed=3)[1]["agent_seat"]] + [env.reset()[1]["agent_seat"] for _ in range(3)]
    assert seats[1:] == [1 - seats[0], seats[0], 1 - seats[0]]
    assert env.reset(seed=3)[1]["agent_seat"] == seats[0]


# ----- rendering -----------------------------------------------------------------------------------------
def test_render_shape_and_changes() -> None:
    env = ConnectFourEnv(opponent=always(6), render_mode="rgb_array")
    env.reset(seed=0)
    empty = env.render()
    assert empty.dtype == np.uint8 and empty.shape == (48 + ROWS * 64, COLS * 64, 3)
    env.step(3)
    one_move = env.render()
    assert not np.array_equal(empty, one_move)
    disc_centre = one_move[48 + 5 * 64 + 16, 3 * 64 + 32]  # above the last-move dot
    assert tuple(disc_centre) == theme.PLAYER_COLORS[0]


def test_render_highlights_the_winning_four() -> None:
    renderer = ConnectFourRenderer(cell=32)
    won = renderer.draw(play([0, 1, 0, 1, 0, 1, 0]), winner=0)
    assert (won == theme.WIN_HIGHLIGHT).all(axis=-1).sum() > 4 * 20
    unfinished = renderer.draw(play([0, 1, 0, 1, 0, 1]))
    assert not (unfinished == theme.WIN_HIGHLIGHT).all(axis=-1).any()


def test_render_perspective_swaps_colours() -> None:
    renderer = ConnectFourRenderer(cell=32)
    board = play([3, 4])
    normal, swapped = renderer.draw(board), renderer.draw(board, perspective=1)
    top = renderer.strip_height + 5 * 32 + 8
    assert tuple(normal[top, 3 * 32 + 16]) == theme.PLAYER_COLORS[0]
    assert tuple(swapped[top, 3 * 32 + 16]) == theme.PLAYER_COLORS[1]


def test_pixel_observations_follow_the_observer() -> None:
    env = ConnectFourEnv(opponent=None, obs_mode="pixels")
    env.reset(seed=0)
    env.step(3)
    seat0, seat1 = env.observation_for(0), env.observation_for(1)
    assert seat0.shape == seat1.shape == (3, 64, 64)
    assert not np.array_equal(seat0, seat1)


def test_render_without_mode_returns_none() -> None:
    env = ConnectFourEnv()
    env.reset(seed=0)
    assert env.render() is None


def test_step_before_reset_raises() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        ConnectFourEnv().step(3)


@pytest.mark.parametrize("opening_moves", [0, 1, 2, 5, 6])
@pytest.mark.parametrize("agent_first", [True, False])
def test_random_opening_then_the_agent_to_move(opening_moves, agent_first):
    env = ConnectFourEnv(opponent="random", agent_first=agent_first, opening_moves=opening_moves)
    obs, info = env.reset(seed=3)
    discs = int(obs[0].sum() + obs[1].sum())
    # The opening's plies, plus the opponent's reply when the opening left it to move.
    assert discs in (opening_moves, opening_moves + 1)
    assert env.current_player == env.agent_seat and env.winner == -1


def test_openings_vary_with_the_seed_and_bad_values_are_refused():
    env = ConnectFourEnv(opponent="minimax:2", opening_moves=2)
    assert len({env.reset(seed=seed)[0].tobytes() for seed in range(20)}) > 10
    for bad in (-1, 7, 1.5, True):
        with pytest.raises(ValueError, match="opening_moves"):
            ConnectFourEnv(opening_moves=bad)
