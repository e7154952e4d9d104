"""Compact thermal models (CTMs) of a detailed conduction model.

Three kinds of compact model, all in the thermal-electrical analogy (temperature rise
[K] as voltage, power [W] as current, R [K/W], C [J/K]):

Heating-curve networks
    The Foster and Cauer networks of a heating curve Zth(t)
    (:mod:`fea.physics.structure`) written as a SPICE subcircuit and as CSV
    (:func:`spice_netlist`, :func:`network_csv`). The Foster form is a chain of
    parallel R-C cells from the junction to ambient; the Cauer form a ladder of series
    resistances with every node's capacitance to thermal ground (ambient). Both have the
    same step response; only the Cauer nodes mean anything physically.

Two-resistor model (JEDEC JESD15-3)
    Junction, case-top and board-side nodes; ``theta_JC`` with the top face isothermal
    and every other face adiabatic, ``theta_JB`` with the board-side face isothermal
    (the JESD51-8 ring cold plate idealised) and every other face adiabatic
    (:func:`two_resistor_model`).

DELPHI boundary-condition-independent model (JEDEC JESD15-4)
    Junction plus surface nodes (top inner/outer, bottom inner/outer, sides, leads),
    every pair of nodes linked by a conductance; the conductances are fitted by
    non-negative least squares (on their logarithms) to the junction temperature rises
    and surface heat flows of the detailed model under a set of boundary conditions
    (:data:`DELPHI_38`, :func:`fit_delphi`).

The detailed model enters as a :data:`DetailedSolver`: a callable that takes a list of
boundary conditions (face class -> h [W/(m^2 K)], ``math.inf`` for an isothermal face,
0 or absent for an adiabatic one) and returns a :class:`Response` per condition (the
junction rise per watt and the share of the power leaving through each surface node).
:func:`detailed_solver` makes one from a mesh with :func:`solve_thermal_variants`; any
other solver (a package builder, measurements) fits the same shape. Nothing here reads a
package spec.

The compact models and the heating-curve networks can be written as JEP181 ECXML-style
XML (:func:`write_ecxml`, :func:`read_ecxml`).

References
----------
- JEDEC JESD15-3 (2008), Two-resistor compact thermal model guideline.
- JEDEC JESD15-4 (2008), DELPHI compact thermal model guideline.
- JEDEC JESD51-8 (1999), Integrated circuit thermal test method environmental conditions:
  junction-to-board.
- JEDEC JEP181 (2020), Guideline for the ECXML (electronics cooling XML) neutral file
  format.
- C. J. M. Lasance, H. Vinke, H. Rosten, Thermal characterization of electronic devices
  with boundary condition independent compact models, IEEE Trans. CPMT-A 18 (1995)
  723-731.
- C. J. M. Lasance, Ten years of boundary-condition-independent compact thermal
  modeling of electronic parts: a review, Heat Transfer Eng. 29 (2008) 149-168.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

from ..errors import InputError, SolverError
from ..solvers.base import naming_solve
from .structure import CauerNetwork, FosterNetwork, structure_function
from .thermal import solve_thermal_variants, thermal_problem

__all__ = [
    "BCError",
    "CompactNetwork",
    "DELPHI_38",
    "DELPHI_FACES",
    "DelphiFit",
    "DetailedModel",
    "DetailedSolver",
    "HEAT_FLOOR",
    "H_MAX",
    "Response",
    "SHARED_PCG_MAXITER",
    "SurfaceNode",
    "TARGET_HEAT_FLOW",
    "TARGET_JUNCTION",
    "compare",
    "delphi_boundary_conditions",
    "delphi_links",
    "detailed_solver",
    "fit_delphi",
    "heating_curve_networks",
    "network_csv",
    "predict",
    "read_ecxml",
    "response_errors",
    "spice_netlist",
    "spice_pins",
    "two_resistor_model",
    "write_ecxml",
]

#: Face classes of the DELPHI boundary-condition set, in the column order of :data:`DELPHI_38`.
DELPHI_FACES = ("top", "bottom", "sides", "leads")

#: Accuracy targets quoted for DELPHI models (Lasance 2008; JESD15-4): the relative error
#: of the junction temperature rise, and of a surface node's heat flow (see :class:`BCError`).
TARGET_JUNCTION = 0.05
TARGET_HEAT_FLOW = 0.10

#: Largest finite heat-transfer coefficient of a condition [W/(m^2 K)]: far above any
#: cold plate or contact (the DELPHI set reaches 1e4); an isothermal face is ``math.inf``.
#: h = 1e300 overflowed the solve (a junction of 233 K/W and no heat leaving any node).
H_MAX = 1e9

#: Most iterations of the conditions' shared PCG on the reference condition's
#: factorisation (:meth:`DetailedModel.__call__`) before a condition is solved on its own:
#: a condition that far from the reference costs less factorised. A lower ``maxiter`` of
#: the options lowers it; a higher one does not raise it.
SHARED_PCG_MAXITER = 500


def _delphi_38() -> tuple[tuple[float, float, float, float], ...]:
    """The 38 boundary conditions (h top, bottom, sides, leads) [W/(m^2 K)].

    A reconstruction in the structure of the DELPHI / JESD15-4 training set (the
    standard's table itself is not reproduced): uniform natural to cold-plate cooling,
    one face dominant over natural or forced convection on the others, one face starved,
    and heat-sink / board pairs, from the DELPHI values 10, 100, 1000, 10000.
    """
    rows: list[tuple[float, float, float, float]] = []
    for h in (10.0, 100.0, 1e3, 1e4):  # uniform: natural, forced, fluid, cold plate
        rows.append((h, h, h, h))
    for rest, levels in ((10.0, (100.0, 1e3, 1e4)), (100.0, (1e3, 1e4))):
        for h in levels:  # one face dominant (heat sink, board, cold wall, clamped leads)
            for f in range(4):
                r = [rest] * 4
                r[f] = h
                rows.append((r[0], r[1], r[2], r[3]))
    for f in range(4):  # one face starved, the others well cooled
        r = [1e3] * 4
        r[f] = 10.0
        rows.append((r[0], r[1], r[2], r[3]))
    for top, bottom in (
        (100.0, 1e3),
        (1e3, 100.0),
        (1e3, 1e4),
        (1e4, 1e3),
        (100.0, 1e4),
        (1e4, 100.0),
    ):  # heat sink on top against a board below
        rows.append((top, bottom, 10.0, 10.0))
    rows += [  # board through the leads, with or without a heat sink
        (1e4, 10.0, 10.0, 1e4),
        (1e3, 100.0, 10.0, 1e3),
        (10.0, 1e4, 10.0, 1e4),
        (100.0, 100.0, 10.0, 1e4),
    ]
    return tuple(rows)


#: The 38-condition training set, rows (h_top, h_bottom, h_sides, h_leads) [W/(m^2 K)].
DELPHI_38 = _delphi_38()


def delphi_boundary_conditions(faces: Sequence[str] = DELPHI_FACES) -> list[dict[str, float]]:
    """The :data:`DELPHI_38` set for the face classes a body has.

    Parameters
    ----------
    faces
        Face classes present (a subset of :data:`DELPHI_FACES`). An area-array body
        without separate leads passes ``("top", "bottom", "sides")``: the rows then
        collapse to the distinct ones (29 of 38).

    Returns
    -------
    list of dict face class -> h [W/(m^2 K)], in the order of :data:`DELPHI_38`.
    """
    for f in faces:
        if f not in DELPHI_FACES:
            raise InputError("faces", f, f"face classes from {', '.join(DELPHI_FACES)}")
    out: list[dict[str, float]] = []
    seen: set[tuple[float, ...]] = set()
    for row in DELPHI_38:
        key = tuple(row[DELPHI_FACES.index(f)] for f in faces)
        if key not in seen:
            seen.add(key)
            out.append(dict(zip(faces, key, strict=True)))
    return out


# --------------------------------------------------------------------------------------
# The detailed model as a callable


class Response(NamedTuple):
    """What a detailed or compact model answers for one boundary condition.

    Attributes
    ----------
    junction_K_per_W
        Junction temperature rise over ambient per watt [K/W].
    heat
        Surface node -> share of the power leaving through it [-] (sums to 1 in steady
        state).
    """

    junction_K_per_W: float
    heat: dict[str, float]


@dataclass(frozen=True)
class SurfaceNode:
    """A surface node of a compact model: one patch of the body's surface.

    Attributes
    ----------
    name
        Node name (e.g. ``top_inner``).
    face
        Face class whose h it takes: one of :data:`DELPHI_FACES`.
    area_m2
        Patch area [m^2].
    """

    name: str
    face: str
    area_m2: float


#: ``solve(conditions) -> responses``: each condition a mapping face class -> h
#: [W/(m^2 K)] (``math.inf``: isothermal at ambient; 0 or absent: adiabatic).
DetailedSolver = Callable[[Sequence[Mapping[str, float]]], Sequence[Response]]


def _h(key: str, v: Any) -> float:
    allowed = f"a heat-transfer coefficient in [0, {H_MAX:g}] W/(m^2 K), or math.inf (isothermal)"
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise InputError(key, v, allowed)
    v = float(v)
    if math.isnan(v) or v < 0 or H_MAX < v < math.inf:
        raise InputError(key, v, allowed)
    return v


def _conditions(conditions: Any, faces: Sequence[str]) -> list[dict[str, float]]:
    if isinstance(conditions, Mapping) or not isinstance(conditions, Sequence):
        raise InputError("conditions", conditions, "a list of {face class: h} mappings")
    out = []
    for i, bc in enumerate(conditions):
        if not isinstance(bc, Mapping):
            raise InputError(f"conditions[{i}]", bc, "a mapping face class -> h")
        for f in bc:
            if f not in faces:
                raise InputError(f"conditions[{i}].{f}", f, f"a face class of {', '.join(faces)}")
        row = {f: _h(f"conditions[{i}].{f}", bc.get(f, 0.0)) for f in faces}
        if not any(h > 0 for h in row.values()):
            raise InputError(
                f"conditions[{i}]",
                dict(bc),
                f"h > 0 on some face class of {', '.join(faces)} (an adiabatic body has no "
                "path to ambient, no steady temperature)",
            )
        out.append(row)
    return out


@dataclass
class DetailedModel:
    """A detailed conduction model seen through its surface nodes (a
    :data:`DetailedSolver`; made by :func:`detailed_solver`).

    Attributes
    ----------
    nodes
        The surface nodes, with their face classes and areas.
    boundaries
        Surface node -> the mesh boundaries it is made of.
    solves
        Number of boundary conditions solved so far.
    flux
        Boundary -> heat flux into the body [W/m^2] (one value or one per facet), as
        :func:`fea.solve_thermal`'s ``flux``: e.g. the die's power and power map on its
        active face.
    power
        Total power [W] of ``sources`` and ``flux`` (what the rises are per watt of).
    shared
        Solve conditions with finite h on one factorisation (see :func:`detailed_solver`).
    info
        ``factorizations`` made so far and the ``pcg_iterations`` of each shared solve.
    """

    mesh: Any
    materials: Mapping[str, Any]
    sources: Mapping[str, float]
    junction: str
    nodes: tuple[SurfaceNode, ...]
    boundaries: dict[str, tuple[str, ...]]
    statistic: str = "max"
    T_ambient: float = 25.0
    options: dict[str, Any] = field(default_factory=dict)
    solves: int = 0
    shared: bool = True
    info: dict[str, Any] = field(default_factory=dict)
    flux: Mapping[str, Any] = field(default_factory=dict)
    power: float = math.nan

    @property
    def faces(self) -> tuple[str, ...]:
        """Face classes present, in :data:`DELPHI_FACES` order."""
        have = {n.face for n in self.nodes}
        return tuple(f for f in DELPHI_FACES if f in have)

    def __call__(self, conditions: Sequence[Mapping[str, float]]) -> list[Response]:
        bcs = _conditions(conditions, self.faces)
        with naming_solve(f"the detailed model's steady solves of {len(bcs)} conditions"):
            return self._solve(bcs)

    def _solve(self, bcs: list[dict[str, float]]) -> list[Response]:
        finite = [k for k, bc in enumerate(bcs) if not any(math.isinf(h) for h in bc.values())]
        if not (self.shared and len(finite) > 1 and self._linear()):
            return self._one_by_one(bcs)
        out: list[Response | None] = [None] * len(bcs)
        for k, r in zip(finite, self._shared([bcs[k] for k in finite]), strict=True):
            out[k] = r
        rest = [k for k in range(len(bcs)) if k not in set(finite)]
        if rest:
            for k, r in zip(rest, self._one_by_one([bcs[k] for k in rest]), strict=True):
                out[k] = r
        return [r for r in out if r is not None]

    def _linear(self) -> bool:
        """Conductivities held (``k_at_C``) or independent of T: one matrix per condition."""
        if self.options.get("k_at_C") is not None:
            return True
        return not any(getattr(m, "temperature_dependent_k", True) for m in self.materials.values())

    def _respond(self, theta: NDArray[np.float64], dofs: NDArray[np.int64]) -> float:
        return float(theta[dofs].max() if self.statistic == "max" else theta[dofs].mean())

    def _shared(self, bcs: Sequence[Mapping[str, float]]) -> list[Response]:
        """Conditions with finite h on one assembly: the conduction matrix, the source
        load and each surface node's Robin matrix made once; the condition with the
        log-mean h of each face class factorised once (:func:`fea.solvers.prepare`) and
        every condition solved by conjugate gradients preconditioned with it, all in
        lockstep as one block (:func:`fea.solvers.krylov.block_pcg`; they differ only by
        Robin terms on the surface). Rises over ambient: the Robin
        terms then add no load."""
        from ..fe import forms
        from ..solvers import prepare
        from ..solvers.krylov import affine_product, block_pcg

        opts = self.options
        pb = thermal_problem(
            self.mesh,
            self.materials,
            dict(self.sources),
            dict(self.flux),
            k_at=opts.get("k_at_C"),
            contacts=opts.get("contacts"),
        )
        fs, mesh = pb.space, pb.mesh
        K0 = pb.stiffness(None)
        F = pb.load
        P = float(pb.power)
        robin = {
            n.name: sum(
                (forms.facet_mass(fs, mesh.boundaries[b], 1.0) for b in self.boundaries[n.name]),
                start=sp.csr_matrix(K0.shape),
            ).tocsr()
            for n in self.nodes
        }
        area_w = {name: M @ np.ones(fs.n) for name, M in robin.items()}
        dofs = np.unique(fs.dofs[mesh.regions[self.junction]])
        h = np.array([[bc[n.face] for n in self.nodes] for bc in bcs])
        h_ref = np.exp(np.log(np.maximum(h, 1e-3)).mean(axis=0))

        def matrix(hs: NDArray[np.float64]) -> sp.csr_matrix:
            A = K0.copy()
            for n, hn in zip(self.nodes, hs, strict=True):
                if hn > 0:
                    A = A + hn * robin[n.name]
            return A.tocsr()

        rtol = float(opts.get("rtol", 1e-10))
        kw = {k: opts[k] for k in ("backend", "method", "maxiter") if k in opts}
        # the reference's factorisation preconditions: a condition past the cap (the
        # smaller of SHARED_PCG_MAXITER and maxiter) is solved on its own instead
        cap = min(SHARED_PCG_MAXITER, int(opts.get("maxiter", SHARED_PCG_MAXITER)))
        with prepare(matrix(h_ref), rtol=rtol, **kw) as pre:
            block = block_pcg(
                affine_product(K0, [robin[n.name] for n in self.nodes], h, np),
                np.repeat(F[:, None], len(bcs), axis=1),
                pre.apply,
                rtol=rtol,
                maxiter=cap,
                xp=np,
            )
            theta = block.x
            iterations = [
                it if ok else -1 for it, ok in zip(block.iterations, block.converged, strict=True)
            ]
            own = [k for k, it in enumerate(iterations) if it < 0]
            for k in own:  # too far from the reference: solved on its own
                with prepare(matrix(h[k]), rtol=rtol, **kw) as alone:
                    theta[:, k] = alone.solve(F)[0]
        out = []
        for k, hs in enumerate(h):
            heat = {
                n.name: hn * float(area_w[n.name] @ theta[:, k]) / P
                for n, hn in zip(self.nodes, hs, strict=True)
            }
            out.append(Response(self._respond(theta[:, k], dofs) / P, heat))
        self.info["factorizations"] = self.info.get("factorizations", 0) + 1 + len(own)
        self.info.setdefault("pcg_iterations", []).extend(iterations)
        self.solves += len(bcs)
        return out

    def _one_by_one(self, bcs: Sequence[Mapping[str, float]]) -> list[Response]:
        """Each condition by :func:`~fea.physics.thermal.solve_thermal_variants` (its own
        factorisation)."""
        variants = []
        for bc in bcs:
            conv: dict[str, tuple[float, float]] = {}
            fixed: dict[str, float] = {}
            for n in self.nodes:
                h = bc[n.face]
                for b in self.boundaries[n.name]:
                    if math.isinf(h):
                        fixed[b] = self.T_ambient
                    elif h > 0:
                        conv[b] = (h, self.T_ambient)
            variants.append({"convection": conv, "fixed": fixed})
        results = solve_thermal_variants(
            self.mesh,
            self.materials,
            variants,
            sources=dict(self.sources),
            flux=dict(self.flux),
            **self.options,
        )
        P = float(results[0].power)
        out = []
        for th in results:
            if self.statistic == "max":
                Tj = th.region_max(self.junction)
            else:
                idx = np.unique(th.space.dofs[self.mesh.regions[self.junction]])
                Tj = float(th.temperature[idx].mean())
            conv = {
                n.name: sum(
                    th.heat_out.get(f"convection:{b}", 0.0) for b in self.boundaries[n.name]
                )
                for n in self.nodes
            }
            fixed = {
                n.name: sum(th.heat_out.get(f"fixed:{b}", 0.0) for b in self.boundaries[n.name])
                for n in self.nodes
            }
            # isothermal nodes sharing an edge both count its nodes' reactions: scaled
            # so that the fixed nodes take what the convective ones do not (the split
            # between two isothermal nodes is then approximate at their common edge)
            total = sum(fixed.values())
            scale = (P - sum(conv.values())) / total if total else 1.0
            heat = {n.name: (conv[n.name] + scale * fixed[n.name]) / P for n in self.nodes}
            out.append(Response((Tj - self.T_ambient) / P, heat))
        self.solves += len(bcs)
        self.info["factorizations"] = self.info.get("factorizations", 0) + len(bcs)
        return out


def detailed_solver(
    mesh: Any,
    materials: Mapping[str, Any],
    sources: Mapping[str, float],
    junction: str,
    nodes: Mapping[str, tuple[str, str | Sequence[str]]],
    *,
    flux: Mapping[str, Any] | None = None,
    statistic: str = "max",
    T_ambient: float = 25.0,
    shared: bool = True,
    **options: Any,
) -> DetailedModel:
    """A :data:`DetailedSolver` of a meshed body (steady conduction).

    Parameters
    ----------
    mesh, materials, sources
        As :func:`fea.solve_thermal` (sources: region -> W, uniform in its volume).
    junction
        Region whose temperature is the junction temperature.
    nodes
        Surface node name -> (face class, mesh boundary or boundaries): disjoint
        patches of the body's exterior (a facet in two nodes, or one on an interface
        inside the body, is an :class:`~fea.errors.InputError`). Boundaries not named
        are adiabatic in every condition.
    flux
        Boundary -> heat flux into the body [W/m^2], one value or one per facet, as
        :func:`fea.solve_thermal`'s (e.g. the die's power and power map on its active
        face, where a package's thermal analysis puts them: the junction rise depends on
        where the heat enters, a hot spot's several times a uniform source's). The
        power, that the rises are per watt of, is the sources' sum plus the fluxes'
        integral.
    statistic
        ``"max"`` (the hottest node of the junction region) or ``"mean"`` (its nodal
        mean).
    T_ambient
        Ambient temperature [degC] (the result is a rise, independent of it for a
        linear body).
    shared
        Solve the conditions with finite h on one assembly with one factorisation (of
        the condition with the log-mean h per face class) as the preconditioner of PCG,
        where the body is linear (``k_at_C`` given, or no k(T)); False: each condition
        by :func:`~fea.physics.thermal.solve_thermal_variants`. ``info`` records the
        factorisations and PCG iterations.
    **options
        Passed to :func:`~fea.physics.thermal.solve_thermal_variants` (backend, rtol,
        k_at, ...). ``maxiter`` (``[solver] maxiter``): the iteration limit of every
        iterative solve (reached: :class:`~fea.errors.IterationLimitError`); the shared
        PCG on the reference's factorisation stops at the smaller of it and
        :data:`SHARED_PCG_MAXITER`, and a condition not converged there is solved on its
        own (a fallback, not an error).
    """
    if junction not in mesh.regions:
        raise InputError("junction", junction, f"a region: {', '.join(mesh.regions)}")
    if statistic not in ("max", "mean"):
        raise InputError("statistic", statistic, "max or mean")
    flux = dict(flux or {})
    P = float(sum(float(v) for v in sources.values()))
    if flux:  # the fluxes checked and integrated as the solves will (flux.<boundary>)
        P = thermal_problem(
            mesh, materials, dict(sources), flux, contacts=options.get("contacts")
        ).power
    if not (math.isfinite(P) and P > 0):
        raise InputError(
            "sources", dict(sources), "powers [W] (with the fluxes') of a positive finite sum"
        )
    if not nodes:
        raise InputError("nodes", nodes, "at least one surface node")
    surf = []
    bnds: dict[str, tuple[str, ...]] = {}
    # a facet in two nodes would take h twice and count its heat twice, a facet inside
    # the body would be a heat sink there: the nodes are disjoint patches of the surface
    exterior = set(mesh.p1.boundary_facets().tolist()) if hasattr(mesh, "p1") else None
    owner: dict[int, str] = {}
    for name, spec in nodes.items():
        if not (isinstance(spec, tuple | list) and len(spec) == 2):
            raise InputError(f"nodes.{name}", spec, "(face class, boundary or boundaries)")
        face, b = spec
        if face not in DELPHI_FACES:
            raise InputError(f"nodes.{name}", face, f"a face class of {', '.join(DELPHI_FACES)}")
        names = (b,) if isinstance(b, str) else tuple(b)
        for x in names:
            if x not in mesh.boundaries:
                raise InputError(
                    f"nodes.{name}", x, f"a boundary: {', '.join(sorted(mesh.boundaries))}"
                )
        for x in names:
            facets = np.asarray(mesh.boundaries[x], dtype=np.int64).tolist()
            if exterior is not None and not exterior.issuperset(facets):
                raise InputError(
                    f"nodes.{name}", x, "a boundary on the body's exterior, not an interface"
                )
            taken = sorted({owner[f] for f in facets if f in owner})
            if taken:
                raise InputError(
                    f"nodes.{name}",
                    x,
                    f"a boundary sharing no facet with node {', '.join(taken)} (nodes are "
                    "disjoint patches: a facet in two would take h twice)",
                )
            owner.update(dict.fromkeys(facets, name))
        bnds[name] = names
        surf.append(SurfaceNode(name, face, sum(mesh.boundary_area(x) for x in names)))
    return DetailedModel(
        mesh,
        materials,
        dict(sources),
        junction,
        tuple(surf),
        bnds,
        statistic,
        T_ambient,
        dict(options),
        shared=bool(shared),
        flux=flux,
        power=P,
    )


# --------------------------------------------------------------------------------------
# Compact resistor networks


@dataclass(frozen=True)
class CompactNetwork:
    """A steady compact thermal model: a junction, surface nodes and resistors.

    Attributes
    ----------
    kind
        ``"2R"`` (JESD15-3) or ``"DELPHI"`` (JESD15-4).
    surfaces
        The surface nodes (each takes the h of its face class, over its area).
    links
        Resistors ``(node a, node b, R [K/W])``; node names are ``junction`` and the
        surface node names.
    junction
        Name of the junction node.
    """

    kind: str
    surfaces: tuple[SurfaceNode, ...]
    links: tuple[tuple[str, str, float], ...]
    junction: str = "junction"

    @property
    def node_names(self) -> tuple[str, ...]:
        """Junction first, then the surface nodes."""
        return (self.junction, *(s.name for s in self.surfaces))

    def resistance(self, a: str, b: str) -> float:
        """Resistance [K/W] of the link between two nodes (``inf`` when there is none)."""
        for x, y, R in self.links:
            if {x, y} == {a, b}:
                return R
        return math.inf

    def response(self, bc: Mapping[str, float]) -> Response:
        """Junction rise per watt and surface heat shares under one boundary condition
        (face class -> h [W/(m^2 K)], ``inf`` isothermal, absent adiabatic). Face classes
        the network has no node for (the sides of a 2R model) take no heat."""
        return self._response(_conditions([bc], DELPHI_FACES)[0], "condition")

    def _response(self, b: Mapping[str, float], key: str) -> Response:
        """:meth:`response` of a checked condition ``b``; ``key`` names it in errors."""
        names = self.node_names
        g = np.array([1.0 / R for _, _, R in self.links])
        ij = np.array([(names.index(x), names.index(y)) for x, y, _ in self.links], dtype=int)
        G_ext = np.array([0.0] + [b[s.face] * s.area_m2 for s in self.surfaces])
        if not np.any(G_ext > 0):
            faces = sorted({s.face for s in self.surfaces})
            given = {f: h for f, h in b.items() if h}
            raise InputError(
                key, given, f"h > 0 on a face class of the network: {', '.join(faces)}"
            )
        T, q = _network_solve(len(names), ij, g, G_ext)
        return Response(float(T[0]), {s.name: float(q[k + 1]) for k, s in enumerate(self.surfaces)})


def _network_solve(
    n: int, ij: NDArray[np.int64], g: NDArray[np.float64], G_ext: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Node temperature rises (n,) [K] and heat leaving each node (n,) [W] for 1 W into
    node 0; ``G_ext`` (n,) [W/K] to ambient, ``inf`` for a node held at ambient."""
    L = np.zeros((n, n))
    np.add.at(L, (ij[:, 0], ij[:, 0]), g)
    np.add.at(L, (ij[:, 1], ij[:, 1]), g)
    np.add.at(L, (ij[:, 0], ij[:, 1]), -g)
    np.add.at(L, (ij[:, 1], ij[:, 0]), -g)
    fixed = np.isinf(G_ext)
    free = ~fixed
    A = L[np.ix_(free, free)] + np.diag(G_ext[free])
    f = np.zeros(n)
    f[0] = 1.0
    T = np.zeros(n)
    try:
        T[free] = np.linalg.solve(A, f[free])
    except np.linalg.LinAlgError:
        raise SolverError("the compact network has no path to ambient") from None
    q = np.where(fixed, 0.0, np.where(free, G_ext, 0.0) * T)
    q[fixed] = -(L[fixed] @ T)  # the reaction: heat the held node takes out
    return T, q


