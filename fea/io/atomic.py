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
import re
import socket
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ResultsError

__all__ = [
    "PART_SUFFIX",
    "atomic_path",
    "check_output_path",
    "default_mode",
    "encode_text",
    "file_problem",
    "sweep_parts",
    "sync_folder",
    "write_atomic",
    "write_atomic_files",
    "write_error",
]

#: Suffix of temporary files (``.<name>.<host>-<pid>.<random>.part``); the host and
#: process in the name let :func:`sweep_parts` tell a stale one from one being written.
PART_SUFFIX = ".part"
_HOST = re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:40] or "host"
_PART = re.compile(r"^\..*\.(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)\.[^.]+\.part")
#: Any temporary name of :func:`atomic_path`, of this or an earlier version: hidden, and
#: ``.part`` at the end or before the extension a writer asked for (``.part.msh``).
_ANY_PART = re.compile(r"^\..+\.part(\.[^.]+)?$", re.DOTALL)
#: Most bytes of the target's name kept in a temporary name: with the host, the process
#: and the random part it stays under the 255 bytes a file name may have.
_NAME_BYTES = 120


def default_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less the process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_error(path: str | os.PathLike, exc: OSError) -> ResultsError:
    """The one-line error of a failed write of ``path`` (``no space left on device while
    writing <path>``, ``disk quota exceeded ...``, ``cannot write <path>: <reason>``);
    ``.errno`` keeps the cause (a runner stops a study on a full disk instead of failing
    every case in turn)."""
    if exc.errno == errno.ENOSPC:
        err = ResultsError(f"no space left on device while writing {path}")
    elif exc.errno == errno.EDQUOT:
        err = ResultsError(f"disk quota exceeded while writing {path}")
    else:
        reason = exc.strerror or type(exc).__name__
        err = ResultsError(f"cannot write {path}: {reason}")
    err.errno = exc.errno  # type: ignore[attr-defined]
    return err


def file_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be read as a regular file (``"a FIFO ..."``, ``"a symbolic link
    loop"``, ``"no such file"``, ...), or None when it is one.

    Checked before opening, so a FIFO or a device never blocks a reader.
    """
    try:
        st = os.stat(path)
    except ValueError:
        return "a path containing a NUL character"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if exc.errno == errno.ENOENT:
            return "a broken symbolic link" if os.path.islink(path) else "no such file"
        if exc.errno == errno.ENOTDIR:
            return "no such file (a part of the path is not a folder)"
        if exc.errno == errno.ENAMETOOLONG:
            return "a file name too long for the file system"
        return exc.strerror or type(exc).__name__
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    return "not a regular file"


def check_output_path(path: str | os.PathLike, key: str = "output") -> Path:
    """``path`` as a :class:`~pathlib.Path` if a file may be written there: it does not
    exist, or it is a regular file (or a symbolic link to one). A FIFO, a socket, a device
    (``/dev/null``, ``/dev/full``) or a folder is refused with an
    :class:`~fea.errors.InputError` naming ``key`` and the path, so a run never replaces
    a system file with its output."""
    from ..errors import InputError

    text = os.fspath(path)
    if not text or "\0" in str(text):
        raise InputError(key, text, "a file path (not empty, no NUL character)")
    p = Path(path)
    if not os.path.lexists(p):
        return p
    problem = file_problem(p)
    if problem is not None and problem != "a broken symbolic link":
        raise InputError(key, str(p), f"a regular file to write or a new file ({problem})")
    return p


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_parts(
    folder: str | os.PathLike, *, everything: bool = False, max_age_s: float = 86400.0
) -> list[Path]:
    """Remove stale temporary files of :func:`atomic_path` in ``folder``: hidden names
    ending in ``.part`` or ``.part.<extension>`` (another hidden file, ``.notes.partial``,
    stays).

    A temporary file is stale when the process that wrote it (named in the file name) is
    gone from this host, when it is older than ``max_age_s`` (another host's, or an
    unnamed one), or always with ``everything`` (the caller holds the folder's lock).
    Returns the removed paths; a folder that cannot be listed is left alone.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        if _ANY_PART.match(e.name) is None:
            continue
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            stale = everything
            m = _PART.match(e.name)
            if not stale and m is not None and m["host"] == _HOST:
                stale = not _alive(int(m["pid"]))
            if not stale:
                stale = now - e.stat(follow_symlinks=False).st_mtime > max_age_s
            if stale:
                os.unlink(e.path)
                removed.append(Path(e.path))
        except OSError:
            continue
    return removed


def _short_name(name: str) -> str:
    """``name`` cut to at most :data:`_NAME_BYTES` bytes as the file system stores it (a
    name of 120 accented letters is 240 bytes), at a character's end."""
    out = name[:_NAME_BYTES]  # a character is one byte or more
    while len(os.fsencode(out)) > _NAME_BYTES:
        out = out[:-1]
    return out


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
    path = check_output_path(path)
    try:
        if mkdir:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=path.parent,
            prefix=f".{_short_name(path.name)}.{_HOST}-{os.getpid()}.",
            suffix=PART_SUFFIX + extension,
        )
        os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from None
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    sync_folder(path.parent)


def sync_folder(folder: str | os.PathLike) -> bool:
    """Sync ``folder``'s entries to the disk (``fsync`` of the directory), so that a
    rename into it survives a power loss as the file's synced contents do. True when
    synced; False where the platform or file system cannot sync a directory (Windows,
    some network file systems): the rename then stands as the system keeps it."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return False
    try:
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def encode_text(text: str) -> bytes:
    """``text`` as UTF-8 bytes; a lone surrogate (Python's spelling of a byte of a file
    name that is not UTF-8, e.g. in an error message naming such a folder in a study's
    ``table.csv``) written as its escape ``\\udcff``, so the file stays UTF-8 text and
    the write never fails on it."""
    return text.encode("utf-8", "backslashreplace")


def _write_synced(tmp: Path, path: Path, data: str | bytes) -> None:
    """Write ``data`` to the temporary file ``tmp`` of ``path`` and sync it to the disk."""
    try:
        with open(tmp, "wb") as fh:
            fh.write(encode_text(data) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise write_error(path, exc) from None


def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8: :func:`encode_text`, or bytes) to ``path``
    atomically; returns the path."""
    return write_atomic_files([(path, data)])[0]


def write_atomic_files(files: Sequence[tuple[str | os.PathLike, str | bytes]]) -> list[Path]:
    """Write files that belong together (a results file and its XDMF sidecar) as one:
    each is written and synced under its temporary name, in the order given, before any
    is renamed, so a full disk or another write error leaves every target as it was. The
    renames run in the reverse order: put first the file whose presence says the set is
    complete, so a kill between two renames never leaves it beside an old companion.
    Returns the paths."""
    paths = [Path(p) for p, _ in files]
    with contextlib.ExitStack() as stack:  # left in reverse: the first file renamed last
        tmps = [stack.enter_context(atomic_path(p)) for p in paths]
        for tmp, path, (_, data) in zip(tmps, paths, files, strict=True):
            _write_synced(tmp, path, data)
    return paths
