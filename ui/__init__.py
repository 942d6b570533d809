"""Dojo's desktop app (pygame): launcher, watch training, play, checkpoint browser, screenshots.

Importing this package does not import pygame: ``main.py`` asks :func:`display_available` before any headless
command, and only the handlers in ``ui.commands`` load the app.
"""

from __future__ import annotations

import os
import sys

HEADLESS_DRIVERS = ("dummy", "offscreen")


def display_available() -> bool:
    """Whether a window can be shown: not a headless SDL driver and, on Linux, an X11 or Wayland display."""
    if os.environ.get("SDL_VIDEODRIVER", "").lower() in HEADLESS_DRIVERS:
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
