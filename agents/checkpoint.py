"""Checkpoint files: tensors and plain Python values only, written atomically, loaded with weights_only=True.

A pickle that could run code on load is refused by torch's weights-only unpickler; every failure becomes one
readable ``DojoError`` line.
"""

from __future__ import annotations

import os
import pickle
import platform
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch

from agents.errors import DojoError

FORMAT_NAME = "dojo-checkpoint"
FORMAT_VERSION = 1
REQUIRED_KEYS = ("format", "version", "agent", "env_id", "env_kwargs", "spaces", "config", "model", "counters")


def library_versions() -> dict[str, str]:
    return {"torch": torch.__version__, "gymnasium": gymnasium.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def plain(value: Any) -> Any:
    """The value with only types the weights-only unpickler accepts: exact str/int/float/bool, lists, dicts, tensors.

    Subclasses (torch's TorchVersion is a str subclass), numpy scalars and arrays would make the file unloadable.
    """
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value) if type(value) in (list, tuple) else list(map(plain, value))
    if isinstance(value, np.ndarray):
        return torch.as_tensor(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if value is None:
        return None
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint (tensors and plain values only)")


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format fields) to ``path`` atomically: a temp file, fsync, then os.replace.

    A crash mid-save leaves the previous file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = plain({"format": FORMAT_NAME, "version": FORMAT_VERSION, "versions": library_versions(), **payload})
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(data, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and validate a Dojo checkpoint, always with ``weights_only=True``; raise DojoError on any problem."""
    path = Path(path)
    if not path.exists():
        raise DojoError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise DojoError(f"checkpoint {path} is a folder, not a .pt file")
    if not zipfile.is_zipfile(path):
        # torch.save always writes a zip archive; anything else is damaged, or a legacy pickle we never read.
        raise DojoError(f"{path} is not a readable checkpoint (not a torch archive: truncated or corrupt?)")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise DojoError(f"refusing to load {path}: it holds objects other than tensors and plain values, "
                        "which could run code on load") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError, IndexError) as error:
        reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else type(error).__name__
        raise DojoError(f"{path} is not a readable checkpoint (truncated or corrupt?): {reason}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise DojoError(f"{path} is not a Dojo checkpoint (no '{FORMAT_NAME}' format marker)")
    if data.get("version") != FORMAT_VERSION:
        raise DojoError(f"{path} has checkpoint format version {data.get('version')}; this Dojo reads "
                        f"version {FORMAT_VERSION}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise DojoError(f"{path} is missing {', '.join(missing)}: not a complete Dojo checkpoint")
    return data


def slim(data: dict[str, Any], half: bool = False) -> dict[str, Any]:
    """A policy-only payload: no optimizer, target network, replay buffer or history (for sharing and shipping).

    ``half`` stores the network's float weights as float16, half the file; loading copies them back into the
    float32 model (a rounding of about 1e-3 relative, which a greedy policy rarely notices: measure it).
    """
    kept = {key: value for key, value in data.items() if key not in ("format", "version", "learner", "trainer")}
    model = data["model"]
    if half:
        model = {key: value.half() if value.is_floating_point() else value for key, value in model.items()}
    kept["model"] = model  # the same tensors as the learner's copy: torch.save stores them once
    kept["learner"] = {"model": model, "counters": data["counters"]}
    if "opponent_model" in data.get("learner", {}):  # DQN with opponent_model=true plays through its predictor
        kept["learner"]["opponent_model"] = {key: value for key, value in data["learner"]["opponent_model"].items()
                                             if key not in ("optimizer", "replay")}
    return kept
