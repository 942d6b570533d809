"""Maze: generation, movement, distances, gymnasium API, rendering."""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the dojo envs)
from envs import theme
from envs.maze.env import AGENT, GOAL, WALLS, MazeEnv
from envs.maze.render import MazeRenderer
from envs.maze.rules import DOWN, LEFT, RIGHT, UP, MazeRules

# A hand-made perfect 3x3 maze ('#' wall, '.' open); the goal is the bottom-right cell.
#   (0,0) (0,1) (0,2)      top row open left to right, then down the right side,
#   (1,0) (1,1)|(1,2)      the bottom row open, (1,0)-(1,1) hang off (2,0).
#   (2,0) (2,1) (2,2)
SMALL_MAZE = [
    "#######",
    "#.....#",
    "#####.#",
    "#...#.#",
    "#.###.#",
    "#.....#",
    "#######",
]
# Moves from each cell to the goal (cell 8), worked out by hand from the picture.
SMALL_MAZE_DISTANCES = [4, 3, 2, 3, 4, 1, 2, 1, 0]


def parse(picture: list[str]) -> np.ndarray:
    return np.array([[char == "#" for char in row] for row in picture], dtype=bool)


def small_rules() -> MazeRules:
    rules = MazeRules(3)
    rules.set_walls(parse(SMALL_MAZE))
    rules.place(0, 8)
    return rules


def grid_bfs_distances(rules: MazeRules, goal: int) -> list[int]:
    """Independent oracle: BFS over the raw wall grid (two grid squares per move), not the move table."""
    grid = rules.grid_size
    goal_row, goal_col = rules.row_col(goal)
    start = (2 * goal_row + 1, 2 * goal_col + 1)
    seen = {start: 0}
    frontier = deque([start])
    while frontier:
        row, col = frontier.popleft()
        for d_row, d_col in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            if rules.walls[row + d_row, col + d_col]:
                continue
            nxt = (row + 2 * d_row, col + 2 * d_col)
            if 0 < nxt[0] < grid and 0 < nxt[1] < grid and nxt not in seen:
                seen[nxt] = seen[(row, col)] + 1
                frontier.append(nxt)
    return [seen.get((2 * r + 1, 2 * c + 1), -1) for r in range(rules.size) for c in range(rules.size)]


def solve(env: MazeEnv) -> list[int]:
    """Actions along the shortest path from the agent to the goal, read off the BFS distances."""
    rules = env.rules
    cell, actions = rules.agent, []
    while cell != rules.goal:
        action = next(
            a for a in range(4) if rules.distances[rules.moves[cell][a]] == rules.distances[cell] - 1
        )
        actions.append(action)
        cell = rules.moves[cell][action]
    return actions


# ----------------------------------------------------------------------------------------------- rules
@pytest.mark.parametrize(("size", "seed"), [(2, 0), (3, 1), (9, 2), (9, 3), (15, 4), (30, 5)])
def test_generated_mazes_are_perfect_connected_and_solvable(size, seed):
    rules = MazeRules(size)
    rules.generate(np.random.default_rng(seed))
    assert rules.passage_count() == size * size - 1  # a spanning tree: exactly cells - 1 openings
    assert min(rules.distances) >= 0  # every cell reaches the goal, so all cells are connected
    assert rules.distances == grid_bfs_distances(rules, rules.goal)
    assert rules.shortest_path_length() == rules.distances[rules.start] > 0
    # Structure of the wall grid: solid border and corners, open cell squares.
    assert (
        rules.walls[0].all()
        and rules.walls[-1].all()
        and rules.walls[:, 0].all()
        and rules.walls[:, -1].all()
    )
    assert rules.walls[::2, ::2].all() and not rules.walls[1::2, 1::2].any()


def test_generation_depends_on_the_generator_only():
    first, second, other = MazeRules(9), MazeRules(9), MazeRules(9)
    first.generate(np.random.default_rng(7))
    second.generate(np.random.default_rng(7))
    other.generate(np.random.default_rng(8))
    assert np.array_equal(first.walls, second.walls)
    assert not np.array_equal(first.walls, other.walls)


