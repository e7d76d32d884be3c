"""The `analyze` command's work: every table and figure of a release, the report, and the files.

`analyses(events, claims, version)` computes everything in memory (no I/O); `write` is the only
function that touches the disk, and `analyze` loads a release, computes and writes. Output is
one flat folder: CSV tables, PNG figures and `report.html`, which shows or links every one of
them. Same release -> byte-identical files (sorted rows, fixed writer options, no dates). The
release itself is only read: writing into a release folder is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure as MplFigure

from ..load import load, release_path
from ..release import MANIFEST, read_manifest
from . import actors, counts, fatalities, sources, plot_actors, plot_claims, plot_map, plot_time
from .periods import FREQS
from .plot import png_bytes
from .report import Figure, Section, Table, render

REPORT = "report.html"


@dataclass
class Outputs:
    """Everything `analyze` writes: tables and figures by file name, and the report page."""

    tables: dict[str, pd.DataFrame]
    figures: dict[str, MplFigure]
    report: str


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with ISO dates, empty fields for missing values and '\\n' line ends.

    >>> csv_bytes(pd.DataFrame({"a": [1], "d": pd.to_datetime(["2024-07-01"]), "r": [float("nan")]}))
    b'a,d,r\\n1,2024-07-01,\\n'
    """
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return buf.getvalue().encode("utf-8")


METHODS = [
    "Units: 'events' counts event rows, ACLED's unit of one row per event and day; a multi-day event's "
    "fatalities are already divided over its days. Fatality columns: fatalities_low / fatalities_best / "
    "fatalities_high are the release's uncertainty range (sums over victim groups of the claims' lowest low, "
    "most credible best and highest high); fatalities is ACLED's conservative count. Sums keep "
    "low <= best <= high in every row of every table.",
    "Time precision: events coded with time_precision 3 (only the month is known) are never put in a week: "
    "weekly tables and figures leave them out and time_precision_coverage.csv counts what each frequency "
    "leaves out. Precision 1 (day) and 2 (week or span) events are placed by their coded event_date; months "
    "and years hold every event. Weeks are ISO weeks (Monday to Sunday).",
    "Rows exist only for periods and groups with events; figures draw every period from the first to the "
    "last, zero where none was recorded.",
    "Conflicting claims: within one coded event and one victim group (side_a, side_b, civilians, unknown), at "
    "least two claims giving a death toll whose best readings differ. Claims are compared whole: the day rows "
    "of a multi-day event's claim are added back up first. Claims giving only wounded figures take no part. "
    "ranges_overlap = False means no single number lies inside every claim's range. disagreement.csv has one "
    "row per event row (every day of a multi-day event) and victim group; own_vs_enemy.csv one row per coded "
    "event and side that has both a claim about its own losses and an enemy's claim about them.",
]


class Collector:
    """Gathers tables and figures by file name and lists each in its report section, so the report
    references exactly what is written."""

    def __init__(self) -> None:
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, MplFigure] = {}

    def table(self, section: Section, name: str, frame: pd.DataFrame, caption: str) -> pd.DataFrame:
        """Keep `frame` as `name` and preview it in `section`.

        >>> c = Collector(); s = Section("S"); _ = c.table(s, "t.csv", pd.DataFrame({"a": [1]}), "A."); list(c.tables)
        ['t.csv']
        """
        self.tables[name] = frame
        section.tables.append(Table(name, caption, frame))
        return frame

    def figure(self, section: Section, name: str, fig: MplFigure, caption: str) -> None:
        """Keep `fig` as `name` and show it in `section`.

        >>> from dataset.analysis.plot import new_figure
        >>> c = Collector(); s = Section("S"); c.figure(s, "f.png", new_figure(1, 1), "F."); s.figures[0].file
        'f.png'
        """
        self.figures[name] = fig
        section.figures.append(Figure(name, caption))


