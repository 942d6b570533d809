"""The training loop every agent shares: evaluation, early stopping, logging, checkpoints and resume.

``Trainer.step()`` advances the learner by one slice and does whatever bookkeeping falls due, so the same
object drives headless training (``run``) and the app's live view.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

import envs
from agents import agent_module
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.common import check_env_id, env_wrapper_of, evaluate, new_run_dir, pick_device, set_torch_threads
from agents.config import apply_overrides, build_config, config_to_dict, preset_for
from agents.errors import DojoError

METRIC_COLUMNS = ("kind", "step", "episode", "return", "length", "eval_mean", "eval_std", "epsilon", "entropy",
                  "loss", "elapsed_s")
CONFIRM_EPISODES = 100  # episodes that must also reach the threshold before a run counts as solved
TRAINER_KEYS = ("steps", "eval_every", "eval_episodes", "checkpoint_every", "env_kwargs", "eval_env_kwargs")


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
                 preset: str | None = None,
                 render_mode: str | None = None, write_logs: bool = True) -> None:
        resumed = load_checkpoint(resume) if resume is not None else None
        if resumed is not None:
            if agent and agent != resumed["agent"]:
                raise DojoError(f"{resume} was trained by {resumed['agent']}, not {agent}")
            if env_id and env_id != resumed["env_id"]:
                raise DojoError(f"{resume} was trained on {resumed['env_id']}, not {env_id}")
            agent, env_id = resumed["agent"], resumed["env_id"]
        module = agent_module(agent)
        check_env_id(env_id)
        preset_name, preset = preset_for(agent, env_id, preset)
        trainer_preset = {key: preset.pop(key) for key in TRAINER_KEYS if key in preset}
        if resumed is not None:
            config = build_config(module.CONFIG, resumed["config"])
            env_kwargs = resumed["env_kwargs"]
            eval_changes = resumed.get("eval_env_kwargs", env_kwargs)
            seed = int(resumed["seed"])
            saved = resumed.get("trainer", {})
            trainer_preset.update({key: saved[key] for key in ("steps", "eval_every", "eval_episodes",
                                                               "checkpoint_every") if key in saved})
            preset_name = resumed.get("preset", preset_name)
        else:
            config = build_config(module.CONFIG, preset)
            env_kwargs = {**trainer_preset.get("env_kwargs", {}), **(env_kwargs or {})}
            # Evaluation may differ from training (e.g. Maze trains from random starts, is judged from the corner).
            eval_changes = {**env_kwargs, **trainer_preset.get("eval_env_kwargs", {})}
        config = apply_overrides(config, list(overrides))

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
        self.learner = module.LEARNER(env_id, self.env_kwargs, config, self.device, self.seed, render_mode)
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
            self.learner.load_state_dict(resumed["learner"])
            self._restore_trainer_state(resumed.get("trainer", {}))
            resume_path = Path(resume)
            default_dir = resume_path.parent.parent if resume_path.parent.name == "checkpoints" else None
            run_dir = run_dir or default_dir
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

    def step(self) -> list[dict[str, float]]:
        """Advance the learner one slice; log finished episodes; evaluate and checkpoint when due."""
        episodes = self.learner.advance()
        stats = self.learner.stats()
        for episode in episodes:
            self.recent_returns.append(episode["return"])
            self.history.episode_steps.append(self.steps)
            self.history.episode_returns.append(episode["return"])
            self._log_row("episode", episode=self.learner.episodes, ret=episode["return"],
                          length=episode["length"], stats=stats)
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
            self.save("last")
        return episodes

    def evaluate_now(self) -> float:
        """Greedy episodes on a separate eval env; saves best.pt on a new best and notes when the env is solved."""
        wrapper = env_wrapper_of(self.learner.policy)
        returns = evaluate(self.learner.policy.act_batch, self.env_id, self.eval_env_kwargs, self.eval_episodes,
                           seed=self.seed + 1_000_000, wrapper=wrapper)
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
            confirm = evaluate(self.learner.policy.act_batch, self.env_id, self.eval_env_kwargs,
                               CONFIRM_EPISODES, seed=self.seed + 2_000_000, wrapper=wrapper)
            self.confirmed_eval = float(confirm.mean())
            if self.confirmed_eval >= self.threshold:
                self.solved_at = self.steps
                if self.write_logs:
                    self.save("best")
        return mean

    def run(self, progress: bool = True) -> dict[str, Any]:
        """Train until the step budget is spent or the env is solved; Ctrl-C saves last.pt and returns."""
        from tqdm import tqdm

        bar = tqdm(total=self.total_steps, initial=min(self.steps, self.total_steps), unit="step",
                   disable=not progress, dynamic_ncols=True, smoothing=0.1, mininterval=0.25,
                   bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]")
        interrupted = False
        shown = self.steps
        try:
            while not self.done:
                self.step()
                if progress and self.steps - shown >= 500:
                    bar.update(min(self.steps, self.total_steps) - min(shown, self.total_steps))
                    shown = self.steps
                    bar.set_postfix_str(self.postfix(), refresh=False)
            if self.last_eval is None or self.history.eval_steps[-1] != self.steps:
                self.evaluate_now()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.update(min(self.steps, self.total_steps) - min(shown, self.total_steps))
            bar.set_postfix_str(self.postfix(), refresh=True)
            bar.close()
        last = self.save("last") if self.write_logs else None
        self.close()
        return {"run_dir": str(self.run_dir), "last": str(last) if last else None,
                "best": str(self.run_dir / "checkpoints" / "best.pt"), "steps": self.steps,
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
            "config": config_to_dict(self.config), "seed": self.seed,
            "preset": self.preset_name, "model": learner_state["model"], "counters": learner_state["counters"],
            "learner": learner_state, "trainer": self._trainer_state(),
            "metrics": {"best_eval": _finite(self.best_eval), "last_eval": self.last_eval,
                        "recent_return": float(np.mean(self.recent_returns)) if self.recent_returns else None,
                        "solved_at": self.solved_at},
            "run_name": self.run_dir.name, "saved_at": datetime.now().isoformat(timespec="seconds"),
        }

    def save(self, which: str = "last") -> Path:
        """Write checkpoints/last.pt (with the replay buffer, to resume exactly) or best.pt (policy only)."""
        path = self.run_dir / "checkpoints" / f"{which}.pt"
        save_checkpoint(path, self.checkpoint_payload(include_replay=which == "last"))
        if self._csv_file is not None:
            self._csv_file.flush()
        if which == "last":
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
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.json").write_text(json.dumps({
            "agent": self.agent, "env_id": self.env_id, "env_kwargs": self.env_kwargs,
            "eval_env_kwargs": self.eval_env_kwargs, "seed": self.seed,
            "preset": self.preset_name, "device": str(self.device), "steps": self.total_steps,
            "eval_every": self.eval_every, "eval_episodes": self.eval_episodes,
            "solved_threshold": self.threshold, "config": config_to_dict(self.config)}, indent=2) + "\n")
        metrics = self.run_dir / "metrics.csv"
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
