"""Bar charts as SVG, drawn on the server so the dashboard needs no script. Only presentation
attributes and classes (the CSP allows no inline style)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD, AXIS = 640, 200, 28, 18


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], css: str = "bar") -> Markup:
    """A labelled bar chart: ``title`` names it for screen readers; every ``labels``-th tick is shown."""
    top = max(values, default=0) or 1
    slot = (WIDTH - PAD) / max(len(values), 1)
    every = max(1, len(values) // 8)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text class="axis" x="0" y="12">{top}</text>',
        f'<line class="axis-line" x1="{PAD}" y1="{HEIGHT - AXIS}" x2="{WIDTH}" y2="{HEIGHT - AXIS}"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = (HEIGHT - AXIS - 16) * value / top
        x, y = PAD + i * slot + 1, HEIGHT - AXIS - height
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{escape(label)}: {value}</title></rect>'
        )
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 4}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every interpolated text above is escaped
