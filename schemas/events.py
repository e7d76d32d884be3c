"""The events table: ACLED's 31 columns in ACLED's order, then this project's extensions.

One row per event and day (ACLED's unit). Descriptions here are the codebook's text.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from . import vocab
from .fields import Table
from .frames import maps_to, per_distinct, text

FATALITY_RULE = (
    "See the codebook section 'Fatality methodology': claims are grouped by victim group, each "
    "group gets low / best / high and an ACLED value from its claims, and events sum the groups."
)


class Events(Table):
    """Events, ACLED-compatible: scripts written for ACLED exports read the first 31 columns."""

    event_id_cnty: Series[str] = pa.Field(
        unique=True, str_fullmatch={"pattern": vocab.EVENT_ID_PATTERN}, title="Event ID",
        description="Stable event ID: the country's ISO 3166 alpha-3 code and a running number "
        "(MLI1). Never reused; kept when the event is edited. Registry: event_ids.csv.")
    event_date: Series[pd.Timestamp] = pa.Field(
        title="Event date", description="Day of the event (ISO date YYYY-MM-DD in CSV).")
    year: Series[int] = pa.Field(
        ge=1900, le=2100, title="Year", description="Year of event_date (derived).")
    time_precision: Series[int] = pa.Field(
        isin=vocab.TIME_PRECISIONS, title="Time precision",
        description="1 exact day reported; 2 only the week or a span of days known; "
        "3 only the month known (ACLED codes).")
    disorder_type: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.DISORDER_TYPES, "ordered": False},
        title="Disorder type", description="ACLED disorder type, derived from sub_event_type.")
    event_type: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.EVENT_TYPES, "ordered": False},
        title="Event type", description="One of ACLED's 6 event types.")
    sub_event_type: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.SUB_EVENT_TYPES, "ordered": False},
        title="Sub-event type", description="One of ACLED's 25 sub-event types; belongs to event_type.")
    actor1: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Actor 1",
        description="Name of the first actor, as registered in actors.yaml.")
    assoc_actor_1: Series[str] = pa.Field(
        title="Associated actors of actor 1",
        description="Actors fighting alongside actor1, separated by '; '; empty string if none.")
    inter1: Series[int] = pa.Field(
        isin=list(vocab.INTER_LABELS), title="Inter code of actor 1",
        description="ACLED inter code of actor1 (1 State forces, 2 Rebel group, 3 Political militia, "
        "4 Identity militia, 5 Rioters, 6 Protesters, 7 Civilians, 8 External/Other forces); "
        "derived from the actor registry.")
    actor2: Series[str] = pa.Field(
        title="Actor 2", description="Name of the second actor; empty string for one-sided events. "
        "In Violence against civilians the target is always actor2.")
    assoc_actor_2: Series[str] = pa.Field(
        title="Associated actors of actor 2",
        description="Actors alongside actor2, separated by '; '; empty string if none.")
    inter2: Series[int] = pa.Field(
        isin=[0, *vocab.INTER_LABELS], title="Inter code of actor 2",
        description="ACLED inter code of actor2; 0 when there is no actor2 (derived).")
    interaction: Series[int] = pa.Field(
        isin=vocab.INTERACTIONS, title="Interaction code",
        description="Two-digit code of the two inter codes, smaller first (12 = State forces vs "
        "Rebel group); inter1 * 10 when there is no actor2 (derived).")
    civilian_targeting: Series[str] = pa.Field(
        isin=vocab.CIVILIAN_TARGETING_VALUES, title="Civilian targeting",
        description="'Civilians targeted' when civilians were the main or only target (always for "
        "Violence against civilians); empty string otherwise.")
    iso: Series[int] = pa.Field(
        ge=0, le=999, title="ISO 3166 numeric code",
        description="Numeric ISO 3166 code of country (Mali 466; Kosovo 0 as in ACLED) (derived).")
    region: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.REGIONS, "ordered": False},
        title="Region", description="ACLED region of country (derived).")
    country: Series[pd.CategoricalDtype] = pa.Field(
        dtype_kwargs={"categories": vocab.country_names(), "ordered": False},
        title="Country", description="Country, spelled as ACLED does.")
    admin1: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Admin 1", description="Largest sub-national unit.")
    admin2: Series[str] = pa.Field(
        title="Admin 2", description="Second sub-national unit; empty string if not known.")
    admin3: Series[str] = pa.Field(
        title="Admin 3", description="Third sub-national unit; empty string if not known or not used.")
    location: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Location", description="Named place of the event.")
    latitude: Series[float] = pa.Field(
        ge=-90, le=90, title="Latitude", description="WGS84 latitude of location, 4 decimals.")
    longitude: Series[float] = pa.Field(
        ge=-180, le=180, title="Longitude", description="WGS84 longitude of location, 4 decimals.")
    geo_precision: Series[int] = pa.Field(
        isin=vocab.GEO_PRECISIONS, title="Geo precision",
        description="1 the named place itself; 2 near the place or a part of a region; "
        "3 only a larger region known (ACLED codes).")
    source: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Source",
        description="Outlets of the reports behind the event, separated by '; ', in order of "
        "first publication.")
    source_scale: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Source scale",
        description="Scales of those outlets joined by '-' in ACLED's order "
        "(Local partner, Subnational, National, Regional, International, New media, Other).")
    notes: Series[str] = pa.Field(
        title="Notes", description="Coder's summary of the event; multi-day events say how the "
        "fatalities were divided over the days.")
    fatalities: Series[int] = pa.Field(
        ge=0, title="Fatalities (ACLED rule)",
        description="ACLED-compatible conservative count: per victim group the lowest ACLED value "
        "among the claims, summed over groups; 0 when no claim gives a death toll. " + FATALITY_RULE)
    tags: Series[str] = pa.Field(
        title="Tags", description="Structured tags separated by '; '; empty string if none.")
    timestamp: Series[int] = pa.Field(
        ge=0, title="Timestamp",
        description="Unix time (seconds, UTC midnight) of the newest report publication behind "
        "the event; changes when a new report adds to the event. Never the build's clock.")
    fatalities_low: Series[int] = pa.Field(
        ge=0, title="Fatalities, low estimate",
        description="Lowest reasonable total: sum over victim groups of each group's low. " + FATALITY_RULE)
    fatalities_best: Series[int] = pa.Field(
        ge=0, title="Fatalities, best estimate",
        description="Most likely total: sum over victim groups of each group's best; equals "
        "deaths_a + deaths_b + deaths_civilians + deaths_unknown.")
    fatalities_high: Series[int] = pa.Field(
        ge=0, title="Fatalities, high estimate",
        description="Highest reported total: sum over victim groups of each group's high.")
    n_sources: Series[int] = pa.Field(
        ge=1, title="Number of sources",
        description="Number of distinct outlets whose reports define or make claims about the event.")
    deaths_a: Series[int] = pa.Field(
        ge=0, title="Deaths on actor1's side",
        description="Best estimate of deaths among actor1 and its associated actors (UCDP GED's deaths_a).")
    deaths_b: Series[int] = pa.Field(
        ge=0, title="Deaths on actor2's side",
        description="Best estimate of deaths among actor2 and its associated actors, unless actor2 "
        "is civilian (then they count as deaths_civilians) (UCDP GED's deaths_b).")
    deaths_civilians: Series[int] = pa.Field(
        ge=0, title="Civilian deaths", description="Best estimate of civilians killed.")
    deaths_unknown: Series[int] = pa.Field(
        ge=0, title="Deaths of unknown status",
        description="Best estimate of deaths that claims do not attribute to one side "
        "(victims Unknown, or claims naming victims on several sides).")
    event_key: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Event key",
        description="The coder's key of the event in raw/ (several rows share it when a coded "
        "event spans several days).")
    n_days: Series[int] = pa.Field(
        ge=1, title="Days in coded event",
        description="Number of daily rows the coded event was divided into (1 for single-day events).")

    # Cross-column checks look each distinct value up once (`per_distinct`) and read categories
    # as text without a round trip through Python objects (`text`): a million rows, not a loop.

    @pa.dataframe_check
    def sub_event_matches_event(cls, df: pd.DataFrame) -> pd.Series:
        """sub_event_type belongs to event_type (ACLED's taxonomy)."""
        return maps_to(df["sub_event_type"], vocab.SUB_EVENT_TO_EVENT, df["event_type"])

    @pa.dataframe_check
    def disorder_matches_sub_event(cls, df: pd.DataFrame) -> pd.Series:
        """disorder_type is the one ACLED gives sub_event_type."""
        return maps_to(df["sub_event_type"], vocab.SUB_EVENT_TO_DISORDER, df["disorder_type"])

    @pa.dataframe_check
    def year_matches_date(cls, df: pd.DataFrame) -> pd.Series:
        """year is the year of event_date."""
        return df["event_date"].dt.year == df["year"]

    @pa.dataframe_check
    def interaction_matches_inter(cls, df: pd.DataFrame) -> pd.Series:
        """interaction is the two inter codes, smaller first (inter1 * 10 without actor2)."""
        lo = df[["inter1", "inter2"]].where(df[["inter1", "inter2"]] > 0).min(axis=1)
        hi = df[["inter1", "inter2"]].max(axis=1)
        expected = (lo * 10 + hi.where(df["inter2"] > 0, 0)).astype("int64")
        return expected == df["interaction"]

    @pa.dataframe_check
    def no_actor2_means_inter2_zero(cls, df: pd.DataFrame) -> pd.Series:
        """inter2 is 0 exactly when there is no actor2."""
        return (df["actor2"] == "") == (df["inter2"] == 0)

    @pa.dataframe_check
    def country_codes_match(cls, df: pd.DataFrame) -> pd.Series:
        """iso, region and the event ID's prefix are those of country."""
        table = vocab.countries()
        country = df["country"]
        iso = per_distinct(country, {k: c.iso for k, c in table.items()}, "Int64")
        iso3 = per_distinct(country, {k: c.iso3 for k, c in table.items()}, "str")
        return ((iso == df["iso"]).fillna(False).astype(bool)
                & maps_to(country, {k: c.region for k, c in table.items()}, df["region"])
                & (iso3 == df["event_id_cnty"].str[:3]))

    @pa.dataframe_check
    def civilian_targeting_in_violence_against_civilians(cls, df: pd.DataFrame) -> pd.Series:
        """Every Violence against civilians event is marked 'Civilians targeted'."""
        return (text(df["event_type"]) != vocab.VIOLENCE_AGAINST_CIVILIANS) | (
            df["civilian_targeting"] == vocab.CIVILIANS_TARGETED)

    @pa.dataframe_check
    def low_le_best_le_high(cls, df: pd.DataFrame) -> pd.Series:
        """fatalities_low <= fatalities_best <= fatalities_high."""
        return (df["fatalities_low"] <= df["fatalities_best"]) & (df["fatalities_best"] <= df["fatalities_high"])

    @pa.dataframe_check
    def fatalities_within_low_high(cls, df: pd.DataFrame) -> pd.Series:
        """fatalities_low <= fatalities <= fatalities_high."""
        return (df["fatalities_low"] <= df["fatalities"]) & (df["fatalities"] <= df["fatalities_high"])

    @pa.dataframe_check
    def deaths_by_side_add_up_to_best(cls, df: pd.DataFrame) -> pd.Series:
        """deaths_a + deaths_b + deaths_civilians + deaths_unknown = fatalities_best."""
        total = df["deaths_a"] + df["deaths_b"] + df["deaths_civilians"] + df["deaths_unknown"]
        return total == df["fatalities_best"]
