"""Steady and transient heat conduction.

.. math:: \\rho c_p \\dot T - \\nabla\\cdot(k \\nabla T) = q \\quad\\text{in } \\Omega,\\qquad
          -k \\partial_n T = h (T - T_\\infty) - q_n \\text{ on convective/flux faces}

Temperatures in degC, powers in W, lengths in m. ``k(T)`` tables are handled by
Picard iteration (element conductivity from the element's mean temperature), or held
at a given temperature field (``k_at_C``: a linear problem). The problem is set up once
(:class:`ThermalProblem`: loads, Robin terms, Dirichlet nodes); the steady solve, the
theta-method time stepping (:mod:`fea.fe.timestep`) and the reduced model of a linear
transient (:mod:`fea.fe.reduced`) share it. A transient may report its fields at a few
times and quantities of the field (``watch``: the junction temperature, probes) at
many.

Surface coefficients that depend on the surface temperature (natural convection,
radiation: :class:`fea.physics.convection.FilmCoefficient`, or any callable
:data:`SurfaceModel`) are re-evaluated per facet in the same steady iteration: each pass
evaluates ``h`` at every facet's mean temperature and linearises the surface flux
:math:`q = h(T_s)(T_s - T_\\infty)` about it (tangent, see :meth:`ThermalProblem.surface_terms`).
A transient takes them frozen at a steady solution (``steady.surface_h``).

Thermal contact resistances ``R''`` [m^2 K/W] on interfaces (``contacts``) are thin
layers that are not meshed: the interface is split (:func:`fea.fe.interfaces.split_interface`)
and the conductance :math:`\\int_S (T_a - T_b)(v_a - v_b) / R'' \\, dS` couples its two
faces (docs/thermal_contact.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from ..errors import InputError, SolverError
from ..fe import forms
from ..fe.interfaces import contact_facets, interface_regions, is_split, split_interface
from ..fe.mesh import interface_name
from ..fe.probes import interpolate
from ..fe.reduced import reduce_systems, shifts_for
from ..fe.spaces import FieldSpace, check_mesh, space
from ..fe.timestep import Profile, Transient, integrate
from ..solvers import assembly_namespace, eliminate, prepare
from ..solvers.cpu import single_threaded_openblas
from ..solvers.recycle import SolverCache
from ..validate import (
    check_count,
    check_range,
    check_rtol,
    check_temperature_C,
    renamed_keywords,
)
from .materials import Material, assign

__all__ = [
    "Series",
    "SurfaceFacets",
    "SurfaceModel",
    "ThermalProblem",
    "ThermalResult",
    "Transient",
    "contact_matrix",
    "contact_mesh",
    "contact_resistances",
    "lumped_diagonal",
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
#: ``temperature_dependent`` attribute is False is evaluated once; one with a method
#: ``surface_range_C(T_inf) -> (lo, hi)`` [degC] sees the iterates of the steady
#: iteration held within that range, and a solution outside it is refused
#: (:class:`~fea.physics.convection.FilmCoefficient`: its air-property table).
SurfaceModel = Callable[[NDArray[np.float64], float, SurfaceFacets], NDArray[np.float64]]


@dataclass
class Surface:
    """A boundary with a :data:`SurfaceModel`: its facets, operator and last coefficient."""

    model: SurfaceModel
    T_inf: float
    facets: SurfaceFacets
    operator: forms.FacetOperator
    h: NDArray[np.float64] | None = None

    def coefficient(
        self, Ts: NDArray[np.float64], name: str, *, clip: bool = False
    ) -> NDArray[np.float64]:
        """h per facet at the facet temperatures ``Ts`` [W/(m^2 K)], checked.

        With ``clip`` (an iterate of the steady iteration, not a solution) the
        temperatures are first held within the model's ``surface_range_C(T_inf)`` when it
        has one: the first passes overshoot (h taken at :data:`SURFACE_START_K` above
        T_inf is too small), and a model refusing them (the air-property table of
        :class:`~fea.physics.convection.FilmCoefficient`) stopped solves whose solution
        lies well within its range. A solution outside it is refused, naming
        ``convection.<name>``.
        """
        span = getattr(self.model, "surface_range_C", None)
        if clip and span is not None:
            lo, hi = span(self.T_inf)
            if lo < hi:
                Ts = np.clip(Ts, lo, hi)
        try:
            h = np.asarray(self.model(Ts, self.T_inf, self.facets), dtype=np.float64)
        except InputError as e:
            if span is not None:
                lo, hi = span(self.T_inf)
                if not lo < self.T_inf < hi:  # the air itself is beyond the correlations
                    raise InputError(
                        f"convection.{name}.T_inf",
                        self.T_inf,
                        f"an ambient within the range of its surface model ({e.allowed})",
                    ) from e
                allowed = (
                    f"surface temperatures from {lo:.4g} to {hi:.4g} degC in {self.T_inf:g} "
                    f"degC air, the range of its correlations ({e.allowed}): less power or "
                    "more cooling"
                )
            else:
                allowed = f"temperatures its surface model accepts ({e})"
            raise InputError(
                f"convection.{name}",
                f"surface temperatures {float(np.min(Ts)):.4g} to {float(np.max(Ts)):.4g} degC",
                allowed,
            ) from e
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
        Transient only: times (s,) and temperatures (s, n) of the kept fields.
    series
        Transient only: the ``watch`` quantities at t = 0 and every output time.
    curves
        Curves a caller attaches for the results file (name -> column -> 1-D values,
        e.g. a heating curve and its structure function); stored under
        ``/thermal/curves``.
    solver_info
        Backend, method, iterations, residual and seconds per stage. Steady: the
        iterations and ``solve_s`` summed over the passes of a k(T) or h(T) iteration
        (``pass_iterations``: each pass's), the residual the last pass's.
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
    series: Series | None = None
    curves: dict[str, dict[str, NDArray[np.float64]]] = field(default_factory=dict)
    #: A transient of the same body kept with this (steady) result: its kept fields are
    #: written under ``/thermal/transient`` of the results file.
    transient: ThermalResult | None = None

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
    heat
        The part of ``load`` from sources and fluxes, shape (n,), W (what a transient's
        power factor scales).
    k_at
        Temperature field [degC] (n,) at which k(T) is evaluated and held, or None.
    sinks
        Key -> value of every negative source or flux (``sources.<region>``,
        ``flux.<boundary>``), named when a solution falls below absolute zero.
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
    heat: NDArray[np.float64] | None = None
    k_at: NDArray[np.float64] | None = None
    sinks: dict[str, Any] = field(default_factory=dict)

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
            h = s.coefficient(Ts, name, clip=True)
            s.h = h
            a = h
            if tangent and getattr(s.model, "temperature_dependent", True):
                d = np.maximum(1e-3, 1e-4 * np.abs(Ts - s.T_inf))
                qp = s.coefficient(Ts + d, name, clip=True) * (Ts + d - s.T_inf)
                qm = s.coefficient(Ts - d, name, clip=True) * (Ts - d - s.T_inf)
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
            T_D[self.fixed_nodes[name]] = check_temperature_C(f"fixed.{name}", value)
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


#: Largest heat flux accepted [W/m^2]: 1 MW/mm^2, a thousand times the hottest spot of a
#: chip; a larger value is a unit slip (and 1e308 overflowed in the solve, reported far
#: from the key).
FLUX_MAX = 1e12


#: Largest power of one source accepted [W]: the study file's bound on ``loads.power_W``
#: (``fea.package.spec.constants.POWER_MAX_W``); 1e30 W was solved to a Tj of 8e33 degC.
POWER_MAX_W = 1e5

#: Most fixed time steps one transient may imply: a thermal step of a package model
#: takes milliseconds, so a million is a long night; 10**9 steps were killed for memory
#: (the 8 GB time grid) instead of refused. Long spans take ``adaptive=True`` or the
#: reduced scheme, whose cost does not grow with the span.
MAX_STEPS = 1_000_000

#: Most nodal values a transient may keep as whole fields (8 GB of float64, held in
#: memory and then written to the results file): every step's field kept (no
#: ``outputs``, no ``fields``) of a long transient exhausted the memory.
MAX_FIELD_VALUES = 1_000_000_000


def _flux(mesh: Any, name: str, g: object) -> float | NDArray[np.float64]:
    """A flux [W/m^2]: one number, or one finite value per facet of the boundary, each
    of magnitude at most :data:`FLUX_MAX`."""
    facets = _boundary(mesh, name, "flux")
    if isinstance(g, np.ndarray | list | tuple):
        a = np.asarray(g, dtype=float)
        if a.shape != (len(facets),) or not np.all(np.isfinite(a)):
            raise InputError(
                f"flux.{name}", f"shape {a.shape}", f"a number or {len(facets)} finite values"
            )
        if a.size and float(np.abs(a).max()) > FLUX_MAX:
            raise InputError(
                f"flux.{name}",
                f"up to {float(np.abs(a).max()):.3g} W/m^2",
                f"values of magnitude at most {FLUX_MAX:g} W/m^2",
            )
        return a
    v = _number(f"flux.{name}", g)
    if abs(v) > FLUX_MAX:
        raise InputError(f"flux.{name}", g, f"a flux of magnitude at most {FLUX_MAX:g} W/m^2")
    return v


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
    contacts: Mapping[str, float] | None = None,
) -> ThermalProblem:
    """Check the inputs of :func:`solve_thermal` and set up the problem (loads, Robin
    terms, Dirichlet nodes). Arguments as :func:`solve_thermal`; with ``contacts`` the
    problem's mesh is the split one (:func:`contact_mesh`)."""
    check_mesh(mesh)
    sources = _mapping("sources", sources)
    flux = _mapping("flux", flux)
    convection = _mapping("convection", convection)
    fixed = _mapping("fixed", fixed)
    mesh, pairs = contact_mesh(mesh, contacts)
    fs = space(mesh)
    mats = assign(mesh.regions, materials)
    _check_conductivities(mats)
    vol = mesh.element_volumes()
    q = np.zeros(mesh.n_elements)
    sinks: dict[str, Any] = {}
    for region, P in sources.items():
        P = _number(f"sources.{region}", P)
        if abs(P) > POWER_MAX_W:
            raise InputError(f"sources.{region}", P, f"a power of at most {POWER_MAX_W:g} W")
        if P < 0:
            sinks[f"sources.{region}"] = P
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
        value = _flux(mesh, name, g)  # names the unknown boundary (flux.<name>)
        if np.any(np.asarray(value) < 0):
            sinks[f"flux.{name}"] = float(np.min(value))
        fg = forms.facet_load(fs, mesh.boundaries[name], value)
        f += fg
        power += float(fg.sum())  # sum_i phi_i = 1: the integral of the flux
    heat = f.copy()
    H = contact_matrix(fs, pairs)
    conv: dict[str, tuple[Any, float]] = {}
    surfaces: dict[str, Surface] = {}
    for name, pair in convection.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InputError(
                f"convection.{name}",
                pair,
                "a pair (h [W/(m^2 K)] or h per facet or a surface model, T_inf [degC])",
            )
        Tinf = check_temperature_C(f"convection.{name}.T_inf", pair[1])
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
            fixed[name] = check_temperature_C(f"fixed.{name}", v)
        fixed_nodes[name] = fs.boundary_nodes(_boundary(mesh, name, "fixed"))
    D = np.unique(np.concatenate(list(fixed_nodes.values()))) if fixed_nodes else np.zeros(0, int)
    free = np.setdiff1d(np.arange(fs.n), D)
    frozen = None if k_at is None else _temperature_field("k_at_C", k_at, fs.n)
    return ThermalProblem(
        mesh,
        fs,
        mats,
        f,
        H.tocsr(),
        conv,
        fixed,
        fixed_nodes,
        D,
        free,
        power,
        surfaces=surfaces,
        heat=heat,
        k_at=frozen,
        sinks=sinks,
    )


