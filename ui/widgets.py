"""Small interactive pieces: buttons, choice pills and toast messages.

Widgets learn about the mouse only from events (MOUSEMOTION / MOUSEBUTTONDOWN), never from
pygame.mouse.get_pos(): posted events in tests then behave exactly like real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from ui import style


class Button:
    """A rounded button with a hover state and an optional keyboard shortcut shown on its face."""

    def __init__(self, label: str, on_click: Callable[[], None], hotkey: int | None = None,
                 primary: bool = False, enabled: bool = True) -> None:
        self.label, self.on_click, self.hotkey = label, on_click, hotkey
        self.primary, self.enabled = primary, enabled
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.hovered = False

    def handle_event(self, event: pygame.event.Event) -> bool:
        """True when the event pressed this button (and it ran)."""
        if event.type == pygame.MOUSEMOTION:
            self.hovered = self.rect.collidepoint(event.pos)
            return False
        clicked = event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and self.rect.collidepoint(event.pos)
        shortcut = event.type == pygame.KEYDOWN and self.hotkey is not None and event.key == self.hotkey \
            and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_META)
        return self.press() if clicked or shortcut else False

    def press(self) -> bool:
        if not self.enabled:
            return False
        self.on_click()
        return True

    def draw(self, surface: pygame.Surface) -> None:
        if not self.enabled:
            fill, text_color, border = style.PANEL_DARK, style.shade(style.TEXT_DIM, 0.7), style.BORDER
        elif self.primary:
            fill = style.shade(style.ACCENT, 1.08) if self.hovered else style.ACCENT
            text_color, border = style.BACKGROUND, None
        else:
            fill = style.PANEL_HOVER if self.hovered else style.PANEL
            text_color, border = style.TEXT, style.ACCENT if self.hovered else style.BORDER
        style.panel(surface, self.rect, fill, border, radius=10)
        label = self.label
        if self.hotkey is not None:
            with_key = f"{label}  [{pygame.key.name(self.hotkey).upper()}]"
            # The shortcut is a bonus: on a narrow button the label alone is shown.
            if style.font(style.BODY).size(with_key)[0] <= self.rect.width - 16:
                label = with_key
        style.draw_text(surface, label, self.rect.center, style.BODY, text_color, anchor="center",
                        max_width=self.rect.width - 12)


class Pills:
    """A row of mutually exclusive choices (agent, preset, speed); disabled options show why on hover."""

    def __init__(self, options: Sequence[str], selected: int = 0, on_change: Callable[[int], None] | None = None,
                 disabled: Sequence[bool] | None = None) -> None:
        self.options = list(options)
        self.selected = selected
        self.on_change = on_change
        self.disabled = list(disabled) if disabled is not None else [False] * len(self.options)
        self.rects: list[pygame.Rect] = []
        self.hovered = -1

    def layout(self, x: int, y: int, max_width: int, height: int = 32) -> int:
        """Place the pills left to right, wrapping; returns the bottom edge."""
        self.rects = []
        cursor_x, cursor_y = x, y
        for option in self.options:
            width = style.font(style.BODY).size(option)[0] + 28
            if cursor_x + width > x + max_width and cursor_x > x:
                cursor_x, cursor_y = x, cursor_y + height + 8
            self.rects.append(pygame.Rect(cursor_x, cursor_y, width, height))
            cursor_x += width + 8
        return cursor_y + height

    def select(self, index: int) -> None:
        if 0 <= index < len(self.options) and not self.disabled[index] and index != self.selected:
            self.selected = index
            if self.on_change is not None:
                self.on_change(index)

    def cycle(self, step: int = 1) -> None:
        """Keyboard: move to the next enabled option."""
        for offset in range(1, len(self.options) + 1):
            index = (self.selected + step * offset) % len(self.options)
            if not self.disabled[index]:
                self.select(index)
                return

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.MOUSEMOTION:
            self.hovered = next((i for i, r in enumerate(self.rects) if r.collidepoint(event.pos)), -1)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            for index, rect in enumerate(self.rects):
                if rect.collidepoint(event.pos):
                    self.select(index)
                    return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        for index, (option, rect) in enumerate(zip(self.options, self.rects)):
            if self.disabled[index]:
                fill, color, border = style.PANEL_DARK, style.shade(style.TEXT_DIM, 0.6), None
            elif index == self.selected:
                fill, color, border = style.ACCENT, style.BACKGROUND, None
            else:
                fill = style.PANEL_HOVER if index == self.hovered else style.PANEL_DARK
                color, border = style.TEXT, style.BORDER
            style.panel(surface, rect, fill, border, radius=rect.height // 2)
            style.draw_text(surface, option, rect.center, style.BODY, color, anchor="center")


@dataclass
class Toast:
    text: str
    error: bool
    left_s: float


class Toasts:
    """Messages that fade after a few seconds: saved files, errors that must not crash the app."""

    def __init__(self) -> None:
        self.items: list[Toast] = []
        self.rects: list[pygame.Rect] = []  # where the last draw put them

    def info(self, text: str, seconds: float = 4.0) -> None:
        self.items.append(Toast(text, False, seconds))
        self.items = self.items[-3:]

    def error(self, text: str, seconds: float = 8.0) -> None:
        self.items.append(Toast(text, True, seconds))
        self.items = self.items[-3:]

    def update(self, dt: float) -> None:
        for item in self.items:
            item.left_s -= dt
        self.items = [item for item in self.items if item.left_s > 0]

    @property
    def texts(self) -> list[str]:
        return [item.text for item in self.items]

    def draw(self, surface: pygame.Surface, bottom: int | None = None) -> None:
        """Newest at the bottom, stacked upwards from ``bottom`` (default: the window's bottom edge)."""
        width = min(760, surface.get_width() - 2 * style.PAD)
        bottom = surface.get_height() - style.PAD if bottom is None else bottom
        self.rects = []
        for item in reversed(self.items):
            lines = style.wrap_text(item.text, style.BODY, width - 40)
            height = 20 + 24 * len(lines)
            rect = pygame.Rect(0, 0, width, height)
            rect.midbottom = (surface.get_width() // 2, bottom)
            accent = style.BAD if item.error else style.GOOD
            style.panel(surface, rect, style.PANEL_DARK, accent)
            self.rects.append(rect)
            pygame.draw.rect(surface, accent, (rect.x + 8, rect.y + 10, 5, height - 20), border_radius=3)
            for index, line in enumerate(lines):
                style.draw_text(surface, line, (rect.x + 24, rect.y + 11 + 24 * index), style.BODY, style.TEXT)
            bottom = rect.top - 8
