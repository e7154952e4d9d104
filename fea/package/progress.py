"""The stage a running case is in, for whoever shows progress.

Long steps of a case (:func:`fea.package.meshing.build_mesh`, the solves of
:func:`fea.package.analyse.analyse`) call :func:`stage` with a short name
(``"meshing"``, ``"thermal"``, ``"mechanical 25C"``, ``"history stage 3/9: reflow"``,
see :func:`history_stages`); a listener installed with
:func:`reporting` (the study runner's child process, ``fea mesh``) hears each one. With no
listener nothing happens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

__all__ = ["history_stages", "reporting", "stage"]

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


def history_stages(names: Sequence[str], what: str = "history") -> Callable[[str], None]:
    """Report the stage of a process history that is running.

    Reports ``"<what> stage 1/n: <first name>"`` now and returns the ``progress``
    callback of :func:`fea.solve_history`: that is called with a state's label when a
    stage ends (and for an output inside a stage, ``name+Xs``), and this reports the
    next stage, ``"<what> stage k/n: <name>"``; after the last, ``"<what>: states
    solved"``. Labels that name no stage (outputs inside a stage) report nothing.
    """
    names = [str(n) for n in names]
    n = len(names)
    done = 0

    def say(k: int) -> None:
        stage(f"{what} stage {k + 1}/{n}: {names[k]}" if k < n else f"{what}: states solved")

    def ended(label: str) -> None:
        nonlocal done
        if label in names[done:]:
            done = names.index(label, done) + 1
            say(done)

    if n:
        say(0)
    return ended
