"""The human's rating on a play screen: known when the opponent is a ladder level (agents/ladder.py), updated and
saved after every finished game, and drawn as one line in the side panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame

from agents import ladder
from agents.errors import DojoError
from agents.rundir import RUNS_DIR
from ui import style


class RatingKeeper:
    """The human's rating in ``env_id`` against one rated level; ``record`` after each game."""

    def __init__(self, env_id: str, game_ladder: ladder.GameLadder, level: ladder.Level,
                 runs_dir: str | Path = RUNS_DIR) -> None:
        self.env_id, self.ladder, self.level, self.runs_dir = env_id, game_ladder, level, runs_dir
        self.problem = ""
        try:
            self.rating = ladder.rating_of(env_id, game_ladder, runs_dir)
        except DojoError as error:  # a damaged ratings file: play on unrated rather than refuse the game
            self.rating, self.problem = ladder.starting_rating(game_ladder), str(error)
        self.change = 0.0

    @classmethod
    def for_players(cls, env_id: str, players: list[Any], runs_dir: str | Path = RUNS_DIR) -> RatingKeeper | None:
        """A keeper when one seat is the human and the other a rated ladder level; else None (unrated)."""
        if sum(player is None for player in players) != 1:
            return None
        level = next((getattr(player, "level", None) for player in players if player is not None), None)
        try:
            game_ladder = ladder.ladder_for(env_id)
        except DojoError:
            return None
        return cls(env_id, game_ladder, level, runs_dir) if level is not None and game_ladder else None

    def record(self, score: float) -> None:
        """The human scored ``score`` (1, 0.5, 0) in a finished game: move the rating and save it."""
        if self.problem:
            return
        before = self.rating.elo
        try:
            self.rating = ladder.record_game(self.env_id, self.ladder, self.level.elo, score, self.runs_dir)
        except DojoError as error:
            self.problem = str(error)
            return
        self.change = self.rating.elo - before

    def text(self) -> str:
        if self.problem:
            return f"rating not saved: {self.problem}"
        games = f"{self.rating.games} rated game{'s' if self.rating.games != 1 else ''}"
        change = f" ({self.change:+.0f})" if self.change else ""
        return f"Your rating {self.rating.elo:.0f}{change}  ·  {games}  ·  level Elo {self.level.elo:.0f}"


def draw_rating(surface: pygame.Surface, keeper: RatingKeeper | None, pos: tuple[int, int], width: int) -> int:
    """The rating line at ``pos`` (nothing when unrated); the height used."""
    if keeper is None:
        return 0
    style.draw_text(surface, keeper.text(), pos, style.SMALL, style.BAD if keeper.problem else style.ACCENT,
                    max_width=width)
    return 24
