"""raw/ -> staged -> checked -> tables -> validated: the build without its I/O at the far edge.

Every stage adds its problems to one list; the build stops only after all stages that can run
have run, so a coder sees every error at once. Timings per stage are kept for `make bench`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

import schemas
from schemas.frames import sort_order

from . import checks, ids, imports, link, memory, raw_tree, threads
from .keys import coded, report_rows
from .events import Assembly, Tables, assemble, read_figures, reports_order, reports_table
from .problems import BuildFailed, Problem, errors, problem
from .readers import READERS, caches
from .readers import actors as actor_registry
from .readers import files, parse_cache
from .staged import Staged


@dataclass
class Stages:
    """Wall time per stage, for the benchmark (never written into a release)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


# Rows of a table validated and handed on at a time: memory holds the staged input and a part
# or two, not the whole output. Where the cuts fall changes no output byte.
PART_ROWS = 131_072
# A shorter table is still cut into PARTS parts (of MIN_PART_ROWS rows at least), one per making
# thread: the parts are made at once and each is checked and written while the other is still
# made. The events of 100,000 reports were one part of 112,503 rows, encoded after all of them
# were made, on cores that were idle meanwhile. Four parts, with two makers, cost each table's
# fixed work per part (schema checks, joins of 45 columns, comparisons) twice: the one-edit
# rebuild of 100,000 reports took 0.3 s longer (5.34 s against 5.01 s, five rounds alternated).
# Threads making the next parts while this one checks and hands on the part before, and the rows
# they may make ahead of it. With one thread and one part ahead, the tables of a one-edit rebuild
# of 100,000 reports waited on it: the claims took 0.9 s and the events 1.33 s; with two threads,
# 0.73 s and 1.11 s, one part's takes releasing the GIL while the other's Python holds it. A part
# is begun only once the one MAKERS before it is taken, unless the parts are short enough for
# AHEAD_ROWS: then the last of several small parts is not begun late, after the others.
MAKERS = 2
PARTS = MAKERS
MIN_PART_ROWS = 16_384
AHEAD_ROWS = 2 * PART_ROWS


