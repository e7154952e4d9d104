"""Small test systems shared by the solver tests (and ``scripts/peak_amg_xp.py``)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fea.fe import forms as asm
from fea.fe.constraints import rigid_body_modes
from fea.fe.spaces import FieldSpace, space
from fea.physics.constitutive import lame

from ..verification.helpers import layered_box

__all__ = ["clamped_plate", "grid", "near_singular", "two_layer_box"]


def grid(nx: int, ny: int) -> sp.csr_matrix:
    """A 2D five-point Laplacian plus a small shift (1e-3), CSR (nx ny, nx ny)."""
    L = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(nx, nx))
    M = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(ny, ny))
    return (
        sp.kron(sp.identity(ny), L) + sp.kron(M, sp.identity(nx)) + 1e-3 * sp.identity(nx * ny)
    ).tocsr()


def near_singular(m: int = 12, d: float = 1e-9) -> sp.csr_matrix:
    """The 3D seven-point Dirichlet Laplacian of ``m**3`` unknowns shifted down to within a
    relative ``d`` of its smallest eigenvalue: SPD, conditioning about ``1 / d`` (1e9 by
    default), so its double Cholesky holds and a float32 one does not (a zero or negative
    pivot, or an answer far off), CSR (m^3, m^3)."""
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    eye = sp.identity(m)
    L = sp.kron(sp.kron(T, eye), eye) + sp.kron(sp.kron(eye, T), eye)
    L = L + sp.kron(sp.kron(eye, eye), T)
    lmin = 3.0 * (2.0 - 2.0 * np.cos(np.pi / (m + 1)))
    return (L - lmin * (1.0 - d) * sp.identity(m**3)).tocsr()


def _two_layer_stiffness(mesh) -> tuple[sp.csr_matrix, FieldSpace]:
    """Elasticity stiffness (CSR) of a layered box, elements alternately 100 and 3 GPa."""
    fs = space(mesh)
    E = np.where(np.arange(mesh.n_elements) % 2 == 0, 100e9, 3e9)
    return asm.elasticity_matrix(fs, *lame(E, np.full(mesh.n_elements, 0.3))).tocsr(), fs


def two_layer_box() -> tuple[sp.csr_matrix, FieldSpace]:
    """A 2 x 1.5 mm two-layer P2 box (stiff on soft), free: its stiffness and space."""
    return _two_layer_stiffness(
        layered_box((2e-3, 1.5e-3), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.25e-3, order=2)
    )


def clamped_plate(width: float = 4e-3):
    """A clamped two-layer P2 plate (``width`` x 3/4 of it; 4 mm: about 40k DOF): K, a
    load, the rigid-body modes."""
    K, fs = _two_layer_stiffness(
        layered_box((width, 0.75 * width), [("a", 0.3e-3, 2), ("b", 0.2e-3, 1)], 0.2e-3, order=2)
    )
    fixed = np.flatnonzero(np.repeat(fs.nodes[:, 2] < 1e-12, 3))
    keep = np.ones(K.shape[0])
    keep[fixed] = 0.0
    Dk = sp.diags(keep)
    A = (Dk @ K @ Dk + sp.diags(1.0 - keep) * K.diagonal().mean()).tocsr()
    b = np.zeros(K.shape[0])
    b[2::3] = -1.0
    b[fixed] = 0.0
    return A, b, rigid_body_modes(fs.nodes)
