"""Atomic file output: the one way :mod:`fea` writes a file.

A file is written under a temporary name in its target folder, flushed and synced,
given the permissions a plain ``open()`` would give it (``0666`` less the umask; the
temporary file of :func:`tempfile.mkstemp` is ``0600``), and renamed over the target.
A crash or a kill at any point leaves either the previous file or none under the final
name, never a partial one. A full disk or another write failure is reported as one
:class:`~fea.errors.ResultsError` naming the path; the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ResultsError

__all__ = ["PART_SUFFIX", "atomic_path", "default_mode", "write_atomic"]

#: Suffix of temporary files (``.<name>.<random>.part``); stale ones can be swept.
PART_SUFFIX = ".part"


def default_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less the process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _write_error(path: Path, exc: OSError) -> ResultsError:
    if exc.errno == errno.ENOSPC:
        return ResultsError(f"no space left on device while writing {path}")
    if exc.errno == errno.EDQUOT:
        return ResultsError(f"disk quota exceeded while writing {path}")
    reason = exc.strerror or type(exc).__name__
    return ResultsError(f"cannot write {path}: {reason}")


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, extension: str = "", mkdir: bool = True
) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it is synced, given the
    default mode and renamed to ``path``; on an error it is removed.

    ``extension`` is appended to the temporary name for writers that choose the format
    from it (gmsh: ``".msh"``).

    The caller writes the temporary file with any library (h5py, meshio, gmsh). An
    :class:`OSError` while writing, syncing or renaming becomes a
    :class:`~fea.errors.ResultsError` naming ``path`` (``no space left on device ...``).
    """
    path = Path(path)
    try:
        if mkdir:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=PART_SUFFIX + extension
        )
        os.close(fd)
    except OSError as exc:
        raise _write_error(path, exc) from None
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(data.encode() if isinstance(data, str) else data)
                fh.flush()
        except OSError as exc:
            raise _write_error(path, exc) from None
    return path
