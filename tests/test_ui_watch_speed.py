"""Watch speeds: the app starts at fast, where the learner runs free of the frame rate (latest frame wins), and the
app's watch runs use a game's watch preset variant."""

import sys
import time

import pytest

from agents.config import preset_for
from agents.trainer import Trainer
from ui import catalog
from ui.session import DEFAULT_SPEED, QUEUE_FRAMES
from ui.watch import WatchScreen, start_training


def session_for(tmp_path, speed=None, steps=3000):
    extra = {} if speed is None else {"speed": speed}
    return start_training("CartPole-v1", "dqn", steps=steps, seed=0, device="cpu", run_dir=tmp_path / "run", **extra)


def wait_for(done, limit_s=120.0):
    """Poll until ``done()`` (a bound on a hang, not a timing assertion)."""
    deadline = time.monotonic() + limit_s
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
    return done()


def test_the_app_starts_at_fast(app, tmp_path):
    session = session_for(tmp_path)
    screen = WatchScreen(session)
    assert DEFAULT_SPEED == "fast" and session.speed == "fast"
    assert screen.speed_pills.options[screen.speed_pills.selected] == "fast"
    session.close()


def test_fast_learner_is_not_held_to_the_screen(tmp_path):
    """The screen takes one frame and then none: at fast the learner keeps learning (it used to park after 8 steps
    a frame with two frames queued) and draws no frame the screen did not ask for."""
    session = session_for(tmp_path, "fast")
    try:
        session.update(1 / 60)  # starts the learner; the screen wants one frame
        assert wait_for(lambda: session.trainer.steps >= 1500)
        assert session.frames_rendered == 1 and session.frames_shown == 0
        session.update(1 / 60)
        assert session.frames_shown == 1 and session.view.source == "training"
    finally:
        session.close()


def test_realtime_learner_waits_for_the_screen(tmp_path):
    """The contrast: at realtime the learner parks once the display queue is full."""
    session = session_for(tmp_path, "realtime")
    try:
        session.update(1 / 60)
        assert wait_for(lambda: session.frames_rendered >= QUEUE_FRAMES)
        time.sleep(0.3)
        assert session.frames_rendered == QUEUE_FRAMES and session.trainer.steps <= QUEUE_FRAMES + 1
    finally:
        session.close()


def test_fast_draws_at_most_one_frame_per_screen_frame(app, tmp_path):
    session = session_for(tmp_path, "fast")
    app.push(WatchScreen(session))
    frames = 40
    for _ in range(frames):
        app.run(frames=1, dt=1 / 60)
        time.sleep(0.01)  # leave the learner some steps between frames
    assert 1 <= session.frames_shown <= session.frames_rendered <= frames + 1
    assert session.trainer.steps > session.frames_rendered  # frames are a sample of the steps, not every step
    app.quit()


def test_paused_single_step_at_fast_shows_the_step(tmp_path):
    session = session_for(tmp_path, "fast")
    try:
        session.update(1 / 60)
        assert wait_for(lambda: session.trainer.steps >= 50)
        session.set_paused(True)
        time.sleep(0.2)
        paused_at, rendered = session.trainer.steps, session.frames_rendered
        time.sleep(0.2)
        assert session.trainer.steps == paused_at
        session.single_step()
        assert wait_for(lambda: session.frames_rendered == rendered + 1)
        session.update(1 / 60)
        assert session.trainer.steps == paused_at + 1 and session.view.source == "training"
    finally:
        session.close()


@pytest.mark.parametrize("speed", ["fast", "realtime"])
def test_every_single_step_is_one_env_step_and_its_frame(tmp_path, speed):
    """Single steps in a row (40, and on until two episodes ended) cross slice ends (train_freq) and resets: each
    one moves the learner by exactly one env step and draws that step (a token spent at a slice's start once gave
    two steps)."""
    session = session_for(tmp_path, speed)
    try:
        # Realtime's learner waits for the screen to take its frames: each poll is a screen frame.
        assert wait_for(lambda: session.update(1 / 60) or session.trainer.steps >= 20)
        session.set_paused(True)
        assert wait_for(lambda: _parked(session))
        episodes_before = session.trainer.learner.episodes
        for taken in range(600):
            if taken >= 40 and session.trainer.learner.episodes >= episodes_before + 2:
                break
            steps, rendered = session.trainer.steps, session.frames_rendered
            session.single_step()
            assert wait_for(lambda rendered=rendered: session.frames_rendered == rendered + 1 and _parked(session))
            time.sleep(0.01)
            assert (session.trainer.steps, session.frames_rendered) == (steps + 1, rendered + 1)
            session.update(1 / 60)
            assert session.view.source == "training"
        assert session.trainer.learner.episodes >= episodes_before + 2  # the steps crossed resets
    finally:
        session.close()


def _parked(session) -> bool:
    """The learner thread waits for a single step: after a shown step, or before a slice."""
    frame = sys._current_frames().get(session._thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "_wait":
            return frame.f_back is not None and frame.f_back.f_code.co_name in ("_paused_step", "_learn")
        frame = frame.f_back
    return False


@pytest.mark.parametrize("agent, env_id, choice, variant", [
    ("dqn", "dojo/Snake-v0", "tuned", "watch"),
    ("dqn", "dojo/Snake-v0", "default", "default"),
    ("dqn", "CartPole-v1", "tuned", None),
    ("ppo", "CartPole-v1", "default", "default"),
])
def test_watch_preset_choice(agent, env_id, choice, variant):
    assert catalog.watch_preset(agent, env_id, choice) == variant


def test_snake_watch_run_uses_the_watch_variant_and_train_keeps_its_table(tmp_path):
    session = start_training("dojo/Snake-v0", "dqn", seed=0, device="cpu", run_dir=tmp_path / "watch")
    try:
        trainer = session.trainer
        assert trainer.preset_name == "dojo/Snake-v0:watch"
        assert trainer.total_steps == preset_for("dqn", "dojo/Snake-v0", "watch")[1]["steps"] < 2_000_000
        assert catalog.preset_summary("dqn", "dojo/Snake-v0", "tuned").startswith(f"{trainer.total_steps:,} steps")
    finally:
        session.close()
    headless = Trainer("dqn", "dojo/Snake-v0", seed=0, device="cpu", run_dir=tmp_path / "train", write_logs=False)
    assert headless.preset_name == "dojo/Snake-v0" and headless.total_steps == 2_000_000
    headless.close()
