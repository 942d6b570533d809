"""The bitmap font that status strips use (envs.common.draw_text)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.text import GLYPH_HEIGHT, GLYPH_WIDTH, draw_text, text_size


def test_text_size_and_drawing() -> None:
    assert text_size("AB", scale=2) == ((2 * (GLYPH_WIDTH + 1) - 1) * 2, GLYPH_HEIGHT * 2)
    frame = np.zeros((20, 40, 3), dtype=np.uint8)
    draw_text(frame, "Hi 7", 1, 2, (255, 0, 0))
    lit = frame[..., 0] == 255
    rows, cols = np.nonzero(lit)
    width, height = text_size("Hi 7")
    assert rows.min() >= 2 and rows.max() < 2 + height
    assert cols.min() >= 1 and cols.max() < 1 + width
    assert not frame[..., 1:].any()


def test_text_is_clipped_at_the_frame_edge() -> None:
    frame = np.zeros((5, 8, 3), dtype=np.uint8)
    draw_text(frame, "WIDE TEXT", -3, -2, (9, 9, 9), scale=2)
    assert frame.any()


def test_unknown_glyph_raises() -> None:
    with pytest.raises(ValueError, match="no glyph"):
        draw_text(np.zeros((10, 10, 3), dtype=np.uint8), "#", 0, 0, (1, 1, 1))
