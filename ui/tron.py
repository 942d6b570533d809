"""Tron in real time: you (arrows / WASD) against an agent, or two agents; tick rates, countdown, score; with a
human, arrows from the human's head show the opponent model's guess of the next move (P toggles them)."""

from __future__ import annotations

from collections import deque

import numpy as np
import pygame

from agents.errors import DojoError
from agents.opponent_model import OpponentPredictor
from envs import theme
from envs.registry import TRON
from envs.tron.render import TronRenderer
from envs.tron.rules import HEADING_DELTAS, relative_action, turned
from ui import style
from ui.app import Screen
from ui.gameenv import close_env, make_display_env
from ui.players import Player, key_bindings, tell
from ui.prediction import HumanWatcher, draw_arrow
from ui.rating import RatingKeeper, draw_rating
from ui.widgets import Pills

ENV_ID = TRON.env_id
DIRECTION_KEYS = key_bindings(ENV_ID)  # arrows and WASD: absolute directions, turned into relative actions
# A first game starts slow (issue 15: 10 ticks/s was too fast to learn the keys); 1 2 3 change it.
TICK_RATES = {"slow": 5.0, "normal": 10.0, "fast": 15.0}
DEFAULT_TICK = "slow"
COUNTDOWN_S = 3.0
NEXT_ROUND_S = 2.5  # agent against agent: the pause between rounds


