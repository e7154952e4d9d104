"""Study tables in HDF5 (``table.h5``, schema ``fea-table/1``): one dataset per column,
numbers as float64 (NaN where a case has no value), everything else as text. Each
dataset carries its column name and, when given, its ``unit`` and ``description``.

:func:`read_frame` returns the table as a pandas DataFrame (pandas is optional), with
the units in ``DataFrame.attrs["units"]``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path

__all__ = ["TABLE_SCHEMA", "read_frame", "read_table", "read_units", "write_table"]

TABLE_SCHEMA = "fea-table/1"


def write_table(
    path: Path,
    study: str,
    rows: list[dict[str, Any]],
    keys: list[str],
    units: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
) -> None:
    """Write ``rows`` (column ``keys`` in order) to ``path`` atomically; ``units`` and
    ``descriptions`` (column -> text) become attributes of the columns' datasets."""
    import h5py

    units = units or {}
    descriptions = descriptions or {}
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["schema"] = TABLE_SCHEMA
        f.attrs["study"] = study
        f.attrs["columns"] = json.dumps(keys)
        g = f.create_group("table")
        for k in keys:
            vals = [r.get(k) for r in rows]
            name = k.replace("/", "_")
            if all(
                isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in vals
            ) and any(v is not None for v in vals):
                g.create_dataset(
                    name, data=np.array([math.nan if v is None else float(v) for v in vals])
                )
            else:
                g.create_dataset(
                    name,
                    data=np.array(
                        ["" if v is None else str(v) for v in vals], dtype=h5py.string_dtype()
                    ),
                )
            g[name].attrs["column"] = k
            if k in units:
                g[name].attrs["unit"] = units[k]
            if k in descriptions:
                g[name].attrs["description"] = descriptions[k]


def read_table(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a ``table.h5`` (numbers as float, NaN where a case has no value)."""
    import h5py

    with h5py.File(path, "r") as f:
        keys = json.loads(f.attrs["columns"])
        cols = {}
        for ds in f["table"].values():
            v = ds[()]
            cols[ds.attrs["column"]] = [x.decode() if isinstance(x, bytes) else x for x in v]
    n = len(next(iter(cols.values()))) if cols else 0
    return [{k: cols[k][i] for k in keys} for i in range(n)]


def read_units(path: str | os.PathLike) -> dict[str, str]:
    """Column -> unit of a ``table.h5`` (columns without a unit are left out)."""
    import h5py

    with h5py.File(path, "r") as f:
        return {
            ds.attrs["column"]: str(ds.attrs["unit"])
            for ds in f["table"].values()
            if "unit" in ds.attrs
        }


def read_frame(path: str | os.PathLike) -> Any:
    """The table as a pandas DataFrame, one row per case (index: the case id), units in
    ``df.attrs["units"]``. Needs pandas (``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError as exc:
        from ..errors import InputError

        raise InputError(
            "table", str(path), f"pandas installed (pip install pandas): {exc}"
        ) from None
    rows = read_table(path)
    df = pd.DataFrame(rows)
    if "case" in df.columns:
        df = df.set_index("case")
    df.attrs["units"] = read_units(path)
    return df
