"""Steady and transient heat conduction.

.. math:: \\rho c_p \\dot T - \\nabla\\cdot(k \\nabla T) = q \\quad\\text{in } \\Omega,\\qquad
          -k \\partial_n T = h (T - T_\\infty) - q_n \\text{ on convective/flux faces}

Temperatures in degC, powers in W, lengths in m. ``k(T)`` tables are handled by
Picard iteration (element conductivity from the element's mean temperature). The
problem is set up once (:class:`ThermalProblem`: loads, Robin terms, Dirichlet nodes);
the steady solve and the theta-method time stepping (:mod:`fea.fe.timestep`) share it.

Surface coefficients that depend on the surface temperature (natural convection,
radiation: :class:`fea.physics.convection.FilmCoefficient`, or any callable
:data:`SurfaceModel`) are re-evaluated per facet in the same steady iteration: each pass
evaluates ``h`` at every facet's mean temperature and linearises the surface flux
:math:`q = h(T_s)(T_s - T_\\infty)` about it (tangent, see :meth:`ThermalProblem.surface_terms`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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

__all__ = [
    "SurfaceFacets",
    "SurfaceModel",
    "ThermalProblem",
    "ThermalResult",
    "Transient",
    "solve_thermal",
]

FixedValue = float | Callable[[float], float]

#: Start of the surface iteration: surfaces this much above their T_inf [K].
SURFACE_START_K = 10.0


class SurfaceFacets(NamedTuple):
    """The facets of one boundary as a :data:`SurfaceModel` sees them (one row per facet).

    Attributes
    ----------
    normals
        Outward unit normals, shape (n_f, 3).
    centroids
        Facet centroids, shape (n_f, 3), m.
    areas
        Facet areas, shape (n_f,), m^2.
    regions
        Name of the region under each facet, shape (n_f,) (str).
    """

    normals: NDArray[np.float64]
    centroids: NDArray[np.float64]
    areas: NDArray[np.float64]
    regions: NDArray[np.str_]


#: ``h(T_surface_C (n_f,), T_inf_C, facets: SurfaceFacets) -> h [W/(m^2 K)] (n_f,)``: a
#: heat-transfer coefficient per facet from the facets' mean temperatures. A model whose
#: ``temperature_dependent`` attribute is False is evaluated once.
SurfaceModel = Callable[[NDArray[np.float64], float, SurfaceFacets], NDArray[np.float64]]


@dataclass
class Surface:
    """A boundary with a :data:`SurfaceModel`: its facets, operator and last coefficient."""

    model: SurfaceModel
    T_inf: float
    facets: SurfaceFacets
    operator: forms.FacetOperator
    h: NDArray[np.float64] | None = None

    def coefficient(self, Ts: NDArray[np.float64], name: str) -> NDArray[np.float64]:
        """h per facet at the facet temperatures ``Ts`` [W/(m^2 K)], checked."""
        h = np.asarray(self.model(Ts, self.T_inf, self.facets), dtype=np.float64)
        h = np.broadcast_to(h, Ts.shape)
        if not np.all(np.isfinite(h)) or np.any(h < 0):
            raise SolverError(
                f"the surface model of convection.{name} gave a negative or non-finite h "
                f"(surface temperatures {Ts.min():.4g} to {Ts.max():.4g} degC)"
            )
        return h


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
    surface_h
        Boundary -> h per facet [W/(m^2 K)] at the solution, for boundaries with a
        :data:`SurfaceModel` (shape (n_f,), in the order of ``mesh.boundaries[name]``);
        pass ``(th.surface_h[name], T_inf)`` as a constant coefficient to freeze it.
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
    surface_h: dict[str, NDArray[np.float64]] = field(default_factory=dict)

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
    surfaces
        Boundary -> :class:`Surface` for coefficients given as a :data:`SurfaceModel`.
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
    surfaces: dict[str, Surface] = field(default_factory=dict)

    @property
    def surfaces_depend_on_T(self) -> bool:
        """True when a surface coefficient depends on the surface temperature."""
        return any(getattr(s.model, "temperature_dependent", True) for s in self.surfaces.values())

    def surface_terms(
        self, T: NDArray[np.float64] | None, *, tangent: bool = True
    ) -> tuple[sp.csr_matrix, NDArray[np.float64]]:
        """Robin matrix (n, n) [W/K] and load (n,) [W] of the surface models about ``T``.

        Each facet's ``h`` is evaluated at its mean temperature :math:`\\bar T` (at
        :data:`SURFACE_START_K` above T_inf when ``T`` is None). With ``tangent`` the
        flux :math:`q(T) = h(T)(T - T_\\infty)` is linearised as
        :math:`q \\approx h(\\bar T_0)(T_0 - T_\\infty) + a (T - T_0)` with
        :math:`a = \\max(dq/dT, h)` by a central difference (Newton on the surface flux,
        quadratic convergence; the bound keeps the matrix positive and falls back to
        the secant), else :math:`a = h` (Picard). Both have the same fixed point,
        :math:`q = h(\\bar T)(T - T_\\infty)`.
        """
        H = sp.csr_matrix((self.space.n, self.space.n))
        f = np.zeros(self.space.n)
        for name, s in self.surfaces.items():
            op = s.operator
            if T is None:
                Ts = np.full(len(op.area), s.T_inf + SURFACE_START_K)
                T0 = None
            else:
                Ts = op.average(T)
                T0 = T
            h = s.coefficient(Ts, name)
            s.h = h
            a = h
            if tangent and getattr(s.model, "temperature_dependent", True):
                d = np.maximum(1e-3, 1e-4 * np.abs(Ts - s.T_inf))
                qp = s.coefficient(Ts + d, name) * (Ts + d - s.T_inf)
                qm = s.coefficient(Ts - d, name) * (Ts - d - s.T_inf)
                a = np.maximum((qp - qm) / (2 * d), h)
            H = H + op.matrix(a)
            f += op.vector(h * s.T_inf)
            if T0 is not None:
                f += op.matrix(a - h) @ T0
            else:
                f += op.vector((a - h) * Ts)
        return H.tocsr(), f

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
            if np.ndim(h):  # one h per facet
                heat = (
                    forms.facet_load(fs, facets, h) @ T
                    - forms.facet_load(fs, facets, h * Tinf).sum()
                )
            else:
                heat = forms.facet_load(fs, facets, h) @ T - h * Tinf * mesh.boundary_area(name)
            out[f"convection:{name}"] = float(heat)
        for name, s in self.surfaces.items():
            h = s.coefficient(s.operator.average(T), name)
            out[f"convection:{name}"] = float(
                s.operator.vector(h) @ T - s.operator.vector(h * s.T_inf).sum()
            )
        if len(self.dirichlet):
            reaction = self.stiffness(T) @ T - self.load
            if self.surfaces:
                H, f = self.surface_terms(T, tangent=False)
                reaction += H @ T - f
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
    conv: dict[str, tuple[Any, float]] = {}
    surfaces: dict[str, Surface] = {}
    for name, pair in convection.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InputError(
                f"convection.{name}",
                pair,
                "a pair (h [W/(m^2 K)] or h per facet or a surface model, T_inf [degC])",
            )
        Tinf = _number(f"convection.{name}.T_inf", pair[1], lo=-273.15)
        facets = _boundary(mesh, name, "convection")
        h = pair[0]
        if callable(h):
            surface = _surface(mesh, fs, facets, h, Tinf)
            if getattr(h, "temperature_dependent", True):
                surfaces[name] = surface
                continue
            # a model that does not depend on T: evaluated once, a constant h per facet
            h = surface.coefficient(np.full(len(facets), Tinf), name)
        h = _coefficient(f"convection.{name}.h", h, len(facets))
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
    return ThermalProblem(
        mesh, fs, mats, f, H.tocsr(), conv, fixed, fixed_nodes, D, free, power, surfaces
    )


def _coefficient(key: str, h: Any, n_f: int) -> float | NDArray[np.float64]:
    """A constant h [W/(m^2 K)]: one number >= 0, or one per facet (n_f,)."""
    if isinstance(h, np.ndarray) and h.ndim == 1:
        if h.shape != (n_f,) or h.dtype.kind not in "fiu":
            raise InputError(
                key, f"{h.dtype} of shape {h.shape}", f"a real array of shape ({n_f},)"
            )
        if not np.all(np.isfinite(h)) or np.any(h < 0):
            raise InputError(key, "negative or non-finite values", "finite values >= 0")
        return h.astype(np.float64)
    return _number(key, h, lo=0.0)


def _surface(
    mesh: Any, fs: FieldSpace, facets: NDArray[np.int64], model: SurfaceModel, Tinf: float
) -> Surface:
    p = mesh.p1.p.T
    tri = mesh.p1.facets[:, facets].T
    centroids = p[tri].mean(axis=1)
    names = np.array(list(mesh.regions), dtype=object)
    owner = mesh.region_of_elements()[mesh.p1.f2t[0, facets]]
    regions = np.where(owner >= 0, names[np.maximum(owner, 0)] if len(names) else "", "")
    op = forms.facet_operator(fs, facets)
    where = SurfaceFacets(mesh.facet_normals(facets), centroids, op.area, regions.astype(str))
    return Surface(model, Tinf, where, op)


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
        Boundary -> (h, T_inf [degC]). ``h`` is a coefficient [W/(m^2 K)], one per facet
        of the boundary (an array (n_f,), e.g. a converged ``surface_h``), or a
        :data:`SurfaceModel` (e.g. :class:`~fea.physics.convection.FilmCoefficient`:
        natural or forced convection by face orientation plus radiation) evaluated per
        facet at the facet's temperature and iterated to convergence (steady only).
    fixed
        Boundary -> temperature [degC], or a function of time t [s] for transients.
    transient
        :class:`~fea.fe.timestep.Transient`, or None for steady state.
    backend
        ``auto``, ``cpu`` or ``gpu`` (see :func:`fea.solvers.solve`).
    rtol
        Relative residual of iterative solves, in (0, 1e-2].
    picard_tol, max_picard
        The steady nonlinear iteration (k(T), surface models) stops when the largest
        nodal change is at most ``picard_tol * max(1, max|T|)`` [K]; a
        :class:`~fea.errors.SolverError` when that takes more than ``max_picard`` passes.
    """
    t_start = time.perf_counter()
    if not (isinstance(rtol, int | float) and 0 < rtol <= 1e-2):
        raise InputError("rtol", rtol, "a relative tolerance in (0, 1e-2]")
    if transient is not None and not isinstance(transient, Transient):
        raise InputError("transient", type(transient).__name__, "a fea.Transient or None")
    pb = thermal_problem(mesh, materials, sources, flux, convection, fixed)
    if transient is not None and pb.surfaces_depend_on_T:
        name = next(iter(pb.surfaces))
        raise InputError(
            f"convection.{name}",
            type(pb.surfaces[name].model).__name__,
            "a constant h in a transient: freeze a surface model at a steady solution "
            "with (steady.surface_h[name], T_inf)",
        )
    if len(pb.dirichlet) == 0 and not pb.convection and not pb.surfaces and transient is None:
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
    surface_h = {
        name: s.coefficient(s.operator.average(T), name) for name, s in pb.surfaces.items()
    }
    if surface_h:
        info["surface_h_mean"] = {
            name: float(h @ pb.surfaces[name].operator.area / pb.surfaces[name].operator.area.sum())
            for name, h in surface_h.items()
        }
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
        mesh, pb.space, T, pb.power, heat_out, info, times, history, surface_h=surface_h
    )