def _week_note(events: pd.DataFrame) -> str:
    left_out = fatalities.unplaced(events, "week").iloc[0]
    if not left_out["events"]:
        return ""
    return (f"{left_out['events']} event row(s) with {left_out['fatalities_best']} best-estimate fatalities are known "
            "only to the month and are in no week (see time_precision_coverage.csv)")


def _over_time(c: Collector, events: pd.DataFrame) -> Section:
    section = Section("Fatalities over time", [
        "Best estimate as a line, low to high range as a band, ACLED-style conservative count dashed. "
        "Tables by country, by admin1 (within country) and by event type (within country)."])
    for freq in FREQS:
        table = c.table(section, f"fatalities_by_{freq}.csv", fatalities.fatalities_over_time(events, freq, ["country"]),
                        f"Events and fatalities per {freq} and country.")
        c.figure(section, f"fatalities_by_{freq}.png",
                 plot_time.fatalities_figure(table, freq, "country", note=_week_note(events) if freq == "week" else ""),
                 f"Fatalities per {freq}, all countries and the countries with the most best-estimate deaths: "
                 "best (line), low to high (band), ACLED-style (dashed).")
    c.figure(section, "fatalities_by_month_event_type.png",
             plot_time.fatalities_figure(fatalities.fatalities_over_time(events, "month", ["event_type"]), "month", "event_type"),
             "Fatalities per month, all event types and per event type: best, low to high, ACLED-style.")
    for freq in FREQS:
        for key in ("admin1", "event_type"):
            c.table(section, f"fatalities_by_{freq}_{key}.csv",
                    fatalities.fatalities_over_time(events, freq, fatalities.BREAKDOWNS[key]),
                    f"Events and fatalities per {freq}, country and {key}.")
    c.table(section, "time_precision_coverage.csv", fatalities.precision_coverage(events),
            "Per frequency and time precision: event rows and fatalities placed in a period (placed = True) "
            "or too coarse for it (placed = False).")
    c.table(section, "deadliest_events.csv", fatalities.deadliest_events(events),
            "The event rows with the highest best estimate.")
    return section


def _kinds(c: Collector, events: pd.DataFrame) -> Section:
    section = Section("Events by type over time", ["Event rows per period by event type and by sub-event type."])
    for freq in FREQS:
        for key, by in counts.BREAKDOWNS.items():
            c.table(section, f"event_counts_by_{freq}_{key}.csv", counts.event_counts(events, freq, by),
                    f"Event rows per {freq} and {key.replace('_', ' ')}.")
    c.figure(section, "event_counts_by_month.png",
             plot_time.event_counts_figure(c.tables["event_counts_by_month_event_type.csv"], "month"),
             "Event rows per month, stacked by event type.")
    c.figure(section, "event_counts_by_month_sub_event_type.png",
             plot_time.sub_event_figure(c.tables["event_counts_by_month_sub_event_type.csv"], "month"),
             "Event rows per month and sub-event type.")
    return section


def _who(c: Collector, events: pd.DataFrame) -> Section:
    section = Section("Actors, dyads and interactions", [
        "Fatalities here are totals of the events an actor or dyad took part in, not deaths it caused or suffered."])
    summary = c.table(section, "actors.csv", actors.actor_summary(events),
                      "Per actor: event rows by role, fatality totals, first and last seen.")
    dyads = c.table(section, "dyads.csv", actors.dyad_summary(events),
                    "Per dyad: event rows, fatality totals, first and last seen.")
    mix = c.table(section, "interaction_mix.csv", actors.interaction_mix(events),
                  "Per interaction code: event rows, share and fatalities.")
    named = dyads.assign(dyad=dyads["actor_a"] + " vs " + dyads["actor_b"].where(dyads["actor_b"] != "", "(no actor2)"))
    c.figure(section, "actors.png", plot_actors.actors_figure(summary),
             "Most active actors: events, and best / low to high / ACLED-style fatalities of their events.")
    c.figure(section, "dyads.png", plot_actors.ranked_figure(named, "dyad", "Dyads by events, with the fatalities of their events"),
             "Most active dyads (actor1 and actor2 in either order).")
    c.figure(section, "interaction_mix.png", plot_actors.interaction_figure(mix),
             "Events and fatalities per interaction type (ACLED inter codes).")
    return section


