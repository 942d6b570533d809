"""A training run behind the watch screen: the Trainer runs in a learner thread, the screen shows what it does.

Why a thread for every agent: one ``Trainer.step()`` can be long (a PPO rollout and update: 80-300 ms, an
evaluation of 20 episodes: up to a second), and a UI that waits for it drops frames. Torch releases the GIL in
its kernels, so the UI keeps its frame rate while the learner works (bench/bench_ui.py measures both).

Speeds:
* ``realtime``: every training step is recorded (rendered) and shown at the game's own frame rate; the learner
  waits for the display (a two-frame queue), so learning runs exactly as fast as you watch it.
* ``fast`` (the default): the learner runs free, at nearly headless speed; whenever the screen is ready for its
  next frame the learner renders the env it is in at that moment (latest frame wins, nothing queues), so only the
  frames the screen can show are drawn and the frame rate never caps learning.
* ``max``: nothing is rendered during training and the learner runs flat out; the screen shows exhibition
  episodes of the latest greedy policy in a separate env (and draws fewer frames a second).
PPO trains on a vector env that cannot render: it always shows exhibition episodes, and at realtime its learner
is held to the game's frame rate per env copy.

The session is one of the Trainer's hooks (``TrainerHooks``): ``on_step`` receives every env step of a
single-env learner, renders that env's frame when the speed asks for one, and parks while the display queue is
full or the screen is paused; returning False ends the slice when the screen closes. The learner itself is never
touched. The learner thread only ever pauses at "park points" (between slices and inside ``on_step``); the screen's
requests (save now) run there, so no lock is held across a training step.
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.common import StepEvent, action_mask_of
from agents.errors import DojoError
from agents.trainer import Trainer, TrainerHooks
from ui.gameenv import close_env, make_display_env

SPEEDS = ("realtime", "fast", "max")
DEFAULT_SPEED = "fast"  # learns at nearly headless speed and still shows the live training env (bench/bench_ui.py)
QUEUE_FRAMES = 2
SNAPSHOT_EVERY_S = 0.25


@dataclass
class View:
    """One frame the screen shows, with what the policy saw (for the action-value bars)."""

    frame: np.ndarray
    obs: Any
    mask: np.ndarray | None
    episode_return: float
    source: str  # "training" or "exhibition"


class Exhibition:
    """Greedy episodes of the latest policy in a display env of its own."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], seed: int) -> None:
        self.env = make_display_env(env_id, env_kwargs)
        self.fps = float(self.env.metadata.get("render_fps") or 30)
        self.seed = seed
        self.episodes = 0
        self._obs: Any = None
        self._mask: np.ndarray | None = None
        self._return = 0.0
        self._clock = 0.0
        self.view: View | None = None

    def update(self, dt: float, policy: Any) -> None:
        """Play ``dt`` seconds' worth of steps at the game's frame rate."""
        if policy is None:
            return
        self._clock = min(self._clock + dt * self.fps, 3.0)
        while self._clock >= 1.0:
            self._clock -= 1.0
            self._advance(policy)
        if self.view is None:
            self._advance(policy)

    def _advance(self, policy: Any) -> None:
        watches = hasattr(policy, "observe_info")  # an opponent model follows the game's opponent moves
        if self._obs is None:
            self._obs, info = self.env.reset(seed=self.seed + self.episodes)
            self._mask, self._return = action_mask_of(info), 0.0
            if watches:
                policy.start_game()
                policy.observe_info(info)
        else:
            obs, reward, terminated, truncated, info = self.env.step(policy.act(self._obs, self._mask))
            self._return += float(reward)
            self._obs, self._mask = obs, action_mask_of(info)
            if watches:
                policy.observe_info(info)
            if terminated or truncated:
                self.view = View(self.env.render(), obs, self._mask, self._return, "exhibition")
                self.episodes += 1
                self._obs = None
                return
        self.view = View(self.env.render(), self._obs, self._mask, self._return, "exhibition")

    def close(self) -> None:
        close_env(self.env)


class _Closing(Exception):
    """Raised inside an evaluation's progress hook to end it when the screen closes."""


