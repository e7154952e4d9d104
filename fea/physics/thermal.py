"""Steady and transient heat conduction.

.. math:: \\rho c_p \\dot T - \\nabla\\cdot(k \\nabla T) = q \\quad\\text{in } \\Omega,\\qquad
          -k \\partial_n T = h (T - T_\\infty) - q_n \\text{ on convective/flux faces}

Temperatures in degC, powers in W, lengths in m. ``k(T)`` tables are handled by
Picard iteration (element conductivity from the element's mean temperature), or held
at a given temperature field (``k_at``: a linear problem). The problem is set up once
(:class:`ThermalProblem`: loads, Robin terms, Dirichlet nodes); the steady solve, the
theta-method time stepping (:mod:`fea.fe.timestep`) and the reduced model of a linear
transient (:mod:`fea.fe.reduced`) share it. A transient may report its fields at a few
times and quantities of the field (``watch``: the junction temperature, probes) at
many.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, SolverError
from ..fe import forms
from ..fe.probes import interpolate
from ..fe.reduced import reduce_systems, shifts_for
from ..fe.spaces import FieldSpace, space
from ..fe.timestep import Profile, Transient, integrate
from ..solvers import prepare, solve
from .materials import Material, assign

__all__ = [
    "Series",
    "ThermalProblem",
    "ThermalResult",
    "Transient",
    "solve_thermal",
    "solve_thermal_variants",
]

FixedValue = float | Callable[[float], float]
FluxValue = float | ArrayLike
Watch = Mapping[str, Callable[[NDArray[np.float64]], ArrayLike]]


@dataclass
class Series:
    """Quantities of a transient's field at its output times.

    Attributes
    ----------
    times
        t = 0 and the output times [s], shape (s,).
    values
        Name -> values at those times, shape (s,) or (s, k) (what each ``watch``
        function returned).
    """

    times: NDArray[np.float64]
    values: dict[str, NDArray[np.float64]]

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        return self.values[name]


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
        Transient only: times (s,) and temperatures (s, n) of the kept fields.
    series
        Transient only: the ``watch`` quantities at t = 0 and every output time.
    curves
        Curves a caller attaches for the results file (name -> column -> 1-D values,
        e.g. a heating curve and its structure function); stored under
        ``/thermal/curves``.
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
    series: Series | None = None
    curves: dict[str, dict[str, NDArray[np.float64]]] = field(default_factory=dict)

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
    heat
        The part of ``load`` from sources and fluxes, shape (n,), W (what a transient's
        power factor scales).
    k_at
        Temperature field [degC] (n,) at which k(T) is evaluated and held, or None.
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
    heat: NDArray[np.float64] | None = None
    k_at: NDArray[np.float64] | None = None

    @property
    def k_depends_on_T(self) -> bool:
        """True when a conductivity follows the temperature (Picard iteration)."""
        if self.k_at is not None:
            return False
        return any(m.temperature_dependent_k for m in self.materials.values())

    def conductivity(self, T: NDArray[np.float64] | None) -> NDArray[np.float64]:
        """Conductivity per element at its mean nodal temperature (25 degC without ``T``;
        always at ``k_at`` when set): (n_el,) or, when any material is orthotropic,
        (n_el, 3); W/(m K)."""
        mesh, fs = self.mesh, self.space
        if self.k_at is not None:
            T = self.k_at
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


def _flux(mesh: Any, name: str, g: object) -> float | NDArray[np.float64]:
    """A flux [W/m^2]: one number, or one finite value per facet of the boundary."""
    facets = _boundary(mesh, name, "flux")
    if isinstance(g, np.ndarray | list | tuple):
        a = np.asarray(g, dtype=float)
        if a.shape != (len(facets),) or not np.all(np.isfinite(a)):
            raise InputError(
                f"flux.{name}", f"shape {a.shape}", f"a number or {len(facets)} finite values"
            )
        return a
    return _number(f"flux.{name}", g)


def _temperature_field(key: str, T: object, n: int) -> NDArray[np.float64]:
    a = np.asarray(T, dtype=float)
    if a.shape not in ((), (n,)) or not np.all(np.isfinite(a)) or np.any(a < -273.15):
        raise InputError(key, f"shape {a.shape}", f"a temperature or ({n},) values >= -273.15")
    return np.broadcast_to(a, (n,)).copy()


def thermal_problem(
    mesh: Any,
    materials: Mapping[str, Material],
    sources: Mapping[str, float] | None = None,
    flux: Mapping[str, FluxValue] | None = None,
    convection: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, FixedValue] | None = None,
    k_at: float | ArrayLike | None = None,
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
        q[e] += P / vol[e].sum()
    f = forms.source_vector(fs, q) if sources else np.zeros(fs.n)
    power = float(sum(float(P) for P in sources.values()))
    for name, g in flux.items():
        fg = forms.facet_load(fs, mesh.boundaries[name], _flux(mesh, name, g))
        f += fg
        power += float(fg.sum())  # sum_i phi_i = 1: the integral of the flux
    heat = f.copy()
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
    frozen = None if k_at is None else _temperature_field("k_at", k_at, fs.n)
    return ThermalProblem(
        mesh, fs, mats, f, H.tocsr(), conv, fixed, fixed_nodes, D, free, power, heat, frozen
    )


def solve_thermal(
    mesh: Any,
    materials: Mapping[str, Material],
    sources: Mapping[str, float] | None = None,
    flux: Mapping[str, FluxValue] | None = None,
    convection: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, FixedValue] | None = None,
    transient: Transient | None = None,
    backend: str = "auto",
    *,
    method: str = "auto",
    rtol: float = 1e-10,
    picard_tol: float = 1e-6,
    max_picard: int = 50,
    k_at: float | ArrayLike | None = None,
    watch: Watch | None = None,
) -> ThermalResult:
    """Solve heat conduction on ``mesh``.

    Parameters
    ----------
    materials
        Region name -> :class:`~fea.physics.materials.Material` (``"*"`` for the rest).
    sources
        Region -> total power [W], spread uniformly over the region's volume.
    flux
        Boundary -> heat flux into the body [W/m^2]: one value, or one per facet of the
        boundary, shape (n_f,) (e.g. a power map on a die face; interfaces ``a|b`` work).
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
    k_at
        Temperature [degC], one value or nodal (n,), at which temperature-dependent
        conductivities are evaluated and held: the problem becomes linear (one
        factorization per step size, or the reduced scheme). None: k follows T.
    watch
        Transient only: name -> function of the nodal temperature (n,) returning a
        number or an array, evaluated at t = 0 and every output time
        (``ThermalResult.series``); e.g. the junction temperature at a thousand times
        while only a few whole fields are kept (``Transient.fields``).
    """
    t_start = time.perf_counter()
    if not (isinstance(rtol, int | float) and 0 < rtol <= 1e-2):
        raise InputError("rtol", rtol, "a relative tolerance in (0, 1e-2]")
    if transient is not None and not isinstance(transient, Transient):
        raise InputError("transient", type(transient).__name__, "a fea.Transient or None")
    pb = thermal_problem(mesh, materials, sources, flux, convection, fixed, k_at)
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
        return _result(pb, T, last, info, None, t_start, t_setup)
    rec = _Recorder(transient, watch)
    if transient.scheme == "reduced":
        T, last = _reduced([pb], transient, kw, [info], [rec])[0]
    else:
        T, last = _transient(pb, transient, kw, info, rec)
    return _result(pb, T, last, info, rec, t_start, t_setup)


def _result(
    pb: ThermalProblem,
    T: NDArray[np.float64],
    last: Any,
    info: dict[str, Any],
    rec: _Recorder | None,
    t_start: float,
    t_setup: float,
) -> ThermalResult:
    times = history = series = None
    if rec is not None:
        times, history, series = rec.result()
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
    return ThermalResult(
        pb.mesh, pb.space, T, pb.power, pb.heat_out(T), info, times, history, series=series
    )


def solve_thermal_variants(
    mesh: Any,
    materials: Mapping[str, Material],
    variants: Sequence[Mapping[str, Any]],
    sources: Mapping[str, float] | None = None,
    flux: Mapping[str, FluxValue] | None = None,
    transient: Transient | None = None,
    backend: str = "auto",
    *,
    method: str = "auto",
    rtol: float = 1e-10,
    k_at: float | ArrayLike | None = None,
    watch: Watch | None = None,
) -> list[ThermalResult]:
    """One body, one heat input, several boundary conditions: a result per variant.

    Each variant is a mapping with ``convection`` and/or ``fixed`` (as in
    :func:`solve_thermal`); the fixed boundaries must be the same in all of them. With
    ``transient.scheme == "reduced"`` the variants share one reduced basis
    (:func:`fea.fe.reduced.reduce_systems`), so their responses agree wherever their
    physics does (e.g. the two case contacts of the JESD51-14 dual-interface method
    before the heat reaches the case) instead of only to ``transient.rtol``. Otherwise
    each variant is solved on its own. Other arguments as :func:`solve_thermal`.
    """
    if not isinstance(variants, Sequence) or not variants:
        raise InputError("variants", variants, "a list of {convection, fixed} mappings")
    for i, v in enumerate(variants):
        if not isinstance(v, Mapping) or set(v) - {"convection", "fixed"}:
            raise InputError(f"variants[{i}]", v, "a mapping with convection and/or fixed")
    common = dict(backend=backend, method=method, rtol=rtol, k_at=k_at, watch=watch)
    if transient is None or transient.scheme != "reduced":
        return [
            solve_thermal(mesh, materials, sources, flux, transient=transient, **v, **common)
            for v in variants
        ]
    t_start = time.perf_counter()
    if not (isinstance(rtol, int | float) and 0 < rtol <= 1e-2):
        raise InputError("rtol", rtol, "a relative tolerance in (0, 1e-2]")
    pbs = [
        thermal_problem(mesh, materials, sources, flux, v.get("convection"), v.get("fixed"), k_at)
        for v in variants
    ]
    for i, pb in enumerate(pbs[1:], 1):
        if not np.array_equal(pb.free, pbs[0].free):
            raise InputError(
                f"variants[{i}].fixed",
                variants[i].get("fixed"),
                "the same fixed boundaries in every variant",
            )
    kw = {"kind": "scalar", "backend": backend, "method": method, "rtol": rtol}
    t_setup = time.perf_counter() - t_start
    infos: list[dict[str, Any]] = [{} for _ in pbs]
    recs = [_Recorder(transient, watch) for _ in pbs]
    out = _reduced(pbs, transient, kw, infos, recs)
    return [
        _result(pb, T, last, info, rec, t_start, t_setup)
        for pb, (T, last), info, rec in zip(pbs, out, infos, recs, strict=True)
    ]


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


class _Recorder:
    """Collects a transient's reported states: the kept fields and the watched values."""

    def __init__(self, transient: Transient, watch: Watch | None) -> None:
        if watch is not None and not isinstance(watch, Mapping):
            raise InputError("watch", type(watch).__name__, "a dict name -> f(T)")
        for name, fn in (watch or {}).items():
            if not callable(fn):
                raise InputError(f"watch.{name}", fn, "a function of the nodal temperature")
        self.watch = dict(watch or {})
        outputs = transient.output_times()
        self.keep = None if outputs is None else transient.kept(len(outputs))
        self.fields_all = transient.fields is None
        self.times: list[float] = []
        self.values: dict[str, list] = {k: [] for k in self.watch}
        self.field_times: list[float] = []
        self.fields: list[NDArray] = []

    def __call__(self, t: float, T: NDArray[np.float64]) -> None:
        i = len(self.times)
        self.times.append(t)
        for name, fn in self.watch.items():
            self.values[name].append(np.asarray(fn(T), dtype=float))
        # t = 0 is report 0; output k is report k + 1
        keep = (
            i == 0
            or self.fields_all
            or (self.keep is not None and i - 1 < len(self.keep) and self.keep[i - 1])
        )
        if keep:
            self.field_times.append(t)
            self.fields.append(np.array(T, copy=True))

    def result(self) -> tuple[NDArray, NDArray, Series | None]:
        series = None
        if self.watch:
            values = {k: np.stack(v) for k, v in self.values.items()}
            series = Series(np.array(self.times), values)
        return np.array(self.field_times), np.array(self.fields), series


