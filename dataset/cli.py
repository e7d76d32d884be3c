"""Command line: `python -m dataset <command>`. Parses arguments, calls the package, prints.

Exit codes: 0 success; 1 the raw input has errors (listed, and written to the report file);
2 the release could not be written (existing release, lock held, disk, permissions, usage).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import raw_tree
from .problems import BuildFailed, ReleaseError, render

# Each command imports the modules it needs (pandas, pyarrow and pandera among them: about a
# second) when it runs: `build` first starts listing raw/ in a child process (raw_tree.early),
# which then overlaps that second.

# Modules no command uses that pandera imports whenever it can: hypothesis (installed for the
# tests), which it imports at the first validation for its data-synthesis strategies (0.12-0.15 s
# of a build's one thread), and geopandas (not installed), which it looks for again on each of
# some 360 dtype lookups (0.04 s). A command runs with both hidden (`hidden`): their import fails
# at once, as if they were not installed, and pandera goes without them.
UNUSED = ("hypothesis", "geopandas")


@contextmanager
def hidden(names: tuple[str, ...]) -> Iterator[None]:
    """Within the block, `import name` raises ImportError for each of `names` not imported yet."""
    hide = [name for name in names if name not in sys.modules]
    for name in hide:
        sys.modules[name] = None  # the import system's own "not importable" mark
    try:
        yield
    finally:
        for name in hide:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


@contextmanager
def collections_paused() -> Iterator[None]:
    """Within the block, no garbage collection: importing pandas, pyarrow and pandera makes some
    hundred thousand objects, none of them garbage, and collections scanning them cost the
    command 0.05 s of its second of imports (a dozen runs alternated: 0.92 s against 0.97 s)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / "VERSION"


def default_version() -> str:
    try:
        return VERSION_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        raise ReleaseError(f"no --version given and no version file at {VERSION_FILE}") from None


