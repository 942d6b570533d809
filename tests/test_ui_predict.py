"""The opponent model in the play screens (Connect Four heat strip, Tron arrows, accuracy, game log, toggle key,
--opponent-model) and the autoencoder beside the watched game, driven by posted events."""

import math

import numpy as np
import pygame
import pytest
import torch

import main
from agents.autoencoder import autoencoder_payload
from agents.checkpoint import save_checkpoint
from agents.errors import DojoError
from agents.games.opponent import save_opponent_model
from agents.games.opponent_games import make_game_env, read_log, replay_game
from agents.opponent_model import OpponentPredictor
from agents.trainer import Trainer
from nets.autoencoder import AutoencoderConfig, ConvAutoencoder
from tests.ui_support import key
from ui.app import App
from ui.connect_four import ConnectFourScreen
from ui.play import play_screen
from ui.prediction import draw_heat_strip
from ui.reconstruction import open_reconstruction
from ui.session import TrainingSession
from ui.tron import TronScreen
from ui.watch import WatchScreen, start_training

C4 = "dojo/ConnectFour-v0"


class Scripted:
    label = "scripted"
    obs_mode = "planes"

    def __init__(self, action):
        self.action = action

    def act(self, obs, action_mask):
        return self.action




def click(pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


def brightness(surface, pos):
    color = surface.get_at((int(pos[0]), int(pos[1])))
    return color.r + color.g + color.b


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the play screens log games under ./runs
    application = App(size=(1280, 800))
    yield application
    application.close()


def win_in_column_one(app, screen):
    for _ in range(4):
        assert app.run_until(lambda: screen.human_turn, max_frames=600)
        click(screen.column_center(0))
        app.run(frames=2, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=600)
    app.run(frames=2, dt=1 / 60)  # the banner is up: the model learns and the game is logged


def test_connect_four_model_watches_the_human_counts_accuracy_and_logs_replayable_games(app, tmp_path):
    screen = ConnectFourScreen([None, Scripted(6)])
    app.push(screen)
    win_in_column_one(app, screen)
    watcher = screen.watcher
    scores = watcher.session_scores()
    assert scores.predictions == 4 and 0 <= scores.correct <= 4
    assert watcher.summary().endswith("over 4 moves") and watcher.games_learned == 1
    click(screen.column_center(3))  # the next game
    app.run(frames=1, dt=1 / 60)
    win_in_column_one(app, screen)
    assert watcher.session_scores().predictions == 8
    log = watcher.log_dir / "games.jsonl"
    assert log.parent.parent.resolve() == tmp_path / "runs" and (log.parent / "opponent_model.pt").is_file()
    records = read_log(log)
    assert [record["opponent"] for record in records] == ["human", "human"]
    assert records[0]["opponent_seat"] == 0 and records[0]["winner"] == 0
    assert [move for seat, move in records[0]["moves"] if seat == 0] == [0, 0, 0, 0]
    replayer = OpponentPredictor(screen.env.observation_space.shape, 7)
    for record in records:
        replay_game(make_game_env(C4, record["env_kwargs"]), record, replayer)
        replayer.finish_game(learn=False)
    assert replayer.scores.predictions == 8


def test_heat_strip_follows_the_probabilities_and_p_hides_it(app):
    surface = pygame.Surface((700, 60))
    rect = pygame.Rect(0, 0, 700, 60)
    peaked = np.array([0.04, 0.04, 0.04, 0.04, 0.8, 0.02, 0.02])
    draw_heat_strip(surface, rect, peaked)
    hot, cold = brightness(surface, (450, 8)), brightness(surface, (150, 8))
    draw_heat_strip(surface, rect, np.full(7, 1 / 7))
    assert hot > brightness(surface, (450, 8)) and cold < brightness(surface, (150, 8))

    screen = ConnectFourScreen([Scripted(3), None])  # the agent starts; the human sits in seat 1
    app.push(screen)
    assert app.run_until(lambda: screen.human_turn and screen.watcher.probabilities is not None, max_frames=600)
    assert screen.watcher.probabilities.shape == (7,) and math.isclose(screen.watcher.probabilities.sum(), 1.0,
                                                                       rel_tol=1e-5)
    screen.watcher.probabilities = np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01])
    screen.draw(app.surface)
    strip = screen.strip_rect
    cell = strip.width / 7
    left, right = (strip.x + cell * 0.5, strip.y + 4), (strip.x + cell * 6.5, strip.y + 4)
    assert brightness(app.surface, left) > brightness(app.surface, right)
    shown = brightness(app.surface, left)
    key(pygame.K_p)
    app.run(frames=1, dt=1 / 60)
    assert not screen.watcher.visible and brightness(app.surface, left) < shown
    key(pygame.K_p)
    app.run(frames=1, dt=1 / 60)
    assert screen.watcher.visible


