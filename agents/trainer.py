"""The training loop every agent shares: evaluation, early stopping, logging, checkpoints and resume.

``Trainer.step()`` advances the learner by one slice and does whatever bookkeeping falls due, so the same
object drives headless training (``run``, its progress bar a hook) and the app's watch screen. Hooks
(``TrainerHooks``) see every env step of a single-env learner (``on_step``: returning False ends the slice),
every finished episode, every evaluation and every slice; none of them reaches into the learner.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

import envs
from agents import agent_module
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.common import StepEvent, check_env_id, evaluate, pick_device, set_torch_threads
from agents.config import apply_overrides, build_config, config_to_dict, preset_for, split_trainer_overrides
from agents.errors import DojoError
from agents.games.play import Play
from agents.games.settings import PLAY_FIELDS, PlayConfig, algorithm_config_of, play_of, split_config
from agents.rundir import CONFIG_FILE, LAST, METRICS_FILE, checkpoint_path, new_run_dir, run_of
from agents.safe_files import prepare_run_dir

METRIC_COLUMNS = ("kind", "step", "episode", "return", "length", "eval_mean", "eval_std", "epsilon", "entropy",
                  "loss", "elapsed_s")
CONFIRM_EPISODES = 100  # episodes that must also reach the threshold before a run counts as solved
TRAINER_KEYS = ("steps", "eval_every", "eval_episodes", "checkpoint_every", "env_kwargs", "eval_env_kwargs")


@dataclass
class EvalReport:
    """One evaluation, as ``on_eval`` hooks see it."""

    step: int
    mean: float
    std: float
    best: float
    solved_at: int | None


class TrainerHooks:
    """Callbacks a ``Trainer`` calls; subclass and override the ones you need (each does nothing by default)."""

    def on_step(self, trainer: Trainer, event: StepEvent) -> bool | None:
        """After every env step (and reset) of a single-env learner; return False to end the slice there."""
        return None

    def on_episode(self, trainer: Trainer, episode: dict[str, float]) -> None:
        """After every finished training episode (``return``, ``length``, and ``score`` / ``success`` if any)."""

    def on_eval_progress(self, trainer: Trainer, finished: int, total: int, steps: int) -> None:
        """During an evaluation, after every step of its games: ``finished`` of ``total`` episodes are over."""

    def on_eval(self, trainer: Trainer, report: EvalReport) -> None:
        """After every evaluation."""

    def on_slice(self, trainer: Trainer) -> None:
        """After every slice of learning and its bookkeeping."""


class ProgressBar(TrainerHooks):
    """The headless run's tqdm bar: steps, rate, the recent return, the last evaluation and the exploration."""

    def __init__(self, trainer: Trainer) -> None:
        from tqdm import tqdm

        self.shown = trainer.steps
        self.total = trainer.total_steps
        self.bar = tqdm(total=self.total, initial=min(self.shown, self.total), unit="step", dynamic_ncols=True,
                        smoothing=0.1, mininterval=0.25,
                        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]")

    def on_slice(self, trainer: Trainer) -> None:
        if trainer.steps - self.shown >= 500:
            self.update(trainer, refresh=False)

    def update(self, trainer: Trainer, refresh: bool) -> None:
        self.bar.update(min(trainer.steps, self.total) - min(self.shown, self.total))
        self.shown = trainer.steps
        self.bar.set_postfix_str(trainer.postfix(), refresh=refresh)

    def close(self, trainer: Trainer) -> None:
        self.update(trainer, refresh=True)
        self.bar.close()


@dataclass
class History:
    """What the run has seen so far, for progress bars and live plots."""

    episode_steps: list[int] = field(default_factory=list)
    episode_returns: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_means: list[float] = field(default_factory=list)
    loss_steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    exploration: list[float] = field(default_factory=list)


