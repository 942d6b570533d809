"""Small live line plots drawn with pygame.draw.lines (no matplotlib), and a PNG of a run's curves."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygame

from agents.trainer import History
from ui import style


@dataclass
class Series:
    xs: Sequence[float]
    ys: Sequence[float]
    color: style.Color
    label: str = ""
    width: int = 2
    dots: bool = False


def moving_average(values: Sequence[float], window: int = 20) -> np.ndarray:
    """Trailing mean over up to ``window`` values (shorter at the start, so the curve begins with the data)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return data
    sums = np.cumsum(np.concatenate(([0.0], data)))
    ends = np.arange(1, data.size + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


def compact(value: float) -> str:
    """Axis labels: 12.3k, 0.042, -200."""
    if not math.isfinite(value):
        return "-"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.0f}k"
    if magnitude >= 1e3:
        return f"{value / 1e3:.1f}k"
    if magnitude >= 10 or value == 0:
        return f"{value:.0f}"
    if magnitude >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def axis_labels(low: float, high: float, count: int = 3) -> list[str]:
    """Labels for ``count`` evenly spaced grid lines from ``low`` to ``high``, each different from its neighbour:
    compact where that tells them apart, else with as many decimals as the spacing needs; a range too flat to
    tell apart labels its middle line only (blank strings elsewhere), never the same number three times."""
    values = [low + (high - low) * index / (count - 1) for index in range(count)]
    labels = [compact(value) for value in values]
    if len(set(labels)) == count:
        return labels
    step = abs(high - low) / (count - 1)
    if step > 0 and math.isfinite(step):
        first = max(0, -math.floor(math.log10(step)))
        for decimals in range(first, min(first + 2, 7)):
            labels = [f"{value:.{decimals}f}" for value in values]
            if len(set(labels)) == count:
                return labels
    return ["" if index != count // 2 else compact(values[index]) for index in range(count)]


def _thin(xs: np.ndarray, ys: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``points`` points: one per pixel column is all a plot can show."""
    keep = np.isfinite(ys) & np.isfinite(xs)
    xs, ys = xs[keep], ys[keep]
    if xs.size > points > 0:
        index = np.linspace(0, xs.size - 1, points).astype(np.int64)
        xs, ys = xs[index], ys[index]
    return xs, ys


def draw_plot(surface: pygame.Surface, rect: pygame.Rect, title: str, series: Sequence[Series],
              empty_text: str = "waiting for data", threshold: float | None = None) -> None:
    """One plot card: title, latest value, three grid lines with labels, the series as polylines."""
    style.panel(surface, rect, style.PANEL)
    style.draw_text(surface, title, (rect.x + 12, rect.y + 9), style.SMALL, style.TEXT_DIM)
    area = pygame.Rect(rect.x + 44, rect.y + 28, rect.width - 56, rect.height - 40)
    if area.width < 20 or area.height < 12:
        return
    prepared = []
    for item in series:
        # The learner thread may append to a history list between reading xs and ys: use the common length.
        count = min(len(item.xs), len(item.ys))
        xs, ys = _thin(np.asarray(item.xs[:count], dtype=np.float64), np.asarray(item.ys[:count], dtype=np.float64),
                       area.width)
        if xs.size:
            prepared.append((item, xs, ys))
    if not prepared:
        style.draw_text(surface, empty_text, area.center, style.SMALL, style.shade(style.TEXT_DIM, 0.8),
                        anchor="center")
        return
    # The headline is the last series' latest value: the moving average where a plot has one.
    latest = prepared[-1][2][-1]
    style.draw_text(surface, compact(float(latest)), (rect.right - 12, rect.y + 9), style.SMALL,
                    prepared[-1][0].color, anchor="topright")
    all_x = np.concatenate([xs for _, xs, _ in prepared])
    all_y = np.concatenate([ys for _, _, ys in prepared])
    if threshold is not None:
        all_y = np.append(all_y, threshold)
    x_low, x_high = float(all_x.min()), float(all_x.max())
    y_low, y_high = float(all_y.min()), float(all_y.max())
    if x_high - x_low < 1e-9:
        x_low, x_high = x_low - 1, x_high + 1
    span = y_high - y_low
    if span < 1e-9:
        span = max(abs(y_high), 1.0) * 0.1
    y_low, y_high = y_low - 0.08 * span, y_high + 0.08 * span

    def to_screen(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
        px = area.x + (x - x_low) / (x_high - x_low) * area.width
        py = area.bottom - (y - y_low) / (y_high - y_low) * area.height
        return list(zip(px.tolist(), py.tolist()))

    for fraction, label in zip((0.0, 0.5, 1.0), axis_labels(y_low, y_high)):
        y = area.bottom - fraction * area.height
        pygame.draw.line(surface, style.BORDER, (area.x, y), (area.right, y), 1)
        if label:
            style.draw_text(surface, label, (area.x - 6, y), style.SMALL - 2, style.TEXT_DIM, anchor="midright")
    if threshold is not None:
        (_, y), = to_screen(np.array([x_low]), np.array([threshold]))
        for x in range(area.x, area.right, 10):
            pygame.draw.line(surface, style.GOOD, (x, y), (min(x + 5, area.right), y), 1)
    for item, xs, ys in prepared:
        points = to_screen(xs, ys)
        if len(points) >= 2:
            pygame.draw.lines(surface, item.color, False, points, item.width)
        if item.dots or len(points) == 1:
            for point in points[-60:]:
                pygame.draw.circle(surface, item.color, point, 3)


def history_plots(history: History, threshold: float | None,
                  exploration_name: str) -> list[tuple[str, list[Series], float | None]]:
    """The four plots of a run (title, series, threshold line) from a Trainer's History."""
    returns = history.episode_returns
    return [
        ("return, avg of 20", [Series(history.episode_steps, returns, style.shade(style.BLUE, 0.7), width=1),
                                         Series(history.episode_steps, moving_average(returns), style.ACCENT)],
         threshold),
        ("evaluation return", [Series(history.eval_steps, history.eval_means, style.GOOD, dots=True)], threshold),
        ("loss", [Series(history.loss_steps, history.losses, style.RED, width=1)], None),
        (exploration_name, [Series(history.loss_steps, history.exploration, style.SERIES[4])], None),
    ]


def export_png(path: Path, title: str, history: History, threshold: float | None, exploration_name: str,
               size: tuple[int, int] = (1400, 900)) -> Path:
    """The run's curves as a PNG (what P writes into the run folder)."""
    surface = pygame.Surface(size)
    surface.fill(style.BACKGROUND)
    style.draw_text(surface, title, (style.PAD * 2, style.PAD * 2), style.HEADING, style.TEXT)
    plots = history_plots(history, threshold, exploration_name)
    top = 80
    cell_w = (size[0] - 3 * style.PAD * 2) // 2
    cell_h = (size[1] - top - 3 * style.PAD) // 2
    for index, (name, series, line) in enumerate(plots):
        column, row = index % 2, index // 2
        rect = pygame.Rect(style.PAD * 2 + column * (cell_w + style.PAD * 2), top + row * (cell_h + style.PAD),
                           cell_w, cell_h)
        draw_plot(surface, rect, name, series, threshold=line)
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path