def contact_resistances(contacts: Mapping[str, float] | None) -> dict[str, float]:
    """Checked contact resistances: interface name -> R'' [m^2 K/W], finite and > 0
    (an :class:`~fea.errors.InputError` naming ``contacts.<name>`` otherwise)."""
    out: dict[str, float] = {}
    for name, R in _mapping("contacts", contacts).items():
        v = _number(f"contacts.{name}", R)
        if not v > 0:
            raise InputError(f"contacts.{name}", R, "a finite resistance > 0 m^2 K/W")
        out[str(name)] = v
    return out


def contact_mesh(
    mesh: Any, contacts: Mapping[str, float] | None
) -> tuple[Any, dict[str, tuple[float, NDArray[np.int64]]]]:
    """The mesh with every contact interface split, and per interface ``a|b`` its
    conductance ``1 / R''`` [W/(m^2 K)] and facet pairs (n_f, 2) (``a`` side, ``b`` side).

    An interface already split (:func:`fea.fe.interfaces.split_interface`, e.g. by the
    caller, so that its probes and watches see the same nodes) is used as it is.
    """
    resist = contact_resistances(contacts)
    out: dict[str, tuple[float, NDArray[np.int64]]] = {}
    for name, R in resist.items():
        a, b = interface_regions(mesh, name, f"contacts.{name}")
        iname = interface_name(a, b)
        if iname in out:
            raise InputError(f"contacts.{name}", R, f"one resistance per interface ({iname})")
        if is_split(mesh, iname):
            pairs = contact_facets(mesh, iname)
        else:
            mesh, pairs = split_interface(mesh, iname)
        out[iname] = (1.0 / R, pairs)
    # a later split leaves the facets of an earlier one in place (same triples), but
    # their indices follow the new mesh: find them again
    if len(out) > 1:
        out = {k: (h, contact_facets(mesh, k)) for k, (h, _) in out.items()}
    return mesh, out


