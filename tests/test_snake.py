"""Snake: rules, observation planes, gymnasium API, rendering."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the dojo envs)
from envs.snake.env import APPLE, BODY, FREE, HEAD, SnakeEnv, default_max_steps_without_food
from envs.snake.render import SnakeRenderer
from envs.snake.rules import DOWN, LEFT, RIGHT, UP, SnakeRules

# A 2x2 loop in the top-left corner: head at (0, 0) heading left (it came from (0, 1)), tail at (1, 0).
LOOP = [(0, 0), (0, 1), (1, 1), (1, 0)]


def make_env(**kwargs) -> SnakeEnv:
    env = SnakeEnv(**kwargs)
    env.reset(seed=0)
    return env


def expected_planes(rules: SnakeRules, order_step: int) -> np.ndarray:
    """The observation written out from scratch, as an oracle for the env's in-place updates."""
    planes = np.zeros((4, rules.size, rules.size), dtype=np.uint8)
    planes[FREE] = 255
    for order, cell in enumerate(rules.body):
        row, col = rules.row_col(cell)
        planes[BODY, row, col] = max(1, 255 - order * order_step)
        planes[FREE, row, col] = 0
    planes[(HEAD, *rules.row_col(rules.head))] = 255
    if rules.apple >= 0:
        planes[(APPLE, *rules.row_col(rules.apple))] = 255
    return planes


# ----------------------------------------------------------------------------------------------- rules
@pytest.mark.parametrize(
    ("body", "direction", "apple", "action", "expected_head", "died", "ate"),
    [
        # Plain moves in each direction.
        ([(5, 5), (5, 4), (5, 3)], RIGHT, None, RIGHT, (5, 6), False, False),
        ([(5, 5), (5, 4), (5, 3)], RIGHT, None, UP, (4, 5), False, False),
        ([(5, 5), (5, 4), (5, 3)], RIGHT, None, DOWN, (6, 5), False, False),
        ([(5, 5), (6, 5), (7, 5)], UP, None, LEFT, (5, 4), False, False),
        # Reversing into the neck is ignored: the snake keeps going straight.
        ([(5, 5), (5, 4), (5, 3)], RIGHT, None, LEFT, (5, 6), False, False),
        ([(5, 5), (6, 5), (7, 5)], UP, None, DOWN, (4, 5), False, False),
        # Walls on all four sides.
        ([(0, 3), (1, 3), (2, 3)], UP, None, UP, (0, 3), True, False),
        ([(9, 3), (8, 3), (7, 3)], DOWN, None, DOWN, (9, 3), True, False),
        ([(4, 0), (4, 1), (4, 2)], LEFT, None, LEFT, (4, 0), True, False),
        ([(4, 9), (4, 8), (4, 7)], RIGHT, None, RIGHT, (4, 9), True, False),
        # Into the cell the tail leaves this very step: legal.
        (LOOP, LEFT, None, DOWN, (1, 0), False, False),
        # Into the body (not the tail): death.
        ([(0, 0), (0, 1), (1, 1), (1, 0), (2, 0)], LEFT, None, DOWN, (0, 0), True, False),
        # Eating: the head moves onto the apple.
        ([(5, 5), (5, 4), (5, 3)], RIGHT, (5, 6), RIGHT, (5, 6), False, True),
    ],
)
def test_step_rules(body, direction, apple, action, expected_head, died, ate):
    rules = SnakeRules(10)
    rules.reset(np.random.default_rng(0))
    rules.set_state(body, direction, apple)
    outcome = rules.step(action)
    assert outcome.died == died == rules.dead
    assert outcome.ate == ate
    assert rules.row_col(rules.head) == expected_head
    if died:
        assert [rules.row_col(cell) for cell in rules.body] == body  # a dead snake does not move
    elif ate:
        assert rules.length == len(body) + 1 and rules.score == 1
        assert rules.row_col(rules.body[-1]) == body[-1]  # the tail stays put while growing
        assert outcome.freed_cell == -1
    else:
        assert rules.length == len(body)
        assert rules.row_col(outcome.freed_cell) == body[-1]


