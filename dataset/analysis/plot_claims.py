"""Figures of source disagreement: how far apart conflicting claims are, and own vs enemy claims.

Both use symmetric log scales (linear below 1, so a claim of 0 is drawn) because claims range
from "no one" to "hundreds". Multi-day events are drawn once (their whole claims), not per day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from schemas.vocab import LIST_SEP

from .plot import BAND, new_figure, say_empty, symlog_axis

LOW_COLOUR, HIGH_COLOUR = "#1f77b4", "#d62728"


def _events_once(dis: pd.DataFrame) -> pd.DataFrame:
    """One row per coded event and victim group; `label` names its first event row and its days."""
    first = dis.drop_duplicates(["event_key", "victim_group"]).copy()
    extra = np.where(first["n_days"] > 1, " (+" + (first["n_days"] - 1).astype("str") + " days)", "")
    first["label"] = first["event_id_cnty"] + extra + " " + first["country"] + ": " + first["victim_group"]
    return first


def disagreement_figure(dis: pd.DataFrame, top: int = 20) -> Figure:
    """Per conflicting event and victim group (`disagreement(claims, events)`), widest spread first:
    the lowest and highest claim joined by a line over the widest range any claim allows.

    >>> d = pd.DataFrame({"event_id_cnty": ["MLI1"], "event_key": ["e"], "n_days": [1], "country": ["Mali"],
    ...     "victim_group": ["side_b"], "lowest_claim": [2], "highest_claim": [24], "spread": [22],
    ...     "range_low": [2], "range_high": [99]})
    >>> [t.get_text() for t in disagreement_figure(d).axes[0].get_yticklabels()]
    ['MLI1 Mali: side_b']
    """
    once = _events_once(dis).sort_values(["spread", "label"], ascending=[False, True], kind="stable") if len(dis) else dis
    fig = new_figure(9, 1.6 + 0.32 * max(min(len(once), top), 2))
    ax = fig.subplots()
    title = "Conflicting claims: lowest and highest claim per event and victim group"
    if once.empty:
        say_empty(ax, "No event in this release has conflicting claims about the same victims.")
        fig.suptitle(title, fontsize=11)
        return fig
    rows = once.head(top)
    y = np.arange(len(rows))
    ax.hlines(y, rows["range_low"], rows["range_high"], color=BAND, linewidth=6, label="widest range any claim allows")
    ax.hlines(y, rows["lowest_claim"], rows["highest_claim"], color="#555555", linewidth=1.5)
    ax.plot(rows["lowest_claim"], y, "o", color=LOW_COLOUR, label="lowest claim (best reading)")
    ax.plot(rows["highest_claim"], y, "s", color=HIGH_COLOUR, label="highest claim (best reading)")
    ax.set_yticks(y, rows["label"].tolist(), fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    symlog_axis(ax, "x", max(float(rows["range_high"].max()), 1.0) * 1.3)
    ax.set_xlabel("killed, as claimed (symmetric log scale)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    shown = f" (top {top} of {len(once)} by spread)" if len(once) > top else ""
    fig.suptitle(title + shown, fontsize=11)
    return fig


def own_vs_enemy_figure(pairs: pd.DataFrame) -> Figure:
    """Each point a side in an event (`own_vs_enemy(claims, events)`): its claim about its own
    dead (x) against its enemy's claim about them (y); above the diagonal the enemy claims more.

    >>> p = pd.DataFrame({"event_ids": ["MLI1"], "side_actor": ["Army"], "own_claim": [2], "enemy_claim": [24]})
    >>> own_vs_enemy_figure(p).axes[0].get_xlabel()
    'killed, by the side itself (own claim)'
    """
    fig = new_figure(6.5, 6)
    ax = fig.subplots()
    fig.suptitle("Own losses as admitted vs as claimed by the enemy", fontsize=11)
    if pairs.empty:
        say_empty(ax, "No side in this release has both a claim about its own losses\nand an enemy claim about them.")
        return fig
    own, enemy = pairs["own_claim"].to_numpy(dtype=float), pairs["enemy_claim"].to_numpy(dtype=float)
    top = max(own.max(), enemy.max(), 1.0) * 1.5
    ax.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=1, label="same figure")
    ax.plot(own, enemy, "o", color=HIGH_COLOUR, alpha=0.7, label="a side in one event")
    if len(pairs) <= 15:
        for x, y, ids, actor in zip(own, enemy, pairs["event_ids"], pairs["side_actor"]):
            name = actor if len(actor) <= 24 else actor[:23] + "…"
            ax.annotate(f"{str(ids).split(LIST_SEP)[0]} {name}", (x, y), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    for axis in ("x", "y"):
        symlog_axis(ax, axis, top)
    ax.set_xlabel("killed, by the side itself (own claim)")
    ax.set_ylabel("killed, by its enemy (enemy claim)")
    ax.grid(color="#eeeeee", linewidth=0.6)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig
