"""Bar charts as SVG, drawn on the server so the dashboard needs no script: a labelled value axis with
gridlines, the value on every bar that has one, and spaced category labels. Only presentation attributes
and classes (the CSP allows no inline style). Each chart comes with its figures for a table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 190
LEFT, RIGHT, TOP, BOTTOM = 30, 4, 16, 22
MAX_LABELS = 6


@dataclass(frozen=True)
class Chart:
    """A chart's title, its categories and values, and its drawing."""

    title: str
    labels: Sequence[str]
    values: Sequence[int]
    svg: Markup

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(self.labels, self.values, strict=True))


def _steps(start: int) -> list[int]:
    found, base = [], 1
    while base <= max(start, 1) * 10:
        found += [base, 2 * base, 5 * base]
        base *= 10
    return found


def grid(top: int) -> tuple[int, list[int]]:
    """The axis maximum and the gridline values (0 included) for values up to ``top``."""
    step = next(s for s in _steps(max(top, 1)) if max(top, 1) / s <= 5)
    ceiling = -(-max(top, 1) // step) * step
    return ceiling, list(range(0, ceiling + 1, step))


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], css: str = "bar") -> Chart:
    """A bar chart titled ``title`` (its accessible name) with at most six category labels shown."""
    ceiling, lines = grid(max(values, default=0))
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(values), 1)
    every = max(1, -(-len(values) // MAX_LABELS))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for value in lines:
        y = TOP + plot_h * (1 - value / ceiling)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * value / ceiling
        x, y = LEFT + i * slot, TOP + plot_h - height
        parts.append(
            f'<rect class="{css}" x="{x + 1:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{escape(label)}: {value}</title></rect>'
        )
        if value:
            centre = x + slot / 2
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value}</text>'
            )
        if (len(values) - 1 - i) % every == 0:  # counted from the newest, which is always labelled
            parts.append(
                f'<text class="axis" x="{x + slot / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    svg = Markup("".join(parts))  # noqa: S704 -- every interpolated text above is escaped
    return Chart(title, list(labels), list(values), svg)
