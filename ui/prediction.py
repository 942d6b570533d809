"""The opponent model watching the human in Connect Four and Tron: its guess of the human's next move, its running
accuracy, online learning after every game, and the game log a model can be retrained from.

The model sits in the agent's seat: it reads the board from the agent's point of view (as ``train-opponent-model``
feeds it) and predicts the human's move (0.3 ms). The gradient steps after a game take about 45 ms for Connect Four
and 150 ms for Tron (medians, bench/bench_ui_predict.py), too long for one frame, so a screen hands the finished game
over with ``game_over()`` and calls ``settle()`` on a later frame, while its result banner is up. Each settled game
is appended to ``runs/play-<game>-<time>/games.jsonl`` (created with the first one) next to the updated
``opponent_model.pt``:
``python main.py train-opponent-model --from-log .../games.jsonl`` retrains from it, ``play --opponent-model
.../opponent_model.pt`` starts from it.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pygame
import torch

from agents.common import set_torch_threads
from agents.errors import DojoError
from agents.games.opponent import load_opponent_model, save_opponent_model
from agents.games.opponent_games import game_of, game_record
from agents.opponent_model import OpponentPredictor, Scores
from agents.rundir import GAMES_LOG, OPPONENT_MODEL_FILE, RUNS_DIR, new_run_dir
from ui import catalog, style

HUMAN = "human"  # the opponent's name in the log: nobody a replay has to build


def load_predictor(path: str, env_id: str) -> OpponentPredictor:
    """The predictor of an ``opponent_model.pt`` for ``env_id`` (``play --opponent-model``); one-line errors."""
    loaded = load_opponent_model(path)
    if loaded.env_id != env_id:
        raise DojoError(f"{path} models {catalog.title(loaded.env_id)} players, not {catalog.title(env_id)} ones")
    return loaded.predictor


class HumanWatcher:
    """Predicts the human's moves, scores itself over this session, learns after each game and logs the games."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], board_shape: tuple[int, ...], n_actions: int,
                 predictor: OpponentPredictor | None = None, runs_dir: Path = RUNS_DIR) -> None:
        self.game = game_of(env_id)
        # One thread, as in training: with two, a game's gradient steps took 0.2-0.5 s instead of 30 ms (2 cores).
        set_torch_threads(torch.device("cpu"), 1)
        if predictor is None:
            predictor = OpponentPredictor(board_shape, n_actions)
        elif predictor.board_shape != tuple(board_shape) or predictor.n_actions != n_actions:
            raise DojoError(f"the opponent model reads boards of shape {predictor.board_shape} with "
                            f"{predictor.n_actions} moves; this game has {tuple(board_shape)} and {n_actions} "
                            "(another board size or obs_mode?)")
        self.predictor = predictor
        self.env_id = env_id
        self.env_kwargs = {key: value for key, value in env_kwargs.items() if key != "opponent"}
        self.runs_dir = runs_dir
        self.visible = True
        self.probabilities: np.ndarray | None = None
        self.log_dir: Path | None = None
        self.games_learned = 0
        self.learn_seconds = 0.0  # the last settle()'s gradient steps, for the bench
        self._start = replace(predictor.scores)  # a loaded model's scores are not this session's
        self._finished: dict[str, Any] | None = None  # a game over but not learned from yet: its log line

    # ---- during a game -----------------------------------------------------------------------------------
    def expect(self, board: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The human is about to move on ``board`` (the agent's view) with legal moves ``mask``: predict it."""
        self.probabilities = self.predictor.predict(board, mask)
        return self.probabilities

    def observe(self, board: np.ndarray, move: int, mask: np.ndarray) -> bool:
        """The human played ``move`` on ``board``: score the prediction, advance the model's state."""
        self.probabilities = None
        return self.predictor.observe(board, move, mask)

    def game_over(self, moves: list[list[int]], human_seat: int, winner: int) -> None:
        """The game ended with ``moves`` ([seat, move] in play order): learn and log it at the next settle()."""
        self.probabilities = None
        self._finished = game_record(self.env_id, self.env_kwargs, HUMAN, human_seat, moves, winner)

    def settle(self) -> None:
        """Learn from the finished game, append it to the log and save the model (no-op when none is waiting)."""
        finished, self._finished = self._finished, None
        if finished is None:
            return
        started = time.perf_counter()
        self.predictor.finish_game(learn=True)
        self.learn_seconds = time.perf_counter() - started
        self.games_learned += 1
        if self.log_dir is None:
            self.log_dir = new_run_dir(f"play-{self.game}", self.runs_dir)
            self.log_dir.mkdir(parents=True)
        with (self.log_dir / GAMES_LOG).open("a") as log:
            log.write(json.dumps(finished) + "\n")
        save_opponent_model(self.predictor, self.log_dir / OPPONENT_MODEL_FILE, self.env_id, self.env_kwargs, HUMAN)

    def new_game(self) -> None:
        """A new game starts: the last one settled, or (left unfinished) dropped, since a log holds whole games."""
        if self._finished is not None:
            self.settle()
        else:
            self.predictor.reset()
        self.probabilities = None

    # ---- what the screens show ---------------------------------------------------------------------------
    def session_scores(self) -> Scores:
        now, start = self.predictor.scores, self._start
        return Scores(now.predictions - start.predictions, now.correct - start.correct,
                      now.baseline_correct - start.baseline_correct)

    def summary(self) -> str:
        scores = self.session_scores()
        if not scores.predictions:
            return "Model predicts you: no moves seen yet"
        return (f"Model predicts you: {scores.accuracy():.0%} (baseline {scores.baseline_accuracy():.0%}) over "
                f"{scores.predictions} moves")

    def trust(self) -> str:
        """The shown guess blends the LSTM with the frequency baseline by which one predicted better lately."""
        weight = self.predictor.mix.model_weight
        return f"guess: {weight:.0%} the LSTM, {1 - weight:.0%} your move frequencies (whichever predicts better)"

    def draw_summary(self, surface: pygame.Surface, pos: tuple[int, int], width: int, legend: str,
                     bottom: int | None = None) -> int:
        """The side panel's block: heading, accuracy line, what the overlay (``legend``) shows, where the games go;
        lines that would pass ``bottom`` are left out, the least needed (the last) first. Returns the y below it."""
        x, y = pos
        bottom = surface.get_height() if bottom is None else bottom
        if y + 14 > bottom:
            return y
        style.draw_text(surface, "OPPONENT MODEL" + ("" if self.visible else " (hidden: P)"), (x, y), style.SMALL,
                        style.TEXT_DIM)
        y = style.text_lines(surface, self.summary(), (x, y + 20), width, bottom, style.BODY,
                             style.ACCENT if self.visible else style.TEXT_DIM, most=2)
        if y + 14 <= bottom:
            style.draw_text(surface, self.trust(), (x, y), style.SMALL, style.TEXT_DIM, max_width=width)
            y += 18
        learned = self.predictor.games  # a loaded model's games count: it learned from them
        games = f"{legend}; learned from {learned} game{'s' * (learned != 1)}"
        if learned != self.games_learned:
            games += f" ({self.games_learned} this session)"
        where = f", saved in {self.log_dir}" if self.log_dir is not None else ""
        return style.text_lines(surface, games + where, (x, y), width, bottom)


def draw_heat_strip(surface: pygame.Surface, rect: pygame.Rect, probabilities: np.ndarray) -> None:
    """One cell per move across ``rect``, brighter the likelier; the likeliest one carries its percentage."""
    count = len(probabilities)
    width = rect.width / count
    best = int(np.argmax(probabilities))
    for index, probability in enumerate(probabilities):
        cell = pygame.Rect(round(rect.x + index * width) + 3, rect.y, round(width) - 6, rect.height)
        # sqrt: a uniform guess over seven columns (14% each) still reads as a faint glow, not as black.
        pygame.draw.rect(surface, style.mix(style.PANEL_DARK, style.ACCENT, math.sqrt(float(probability))), cell,
                         border_radius=6)
        if index == best:
            pygame.draw.rect(surface, style.TEXT, cell, width=2, border_radius=6)
            style.draw_text(surface, f"{probability:.0%}", cell.center, style.BODY, style.BACKGROUND, "center")


def draw_arrow(surface: pygame.Surface, start: tuple[float, float], direction: tuple[int, int], length: float,
               color: style.Color, alpha: int) -> None:
    """A see-through arrow from ``start`` along ``direction`` ((dx, dy), one of the four axes)."""
    thickness = max(3, int(length * 0.12))
    head = max(8, int(length * 0.35))
    box = int(length + head) + 4
    layer = pygame.Surface((2 * box, 2 * box), pygame.SRCALPHA)
    centre = pygame.Vector2(box, box)
    step = pygame.Vector2(direction)
    side = pygame.Vector2(-step.y, step.x)
    tip = centre + step * length
    pygame.draw.line(layer, (*color, alpha), centre, tip - step * head * 0.6, thickness)
    pygame.draw.polygon(layer, (*color, alpha), [tip, tip - step * head + side * head * 0.6,
                                                 tip - step * head - side * head * 0.6])
    surface.blit(layer, (start[0] - box, start[1] - box))
