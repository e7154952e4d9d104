"""Steady and transient heat conduction.

.. math:: \\rho c_p \\dot T - \\nabla\\cdot(k \\nabla T) = q \\quad\\text{in } \\Omega,\\qquad
          -k \\partial_n T = h (T - T_\\infty) - q_n \\text{ on convective/flux faces}

Temperatures in degC, powers in W, lengths in m. ``k(T)`` tables are handled by
Picard iteration (element conductivity from the element's mean temperature). The
problem is set up once (:class:`ThermalProblem`: loads, Robin terms, Dirichlet nodes);
the steady solve and the theta-method time stepping (:mod:`fea.fe.timestep`) share it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, SolverError
from ..fe import forms
from ..fe.probes import interpolate
from ..fe.spaces import FieldSpace, space
from ..fe.timestep import Transient, integrate
from ..solvers import prepare, solve
from .materials import Material, assign

__all__ = ["ThermalProblem", "ThermalResult", "Transient", "solve_thermal"]

FixedValue = float | Callable[[float], float]


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
        """Node coordinates, shape (n, 3), m."""
        return self.space.nodes

    def probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Temperature [degC] at points (n, 3) anywhere in the body, surface included; (n,)."""
        return interpolate(self.space, self.temperature, points)

    def region_max(self, region: str) -> float:
        """Largest nodal temperature in a region [degC]."""
        if region not in self.mesh.regions:
            raise InputError("region", region, f"one of {', '.join(self.mesh.regions)}")
        idx = np.unique(self.space.dofs[self.mesh.regions[region]])
        return float(self.temperature[idx].max())

    def heat_balance(self) -> float:
        """Relative imbalance ``|P_in - P_out| / P_in`` (steady state)."""
        out = sum(self.heat_out.values())
        return abs(self.power - out) / max(abs(self.power), 1e-300)

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """Fields to store: name -> (values, ``"Node"``), ``temperature`` as (n,) or,
        for a transient, (steps, n)."""
        T = self.history if self.history is not None else self.temperature
        return {"temperature": (np.asarray(T, np.float64), "Node")}


