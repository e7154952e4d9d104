"""Steady and transient heat conduction, and package thermal metrics.

.. math:: \\rho c_p \\dot T - \\nabla\\cdot(k \\nabla T) = q \\quad\\text{in } \\Omega,\\qquad
          -k \\partial_n T = h (T - T_\\infty) - q_n \\text{ on convective/flux faces}

Temperatures in degC, powers in W, lengths in m. ``k(T)`` tables are handled by
Picard iteration (element conductivity from the element's mean temperature).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from . import assembly as asm
from .errors import InputError, SolverError
from .fields import locate
from .materials import Material
from .solvers import solve

__all__ = ["ThermalResult", "Transient", "solve_thermal"]

FixedValue = float | Callable[[float], float]


@dataclass(frozen=True)
class Transient:
    """Time stepping: ``t_end`` and ``dt`` [s], initial temperature [degC], theta (1 = backward
    Euler, 0.5 = Crank-Nicolson)."""

    t_end: float
    dt: float
    initial: float = 25.0
    theta: float = 1.0

    def __post_init__(self) -> None:
        if not (self.t_end > 0 and 0 < self.dt <= self.t_end):
            raise InputError("transient", (self.t_end, self.dt), "0 < dt <= t_end")
        if not 0.5 <= self.theta <= 1.0:
            raise InputError("transient.theta", self.theta, "a value in [0.5, 1]")


@dataclass
class ThermalResult:
    """Temperature field and what produced it.

    Attributes
    ----------
    temperature
        Nodal temperature at ``nodes``, degC, shape (n,) (final step if transient).
    nodes
        Node coordinates, shape (n, 3), m.
    times, history
        Transient only: times (s,) and temperatures (s, n).
    solver_info
        Backend, method, iterations, residual and seconds per stage.
    """

    mesh: Any
    space: Any
    temperature: NDArray[np.float64]
    power: float
    heat_out: dict[str, float]
    solver_info: dict[str, Any]
    times: NDArray[np.float64] | None = None
    history: NDArray[np.float64] | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def nodes(self) -> NDArray[np.float64]:
        return self.space.nodes

    def probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Temperature [degC] at points (n, 3) anywhere in the body, surface included; (n,)."""
        loc = locate(self.mesh, points)
        V = loc.values(self.space.basis.elem)
        return np.einsum("in,ni->n", V, self.temperature[self.space.dofs[loc.elements]])

    def region_max(self, region: str) -> float:
        """Largest nodal temperature in a region [degC]."""
        idx = np.unique(self.space.dofs[self.mesh.regions[region]])
        return float(self.temperature[idx].max())

    def heat_balance(self) -> float:
        """Relative imbalance ``|P_in - P_out| / P_in`` (steady state)."""
        out = sum(self.heat_out.values())
        return abs(self.power - out) / max(abs(self.power), 1e-300)


def _element_materials(mesh, materials: Mapping[str, Material]) -> list[tuple[str, Material]]:
    out = []
    for region in mesh.regions:
        m = materials.get(region, materials.get("*"))
        if m is None:
            raise InputError(
                f"materials.{region}",
                None,
                f"a Material for every region ({', '.join(mesh.regions)})",
            )
        out.append((region, m))
    return out


def _conductivity(mesh, mats, fs, T: NDArray[np.float64] | None) -> NDArray[np.float64]:
    aniso = any(m.anisotropic for _, m in mats)
    k = np.zeros((mesh.n_elements, 3)) if aniso else np.zeros(mesh.n_elements)
    for region, m in mats:
        e = mesh.regions[region]
        Te = T[fs.dofs[e]].mean(axis=1) if T is not None else np.full(len(e), 25.0)
        ke = m.conductivity(Te)
        if aniso and ke.ndim == 1:
            ke = np.repeat(ke[:, None], 3, axis=1)
        k[e] = ke
    return k


def _boundary(mesh, name: str, what: str) -> NDArray[np.int64]:
    if name not in mesh.boundaries:
        raise InputError(
            f"{what}.{name}", name, f"a boundary of the mesh: {', '.join(sorted(mesh.boundaries))}"
        )
    return mesh.boundaries[name]


