"""Pieces every grid game shares: pixel observations and the lazily opened human window."""

from __future__ import annotations

import numpy as np


def downscale(frame: np.ndarray, size: int) -> np.ndarray:
    """Resize an (H, W, 3) uint8 frame to (size, size, 3) by area averaging (nearest where it grows)."""
    if size <= 0:
        raise ValueError(f"pixel size must be positive, got {size}")
    height, width = frame.shape[:2]
    rows = (np.arange(size + 1) * height) // size
    cols = (np.arange(size + 1) * width) // size
    if height >= size and width >= size:
        # Area average through cumulative sums: exact and fast for any ratio.
        summed = np.cumsum(np.cumsum(frame.astype(np.int64), axis=0), axis=1)
        summed = np.pad(summed, ((1, 0), (1, 0), (0, 0)))
        total = summed[rows[1:]][:, cols[1:]] - summed[rows[:-1]][:, cols[1:]]
        total = total - summed[rows[1:]][:, cols[:-1]] + summed[rows[:-1]][:, cols[:-1]]
        area = np.outer(np.diff(rows), np.diff(cols))[..., None]
        return (total // area).astype(np.uint8)
    return frame[np.minimum(rows[:-1], height - 1)][:, np.minimum(cols[:-1], width - 1)].copy()


class HumanWindow:
    """A pygame window for ``render_mode="human"``; pygame is imported only when one is opened."""

    def __init__(self, title: str, fps: int) -> None:
        self.title = title
        self.fps = fps
        self._screen = None
        self._clock = None

    def show(self, frame: np.ndarray) -> None:
        import pygame

        if self._screen is None:
            pygame.init()
            pygame.display.set_caption(self.title)
            self._screen = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        self._screen.blit(surface, (0, 0))
        pygame.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._screen is not None:
            import pygame

            pygame.display.quit()
            self._screen = None


# A 5x7 bitmap font so that status strips can carry text while rendering stays pure numpy (no pygame.font).
# Each glyph is seven rows of five pixels, "#" set. Lower-case text is drawn in upper case.
_GLYPH_ROWS: dict[str, str] = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "/": "....# ....# ...#. ..#.. .#... #.... #....",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
}
_GLYPHS: dict[str, np.ndarray] = {
    char: np.array([[pixel == "#" for pixel in row] for row in rows.split()], dtype=bool)
    for char, rows in _GLYPH_ROWS.items()
}
_SCALED_GLYPHS: dict[tuple[str, int], np.ndarray] = {}
GLYPH_WIDTH, GLYPH_HEIGHT = 5, 7


def text_size(text: str, scale: int = 1) -> tuple[int, int]:
    """(width, height) in pixels of ``text`` as :func:`draw_text` draws it (one-pixel gaps between glyphs)."""
    if not text:
        return 0, GLYPH_HEIGHT * scale
    return (len(text) * (GLYPH_WIDTH + 1) - 1) * scale, GLYPH_HEIGHT * scale


def draw_text(
    frame: np.ndarray, text: str, x: int, y: int, color: tuple[int, int, int], scale: int = 1
) -> None:
    """Draw ``text`` into an (H, W, 3) uint8 frame with its top-left corner at (x, y), clipped to the frame.

    Characters without a glyph raise ValueError so a typo in a label shows up at once instead of as a gap.
    """
    height, width = frame.shape[:2]
    advance = (GLYPH_WIDTH + 1) * scale
    for index, char in enumerate(text.upper()):
        key = (char, scale)
        mask = _SCALED_GLYPHS.get(key)
        if mask is None:
            if char not in _GLYPHS:
                raise ValueError(f"no glyph for {char!r}; the font has {''.join(sorted(_GLYPHS))!r}")
            mask = np.kron(_GLYPHS[char], np.ones((scale, scale), dtype=bool))
            _SCALED_GLYPHS[key] = mask
        left = x + index * advance
        # Clip the glyph against the frame so labels near an edge never raise.
        top_cut, left_cut = max(0, -y), max(0, -left)
        bottom, right = min(height, y + mask.shape[0]), min(width, left + mask.shape[1])
        if bottom <= y + top_cut or right <= left + left_cut:
            continue
        clipped = mask[top_cut : bottom - y, left_cut : right - left]
        frame[y + top_cut : bottom, left + left_cut : right][clipped] = color