def _number(key: str, v: object, *, lo: float = -math.inf) -> float:
    """A finite real number >= lo, or an InputError naming ``key``."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise InputError(key, v, "a real number")
    if not math.isfinite(float(v)) or float(v) < lo:
        allowed = "a finite number" if lo == -math.inf else f"a finite number >= {lo:g}"
        raise InputError(key, v, allowed)
    return float(v)


def _mapping(key: str, v: object) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise InputError(key, type(v).__name__, "a dict name -> value")
    return dict(v)


def _boundary(mesh: Any, name: str, what: str) -> NDArray[np.int64]:
    if name not in mesh.boundaries:
        raise InputError(
            f"{what}.{name}", name, f"a boundary of the mesh: {', '.join(sorted(mesh.boundaries))}"
        )
    return mesh.boundaries[name]


@dataclass
class ThermalProblem:
    """A conduction problem set up on a mesh: everything but the conductivity matrix.

    Attributes
    ----------
    load
        Source, flux and ``h T_inf`` loads, shape (n,), W.
    robin
        Convection matrix ``int h phi_i phi_j``, (n, n) CSR, W/K.
    fixed_nodes
        Boundary name -> its nodes; ``dirichlet``: all of them; ``free``: the rest.
    power
        Heat put in by sources and fluxes [W].
    """

    mesh: Any
    space: FieldSpace
    materials: dict[str, Material]
    load: NDArray[np.float64]
    robin: sp.csr_matrix
    convection: dict[str, tuple[float, float]]
    fixed: dict[str, FixedValue]
    fixed_nodes: dict[str, NDArray[np.int64]]
    dirichlet: NDArray[np.int64]
    free: NDArray[np.int64]
    power: float

    @property
    def k_depends_on_T(self) -> bool:
        """True when a conductivity depends on temperature (Picard iteration)."""
        return any(m.temperature_dependent_k for m in self.materials.values())

    def conductivity(self, T: NDArray[np.float64] | None) -> NDArray[np.float64]:
        """Conductivity per element at its mean nodal temperature (25 degC without ``T``):
        (n_el,) or, when any material is orthotropic, (n_el, 3); W/(m K)."""
        mesh, fs = self.mesh, self.space
        aniso = any(m.anisotropic for m in self.materials.values())
        k = np.zeros((mesh.n_elements, 3)) if aniso else np.zeros(mesh.n_elements)
        for region, m in self.materials.items():
            e = mesh.regions[region]
            Te = T[fs.dofs[e]].mean(axis=1) if T is not None else np.full(len(e), 25.0)
            ke = m.conductivity(Te)
            if aniso and ke.ndim == 1:
                ke = np.repeat(ke[:, None], 3, axis=1)
            k[e] = ke
        return k

    def stiffness(self, T: NDArray[np.float64] | None) -> sp.csr_matrix:
        """Conduction plus convection matrix at temperature ``T``, (n, n) CSR, W/K."""
        return (forms.conduction_matrix(self.space, self.conductivity(T)) + self.robin).tocsr()

    def capacity(self) -> sp.csr_matrix:
        """Heat capacity matrix ``int rho cp phi_i phi_j`` [J/K]."""
        c = np.zeros(self.mesh.n_elements)
        for region, m in self.materials.items():
            c[self.mesh.regions[region]] = m.rho * m.cp
        return forms.mass_matrix(self.space, c)

    def dirichlet_values(self, t: float) -> NDArray[np.float64]:
        """Nodal vector holding the fixed temperatures at time ``t`` (zero elsewhere)."""
        T_D = np.zeros(self.space.n)
        for name, v in self.fixed.items():
            value = v(t) if callable(v) else float(v)
            T_D[self.fixed_nodes[name]] = _number(f"fixed.{name}", value, lo=-273.15)
        return T_D

    def heat_out(self, T: NDArray[np.float64]) -> dict[str, float]:
        """Heat leaving [W] through each convective boundary and each fixed boundary.

        At a fixed node ``K T - f`` is the heat the boundary supplies: leaving is its
        negative.
        """
        mesh, fs = self.mesh, self.space
        out: dict[str, float] = {}
        for name, (h, Tinf) in self.convection.items():
            facets = mesh.boundaries[name]
            out[f"convection:{name}"] = float(
                forms.facet_load(fs, facets, h) @ T - h * Tinf * mesh.boundary_area(name)
            )
        if len(self.dirichlet):
            reaction = self.stiffness(T) @ T - self.load
            for name, nodes in self.fixed_nodes.items():
                out[f"fixed:{name}"] = -float(reaction[nodes].sum())
        return out


def thermal_problem(
    mesh: Any,
    materials: Mapping[str, Material],
    sources: Mapping[str, float] | None = None,
    flux: Mapping[str, float] | None = None,
    convection: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, FixedValue] | None = None,
) -> ThermalProblem:
    """Check the inputs of :func:`solve_thermal` and set up the problem (loads, Robin
    terms, Dirichlet nodes). Arguments as :func:`solve_thermal`."""
    sources = _mapping("sources", sources)
    flux = _mapping("flux", flux)
    convection = _mapping("convection", convection)
    fixed = _mapping("fixed", fixed)
    fs = space(mesh)
    mats = assign(mesh.regions, materials)
    vol = mesh.element_volumes()
    q = np.zeros(mesh.n_elements)
    for region, P in sources.items():
        P = _number(f"sources.{region}", P)
        if region not in mesh.regions:
            raise InputError(f"sources.{region}", P, f"a region: {', '.join(mesh.regions)}")
        e = mesh.regions[region]
        with np.errstate(over="ignore"):
            q[e] += P / vol[e].sum()
        if not np.all(np.isfinite(q[e])):
            raise InputError(f"sources.{region}", P, "a power whose density P / V is finite")
    f = forms.source_vector(fs, q) if sources else np.zeros(fs.n)
    power = float(sum(float(P) for P in sources.values()))
    for name, g in flux.items():
        g = _number(f"flux.{name}", g)
        f += forms.facet_load(fs, _boundary(mesh, name, "flux"), g)
        power += g * mesh.boundary_area(name)
    H = sp.csr_matrix((fs.n, fs.n))
    conv: dict[str, tuple[float, float]] = {}
    for name, pair in convection.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InputError(f"convection.{name}", pair, "a pair (h [W/(m^2 K)], T_inf [degC])")
        h = _number(f"convection.{name}.h", pair[0], lo=0.0)
        Tinf = _number(f"convection.{name}.T_inf", pair[1], lo=-273.15)
        facets = _boundary(mesh, name, "convection")
        H = H + forms.facet_mass(fs, facets, h)
        f += forms.facet_load(fs, facets, h * Tinf)
        conv[name] = (h, Tinf)
    fixed_nodes: dict[str, NDArray[np.int64]] = {}
    for name, v in fixed.items():
        if not callable(v):
            fixed[name] = _number(f"fixed.{name}", v, lo=-273.15)
        fixed_nodes[name] = fs.boundary_nodes(_boundary(mesh, name, "fixed"))
    D = np.unique(np.concatenate(list(fixed_nodes.values()))) if fixed_nodes else np.zeros(0, int)
    free = np.setdiff1d(np.arange(fs.n), D)
    return ThermalProblem(mesh, fs, mats, f, H.tocsr(), conv, fixed, fixed_nodes, D, free, power)


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
        Region name -> :class:`~fea.physics.materials.Material` (``"*"`` for the rest).
    sources
        Region -> total power [W], spread uniformly over the region's volume.
    flux
        Boundary -> heat flux into the body [W/m^2].
    convection
        Boundary -> (h [W/(m^2 K)], T_inf [degC]).
    fixed
        Boundary -> temperature [degC], or a function of time t [s] for transients.
    transient
        :class:`~fea.fe.timestep.Transient`, or None for steady state.
    backend
        ``auto``, ``cpu`` or ``gpu`` (see :func:`fea.solvers.solve`).
    rtol
        Relative residual of iterative solves, in (0, 1e-2].
    """
    t_start = time.perf_counter()
    if not (isinstance(rtol, int | float) and 0 < rtol <= 1e-2):
        raise InputError("rtol", rtol, "a relative tolerance in (0, 1e-2]")
    if transient is not None and not isinstance(transient, Transient):
        raise InputError("transient", type(transient).__name__, "a fea.Transient or None")
    pb = thermal_problem(mesh, materials, sources, flux, convection, fixed)
    if len(pb.dirichlet) == 0 and not pb.convection and transient is None:
        raise InputError(
            "convection/fixed",
            None,
            "at least one convective or fixed boundary "
            "(otherwise the steady temperature is undetermined)",
        )
    kw = {"kind": "scalar", "backend": backend, "method": method, "rtol": rtol}
    info: dict[str, Any] = {}
    t_setup = time.perf_counter() - t_start
    if transient is None:
        T, last = _steady(pb, kw, picard_tol, max_picard, info)
        times = history = None
    else:
        T, times, history, last = _transient(pb, transient, kw, info)
    heat_out = pb.heat_out(T)
    info.update(
        backend=last.backend,
        method=last.method,
        device=last.device,
        reason=last.reason,
        iterations=last.iterations,
        residual=last.residual,
    )
    info["stages"] = {
        "assembly_s": t_setup,
        "solve_s": last.seconds,
        "total_s": time.perf_counter() - t_start,
    }
    return ThermalResult(mesh, pb.space, T, pb.power, heat_out, info, times, history)


