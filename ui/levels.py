"""The level picker of Connect Four and Tron: the ladder's levels from the beginner to the strongest, each with its
Elo (assets/ladder.json, measured by bench/bench_ladder.py), the human's rating, and the saved agent (unrated when
the ladder does not list it). Picking one opens the play screen against it."""

from __future__ import annotations

from pathlib import Path

import pygame

from agents import ladder
from agents.errors import DojoError
from agents.rundir import RUNS_DIR, run_name
from ui import catalog, style
from ui.app import Screen

ROW_H = 44


def level_name(spec: str) -> str:
    """What a level is, in words: a bot's name, or an agent file with its search budget."""
    if spec == "solver":
        return "solver (exact once solvable, else minimax:6)"
    if not ladder.is_checkpoint(spec):
        return spec
    path, _, budget = spec.rpartition("@") if "@" in spec else (spec, "", "")
    return f"agent {run_name(path)}" + (f", {budget.replace('=', ' ')}" if budget else "")


class LevelScreen(Screen):
    """Rows: the levels (weakest first) and, when given, the saved agent ``checkpoint``; click or press 1-9."""

    title = "Pick a level"

    def __init__(self, env_id: str, game_ladder: ladder.GameLadder, checkpoint: str | Path | None = None,
                 runs_dir: str | Path = RUNS_DIR) -> None:
        super().__init__()
        self.env_id, self.ladder = env_id, game_ladder
        self.choices: list[tuple[str, str, ladder.Level | None]] = [
            (level.spec, f"Level {index + 1}: {level_name(level.spec)}", level)
            for index, level in enumerate(game_ladder.levels)]
        rated = {level.spec for level in game_ladder.levels}
        if checkpoint is not None and str(checkpoint) not in rated:
            self.choices.append((str(checkpoint), f"Your saved agent: {run_name(checkpoint)}", None))
        self.problem = ""
        try:
            self.rating: ladder.Rating | None = ladder.rating_of(env_id, game_ladder, runs_dir)
        except DojoError as error:
            self.rating, self.problem = None, str(error)
        self.rows: list[pygame.Rect] = []
        self.hovered = -1

    def pick(self, index: int) -> None:
        from ui.play import play_screen

        spec = self.choices[index][0]
        if self.app is not None:
            self.app.open(lambda: play_screen(self.env_id, opponent=spec))

    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        width = min(760, size[0] - 2 * style.PAD)
        x = (size[0] - width) // 2
        self.rows = [pygame.Rect(x, 150 + index * (ROW_H + 6), width, ROW_H) for index in range(len(self.choices))]

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.MOUSEMOTION:
            self.hovered = next((i for i, rect in enumerate(self.rows) if rect.collidepoint(event.pos)), -1)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for index, rect in enumerate(self.rows):
                if rect.collidepoint(event.pos):
                    self.pick(index)
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.leave()
            elif pygame.K_1 <= event.key <= pygame.K_9 and event.key - pygame.K_1 < len(self.choices):
                self.pick(event.key - pygame.K_1)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        draw_levels(surface, self)


def draw_levels(surface: pygame.Surface, screen: LevelScreen) -> None:
    """The picker: title, the human's rating, one row per choice with its Elo (or 'unrated')."""
    left = screen.rows[0].x if screen.rows else style.PAD
    style.draw_text(surface, f"{catalog.title(screen.env_id).upper()}: PICK YOUR OPPONENT", (left, 40),
                    style.HEADING, style.ACCENT)
    rating = f"Your rating: {screen.rating.elo:.0f} ({screen.rating.games} rated games)" if screen.rating \
        else f"Your rating cannot be read: {screen.problem}"
    style.draw_text(surface, rating + "  ·  levels from the beginner to the strongest, Elo on one ladder",
                    (left, 94), style.BODY, style.TEXT_DIM, max_width=surface.get_width() - 2 * left)
    for index, ((_, name, level), rect) in enumerate(zip(screen.choices, screen.rows)):
        style.panel(surface, rect, style.PANEL_HOVER if index == screen.hovered else style.PANEL,
                    style.ACCENT if index == screen.hovered else None, radius=8)
        key = str(index + 1) if index < 9 else " "
        style.draw_text(surface, key, (rect.x + 14, rect.centery), style.LABEL, style.TEXT_DIM, "midleft")
        style.draw_text(surface, name, (rect.x + 44, rect.centery), style.BODY, style.TEXT, "midleft",
                        max_width=rect.width - 200)
        elo = f"Elo {level.elo:.0f} ± {level.se:.0f}" if level is not None else "unrated"
        style.draw_text(surface, elo, (rect.right - 14, rect.centery), style.BODY,
                        style.ACCENT if level is not None else style.TEXT_DIM, "midright")
    bottom = screen.rows[-1].bottom + 20 if screen.rows else 160
    style.key_hints(surface, [("1-9", "pick"), ("click", "pick"), ("Esc", "back")], (left, bottom), 600)