def test_tron_arrow_points_where_the_model_expects_the_human_to_go(app):
    screen = TronScreen([None, Scripted(1)], tick="fast")
    app.push(screen)
    app.run(frames=2, dt=1 / 60)
    assert screen.countdown > 0 and screen.watcher.probabilities is not None  # guessing during the countdown
    game = screen.env.unwrapped.game
    assert game.headings[0] == 1  # the human starts facing right

    def arrow_pixels(probabilities):
        screen.watcher.probabilities = np.array(probabilities)
        app.surface.fill((0, 0, 0))
        screen.draw(app.surface)
        shown = screen.shown  # where the arena landed
        cell = shown.width / game.size
        row, col = game.heads[0]
        head = (shown.x + (col + 0.5) * cell, shown.bottom - (game.size - row - 0.5) * cell)
        return (brightness(app.surface, (head[0] + 1.6 * cell, head[1])),  # right of the head: straight on
                brightness(app.surface, (head[0], head[1] - 1.6 * cell)))  # above it: a left turn

    ahead_straight, above_straight = arrow_pixels([0.0, 1.0, 0.0])
    ahead_left, above_left = arrow_pixels([1.0, 0.0, 0.0])
    assert ahead_straight > ahead_left and above_left > above_straight
    key(pygame.K_p)
    app.run(frames=1, dt=1 / 60)
    assert arrow_pixels([1.0, 0.0, 0.0])[1] < above_left  # hidden

    assert app.run_until(lambda: screen.countdown <= 0, max_frames=400)
    key(pygame.K_UP)  # into the top wall
    assert app.run_until(lambda: screen.banner is not None, max_frames=2000)
    app.run(frames=2, dt=1 / 60)
    records = read_log(screen.watcher.log_dir / "games.jsonl")
    assert records[0]["env"] == "dojo/Tron-v0" and records[0]["winner"] == 1
    assert screen.watcher.session_scores().predictions == len(records[0]["moves"]) // 2