def test_large_maze_needs_no_recursion():
    rules = MazeRules(120)  # a recursive DFS would blow Python's default recursion limit here
    rules.generate(np.random.default_rng(0))
    assert rules.passage_count() == 120 * 120 - 1


def test_bfs_distances_on_a_hand_made_maze():
    rules = small_rules()
    assert rules.distances == SMALL_MAZE_DISTANCES
    assert rules.shortest_path_length() == 4
    assert rules.shortest_path_length(4) == 4
    rules.place(8, 0)  # a new goal recomputes the distances
    assert rules.distances == grid_bfs_distances(rules, 0)


@pytest.mark.parametrize(
    ("cell", "action", "expected"),
    [
        (0, UP, 0),  # outer wall
        (0, LEFT, 0),  # outer wall
        (0, DOWN, 0),  # wall under (0,0)
        (0, RIGHT, 1),
        (1, DOWN, 1),  # wall under (0,1)
        (2, DOWN, 5),
        (4, RIGHT, 4),  # wall between (1,1) and (1,2)
        (4, LEFT, 3),
        (4, DOWN, 4),  # wall under (1,1)
        (3, DOWN, 6),
        (5, UP, 2),
        (8, RIGHT, 8),  # outer wall
        (7, LEFT, 6),
    ],
)
def test_walls_block_moves(cell, action, expected):
    rules = small_rules()
    rules.place(cell, 8 if cell != 8 else 0)
    moved = rules.move(action)
    assert rules.agent == expected
    assert moved == (expected != cell)
    assert rules.steps == 1


@pytest.mark.parametrize(
    ("picture_edit", "message"),
    [
        (lambda walls: walls[:-1], "shape"),
        (lambda walls: walls.__setitem__((1, 1), True) or walls, "cell square"),
        (lambda walls: walls.__setitem__((2, 2), False) or walls, "corner"),
        (lambda walls: walls.__setitem__((0, 1), False) or walls, "border"),
    ],
)
def test_set_walls_rejects_malformed_grids(picture_edit, message):
    with pytest.raises(ValueError, match=message):
        MazeRules(3).set_walls(picture_edit(parse(SMALL_MAZE)))


def test_rule_errors():
    with pytest.raises(ValueError, match="start and goal must differ"):
        small_rules().place(3, 3)
    with pytest.raises(ValueError, match="goal must be a cell index in 0..8"):
        small_rules().place(0, 9)
    with pytest.raises(ValueError, match="0..3"):
        small_rules().move(5)
    rules = small_rules()
    rules.place(7, 8)
    rules.move(RIGHT)
    assert rules.at_goal
    with pytest.raises(RuntimeError, match="solved"):
        rules.move(LEFT)


# ----------------------------------------------------------------------------------------------- env
def test_walking_the_shortest_path_reaches_the_goal():
    env = MazeEnv(size=6, goal_reward=2.0, step_cost=-0.5)
    _, info = env.reset(seed=11)
    path = solve(env)
    assert len(path) == info["distance_to_goal"] == env.rules.shortest_path_length()
    for step, action in enumerate(path, start=1):
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["steps"] == step and info["distance_to_goal"] == len(path) - step
        assert truncated is False
        assert terminated == info["success"] == (step == len(path))
        assert reward == (2.0 if step == len(path) else -0.5)


def test_bumping_a_wall_costs_a_step_and_keeps_the_observation():
    env = MazeEnv(size=3)
    env.reset(seed=0)
    before, info = env.set_layout(parse(SMALL_MAZE))
    assert info == {"success": False, "distance_to_goal": 4, "steps": 0}
    obs, reward, terminated, truncated, info = env.step(DOWN)
    assert (reward, terminated, truncated) == (-0.01, False, False)
    np.testing.assert_array_equal(obs, before)
    obs, *_ = env.step(RIGHT)
    assert obs[AGENT, 1, 3] == 255 and np.count_nonzero(obs[AGENT]) == 1