def _transient(
    pb: ThermalProblem, transient: Transient, kw: dict[str, Any], info: dict, record: _Recorder
) -> tuple[NDArray[np.float64], Any]:
    """Theta-method time stepping; one prepared solver per step size (a few kept) when k
    is constant, a new one per step when k(T). Returns (T_end, last SolveInfo)."""
    fs, free, D = pb.space, pb.free, pb.dirichlet
    M = pb.capacity()
    T0 = _initial_temperature(fs, transient.initial)
    T0[D] = pb.dirichlet_values(0.0)[D]
    th = transient.theta
    picard = pb.k_depends_on_T
    K_lin = None if picard else pb.stiffness(None)
    heat = pb.heat if pb.heat is not None else np.zeros(fs.n)
    base = pb.load - heat  # convection and other loads the power factor leaves alone
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
        load = base + transient.factor(t, t + dt) * heat
        rhs = (M / dt - (1 - th) * K) @ T_now + load
        T_D = pb.dirichlet_values(t + dt)
        x, si = solver.solve((rhs - A @ T_D)[free])
        if picard:
            solver.close()
        last[:] = [si]
        T_new = T_D.copy()
        T_new[free] = x
        return T_new

    try:
        run = integrate(step, T0, transient, record)
    finally:
        for _, _, solver in cache.values():
            solver.close()
    info.update(run.info)
    info["scheme"] = "steps"
    return run.final, last[0]


