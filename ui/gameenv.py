"""Envs as the app uses them: rendering to RGB arrays, and closed without shutting pygame down.

gymnasium's classic-control envs call ``pygame.quit()`` in ``close()`` once they have rendered; in the app
that would take the window and every font with it. Their off-screen surface is dropped first instead.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agents.common import make_env


def make_display_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    """An env whose render() returns (H, W, 3) uint8 frames for the app to draw."""
    return make_env(env_id, env_kwargs, render_mode="rgb_array")


def close_env(env: gym.Env) -> None:
    """Close ``env`` without letting it quit pygame under the app."""
    unwrapped = env.unwrapped
    if getattr(unwrapped, "screen", None) is not None:
        unwrapped.screen = None
    env.close()