def contact_matrix(
    fs: FieldSpace, pairs: Mapping[str, tuple[float, NDArray[np.int64]]]
) -> sp.csr_matrix:
    """Conductance of the contacts, ``int_S h (T_a - T_b)(v_a - v_b) dS``, (n, n) CSR
    [W/K]: ``J^T M_a J`` with ``M_a`` the facet mass of the ``a`` faces and ``J`` the jump
    (each ``a``-face node minus its coincident ``b``-face node)."""
    n = fs.n
    H = sp.csr_matrix((n, n))
    x = fs.nodes
    for h, fp in pairs.values():
        da = fs.boundary_nodes(fp[:, 0])
        db = fs.boundary_nodes(fp[:, 1])
        scale = float(np.ptp(x, axis=0).max())
        dist, j = cKDTree(x[db]).query(x[da])
        if not np.all(dist <= 1e-9 * scale) or len(da) != len(db):
            raise SolverError("the two faces of a contact interface have different nodes")
        rows = np.concatenate([da, da])
        cols = np.concatenate([da, db[j]])
        vals = np.concatenate([np.ones(len(da)), -np.ones(len(da))])
        J = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
        Ma = forms.facet_mass(fs, fp[:, 0], h)
        H = H + (J.T @ Ma @ J)
    return H.tocsr()


