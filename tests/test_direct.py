"""Release files written around the page cache (dataset.direct): the same bytes as an ordinary
write whatever the sizes of the writes, and the ordinary way wherever O_DIRECT is refused."""

from __future__ import annotations

import errno
import fcntl
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataset import direct
from dataset.direct import BLOCK, DirectFile

needs_direct = pytest.mark.skipif(not direct.O_DIRECT, reason="no O_DIRECT on this system")


def _written(path, pieces, chunk=3 * BLOCK) -> tuple[bytes, bool]:
    """What DirectFile leaves in `path` after writing `pieces`, and whether it wrote directly at the end."""
    with DirectFile(path, chunk=chunk) as fh:
        for piece in pieces:
            assert fh.write(piece) == len(piece)
        was_direct = fh.direct
    return path.read_bytes(), was_direct


# Pieces of any size, around the buffer's size and the block's: whole buffers, partial blocks, nothing.
pieces = st.lists(st.one_of(st.binary(max_size=50),
                            st.integers(0, 4 * 3 * BLOCK).map(lambda n: bytes([n % 251]) * n),
                            st.sampled_from([BLOCK, 3 * BLOCK, 3 * BLOCK + 1, BLOCK - 1]).map(lambda n: b"x" * n)),
                  max_size=12)


@settings(max_examples=60, deadline=None)
@given(pieces=pieces)
def test_same_bytes_as_written(tmp_path_factory, pieces):
    path = tmp_path_factory.mktemp("direct") / "file.csv"
    data, _ = _written(path, pieces)
    assert data == b"".join(pieces)


@needs_direct
def test_writes_around_the_page_cache_here(tmp_path):
    """On this machine's disk the file is opened with O_DIRECT and whole buffers go out so."""
    with DirectFile(tmp_path / "f", chunk=BLOCK) as fh:
        if not fh.direct:
            pytest.skip("this file system refuses O_DIRECT")
        fh.write(b"a" * (5 * BLOCK + 10))
        assert fh.direct and fcntl.fcntl(fh.fd, fcntl.F_GETFL) & direct.O_DIRECT
        assert os.fstat(fh.fd).st_size == 5 * BLOCK  # whole blocks already on disk, the rest held
    assert (tmp_path / "f").read_bytes() == b"a" * (5 * BLOCK + 10)


def test_a_file_system_refusing_o_direct_is_written_the_ordinary_way(tmp_path, monkeypatch):
    real_open = os.open

    def refusing(path, flags, *args):
        if direct.O_DIRECT and flags & direct.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing)
    data, was_direct = _written(tmp_path / "f", [b"y" * (7 * BLOCK + 3)])
    assert data == b"y" * (7 * BLOCK + 3) and not was_direct


@needs_direct
def test_a_refused_direct_write_goes_on_the_ordinary_way(tmp_path, monkeypatch):
    real_write = os.write

    def refusing(fd, data):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & direct.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", refusing)
    data, was_direct = _written(tmp_path / "f", [b"z" * (10 * BLOCK + 5)])
    assert data == b"z" * (10 * BLOCK + 5) and not was_direct


def test_short_writes_lose_nothing(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, memoryview(data)[:BLOCK]))
    expected = bytes(range(256)) * (40 * BLOCK // 256) + b"tail"
    data, _ = _written(tmp_path / "f", [expected])
    assert data == expected


def test_a_full_disk_is_an_os_error(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space left"):
        _written(tmp_path / "f", [b"x" * (4 * BLOCK)])


def test_an_empty_file(tmp_path):
    assert _written(tmp_path / "f", [])[0] == b""
