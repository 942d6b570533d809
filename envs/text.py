"""A 5x7 bitmap font so that status strips carry text while rendering stays pure numpy (no pygame.font).

Each glyph is seven rows of five pixels, "#" set. Lower-case text is drawn in upper case.
"""

from __future__ import annotations

import numpy as np

FONT_HEIGHT = 7
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


def text_width(text: str, scale: int = 1) -> int:
    """Width in pixels that :func:`draw_text` needs for ``text``."""
    return text_size(text, scale)[0]


def draw_text(
    frame: np.ndarray, text: str, x: int, y: int, color: tuple[int, int, int], scale: int = 1
) -> int:
    """Draw ``text`` into an (H, W, 3) uint8 frame with its top-left corner at (x, y), clipped to the frame.

    Characters without a glyph raise ValueError so a typo in a label shows up at once instead of as a gap.
    Returns the x coordinate just right of the text, so differently coloured pieces can be chained.
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
    return x + text_width(text, scale) + (scale if text else 0)
