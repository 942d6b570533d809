"""The one window and its loop: a stack of screens, events from the queue, a real or a fake clock.

A screen is any object with ``resize(size)``, ``handle_event(event)``, ``update(dt)``, ``draw(surface)`` and
``close()``. The App owns the window (envs only hand it RGB frames), pumps events every frame and gives each one
to the top screen, so tests drive everything with ``pygame.event.post`` and ``App.run(frames=N, dt=...)``.

Idle costs next to nothing: while the top screen is not ``busy()`` (nothing moves by itself) the loop blocks on the
event queue for up to 1/IDLE_FPS s instead of ticking at 60 fps, and draws only when an event, a resize or a toast
changed something. The time source is a ``FrameClock`` (real: pygame's clock and event queue), so tests can run a
simulated idle second and count the frames.
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
IDLE_FPS = 4  # wake-ups per second on an idle screen: toasts still fade on time, a key still answers at once


class FrameClock:
    """The loop's time: ``tick(fps)`` sleeps to hold a frame rate and returns the ms since the last call;
    ``wait(ms)`` blocks until an event arrives (returned) or ``ms`` pass (None)."""

    def __init__(self) -> None:
        self._clock = pygame.time.Clock()

    def tick(self, fps: float) -> int:
        return self._clock.tick(fps)

    def wait(self, ms: int) -> pygame.event.Event | None:
        event = pygame.event.wait(ms)
        return None if event.type == pygame.NOEVENT else event


class Screen:
    """Base class: a full-window view. ``app`` is set when the screen is pushed."""

    fps = 60
    title = "Dojo"

    def busy(self) -> bool:
        """True while something on screen moves by itself (a game ticking, training, a falling disc): the loop then
        runs at ``fps``. False: the screen only changes on input, and the loop sleeps on the event queue."""
        return True

    def __init__(self) -> None:
        self.app: App | None = None
        self.size = DEFAULT_SIZE

    def resize(self, size: tuple[int, int]) -> None:
        """Called before the first event and on every window resize: lay out rects here."""
        self.size = size

    def toast_bottom(self) -> int:
        """Where toasts stack up from: above the screen's footer (its key hints), which they must not cover."""
        footer = getattr(self, "footer", None)
        return footer.top - 8 if isinstance(footer, pygame.Rect) else self.size[1] - style.PAD

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

    def __init__(self, size: tuple[int, int] = DEFAULT_SIZE, surface: pygame.Surface | None = None,
                 clock: FrameClock | None = None) -> None:
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
        self.frames = 0  # frames drawn
        self.iterations = 0  # loop turns (an idle screen wakes up without drawing)
        self._clock = clock or FrameClock()
        self._dirty = True  # something changed since the last draw

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
        self._dirty = True
        self._set_caption(screen)

    def pop(self) -> None:
        if self.stack:
            self.stack.pop().close()
        if not self.stack:
            self.running = False
            return
        self.stack[-1].resize(self.surface.get_size())
        self._dirty = True
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
    def step(self, dt: float, first: pygame.event.Event | None = None, draw: bool = True) -> None:
        """One frame: ``first`` (an event already taken from the queue) and all queued events, one update, and one
        draw unless ``draw`` is False and neither an event nor a toast changed anything."""
        events = pygame.event.get()
        if first is not None:
            events.insert(0, first)
        if events:
            self._dirty = True
        for event in events:
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
        was_busy = screen.busy()
        self._guarded(screen.update, dt)
        toasts = len(self.toasts.items)
        self.toasts.update(dt)
        screen = self.screen
        if screen is None:
            return
        if not (draw or self._dirty or len(self.toasts.items) != toasts or was_busy or screen.busy()):
            return
        self._dirty = False
        screen.draw(self.surface)
        self.toasts.draw(self.surface, screen.toast_bottom())
        if self.windowed:
            pygame.display.flip()
        self.frames += 1

    def run(self, frames: int | None = None, dt: float | None = None) -> int:
        """Run until the last screen closes (or ``frames`` frames). ``dt`` given: a fake clock, no sleeping."""
        try:
            count = 0
            while self.running and (frames is None or count < frames):
                if dt is not None:
                    self.step(dt)
                else:
                    self._real_frame()
                count += 1
                self.iterations += 1
        except BaseException:
            # Whatever went wrong, closing the screens first saves the training run.
            self.quit()
            raise
        return 0

    def _real_frame(self) -> None:
        screen = self.screen
        if screen is None or screen.busy() or self._dirty:
            fps = screen.fps if screen is not None else 60
            # Clamp: a long pause (window dragged, PPO update) must not make animations jump.
            self.step(min(self._clock.tick(fps) / 1000.0, 0.1))
            return
        # Idle: sleep on the queue. Nothing animates, so the real elapsed time goes to the timers (toasts).
        event = self._clock.wait(1000 // IDLE_FPS)
        self.step(min(self._clock.tick(0) / 1000.0, 1.0), first=event, draw=False)

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
