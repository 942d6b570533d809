"""The settings composed around a learner that plays Dojo's games: who it trains against (the league), how far it
looks ahead (the games' searches) and whether it models its opponent. They are not part of any algorithm's config:
``--set`` and presets reach them by name beside the algorithm's fields, and a checkpoint stores them as ``play``.

Checkpoints written before this split kept these fields inside the DQN config; ``split_config`` maps them out on
load, so every old file (the shipped agents included) loads unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from agents.config import build_config


@dataclass
class PlayConfig:
    """A learner's league, lookahead and opponent model; every field can be set with ``--set key=value``."""

    curriculum: tuple[str, ...] = ()
    """Two-player games: scripted opponents to beat in turn, e.g. random,greedy,minimax:2 (empty: the env's own)."""
    opponent_mix: tuple[str, ...] = ()
    """Two-player games: scripted opponents drawn at random each episode, e.g. random,random,greedy."""
    promote_win_rate: float = 0.8
    """Win rate over the last promote_window curriculum games that moves on to the next opponent."""
    promote_window: int = 200
    """Games the promotion win rate is measured over."""
    self_play: float = 0.0
    """Two-player games: share of episodes played against frozen snapshots of the agent itself."""
    snapshot_every: int = 20_000
    """Env steps between snapshots added to the self-play pool."""
    pool_size: int = 8
    """Snapshots kept in the self-play pool (oldest dropped first)."""
    search_depth: int = 0
    """Connect Four: plies, Tron: joint ticks, Snake: moves of lookahead over the rules when acting, leaves scored by
    the network (0: none)."""
    opponent_model: bool = False
    """Two-player games: an online LSTM predicts the opponent's next move, as extra input planes; Tron with
    search_depth: the lookahead also follows its predicted line (2 ticks per depth) to choose among the near-best
    worst-case moves."""

    @property
    def league(self) -> bool:
        """Whether the learner picks its own opponents (else it plays the env's)."""
        return bool(self.curriculum or self.opponent_mix or self.self_play > 0)


PLAY_FIELDS = frozenset(field.name for field in dataclasses.fields(PlayConfig))


def split_config(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the algorithm's fields, the play fields) of a flat dict: a preset, ``--set`` pairs or an old checkpoint's
    config (which held both)."""
    return ({key: value for key, value in values.items() if key not in PLAY_FIELDS},
            {key: value for key, value in values.items() if key in PLAY_FIELDS})


def play_of(data: dict[str, Any]) -> PlayConfig:
    """The play settings of a checkpoint: its ``play`` entry, or the fields an older file kept in its config."""
    stored = dict(data.get("play") or split_config(data.get("config", {}))[1])
    return build_config(PlayConfig, stored)


def algorithm_config_of(data: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's algorithm config without the play fields an older file kept in it."""
    return split_config(data["config"])[0]
