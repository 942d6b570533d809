"""Who a two-player learner trains against: a curriculum of scripted opponents and a pool of its own past selves.

Each training episode the league picks the opponent: with probability ``self_play`` a frozen snapshot of the
agent (greedy, legal moves only), otherwise one drawn from ``mix`` when that is set, else the current
curriculum stage. The stage moves on once the agent wins ``promote_win_rate`` of its last ``promote_window``
games against it. ``LeagueWrapper`` sits around the learner's env and hands each pick to the env through
``reset(options={"opponent": ...})``; the learner itself knows nothing of it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.common import generator_state, restore_generator
from agents.errors import DojoError

SELF = "self"  # the spec recorded for an episode against a snapshot


class SnapshotOpponent:
    """A frozen copy of the agent's network, playing greedily among the legal moves."""

    def __init__(self, net: nn.Module) -> None:
        self.net = net

    @torch.no_grad()
    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        values = self.net(torch.as_tensor(obs).unsqueeze(0))[0].numpy()
        values = np.where(np.asarray(action_mask, dtype=bool), values, -np.inf)
        return int(np.argmax(values))


class League:
    """Picks each episode's opponent and keeps the curriculum stage, recent results and snapshots."""

    def __init__(self, base_opponent: Any, curriculum: tuple[str, ...], promote_win_rate: float,
                 promote_window: int, self_play: float, snapshot_every: int, pool_size: int,
                 make_net: Callable[[], nn.Module], seed: int, mix: tuple[str, ...] = ()) -> None:
        if not 0.0 <= self_play <= 1.0:
            raise DojoError(f"self_play is the share of self-play episodes, between 0 and 1; got {self_play}")
        if promote_window < 1 or snapshot_every < 1 or pool_size < 1:
            raise DojoError("promote_window, snapshot_every and pool_size must be at least 1")
        self.stages: tuple[Any, ...] = tuple(curriculum) or (base_opponent,)
        self.mix = tuple(mix)
        self.promote_win_rate, self.self_play = promote_win_rate, self_play
        self.snapshot_every, self.pool_size = snapshot_every, pool_size
        self.make_net = make_net
        self.rng = np.random.default_rng(seed + 424_242)
        self.stage = 0
        self.results: deque[bool] = deque(maxlen=promote_window)
        self.snapshots: list[dict[str, torch.Tensor]] = []
        self._players: list[SnapshotOpponent] = []
        self.next_snapshot = snapshot_every
        self.current: str | int = 0  # the stage index, "self:<pool index>" or "mix:<mix index>"

    @property
    def stage_name(self) -> str:
        stage = self.stages[self.stage]
        return stage if isinstance(stage, str) else "custom"

    def pick(self) -> Any:
        """The opponent of the next episode (a name for the env, or a snapshot callable)."""
        if self.self_play > 0 and self._players and self.rng.random() < self.self_play:
            self.current = f"{SELF}:{int(self.rng.integers(len(self._players)))}"
        elif self.mix:
            self.current = f"mix:{int(self.rng.integers(len(self.mix)))}"
        else:
            self.current = self.stage
        return self.current_opponent()

    def current_opponent(self) -> Any:
        if isinstance(self.current, str):
            kind, index = self.current.split(":")
            return self.mix[int(index)] if kind == "mix" else self._players[int(index)]
        return self.stages[self.current]

    def record(self, episode_return: float, steps: int, net: nn.Module) -> None:
        """Count a curriculum game; move to the next stage when due; take a snapshot every snapshot_every steps."""
        if not isinstance(self.current, str):
            self.results.append(episode_return > 0)
            full = len(self.results) == self.results.maxlen
            if full and np.mean(self.results) >= self.promote_win_rate and self.stage + 1 < len(self.stages):
                self.stage += 1
                self.results.clear()
        if self.self_play > 0 and steps >= self.next_snapshot:
            self._add_snapshot({name: tensor.detach().cpu().clone() for name, tensor in net.state_dict().items()})
            while self.next_snapshot <= steps:
                self.next_snapshot += self.snapshot_every

    def _add_snapshot(self, weights: dict[str, torch.Tensor]) -> None:
        net = self.make_net()
        net.load_state_dict(weights)
        net.eval()
        self.snapshots.append(weights)
        self._players.append(SnapshotOpponent(net))
        if len(self.snapshots) > self.pool_size:
            self.snapshots.pop(0)
            self._players.pop(0)

    def stats(self) -> dict[str, float]:
        return {"stage": float(self.stage), "stage_win_rate": float(np.mean(self.results)) if self.results else 0.0}

    def state_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "results": list(self.results), "snapshots": list(self.snapshots),
                "next_snapshot": self.next_snapshot, "current": self.current, "rng": generator_state(self.rng)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.stage = int(state["stage"])
        self.results.clear()
        self.results.extend(bool(result) for result in state["results"])
        self.snapshots, self._players = [], []
        for weights in state["snapshots"]:
            self._add_snapshot(weights)
        self.next_snapshot = int(state["next_snapshot"])
        self.current = state["current"]
        self.rng = restore_generator(state["rng"])


class LeagueWrapper(gym.Wrapper):
    """The learner's training env with the league choosing each episode's opponent.

    A finished episode is recorded at the next reset, once the learner has learnt from its last step (so a
    snapshot taken then holds that step's update); the reset then picks the next opponent. ``learner`` gives the
    step count and the network a snapshot copies. A reset with ``options={"repeat_episode": True}`` (a learner
    replaying the episode its checkpoint was saved in) plays against that episode's opponent again.
    """

    def __init__(self, env: gym.Env, league: League, steps: Callable[[], int], net: Callable[[], nn.Module]) -> None:
        super().__init__(env)
        self.league, self._steps, self._net = league, steps, net
        self._return: float | None = None  # the running episode's return; None before the first reset
        self._finished: float | None = None  # a finished episode's return, not recorded yet

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        if self._finished is not None:
            self.league.record(self._finished, self._steps(), self._net())
            self._finished = None
        repeat = (options or {}).get("repeat_episode", False)
        opponent = self.league.current_opponent() if repeat else self.league.pick()
        self._return = 0.0
        return self.env.reset(seed=seed, options={**(options or {}), "opponent": opponent})

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        if terminated or truncated:
            self._finished = self._return
        return obs, reward, terminated, truncated, info

    def state_dict(self) -> dict[str, Any]:
        return {**self.league.state_dict(), "unrecorded": self._finished}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.league.load_state_dict(state)
        self._finished = state.get("unrecorded")