#: Smallest positive film or contact coefficient accepted [W/(m^2 K)]: still convection
#: (a still gas gives a few W/(m^2 K)); a smaller positive value is a unit slip and makes
#: the conduction matrix numerically singular ("not positive definite" in the solver).
H_MIN = 1e-6

#: Smallest conductivity accepted [W/(m K)]: below every solid and gas (aerogels ~0.01).
K_MIN = 1e-6


def _check_conductivities(mats: Mapping[str, Material]) -> None:
    """Each region's conductivity at 25 degC finite and at least :data:`K_MIN`: a
    conductivity of 1e-300 is refused at the key instead of as a singular matrix."""
    for region, m in mats.items():
        k = np.asarray(m.conductivity(np.array([25.0])), dtype=float)
        if not np.all(np.isfinite(k)) or float(k.min()) < K_MIN:
            raise InputError(
                f"materials.{region}.k",
                float(k.min()) if np.all(np.isfinite(k)) else "not finite",
                f"a finite conductivity >= {K_MIN:g} W/(m K)",
            )


def _coefficient(key: str, h: Any, n_f: int) -> float | NDArray[np.float64]:
    """A constant h [W/(m^2 K)]: one number, or one per facet (n_f,); each 0 (no
    convection on that facet) or in [:data:`H_MIN`, inf)."""
    if isinstance(h, np.ndarray) and h.ndim == 1:
        if h.shape != (n_f,) or h.dtype.kind not in "fiu":
            raise InputError(
                key, f"{h.dtype} of shape {h.shape}", f"a real array of shape ({n_f},)"
            )
        if not np.all(np.isfinite(h)) or np.any(h < 0) or np.any((h > 0) & (h < H_MIN)):
            raise InputError(
                key,
                "negative, non-finite or tiny values",
                f"finite values, each 0 or >= {H_MIN:g} W/(m^2 K)",
            )
        return h.astype(np.float64)
    v = _number(key, h, lo=0.0)
    if 0.0 < v < H_MIN:
        raise InputError(key, h, f"0 or a coefficient >= {H_MIN:g} W/(m^2 K)")
    return v


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