def part_size(n: int, part_rows: int) -> int:
    """Rows per part of a table of `n` rows (parts of at most `part_rows`)."""
    return min(part_rows, max(MIN_PART_ROWS, -(-n // PARTS)))


def parts_ahead(size: int) -> int:
    """How many parts of `size` rows may be made ahead of the one being checked: one per making
    thread, or as many as AHEAD_ROWS rows hold."""
    return max(MAKERS, AHEAD_ROWS // size)


class Sink(Protocol):
    """Where the validated tables go, part by part in published order, one table after another."""

    def begin(self, table: str, rows: int) -> None:
        """Table `table` comes next, `rows` rows long, in parts (`put`) until `close`."""

    def put(self, table: str, part: pd.DataFrame) -> None: ...

    def close(self, table: str) -> None: ...

    def described(self, draft: Result) -> None:
        """Every table is put: `draft` is the result but for the whole-table checks, which run
        meanwhile (a failure among them raises BuildFailed afterwards, as a failed part does)."""


class Collect:
    """A Sink keeping every table whole in memory (tests, analyses, small builds)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[pd.DataFrame]] = {}

    def begin(self, table: str, rows: int) -> None:
        pass

    def put(self, table: str, part: pd.DataFrame) -> None:
        self.parts.setdefault(table, []).append(part)

    def close(self, table: str) -> None:
        pass

    def described(self, draft: Result) -> None:
        pass

    def table(self, name: str) -> pd.DataFrame:
        parts = self.parts[name]
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


@dataclass
class Result:
    tables: Tables | None  # the whole tables, when collected in memory (None when streamed to a sink)
    warnings: list[Problem]
    fingerprint: str
    new_ids: int
    links: pd.DataFrame  # the links review table as published (links.csv)
    rows: dict[str, int]  # rows per published table
    registry: pd.DataFrame  # the ID registry grown by this build's new IDs (event_ids.csv)
    keys: dict[str, pd.DataFrame]  # per published table, the KEPT columns (its ID and event_key among them)
    orders: dict[str, np.ndarray]  # per data table, its IDs' sort order (frames.sort_order of keys' IDs)


def stage(raw: Path, cache: Path | None = None, tree: raw_tree.Tree | None = None,
          registry: Future[tuple[pd.DataFrame, list[Problem]]] | None = None) -> tuple[Staged, pd.DataFrame, list[Problem]]:
    """Read every kind of raw input into staged tables, plus the actor registry. `tree`, the walk
    of raw/ that the readers list their folders from, is walked here when not given; `registry`,
    the actor registry's reading (actor_registry.read) begun already, if it was."""
    tree = tree or raw_tree.walk(raw)
    staged = Staged.concat([read(raw, cache, tree) for read in READERS])
    actors, actor_problems = registry.result() if registry is not None else actor_registry.read(raw)
    return staged, actors, staged.problems + actor_problems


Registries = list[pd.DataFrame] | Callable[[], list[pd.DataFrame]]


def compile_release(raw: Path, previous: Registries, today: dt.date | None = None,
                    stages: Stages | None = None, cache: Path | None = None, sink: Sink | None = None,
                    part_rows: int | None = None, early: raw_tree.Early | None = None) -> Result:
    """Build the validated tables from `raw`, or raise BuildFailed with every problem found.

    `previous` are ID registries of earlier releases (the committed raw/event_ids.csv wins over them),
    or a function that gives them, called once the IDs are due (after the checks);
    `cache` is a folder for the readers' parse cache (an optimisation only). The tables go to
    `sink` part by part as they are validated (reports, claims, then events); without a sink
    they are kept whole in `Result.tables`. A sink may have received parts of a build that then
    fails, and been told the tables are done (`Sink.described`) before the whole-table checks
    failed: it must discard all of it on BuildFailed. `early` is the walk of `raw` that the
    command started (raw_tree.early); without it, or if it failed, raw/ is walked here.
    """
    stages = stages or Stages()
    today = today or dt.date.today()
    if not raw.is_dir():
        raise BuildFailed([problem("missing_folder", f"raw folder {raw} does not exist")])
    try:
        return _compile(raw, previous, today, stages, cache, sink, part_rows or PART_ROWS, early)
    finally:
        parse_cache.wait()  # the parse cache is written while the build goes on


def _compile(raw: Path, previous: Registries, today: dt.date, stages: Stages, cache: Path | None,
             sink: Sink | None, part_rows: int, early: raw_tree.Early | None) -> Result:
    # The readers' parse caches are decoded while the walk of raw/ is awaited (0.1-0.2 s after the
    # imports, one edit of 100,000 reports): they need nothing the walk finds.
    # So is the actor registry read (0.05-0.1 s at 3,000 actors), and the checks' references
    # loaded, while this thread only waits.
    with stages.timed("parse"), parse_cache.loading_soon(caches(cache)), \
            threads.beside(actor_registry.read, raw) as registry, threads.beside(checks.load_references):
        tree = early.result() if early is not None else None
        if tree is None or tree.root != raw:
            tree = raw_tree.walk(raw)  # once, for the readers and the fingerprint
        staged, actors, found = stage(raw, cache, tree, registry)
        memory.give_back()
    # Hashing every raw file is mostly waiting on sha256, which releases the GIL: it runs on the
    # second core while the checks and the event step run here. A build that fails waits for it
    # (threads.beside): nothing it started outlives its failure.
    with threads.beside(fingerprint, raw, staged.digests, tree) as raw_fingerprint:
        with stages.timed("link"):  # imported actors join the registry; one incident, one event
            joined = imports.join(raw, staged, actors)
            staged, actors, found = joined.staged, joined.actors, found + joined.problems
        with stages.timed("normalize"):
            keys = coded(staged)  # the keys as integers, for the checks and the event step
            rows = report_rows(staged, keys)  # each event's and claim's report
            # The figures are read on a thread of their own while the checks run on two: the
            # checks leave part of both cores idle, and neither needs the other.
            with threads.beside(read_figures, staged, rows) as reading:
                found += imports.relax(checks.run(staged, actors, today, keys, rows))
            figures, figure_problems = reading.result()
            found += figure_problems
            memory.give_back()
            try:
                committed = ids.read(raw / ids.FILE, root=raw)
            except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
                committed = ids.empty()
                found.append(problem("unreadable_file", str(err), file=ids.FILE))
            except OSError as err:  # a folder of that name, a file that cannot be read
                committed = ids.empty()
                found.append(problem("unreadable_file", f"cannot be read: {err.strerror or err}", file=ids.FILE))
            else:
                found += ids.problems(committed)  # its rows, once it could be read
        if errors(found):
            raise BuildFailed(found)
        registry = ids.merge(committed, *(previous() if callable(previous) else previous))
        out = sink if sink is not None else Collect()
        with stages.timed("aggregate"):
            by_id = reports_order(staged.reports)
            # The reports table is made, checked and handed on on a second thread while the event
            # step runs here: the event step is mostly Python, holding one core; putting the
            # reports in order of ID, their checks and their encoding are largely pyarrow's,
            # which releases the GIL.
            with threads.beside(_put_reports, staged.reports, by_id, out) as putting:
                # consumes the figures; keeps staged
                assembly = assemble(staged, actors, registry, figures, rows, keys, by_id)
            report_problems, kept_reports = putting.result()
        found += report_problems
        links_table = joined.links
        del staged, joined, figures, rows, keys
        memory.give_back()
        tables, orders = _put_tables(assembly, out, stages, found, part_rows)
        kept = {"reports": kept_reports, **tables}
        orders["reports"] = _id_order("reports", kept_reports)
        rows = {"events": assembly.n_events, "claims": assembly.n_claims, "reports": len(kept["reports"])}
        grown = assembly.registry
        del assembly  # the staged input ends here
        memory.give_back()
        with stages.timed("validate"):
            links = link.published(links_table, kept["events"])
        draft = Result(None, found, raw_fingerprint.result(), len(grown) - len(registry), links, rows, grown, kept,
                       orders)
        # The whole-table checks spend their time in pyarrow's hash kernels (the GIL released); the
        # sink writes what describes the tables (registry, change list) meanwhile, mostly on this
        # thread: the two overlap on the two cores instead of following each other.
        with threads.beside(_whole_table_problems, kept, links, orders) as checking, stages.timed("write"):
            out.described(draft)
        with stages.timed("validate"):
            found += checking.result()
        if errors(found):
            raise BuildFailed(found)
        tables = Tables(out.table("events"), out.table("claims"), out.table("reports"), grown) if sink is None else None
        return replace(draft, tables=tables, warnings=found)


# What is kept whole of each table while the tables go out part by part: what the checks that
# need whole tables read (IDs, keys across tables, figures), and where a failure is located.
KEPT = {"reports": ["report_id"],
        "claims": ["claim_id", "event_id_cnty", "event_key", "report_id", "fatalities_best", "fatalities_high"],
        "events": ["event_id_cnty", "event_key", "fatalities_high"]}


def _put_reports(staged_reports: pd.DataFrame, by_id: np.ndarray, sink: Sink) -> tuple[list[Problem], pd.DataFrame]:
    """The reports table (events.reports_table) checked and handed to `sink` whole, before the
    claims and events; its problems and KEPT columns."""
    reports = reports_table(staged_reports, by_id)
    problems, kept = _checked("reports", reports, part=False)
    sink.begin("reports", len(reports))
    sink.put("reports", reports)
    sink.close("reports")
    return problems, kept


def _checked(name: str, df: pd.DataFrame, part: bool) -> tuple[list[Problem], pd.DataFrame]:
    """The schema problems of table `name` (`part`: of a part of it) and its KEPT columns, copied:
    a view would keep `df` alive."""
    return _located([schemas.validate(name, df, part=part)], {name: df}), df[KEPT[name]].copy(deep=True)


def _put_tables(a: Assembly, sink: Sink, stages: Stages, found: list[Problem], part_rows: int
                ) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """Claims, then events, each made, checked (`found` grows) and handed to `sink` a part at a
    time; what only the written table needed is freed before the next.

    Returns the KEPT columns of each table, whole, for the checks that need whole tables
    (`_whole_table_problems`), and the sort order of each table's IDs (`_id_order`). The claims'
    IDs are sorted on a second thread while the events are made: pyarrow's sort releases the
    GIL, and it is the longest step of the build's end, where the two cores are busy already.
    """
    claims = _put_table("claims", a.n_claims, a.claim_rows, sink, stages, found, part_rows)
    a.drop_claims()
    with threads.beside(_id_order, "claims", claims) as sorting:
        events = _put_table("events", a.n_events, a.event_rows, sink, stages, found, part_rows)
    return {"claims": claims, "events": events}, {"claims": sorting.result(), "events": _id_order("events", events)}


def _put_table(name: str, n: int, make: Callable[[int, int], pd.DataFrame], sink: Sink, stages: Stages,
               found: list[Problem], part_rows: int) -> pd.DataFrame:
    """Table `name` of `n` rows, rows start..stop made by `make`, put part by part; its KEPT columns.

    Parts are made on MAKERS threads (threads.ahead) while the one before is checked and handed
    on: here the build waited on this thread, with a core to spare (the writers' threads idle a
    quarter of the time), and making a part is largely takes that release the GIL. Memory holds
    MAKERS parts more, or AHEAD_ROWS rows."""
    narrow = []
    size = part_size(n, part_rows)
    cuts = [partial(make, start, min(start + size, n)) for start in range(0, max(n, 1), size)]
    sink.begin(name, n)
    with threads.ahead(cuts, parts_ahead(size), MAKERS) as parts:
        for _ in cuts:
            with stages.timed("aggregate"):
                part = next(parts)
            with stages.timed("validate"):
                problems, kept_part = _checked(name, part, part=True)
                found += problems
                narrow.append(kept_part)
            with stages.timed("write"):
                sink.put(name, part)
            # Not given back to the OS here: the next part, the same size, reuses what this one
            # freed. Giving it back made every part fault its pages in afresh (0.6 s at 1M events).
            del part
    kept = narrow[0] if len(narrow) == 1 else pd.concat(narrow, ignore_index=True)
    with stages.timed("write"):
        sink.close(name)
    return kept


def _id_order(name: str, kept: pd.DataFrame) -> np.ndarray:
    """The sort order of table `name`'s IDs (schemas.frames.sort_order): sorted once, it tells
    the whole-table checks whether an ID repeats and the change list the order of its rows."""
    return sort_order(kept[schemas.PRIMARY_KEYS[name][0]])


def _whole_table_problems(kept: dict[str, pd.DataFrame], links: pd.DataFrame, orders: dict[str, np.ndarray]
                          ) -> list[Problem]:
    """What parts of tables cannot show (IDs repeated across parts, the rules between tables),
    checked on the kept columns (`orders`: their IDs' sort orders, `_id_order`), and the links
    review table.

    The three whole-table checks only read the kept columns and spend their time in pyarrow's
    hash kernels, which release the GIL: they run side by side on two threads (2.1 -> 1.8 s at
    a million events), and their failures are listed in the same order as one after another.
    """
    by_column = {name: {schemas.PRIMARY_KEYS[name][0]: order} for name, order in orders.items()}
    failures = threads.in_order([partial(schemas.unique_failures, "events", kept["events"], by_column["events"]),
                                 partial(schemas.unique_failures, "claims", kept["claims"], by_column["claims"]),
                                 partial(schemas.cross_table_failures, kept["events"], kept["claims"], kept["reports"],
                                         orders["events"])])
    failures.append(schemas.validate("links", links))
    return _located(failures, {**kept, "links": links})


def _located(failures: list[pd.DataFrame], frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Schema failures as problems, each named by the event key and report of its row."""
    out = []
    for f in failures:
        for rec in f.itertuples(index=False):
            df = frames[rec.table]
            key = df["event_key"].iloc[rec.row] if "event_key" in df and 0 <= rec.row < len(df) else ""
            rid = df["report_id"].iloc[rec.row] if rec.table != "events" and "report_id" in df and 0 <= rec.row < len(df) else ""
            out.append(problem(f"schema:{rec.check}", f"{rec.table} table fails {rec.check} ({rec.failure_case})",
                               file=f"<{rec.table}>", report_id=rid, event_key=key, field=rec.column))
    return out


def fingerprint(raw: Path, known: dict[str, str] | None = None, tree: raw_tree.Tree | None = None) -> str:
    """sha256 over the sorted (path, sha256) of every file under raw/ that a build may read.

    `known` gives digests the readers already computed (path relative to raw/), not hashed again;
    `tree` is the walk of raw/ the readers listed their files from, not walked again.
    """
    known = known or {}
    digest = hashlib.sha256()
    if tree is None or not tree.complete:  # the readers refuse a folder of too many files; this hashes them all
        tree = raw_tree.walk(raw, bounded=False)
    paths, rels = tree.paths, tree.rels
    for path, rel in zip(paths, rels):
        sha = known.get(rel) or files.sha256(path, raw)
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()