def test_new_apple_lands_on_a_free_cell():
    rules = SnakeRules(4)
    rules.reset(np.random.default_rng(1))
    rules.set_state([(0, 0), (1, 0), (2, 0)], UP, (0, 1))
    rules.step(RIGHT)
    assert rules.apple >= 0 and not rules.occupied[rules.apple]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_filling_the_board_wins(seed):
    # A 4x4 snowplough path covering 15 cells, head at (0, 1) heading left, apple on the last free cell.
    path = [(3, 0), (3, 1), (3, 2), (3, 3), (2, 3), (2, 2), (2, 1), (2, 0)]
    path += [(1, 0), (1, 1), (1, 2), (1, 3), (0, 3), (0, 2), (0, 1)]
    env = make_env(size=4)
    env.reset(seed=seed)
    env.set_state(path[::-1], LEFT, (0, 0))
    obs, reward, terminated, truncated, info = env.step(LEFT)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert env.rules.won and info["length"] == 16 and info["score"] == 1
    assert not obs[APPLE].any() and not obs[FREE].any()


def test_free_cell_bookkeeping_stays_exact():
    rules = SnakeRules(6)
    rng = np.random.default_rng(3)
    rules.reset(rng)
    for _ in range(3000):
        if rules.over:
            rules.reset(rng)
        rules.step(int(rng.integers(4)))
        free = set(rules.free_cells[: rules.free_count])
        assert free == {cell for cell in range(rules.area) if not rules.occupied[cell]}
        assert free.isdisjoint(rules.body) and len(free) + rules.length == rules.area
        assert all(rules.free_cells[rules.free_slot[cell]] == cell for cell in range(rules.area))


def test_apples_cover_every_free_cell_uniformly_enough():
    # Fixed snake on a 4x4 board: 13 free cells; 1300 placements should hit each one often.
    rules = SnakeRules(4)
    rng = np.random.default_rng(5)
    rules.reset(rng)
    counts = np.zeros(rules.area, dtype=int)
    for _ in range(1300):
        counts[rules._random_free_cell()] += 1
    snake = list(rules.body)
    assert counts[snake].sum() == 0
    free_counts = np.delete(counts, snake)
    assert free_counts.min() > 60 and free_counts.max() < 140


@pytest.mark.parametrize(
    ("body", "direction", "apple", "message"),
    [
        ([(0, 0)], RIGHT, None, "at least 2"),
        ([(0, 0), (0, 2)], RIGHT, None, "not adjacent"),
        ([(0, 0), (0, 1), (0, 0)], RIGHT, None, "overlaps"),
        ([(0, 0), (0, -1)], RIGHT, None, "off the"),
        ([(0, 1), (0, 0)], LEFT, None, "neck"),
        ([(0, 1), (0, 0)], 7, None, "direction"),
        ([(0, 1), (0, 0)], RIGHT, (0, 0), "on the snake"),
        ([(0, 1), (0, 0)], RIGHT, (10, 0), "off the"),
    ],
)
def test_set_state_rejects_impossible_positions(body, direction, apple, message):
    rules = SnakeRules(10)
    with pytest.raises(ValueError, match=message):
        rules.set_state(body, direction, apple)


def test_bad_actions_and_stepping_a_finished_game_raise():
    rules = SnakeRules(4)
    rules.reset(np.random.default_rng(0))
    with pytest.raises(ValueError, match="0..3"):
        rules.step(4)
    rules.set_state([(0, 0), (1, 0)], UP, None)
    assert rules.step(UP).died
    with pytest.raises(RuntimeError, match="reset"):
        rules.step(UP)


# ----------------------------------------------------------------------------------------------- env
def test_rewards_and_termination():
    env = make_env(step_reward=-0.05)
    env.set_state([(5, 5), (5, 4), (5, 3)], RIGHT, (5, 6))
    assert env.step(RIGHT)[1:4] == (1.0, False, False)
    assert env.step(UP)[1:4] == (-0.05, False, False)
    env.set_state([(0, 0), (0, 1), (0, 2)], LEFT, None)
    assert env.step(LEFT)[1:4] == (-1.0, True, False)


