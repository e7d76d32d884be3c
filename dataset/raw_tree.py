"""The walk of a raw folder: every file, sorted, links leading out refused, nothing ignored silently.

Standard library only, so that `python -m dataset build` can start the walk in a child process
before pandas and pyarrow are imported (`early`): the kernel's time to list and stat a hundred
thousand report files (0.6-1.4 s on the reference machine) then passes while the libraries load
(0.8-1.2 s) instead of after. A thread cannot do that: each stat gives up the interpreter's lock
and waits to get it back from the imports (measured: no faster than one after the other).
"""

from __future__ import annotations

import functools
import os
import pickle
import signal
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .problems import WARNING, Problem, problem

if TYPE_CHECKING:  # numpy is imported where it is used: the walk runs before the libraries load
    import numpy as np

# More report files than this are refused (within seconds, before any is read): bulk input
# belongs in coding sheets, one file per batch.
MAX_FILES = 500_000


@dataclass(frozen=True)
class Tree:
    """Every file under a raw folder from one walk, shared by the readers and the raw fingerprint:
    a hundred thousand report files listed once a build, not once per use (each walk cost 0.2 s,
    and up to 0.5 s on a second thread, contending for the GIL with the build's)."""

    root: Path
    paths: list[str]  # in the order of rels
    rels: list[str]  # posix paths relative to root, sorted
    problems: list[Problem]  # links refused or not followed, each naming its file
    complete: bool  # False when there were more than MAX_FILES files: the walk stopped there
    # Each path's size and mtime_ns, as os.stat gives them, where the walk was asked for them
    # (`early`), in the order of paths; a size of -1 (a file gone since), or None for all, is
    # stat-ed by whoever needs it
    sizes: array | None = None
    mtimes: array | None = None

    @functools.cached_property
    def stats(self) -> dict[str, tuple[int, int]] | None:
        """(size, mtime_ns) by path, where the walk took them."""
        if self.sizes is None:
            return None
        return {p: (s, m) for p, s, m in zip(self.paths, self.sizes, self.mtimes) if s >= 0}

    def encoded(self) -> bytes:
        """The tree as the walking child sends it: the paths as one text each way, the stats as
        arrays. Pickled as lists and a dict, 100,000 files took 0.15-0.2 s to send and 0.1 s for
        the build to take back."""
        return pickle.dumps((self.root, "\0".join(self.paths), "\0".join(self.rels), self.problems, self.complete,
                             self.sizes, self.mtimes), protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def decoded(cls, data: bytes) -> Tree:
        root, paths, rels, problems, complete, sizes, mtimes = pickle.loads(data)
        return cls(root, paths.split("\0") if paths else [], rels.split("\0") if rels else [], problems, complete,
                   sizes, mtimes)


def walk(root: Path, bounded: bool = True, stats: bool = False) -> Tree:
    """Every file under root, hidden ones skipped, links leading out of root refused (see
    `files_under`); `bounded`, only up to MAX_FILES; `stats`, with each file's size and mtime."""
    paths, problems, complete = files_under(root, root, bounded)
    paths, rels = in_order(root, paths)
    return Tree(root, paths, rels, problems, complete, *(_stats(paths) if stats else (None, None)))


def files_under(root: Path, base: Path, bounded: bool = True) -> tuple[list[str], list[Problem], bool]:
    """The files under base (a folder within root), unsorted, with the problems of its links; False
    (and the walk stopped) once there are more than MAX_FILES, if `bounded`.

    A symlink whose target lies outside `root` is refused; a symlinked folder is not followed
    (a warning); hidden files and folders are skipped. Walks with os.scandir, so a hundred
    thousand files cost one system call per folder, not per file."""
    real_root = real(root)
    prefix = len(str(root).rstrip(os.sep)) + 1
    found: list[str] = []
    problems: list[Problem] = []
    stack = [str(base)]
    while stack:
        here = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink():
                    rel = entry.path[prefix:].replace(os.sep, "/")
                    target = Path(entry.path).resolve()
                    if not inside(str(target), real_root):
                        kind = "symlinked folder" if target.is_dir() else "symlink"
                        problems.append(problem("link_outside_raw", f"{kind} points outside the raw folder "
                                                f"({os.readlink(entry.path)}); refused", file=rel))
                        continue
                    if target.is_dir():
                        problems.append(problem("ignored_file", "symlinked folder not followed", file=rel, severity=WARNING))
                        continue
                elif entry.is_dir():
                    stack.append(entry.path)
                    continue
                found.append(entry.path)
                if bounded and len(found) > MAX_FILES:
                    return [], problems, False
    return found, sorted(problems), True


def in_order(root: Path, found: list[str]) -> tuple[list[str], list[str]]:
    """`found` (paths under root) sorted by their posix paths relative to root, and those paths."""
    prefix = len(str(root).rstrip(os.sep)) + 1
    if os.sep == "/" and not os.altsep:  # each path is the root's, "/", its relative path: sorted alike
        paths = sorted(found)  # (0.04-0.05 s for 100,000 files against 0.1 s by key)
        return paths, [p[prefix:] for p in paths]
    rels = [p[prefix:].replace(os.sep, "/") for p in found]
    order = sorted(range(len(found)), key=rels.__getitem__)
    return [found[i] for i in order], [rels[i] for i in order]


def real(root: Path) -> str:
    """The raw folder's real path, as the walk and `files.read_bytes` compare files and links with it."""
    return os.path.realpath(root)


def inside(path: str, root: str) -> bool:
    """Whether `path` is `root` or lies under it (both real, absolute paths)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _stats(paths: list[str]) -> tuple[array, array]:
    """Size and mtime_ns of each path (links followed, as reading them does); size -1 where it
    cannot be stat-ed (gone since the walk: left to whoever reads it, to fail as it would have)."""
    sizes, mtimes = array("q", bytes(8 * len(paths))), array("q", bytes(8 * len(paths)))
    folder, fd = None, None  # each file stat-ed by its name within its open folder: the kernel
    try:  # then looks up one name, not the whole path (0.52 s against 0.6 s per 100,000 files)
        for i, path in enumerate(paths):
            here, _, name = path.rpartition(os.sep)
            try:
                if here != folder:
                    if fd is not None:
                        os.close(fd)
                    folder, fd = here, None
                    fd = os.open(here or os.sep, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if _DIR_FD else None
                st = os.stat(name, dir_fd=fd) if fd is not None else os.stat(path)
            except OSError:
                sizes[i] = -1
                continue
            sizes[i], mtimes[i] = st.st_size, st.st_mtime_ns
    finally:
        if fd is not None:
            os.close(fd)
    return sizes, mtimes


_DIR_FD = os.stat in os.supports_dir_fd


def sizes_and_mtimes(paths: list[str], tree: Tree | None = None) -> np.ndarray:
    """`size_and_mtime` of each of `paths`, as an int64 array of two columns: the walk's where it
    took them, looked up at once rather than a call per file (0.1 s per hundred thousand files).
    `paths` are usually a run of the tree's own (a reader's folder): then sliced, not looked up."""
    import numpy as np  # not at the top: the walk runs before the libraries are imported (`early`)

    out = np.empty((len(paths), 2), dtype=np.int64)
    if not paths:
        return out
    at = _run_in(paths, tree.paths) if tree is not None and tree.sizes is not None else None
    if at is not None:
        out[:, 0] = np.frombuffer(tree.sizes, dtype=np.int64)[at:at + len(paths)]
        out[:, 1] = np.frombuffer(tree.mtimes, dtype=np.int64)[at:at + len(paths)]
        for i in np.flatnonzero(out[:, 0] < 0):  # not stat-ed by the walk: stat-ed now, raising as it would
            out[i] = size_and_mtime(paths[i])
        return out
    for i, path in enumerate(paths):
        out[i] = size_and_mtime(path, tree)
    return out


def _run_in(items: list[str], within: list[str]) -> int | None:
    """Where `items` stand in `within` as one run (the same objects, in order), else None."""
    try:
        at = within.index(items[0])
    except ValueError:
        return None
    return at if within[at:at + len(items)] == items else None


def size_and_mtime(path: str, tree: Tree | None = None) -> tuple[int, int]:
    """A file's size and mtime_ns: from `tree` where its walk took them, else stat-ed now."""
    known = tree.stats.get(path) if tree is not None and tree.stats is not None else None
    if known is not None:
        return known
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class Early:
    """`walk(root, stats=True)` under way in a child process; `result()` gives its Tree.

    The child lists the folder as it is when the build starts, as the build would a second
    later. Anything the child cannot do (an unreadable folder, a failed start, a crash) makes
    `result()` None, and the build walks the folder itself, raising what it raises. Two kinds of
    child (`early` picks one): a fork of this process (`Forked`) or a new interpreter (`Fresh`).
    """

    def __init__(self, root: Path):
        self.root = root
        # The tree comes back in a file of no name, read at once when the child has left, not
        # through a pipe: a pipe's 64 KB at a time each waited for the build's other threads
        # to let go of the GIL (10 MB, 0.25-0.35 s of waiting at 100,000 files).
        self._file = _scratch_file()
        self._tree: Tree | None = None
        try:
            self._start()
        except OSError:
            self._file.close()
            raise

    def _start(self) -> None:
        """Start the child, which writes the encoded tree into self._file."""
        raise NotImplementedError

    def _reap(self, stop: bool) -> int:
        """Wait for the child (killed first if `stop`); its exit status."""
        raise NotImplementedError

    def result(self) -> Tree | None:
        """The child's Tree (waited for), or None if it failed or `close` came first."""
        if self._file.closed:
            return self._tree
        try:
            if self._reap(stop=False) == 0:
                self._file.seek(0)
                data = self._file.read()
                if data:
                    self._tree = Tree.decoded(data)
        finally:
            self._file.close()
        return self._tree

    def close(self) -> None:
        """The walk no longer wanted (the build failed or is done): a child still at work is
        stopped, not waited for, and reaped."""
        if not self._file.closed:
            self._reap(stop=True)
            self._file.close()

    def __enter__(self) -> Early:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Forked(Early):
    """The walk in a fork of this process: started before the libraries are imported (the
    command), it costs no interpreter's start. A process that runs library threads must not
    fork (a fork copies none of them, and a lock one of them held stays held in the child)."""

    def _start(self) -> None:
        self._pid = os.fork()
        if self._pid == 0:  # the child: walk, leave the tree in the file, leave without the parent's exit handlers
            status = 1
            try:
                _send(self.root, self._file)
                status = 0
            finally:
                os._exit(status)

    def _reap(self, stop: bool) -> int:
        if stop:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(self._pid, 0)
        return os.waitstatus_to_exitcode(status)


