"""Issue 15 item 5: an idle screen costs next to nothing. A simulated clock runs one idle second through the real
loop (App.run without ``dt``) and counts loop turns and frames drawn; a moving screen is the control."""

import pygame
import pytest

from envs.registry import SNAKE
from tests.test_ui_play import Scripted
from ui.app import IDLE_FPS, App
from ui.connect_four import ConnectFourScreen
from ui.launcher import LauncherScreen
from ui.solo import SoloScreen
from ui.tron import TronScreen


class SimulatedClock:
    """FrameClock's interface on simulated time: tick(fps) 'sleeps' 1/fps s, wait(ms) times out after ms."""

    def __init__(self):
        self.now = 0.0
        self._last = 0.0
        self.waits = 0

    def tick(self, fps):
        if fps:
            self.now = max(self.now, self._last + 1.0 / fps)
        elapsed_ms = int(round((self.now - self._last) * 1000))
        self._last = self.now
        return elapsed_ms

    def wait(self, ms):
        self.waits += 1
        self.now += ms / 1000.0
        return None


def one_second(app, clock):
    """Loop turns and frames drawn over the next simulated second."""
    start, turns, frames = clock.now, app.iterations, app.frames
    while clock.now < start + 1.0:
        app.run(frames=1)
    return app.iterations - turns, app.frames - frames


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clock = SimulatedClock()
    application = App(size=(1280, 800), clock=clock)
    application.clock_for_test = clock
    yield application
    application.close()


def test_the_idle_launcher_sleeps_on_the_queue_and_draws_nothing(app):
    clock = app.clock_for_test
    app.push(LauncherScreen())
    app.run(frames=1)  # the first frame is drawn
    assert app.frames == 1
    turns, frames = one_second(app, clock)
    assert frames == 0
    assert turns <= IDLE_FPS + 1 and clock.waits >= IDLE_FPS
    # An event wakes it and is drawn once; a fading toast redraws once when it goes.
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(100, 200), rel=(0, 0), buttons=(0, 0, 0)))
    turns, frames = one_second(app, clock)
    assert frames == 1
    app.toasts.info("saved", seconds=0.5)
    turns, frames = one_second(app, clock)
    assert frames == 1 and not app.toasts.items


def test_play_screens_idle_when_waiting_for_the_human_and_tick_when_the_game_moves(app):
    clock = app.clock_for_test
    tron = TronScreen([None, Scripted(1)])
    app.push(tron)
    turns, frames = one_second(app, clock)  # the countdown runs
    assert frames >= 50
    tron.banner = "The agent wins"  # a finished round: the human reads the result
    turns, frames = one_second(app, clock)
    assert frames <= 1 and turns <= IDLE_FPS + 1
    app.pop()

    board = ConnectFourScreen([None, Scripted(1)])
    app.push(board)
    one_second(app, clock)  # the model's guess appears, then the board waits for a click
    turns, frames = one_second(app, clock)
    assert frames == 0 and turns <= IDLE_FPS + 1
    app.pop()

    snake = SoloScreen(SNAKE.env_id, None)
    app.push(snake)
    turns, frames = one_second(app, clock)  # "press Space to start"
    assert frames <= 1 and turns <= IDLE_FPS + 1
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0, unicode=" "))
    turns, frames = one_second(app, clock)  # the snake moves by itself (until it crashes: a result card)
    assert snake.steps > 0 and frames > 2 * IDLE_FPS
