"""Command line: `python -m dataset <command>`. Parses arguments, calls the package, prints.

Exit codes: 0 success; 1 the raw input has errors (listed, and written to the report file);
2 the release could not be written (existing release, lock held, disk, permissions, usage).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build as build_cmd
from . import ids, release
from .problems import BuildFailed, render

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / "VERSION"


def default_version() -> str:
    try:
        return VERSION_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        raise release.ReleaseError(f"no --version given and no version file at {VERSION_FILE}") from None


def cmd_build(args: argparse.Namespace) -> int:
    version = args.version or default_version()
    raw, out = Path(args.raw), Path(args.out)
    try:
        outcome = build_cmd.run(raw, out, version)
    except BuildFailed as failed:
        print(render(failed.problems), file=sys.stderr)
        written = build_cmd.report(failed.problems, out)
        if written:
            print(f"problem report: {', '.join(map(str, written))}", file=sys.stderr)
        print("build failed: no release written", file=sys.stderr)
        return 1
    except release.ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
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
    path = Path(args.release)
    problems = release.verify(path)
    for p in problems:
        print(f"{path}: {p}")
    if problems:
        print(f"{path}: {len(problems)} difference(s) from the manifest", file=sys.stderr)
        return 1
    print(f"{path}: every file matches the manifest")
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
    a = sub.add_parser("analyze", help="write analysis tables (CSV), figures (PNG) and report.html for a release")
    a.add_argument("--release", default="latest", help="latest, a version such as 2024.07.0, or a release folder")
    a.add_argument("--releases", help="folder holding the releases (default: $DATASET_RELEASES or releases)")
    a.add_argument("--out", help="output folder (default: analyses/<version>)")
    a.set_defaults(func=cmd_analyze)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except release.ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
