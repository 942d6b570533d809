"""Issue 15 item 6: a first game starts slow (Tron and Snake, with a speed choice by keys), and the result banner
sits beside the board so the crash site and the winning four stay in view."""

import pygame
import pytest

from envs.registry import SNAKE, TRON
from tests.test_ui_play import Scripted, click, key
from ui.app import MIN_SIZE, App
from ui.connect_four import ConnectFourScreen
from ui.play import play_screen
from ui.solo import SoloScreen
from ui.tron import TronScreen


@pytest.fixture(params=[MIN_SIZE, (1280, 800)], ids=["min", "large"])
def app(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    application = App(size=request.param)
    yield application
    application.close()


def test_tron_and_snake_start_slow_and_keys_pick_the_speed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App(size=(1280, 800))
    try:
        tron = play_screen(TRON.env_id, opponent="random")
        assert tron.tick_rate == 5.0  # half the old default of 10
        app.push(tron)
        for code, rate in ((pygame.K_3, 15.0), (pygame.K_2, 10.0), (pygame.K_1, 5.0)):
            key(code)
            app.run(frames=1, dt=1 / 60)
            assert tron.tick_rate == rate
        app.pop()

        moves = {}
        for code, name in ((None, "slow"), (pygame.K_2, "normal"), (pygame.K_3, "fast")):
            snake = play_screen(SNAKE.env_id)
            assert isinstance(snake, SoloScreen) and snake.ticks_per_second == 4.0
            app.push(snake)
            if code is not None:
                key(code)
            key(pygame.K_SPACE)
            app.run(frames=1, dt=1 / 60)
            app.run(frames=33, dt=1 / 60)  # 0.55 s of play
            moves[name] = snake.steps
            app.pop()
        assert moves == {"slow": 2, "normal": 3, "fast": 4}
    finally:
        app.close()


def test_the_tron_banner_leaves_the_crash_site_in_view(app):
    screen = TronScreen([None, Scripted(1)], tick="fast")
    app.push(screen)
    assert app.run_until(lambda: screen.countdown <= 0, max_frames=400)
    key(pygame.K_UP)  # into the top wall
    assert app.run_until(lambda: screen.banner is not None, max_frames=2000)
    app.run(frames=1, dt=1 / 60)
    assert screen.banner_box is not None and screen.arena.contains(screen.banner_box)
    assert not screen.banner_box.colliderect(screen.shown)  # nothing of the arena is covered, the crash included


def test_the_connect_four_banner_leaves_the_winning_four_in_view(app):
    screen = ConnectFourScreen([None, Scripted(6)])
    app.push(screen)
    for _ in range(4):
        assert app.run_until(lambda: screen.human_turn, max_frames=600)
        click(screen.column_center(0))
        app.run(frames=2, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=600)
    app.run(frames=1, dt=1 / 60)
    rect, cell = screen.board_rect, screen.cell
    winning = [pygame.Rect(rect.x + col * cell, rect.y + row * cell, cell, cell)
               for row, col in screen.env.unwrapped.board.winning_cells()]
    assert len(winning) == 4 and screen.banner_box is not None
    assert screen.banner_box.top >= 0 and not screen.banner_box.colliderect(rect)
    assert not any(screen.banner_box.colliderect(cell_rect) for cell_rect in winning)


def test_the_snake_result_card_leaves_the_crash_in_view(app):
    screen = SoloScreen(SNAKE.env_id, None)
    app.push(screen)
    key(pygame.K_SPACE)
    app.run(frames=1, dt=1 / 60)
    key(pygame.K_UP)
    assert app.run_until(lambda: screen.phase == "result", max_frames=5000)
    app.run(frames=1, dt=1 / 60)
    assert screen.banner_box is not None and screen.area.contains(screen.banner_box)
    assert not screen.banner_box.colliderect(screen.shown)


