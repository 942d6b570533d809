"""Checkpoint files: tensors and plain Python values only, written atomically, loaded with weights_only=True.

A pickle that could run code on load is refused by torch's weights-only unpickler; only regular files of bounded
size are opened, the zip's members are checked before anything is inflated, and every field is validated
(agents/validation.py) before a reader builds anything from it. Every failure becomes one readable ``DojoError``
line. Saves hold Ctrl-C and SIGTERM until the file is complete.
"""

from __future__ import annotations

import os
import pickle
import platform
import zipfile
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import torch

from agents.errors import DojoError
from agents.safe_files import MAX_CHECKPOINT_BYTES, atomic_write, check_output_file, open_regular

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


def as_stored(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as save_checkpoint stores it (format fields added, plain values only): what a reader gets."""
    return plain({"format": FORMAT_NAME, "version": FORMAT_VERSION, "versions": library_versions(), **payload})


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format fields) to ``path`` atomically: a temp file, fsync, then os.replace.

    A crash mid-save leaves the previous file intact (and a temp file that the next run's start removes); a Ctrl-C
    or SIGTERM during the save is delivered once the file is complete. ``path`` must be a regular file or new.
    """
    path = check_output_file(path, "checkpoint")
    data = as_stored(payload)
    atomic_write(path, lambda stream: torch.save(data, stream))
    return path


def _check_archive(stream: Any, path: Path, size: int) -> None:
    """The zip's directory, read before torch inflates anything: torch.save stores members uncompressed, so a
    compressed member (a zip bomb) or one that claims more bytes than the file holds is refused."""
    try:
        members = zipfile.ZipFile(stream).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, IndexError):
        # torch.save always writes a zip archive; anything else is damaged, or a legacy pickle we never read.
        raise DojoError(f"{path} is not a readable checkpoint (not a torch archive: truncated or corrupt?)") from None
    if len(members) > 1_000_000:
        raise DojoError(f"{path} is not a readable checkpoint ({len(members):,} archive members)")
    for member in members:
        if member.compress_type != zipfile.ZIP_STORED:
            raise DojoError(f"{path} is not a readable checkpoint: it holds compressed members, which torch.save "
                            "never writes (a zip bomb?)")
        if member.file_size != member.compress_size or member.header_offset + member.compress_size > size:
            raise DojoError(f"{path} is not a readable checkpoint: a member claims more bytes than the file holds")
    stream.seek(0)


def load_checkpoint(path: str | os.PathLike, resumable: bool = False, kind: str | None = None) -> dict[str, Any]:
    """Read and validate a Dojo checkpoint, always with ``weights_only=True``; raise DojoError on any problem.

    ``resumable``: also check what ``train --resume`` needs (the learner's and trainer's state). ``kind``: the
    agent the caller reads (e.g. "autoencoder"); another kind is named as such before its fields are checked.
    """
    from agents.validation import validate_checkpoint

    path = Path(path)
    with open_regular(path, "checkpoint", MAX_CHECKPOINT_BYTES) as stream:
        _check_archive(stream, path, os.fstat(stream.fileno()).st_size)
        try:
            data = torch.load(stream, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise DojoError(f"refusing to load {path}: it holds objects other than tensors and plain values, "
                            "which could run code on load") from None
        except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError, IndexError, TypeError,
                AttributeError, MemoryError, RecursionError, OverflowError) as error:
            reason = str(error).strip().splitlines()[0][:120] if str(error).strip() else type(error).__name__
            raise DojoError(f"{path} is not a readable checkpoint (truncated or corrupt?): {reason}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise DojoError(f"{path} is not a Dojo checkpoint (no '{FORMAT_NAME}' format marker)")
    if data.get("version") != FORMAT_VERSION:
        raise DojoError(f"{path} has checkpoint format version {data.get('version')!r:.40}; this Dojo reads "
                        f"version {FORMAT_VERSION}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise DojoError(f"{path} is missing {', '.join(missing)}: not a complete Dojo checkpoint")
    if kind is not None and data["agent"] != kind:
        article = "an" if kind[:1] in "aeiou" else "a"
        raise DojoError(f"{path} is a {str(data['agent'])[:40]} checkpoint, not {article} {kind} one")
    validate_checkpoint(data, path, resumable)
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
