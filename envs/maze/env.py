"""Single-player Maze as a gymnasium env (thin layer over ``envs.maze.rules``).

A perfect maze of ``size`` x ``size`` cells; the agent walks from the start (default top-left) to the goal
(default bottom-right). A new maze is generated from ``self.np_random`` at every reset unless
``fixed_maze=True``, which keeps the maze of the first seeded reset (or of the first reset when none is
seeded) for the env's lifetime, or ``maze_seed=N``, which always uses the maze that seed N generates (the same
layout in every env made with it: training and evaluation envs agree whatever their reset seeds).

Observations:

- ``obs_mode="planes"`` (default): uint8 ``(3, 2*size+1, 2*size+1)``, values 0/255, on the wall+cell grid:
  0 walls, 1 agent, 2 goal.
- ``obs_mode="pixels"``: the rendered frame downscaled to ``(3, pixel_size, pixel_size)`` uint8 (drawn by
  a second renderer with just enough pixels per cell to cover ``pixel_size``, which keeps it cheap).
- ``obs_mode="index"``: ``Discrete(size*size)``, the agent's cell ``row * size + col``. It says nothing about
  the walls, so it is only meaningful with ``fixed_maze=True`` (tabular Q-learning); with a new maze per
  reset it stays valid, but no agent can generalise from it.

``random_start=True`` starts each episode on a random cell (goal fixed bottom-right); ``random_start_goal=True``
draws both.

Actions: ``Discrete(4)`` 0 up, 1 right, 2 down, 3 left; walking into a wall leaves the agent in place.
Rewards: ``goal_reward`` on the step that reaches the goal (terminated), ``step_cost`` on every other step.
Truncated after ``max_steps`` steps (default 4 * cells).
``info``: ``success`` (reached the goal), ``distance_to_goal`` (BFS moves left from the agent's cell),
``steps``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.common import HumanWindow, downscale, keys_to_action
from envs.maze.render import MazeRenderer
from envs.maze.rules import MIN_SIZE, MazeRules
from envs.registry import MAZE

OBS_MODES: tuple[str, ...] = ("planes", "pixels", "index")
WALLS, AGENT, GOAL = 0, 1, 2
NUM_PLANES = 3
FULL = 255
DISPLAY_BOARD_PX = 640  # big mazes get smaller cells so the display frame stays on screen


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


MAX_SIZE = 64  # cells per side an env takes: bigger is a typo, and its planes and searches get needlessly big


class MazeEnv(gym.Env):
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(
        self,
        size: int = 9,
        obs_mode: str = "planes",
        render_mode: str | None = None,
        fixed_maze: bool = False,
        maze_seed: int | None = None,
        random_start_goal: bool = False,
        random_start: bool = False,
        goal_reward: float = 1.0,
        step_cost: float = -0.01,
        max_steps: int | None = None,
        pixel_size: int = 64,
    ) -> None:
        if not _is_int(size) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"maze size must be an int >= {MIN_SIZE} and <= {MAX_SIZE} cells, got {size!r}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"unknown obs_mode {obs_mode!r}; allowed: {', '.join(OBS_MODES)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            allowed = ", ".join(self.metadata["render_modes"])
            raise ValueError(f"unknown render_mode {render_mode!r}; allowed: None, {allowed}")
        flags = (("fixed_maze", fixed_maze), ("random_start_goal", random_start_goal), ("random_start", random_start))
        for name, flag in flags:
            if not isinstance(flag, bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        for name, value in (("goal_reward", goal_reward), ("step_cost", step_cost)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if maze_seed is not None and (not _is_int(maze_seed) or maze_seed < 0):
            raise ValueError(f"maze_seed must be None or an int >= 0, got {maze_seed!r}")
        num_cells = int(size) * int(size)
        if max_steps is None:
            max_steps = 4 * num_cells
        if not _is_int(max_steps) or max_steps < 1:
            raise ValueError(f"max_steps must be an int >= 1, got {max_steps!r}")
        if not _is_int(pixel_size) or not 8 <= pixel_size <= 512:
            raise ValueError(f"pixel_size must be an int from 8 to 512, got {pixel_size!r}")

        self.size = int(size)
        self.num_cells = num_cells
        self.obs_mode = obs_mode
        self.render_mode = render_mode
        self.fixed_maze = bool(fixed_maze)
        self.maze_seed = None if maze_seed is None else int(maze_seed)
        self.random_start_goal = bool(random_start_goal)
        self.random_start = bool(random_start)
        self.goal_reward = float(goal_reward)
        self.step_cost = float(step_cost)
        self.max_steps = int(max_steps)
        self.pixel_size = int(pixel_size)
        self.rules = MazeRules(self.size)

        grid = self.rules.grid_size
        self.action_space = spaces.Discrete(4)
        if obs_mode == "planes":
            self.observation_space = spaces.Box(0, FULL, (NUM_PLANES, grid, grid), dtype=np.uint8)
        elif obs_mode == "pixels":
            self.observation_space = spaces.Box(
                0, FULL, (3, self.pixel_size, self.pixel_size), dtype=np.uint8
            )
        else:
            self.observation_space = spaces.Discrete(num_cells)

        self._planes = np.zeros((NUM_PLANES, grid, grid), dtype=np.uint8)
        self._agent_flat = self._planes[AGENT].reshape(-1)
        self._goal_flat = self._planes[GOAL].reshape(-1)
        # Flat index of each cell's square in the (2*size+1)^2 grid, so plane updates are scalar writes.
        self._grid_index = [
            (2 * row + 1) * grid + 2 * col + 1 for row in range(self.size) for col in range(self.size)
        ]
        self._has_maze = False
        self._maze_from_seed = False

        # Walls take a quarter of a cell, so the board spans about 1.25 cells per maze cell.
        self._renderer = MazeRenderer(self.size, max(8, min(28, DISPLAY_BOARD_PX * 4 // (5 * self.size))))
        # Pixel observations come from a renderer with the fewest pixels per cell that still covers
        # pixel_size: the same picture, far cheaper to draw and area-downscale than the display frame.
        self._pixel_renderer = (
            MazeRenderer(self.size, max(4, -(-self.pixel_size // self.size)))
            if obs_mode == "pixels"
            else None
        )
        self._window: HumanWindow | None = None

    # ----------------------------------------------------------------- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray | int, dict[str, Any]]:
        super().reset(seed=seed)
        rules = self.rules
        # fixed_maze keeps the first maze, except that the first *seeded* reset still replaces a maze made
        # from an unseeded one, so a fixed maze is always reproducible from the seed that made it.
        keep = self.fixed_maze and self._has_maze and (self._maze_from_seed or seed is None)
        # The maze gets its own generator, seeded by one draw that every reset takes: the rest of the
        # episode's randomness (start and goal) then follows from the reset seed alone, whether or not the
        # maze was kept.
        maze_seed = int(self.np_random.integers(2**63))
        if self.maze_seed is not None:
            keep = self._has_maze
            maze_seed = self.maze_seed
        if not keep:
            rules.generate(np.random.default_rng(maze_seed))
            self._has_maze = True
            self._maze_from_seed = seed is not None
        if self.random_start_goal:
            start = int(self.np_random.integers(self.num_cells))
            goal = int(self.np_random.integers(self.num_cells - 1))
            if goal >= start:  # skip the start cell: uniform over the other cells
                goal += 1
        elif self.random_start:
            # A curriculum for learners: starts near the goal get solved first and their value spreads back.
            goal = self.num_cells - 1
            start = int(self.np_random.integers(self.num_cells - 1))
        else:
            start, goal = 0, self.num_cells - 1
        rules.place(start, goal)
        self._refresh_planes()
        if self.render_mode == "human":
            self._show()
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray | int, float, bool, bool, dict[str, Any]]:
        rules = self.rules
        old_cell = rules.agent
        if rules.move(action):
            self._agent_flat[self._grid_index[old_cell]] = 0
            self._agent_flat[self._grid_index[rules.agent]] = FULL
        success = rules.agent == rules.goal
        reward = self.goal_reward if success else self.step_cost
        truncated = not success and rules.steps >= self.max_steps
        if self.render_mode == "human":
            self._show()
        return self._observation(), reward, success, truncated, self._info()

    def render(self) -> np.ndarray | None:
        if self.render_mode == "rgb_array":
            return self._renderer.draw(self.rules)
        if self.render_mode == "human":
            self._show()
        return None

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    # ----------------------------------------------------------------- play helpers
    def get_keys_to_action(self) -> dict[tuple[int, ...], int]:
        """Arrow keys and WASD (pygame key codes, from ``envs.registry``) -> moves, for ``gymnasium.utils.play``.

        Every action moves (or bumps), so there is no "do nothing" action: play the maze turn by turn
        (``gymnasium.utils.play(..., wait_on_player=True)``).
        """
        return keys_to_action(MAZE.controls.keys)

    def set_layout(
        self, walls: np.ndarray, start: int = 0, goal: int | None = None
    ) -> tuple[np.ndarray | int, dict[str, Any]]:
        """Replace the maze with a hand-made wall grid (True = wall, shape (2*size+1, 2*size+1)) and start a
        new episode on it; for tests and hand-made levels. Returns ``(observation, info)`` like reset.

        The layout is kept until the next reset (or, with ``fixed_maze=True``, for good).
        """
        self.rules.set_walls(walls)
        self.rules.place(start, self.num_cells - 1 if goal is None else goal)
        self._has_maze = True
        self._maze_from_seed = True
        self._refresh_planes()
        return self._observation(), self._info()

    # ----------------------------------------------------------------- helpers
    def _refresh_planes(self) -> None:
        rules = self.rules
        self._planes[WALLS] = rules.walls * np.uint8(FULL)
        self._agent_flat[:] = 0
        self._agent_flat[self._grid_index[rules.agent]] = FULL
        self._goal_flat[:] = 0
        self._goal_flat[self._grid_index[rules.goal]] = FULL

    def _observation(self) -> np.ndarray | int:
        if self.obs_mode == "planes":
            return self._planes.copy()
        if self.obs_mode == "index":
            return self.rules.agent
        frame = downscale(self._pixel_renderer.draw(self.rules), self.pixel_size)
        return np.ascontiguousarray(frame.transpose(2, 0, 1))

    def _info(self) -> dict[str, Any]:
        rules = self.rules
        return {
            "success": rules.agent == rules.goal,
            "distance_to_goal": rules.distances[rules.agent],
            "steps": rules.steps,
        }

    def _show(self) -> None:
        if self._window is None:
            self._window = HumanWindow("Dojo - Maze", self.metadata["render_fps"])
        self._window.show(self._renderer.draw(self.rules))
