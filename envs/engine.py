"""The interface every two-player game engine offers search, bots, envs and learners.

Each game's ``rules.py`` holds one engine class (Connect Four's ``Board``, Tron's ``TronGame``) with these
methods, so a tree search or a self-play learner is written once for both games. Turn-based games have one
mover at a time; Tron's cycles move simultaneously, so both seats are movers on every tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Engine(Protocol):
    """A game position that can be copied, moved on and read from either seat's point of view."""

    def copy(self) -> Engine:
        """An independent copy."""

    def movers(self) -> tuple[int, ...]:
        """The seats that choose an action now, in the order :meth:`apply` takes them; () once the game is over."""

    def legal_actions(self, seat: int) -> np.ndarray:
        """Bool array, one entry per action: what ``seat`` may sensibly play now (never all False for a mover)."""

    def apply(self, actions: Sequence[int]) -> None:
        """Advance the game by one action per mover."""

    def is_over(self) -> bool:
        """Whether the game has ended."""

    def result(self, seat: int) -> float:
        """+1 win, -1 loss, 0 draw for ``seat`` once the game is over (0 while it runs)."""

    def planes(self, seat: int) -> np.ndarray:
        """The uint8 planes observation from ``seat``'s point of view, exactly as the game's env gives it."""
