"""Issue 15 item 8, the small ones: toasts stay off the footer, plot axes never repeat a label, Tron's grid lines
stay evenly spaced at any window size."""

import pytest

from envs import theme
from tests.test_ui_play import Scripted
from ui.app import MIN_SIZE, App
from ui.launcher import LauncherScreen
from ui.plots import axis_labels
from ui.tron import TronScreen


def test_toasts_stack_above_the_launchers_key_hints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App(size=MIN_SIZE)
    try:
        launcher = LauncherScreen()
        app.push(launcher)
        for text in ("saved runs/x/checkpoints/last.pt", "a long error " * 12, "third"):
            app.toasts.error(text)
        app.run(frames=1, dt=1 / 60)
        assert len(app.toasts.rects) == 3
        assert all(rect.bottom <= launcher.footer.top for rect in app.toasts.rects)
        assert not any(rect.colliderect(launcher.footer) for rect in app.toasts.rects)
    finally:
        app.close()


@pytest.mark.parametrize("low, high", [(0.0496, 0.0504), (10.2, 10.8), (-0.026, 1.076), (0.0, 2000.0),
                                       (1.0, 1.0 + 1e-12)])
def test_axis_labels_never_repeat(low, high):
    labels = [label for label in axis_labels(low, high) if label]
    assert labels and len(set(labels)) == len(labels)


def test_a_flat_epsilon_gets_one_label_not_three_equal_ones():
    assert axis_labels(0.05, 0.05) == ["", "0.050", ""]


@pytest.mark.parametrize("size", [MIN_SIZE, (900, 560), (1280, 800), (1500, 950)])
def test_tron_grid_lines_are_evenly_spaced_at_every_size(size, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App(size=size)
    try:
        screen = TronScreen([Scripted(1), Scripted(1)])
        app.push(screen)
        app.run(frames=1, dt=1 / 60)
        shown, cell, cells = screen.shown, screen.renderer.cell, screen.env.unwrapped.size
        assert shown.width == cell * cells and shown.width >= 0.8 * min(screen.board_area.size)  # fills the area
        y = shown.bottom - cells * cell + cell // 2  # through the middle of the top row (empty at the start)
        line = tuple(theme.GRID_LINE)
        columns = [x for x in range(shown.x, shown.right) if tuple(app.surface.get_at((x, y)))[:3] == line]
        assert len(columns) == cells and {b - a for a, b in zip(columns, columns[1:])} == {cell}
    finally:
        app.close()
