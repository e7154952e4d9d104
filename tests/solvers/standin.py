"""A NumPy/SciPy stand-in for CuPy and cupyx.scipy.sparse, for running device code on the CPU.

It is not a GPU test (those are the ``gpu``-marked ones): it runs the device code of
``fea.solvers`` and the ``xp=cupy`` assembly line by line on the CPU, so a wrong call in code
that CI cannot run on a device is still caught. The stand-in offers only names that CuPy and
cupyx have (``test_standin_names_exist_in_cupy`` checks them against the installed CuPy) and
refuses sparse data types that cupyx refuses.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import scipy.sparse as sp

from fea.solvers import DeviceStatus, registry

#: numpy names the device code may use under ``cupy.`` (all exist in CuPy)
CUPY_NAMES = (
    "abs",
    "all",
    "arange",
    "asarray",
    "bincount",
    "broadcast_to",
    "concatenate",
    "cumsum",
    "dot",
    "einsum",
    "empty",
    "empty_like",
    "eye",
    "flatnonzero",
    "float32",
    "float64",
    "int32",
    "int64",
    "isfinite",
    "maximum",
    "minimum",
    "multiply",
    "ndarray",
    "ones",
    "ones_like",
    "sqrt",
    "stack",
    "where",
    "zeros",
    "zeros_like",
)
#: CuPy names with a stand-in of their own
OWN_NAMES = ("asnumpy", "get_default_memory_pool")
LINALG_NAMES = ("cholesky", "eigh", "inv", "norm")
SPARSE_NAMES = ("coo_matrix", "csr_matrix", "issparse")
#: sparse-matrix methods the device code calls (checked on cupyx's csr_matrix / coo_matrix)
CSR_METHODS = (
    "T",
    "astype",
    "diagonal",
    "has_canonical_format",
    "max",
    "nnz",
    "toarray",
    "tocoo",
    "tocsr",
    "__abs__",
    "__add__",
    "__matmul__",
    "__mul__",
    "__rmul__",
    "__sub__",
)
COO_METHODS = ("tocsr", "toarray")  # and the attributes row, col, data

_SPARSE_DTYPES = (np.bool_, np.float32, np.float64, np.complex64, np.complex128)


def _checked(cls):
    """A SciPy sparse constructor that refuses data types cupyx refuses (integer data)."""

    def make(*args, **kwargs):
        M = cls(*args, **kwargs)
        if M.dtype.type not in _SPARSE_DTYPES:
            raise ValueError(f"cupyx sparse matrices cannot hold {M.dtype} data")
        return M

    return make


class _Pool:
    """CuPy's memory pool, as far as the benchmark uses it."""

    def free_all_blocks(self) -> None:
        return None

    def total_bytes(self) -> int:
        return 0


def modules() -> dict[str, types.ModuleType]:
    """The stand-in modules: ``cupy``, ``cupyx``, ``cupyx.scipy``, ``cupyx.scipy.sparse``."""
    fake = types.ModuleType("cupy")
    for name in CUPY_NAMES:
        setattr(fake, name, getattr(np, name))
    fake.linalg = types.SimpleNamespace(**{n: getattr(np.linalg, n) for n in LINALG_NAMES})
    fake.asnumpy = lambda a: np.asarray(a)
    pool = _Pool()
    fake.get_default_memory_pool = lambda: pool
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(deviceSynchronize=lambda: None))
    cupyx = types.ModuleType("cupyx")
    cscipy = types.ModuleType("cupyx.scipy")
    csparse = types.ModuleType("cupyx.scipy.sparse")
    csparse.csr_matrix = _checked(sp.csr_matrix)
    csparse.coo_matrix = _checked(sp.coo_matrix)
    csparse.issparse = sp.issparse
    cupyx.scipy = cscipy
    cscipy.sparse = csparse
    return {"cupy": fake, "cupyx": cupyx, "cupyx.scipy": cscipy, "cupyx.scipy.sparse": csparse}


def install(monkeypatch) -> types.ModuleType:
    """Install the stand-in under the CuPy names for one test; returns the ``cupy`` module
    (:func:`fea.fe.namespace.namespace_of` finds its sparse module in ``sys.modules``)."""
    mods = modules()
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    return mods["cupy"]


def fake_working_device(monkeypatch) -> DeviceStatus:
    """Make :func:`fea.solvers.registry.probe_device` report a working device for one test;
    returns the status it reports."""
    status = DeviceStatus(True, "CUDA device 0 works (stand-in)", "stand-in")
    monkeypatch.setattr(registry, "probe_device", lambda: status)
    return status


def install_working_device(monkeypatch) -> types.ModuleType:
    """:func:`install` the stand-in and :func:`fake_working_device`; returns the ``cupy``
    module."""
    cupy = install(monkeypatch)
    fake_working_device(monkeypatch)
    return cupy
