"""The digest's small charts, drawn as PNG bytes: turnout by area, and money over time.

matplotlib is imported where a chart is drawn, never at start-up (the CLI would pay for it on
every command), and drawn with Agg on a Figure of its own: no pyplot, no global state, no
window."""

import io
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.text.money import format_pence

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 4.8, 2.4, 100  # 480 x 240 pixels
_BARS, _FLAGGED, _LINE, _SPENT = "#4a78a8", "#c0504d", "#333333", "#6a9f58"


def turnout_png(bars: list[tuple[str, float, bool]], average: float) -> bytes:
    """Bars of ballots per member (0 to 1) by area, flagged ones in red; a line at the average."""
    figure, axes = _figure()
    labels = [label for label, _, _ in bars]
    drawn = axes.bar(
        range(len(bars)),
        [value * 100 for _, value, _ in bars],
        color=[_FLAGGED if flagged else _BARS for _, _, flagged in bars],
    )
    axes.bar_label(drawn, fmt="%.0f%%", fontsize=7)
    axes.set_title("Members who voted, by area (red: well below average)", fontsize=8)
    axes.axhline(
        average * 100, color=_LINE, linestyle="--", linewidth=1, label=f"community average {average:.0%}"
    )
    axes.set_xticks(range(len(bars)), [_short(label) for label in labels], fontsize=7)
    axes.set_ylabel("% of members who voted", fontsize=7)
    axes.set_ylim(0, max([average * 100, *(v * 100 for _, v, _ in bars), 1]) * 1.15)
    axes.legend(fontsize=7, loc="upper right", frameon=False)
    return _png(figure)


def money_png(months: list[tuple[date, int, int]]) -> bytes:
    """Money committed and spent (pence, cumulative) at each month's end, as two lines."""
    figure, axes = _figure()
    days = [month for month, _, _ in months]
    # The ignores below: matplotlib takes dates through its unit converters, but its stubs
    # annotate x values and limits as numbers only.
    committed, spent = [c / 100 for _, c, _ in months], [s / 100 for _, _, s in months]
    axes.plot(days, committed, color=_BARS, marker="o", markersize=3, label="committed")  # type: ignore[arg-type]
    axes.plot(days, spent, color=_SPENT, marker="o", markersize=3, label="spent")  # type: ignore[arg-type]
    axes.yaxis.set_major_formatter(lambda value, _: format_pence(round(value * 100)))
    from matplotlib.dates import AutoDateLocator

    axes.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=5))
    axes.xaxis.set_major_formatter(_month_label)
    axes.set_title("Money committed and spent, in all", fontsize=8)
    axes.set_ylim(bottom=0)
    if len(days) == 1:  # one month alone: show the months around it, not years
        axes.set_xlim(days[0] - timedelta(days=45), days[0] + timedelta(days=45))  # type: ignore[arg-type]
    axes.legend(fontsize=7, loc="upper left", frameon=False)
    return _png(figure)


def _figure() -> "tuple[Figure, Axes]":
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.tick_params(labelsize=7)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _png(figure: "Figure") -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = io.BytesIO()
    FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def _month_label(value: float, _position: object) -> str:
    from matplotlib.dates import num2date

    when: datetime = num2date(value)
    return when.strftime("%b %Y")


def _short(label: str) -> str:
    """Group labels ("fewer than 5 members") broken to fit under a bar."""
    return label.replace(" members", "\nmembers").replace("no area ", "no area\n")
