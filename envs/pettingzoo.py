"""Dojo's two-player games as PettingZoo environments (``pip install pettingzoo``; the rest of Dojo does not need it).

    from envs.pettingzoo import aec_env, parallel_env
    env = aec_env("dojo/ConnectFour-v0")     # turn by turn; Tron's AEC form takes the two moves of a tick in turn
    env = parallel_env("dojo/Tron-v0")       # both cycles at once

Both games run on their engines (``envs/engine.py``: Board, TronGame). Agents are ``player_0`` (seat 0, Connect
Four's first mover, Tron's left cycle) and ``player_1``. Observations are dicts as in PettingZoo's classic games:
``observation`` the seat's uint8 planes (the same planes as the gymnasium envs), ``action_mask`` int8 1 where a move
is legal (Connect Four: the open columns of the player to move, all 0 for the other; Tron: the moves that do not
crash at once, all 1 when none is safe). Rewards: +1 win, -1 loss, 0 draw, at the end. An illegal move (a full
column) loses, PettingZoo's rule. Tron truncates after ``max_steps`` ticks (default size**2), as its gymnasium env.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import AgentSelector

from envs import registry
from envs.connect_four.rules import Board
from envs.tron.rules import TronGame

AGENTS = ("player_0", "player_1")


class _Game:
    """What both API forms share: the engine, the spaces, observations and the outcome of a finished game."""

    def __init__(self, env_id: str, size: int, max_steps: int | None, render_mode: str | None) -> None:
        if env_id not in (registry.CONNECT_FOUR.env_id, registry.TRON.env_id):
            raise ValueError(f"PettingZoo forms exist for {registry.CONNECT_FOUR.env_id} and {registry.TRON.env_id}, "
                             f"not {env_id!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.spec_game = registry.game(env_id)
        self.turn_based = env_id == registry.CONNECT_FOUR.env_id
        self.size = size
        self.engine = self._new_engine()
        self.max_steps = None if self.turn_based else int(max_steps or size * size)
        self.render_mode = render_mode
        self._renderer: Any = None
        planes = self.engine.planes(0)
        actions = len(self.spec_game.action_labels)
        self.observation_space = spaces.Dict({"observation": spaces.Box(0, 1, planes.shape, np.uint8),
                                               "action_mask": spaces.Box(0, 1, (actions,), np.int8)})
        self.action_space = spaces.Discrete(actions)
        self.forfeit: int | None = None  # the seat that lost by an illegal move

    def _new_engine(self) -> Board | TronGame:
        return Board() if self.turn_based else TronGame(self.size)

    def restart(self) -> None:
        self.engine = self._new_engine()
        self.forfeit = None

    def observation(self, seat: int) -> dict[str, np.ndarray]:
        return {"observation": self.engine.planes(seat),
                "action_mask": self.engine.legal_actions(seat).astype(np.int8)}

    def over(self) -> bool:
        return self.forfeit is not None or self.engine.is_over()

    def truncated(self) -> bool:
        return self.max_steps is not None and not self.over() and self.engine.steps >= self.max_steps

    def result(self, seat: int) -> float:
        if self.forfeit is not None:
            return -1.0 if seat == self.forfeit else 1.0
        return self.engine.result(seat)

    def frame(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self.turn_based:
            from envs.connect_four.render import ConnectFourRenderer

            self._renderer = self._renderer or ConnectFourRenderer()
            winner = -1 if not self.over() else (1 - self.forfeit if self.forfeit is not None
                                                 else (self.engine.winner if self.engine.winner is not None else -1))
            return self._renderer.draw(self.engine, winner)
        from envs.tron.render import TronRenderer

        self._renderer = self._renderer or TronRenderer(self.size)
        return self._renderer.draw(self.engine, self.max_steps)


class DojoAEC(AECEnv):
    """A Dojo two-player game in PettingZoo's agent-environment-cycle form."""

    metadata = {"render_modes": ["rgb_array"], "name": "dojo", "is_parallelizable": True}

    def __init__(self, env_id: str, size: int = 16, max_steps: int | None = None,
                 render_mode: str | None = None) -> None:
        super().__init__()
        self.game = _Game(env_id, size, max_steps, render_mode)
        self.metadata = {**self.metadata, "name": env_id.replace("/", "_"),
                         "is_parallelizable": not self.game.turn_based}
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)
        self._pending: dict[int, int] = {}  # Tron: the moves given so far this tick, by seat

    def observation_space(self, agent: str) -> spaces.Space:
        return self.game.observation_space  # one object for every call, as PettingZoo asks

    def action_space(self, agent: str) -> spaces.Space:
        return self.game.action_space

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self.game.restart()  # the games start from fixed positions: the seed changes nothing
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {agent: {} for agent in self.agents}
        self._pending = {}
        self._selector = AgentSelector(self.agents)
        self.agent_selection = self._selector.reset()

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        return self.game.observation(AGENTS.index(agent))

    def step(self, action: int | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        seat = AGENTS.index(agent)
        self._cumulative_rewards[agent] = 0.0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        engine = self.game.engine
        if self.game.turn_based:
            if not engine.legal_actions(seat)[int(action)]:
                self.game.forfeit = seat
            else:
                engine.apply([int(action)])
        else:
            self._pending[seat] = int(action)
            if len(self._pending) == len(AGENTS):  # both moves of the tick are in: they happen at once
                engine.apply([self._pending[0], self._pending[1]])
                self._pending = {}
        if self.game.over():
            self.rewards = {name: self.game.result(index) for index, name in enumerate(AGENTS)}
            self.terminations = dict.fromkeys(self.agents, True)
        elif self.game.truncated():
            self.truncations = dict.fromkeys(self.agents, True)
        self.agent_selection = self._selector.next()
        self._accumulate_rewards()

    def render(self) -> np.ndarray | None:
        return self.game.frame()

    def close(self) -> None:
        pass


class DojoParallel(ParallelEnv):
    """Tron in PettingZoo's parallel form: both cycles move at once."""

    metadata = {"render_modes": ["rgb_array"], "name": registry.TRON.env_id.replace("/", "_")}

    def __init__(self, env_id: str, size: int = 16, max_steps: int | None = None,
                 render_mode: str | None = None) -> None:
        self.game = _Game(env_id, size, max_steps, render_mode)
        if self.game.turn_based:
            raise ValueError(f"{env_id} is turn-based: use aec_env({env_id!r})")
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)

    def observation_space(self, agent: str) -> spaces.Space:
        return self.game.observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self.game.action_space

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        self.game.restart()
        self.agents = list(AGENTS)
        return {agent: self.game.observation(seat) for seat, agent in enumerate(AGENTS)}, \
            {agent: {} for agent in AGENTS}

    def step(self, actions: dict[str, int]) -> tuple[dict, dict, dict, dict, dict]:
        self.game.engine.apply([int(actions[AGENTS[0]]), int(actions[AGENTS[1]])])
        over, truncated = self.game.over(), self.game.truncated()
        observations = {agent: self.game.observation(seat) for seat, agent in enumerate(AGENTS)}
        rewards = {agent: self.game.result(seat) if over else 0.0 for seat, agent in enumerate(AGENTS)}
        terminations = dict.fromkeys(AGENTS, over)
        truncations = dict.fromkeys(AGENTS, truncated)
        infos = {agent: {} for agent in AGENTS}
        if over or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> np.ndarray | None:
        return self.game.frame()

    def close(self) -> None:
        pass


def aec_env(env_id: str, **kwargs: Any) -> DojoAEC:
    """``dojo/ConnectFour-v0`` or ``dojo/Tron-v0`` (``size``, ``max_steps``, ``render_mode``) as an AEC env."""
    return DojoAEC(env_id, **kwargs)


def parallel_env(env_id: str, **kwargs: Any) -> DojoParallel:
    """``dojo/Tron-v0`` (``size``, ``max_steps``, ``render_mode``) as a parallel env."""
    return DojoParallel(env_id, **kwargs)
