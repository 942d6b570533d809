"""The saved runs on disk (runs/<name>/ with config.json, metrics.csv and checkpoints/) and shipped checkpoints,
and which of them ``play`` picks.

Listing reads only the small text files of each run; a checkpoint is opened only where a run has none of them
(and for the shipped .pt files in assets/agents/). A run folder that cannot be read is skipped with a line that
says why.

Runs evaluate against whatever opponent they trained with, so their own "best eval" numbers do not compare (a
barely trained run scores 0.9 against random). ``pick_agent`` ranks every candidate of a game by one test instead:
the same fixed built-in opponent (or, single-player, the same episodes), measured once and cached beside the file
in ``reference.json`` (the shipped agents' numbers come with them). Nothing here imports pygame.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from agents.checkpoint import load_checkpoint
from agents.errors import DojoError
from agents.rundir import BEST, CONFIG_FILE, LAST, METRICS_FILE, RUNS_DIR, checkpoint_path
from agents.safe_files import check_output_file, load_json, open_regular, read_text
from envs import registry
from envs.registry import CONNECT_FOUR, TRON

ASSETS_DIR = Path("assets") / "agents"  # the shipped agents (assets/training holds runs in progress, not offered)


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
    for row in csv.DictReader(io.StringIO(read_text(path, "metrics file"), newline="")):
        try:
            steps = max(steps, int(row.get("step") or 0))
            if row.get("kind") == "eval" and row.get("eval_mean"):
                value = float(row["eval_mean"])
                if math.isfinite(value):
                    best = value if best is None else max(best, value)
        except (ValueError, TypeError):
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
    config = load_json(read_text(config_file, "run config", 1 << 20), str(config_file))
    if not isinstance(config, dict) or not isinstance(config.get("env_id"), str) \
            or not isinstance(config.get("agent"), str):
        raise DojoError(f"{config_file} is not a Dojo run config (needs env_id and agent)")
    env_id, agent = config["env_id"], config["agent"]
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
            except (DojoError, OSError, ValueError) as error:  # one broken run never stops the listing
                problems.append(f"skipped {folder}: {error}")
                continue
            if info is not None:
                found.append(info)
    if assets_dir.is_dir():
        for path in sorted(assets_dir.rglob("*.pt")):
            try:
                found.append(_from_checkpoint(path, path.stem, None))
            except (DojoError, OSError, ValueError) as error:
                problems.append(f"skipped {path}: {error}")
    found.sort(key=lambda info: info.date, reverse=True)
    return found, problems


def best_for(env_id: str, runs_dir: Path = RUNS_DIR, assets_dir: Path = ASSETS_DIR) -> RunInfo | None:
    """The saved checkpoint ``play`` would pick for ``env_id`` by the measures already known (see pick_agent)."""
    return pick_agent(env_id, runs_dir, assets_dir).info


# ---- the comparable measure play picks by -------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """The one test every candidate agent of a game takes, so that their numbers compare."""

    opponent: str | None  # two-player games: a fixed built-in opponent, half the games in each seat
    opening_moves: int  # random first moves for both sides: deterministic players would replay one game
    games: int  # few, since a lookahead agent takes seconds a game: enough to tell a strong agent from a weak one
    max_steps: int = 100_000  # single-player: episodes are cut here (a good Snake plays for thousands of steps)
    seed: int = 4242

    def describe(self) -> str:
        if self.opponent is None:
            return f"the same {self.games} episodes of at most {self.max_steps} steps"
        return f"{self.games} games against {self.opponent}, half in each seat"

    def key(self, env_id: str) -> str:
        return (f"{env_id}|{self.opponent}|opening={self.opening_moves}|games={self.games}|steps={self.max_steps}"
                f"|seed={self.seed}|v1")


REFERENCES = {CONNECT_FOUR.env_id: Reference("minimax:2", 2, 10), TRON.env_id: Reference("space", 3, 10)}
SINGLE_PLAYER_REFERENCE = Reference(None, 0, 6, max_steps=200)
CACHE_NAME = "reference.json"  # beside the checkpoints it measures: {file name: {sha256, reference, value, text}}
DIGEST_LIMIT = 64 << 20  # bigger files (a last.pt with its replay) are keyed by size and time instead


def reference_for(env_id: str) -> Reference:
    return REFERENCES.get(env_id, SINGLE_PLAYER_REFERENCE)


@dataclass
class Measure:
    """An agent's result on its game's reference test: higher is better."""

    value: float
    text: str


def measure_agent(agent: object, env_id: str) -> Measure:
    """Play the reference test (see REFERENCES) with ``agent``'s greedy policy."""
    from agents.common import play_episodes

    reference = reference_for(env_id)
    if reference.opponent is not None:
        game = registry.game(env_id)
        key, seats = game.seat_kwarg, game.seat_values
        wins = draws = 0
        for index, seat in enumerate(seats):
            kwargs = {**agent.env_kwargs, "opponent": reference.opponent,
                      "opening_moves": reference.opening_moves, key: seat}
            returns = play_episodes(agent, env_id, kwargs, reference.games // 2,
                                    seed=reference.seed + 1000 * index).returns
            wins, draws = wins + int((returns > 0).sum()), draws + int((returns == 0).sum())
        games = 2 * (reference.games // 2)
        return Measure((wins + 0.5 * draws) / games, f"won {wins} of {games} against {reference.opponent}"
                                                     f"{f' ({draws} draws)' if draws else ''}")
    # The return counts what an episode cut at max_steps earned so far (Snake: +1 an apple), so it compares.
    returns = play_episodes(agent, env_id, agent.env_kwargs, reference.games, seed=reference.seed,
                            max_steps=reference.max_steps).returns
    value = float(returns.mean())
    return Measure(value, f"mean return {value:.2f} over {reference.games} episodes of at most "
                          f"{reference.max_steps} steps")


def _digest(path: Path) -> str:
    with open_regular(path, "checkpoint") as stream:
        info = Path(path).stat()
        if info.st_size > DIGEST_LIMIT:
            return f"size={info.st_size},mtime={info.st_mtime_ns}"
        return hashlib.sha256(stream.read()).hexdigest()


def _read_cache(folder: Path) -> dict:
    try:
        cache = load_json(read_text(folder / CACHE_NAME, "measure cache", 1 << 20), str(folder / CACHE_NAME))
    except DojoError:
        return {}  # none yet, or damaged: measure again
    return cache if isinstance(cache, dict) else {}


def cached_measure(path: Path, env_id: str) -> Measure | None:
    """The reference measure stored for this exact file (same contents, same test), if any."""
    entry = _read_cache(path.parent).get(path.name)
    if not isinstance(entry, dict) or entry.get("reference") != reference_for(env_id).key(env_id):
        return None
    value, text = entry.get("value"), entry.get("text")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not isinstance(text, str):
        return None
    try:
        if entry.get("sha256") != _digest(path):
            return None
    except DojoError:
        return None
    return Measure(float(value), text[:200])


def store_measure(path: Path, env_id: str, measure: Measure) -> None:
    """Remember a measure beside the file (a read-only folder just means measuring again next time)."""
    cache_file = path.parent / CACHE_NAME
    cache = _read_cache(path.parent)
    cache[path.name] = {"sha256": _digest(path), "reference": reference_for(env_id).key(env_id),
                        "value": measure.value, "text": measure.text}
    try:
        check_output_file(cache_file, "measure cache")
        temp = cache_file.with_name(f".{CACHE_NAME}.tmp")
        temp.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
        temp.replace(cache_file)
    except (DojoError, OSError):
        return


@dataclass
class Candidate:
    info: RunInfo
    measure: Measure | None = None


@dataclass
class Pick:
    """The agent play picks for a game, why, the others it was ranked against, and what could not be read."""

    info: RunInfo | None
    measure: Measure | None
    reason: str
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def pick_agent(env_id: str, runs_dir: Path = RUNS_DIR, assets_dir: Path = ASSETS_DIR, measure: bool = False,
               usable: Callable[[RunInfo], None] | None = None,
               progress: Callable[[str], None] | None = None) -> Pick:
    """Rank the saved agents of ``env_id`` by the reference test. ``measure``: play it for those not measured yet
    (seconds each; the app's screens pass False and use what is known). ``usable(info)`` raises DojoError for an
    agent the caller cannot use; such agents are skipped, with the reason in ``problems``."""
    from agents import load_agent

    runs, problems = scan_runs(runs_dir, assets_dir)
    reference = reference_for(env_id)
    found = [info for info in runs if info.env_id == env_id and info.checkpoint is not None]
    measure = measure and len(found) > 1  # a single agent needs no comparing
    candidates = []
    for info in found:
        try:
            if usable is not None:
                usable(info)
            known = cached_measure(info.checkpoint, env_id)
            if known is None and measure:
                if progress is not None:
                    progress(f"measuring {info.checkpoint} ({reference.describe()})...")
                known = measure_agent(load_agent(str(info.checkpoint)), env_id)
                store_measure(info.checkpoint, env_id, known)
        except DojoError as error:
            problems.append(f"skipped {info.checkpoint}: {error}")
            continue
        candidates.append(Candidate(info, known))
    # Measured agents first, best first; the rest (not measured yet) newest first, runs with an evaluation ahead.
    candidates.sort(key=lambda c: (c.measure is not None, c.measure.value if c.measure else 0.0,
                                   c.info.best_eval is not None, c.info.date), reverse=True)
    if not candidates:
        return Pick(None, None, "no trained agent saved yet", [], problems)
    best = candidates[0]
    if len(candidates) == 1:
        reason = "the only saved agent for this game" + (f" ({best.measure.text})" if best.measure else "")
    elif best.measure is None:
        reason = (f"the newest saved agent; none is measured yet on the common test ({reference.describe()}): "
                  f"python main.py play --env {env_id} --dry-run measures them")
    else:
        others = [c for c in candidates[1:] if c.measure is not None]
        runner = f"; next best {others[0].info.name}: {others[0].measure.text}" if others else ""
        reason = (f"{best.measure.text}, the best of {len(others) + 1} saved agents on the same test "
                  f"({reference.describe()}){runner}")
    return Pick(best.info, best.measure, reason, candidates, problems)
