"""Connect Four: you against an agent (or two agents), falling discs, hover preview, result banner and score; with
a human, the opponent model's guess of the human's next column as a heat strip over the board (P toggles it)."""

from __future__ import annotations

from typing import Any

import pygame

from agents.errors import DojoError
from agents.opponent_model import OpponentPredictor
from envs import theme
from envs.connect_four.rules import COLS, ROWS
from envs.registry import CONNECT_FOUR
from ui import style
from ui.app import Screen
from ui.gameenv import close_env, make_display_env
from ui.players import Player, key_bindings, tell
from ui.prediction import HumanWatcher, draw_heat_strip
from ui.rating import RatingKeeper, draw_rating

ENV_ID = CONNECT_FOUR.env_id
THINK_S = 0.45  # a short pause before an agent moves, so its move reads as a move
GRAVITY = 9000.0  # pixels / s^2 at the reference cell size of 80 px
COLUMN_KEYS = key_bindings(ENV_ID)  # 1-7 and the keypad's


def env_kwargs_for(players: list[Player | None]) -> dict[str, Any]:
    """The env settings the agents were trained with (their obs_mode), with both seats driven from here and no
    random opening: a game in the app starts on the empty board (and replays from its log)."""
    kwargs: dict[str, Any] = {}
    modes = {getattr(p, "obs_mode", "planes") for p in players if p is not None}
    if len(modes) > 1:
        raise DojoError("these players see the board differently (planes and pixels); built-in opponents and "
                        "agents must share an observation mode")
    for player in players:
        agent = getattr(player, "agent", None)
        if agent is not None:
            kwargs = {k: v for k, v in agent.env_kwargs.items()
                      if k not in ("opponent", "agent_first", "opening_moves")}
            break
    kwargs["opponent"] = None
    return kwargs


