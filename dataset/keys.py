"""Event keys and report IDs coded as integers, once per build.

The checks and the event step relate staged rows by key again and again: claims to their
event's definition, events and claims to their report, keys and IDs given twice. Each lookup
by text builds a hash table of millions of strings (half a second at a million events, and
more than three times that at three million, once the tables outgrow the caches). Coding each
key column once, over all the tables that use it, turns those lookups into array indexing.

A missing key is coded like any other value. That is how pandas' `duplicated` and
`drop_duplicates` treat it, and how pyarrow's `index_in` matches it, so the results equal the
text lookups they replace exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from schemas.frames import filter_rows

from . import threads
from .staged import Staged


@dataclass(frozen=True, eq=False)
class Keys:
    """Codes of the staged rows' keys; equal codes exactly where the texts are equal. Valid for
    the staged tables they were made from while their rows stay as they are (columns may go)."""

    event_key: np.ndarray  # each staged event's event_key
    claim_key: np.ndarray  # each staged claim's event_key
    n_keys: int
    report_id: np.ndarray  # each staged report's report_id
    event_report: np.ndarray  # each staged event's report_id
    claim_report: np.ndarray  # each staged claim's report_id
    n_reports: int


def coded(staged: Staged) -> Keys:
    ev, cl, rp = staged.events, staged.claims, staged.reports
    # The two columns are coded side by side: pyarrow's hash kernel releases the GIL (0.8 s on
    # one core at a million events).
    (key, keys), (report, reports) = threads.in_order([partial(_codes, ev["event_key"], cl["event_key"]),
                                                       partial(_codes, rp["report_id"], ev["report_id"], cl["report_id"])])
    return Keys(key[:len(ev)], key[len(ev):], keys, report[:len(rp)], report[len(rp):len(rp) + len(ev)],
                report[len(rp) + len(ev):], reports)


def _codes(*columns: pd.Series) -> tuple[np.ndarray, int]:
    values = pd.concat([c.reset_index(drop=True) for c in columns], ignore_index=True)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    small = len(uniques) < np.iinfo(np.int32).max  # half the memory: 0.2 GB at three million events
    return codes.astype(np.int32 if small else np.int64, copy=False), len(uniques)


class ReportRows(NamedTuple):
    """The staged reports, one row per report_id (its first), and the row of each staged claim's
    and event's report among them (-1 where none)."""

    reports: pd.DataFrame
    claim_report: np.ndarray
    event_report: np.ndarray


def report_rows(staged: Staged, keys: Keys) -> ReportRows:
    """Each staged claim's and event's report (`keys`: coded(staged)), for the checks, the
    figures and the event step."""
    reports = staged.reports
    once = first(keys.report_id)
    if not once.all():
        reports = filter_rows(reports, once)
    at = rows_of(keys.report_id[once], keys.n_reports)
    return ReportRows(reports.reset_index(drop=True), at[keys.claim_report], at[keys.event_report])


def first(codes: np.ndarray) -> np.ndarray:
    """True at the first row of each code (what `~duplicated()` gives).

    Codes from pd.factorize come in the order their values first appear, and usually still do
    when they reach here: then each code's first row is where their running maximum grows, by
    one each time, from the smallest code on (a pass over the rows, not a sort)."""
    out = np.zeros(len(codes), dtype=bool)
    if len(codes) == 0:
        return out
    highest = np.maximum.accumulate(codes)
    step = np.diff(highest)
    if codes[0] == codes.min() and not (step > 1).any():
        out[0] = True
        out[1:] = step > 0
        return out
    out[np.unique(codes, return_index=True)[1]] = True
    return out


def repeated(codes: np.ndarray) -> np.ndarray:
    """True at every row whose code occurs more than once (what `duplicated(keep=False)` gives)."""
    counts = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    return counts[codes] > 1


def rows_of(codes: np.ndarray, n: int) -> np.ndarray:
    """For each of the `n` codes, its row in `codes` (which holds each at most once), -1 where
    absent: indexed by the codes of other rows, it finds their row (what `positions` gives)."""
    out = np.full(n, -1, dtype=np.int64)
    out[codes] = np.arange(len(codes))
    return out


def lexorder(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """What `np.lexsort(keys)` gives (the last key sorts first, ties keep their row order), by
    one sort of the keys packed into one integer when their ranges fit in 62 bits:
    four keys over a few million rows sort three times faster. Dates count as integers unless
    one is missing (lexsort puts those last); other keys fall back to np.lexsort.
    """
    packed, span = None, 1
    for key in keys:
        k = np.asarray(key)
        if k.dtype.kind == "M" and not np.isnat(k).any():
            k = k.view(np.int64)
        if k.dtype.kind not in "iub" or len(k) == 0:
            return np.lexsort(keys)
        low = int(k.min())
        width = int(k.max()) - low + 1
        if span * width >= 2**62:
            return np.lexsort(keys)
        part = (k.astype(np.int64) - low) * span
        packed = part if packed is None else packed + part
        span *= width
    if packed is None:
        return np.lexsort(keys)
    n = len(packed)
    if span * n < 2**62:  # each row's position breaks ties: keys all distinct, any sort gives the stable order
        return np.argsort(packed * n + np.arange(n))  # numpy's quicksort: twice as fast as its stable sort
    return np.argsort(packed, kind="stable")

