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
    "init_renamed",
    "renamed_attribute",
    "renamed_keywords",
    "take_renamed",
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


def check_count(key: str, value: Any, cap: int, what: str = "", *, lo: int = 1) -> int:
    """A count (steps, substeps, outputs) as an int in ``[lo, cap]`` (``lo`` 1 unless a
    count of none means something); ``what`` says what the count is and is shown with the
    cap, so an implied count too large to run is refused before any work with its
    estimate. A fraction (2.5) is refused, not truncated."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(key, value, f"a whole number in [{lo}, {cap:,}]")
    v = float(value)
    if not math.isfinite(v) or v != int(v) or not lo <= v <= cap:
        extra = f" ({what})" if what else ""
        raise InputError(key, value, f"a whole number in [{lo}, {cap:,}]{extra}")
    return int(v)


def take_renamed(
    where: str, kwargs: dict[str, Any], renames: dict[str, str], stacklevel: int = 3
) -> dict[str, Any]:
    """``kwargs`` with each deprecated keyword of ``renames`` (old -> new name) replaced by
    its new name, with a :class:`DeprecationWarning` naming both: public names are a
    contract, an old one keeps working for one release. Both names at once are an
    :class:`~fea.errors.InputError`; an unknown keyword is left for the callee to refuse."""
    import warnings

    out = dict(kwargs)
    for old, new in renames.items():
        if old not in out:
            continue
        if new in out:
            raise InputError(old, out[old], f"only one of {old!r} (deprecated) and {new!r}")
        warnings.warn(
            f"{where}: the keyword {old!r} is deprecated, use {new!r} (same meaning)",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        out[new] = out.pop(old)
    return out


def renamed_keywords(**renames: str) -> Any:
    """Decorator: the function also accepts each old keyword ``old=new`` for one release,
    with a :class:`DeprecationWarning` (:func:`take_renamed`)."""
    import functools

    def wrap(func: Any) -> Any:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **take_renamed(func.__name__, kwargs, renames))

        return inner

    return wrap


def init_renamed(obj: Any, where: str, args: tuple, kwargs: dict[str, Any], renames: dict) -> None:
    """The ``__init__`` of a frozen dataclass whose fields were renamed: assign the fields
    from ``args`` and ``kwargs`` (old names accepted through :func:`take_renamed`), the
    defaults for the rest, then run ``__post_init__``. Wrong or doubled names are an
    :class:`~fea.errors.InputError` naming ``where.<name>``."""
    import dataclasses

    kwargs = take_renamed(where, kwargs, renames, stacklevel=4)
    fields = dataclasses.fields(obj)
    names = [f.name for f in fields]
    if len(args) > len(names):
        raise InputError(where, args, f"at most {len(names)} positional values")
    given = dict(zip(names, args, strict=False))
    for k, v in kwargs.items():
        if k not in names:
            raise InputError(f"{where}.{k}", v, f"one of {', '.join(names)}")
        if k in given:
            raise InputError(f"{where}.{k}", v, "given once (positionally or by name)")
        given[k] = v
    for f in fields:
        if f.name not in given:
            if f.default is not dataclasses.MISSING:
                given[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                given[f.name] = f.default_factory()
            else:
                raise InputError(f"{where}.{f.name}", None, "a value (it has no default)")
        object.__setattr__(obj, f.name, given[f.name])
    obj.__post_init__()


def renamed_attribute(obj: Any, name: str, renames: dict[str, str]) -> Any:
    """For ``__getattr__`` of a class whose attributes were renamed: the new attribute's
    value with a :class:`DeprecationWarning`, or AttributeError for an unknown name."""
    import warnings

    new = renames.get(name)
    if new is None:
        raise AttributeError(name)
    cls = type(obj).__name__
    warnings.warn(f"{cls}.{name} is deprecated, use {cls}.{new}", DeprecationWarning, stacklevel=3)
    return getattr(obj, new)