def test_opponent_model_option_loads_a_model_and_rejects_bad_files(app, tmp_path, capsys):
    env = make_game_env(C4, {})
    trained = OpponentPredictor(env.observation_space.shape, 7, seed=3)
    save_opponent_model(trained, tmp_path / "model.pt", C4, {}, "pattern")
    screen = play_screen(C4, opponent="random", opponent_model=str(tmp_path / "model.pt"))
    for mine, theirs in zip(screen.watcher.predictor.model.parameters(), trained.model.parameters()):
        assert torch.equal(mine, theirs)
    with pytest.raises(DojoError, match="Connect Four players, not Tron"):
        play_screen("dojo/Tron-v0", opponent_model=str(tmp_path / "model.pt"))
    with pytest.raises(DojoError, match="agent against agent"):
        play_screen(C4, opponent="random", versus="greedy", opponent_model=str(tmp_path / "model.pt"))

    (tmp_path / "bad.pt").write_bytes(b"not a model")
    capsys.readouterr()
    assert main.main(["play", "--env", C4, "--opponent", "random", "--opponent-model", str(tmp_path / "bad.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.pt" in err and "Traceback" not in err


def save_untrained_ae(path, env_id):
    config = AutoencoderConfig(latent=8, channels=(8, 8))
    torch.manual_seed(0)
    model = ConvAutoencoder((3, 64, 64), config.channels, config.latent)
    save_checkpoint(path, autoencoder_payload(model, config, env_id, {}, {}, {}))
    return path


def test_watch_shows_frame_and_reconstruction_with_psnr(app, tmp_path):
    ae = open_reconstruction(str(save_untrained_ae(tmp_path / "ae.pt", "CartPole-v1")))
    session = start_training("CartPole-v1", "dqn", steps=2000, device="cpu", run_dir=tmp_path / "run",
                             speed="fast")
    screen = WatchScreen(session, ae)
    app.push(screen)
    assert app.run_until(lambda: screen.autoencoder.images is not None, max_frames=50_000)
    original, rebuilt = screen.autoencoder.images
    assert original.get_size() == rebuilt.get_size() == (64, 64)
    assert math.isfinite(screen.autoencoder.psnr) and screen.autoencoder.psnr > 0
    assert pygame.surfarray.array3d(original).std() > 0  # a real picture of the cart, not a blank
    app.run(frames=1, dt=1 / 60)
    frame_area = screen.game_rect.inflate(-24, -56)
    panel_x = frame_area.right - 40
    column = [brightness(app.surface, (panel_x, y)) for y in range(screen.game_rect.y + 70, frame_area.bottom, 4)]
    key(pygame.K_a)
    app.run(frames=1, dt=1 / 60)
    assert not screen.autoencoder.visible
    hidden = [brightness(app.surface, (panel_x, y)) for y in range(screen.game_rect.y + 70, frame_area.bottom, 4)]
    assert column != hidden

    snake_ae = open_reconstruction(str(save_untrained_ae(tmp_path / "snake_ae.pt", "dojo/Snake-v0")))
    with pytest.raises(DojoError, match="trained on Snake frames"):
        WatchScreen(session, snake_ae)


def test_watch_finds_the_agents_own_autoencoder(tmp_path):
    path = save_untrained_ae(tmp_path / "ae.pt", "dojo/Snake-v0")
    trainer = Trainer("dqn", "dojo/Snake-v0", steps=200, device="cpu", run_dir=tmp_path / "run",
                      env_kwargs={"obs_mode": "pixels"}, overrides=[f"encoder=ae:{path}", "buffer_size=500"],
                      frames=True, write_logs=False)
    screen = WatchScreen(TrainingSession(trainer, "fast"))
    assert screen.autoencoder is not None and screen.autoencoder.latent == 8
    view = type("View", (), {"obs": np.zeros((3, 64, 64), np.uint8), "frame": None})()
    assert screen.autoencoder.frame_of(view) is view.obs  # a pixels agent: its own observation, as it is
    path.unlink()
    gone = WatchScreen(TrainingSession(trainer, "fast"))
    assert gone.autoencoder is None and "watch --ae" in gone._ae_note
    screen.session.close()
    gone.session.close()


def test_a_loaded_model_counts_the_games_it_learned_from(tmp_path, monkeypatch):
    """Issue 15 item 8: the panel read "learned from 0 games" right after loading a trained opponent model."""
    import pygame

    from agents.opponent_model import OpponentPredictor
    from ui import style
    from ui.prediction import HumanWatcher

    predictor = OpponentPredictor((3, 6, 7), 7, seed=0)
    predictor.games = 12
    watcher = HumanWatcher("dojo/ConnectFour-v0", {}, (3, 6, 7), 7, predictor, runs_dir=tmp_path)
    texts = []
    original = style.draw_text
    monkeypatch.setattr(style, "draw_text", lambda surface, text, *a, **k: texts.append(text) or original(
        surface, text, *a, **k))
    pygame.font.init()
    watcher.draw_summary(pygame.Surface((400, 300)), (0, 0), 1000, "the overlay")
    assert any("learned from 12 games (0 this session)" in text for text in texts)
    assert any(text.startswith("guess: 50% the LSTM") for text in texts)