class Trainer:
    """One training run of one agent on one env, with its run folder."""

    def __init__(self, agent: str, env_id: str, *, steps: int | None = None, seed: int = 0, device: str = "auto",
                 run_dir: str | Path | None = None, resume: str | Path | None = None,
                 overrides: list[str] | tuple[str, ...] = (), env_kwargs: dict[str, Any] | None = None,
                 eval_every: int | None = None, eval_episodes: int | None = None, early_stop: bool = True,
                 preset: str | None = None, frames: bool = False, write_logs: bool = True,
                 hooks: list[TrainerHooks] | tuple[TrainerHooks, ...] = ()) -> None:
        """``frames``: the learner's env renders (``render_mode="rgb_array"``) so that ``on_step`` hooks can draw it
        (single-env learners); ``preset``: a variant such as ``strong``, or ``default`` for the agent's defaults."""
        resumed = load_checkpoint(resume, resumable=True) if resume is not None else None
        if resumed is not None:
            if agent and agent != resumed["agent"]:
                raise DojoError(f"{resume} was trained by {resumed['agent']}, not {agent}")
            if env_id and env_id != resumed["env_id"]:
                raise DojoError(f"{resume} was trained on {resumed['env_id']}, not {env_id}")
            agent, env_id = resumed["agent"], resumed["env_id"]
        module = agent_module(agent)
        check_env_id(env_id)
        takes_play = getattr(module.LEARNER, "takes_play", False)
        preset_name, preset = preset_for(agent, env_id, preset)
        trainer_preset = {key: preset.pop(key) for key in TRAINER_KEYS if key in preset}
        preset, play_values = split_config(preset) if takes_play else (preset, {})
        overrides, trainer_overrides = split_trainer_overrides(list(overrides))  # --set checkpoint_every=500
        if resumed is not None:
            config = build_config(module.CONFIG, algorithm_config_of(resumed))
            play_config = play_of(resumed)
            env_kwargs = resumed["env_kwargs"]
            eval_changes = resumed.get("eval_env_kwargs", env_kwargs)
            seed = int(resumed["seed"])
            saved = resumed.get("trainer", {})
            trainer_preset.update({key: saved[key] for key in ("steps", "eval_every", "eval_episodes",
                                                               "checkpoint_every") if key in saved})
            preset_name = resumed.get("preset", preset_name)
        else:
            config = build_config(module.CONFIG, preset)
            play_config = build_config(PlayConfig, play_values)
            env_kwargs = {**trainer_preset.get("env_kwargs", {}), **(env_kwargs or {})}
            # Evaluation may differ from training (e.g. Maze trains from random starts, is judged from the corner).
            eval_changes = {**env_kwargs, **trainer_preset.get("eval_env_kwargs", {})}
        play_pairs = [pair for pair in overrides if takes_play and pair.partition("=")[0].strip() in PLAY_FIELDS]
        config = apply_overrides(config, [pair for pair in overrides if pair not in play_pairs])
        self.play_config = apply_overrides(play_config, play_pairs) if takes_play else None
        trainer_preset.update(trainer_overrides)

        self.agent, self.env_id, self.env_kwargs, self.seed = agent, env_id, dict(env_kwargs), int(seed)
        self.eval_env_kwargs = dict(eval_changes)
        self.preset_name, self.config = preset_name, config
        self.total_steps = int(steps if steps is not None else trainer_preset.get("steps", 100_000))
        self.eval_every = int(eval_every or trainer_preset.get("eval_every", 5_000))
        self.eval_episodes = int(eval_episodes or trainer_preset.get("eval_episodes", 20))
        self.checkpoint_every = int(trainer_preset.get("checkpoint_every", max(self.eval_every, 10_000)))
        for name in ("total_steps", "eval_every", "eval_episodes", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise DojoError(f"{name.replace('total_', '')} must be at least 1, got {getattr(self, name)}")
        self.threshold = envs.solved_threshold(env_id)
        self.early_stop = early_stop
        self.device = pick_device(device)
        set_torch_threads(self.device, getattr(config, "torch_threads", 1))
        learner_kwargs = dict(self.env_kwargs)
        if frames and getattr(module.LEARNER, "single_env", False):
            learner_kwargs["render_mode"] = "rgb_array"
        if takes_play:
            play = Play(self.play_config, env_id, str(self.env_kwargs.get("obs_mode", "planes")), self.seed)
            self.learner = module.LEARNER(env_id, learner_kwargs, config, self.device, self.seed,
                                          play if play.active else None)
        else:
            self.learner = module.LEARNER(env_id, learner_kwargs, config, self.device, self.seed)
        self.hooks: list[TrainerHooks] = list(hooks)
        # A learner may name its evaluation opponent in its config (alphazero's reference): it overrides the env's.
        self.eval_env_kwargs.update(getattr(self.learner, "eval_env_kwargs", {}))

        self.history = History()
        self.best_eval = -math.inf
        self.last_eval: float | None = None
        self.solved_at: int | None = None
        self.confirmed_eval: float | None = None
        self.next_eval = self.eval_every
        self.last_checkpoint_step = 0
        self.elapsed_before = 0.0
        self.recent_returns: deque[float] = deque(maxlen=20)
        if resumed is not None:
            try:
                self.learner.load_state_dict(resumed["learner"])
            except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
                first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
                raise DojoError(f"cannot resume {resume}: its learner state does not fit ({first})") from None
            self._restore_trainer_state(resumed.get("trainer", {}))
            run_dir = run_dir or run_of(resume)
        self.run_dir = Path(run_dir) if run_dir else new_run_dir(f"{self.env_id}-{self.agent}")
        self.write_logs = write_logs
        self._writer = None
        self._csv_file = None
        self._csv: Any = None
        self._started = time.perf_counter()
        if write_logs:
            self._open_logs(resumed is not None)

    # ---- the loop ------------------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return self.learner.steps

    @property
    def done(self) -> bool:
        return self.steps >= self.total_steps or (self.early_stop and self.solved_at is not None)

    @property
    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._started

    def exclude_time(self, seconds: float) -> None:
        """``seconds`` the run stood still (the watch screen paused) do not count as its training time."""
        self._started += max(0.0, seconds)

    @property
    def records_frames(self) -> bool:
        """Whether ``on_step`` hooks see the learner's env steps (a single-env learner)."""
        return bool(getattr(self.learner, "single_env", False))

    def _on_step(self, event: StepEvent) -> bool:
        go_on = True
        for hook in self.hooks:
            go_on = hook.on_step(self, event) is not False and go_on
        return go_on

    def step(self) -> list[dict[str, float]]:
        """Advance the learner one slice; log finished episodes; evaluate and checkpoint when due."""
        self.learner.step_budget = self.total_steps  # PPO shortens its last rollout to the budget
        episodes = self.learner.advance(self._on_step if self.records_frames and self.hooks else None)
        stats = self.learner.stats()
        for episode in episodes:
            self.recent_returns.append(episode["return"])
            self.history.episode_steps.append(self.steps)
            self.history.episode_returns.append(episode["return"])
            self._log_row("episode", episode=self.learner.episodes, ret=episode["return"],
                          length=episode["length"], stats=stats)
            for hook in self.hooks:
                hook.on_episode(self, episode)
        loss = stats.get("loss", float("nan"))
        if not math.isnan(loss):
            self.history.loss_steps.append(self.steps)
            self.history.losses.append(loss)
            self.history.exploration.append(stats.get("epsilon", stats.get("entropy", float("nan"))))
        if self.steps >= self.next_eval:
            self.evaluate_now()
            while self.next_eval <= self.steps:
                self.next_eval += self.eval_every
        if self.write_logs and self.steps - self.last_checkpoint_step >= self.checkpoint_every:
            self.save(LAST)
        for hook in self.hooks:
            hook.on_slice(self)
        return episodes

    def evaluate_now(self) -> float:
        """Greedy episodes on a separate eval env; saves best.pt on a new best and notes when the env is solved."""
        returns = evaluate(self.learner.policy, self.env_id, self.eval_env_kwargs, self.eval_episodes,
                           seed=self.seed + 1_000_000, progress=self._eval_progress(self.eval_episodes))
        mean, std = float(returns.mean()), float(returns.std())
        self.last_eval = mean
        self.history.eval_steps.append(self.steps)
        self.history.eval_means.append(mean)
        self._log_row("eval", eval_mean=mean, eval_std=std, stats=self.learner.stats())
        if mean > self.best_eval:
            self.best_eval = mean
            if self.write_logs:
                self.save("best")
        if self.threshold is not None and mean >= self.threshold and self.solved_at is None:
            # A 20-episode mean is a noisy estimate: confirm on fresh episodes before calling the env solved,
            # so the saved agent really is (measured: unconfirmed CartPole solves scored 456-475 over 100).
            confirm = evaluate(self.learner.policy, self.env_id, self.eval_env_kwargs, CONFIRM_EPISODES,
                               seed=self.seed + 2_000_000, progress=self._eval_progress(CONFIRM_EPISODES))
            self.confirmed_eval = float(confirm.mean())
            if self.confirmed_eval >= self.threshold:
                self.solved_at = self.steps
                if self.write_logs:
                    self.save("best")
        report = EvalReport(self.steps, mean, std, self.best_eval, self.solved_at)
        for hook in self.hooks:
            hook.on_eval(self, report)
        return mean

    def _eval_progress(self, total: int) -> Callable[[int, int], None]:
        """The ``progress`` callback that tells the hooks how an evaluation of ``total`` episodes is going."""
        return lambda finished, steps: [hook.on_eval_progress(self, finished, total, steps) for hook in self.hooks]

    def run(self, progress: bool = True) -> dict[str, Any]:
        """Train until the step budget is spent or the env is solved; Ctrl-C saves last.pt and returns."""
        bar = ProgressBar(self) if progress else None
        if bar is not None:
            self.hooks.append(bar)
        interrupted = False
        try:
            while not self.done:
                self.step()
            if self.last_eval is None or self.history.eval_steps[-1] != self.steps:
                self.evaluate_now()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if bar is not None:
                bar.close(self)
                self.hooks.remove(bar)
        try:
            last = self.save(LAST) if self.write_logs else None
        except KeyboardInterrupt:  # a second Ctrl-C, held until the save was complete
            interrupted, last = True, checkpoint_path(self.run_dir, LAST)
        self.close()
        return {"run_dir": str(self.run_dir), "last": str(last) if last else None,
                "best": str(checkpoint_path(self.run_dir, "best")), "steps": self.steps,
                "episodes": self.learner.episodes, "solved": self.solved_at is not None,
                "solved_at_step": self.solved_at, "confirmed_eval": self.confirmed_eval,
                "best_eval": self.best_eval, "last_eval": self.last_eval,
                "threshold": self.threshold, "elapsed_s": round(self.elapsed, 2), "interrupted": interrupted}

    def postfix(self) -> str:
        parts = []
        if self.recent_returns:
            parts.append(f"ret {np.mean(self.recent_returns):.1f}")
        if self.last_eval is not None:
            parts.append(f"eval {self.last_eval:.1f}")
        for key, value in self.learner.stats().items():
            if key != "loss" and not math.isnan(value):
                parts.append(f"{key[:3] if key == 'epsilon' else key} {value:.3f}")
        return ", ".join(parts)

    # ---- checkpoints ---------------------------------------------------------------------------------------
    def checkpoint_payload(self, include_replay: bool) -> dict[str, Any]:
        learner_state = self.learner.state_dict(include_replay=include_replay)
        return {
            "agent": self.agent, "env_id": self.env_id, "env_kwargs": self.env_kwargs,
            "eval_env_kwargs": self.eval_env_kwargs, "spaces": self.learner.spaces,
            "config": config_to_dict(self.config), **self._play_entry(), "seed": self.seed,
            "preset": self.preset_name, "model": learner_state["model"], "counters": learner_state["counters"],
            "learner": learner_state, "trainer": self._trainer_state(),
            "metrics": {"best_eval": _finite(self.best_eval), "last_eval": self.last_eval,
                        "recent_return": float(np.mean(self.recent_returns)) if self.recent_returns else None,
                        "solved_at": self.solved_at},
            "run_name": self.run_dir.name, "saved_at": datetime.now().isoformat(timespec="seconds"),
        }

    def _play_entry(self) -> dict[str, Any]:
        return {} if self.play_config is None else {"play": config_to_dict(self.play_config)}

    def save(self, which: str = LAST) -> Path:
        """Write checkpoints/last.pt (with the replay buffer, to resume exactly) or best.pt (policy only)."""
        path = checkpoint_path(self.run_dir, which)
        save_checkpoint(path, self.checkpoint_payload(include_replay=which == LAST))
        if self._csv_file is not None:
            self._csv_file.flush()
        if which == LAST:
            self.last_checkpoint_step = self.steps
        return path

    def _trainer_state(self) -> dict[str, Any]:
        return {"steps": self.total_steps, "eval_every": self.eval_every, "eval_episodes": self.eval_episodes,
                "checkpoint_every": self.checkpoint_every, "best_eval": _finite(self.best_eval),
                "last_eval": self.last_eval, "solved_at": self.solved_at, "confirmed_eval": self.confirmed_eval,
                "next_eval": self.next_eval,
                "elapsed_s": self.elapsed, "recent_returns": list(self.recent_returns),
                "history": {name: list(values) for name, values in vars(self.history).items()}}

    def _restore_trainer_state(self, state: dict[str, Any]) -> None:
        best = state.get("best_eval")
        self.best_eval = -math.inf if best is None else float(best)
        self.last_eval = state.get("last_eval")
        self.solved_at = state.get("solved_at")
        self.confirmed_eval = state.get("confirmed_eval")
        self.next_eval = int(state.get("next_eval", self.eval_every))
        self.elapsed_before = float(state.get("elapsed_s", 0.0))
        self.recent_returns.extend(state.get("recent_returns", []))
        for name, values in state.get("history", {}).items():
            if hasattr(self.history, name):
                setattr(self.history, name, list(values))
        self.last_checkpoint_step = self.steps
        if self.solved_at is not None and self.early_stop and self.steps < self.total_steps:
            # Resuming a solved run means the user wants more training: keep going to the step budget.
            self.early_stop = False

    # ---- logs ----------------------------------------------------------------------------------------------
    def _open_logs(self, resuming: bool) -> None:
        prepare_run_dir(self.run_dir)  # writable, before any training; a killed save's temp files removed
        (self.run_dir / CONFIG_FILE).write_text(json.dumps({
            "agent": self.agent, "env_id": self.env_id, "env_kwargs": self.env_kwargs,
            "eval_env_kwargs": self.eval_env_kwargs, "seed": self.seed,
            "preset": self.preset_name, "device": str(self.device), "steps": self.total_steps,
            "eval_every": self.eval_every, "eval_episodes": self.eval_episodes,
            "solved_threshold": self.threshold, "config": config_to_dict(self.config), **self._play_entry()},
            indent=2) + "\n")
        metrics = self.run_dir / METRICS_FILE
        kept: list[dict[str, str]] = []
        if resuming and metrics.exists():
            # Rows written after the checkpoint belong to a future that is being replaced.
            with metrics.open(newline="") as handle:
                kept = [row for row in csv.DictReader(handle) if int(row.get("step") or 0) <= self.steps]
        self._csv_file = metrics.open("w", newline="")
        self._csv = csv.DictWriter(self._csv_file, fieldnames=METRIC_COLUMNS)
        self._csv.writeheader()
        self._csv.writerows(kept)
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(self.run_dir), purge_step=self.steps if resuming else None)

    def _log_row(self, kind: str, *, stats: dict[str, float], episode: int | None = None, ret: float | None = None,
                 length: int | None = None, eval_mean: float | None = None, eval_std: float | None = None) -> None:
        if not self.write_logs:
            return
        row = {"kind": kind, "step": self.steps, "episode": episode if episode is not None else "",
               "return": _fmt(ret), "length": length if length is not None else "", "eval_mean": _fmt(eval_mean),
               "eval_std": _fmt(eval_std), "epsilon": _fmt(stats.get("epsilon")), "entropy": _fmt(stats.get("entropy")),
               "loss": _fmt(stats.get("loss")), "elapsed_s": f"{self.elapsed:.2f}"}
        self._csv.writerow(row)
        if kind == "episode":
            self._writer.add_scalar("episode/return", ret, self.steps)
            self._writer.add_scalar("episode/length", length, self.steps)
        else:
            self._writer.add_scalar("eval/mean_return", eval_mean, self.steps)
            for key, value in stats.items():
                if value is not None and not math.isnan(value):
                    self._writer.add_scalar(f"train/{key}", value, self.steps)

    def close(self) -> None:
        if self._csv_file is not None:
            self._csv_file.close()
            self._csv_file = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.learner.close()


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.6g}"


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value
