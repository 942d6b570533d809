"""Snake state -> (H, W, 3) uint8 RGB frame, drawn with numpy only.

Layout: a score strip on top, then the board. Everything that does not depend on the state (grid, strip
background, sprites and masks) is built once in ``__init__``; a frame is a copy of that base plus block
copies of pre-coloured body tiles.
"""

from __future__ import annotations

import numpy as np

from envs import theme
from envs.common import disc_mask, rounded_rect_mask
from envs.snake.rules import DOWN, LEFT, RIGHT, UP, SnakeRules
from envs.text import FONT_HEIGHT, GLYPH_WIDTH, draw_text, text_width

EYE_WHITE = (245, 245, 245)
TAIL_SHADE = 0.55  # the tail is drawn at this fraction of the body colour so the snake's order is visible
SHADE_LEVELS = 32
APPLE_HIGHLIGHT = (255, 160, 150)
APPLE_STEM = (110, 75, 40)
DEAD_HEAD = (200, 90, 70)


class SnakeRenderer:
    """Draws a ``SnakeRules`` board with ``cell_px`` pixels per cell."""

    def __init__(self, size: int, cell_px: int = 32) -> None:
        if cell_px < 4:
            raise ValueError(f"cell_px must be >= 4 to draw a snake, got {cell_px}")
        self.size = size
        self.cell = cell_px
        self.strip = max(8, cell_px * 5 // 4)
        board_px = size * cell_px
        # Text fills about half the strip's height, but never more than lets the longest left and right
        # labels ("SCORE 999", "GAME OVER": 18 glyphs of 4 columns) share the width.
        self.text_scale = max(
            1, min((self.strip * 11 // 20) // FONT_HEIGHT, (board_px - cell_px) // (18 * (GLYPH_WIDTH + 1)))
        )
        self.height = self.strip + board_px
        self.width = board_px
        self.pad = max(1, cell_px // 10)  # gap between a segment and its cell border
        inner = cell_px - 2 * self.pad
        self.inner = inner

        base = np.empty((self.height, self.width, 3), dtype=np.uint8)
        base[: self.strip] = theme.PANEL
        base[self.strip :] = theme.BACKGROUND
        # Grid lines on the cell borders (the outer ones frame the board).
        for line in range(size + 1):
            offset = min(line * cell_px, board_px - 1)
            base[self.strip + offset, :] = theme.GRID_LINE
            base[self.strip :, offset] = theme.GRID_LINE
        self._base = base

        # Body pieces are pre-coloured tiles, one per shade level (head bright, tail dark), so drawing a
        # segment is a plain block copy: masked fills cost ~20x more and a long snake has many segments.
        segment_mask = rounded_rect_mask(inner, inner, max(1, inner // 4))
        self._segment_tiles: list[np.ndarray] = []
        self._across_bridges: list[np.ndarray] = []  # joins left-right neighbours, centre to centre
        self._along_bridges: list[np.ndarray] = []  # joins up-down neighbours
        for shade in np.linspace(1.0, TAIL_SHADE, SHADE_LEVELS):
            color = (np.asarray(theme.SNAKE_BODY, dtype=np.float64) * shade).astype(np.uint8)
            tile = np.empty((inner, inner, 3), dtype=np.uint8)
            tile[:] = theme.BACKGROUND
            tile[segment_mask] = color
            self._segment_tiles.append(tile)
            self._across_bridges.append(np.tile(color, (inner, cell_px, 1)))
            self._along_bridges.append(np.tile(color, (cell_px, inner, 1)))
        self._head_sprites = {
            False: self._head_sprites_for(theme.SNAKE_HEAD),
            True: self._head_sprites_for(DEAD_HEAD),
        }
        self._apple_sprite, self._apple_mask = self._make_apple()

    # ----------------------------------------------------------------- sprites
    def _head_sprites_for(self, color: tuple[int, int, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Head sprite + mask for each heading: drawn looking up, then rotated."""
        inner = self.inner
        sprite = np.zeros((inner, inner, 3), dtype=np.uint8)
        sprite[:] = color
        mask = rounded_rect_mask(inner, inner, max(1, inner // 3))
        eye = max(2, inner // 4)
        pupil = max(1, eye // 2)
        eye_top = max(0, inner * 3 // 10 - eye // 2)
        for eye_centre in (inner * 3 // 10, inner * 7 // 10):
            eye_left = min(max(0, eye_centre - eye // 2), inner - eye)
            sprite[eye_top : eye_top + eye, eye_left : eye_left + eye][disc_mask(eye)] = EYE_WHITE
            # Pupils sit at the front of the eye, so the snake looks where it is going.
            pupil_left = eye_left + (eye - pupil) // 2
            sprite[eye_top : eye_top + pupil, pupil_left : pupil_left + pupil][disc_mask(pupil)] = (
                theme.BACKGROUND
            )
        # np.rot90 turns counter-clockwise: up -> left is one turn, up -> right is three.
        turns = {UP: 0, LEFT: 1, DOWN: 2, RIGHT: 3}
        return {
            heading: (np.ascontiguousarray(np.rot90(sprite, k)), np.ascontiguousarray(np.rot90(mask, k)))
            for heading, k in turns.items()
        }

    def _make_apple(self) -> tuple[np.ndarray, np.ndarray]:
        cell = self.cell
        sprite = np.zeros((cell, cell, 3), dtype=np.uint8)
        mask = np.zeros((cell, cell), dtype=bool)
        diameter = max(3, cell * 7 // 10)
        top = (cell - diameter) // 2 + max(1, cell // 16)
        left = (cell - diameter) // 2
        body = disc_mask(diameter)
        sprite[top : top + diameter, left : left + diameter][body] = theme.APPLE
        mask[top : top + diameter, left : left + diameter] |= body
        shine = max(1, diameter // 4)
        shine_top, shine_left = top + diameter // 5, left + diameter // 5
        sprite[shine_top : shine_top + shine, shine_left : shine_left + shine][disc_mask(shine)] = (
            APPLE_HIGHLIGHT
        )
        stem_width = max(1, cell // 14)
        stem_left = cell // 2 - stem_width // 2
        stem_top = max(0, top - max(2, cell // 8))
        sprite[stem_top : top + 1, stem_left : stem_left + stem_width] = APPLE_STEM
        mask[stem_top : top + 1, stem_left : stem_left + stem_width] = True
        leaf = max(2, cell // 6)
        leaf_top, leaf_left = stem_top, min(cell - leaf, stem_left + stem_width)
        sprite[leaf_top : leaf_top + leaf, leaf_left : leaf_left + leaf][disc_mask(leaf)] = theme.GOAL
        mask[leaf_top : leaf_top + leaf, leaf_left : leaf_left + leaf] |= disc_mask(leaf)
        return sprite, mask

    # ----------------------------------------------------------------- drawing
    def _cell_origin(self, cell: int) -> tuple[int, int]:
        row, col = divmod(cell, self.size)
        return self.strip + row * self.cell, col * self.cell

    def draw(self, rules: SnakeRules) -> np.ndarray:
        frame = self._base.copy()
        self._draw_strip(frame, rules)
        if rules.apple >= 0:
            top, left = self._cell_origin(rules.apple)
            frame[top : top + self.cell, left : left + self.cell][self._apple_mask] = self._apple_sprite[
                self._apple_mask
            ]
        self._draw_snake(frame, rules)
        return frame

    def _draw_snake(self, frame: np.ndarray, rules: SnakeRules) -> None:
        body = rules.body
        pad, inner, cell, strip, size = self.pad, self.inner, self.cell, self.strip, self.size
        last_level = SHADE_LEVELS - 1
        divisor = max(1, len(body) - 1)
        corners: list[tuple[int, int]] = []  # each segment's top-left pixel inside its cell's padding
        for cell_index in body:
            row, col = divmod(cell_index, size)
            corners.append((strip + row * cell + pad, col * cell + pad))
        # Segments first, then the bridges between neighbours, so no segment's rounded corner cuts a bridge.
        for index in range(1, len(corners)):
            top, left = corners[index]
            frame[top : top + inner, left : left + inner] = self._segment_tiles[index * last_level // divisor]
        half = inner // 2
        for index in range(1, len(corners)):
            top, left = corners[index]
            next_top, next_left = corners[index - 1]
            level = index * last_level // divisor
            if top == next_top:
                left = min(left, next_left) + half
                frame[top : top + inner, left : left + cell] = self._across_bridges[level]
            else:
                top = min(top, next_top) + half
                frame[top : top + cell, left : left + inner] = self._along_bridges[level]
        sprite, mask = self._head_sprites[rules.dead][rules.direction]
        top, left = corners[0]
        frame[top : top + inner, left : left + inner][mask] = sprite[mask]

    def _draw_strip(self, frame: np.ndarray, rules: SnakeRules) -> None:
        scale = self.text_scale
        top = (self.strip - FONT_HEIGHT * scale) // 2
        margin = max(2, self.cell // 4)
        x = draw_text(frame, "SCORE ", margin, top, theme.TEXT_DIM, scale)
        draw_text(frame, str(rules.score), x, top, theme.TEXT, scale)
        if rules.won:
            status, color = "YOU WIN!", theme.ACCENT
        elif rules.dead:
            status, color = "GAME OVER", theme.APPLE
        else:
            status, color = f"LEN {rules.length}", theme.TEXT_DIM
        draw_text(frame, status, self.width - margin - text_width(status, scale), top, color, scale)