def _steady(
    pb: ThermalProblem, kw: dict[str, Any], picard_tol: float, max_picard: int, info: dict
) -> tuple[NDArray[np.float64], Any]:
    """Steady state, by Picard iteration when k depends on T; returns (T, last SolveInfo)."""
    free = pb.free
    T_D = pb.dirichlet_values(0.0)
    T: NDArray[np.float64] | None = None
    picard = pb.k_depends_on_T
    change = np.inf
    for it in range(max_picard if picard else 1):  # noqa: B007 (count used below)
        A = pb.stiffness(T)
        b = pb.load - A @ T_D
        x, last = solve(A[free][:, free], b[free], **kw)
        T_new = T_D.copy()
        T_new[free] = x
        change = np.inf if T is None else float(np.abs(T_new - T).max())
        T = T_new
        if change <= picard_tol * max(1.0, float(np.abs(T).max())):
            break
    else:
        if picard:
            raise SolverError(
                f"Picard iteration for k(T) did not converge in {max_picard} "
                f"iterations (last change {change:.3g} K)"
            )
    info["picard_iterations"] = it + 1
    if not np.all(np.isfinite(T)):
        raise SolverError("the temperature field is not finite (check loads and h)")
    return T, last


def _initial_temperature(fs: FieldSpace, initial: Any) -> NDArray[np.float64]:
    allowed = f"a float [degC], real nodal values ({fs.n},) or f(x, y, z)"
    if callable(initial):
        x = fs.nodes
        T = np.asarray(initial(x[:, 0], x[:, 1], x[:, 2]))
    else:
        T = np.asarray(initial)
    if T.dtype.kind not in "fiu" or T.shape not in ((), (fs.n,)):
        raise InputError("transient.initial", f"{T.dtype} of shape {T.shape}", allowed)
    T = np.broadcast_to(T.astype(np.float64), (fs.n,)).copy()
    if not np.all(np.isfinite(T)) or T.min() < -273.15:
        raise InputError(
            "transient.initial", "non-finite or below -273.15", "finite degC >= -273.15"
        )
    return T


