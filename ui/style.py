"""The app's look: colours (from envs.theme), fonts, cached text and the few shapes every screen draws."""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from envs import theme

Color = tuple[int, int, int]

BACKGROUND: Color = theme.BACKGROUND
PANEL: Color = theme.PANEL
PANEL_HOVER: Color = (42, 46, 59)
PANEL_DARK: Color = (28, 30, 39)
BORDER: Color = theme.GRID_LINE
TEXT: Color = theme.TEXT
TEXT_DIM: Color = theme.TEXT_DIM
ACCENT: Color = theme.ACCENT
GOOD: Color = theme.GOAL
BAD: Color = theme.APPLE
BLUE, RED = theme.PLAYER_COLORS
# Plot series colours: the theme's accents, in an order that keeps neighbours distinguishable.
SERIES: tuple[Color, ...] = (BLUE, ACCENT, GOOD, RED, (171, 130, 255))

RADIUS = 12
PAD = 16

# Font sizes (pygame's default font: the number is roughly the line height in pixels).
SMALL, BODY, LABEL, HEADING, TITLE, BANNER = 18, 22, 26, 34, 52, 72

_fonts: dict[int, pygame.font.Font] = {}
_text_cache: dict[tuple[str, int, Color], pygame.Surface] = {}
_TEXT_CACHE_LIMIT = 3000  # stats change every frame; a bounded cache keeps the common strings without growing


def font(size: int) -> pygame.font.Font:
    """pygame's bundled default font: present on every install, so the app looks the same everywhere."""
    if not pygame.font.get_init():
        # Fonts die with pygame.font.quit() (a second App in one process, a library calling pygame.quit()).
        pygame.font.init()
        _fonts.clear()
        _text_cache.clear()
    if size not in _fonts:
        _fonts[size] = pygame.font.Font(None, size)
    return _fonts[size]


def render_text(text: str, size: int = BODY, color: Color = TEXT) -> pygame.Surface:
    """A text surface, cached: rendering glyphs is the slowest thing a frame does."""
    key = (text, size, color)
    surface = _text_cache.get(key)
    if surface is None:
        if len(_text_cache) > _TEXT_CACHE_LIMIT:
            _text_cache.clear()
        surface = font(size).render(text, True, color)
        _text_cache[key] = surface
    return surface


def draw_text(surface: pygame.Surface, text: str, pos: tuple[float, float], size: int = BODY,
              color: Color = TEXT, anchor: str = "topleft", max_width: int | None = None) -> pygame.Rect:
    """Blit text anchored at ``pos`` (any pygame.Rect anchor name); too-long text is cut with an ellipsis."""
    if max_width is not None:
        text = fit_text(text, size, max_width)
    image = render_text(text, size, color)
    rect = image.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    surface.blit(image, rect)
    return rect


def fit_text(text: str, size: int, max_width: int) -> str:
    if max_width <= 0 or font(size).size(text)[0] <= max_width:
        return text
    while text and font(size).size(text + "...")[0] > max_width:
        text = text[:-1]
    return text + "..."


def wrap_text(text: str, size: int, max_width: int) -> list[str]:
    """Greedy word wrap for messages (error text can be long)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}".strip()
            if line and font(size).size(candidate)[0] > max_width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def panel(surface: pygame.Surface, rect: pygame.Rect, color: Color = PANEL, border: Color | None = None,
          radius: int = RADIUS, width: int = 2) -> None:
    """A rounded card, the building block of every screen."""
    pygame.draw.rect(surface, color, rect, border_radius=radius)
    if border is not None:
        pygame.draw.rect(surface, border, rect, width=width, border_radius=radius)


def shade(color: Color, factor: float) -> Color:
    """Lighter (factor > 1) or darker (factor < 1) version of a colour."""
    return tuple(max(0, min(255, int(c * factor))) for c in color)  # type: ignore[return-value]


def mix(low: Color, high: Color, amount: float) -> Color:
    """The colour ``amount`` (0 to 1) of the way from ``low`` to ``high``."""
    amount = max(0.0, min(1.0, amount))
    return tuple(round(a + (b - a) * amount) for a, b in zip(low, high))  # type: ignore[return-value]


def blit_frame(surface: pygame.Surface, frame: pygame.Surface, area: pygame.Rect, smooth: bool = True) -> pygame.Rect:
    """Scale a game frame into ``area`` keeping its aspect ratio, centred; returns where it landed. ``smooth=False``
    (grid games) scales up by a whole factor only."""
    width, height = frame.get_size()
    scale = min(area.width / width, area.height / height)
    if not smooth and scale >= 1.0:
        # Crisp grid frames grow by whole pixels: a fractional factor makes some grid lines thicker than others.
        scale = float(int(scale))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    target = pygame.Rect((0, 0), size)
    target.center = area.center
    if size == (width, height):
        surface.blit(frame, target)
    elif smooth and scale < 1.0:
        surface.blit(pygame.transform.smoothscale(frame, size), target)
    else:
        # Upscaled grid frames stay crisp with nearest-neighbour scaling.
        surface.blit(pygame.transform.scale(frame, size), target)
    return target


def array_to_surface(frame: object) -> pygame.Surface:
    """An (H, W, 3) uint8 RGB array (what env.render() returns) as a pygame Surface."""
    import numpy as np

    array = np.asarray(frame)
    return pygame.surfarray.make_surface(array.swapaxes(0, 1))


def _hint_chips(hints: Sequence[tuple[str, str]], pos: tuple[int, int],
                max_width: int) -> list[tuple[pygame.Surface, pygame.Surface, pygame.Rect]]:
    """Each hint's key and action images and its key chip, wrapped to ``max_width``."""
    x, y = pos
    chips = []
    for key, action in hints:
        key_image = render_text(key, SMALL, BACKGROUND)
        action_image = render_text(action, SMALL, TEXT_DIM)
        width = key_image.get_width() + 12 + 6 + action_image.get_width() + 18
        if x + width > pos[0] + max_width and x > pos[0]:
            x, y = pos[0], y + 26
        chips.append((key_image, action_image, pygame.Rect(x, y, key_image.get_width() + 12, 20)))
        x += width
    return chips


