"""The one window and its loop: a stack of screens, events from the queue, a real or a fake clock.

A screen is any object with ``resize(size)``, ``handle_event(event)``, ``update(dt)``, ``draw(surface)`` and
``close()``. The App owns the window (envs only hand it RGB frames), pumps events every frame and gives each one
to the top screen, so tests drive everything with ``pygame.event.post`` and ``App.run(frames=N, dt=...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pygame

from agents.errors import DojoError
from ui import style
from ui.widgets import Toasts

DEFAULT_SIZE = (1280, 800)
MIN_SIZE = (800, 520)


class Screen:
    """Base class: a full-window view. ``app`` is set when the screen is pushed."""

    fps = 60
    title = "Dojo"

    def __init__(self) -> None:
        self.app: App | None = None
        self.size = DEFAULT_SIZE

    def resize(self, size: tuple[int, int]) -> None:
        """Called before the first event and on every window resize: lay out rects here."""
        self.size = size

    def handle_event(self, event: pygame.event.Event) -> None:
        """One input event from the queue."""

    def update(self, dt: float) -> None:
        """Advance ``dt`` seconds of the screen's own time (animations, ticks, learning)."""

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(style.BACKGROUND)

    def close(self) -> None:
        """The screen leaves for good: save what must be saved and free envs."""

    def toast(self, text: str, error: bool = False) -> None:
        if self.app is not None:
            (self.app.toasts.error if error else self.app.toasts.info)(text)

    def leave(self) -> None:
        """Back to the screen below (the launcher), or quit when this is the only one."""
        if self.app is not None:
            self.app.pop()


class App:
    """The window, its screen stack and the frame loop."""

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE, surface: pygame.Surface | None = None) -> None:
        # No sound anywhere in Dojo; a dummy audio driver keeps SDL from probing (and warning about) sound cards
        # when gymnasium's renderers call pygame.init().
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        pygame.display.init()
        style.font(style.BODY)  # inits pygame.font, dropping fonts cached before a pygame.quit() (they would crash)
        if surface is None:
            pygame.display.set_caption("Dojo")
            surface = pygame.display.set_mode(size, pygame.RESIZABLE)
            self.windowed = True
        else:
            self.windowed = False
        self.surface = surface
        self.stack: list[Screen] = []
        self.toasts = Toasts()
        self.running = True
        self.frames = 0
        self._clock = pygame.time.Clock()

    # ---- navigation ------------------------------------------------------------------------------------
    @property
    def screen(self) -> Screen | None:
        return self.stack[-1] if self.stack else None

    def push(self, screen: Screen) -> None:
        """Show ``screen`` on top (an app that had quit runs again with it)."""
        screen.app = self
        self.running = True
        screen.resize(self.surface.get_size())
        self.stack.append(screen)
        self._set_caption(screen)

    def pop(self) -> None:
        if self.stack:
            self.stack.pop().close()
        if not self.stack:
            self.running = False
            return
        self.stack[-1].resize(self.surface.get_size())
        self._set_caption(self.stack[-1])

    def open(self, make_screen: Callable[[], Screen]) -> bool:
        """Push the screen that ``make_screen()`` builds; a user error becomes a toast instead of a crash."""
        try:
            screen = make_screen()
        except DojoError as error:
            self.toasts.error(str(error))
            return False
        self.push(screen)
        return True

    def quit(self) -> None:
        """Close every screen (the watch screen saves last.pt on close) and stop the loop."""
        while self.stack:
            self.stack.pop().close()
        self.running = False

    # ---- the loop --------------------------------------------------------------------------------------
    def step(self, dt: float) -> None:
        """One frame: all queued events, one update, one draw."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.quit()
                return
            if event.type == pygame.VIDEORESIZE and self.windowed:
                self._resize(event.w, event.h)
                continue
            screen = self.screen
            if screen is None:
                return
            self._guarded(screen.handle_event, event)
            if not self.running:
                return
        screen = self.screen
        if screen is None:
            return
        self._guarded(screen.update, dt)
        self.toasts.update(dt)
        screen = self.screen
        if screen is None:
            return
        screen.draw(self.surface)
        self.toasts.draw(self.surface)
        if self.windowed:
            pygame.display.flip()
        self.frames += 1

    def run(self, frames: int | None = None, dt: float | None = None) -> int:
        """Run until the last screen closes (or ``frames`` frames). ``dt`` given: a fake clock, no sleeping."""
        try:
            count = 0
            while self.running and (frames is None or count < frames):
                if dt is None:
                    fps = self.screen.fps if self.screen is not None else 60
                    # Clamp: a long pause (window dragged, PPO update) must not make animations jump.
                    step_dt = min(self._clock.tick(fps) / 1000.0, 0.1)
                else:
                    step_dt = dt
                self.step(step_dt)
                count += 1
        except BaseException:
            # Whatever went wrong, closing the screens first saves the training run.
            self.quit()
            raise
        return 0

    def run_until(self, done: Callable[[], bool], max_frames: int = 20_000, dt: float = 1 / 60) -> bool:
        """Fake-clock frames until ``done()`` holds (tests, screenshots); True when it did."""
        for _ in range(max_frames):
            if done():
                return True
            if not self.running:
                break
            self.run(frames=1, dt=dt)
        return done()

    def close(self) -> None:
        self.quit()
        if self.windowed:
            pygame.display.quit()

    def _guarded(self, call: Callable[[Any], None], argument: Any) -> None:
        try:
            call(argument)
        except DojoError as error:
            self.toasts.error(str(error))

    def _resize(self, width: int, height: int) -> None:
        size = (max(width, MIN_SIZE[0]), max(height, MIN_SIZE[1]))
        if size != (width, height):
            self.surface = pygame.display.set_mode(size, pygame.RESIZABLE)
        else:
            self.surface = pygame.display.get_surface()
        for screen in self.stack:
            screen.resize(self.surface.get_size())

    def _set_caption(self, screen: Screen) -> None:
        if self.windowed:
            pygame.display.set_caption(f"Dojo - {screen.title}" if screen.title != "Dojo" else "Dojo")
