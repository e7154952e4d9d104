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
from .solvers import prepare, solve

__all__ = ["ThermalResult", "Transient", "solve_thermal"]

FixedValue = float | Callable[[float], float]


@dataclass(frozen=True)
class Transient:
    """Time stepping by the theta method.

    Parameters
    ----------
    t_end, dt
        End time and (initial, if adaptive) step [s].
    initial
        Initial temperature [degC]: a float, nodal values (n,) at the space's nodes (e.g.
        a previous ``ThermalResult.temperature``), or ``f(x, y, z)`` with x, y, z (n,) in m.
    theta
        1 = backward Euler, 0.5 = Crank-Nicolson.
    adaptive
        Adapt the step by step doubling: each step is also taken as two half steps, the
        difference estimates the local error, and the step grows or shrinks (within a
        factor 0.25-2, on a grid of ratio sqrt 2 so factorizations are reused) to keep it
        below ``tol``.
    tol
        Adaptive only: largest local error per step [K] (max norm over nodes).
    dt_min, dt_max
        Adaptive only: bounds of the step [s] (default t_end * 1e-9 and t_end / 4).
    """

    t_end: float
    dt: float
    initial: float | ArrayLike | Callable[..., ArrayLike] = 25.0
    theta: float = 1.0
    adaptive: bool = False
    tol: float = 0.05
    dt_min: float | None = None
    dt_max: float | None = None

    def __post_init__(self) -> None:
        if not (self.t_end > 0 and 0 < self.dt <= self.t_end):
            raise InputError("transient", (self.t_end, self.dt), "0 < dt <= t_end")
        if not 0.5 <= self.theta <= 1.0:
            raise InputError("transient.theta", self.theta, "a value in [0.5, 1]")
        if not self.tol > 0:
            raise InputError("transient.tol", self.tol, "a positive temperature error [K]")
        lo, hi = self.bounds()
        if not 0 < lo <= hi:
            raise InputError("transient.dt_min", (self.dt_min, self.dt_max), "0 < dt_min <= dt_max")

    def bounds(self) -> tuple[float, float]:
        """(dt_min, dt_max) [s] of the adaptive step."""
        lo = self.dt_min if self.dt_min is not None else self.t_end * 1e-9
        hi = self.dt_max if self.dt_max is not None else self.t_end / 4
        return lo, max(hi, min(self.dt, self.t_end))


def _initial_temperature(fs: Any, initial: Any) -> NDArray[np.float64]:
    if callable(initial):
        x = fs.nodes
        T = np.asarray(initial(x[:, 0], x[:, 1], x[:, 2]), dtype=np.float64)
        return np.broadcast_to(T, (fs.n,)).copy()
    T = np.asarray(initial, dtype=np.float64)
    if T.ndim == 0:
        return np.full(fs.n, float(T))
    if T.shape != (fs.n,):
        raise InputError("transient.initial", T.shape, f"a float, shape ({fs.n},) or f(x, y, z)")
    return T.copy()


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
        T = _initial_temperature(fs, transient.initial)
        T[D] = dirichlet(0.0)[D]
        th = transient.theta
        K_lin = (
            None
            if picard
            else (asm.conduction_matrix(fs, _conductivity(mesh, mats, fs, None)) + H).tocsr()
        )
        cache: dict[float, Any] = {}  # dt -> (A, prepared solver on the free nodes)

        def system(dt: float, T_now: NDArray) -> tuple[sp.csr_matrix, sp.csr_matrix, Any]:
            if not picard and dt in cache:
                return cache[dt]
            K = (
                K_lin
                if not picard
                else (asm.conduction_matrix(fs, _conductivity(mesh, mats, fs, T_now)) + H).tocsr()
            )
            A = (M / dt + th * K).tocsr()
            solver = prepare(
                A[free][:, free], kind="scalar", backend=backend, method=method, rtol=rtol
            )
            if picard:
                return K, A, solver
            if len(cache) >= 6:  # keep a few step sizes' factorizations
                cache.pop(next(iter(cache)))[2].close()
            cache[dt] = (K, A, solver)
            return cache[dt]

        def step(T_now: NDArray, t: float, dt: float) -> NDArray:
            K, A, solver = system(dt, T_now)
            rhs = (M / dt - (1 - th) * K) @ T_now + f
            T_D = dirichlet(t + dt)
            x, si = solver.solve((rhs - A @ T_D)[free])
            info["last_solve"] = si
            T_new = T_D.copy()
            T_new[free] = x
            return T_new

        times, hist = [0.0], [T.copy()]
        if not transient.adaptive:
            nsteps = int(np.ceil(transient.t_end / transient.dt - 1e-9))
            dt = transient.t_end / nsteps
            for k in range(1, nsteps + 1):
                T = step(T, (k - 1) * dt, dt)
                times.append(k * dt)
                hist.append(T.copy())
            info["steps"] = nsteps
        else:
            dt_lo, dt_hi = transient.bounds()
            order = 2 if th == 0.5 else 1
            grid = np.sqrt(2.0)
            dt0 = transient.dt

            def snap(x: float) -> float:  # steps on a grid of ratio sqrt(2) around dt0
                return float(dt0 * grid ** np.round(np.log(x / dt0) / np.log(grid)))

            t, dt, rejected, worst = 0.0, dt0, 0, 0.0
            while t < transient.t_end * (1 - 1e-12):
                h = min(dt, transient.t_end - t)
                full = step(T, t, h)
                half = step(step(T, t, h / 2), t + h / 2, h / 2)
                err = float(np.abs(half - full).max()) / (2**order - 1)
                if err > transient.tol and h <= dt_lo * (1 + 1e-9):
                    raise SolverError(
                        f"adaptive time stepping: local error {err:.3g} K > tol "
                        f"{transient.tol:g} K at the smallest step {dt_lo:.3g} s (t = {t:.6g} s); "
                        "an initial temperature incompatible with the fixed temperatures "
                        "(a jump at t = 0) needs a fixed first step or a larger tol"
                    )
                if err <= transient.tol:
                    t += h
                    T = half
                    times.append(t)
                    hist.append(T.copy())
                    worst = max(worst, err)
                else:
                    rejected += 1
                factor = 0.9 * (transient.tol / max(err, 1e-300)) ** (1.0 / (order + 1))
                if err > transient.tol:  # a rejected step always goes down the grid
                    factor = min(factor, 1.0 / grid)
                dt = min(max(snap(h * min(2.0, max(0.25, factor))), dt_lo), dt_hi)
            info.update(
                steps=len(times) - 1,
                rejected=rejected,
                max_local_error=worst,
                dt_range=[float(np.min(np.diff(times))), float(np.max(np.diff(times)))],
            )
        for _, _, solver in cache.values():
            solver.close()
        times, history = np.array(times), np.array(hist)
    # heat leaving: convection h (T - T_inf) and the reactions at fixed nodes
    # (K T - f at a fixed node is the heat the boundary supplies: leaving is its negative)
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
            heat_out[f"fixed:{name}"] = -float(reaction[dofs].sum())
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