def _transient(
    pb: ThermalProblem, transient: Transient, kw: dict[str, Any], info: dict
) -> tuple[NDArray[np.float64], NDArray, NDArray, Any]:
    """Theta-method time stepping; one prepared solver per step size (a few kept) when k
    is constant, a new one per step when k(T). Returns (T_end, times, history, last)."""
    fs, free, D = pb.space, pb.free, pb.dirichlet
    M = pb.capacity()
    T0 = _initial_temperature(fs, transient.initial)
    T0[D] = pb.dirichlet_values(0.0)[D]
    th = transient.theta
    picard = pb.k_depends_on_T
    K_lin = None if picard else pb.stiffness(None)
    cache: dict[float, Any] = {}  # dt -> (K, A, prepared solver on the free nodes)
    last: list[Any] = []

    def system(dt: float, T_now: NDArray) -> tuple[sp.csr_matrix, sp.csr_matrix, Any]:
        if not picard and dt in cache:
            return cache[dt]
        K = K_lin if K_lin is not None else pb.stiffness(T_now)
        A = (M / dt + th * K).tocsr()
        solver = prepare(A[free][:, free], **kw)
        if picard:
            return K, A, solver
        if len(cache) >= 6:  # keep a few step sizes' factorizations
            cache.pop(next(iter(cache)))[2].close()
        cache[dt] = (K, A, solver)
        return cache[dt]

    def step(T_now: NDArray, t: float, dt: float) -> NDArray:
        K, A, solver = system(dt, T_now)
        rhs = (M / dt - (1 - th) * K) @ T_now + pb.load
        T_D = pb.dirichlet_values(t + dt)
        x, si = solver.solve((rhs - A @ T_D)[free])
        if picard:
            solver.close()
        last[:] = [si]
        T_new = T_D.copy()
        T_new[free] = x
        return T_new

    try:
        run = integrate(step, T0, transient)
    finally:
        for _, _, solver in cache.values():
            solver.close()
    info.update(run.info)
    return run.history[-1].copy(), run.times, run.history, last[0]