def predict(network: CompactNetwork, conditions: Sequence[Mapping[str, float]]) -> list[Response]:
    """:meth:`CompactNetwork.response` for several boundary conditions (a
    :data:`DetailedSolver` of the compact model)."""
    bcs = _conditions(conditions, DELPHI_FACES)
    return [network._response(b, f"conditions[{i}]") for i, b in enumerate(bcs)]


class BCError(NamedTuple):
    """Errors of a compact model against the detailed model under one condition.

    Attributes
    ----------
    condition
        Face class -> h [W/(m^2 K)].
    junction
        Relative error of the junction temperature rise, (CTM - detailed) / detailed.
    heat
        Surface node -> heat-flow error, (CTM - detailed) / max(|detailed|, 0.1 P): a
        node's relative error, measured against 10 % of the power where it carries less.
    fitted
        Whether the condition was in the training set.
    """

    condition: dict[str, float]
    junction: float
    heat: dict[str, float]
    fitted: bool

    @property
    def heat_max(self) -> float:
        """Largest |heat-flow error| over the surface nodes."""
        return max((abs(v) for v in self.heat.values()), default=0.0)


#: Heat flows below this share of the power are measured against it (see :class:`BCError`).
HEAT_FLOOR = 0.1


def _errors(
    ctm: Sequence[Response],
    det: Sequence[Response],
    bcs: Sequence[Mapping[str, float]],
    fitted: Sequence[bool],
    nodes: Sequence[str],
) -> list[BCError]:
    out = []
    for c, d, bc, fit in zip(ctm, det, bcs, fitted, strict=True):
        ej = (c.junction_K_per_W - d.junction_K_per_W) / d.junction_K_per_W
        eq = {n: (c.heat.get(n, 0.0) - d.heat[n]) / max(abs(d.heat[n]), HEAT_FLOOR) for n in nodes}
        out.append(BCError(dict(bc), float(ej), eq, bool(fit)))
    return out


