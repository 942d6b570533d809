"""Play screens driven by posted clicks and keys: Connect Four, Tron, single-player games, agent vs agent."""

import pygame
import pytest

from agents.trainer import Trainer
from envs.tron.rules import relative_action
from tests.ui_support import key
from ui.app import App
from ui.connect_four import ConnectFourScreen
from ui.play import play_screen
from ui.players import AgentPlayer
from ui.solo import SoloScreen
from ui.tron import TronScreen


class Scripted:
    """An opponent that plays a fixed column (or Tron action) every time."""

    label = "scripted"
    obs_mode = "planes"

    def __init__(self, action):
        self.action = action
        self.calls = 0

    def act(self, obs, action_mask):
        self.calls += 1
        return self.action


def click(pos):
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))




def key_up(code):
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=code, mod=0, unicode=""))


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # games against a human are logged under ./runs
    application = App(size=(1280, 800))
    yield application
    application.close()


@pytest.fixture(scope="module")
def cartpole_checkpoint(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    trainer = Trainer("dqn", "CartPole-v1", steps=300, seed=0, device="cpu", run_dir=run_dir, eval_episodes=2)
    trainer.run(progress=False)
    return run_dir / "checkpoints" / "last.pt"


def test_connect_four_full_game_by_clicks_shows_the_banner_and_score(app):
    opponent = Scripted(6)
    screen = ConnectFourScreen([None, opponent], note="scripted")
    app.push(screen)
    for _ in range(4):  # four discs in column 1: a vertical four on the human's 4th move
        assert app.run_until(lambda: screen.human_turn, max_frames=600)
        click(screen.column_center(0))
        app.run(frames=2, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=600)
    assert screen.banner == "You win!"
    assert screen.wins["human"] == 1 and screen.wins["agent"] == 0 and opponent.calls == 3
    assert sorted(screen.env.unwrapped.board.winning_cells()) == [(2, 0), (3, 0), (4, 0), (5, 0)]
    click(screen.column_center(3))  # a click on the banner starts the next game
    app.run(frames=1, dt=1 / 60)
    assert screen.banner is None and not screen.env.unwrapped.board.history


def test_connect_four_agent_first_with_number_keys(app):
    screen = ConnectFourScreen([Scripted(3), None])
    app.push(screen)
    for column_key in (pygame.K_1, pygame.K_2, pygame.K_1):
        assert app.run_until(lambda: screen.human_turn, max_frames=600)
        key(column_key)
        app.run(frames=2, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=600)
    assert screen.banner == "The agent wins" and screen.wins["agent"] == 1
    key(pygame.K_f)  # the human starts the next game
    key(pygame.K_r)
    app.run(frames=2, dt=1 / 60)
    assert screen.human_seats == [0] and screen.human_turn


def test_agent_vs_agent_connect_four_plays_whole_games(app):
    screen = play_screen("dojo/ConnectFour-v0", opponent="greedy", versus="random", seed=3)
    app.push(screen)
    assert app.run_until(lambda: screen.games >= 2, max_frames=20_000)
    assert screen.wins["seat0"] + screen.wins["seat1"] + screen.wins["draws"] == screen.games


def test_tron_round_with_posted_keys(app):
    screen = TronScreen([None, Scripted(1)], note="scripted", tick="fast")
    app.push(screen)
    app.run(frames=10, dt=1 / 60)
    assert screen.countdown > 0 and screen.env.unwrapped.game.steps == 0
    assert app.run_until(lambda: screen.countdown <= 0, max_frames=400)
    key(pygame.K_UP)  # steer into the top wall: the human crashes first
    assert app.run_until(lambda: screen.banner is not None, max_frames=2000)
    assert screen.banner == "The agent wins" and screen.score == {"seat0": 0, "seat1": 1, "draws": 0}
    key(pygame.K_2)
    key(pygame.K_SPACE)
    app.run(frames=1, dt=1 / 60)
    assert screen.banner is None and screen.countdown > 0 and screen.tick_rate == 10.0


def test_relative_actions_from_absolute_keys():
    up, right, down, left = 0, 1, 2, 3
    assert relative_action(right, up) == 0  # turn left
    assert relative_action(right, right) == 1
    assert relative_action(right, down) == 2
    assert relative_action(right, left) == 1  # no reversing on a light cycle
    assert relative_action(left, up) == 2


def test_cartpole_human_then_agent_same_seed(app, cartpole_checkpoint):
    agent = AgentPlayer(cartpole_checkpoint, "CartPole-v1")
    screen = SoloScreen("CartPole-v1", agent, note="tiny agent", seed=5)
    app.push(screen)
    key(pygame.K_SPACE)
    app.run(frames=1, dt=1 / 60)
    assert screen.phase == "human"
    key(pygame.K_LEFT)  # hold left: the pole falls soon
    assert app.run_until(lambda: screen.phase == "between", max_frames=3000, dt=1 / 50)
    key_up(pygame.K_LEFT)
    human = screen.scores["human"]
    assert 0 < human < 100
    key(pygame.K_RETURN)
    assert app.run_until(lambda: screen.phase == "result", max_frames=30_000, dt=1 / 50)
    assert screen.history == [(human, screen.scores["agent"])]
    key(pygame.K_r)
    app.run(frames=1, dt=1 / 60)
    assert screen.phase == "ready" and screen.seed == 6


def test_maze_moves_one_step_per_key_press(app):
    screen = SoloScreen("dojo/Maze-v0", None, seed=0)
    app.push(screen)
    key(pygame.K_SPACE)
    app.run(frames=1, dt=1 / 60)
    for code in (pygame.K_RIGHT, pygame.K_DOWN, pygame.K_d):
        key(code)
        key_up(code)
    app.run(frames=30, dt=1 / 60)
    assert screen.steps == 3


def test_snake_ticks_and_turns(app):
    screen = SoloScreen("dojo/Snake-v0", None, seed=0)
    app.push(screen)
    key(pygame.K_SPACE)
    app.run(frames=1, dt=1 / 60)
    key(pygame.K_UP)
    assert app.run_until(lambda: screen.phase == "result", max_frames=5000)
    assert screen.history and screen.history[0][1] is None  # no agent saved: the human's score alone


def test_play_without_checkpoint_falls_back_to_a_builtin_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no runs/ here
    screen = play_screen("dojo/ConnectFour-v0")
    assert "minimax:4" in screen.note and screen.players[0] is None
    tron = play_screen("dojo/Tron-v0")
    assert "space" in tron.note
    solo = play_screen("CartPole-v1")
    assert solo.agent is None and "no trained agent" in solo.note


def test_tron_against_an_opponent_model_agent_feeds_its_model_the_humans_moves(app, tmp_path):
    run_dir = tmp_path / "om-agent"
    Trainer("dqn", "dojo/Tron-v0", steps=150, seed=0, device="cpu", run_dir=run_dir, eval_every=150,
            eval_episodes=1, env_kwargs={"opponent": "pattern", "agent_seat": "alternate"},
            overrides=["learning_starts=50", "hidden=16", "opponent_mix=[]", "opponent_model=true", "search_depth=1",
                       "buffer_size=500"]).run(progress=False)
    screen = play_screen("dojo/Tron-v0", checkpoint=str(run_dir / "checkpoints" / "last.pt"), tick="fast")
    assert isinstance(screen, TronScreen) and screen.human
    agent = screen.players[1]
    assert agent.models_opponent  # the agent plays with its own model of the human
    model = agent.agent.tracker.predictor
    before = model.scores.predictions
    app.push(screen)
    assert app.run_until(lambda: screen.countdown <= 0, max_frames=400)
    for code in (pygame.K_DOWN, pygame.K_LEFT, pygame.K_UP, pygame.K_UP):  # the human steers around
        key(code)
        app.run(frames=6, dt=1 / 60)
    assert app.run_until(lambda: screen.banner is not None, max_frames=4000)
    ticks = screen.env.unwrapped.game.steps
    assert ticks > 0 and model.scores.predictions == before + ticks  # every human move reached the agent's model
    assert model.games == 1  # the round's end too: it learned from the game, which holds the human's moves
    assert model.replay[-1].moves.tolist() == [move for seat, move in screen.moves if seat == 0]