def key_hints_height(hints: Sequence[tuple[str, str]], max_width: int) -> int:
    """How tall ``key_hints`` draws these hints at ``max_width`` (to stand them on a panel's bottom)."""
    chips = _hint_chips(hints, (0, 0), max_width)
    return chips[-1][2].bottom if chips else 0


def key_hints(surface: pygame.Surface, hints: Sequence[tuple[str, str]], pos: tuple[int, int],
              max_width: int) -> pygame.Rect:
    """A row of ``[key] action`` chips, wrapped to ``max_width``; the rectangle they cover."""
    covered = []
    for key_image, action_image, chip in _hint_chips(hints, pos, max_width):
        pygame.draw.rect(surface, TEXT_DIM, chip, border_radius=5)
        surface.blit(key_image, key_image.get_rect(center=chip.center))
        surface.blit(action_image, (chip.right + 6, chip.y + 3))
        covered.append(pygame.Rect(chip.x, chip.y, chip.width + 6 + action_image.get_width(), 20))
    return covered[0].unionall(covered[1:]) if covered else pygame.Rect(pos, (0, 0))


def score_boxes(surface: pygame.Surface, scores: Sequence[tuple[str, int, Color]], pos: tuple[int, int],
                width: int, compact: bool = False) -> int:
    """The play screens' score: three boxes side by side, each a count over its name; the height used."""
    x, y = pos
    column = width // 3
    height, inset = (48, 4) if compact else (74, 8)
    for index, (name, value, color) in enumerate(scores):
        box = pygame.Rect(x + index * column, y, column - 8, height)
        panel(surface, box, PANEL_DARK, radius=10)
        draw_text(surface, str(value), (box.centerx, box.y + inset), LABEL if compact else TITLE - 8, color, "midtop")
        draw_text(surface, name, (box.centerx, box.bottom - inset), SMALL, TEXT_DIM, "midbottom")
    return height


def text_lines(surface: pygame.Surface, text: str, pos: tuple[int, int], width: int, bottom: int,
               size: int = SMALL, color: Color = TEXT_DIM, most: int = 4) -> int:
    """``text`` wrapped to ``width``, at most ``most`` lines and none past ``bottom``; the y below it."""
    x, y = pos
    step = font(size).get_linesize() + 4
    for line in wrap_text(text, size, width)[:most] if text else []:
        if y + step - 4 > bottom:
            break
        draw_text(surface, line, (x, y), size, color)
        y += step
    return y


PLAY_COMPACT = 640  # px: a play screen's side panel shorter than this (windows under ~670 px) packs its rows


def play_layout(size: tuple[int, int]) -> tuple[pygame.Rect, pygame.Rect]:
    """The play screens' split: (game area, side panel). The panel takes ~28% of the width, 300 to 380 px."""
    width, height = size
    side_width = max(300, min(380, int(width * 0.28)))
    side = pygame.Rect(width - PAD - side_width, PAD, side_width, height - 2 * PAD)
    area = pygame.Rect(PAD, PAD, side.x - 2 * PAD, height - 2 * PAD)
    return area, side


BANNER_BAND = 84  # the result banner's band beside a board: the outcome (crash, winning four) stays in view


def result_banner(surface: pygame.Surface, board: pygame.Rect, title: str, hint: str, color: Color,
                  above: bool = True) -> pygame.Rect:
    """A result card in the band just above (or below) ``board``, never on it; returns where it went."""
    box = pygame.Rect(0, 0, min(board.width, 600), BANNER_BAND - 8)
    if above:
        box.midbottom = (board.centerx, board.top - 8)
    else:
        box.midtop = (board.centerx, board.bottom + 8)
    panel(surface, box, PANEL_DARK, color, radius=14, width=3)
    draw_text(surface, title, (box.centerx, box.y + 6), HEADING, color, "midtop", max_width=box.width - 16)
    draw_text(surface, hint, (box.centerx, box.bottom - 6), SMALL, TEXT_DIM, "midbottom", max_width=box.width - 16)
    return box
