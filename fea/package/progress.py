"""The stage a running case is in, for whoever shows progress.

Long steps of a case (:func:`fea.package.meshing.build_mesh`, the solves of
:func:`fea.package.analyse.analyse`) call :func:`stage` with a short name
(``"meshing"``, ``"thermal"``, ``"mechanical 25C"``); a listener installed with
:func:`reporting` (the study runner's child process, ``fea mesh``) hears each one. With no
listener nothing happens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["reporting", "stage"]

_listener: Callable[[str], None] | None = None


def stage(name: str) -> None:
    """Report that the running case enters stage ``name``."""
    if _listener is not None:
        _listener(name)


@contextlib.contextmanager
def reporting(listener: Callable[[str], None] | None) -> Iterator[None]:
    """Send every :func:`stage` to ``listener`` inside the block (one per process)."""
    global _listener
    saved, _listener = _listener, listener
    try:
        yield
    finally:
        _listener = saved
