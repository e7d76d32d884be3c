"""Finding raw files: sorted, never following a link out of the raw folder, nothing ignored silently."""

from __future__ import annotations

import os
from pathlib import Path

from ..problems import WARNING, Problem, problem

# More report files than this are refused (within seconds, before any is read): bulk input
# belongs in coding sheets, one file per batch.
MAX_FILES = 500_000


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def find(root: Path, folder: str, suffixes: tuple[str, ...]) -> tuple[list[Path], list[Problem]]:
    """Files under root/folder whose names end in `suffixes`, in sorted path order.

    A symlink whose target lies outside `root` is refused; other files are listed as warnings
    (a stray `report.yml.bak` must not vanish unnoticed). Hidden files are skipped.
    """
    base = root / folder if folder else root
    problems: list[Problem] = []
    if not base.exists():
        return [], problems
    real_root = root.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                if not _inside((here / d).resolve(), real_root):
                    problems.append(problem("link_outside_raw", f"symlinked folder points outside the raw folder ({os.readlink(here / d)}); refused",
                                            file=relative(here / d, root)))
                else:
                    problems.append(problem("ignored_file", "symlinked folder not followed", file=relative(here / d, root), severity=WARNING))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            rel = relative(path, root)
            if path.is_symlink() and not _inside(path.resolve(), real_root):
                problems.append(problem("link_outside_raw", f"symlink points outside the raw folder ({os.readlink(path)}); refused", file=rel))
                continue
            if not name.lower().endswith(suffixes):
                problems.append(problem("ignored_file", f"not read: only {', '.join(suffixes)} files belong in {folder or '.'}/",
                                        file=rel, severity=WARNING))
                continue
            found.append(path)
            if len(found) > MAX_FILES:
                problems.append(problem("too_many_files", f"more than {MAX_FILES:,} files under {folder}/; refused "
                                        "(put bulk input in coding sheets)", file=folder))
                return [], problems
    found.sort(key=lambda p: relative(p, root))
    return found, problems


def read_bytes(path: Path, root: Path) -> bytes:
    """Read a raw file, refusing anything that resolves outside the raw folder."""
    real = path.resolve()
    if not _inside(real, root.resolve()):
        raise PermissionError(f"{relative(path, root)} resolves outside the raw folder")
    return real.read_bytes()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
