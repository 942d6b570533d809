"""The launcher, the checkpoint browser, window sizes, the commands in main.py and the screenshot command."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

import main
import ui
from agents.trainer import Trainer
from tests.ui_support import key
from ui.app import App
from ui.browser import BrowserScreen
from ui.connect_four import ConnectFourScreen
from ui.launcher import LauncherScreen
from ui.players import BuiltinPlayer
from ui.runs import best_for, scan_runs
from ui.solo import SoloScreen
from ui.tron import TronScreen
from ui.watch import WatchScreen, start_training

SIZES = [(960, 600), (1280, 800), (1600, 1000)]
REPO = Path(__file__).resolve().parent.parent




def click(pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


@pytest.fixture
def runs_here(tmp_path, monkeypatch):
    """A working directory with two small runs in runs/ (CartPole DQN) and one broken checkpoint."""
    monkeypatch.chdir(tmp_path)
    for name, steps in (("cartpole-a", 200), ("cartpole-b", 400)):
        Trainer("dqn", "CartPole-v1", steps=steps, device="cpu", run_dir=Path("runs") / name,
                eval_episodes=2).run(progress=False)
    broken = Path("runs") / "broken" / "checkpoints"
    broken.mkdir(parents=True)
    (broken / "best.pt").write_bytes(b"this is not a checkpoint")
    (broken.parent / "config.json").write_text(json.dumps({"agent": "dqn", "env_id": "CartPole-v1"}))
    return tmp_path


@pytest.mark.parametrize("size", SIZES)
def test_every_screen_renders_at_common_window_sizes(size, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App(surface=pygame.Surface(size))
    rng = np.random.default_rng(0)
    session = start_training("CartPole-v1", "dqn", steps=500, device="cpu", run_dir=tmp_path / "run")
    screens = [LauncherScreen(), WatchScreen(session), BrowserScreen(),
               ConnectFourScreen([None, BuiltinPlayer("dojo/ConnectFour-v0", "random", rng)]),
               TronScreen([None, BuiltinPlayer("dojo/Tron-v0", "space", rng)]),
               SoloScreen("dojo/Snake-v0", None), SoloScreen("Pendulum-v1", None)]
    for screen in screens:
        app.push(screen)
        app.run(frames=3, dt=1 / 60)
        assert app.surface.get_at((size[0] // 2, size[1] // 2)) is not None
    app.quit()
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()


def test_launcher_keyboard_and_mouse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = App()
    launcher = LauncherScreen()
    app.push(launcher)
    app.run(frames=1, dt=1 / 60)
    key(pygame.K_RIGHT)
    key(pygame.K_RIGHT)
    key(pygame.K_RIGHT)
    app.run(frames=1, dt=1 / 60)
    assert launcher.env_id == "Pendulum-v1"
    # dqn and qlearning need discrete actions, alphazero a two-player game's rules
    assert launcher.agent_pills.disabled == [True, False, False, True, True]
    assert launcher.agent in ("ppo", "reinforce")
    click(launcher.tiles[6].center)  # Connect Four
    app.run(frames=1, dt=1 / 60)
    assert launcher.env_id == "dojo/ConnectFour-v0" and launcher.versus_button.enabled
    assert launcher.agent_pills.disabled[3]  # no tabular Q-learning on a grid
    assert not launcher.continue_button.enabled  # nothing saved yet
    key(pygame.K_p)  # play: the ladder's level picker first, then its first level
    app.run(frames=2, dt=1 / 60)
    from ui.levels import LevelScreen

    assert isinstance(app.screen, LevelScreen)
    key(pygame.K_1)
    app.run(frames=2, dt=1 / 60)
    assert isinstance(app.screen, ConnectFourScreen) and app.screen.players[1].level is not None
    key(pygame.K_ESCAPE)
    key(pygame.K_ESCAPE)
    app.run(frames=1, dt=1 / 60)
    assert app.screen is launcher
    key(pygame.K_UP)
    key(pygame.K_LEFT)
    key(pygame.K_LEFT)
    key(pygame.K_w)  # CartPole: watch training, then back (which saves)
    app.run(frames=5, dt=1 / 60)
    assert isinstance(app.screen, WatchScreen)
    watch = app.screen
    key(pygame.K_ESCAPE)
    app.run(frames=1, dt=1 / 60)
    assert app.screen is launcher and watch.closed_path is not None and watch.closed_path.is_file()
    key(pygame.K_ESCAPE)
    app.run(frames=1, dt=1 / 60)
    assert not app.running
    app.close()


def test_runs_are_listed_newest_first_and_the_best_is_picked(runs_here):
    runs, problems = scan_runs()
    assert [info.name for info in runs][:3] == ["broken", "cartpole-b", "cartpole-a"]
    assert problems == []
    best = best_for("CartPole-v1")
    assert best is not None and best.name in ("cartpole-a", "cartpole-b")  # the broken run has no evaluation


def test_shipped_agents_are_listed_but_training_runs_kept_in_assets_are_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = Path(__file__).resolve().parent.parent / "assets" / "agents" / "maze.pt"
    for folder in (Path("assets/agents"), Path("assets/training/maze-run/checkpoints")):
        folder.mkdir(parents=True)
        (folder / "maze.pt").write_bytes(shipped.read_bytes())
    runs, problems = scan_runs()
    assert [info.checkpoint for info in runs] == [Path("assets/agents/maze.pt")] and problems == []


def test_browser_loads_runs_and_reports_a_bad_file_without_crashing(runs_here):
    app = App()
    launcher = LauncherScreen()
    app.push(launcher)
    key(pygame.K_b)
    app.run(frames=2, dt=1 / 60)
    browser = app.screen
    assert isinstance(browser, BrowserScreen) and browser.current.name == "broken"
    key(pygame.K_p)  # play the broken checkpoint: a message, not a traceback
    app.run(frames=2, dt=1 / 60)
    assert app.screen is browser
    assert any("not a readable checkpoint" in text for text in app.toasts.texts)
    key(pygame.K_DOWN)
    key(pygame.K_u)  # use cartpole-b in the launcher
    app.run(frames=2, dt=1 / 60)
    assert app.screen is launcher and launcher.checkpoint.name == "cartpole-b"
    assert launcher.continue_button.enabled
    key(pygame.K_c)  # continue training it
    app.run(frames=3, dt=1 / 60)
    assert isinstance(app.screen, WatchScreen)
    assert app.screen.session.trainer.run_dir == Path("runs") / "cartpole-b"
    app.close()


def test_display_detection(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert not ui.display_available()
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    monkeypatch.setenv("DISPLAY", ":0")
    assert ui.display_available() or not sys.platform.startswith("linux")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform.startswith("linux"):
        assert not ui.display_available()


def test_headless_commands_do_not_import_pygame():
    code = "import sys, main, ui; main.build_parser(); print('pygame' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_cli_has_the_app_commands_and_reports_user_errors_in_one_line(capsys):
    parser = main.build_parser()
    assert parser.parse_args(["watch", "--env", "CartPole-v1", "--agent", "dqn"]).handler == "ui.commands:watch"
    assert parser.parse_args(["play", "--env", "dojo/Tron-v0"]).handler == "ui.commands:play"
    assert parser.parse_args(["screenshot"]).handler == "ui.commands:screenshot"
    assert main.main(["play", "--env", "CartPole-v1", "--opponent", "minimax:4"]) == 2
    assert main.main(["watch", "--env", "Pendulum-v1", "--agent", "dqn", "--steps", "10"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)


def test_screenshot_command_writes_pngs(tmp_path):
    assert main.main(["screenshot", "--out", str(tmp_path), "--steps", "300", "--size", "960x600"]) == 0
    names = sorted(path.name for path in tmp_path.glob("*.png"))
    assert names == ["launcher.png", "play_connect_four.png", "play_tron.png", "watch.png"]
    assert pygame.image.load(str(tmp_path / "watch.png")).get_size() == (960, 600)
