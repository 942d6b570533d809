"""Issue 15 item 7: every screen lays out at the window's minimum size (no rectangles over each other)."""

import pytest

from ui.app import MIN_SIZE, App
from ui.launcher import LauncherScreen


def overlapping(rects):
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.colliderect(b)]


@pytest.mark.parametrize("size", [MIN_SIZE, (900, 560), (1280, 800)])
def test_the_launcher_side_panel_fits_at_small_sizes(size, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App(size=size)
    try:
        launcher = LauncherScreen()
        app.push(launcher)
        for index in range(len(launcher.games)):
            launcher.select(index)
            app.run(frames=1, dt=1 / 60)
            rects = [*launcher.agent_pills.rects, *launcher.preset_pills.rects,
                     *(button.rect for button in launcher.buttons)]
            assert not overlapping(rects), (launcher.env_id, overlapping(rects))
            assert all(launcher.side.contains(rect) for rect in rects)
            assert launcher.saved_y + 16 * (launcher.saved_lines > 0) <= launcher.watch_button.rect.y
    finally:
        app.close()
