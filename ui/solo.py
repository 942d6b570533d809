"""Single-player games (Snake, Maze, classic control): you play an episode, then the agent plays the same seed.

How a human steers, per game (the bindings and the mode are data, in envs.registry):
* classic control: real time at the game's frame rate, the held key acts (CartPole has no "do nothing": with no
  key held it alternates left and right, which averages out);
* Snake: ticks at a steady rate, the last pressed direction applies, else the snake keeps going;
* Maze: turn by turn, one step per key press.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pygame

from agents.errors import DojoError
from envs import registry
from ui import catalog, style
from ui.app import Screen
from ui.gameenv import close_env, make_display_env
from ui.players import AgentPlayer, HeldKeys, key_bindings
from ui.watch import draw_action_bars
from ui.widgets import Pills

# Moves per second of a ticked game (Snake) played by a human: a first game starts slow; 1 2 3 change it.
SNAKE_SPEEDS = {"slow": 4.0, "normal": 6.0, "fast": 8.0}
DEFAULT_SPEED = "slow"
GRID_AGENT_TICKS = 8.0  # agent moves per second on grid games: fast, yet easy to follow

class SoloScreen(Screen):
    """Phases: ready -> human -> between -> agent -> result (R plays again on a new seed)."""

    def __init__(self, env_id: str, agent: AgentPlayer | None, note: str = "", seed: int = 0,
                 speed: str = DEFAULT_SPEED) -> None:
        super().__init__()
        self.env_id = env_id
        self.title = f"Play {catalog.title(env_id)}"
        # The agent's own settings (Maze: its pinned maze), so both players face the same game.
        kwargs = dict(agent.agent.env_kwargs) if agent is not None else {}
        self.env = make_display_env(env_id, kwargs)
        self.agent = agent
        self.note = note
        self.seed = seed
        self.fps_game = float(self.env.metadata.get("render_fps") or 30)
        game = registry.game(env_id)
        if game is None:
            raise DojoError(f"{env_id} has no keys to play it with (Dojo's games and classic control do)")
        controls = game.controls
        self.mode, self.noop = controls.mode, controls.noop
        self.keys = HeldKeys(key_bindings(env_id))
        if speed not in SNAKE_SPEEDS:
            raise DojoError(f"unknown speed {speed!r}; choose one of {', '.join(SNAKE_SPEEDS)}")
        self.speed_pills = Pills(list(SNAKE_SPEEDS), list(SNAKE_SPEEDS).index(speed))
        self.banner_box: pygame.Rect | None = None  # where the last card went (beside the game, never on it)
        self.pressed: deque[Any] = deque(maxlen=3)
        self.scores: dict[str, float | None] = {"human": None, "agent": None}
        self.history: list[tuple[float, float | None]] = []
        self.phase = "ready"
        self._start_episode()

    # ---- episodes ----------------------------------------------------------------------------------------
    @property
    def ticks_per_second(self) -> float:
        """A ticked game's speed for the human (the speed pills); the agent replays at GRID_AGENT_TICKS."""
        return SNAKE_SPEEDS[self.speed_pills.options[self.speed_pills.selected]]

    def _start_episode(self) -> None:
        self.obs, self.info = self.env.reset(seed=self.seed)
        self.episode_return, self.steps, self.clock = 0.0, 0, 0.0
        self.pressed.clear()
        self._alternate = 0
        self._frame = None

    def score_of(self) -> float:
        """A game that keeps a score (Snake's apples) counts it; everything else its episode return."""
        return float(self.info.get("score", self.episode_return))

    def _step(self, action: Any) -> None:
        self.obs, reward, terminated, truncated, self.info = self.env.step(action)
        self.episode_return += float(reward)
        self.steps += 1
        self._frame = None
        if terminated or truncated:
            if self.phase == "human":
                self.scores["human"] = self.score_of()
                self.phase = "between" if self.agent is not None else "result"
                if self.agent is None:
                    self.history.append((self.scores["human"], None))
            else:
                self.scores["agent"] = self.score_of()
                self.history.append((self.scores["human"], self.scores["agent"]))
                self.phase = "result"

    def _human_action(self) -> Any:
        held = self.keys.action()
        if held is not None:
            return held
        if self.noop is not None:
            return self.noop
        self._alternate ^= 1
        return self._alternate

    def busy(self) -> bool:
        """The game ticks by itself for the agent and in real-time or ticked games; the ready / between / result
        cards and a turn-by-turn maze change only on input."""
        return self.phase == "agent" or (self.phase == "human" and self.mode != "turns")

    # ---- input and time ----------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if self.mode == "ticked" and self.speed_pills.handle_event(event):
            return
        if self.mode == "ticked" and event.type == pygame.KEYDOWN and event.key in (pygame.K_1, pygame.K_2,
                                                                                    pygame.K_3):
            self.speed_pills.select(event.key - pygame.K_1)
            return
        if self.phase == "human" and self.keys.handle_event(event):
            if event.type == pygame.KEYDOWN:
                action = self.keys.bindings[event.key]
                if self.mode == "turns":
                    self._step(action)
                elif self.mode == "ticked":
                    self.pressed.append(action)
            return
        if event.type != pygame.KEYDOWN and not (event.type == pygame.MOUSEBUTTONDOWN and event.button == 1):
            return
        key = getattr(event, "key", None)
        if key == pygame.K_ESCAPE:
            self.leave()
        elif self.phase == "ready" and (key in (pygame.K_SPACE, pygame.K_RETURN) or key is None):
            self.phase = "human"
        elif self.phase == "between" and (key in (pygame.K_SPACE, pygame.K_RETURN) or key is None):
            self._start_episode()
            self.phase = "agent"
        elif self.phase == "result" and (key in (pygame.K_r, pygame.K_SPACE, pygame.K_RETURN) or key is None):
            self.seed += 1
            self.scores = {"human": None, "agent": None}
            self._start_episode()
            self.phase = "ready"

    def update(self, dt: float) -> None:
        if self.phase == "human" and self.mode != "turns":
            rate = self.ticks_per_second if self.mode == "ticked" else self.fps_game
            self.clock = min(self.clock + dt * rate, 3.0)
            while self.clock >= 1.0 and self.phase == "human":
                self.clock -= 1.0
                if self.mode == "ticked":
                    self._step(self.pressed.popleft() if self.pressed else self.env.unwrapped.noop_action)
                else:
                    self._step(self._human_action())
        elif self.phase == "agent":
            rate = self.fps_game if self.mode == "held" else GRID_AGENT_TICKS
            self.clock = min(self.clock + dt * rate, 3.0)
            while self.clock >= 1.0 and self.phase == "agent":
                self.clock -= 1.0
                self._step(self.agent.act(self.obs, self.info.get("action_mask")))

    def close(self) -> None:
        close_env(self.env)

    # ---- drawing -----------------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        self.area, self.side = style.play_layout(size)
        # The frame under the status line; the band below it holds the cards, so a crash site stays in view.
        self.frame_area = pygame.Rect(self.area.x + 12, self.area.y + 48, self.area.width - 24,
                                      self.area.height - 60 - style.BANNER_BAND)
        self.speed_pills.layout(self.side.x + 20, self.side.bottom - 80, self.side.width - 40)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        style.panel(surface, self.area, style.PANEL_DARK)
        if self._frame is None:
            self._frame = style.array_to_surface(self.env.render())
        # Classic-control frames scale smoothly; grid games stay crisp.
        shown = style.blit_frame(surface, self._frame, self.frame_area, smooth=self.mode == "held")
        self.shown = shown
        who = {"human": "You are playing", "agent": "The agent is playing"}.get(self.phase, "")
        if who:
            style.draw_text(surface, f"{who}  ·  score {self.score_of():.1f}  ·  step {self.steps}",
                            (self.area.x + 14, self.area.y + 14), style.LABEL, style.TEXT)
        overlay = self._overlay_text()
        if overlay:
            self.banner_box = style.result_banner(surface, shown, overlay[0], overlay[1], style.ACCENT, above=False)
        self._draw_side(surface)

    def _overlay_text(self) -> tuple[str, str] | None:
        human, agent = self.scores["human"], self.scores["agent"]
        if self.phase == "ready":
            return "Your turn", "press Space or click to start"
        if self.phase == "between":
            return f"You scored {human:.1f}", "press Space: now the agent plays the same game"
        if self.phase == "result":
            if agent is None:
                return f"You scored {human:.1f}", "press R to play again"
            verdict = "You beat the agent!" if human > agent else "The agent wins" if agent > human else "A tie"
            return verdict, f"you {human:.1f}  -  agent {agent:.1f}   ·   R to play again"
        return None

    def _draw_side(self, surface: pygame.Surface) -> None:
        side = self.side
        style.panel(surface, side)
        x, y = side.x + 20, side.y + 20
        style.draw_text(surface, catalog.title(self.env_id).upper(), (x, y), style.HEADING, style.ACCENT)
        y += 44
        for line in style.wrap_text(catalog.blurb(self.env_id), style.BODY, side.width - 40):
            style.draw_text(surface, line, (x, y), style.BODY, style.TEXT)
            y += 24
        y += 10
        style.draw_text(surface, "Opponent: " + (self.agent.label if self.agent else "none"), (x, y), style.BODY,
                        style.TEXT_DIM, max_width=side.width - 40)
        y += 26
        for line in style.wrap_text(self.note, style.SMALL, side.width - 40)[:3]:
            style.draw_text(surface, line, (x, y), style.SMALL, style.TEXT_DIM)
            y += 20
        y += 12
        style.draw_text(surface, "GAMES (you - agent)", (x, y), style.SMALL, style.TEXT_DIM)
        y += 22
        # As many past games as fit above the speed pills (ticked games) or the key hints.
        limit = (self.speed_pills.rects[0].y - 30) if self.mode == "ticked" else side.bottom - 50
        rows = max(0, min(6, (limit - y) // 24))
        for human, agent in self.history[-rows:] if rows else []:
            agent_text = "-" if agent is None else f"{agent:.1f}"
            color = style.GOOD if agent is None or human > agent else style.BAD if agent > human else style.TEXT
            style.draw_text(surface, f"{human:.1f}  -  {agent_text}", (x, y), style.BODY, color)
            y += 24
        if self.phase == "agent" and self.agent is not None and hasattr(self.agent, "explain"):
            explanation = self.agent.explain(self.obs, self.info.get("action_mask"))
            values = explanation.get("values") or explanation.get("mean") or []
            labels = catalog.action_labels(self.env_id, len(values))
            rect = pygame.Rect(x, max(y + 10, side.bottom - 100 - 28 * len(values)), side.width - 40,
                               28 * len(values))
            draw_action_bars(surface, rect, labels, values, explanation["kind"], explanation.get("std"))
        keys = {"held": "Left / Right", "ticked": "Arrows / WASD", "turns": "Arrows / WASD"}[self.mode]
        hints = [(keys, "play"), ("Space", "start"), ("R", "again"), ("Esc", "back")]
        if self.mode == "ticked":
            style.draw_text(surface, "SPEED (moves per second: "
                            + " / ".join(f"{rate:g}" for rate in SNAKE_SPEEDS.values()) + ")",
                            (x, self.speed_pills.rects[0].y - 22), style.SMALL, style.TEXT_DIM)
            self.speed_pills.draw(surface)
            hints.insert(1, ("1 2 3", "speed"))
        style.key_hints(surface, hints, (x, side.bottom - 36), side.width - 40)