def solve_thermal(
    mesh: Any,
    materials: Mapping[str, Material],
    sources: Mapping[str, float] | None = None,
    flux: Mapping[str, float] | None = None,
    convection: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, FixedValue] | None = None,
    transient: Transient | None = None,
    backend: str = "auto",
    *,
    method: str = "auto",
    rtol: float = 1e-10,
    picard_tol: float = 1e-6,
    max_picard: int = 50,
) -> ThermalResult:
    """Solve heat conduction on ``mesh``.

    Parameters
    ----------
    materials
        Region name -> :class:`~fea.materials.Material` (``"*"`` for the rest).
    sources
        Region -> total power [W], spread uniformly over the region's volume.
    flux
        Boundary -> heat flux into the body [W/m^2].
    convection
        Boundary -> (h [W/(m^2 K)], T_inf [degC]).
    fixed
        Boundary -> temperature [degC], or a function of time t [s] for transients.
    transient
        :class:`Transient`, or None for steady state.
    backend
        ``auto``, ``cpu`` or ``gpu`` (see :func:`fea.solvers.solve`).
    """
    t_start = time.perf_counter()
    sources, flux, convection, fixed = (dict(x or {}) for x in (sources, flux, convection, fixed))
    fs = asm.space(mesh)
    mats = _element_materials(mesh, materials)
    vol = mesh.element_volumes()
    q = np.zeros(mesh.n_elements)
    for region, P in sources.items():
        if region not in mesh.regions:
            raise InputError(f"sources.{region}", P, f"a region: {', '.join(mesh.regions)}")
        e = mesh.regions[region]
        q[e] += P / vol[e].sum()
    f = asm.source_vector(fs, q) if sources else np.zeros(fs.n)
    for name, g in flux.items():
        f += asm.facet_load(fs, _boundary(mesh, name, "flux"), g)
    H = sp.csr_matrix((fs.n, fs.n))
    for name, (h, Tinf) in convection.items():
        facets = _boundary(mesh, name, "convection")
        H = H + asm.facet_mass(fs, facets, h)
        f += asm.facet_load(fs, facets, h * Tinf)
    fixed_dofs: dict[str, NDArray[np.int64]] = {}
    for name in fixed:
        fixed_dofs[name] = fs.basis.get_dofs(_boundary(mesh, name, "fixed")).all()
    D = np.unique(np.concatenate(list(fixed_dofs.values()))) if fixed_dofs else np.zeros(0, int)
    free = np.setdiff1d(np.arange(fs.n), D)
    if len(D) == 0 and not convection and transient is None:
        raise InputError(
            "convection/fixed",
            None,
            "at least one convective or fixed boundary "
            "(otherwise the steady temperature is undetermined)",
        )
    power = float(sum(sources.values()) + sum(g * mesh.boundary_area(n) for n, g in flux.items()))
    info: dict[str, Any] = {"stages": {}}
    t_asm = time.perf_counter() - t_start

    def dirichlet(t: float) -> NDArray[np.float64]:
        T_D = np.zeros(fs.n)
        for name, v in fixed.items():
            T_D[fixed_dofs[name]] = v(t) if callable(v) else float(v)
        return T_D

    def steady_solve(A: sp.csr_matrix, rhs: NDArray, T_D: NDArray) -> NDArray:
        b = rhs - A @ T_D
        x, si = solve(
            A[free][:, free], b[free], kind="scalar", backend=backend, method=method, rtol=rtol
        )
        T = T_D.copy()
        T[free] = x
        info["last_solve"] = si
        return T

    picard = any(m.temperature_dependent_k for _, m in mats)
    if transient is None:
        T = None
        for it in range(max_picard if picard else 1):  # noqa: B007 (count used below)
            K = asm.conduction_matrix(fs, _conductivity(mesh, mats, fs, T)) + H
            T_new = steady_solve(K.tocsr(), f, dirichlet(0.0))
            change = np.inf if T is None else np.abs(T_new - T).max()
            T = T_new
            if change <= picard_tol * max(1.0, np.abs(T).max()):
                break
        else:
            if picard:
                raise SolverError(
                    f"Picard iteration for k(T) did not converge in {max_picard} "
                    f"iterations (last change {change:.3g} K)"
                )
        info["picard_iterations"] = it + 1
        times = history = None
    else:
        c = np.zeros(mesh.n_elements)
        for region, m in mats:
            c[mesh.regions[region]] = m.rho * m.cp
        M = asm.mass_matrix(fs, c)
        T = np.full(fs.n, float(transient.initial))
        T[D] = dirichlet(0.0)[D]
        th = transient.theta
        nsteps = int(np.ceil(transient.t_end / transient.dt - 1e-9))
        dt = transient.t_end / nsteps
        times, hist = [0.0], [T.copy()]
        K = None
        for step in range(1, nsteps + 1):
            if K is None or picard:
                K = (asm.conduction_matrix(fs, _conductivity(mesh, mats, fs, T)) + H).tocsr()
                A = (M / dt + th * K).tocsr()
            t = step * dt
            rhs = (M / dt - (1 - th) * K) @ T + f
            T = steady_solve(A, rhs, dirichlet(t))
            times.append(t)
            hist.append(T.copy())
        times, history = np.array(times), np.array(hist)
        info["steps"] = nsteps
    # heat leaving: convection h (T - T_inf) and the reactions at fixed nodes
    heat_out: dict[str, float] = {}
    for name, (h, Tinf) in convection.items():
        facets = mesh.boundaries[name]
        heat_out[f"convection:{name}"] = float(
            asm.facet_load(fs, facets, h) @ T - h * Tinf * mesh.boundary_area(name)
        )
    if len(D):
        K_final = (asm.conduction_matrix(fs, _conductivity(mesh, mats, fs, T)) + H).tocsr()
        reaction = K_final @ T - f
        for name, dofs in fixed_dofs.items():
            heat_out[f"fixed:{name}"] = float(reaction[dofs].sum())
    si = info.pop("last_solve")
    info.update(
        backend=si.backend,
        method=si.method,
        device=si.device,
        reason=si.reason,
        iterations=si.iterations,
        residual=si.residual,
    )
    info["stages"] = {
        "assembly_s": t_asm,
        "solve_s": si.seconds,
        "total_s": time.perf_counter() - t_start,
    }
    return ThermalResult(mesh, fs, T, power, heat_out, info, times, history)
