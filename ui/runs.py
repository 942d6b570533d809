"""The saved runs on disk (the layout of agents/rundir.py) and shipped checkpoints.

Listing reads only the small text files of each run; a checkpoint is opened only where a run has none of them
(and for the loose .pt files in assets/). Nothing here imports pygame.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agents.checkpoint import load_checkpoint
from agents.errors import DojoError
from agents.rundir import BEST, CONFIG_FILE, LAST, METRICS_FILE, RUNS_DIR, checkpoint_path

ASSETS_DIR = Path("assets")


@dataclass
class RunInfo:
    """One row of the checkpoint browser."""

    name: str
    env_id: str
    agent: str
    steps: int
    best_eval: float | None
    date: datetime
    best: Path | None
    last: Path | None
    folder: Path | None

    @property
    def checkpoint(self) -> Path | None:
        """The file to play or watch: the best evaluation's weights where they exist."""
        return self.best or self.last


def _metrics(path: Path) -> tuple[int, float | None]:
    """(last step, best evaluation mean) from a run's metrics.csv."""
    steps, best = 0, None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                steps = max(steps, int(row.get("step") or 0))
                if row.get("kind") == "eval" and row.get("eval_mean"):
                    value = float(row["eval_mean"])
                    best = value if best is None else max(best, value)
            except ValueError:
                continue
    return steps, best


def _from_checkpoint(path: Path, name: str, folder: Path | None) -> RunInfo:
    data = load_checkpoint(path)
    metrics = data.get("metrics") or {}
    best = metrics.get("best_eval")
    saved = data.get("saved_at")
    try:
        date = datetime.fromisoformat(saved) if saved else datetime.fromtimestamp(path.stat().st_mtime)
    except ValueError:
        date = datetime.fromtimestamp(path.stat().st_mtime)
    return RunInfo(name=name, env_id=str(data["env_id"]), agent=str(data["agent"]),
                   steps=int((data.get("counters") or {}).get("steps", 0)),
                   best_eval=None if best is None or not math.isfinite(best) else float(best), date=date,
                   best=path if path.stem == BEST else None, last=path if path.stem != BEST else None,
                   folder=folder)


def read_run(folder: Path) -> RunInfo | None:
    """A run folder's row, or None when it holds no checkpoint. Raises DojoError for unreadable runs."""
    best, last = checkpoint_path(folder, BEST), checkpoint_path(folder, LAST)
    best_path, last_path = (best if best.is_file() else None), (last if last.is_file() else None)
    if best_path is None and last_path is None:
        return None
    config_file = folder / CONFIG_FILE
    if not config_file.is_file():
        info = _from_checkpoint(best_path or last_path, folder.name, folder)
        info.best, info.last = best_path, last_path
        return info
    try:
        config = json.loads(config_file.read_text())
        env_id, agent = str(config["env_id"]), str(config["agent"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DojoError(f"{config_file} is not a Dojo run config ({error})") from None
    metrics_file = folder / METRICS_FILE
    steps, best_eval = _metrics(metrics_file) if metrics_file.is_file() else (0, None)
    newest = max(path.stat().st_mtime for path in (best_path, last_path, config_file) if path is not None)
    return RunInfo(name=folder.name, env_id=env_id, agent=agent, steps=steps, best_eval=best_eval,
                   date=datetime.fromtimestamp(newest), best=best_path, last=last_path, folder=folder)


def scan_runs(runs_dir: Path = RUNS_DIR, assets_dir: Path = ASSETS_DIR) -> tuple[list[RunInfo], list[str]]:
    """Every saved run and shipped checkpoint, newest first, plus one line per thing that could not be read."""
    found: list[RunInfo] = []
    problems: list[str] = []
    if runs_dir.is_dir():
        for folder in sorted(runs_dir.iterdir()):
            if not folder.is_dir():
                continue
            try:
                info = read_run(folder)
            except (DojoError, OSError) as error:
                problems.append(str(error))
                continue
            if info is not None:
                found.append(info)
    if assets_dir.is_dir():
        for path in sorted(assets_dir.rglob("*.pt")):
            try:
                found.append(_from_checkpoint(path, path.stem, None))
            except DojoError as error:
                problems.append(str(error))
    found.sort(key=lambda info: info.date, reverse=True)
    return found, problems


def best_for(env_id: str, runs_dir: Path = RUNS_DIR, assets_dir: Path = ASSETS_DIR) -> RunInfo | None:
    """The saved checkpoint for ``env_id`` with the best evaluation (newest first among equals)."""
    runs, _ = scan_runs(runs_dir, assets_dir)
    candidates = [info for info in runs if info.env_id == env_id and info.checkpoint is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda info: (info.best_eval if info.best_eval is not None else -math.inf,
                                             info.date))
