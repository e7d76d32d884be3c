"""The claims table: one row per fatality claim (and per day, for multi-day events).

This is the provenance the project exists for: who said how many were killed and wounded, about
whom, in which report, and how the words were read.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from . import vocab
from .fields import Table


def _ordered(df: pd.DataFrame, prefix: str) -> pd.Series:
    low, best, high = (df[f"{prefix}_{k}"] for k in ("low", "best", "high"))
    return ((low <= best) & (best <= high)).fillna(True).astype(bool)


def _all_or_none(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    missing = df[columns].isna()
    return missing.all(axis=1) | ~missing.any(axis=1)


class Claims(Table):
    """Per-source, per-claimant fatality and injury figures with their ranges."""

    claim_id: Series[str] = pa.Field(
        unique=True, title="Claim ID",
        description="Stable ID: report_id, event_key and the claim's position (1-based) in that "
        "report's event entry, joined by '#'; multi-day events add '@' and the day's date.")
    event_id_cnty: Series[str] = pa.Field(
        str_fullmatch={"pattern": vocab.EVENT_ID_PATTERN}, title="Event ID", description="The event (row of events) the claim is about.")
    event_key: Series[str] = pa.Field(title="Event key", description="The coder's key of the event in raw/.")
    event_date: Series[pd.Timestamp] = pa.Field(title="Event date", description="Day of the event row.")
    report_id: Series[str] = pa.Field(title="Report ID", description="The report the claim is quoted from.")
    source: Series[str] = pa.Field(title="Source", description="The outlet that published the report.")
    claimant: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Claimant",
        description="Who makes the claim, as coded: an actor, an official, local sources, or the outlet itself.")
    claimant_actor: Series[str] = pa.Field(
        title="Claimant's registered actor",
        description="The registered actor the claimant resolves to (by name or alias); empty "
        "string if the claimant is not a registered actor.")
    stance: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.STANCES, "ordered": False}, title="Stance",
        description="Who speaks about whom: own (a side about its own losses), enemy (a side about "
        "the other side's losses), party (a side about civilian or unattributed deaths), "
        "third_party (anyone who is not a party to the event).")
    victims: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Victims",
        description="Whose deaths or injuries are claimed: registered actors, Civilians or Unknown, separated by '; '.")
    victim_group: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.VICTIM_GROUPS, "ordered": False}, title="Victim group",
        description="side_a (actor1 and associates), side_b (actor2 and associates; civilian "
        "actors count as civilians), civilians, or unknown (victims on several sides or unknown).")
    killed: Series[str] = pa.Field(
        title="Killed, as written",
        description="The death toll as written in the report ('dozens', 'about 20'); for a "
        "coded {low, best, high} mapping its canonical text; empty string if the claim gives none.")
    killed_rule: Series[str] = pa.Field(
        title="Phrase rule", description="The rule of the phrase table that read `killed` (e.g. vague:dozens).")
    fatalities_low: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, title="Killed, low",
        description="Lowest reading of the claim (divided over the days for multi-day events); missing if no toll.")
    fatalities_best: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, title="Killed, best", description="Most likely reading of the claim.")
    fatalities_high: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, title="Killed, high", description="Highest reasonable reading of the claim.")
    fatalities_acled: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, title="Killed, ACLED value",
        description="The figure ACLED's conventions give the claim: the lowest figure; dozens 12, "
        "tens 10, hundreds 100, several / many / a few 3.")
    wounded: Series[str] = pa.Field(
        title="Wounded, as written", description="The injury figure as written; empty string if none.")
    wounded_rule: Series[str] = pa.Field(title="Wounded phrase rule", description="The rule that read `wounded`.")
    wounded_low: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, title="Wounded, low", description="Lowest reading.")
    wounded_best: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, title="Wounded, best", description="Most likely reading.")
    wounded_high: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, title="Wounded, high", description="Highest reading.")
    n_days: Series[int] = pa.Field(
        ge=1, title="Days the claim is divided over",
        description="1, or the number of days of a multi-day event over which the figures were divided evenly.")
    quote: Series[str] = pa.Field(title="Quote", description="The words of the report the claim rests on.")

    @pa.dataframe_check
    def low_le_best_le_high(cls, df: pd.DataFrame) -> pd.Series:
        """low <= best <= high for killed and for wounded."""
        return _ordered(df, "fatalities") & _ordered(df, "wounded")

    @pa.dataframe_check
    def acled_value_within_low_high(cls, df: pd.DataFrame) -> pd.Series:
        """A claim's ACLED value lies within its low and high."""
        inside = (df["fatalities_low"] <= df["fatalities_acled"]) & (df["fatalities_acled"] <= df["fatalities_high"])
        return inside.fillna(True).astype(bool)

    @pa.dataframe_check
    def toll_complete_or_absent(cls, df: pd.DataFrame) -> pd.Series:
        """A claim's killed (and wounded) figures are all given or all missing."""
        killed = ["fatalities_low", "fatalities_best", "fatalities_high", "fatalities_acled"]
        wounded = ["wounded_low", "wounded_best", "wounded_high"]
        return _all_or_none(df, killed) & _all_or_none(df, wounded)

    @pa.dataframe_check
    def claim_gives_a_figure(cls, df: pd.DataFrame) -> pd.Series:
        """Every claim gives a death toll, an injury figure, or both."""
        return df["fatalities_best"].notna() | df["wounded_best"].notna()
