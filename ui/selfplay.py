"""AlphaZero on the watch screen: one self-play game as it is played, and the search that chose its last move.

A learner with ``watch_snapshot()`` (agents/alphazero.py) plays its games on engines, not in an env, so there is
no env frame to record and no exhibition to play. :class:`SelfPlayView` is a trainer hook: after every slice (on
the learner thread) it takes the snapshot of self-play game 0, copies that the learner no longer touches; the
screen draws the position with the game's renderer and, in the bars panel, each action's root visit count and
the root's search value for every seat that moved. The strength curve is the screen's evaluation plot (games
against the config's ``reference``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pygame

from agents.trainer import Trainer, TrainerHooks
from envs.connect_four.render import ConnectFourRenderer
from envs.connect_four.rules import Board
from envs.theme import PLAYER_COLORS
from envs.tron.render import TronRenderer
from ui import catalog, style

SEAT_NAMES = ("blue", "red")
MIN_ROW = 14  # px: one line of small text


class SelfPlayView(TrainerHooks):
    """The latest snapshot of one self-play game, and how to draw it."""

    def __init__(self, env_id: str, slot: int = 0) -> None:
        self.env_id, self.slot = env_id, slot
        self.snapshot: dict[str, Any] | None = None
        self._renderers: dict[Any, Any] = {}
        self._frame: tuple[int, pygame.Surface] | None = None  # (id of the snapshot drawn, its frame)

    def on_slice(self, trainer: Trainer) -> None:
        self.snapshot = trainer.learner.watch_snapshot(self.slot)  # one assignment: the screen sees old or new

    def frame(self, engine: Any) -> np.ndarray:
        """The position as an RGB array, through its game's own renderer."""
        if isinstance(engine, Board):
            renderer = self._renderers.setdefault("connect_four", ConnectFourRenderer(cell=64))
            return renderer.draw(engine, -1 if engine.winner is None else engine.winner)
        renderer = self._renderers.get(engine.size)
        if renderer is None:
            renderer = self._renderers[engine.size] = TronRenderer(engine.size)
        return renderer.draw(engine, engine.size * engine.size)

    def draw_game(self, surface: pygame.Surface, rect: pygame.Rect) -> bool:
        """The self-play position in ``rect`` (a panel the screen drew); False before the first snapshot."""
        snapshot = self.snapshot
        if snapshot is None:
            return False
        if self._frame is None or self._frame[0] != id(snapshot):
            self._frame = (id(snapshot), style.array_to_surface(self.frame(snapshot["engine"])))
        area = rect.inflate(-24, -56)
        area.y = rect.y + 44
        style.blit_frame(surface, self._frame[1], area)
        caption = f"self-play game {snapshot['game']:,}  ·  move {len(snapshot['moves'])}"
        style.draw_text(surface, caption, (rect.x + 14, rect.y + 14), style.BODY, style.TEXT)
        return True

    def draw_search(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The last move's search: per seat that moved, the root's value and each action's visits."""
        style.panel(surface, rect)
        style.draw_text(surface, "SEARCH: ROOT VISITS", (rect.x + 12, rect.y + 10), style.SMALL, style.TEXT_DIM)
        last = None if self.snapshot is None else self.snapshot["last"]
        if last is None:
            style.draw_text(surface, "waiting for the first move", (rect.x + 12, rect.y + 34), style.SMALL,
                            style.TEXT_DIM)
            return
        seats = sorted(last["visits"])
        y = rect.y + 32
        height = (rect.bottom - 8 - y) // max(1, len(seats))
        for seat, action in zip(seats, last["actions"]):
            visits, value = last["visits"][seat], float(last["value"][seat])
            color = PLAYER_COLORS[seat]
            title = f"{SEAT_NAMES[seat]} to move  ·  value {value:+.2f}  ·  {int(sum(visits))} visits"
            style.draw_text(surface, title, (rect.x + 12, y), style.SMALL, color, max_width=rect.width - 24)
            rows = pygame.Rect(rect.x + 12, y + 20, rect.width - 24, max(0, height - 28))
            draw_visit_bars(surface, rows, catalog.action_labels(self.env_id, len(visits)), visits, action, color)
            y += height


def draw_visit_bars(surface: pygame.Surface, rect: pygame.Rect, labels: list[str], visits: list[float],
                    played: int, color: style.Color) -> None:
    """One row per action: label, a bar as long as its share of the most visits, the count; the played action
    bright, the rest dimmed."""
    # Rows at least a line of text high: a short panel (a small window) takes them in two or more columns.
    per_column = max(1, min(len(visits), rect.height // MIN_ROW))
    columns = math.ceil(len(visits) / per_column)
    row_h = min(24, rect.height // per_column)
    column_w = (rect.width - 12 * (columns - 1)) // columns
    label_w = min(64, column_w // 3)
    if row_h < MIN_ROW or column_w - 2 * label_w < 16:
        return
    most = max(1.0, max(visits))
    for index, (label, count) in enumerate(zip(labels, visits)):
        column, row = divmod(index, per_column)
        x, y = rect.x + column * (column_w + 12), rect.y + row * row_h
        style.draw_text(surface, label, (x, y + row_h // 2), style.SMALL, style.TEXT, "midleft",
                        max_width=label_w - 6)
        track = pygame.Rect(x + label_w, y + 3, column_w - 2 * label_w, row_h - 6)
        pygame.draw.rect(surface, style.PANEL_DARK, track, border_radius=3)
        shade = color if index == played else style.shade(color, 0.55)
        pygame.draw.rect(surface, shade, pygame.Rect(track.x, track.y, max(2, int(track.width * count / most)),
                                                     track.height), border_radius=3)
        style.draw_text(surface, f"{int(count)}", (x + column_w, y + row_h // 2), style.SMALL, style.TEXT,
                        "midright", max_width=label_w - 6)


def selfplay_view(trainer: Trainer) -> SelfPlayView | None:
    """A view hooked into ``trainer`` when its learner shows its own games (``watch_snapshot``), else None."""
    if not hasattr(trainer.learner, "watch_snapshot"):
        return None
    view = SelfPlayView(trainer.env_id)
    trainer.hooks.append(view)
    return view