def _steady(
    pb: ThermalProblem, kw: dict[str, Any], picard_tol: float, max_picard: int, info: dict
) -> tuple[NDArray[np.float64], Any]:
    """Steady state, iterated when k or a surface coefficient depends on T (Picard for
    k(T), the surface flux linearised about the last iterate); returns (T, last SolveInfo)."""
    free = pb.free
    T_D = pb.dirichlet_values(0.0)
    T: NDArray[np.float64] | None = None
    picard = pb.k_depends_on_T or pb.surfaces_depend_on_T
    change = np.inf
    for it in range(max_picard if picard else 1):  # noqa: B007 (count used below)
        A = pb.stiffness(T)
        load = pb.load
        if pb.surfaces:
            H, fs_ = pb.surface_terms(T)
            A = (A + H).tocsr()
            load = load + fs_
        b = load - A @ T_D
        x, last = solve(A[free][:, free], b[free], **kw)
        T_new = T_D.copy()
        T_new[free] = x
        change = np.inf if T is None else float(np.abs(T_new - T).max())
        T = T_new
        if change <= picard_tol * max(1.0, float(np.abs(T).max())):
            break
    else:
        if picard:
            what = "k(T)" if pb.k_depends_on_T else ""
            if pb.surfaces_depend_on_T:
                what += (" and " if what else "") + "the surface coefficients h(T)"
            raise SolverError(
                f"the steady iteration for {what} did not converge in {max_picard} "
                f"iterations (last change {change:.3g} K, tolerance "
                f"{picard_tol * max(1.0, float(np.abs(T).max())):.3g} K)"
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