def test_truncates_after_steps_without_food():
    env = make_env(size=6, max_steps_without_food=5)
    env.set_state([(1, 1), (1, 0)], RIGHT, None)
    results = [env.step(action)[3] for action in (RIGHT, DOWN, LEFT, UP)]
    assert results == [False, False, False, False]
    assert env.step(RIGHT)[3] is True
    assert default_max_steps_without_food(10) == 200
    assert SnakeEnv(size=10).max_steps_without_food == 200


def test_observation_planes_encode_the_position():
    env = make_env(size=6)
    obs, info = env.set_state([(2, 3), (2, 2), (3, 2), (3, 1)], RIGHT, (0, 5))
    assert obs.shape == (4, 6, 6) and obs.dtype == np.uint8
    body_values = [obs[BODY][cell] for cell in [(2, 3), (2, 2), (3, 2), (3, 1)]]
    assert body_values[0] == 255 and all(a > b > 0 for a, b in zip(body_values, body_values[1:]))
    assert np.count_nonzero(obs[BODY]) == 4
    assert obs[HEAD][2, 3] == 255 and np.count_nonzero(obs[HEAD]) == 1
    assert obs[APPLE][0, 5] == 255 and np.count_nonzero(obs[APPLE]) == 1
    assert np.count_nonzero(obs[FREE]) == 32 and obs[FREE][2, 3] == 0
    assert info == {"score": 0, "length": 4}


def greedy_safe_action(rules: SnakeRules, rng: np.random.Generator) -> int:
    """Head for the apple without dying on the next move where possible, so test snakes grow long."""
    head_row, head_col = rules.row_col(rules.head)
    apple_row, apple_col = rules.row_col(rules.apple) if rules.apple >= 0 else (head_row, head_col)
    scored = []
    for action, (d_row, d_col) in enumerate([(-1, 0), (0, 1), (1, 0), (0, -1)]):
        row, col = head_row + d_row, head_col + d_col
        on_board = 0 <= row < rules.size and 0 <= col < rules.size
        safe = on_board and (
            not rules.occupied[row * rules.size + col] or row * rules.size + col == rules.body[-1]
        )
        distance = abs(row - apple_row) + abs(col - apple_col)
        scored.append((not safe, distance, rng.random(), action))
    return min(scored)[3]


@pytest.mark.parametrize("size", [4, 10])
def test_incremental_planes_match_a_rebuild(size):
    env = make_env(size=size)
    rng = np.random.default_rng(size)
    longest = 0
    for _ in range(1500):
        obs, _, terminated, truncated, _ = env.step(greedy_safe_action(env.rules, rng))
        np.testing.assert_array_equal(obs, expected_planes(env.rules, env.order_step))
        longest = max(longest, env.rules.length)
        if terminated or truncated:
            env.reset()
    assert longest >= 8  # the updates were checked on long, growing snakes too


def test_body_order_clips_at_one_on_boards_over_255_cells():
    size = 17  # 289 cells: one value step per segment, so segments past the 254th share the floor value 1
    env = make_env(size=size)
    snake = [(row, col if row % 2 == 0 else size - 1 - col) for row in range(size - 1) for col in range(size)]
    env.set_state(snake[::-1], LEFT, (16, 3))
    assert env.order_step == 1
    for action in (DOWN, RIGHT, RIGHT, RIGHT, RIGHT):
        obs, reward, terminated, _, _ = env.step(action)
        assert not terminated
        np.testing.assert_array_equal(obs, expected_planes(env.rules, env.order_step))
    assert env.rules.score == 1 and (obs[BODY] == 1).sum() > 1


def test_returned_observations_are_copies():
    env = make_env()
    first, _ = env.reset(seed=1)
    kept = first.copy()
    env.step(UP)
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("obs_mode", ["planes", "pixels"])
@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
def test_check_env(obs_mode, render_mode):
    env = gym.make("dojo/Snake-v0", obs_mode=obs_mode, render_mode=render_mode)
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