def _disagreement(c: Collector, events: pd.DataFrame, claims: pd.DataFrame) -> Section:
    section = Section("Source disagreement", [METHODS[3]])
    whole = sources.whole_claims(claims)
    dis = c.table(section, "disagreement.csv", sources.disagreement_whole(whole, events),
                  "One row per event row and victim group whose claims conflict.")
    pairs = c.table(section, "own_vs_enemy.csv", sources.own_vs_enemy_whole(whole, events),
                    "Own versus enemy claims about the same side's dead, per coded event.")
    c.table(section, "own_vs_enemy_summary.csv", sources.own_vs_enemy_summary(pairs),
            "How often the enemy claims more, the same or fewer of a side's dead.")
    c.figure(section, "disagreement.png", plot_claims.disagreement_figure(dis),
             "Conflicting claims: lowest and highest claim (best readings) per event and victim group.")
    c.figure(section, "own_vs_enemy.png", plot_claims.own_vs_enemy_figure(pairs),
             "A side's claim about its own dead against its enemy's claim about them.")
    return section


def _where(c: Collector, events: pd.DataFrame) -> Section:
    section = Section("Map", ["From the release's own coordinates; no basemap is downloaded."])
    c.figure(section, "event_map.png", plot_map.event_map(events),
             "One point per coded event, area by best fatalities, colour by event type; dashed rectangles are "
             "country bounding boxes.")
    return section


def analyses(events: pd.DataFrame, claims: pd.DataFrame, version: str) -> Outputs:
    """Every table, figure and the report of a release, in memory.

    >>> import dataset
    >>> out = analyses(dataset.load("latest", "events"), dataset.load("latest", "claims"), "2024.07.0")  # doctest: +SKIP
    >>> out.tables["fatalities_by_month.csv"].head()                                                       # doctest: +SKIP
    """
    c = Collector()
    sections = [_over_time(c, events), _kinds(c, events), _who(c, events), _disagreement(c, events, claims),
                _where(c, events)]
    intro = [f"Release {version}: {len(events)} event row(s), {len(claims)} claim row(s).", *METHODS[:3]]
    return Outputs(c.tables, c.figures, render(f"Analyses of release {version}", intro, sections))


def write(outputs: Outputs, out: Path) -> list[Path]:
    """Write every table, figure and the report into `out` (created if needed); existing files of
    the same names are replaced, other files are left alone. Returns the paths written, sorted.

    >>> write(analyses(events, claims, "2024.07.0"), Path("analyses/2024.07.0"))  # doctest: +SKIP
    """
    out.mkdir(parents=True, exist_ok=True)
    files = {name: csv_bytes(frame) for name, frame in outputs.tables.items()}
    files |= {name: png_bytes(fig) for name, fig in outputs.figures.items()}
    files[REPORT] = outputs.report.encode("utf-8")
    for name, data in files.items():
        (out / name).write_bytes(data)
    return sorted(out / name for name in files)


def analyze(release: str | Path = "latest", out: str | Path | None = None, releases: str | Path | None = None) -> list[Path]:
    """Load a release (validated), compute every analysis and write it to `out`.

    `out` defaults to `analyses/<version>`.

    >>> from dataset.analysis import analyze
    >>> analyze("latest", "/tmp/analyses")   # doctest: +SKIP
    """
    path = release_path(release, releases)
    version = str(read_manifest(path)["version"])
    target = Path(out) if out is not None else Path("analyses") / version
    inside = target.resolve()
    if inside == path.resolve() or path.resolve() in inside.parents or (target / MANIFEST).exists():
        raise ValueError(f"refusing to write analyses into a release folder ({target}): releases are never edited")
    events = load(path, "events")
    claims = load(path, "claims")
    return write(analyses(events, claims, version), target)