class TrainingSession(TrainerHooks):
    """Owns the Trainer and its learner thread; the screen calls update(dt) every frame and reads ``view``."""

    def __init__(self, trainer: Trainer, speed: str = DEFAULT_SPEED) -> None:
        if speed not in SPEEDS:
            raise DojoError(f"unknown speed {speed!r}; choose one of {', '.join(SPEEDS)}")
        self.trainer = trainer
        self.speed = speed
        learner = trainer.learner
        # Exhibition episodes are greedy play: they use the evaluation settings (Maze: the fixed start).
        self.exhibition = Exhibition(trainer.env_id, trainer.eval_env_kwargs, trainer.seed + 10_000_000)
        self.fps = self.exhibition.fps
        # Single-env learners report their steps (their env renders: Trainer(frames=True)); PPO's vector env has no
        # frames to show. gymnasium's pygame renderers call pygame.init() on their first frame: the exhibition env's
        # first frame does that here, on the main thread, before the learner thread draws any.
        self.taps_steps = trainer.records_frames
        trainer.hooks.append(self)
        # Games in parallel (alphazero's ``games``) count like env copies: each slice moves every one of them.
        self.env_copies = int(getattr(trainer.config, "n_envs", getattr(trainer.config, "games", 1)))
        # A learner that shows its own games (``watch_snapshot``: ui/selfplay.py draws them) needs no exhibition.
        self.shows_exhibition = not hasattr(learner, "watch_snapshot")
        self.paused = False
        self._paused_at: float | None = None
        self.error: str | None = None
        self.evaluating: tuple[int, int, int] | None = None  # (finished, total, steps) while an evaluation runs
        self.finished = trainer.done
        self.messages: deque[tuple[str, bool]] = deque()
        self.snapshot: Any = copy.deepcopy(learner.policy)
        if self.shows_exhibition:
            self.exhibition.update(0.0, self.snapshot)
        self.view: View | None = None
        self._cond = threading.Condition()
        self._frames: deque[View] = deque()
        self._requests: list[tuple[str, Callable[[], str]]] = []
        self._stop = False
        self._step_tokens = 0
        # Paused with training frames shown: a single step's token was spent on a step the learner has not taken
        # yet (its slice ended first); the next slice may start on it.
        self._step_granted = False
        self._frame_wanted = False  # fast: the screen is ready for the learner's next frame
        self.frames_rendered = 0  # training frames the learner drew (what the speeds cost it)
        self.frames_shown = 0  # training frames the screen took
        self._budget = 0.0  # steps the throttled learner (one without on_step) may still take
        self._playback = 0.0
        self._last_snapshot = time.perf_counter()
        self._rate_steps, self._rate_time, self.steps_per_second = trainer.steps, time.perf_counter(), 0.0
        self._running = False
        self._switch_interval: float | None = None
        self._thread = threading.Thread(target=self._learn, name="dojo-learner", daemon=True)

    def start(self) -> None:
        """Start learning (the screen does on its first frame, so nothing runs before the window exists)."""
        with self._cond:
            if self._running or self._thread.is_alive() or self.finished:
                return
            self._running = True
        self._rate_steps, self._rate_time = self.trainer.steps, time.perf_counter()
        # The screen thread gives up the GIL in every pygame call that blocks; getting it back waits for the
        # learner's switch interval. 1 ms instead of 5 ms keeps the frame rate (measured: 23 -> 30 fps at max
        # speed) and costs the learner nothing measurable.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, 0.001))
        self._thread.start()

    # ---- the screen's side -------------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        """Whether training frames are shown (else exhibition episodes)."""
        return self.taps_steps and self.speed != "max" and not self.finished

    def set_speed(self, speed: str) -> None:
        with self._cond:
            self.speed = speed
            self._frames.clear()
            self._frame_wanted = True
            self._cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            if paused and not self.paused:
                self._paused_at = time.perf_counter()
                self._step_granted = False
            elif self.paused and not paused and self._paused_at is not None:
                self.trainer.exclude_time(time.perf_counter() - self._paused_at)  # the clock stops while paused
                self._paused_at = None
            self.paused = paused
            self._step_tokens = 0
            self._cond.notify_all()

    @property
    def elapsed(self) -> float:
        """The run's training time, standing still while paused."""
        paused_at = self._paused_at
        return self.trainer.elapsed - (time.perf_counter() - paused_at if paused_at is not None else 0.0)

    def single_step(self) -> None:
        """While paused: one env step (when training frames are shown) or one learner slice."""
        with self._cond:
            if not self.paused:
                self._paused_at = time.perf_counter()
                self._step_granted = False
            self.paused = True
            self._step_tokens += 1
            self._cond.notify_all()

    def request(self, name: str, action: Callable[[], str]) -> None:
        """Run ``action`` on the learner thread at its next park point; its result text becomes a message."""
        with self._cond:
            if self._running:
                self._requests.append((name, action))
                self._cond.notify_all()
                return
        self._run_request(name, action)

    def update(self, dt: float) -> None:
        """One frame: feed the throttle, take frames from the queue or play exhibition steps."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self.start()
        now = time.perf_counter()
        if now - self._rate_time >= 0.5:
            steps = self.trainer.steps
            self.steps_per_second = (steps - self._rate_steps) / (now - self._rate_time)
            self._rate_steps, self._rate_time = steps, now
        with self._cond:
            if not self.paused and not self.taps_steps and self.speed == "realtime":
                rate = self.fps * self.env_copies
                self._budget = min(self._budget + dt * rate, rate)
            if self.recording and self.speed == "fast":
                # Latest frame wins: show what the learner drew since the last frame, then ask for the next one.
                if self._frames:
                    self.view = self._frames.pop()
                    self._frames.clear()
                    self.frames_shown += 1
                self._frame_wanted = True
                self._cond.notify_all()
            elif self.recording:
                self._playback = min(self._playback + dt * self.fps, QUEUE_FRAMES)
                while self._frames and (self._playback >= 1.0 or self.paused):
                    self.view = self._frames.popleft()
                    self.frames_shown += 1
                    self._playback = max(0.0, self._playback - 1.0)
                self._cond.notify_all()
            self._running = self._running and self._thread.is_alive()
        if self.shows_exhibition and not self.recording and not (self.paused and not self.finished):
            self.exhibition.update(dt, self.snapshot)
            self.view = self.exhibition.view

    def explain(self, view: View) -> dict[str, Any] | None:
        """The latest policy's action values for what the view shows (None where it cannot tell)."""
        try:
            return self.snapshot.explain(view.obs, view.mask)
        except (RuntimeError, ValueError, TypeError, IndexError):
            return None

    def save_now(self) -> None:
        self.request("save", lambda: f"Saved {self.trainer.save('last')}")

    def close(self) -> Path | None:
        """Stop the learner thread and save last.pt: closing never loses what was learned."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        path = self.trainer.save("last") if self.trainer.write_logs else None
        self.trainer.close()
        self.exhibition.close()
        return path

    # ---- the learner thread --------------------------------------------------------------------------------
    def _learn(self) -> None:
        trainer = self.trainer
        try:
            while not trainer.done and not self._stop:
                with self._cond:
                    if not self._wait(self._may_start_slice):
                        break
                    if self.paused and not (self.recording and self._step_granted):
                        self._step_tokens -= 1
                        self._step_granted = self.recording
                before = trainer.steps
                trainer.step()
                with self._cond:
                    self._budget -= trainer.steps - before
                self._after_slice(force=False)
            if not self._stop:
                if trainer.last_eval is None or trainer.history.eval_steps[-1] != trainer.steps:
                    trainer.evaluate_now()
                self._after_slice(force=True)
                self.finished = True
                if trainer.write_logs:
                    path = trainer.save("last")
                    self.messages.append((f"Training finished at step {trainer.steps:,}: saved {path}", False))
        except _Closing:
            pass
        except (DojoError, RuntimeError, ValueError, OSError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.error = f"training stopped: {first}"
            self.messages.append((self.error, True))
        finally:
            with self._cond:
                self._running = False
                pending, self._requests = self._requests, []
            for name, action in pending:
                self._run_request(name, action)

    def _may_start_slice(self) -> bool:
        if self.paused:
            return self._step_tokens > 0 or (self.recording and self._step_granted)
        if not self.taps_steps and self.speed == "realtime":
            return self._budget > 0
        return True

    def _after_slice(self, force: bool) -> None:
        now = time.perf_counter()
        if force or now - self._last_snapshot >= SNAPSHOT_EVERY_S:
            # A private copy for the screen (exhibition, action bars) while the learner keeps changing its own.
            self.snapshot = copy.deepcopy(self.trainer.learner.policy)
            self._last_snapshot = now

    def on_step(self, trainer: Trainer, event: StepEvent) -> bool:
        """A learner step (the Trainer's hook, on the learner thread): record a frame when the speed asks for one;
        False (end the slice) once the screen is closing."""
        if self._stop:
            return False
        if not self.recording:
            return True
        if self.paused:
            return self._paused_step(event)
        if self.speed == "fast":
            return self._live_frame(event)
        with self._cond:
            if not self._wait(lambda: len(self._frames) < QUEUE_FRAMES or self.paused or not self.recording):
                return False
        if self.paused:
            return self._paused_step(event)
        if self.recording:
            self._record(event)
        return True

    def _paused_step(self, event: StepEvent) -> bool:
        """Paused: show the step the learner just took, then park until the next single step. The reset between
        two episodes passes without a stop, so one single step is always one env step, and the frame shows it."""
        if event.reset:
            return True
        self._record(event)
        with self._cond:
            self._step_granted = False  # the step the grant was for is taken
            if not self._wait(lambda: not self.paused or self._step_tokens > 0 or not self.recording):
                return False
            if self.paused and self._step_tokens > 0:
                self._step_tokens -= 1
                self._step_granted = True
        return True

    def _live_frame(self, event: StepEvent) -> bool:
        """Fast: never wait for the display; draw a frame only when the screen wants one."""
        if not self._frame_wanted:
            return True  # the common case: one attribute read, no lock, no drawing
        with self._cond:
            if not self._frame_wanted:
                return True
            self._frame_wanted = False
        self._record(event)
        return True

    def _record(self, event: StepEvent) -> None:
        view = View(event.env.render(), event.obs, action_mask_of(event.info), event.episode_return, "training")
        with self._cond:
            self._frames.append(view)
            self.frames_rendered += 1

    def on_eval_progress(self, trainer: Trainer, finished: int, total: int, steps: int) -> None:
        """An evaluation is under way (the Trainer's hook): the screen shows how far it is instead of 0 steps/s."""
        self.evaluating = (finished, total, steps)
        if self._stop:
            raise _Closing  # the screen is closing: an evaluation with a deep search must not hold it for minutes

    def on_eval(self, trainer: Trainer, report: Any) -> None:
        self.evaluating = None

    def activity(self) -> str | None:
        """What the learner is busy with when that is not learning (shown on the watch screen), else None."""
        if self.evaluating is None:
            return None
        finished, total, steps = self.evaluating
        return f"evaluating the greedy policy: {finished} of {total} games over, move {steps:,}"

    def _wait(self, ready: Callable[[], bool]) -> bool:
        """Park until ``ready()`` (called with the condition held), serving the screen's requests meanwhile; False
        when the screen closes first."""
        while True:
            if self._stop:
                return False
            if self._requests:
                pending, self._requests = self._requests, []
                # Saving a big replay buffer takes a while: the screen must not wait on the condition meanwhile.
                self._cond.release()
                try:
                    for name, action in pending:
                        self._run_request(name, action)
                finally:
                    self._cond.acquire()
            if ready():
                return True
            self._cond.wait(0.05)

    def _run_request(self, name: str, action: Callable[[], str]) -> None:
        try:
            self.messages.append((action(), False))
        except (DojoError, OSError, RuntimeError) as error:
            self.messages.append((f"{name} failed: {error}", True))


def exploration_name(trainer: Trainer) -> str:
    stats = trainer.learner.stats()
    return "epsilon" if "epsilon" in stats else "entropy"