class ConnectFourScreen(Screen):
    """``players[seat]`` is None for the human. Seat 0 (blue) moves first. With one human, an opponent model
    (``predictor``, else a fresh one) learns to predict the human's columns."""

    title = "Connect Four"

    def __init__(self, players: list[Player | None], note: str = "", seed: int = 0,
                 predictor: OpponentPredictor | None = None) -> None:
        super().__init__()
        if len(players) != 2:
            raise DojoError("Connect Four needs two players")
        self.players = players
        self.note = note
        kwargs = env_kwargs_for(players)
        self.env = make_display_env(ENV_ID, kwargs)
        self.seed = seed
        self.games = 0
        self.human_seats = [seat for seat, player in enumerate(players) if player is None]
        self.watcher: HumanWatcher | None = None
        if len(self.human_seats) == 1:
            env = self.env.unwrapped
            self.watcher = HumanWatcher(ENV_ID, kwargs, env.observation_space.shape, int(env.action_space.n),
                                        predictor)
        elif predictor is not None:
            raise DojoError("the opponent model predicts a human player's moves; this game has no human or two")
        # Scores per seat and draws; with a human the seats swap each time "who starts" changes.
        self.wins = {"human": 0, "agent": 0, "seat0": 0, "seat1": 0, "draws": 0}
        self.hover_col: int | None = None
        self.banner: str | None = None
        self.banner_box: pygame.Rect | None = None  # where the last banner went (above the board, never on it)
        self.drop: dict[str, float] | None = None
        self.think_left = THINK_S
        self.winner = -1
        self.swap_pending = False
        self.rating = RatingKeeper.for_players(ENV_ID, players)  # None unless the human plays a ladder level
        self.new_game()

    # ---- game flow ---------------------------------------------------------------------------------------
    @property
    def human_turn(self) -> bool:
        return self.banner is None and self.drop is None and self.players[self.env.unwrapped.current_player] is None

    def busy(self) -> bool:
        """A disc falls, an agent thinks, agents play on: moving. The human's turn (once the model's guess is
        shown) and a result the human reads are still: hover and clicks arrive as events."""
        if self.human_turn:
            return self.watcher is not None and self.watcher.probabilities is None
        return not (self.banner is not None and self.human_seats)

    def new_game(self) -> None:
        if self.watcher is not None:
            self.watcher.new_game()
        if self.swap_pending:
            self.players.reverse()
            self.human_seats = [seat for seat, player in enumerate(self.players) if player is None]
            self.swap_pending = False
        self.env.reset(seed=self.seed + self.games)
        self.banner, self.drop, self.winner = None, None, -1
        self.think_left = THINK_S
        tell(self.players, "start_game")

    def swap_first(self) -> None:
        """Who starts: the human and the agent trade seats (seat 0 always moves first) from the next game on."""
        if not self.human_seats:
            return
        self.swap_pending = not self.swap_pending
        human_starts = (self.human_seats == [0]) != self.swap_pending
        self.toast("You start the next game" if human_starts else "The agent starts the next game")
        if not self.env.unwrapped.board.history and self.banner is None and self.drop is None:
            self.new_game()

    def legal(self, col: int) -> bool:
        return 0 <= col < COLS and bool(self.env.unwrapped.action_masks()[col])

    def play_column(self, col: int) -> None:
        """Start the falling-disc animation; the move is played when the disc lands."""
        env = self.env.unwrapped
        board = env.board
        mover = board.current_player
        if self.watcher is not None and self.players[mover] is None:
            self.watcher.observe(env.observation_for(1 - mover), col, env.action_masks())
        # An agent with an opponent model learns what its opponent (maybe the human) plays.
        tell([self.players[1 - mover]], "opponent_moved", env.observation_for(1 - mover), col, env.action_masks())
        row = board.landing_row(col)
        self.drop = {"col": col, "row": row, "y": -1.0, "speed": 0.0, "seat": board.current_player}

    def _land(self) -> None:
        col = int(self.drop["col"])
        self.drop = None
        _, _, terminated, _, info = self.env.step(col)
        self.think_left = THINK_S
        if terminated:
            self._finish(int(info["winner"]))

    def _finish(self, winner: int) -> None:
        self.winner = winner
        self.games += 1
        tell(self.players, "end_game")
        if self.watcher is not None:
            history = self.env.unwrapped.board.history
            self.watcher.game_over([[index % 2, col] for index, col in enumerate(history)], self.human_seats[0],
                                   winner)
        if self.rating is not None:
            self.rating.record(0.5 if winner < 0 else float(winner in self.human_seats))
        if winner < 0:
            self.wins["draws"] += 1
            self.banner = "Draw"
            return
        self.wins[f"seat{winner}"] += 1
        if self.human_seats:
            human_won = winner in self.human_seats
            self.wins["human" if human_won else "agent"] += 1
            self.banner = "You win!" if human_won else "The agent wins"
        else:
            self.banner = f"{'Blue' if winner == 0 else 'Red'} wins"

    # ---- input and time ----------------------------------------------------------------------------------
    def column_at(self, x: float) -> int | None:
        col = int((x - self.board_rect.x) // self.cell)
        return col if 0 <= col < COLS and self.board_rect.x <= x < self.board_rect.right else None

    def column_center(self, col: int) -> tuple[int, int]:
        """Screen point over the middle of column ``col`` (tests click here)."""
        return self.board_rect.x + int((col + 0.5) * self.cell), self.board_rect.y + self.cell // 2

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.MOUSEMOTION:
            self.hover_col = self.column_at(event.pos[0])
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.banner is not None:
                self.new_game()
                return
            col = self.column_at(event.pos[0])
            if col is not None and self.human_turn and self.legal(col):
                self.play_column(col)
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.leave()
            elif event.key == pygame.K_r:
                self.new_game()
            elif event.key == pygame.K_f:
                self.swap_first()
            elif event.key == pygame.K_p and self.watcher is not None:
                self.watcher.visible = not self.watcher.visible
            elif event.key in COLUMN_KEYS and self.human_turn and self.legal(COLUMN_KEYS[event.key]):
                self.play_column(COLUMN_KEYS[event.key])
            elif event.key in (pygame.K_SPACE, pygame.K_RETURN) and self.banner is not None:
                self.new_game()

    def update(self, dt: float) -> None:
        if self.drop is not None:
            scale = self.cell / 80.0
            self.drop["speed"] += GRAVITY * scale * dt
            self.drop["y"] += self.drop["speed"] * dt / self.cell
            if self.drop["y"] >= self.drop["row"]:
                self._land()
            return
        if self.banner is not None:
            if self.watcher is not None:
                self.watcher.settle()  # the banner is up: the learning pause goes unnoticed
            if not self.human_seats:
                # Agent against agent: the next game starts by itself after a moment.
                self.think_left -= dt
                if self.think_left < -1.5:
                    self.new_game()
            return
        env = self.env.unwrapped
        seat = env.current_player
        player = self.players[seat]
        if player is None:
            if self.watcher is not None and self.watcher.probabilities is None:
                self.watcher.expect(env.observation_for(1 - seat), env.action_masks())
            return
        self.think_left -= dt
        if self.think_left <= 0:
            obs = self.env.unwrapped.observation_for(seat)
            col = int(player.act(obs, self.env.unwrapped.action_masks()))
            if not self.legal(col):
                raise DojoError(f"{player.label} chose column {col + 1}, which is full or off the board")
            self.play_column(col)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.settle()
        close_env(self.env)

    # ---- drawing -----------------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        area, self.side = style.play_layout(size)
        # Above the board: the hover disc, and over it the prediction strip.
        # The band above the board also holds the result banner: keep room for it whatever the window's shape.
        self.cell = int(min(area.width / COLS, area.height / (ROWS + 1.9),
                            (area.height - style.BANNER_BAND - 16) / (ROWS + 0.2)))
        board_w, board_h = self.cell * COLS, self.cell * ROWS
        self.board_rect = pygame.Rect(0, 0, board_w, board_h)
        self.board_rect.midbottom = (area.centerx, area.bottom - int(self.cell * 0.2))
        self._overlay = self._board_overlay()
        self.strip_rect = pygame.Rect(self.board_rect.x, self.board_rect.y - int(self.cell * 1.6), board_w,
                                      int(self.cell * 0.45))

    def _board_overlay(self) -> pygame.Surface:
        """The blue board with see-through holes, drawn over the discs so a falling disc passes behind it."""
        hole_key = (255, 0, 255)
        overlay = pygame.Surface(self.board_rect.size)
        overlay.fill(theme.BOARD_BLUE)
        overlay.set_colorkey(hole_key)
        radius = int(self.cell * 0.4)
        for row in range(ROWS):
            for col in range(COLS):
                centre = (int((col + 0.5) * self.cell), int((row + 0.5) * self.cell))
                pygame.draw.circle(overlay, style.shade(theme.BOARD_BLUE, 0.75), centre, radius + 3)
                pygame.draw.circle(overlay, hole_key, centre, radius)
        return overlay

    def _disc(self, surface: pygame.Surface, centre: tuple[float, float], seat: int, alpha: int = 255) -> None:
        radius = int(self.cell * 0.4)
        color = theme.PLAYER_COLORS[seat]
        if alpha < 255:
            ghost = pygame.Surface((2 * radius + 2, 2 * radius + 2), pygame.SRCALPHA)
            pygame.draw.circle(ghost, (*color, alpha), (radius + 1, radius + 1), radius)
            surface.blit(ghost, (centre[0] - radius - 1, centre[1] - radius - 1))
            return
        pygame.draw.circle(surface, style.shade(color, 0.7), centre, radius)
        pygame.draw.circle(surface, color, centre, int(radius * 0.86))
        pygame.draw.circle(surface, style.shade(color, 1.15), centre, int(radius * 0.55), 3)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        board = self.env.unwrapped.board
        grid = board.to_grid()
        rect = self.board_rect
        pygame.draw.rect(surface, theme.HOLE, rect.inflate(8, 8), border_radius=14)
        for row in range(ROWS):
            for col in range(COLS):
                if grid[row, col] >= 0:
                    self._disc(surface, (rect.x + (col + 0.5) * self.cell, rect.y + (row + 0.5) * self.cell),
                               int(grid[row, col]))
        if self.drop is not None:
            y = rect.y + (self.drop["y"] + 0.5) * self.cell
            self._disc(surface, (rect.x + (self.drop["col"] + 0.5) * self.cell, y), int(self.drop["seat"]))
        surface.blit(self._overlay, rect)
        pygame.draw.rect(surface, style.shade(theme.BOARD_BLUE, 1.25), rect.inflate(8, 8), width=3, border_radius=14)
        if self.human_turn and self.hover_col is not None and self.legal(self.hover_col):
            seat = board.current_player
            x = rect.x + (self.hover_col + 0.5) * self.cell
            self._disc(surface, (x, rect.y - self.cell * 0.6), seat, alpha=150)
            highlight = pygame.Surface((self.cell, rect.height), pygame.SRCALPHA)
            highlight.fill((255, 255, 255, 22))
            surface.blit(highlight, (rect.x + self.hover_col * self.cell, rect.y))
        watcher = self.watcher
        if watcher is not None and watcher.visible and watcher.probabilities is not None and self.human_turn:
            draw_heat_strip(surface, self.strip_rect, watcher.probabilities)
        for col in range(COLS):
            style.draw_text(surface, str(col + 1), (rect.x + (col + 0.5) * self.cell, rect.bottom + 6), style.SMALL,
                            style.TEXT_DIM, "midtop")
        if self.banner is not None:
            for row, col in board.winning_cells():
                centre = (rect.x + (col + 0.5) * self.cell, rect.y + (row + 0.5) * self.cell)
                pygame.draw.circle(surface, theme.WIN_HIGHLIGHT, centre, int(self.cell * 0.42), 5)
            self._draw_banner(surface)
        self._draw_side(surface)

    def _draw_banner(self, surface: pygame.Surface) -> None:
        """Above the board (where the hover disc goes on a turn), so the winning four stays in view."""
        color = style.GOOD if self.banner == "You win!" else style.BAD if "agent" in self.banner else style.ACCENT
        self.banner_box = style.result_banner(surface, self.board_rect.inflate(8, 8), self.banner,
                                              "click or press R for a new game", color)

    def _draw_side(self, surface: pygame.Surface) -> None:
        side = self.side
        # A short window packs the panel (one-line seats, small score boxes) so the model's summary fits.
        compact = side.height < style.PLAY_COMPACT
        style.panel(surface, side)
        x, y, width = side.x + 20, side.y + 20, side.width - 40
        style.draw_text(surface, "CONNECT FOUR", (x, y), style.HEADING, style.ACCENT)
        y += 36 if compact else 50
        for seat, player in enumerate(self.players):
            pygame.draw.circle(surface, theme.PLAYER_COLORS[seat], (x + 10, y + 12), 10)
            name = "You" if player is None else player.label
            style.draw_text(surface, name, (x + 30, y + 2), style.LABEL, style.TEXT, max_width=width - 30)
            if not compact:
                style.draw_text(surface, "moves first" if seat == 0 else "moves second", (x + 30, y + 26),
                                style.SMALL, style.TEXT_DIM)
            y += 28 if compact else 58
        y += 6
        if self.human_seats:
            scores = [("You", self.wins["human"], style.GOOD), ("Agent", self.wins["agent"], style.BAD),
                      ("Draws", self.wins["draws"], style.TEXT_DIM)]
        else:
            scores = [("Blue", self.wins["seat0"], style.BLUE), ("Red", self.wins["seat1"], style.RED),
                      ("Draws", self.wins["draws"], style.TEXT_DIM)]
        y += style.score_boxes(surface, scores, (x, y), width, compact) + (12 if compact else 20)
        style.draw_text(surface, self._status(), (x, y), style.LABEL, style.TEXT, max_width=width)
        y += 28 if compact else 36
        hints = [("1-7", "drop"), ("F", "swap who starts"), ("R", "new game"), ("Esc", "back")] if self.human_seats \
            else [("R", "new game"), ("Esc", "back")]
        if self.watcher is not None:
            hints.insert(2, ("P", "prediction"))
        # The hints stand on the panel's bottom; everything above stops short of them.
        hints_y = side.bottom - 14 - style.key_hints_height(hints, width)
        bottom = hints_y - 8
        y += draw_rating(surface, self.rating, (x, y), width)
        y = style.text_lines(surface, self.note, (x, y), width, bottom, most=2 if compact else 4)
        if self.watcher is not None:
            self.watcher.draw_summary(surface, (x, y + (4 if compact else 10)), width,
                                      "the strip over the board is its guess of your next column", bottom)
        style.key_hints(surface, hints, (x, hints_y), width)

    def _status(self) -> str:
        if self.banner is not None:
            return f"Game {self.games} over"
        if self.drop is not None:
            return "..."
        seat = self.env.unwrapped.current_player
        if self.players[seat] is None:
            return "Your move"
        if self.human_seats:
            return "The agent is thinking..."
        return f"{'Blue' if seat == 0 else 'Red'} is thinking..."
