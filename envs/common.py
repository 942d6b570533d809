"""Pieces every grid game shares: pixel observations, the lazily opened human window and the bots' helpers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def downscale(frame: np.ndarray, size: int) -> np.ndarray:
    """Resize an (H, W, 3) uint8 frame to (size, size, 3) by area averaging (nearest where it grows)."""
    if size <= 0:
        raise ValueError(f"pixel size must be positive, got {size}")
    height, width = frame.shape[:2]
    rows = (np.arange(size + 1) * height) // size
    cols = (np.arange(size + 1) * width) // size
    if height >= size and width >= size:
        # Area average through cumulative sums: exact and fast for any ratio.
        summed = np.cumsum(np.cumsum(frame.astype(np.int64), axis=0), axis=1)
        summed = np.pad(summed, ((1, 0), (1, 0), (0, 0)))
        total = summed[rows[1:]][:, cols[1:]] - summed[rows[:-1]][:, cols[1:]]
        total = total - summed[rows[1:]][:, cols[:-1]] + summed[rows[:-1]][:, cols[:-1]]
        area = np.outer(np.diff(rows), np.diff(cols))[..., None]
        return (total // area).astype(np.uint8)
    return frame[np.minimum(rows[:-1], height - 1)][:, np.minimum(cols[:-1], width - 1)].copy()


def keys_to_action(keys: dict[str, object]) -> dict[tuple[int, ...], object]:
    """``envs.registry`` key names -> actions as gymnasium.utils.play wants them: {(pygame key code,): action}."""
    import pygame

    return {(getattr(pygame, f"K_{name}"),): action for name, action in keys.items()}


class HumanWindow:
    """A pygame window for ``render_mode="human"``; pygame is imported only when one is opened."""

    def __init__(self, title: str, fps: int) -> None:
        self.title = title
        self.fps = fps
        self._screen = None
        self._clock = None

    def show(self, frame: np.ndarray) -> None:
        import pygame

        if self._screen is None:
            pygame.init()
            pygame.display.set_caption(self.title)
            self._screen = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        self._screen.blit(surface, (0, 0))
        pygame.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._screen is not None:
            import pygame

            pygame.display.quit()
            self._screen = None


def disc_mask(diameter: int) -> np.ndarray:
    """Boolean (diameter, diameter) mask of a filled circle (sampled at pixel centres)."""
    centre = (diameter - 1) / 2
    ys, xs = np.ogrid[:diameter, :diameter]
    return (ys - centre) ** 2 + (xs - centre) ** 2 <= (diameter / 2) ** 2


def rounded_rect_mask(height: int, width: int, radius: int) -> np.ndarray:
    """Boolean (height, width) mask of a rectangle whose corners are rounded with ``radius`` pixels."""
    radius = max(0, min(radius, height // 2, width // 2))
    ys, xs = np.ogrid[:height, :width]
    # Distance from each pixel centre to the nearest point of the inner rectangle shrunk by the radius.
    dy = np.maximum(0, np.maximum(radius - 0.5 - ys, ys - (height - radius - 0.5)))
    dx = np.maximum(0, np.maximum(radius - 0.5 - xs, xs - (width - radius - 0.5)))
    return dy**2 + dx**2 <= radius**2


# ----- what every game's lookahead (envs/<game>/search.py) scores the same way -------------------------
PROVEN = 2.0  # a won or lost line scores beyond any learned value (rewards are +-1), so a proof beats an estimate
SOONER = 0.01  # a win found sooner (a loss later) scores higher: the search finishes games, and resists


# ----- built-in opponents ("bots") -----------------------------------------------------------------------
Bot = Callable[[np.ndarray, np.ndarray], int]
"""A built-in opponent: ``(its own planes observation, its action mask) -> action``."""

PATTERN_NOISE = 0.05  # share of moves a pattern bot plays at random: a habit, not a script (at 0.1 no
# predictor can reach 90% top-1 over 10 games on some seeds; the opponent-model bench prints that ceiling)


def random_allowed(mask: np.ndarray | list[bool], rng: np.random.Generator) -> int:
    """A uniformly random action among the True entries of ``mask`` (among all actions if none is True)."""
    # rng.random() costs a third of rng.integers() per call, and the allowed list of a mask is looked up by its
    # bytes (a handful of distinct masks per game): this runs at every env step of a bot game.
    key = mask.tobytes() if isinstance(mask, np.ndarray) and mask.dtype == np.bool_ else bytes(map(bool, mask))
    allowed = _ALLOWED.get(key)
    if allowed is None:
        allowed = _ALLOWED.setdefault(key, [action for action, ok in enumerate(key) if ok])
    if not allowed:
        return int(rng.random() * len(key))
    return allowed[int(rng.random() * len(allowed))]


_ALLOWED: dict[bytes, list[int]] = {}  # mask bytes -> its allowed actions (at most 2**7 masks in Dojo's games)


class RandomBot:
    """Uniform over the moves the mask allows."""

    reads_board = False  # it never looks at the observation: envs may hand it a shared, read-only one

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        return random_allowed(action_mask, self.rng)
