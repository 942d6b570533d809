"""What a sweep prints: the live table of trials as they run, the best trials at the end and a preset block to paste
into ``agents/presets.toml``. Runs in the driver only (imported once Ray is known to be installed)."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback

STATES = ("running", "pending", "finished", "pruned", "error", "stopped")


def trial_state(trial: Any, status: str | None = None) -> str:
    """finished (ran to its step budget or solved the env), pruned (stopped early by the pruner), error, or
    running/pending/stopped for trials a Ctrl-C left unfinished (``--resume`` continues them)."""
    status = status or str(trial.status)
    result = trial.last_result or {}
    if status == "TERMINATED":
        return "finished" if result.get("finished") else "pruned"
    if status == "ERROR":
        return "error"
    return {"RUNNING": "running", "PENDING": "pending"}.get(status, "stopped")


def trial_error(trial: Any, error_file: Path | None = None) -> str:
    """The one line that says why a trial failed (a DojoError's message where there is one), from its error.txt."""
    try:
        text = Path(error_file or trial.error_file).read_text()
    except Exception:  # no error file (yet, or any more): the state still says "error"
        text = ""
    found = re.findall(r"DojoError: (.+)", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return found[-1] if found else (lines[-1][:200] if lines else "failed")


def creation_order(trials: list[Any]) -> list[Any]:
    """Trials in the order the search made them (Tune's experiment tag starts with a counter), as the live table
    numbers them; Tune's saved state lists them in no particular order."""
    def counter(trial: Any) -> int:
        found = re.match(r"\d+", getattr(trial, "experiment_tag", "") or "")
        return int(found.group()) if found else len(trials)

    return sorted(trials, key=counter)


def short(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def score(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:.4g}"


def table(trials: list[Any], names: tuple[str, ...], order: list[int] | None = None,
          statuses: dict[str, str] | None = None) -> str:
    """Trials as a text table: number, id, state, steps, last and best evaluation, then one column per setting.
    ``statuses`` gives Tune statuses newer than the trials' own (callbacks run before Tune updates them)."""
    headers = ["#", "trial", "state", "step", "eval", "best", *names]
    rows = []
    for index in order if order is not None else range(len(trials)):
        trial, result = trials[index], trials[index].last_result or {}
        state = trial_state(trial, (statuses or {}).get(trial.trial_id))
        rows.append([str(index + 1), trial.trial_id, state, str(result.get("step", "-")),
                     score(result.get("eval")), score(result.get("best_eval")),
                     *(short(trial.config.get(name, "-")) for name in names)])
    widths = [max(len(header), *(len(row[i]) for row in rows)) if rows else len(header)
              for i, header in enumerate(headers)]
    lines = ["  ".join(cell.rjust(width) if i in (0, 3, 4, 5) else cell.ljust(width)
                       for i, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in [headers, *rows]]
    return "\n".join(lines)


class LiveTable(Callback):
    """Prints the table when trials start or end (events of one Tune step together), and at most every
    ``refresh_s`` seconds as evaluations arrive: plain lines, which read the same in a terminal, a log or CI."""

    def __init__(self, names: tuple[str, ...], total: int, refresh_s: float = 30.0) -> None:
        self.names, self.total, self.refresh_s = names, total, refresh_s
        self.setup()

    def setup(self, **info: Any) -> None:
        # Also called by a resumed sweep, whose copy of this callback comes back from Tune's saved state.
        self.last_shown = time.monotonic()
        self.statuses: dict[str, str] = {}
        self.events: list[tuple[int, str]] = []
        self.new_results = False

    def show(self, trials: list[Any], event: str) -> None:
        counts = {state: 0 for state in STATES}
        for trial in trials:
            counts[trial_state(trial, self.statuses.get(trial.trial_id))] += 1
        summary = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
        print(f"\n[{time.strftime('%H:%M:%S')}] {event}: {len(trials)}/{self.total} trials ({summary})")
        print(table(creation_order(trials), self.names, statuses=self.statuses), flush=True)
        self.last_shown, self.events, self.new_results = time.monotonic(), [], False

    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        if self.events:
            self.show(trials, "; ".join(text for _, text in sorted(self.events)))
        elif self.new_results and time.monotonic() - self.last_shown >= self.refresh_s:
            self.show(trials, "progress")

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        if self.events:
            self.show(trials, "; ".join(text for _, text in sorted(self.events)))

    def event(self, trials: list[Any], trial: Any, what: str) -> None:
        number = creation_order(trials).index(trial) + 1
        self.events.append((number, f"trial {number} {what}"))

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.statuses[trial.trial_id] = "RUNNING"
        self.event(trials, trial, "started")

    def on_trial_result(self, iteration: int, trials: list[Any], trial: Any, result: dict, **info: Any) -> None:
        self.new_results = True

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.statuses[trial.trial_id] = "TERMINATED"
        self.event(trials, trial, trial_state(trial, "TERMINATED"))

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.statuses[trial.trial_id] = "ERROR"
        self.event(trials, trial, f"failed: {trial_error(trial)}")


def best_order(trials: list[Any]) -> list[int]:
    """Trial indexes that have evaluated at least once, best evaluation first; among equals (CartPole's 500), the
    one that got there in fewer steps (a solved run stops when solved)."""
    scored = [i for i, trial in enumerate(trials) if _best(trial) is not None]
    return sorted(scored, key=lambda i: (-_best(trials[i]), (trials[i].last_result or {}).get("step", 0)))


def _best(trial: Any) -> float | None:
    value = (trial.last_result or {}).get("best_eval")
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def toml_value(value: Any) -> str:
    """A preset value written as TOML (tomllib reads, nothing in the standard library writes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.6g}"
        return text if any(mark in text for mark in ".eni") else f"{text}.0"  # 3 would read back as an integer
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def preset_block(agent: str, table_name: str, preset: dict[str, Any], best: dict[str, Any], comment: str) -> str:
    """The preset table with the best trial's settings in place: paste it over ``[agent."ENV"]`` in presets.toml."""
    merged = {**preset, **best}
    lines = [f"[{agent}.{json.dumps(table_name)}]", f"# {comment}"]
    lines += [f"{key} = {toml_value(value)}" for key, value in merged.items()]
    return "\n".join(lines)


def report_sweep(job: Any, space: Any, wall_s: float, tune_dir: Path, save_job: Any) -> int:
    """The end of a sweep (finished or interrupted): best trials, the preset block, a JSON last line; the outcome
    goes to ``save_job(job, outcome)`` (sweep.json). ``tune_dir``: Ray Tune's folder of the sweep's trials."""
    from ray.tune import ExperimentAnalysis

    from agents.config import preset_for
    from agents.errors import DojoError

    run_dir = Path(job.run_dir)
    trials = creation_order(ExperimentAnalysis(str(tune_dir)).trials)
    states = [trial_state(trial) for trial in trials]
    counts = {state: states.count(state) for state in STATES}
    unfinished = counts["running"] + counts["pending"] + counts["stopped"] + max(0, job.trials - len(trials))
    order = best_order(trials)
    print(f"\nSweep of {job.agent} on {job.env}: {len(trials)} of {job.trials} trials in {wall_s:.0f} s "
          f"({counts['finished']} finished, {counts['pruned']} pruned, {counts['error']} failed"
          f"{f', {unfinished} unfinished' if unfinished else ''})")
    errors = [(i + 1, trial) for i, (trial, state) in enumerate(zip(trials, states)) if state == "error"]
    messages = {}
    for number, trial in errors:
        error_file = tune_dir / f"trial-{trial.trial_id}" / "error.txt"
        messages[number] = trial_error(trial, error_file)
        print(f"Trial {number} failed: {messages[number]} (details: {error_file})")
    if errors and not order and not unfinished:
        raise DojoError(f"every trial failed; the first: {messages[errors[0][0]]}")
    outcome: dict[str, Any] = {"best_config": None, "best_eval": None, "best_trial": None, "best_run": None,
                               "trials": len(trials), "finished": counts["finished"], "pruned": counts["pruned"],
                               "failed": counts["error"], "unfinished": unfinished, "wall_s": round(wall_s, 1),
                               "run_dir": str(run_dir)}
    per_trial = [{"trial": trial.trial_id, "state": state, "step": (trial.last_result or {}).get("step"),
                  "best_eval": _best(trial), "node": (trial.last_result or {}).get("node"),
                  "run_dir": str(run_dir / f"trial-{trial.trial_id}"), "settings": space.typed(trial.config)}
                 for trial, state in zip(trials, states)]
    if order:
        print("Best trials:")
        print(table(trials, space.names, order[:5]))
        best = trials[order[0]]
        best_run = run_dir / f"trial-{best.trial_id}"
        settings = space.typed(best.config)
        table_name, preset = preset_for(job.agent, job.env)
        baseline = space.baseline(preset)
        scored = _best(trials[0]) if baseline is not None and trials[0].config == baseline else None
        if scored is not None and order[0] == 0:
            verdict = f"best eval {scored:.4g} by the preset itself (trial 1): no trial beat it"
        else:
            against = f"; the preset (trial 1) scored {scored:.4g}" if scored is not None else ""
            verdict = f"best eval {_best(best):.4g} by trial {order[0] + 1}{against}"
        comment = f"swept ({run_dir.name}, {len(trials)} trials of {job.steps:,} steps): {verdict}"
        block = preset_block(job.agent, job.env if table_name == "default" else table_name, preset, settings, comment)
        (run_dir / "best_preset.toml").write_text(block + "\n")
        print(f"Best run: {best_run} (eval: python main.py eval {best_run / 'checkpoints' / 'best.pt'} --episodes 100)")
        print(f"Paste into agents/presets.toml (also in {run_dir / 'best_preset.toml'}):\n\n{block}\n")
        outcome.update(best_config=settings, best_eval=_best(best), best_trial=best.trial_id, best_run=str(best_run))
    if unfinished:
        print(f"Interrupted: continue with  python main.py sweep --resume {run_dir}")
    save_job(job, {**outcome, "per_trial": per_trial})
    print(json.dumps(outcome))
    return 130 if unfinished else 0
