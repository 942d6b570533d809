"""Connect Four board -> (H, W, 3) uint8 RGB frame, pure numpy.

Every cell is a precomputed, anti-aliased tile (hole, disc, highlighted disc), so drawing a frame is one copy
of the empty board plus one slice assignment per piece.
"""

from __future__ import annotations

import numpy as np

from envs import theme
from envs.connect_four.rules import COLS, ROWS, Board, bit_to_cell
from envs.text import draw_text, text_size

COLOR_NAMES = ("BLUE", "RED")  # the names of theme.PLAYER_COLORS, for the status strip


def _coverage(cell: int, radius: float) -> np.ndarray:
    """Fraction (0..1) of each pixel of a cell x cell tile inside a centred circle: cheap anti-aliasing."""
    centre = cell / 2
    offsets = np.arange(cell) + 0.5 - centre
    distance = np.hypot(offsets[:, None], offsets[None, :])
    return np.clip(radius - distance + 0.5, 0.0, 1.0)[..., None]


def _blend(under: np.ndarray, color: tuple[int, int, int], coverage: np.ndarray) -> np.ndarray:
    return under * (1.0 - coverage) + np.asarray(color, dtype=np.float64) * coverage


def _shade(color: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(min(255, channel * factor)) for channel in color)


class ConnectFourRenderer:
    """Draws boards at ``cell`` pixels per cell, with a status strip on top."""

    def __init__(self, cell: int = 64) -> None:
        if cell < 4:
            raise ValueError(f"cell size must be at least 4 pixels, got {cell}")
        self.cell = cell
        self.strip_height = max(7, cell * 3 // 4)
        self.text_scale = max(1, cell // 20)
        self.height = self.strip_height + ROWS * cell
        self.width = COLS * cell

        board = np.empty((cell, cell, 3), dtype=np.float64)
        board[:] = theme.BOARD_BLUE
        disc_radius = cell * 0.42
        hole = _blend(board, theme.HOLE, _coverage(cell, disc_radius))
        self.discs: list[np.ndarray] = []
        self.winning_discs: list[np.ndarray] = []
        for color in theme.PLAYER_COLORS:
            disc = _blend(board, color, _coverage(cell, disc_radius))
            # A darker groove inside the rim gives the disc some depth.
            groove = _coverage(cell, disc_radius * 0.78) - _coverage(cell, disc_radius * 0.70)
            disc = _blend(disc, _shade(color, 0.75), groove)
            self.discs.append(disc.astype(np.uint8))
            ring = _coverage(cell, disc_radius) - _coverage(cell, disc_radius - max(1.5, cell * 0.09))
            self.winning_discs.append(_blend(disc, theme.WIN_HIGHLIGHT, ring).astype(np.uint8))
        self.last_move_mask = _coverage(cell, max(1.0, cell * 0.09))[..., 0] > 0.5

        self.base = np.empty((self.height, self.width, 3), dtype=np.uint8)
        self.base[: self.strip_height] = theme.PANEL
        board_area = self.base[self.strip_height :].reshape(ROWS, cell, COLS, cell, 3)
        board_area[:] = hole.astype(np.uint8)[None, :, None]

    def cell_origin(self, row: int, col: int) -> tuple[int, int]:
        """Top-left pixel (y, x) of a board cell."""
        return self.strip_height + row * self.cell, col * self.cell

    def draw(
        self,
        board: Board,
        winner: int = -1,
        scores: tuple[int, int] | None = None,
        perspective: int = 0,
    ) -> np.ndarray:
        """Render ``board``; ``winner`` is -1 while nobody has won (forfeits are known only to the env).

        ``scores`` (wins per seat) are drawn at the strip's ends when given.

        ``perspective=1`` swaps the two colours so that seat 1 sees its own discs in seat 0's colour: pixel
        observations then look the same to whichever seat the network plays.
        """
        frame = self.base.copy()
        cell = self.cell
        winning = set(board.winning_cells())
        for player in (0, 1):
            color_index = player ^ perspective
            pieces = board.pieces[player]
            while pieces:
                low = pieces & -pieces
                pieces ^= low
                row, col = bit_to_cell(low.bit_length() - 1)
                tiles = self.winning_discs if (row, col) in winning else self.discs
                top, left = self.cell_origin(row, col)
                frame[top : top + cell, left : left + cell] = tiles[color_index]
        if board.history:
            col = board.history[-1]
            top, left = self.cell_origin(board.landing_row(col) + 1, col)
            frame[top : top + cell, left : left + cell][self.last_move_mask] = theme.TEXT
        self._draw_strip(frame, board, winner, scores, perspective)
        return frame

    def _draw_strip(
        self,
        frame: np.ndarray,
        board: Board,
        winner: int,
        scores: tuple[int, int] | None,
        perspective: int,
    ) -> None:
        scale = self.text_scale
        _, text_height = text_size("0", scale)
        text_top = (self.strip_height - text_height) // 2
        if winner >= 0:
            status, color = f"{COLOR_NAMES[winner ^ perspective]} WINS", theme.WIN_HIGHLIGHT
        elif board.is_full():
            status, color = "DRAW", theme.TEXT
        else:
            to_move = board.current_player ^ perspective
            status, color = f"{COLOR_NAMES[to_move]} TO MOVE", theme.PLAYER_COLORS[to_move]
        status_width, _ = text_size(status, scale)
        if status_width > self.width - 2 * scale:  # tiny frames (pixel observations) keep just the colour
            status = status.split()[0]
            status_width, _ = text_size(status, scale)
        draw_text(frame, status, (self.width - status_width) // 2, text_top, color, scale)
        if scores is None:
            return
        # Scores sit at the outer edges, each in its seat's colour (after the perspective swap).
        margin = self.cell // 4
        left_score, right_score = (scores[0], scores[1]) if perspective == 0 else (scores[1], scores[0])
        draw_text(frame, str(left_score), margin, text_top, theme.PLAYER_COLORS[0], scale)
        right_text = str(right_score)
        right_width, _ = text_size(right_text, scale)
        draw_text(
            frame, right_text, self.width - margin - right_width, text_top, theme.PLAYER_COLORS[1], scale
        )
