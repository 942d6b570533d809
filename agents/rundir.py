"""The run-folder layout, in one place: where training, ``train-ae``, ``train-opponent-model`` and the app put things.

    runs/<env>-<agent>-<time>/        one training run
        config.json                   what was trained how (agent, env, settings)
        metrics.csv                   one row per episode and per evaluation
        events.out.tfevents.*         TensorBoard
        plots.png                     the watch screen's plots (P)
        checkpoints/last.pt           latest state, replay included (resume)
        checkpoints/best.pt           the best evaluation's policy
    runs/<env>-ae-<time>/ae.pt, reconstructions.png, config.json          train-ae
    runs/<env>-opponent-model-<time>/opponent_model.pt, games.jsonl       train-opponent-model
    runs/play-<game>-<time>/opponent_model.pt, games.jsonl                the app's model of the human
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

RUNS_DIR = Path("runs")
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
PLOTS_FILE = "plots.png"
CHECKPOINTS = "checkpoints"
LAST, BEST = "last", "best"
AE_FILE = "ae.pt"
AE_PICTURE = "reconstructions.png"
OPPONENT_MODEL_FILE = "opponent_model.pt"
GAMES_LOG = "games.jsonl"


def new_run_dir(name: str, root: Path = RUNS_DIR) -> Path:
    """A folder under ``root`` that does not exist yet: ``<name>-<time>``, suffixed -2, -3... when taken."""
    base = root / f"{name.replace('/', '-')}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    path, suffix = base, 1
    while path.exists():
        suffix += 1
        path = base.with_name(f"{base.name}-{suffix}")
    return path


def checkpoint_path(run_dir: Path, which: str) -> Path:
    """``checkpoints/last.pt`` or ``checkpoints/best.pt`` of a run."""
    return Path(run_dir) / CHECKPOINTS / f"{which}.pt"


def run_of(checkpoint: str | Path) -> Path | None:
    """The run folder a checkpoint belongs to (``<run>/checkpoints/<which>.pt``), or None for a loose file."""
    path = Path(checkpoint)
    return path.parent.parent if path.parent.name == CHECKPOINTS else None


def run_name(checkpoint: str | Path) -> str:
    """A short name for where a checkpoint came from: its run folder's name, else the file's stem."""
    run = run_of(checkpoint)
    return run.name if run is not None else Path(checkpoint).stem
