"""Watch training: the game live next to live plots, stats and what the agent thinks of each action (and, with an
autoencoder, the frame the agent sees next to its reconstruction)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pygame

from agents.trainer import Trainer
from ui import catalog, style
from ui.app import Screen
from ui.plots import draw_plot, export_png, history_plots
from ui.reconstruction import Reconstruction, reconstruction_for
from ui.selfplay import selfplay_view
from ui.session import DEFAULT_SPEED, SPEEDS, TrainingSession, View, exploration_name
from ui.widgets import Button, Pills

SPEED_LABELS = ("real time", "fast", "max")
PLOT_REFRESH_S = 0.3  # plots change slowly; redrawing them 3 times a second leaves the frame time to learning
COMPACT_SIDE = 520  # side panels shorter than this (windows under ~850 px high) get the compact stats and controls


def start_training(env_id: str | None, agent: str | None, *, checkpoint: str | Path | None = None,
                   steps: int | None = None, seed: int = 0, device: str = "auto", run_dir: str | Path | None = None,
                   preset: str = "tuned", speed: str = DEFAULT_SPEED) -> TrainingSession:
    """A Trainer (new, or resumed from ``checkpoint``) wrapped in a session; DojoError on bad input. ``preset``:
    ``tuned`` (the game's watch variant or tuned settings where presets.toml has them: catalog.watch_preset) or
    ``default`` (the agent's own). A resumed run keeps the preset it was started with."""
    variant = catalog.watch_preset(agent or "", env_id or "", preset) if checkpoint is None else None
    trainer = Trainer(agent or "", env_id or "", steps=steps, seed=seed, device=device, run_dir=run_dir,
                      resume=checkpoint, preset=variant, frames=True)
    if checkpoint is not None and trainer.done:
        # "Continue training" on a finished run means: train on, for another budget of the same size.
        trainer.total_steps = trainer.steps + (steps or trainer.total_steps)
        trainer.early_stop = False
    return TrainingSession(trainer, speed)


class WatchScreen(Screen):
    """Keys: Space pause, S/N single step, 1/2/3 or +/- speed, Ctrl+S or K save, P plots PNG, A autoencoder,
    Esc back. ``autoencoder``: one to show beside the game (default: the agent's own, if it has one)."""

    def __init__(self, session: TrainingSession, autoencoder: Reconstruction | None = None) -> None:
        super().__init__()
        self.session = session
        trainer = session.trainer
        self.autoencoder, self._ae_note = reconstruction_for(trainer, autoencoder)
        self.selfplay = selfplay_view(trainer)  # alphazero: its self-play game and search instead of env frames
        self.title = f"Watch {catalog.title(trainer.env_id)} ({trainer.agent})"
        self.exploration = exploration_name(trainer)
        self.speed_pills = Pills(SPEED_LABELS, SPEEDS.index(session.speed), self._set_speed)
        self.buttons = [
            Button("Pause", self.toggle_pause), Button("Step", self.session.single_step),
            Button("Save now", self.session.save_now), Button("Plots PNG", self.write_plots),
            Button("Back", self.leave),
        ]
        self._frame_surface: pygame.Surface | None = None
        self._frame_source: View | None = None
        self._plots: pygame.Surface | None = None
        self._plots_drawn = 0.0
        self.last_plot_path: Path | None = None
        self.closed_path: Path | None = None

    @property
    def fps(self) -> int:  # type: ignore[override]
        """60 frames a second; at max speed 36 (a margin above the 30 promised): every frame not drawn is time
        for the learner."""
        return 36 if self.session.speed == "max" and not self.session.finished else 60

    # ---- layout ------------------------------------------------------------------------------------------
    def resize(self, size: tuple[int, int]) -> None:
        super().resize(size)
        width, height = size
        pad = style.PAD
        side = max(330, min(440, int(width * 0.3)))
        self.header = pygame.Rect(pad, pad, width - 2 * pad, 44)
        footer_height = 24
        self.side = pygame.Rect(width - pad - side, self.header.bottom + pad, side,
                                height - self.header.bottom - 3 * pad - footer_height)
        left_width = self.side.x - 2 * pad
        plots_height = max(150, int(height * 0.27))
        self.plots_rect = pygame.Rect(pad, self.side.bottom - plots_height, left_width, plots_height)
        self.game_rect = pygame.Rect(pad, self.side.y, left_width, self.plots_rect.y - pad - self.side.y)
        self.footer = pygame.Rect(pad, height - pad - 20, width - 2 * pad, 20)
        self.speed_pills.layout(self.header.right - 300, self.header.y + 6, 300)
        # A short window (900x560 and below) gets the compact side: one-line stats, untitled smaller buttons, so
        # the action values keep a row per action (at 900x560 a Q-value row was dropped, issue 15).
        self.compact = self.side.height < COMPACT_SIDE
        self.stats_rect = pygame.Rect(self.side.x, self.side.y, side, 132 if self.compact else 178)
        button_h, button_gap, top = (32, 6, 10) if self.compact else (38, 8, 34)
        controls_h = top + 2 * button_h + button_gap + (10 if self.compact else 12)
        self.controls_rect = pygame.Rect(self.side.x, self.side.bottom - controls_h, side, controls_h)
        self.bars_rect = pygame.Rect(self.side.x, self.stats_rect.bottom + pad, side,
                                     self.controls_rect.y - pad - self.stats_rect.bottom - pad)
        third = (side - 24 - 16) // 3
        for index, button in enumerate(self.buttons):
            row, column = divmod(index, 3)
            button.rect = pygame.Rect(self.side.x + 12 + column * (third + 8),
                                      self.controls_rect.y + top + row * (button_h + button_gap), third, button_h)
        self._plots = None

    # ---- input -------------------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None:
        if self.speed_pills.handle_event(event):
            return
        for button in self.buttons:
            if button.handle_event(event):
                return
        if event.type != pygame.KEYDOWN:
            return
        key, ctrl = event.key, bool(event.mod & (pygame.KMOD_CTRL | pygame.KMOD_META))
        if key == pygame.K_ESCAPE:
            self.leave()
        elif key == pygame.K_SPACE:
            self.toggle_pause()
        elif (key == pygame.K_s and ctrl) or key == pygame.K_k:
            self.session.save_now()
        elif key in (pygame.K_s, pygame.K_n):
            self.session.single_step()
        elif key in (pygame.K_1, pygame.K_2, pygame.K_3):
            self.speed_pills.select(key - pygame.K_1)
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS):
            self.speed_pills.select(min(len(SPEEDS) - 1, self.speed_pills.selected + 1))
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.speed_pills.select(max(0, self.speed_pills.selected - 1))
        elif key == pygame.K_p:
            self.write_plots()
        elif key == pygame.K_a and self.autoencoder is not None:
            self.autoencoder.visible = not self.autoencoder.visible

    def toggle_pause(self) -> None:
        self.session.set_paused(not self.session.paused)

    def _set_speed(self, index: int) -> None:
        self.session.set_speed(SPEEDS[index])

    def write_plots(self) -> None:
        trainer = self.session.trainer
        path = export_png(trainer.run_dir / "plots.png",
                          f"{catalog.title(trainer.env_id)} - {trainer.agent} - {trainer.run_dir.name}",
                          trainer.history, trainer.threshold, self.exploration)
        self.last_plot_path = path
        self.toast(f"Wrote the curves to {path}")

    # ---- time --------------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self.session.update(dt)
        while self.session.messages:
            text, error = self.session.messages.popleft()
            self.toast(text, error)
        if self._ae_note:
            self.toast(self._ae_note, error=True)
            self._ae_note = ""
        if self.autoencoder is not None:
            self.autoencoder.update(self.session.view)
        self.buttons[0].label = "Resume" if self.session.paused else "Pause"
        self.buttons[1].enabled = not self.session.finished

    def close(self) -> None:
        self.closed_path = self.session.close()
        if self.closed_path is not None:
            print(f"Saved {self.closed_path}")

    # ---- drawing -----------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)
        self._draw_header(surface)
        self._draw_game(surface)
        now = time.perf_counter()
        if self._plots is None or now - self._plots_drawn >= PLOT_REFRESH_S:
            self._plots = self._render_plots()
            self._plots_drawn = now
        surface.blit(self._plots, self.plots_rect)
        self._draw_stats(surface)
        self._draw_bars(surface)
        style.panel(surface, self.controls_rect)
        if not self.compact:
            style.draw_text(surface, "CONTROLS", (self.controls_rect.x + 12, self.controls_rect.y + 10), style.SMALL,
                            style.TEXT_DIM)
        for button in self.buttons:
            button.draw(surface)
        hints = [("Space", "pause"), ("S", "step"), ("1 2 3", "speed"), ("Ctrl+S", "save"), ("P", "plots PNG"),
                 ("Esc", "save & back")]
        if self.autoencoder is not None:
            hints.insert(5, ("A", "autoencoder"))
        style.key_hints(surface, hints, self.footer.topleft, self.footer.width)

    def _status(self) -> tuple[str, style.Color]:
        session, trainer = self.session, self.session.trainer
        if session.error:
            return "STOPPED", style.BAD
        if session.finished:
            return ("SOLVED" if trainer.solved_at is not None else "FINISHED"), style.GOOD
        if session.paused:
            return "PAUSED", style.ACCENT
        return "LEARNING", style.BLUE

    def _draw_header(self, surface: pygame.Surface) -> None:
        trainer = self.session.trainer
        x = self.header.x
        rect = style.draw_text(surface, "DOJO", (x, self.header.centery), style.HEADING, style.ACCENT, "midleft")
        text = f"{catalog.title(trainer.env_id)}  ·  {trainer.agent.upper()}  ·  preset {trainer.preset_name}"
        label, color = self._status()
        chip_width = style.font(style.BODY).size(label)[0] + 24
        # The title gives way (an ellipsis) before the status chip runs into the speed choice on narrow windows.
        speed_left = self.speed_pills.rects[0].x - 10 - style.font(style.SMALL).size("speed")[0]
        rect = style.draw_text(surface, text, (rect.right + 18, self.header.centery), style.LABEL, style.TEXT,
                               "midleft", max_width=speed_left - 18 - chip_width - 18 - rect.right - 18)
        chip = pygame.Rect(rect.right + 18, self.header.centery - 14, chip_width, 28)
        style.panel(surface, chip, color, radius=14)
        style.draw_text(surface, label, chip.center, style.BODY, style.BACKGROUND, "center")
        style.draw_text(surface, "speed", (self.speed_pills.rects[0].x - 10, self.header.centery), style.SMALL,
                        style.TEXT_DIM, "midright")
        self.speed_pills.draw(surface)

    def _draw_game(self, surface: pygame.Surface) -> None:
        style.panel(surface, self.game_rect, style.PANEL_DARK)
        if self.selfplay is not None and self.selfplay.draw_game(surface, self.game_rect):
            return
        view = self.session.view
        activity = self.session.activity()
        if view is None:
            style.draw_text(surface, activity or "starting...", self.game_rect.center, style.LABEL, style.TEXT_DIM,
                            "center", max_width=self.game_rect.width - 28)
            return
        if view is not self._frame_source:
            self._frame_surface = style.array_to_surface(view.frame)
            self._frame_source = view
        area = self.game_rect.inflate(-24, -56)
        area.y = self.game_rect.y + 44
        if self.autoencoder is not None and self.autoencoder.visible:
            width = min(area.width // 2, 2 * (area.height - 96) + 12)
            self.autoencoder.draw(surface, pygame.Rect(area.right - width, area.y, width, area.height))
            area.width -= width + 16
        style.blit_frame(surface, self._frame_surface, area)
        trainer = self.session.trainer
        if view.source == "training":
            caption = f"training episode {trainer.learner.episodes + 1:,}  ·  return so far {view.episode_return:.1f}"
        else:
            shown = self.session.exhibition.episodes + 1
            caption = f"exhibition {shown:,}: greedy policy  ·  return {view.episode_return:.1f}"
        room = self.game_rect.width - 28
        if self.session.speed == "max" and not self.session.finished:
            flat_out = style.draw_text(surface, "learning flat out", (self.game_rect.right - 14, self.game_rect.y + 14),
                                       style.BODY, style.ACCENT, "topright")
            room -= flat_out.width + 16
        style.draw_text(surface, caption, (self.game_rect.x + 14, self.game_rect.y + 14), style.BODY, style.TEXT,
                        max_width=room)
        if activity is not None:
            style.draw_text(surface, activity, (self.game_rect.centerx, self.game_rect.bottom - 24), style.BODY,
                            style.ACCENT, "center", max_width=self.game_rect.width - 28)

    def _render_plots(self) -> pygame.Surface:
        trainer = self.session.trainer
        canvas = pygame.Surface(self.plots_rect.size)
        canvas.fill(style.BACKGROUND)
        plots = history_plots(trainer.history, trainer.threshold, self.exploration)
        columns = 4 if self.plots_rect.width >= 760 else 2
        rows = math.ceil(len(plots) / columns)
        gap = 10
        cell_w = (self.plots_rect.width - gap * (columns - 1)) // columns
        cell_h = (self.plots_rect.height - gap * (rows - 1)) // rows
        for index, (name, series, line) in enumerate(plots):
            row, column = divmod(index, columns)
            draw_plot(canvas, pygame.Rect(column * (cell_w + gap), row * (cell_h + gap), cell_w, cell_h), name,
                      series, threshold=line)
        return canvas

    def _draw_stats(self, surface: pygame.Surface) -> None:
        session, trainer = self.session, self.session.trainer
        rect = self.stats_rect
        style.panel(surface, rect)
        style.draw_text(surface, "RUN", (rect.x + 12, rect.y + 10), style.SMALL, style.TEXT_DIM)
        style.draw_text(surface, trainer.run_dir.name, (rect.right - 12, rect.y + 10), style.SMALL, style.TEXT_DIM,
                        "topright", max_width=rect.width - 70)
        elapsed = int(session.elapsed)
        stats = trainer.learner.stats()
        explore = stats.get("epsilon", stats.get("entropy", float("nan")))
        recent = sum(trainer.recent_returns) / len(trainer.recent_returns) if trainer.recent_returns else None
        best = trainer.best_eval if math.isfinite(trainer.best_eval) else None
        cells = [
            ("step", f"{trainer.steps:,} / {trainer.total_steps:,}"), ("episode", f"{trainer.learner.episodes:,}"),
            ("steps/s", "evaluating" if session.evaluating else f"{session.steps_per_second:,.0f}"),
            ("elapsed", f"{elapsed // 60}:{elapsed % 60:02d}"),
            ("avg return (20)", "-" if recent is None else f"{recent:.1f}"),
            ("best eval", "-" if best is None else f"{best:.1f}"),
            (self.exploration, "-" if math.isnan(explore) else f"{explore:.3f}"), ("device", str(trainer.device)),
        ]
        column_w = (rect.width - 24) // 2
        if self.compact:
            # One line a cell ("name value"), the step count on a row of its own (it is the longest).
            for index, (name, value) in enumerate(cells):
                row, column = divmod(index + 1, 2) if index else (0, 0)
                x, y = rect.x + 12 + column * column_w, rect.y + 30 + row * 20
                width = rect.width - 24 if index == 0 else column_w - 8
                label = style.draw_text(surface, name, (x, y + 2), style.SMALL, style.TEXT_DIM)
                style.draw_text(surface, value, (label.right + 6, y), style.BODY, style.TEXT,
                                max_width=width - label.width - 6)
            return
        for index, (name, value) in enumerate(cells):
            row, column = divmod(index, 2)
            x, y = rect.x + 12 + column * column_w, rect.y + 34 + row * 36
            style.draw_text(surface, name, (x, y), style.SMALL, style.TEXT_DIM)
            style.draw_text(surface, value, (x, y + 14), style.LABEL, style.TEXT, max_width=column_w - 8)

    def _draw_bars(self, surface: pygame.Surface) -> None:
        rect = self.bars_rect
        if self.selfplay is not None:
            self.selfplay.draw_search(surface, rect)
            return
        style.panel(surface, rect)
        view = self.session.view
        explanation = self.session.explain(view) if view is not None else None
        title = {"q_values": "Q-VALUES", "probabilities": "ACTION PROBABILITIES",
                 "gaussian": "ACTION (mean ± std)"}.get(explanation["kind"] if explanation else "", "ACTIONS")
        style.draw_text(surface, title, (rect.x + 12, rect.y + 10), style.SMALL, style.TEXT_DIM)
        if explanation is None or rect.height < 60:
            return
        if explanation["kind"] == "gaussian":
            values, spread = explanation["mean"], explanation["std"]
        else:
            values, spread = explanation["values"], None
        labels = catalog.action_labels(self.session.trainer.env_id, len(values))
        bars = pygame.Rect(rect.x + 12, rect.y + 34, rect.width - 24, min(rect.height - 44, 30 * len(values)))
        draw_action_bars(surface, bars, labels, values, explanation["kind"], spread)
        y = bars.bottom + 14
        for line in style.wrap_text(self._bars_note(explanation["kind"]), style.SMALL, rect.width - 24):
            if y + 18 > rect.bottom:
                break
            style.draw_text(surface, line, (rect.x + 12, y), style.SMALL, style.TEXT_DIM)
            y += 19

    def _bars_note(self, kind: str) -> str:
        """What the bars mean, for people new to RL."""
        stats = self.session.trainer.learner.stats()
        if kind == "q_values":
            note = "Expected return of each action from this state; the greedy choice is highlighted."
            if "epsilon" in stats:
                note += f" While training, {100 * stats['epsilon']:.0f}% of moves are random (exploration)."
            return note
        if kind == "probabilities":
            return "How likely the policy is to pick each action; training samples from these, the greedy " \
                   "exhibition takes the most likely one."
        return "The policy's torque: the mean it would apply, with its spread (the bar's whisker)."


def draw_action_bars(surface: pygame.Surface, rect: pygame.Rect, labels: list[str], values: list[float],
                     kind: str, spread: list[float] | None = None) -> None:
    """One row per action: label, bar, value; the greedy action in the accent colour."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return
    best = max(range(len(values)), key=lambda i: values[i] if math.isfinite(values[i]) else -math.inf)
    row_h = max(16, min(32, rect.height // max(1, len(values))))
    label_w, value_w = 64, 64
    bar_area = rect.width - label_w - value_w
    low, high = min(finite), max(finite)
    if kind == "gaussian":
        low, high = -max(abs(low) + max(spread or [0]), 1.0), max(abs(high) + max(spread or [0]), 1.0)
    for index, (label, value) in enumerate(zip(labels, values)):
        y = rect.y + index * row_h
        if y + row_h > rect.bottom + 2:
            break
        style.draw_text(surface, label, (rect.x, y + row_h // 2), style.BODY, style.TEXT, "midleft",
                        max_width=label_w - 6)
        track = pygame.Rect(rect.x + label_w, y + 4, bar_area, row_h - 8)
        pygame.draw.rect(surface, style.PANEL_DARK, track, border_radius=4)
        if not math.isfinite(value):
            style.draw_text(surface, "illegal", track.center, style.SMALL, style.TEXT_DIM, "center")
            continue
        color = style.ACCENT if index == best else style.BLUE
        if kind == "probabilities":
            fraction = max(0.0, min(1.0, value))
        elif kind == "gaussian":
            fraction = (value - low) / (high - low)
        else:
            # Q-values: only their order and gaps matter; the worst action still gets a sliver of bar.
            fraction = 0.08 + 0.92 * ((value - low) / (high - low) if high > low else 1.0)
        if kind == "gaussian":
            centre = track.x + track.width * (-low) / (high - low)
            x = track.x + track.width * fraction
            pygame.draw.rect(surface, color, pygame.Rect(min(centre, x), track.y, max(2, abs(x - centre)),
                                                         track.height), border_radius=4)
            if spread is not None:
                half = track.width * spread[index] / (high - low)
                pygame.draw.line(surface, style.TEXT, (x - half, track.centery), (x + half, track.centery), 2)
        else:
            pygame.draw.rect(surface, color, pygame.Rect(track.x, track.y, max(4, int(track.width * fraction)),
                                                         track.height), border_radius=4)
        shown = f"{value:.2f}" if kind != "probabilities" else f"{100 * value:.0f}%"
        style.draw_text(surface, shown, (rect.right, y + row_h // 2), style.BODY,
                        color if index == best else style.TEXT, "midright")