def test_truncates_after_max_steps():
    env = MazeEnv(size=3, max_steps=3)
    env.reset(seed=0)
    env.set_layout(parse(SMALL_MAZE))
    results = [env.step(UP)[2:4] for _ in range(3)]
    assert results == [(False, False), (False, False), (False, True)]
    assert MazeEnv(size=9).max_steps == 4 * 81


def test_planes_show_walls_agent_and_goal():
    env = MazeEnv(size=3)
    env.reset(seed=0)
    obs, _ = env.set_layout(parse(SMALL_MAZE), start=4, goal=2)
    assert obs.shape == (3, 7, 7) and obs.dtype == np.uint8
    np.testing.assert_array_equal(obs[WALLS] == 255, parse(SMALL_MAZE))
    assert obs[AGENT, 3, 3] == 255 and np.count_nonzero(obs[AGENT]) == 1
    assert obs[GOAL, 1, 5] == 255 and np.count_nonzero(obs[GOAL]) == 1


def test_index_observation_is_the_agent_cell():
    env = MazeEnv(size=3, obs_mode="index")
    assert env.observation_space == gym.spaces.Discrete(9)
    env.reset(seed=0)
    obs, _ = env.set_layout(parse(SMALL_MAZE))
    assert obs == 0
    assert env.step(RIGHT)[0] == 1
    assert env.step(RIGHT)[0] == 2
    assert env.step(DOWN)[0] == 5


def test_new_maze_every_reset_by_default():
    env = MazeEnv()
    env.reset(seed=0)
    first = env.rules.walls.copy()
    env.reset()
    assert not np.array_equal(first, env.rules.walls)


def test_fixed_maze_keeps_the_first_seeded_maze():
    env = MazeEnv(fixed_maze=True)
    env.reset()  # unseeded: replaced by the first seeded reset
    env.reset(seed=5)
    seeded = env.rules.walls.copy()
    for seed in (None, 6, None):
        env.reset(seed=seed)
        np.testing.assert_array_equal(env.rules.walls, seeded)
    fresh = MazeEnv(fixed_maze=True)
    fresh.reset(seed=5)
    np.testing.assert_array_equal(fresh.rules.walls, seeded)


def test_random_start_and_goal():
    env = MazeEnv(size=4, random_start_goal=True, fixed_maze=True)
    pairs = set()
    for seed in range(20):
        _, info = env.reset(seed=seed)
        assert env.rules.start != env.rules.goal
        assert info["distance_to_goal"] == env.rules.shortest_path_length() > 0
        pairs.add((env.rules.start, env.rules.goal))
    assert len(pairs) > 10
    default = MazeEnv(size=4)
    default.reset(seed=0)
    assert (default.rules.start, default.rules.goal) == (0, 15)


@pytest.mark.parametrize("obs_mode", ["planes", "pixels", "index"])
@pytest.mark.parametrize("fixed_maze", [False, True])
def test_check_env(obs_mode, fixed_maze):
    env = gym.make("dojo/Maze-v0", obs_mode=obs_mode, fixed_maze=fixed_maze, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    env.close()


@pytest.mark.parametrize("obs_mode", ["planes", "pixels"])
def test_seeded_resets_reproduce_and_differ(obs_mode):
    obs_a, _ = MazeEnv(obs_mode=obs_mode).reset(seed=3)
    obs_b, _ = MazeEnv(obs_mode=obs_mode).reset(seed=3)
    obs_c, _ = MazeEnv(obs_mode=obs_mode).reset(seed=4)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert not np.array_equal(obs_a, obs_c)


def test_pixel_observation_shape_and_change():
    env = MazeEnv(obs_mode="pixels", pixel_size=40)
    first, _ = env.reset(seed=1)
    assert first.shape == (3, 40, 40) and first.dtype == np.uint8 and first.flags.c_contiguous
    moved = next(action for action in range(4) if env.rules.moves[0][action] != 0)
    assert not np.array_equal(first, env.step(moved)[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 1}, "size"),
        ({"size": 0}, "size"),
        ({"size": -3}, "size"),
        ({"size": "9"}, "size"),
        ({"obs_mode": "rgb"}, "obs_mode.*planes, pixels, index"),
        ({"render_mode": "text"}, "render_mode.*human, rgb_array"),
        ({"max_steps": 0}, "max_steps"),
        ({"pixel_size": -1}, "pixel_size"),
        ({"goal_reward": float("inf")}, "goal_reward"),
        ({"step_cost": "cheap"}, "step_cost"),
        ({"fixed_maze": "yes"}, "fixed_maze"),
    ],
)
def test_bad_kwargs_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MazeEnv(**kwargs)


