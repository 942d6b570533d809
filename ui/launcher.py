"""The launcher: pick a game (tiles with thumbnails), an agent and a preset or a saved checkpoint, then go."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pygame

import envs
from agents import AGENT_NAMES
from agents.errors import DojoError
from envs import registry
from ui import actions, catalog, style
from ui.app import Screen
from ui.gameenv import close_env, make_display_env
from ui.runs import RunInfo, best_for, scan_runs
from ui.widgets import Button, Pills

COLUMNS = 4
RECENT_ROWS = 6
# How many random moves into a game its thumbnail is drawn.
THUMB_STEPS = {game.env_id: steps for game, steps in ((registry.SNAKE, 6), (registry.TRON, 9),
                                                      (registry.CONNECT_FOUR, 9), (registry.MAZE, 10),
                                                      (registry.CARTPOLE, 8), (registry.ACROBOT, 20),
                                                      (registry.MOUNTAIN_CAR, 30), (registry.PENDULUM, 5))}


def thumbnail(env_id: str) -> pygame.Surface:
    """A frame of the game a few random (legal) moves in; DojoError when the game cannot be made."""
    env = make_display_env(env_id)
    rng = np.random.default_rng(3)
    try:
        _, info = env.reset(seed=3)
        env.action_space.seed(3)
        for _ in range(THUMB_STEPS.get(env_id, 5)):
            mask = info.get("action_mask")
            action = int(rng.choice(np.flatnonzero(mask))) if mask is not None and np.any(mask) \
                else env.action_space.sample()
            _, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
        return style.array_to_surface(env.render())
    except (ValueError, RuntimeError) as error:
        raise DojoError(f"{catalog.title(env_id)} failed to render: {error}") from None
    finally:
        close_env(env)


class LauncherScreen(Screen):
    title = "Dojo"

    def __init__(self) -> None:
        super().__init__()
        self.games = envs.all_env_ids()
        self.selected = 0
        self.hovered = -1
        self.thumbs: dict[str, pygame.Surface | None] = {}
        self.unavailable: dict[str, str] = {}
        self.checkpoints: dict[str, RunInfo | None] = {}
        self._scanned = 0.0
        self.agent_pills = Pills(list(AGENT_NAMES), 0, lambda _: self._agent_changed())
        self.preset_pills = Pills(["tuned", "default"])
        self.watch_button = Button("Watch training", self.watch, pygame.K_w, primary=True)
        self.continue_button = Button("Continue training", self.continue_training, pygame.K_c)
        self.play_button = Button("Play", self.play, pygame.K_p)
        self.versus_button = Button("Agent vs agent", self.versus, pygame.K_v)
        self.browse_button = Button("Browse runs", self.browse, pygame.K_b)
        self.buttons = [self.watch_button, self.continue_button, self.play_button, self.versus_button,
                        self.browse_button]
        self.tiles: list[pygame.Rect] = []
        self.recent: list[RunInfo] = []
        self.recent_rows: list[pygame.Rect] = []
        self.select(0)

    def busy(self) -> bool:
        return False  # the thumbnails are still frames, and nothing claims they are live: only input changes it

    # ---- state -------------------------------------------------------------------------------------------
    @property
    def env_id(self) -> str:
        return self.games[self.selected]

    @property
    def agent(self) -> str:
        return self.agent_pills.options[self.agent_pills.selected]

    @property
    def checkpoint(self) -> RunInfo | None:
        if self.env_id not in self.checkpoints:
            self.checkpoints[self.env_id] = best_for(self.env_id)
        return self.checkpoints[self.env_id]

    def use_checkpoint(self, info: RunInfo) -> None:
        """The browser's "use in launcher": select its game and agent and keep the checkpoint."""
        if info.env_id in self.games:
            self.select(self.games.index(info.env_id))
            self.checkpoints[info.env_id] = info
            if info.agent in self.agent_pills.options:
                self.agent_pills.select(self.agent_pills.options.index(info.agent))

    def select(self, index: int) -> None:
        self.selected = index % len(self.games)
        env_id = self.env_id
        try:
            disabled = [catalog.agent_fit(agent, env_id) is not None for agent in AGENT_NAMES]
        except DojoError as error:
            self.unavailable[env_id] = str(error)
            disabled = [True] * len(AGENT_NAMES)
        self.agent_pills.disabled = disabled
        if disabled[self.agent_pills.selected] and not all(disabled):
            self.agent_pills.selected = disabled.index(False)
        self._agent_changed()

    def _agent_changed(self) -> None:
        try:
            choices = catalog.preset_choices(self.agent, self.env_id)
        except DojoError:
            choices = ["default"]
        self.preset_pills.options = choices
        self.preset_pills.disabled = [False] * len(choices)
        self.preset_pills.selected = 0
        self._layout_side()
        two = catalog.is_two_player(self.env_id)
        available = self.env_id not in self.unavailable
        self.play_button.label = "Play against the agent" if two else "Play yourself"
        self.versus_button.enabled = two and available
        self.play_button.enabled = available
        self.watch_button.enabled = available and not self.agent_pills.disabled[self.agent_pills.selected]
        self.continue_button.enabled = available and self.checkpoint is not None

    # ---- actions -----------------------------------------------------------------------------------------
    def _open(self, make: Callable[[], Screen]) -> None:
        if self.app is not None:
            self.app.open(make)

    def watch(self) -> None:
        from ui.watch import WatchScreen, start_training

        preset = self.preset_pills.options[self.preset_pills.selected]
        self._open(lambda: WatchScreen(start_training(self.env_id, self.agent, preset=preset)))

    def continue_training(self) -> None:
        info = self.checkpoint
        if info is None:
            self.toast("No saved run for this game yet: watch one train first", error=True)
            return
        path = info.last or info.best
        if info.agent != self.agent:
            # The saved run goes on with its own agent and settings: say so rather than ignore the pick.
            self.toast(f"Continuing {info.name} with its own agent, {info.agent} (not the {self.agent} picked: "
                       f"Watch training starts a new {self.agent} run)")
        self._open(lambda: actions.continue_training(path))

    def play(self, versus: str | None = None) -> None:
        info = self.checkpoint
        path = info.checkpoint if info is not None else None
        self._open(lambda: actions.play_against(self.env_id, path, versus, pick_level=versus is None))

    def versus(self) -> None:
        self.play(versus=catalog.default_bot(self.env_id))

    def browse(self) -> None:
        from ui.browser import BrowserScreen

        self._open(lambda: BrowserScreen(on_use=self.use_checkpoint))

    # ---- input -------------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if self.agent_pills.handle_event(event) or self.preset_pills.handle_event(event):
            return
        for button in self.buttons:
            if button.handle_event(event):
                return
        if event.type == pygame.MOUSEMOTION:
            self.hovered = next((i for i, rect in enumerate(self.tiles) if rect.collidepoint(event.pos)), -1)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for index, rect in enumerate(self.tiles):
                if rect.collidepoint(event.pos):
                    self.select(index)
            for info, rect in zip(self.recent, self.recent_rows):
                if rect.collidepoint(event.pos):
                    self.use_checkpoint(info)
        elif event.type == pygame.KEYDOWN:
            moves = {pygame.K_LEFT: -1, pygame.K_RIGHT: 1, pygame.K_UP: -COLUMNS, pygame.K_DOWN: COLUMNS}
            if event.key == pygame.K_ESCAPE:
                self.leave()
            elif event.key in moves:
                self.select(self.selected + moves[event.key])
            elif event.key in (pygame.K_a, pygame.K_TAB):
                self.agent_pills.cycle(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            elif event.key == pygame.K_t:
                self.preset_pills.cycle()
            elif event.key == pygame.K_RETURN:
                self.watch_button.press()

    # ---- layout and drawing ------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        if time.monotonic() - self._scanned > 1.0:
            # Back from watching or the browser: new runs may exist.
            self.checkpoints.clear()
            self._scanned = time.monotonic()
        width, height = size
        pad = style.PAD
        side = max(340, min(430, int(width * 0.32)))
        self.side = pygame.Rect(width - pad - side, 96, side, height - 96 - pad)
        grid = pygame.Rect(pad, 96, self.side.x - 2 * pad, height - 96 - pad)
        rows = (len(self.games) + COLUMNS - 1) // COLUMNS
        gap = 14
        tile_w = (grid.width - gap * (COLUMNS - 1)) // COLUMNS
        tile_h = min((grid.height - 150 - gap * rows) // rows, int(tile_w * 1.05))
        self.tiles = [pygame.Rect(grid.x + (i % COLUMNS) * (tile_w + gap), grid.y + (i // COLUMNS) * (tile_h + gap),
                                  tile_w, tile_h) for i in range(len(self.games))]
        top = self.tiles[-1].bottom + gap
        self.recent_rect = pygame.Rect(grid.x, top, grid.width, grid.bottom - top)
        self.footer = pygame.Rect(self.recent_rect.x + 14, self.recent_rect.bottom - 30, self.recent_rect.width - 28,
                                  22)  # the key hints: toasts stack above them
        if not self.recent or time.monotonic() - self._scanned < 0.1:
            self.recent = scan_runs()[0][:RECENT_ROWS]
        self.recent_rows = [pygame.Rect(self.recent_rect.x + 8, self.recent_rect.y + 34 + i * 30,
                                        self.recent_rect.width - 16, 28)
                            for i in range(len(self.recent))
                            if self.recent_rect.y + 34 + (i + 1) * 30 <= self.recent_rect.bottom - 34]
        self._layout_side()
        self._agent_changed()

    def _layout_side(self) -> None:
        """Top down: title, blurb, agent pills, preset pills, saved agent; the buttons sit at the bottom. A short
        window (the minimum, 800x520) gets the compact form: one blurb line, tighter gaps, lower buttons."""
        if not hasattr(self, "side"):
            return
        x, width = self.side.x + 20, self.side.width - 40
        self.compact = self.side.height < 480
        self.blurb_lines = 1 if self.compact else 2
        self.agent_pills.layout(x, self.side.y + (108 if self.compact else 130), width)
        self.preset_pills.layout(x, self.agent_pills.rects[-1].bottom + (30 if self.compact else 40), width)
        # The watch button spans the panel; the other four share two rows.
        bottom = self.side.bottom - 20
        half = (width - 10) // 2
        row_h, watch_h, gap = (36, 38, 6) if self.compact else (40, 44, 8)
        for index, button in enumerate(self.buttons[1:]):
            row, column = divmod(index, 2)
            button.rect = pygame.Rect(x + column * (half + 10), bottom - (2 - row) * (row_h + gap) + gap, half, row_h)
        self.watch_button.rect = pygame.Rect(x, self.buttons[1].rect.y - gap - watch_h, width, watch_h)
        # Room for the preset summary (one line) and the saved agent (three lines) above the buttons?
        room = self.watch_button.rect.y - self.preset_pills.rects[-1].bottom
        self.show_summary = room >= 100
        self.saved_y = self.preset_pills.rects[-1].bottom + (40 if self.show_summary else 14)
        self.saved_lines = 3 if room >= 80 else (1 if room >= 34 else 0)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        style.draw_text(surface, "DOJO", (style.PAD + 4, 22), style.TITLE, style.ACCENT)
        style.draw_text(surface, "Watch agents learn. Play against them.", (style.PAD + 130, 38), style.LABEL,
                        style.TEXT_DIM)
        for index, (env_id, rect) in enumerate(zip(self.games, self.tiles)):
            self._draw_tile(surface, index, env_id, rect)
        self._draw_recent(surface)
        self._draw_side(surface)

    def _draw_recent(self, surface: pygame.Surface) -> None:
        rect = self.recent_rect
        if rect.height < 70:
            return
        style.panel(surface, rect)
        style.draw_text(surface, "RECENT RUNS", (rect.x + 14, rect.y + 12), style.SMALL, style.TEXT_DIM)
        style.draw_text(surface, "click one to use its agent", (rect.right - 14, rect.y + 12), style.SMALL,
                        style.TEXT_DIM, "topright")
        if not self.recent:
            text = "No saved runs yet. Pick a game and press Watch training: the agent learns while you watch, " \
                   "and is saved when you close the screen."
            for index, line in enumerate(style.wrap_text(text, style.BODY, rect.width - 28)[:2]):
                style.draw_text(surface, line, (rect.x + 14, rect.y + 40 + 24 * index), style.BODY, style.TEXT)
        for info, row in zip(self.recent, self.recent_rows):
            chosen = self.checkpoints.get(info.env_id) is info
            if chosen:
                style.panel(surface, row, style.PANEL_HOVER, style.ACCENT, radius=8)
            best = "-" if info.best_eval is None else f"{info.best_eval:.1f}"
            columns = [(info.name, 0.0), (catalog.title(info.env_id), 0.45), (info.agent, 0.62),
                       (f"best eval {best}", 0.74)]
            for text, fraction in columns:
                style.draw_text(surface, text, (row.x + 8 + fraction * row.width, row.centery), style.BODY,
                                style.TEXT, "midleft", max_width=int(row.width * 0.44))
        style.key_hints(surface, [("Arrows", "game"), ("A", "agent"), ("T", "preset"), ("Enter", "watch"),
                                  ("B", "all runs"), ("Esc", "quit")], self.footer.topleft,
                        self.footer.width)

    def _draw_tile(self, surface: pygame.Surface, index: int, env_id: str, rect: pygame.Rect) -> None:
        selected, hovered = index == self.selected, index == self.hovered
        style.panel(surface, rect, style.PANEL_HOVER if hovered else style.PANEL,
                    style.ACCENT if selected else (style.TEXT_DIM if hovered else None), width=3)
        if env_id not in self.thumbs:
            try:
                self.thumbs[env_id] = thumbnail(env_id)
            except DojoError as error:
                self.thumbs[env_id] = None
                self.unavailable[env_id] = str(error)
        picture = pygame.Rect(rect.x + 10, rect.y + 10, rect.width - 20, rect.height - 70)
        pygame.draw.rect(surface, style.PANEL_DARK, picture, border_radius=8)
        thumb = self.thumbs[env_id]
        if thumb is not None:
            style.blit_frame(surface, thumb, picture.inflate(-6, -6))
        else:
            style.draw_text(surface, "unavailable", picture.center, style.BODY, style.BAD, "center")
        style.draw_text(surface, catalog.title(env_id), (rect.x + 14, rect.bottom - 52), style.LABEL,
                        style.ACCENT if selected else style.TEXT)
        two = catalog.is_two_player(env_id)
        tag = "2 players" if two else "1 player"
        style.draw_text(surface, tag, (rect.x + 14, rect.bottom - 26), style.SMALL, style.TEXT_DIM)

    def _draw_side(self, surface: pygame.Surface) -> None:
        side = self.side
        style.panel(surface, side)
        x, width = side.x + 20, side.width - 40
        env_id = self.env_id
        style.draw_text(surface, catalog.title(env_id), (x, side.y + 18), style.HEADING, style.TEXT)
        y = side.y + 56
        text = self.unavailable.get(env_id) or catalog.blurb(env_id) or env_id
        for line in style.wrap_text(text, style.BODY, width)[:self.blurb_lines]:
            style.draw_text(surface, line, (x, y), style.BODY, style.BAD if env_id in self.unavailable else
                            style.TEXT_DIM, max_width=width)
            y += 22
        style.draw_text(surface, "AGENT", (x, self.agent_pills.rects[0].y - 22), style.SMALL, style.TEXT_DIM)
        self.agent_pills.draw(surface)
        hovered = self.agent_pills.hovered
        if 0 <= hovered < len(AGENT_NAMES) and self.agent_pills.disabled[hovered] and env_id not in self.unavailable:
            reason = catalog.agent_fit(AGENT_NAMES[hovered], env_id) or ""
            style.draw_text(surface, reason, (x, self.agent_pills.rects[-1].bottom + 4), style.SMALL, style.BAD)
        style.draw_text(surface, "PRESET", (x, self.preset_pills.rects[0].y - 22), style.SMALL, style.TEXT_DIM)
        self.preset_pills.draw(surface)
        fits = env_id not in self.unavailable and not self.agent_pills.disabled[self.agent_pills.selected]
        if self.show_summary and fits:
            preset = self.preset_pills.options[self.preset_pills.selected]
            style.draw_text(surface, catalog.preset_summary(self.agent, env_id, preset),
                            (x, self.preset_pills.rects[-1].bottom + 10), style.SMALL, style.TEXT_DIM, max_width=width)
        y = self.saved_y
        info = self.checkpoint
        if self.saved_lines == 1:  # the compact form: one line
            line = "saved agent: none yet" if info is None else f"saved agent: {info.name} ({info.agent})"
            style.draw_text(surface, line, (x, y), style.SMALL, style.TEXT_DIM, max_width=width)
        elif self.saved_lines == 0:
            pass
        elif info is None:
            style.draw_text(surface, "SAVED AGENT", (x, y), style.SMALL, style.TEXT_DIM)
            opponent = catalog.default_bot(env_id)
            line = f"none yet (plays the built-in {opponent})" if opponent else "none yet: watch one train"
            style.draw_text(surface, line, (x, y + 20), style.BODY, style.TEXT, max_width=width)
        else:
            style.draw_text(surface, "SAVED AGENT", (x, y), style.SMALL, style.TEXT_DIM)
            best = "-" if info.best_eval is None else f"{info.best_eval:.1f}"
            style.draw_text(surface, info.name, (x, y + 20), style.BODY, style.TEXT, max_width=width)
            style.draw_text(surface, f"{info.agent}  ·  {info.steps:,} steps  ·  best eval {best}", (x, y + 42),
                            style.SMALL, style.TEXT_DIM, max_width=width)
        for button in self.buttons:
            button.draw(surface)
