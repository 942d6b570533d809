"""The league, lookahead and opponent model of one learner (its ``PlayConfig``), composed around it.

A learner that takes a ``Play`` hands it its training env (``wrap_env``: the league chooses opponents through
``reset(options=...)``, the opponent model watches the opponent's moves), builds its network on ``feature_space``,
wraps its greedy policy (``wrap_policy``: the lookahead, the opponent model) and lets it join its checkpoints
(``state_dict``). ``policy_for_checkpoint`` composes a loaded agent the same way.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from torch import nn

from agents.errors import DojoError
from agents.games.league import League, LeagueWrapper
from agents.games.lookahead import LookaheadPolicy, check_lookahead
from agents.games.opponent import (
    OpponentModelPolicy,
    OpponentObserver,
    OpponentTracker,
    check_opponent_model_env,
    line_ticks_of,
    tracker_from_checkpoint,
)
from agents.games.settings import PlayConfig
from agents.opponent_model import OpponentPredictor
from envs.registry import make_bot


class Play:
    """One learner's ``PlayConfig`` at work: its league, its opponent model and the policy wrappers."""

    def __init__(self, config: PlayConfig, env_id: str, obs_mode: str, seed: int) -> None:
        check_lookahead(env_id, obs_mode, config.search_depth, config.opponent_model)
        if config.opponent_model and config.self_play > 0:
            raise DojoError("opponent_model=true and self_play are alternatives: snapshots play from the raw planes, "
                            "without the prediction planes their network needs")
        self.config, self.env_id, self.seed = config, env_id, seed
        self.league: League | None = None
        self.league_env: LeagueWrapper | None = None
        self.tracker: OpponentTracker | None = None
        self._learner: Any = None

    @property
    def active(self) -> bool:
        return self.config != PlayConfig()

    def wrap_env(self, env: gym.Env) -> gym.Env:
        """The learner's training env, with the opponent model watching and the league choosing opponents."""
        if self.config.opponent_model:
            game = check_opponent_model_env(env, self.env_id)
            predictor = OpponentPredictor(env.observation_space.shape, int(env.action_space.n), seed=self.seed)
            line_ticks = line_ticks_of(self.config.search_depth, True)
            self.tracker = OpponentTracker(game, predictor, learn=True, line_ticks=line_ticks)
            env = OpponentObserver(env, self.tracker)
        if self.config.league:
            self.league = self._build_league(env)
            self.league_env = env = LeagueWrapper(env, self.league, lambda: self._learner.steps,
                                                  lambda: self._learner.net)
        return env

    def _build_league(self, env: gym.Env) -> League:
        config, base = self.config, getattr(env.unwrapped, "opponent_spec", None)
        if base is None:
            raise DojoError(f"curriculum and self_play need a two-player env with an opponent; {self.env_id} has none")
        if config.self_play > 0 and getattr(env.unwrapped, "obs_mode", "planes") != "planes":
            raise DojoError("self_play needs obs_mode=planes: snapshots play from the opponent's planes")
        for spec in (*config.curriculum, *config.opponent_mix):
            try:
                make_bot(self.env_id, spec, np.random.default_rng(0))
            except ValueError as error:
                raise DojoError(f"curriculum opponent {spec!r}: {error}") from None
        if config.curriculum and config.opponent_mix:
            raise DojoError("curriculum and opponent_mix are alternatives; set one (e.g. --set opponent_mix=[])")
        return League(base if not config.curriculum else None, config.curriculum, config.promote_win_rate,
                      config.promote_window, config.self_play, config.snapshot_every, config.pool_size,
                      self._make_net, self.seed, config.opponent_mix)

    def _make_net(self) -> nn.Module:
        return self._learner.make_net()

    def feature_space(self, space: gym.Space) -> gym.Space:
        """What the learner's network reads: the env's observations, grown by the prediction planes if any."""
        return self.tracker.feature_space(space) if self.tracker is not None else space

    def wrap_policy(self, policy: Any, learner: Any = None) -> Any:
        """The learner's acting policy around its greedy one; ``learner`` (steps, ``net``, ``make_net``) feeds the
        league's snapshots."""
        self._learner = learner
        return compose(policy, self.config, self.env_id, self.tracker)

    def stats(self) -> dict[str, float]:
        return self.league.stats() if self.league is not None else {}

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        """The learner-state entries: ``league`` and ``opponent_model`` (the keys a checkpoint has always used)."""
        state: dict[str, Any] = {}
        if self.league_env is not None:
            state["league"] = self.league_env.state_dict()
        if self.tracker is not None:
            state["opponent_model"] = self.tracker.predictor.state_dict(include_replay)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.league_env is not None and "league" in state:
            self.league_env.load_state_dict(state["league"])
        if self.tracker is not None and "opponent_model" in state:
            self.tracker.predictor.load_state_dict(state["opponent_model"])


def compose(policy: Any, config: PlayConfig, env_id: str, tracker: OpponentTracker | None) -> Any:
    """``policy`` with its lookahead and opponent model: the line search (or planes) when it has a model, else the
    plain lookahead when it has a depth, else itself."""
    if tracker is not None:
        composed: Any = OpponentModelPolicy(policy, tracker, config.search_depth)
    elif config.search_depth:
        composed = LookaheadPolicy(policy, env_id, config.search_depth)
    else:
        composed = policy
    composed.play = config
    return composed


def policy_for_checkpoint(policy: Any, config: PlayConfig, data: dict[str, Any]) -> Any:
    """A loaded agent's greedy policy composed with the play settings its checkpoint was trained with."""
    tracker = None
    if config.opponent_model:
        tracker = tracker_from_checkpoint(data, line_ticks_of(config.search_depth, True))
    return compose(policy, config, data["env_id"], tracker)
