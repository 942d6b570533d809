"""Single-player Snake as a gymnasium env (thin layer over ``envs.snake.rules``).

Observation (``obs_mode="planes"``, default): uint8 ``(4, size, size)``, values 0..255, row-major board:

- 0 ``body``: every snake cell, valued by its place in the body: 255 at the head, then ``order_step`` less per
  segment towards the tail (never below 1). This gives the body's order (which cell frees next), so the
  state is Markov for a CNN.
- 1 ``head``: 255 at the head.
- 2 ``apple``: 255 at the apple (all zero once the board is full).
- 3 ``free``: 255 on every cell without snake. Off-board reads as 0 under a CNN's zero padding, so this
  plane also shows where the walls are.

``obs_mode="pixels"``: the rendered frame downscaled to ``(3, pixel_size, pixel_size)`` uint8 (drawn by a
second renderer with just enough pixels per cell to cover ``pixel_size``, which keeps it cheap).

Actions: ``Discrete(4)`` absolute headings 0 up, 1 right, 2 down, 3 left; the heading opposite the current
one means "keep going" (the snake cannot reverse into its neck).
Rewards: +1 per apple, -1 on death (wall or own body), ``step_reward`` otherwise.
Terminated on death or a full board; truncated after ``max_steps_without_food`` steps without an apple.
``info``: ``score`` (apples eaten), ``length``.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.common import HumanWindow, downscale, keys_to_action
from envs.registry import SNAKE
from envs.snake.render import SnakeRenderer
from envs.snake.rules import APPLE, BODY, FREE, FULL, HEAD, MAX_SIZE, MIN_SIZE, NUM_PLANES, SnakeRules, order_step

OBS_MODES: tuple[str, ...] = ("planes", "pixels")
DISPLAY_BOARD_PX = 640  # big boards get smaller cells so the display frame stays on screen


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def default_max_steps_without_food(size: int) -> int:
    """Default truncation: 100 plus the board area.

    Enough to reach any apple even when the body forces a detour through (nearly) every cell, and small
    enough to cut looping episodes short.
    """
    return 100 + size * size


class SnakeEnv(gym.Env):
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(
        self,
        size: int = 10,
        obs_mode: str = "planes",
        render_mode: str | None = None,
        step_reward: float = 0.0,
        max_steps_without_food: int | None = None,
        pixel_size: int = 64,
    ) -> None:
        if not _is_int(size) or not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError(f"snake size must be an int >= {MIN_SIZE} and <= {MAX_SIZE}, got {size!r}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"unknown obs_mode {obs_mode!r}; allowed: {', '.join(OBS_MODES)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            allowed = ", ".join(self.metadata["render_modes"])
            raise ValueError(f"unknown render_mode {render_mode!r}; allowed: None, {allowed}")
        if (
            isinstance(step_reward, bool)
            or not isinstance(step_reward, int | float)
            or not math.isfinite(step_reward)
        ):
            raise ValueError(f"step_reward must be a finite number, got {step_reward!r}")
        if max_steps_without_food is None:
            max_steps_without_food = default_max_steps_without_food(int(size))
        if not _is_int(max_steps_without_food) or max_steps_without_food < 1:
            raise ValueError(f"max_steps_without_food must be an int >= 1, got {max_steps_without_food!r}")
        if not _is_int(pixel_size) or not 8 <= pixel_size <= 512:
            raise ValueError(f"pixel_size must be an int from 8 to 512, got {pixel_size!r}")

        self.size = int(size)
        self.obs_mode = obs_mode
        self.render_mode = render_mode
        self.step_reward = float(step_reward)
        self.max_steps_without_food = int(max_steps_without_food)
        self.pixel_size = int(pixel_size)
        self.rules = SnakeRules(self.size)

        self.action_space = spaces.Discrete(4)
        if obs_mode == "planes":
            self.observation_space = spaces.Box(0, FULL, (NUM_PLANES, self.size, self.size), dtype=np.uint8)
        else:
            self.observation_space = spaces.Box(
                0, FULL, (3, self.pixel_size, self.pixel_size), dtype=np.uint8
            )

        self.order_step = order_step(self.size)  # body values step down this much per segment
        self._planes = np.zeros((NUM_PLANES, self.size, self.size), dtype=np.uint8)
        # Flat views of each plane: the rules number cells row-major, so a cell index writes directly.
        self._body_flat = self._planes[BODY].reshape(-1)
        self._head_flat = self._planes[HEAD].reshape(-1)
        self._apple_flat = self._planes[APPLE].reshape(-1)
        self._free_flat = self._planes[FREE].reshape(-1)

        self._renderer = SnakeRenderer(self.size, max(8, min(32, DISPLAY_BOARD_PX // self.size)))
        # Pixel observations come from a renderer with the fewest pixels per cell that still covers
        # pixel_size: the same picture, but drawing and area-downscaling it costs a fraction of the
        # 32 px/cell display frame (downscale's time grows with the frame's pixel count).
        self._pixel_renderer = (
            SnakeRenderer(self.size, max(4, -(-self.pixel_size // self.size)))
            if obs_mode == "pixels"
            else None
        )
        self._window: HumanWindow | None = None

    # ----------------------------------------------------------------- gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, int]]:
        super().reset(seed=seed)
        self.rules.reset(self.np_random)
        self._rebuild_planes()
        if self.render_mode == "human":
            self._show()
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, int]]:
        rules = self.rules
        old_head = rules.body[0]
        outcome = rules.step(action)
        if outcome.died:
            reward = -1.0
        else:
            self._advance_planes(old_head, outcome.freed_cell, outcome.ate)
            reward = 1.0 if outcome.ate else self.step_reward
        terminated = outcome.died or outcome.won
        truncated = not terminated and rules.steps_since_food >= self.max_steps_without_food
        if self.render_mode == "human":
            self._show()
        return self._observation(), reward, terminated, truncated, self._info()

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
        """Arrow keys and WASD (pygame key codes, from ``envs.registry``) -> headings, for ``gymnasium.utils.play``.

        Snake has no "do nothing" action; the no-key default that keeps the current heading changes as the
        snake turns, so read it from ``noop_action`` each tick.
        """
        return keys_to_action(SNAKE.controls.keys)

    @property
    def noop_action(self) -> int:
        """The action that keeps the snake going the way it heads now."""
        return self.rules.direction

    def set_state(
        self, body: list[tuple[int, int]], direction: int, apple: tuple[int, int] | None
    ) -> tuple[np.ndarray, dict[str, int]]:
        """Put the current episode in an exact position ((row, col) body cells, head first); for tests and
        puzzles. Call after reset (later apples come from its generator). Returns ``(observation, info)``."""
        self.rules.set_state(body, direction, apple)
        self._rebuild_planes()
        return self._observation(), self._info()

    # ----------------------------------------------------------------- observation bookkeeping
    def _rebuild_planes(self) -> None:
        self.rules.write_planes(self._planes)

    def _advance_planes(self, old_head: int, freed_cell: int, ate: bool) -> None:
        """Update the cached planes after a move instead of redrawing the board."""
        body = self._body_flat
        if freed_cell >= 0:
            body[freed_cell] = 0
            self._free_flat[freed_cell] = FULL
        # Everyone moves one place further from the head; values at or below the step are the clipped
        # far tail of a very long snake and stay at their floor.
        np.subtract(body, self.order_step, out=body, where=body > self.order_step)
        new_head = self.rules.body[0]
        body[new_head] = FULL
        self._free_flat[new_head] = 0
        self._head_flat[old_head] = 0
        self._head_flat[new_head] = FULL
        if ate:
            self._apple_flat[new_head] = 0
            if self.rules.apple >= 0:
                self._apple_flat[self.rules.apple] = FULL

    def _observation(self) -> np.ndarray:
        if self._pixel_renderer is None:
            return self._planes.copy()
        frame = downscale(self._pixel_renderer.draw(self.rules), self.pixel_size)
        return np.ascontiguousarray(frame.transpose(2, 0, 1))

    def _info(self) -> dict[str, int]:
        return {"score": self.rules.score, "length": len(self.rules.body)}

    def _show(self) -> None:
        if self._window is None:
            self._window = HumanWindow("Dojo - Snake", self.metadata["render_fps"])
        self._window.show(self._renderer.draw(self.rules))
