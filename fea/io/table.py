"""Study tables in HDF5 (``table.h5``, schema ``fea-table/1``): one dataset per column,
numbers as float64 (NaN where a case has no value), everything else as text."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path

__all__ = ["TABLE_SCHEMA", "read_table", "write_table"]

TABLE_SCHEMA = "fea-table/1"


def write_table(path: Path, study: str, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Write ``rows`` (column ``keys`` in order) to ``path`` atomically."""
    import h5py

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