def two_resistor_model(
    solve: DetailedSolver,
    nodes: Sequence[SurfaceNode],
    *,
    top: str = "top",
    board: str | None = None,
) -> CompactNetwork:
    """The JESD15-3 two-resistor model from its two JEDEC boundary conditions.

    ``theta_JC`` (junction to case top): the ``top`` face class isothermal at ambient,
    every other face adiabatic; ``theta_JB`` (junction to board): the ``board`` face
    class isothermal (the JESD51-8 ring cold plate idealised as an isothermal board),
    every other face adiabatic. Both are the junction rise per watt of those two solves.
    The board is where the package meets it: the terminals (``leads``: balls, pads,
    leads) where the nodes have them, else the underside (``bottom``). Holding the
    underside of a ball grid instead short-circuits the balls, which no board does
    (``studies/ctm.toml``: 5.67 K/W with the underside held, 14.0 through the balls).

    Parameters
    ----------
    solve
        The detailed model (:data:`DetailedSolver`).
    nodes
        Its surface nodes (the 2R model's case node has the area of the ``top`` nodes,
        its board node that of the ``board`` nodes; the other faces are adiabatic in the
        2R model).
    top, board
        Face classes of the case top and of the board side (default: ``"leads"`` when a
        node has that face class, else ``"bottom"``).

    Returns
    -------
    CompactNetwork of kind ``"2R"``: nodes ``junction``, ``case`` (face ``top``),
    ``board`` (face ``board``); links ``(junction, case, theta_JC)``,
    ``(junction, board, theta_JB)``.
    """
    faces = {n.face for n in nodes}
    if board is None:
        board = "leads" if "leads" in faces else "bottom"
    for key, f in (("top", top), ("board", board)):
        if f not in faces:
            raise InputError(key, f, f"a face class of the nodes: {', '.join(sorted(faces))}")
    if top == board:
        raise InputError("board", board, "a face class other than top")
    jc, jb = solve([{top: math.inf}, {board: math.inf}])
    area_top = sum(n.area_m2 for n in nodes if n.face == top)
    area_board = sum(n.area_m2 for n in nodes if n.face == board)
    return CompactNetwork(
        "2R",
        (SurfaceNode("case", top, area_top), SurfaceNode("board", board, area_board)),
        (("junction", "case", jc.junction_K_per_W), ("junction", "board", jb.junction_K_per_W)),
    )


