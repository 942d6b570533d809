"""The watch-training screen driven by posted events: start, pause, step, save, speeds, plots, close."""

import pygame
import pytest

from agents import load_agent
from tests.ui_support import key
from ui import style
from ui.app import App
from ui.session import _Closing
from ui.watch import WatchScreen, start_training


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


def test_an_evaluation_under_way_shows_its_progress_and_ends_when_the_screen_closes(app, tmp_path):
    """Issue 15 item 3: a long evaluation (Snake's depth-4 search: minutes) showed "starting..." and 0 steps/s."""
    from agents.trainer import TrainerHooks

    seen = []

    class Spy(TrainerHooks):
        def on_eval_progress(self, trainer, finished, total, steps):
            seen.append((finished, total, steps))

    screen, session = watch(app, tmp_path, speed="max", steps=4000)
    session.trainer.hooks.append(Spy())
    session.trainer.evaluate_now()
    total = session.trainer.eval_episodes
    assert seen and seen[-1][:2] == (total, total) and seen[0][2] == 1
    assert all(later[2] == earlier[2] + 1 for earlier, later in zip(seen, seen[1:]))
    assert session.evaluating is None and session.activity() is None  # on_eval cleared it
    session.on_eval_progress(session.trainer, 3, 50, 120)
    assert session.activity() == "evaluating the greedy policy: 3 of 50 games over, move 120"
    texts = []
    original = style.draw_text
    try:
        style.draw_text = lambda surface, text, *args, **kwargs: texts.append(text) or original(
            surface, text, *args, **kwargs)
        screen.draw(app.surface)
    finally:
        style.draw_text = original
    assert session.activity() in texts and "evaluating" in texts
    session._stop = True
    with pytest.raises(_Closing):
        session.on_eval_progress(session.trainer, 4, 50, 121)  # a closing screen ends the evaluation


def test_continuing_a_run_of_another_agent_says_so(tmp_path, monkeypatch):
    """Issue 15 item 3: Continue training silently ignored the agent picked in the launcher."""
    from ui import actions
    from ui.launcher import LauncherScreen
    from ui.runs import RunInfo

    monkeypatch.chdir(tmp_path)
    application = App(size=(1280, 800))
    try:
        launcher = LauncherScreen()
        application.push(launcher)
        saved = RunInfo("old-run", launcher.env_id, "ppo", 10, None, __import__("datetime").datetime.now(),
                        tmp_path / "best.pt", None, None)
        launcher.checkpoints[launcher.env_id] = saved
        launcher.agent_pills.select(launcher.agent_pills.options.index("dqn"))
        opened = []
        monkeypatch.setattr(actions, "continue_training", lambda path: opened.append(path) or launcher)
        monkeypatch.setattr(application, "open", lambda make: opened.append(make()))
        launcher.continue_training()
        assert opened[0] == tmp_path / "best.pt"
        assert any("own agent, ppo" in text and "dqn" in text for text in application.toasts.texts)
    finally:
        application.close()


def test_the_elapsed_clock_stands_still_while_paused(app, tmp_path, monkeypatch):
    """Issue 15 item 8: the elapsed clock ran on while the screen was paused."""
    from ui import session as session_module

    screen, session = watch(app, tmp_path, speed="max", steps=4000)
    now = [1000.0]
    monkeypatch.setattr(session_module.time, "perf_counter", lambda: now[0])
    session.trainer._started = now[0]
    session.trainer.elapsed_before = 0.0
    monkeypatch.setattr(type(session.trainer), "elapsed",
                        property(lambda trainer: trainer.elapsed_before + now[0] - trainer._started))
    session.set_paused(True)
    now[0] += 60.0
    assert session.elapsed == 0.0
    session.set_paused(False)
    now[0] += 5.0
    assert session.elapsed == 5.0 and session.trainer.elapsed == 5.0


def test_grid_games_say_they_have_no_solved_threshold():
    """Issue 15 item 8: train printed "solved at eval mean >= none" on grid games."""
    from agents.commands import solved_phrase

    assert "none" not in solved_phrase(None) and solved_phrase(None).startswith("no solved threshold")
    assert solved_phrase(475.0) == "solved at eval mean >= 475"
