"""Constitutive laws: Hooke's law written once, and what is derived from a stress.

Stresses and strains are Voigt vectors (..., 6) in the order (xx, yy, zz, yz, xz, xy)
with TENSOR shear strains (eps_yz, not gamma_yz = 2 eps_yz), so the isotropic law is
the same formula for every component: ``sigma = lam tr(eps) I + 2 mu eps``. Stresses Pa.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "element_moduli",
    "hooke",
    "lame",
    "principal",
    "tensor",
    "von_mises",
]


def lame(E: ArrayLike, nu: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lamé parameters (lambda, mu) [Pa] from E [Pa] and nu, elementwise."""
    E = np.asarray(E, dtype=float)
    nu = np.asarray(nu, dtype=float)
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def hooke(lam: ArrayLike, mu: ArrayLike, eps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Isotropic stress ``lam tr(eps) I + 2 mu eps`` of Voigt strains ``eps`` (..., 6).

    ``lam``, ``mu`` broadcast against ``eps[..., 0]`` (e.g. (n_el, 1) for (n_el, n_q, 6)).
    """
    # NumPy or CuPy arrays as they are (the stresses of a device solve stay on the device)
    lam = lam if hasattr(lam, "shape") else np.asarray(lam, dtype=float)
    mu = mu if hasattr(mu, "shape") else np.asarray(mu, dtype=float)
    tr = eps[..., 0] + eps[..., 1] + eps[..., 2]
    sig = 2 * mu[..., None] * eps
    sig[..., :3] += (lam * tr)[..., None]
    return sig


def tensor(s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Voigt (..., 6) -> symmetric 3 x 3 tensors (..., 3, 3)."""
    T = np.empty(s.shape[:-1] + (3, 3))
    T[..., 0, 0], T[..., 1, 1], T[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    T[..., 1, 2] = T[..., 2, 1] = s[..., 3]
    T[..., 0, 2] = T[..., 2, 0] = s[..., 4]
    T[..., 0, 1] = T[..., 1, 0] = s[..., 5]
    return T


def von_mises(s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Von Mises equivalent stress of Voigt stresses (..., 6) -> (...), Pa."""
    return np.sqrt(
        0.5
        * (
            (s[..., 0] - s[..., 1]) ** 2
            + (s[..., 1] - s[..., 2]) ** 2
            + (s[..., 2] - s[..., 0]) ** 2
        )
        + 3 * (s[..., 3:] ** 2).sum(axis=-1)
    )


def principal(s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Principal stresses of Voigt stresses (..., 6), ascending, shape (..., 3)."""
    return np.linalg.eigvalsh(tensor(s))


def element_moduli(
    mesh: Any, space: Any, materials: Mapping[str, Any], T: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Young's modulus [Pa] and Poisson's ratio per element, shape (n_el,) each, at the
    element's mean nodal temperature ``T`` (nodal, degC); ``materials`` region -> Material
    for every region (:func:`fea.physics.materials.assign`)."""
    E = np.zeros(mesh.n_elements)
    nu = np.zeros(mesh.n_elements)
    for region, e in mesh.regions.items():
        m = materials[region]
        E[e] = m.youngs(T[space.dofs[e]].mean(axis=1))
        nu[e] = m.nu
    return E, nu
