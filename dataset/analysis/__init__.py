"""Analyses of a release: pandas in, pandas out (tables), matplotlib figures, one HTML report.

    >>> import dataset
    >>> from dataset import analysis
    >>> events = dataset.load("latest", "events")               # doctest: +SKIP
    >>> analysis.fatalities_by_month(events).head()             # doctest: +SKIP

The table functions do no I/O; `analyze` (behind `python -m dataset analyze`) loads a release
and writes every table, figure and the report.
"""

from .actors import actor_summary, dyad_summary, interaction_mix
from .counts import event_counts
from .sources import conflicts, disagreement, own_vs_enemy, own_vs_enemy_summary, whole_claims
from .fatalities import deadliest_events, fatalities_by_month, fatalities_over_time, precision_coverage, unplaced
from .periods import period_labels, placeable
from .run import analyses, analyze

__all__ = [
    "actor_summary", "analyses", "analyze", "conflicts", "deadliest_events", "disagreement", "dyad_summary",
    "event_counts", "fatalities_by_month", "fatalities_over_time", "interaction_mix", "own_vs_enemy",
    "own_vs_enemy_summary", "period_labels", "placeable", "precision_coverage", "unplaced", "whole_claims",
]