class Fresh(Early):
    """The walk in a new interpreter (`_child`), for a process that may run library threads."""

    def _start(self) -> None:
        import subprocess  # not at the top: the command forks its walk before any import it can spare

        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD, str(Path(__file__).resolve().parent.parent), str(self.root)],
            stdin=subprocess.DEVNULL, stdout=self._file, stderr=subprocess.DEVNULL)

    def _reap(self, stop: bool) -> int:
        if stop:
            self._process.kill()
        return self._process.wait()


# What the interpreter of `Fresh` runs (isolated: no site packages, no
# environment; this package's folder put on its path), with the package's folder and root as arguments.
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from dataset.raw_tree import _child; _child(sys.argv[2])"


def _child(root: str) -> None:
    """The fresh interpreter's walk, to its standard output (the scratch file)."""
    _send(Path(root), sys.stdout.buffer)


def _send(root: Path, out: BinaryIO) -> None:
    """What either kind of child does: walk `root` with each file's stats, the Tree encoded into `out`."""
    out.write(walk(root, stats=True).encoded())
    out.flush()


def _scratch_file() -> BinaryIO:
    """A file of no name, gone when closed: in memory where the system has such files."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("raw-tree", getattr(os, "MFD_CLOEXEC", 0)), "w+b")
    import tempfile  # not at the top: `early` starts before anything else is imported

    return tempfile.TemporaryFile()


def early(root: Path) -> Early | None:
    """Start walking `root` in a child process: a fork while pyarrow is not yet imported (the
    command, whose walk then overlaps the imports), else a fresh interpreter (a build inside a
    running process, whose walk then overlaps the parse cache's load: a process that runs
    library threads is not forked). None where neither can start, or `root` is no folder."""
    if not root.is_dir():
        return None
    fresh = "pyarrow" in sys.modules
    if (not fresh and not hasattr(os, "fork")) or (fresh and not sys.executable):
        return None
    try:
        return Fresh(root) if fresh else Forked(root)
    except OSError:  # no process or file to spare: the build walks the folder itself
        return None
