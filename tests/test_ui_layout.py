"""Issue 15 item 7: every screen lays out at the window's minimum size (no rectangles over each other, no text
outside its panel, no row dropped for want of room), and at a middling and a big size."""

import pygame
import pytest

from agents import ladder
from agents.trainer import Trainer
from tests.hostile_support import ALPHAZERO_TINY, C4
from ui import catalog, style
from ui.app import MIN_SIZE, App
from ui.connect_four import ConnectFourScreen
from ui.launcher import LauncherScreen
from ui.session import TrainingSession
from ui.tron import TronScreen
from ui.watch import WatchScreen, start_training

SIZES = [MIN_SIZE, (900, 560), (1280, 800)]
TRON = "dojo/Tron-v0"


def overlapping(rects):
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.colliderect(b)]


def drawn_blocks(monkeypatch, screen, surface):
    """Draw ``screen`` once, recording every text and key-hint block it puts on ``surface``: [(text, rect,
    anchor)]."""
    blocks = []
    draw_text, key_hints = style.draw_text, style.key_hints

    def text(target, content, *args, **kwargs):
        rect = draw_text(target, content, *args, **kwargs)
        if target is surface and rect.width:
            blocks.append((content, rect, args[3] if len(args) > 3 else kwargs.get("anchor", "topleft")))
        return rect

    def hints(target, *args, **kwargs):
        rect = key_hints(target, *args, **kwargs)
        if target is surface:
            blocks.append(("key hints", rect, "topleft"))
        return rect

    with monkeypatch.context() as patch:
        patch.setattr(style, "draw_text", text)
        patch.setattr(style, "key_hints", hints)
        screen.draw(surface)
    return blocks


def assert_laid_out(blocks, panels, size):
    """Each block inside one panel (and the window), no two blocks over each other."""
    window = pygame.Rect((0, 0), size)
    outside = [(text, rect) for text, rect, _ in blocks
               if not window.contains(rect) or not any(panel.contains(rect) for panel in panels)]
    assert not outside, outside
    clashes = [(first, second) for index, first in enumerate(blocks) for second in blocks[index + 1:]
               if first[1].colliderect(second[1])]
    assert not clashes, clashes


@pytest.mark.parametrize("size", SIZES)
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


# ---- the watch screen --------------------------------------------------------------------------------------------
def dqn_session(env_id, tmp_path):
    return start_training(env_id, "dqn", steps=3000, seed=0, device="cpu", run_dir=tmp_path / "run", speed="max")


def alphazero_session(tmp_path):
    trainer = Trainer("alphazero", C4, steps=400, seed=0, device="cpu", run_dir=tmp_path / "run",
                      overrides=ALPHAZERO_TINY, eval_every=400, eval_episodes=2, frames=True)
    return TrainingSession(trainer, "max")


def shown(screen):
    """The screen has something to explain: a frame with its action values, or a self-play move's search."""
    if screen.selfplay is not None:
        return screen.selfplay.snapshot is not None and screen.selfplay.snapshot["last"] is not None
    view = screen.session.view
    return view is not None and screen.session.explain(view) is not None


@pytest.mark.parametrize("make", [lambda tmp: dqn_session("CartPole-v1", tmp),
                                  lambda tmp: dqn_session("dojo/Snake-v0", tmp), alphazero_session],
                         ids=["dqn-cartpole", "dqn-snake", "alphazero-connect-four"])
def test_the_watch_screen_fits_every_row_at_each_size(make, tmp_path, monkeypatch):
    """The 900x560 window dropped a Q-value row (issue 15): the stats and controls go compact on short windows."""
    app = App(size=SIZES[-1])
    try:
        screen = WatchScreen(make(tmp_path))
        app.push(screen)
        assert app.run_until(lambda: shown(screen), max_frames=20_000)
        screen.session.set_paused(True)
        app.run(frames=3, dt=1 / 60)
        for size in SIZES:
            app.surface = pygame.display.set_mode(size)
            screen.resize(size)
            blocks = drawn_blocks(monkeypatch, screen, app.surface)
            panels = [screen.header, screen.game_rect, screen.stats_rect, screen.bars_rect, screen.controls_rect,
                      screen.footer]
            assert_laid_out(blocks, panels, size)
            assert all(panel.bottom <= size[1] for panel in panels)
            if screen.selfplay is not None:
                visits = screen.selfplay.snapshot["last"]["visits"].values()
                actions, count = len(next(iter(visits))), sum(len(seat) for seat in visits)
            else:
                actions = count = len(screen.session.explain(screen.session.view)["values"])
            labels = catalog.action_labels(screen.session.trainer.env_id, actions)
            # The rows' labels: left-aligned (the values beside them are right-aligned, and may read alike).
            rows = [rect for text, rect, anchor in blocks
                    if text in labels and anchor == "midleft" and screen.bars_rect.contains(rect)]
            assert len(rows) == count, (size, len(rows), count)
    finally:
        app.close()


# ---- the Tron and Connect Four play screens ----------------------------------------------------------------------
class RatedScripted:
    """A ladder level's stand-in that plays one fixed move: the side panel shows the rating line."""

    obs_mode = "planes"

    def __init__(self, env_id, action):
        self.level = ladder.ladder_for(env_id).levels[0]
        self.label = f"scripted stand-in for a long level name, Elo {self.level.elo:.0f}"
        self.action = action

    def act(self, obs, action_mask):
        return self.action


NOTE = "Playing the scripted stand-in: the shipped agent was not found, so this level stands in (a long note)."


def play_a_game(app, screen):
    if isinstance(screen, ConnectFourScreen):
        for _ in range(4):
            assert app.run_until(lambda: screen.human_turn, max_frames=600)
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1, mod=0, unicode=""))
            app.run(frames=2, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=5_000)
    app.run(frames=2, dt=1 / 60)  # the banner is up: the model learns from the game and logs it
    assert screen.watcher.log_dir is not None


@pytest.mark.parametrize("game", ["tron", "connect-four"])
def test_the_play_screens_side_panel_fits_its_opponent_model_and_rating(game, tmp_path, monkeypatch):
    """At 800x520 the opponent model's summary ran into the key hints, and the rating line came on top."""
    monkeypatch.chdir(tmp_path)
    app = App(size=SIZES[-1])
    try:
        if game == "tron":
            screen = TronScreen([None, RatedScripted(TRON, 1)], note=NOTE)
        else:
            screen = ConnectFourScreen([None, RatedScripted(C4, 6)], note=NOTE)
        app.push(screen)
        play_a_game(app, screen)
        assert screen.rating is not None and screen.watcher.games_learned == 1
        for size in SIZES:
            app.surface = pygame.display.set_mode(size)
            screen.resize(size)
            blocks = drawn_blocks(monkeypatch, screen, app.surface)
            side = [block for block in blocks if block[1].right > screen.side.x]
            assert_laid_out(side, [screen.side], size)
            shown_texts = " ".join(text for text, _, _ in side)
            for wanted in ("Model predicts you", "Your rating", "key hints"):
                assert wanted in shown_texts, (size, wanted)
    finally:
        app.close()
