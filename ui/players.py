"""Sources of actions: a trained agent, a built-in opponent, or a human at the keyboard (key bindings as data,
from ``envs.registry``).

A human is just another player: the play screens ask every seat for an action the same way. An agent with an
opponent model plays with a model of its own: the screens tell it when a game starts and ends and what its
opponent (the human) played.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pygame

from agents import ladder
from agents.errors import DojoError
from agents.rundir import run_name
from envs import registry
from ui import catalog
from ui.runs import pick_agent


def key_bindings(env_id: str) -> dict[int, Any]:
    """The game's keys (``envs.registry``) as pygame key codes -> actions (Tron: absolute directions)."""
    game = registry.game(env_id)
    if game is None:
        return {}
    return {getattr(pygame, f"K_{name}"): action for name, action in game.controls.keys.items()}


class Player(Protocol):
    label: str

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        """The player's move for one observation."""



def tell(players: list[Any], event: str, *args: Any) -> None:
    """Tell every player that has a memory of its games (an agent with an opponent model) about ``event``:
    ``start_game()``, ``opponent_moved(board, move, mask)`` (``board``: that player's planes when the other seat
    moved) or ``end_game()``; the human (None), bots and other agents have none."""
    for player in players:
        method = getattr(player, event, None)
        if method is not None:
            method(*args)


class AgentPlayer:
    """A trained checkpoint playing greedily; ``path`` may carry a search budget (``agent.pt@depth=2``, see
    agents/ladder.py). ``level``: the ladder level it plays as, if rated (else None: unrated)."""

    level: ladder.Level | None = None

    def __init__(self, path: str | Path, env_id: str) -> None:
        text = str(path)
        spec = ladder.parse_spec(env_id, text) if "@" in text else ladder.Spec(text, path=text)
        agent = ladder.with_budget(_load(spec.path), spec.budget, spec.text[:60])
        if agent.env_id != env_id:
            raise DojoError(f"{path} was trained on {catalog.title(agent.env_id)}, not {catalog.title(env_id)}")
        # An opponent model plays with a copy of its own that keeps learning, now from the human's moves.
        self.agent = agent.fork(learn=True) if hasattr(agent, "fork") else agent
        self.models_opponent = hasattr(self.agent, "observe_opponent")
        self.path = Path(spec.path)
        budget = f", {spec.budget[0]} {spec.budget[1]}" if spec.budget else ""
        self.label = f"{self.agent.name} ({run_name(self.path)}{budget})"
        self.obs_mode = str(self.agent.env_kwargs.get("obs_mode", "planes"))

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        return self.agent.act(obs, action_mask)

    def explain(self, obs: Any, action_mask: np.ndarray | None) -> dict[str, Any]:
        return self.agent.explain(obs, action_mask)

    # The game's side, for an agent with an opponent model (no-ops for any other).
    def start_game(self) -> None:
        if self.models_opponent:
            self.agent.start_game()

    def opponent_moved(self, board: np.ndarray, move: int, mask: np.ndarray | None) -> None:
        """The opponent played ``move`` (legal moves ``mask``) when this agent's planes were ``board``."""
        if self.models_opponent:
            self.agent.observe_opponent(board, move, mask)

    def end_game(self) -> None:
        if self.models_opponent:
            self.agent.end_game()


def _load(path: str) -> Any:
    from agents import load_agent

    return load_agent(ladder.resolve_path(path))


class BuiltinPlayer:
    """One of the games' built-in opponents (they read planes observations)."""

    obs_mode = "planes"
    level: ladder.Level | None = None

    def __init__(self, env_id: str, spec: str, rng: np.random.Generator) -> None:
        try:
            self.policy = registry.make_bot(env_id, spec, rng)
        except ValueError as error:
            raise DojoError(str(error)) from None
        self.spec = spec
        self.label = f"{spec} (built-in)"

    def act(self, obs: Any, action_mask: np.ndarray | None) -> Any:
        return int(self.policy(obs, action_mask))




def looks_like_path(spec: str) -> bool:
    return ladder.is_checkpoint(spec.replace("dojo/", ""))


def make_player(env_id: str, spec: str, rng: np.random.Generator) -> AgentPlayer | BuiltinPlayer:
    """A checkpoint path (with a budget or not) or a built-in opponent's name; rated when the game's ladder lists
    the spec (agents/ladder.py)."""
    player: AgentPlayer | BuiltinPlayer = AgentPlayer(spec, env_id) if looks_like_path(spec) \
        else BuiltinPlayer(env_id, spec, rng)
    game_ladder = ladder.ladder_for(env_id) if registry.two_player(env_id) else None
    player.level = next((level for level in game_ladder.levels if level.spec == spec), None) if game_ladder else None
    if player.level is not None:
        player.label = f"{player.label}, Elo {player.level.elo:.0f}"
    return player


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
    spec = catalog.default_bot(env_id)
    if spec is not None:
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
