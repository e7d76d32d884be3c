"""The links table (links.csv of a release): every pair of events from different sources that the
linking rule compared closely enough to decide on, with its score and the decision.

A reviewer reads it to confirm or split links through raw/links.yaml. It is a review table beside
the three data tables (`schemas.REVIEW_TABLES`, not `schemas.TABLES`): validated on every build,
documented in the codebook and the data package, loadable with `dataset.load(table="links")`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .fields import Table

ORIGINS = ["report", "acled", "ucdp"]
DECISIONS = ["linked", "confirmed", "split", "not_linked"]
RULES = ["best_match", "override", "ambiguous", "below_threshold", "multi_day", "report_before_event",
         "cluster_conflict"]


class Links(Table):
    """Pairs of events the linking rule decided on; sorted by key_a, key_b."""

    key_a: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Event key A",
        description="Event key of the pair's first event: the one whose definition is kept when the pair is "
        "linked (coded reports before ACLED before UCDP GED, then the smaller key).")
    origin_a: Series[str] = pa.Field(isin=ORIGINS, title="Source of A",
                                     description="report (a coded report), acled or ucdp (an imported record).")
    key_b: Series[str] = pa.Field(str_length={"min_value": 1}, title="Event key B",
                                  description="Event key of the pair's second event.")
    origin_b: Series[str] = pa.Field(isin=ORIGINS, title="Source of B", description="As origin_a.")
    decision: Series[str] = pa.Field(
        isin=DECISIONS, title="Decision",
        description="linked (by the rule), confirmed (by raw/links.yaml), split (kept apart by raw/links.yaml) "
        "or not_linked.")
    rule: Series[str] = pa.Field(
        isin=RULES, title="Why",
        description="best_match: within every limit, score at least the threshold, and each event the other's "
        "strictly best match; override: raw/links.yaml decided; ambiguous: another pair scores as high or "
        "higher; below_threshold; multi_day: a coded multi-day event is linked only by override; "
        "report_before_event: linking would date a record before the event; cluster_conflict: the links "
        "would join two events of one source or events that are not all within the limits of each other.")
    event_key: Series[str] = pa.Field(
        title="Linked event key",
        description="Key of the one event both now belong to (directly, or each through links to a third event); "
        "empty string if they stay apart.")
    event_id_cnty: Series[str] = pa.Field(
        title="Linked event ID",
        description="event_id_cnty of that event in this release ('; '-joined for a multi-day event); empty "
        "string if not linked.")
    score: Series[float] = pa.Field(
        ge=0, le=1, title="Score", description="Mean of date_score, place_score and actor_score.")
    date_score: Series[float] = pa.Field(ge=0, le=1, title="Date score",
                                         description="1 - date_gap_days / (2 * date_limit_days).")
    place_score: Series[float] = pa.Field(ge=0, le=1, title="Place score",
                                          description="1 - distance_km / (2 * distance_limit_km).")
    actor_score: Series[float] = pa.Field(
        ge=0, le=1, title="Actor score",
        description="Weakest side of the better pairing of the two events' sides: 1 same actor, 0.75 similar, "
        "0.5 unidentified beside named, 0 incompatible.")
    date_gap_days: Series[int] = pa.Field(ge=0, title="Date gap", description="Days between the two events' dates.")
    date_limit_days: Series[int] = pa.Field(
        ge=0, title="Date limit", description="Most days allowed between them, from both time precisions.")
    distance_km: Series[float] = pa.Field(ge=0, title="Distance", description="Great-circle distance, km.")
    distance_limit_km: Series[float] = pa.Field(
        ge=0, title="Distance limit", description="Most kilometres allowed between them, from both geo precisions.")
    note: Series[str] = pa.Field(title="Note", description="The override's reason, or what made the pair ambiguous.")

    @pa.dataframe_check
    def linked_pairs_name_their_event(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["decision"].isin(["linked", "confirmed"]) | (df["event_key"] != "")

    @pa.dataframe_check
    def split_pairs_stay_apart(cls, df: pd.DataFrame) -> pd.Series:
        return (df["decision"] != "split") | (df["event_key"] == "")
