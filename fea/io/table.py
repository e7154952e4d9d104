"""Study tables in HDF5 (``table.h5``, schema ``fea-table/1``): one dataset per column,
numbers as float64 (NaN where a case has no value), everything else as text. Each
dataset carries its column name and, when given, its ``unit`` and ``description``. The
root attribute ``sha256`` holds the SHA-256 of each block (``/`` and ``/table``), as a
results file does (:func:`fea.io.results_reader.block_digests`): a flipped bit is an
error naming the block, never a wrong number read.

:func:`read_frame` returns the table as a pandas DataFrame (pandas is optional), with
the units in ``DataFrame.attrs["units"]``."""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, ResultsError
from .atomic import encode_text, write_atomic
from .hdf5 import memory_file, open_hdf5
from .hdf5_probe import remember_written
from .results_format import hdf5_text
from .results_reader import block_digests, check_declared, check_digests, hard_member

__all__ = [
    "MAX_COLUMNS",
    "TABLE_SCHEMA",
    "read_frame",
    "read_table",
    "read_units",
    "table_image",
    "write_table",
]

TABLE_SCHEMA = "fea-table/1"
_TABLE_NAME, _TABLE_MAJOR = "fea-table", 1

#: Most columns of a table read or written (one dataset each; a reflow study has ~1000).
MAX_COLUMNS = 1_000_000


def write_table(
    path: Path,
    study: str,
    rows: list[dict[str, Any]],
    keys: list[str],
    units: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
) -> None:
    """Write ``rows`` (column ``keys`` in order) to ``path`` atomically (built in memory
    by :func:`table_image`, written in one piece: a full disk leaves the previous table
    untouched); ``units`` and ``descriptions`` (column -> text) become attributes of the
    columns' datasets."""
    write_atomic(path, table_image(study, rows, keys, units, descriptions))
    remember_written(path)


def table_image(
    study: str,
    rows: list[dict[str, Any]],
    keys: list[str],
    units: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
) -> bytes:
    """The bytes of a ``table.h5`` of ``rows`` (see :func:`write_table`), for a caller
    that writes it together with other files (:func:`fea.io.atomic.write_atomic_files`).

    A column's dataset is named after it, ``/`` written as ``_`` (HDF5's path
    separator), with `` (2)``, `` (3)``, ... added where two names would meet (``a/b`` and
    ``a_b``) or a name is ``.``; the reader takes the name from the ``column`` attribute.
    A number is any real number (``int``, ``float``, NumPy's integers and floats; not a
    ``bool``, which is text). A lone surrogate in a text value (a byte of a folder's name
    that is not UTF-8, in an error message) is stored as its escape ``\\udcff``, as
    :func:`fea.io.atomic.write_atomic` writes it to ``table.csv``. The study's name, a
    column name, a unit or a description that HDF5 cannot store as given (with a NUL
    character, or not UTF-8), a text value with a NUL and a column named twice are an
    :class:`~fea.errors.InputError` naming it."""
    import h5py

    units = units or {}
    descriptions = descriptions or {}
    hdf5_text("table study", str(study))
    for k in keys:
        if not isinstance(k, str):
            raise InputError("table column", k, "a name (text)")
        hdf5_text("table column", k)
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise InputError("table columns", twice, "distinct column names")
    for what, texts in (("unit", units), ("description", descriptions)):
        for k, text in texts.items():
            hdf5_text(f"table column {k} {what}", str(text))
    columns = {}
    for k in keys:
        vals = [r.get(k) for r in rows]
        if all(_is_number(v) or v is None for v in vals) and any(v is not None for v in vals):
            try:
                columns[k] = np.array([math.nan if v is None else float(v) for v in vals])
            except OverflowError:
                big = next(v for v in vals if v is not None and abs(v) > 1e308)
                raise InputError(f"table column {k}", big, "a number a float64 holds") from None
        else:
            # a lone surrogate (a byte of a folder's name that is not UTF-8, in a case's
            # error message) as its escape, as table.csv has it: the table is written
            texts = [_escaped("" if v is None else str(v)) for v in vals]
            for text in texts:
                hdf5_text(f"table column {k}", text)
            columns[k] = np.array(texts, dtype=h5py.string_dtype())
    names = _dataset_names(keys)
    with memory_file() as f:
        f.attrs["schema"] = TABLE_SCHEMA
        f.attrs["study"] = study
        f.attrs["columns"] = json.dumps(keys)
        g = f.create_group("table")
        for k in keys:
            name = names[k]
            g.create_dataset(name, data=columns[k])
            g[name].attrs["column"] = k
            if k in units:
                g[name].attrs["unit"] = units[k]
            if k in descriptions:
                g[name].attrs["description"] = descriptions[k]
        f.attrs["sha256"] = json.dumps(block_digests(f, MAX_COLUMNS), sort_keys=True)
        f.flush()
        return f.id.get_file_image()


def _is_number(v: Any) -> bool:
    """Whether ``v`` goes to a table as a number: a real number, not a bool."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


def _escaped(text: str) -> str:
    """``text`` with each lone surrogate written as its escape (``\\udcff``)."""
    return encode_text(text).decode("utf-8")


def _dataset_names(keys: list[str]) -> dict[str, str]:
    """Column -> a distinct HDF5 dataset name (see :func:`write_table`)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for k in keys:
        base = k.replace("/", "_")
        name, n = base, 1
        while name in used or name in ("", "."):
            n += 1
            name = f"{base} ({n})"
        used.add(name)
        out[k] = name
    return out


