"""``python main.py screenshot --out DIR``: the app's screens rendered off-screen to PNGs (for the README)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from agents.errors import DojoError
from envs import registry
from ui import display_available

CONNECT_FOUR_OPENING = (3, 2, 4)  # human columns; the built-in opponent answers each


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    digits = width.isascii() and width.isdigit() and height.isascii() and height.isdigit() and len(text) <= 11
    if not sep or not digits or not (640 <= int(width) <= 7680 and 400 <= int(height) <= 4320):
        raise DojoError(f"--size expects WIDTHxHEIGHT from 640x400 to 7680x4320, e.g. 1280x800; got {text[:40]!r}")
    return int(width), int(height)


def take_screenshots(out: str | Path, size: str = "1280x800", train_steps: int = 3000) -> list[Path]:
    """Launcher, watch training (after ``train_steps`` real DQN steps on CartPole), Connect Four and Tron against
    a human (with the opponent model's guesses)."""
    if train_steps < 1:
        raise DojoError(f"--steps must be at least 1, got {train_steps}")
    dimensions = parse_size(size)
    if not display_available():
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    import numpy as np
    import pygame

    from ui.app import App
    from ui.connect_four import ConnectFourScreen
    from ui.launcher import LauncherScreen
    from ui.players import BuiltinPlayer
    from ui.tron import TronScreen
    from ui.watch import WatchScreen, start_training

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    app = App(surface=pygame.Surface(dimensions))
    saved: list[Path] = []

    def shoot(name: str) -> None:
        path = folder / name
        pygame.image.save(app.surface, str(path))
        saved.append(path)

    try:
        app.push(LauncherScreen())
        app.run(frames=2, dt=1 / 60)
        shoot("launcher.png")
        app.quit()

        with tempfile.TemporaryDirectory() as run_root:
            session = start_training("CartPole-v1", "dqn", steps=train_steps * 10, run_dir=Path(run_root) / "run",
                                     speed="max")
            app.push(WatchScreen(session))
            deadline = time.monotonic() + 120
            while session.trainer.steps < train_steps and time.monotonic() < deadline and session.error is None:
                app.run(frames=1, dt=1 / 30)
                time.sleep(0.002)
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_2, mod=0, unicode="2"))
            for _ in range(40):
                app.run(frames=1, dt=1 / 60)
                time.sleep(1 / 120)
            shoot("watch.png")
            app.quit()

        rng = np.random.default_rng(0)
        screen = ConnectFourScreen([None, BuiltinPlayer(registry.CONNECT_FOUR.env_id, "minimax:4", rng)],
                                   "no trained agent saved yet: playing the built-in minimax:4")
        app.push(screen)
        for column in CONNECT_FOUR_OPENING:
            app.run(frames=90, dt=1 / 60)
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=screen.column_center(column), button=1))
        app.run(frames=90, dt=1 / 60)
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=screen.column_center(5), rel=(0, 0),
                                             buttons=(0, 0, 0)))
        app.run(frames=2, dt=1 / 60)
        shoot("play_connect_four.png")
        app.quit()

        tron = TronScreen([None, BuiltinPlayer(registry.TRON.env_id, "space", rng)],
                          "no trained agent saved yet: playing the built-in space")
        app.push(tron)
        app.run(frames=int(60 * 3.3), dt=1 / 60)  # 3 s countdown, then 3 ticks right
        # The human steers up, then right again; the opponent model's arrows follow the head.
        for turn, seconds in ((pygame.K_UP, 0.4), (pygame.K_RIGHT, 0.5)):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=turn, mod=0, unicode=""))
            app.run(frames=int(60 * seconds), dt=1 / 60)
        shoot("play_tron.png")
    finally:
        app.quit()
    return saved
