"""A server-side SVG chart of daily sales (bars) and stock level (line): no script, no outside asset."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from gerai.numbers import format_qty

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 44, 22, 12


def _scale(values: list[Decimal]) -> Decimal:
    top = max((v for v in values), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def sales_and_stock_svg(days: list[date], sold: list[Decimal], level: list[Decimal], *, sold_label: str,
                        level_label: str) -> str:
    """Bars of units sold per day on the left axis, the closing stock level as a line on the right axis."""
    n = max(len(days), 1)
    plot_w, plot_h = WIDTH - PAD_LEFT - 44, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / n
    s_top, l_top = _scale(sold), _scale([max(v, Decimal(0)) for v in level])
    bars, points = [], []
    for i, (d, q, lv) in enumerate(zip(days, sold, level)):
        x = PAD_LEFT + i * step
        h = float(max(q, Decimal(0)) / s_top) * plot_h
        title = f"{d.isoformat()}: {format_qty(q)} / {format_qty(lv)}"
        bars.append(f'<rect class="sold" x="{x + 0.5:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{max(step - 1, 1):.1f}" '
                    f'height="{h:.1f}"><title>{escape(title)}</title></rect>')
        y = PAD_TOP + plot_h - float(max(lv, Decimal(0)) / l_top) * plot_h
        points.append(f"{x + step / 2:.1f},{y:.1f}")
    ticks = []
    for i, d in enumerate(days):
        if d.day == 1 or i == 0:
            x = PAD_LEFT + i * step
            ticks.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}">{d.strftime("%d/%m")}</text>')
    base = PAD_TOP + plot_h
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(sold_label)} / {escape(level_label)}">'
            f'<line class="axis" x1="{PAD_LEFT}" y1="{base}" x2="{WIDTH - 44}" y2="{base}"/>'
            f'<text class="axis-label" x="4" y="{PAD_TOP + 10}">{escape(format_qty(s_top))}</text>'
            f'<text class="axis-label" x="4" y="{base}">0</text>'
            f'<text class="axis-label level" x="{WIDTH - 40}" y="{PAD_TOP + 10}">{escape(format_qty(l_top))}</text>'
            + "".join(bars)
            + f'<polyline class="level" fill="none" points="{" ".join(points)}"/>'
            + "".join(ticks)
            + f'<text class="legend sold" x="{PAD_LEFT}" y="{PAD_TOP - 2}">{escape(sold_label)}</text>'
            + f'<text class="legend level" x="{WIDTH - 44}" y="{PAD_TOP - 2}" text-anchor="end">{escape(level_label)}</text>'
            + "</svg>")
