"""Exceptions raised by :mod:`fea`.

Every error the toolkit raises on purpose is a :class:`FeaError`; the CLI prints
those as one line and exits with status 2, anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "FeaError",
    "InputError",
    "IterationLimitError",
    "MeshError",
    "ResultsError",
    "SolverError",
]


class FeaError(Exception):
    """Base class of every error raised on purpose by :mod:`fea`."""


class InputError(FeaError, ValueError):
    """A spec or an argument is invalid.

    Parameters
    ----------
    key
        Dotted path of the offending key (``"geometry.die.size_mm"``).
    value
        The value that was given.
    allowed
        What would have been accepted, in words.
    """

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{_short(key, str)} = {_short(value, repr)}: {allowed}")


def _short(obj: object, show, limit: int = 160) -> str:
    """``show(obj)`` on one line and at most ``limit`` characters: the message of an error
    stays one readable line whatever was given (a 5000-character name, a NUL, a
    5000-deep nested list)."""
    try:
        text = show(obj)
    except RecursionError:
        text = f"<{type(obj).__name__} nested too deeply to show>"
    if not isinstance(text, str):
        text = repr(text)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    if len(text) > limit:
        text = f"{text[: limit - 30]}... ({len(text):,} characters)"
    return text


class MeshError(FeaError):
    """The geometry cannot be built or meshed, or a mesh is unusable."""


class SolverError(FeaError):
    """A linear or nonlinear solve failed (no convergence, singular system)."""


class IterationLimitError(SolverError):
    """An iterative solve stopped at its iteration limit (``maxiter``: a study's
    ``[solver] maxiter``) with its residual still falling: more iterations, a looser
    tolerance or a direct solve would answer. Its message names the limit's key and value
    and the solve that reached it; a history does not cut its step for it (a shorter step
    needs as many iterations)."""


class BackendUnavailable(FeaError):  # noqa: N818 (name fixed by the design contract)
    """An explicitly requested compute backend cannot run here; the reason says why."""


class ResultsError(FeaError):
    """A results file is truncated, corrupt, foreign or of a newer schema."""
