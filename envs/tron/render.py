"""Tron arena -> (H, W, 3) uint8 RGB frame, pure numpy.

Each trail cell is one of 16 precomputed tiles per colour (which of its four sides the light line leaves by),
so the whole arena is assembled with a single gather however long the trails are; heads and crash markers
are painted on top through precomputed masks.
"""

from __future__ import annotations

import numpy as np

from envs import theme
from envs.text import GLYPH_WIDTH, draw_text, text_size
from envs.tron.rules import TronGame

COLOR_NAMES = ("BLUE", "RED")  # the names of theme.PLAYER_COLORS, for the status strip
TILES_PER_COLOR = 16  # one per subset of connected sides
FLOOR_TILE = 0


def _lighten(color: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(int(channel + (255 - channel) * amount) for channel in color)


def _line_mask(cell: int, half_width: int, sides: int) -> np.ndarray:
    """A centred square of the given half width plus arms running to each side whose bit is set."""
    low, high = cell // 2 - half_width, cell - (cell // 2 - half_width)
    mask = np.zeros((cell, cell), dtype=bool)
    mask[low:high, low:high] = True
    if sides & 1:
        mask[:high, low:high] = True
    if sides & 2:
        mask[low:high, low:] = True
    if sides & 4:
        mask[low:, low:high] = True
    if sides & 8:
        mask[low:high, :high] = True
    return mask


class TronRenderer:
    """Draws a ``size`` x ``size`` arena at ``cell`` pixels per cell, with a status strip on top."""

    def __init__(self, size: int, cell: int = 0) -> None:
        # By default the arena is about 384 pixels wide whatever its size, never under 8 pixels a cell.
        self.cell = cell if cell > 0 else max(8, 384 // size)
        if self.cell < 2:
            raise ValueError(f"cell size must be at least 2 pixels, got {cell}")
        cell = self.cell
        self.size = size
        self.strip_height = max(7, cell * 5 // 4)
        self.text_scale = max(1, self.strip_height // 14)
        self.width = size * cell
        self.height = self.strip_height + size * cell

        floor = np.empty((cell, cell, 3), dtype=np.uint8)
        floor[:] = theme.BACKGROUND
        if cell >= 8:  # grid lines only where they stay thin next to the cell
            floor[0, :] = theme.GRID_LINE
            floor[:, 0] = theme.GRID_LINE
        core_half = max(1, round(cell * 0.12))
        glow_half = max(core_half + 1, round(cell * 0.32))
        tiles = [floor]
        for color_index in (0, 1):
            for sides in range(TILES_PER_COLOR):
                tile = floor.copy()
                tile[_line_mask(cell, glow_half, sides)] = theme.PLAYER_TRAIL_COLORS[color_index]
                tile[_line_mask(cell, core_half, sides)] = theme.PLAYER_COLORS[color_index]
                tiles.append(tile)
        self.tiles = np.stack(tiles)
        self.head_mask = _line_mask(cell, max(1, round(cell * 0.42)), 0)
        self.head_core_mask = _line_mask(cell, max(1, round(cell * 0.16)), 0) if cell >= 6 else None
        self.head_colors = [_lighten(color, 0.35) for color in theme.PLAYER_COLORS]
        # The crash marker: an X across the cell, a little thicker on big cells.
        offsets = np.arange(cell)
        thickness = max(1, cell // 8)
        self.crash_mask = (np.abs(offsets[:, None] - offsets[None, :]) < thickness) | (
            np.abs(offsets[:, None] + offsets[None, :] - (cell - 1)) < thickness
        )
        self.base = np.empty((self.height, self.width, 3), dtype=np.uint8)
        self.base[: self.strip_height] = theme.PANEL
        self._tile_index = np.zeros((size, size), dtype=np.intp)

    def _to_view(self, row: int, col: int, perspective: int) -> tuple[int, int]:
        if perspective == 1:
            return self.size - 1 - row, self.size - 1 - col
        return row, col

    def draw(self, game: TronGame, max_steps: int, perspective: int = 0) -> np.ndarray:
        """Render ``game``. ``perspective=1`` turns the arena 180 degrees and swaps the colours, so that
        seat 1 sees itself exactly as seat 0 does (the start positions are point-symmetric)."""
        if game.size != self.size:
            raise ValueError(f"renderer is for size {self.size}, the game has size {game.size}")
        cell, size = self.cell, self.size
        tile_index = self._tile_index
        tile_index[:] = FLOOR_TILE
        for player in (0, 1):
            path = np.asarray(game.paths[player], dtype=np.intp)
            if perspective == 1:
                path = size - 1 - path
            steps = np.diff(path, axis=0)
            # Bits of the side each segment leaves by (in view coordinates): up 1, right 2, down 4, left 8.
            out_bits = np.select(
                [steps[:, 0] < 0, steps[:, 1] > 0, steps[:, 0] > 0], [1, 2, 4], default=8
            ).astype(np.intp)
            in_bits = ((out_bits << 2) | (out_bits >> 2)) & 15  # the opposite side
            sides = np.zeros(len(path), dtype=np.intp)
            sides[:-1] |= out_bits
            sides[1:] |= in_bits
            # Trails never revisit a cell, so plain fancy assignment cannot drop a duplicate.
            tile_index[path[:, 0], path[:, 1]] = 1 + (player ^ perspective) * TILES_PER_COLOR + sides
        frame = self.base.copy()
        arena = self.tiles[tile_index].transpose(0, 2, 1, 3, 4).reshape(size * cell, size * cell, 3)
        frame[self.strip_height :] = arena
        for player in (0, 1):
            top, left = self._origin(*self._to_view(*game.heads[player], perspective))
            region = frame[top : top + cell, left : left + cell]
            region[self.head_mask] = self.head_colors[player ^ perspective]
            if self.head_core_mask is not None:
                region[self.head_core_mask] = theme.TEXT
        for crash_cell in game.crash_cells:
            if crash_cell is not None:
                top, left = self._origin(*self._to_view(*crash_cell, perspective))
                frame[top : top + cell, left : left + cell][self.crash_mask] = theme.WIN_HIGHLIGHT
        self._draw_strip(frame, game, max_steps, perspective)
        return frame

    def _origin(self, row: int, col: int) -> tuple[int, int]:
        return self.strip_height + row * self.cell, col * self.cell

    def _draw_strip(self, frame: np.ndarray, game: TronGame, max_steps: int, perspective: int) -> None:
        scale = self.text_scale
        _, text_height = text_size("0", scale)
        top = (self.strip_height - text_height) // 2
        margin = max(1, self.cell // 3)
        if game.over:
            winner = game.winner
            label = f"{COLOR_NAMES[winner ^ perspective]} WINS" if winner >= 0 else "DRAW"
            parts = [(label, theme.WIN_HIGHLIGHT)]
        elif game.steps >= max_steps:
            parts = [("TIME UP - DRAW", theme.WIN_HIGHLIGHT)]
        else:
            parts = [
                (COLOR_NAMES[0], theme.PLAYER_COLORS[0]),
                (" VS ", theme.TEXT_DIM),
                (COLOR_NAMES[1], theme.PLAYER_COLORS[1]),
            ]
        status_width = text_size("".join(text for text, _ in parts), scale)[0]
        ticks = f"TICK {game.steps}/{max_steps}"
        if text_size(ticks, scale)[0] + status_width + 3 * margin > self.width:
            ticks = str(game.steps)  # small frames (pixel observations) keep just the number
        draw_text(frame, ticks, margin, top, theme.TEXT_DIM, scale)
        x = self.width - margin - status_width
        for text, color in parts:
            draw_text(frame, text, x, top, color, scale)
            x += len(text) * (GLYPH_WIDTH + 1) * scale
