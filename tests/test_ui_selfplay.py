"""The watch screen for alphazero, driven by posted events: it shows a self-play game, the root's visits and value,
and the evaluation curve; pausing and closing work as for every agent. Plus the drawing itself from synthetic
snapshots of both games."""

import numpy as np
import pygame
import pytest

from agents import load_agent
from agents.trainer import Trainer
from envs.connect_four.rules import Board
from envs.theme import PLAYER_COLORS
from envs.tron.rules import TronGame
from tests.hostile_support import ALPHAZERO_TINY, C4
from tests.ui_support import key
from ui import style
from ui.selfplay import SelfPlayView
from ui.session import TrainingSession
from ui.watch import WatchScreen


def test_the_watch_screen_shows_self_play_its_search_and_the_eval_curve(app, tmp_path):
    trainer = Trainer("alphazero", C4, steps=400, seed=0, device="cpu", run_dir=tmp_path / "run",
                      overrides=ALPHAZERO_TINY, eval_every=80, eval_episodes=2, frames=True)
    session = TrainingSession(trainer, "max")
    screen = WatchScreen(session)
    app.push(screen)
    assert screen.selfplay is not None and not session.shows_exhibition
    assert app.run_until(lambda: screen.selfplay.snapshot is not None and screen.selfplay.snapshot["last"]
                         and trainer.history.eval_means, max_frames=20_000)
    snapshot = screen.selfplay.snapshot
    last = snapshot["last"]
    assert snapshot["engine"].history[:-1] == last["position"].history  # the search was for the move just played
    assert sum(last["visits"][0] if 0 in last["visits"] else last["visits"][1]) > 0
    app.run(frames=2, dt=1 / 60)
    frame = pygame.surfarray.array3d(app.surface)
    game_area = frame[screen.game_rect.x + 20:screen.game_rect.right - 20, screen.game_rect.y + 50:
                      screen.game_rect.bottom - 20]
    assert len(np.unique(game_area.reshape(-1, 3), axis=0)) > 5  # a board, not an empty panel

    key(pygame.K_SPACE)
    app.run(frames=5, dt=1 / 60)
    assert session.paused
    app.run(frames=5, dt=1 / 60)
    paused_at = trainer.steps
    app.run(frames=10, dt=1 / 60)
    assert trainer.steps == paused_at
    key(pygame.K_p)
    app.run(frames=1, dt=1 / 60)
    assert screen.last_plot_path is not None and screen.last_plot_path.is_file()
    key(pygame.K_ESCAPE)
    app.run(frames=1, dt=1 / 60)
    assert not app.running and load_agent(str(screen.closed_path)).name == "alphazero"


def synthetic_snapshot(engine, visits, values, actions):
    after = engine.copy()
    after.apply(actions)
    return {"engine": after, "moves": [actions], "game": 3,
            "last": {"position": engine, "actions": actions, "visits": visits, "value": values}}


@pytest.mark.parametrize("engine, visits, values, actions", [
    (Board(), {0: [0, 1, 2, 30, 2, 1, 0]}, {0: 0.25}, [3]),
    (TronGame(8), {0: [3, 20, 1], 1: [10, 10, 4]}, {0: -0.5, 1: 0.5}, [1, 0]),
])
def test_self_play_is_drawn_from_a_snapshot(app, engine, visits, values, actions):
    view = SelfPlayView(C4 if isinstance(engine, Board) else "dojo/Tron-v0")
    surface = pygame.Surface((900, 700))
    game_rect, bars = pygame.Rect(0, 0, 600, 500), pygame.Rect(600, 0, 300, 400)
    assert not view.draw_game(surface, game_rect)
    view.draw_search(surface, bars)  # "waiting for the first move"
    view.snapshot = synthetic_snapshot(engine, visits, values, actions)
    surface.fill(style.BACKGROUND)
    assert view.draw_game(surface, game_rect)
    view.draw_search(surface, bars)
    pixels = pygame.surfarray.array3d(surface)
    assert len(np.unique(pixels[:600, 50:500].reshape(-1, 3), axis=0)) > 5
    for seat in visits:  # every seat that moved has its bars, the played action's in the seat's own colour
        assert (pixels[600:] == PLAYER_COLORS[seat]).all(axis=-1).sum() > 200
