"""The HDF5 library reads a file's metadata in C: a corrupt file (a flipped byte in a
datatype message, a heap, a B-tree node) can make it dereference a bad pointer (the
process dies by SIGSEGV, no Python handler runs) or loop for ever. :func:`probe_hdf5`
reads the file first in a child process, a small Python program that imports only h5py
and walks the whole file as the readers will (every group, attribute, dataset header and
the data the readers read), under a time limit: a child killed by a signal or out of time
is a :class:`~fea.errors.ResultsError` naming the file, and the caller never opens it.

:func:`fea.io.results_reader.open_hdf5` calls it before every open of a file a user
hands to :mod:`fea` (results files, study tables); ``probe=False`` there skips it.

Cost: one Python start with h5py (about 0.1-0.2 s) plus a second read of the file, the
first from the page cache, once per file and process while the file is unchanged; see
:data:`PROBE_TIMEOUT_S` for the time limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import ResultsError

__all__ = [
    "PROBE_BYTES_PER_S",
    "PROBE_CODE",
    "PROBE_TIMEOUT_S",
    "forget_probes",
    "probe_hdf5",
    "remember_written",
]

#: Time limit of a probe [s]: this much plus the file's size over
#: :data:`PROBE_BYTES_PER_S` (a good file of 1 GB is read in a few seconds; a corrupt one
#: that hangs the library is reported after the limit).
PROBE_TIMEOUT_S = 60.0

#: The slowest read rate of a good file a probe allows for [bytes/s].
PROBE_BYTES_PER_S = 20e6

#: The child's program: ``argv`` = path, most attributes of an object, most members of a
#: group, deepest group nesting, largest compression ratio. It stops where the readers
#: refuse (:func:`fea.io.results_reader.check_declared` and the read limits), so a forged
#: header declaring terabytes is refused by the reader with its message, never read here.
#: A Python exception is skipped (the reader meets it and reports it): only a crash or a
#: hang of the library matters. Exits 0 when done.
PROBE_CODE = """
import math, sys
import h5py

path = sys.argv[1]
max_attrs, max_members, max_depth, max_ratio = (int(a) for a in sys.argv[2:6])


def attrs(obj):
    try:
        if len(obj.attrs) > max_attrs:
            return
        for k in list(obj.attrs):
            try:
                obj.attrs[k]
            except Exception:
                pass
    except Exception:
        pass


def dataset(ds):
    if ds.is_virtual or ds.external or ds.dtype.kind not in "fiubSO":
        return
    if ds.dtype.kind != "O" and ds.shape is not None:
        nbytes = math.prod(int(n) for n in ds.shape) * ds.dtype.itemsize
        stored = int(ds.id.get_storage_size())
        filtered = ds.id.get_create_plist().get_nfilters() > 0
        if nbytes > (max_ratio * stored + (1 << 20) if filtered else stored):
            return
    ds[()]


def walk(obj, depth):
    attrs(obj)
    if isinstance(obj, h5py.Dataset):
        try:
            dataset(obj)
        except Exception:
            pass
        return
    if depth >= max_depth:
        return
    try:
        if len(obj) > max_members:
            return
        keys = list(obj)
    except Exception:
        return
    for key in keys:
        try:
            if not isinstance(obj.get(key, getlink=True), h5py.HardLink):
                continue  # the readers refuse soft and external links
            child = obj.get(key)
        except Exception:
            continue
        if isinstance(child, (h5py.Group, h5py.Dataset)):
            walk(child, depth + 1)


try:
    f = h5py.File(path, "r")
except Exception:
    sys.exit(0)
with f:
    walk(f, 0)
"""


#: Files a child has read cleanly in this process, by path, device, inode, size and
#: modification time (and the limits): a notebook that reads one file again, or a sweep's
#: post-processing that reads each case's file twice, pays for one probe; a file changed
#: since is probed again.
_PROBED: dict[tuple, None] = {}
_PROBED_MAX = 4096


#: Files this process wrote itself (:func:`remember_written`), by path, device, inode,
#: size, modification and change time: h5py built them here, so reading one back (a case's plots
#: from the results file it has just written) needs no child.
_WRITTEN: dict[tuple, None] = {}


def _identity(path: Path) -> tuple:
    """The file at ``path`` as the memories know it: path, device, inode, size,
    modification and change times (``os.utime`` can set the modification time back after
    an in-place rewrite, not the change time)."""
    st = path.stat()
    return (
        str(path.resolve()),
        st.st_dev,
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
    )


def forget_probes() -> None:
    """Forget which files were read cleanly or written here (:func:`probe_hdf5` probes
    each again)."""
    _PROBED.clear()
    _WRITTEN.clear()


def remember_written(path: str | os.PathLike) -> None:
    """Record ``path`` as an HDF5 file this process has just written (the writers call
    it after the file's atomic rename): :func:`probe_hdf5` skips it while it stays the
    same file (path, inode, size, modification and change time); a file replaced or
    changed since is probed again. The identity is taken just after the rename: a file
    swapped in by another process in that instant would pass for ours (whoever can write
    the folder can replace the results anyway)."""
    try:
        key = _identity(Path(path))
    except (OSError, RuntimeError):
        return
    if len(_WRITTEN) >= _PROBED_MAX:
        _WRITTEN.clear()
    _WRITTEN[key] = None


def probe_hdf5(
    path: str | os.PathLike,
    *,
    max_attrs: int,
    max_members: int,
    max_depth: int,
    max_compression: int,
) -> None:
    """Read the HDF5 file ``path`` in a child process (:data:`PROBE_CODE`) and raise a
    :class:`~fea.errors.ResultsError` naming it when the HDF5 library crashes (the child
    dies by a signal) or hangs (no end within :data:`PROBE_TIMEOUT_S` plus the file's size
    over :data:`PROBE_BYTES_PER_S`) on it. Returns None otherwise, also when the child
    cannot run or exits with a status (h5py missing in it, no process left): the reader
    then decides, as without a probe.

    A file read cleanly is remembered (with its inode, size, modification and change
    time) for the rest of the process and not probed again until it changes; so is one
    this process wrote (:func:`remember_written`).

    ``path`` should be a regular file (:func:`fea.io.atomic.file_problem` checked first: a
    FIFO would block the child). The limits are those of the reader that follows (most
    attributes of an object, members of a group, group nesting, compression ratio of a
    dataset): the child stops where that reader refuses, so the reader's own message
    reports such a file.
    """
    path = Path(path)
    limits = (max_attrs, max_members, max_depth, max_compression)
    try:
        ident = _identity(path)
    except (OSError, RuntimeError):
        return  # the reader reports it
    key = (*ident, limits)
    if key in _PROBED or ident in _WRITTEN:  # read cleanly by a child already, or
        return  # written by this process, and unchanged since
    size = ident[3]
    timeout = PROBE_TIMEOUT_S + size / PROBE_BYTES_PER_S
    # -P: the current folder is not on the child's path (no stray h5py.py imported)
    cmd = [sys.executable, "-P", "-c", PROBE_CODE, str(path), *(str(n) for n in limits)]
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ResultsError(
            f"{path}: the HDF5 library hung reading it (no end in {timeout:.0f} s, in a "
            "separate process): a corrupt file"
        ) from None
    except OSError:
        return  # no child could be started: the reader decides, as without a probe
    if proc.returncode == 0:
        if len(_PROBED) >= _PROBED_MAX:
            _PROBED.clear()
        _PROBED[key] = None
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        raise ResultsError(
            f"{path}: the HDF5 library crashed ({name}) reading it, in a separate process: "
            "a corrupt file"
        )
