"""What every figure shares: a headless figure, fixed colours, reproducible PNG bytes.

Figures are built on `matplotlib.figure.Figure` directly (no pyplot state, no display), and
saved with the Agg renderer without the "Software" metadata, so the same tables give the same
bytes. Nothing is downloaded: no basemaps, no web fonts (matplotlib's bundled DejaVu Sans).
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from schemas.vocab import EVENT_TYPES

DPI = 100
# One colour per ACLED event type, the same in every figure.
EVENT_TYPE_COLOURS = dict(zip(EVENT_TYPES, ["#1f77b4", "#ff7f0e", "#9467bd", "#d62728", "#2ca02c", "#7f7f7f"]))
BEST, BAND, ACLED = "#1f4e79", "#9ecae1", "#d95f02"


def new_figure(width: float, height: float) -> Figure:
    """A figure of `width` x `height` inches with constrained layout, detached from pyplot.

    >>> new_figure(4, 3).get_size_inches().tolist()
    [4.0, 3.0]
    """
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, identical for identical figures (no software or date metadata).

    >>> png_bytes(new_figure(2, 2))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def say_empty(ax: Axes, text: str) -> None:
    """Write `text` in the middle of an axes that has nothing to draw, so the figure still says why.

    >>> fig = new_figure(3, 2); ax = fig.subplots(); say_empty(ax, "no data"); ax.texts[0].get_text()
    'no data'
    """
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555555", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def symlog_axis(ax: Axes, axis: str, top: float) -> None:
    """A symmetric log scale (linear below 1, so 0 shows) from 0 to `top`, ticked 0, 1, 2, 5, 10, 20, ...

    >>> fig = new_figure(3, 2); ax = fig.subplots(); symlog_axis(ax, "x", 30); ax.get_xticks().tolist()
    [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]
    """
    ticks, step = [0.0], 1.0
    while step <= top:
        ticks += [t for t in (step, 2 * step, 5 * step) if t <= top]
        step *= 10
    getattr(ax, f"set_{axis}scale")("symlog", linthresh=1)
    getattr(ax, f"set_{axis}lim")(0, max(top, 1.0))
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_locator(NullLocator())
