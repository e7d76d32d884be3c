"""The reports table: one row per raw report, so every claim leads back to its text."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from . import vocab
from .fields import Table

SCALE_PATTERN = r"(" + "|".join(vocab.SOURCE_SCALES) + r")(-(" + "|".join(vocab.SOURCE_SCALES) + r"))*"


class Reports(Table):
    """Raw reports as coded, without their text (its hash identifies the exact version)."""

    report_id: Series[str] = pa.Field(
        unique=True, str_length={"min_value": 1}, title="Report ID", description="Unique, stable ID of the report.")
    source: Series[str] = pa.Field(str_length={"min_value": 1}, title="Source", description="The outlet.")
    source_scale: Series[str] = pa.Field(
        str_fullmatch={"pattern": SCALE_PATTERN}, title="Source scale", description="ACLED source scale of the outlet.")
    published: Series[pd.Timestamp] = pa.Field(title="Published", description="Publication date of the report.")
    url: Series[str] = pa.Field(title="URL", description="Where the report was published; empty string if not given.")
    headline: Series[str] = pa.Field(title="Headline", description="Headline as published.")
    language: Series[str] = pa.Field(
        str_fullmatch={"pattern": r"[a-z]{2,3}"}, title="Language", description="ISO 639 code of the report's language.")
    text_sha256: Series[str] = pa.Field(
        str_fullmatch={"pattern": r"[0-9a-f]{64}"}, title="Text hash",
        description="SHA-256 of the report's text (UTF-8), to tell which version of the text was coded.")
    raw_path: Series[str] = pa.Field(
        title="Raw file", description="Path of the raw file, relative to the raw folder.")
    n_events: Series[int] = pa.Field(ge=0, title="Events", description="Event entries in the report.")
    n_claims: Series[int] = pa.Field(ge=0, title="Claims", description="Claims in the report.")
