"""The one way :mod:`fea` reads a small text input (a study file, a power-map or a
heating-curve CSV).

The path must be a regular file or a symbolic link to one: a FIFO, a socket, a device
or a folder is refused before it is opened, and the file is opened with ``O_NONBLOCK``
so a FIFO swapped in between the check and the open never blocks. At most ``max_bytes``
are read (a file that grows past the cap while read is refused too). Bytes that are not
UTF-8 are reported by file, line and column; the error never shows the file's content
(a study file is shared between people: ``/etc/passwd`` named as a CSV must not end up
in an error message, a table or a log). A byte order mark at the start (spreadsheets
and Windows editors save "UTF-8" so) is not part of the text: a CSV header read with one
would name its first column ``\ufefftime_ms``, a study file with one is invalid TOML.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError
from .atomic import file_problem

__all__ = ["line_column", "read_text_file"]


def line_column(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of the byte (or character) at ``offset`` in ``data``."""
    nl = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(nl, 0, offset) + 1
    start = data.rfind(nl, 0, offset) + 1
    return line, offset - start + 1


def read_text_file(path: str | os.PathLike, key: str, max_bytes: int, what: str = "file") -> str:
    """The UTF-8 text of the regular file ``path`` of at most ``max_bytes`` bytes, without
    a leading byte order mark.

    Parameters
    ----------
    path
        File to read (a regular file or a symbolic link to one).
    key
        Name of the key or argument that gave the path, for the error.
    max_bytes
        Largest size accepted [bytes].
    what
        What the file is, in words (``"CSV file"``, ``"study file"``).

    Raises
    ------
    InputError
        Naming ``key`` and the path: not a regular file, unreadable, larger than
        ``max_bytes``, or not UTF-8 (with the line and column of the first bad byte).
    """
    p = Path(path)
    problem = file_problem(p)
    if problem is not None:
        raise InputError(key, str(p), f"a readable {what} ({problem})")
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(key, str(p), f"a readable {what} ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between the check and the open
            raise InputError(key, str(p), f"a readable {what} (not a regular file)")
        if st.st_size > max_bytes:
            raise InputError(key, str(p), f"a {what} of at most {max_bytes:,} bytes")
        chunks, n = [], 0
        while n <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - n))
            if not chunk:
                break
            chunks.append(chunk)
            n += len(chunk)
        if n > max_bytes:
            raise InputError(key, str(p), f"a {what} of at most {max_bytes:,} bytes")
        data = b"".join(chunks)
    except OSError as exc:
        raise InputError(key, str(p), f"a readable {what} ({exc.strerror})") from None
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = line_column(data, exc.start)
        raise InputError(
            key,
            str(p),
            f"a UTF-8 text {what} (byte {exc.start} at line {line}, column {col} is not UTF-8)",
        ) from None
    return text.removeprefix("\ufeff")
