"""The watch-training screen driven by posted events: start, pause, step, save, speeds, plots, close."""

import pygame
import pytest

from agents import load_agent
from ui.app import App
from ui.watch import WatchScreen, start_training


def key(code, mod=0):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode=""))


@pytest.fixture
def app():
    application = App(size=(1280, 800))
    yield application
    application.close()


def watch(app, tmp_path, agent="dqn", speed="max", steps=4000):
    session = start_training("CartPole-v1", agent, steps=steps, seed=0, device="cpu", run_dir=tmp_path / "run",
                             speed=speed)
    screen = WatchScreen(session)
    app.push(screen)
    return screen, session


def test_start_pause_step_save_and_escape_leaves_a_loadable_checkpoint(app, tmp_path):
    screen, session = watch(app, tmp_path)
    assert app.run_until(lambda: session.trainer.steps >= 300, max_frames=50_000)

    key(pygame.K_SPACE)
    app.run(frames=3, dt=1 / 60)
    assert session.paused
    app.run(frames=5, dt=1 / 60)  # the slice under way when Space came in finishes
    paused_at = session.trainer.steps
    app.run(frames=20, dt=1 / 60)
    assert session.trainer.steps == paused_at

    key(pygame.K_s)  # single step: one learner slice
    assert app.run_until(lambda: session.trainer.steps > paused_at, max_frames=20_000)
    stepped_to = session.trainer.steps
    app.run(frames=10, dt=1 / 60)
    assert session.trainer.steps == stepped_to

    key(pygame.K_s, pygame.KMOD_CTRL)  # save now
    assert app.run_until(lambda: any("Saved" in text for text in app.toasts.texts), max_frames=20_000)
    last = tmp_path / "run" / "checkpoints" / "last.pt"
    assert last.is_file()

    key(pygame.K_SPACE)
    app.run(frames=5, dt=1 / 60)
    assert not session.paused
    key(pygame.K_ESCAPE)
    app.run(frames=1, dt=1 / 60)
    assert not app.running and screen.closed_path == last
    agent = load_agent(str(last))
    assert agent.env_id == "CartPole-v1" and agent.name == "dqn"
    assert isinstance(agent.act([0.0, 0.0, 0.0, 0.0]), int)


@pytest.mark.parametrize("speed", ["realtime", "fast"])
def test_closing_the_window_mid_training_saves_last(app, tmp_path, speed):
    """The learner thread is parked inside an episode (waiting for the display) when the window closes."""
    screen, session = watch(app, tmp_path, speed=speed)
    assert app.run_until(lambda: session.view is not None and session.view.source == "training", max_frames=20_000)
    app.run(frames=30, dt=1 / 60)
    assert session.trainer.steps > 0
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    app.run(frames=1, dt=1 / 60)
    assert not app.running
    data = load_agent(str(tmp_path / "run" / "checkpoints" / "last.pt"))
    assert data.env_id == "CartPole-v1"


def test_speed_keys_plots_png_and_action_bars(app, tmp_path):
    screen, session = watch(app, tmp_path, speed="fast")
    key(pygame.K_1)
    app.run(frames=2, dt=1 / 60)
    assert session.speed == "realtime"
    key(pygame.K_PLUS)
    app.run(frames=2, dt=1 / 60)
    assert session.speed == "fast"
    key(pygame.K_3)
    app.run(frames=2, dt=1 / 60)
    assert session.speed == "max" and screen.fps < 60
    assert app.run_until(lambda: session.trainer.steps >= 1200, max_frames=50_000)
    explanation = session.explain(session.view)
    assert explanation["kind"] == "q_values" and len(explanation["values"]) == 2
    key(pygame.K_p)
    app.run(frames=1, dt=1 / 60)
    assert screen.last_plot_path == tmp_path / "run" / "plots.png" and screen.last_plot_path.is_file()
    assert pygame.image.load(str(screen.last_plot_path)).get_size() == (1400, 900)


def test_ppo_learns_in_the_background_and_shows_exhibition_episodes(app, tmp_path):
    screen, session = watch(app, tmp_path, agent="ppo", speed="max", steps=600)
    assert app.run_until(lambda: session.finished, max_frames=100_000)
    assert session.view is not None and session.view.source == "exhibition"
    assert session.explain(session.view)["kind"] == "probabilities"
    app.quit()
    assert load_agent(str(tmp_path / "run" / "checkpoints" / "last.pt")).name == "ppo"


def test_buttons_work_with_the_mouse(app, tmp_path):
    screen, session = watch(app, tmp_path, speed="max")
    pause = screen.buttons[0]
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pause.rect.center, rel=(0, 0), buttons=(0, 0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pause.rect.center, button=1))
    app.run(frames=2, dt=1 / 60)
    assert session.paused and pause.hovered and pause.label == "Resume"
    speed_max = screen.speed_pills.rects[0]
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=speed_max.center, button=1))
    app.run(frames=1, dt=1 / 60)
    assert session.speed == "realtime"
