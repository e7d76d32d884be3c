"""Finding raw files: sorted, never following a link out of the raw folder, nothing ignored silently."""

from __future__ import annotations

import bisect
import csv
import hashlib
import itertools
import os
import stat
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from .. import raw_tree
from ..problems import WARNING, Problem, problem
from ..raw_tree import Tree, files_under, in_order, inside, real


def text_csv(path: Path, read_options: pacsv.ReadOptions | None = None,
             parse_options: pacsv.ParseOptions | None = None) -> pa.Table:
    """A CSV file as it is written: every column text, blank cells "" (not missing), with
    pyarrow's reader. Raises ValueError (pyarrow's errors are ValueErrors too) for a header row
    that is not UTF-8, is empty or names a column twice."""
    with open(path, "rb") as fh:
        first = fh.readline(1024 * 1024)
    try:
        line = first.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ValueError("the header row is not valid UTF-8") from None
    names = next(csv.reader([line]), [])
    if not names or len(set(names)) != len(names):
        raise ValueError("the header row is empty or names a column twice")
    return pacsv.read_csv(path, read_options=read_options, parse_options=parse_options,
                          convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                               strings_can_be_null=False, quoted_strings_can_be_null=False))


def relative(path: Path | str, root: Path) -> str:
    text, base = str(path), str(root).rstrip(os.sep)
    if base not in ("", ".") and text.startswith(base + os.sep):  # the usual case, without pathlib's parsing
        return text[len(base) + 1:].replace(os.sep, "/")
    return Path(path).relative_to(root).as_posix()


def find(root: Path, folder: str, suffixes: tuple[str, ...], tree: Tree | None = None) -> tuple[list[Path], list[Problem]]:
    """Files under root/folder whose names end in `suffixes`, in sorted path order (see `listing`)."""
    found, rels, problems = listing(root, folder, suffixes, tree)
    return [Path(p) for p in found], problems


def listing(root: Path, folder: str, suffixes: tuple[str, ...],
            tree: Tree | None = None) -> tuple[list[str], list[str], list[Problem]]:
    """Paths (as strings) and their posix paths relative to root of the files under root/folder whose
    names end in `suffixes`, in sorted relative-path order, with problems. Strings, because building
    a pathlib.Path per file costs a second per hundred thousand files.

    A symlink whose target lies outside `root` is refused; other files are listed as warnings
    (a stray `report.yml.bak` must not vanish unnoticed). Hidden files are skipped. Walks with
    os.scandir, so a hundred thousand files cost one system call per folder, not per file; with
    `tree` (the walk of `root`), the folder is taken from it and not walked again.
    """
    base = root / folder if folder else root
    if not base.exists():
        return [], [], []
    if tree is not None and tree.complete and tree.root == root and folder and not os.path.islink(base):
        # the relative paths under folder/ sit together in sorted order, before folder + "0" ("/" < "0")
        first, end = bisect.bisect_left(tree.rels, folder + "/"), bisect.bisect_left(tree.rels, folder + "0")
        paths, rels = tree.paths[first:end], tree.rels[first:end]
        problems = [p for p in tree.problems if p.file.startswith(folder + "/")]
    else:
        found, problems, complete = files_under(root, base)
        if not complete:
            return [], [], problems + [problem("too_many_files", f"more than {raw_tree.MAX_FILES:,} files under {folder}/; "
                                               "refused (put bulk input in coding sheets)", file=folder)]
        paths, rels = in_order(root, found)
    fits = list(map(str.endswith, paths, itertools.repeat(suffixes)))  # one C call per file
    if not all(fits):  # a suffix in capitals (REPORT.YAML) fits too
        fits = [fit or p.lower().endswith(suffixes) for p, fit in zip(paths, fits)]
    if all(fits):
        return paths, rels, problems
    ignored = [problem("ignored_file", f"not read: only {', '.join(suffixes)} files belong in {folder or '.'}/",
                       file=rel, severity=WARNING) for rel, fit in zip(rels, fits) if not fit]
    return ([p for p, fit in zip(paths, fits) if fit], [r for r, fit in zip(rels, fits) if fit], problems + ignored)


def read_bytes(path: Path | str, root: Path, real_root: str | None = None) -> bytes:
    """Read a raw file, refusing anything that resolves outside the raw folder. `real_root`
    (`real(root)`) saves resolving the folder again for each of many files.

    Read from the descriptor opened, not through a file object: a report is a few kilobytes, and
    making a buffered file object for it cost as much as the reading (35 against 15-22 us per
    report; a hundred thousand reports are parsed in two processes)."""
    fd, size = _fd_inside(path, root, real_root)
    try:
        chunks = [os.read(fd, size + 1)]  # a byte more than its size: a file grown since is read on
        while chunks[-1]:
            chunks.append(os.read(fd, 1024 * 1024))
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256(path: Path | str, root: Path) -> str:
    """sha256 of a raw file, read in blocks (a gigabyte sheet is never whole in memory)."""
    with _open_inside(path, root) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _open_inside(path: Path | str, root: Path, real_root: str | None = None) -> BinaryIO:
    """A raw file opened for reading, if the file opened lies inside the raw folder (`_fd_inside`)."""
    return os.fdopen(_fd_inside(path, root, real_root)[0], "rb")


def _fd_inside(path: Path | str, root: Path, real_root: str | None = None) -> tuple[int, int]:
    """A raw file's descriptor, open for reading, and the size it had when opened, if the file
    opened lies inside the raw folder.

    Where the system names an open file's real path (/proc/self/fd), that is what is checked: the
    file actually opened, in one system call, where resolving the path costs one per folder in
    it (9 s of CPU for a hundred thousand reports). Anything but a regular file (a folder, a pipe)
    is resolved before it is opened, so nothing outside is ever opened, let alone waited on.
    """
    base = real_root or real(root)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        fd = -1  # refused below if it lies outside, else the same error again when opened
    if fd >= 0:
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                opened = os.readlink(f"/proc/self/fd/{fd}")
                if inside(opened, base):
                    os.set_blocking(fd, True)
                    return fd, st.st_size
        except OSError:
            pass  # no /proc: resolved below
        os.close(fd)
    resolved = os.path.realpath(path)
    if not inside(resolved, base):
        raise PermissionError(f"{relative(path, root)} resolves outside the raw folder")
    fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return fd, os.fstat(fd).st_size
    except OSError:
        os.close(fd)
        raise
