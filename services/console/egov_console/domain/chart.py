"""The 12-month trend of the on-time rate as an inline SVG drawn on the server (no script, no
chart library in the browser): bars with their value written, so it reads without colour."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 720, 190, 22, 34, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    title: str


def trend(points: list[tuple[str, Any]], fmt_value: Any) -> dict[str, Any]:
    """``points``: (short month name, rate string or None). Bars scaled 0–100%."""
    count = max(len(points), 1)
    slot = (WIDTH - LEFT) / count
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for i, (name, rate) in enumerate(points):
        value = Decimal(str(rate)) if rate is not None else None
        h = float(value) / 100 * plot if value is not None else 0.0
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(TOP + plot - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                label=name,
                value=fmt_value(rate),
                title=f"{name}: {fmt_value(rate)}",
            )
        )
    grid = [{"y": round(TOP + plot - plot * p / 100, 1), "label": f"{p}%"} for p in (0, 50, 100)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "bars": bars,
        "grid": grid,
        "slot": slot,
        "base": TOP + plot,
    }