def test_keys_to_action_maps_arrows_and_wasd():
    import pygame

    keys = MazeEnv().get_keys_to_action()
    assert keys[(pygame.K_UP,)] == keys[(pygame.K_w,)] == UP
    assert keys[(pygame.K_RIGHT,)] == keys[(pygame.K_d,)] == RIGHT
    assert keys[(pygame.K_DOWN,)] == keys[(pygame.K_s,)] == DOWN
    assert keys[(pygame.K_LEFT,)] == keys[(pygame.K_a,)] == LEFT


# ----------------------------------------------------------------------------------------------- render
def test_render_shape_and_changes_with_state():
    env = MazeEnv(size=3, render_mode="rgb_array")
    env.reset(seed=0)
    env.set_layout(parse(SMALL_MAZE))
    first = env.render()
    assert first.shape == (env._renderer.height, env._renderer.width, 3) and first.dtype == np.uint8
    env.step(DOWN)  # a bump: only the step counter in the strip changes
    bumped = env.render()
    env.step(RIGHT)
    moved = env.render()
    assert not np.array_equal(first, bumped)
    changed_rows = np.flatnonzero((moved != bumped).any(axis=(1, 2)))
    assert changed_rows.max() >= env._renderer.strip  # the agent moved on the board, not just in the strip
    env.reset(seed=1)
    assert env.render().shape == first.shape


def test_render_draws_walls_where_the_grid_has_them():
    rules = small_rules()
    renderer = MazeRenderer(3, cell_px=8)
    frame = renderer.draw(rules)
    # The centre of every grid square shows wall colour exactly where the grid has a wall
    # (cells are floor except where the agent and the goal are drawn).
    centres = renderer.square_start + renderer.square_px // 2
    board = frame[renderer.strip :]
    is_wall_colour = (board[np.ix_(centres, centres)] == theme.WALL).all(axis=2)
    np.testing.assert_array_equal(is_wall_colour, rules.walls)


def test_render_without_render_mode_returns_none():
    env = MazeEnv()
    env.reset(seed=0)
    assert env.render() is None


def test_maze_seed_pins_one_layout_across_envs_and_reset_seeds():
    first = MazeEnv(size=6, maze_seed=42)
    second = MazeEnv(size=6, maze_seed=42)
    other = MazeEnv(size=6, maze_seed=43)
    obs_a, _ = first.reset(seed=1)
    obs_b, _ = second.reset(seed=999)
    obs_c, _ = other.reset(seed=1)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert not np.array_equal(obs_a, obs_c)
    obs_again, _ = first.reset(seed=5)
    np.testing.assert_array_equal(obs_a, obs_again)
    with pytest.raises(ValueError, match="maze_seed"):
        MazeEnv(maze_seed=-1)


def test_random_start_keeps_the_goal_and_varies_the_start():
    env = MazeEnv(size=5, maze_seed=3, random_start=True)
    starts = set()
    for seed in range(30):
        env.reset(seed=seed)
        assert env.rules.goal == env.num_cells - 1
        assert env.rules.agent != env.rules.goal
        starts.add(env.rules.agent)
    assert len(starts) > 5