def _reduced(
    pbs: list[ThermalProblem],
    transient: Transient,
    kw: dict[str, Any],
    infos: list[dict],
    records: list[_Recorder],
) -> list[tuple[NDArray[np.float64], Any]]:
    """Linear transients of problems that differ only in K (their boundary conditions)
    by a rational Krylov reduced model on one basis (:mod:`fea.fe.reduced`): one
    factorization per shift and problem, exact in time. Returns (T_end, last SolveInfo)
    per problem."""
    for pb in pbs:
        if pb.k_depends_on_T:
            raise InputError(
                "transient.scheme",
                "reduced",
                "a linear problem: pass k_at (the temperature at which k(T) is held) "
                "or use scheme='steps'",
            )
        if any(callable(v) for v in pb.fixed.values()):
            raise InputError("transient.scheme", "reduced", "constant fixed temperatures")
        if len(pb.dirichlet) == 0 and not pb.convection:
            raise InputError("convection/fixed", None, "a heat sink for scheme='reduced'")
    outputs = transient.output_times()
    if outputs is None:
        raise InputError("transient.outputs", None, "output times for scheme='reduced'")
    pb0 = pbs[0]
    fs, free = pb0.space, pb0.free
    M = pb0.capacity()
    Mff = M[free][:, free].tocsr()
    heat = pb0.heat if pb0.heat is not None else np.zeros(fs.n)
    g = heat[free]
    last: list[Any] = []
    opened: dict[tuple[int, float], Any] = {}
    Kffs, T_Ds, T0s, T_refs, u0s = [], [], [], [], []
    try:
        for i, pb in enumerate(pbs):
            K = pb.stiffness(None)
            Kff = K[free][:, free].tocsr()
            T_D = pb.dirichlet_values(0.0)
            f_const = (pb.load - heat - K @ T_D)[free]
            T0 = _initial_temperature(fs, transient.initial)
            T0[pb.dirichlet] = T_D[pb.dirichlet]
            # the steady state with the power off: the reference the response is from
            opened[(i, 0.0)] = prepare(Kff, **kw)
            T_ref, si = opened[(i, 0.0)].solve(f_const)
            last[:] = [si]
            u0 = T0[free] - T_ref
            # a uniform start at the sink temperature leaves only the solver's rounding
            if float(np.abs(u0).max()) <= 1e-9 * max(1.0, float(np.abs(T0).max())):
                u0 = None
            Kffs.append(Kff)
            T_Ds.append(T_D)
            T0s.append(T0)
            T_refs.append(T_ref)
            u0s.append(u0)

        class _Shift:
            def __init__(self, i: int, s: float) -> None:
                self.p = opened.pop((i, s), None) or prepare((Kffs[i] + s * Mff).tocsr(), **kw)

            def solve(self, b: NDArray) -> NDArray:
                x, si = self.p.solve(b)
                last[:] = [si]
                return x

            def close(self) -> None:
                self.p.close()

        first = min(float(outputs[0]), transient.dt)
        monitor = np.geomspace(first, float(outputs[-1]), 60)
        models = reduce_systems(
            Kffs,
            Mff,
            [g],
            _Shift,
            shifts_for(first, float(outputs[-1])),
            monitor,
            initial=u0s,
            rtol=transient.rtol,
        )
    finally:
        for p in opened.values():
            p.close()
    profile = transient.power if isinstance(transient.power, Profile) else None
    out = []
    for model, T_D, T0, T_ref, record, info in zip(
        models, T_Ds, T0s, T_refs, records, infos, strict=True
    ):
        z = model.modal(outputs, profile)
        full = T0.copy()
        record(0.0, full)
        chunk = 32  # fields rebuilt a block of output times at a time (one BLAS-3 product)
        for i0 in range(0, len(outputs), chunk):
            block = T_ref[:, None] + model.shapes @ z[i0 : i0 + chunk].T
            for j in range(block.shape[1]):
                full = T_D.copy()
                full[free] = block[:, j]
                record(float(outputs[i0 + j]), full)
        if outputs[-1] < transient.t_end:
            full = T_D.copy()
            end = model.modal(np.array([transient.t_end]), profile)[0]
            full[free] = T_ref + model.shapes @ end
        info.update(model.info)
        info["scheme"] = "reduced"
        out.append((full, last[0]))
    return out