class TronScreen(Screen):
    """``players[seat]`` is None for the human (seat 0, blue, starting on the left), whose moves an opponent model
    (``predictor``, else a fresh one) learns to predict."""

    title = "Tron"

    def __init__(self, players: list[Player | None], note: str = "", seed: int = 0, tick: str = DEFAULT_TICK,
                 predictor: OpponentPredictor | None = None) -> None:
        super().__init__()
        if len(players) != 2 or players[1] is None:
            raise DojoError("Tron needs an agent in seat 1; the human, if any, rides seat 0")
        if tick not in TICK_RATES:
            raise DojoError(f"unknown tick rate {tick!r}; choose one of {', '.join(TICK_RATES)}")
        modes = {getattr(p, "obs_mode", "planes") for p in players if p is not None}
        if len(modes) > 1:
            raise DojoError("these players see the arena differently (planes and pixels)")
        kwargs = {}
        for player in players:
            agent = getattr(player, "agent", None)
            if agent is not None:
                # No random opening: a round in the app starts from the start positions (and replays from its log).
                kwargs = {k: v for k, v in agent.env_kwargs.items()
                          if k not in ("opponent", "agent_seat", "opening_moves")}
                break
        kwargs["opponent"] = None
        self.env = make_display_env(ENV_ID, kwargs)
        self.players = players
        self.human = players[0] is None
        self.watcher: HumanWatcher | None = None
        if self.human:
            env = self.env.unwrapped
            self.watcher = HumanWatcher(ENV_ID, kwargs, env.observation_space.shape, int(env.action_space.n),
                                        predictor)
        elif predictor is not None:
            raise DojoError("the opponent model predicts a human player's moves; this game has none")
        self.moves: list[list[int]] = []  # this round's [seat, move] pairs, tick by tick (the log's format)
        self.note = note
        self.seed = seed
        self.rounds = 0
        self.score = {"seat0": 0, "seat1": 0, "draws": 0}
        self.tick_pills = Pills([name for name in TICK_RATES], list(TICK_RATES).index(tick))
        self.turns: deque[int] = deque(maxlen=2)  # quick double turns (a U-turn) need two queued presses
        self.banner: str | None = None
        self.rating = RatingKeeper.for_players(ENV_ID, players)  # None unless the human plays a ladder level
        self.banner_box: pygame.Rect | None = None  # where the last banner went (beside the arena, never on it)
        self.renderer: TronRenderer | None = None  # sized to the window in resize
        self.new_round()

    @property
    def tick_rate(self) -> float:
        return TICK_RATES[self.tick_pills.options[self.tick_pills.selected]]

    def new_round(self) -> None:
        self.env.reset(seed=self.seed + self.rounds)
        self.moves = []
        tell(self.players, "start_game")
        if self.watcher is not None:
            self.watcher.new_game()
            self._expect()
        self.countdown = COUNTDOWN_S
        self.clock = 0.0
        self.banner = None
        self.turns.clear()
        self._frame = None

    def busy(self) -> bool:
        """The round runs (or, agent against agent, the next one is coming); a human reads the result at rest."""
        return self.banner is None or not self.human

    # ---- input and time ----------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if self.tick_pills.handle_event(event):
            return
        if event.type != pygame.KEYDOWN:
            return
        if event.key == pygame.K_ESCAPE:
            self.leave()
        elif self.human and event.key in DIRECTION_KEYS and self.banner is None:
            self.turns.append(DIRECTION_KEYS[event.key])
        elif event.key in (pygame.K_r, pygame.K_SPACE, pygame.K_RETURN) and self.banner is not None:
            self.new_round()
        elif event.key in (pygame.K_1, pygame.K_2, pygame.K_3):
            self.tick_pills.select(event.key - pygame.K_1)
        elif event.key == pygame.K_t:
            self.tick_pills.cycle()
        elif event.key == pygame.K_p and self.watcher is not None:
            self.watcher.visible = not self.watcher.visible

    def update(self, dt: float) -> None:
        if self.banner is not None:
            if self.watcher is not None:
                self.watcher.settle()  # the banner is up: the learning pause goes unnoticed
            self.clock += dt
            if not self.human and self.clock >= NEXT_ROUND_S:
                self.new_round()
            return
        if self.countdown > 0:
            self.countdown -= dt
            return
        self.clock += dt * self.tick_rate
        while self.clock >= 1.0 and self.banner is None:
            self.clock -= 1.0
            self.tick()

    def action_for(self, seat: int) -> int:
        env = self.env.unwrapped
        player = self.players[seat]
        if player is None:
            heading = env.game.headings[seat]
            return relative_action(heading, self.turns.popleft()) if self.turns else 1
        return int(player.act(env.observation_for(seat), env.action_mask_for(seat)))

    def tick(self) -> None:
        """One simultaneous move of both cycles."""
        env = self.env.unwrapped
        boards = [env.observation_for(seat) for seat in (0, 1)]  # before the tick, from each seat
        safe = [env.game.safe_mask(seat) for seat in (0, 1)]  # each seat's non-crashing moves (maybe none)
        mask = env.action_mask_for(0)
        actions = (self.action_for(0), self.action_for(1))
        _, _, _, terminated, truncated, info = env.joint_step(*actions)
        self._frame = None
        self.moves += [[0, actions[0]], [1, actions[1]]]
        if self.watcher is not None:
            self.watcher.observe(boards[1], actions[0], mask)  # the human's move, as the agent sees it
        for seat, player in enumerate(self.players):  # an agent with an opponent model learns what the other did
            tell([player], "opponent_moved", boards[seat], actions[1 - seat], safe[1 - seat])
        if terminated or truncated:
            self._finish(int(info["winner"]))
        else:
            self._expect()

    def _expect(self) -> None:
        """The model's guess of the human's next move (seat 0), read from the agent's side."""
        if self.watcher is not None:
            env = self.env.unwrapped
            self.watcher.expect(env.observation_for(1), env.action_mask_for(0))

    def _finish(self, winner: int) -> None:
        self.rounds += 1
        self.clock = 0.0
        tell(self.players, "end_game")
        if self.watcher is not None:
            self.watcher.game_over(self.moves, 0, winner)
        if self.rating is not None:
            self.rating.record(0.5 if winner < 0 else float(winner == 0))
        if winner < 0:
            self.score["draws"] += 1
            self.banner = "Draw"
        else:
            self.score[f"seat{winner}"] += 1
            if self.human:
                self.banner = "You win!" if winner == 0 else "The agent wins"
            else:
                self.banner = f"{'Blue' if winner == 0 else 'Red'} wins"

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.settle()
        close_env(self.env)

    # ---- drawing -----------------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        self.arena, self.side = style.play_layout(size)
        inner = self.arena.inflate(-24, -24)
        # The band above the arena holds the result banner, so the crash site stays in view.
        self.board_area = pygame.Rect(inner.x, inner.y + style.BANNER_BAND, inner.width,
                                      inner.height - style.BANNER_BAND)
        # Drawn at a whole number of pixels per cell that fills the area: a frame scaled by a fraction would make
        # some grid lines two pixels wide and others one (issue 15).
        size = self.env.unwrapped.size
        cell = max(2, min(self.board_area.width // size, self.board_area.height * 4 // (4 * size + 5)))
        while cell > 2 and max(7, cell * 5 // 4) + size * cell > self.board_area.height:
            cell -= 1
        if self.renderer is None or self.renderer.cell != cell:
            self.renderer = TronRenderer(size, cell)
            self._frame = None
        # A short window packs the side panel (one-line seats, small score boxes) so the model's summary fits.
        self.compact = self.side.height < style.PLAY_COMPACT
        self.tick_pills.layout(self.side.x + 20, self.side.y + (190 if self.compact else 330), self.side.width - 40)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        style.panel(surface, self.arena, style.PANEL_DARK)
        if self._frame is None:
            env = self.env.unwrapped
            self._frame = style.array_to_surface(self.renderer.draw(env.game, env.max_steps))
        shown = style.blit_frame(surface, self._frame, self.board_area, smooth=False)
        self.shown = shown
        watcher = self.watcher
        if watcher is not None and watcher.visible and watcher.probabilities is not None and self.banner is None:
            self._draw_prediction(surface, shown, watcher.probabilities)
        if self.countdown > 0 and self.banner is None:
            number = str(int(self.countdown) + 1)
            style.draw_text(surface, number, shown.center, style.BANNER * 2, style.ACCENT, "center")
            style.draw_text(surface, "get ready", (shown.centerx, shown.centery + 80), style.LABEL, style.TEXT,
                            "center")
        if self.banner is not None:
            self._draw_banner(surface, shown)
        self._draw_side(surface)

    def _draw_prediction(self, surface: pygame.Surface, shown: pygame.Rect, probabilities: np.ndarray) -> None:
        """An arrow from the human's head for each likely move, longer and more opaque the likelier."""
        game = self.env.unwrapped.game
        # The frame is the arena (size x size cells) under a status strip: the cell size and strip follow.
        cell = shown.width / game.size
        row, col = game.heads[0]
        head = (shown.x + (col + 0.5) * cell, shown.bottom - (game.size - row - 0.5) * cell)
        best = int(np.argmax(probabilities))
        for action, probability in enumerate(probabilities):
            if probability < 0.05:
                continue
            d_row, d_col = HEADING_DELTAS[turned(game.headings[0], action)]
            length = cell * (0.6 + 2.4 * float(probability))
            color = style.ACCENT if action == best else style.TEXT
            draw_arrow(surface, head, (d_col, d_row), length, color, int(70 + 185 * float(probability)))
            if action == best:
                label = (head[0] + d_col * (length + cell * 0.8), head[1] + d_row * (length + cell * 0.8))
                style.draw_text(surface, f"{probability:.0%}", label, style.BODY, style.ACCENT, "center")

    def _draw_banner(self, surface: pygame.Surface, shown: pygame.Rect) -> None:
        color = style.GOOD if self.banner == "You win!" else style.BAD if "agent" in self.banner else style.ACCENT
        hint = "press R or Space for the next round" if self.human else "next round in a moment"
        self.banner_box = style.result_banner(surface, shown, self.banner, hint, color)

    def _draw_side(self, surface: pygame.Surface) -> None:
        side, compact = self.side, self.compact
        style.panel(surface, side)
        x, y, width = side.x + 20, side.y + 20, side.width - 40
        style.draw_text(surface, "TRON", (x, y), style.HEADING, style.ACCENT)
        y += 36 if compact else 50
        for seat, player in enumerate(self.players):
            pygame.draw.rect(surface, theme.PLAYER_COLORS[seat], (x, y + 4, 20, 16), border_radius=4)
            name = "You" if player is None else player.label
            style.draw_text(surface, name, (x + 30, y + 2), style.LABEL, style.TEXT, max_width=width - 30)
            if not compact:
                style.draw_text(surface, "starts left" if seat == 0 else "starts right", (x + 30, y + 26),
                                style.SMALL, style.TEXT_DIM)
            y += 28 if compact else 58
        names = ("You", "Agent") if self.human else ("Blue", "Red")
        scores = [(names[0], self.score["seat0"], style.BLUE), (names[1], self.score["seat1"], style.RED),
                  ("Draws", self.score["draws"], style.TEXT_DIM)]
        style.score_boxes(surface, scores, (x, y + 6), width, compact)
        style.draw_text(surface, "TICK RATE", (x, self.tick_pills.rects[0].y - 20), style.SMALL, style.TEXT_DIM)
        self.tick_pills.draw(surface)
        hints = [("Arrows/WASD", "steer"), ("1 2 3", "tick rate"), ("P", "prediction"), ("R", "next round"),
                 ("Esc", "back")]
        hints = hints if self.human else [hints[1], *hints[3:]]
        # The hints stand on the panel's bottom; everything above stops short of them.
        hints_y = side.bottom - 14 - style.key_hints_height(hints, width)
        bottom = hints_y - 8
        y = self.tick_pills.rects[-1].bottom + (12 if compact else 20)
        style.draw_text(surface, f"round {self.rounds + (0 if self.banner else 1)}  ·  tick "
                                 f"{self.env.unwrapped.game.steps}", (x, y), style.BODY, style.TEXT)
        y += 24 if compact else 30
        y += draw_rating(surface, self.rating, (x, y), width)
        y = style.text_lines(surface, self.note, (x, y), width, bottom, most=2 if compact else 4)
        if self.watcher is not None:
            self.watcher.draw_summary(surface, (x, y + (4 if compact else 10)), width,
                                      "the arrows at your head are its guess of your next move", bottom)
        style.key_hints(surface, hints, (x, hints_y), width)