@dataclass(frozen=True)
class DelphiFit:
    """Result of :func:`fit_delphi`.

    Attributes
    ----------
    network
        The fitted DELPHI network (links below ``prune`` of the largest conductance
        dropped).
    errors
        One :class:`BCError` per boundary condition, training and held-out.
    detailed
        The detailed model's responses, one per condition.
    cost
        Final least-squares cost (half the sum of squared weighted residuals).
    evaluations
        Objective evaluations of the optimiser.
    """

    network: CompactNetwork
    errors: tuple[BCError, ...]
    detailed: tuple[Response, ...]
    cost: float
    evaluations: int

    def max_junction_error(self, *, fitted: bool | None = None) -> float:
        """Largest |junction error| (over the training set, the held-out set, or all)."""
        e = [abs(x.junction) for x in self.errors if fitted is None or x.fitted == fitted]
        return max(e, default=0.0)

    def max_heat_error(self, *, fitted: bool | None = None) -> float:
        """Largest heat-flow error (over the training set, the held-out set, or all)."""
        e = [x.heat_max for x in self.errors if fitted is None or x.fitted == fitted]
        return max(e, default=0.0)

    def within_targets(self) -> bool:
        """Every condition within :data:`TARGET_JUNCTION` and :data:`TARGET_HEAT_FLOW`."""
        return (
            self.max_junction_error() <= TARGET_JUNCTION
            and self.max_heat_error() <= TARGET_HEAT_FLOW
        )