def cmd_build(args: argparse.Namespace) -> int:
    version = args.version or default_version()
    raw, out = Path(args.raw), Path(args.out)
    walking = raw_tree.early(raw)
    try:
        with collections_paused():
            from . import build as build_cmd
            from . import ids
        args.imported()
        outcome = build_cmd.run(raw, out, version, early=walking)
    except BuildFailed as failed:
        print(render(failed.problems), file=sys.stderr)
        written = build_cmd.report(failed.problems, out)
        if written:
            print(f"problem report: {', '.join(map(str, written))}", file=sys.stderr)
        print("build failed: no release written", file=sys.stderr)
        return 1
    except (ReleaseError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        if walking is not None:
            walking.close()
    build_cmd.report(outcome.warnings, out)
    if outcome.warnings:
        print(render(outcome.warnings), file=sys.stderr)
    rows = ", ".join(f"{n} {name}" for name, n in outcome.rows.items())
    verb = "published" if outcome.published else "up to date (rebuilt in memory: identical)"
    print(f"release {outcome.release}: {verb}; {rows}; {len(outcome.warnings)} warning(s)")
    if outcome.new_ids:
        print(f"note: {outcome.new_ids} event(s) got new IDs. Make them permanent: "
              f"python -m dataset ids --raw {raw} --out {out}  (then review and commit {raw / ids.FILE})")
    return 0


def cmd_ids(args: argparse.Namespace) -> int:
    """Copy the latest release's ID registry into raw/ for review and commit."""
    from . import ids, release

    latest = Path(args.out) / release.LATEST
    source = latest / ids.FILE
    if not source.exists():
        print(f"error: no release at {latest}; run the build first", file=sys.stderr)
        return 2
    target = Path(args.raw) / ids.FILE
    before = len(ids.read(target))
    data = source.read_bytes()
    target.write_bytes(data)
    print(f"{target}: {len(ids.read(target)) - before} new row(s); review and commit it")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from . import release

    path = Path(args.release)
    problems = release.verify(path)
    for p in problems:
        print(f"{path}: {p}")
    if problems:
        print(f"{path}: {len(problems)} difference(s) from the manifest", file=sys.stderr)
        return 1
    print(f"{path}: every file matches the manifest")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Changes between two releases (paths, versions or "latest")."""
    from . import diff
    from .load import release_path

    old_path, new_path = release_path(args.old, args.releases), release_path(args.new, args.releases)
    tables = [diff.read_tables(p) for p in (old_path, new_path)]
    changes = diff.diff(*tables)
    rows = {t: len(df) for t, df in tables[1].items()}
    print(diff.changelog_section(changes, old_path.resolve().name, new_path.resolve().name, rows), end="")
    if args.csv:
        Path(args.csv).write_bytes(diff.changes_csv(changes))
        print(f"\n{len(changes)} change(s) written to {args.csv}")
    return 0


def cmd_codebook(args: argparse.Namespace) -> int:
    from . import codebook

    text = codebook.markdown()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from . import export
    from .load import read as read_table
    from .load import release_path

    path = release_path(args.release, args.releases)
    data = export.acled_csv(read_table(path, "events"), spreadsheet=args.spreadsheet)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"{args.out}: {path.resolve().name} events in the ACLED export-tool format"
              + (" (spreadsheet-safe)" if args.spreadsheet else ""))
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    """Draft a coding from a plain-text report (issue 10). Reads raw/ for actors and places."""
    import datetime as dt

    from . import draft
    from .draft import places, render
    from .draft.lexicon import load as load_lexicon
    from .draft.text import split_headline

    try:
        published = dt.date.fromisoformat(args.published)
    except ValueError:
        print(f"error: --published {args.published!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    path, raw = Path(args.file), Path(args.raw)
    actors = Path(args.actors) if args.actors else raw / "actors.yaml"
    try:
        text = path.read_text(encoding="utf-8")
        registry = draft.registry_from_file(actors)
    except (OSError, UnicodeDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    headline, body = split_headline(text)
    gazetteer = places.load(raw if raw.exists() else None, with_towns=not args.no_gazetteer)
    d = draft.draft_text(body, args.source, published, args.language, registry, gazetteer)
    out = render.draft_yaml(d, d.context, path.name, headline, args.source_scale, load_lexicon().version)
    if args.out:
        Path(args.out).write_text(out, encoding="utf-8")
        print(f"{args.out}: draft with {len(d.claims)} figure(s); review it, then remove `draft: true`",
              file=sys.stderr)
    else:
        sys.stdout.write(out)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Tables, figures and a report for one release (read-only: the release is never touched)."""
    from .analysis.run import REPORT, analyze  # here, so the other commands do not load matplotlib
    try:
        written = analyze(args.release, args.out, args.releases)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = written[0].parent if written else Path(args.out or ".")
    tables = sum(p.suffix == ".csv" for p in written)
    figures = sum(p.suffix == ".png" for p in written)
    print(f"{out}: {tables} table(s), {figures} figure(s); open {out / REPORT}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dataset", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a release from raw reports")
    b.add_argument("--raw", default="raw", help="raw input folder (default: raw)")
    b.add_argument("--out", default="releases", help="releases folder (default: releases)")
    b.add_argument("--version", help=f"release version YYYY.MM.N (default: the committed {VERSION_FILE.name} file)")
    b.set_defaults(func=cmd_build)
    i = sub.add_parser("ids", help="copy the latest release's event ID registry into raw/ for commit")
    i.add_argument("--raw", default="raw")
    i.add_argument("--out", default="releases")
    i.set_defaults(func=cmd_ids)
    v = sub.add_parser("verify", help="check a release's files against its manifest")
    v.add_argument("release", help="release folder, e.g. releases/latest")
    v.set_defaults(func=cmd_verify)
    d = sub.add_parser("diff", help="list what changed between two releases")
    d.add_argument("old", help="older release: path, version or latest")
    d.add_argument("new", help="newer release: path, version or latest")
    d.add_argument("--releases", default="releases", help="releases folder for versions (default: releases)")
    d.add_argument("--csv", help="also write every change, field by field, to this CSV file")
    d.set_defaults(func=cmd_diff)
    c = sub.add_parser("codebook", help="print the codebook generated from the schemas")
    c.add_argument("--out", help="write to this file instead of standard output")
    c.set_defaults(func=cmd_codebook)
    e = sub.add_parser("export", help="write a release's events in another format")
    e.add_argument("--release", default="latest", help="path, version or latest (default)")
    e.add_argument("--releases", default="releases")
    e.add_argument("--flavour", choices=["acled"], default="acled",
                   help="acled: ACLED export-tool CSV with dates like '27 July 2024'")
    e.add_argument("--spreadsheet", action="store_true",
                   help="for spreadsheets: byte-order mark, formula-like text neutralised with a leading apostrophe")
    e.add_argument("--out", help="output file (default: standard output)")
    e.set_defaults(func=cmd_export)
    d = sub.add_parser("draft", help="draft a coding (raw format v1, marked draft: true) from a plain-text report")
    d.add_argument("file", help="plain-text report (a first line without a full stop is read as the headline)")
    d.add_argument("--source", required=True, help="the outlet, e.g. 'Associated Press'")
    d.add_argument("--published", required=True, help="publication date YYYY-MM-DD (relative dates resolve against it)")
    d.add_argument("--language", choices=["en", "fr"], default="en")
    d.add_argument("--out", help="write the draft here (default: standard output)")
    d.add_argument("--source-scale", help="ACLED source scale, e.g. International (else left as TODO)")
    d.add_argument("--raw", default="raw", help="raw folder: actor registry and places already coded (default: raw)")
    d.add_argument("--actors", help="actor registry (default: RAW/actors.yaml)")
    d.add_argument("--no-gazetteer", action="store_true", help="only places already coded in raw/ (faster)")
    d.set_defaults(func=cmd_draft)
    a = sub.add_parser("analyze", help="write analysis tables (CSV), figures (PNG) and report.html for a release")
    a.add_argument("--release", default="latest", help="latest, a version such as 2024.07.0, or a release folder")
    a.add_argument("--releases", help="folder holding the releases (default: $DATASET_RELEASES or releases)")
    a.add_argument("--out", help="output folder (default: analyses/<version>)")
    a.set_defaults(func=cmd_analyze)
    return p


def main(argv: list[str] | None = None, imported: Callable[[], None] = lambda: None) -> int:
    """Run the command in `argv`; `imported` is called once a command has imported the libraries
    it needs (`python -m dataset` freezes their objects for the garbage collector then)."""
    args = parser().parse_args(argv)
    args.imported = imported
    try:
        with hidden(UNUSED):
            return args.func(args)
    except (ReleaseError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
