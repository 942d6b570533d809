"""Maze state -> (H, W, 3) uint8 RGB frame, drawn with numpy only.

Walls are drawn thinner than cells: grid squares on even rows/columns are ``wall_px`` wide, cell squares
``cell_px``. The maze picture (floor, walls, strip background) is built once per maze and cached; a frame
is a copy of it plus the goal, the agent and the strip text.
"""

from __future__ import annotations

import numpy as np

from envs import theme
from envs.common import disc_mask, rounded_rect_mask
from envs.maze.rules import MazeRules
from envs.text import FONT_HEIGHT, GLYPH_WIDTH, draw_text, text_width

AGENT_OUTLINE = (150, 110, 20)


class MazeRenderer:
    """Draws a ``MazeRules`` maze with ``cell_px`` pixels per cell."""

    def __init__(self, size: int, cell_px: int = 28) -> None:
        if cell_px < 4:
            raise ValueError(f"cell_px must be >= 4 to draw a maze, got {cell_px}")
        self.size = size
        self.cell = cell_px
        self.wall = max(2, cell_px // 4)
        # Pixel extent of every grid square along one axis: wall, cell, wall, ..., wall.
        self.square_px = np.array([self.wall if index % 2 == 0 else cell_px for index in range(2 * size + 1)])
        self.square_start = np.concatenate(([0], np.cumsum(self.square_px)[:-1]))
        board_px = int(self.square_px.sum())
        self.strip = max(8, cell_px * 5 // 4)
        # Text: about half the strip's height, narrow enough for "STEPS 999" and "SOLVED!" side by side.
        self.text_scale = max(
            1, min((self.strip * 11 // 20) // FONT_HEIGHT, (board_px - cell_px) // (18 * (GLYPH_WIDTH + 1)))
        )
        self.height = self.strip + board_px
        self.width = board_px

        inset = max(1, cell_px // 8)
        goal_side = cell_px - 2 * inset
        self._goal_offset = inset
        self._goal_tile = np.empty((goal_side, goal_side, 3), dtype=np.uint8)
        self._goal_tile[:] = theme.FLOOR
        self._goal_tile[rounded_rect_mask(goal_side, goal_side, max(1, goal_side // 4))] = theme.GOAL
        agent_side = cell_px - 2 * max(1, cell_px // 6)
        self._agent_offset = (cell_px - agent_side) // 2
        outline = disc_mask(agent_side)
        core = np.zeros_like(outline)
        ring = max(1, agent_side // 10)
        core[ring:-ring, ring:-ring] = disc_mask(agent_side - 2 * ring)
        self._agent_mask = outline
        self._agent_sprite = np.zeros((agent_side, agent_side, 3), dtype=np.uint8)
        self._agent_sprite[outline] = AGENT_OUTLINE
        self._agent_sprite[core] = theme.AGENT

        self._base: np.ndarray | None = None
        self._base_version = -1

    def _cell_origin(self, rules: MazeRules, cell: int) -> tuple[int, int]:
        row, col = divmod(cell, rules.size)
        return self.strip + int(self.square_start[2 * row + 1]), int(self.square_start[2 * col + 1])

    def _build_base(self, rules: MazeRules) -> np.ndarray:
        base = np.empty((self.height, self.width, 3), dtype=np.uint8)
        base[: self.strip] = theme.PANEL
        # Every pixel row inside one grid row looks the same: build that row once and copy it down the
        # grid row's height (several times cheaper than colouring or repeating pixel by pixel).
        squares = np.where(rules.walls[..., None], np.uint8(theme.WALL), np.uint8(theme.FLOOR))
        for grid_row, (top, height) in enumerate(zip(self.square_start, self.square_px)):
            top += self.strip
            base[top : top + height] = squares[grid_row].repeat(self.square_px, axis=0)
        return base

    def draw(self, rules: MazeRules) -> np.ndarray:
        if self._base is None or self._base_version != rules.layout_version:
            self._base = self._build_base(rules)
            self._base_version = rules.layout_version
        frame = self._base.copy()
        top, left = self._cell_origin(rules, rules.goal)
        side = self._goal_tile.shape[0]
        top, left = top + self._goal_offset, left + self._goal_offset
        frame[top : top + side, left : left + side] = self._goal_tile
        top, left = self._cell_origin(rules, rules.agent)
        side = self._agent_sprite.shape[0]
        top, left = top + self._agent_offset, left + self._agent_offset
        frame[top : top + side, left : left + side][self._agent_mask] = self._agent_sprite[self._agent_mask]
        self._draw_strip(frame, rules)
        return frame

    def _draw_strip(self, frame: np.ndarray, rules: MazeRules) -> None:
        scale = self.text_scale
        top = (self.strip - FONT_HEIGHT * scale) // 2
        margin = max(2, self.cell // 4)
        x = draw_text(frame, "STEPS ", margin, top, theme.TEXT_DIM, scale)
        draw_text(frame, str(rules.steps), x, top, theme.TEXT, scale)
        if rules.at_goal:
            status, color = "SOLVED!", theme.GOAL
        else:
            status, color = f"DIST {rules.distances[rules.agent]}", theme.TEXT_DIM
        draw_text(frame, status, self.width - margin - text_width(status, scale), top, color, scale)
