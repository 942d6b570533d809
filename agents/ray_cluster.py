"""Where Ray work runs: a local Ray on this machine's cores, or an existing cluster (sweeps and self-play workers).

Ray is imported by the callers, lazily: the app's own install has no Ray (requirements-dev.txt brings it).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from agents.errors import DojoError

ROOT = Path(__file__).resolve().parent.parent
# Work on a cluster imports Dojo on the cluster's machines: this checkout's code travels, not runs or .git.
SHIPPED_EXCLUDES = [".git", ".venv", "runs", "shots", "assets/screenshots", "**/__pycache__"]
CONNECT_TIMEOUT_S = 3.0  # an address that does not answer in this long is refused (ray.init retries for minutes)
QUIET = {"logging_level": logging.ERROR, "log_to_driver": False}


def start_ray(ray: Any, address: str | None, setting: str) -> bool:
    """Start Ray on this machine's cores, or join the cluster at ``address`` (named ``setting`` in errors); True
    when this call started it (the caller then shuts it down)."""
    target = check_address(address, setting) if address is not None else None  # a wrong address is said at once
    if ray.is_initialized():  # a caller (a test, a notebook, a sweep trial) already chose where work runs
        return False
    # Ray's driver takes SIGTERM over (it dies at once); give it back to the app, whose SIGTERM saves like Ctrl-C.
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        if address is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
            ray.init(num_cpus=cpus, include_dashboard=False, **QUIET)
            return True
        try:
            ray.init(address=target, runtime_env={"working_dir": str(ROOT), "excludes": SHIPPED_EXCLUDES}, **QUIET)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise DojoError(f"{setting} {address}: cannot join a Ray cluster there ({first_line(error)}); start "
                            f"one with: ray start --head") from None
        return True
    finally:
        if sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, sigterm)


def check_address(address: str, setting: str) -> str:
    """``auto`` or HOST:PORT, checked to answer within seconds; the address ray.init takes."""
    from ray._private.services import canonicalize_bootstrap_address

    try:
        target = canonicalize_bootstrap_address(address)
    except Exception as error:  # Ray raises ConnectionError, ValueError... with multi-line messages
        raise DojoError(f"{setting} {address}: {first_line(error)}") from None
    if target is None:
        raise DojoError(f"{setting} {address}: no running Ray cluster found (start one with: ray start --head)")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise DojoError(f"{setting} must be auto or HOST:PORT of a running Ray cluster, got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        resolved = f" = {target}" if target != address else ""
        raise DojoError(f"{setting} {address}: no Ray cluster answers at {address}{resolved} ({error.strerror or error}"
                        f"); start its head with: ray start --head, or check the address") from None
    return target


def first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
