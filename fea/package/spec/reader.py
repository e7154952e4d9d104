"""Reading spec files: TOML text to data, and a typed, checked reader of its tables.

:class:`Section` wraps one TOML table: typed getters (numbers with bounds, lengths with
a ``_mm``/``_um`` suffix, strings from a set of choices, booleans, sub-tables) record the
keys they consume, and :meth:`Section.done` rejects every key nobody asked for, with
the closest allowed name as a hint. Every error is an :class:`~fea.errors.InputError`
naming the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...units import SUFFIX_TO_SI

__all__ = [
    "KeyRecord",
    "MAX_DEPTH",
    "MAX_LENGTH_M",
    "MAX_STUDY_BYTES",
    "MISSING",
    "Section",
    "check_depth",
    "check_label",
    "check_number",
    "hint",
    "read_toml",
    "recording",
]

#: Longest length a spec may give [m]: a panel is well under a metre.
MAX_LENGTH_M = 2.0
#: Deepest nesting of tables and arrays a study may have (the schema needs 6).
MAX_DEPTH = 32
#: Largest study file read [bytes]; a study is a few kB, explicit case lists a few MB.
MAX_STUDY_BYTES = 64 * 1024 * 1024


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a study file as a dict.

    A missing or unreadable file, a FIFO or device (which would block or never end), a
    file that is not UTF-8 text, invalid TOML, or nesting deeper than :data:`MAX_DEPTH`
    is an :class:`~fea.errors.InputError` naming the file and the reason.
    """
    from ...io.textfile import read_text_file

    p = Path(path)
    text = read_text_file(p, "study file", MAX_STUDY_BYTES, "file")
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("study file", str(p), f"valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise InputError(
            "study file", str(p), f"tables and arrays nested at most {MAX_DEPTH} deep"
        ) from None
    check_depth(parsed, "study file")
    return parsed


def check_depth(data: object, key: str = "<root>", limit: int = MAX_DEPTH) -> None:
    """Refuse tables and arrays nested deeper than ``limit`` (checked without recursion,
    so a 5000-deep input is an :class:`~fea.errors.InputError`, not a RecursionError)."""
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        obj, depth = stack.pop()
        if depth > limit:
            raise InputError(key, "<nested data>", f"tables and arrays nested at most {limit} deep")
        if isinstance(obj, Mapping):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, list | tuple):
            stack.extend((v, depth + 1) for v in obj)


MISSING = object()
"""Marks a required key (no default)."""


@dataclass(frozen=True)
class KeyRecord:
    """What a getter of :class:`Section` was asked for: the dotted key, its kind
    (``number``, ``integer``, ``length``, ``pair``, ``string``, ``boolean``, ``table``,
    ``value``), the default (None when required: ``required``), bounds and choices, and
    for a length the other spelling (``_um``)."""

    key: str
    kind: str
    default: Any = None
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    positive: bool = False
    nonneg: bool = False
    choices: tuple[str, ...] | None = None
    alternative: str | None = None


_RECORDS: list[list[KeyRecord]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[KeyRecord]]:
    """Record every key the :class:`Section` getters read while the block runs (the
    reference of spec keys, docs/spec.md, is generated this way)."""
    records: list[KeyRecord] = []
    _RECORDS.append(records)
    try:
        yield records
    finally:
        _RECORDS.remove(records)


# -- a small checked reader ---------------------------------------------------------