@renamed_keywords(k_at="k_at_C")
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
    maxiter: int = 2000,
    picard_tol: float = 1e-6,
    max_picard: int = 50,
    k_at_C: float | ArrayLike | None = None,
    watch: Watch | None = None,
    contacts: Mapping[str, float] | None = None,
    lumped_capacity: bool = False,
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
        Boundary -> (h, T_inf [degC]). ``h`` is a coefficient [W/(m^2 K)], one per facet
        of the boundary (an array (n_f,), e.g. a converged ``surface_h``), or a
        :data:`SurfaceModel` (e.g. :class:`~fea.physics.convection.FilmCoefficient`:
        natural or forced convection by face orientation plus radiation) evaluated per
        facet at the facet's temperature and iterated to convergence (steady only).
    fixed
        Boundary -> temperature [degC] held on every node of the boundary (a Dirichlet
        condition), or a function of time t [s] for transients. (Mechanics' ``fixed``
        prescribes displacement components instead: :func:`fea.solve_thermoelastic`.)
    transient
        :class:`~fea.fe.timestep.Transient`, or None for steady state.
    lumped_capacity
        Transient steps (``scheme="steps"``) only: the capacity matrix lumped onto its
        diagonal (:func:`lumped_diagonal`, HRZ: positive for P2 elements too) instead of
        the consistent one: no overshoot past the initial and boundary values in steps
        short against an element's diffusion time, where the consistent capacity has no
        discrete maximum principle (moisture's reflow pieces use it), at a first-order
        consistency error in space.
    backend
        ``auto``, ``cpu`` or ``gpu`` (see :func:`fea.solvers.solve`).
    rtol
        Relative residual of iterative solves, ``|b - A x| <= rtol |b|`` (the one meaning
        of ``rtol`` in :mod:`fea`), in (0, 1e-2].
    maxiter
        Iteration limit of each iterative solve (a whole number >= 1; ``[solver]
        maxiter`` of a study): a solve that does not reach ``rtol`` within it raises a
        :class:`~fea.errors.SolverError`.
    picard_tol, max_picard
        The steady nonlinear iteration (k(T), surface models) stops when the largest
        nodal change is at most ``picard_tol * max(1, max|T|)`` [K]: ``picard_tol`` is a
        relative tolerance (no unit); a :class:`~fea.errors.SolverError` when that takes
        more than ``max_picard`` passes.
    k_at_C
        Temperature [degC], one value or nodal (n,), at which temperature-dependent
        conductivities are evaluated and held: the problem becomes linear (one
        factorization per step size, or the reduced scheme). None: k follows T.
    watch
        Transient only: name -> function of the nodal temperature (n,) returning a
        number or an array, evaluated at t = 0 and every output time
        (``ThermalResult.series``); e.g. the junction temperature at a thousand times
        while only a few whole fields are kept (``Transient.fields``).
    contacts
        Interface ``"a|b"`` -> thermal contact resistance R'' [m^2 K/W] (finite, > 0): a
        thin layer that is not meshed, as the conductance
        ``int_S (T_a - T_b)(v_a - v_b) / R'' dS`` between the interface's two faces. The
        interface is split (:func:`fea.fe.interfaces.split_interface`: region ``a``, the
        first of the sorted name, keeps the nodes and the boundary ``a|b``) unless
        ``mesh`` already is; the result's ``mesh`` and ``space`` are then the split ones
        (a ``watch`` must be built on them: split the mesh first).
    """
    t_start = time.perf_counter()
    rtol = check_rtol("rtol", rtol)
    picard_tol = check_range("picard_tol", picard_tol, 0.0, 0.1, lo_open=True)
    max_picard = check_count("max_picard", max_picard, 10_000, "steady passes")
    if transient is not None and not isinstance(transient, Transient):
        raise InputError("transient", type(transient).__name__, "a fea.Transient or None")
    pb = thermal_problem(mesh, materials, sources, flux, convection, fixed, k_at_C, contacts)
    if transient is not None:
        _frozen_surfaces(pb)
        _check_transient_size(transient, pb.space.n)
    sink = any(np.any(np.asarray(h) > 0) for h, _ in pb.convection.values())
    if len(pb.dirichlet) == 0 and not sink and not pb.surfaces and transient is None:
        raise InputError(
            "convection/fixed",
            None,
            "at least one convective or fixed boundary "
            "(otherwise the steady temperature is undetermined)",
        )
    kw = {"kind": "scalar", "backend": backend, "method": method, "rtol": rtol}
    kw["maxiter"] = maxiter
    info: dict[str, Any] = {}
    t_setup = time.perf_counter() - t_start
    if transient is None:
        T, last = _steady(pb, kw, picard_tol, max_picard, info)
        return _result(pb, T, last, info, None, t_start, t_setup)
    rec = _Recorder(transient, watch)
    if transient.scheme == "reduced":
        T, last = _reduced([pb], transient, kw, [info], [rec])[0]
    else:
        T, last = _transient(pb, transient, kw, info, rec, lumped=bool(lumped_capacity))
    return _result(pb, T, last, info, rec, t_start, t_setup)


def _check_transient_size(transient: Transient, n: int) -> None:
    """Refuse, before any work, a transient that cannot run: more than :data:`MAX_STEPS`
    fixed steps, or more than :data:`MAX_FIELD_VALUES` nodal values kept as whole fields
    (``n`` nodes per field, all variants together)."""
    outputs = transient.output_times()
    n_out = None if outputs is None else len(outputs)
    if transient.scheme == "steps" and not transient.adaptive:
        steps = transient.t_end_s / transient.dt_s + len(transient.corners())
        if not steps <= MAX_STEPS:
            raise InputError(
                "transient.dt_s",
                transient.dt_s,
                f"a step implying at most {MAX_STEPS:,} fixed steps (t_end_s / dt_s = "
                f"{steps:,.0f}); for a long span take adaptive=True or scheme='reduced'",
            )
        n_out = math.ceil(steps - 1e-9) if n_out is None else n_out
    if n_out is None:  # adaptive, every accepted step: not known in advance
        return
    kept = (n_out if transient.fields is None else min(transient.fields, n_out)) + 1
    if kept * n > MAX_FIELD_VALUES:
        raise InputError(
            "transient.fields",
            transient.fields,
            f"at most {max(MAX_FIELD_VALUES // n - 1, 0):,} whole fields of {n:,} nodal values "
            f"(this transient keeps {kept:,}, {8e-9 * kept * n:.3g} GB): give outputs and a "
            "few fields (watch reports quantities at every output)",
        )


def _frozen_surfaces(pb: ThermalProblem) -> None:
    """A transient needs surface coefficients that do not follow the temperature."""
    if pb.surfaces_depend_on_T:
        name = next(iter(pb.surfaces))
        raise InputError(
            f"convection.{name}",
            type(pb.surfaces[name].model).__name__,
            "a constant h in a transient: freeze a surface model at a steady solution "
            "with (steady.surface_h[name], T_inf)",
        )


def _check_above_absolute_zero(pb: ThermalProblem, T: NDArray[np.float64]) -> None:
    """A solution below absolute zero is no temperature: the negative sources or fluxes
    take out more heat than the boundaries supply (the linear equations do not know)."""
    lowest = float(np.min(T))
    if lowest >= -273.15:
        return
    sinks = ", ".join(f"{k} = {v:g}" for k, v in pb.sinks.items()) or "the loads"
    raise SolverError(
        f"the temperature falls to {lowest:.4g} degC, below absolute zero: {sinks} take "
        "out more heat than the boundaries supply (less heat out, or a boundary that "
        "feeds it: a higher h or T_inf, a fixed temperature)"
    )


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
    _check_above_absolute_zero(pb, T)
    if history is not None and np.size(history):
        _check_above_absolute_zero(pb, history)
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
        pb.mesh,
        pb.space,
        T,
        pb.power,
        pb.heat_out(T),
        info,
        times,
        history,
        surface_h=surface_h,
        series=series,
    )


@renamed_keywords(k_at="k_at_C")
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
    maxiter: int = 2000,
    k_at_C: float | ArrayLike | None = None,
    watch: Watch | None = None,
    contacts: Mapping[str, float] | None = None,
) -> list[ThermalResult]:
    """One body, one heat input, several boundary conditions: a result per variant.

    Each variant is a mapping with ``convection`` and/or ``fixed`` (as in
    :func:`solve_thermal`); the fixed boundaries must be the same in all of them. With
    ``transient.scheme == "reduced"`` the variants share one reduced basis
    (:func:`fea.fe.reduced.reduce_systems`), so their responses agree wherever their
    physics does (e.g. the two case contacts of the JESD51-14 dual-interface method
    before the heat reaches the case) instead of only to ``transient.rtol``. Otherwise
    each variant is solved on its own. Other arguments as :func:`solve_thermal`
    (``maxiter``: the iteration limit of every iterative solve, the reduced basis's
    shifted solves included).
    """
    if not isinstance(variants, Sequence) or not variants:
        raise InputError("variants", variants, "a list of {convection, fixed} mappings")
    for i, v in enumerate(variants):
        if not isinstance(v, Mapping) or set(v) - {"convection", "fixed"}:
            raise InputError(f"variants[{i}]", v, "a mapping with convection and/or fixed")
    common = dict(
        backend=backend,
        method=method,
        rtol=rtol,
        maxiter=maxiter,
        k_at_C=k_at_C,
        watch=watch,
        contacts=contacts,
    )
    if transient is None or transient.scheme != "reduced":
        return [
            solve_thermal(mesh, materials, sources, flux, transient=transient, **v, **common)
            for v in variants
        ]
    t_start = time.perf_counter()
    rtol = check_rtol("rtol", rtol)
    pbs = [
        thermal_problem(
            mesh, materials, sources, flux, v.get("convection"), v.get("fixed"), k_at_C, contacts
        )
        for v in variants
    ]
    for pb in pbs:
        _frozen_surfaces(pb)
    _check_transient_size(transient, pbs[0].space.n * len(pbs))
    for i, pb in enumerate(pbs[1:], 1):
        if not np.array_equal(pb.free, pbs[0].free):
            raise InputError(
                f"variants[{i}].fixed",
                variants[i].get("fixed"),
                "the same fixed boundaries in every variant",
            )
    kw = {"kind": "scalar", "backend": backend, "method": method, "rtol": rtol}
    kw["maxiter"] = maxiter
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
    """Steady state, iterated when k or a surface coefficient depends on T (Picard for
    k(T), the surface flux linearised about the last iterate); returns (T, last SolveInfo).

    One prepared solver serves every pass: a factorisation is redone per pass, an AMG
    hierarchy (CPU or device) is kept while the matrix changes little and rebuilt when its
    iterations grow (:meth:`fea.solvers.Prepared.update`); the last iterate starts each
    solve. Where the backend resolves to the GPU the matrix is assembled on the device,
    the fixed temperatures eliminated there, and the field stays there between passes
    (copied to the host once per pass for k(T) and the surface models, n values).
    """
    free, D = pb.free, pb.dirichlet
    T_D = pb.dirichlet_values(0.0)
    where = assembly_namespace(kw["backend"], pb.space.n, "scalar", kw["method"])
    ns = None if where.on_host else where
    T: NDArray[np.float64] | None = None
    picard = pb.k_depends_on_T or pb.surfaces_depend_on_T
    change = np.inf
    setups: dict[str, int] = {}
    passes: list[tuple[int, float]] = []  # (iterations, seconds) of each pass's solve
    x = None
    p = None
    try:
        for it in range(max_picard if picard else 1):  # noqa: B007 (count used below)
            A, load = _steady_system(pb, T, ns)
            if ns is None:
                A_s, b_s = A[free][:, free], (load - A @ T_D)[free]
            else:  # fixed temperatures as identity rows, in place, on the device
                xp = ns.xp
                T_Dx, D_x = xp.asarray(T_D), xp.asarray(D)
                b_s = load - A @ T_Dx
                A_s = eliminate(A, D, ns)
                # their right-hand side zero (the values are set after the solve), as the
                # host's free rows alone: with the fixed values in b, |b| was theirs and
                # rtol bounded nothing on the free rows (a moisture soak's steady wetness,
                # fixed at 0.85, 2.5e-4 off the direct solve's at rtol 1e-8, 1.3e-3 by
                # Jacobi-PCG; the host's AMG-PCG 6.5e-9)
                b_s[D_x] = 0.0
            if p is None:
                p = prepare(A_s, **kw)
            else:
                p.update(A_s)
            x, last = p.solve(b_s, x0=x, device_result=ns is not None)
            passes.append((last.iterations, last.seconds))
            setup = str(last.extra.get("setup", "built"))
            setups[setup] = setups.get(setup, 0) + 1
            if ns is None:
                T_new = T_D.copy()
                T_new[free] = x
            else:
                T_new = np.array(ns.asnumpy(x), dtype=np.float64)
                T_new[D] = T_D[D]
                x = x.copy()  # the next pass's start: its fixed rows at their zero solution
                x[D_x] = 0.0
            change = np.inf if T is None else float(np.abs(T_new - T).max())
            T = T_new
            if not picard or change <= picard_tol * max(1.0, float(np.abs(T).max())):
                break
        else:
            what = "k(T)" if pb.k_depends_on_T else ""
            if pb.surfaces_depend_on_T:
                what += (" and " if what else "") + "the surface coefficients h(T)"
            raise SolverError(
                f"the steady iteration for {what} did not converge in {max_picard} "
                f"iterations (last change {change:.3g} K, tolerance "
                f"{picard_tol * max(1.0, float(np.abs(T).max())):.3g} K)"
            )
    finally:
        if p is not None:
            p.close()
    info["picard_iterations"] = it + 1
    info["picard_setups"] = setups
    # the record is of the whole steady solve: every pass's iterations and seconds (the
    # last pass, from the converged iterate, often takes none), the last residual
    info["pass_iterations"] = [n for n, _ in passes]
    last.iterations = sum(n for n, _ in passes)
    last.seconds = sum(t for _, t in passes)
    assert T is not None
    if not np.all(np.isfinite(T)):
        raise SolverError("the temperature field is not finite (check loads and h)")
    return T, last


def _steady_system(
    pb: ThermalProblem, T: NDArray[np.float64] | None, ns: Any = None
) -> tuple[Any, Any]:
    """Matrix (n, n) [W/K] and load (n,) [W] of a steady pass about ``T`` (None: the start):
    SciPy/NumPy on the host, or assembled in the device namespace ``ns`` (the surface terms,
    a few facets, made on the host and copied)."""
    H = pb.robin
    load = pb.load
    if pb.surfaces:
        Hs, fs_ = pb.surface_terms(T)
        H = (H + Hs).tocsr()
        load = load + fs_
    k = pb.conductivity(T)
    if ns is None:
        return (forms.conduction_matrix(pb.space, k) + H).tocsr(), load
    A = forms.conduction_matrix(pb.space, k, xp=ns.xp)
    if H.nnz:
        A = (A + ns.sparse.csr_matrix(H)).tocsr()
    return A, ns.xp.asarray(load)


def _initial_temperature(fs: FieldSpace, initial: Any) -> NDArray[np.float64]:
    allowed = f"a float [degC], real nodal values ({fs.n},) or f(x, y, z)"
    if callable(initial):
        x = fs.nodes
        T = np.asarray(initial(x[:, 0], x[:, 1], x[:, 2]))
    else:
        T = np.asarray(initial)
    if T.dtype.kind not in "fiu" or T.shape not in ((), (fs.n,)):
        raise InputError("transient.initial_C", f"{T.dtype} of shape {T.shape}", allowed)
    T = np.broadcast_to(T.astype(np.float64), (fs.n,)).copy()
    if not np.all(np.isfinite(T)) or T.min() < -273.15:
        raise InputError(
            "transient.initial_C", "non-finite or below -273.15", "finite degC >= -273.15"
        )
    return T


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


def lumped_diagonal(M: sp.spmatrix) -> sp.csr_matrix:
    """The HRZ (Hinton, Rock and Zienkiewicz 1976) lumping of a mass or capacity matrix
    ``M`` (n, n): its diagonal scaled so that the total is kept, ``diag(M) sum(M) /
    trace(M)``, as a diagonal CSR matrix. Per element it is exactly HRZ for a mesh of one
    affine element type (every element's matrix is its volume times one reference matrix,
    so one ratio serves all); unlike row sums it is positive for P2 tetrahedra, whose
    vertex rows sum to a negative number."""
    d = np.asarray(M.diagonal(), dtype=float)
    trace = float(d.sum())
    if not trace > 0.0:
        raise InputError("capacity", trace, "a capacity matrix with a positive trace")
    return sp.diags(d * (float(M.sum()) / trace)).tocsr()


def _transient(
    pb: ThermalProblem,
    transient: Transient,
    kw: dict[str, Any],
    info: dict,
    record: _Recorder,
    lumped: bool = False,
) -> tuple[NDArray[np.float64], Any]:
    """Theta-method time stepping; one prepared solver per step size (a few kept, in a
    :class:`fea.solvers.recycle.SolverCache` keyed by the step) when k is constant, a new
    one per step when k(T). Returns (T_end, last SolveInfo)."""
    fs, free, D = pb.space, pb.free, pb.dirichlet
    M = pb.capacity()
    if lumped:
        M = lumped_diagonal(M)
    T0 = _initial_temperature(fs, transient.initial_C)
    T0[D] = pb.dirichlet_values(0.0)[D]
    th = transient.theta
    picard = pb.k_depends_on_T
    K_lin = None if picard else pb.stiffness(None)
    heat = pb.heat if pb.heat is not None else np.zeros(fs.n)
    base = pb.load - heat  # convection and other loads the power factor leaves alone
    cache = SolverCache(capacity=6)  # a few step sizes' factorizations, by dt
    last: list[Any] = []

    def system(dt: float, T_now: NDArray) -> tuple[sp.csr_matrix, sp.csr_matrix, Any]:
        if not picard:
            held = cache.find(dt)
            if held is None:
                A = (M / dt + th * K_lin).tocsr()
                held, _ = cache.get(dt, (), A[free][:, free], data=A, **kw)
            return K_lin, held.data, held.prepared
        K = pb.stiffness(T_now)
        A = (M / dt + th * K).tocsr()
        return K, A, prepare(A[free][:, free], **kw)

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
        with single_threaded_openblas():  # NumPy's BLAS beside Pardiso's threads
            run = integrate(step, T0, transient, record)
    finally:
        cache.close()
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
                "a linear problem: pass k_at_C (the temperature at which k(T) is held) "
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
            T0 = _initial_temperature(fs, transient.initial_C)
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

        first = min(float(outputs[0]), transient.dt_s)
        monitor = np.geomspace(first, float(outputs[-1]), 60)
        with single_threaded_openblas():  # NumPy's BLAS beside Pardiso's threads
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
        full = _reduced_fields(model, profile, transient, free, T_D, T0, T_ref, record)
        info.update(model.info)
        info["scheme"] = "reduced"
        out.append((full, last[0]))
    return out


def _reduced_fields(
    model: Any,
    profile: Profile | None,
    transient: Transient,
    free: NDArray[np.int64],
    T_D: NDArray[np.float64],
    T0: NDArray[np.float64],
    T_ref: NDArray[np.float64],
    record: _Recorder,
) -> NDArray[np.float64]:
    """Report the fields of a reduced model at t = 0 and every output time (rebuilt a
    block of 32 times at a time: one BLAS-3 product); returns the field at ``t_end``."""
    outputs = transient.output_times()
    assert outputs is not None
    z = model.modal(outputs, profile)
    full = T0.copy()
    record(0.0, full)
    chunk = 32
    for i0 in range(0, len(outputs), chunk):
        block = T_ref[:, None] + model.shapes @ z[i0 : i0 + chunk].T
        for j in range(block.shape[1]):
            full = T_D.copy()
            full[free] = block[:, j]
            record(float(outputs[i0 + j]), full)
    if outputs[-1] < transient.t_end_s:
        full = T_D.copy()
        end = model.modal(np.array([transient.t_end_s]), profile)[0]
        full[free] = T_ref + model.shapes @ end
    return full
