"""Sources of actions: a trained agent, a built-in opponent, or a human at the keyboard (key bindings as data).

A human is just another player: the play screens ask every seat for an action the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pygame

from agents import load_agent
from agents.errors import DojoError
from envs.opponents import make_opponent
from ui import catalog
from ui.runs import pick_agent

OPPONENT_GAMES = {"dojo/ConnectFour-v0": "connect_four", "dojo/Tron-v0": "tron"}

# Real-time games: the action while a key is held, and when none is (None: the game has no "do nothing").
HELD_KEYS: dict[str, tuple[dict[int, Any], Any]] = {
    "CartPole-v1": ({pygame.K_LEFT: 0, pygame.K_a: 0, pygame.K_RIGHT: 1, pygame.K_d: 1}, None),
    "MountainCar-v0": ({pygame.K_LEFT: 0, pygame.K_a: 0, pygame.K_RIGHT: 2, pygame.K_d: 2}, 1),
    "Acrobot-v1": ({pygame.K_LEFT: 0, pygame.K_a: 0, pygame.K_RIGHT: 2, pygame.K_d: 2}, 1),
    "Pendulum-v1": ({pygame.K_LEFT: np.array([2.0], dtype=np.float32), pygame.K_a: np.array([2.0], np.float32),
                     pygame.K_RIGHT: np.array([-2.0], np.float32), pygame.K_d: np.array([-2.0], np.float32)},
                    np.array([0.0], dtype=np.float32)),
}
# Tron: absolute directions (0 up, 1 right, 2 down, 3 left), turned into the cycle's relative actions.
DIRECTION_KEYS: dict[int, int] = {pygame.K_UP: 0, pygame.K_w: 0, pygame.K_RIGHT: 1, pygame.K_d: 1,
                                  pygame.K_DOWN: 2, pygame.K_s: 2, pygame.K_LEFT: 3, pygame.K_a: 3}


class Player(Protocol):
    label: str

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        """The player's move for one observation."""


class AgentPlayer:
    """A trained checkpoint playing greedily."""

    def __init__(self, path: str | Path, env_id: str) -> None:
        self.agent = load_agent(str(path))
        if getattr(self.agent, "env_wrapper", None) is not None:
            # Its observation carries the opponent model's prediction planes, which the play screens do not make.
            raise DojoError(f"{path} was trained with opponent_model=true, which the app cannot play yet; "
                            "measure it with python main.py eval")
        if self.agent.env_id != env_id:
            raise DojoError(f"{path} was trained on {catalog.title(self.agent.env_id)}, not {catalog.title(env_id)}")
        self.path = Path(path)
        run = self.path.parent.parent.name if self.path.parent.name == "checkpoints" else self.path.stem
        self.label = f"{self.agent.name} ({run})"
        self.obs_mode = str(self.agent.env_kwargs.get("obs_mode", "planes"))

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        return self.agent.act(obs, action_mask)

    def explain(self, obs: Any, action_mask: np.ndarray | None) -> dict[str, Any]:
        return self.agent.explain(obs, action_mask)


class BuiltinPlayer:
    """One of the games' built-in opponents (they read planes observations)."""

    obs_mode = "planes"

    def __init__(self, env_id: str, spec: str, rng: np.random.Generator) -> None:
        game = OPPONENT_GAMES.get(env_id)
        if game is None:
            raise DojoError(f"{catalog.title(env_id)} has no built-in opponents")
        try:
            self.policy = make_opponent(game, spec, rng)
        except ValueError as error:
            raise DojoError(str(error)) from None
        self.spec = spec
        self.label = f"{spec} (built-in)"

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        return int(self.policy(obs, action_mask))


def looks_like_path(spec: str) -> bool:
    return spec.endswith(".pt") or "/" in spec.replace("dojo/", "") or Path(spec).exists()


def make_player(env_id: str, spec: str, rng: np.random.Generator) -> AgentPlayer | BuiltinPlayer:
    """A checkpoint path or a built-in opponent's name."""
    if looks_like_path(spec):
        return AgentPlayer(spec, env_id)
    return BuiltinPlayer(env_id, spec, rng)


@dataclass
class Choice:
    """Who plays for the app, and the line that tells the user."""

    player: AgentPlayer | BuiltinPlayer | None
    note: str


def default_player(env_id: str, rng: np.random.Generator) -> Choice:
    """No checkpoint given: the best saved agent for the game by the common test (ui.runs.pick_agent) that the app
    can play, else a built-in opponent, else nobody."""
    pick = pick_agent(env_id)
    problem = ""
    for candidate in pick.candidates:
        try:
            player = AgentPlayer(candidate.info.checkpoint, env_id)
        except DojoError as error:
            problem = problem or f"the best saved agent could not be loaded ({error})"
            continue
        measured = f": {candidate.measure.text}" if candidate.measure else " (not measured yet)"
        return Choice(player, f"playing the best saved agent: {candidate.info.name} ({candidate.info.agent})"
                              f"{measured}")
    if env_id in catalog.DEFAULT_OPPONENTS:
        spec = catalog.DEFAULT_OPPONENTS[env_id]
        reason = problem or "no trained agent saved yet"
        return Choice(BuiltinPlayer(env_id, spec, rng), f"{reason}: playing the built-in {spec}")
    return Choice(None, problem or "no trained agent saved for this game yet: train one to compare scores")


def choose_player(env_id: str, checkpoint: str | None, opponent: str | None, rng: np.random.Generator) -> Choice:
    if checkpoint:
        player = AgentPlayer(checkpoint, env_id)
        return Choice(player, f"playing {player.label}")
    if opponent:
        player = make_player(env_id, opponent, rng)
        return Choice(player, f"playing {player.label}")
    return default_player(env_id, rng)


class HeldKeys:
    """Which bound keys are down, from KEYDOWN / KEYUP events (posted events included)."""

    def __init__(self, bindings: dict[int, Any]) -> None:
        self.bindings = bindings
        self.down: list[int] = []

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key in self.bindings:
            if event.key not in self.down:
                self.down.append(event.key)
            return True
        if event.type == pygame.KEYUP and event.key in self.down:
            self.down.remove(event.key)
            return True
        return False

    def action(self) -> Any:
        """The most recently pressed key still held wins (like a real controller)."""
        return self.bindings[self.down[-1]] if self.down else None
