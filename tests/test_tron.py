"""Tron light cycles: rules, env API, observations and renderer."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the games)
from envs import theme
from envs.tron.env import TronEnv
from envs.tron.render import TronRenderer
from envs.tron.rules import (
    ARENA,
    DOWN,
    LEFT,
    OTHER_HEAD,
    OTHER_TRAIL,
    OWN_HEAD,
    OWN_NECK,
    OWN_TRAIL,
    RIGHT,
    STRAIGHT,
    TURN_LEFT,
    TURN_RIGHT,
    UP,
    TronGame,
    start_positions,
)


def arena(size: int, cycles: list[tuple[int, int, int]], trails: list[tuple[int, int, int]] = ()) -> TronGame:
    """A game with both cycles placed at (row, col, heading) and extra trail cells (row, col, owner seat)."""
    game = TronGame(size)
    game.grid[:] = 0
    game.paths = [[], []]
    for seat, (row, col, heading) in enumerate(cycles):
        game.heads[seat], game.headings[seat] = (row, col), heading
        game.paths[seat].append((row, col))
        game.grid[row, col] = seat + 1
    for row, col, owner in trails:
        game.grid[row, col] = owner + 1
    return game


# ----- rules ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cycles", "trails", "actions", "crashed", "winner"),
    [
        pytest.param([(0, 2, UP), (4, 4, UP)], [], (STRAIGHT, STRAIGHT), (True, False), 1, id="leaves-board"),
        pytest.param(
            [(2, 2, RIGHT), (4, 4, UP)], [(2, 3, 0)], (STRAIGHT, STRAIGHT), (True, False), 1, id="own-trail"
        ),
        pytest.param(
            [(2, 2, RIGHT), (4, 4, UP)],
            [(2, 3, 1)],
            (STRAIGHT, STRAIGHT),
            (True, False),
            1,
            id="opponent-trail",
        ),
        pytest.param(
            [(4, 4, UP), (2, 2, RIGHT)],
            [(2, 3, 0)],
            (STRAIGHT, STRAIGHT),
            (False, True),
            0,
            id="seat-1-crashes",
        ),
        pytest.param(
            [(2, 1, RIGHT), (2, 3, LEFT)], [], (STRAIGHT, STRAIGHT), (True, True), -1, id="same-cell-draw"
        ),
        pytest.param(
            [(2, 1, RIGHT), (2, 2, LEFT)], [], (STRAIGHT, STRAIGHT), (True, True), -1, id="head-on-swap-draw"
        ),
        pytest.param(
            [(2, 1, RIGHT), (2, 2, UP)], [], (STRAIGHT, STRAIGHT), (True, False), 1, id="into-cell-just-left"
        ),
        pytest.param(
            [(0, 0, UP), (5, 5, DOWN)], [], (STRAIGHT, STRAIGHT), (True, True), -1, id="both-leave-draw"
        ),
        pytest.param(
            [(2, 2, UP), (4, 4, UP)],
            [(1, 2, 1)],
            (TURN_LEFT, TURN_RIGHT),
            (False, False),
            -1,
            id="turns-dodge",
        ),
    ],
)
def test_crashes(cycles, trails, actions, crashed, winner) -> None:
    game = arena(6, cycles, trails)
    assert game.step(*actions) == crashed
    assert game.crashed == list(crashed)
    assert game.over == any(crashed)
    assert game.winner == winner


@pytest.mark.parametrize(
    ("heading", "action", "cell", "new_heading"),
    [
        (UP, TURN_LEFT, (2, 1), LEFT),
        (UP, STRAIGHT, (1, 2), UP),
        (UP, TURN_RIGHT, (2, 3), RIGHT),
        (RIGHT, TURN_LEFT, (1, 2), UP),
        (DOWN, TURN_RIGHT, (2, 1), LEFT),
        (LEFT, TURN_RIGHT, (1, 2), UP),
    ],
)
def test_relative_turns(heading: int, action: int, cell: tuple[int, int], new_heading: int) -> None:
    game = arena(6, [(2, 2, heading), (5, 5, UP)])
    game.step(action, STRAIGHT)
    assert game.heads[0] == cell and game.headings[0] == new_heading
    assert game.necks[0] == (2, 2)
    assert game.grid[cell] == 1 and game.grid[2, 2] == 1  # the trail keeps every cell, head included
    assert game.paths[0] == [(2, 2), cell]


def test_crash_cell_is_recorded() -> None:
    game = arena(6, [(2, 2, RIGHT), (0, 0, UP)], [(2, 3, 1)])
    game.step(STRAIGHT, STRAIGHT)
    assert game.crash_cells == [(2, 3), (0, 0)]  # off-board crashes mark the last cell
    assert game.heads == [(2, 2), (0, 0)]


@pytest.mark.parametrize("size", [4, 5, 16, 17])
def test_start_positions_are_point_symmetric(size: int) -> None:
    (row_0, col_0, heading_0), (row_1, col_1, heading_1) = start_positions(size)
    assert (row_1, col_1) == (size - 1 - row_0, size - 1 - col_0)
    assert (heading_0, heading_1) == (RIGHT, LEFT)
    game = TronGame(size)
    assert game.grid.sum() == 3 and not game.over and game.steps == 0


def test_safe_mask() -> None:
    game = arena(6, [(0, 2, UP), (3, 3, UP)], [(0, 1, 1)])
    assert game.safe_mask(0).tolist() == [False, False, True]
    assert game.safe_mask(1).tolist() == [True, True, True]


def test_rules_reject_bad_input() -> None:
    game = TronGame(6)
    with pytest.raises(ValueError, match="action for seat 1"):
        game.step(STRAIGHT, 3)
    game = arena(6, [(0, 0, UP), (3, 3, UP)])
    game.step(STRAIGHT, STRAIGHT)
    with pytest.raises(ValueError, match="over"):
        game.step(STRAIGHT, STRAIGHT)
    with pytest.raises(ValueError, match=">= 4"):
        TronGame(3)


# ----- env -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("obs_mode", ["planes", "pixels"])
def test_check_env(obs_mode: str) -> None:
    env = gym.make("dojo/Tron-v0", obs_mode=obs_mode, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    obs, _ = env.reset(seed=0)
    assert obs.shape == ((7, 16, 16) if obs_mode == "planes" else (3, 64, 64))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 0},
        {"size": -5},
        {"size": 3},
        {"size": "big"},
        {"opponent": "kamikaze"},
        {"obs_mode": "voxels"},
        {"pixel_size": 0},
        {"render_mode": "ascii"},
        {"agent_seat": 2},
        {"agent_seat": "random"},
        {"max_steps": 0},
    ],
)
def test_bad_kwargs_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=str(next(iter(kwargs.values())))):
        TronEnv(**kwargs)


def test_planes_encode_heads_necks_and_trails() -> None:
    env = TronEnv(size=8, opponent=lambda obs, mask: STRAIGHT)
    obs, info = env.reset(seed=0)
    assert obs.shape == (7, 8, 8)
    assert obs[OWN_HEAD, 3, 2] == 1 and obs[OWN_NECK, 3, 1] == 1  # facing right: neck on the left
    assert obs[OTHER_HEAD, 4, 5] == 1 and obs[ARENA].all()
    obs, *_ = env.step(TURN_LEFT)
    assert obs[OWN_HEAD].sum() == 1 and obs[OWN_HEAD, 2, 2] == 1
    assert obs[OWN_NECK, 3, 2] == 1 and obs[OWN_NECK].sum() == 1
    assert obs[OWN_TRAIL].sum() == 2 and obs[OWN_TRAIL, 2, 2] == obs[OWN_TRAIL, 3, 2] == 1
    assert obs[OTHER_HEAD, 4, 4] == 1 and obs[OTHER_TRAIL].sum() == 2
    assert info["steps"] == 0 and env.game.steps == 1


def test_seat_one_sees_the_same_opening() -> None:
    env = TronEnv(opponent=None)
    env.reset(seed=0)
    assert np.array_equal(env.observation_for(0), env.observation_for(1))
    # Mirrored moves keep the views identical: seat 1's view is the arena turned 180 degrees.
    obs_0, obs_1, reward, terminated, truncated, info = env.joint_step(TURN_LEFT, TURN_LEFT)
    assert np.array_equal(obs_0, obs_1)
    obs_0, obs_1, *_ = env.joint_step(TURN_RIGHT, STRAIGHT)
    assert not np.array_equal(obs_0, obs_1)
    assert (reward, terminated, truncated, info["agent_seat"]) == (0.0, False, False, -1)


def test_step_without_opponent_points_to_joint_step() -> None:
    env = TronEnv(opponent=None)
    env.reset(seed=0)
    with pytest.raises(RuntimeError, match="joint_step"):
        env.step(STRAIGHT)


@pytest.mark.parametrize(
    ("agent_actions", "reward", "winner", "ticks"),
    [
        # On 8x8 the agent starts at (3, 2) facing right, the straight-riding opponent at (4, 5) facing left
        # and leaves the arena on tick 6.
        pytest.param([TURN_LEFT, STRAIGHT, TURN_RIGHT, STRAIGHT, STRAIGHT, STRAIGHT], 1.0, 0, 6, id="win"),
        pytest.param([TURN_LEFT, STRAIGHT, STRAIGHT, STRAIGHT], -1.0, 1, 4, id="loss"),
        pytest.param([STRAIGHT] * 6, 0.0, -1, 6, id="draw"),
    ],
)
def test_rewards(agent_actions: list[int], reward: float, winner: int, ticks: int) -> None:
    env = TronEnv(size=8, opponent=lambda obs, mask: STRAIGHT)
    env.reset(seed=0)
    rewards = []
    for action in agent_actions:
        _, step_reward, terminated, truncated, info = env.step(action)
        rewards.append(step_reward)
    assert rewards == [0.0] * (ticks - 1) + [reward]
    assert terminated and not truncated
    assert (info["winner"], info["steps"], env.winner) == (winner, ticks, winner)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(STRAIGHT)


def test_max_steps_truncates() -> None:
    env = TronEnv(size=8, max_steps=3, opponent=lambda obs, mask: STRAIGHT)
    env.reset(seed=0)
    results = [env.step(STRAIGHT)[1:4] for _ in range(3)]
    assert results == [(0.0, False, False), (0.0, False, False), (0.0, False, True)]
    assert TronEnv(size=8).max_steps == 64


def test_action_mask_marks_suicidal_moves() -> None:
    env = TronEnv(size=8, opponent=lambda obs, mask: STRAIGHT)
    _, info = env.reset(seed=0)
    assert info["action_mask"].tolist() == [True, True, True]
    for action in (TURN_LEFT, STRAIGHT, STRAIGHT):  # now at the top wall facing up
        _, _, _, _, info = env.step(action)
    assert info["action_mask"].dtype == bool
    assert info["action_mask"].tolist() == [True, False, True]
    assert env.action_masks().tolist() == env.action_mask_for(0).tolist() == [True, False, True]


def test_opponent_gets_planes_even_with_pixel_observations() -> None:
    seen = []

    def spy(obs: np.ndarray, mask: np.ndarray) -> int:
        seen.append((obs.shape, mask.tolist()))
        return STRAIGHT

    env = TronEnv(size=8, obs_mode="pixels", opponent=spy)
    env.reset(seed=0)
    env.step(STRAIGHT)
    assert seen == [((7, 8, 8), [True, True, True])]


def test_seeded_resets_reproduce() -> None:
    def trajectory(seed: int) -> list[bytes]:
        env = TronEnv(opponent="random", size=10)
        obs, _ = env.reset(seed=seed)
        frames = [obs.tobytes()]
        for _ in range(12):
            obs, _, terminated, truncated, _ = env.step(int(np.flatnonzero(env.action_masks())[0]))
            frames.append(obs.tobytes())
            if terminated or truncated:
                break
        return frames

    assert trajectory(4) == trajectory(4)
    assert len({tuple(trajectory(seed)) for seed in range(6)}) > 1


def test_alternate_seats() -> None:
    env = TronEnv(agent_seat="alternate")
    seats = [env.reset(seed=9)[1]["agent_seat"]] + [env.reset()[1]["agent_seat"] for _ in range(3)]
    assert seats[1:] == [1 - seats[0], seats[0], 1 - seats[0]]
    assert env.reset(seed=9)[1]["agent_seat"] == seats[0]
    second = TronEnv(agent_seat=1, size=8, opponent=lambda obs, mask: STRAIGHT)
    obs, info = second.reset(seed=0)
    assert info["agent_seat"] == 1 and obs[OWN_HEAD, 3, 2] == 1  # seat 1's view is turned: same opening


# ----- rendering -----------------------------------------------------------------------------------------
def test_render_shape_and_changes() -> None:
    env = TronEnv(render_mode="rgb_array", opponent=lambda obs, mask: STRAIGHT)
    env.reset(seed=0)
    start = env.render()
    renderer = env._display_renderer
    assert start.dtype == np.uint8
    assert start.shape == (renderer.strip_height + 16 * 24, 16 * 24, 3)
    env.step(STRAIGHT)
    moved = env.render()
    assert not np.array_equal(start, moved)


def test_render_marks_crashes_and_perspective() -> None:
    renderer = TronRenderer(6, cell=12)
    game = arena(6, [(0, 2, UP), (4, 4, UP)])
    before = renderer.draw(game, max_steps=36)
    assert not (before == theme.WIN_HIGHLIGHT).all(axis=-1).any()
    game.step(STRAIGHT, STRAIGHT)
    after = renderer.draw(game, max_steps=36)
    assert (after == theme.WIN_HIGHLIGHT).all(axis=-1).sum() > 12  # crash X and "WINS" text
    # A pixel inside seat 1's head at (3, 4), off its bright core, and the same pixel turned 180 degrees.
    head_pixel = renderer.strip_height + 3 * 12 + 2, 4 * 12 + 6
    turned_pixel = renderer.strip_height + 2 * 12 + 9, 1 * 12 + 5
    turned = renderer.draw(game, max_steps=36, perspective=1)
    assert tuple(after[head_pixel]) == renderer.head_colors[1]
    assert tuple(turned[turned_pixel]) == renderer.head_colors[0]  # seat 1 drawn in seat 0's colour


def test_render_without_mode_returns_none() -> None:
    env = TronEnv()
    env.reset(seed=0)
    assert env.render() is None


def test_step_before_reset_raises() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        TronEnv().step(STRAIGHT)
    with pytest.raises(RuntimeError, match="reset"):
        TronEnv(opponent=None).joint_step(STRAIGHT, STRAIGHT)


def test_random_openings_vary_with_the_seed_and_leave_the_game_running():
    env = TronEnv(opponent="space", opening_moves=3)
    starts = set()
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        assert info["steps"] == 3 and info["winner"] == -1
        starts.add(obs.tobytes())
    assert len(starts) > 10
    with pytest.raises(ValueError, match="opening_moves"):
        TronEnv(opening_moves=-2)
