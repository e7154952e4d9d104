"""Checks of arguments at the public edge: one helper per kind of value.

Every function raises :class:`fea.errors.InputError` naming the key, the value and what is
allowed, and returns the checked value (converted to a Python ``float`` or ``int``), so a
caller writes ``rtol = check_rtol("rtol", rtol)``. Physics, solvers, the spec reader and the
CLI use these instead of writing the same test again.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .errors import InputError

__all__ = [
    "check_count",
    "check_finite",
    "check_range",
    "check_rtol",
    "check_temperature_C",
]

#: The highest temperature any input may state, °C: above every process a package sees
#: (reflow peaks near 260 °C, moulding 175 °C); a larger value is a unit slip.
MAX_TEMPERATURE_C = 2000.0


def check_finite(key: str, value: Any) -> float:
    """``value`` as a float if it is a real, finite number (not a bool); else an
    :class:`~fea.errors.InputError` naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(key, value, "a finite real number")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(key, value, "a finite real number")
    return v


def check_range(
    key: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    unit: str = "",
) -> float:
    """``value`` as a float if it is finite and within ``[lo, hi]`` (``(lo`` / ``hi)`` where
    open; ``None`` is unbounded on that side). ``unit`` is shown in the message."""
    v = check_finite(key, value)
    below = lo is not None and (v <= lo if lo_open else v < lo)
    above = hi is not None and (v >= hi if hi_open else v > hi)
    if below or above:
        u = f" {unit}" if unit else ""
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise InputError(key, value, f"a number in {left}{lo_s}, {hi_s}{right}{u}")
    return v


def check_rtol(key: str, value: Any, hi: float = 1e-2) -> float:
    """A relative tolerance of an iterative solve: finite, in ``(0, hi]``. The tolerance is
    relative to the norm of the right-hand side (the residual norm the solver reports over
    ``|b|``), everywhere in :mod:`fea`."""
    return check_range(key, value, 0.0, hi, lo_open=True)


def check_temperature_C(key: str, value: Any) -> float:
    """A temperature in °C: finite, above absolute zero and at most
    :data:`MAX_TEMPERATURE_C`."""
    return check_range(key, value, -273.15, MAX_TEMPERATURE_C, lo_open=True, unit="°C")


def check_count(key: str, value: Any, cap: int, what: str = "") -> int:
    """A count (steps, substeps, outputs) as an int in ``[1, cap]``; ``what`` says what the
    count is and is shown with the cap, so an implied count too large to run is refused
    before any work with its estimate."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(key, value, f"a whole number in [1, {cap:,}]")
    v = float(value)
    if not math.isfinite(v) or v != int(v) or not 1 <= v <= cap:
        extra = f" ({what})" if what else ""
        raise InputError(key, value, f"a whole number in [1, {cap:,}]{extra}")
    return int(v)