def delphi_links(nodes: Sequence[SurfaceNode]) -> list[tuple[str, str]]:
    """The DELPHI topology: the junction linked to every surface node, and every pair of
    surface nodes linked (shunts); the fit sends the links it does not need to zero."""
    names = [n.name for n in nodes]
    pairs = [("junction", a) for a in names]
    pairs += [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    return pairs


def _delphi_inputs(
    nodes: Sequence[SurfaceNode],
    conditions: Sequence[Mapping[str, float]] | None,
    fit: Sequence[bool] | None,
    links: Sequence[tuple[str, str]] | None,
    heat_weight: float,
    minimax: int,
    starts: int,
) -> tuple[tuple[SurfaceNode, ...], list, list[bool], list]:
    """:func:`fit_delphi`'s inputs checked: ``(nodes, conditions, fit flags, links)``."""
    nodes = tuple(nodes)
    if not nodes:
        raise InputError("nodes", nodes, "at least one surface node")
    names = [n.name for n in nodes]
    if len(set(names)) != len(names) or "junction" in names:
        raise InputError("nodes", names, "distinct names other than 'junction'")
    for n in nodes:
        if n.face not in DELPHI_FACES or not (math.isfinite(n.area_m2) and n.area_m2 > 0):
            raise InputError(
                f"nodes.{n.name}", n, f"a face class of {', '.join(DELPHI_FACES)}, area > 0 [m^2]"
            )
    faces = tuple(f for f in DELPHI_FACES if f in {n.face for n in nodes})
    bcs = delphi_boundary_conditions(faces) if conditions is None else list(conditions)
    bcs = _conditions(bcs, faces)
    flags = [True] * len(bcs) if fit is None else [bool(x) for x in fit]
    if len(flags) != len(bcs) or not any(flags):
        raise InputError("fit", fit, f"{len(bcs)} flags, at least one True")
    if not (math.isfinite(heat_weight) and heat_weight >= 0):
        raise InputError("heat_weight", heat_weight, "a weight >= 0")
    if not (isinstance(minimax, int) and 0 <= minimax <= 50):
        raise InputError("minimax", minimax, "an integer from 0 to 50")
    if not (isinstance(starts, int) and 1 <= starts <= 10):
        raise InputError("starts", starts, "an integer from 1 to 10")
    pairs = delphi_links(nodes) if links is None else [tuple(p) for p in links]
    all_names = ["junction", *names]
    for p in pairs:
        if len(p) != 2 or p[0] == p[1] or any(x not in all_names for x in p):
            raise InputError("links", p, f"pairs of distinct nodes from {', '.join(all_names)}")
    return nodes, bcs, flags, pairs


def _detailed(
    solve: DetailedSolver, bcs: Sequence[Mapping[str, float]], names: Sequence[str]
) -> list:
    """The detailed model's responses under ``bcs``, checked (one per condition, a
    finite positive junction rise, a finite heat for every node)."""
    det = list(solve(bcs))
    if len(det) != len(bcs):
        raise SolverError(f"the detailed solver returned {len(det)} responses for {len(bcs)}")
    for i, d in enumerate(det):
        if not (math.isfinite(d.junction_K_per_W) and d.junction_K_per_W > 0):
            raise SolverError(f"condition {i}: junction rise {d.junction_K_per_W} K/W")
        missing = set(names) - set(d.heat)
        if missing:
            raise SolverError(f"the detailed solver gave no heat for {sorted(missing)}")
        bad = {n: d.heat[n] for n in names if not math.isfinite(d.heat[n])}
        if bad:
            raise SolverError(f"condition {i}: the detailed solver's heat shares {bad}")
    return det


def _least_squares_minimax(
    residual: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    guesses: Sequence[NDArray[np.float64]],
    log_g0: float,
    minimax: int,
) -> tuple[Any, int]:
    """Bounded least squares from each guess (the best kept), then up to ``minimax``
    passes of Lawson's reweighting; returns SciPy's result (``fun`` the unweighted
    residual) and the number of residual evaluations."""
    lo, hi = log_g0 - 30.0, log_g0 + 12.0
    opts = dict(bounds=(lo, hi), method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
    best = None
    nfev = 0
    for x0 in guesses:
        sol = least_squares(residual, np.clip(x0, lo + 1, hi - 1), **opts)
        nfev += sol.nfev
        if best is None or sol.cost < best.cost:
            best = sol
    assert best is not None
    # Lawson's iteration towards the minimax solution: each pass reweights every residual
    # by its size in the last one, so the largest errors are pressed down.
    v = np.ones_like(best.fun)
    worst = float(np.abs(best.fun).max())
    for _ in range(minimax):
        v = v * np.abs(best.fun)
        v = v / v.mean()
        sv = np.sqrt(v)
        sol = least_squares(lambda x, sv=sv: sv * residual(x), best.x, **opts)
        nfev += sol.nfev
        r = residual(sol.x)
        if float(np.abs(r).max()) < worst:
            worst = float(np.abs(r).max())
            best = sol
            best.fun = r
        else:
            break
    assert best is not None
    return best, nfev


def fit_delphi(
    solve: DetailedSolver,
    nodes: Sequence[SurfaceNode],
    conditions: Sequence[Mapping[str, float]] | None = None,
    *,
    fit: Sequence[bool] | None = None,
    links: Sequence[tuple[str, str]] | None = None,
    heat_weight: float = TARGET_JUNCTION / TARGET_HEAT_FLOW,
    prune: float = 1e-6,
    starts: int = 3,
    minimax: int = 5,
) -> DelphiFit:
    """Fit a DELPHI boundary-condition-independent network (JESD15-4).

    The detailed model is solved under every condition; the link conductances
    :math:`g = e^x` are found by :func:`scipy.optimize.least_squares` (trust-region
    reflective, bounded ``x``) minimising over the training conditions

    .. math:: \\sum_b \\Bigl(\\frac{\\theta_b^{CTM} - \\theta_b}{\\theta_b}\\Bigr)^2
              + w^2 \\sum_b\\sum_s \\Bigl(\\frac{q^{CTM}_{bs} - q_{bs}}
              {\\max(|q_{bs}|, 0.1)}\\Bigr)^2

    (junction rise per watt :math:`\\theta`, heat share :math:`q` of surface node s,
    :math:`w` = ``heat_weight``), from ``starts`` initial guesses; the best is kept.

    Parameters
    ----------
    solve
        The detailed model (:data:`DetailedSolver`).
    nodes
        Surface nodes of the compact model (face classes and areas; the detailed model
        reports its heat per node under the same names).
    conditions
        Boundary conditions (face class -> h); default the :data:`DELPHI_38` set for the
        face classes of ``nodes``.
    fit
        One flag per condition: True to train on it, False to hold it out (its errors
        are reported, it does not enter the objective). Default: all trained.
    links
        Node pairs to link (default :func:`delphi_links`).
    heat_weight
        Weight of the heat-flow residuals relative to the junction ones, >= 0; the
        default, the ratio of the targets (5 % / 10 %), makes every residual a fraction
        of its target.
    prune
        Links whose conductance is below ``prune`` times the largest are dropped.
    starts
        Number of initial guesses (uniform star, star plus shunts, 2R-like).
    minimax
        Passes of Lawson's reweighting after the least-squares fit (each weights every
        residual by its size in the last pass; kept while the largest residual falls):
        towards the solution with the smallest largest error, the criterion the
        targets are stated in.

    Returns
    -------
    DelphiFit
    """
    nodes, bcs, flags, pairs = _delphi_inputs(
        nodes, conditions, fit, links, heat_weight, minimax, starts
    )
    names = [n.name for n in nodes]
    all_names = ["junction", *names]
    det = _detailed(solve, bcs, names)

    ij = np.array([(all_names.index(a), all_names.index(b)) for a, b in pairs], dtype=int)
    G_ext = [np.array([0.0] + [bc[n.face] * n.area_m2 for n in nodes]) for bc in bcs]
    train = [k for k, f in enumerate(flags) if f]
    theta = np.array([det[k].junction_K_per_W for k in train])
    q_det = np.array([[det[k].heat[n] for n in names] for k in train])
    q_scale = np.maximum(np.abs(q_det), HEAT_FLOOR)

    def residual(x: NDArray[np.float64]) -> NDArray[np.float64]:
        g = np.exp(x)
        r_j = np.empty(len(train))
        r_q = np.empty((len(train), len(names)))
        for m, k in enumerate(train):
            T, q = _network_solve(len(all_names), ij, g, G_ext[k])
            r_j[m] = (T[0] - theta[m]) / theta[m]
            r_q[m] = (q[1:] - q_det[m]) / q_scale[m]
        return np.concatenate([r_j, heat_weight * r_q.ravel()])

    # scale: the conductance of the whole body when every face is held at ambient
    g0 = 1.0 / min(d.junction_K_per_W for d in det)
    star = np.array([a == "junction" for a, _ in pairs])
    guesses = [
        np.where(star, np.log(g0 / len(names)), np.log(g0 / len(names)) - 2.0),
        np.where(star, np.log(g0 / len(names)), np.log(g0)),
        np.where(star, np.log(g0 / len(names)) + 1.0, np.log(g0) - 6.0),
    ][:starts]
    best, nfev = _least_squares_minimax(residual, guesses, math.log(g0), minimax)
    g = np.exp(best.x)
    keep = g >= prune * g.max()
    net = CompactNetwork(
        "DELPHI",
        nodes,
        tuple((a, b, float(1.0 / gk)) for (a, b), gk, k in zip(pairs, g, keep, strict=True) if k),
    )
    ctm = predict(net, bcs)
    errors = _errors(ctm, det, bcs, flags, names)
    return DelphiFit(net, tuple(errors), tuple(det), float(best.cost), nfev)


def compare(
    network: CompactNetwork,
    solve: DetailedSolver,
    conditions: Sequence[Mapping[str, float]],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> list[BCError]:
    """Errors of a compact network against a detailed model under ``conditions`` (none
    of them trained on).

    Parameters
    ----------
    groups
        Network surface node -> the detailed model's surface nodes whose heat it
        carries (e.g. the 2R ``case`` node -> ``top_inner``, ``top_outer``); default
        each network node stands for the detailed node of the same name.
    """
    return response_errors(network, solve(conditions), conditions, groups)


def response_errors(
    network: CompactNetwork,
    detailed: Sequence[Response],
    conditions: Sequence[Mapping[str, float]],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> list[BCError]:
    """:func:`compare` on the detailed model's responses ``detailed`` to ``conditions``,
    already solved (e.g. a :class:`DelphiFit`'s ``detailed``: the 2R model's errors on
    the DELPHI set without solving it again). Every error is marked not fitted."""
    names = [s.name for s in network.surfaces]
    groups = {n: [n] for n in names} if groups is None else {k: list(v) for k, v in groups.items()}
    if set(groups) != set(names):
        raise InputError("groups", sorted(groups), f"one entry per network node: {names}")
    det = [
        Response(d.junction_K_per_W, {n: sum(d.heat[m] for m in groups[n]) for n in names})
        for d in detailed
    ]
    ctm = predict(network, conditions)
    return _errors(ctm, det, conditions, [False] * len(det), names)


# --------------------------------------------------------------------------------------
# Heating-curve networks: SPICE and CSV


def heating_curve_networks(
    times_s: ArrayLike, zth_K_per_W: ArrayLike, **options: Any
) -> tuple[FosterNetwork, CauerNetwork]:
    """The Foster and Cauer networks of a heating curve (network identification by
    deconvolution, :func:`~fea.physics.structure.structure_function`; ``options`` go
    to it)."""
    sf = structure_function(times_s, zth_K_per_W, **options)
    return sf.foster, sf.cauer


def _fmt(x: float) -> str:
    return repr(float(x))


def _spice_name(name: str, key: str = "name") -> str:
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not s or not s[0].isalpha():
        raise InputError(key, name, "a name starting with a letter")
    return s.upper()


def spice_pins(names: Sequence[str], *, key: str = "network.surfaces") -> dict[str, str]:
    """The SPICE pin of each surface node of a compact network: its name upper-cased,
    characters other than letters, digits and ``_`` as ``_`` (SPICE node names are
    case-insensitive).

    Two nodes on one pin, a node on the junction's pin ``J``, or a node whose pin is
    ``GND`` (ngspice and LTspice read ``gnd`` as the ground node 0 inside a subcircuit
    too: the node would be held at ambient whatever the system model connects to it)
    would short them in the netlist without a word: such names are an
    :class:`~fea.errors.InputError` naming ``key.<node>``.

    Returns
    -------
    dict node name -> pin.
    """
    pins: dict[str, str] = {}
    for n in names:
        pin = _spice_name(str(n), f"{key}.{n}")
        if pin == "J":
            raise InputError(
                f"{key}.{n}", n, "a node name whose SPICE pin is not J (the junction's pin)"
            )
        if pin == "GND":
            raise InputError(
                f"{key}.{n}",
                n,
                "a node name whose SPICE pin is not GND (SPICE reads gnd as the ground node "
                "0, the ambient: the node would be shorted to it)",
            )
        other = next((m for m, q in pins.items() if q == pin), None)
        if other is not None:
            raise InputError(
                f"{key}.{n}",
                n,
                f"a node name whose SPICE pin differs from {other!r}'s ({pin}; SPICE node "
                "names ignore case, other characters than letters, digits and _ become _)",
            )
        pins[str(n)] = pin
    return pins


def spice_netlist(
    network: FosterNetwork | CauerNetwork | CompactNetwork,
    *,
    name: str = "ZTH",
    bench: bool | str = False,
    power_W: float = 1.0,
    t_end_s: float | None = None,
    title: str = "",
) -> str:
    """A SPICE subcircuit of a thermal network (temperature rise as voltage, power as
    current, R [K/W] as ohms, C [J/K] as farads).

    Foster: ``.SUBCKT NAME J AMB``; cell k is ``Rk`` and ``Ck`` in parallel between
    node ``Nk-1`` (``N0`` = ``J``) and ``Nk``, the last cell ending at ``AMB``.
    Cauer: ``.SUBCKT NAME J AMB``; ``Rk`` from node ``Nk`` (``N1`` = ``J``) to ``Nk+1``,
    the last to ``AMB``, and ``Ck`` from ``Nk`` to ``AMB`` (thermal ground).
    Compact (2R, DELPHI): ``.SUBCKT NAME J <surface nodes>``, one resistor per link; a
    system model connects the surface pins to its own nodes. The pins are
    :func:`spice_pins` (names sharing a pin, or taking ``J``, are refused).

    Parameters
    ----------
    network
        The network.
    name
        Subcircuit name (letters, digits, underscores; upper-cased).
    bench
        Also write a test bench: the subcircuit with ``AMB`` (compact: every surface
        pin) at ground, a current source stepping to ``power_W`` at t = 0 into ``J``,
        and a ``.TRAN`` to ``t_end_s`` (default 5 times the largest time constant) or
        an ``.OP`` for a compact network, ending the file with ``.END``. ``"comment"``:
        the same bench as comment lines, so that the file can be ``.include``-d as a
        library (two included benches would collide, and one would inject its power
        into the system's node ``J``).
    power_W
        Power of the bench's source [W].
    title
        First (title) line; default a description.

    Returns
    -------
    The netlist text (values in plain exponent notation: no SPICE scale suffixes, so
    ``M`` cannot be misread as milli).
    """
    sub = _spice_name(name)
    P = float(power_W)
    if not (math.isfinite(P) and P > 0):
        raise InputError("power_W", power_W, "a power > 0 [W]")
    lines: list[str] = []
    if isinstance(network, FosterNetwork):
        R = np.asarray(network.R, float)
        tau = np.asarray(network.tau, float)
        C = tau / R
        lines.append(title or f"* Foster network ({R.size} cells), R [K/W], C [J/K]")
        lines.append(f".SUBCKT {sub} J AMB")
        for k in range(R.size):
            a = "J" if k == 0 else f"N{k}"
            b = "AMB" if k == R.size - 1 else f"N{k + 1}"
            lines.append(f"R{k + 1} {a} {b} {_fmt(R[k])}")
            lines.append(f"C{k + 1} {a} {b} {_fmt(C[k])}")
        lines.append(f".ENDS {sub}")
        tmax = float(tau.max())
        pins = ["J", "0"]
    elif isinstance(network, CauerNetwork):
        R = np.asarray(network.R, float)
        C = np.asarray(network.C, float)
        lines.append(title or f"* Cauer ladder ({R.size} stages), R [K/W], C [J/K]")
        lines.append(f".SUBCKT {sub} J AMB")
        for k in range(R.size):
            a = "J" if k == 0 else f"N{k + 1}"
            b = "AMB" if k == R.size - 1 else f"N{k + 2}"
            lines.append(f"C{k + 1} {a} AMB {_fmt(C[k])}")
            lines.append(f"R{k + 1} {a} {b} {_fmt(R[k])}")
        lines.append(f".ENDS {sub}")
        tmax = float(np.max(np.cumsum(R[::-1])[::-1] * np.cumsum(C)))
        pins = ["J", "0"]
    elif isinstance(network, CompactNetwork):
        pin = {network.junction: "J", **spice_pins([s.name for s in network.surfaces])}
        lines.append(
            title
            or f"* {network.kind} compact thermal model, R [K/W]; surface pins with "
            "face class and area [m^2]:"
        )
        if not title:
            lines += [f"*   {pin[s.name]}: {s.face} {_fmt(s.area_m2)}" for s in network.surfaces]
        lines.append(f".SUBCKT {sub} J " + " ".join(pin[s.name] for s in network.surfaces))
        for k, (a, b, R) in enumerate(network.links):
            lines.append(f"R{k + 1} {pin[a]} {pin[b]} {_fmt(R)}")
        lines.append(f".ENDS {sub}")
        tmax = 0.0
        pins = ["J"] + ["0"] * len(network.surfaces)
    else:
        raise InputError(
            "network", type(network).__name__, "a FosterNetwork, CauerNetwork or CompactNetwork"
        )
    if bench not in (False, True, "comment"):
        raise InputError("bench", bench, "False, True or 'comment'")
    start = len(lines)
    if bench:
        lines.append("* test bench: ambient at ground (node voltages are rises over ambient)")
        lines.append(f"XDUT {' '.join(pins)} {sub}")
        if tmax > 0:
            t_end = 5.0 * tmax if t_end_s is None else float(t_end_s)
            lines.append(f"IP 0 J PWL(0 0 1e-12 {_fmt(P)})")
            lines.append(f".TRAN {_fmt(t_end / 1000)} {_fmt(t_end)}")
        else:
            lines.append(f"IP 0 J DC {_fmt(P)}")
            lines.append(".OP")
    lines.append(".END" if bench else "")
    if bench == "comment":  # the file stays a library: .include adds only the subcircuit
        lines[start] = (
            "* test bench, commented out so that the file can be .included (two packages' "
            "benches would collide, and one would drive its own 1 W into the system's J); "
            "uncomment to run it alone: ambient at ground (node voltages are rises over "
            "ambient)"
        )
        lines[start + 1 :] = [f"* {x}" if x else x for x in lines[start + 1 :]]
    return "\n".join(lines).rstrip("\n") + "\n"


def network_csv(network: FosterNetwork | CauerNetwork) -> str:
    """CSV of a heating-curve network: ``stage,R_K_per_W,C_J_per_K,tau_s`` (Foster:
    ``tau_s`` the cell time constant, ``C_J_per_K = tau / R``; Cauer: ``tau_s`` empty,
    the ladder's stages have no time constant of their own)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["stage", "R_K_per_W", "C_J_per_K", "tau_s"])
    if isinstance(network, FosterNetwork):
        for k, (R, tau) in enumerate(zip(network.R, network.tau, strict=True)):
            w.writerow([k + 1, _fmt(R), _fmt(tau / R), _fmt(tau)])
    elif isinstance(network, CauerNetwork):
        for k, (R, C) in enumerate(zip(network.R, network.C, strict=True)):
            w.writerow([k + 1, _fmt(R), _fmt(C), ""])
    else:
        raise InputError("network", type(network).__name__, "a FosterNetwork or CauerNetwork")
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# ECXML (JEP181)

_ECXML_VERSION = "1.0"

#: Characters XML 1.0 cannot carry (control characters other than tab, newline, return;
#: surrogates; U+FFFE, U+FFFF): a document holding one is not well-formed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_num(x: float) -> str:
    """A number as an XML Schema ``xs:double``: full precision (``repr``), infinity as
    ``INF`` and NaN as ``NaN`` (``inf`` / ``nan`` are no ``xs:double``)."""
    v = float(x)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "INF" if v > 0 else "-INF"
    return repr(v)


def _xml_text(key: str, text: Any) -> str:
    """``text`` as an XML attribute value, or an :class:`~fea.errors.InputError` where it
    holds a character XML 1.0 cannot carry (``<``, ``&`` and quotes are escaped)."""
    s = str(text)
    bad = _XML_ILLEGAL.search(s)
    if bad is not None:
        raise InputError(
            key,
            s,
            f"text without control characters (found U+{ord(bad.group()):04X}: XML 1.0 "
            "cannot carry it)",
        )
    return s


def write_ecxml(
    models: Mapping[str, CompactNetwork | FosterNetwork | CauerNetwork],
    *,
    package: str = "package",
    errors: Mapping[str, Sequence[BCError]] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """Compact models as ECXML-style XML (JEP181 structure as far as it carries them).

    One ``<ComponentThermalModel>`` per model under one ``<Package>``: a steady network
    (2R, DELPHI) as ``<CompactThermalModel type=...>`` with ``<Node>`` elements (the
    junction, and surface nodes with face class and area) and ``<Resistor>`` elements;
    a heating-curve network as ``<DynamicCompactThermalModel type="Foster|Cauer">``
    with ``<Stage>`` elements. Optional per-condition errors go in ``<Validation>``
    (``junctionError``, ``heatFlowErrorMax`` as fractions, ``errorUnit="fraction"``:
    0.05 is 5 %). Numbers are ``xs:double`` with full precision (``repr``; an isothermal
    face's h is ``INF``), in SI with the unit named. Names holding a character XML 1.0
    cannot carry (a control character) are an :class:`~fea.errors.InputError`.
    ``descriptions`` (model name -> text) become the ``description`` attribute of a
    model's ``<ComponentThermalModel>`` (what it is the model of: the package alone, or a
    heating curve in its environment).

    Returns
    -------
    The XML document (UTF-8 declaration included).
    """
    root = ET.Element("ECXML", {"version": _ECXML_VERSION, "guideline": "JEDEC JEP181"})
    pkg = ET.SubElement(root, "Package", {"name": _xml_text("package", package)})
    for name, m in models.items():
        key = f"models.{name}"
        comp = ET.SubElement(pkg, "ComponentThermalModel", {"name": _xml_text("models", name)})
        if (descriptions or {}).get(name):
            comp.set("description", _xml_text(f"descriptions.{name}", descriptions[name]))
        if isinstance(m, CompactNetwork):
            std = {"2R": "JESD15-3", "DELPHI": "JESD15-4"}.get(m.kind, "")
            el = ET.SubElement(comp, "CompactThermalModel", {"type": m.kind, "standard": std})
            nodes = ET.SubElement(el, "Nodes")
            junction = _xml_text(f"{key}.junction", m.junction)
            ET.SubElement(nodes, "Node", {"name": junction, "type": "junction"})
            for s in m.surfaces:
                ET.SubElement(
                    nodes,
                    "Node",
                    {
                        "name": _xml_text(f"{key}.surfaces", s.name),
                        "type": "surface",
                        "face": _xml_text(f"{key}.surfaces.{s.name}.face", s.face),
                        "area": _xml_num(s.area_m2),
                        "areaUnit": "m2",
                    },
                )
            res = ET.SubElement(el, "Resistors")
            for k, (a, b, R) in enumerate(m.links):
                ET.SubElement(
                    res,
                    "Resistor",
                    {
                        "name": f"R{k + 1}",
                        "node1": _xml_text(f"{key}.links", a),
                        "node2": _xml_text(f"{key}.links", b),
                        "value": _xml_num(R),
                        "unit": "K/W",
                    },
                )
            for e in (errors or {}).get(name, ()):
                val = comp.find("Validation")
                if val is None:
                    val = ET.SubElement(comp, "Validation")
                bc = ET.SubElement(
                    val,
                    "BoundaryCondition",
                    {
                        "fitted": str(e.fitted).lower(),
                        "junctionError": _xml_num(e.junction),
                        "heatFlowErrorMax": _xml_num(e.heat_max),
                        "errorUnit": "fraction",
                    },
                )
                for f, h in e.condition.items():
                    ET.SubElement(
                        bc,
                        "HeatTransferCoefficient",
                        {
                            "face": _xml_text(f"errors.{name}.condition", f),
                            "value": _xml_num(h),
                            "unit": "W/(m2.K)",
                        },
                    )
        elif isinstance(m, FosterNetwork | CauerNetwork):
            kind = "Foster" if isinstance(m, FosterNetwork) else "Cauer"
            el = ET.SubElement(comp, "DynamicCompactThermalModel", {"type": kind})
            C = m.C
            for k in range(len(m.R)):
                ET.SubElement(
                    el,
                    "Stage",
                    {
                        "index": str(k + 1),
                        "R": _xml_num(m.R[k]),
                        "C": _xml_num(C[k]),
                        "RUnit": "K/W",
                        "CUnit": "J/K",
                    },
                )
        else:
            raise InputError(
                f"models.{name}", type(m).__name__, "a compact or Foster/Cauer network"
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _ecxml_num(el: ET.Element, attr: str, where: str, unit: tuple[str, str] | None = None) -> float:
    """The number in attribute ``attr`` of ``el`` (``where`` names it in errors), its
    unit attribute checked where ``unit`` = (attribute, the unit written) is given."""
    v = el.get(attr)
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"ecxml {where}.{attr}", v, "a number (xs:double)") from None
    if unit is not None and el.get(unit[0]) != unit[1]:
        raise InputError(f"ecxml {where}.{unit[0]}", el.get(unit[0]), unit[1])
    return x


def read_ecxml(text: str) -> dict[str, CompactNetwork | FosterNetwork | CauerNetwork]:
    """The models of a document written by :func:`write_ecxml` (name -> network).

    A number missing or unreadable, or a unit other than the one :func:`write_ecxml`
    writes (m2, K/W, J/K), is an :class:`~fea.errors.InputError` naming the element."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError("ecxml", str(exc), "a well-formed ECXML document") from None
    out: dict[str, CompactNetwork | FosterNetwork | CauerNetwork] = {}
    for comp in root.iter("ComponentThermalModel"):
        name = comp.get("name", "")
        el = comp.find("CompactThermalModel")
        if el is not None:
            junction = "junction"
            surfaces = []
            for n in el.iter("Node"):
                if n.get("type") == "junction":
                    junction = n.get("name", "junction")
                else:
                    where = f"{name}.Node {n.get('name', '')}"
                    area = _ecxml_num(n, "area", where, ("areaUnit", "m2"))
                    surfaces.append(SurfaceNode(n.get("name", ""), n.get("face", ""), area))
            links = tuple(
                (
                    r.get("node1", ""),
                    r.get("node2", ""),
                    _ecxml_num(r, "value", f"{name}.Resistor {r.get('name', '')}", ("unit", "K/W")),
                )
                for r in el.iter("Resistor")
            )
            out[name] = CompactNetwork(el.get("type", ""), tuple(surfaces), links, junction)
            continue
        el = comp.find("DynamicCompactThermalModel")
        if el is None:
            continue
        st = sorted(el.iter("Stage"), key=lambda s: int(s.get("index", "0")))
        R = np.array(
            [_ecxml_num(s, "R", f"{name}.Stage {s.get('index')}", ("RUnit", "K/W")) for s in st]
        )
        C = np.array(
            [_ecxml_num(s, "C", f"{name}.Stage {s.get('index')}", ("CUnit", "J/K")) for s in st]
        )
        out[name] = FosterNetwork(R, R * C) if el.get("type") == "Foster" else CauerNetwork(R, C)
    return out
