"""The checkpoint browser: a table of saved runs, newest first; load one to watch, play or continue training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pygame

from agents.checkpoint import load_checkpoint
from agents.errors import DojoError
from ui import actions, catalog, style
from ui.app import Screen
from ui.runs import ASSETS_DIR, RUNS_DIR, RunInfo, scan_runs
from ui.widgets import Button

COLUMNS = (("run", 0.34), ("game", 0.16), ("agent", 0.1), ("steps", 0.12), ("best eval", 0.12), ("date", 0.16))
ROW_H = 34


class BrowserScreen(Screen):
    """Arrows / wheel select, Enter continues training, P plays, U uses it (``on_use``: the launcher picks it up),
    Esc goes back."""

    title = "Saved runs"

    def __init__(self, on_use: Callable[[RunInfo], None] | None = None, runs_dir: Path = RUNS_DIR,
                 assets_dir: Path = ASSETS_DIR) -> None:
        super().__init__()
        self.on_use = on_use
        self.runs, self.problems = scan_runs(runs_dir, assets_dir)
        self.selected = 0
        self.scroll = 0
        self.hovered = -1
        self.buttons = [Button("Continue training", self.continue_training, pygame.K_RETURN, primary=True),
                        Button("Play / play against", self.play, pygame.K_p),
                        Button("Use in launcher", self.use, pygame.K_u), Button("Back", self.leave)]

    def busy(self) -> bool:
        return False  # a list of runs: only input changes it

    @property
    def current(self) -> RunInfo | None:
        return self.runs[self.selected] if self.runs else None

    # ---- actions -----------------------------------------------------------------------------------------
    def _with_current(self, make: Callable[[RunInfo], Screen]) -> None:
        info = self.current
        if info is None or self.app is None:
            return
        self.app.open(lambda: make(info))

    def _checked(self, path: Path | None) -> str:
        """Validate the file before building a screen: a bad file shows its message here, not a traceback."""
        if path is None:
            raise DojoError("this run has no checkpoint file")
        load_checkpoint(path)
        return str(path)

    def continue_training(self) -> None:
        self._with_current(lambda info: actions.continue_training(self._checked(info.last or info.best)))

    def play(self) -> None:
        self._with_current(lambda info: actions.play_against(info.env_id, self._checked(info.checkpoint)))

    def use(self) -> None:
        info = self.current
        if info is None or self.on_use is None:
            return
        try:
            self._checked(info.checkpoint)
        except DojoError as error:
            self.toast(str(error), error=True)
            return
        self.on_use(info)
        self.toast(f"Using {info.name} for {catalog.title(info.env_id)}")
        self.leave()

    # ---- input -------------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        for button in self.buttons:
            if button.handle_event(event):
                return
        if event.type == pygame.MOUSEMOTION:
            self.hovered = self._row_at(event.pos)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            row = self._row_at(event.pos)
            if row >= 0:
                self.selected = row
        elif event.type == pygame.MOUSEWHEEL:
            self._move(-event.y)
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.leave()
            elif event.key in (pygame.K_DOWN, pygame.K_j):
                self._move(1)
            elif event.key in (pygame.K_UP, pygame.K_k):
                self._move(-1)

    def _move(self, step: int) -> None:
        if self.runs:
            self.selected = max(0, min(len(self.runs) - 1, self.selected + step))
            visible = self.visible_rows
            if self.selected < self.scroll:
                self.scroll = self.selected
            elif self.selected >= self.scroll + visible:
                self.scroll = self.selected - visible + 1

    def _row_at(self, pos: tuple[int, int]) -> int:
        if not self.table.collidepoint(pos) or pos[1] < self.table.y + ROW_H:
            return -1
        row = self.scroll + (pos[1] - self.table.y - ROW_H) // ROW_H
        return row if row < len(self.runs) else -1

    # ---- drawing -----------------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        width, height = size
        pad = style.PAD
        self.table = pygame.Rect(pad, 80, width - 2 * pad, height - 80 - 80 - pad)
        self.visible_rows = max(1, (self.table.height - ROW_H) // ROW_H)
        button_w = min(240, (width - 2 * pad - 3 * 12) // 4)
        for index, button in enumerate(self.buttons):
            button.rect = pygame.Rect(pad + index * (button_w + 12), height - pad - 48, button_w, 44)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        style.draw_text(surface, "SAVED RUNS", (style.PAD + 4, 26), style.HEADING, style.ACCENT)
        count = f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''} in {RUNS_DIR}/ and {ASSETS_DIR}/"
        style.draw_text(surface, count, (style.PAD + 210, 34), style.BODY, style.TEXT_DIM)
        style.panel(surface, self.table)
        x, y = self.table.x + 14, self.table.y
        widths = [int(fraction * (self.table.width - 28)) for _, fraction in COLUMNS]
        for (name, _), width in zip(COLUMNS, widths):
            style.draw_text(surface, name.upper(), (x, y + ROW_H // 2), style.SMALL, style.TEXT_DIM, "midleft")
            x += width
        if not self.runs:
            style.draw_text(surface, "No saved runs yet: watch an agent train, or run python main.py train",
                            self.table.center, style.LABEL, style.TEXT_DIM, "center")
        for index in range(self.scroll, min(len(self.runs), self.scroll + self.visible_rows)):
            info = self.runs[index]
            row = pygame.Rect(self.table.x + 4, self.table.y + ROW_H * (1 + index - self.scroll), self.table.width - 8,
                              ROW_H - 2)
            if index == self.selected:
                style.panel(surface, row, style.PANEL_HOVER, style.ACCENT, radius=8)
            elif index == self.hovered:
                style.panel(surface, row, style.PANEL_HOVER, radius=8)
            best = "-" if info.best_eval is None else f"{info.best_eval:.1f}"
            cells = [info.name, catalog.title(info.env_id), info.agent, f"{info.steps:,}", best,
                     info.date.strftime("%Y-%m-%d %H:%M")]
            x = self.table.x + 14
            for cell, width in zip(cells, widths):
                style.draw_text(surface, cell, (x, row.centery), style.BODY, style.TEXT, "midleft",
                                max_width=width - 10)
                x += width
        for button in self.buttons:
            button.draw(surface)
        if self.problems:
            style.draw_text(surface, f"{len(self.problems)} unreadable: {self.problems[0]}",
                            (self.table.x, self.table.bottom + 6), style.SMALL, style.BAD, max_width=self.table.width)