class Section:
    """A TOML table being read: typed getters that record the keys they consume."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InputError(path or "<root>", data, "a table")
        self.data = dict(data)
        self.path = path
        self.used: set[str] = set()
        #: Names asked for with :meth:`has` (optional sections and keys): allowed too, so
        #: a misspelt one gets the closest of them as a hint in :meth:`done`'s error.
        self.known: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        self.known.add(name)
        return name in self.data

    def note(self, name: str, kind: str, default: Any = MISSING, **info: Any) -> None:
        """Record the key for :func:`recording` (no effect otherwise)."""
        if _RECORDS:
            required = default is MISSING
            rec = KeyRecord(self.key(name), kind, None if required else default, required, **info)
            for records in _RECORDS:
                records.append(rec)

    def raw(self, name: str, default: Any = MISSING) -> Any:
        if _RECORDS:
            kind = "table" if isinstance(default, Mapping) else "value"
            self.note(name, "list" if isinstance(default, list) else kind, default)
        self.used.add(name)
        if name not in self.data:
            if default is MISSING:
                raise InputError(self.key(name), None, "a value (the key is required)")
            return default
        return self.data[name]

    def number(
        self,
        name: str,
        default: Any = MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        positive: bool = False,
        nonneg: bool = False,
        integer: bool = False,
        scale: float = 1.0,
    ) -> Any:
        kind = "integer" if integer else "number"
        self.note(name, kind, default, lo=lo, hi=hi, positive=positive, nonneg=nonneg)
        v = self.raw(name, default)
        if name not in self.data:
            if isinstance(v, float) and not integer:
                return v * scale
            return v
        v = check_number(
            self.key(name), v, lo=lo, hi=hi, positive=positive, nonneg=nonneg, integer=integer
        )
        if integer:
            return v
        si = v * scale
        if not math.isfinite(si) or (v != 0 and si == 0):
            raise InputError(self.key(name), v, "a number whose SI value is a finite float")
        return si

    def length(
        self, base: str, default_mm: Any = MISSING, *, positive: bool = True, nonneg: bool = False
    ) -> Any:
        """A length given as ``base_mm`` or ``base_um``; returns metres (at most
        :data:`MAX_LENGTH_M`)."""
        self.note(
            f"{base}_mm",
            "length",
            default_mm,
            positive=positive and not nonneg,
            nonneg=nonneg,
            alternative=self.key(f"{base}_um"),
        )
        keys = [k for k in (f"{base}_mm", f"{base}_um") if k in self.data]
        if len(keys) > 1:
            raise InputError(
                self.key(keys[1]), self.data[keys[1]], f"only one of {base}_mm and {base}_um"
            )
        if not keys:
            self.used.update({f"{base}_mm", f"{base}_um"})
            if default_mm is MISSING:
                raise InputError(self.key(f"{base}_mm"), None, "a value (the key is required)")
            return None if default_mm is None else default_mm * 1e-3
        k = keys[0]
        scale = SUFFIX_TO_SI[k.rsplit("_", 1)[1]]
        return self.number(
            k,
            positive=positive and not nonneg,
            nonneg=nonneg,
            hi=MAX_LENGTH_M / scale,
            scale=scale,
        )

    def pair(
        self, name: str, default: Any = MISSING, *, scale: float = 1.0, length: bool = False
    ) -> Any:
        """A pair [x, y] of positive numbers times ``scale``; ``length``: lengths (``scale``
        converts them to metres), each at most :data:`MAX_LENGTH_M` as :meth:`length`'s."""
        self.note(name, "pair", default, positive=True)
        v = self.raw(name, default)
        if not isinstance(v, list | tuple) or len(v) != 2:
            raise InputError(self.key(name), v, "a pair [x, y] of positive numbers")
        hi = MAX_LENGTH_M / scale if length else None
        return tuple(
            check_number(f"{self.key(name)}[{i}]", x, positive=True, hi=hi) * scale
            for i, x in enumerate(v)
        )

    def string(
        self, name: str, default: Any = MISSING, *, choices: tuple[str, ...] | None = None
    ) -> Any:
        self.note(name, "string", default, choices=choices)
        v = self.raw(name, default)
        if not isinstance(v, str):
            raise InputError(self.key(name), v, "a string")
        if choices is not None and v not in choices:
            raise InputError(self.key(name), v, f"one of {', '.join(choices)}{hint(v, choices)}")
        return v

    def boolean(self, name: str, default: Any = MISSING) -> Any:
        self.note(name, "boolean", default)
        v = self.raw(name, default)
        if not isinstance(v, bool):
            raise InputError(self.key(name), v, "true or false")
        return v

    def section(self, name: str, default: Any = MISSING) -> Section:
        self.note(name, "section", {})
        v = self.raw(name, {} if default is MISSING else default)
        return Section(v, self.key(name))

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            k = unknown[0]
            allowed = sorted(self.used | self.known)
            raise InputError(
                self.key(k),
                self.data[k],
                f"unknown key{hint(k, allowed)}; allowed keys: {', '.join(allowed)}",
            )


def hint(value: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_number(
    key: str,
    v: object,
    *,
    lo: float | None = None,
    hi: float | None = None,
    positive: bool = False,
    nonneg: bool = False,
    integer: bool = False,
) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError(key, v, "an integer" if integer else "a number")
    if integer and not isinstance(v, int):
        raise InputError(key, v, "an integer")
    try:
        finite = math.isfinite(v)
    except OverflowError:  # an integer beyond a float (TOML's integers are unbounded)
        raise InputError(key, v, "a number a float holds (magnitude below 1.8e308)") from None
    if not finite:
        raise InputError(key, v, "a finite number (not NaN or inf)")
    if positive and v <= 0:
        raise InputError(key, v, "a positive number")
    if nonneg and v < 0:
        raise InputError(key, v, "a non-negative number")
    if lo is not None and v < lo:
        raise InputError(key, v, f"a number >= {lo}")
    if hi is not None and v > hi:
        raise InputError(key, v, f"a number <= {hi}")
    return v


#: What a label that becomes part of table columns, CSV headers and results-file state
#: names (a process stage, a transient probe) may be.
LABEL_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


def check_label(key: str, value: object) -> str:
    """A label for columns and state names: a letter, then letters, digits or ``_``, at
    most 40 characters (no ``@ : | , /`` that the column syntax or a CSV file would
    misread); else an :class:`~fea.errors.InputError` naming ``key``."""
    if not isinstance(value, str) or LABEL_PATTERN.fullmatch(value) is None:
        raise InputError(key, value, "a name of 1-40 letters, digits or _ starting with a letter")
    return value
