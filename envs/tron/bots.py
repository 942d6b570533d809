"""Tron's built-in opponents (listed in ``envs.registry``): wall-follower, space and pattern (random is
``envs.common.RandomBot``: the env hands bots the non-crashing moves, so it never suicides when it can help it).

A bot is a callable ``(obs, action_mask) -> action`` where ``obs`` is the bot's own planes observation, from which
it rebuilds the arena with ``TronGame.from_planes`` (the bot in seat 0). Safety is read off the arena, so a bot
stays sensible when handed an all-True mask. Randomness comes only from the generator it is built with.
"""

from __future__ import annotations

import numpy as np

from envs.bitboard import flood
from envs.common import PATTERN_NOISE, random_allowed
from envs.tron.rules import ACTION_DELTAS, STRAIGHT, TURN_LEFT, TURN_RIGHT, TronGame
from envs.tron.territory import free_cells


def safe_moves(game: TronGame, action_mask: np.ndarray) -> list[bool]:
    """Per action: allowed by ``action_mask`` and not crashing at once (seat 0); falls back to the mask itself."""
    allowed = [bool(ok) for ok in np.asarray(action_mask).tolist()]
    safe = [ok and free for ok, free in zip(allowed, game.safe_actions(0))]
    return safe if any(safe) else allowed


def target_from(game: TronGame, cell: tuple[int, int], action: int) -> tuple[int, int]:
    """The cell seat 0 would enter from ``cell`` with ``action``, keeping its current heading."""
    d_row, d_col = ACTION_DELTAS[game.headings[0]][action]
    return cell[0] + d_row, cell[1] + d_col


class WallFollowerBot:
    """Keeps a wall or trail on its left (left-hand rule); heads straight until it finds one.

    Blocked ahead: turn right, which puts the obstacle on the left. The obstacle on the left ends (the cell
    left of the head is free but the one left of the previous cell was not): turn left around the corner.
    """

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        pass  # deterministic

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        game = TronGame.from_planes(obs)
        safe = safe_moves(game, action_mask)
        corner_ended = game.is_free(*game.target(0, TURN_LEFT)) and not game.is_free(
            *target_from(game, game.necks[0], TURN_LEFT)
        )
        preference = (
            (TURN_LEFT, STRAIGHT, TURN_RIGHT) if corner_ended else (STRAIGHT, TURN_RIGHT, TURN_LEFT)
        )
        for action in preference:
            if safe[action]:
                return action
        return STRAIGHT


class SpaceBot:
    """Flood fill: the move whose reachable region is largest (ties: straight, then left, then right).

    A cell the other head can also enter next tick risks a head-on crash (a draw), so its region counts half.
    """

    PREFERENCE = (STRAIGHT, TURN_LEFT, TURN_RIGHT)

    def __init__(self, rng: np.random.Generator | None = None) -> None:
        pass  # deterministic

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        game = TronGame.from_planes(obs)
        safe = safe_moves(game, action_mask)
        candidates = [action for action in self.PREFERENCE if safe[action]]
        if not candidates:
            return STRAIGHT
        free, stride = free_cells(game), game.size + 1
        other_row, other_col = game.heads[1]
        areas = []
        for action in candidates:
            row, col = game.target(0, action)
            # The own head is a trail cell, so a fill from the next cell never leaks back through it; a crashing
            # move's cell is not free and reaches nothing.
            inside = 0 <= row < game.size and 0 <= col < game.size
            area = flood(game.cell_bit((row, col)) & free, free, stride).bit_count() if inside else 0
            areas.append(area // 2 if abs(row - other_row) + abs(col - other_col) == 1 else area)
        best = max(range(len(candidates)), key=lambda index: (areas[index], -index))
        return candidates[best]


class PatternBot:
    """Repeats a fixed relative-turn sequence with some noise, dodging immediate crashes when it can."""

    SEQUENCE = (STRAIGHT, STRAIGHT, STRAIGHT, TURN_RIGHT, STRAIGHT, STRAIGHT, STRAIGHT, TURN_LEFT)

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.index = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        safe = safe_moves(TronGame.from_planes(obs), action_mask)
        action = self.SEQUENCE[self.index]
        self.index = (self.index + 1) % len(self.SEQUENCE)
        if self.rng.random() < PATTERN_NOISE or not safe[action]:
            return random_allowed(safe, self.rng)
        return action
