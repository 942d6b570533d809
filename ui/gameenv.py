"""Envs as the app uses them: rendering to RGB arrays, and closed without shutting pygame down (``close_env``)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agents.common import close_env, make_env


def make_display_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    """An env whose render() returns (H, W, 3) uint8 frames for the app to draw."""
    return make_env(env_id, env_kwargs, render_mode="rgb_array")


__all__ = ["close_env", "make_display_env"]