def _open_table(path: Path, probe: bool) -> Any:
    """The open ``table.h5`` at ``path`` after its schema and checksums are checked: a
    foreign file, one of a newer table schema or one without a schema, a corrupt one (one
    that crashes the HDF5 library too, with ``probe``: :func:`~fea.io.hdf5.open_hdf5`) or
    one changed after writing is a :class:`~fea.errors.ResultsError` saying which."""
    f = open_hdf5(path, probe=probe, max_members=MAX_COLUMNS)
    try:
        schema = f.attrs.get("schema")
        schema = schema.decode() if isinstance(schema, bytes) else schema
        if schema != TABLE_SCHEMA:
            name, _, ver = str(schema).partition("/")
            if name == _TABLE_NAME and ver.isascii() and ver.isdigit() and int(ver) > _TABLE_MAJOR:
                raise ResultsError(
                    f"{path}: schema {schema!r} is newer than this fea reads "
                    f"({TABLE_SCHEMA!r}); upgrade fea"
                )
            raise ResultsError(f"{path}: not a study table (schema {schema!r})")
        check_digests(f, path, MAX_COLUMNS)
    except ResultsError:
        f.close()
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        f.close()
        raise ResultsError(f"{path}: truncated or corrupt study table ({exc})") from None
    except BaseException:
        f.close()
        raise
    return f


def _columns(f: Any, path: Path) -> list[tuple[str, Any]]:
    """(``/table/<name>``, dataset) of every column of the open table ``f``, each a
    plain dataset of this file (no link to another object or file) checked by
    :func:`~fea.io.results_reader.check_declared` before anything is read."""
    import h5py

    g = hard_member(f, "table", "/table", path, holder="a table")
    if not isinstance(g, h5py.Group):
        raise ResultsError(f"{path}: /table is not a group")
    out = []
    for key in g:
        where = f"/table/{key}"
        ds = hard_member(g, key, where, path, holder="a table")
        if not isinstance(ds, h5py.Dataset):
            raise ResultsError(f"{path}: {where} is not a dataset")
        check_declared(ds, where, path)
        out.append((where, ds))
    return out


def read_table(path: str | os.PathLike, *, probe: bool = True) -> list[dict[str, Any]]:
    """Rows of a ``table.h5`` (numbers as float, NaN where a case has no value).

    A missing, foreign, newer-schema or malformed file is a
    :class:`~fea.errors.ResultsError` naming the path and what is wrong. ``probe``: read
    the file in a child process first (:func:`~fea.io.hdf5.open_hdf5`), so a file that
    crashes the HDF5 library is an error, not the end of this process."""
    path = Path(path)
    f = _open_table(path, probe)
    try:
        with f:
            try:
                keys = json.loads(_text(f.attrs["columns"]))
            except (ValueError, RecursionError):
                raise ResultsError(
                    f"{path}: the attribute columns is not valid JSON text"
                ) from None
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ResultsError(f"{path}: the attribute columns is not a list of names")
            cols = {}
            for where, ds in _columns(f, path):
                if ds.shape is None or len(ds.shape) != 1:
                    raise ResultsError(f"{path}: column {where} is not one-dimensional")
                v = ds[()]
                col = ds.attrs["column"]
                cols[col.decode() if isinstance(col, bytes) else str(col)] = [
                    x.decode() if isinstance(x, bytes) else x for x in v
                ]
    except ResultsError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ResultsError(f"{path}: malformed study table ({type(exc).__name__}: {exc})") from None
    if set(keys) != set(cols):
        raise ResultsError(f"{path}: malformed study table (columns do not match)")
    lengths = {len(c) for c in cols.values()}
    if len(lengths) > 1:
        raise ResultsError(f"{path}: malformed study table (columns of different lengths)")
    n = lengths.pop() if lengths else 0
    return [{k: cols[k][i] for k in keys} for i in range(n)]


def read_units(path: str | os.PathLike, *, probe: bool = True) -> dict[str, str]:
    """Column -> unit of a ``table.h5`` (columns without a unit are left out); a
    foreign, newer-schema or malformed file is a :class:`~fea.errors.ResultsError`.
    ``probe`` as for :func:`read_table`."""
    path = Path(path)
    f = _open_table(path, probe)
    try:
        with f:
            return {
                _text(ds.attrs["column"]): _text(ds.attrs["unit"])
                for _, ds in _columns(f, path)
                if "unit" in ds.attrs
            }
    except ResultsError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ResultsError(f"{path}: malformed study table ({type(exc).__name__}: {exc})") from None


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def read_frame(path: str | os.PathLike) -> Any:
    """The table as a pandas DataFrame, one row per case (index: the case id), units in
    ``df.attrs["units"]``. Needs pandas (``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise InputError(
            "table", str(path), f"pandas installed (pip install pandas): {exc}"
        ) from None
    rows = read_table(path)
    df = pd.DataFrame(rows)
    if "case" in df.columns:
        df = df.set_index("case")
    df.attrs["units"] = read_units(path, probe=False)  # probed by read_table
    return df
