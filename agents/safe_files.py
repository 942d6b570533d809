"""Reading and writing user files safely: regular files only, bounded sizes, run folders checked before training,
saves that a Ctrl-C cannot cut in half, and the ``latest`` / glob forms of paths.

Why: a FIFO or ``/dev/zero`` given as a file hangs or fills memory, ``os.replace`` onto a device node replaces the
device, and a signal that lands inside ``torch.save`` surfaces as a RuntimeError that skips the final save.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from agents.errors import DojoError

MAX_CHECKPOINT_BYTES = 4 << 30  # the largest legitimate file: a pixel DQN's last.pt with its replay (~2.5 GB)
MAX_TEXT_BYTES = 256 << 20  # game logs, run configs
TEMP_SUFFIX = ".tmp"  # save_checkpoint's temp files: ".<name>.<random>.tmp" beside the target
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


def _size_text(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def open_regular(path: str | os.PathLike, what: str, limit: int = MAX_CHECKPOINT_BYTES) -> BinaryIO:
    """``path`` opened for reading, once it is known to be a regular file of at most ``limit`` bytes.

    The open does not block (a FIFO would wait for a writer forever); devices, FIFOs, sockets and folders are
    refused from the open file's own status, so a symlink to /dev/zero is refused too.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DojoError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise DojoError(f"{what} {path} is a folder, not a file") from None
    except OSError as error:
        raise DojoError(f"{what} {path} cannot be opened ({_reason(error)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise DojoError(f"{what} {path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise DojoError(f"{what} {path} is not a regular file (a device, FIFO or socket); give a file")
        if info.st_size > limit:
            raise DojoError(f"{what} {path} is {_size_text(info.st_size)}, more than the {_size_text(limit)} "
                            "Dojo reads")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str | os.PathLike, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """A regular file's text (UTF-8), bounded by ``limit`` bytes; one-line errors for anything else."""
    with open_regular(path, what, limit) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise DojoError(f"{what} {path} is more than the {_size_text(limit)} Dojo reads")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DojoError(f"{what} {path} is not UTF-8 text (bad byte at offset {error.start})") from None


def _check_ancestors(path: Path, what: str) -> None:
    """Every existing ancestor of ``path`` must be a folder."""
    for parent in reversed(path.parents):
        try:
            info = os.stat(parent)
        except FileNotFoundError:
            return
        except OSError as error:
            raise DojoError(f"{what} {path}: {parent} cannot be used ({_reason(error)})") from None
        if not stat.S_ISDIR(info.st_mode):
            raise DojoError(f"{what} {path} is under {parent}, which is a file, not a folder")


def check_output_file(path: str | os.PathLike, what: str = "output") -> Path:
    """``path`` as a file Dojo may write: a regular file (replaced atomically) or a new path, never a device, FIFO,
    folder or empty name. Returns it as a Path."""
    text = os.fspath(path)
    if not text.strip():
        raise DojoError(f"the {what} path is empty; give a file name, e.g. agent.pt")
    if text.endswith(("/", os.sep)):
        raise DojoError(f"{what} {text} names a folder; give a file name, e.g. {text.rstrip('/' + os.sep)}/agent.pt")
    path = Path(text)
    _check_ancestors(path, what)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return path
    except OSError as error:
        raise DojoError(f"{what} {path} cannot be used ({_reason(error)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DojoError(f"{what} {path} is a folder; give a file name, e.g. {path / 'agent.pt'}")
    if not stat.S_ISREG(info.st_mode):
        raise DojoError(f"{what} {path} is not a regular file (a device, FIFO or socket): Dojo writes only regular "
                        "files or new paths")
    return path


def _probe_writable(folder: Path, what: str) -> None:
    try:
        handle, name = tempfile.mkstemp(prefix=".dojo-write-test-", dir=folder)
    except OSError as error:
        raise DojoError(f"{what} {folder} is not writable ({_reason(error)}); give another --run-dir") from None
    os.close(handle)
    Path(name).unlink(missing_ok=True)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temp files that a save killed mid-write left in ``folder`` (".<name>.<random>.tmp")."""
    removed = []
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f".*.pt.*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed.append(leftover)
    return removed


def prepare_run_dir(path: str | os.PathLike, subfolders: tuple[str, ...] = ("checkpoints",)) -> Path:
    """Create a run folder (and ``subfolders``), check that each can be written, and clean up the temp files of
    saves that were killed mid-write: called before any training, so a bad --run-dir costs nothing."""
    text = os.fspath(path)
    if not text.strip():
        raise DojoError("--run-dir is empty; give a folder, e.g. runs/my-run")
    path = Path(text)
    _check_ancestors(path, "run dir")
    for index, folder in enumerate((path, *(path / name for name in subfolders))):
        try:
            if folder.exists() and not folder.is_dir():
                where = f"run dir {path} is a file, not a folder" if index == 0 else \
                    f"{folder} is a file, where the run keeps a folder"
                raise DojoError(f"{where}; give another --run-dir")
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # a name too long, a read-only parent, no such device...
            raise DojoError(f"cannot create run dir {folder} ({_reason(error)}); give another --run-dir") from None
        _probe_writable(folder, "run dir")
        remove_stale_temps(folder)
    return path


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver the first one that came (as it would have been).

    A save interrupted inside ``torch.save`` surfaces as a RuntimeError from its C++ writer, not a
    KeyboardInterrupt, and the run would end without its final checkpoint. Signal handlers belong to the main
    thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not DEFERRED_SIGNALS:
        yield
        return
    caught: list[int] = []
    previous = {number: signal.getsignal(number) for number in DEFERRED_SIGNALS}
    for number in DEFERRED_SIGNALS:
        signal.signal(number, lambda received, _frame: caught.append(received))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


# ---- JSON from users and logs -----------------------------------------------------------------------------
def bounded_int(where: str, digits: int = 30) -> Callable[[str], int]:
    """A json ``parse_int`` that refuses numbers of more than ``digits`` digits (Python refuses 4,300+ anyway)."""

    def parse(text: str) -> int:
        if len(text.lstrip("-")) > digits:
            raise DojoError(f"{where} holds a {len(text.lstrip('-'))}-digit number")
        return int(text)

    return parse


def load_json(text: str, where: str) -> Any:
    """JSON text as values, refusing what JSON parsers allow but Dojo never writes: NaN and Infinity, numbers of
    30+ digits, nesting deep enough to exhaust the stack. One-line errors name ``where``."""

    def constant(name: str) -> Any:
        raise DojoError(f"{where} holds {name}, which is not a number Dojo accepts")

    try:
        value = json.loads(text, parse_int=bounded_int(where), parse_constant=constant)
    except RecursionError:
        raise DojoError(f"{where} nests too deeply") from None
    except json.JSONDecodeError as error:
        raise DojoError(f"{where} is not valid JSON ({error.msg})") from None
    except ValueError:
        raise DojoError(f"{where} is not valid JSON") from None
    return value


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file through ``write(stream)`` atomically: a temp file beside ``path``, fsync, then os.replace. A crash
    mid-save leaves the previous file intact; a Ctrl-C or SIGTERM during the save is delivered once it is whole."""
    with signals_deferred():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        except OSError as error:
            raise DojoError(f"cannot write {path} ({_reason(error)})") from None
        try:
            with os.fdopen(handle, "wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def write_json(path: str | os.PathLike, value: Any, what: str) -> Path:
    """``value`` as JSON at ``path``, atomically (see atomic_write); ``path`` must be a regular file or new."""
    path = check_output_file(path, what)
    data = (json.dumps(value, indent=1, allow_nan=False) + "\n").encode()
    try:
        atomic_write(path, lambda stream: stream.write(data))
    except OSError as error:
        raise DojoError(f"cannot write {what} {path} ({_reason(error)})") from None
    return path


# ---- the latest / glob forms of input paths -----------------------------------------------------------------
def _latest_pattern(text: str) -> str:
    """``runs/latest/x`` and ``runs/CartPole-v1-dqn-latest/x``: ``latest`` stands for any name, newest first."""
    parts = Path(text).parts
    changed = [part[: -len("latest")] + "*" if part == "latest" or part.endswith("-latest") else part
               for part in parts]
    return str(Path(*changed)) if changed else text


def resolve_input(spec: str, what: str) -> str:
    """A path the user typed: itself where it exists, else the newest file its glob (``*``) or ``latest`` form
    matches. A quoted glob or ``latest`` works in any shell and whatever is in runs/."""
    if not spec or os.path.lexists(spec):
        return spec
    pattern = spec if glob.has_magic(spec) else _latest_pattern(spec)
    if pattern == spec and not glob.has_magic(spec):
        return spec  # a plain missing path: the reader says it does not exist
    matches = [match for match in glob.glob(pattern) if os.path.exists(match)]
    if not matches:
        raise DojoError(f"no {what} matches {spec} (nothing there yet: make one first)")
    return newest(matches)


def newest(paths: list[str]) -> str:
    def modified(path: str) -> float:
        try:
            return os.stat(path).st_mtime
        except OSError:
            return float("-inf")

    return max(paths, key=lambda path: (modified(path), path))


def pick_one(values: str | list[str] | None, what: str, option: str) -> str | None:
    """One path from an option that accepts several (a shell glob expands to every match): the newest, said so."""
    if values is None or isinstance(values, str):
        return None if values is None else resolve_input(values, what)
    resolved = [resolve_input(value, what) for value in values]
    if len(resolved) == 1:
        return resolved[0]
    chosen = newest(resolved)
    print(f"note: {len(resolved)} files given to {option}; using the newest, {chosen}", file=sys.stderr)
    return chosen
