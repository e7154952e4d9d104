"""Array namespaces: NumPy + SciPy on the host, or CuPy + cupyx on a device.

One type, :class:`Namespace`, says where arrays and sparse matrices live: the array module
``xp``, its sparse module, how to wait for queued device work and how to copy an array to
the host. The assembly kernels of :mod:`fea.fe` take ``xp`` and find its sparse module with
:func:`namespace_of`; the solvers of :mod:`fea.solvers` (AMG, PCG, elimination) take the
namespace itself; the prepared solver of :func:`fea.solvers.prepare` says which namespace
a system is assembled in (:func:`fea.solvers.assembly_namespace`).

Nothing here imports CuPy: a device namespace is made from the modules that
:mod:`fea.solvers.gpu` (the only importer of CuPy) has already imported, looked up in
``sys.modules``, so a namespace follows from its array module alone, without a registry
that must be filled first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

__all__ = ["HOST", "Namespace", "namespace_of", "sparse_of"]


def _host_sync() -> None:
    return None


@dataclass(frozen=True)
class Namespace:
    """An array namespace and its sparse module.

    Attributes
    ----------
    xp
        The array module (``numpy`` or ``cupy``).
    sparse
        Its sparse-matrix module (``scipy.sparse`` or ``cupyx.scipy.sparse``).
    synchronize
        Waits for queued device work (for stage timings); nothing on the host.
    asnumpy
        Copies an array to the host as a NumPy array.
    name
        ``"numpy"`` or ``"cupy"``.
    """

    xp: Any
    sparse: Any
    synchronize: Callable[[], None] = _host_sync
    asnumpy: Callable[[Any], np.ndarray] = np.asarray
    name: str = "numpy"

    @property
    def on_host(self) -> bool:
        """True for NumPy/SciPy."""
        return self.xp is np


#: NumPy and SciPy.
HOST = Namespace(np, sp)

#: The sparse module of each array module this package knows, by module name.
_SPARSE_MODULE = {"numpy": "scipy.sparse", "cupy": "cupyx.scipy.sparse"}


def namespace_of(xp: Any) -> Namespace:
    """The :class:`Namespace` of the array module ``xp`` (``numpy`` or an already imported
    ``cupy``); a :class:`Namespace` is returned as it is. Anything else is an
    :class:`~fea.errors.InputError`."""
    if isinstance(xp, Namespace):
        return xp
    if xp is np:
        return HOST
    name = getattr(xp, "__name__", None)
    sparse = sys.modules.get(_SPARSE_MODULE.get(name, ""), None) if name else None
    if name != "cupy" or sparse is None:
        raise InputError(
            "xp",
            getattr(xp, "__name__", type(xp).__name__),
            "numpy, or cupy imported by fea.solvers.gpu (with cupyx.scipy.sparse)",
        )
    cuda = getattr(xp, "cuda", None)
    sync = cuda.runtime.deviceSynchronize if cuda is not None else _host_sync
    return Namespace(xp, sparse, sync, xp.asnumpy, name="cupy")


def sparse_of(xp: Any) -> Any:
    """The sparse module of the array module ``xp`` (SciPy's for NumPy)."""
    return namespace_of(xp).sparse