def test_check_env_human_mode_headless():
    env = gym.make("dojo/Snake-v0", render_mode="human")
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


@pytest.mark.parametrize("obs_mode", ["planes", "pixels"])
def test_seeded_resets_reproduce_and_differ(obs_mode):
    env_a, env_b = SnakeEnv(obs_mode=obs_mode), SnakeEnv(obs_mode=obs_mode)
    obs_a, _ = env_a.reset(seed=42)
    obs_b, _ = env_b.reset(seed=42)
    np.testing.assert_array_equal(obs_a, obs_b)
    for action in (UP, UP, RIGHT):
        np.testing.assert_array_equal(env_a.step(action)[0], env_b.step(action)[0])
    # The start is fixed and only the apple is random, so a few seeds must place it differently.
    apples = {SnakeEnv().reset(seed=seed)[0][APPLE].argmax() for seed in range(6)}
    assert len(apples) > 1


def test_pixel_observation_shape_and_change():
    env = make_env(obs_mode="pixels", pixel_size=48)
    assert env.observation_space.shape == (3, 48, 48)
    first, _ = env.reset(seed=3)
    assert first.shape == (3, 48, 48) and first.dtype == np.uint8 and first.flags.c_contiguous
    second = env.step(UP)[0]
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 3}, "size"),
        ({"size": 0}, "size"),
        ({"size": -5}, "size"),
        ({"size": 6.5}, "size"),
        ({"size": True}, "size"),
        ({"obs_mode": "rgb"}, "obs_mode.*planes, pixels"),
        ({"render_mode": "ascii"}, "render_mode.*human, rgb_array"),
        ({"max_steps_without_food": 0}, "max_steps_without_food"),
        ({"pixel_size": 0}, "pixel_size"),
        ({"step_reward": float("nan")}, "step_reward"),
    ],
)
def test_bad_kwargs_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SnakeEnv(**kwargs)


def test_keys_to_action_maps_arrows_and_wasd():
    import pygame

    keys = SnakeEnv().get_keys_to_action()
    assert keys[(pygame.K_UP,)] == keys[(pygame.K_w,)] == UP
    assert keys[(pygame.K_RIGHT,)] == keys[(pygame.K_d,)] == RIGHT
    assert keys[(pygame.K_DOWN,)] == keys[(pygame.K_s,)] == DOWN
    assert keys[(pygame.K_LEFT,)] == keys[(pygame.K_a,)] == LEFT
    env = make_env()
    assert env.noop_action == RIGHT
    env.step(UP)
    assert env.noop_action == UP


# ----------------------------------------------------------------------------------------------- render
def test_render_shape_and_changes_with_state():
    env = make_env(render_mode="rgb_array")
    first = env.render()
    assert first.ndim == 3 and first.shape[2] == 3 and first.dtype == np.uint8
    assert first.shape == (env._renderer.height, env._renderer.width, 3)
    env.step(UP)
    second = env.render()
    assert not np.array_equal(first, second)
    env.set_state([(0, 0), (0, 1), (0, 2)], LEFT, None)
    alive = env.render()
    env.step(LEFT)
    dead = env.render()  # same position, but the head and the strip show the death
    assert not np.array_equal(alive, dead)


def test_render_without_render_mode_returns_none():
    assert make_env().render() is None


@pytest.mark.parametrize("size", [4, 10, 25])
def test_renderer_draws_a_long_snake_inside_the_frame(size):
    env = make_env(size=size)
    snake = [(row, col if row % 2 == 0 else size - 1 - col) for row in range(size - 1) for col in range(size)]
    env.set_state(snake[::-1], RIGHT if (size - 2) % 2 == 0 else LEFT, (size - 1, 0))
    renderer = SnakeRenderer(size, cell_px=8)
    frame = renderer.draw(env.rules)
    assert frame.shape == (renderer.height, renderer.width, 3)
    with pytest.raises(ValueError, match="cell_px"):
        SnakeRenderer(size, cell_px=2)
