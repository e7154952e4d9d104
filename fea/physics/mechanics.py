"""Linear thermoelasticity: displacement, stress, warpage.

.. math:: -\\nabla\\cdot\\sigma = 0,\\quad
          \\sigma = \\lambda\\,\\mathrm{tr}(\\varepsilon - \\varepsilon_0 I) I
                    + 2\\mu(\\varepsilon - \\varepsilon_0 I) + \\sigma_h

with the isotropic eigenstrain ``eps0`` of :mod:`fea.physics.eigenstrain` (thermal
expansion from each region's stress-free temperature, cure shrinkage), ``E(T)`` per
element at the element's mean temperature, and ``sigma_h`` a stress independent of the
new strain (zero here; a viscoelastic step's history stress in
:mod:`fea.physics.history`). Lengths m, stresses Pa, temperatures degC.

With no Dirichlet condition the body is free: a statically determinate 3-2-1
support (six constraints on three nodes) removes the rigid-body modes without
adding stress -- its reactions vanish for the self-equilibrated thermal load and
are reported -- and the rigid-body part is then projected out of the displacement.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..fe import forms
from ..fe.constraints import (
    boundary_normal,
    connected_parts,
    frame_product,
    free_body_constraints,
    inclined_frames,
    remove_rigid_part,
    rigid_body_modes,
)
from ..fe.namespace import HOST
from ..fe.probes import interpolate
from ..fe.spaces import FieldSpace, check_mesh, space
from ..solvers import assembly_namespace, eliminate, solve
from ..solvers.recycle import SolverCache
from ..validate import MAX_TEMPERATURE_C, check_rtol
from .constitutive import element_moduli, hooke, lame, principal, von_mises
from .eigenstrain import extra_eigenstrain, reference_temperatures, thermal_eigenstrain
from .materials import Material, assign
from .post import (
    Extreme,
    InterfaceStress,
    MoltenRegion,
    RecoveredStress,
    Warpage,
    YieldExceedance,
    interface_stress,
    molten_check,
    recover_stress,
    warpage,
    yield_check,
)

__all__ = [
    "Constraints",
    "InstantaneousModulusWarning",
    "MechanicalResult",
    "RELAXATION_CHECK_S",
    "Warpage",
    "check_shrinkage",
    "close_solver_cache",
    "elastic_stress",
    "nodal_temperature",
    "prescribed_displacements",
    "solve_static",
    "solve_thermoelastic",
    "solve_thermoelastic_sweep",
    "solve_thermoelastic_variants",
    "warpage_curve",
]

_COMP = {"x": 0, "y": 1, "z": 2}
Temperature = float | NDArray[np.float64] | Callable[..., Any]

#: The time [s] over which an elastic state judges whether a viscoelastic material relaxes:
#: one hour, longer than a reflow and than the cooling after moulding.
RELAXATION_CHECK_S = 3600.0


class InstantaneousModulusWarning(UserWarning):
    """A viscoelastic material in one elastic state (:func:`solve_thermoelastic`, its
    variants and sweep) takes its instantaneous (glassy) modulus, but at the state's
    temperature it relaxes by more than 10 % within :data:`RELAXATION_CHECK_S`: the state
    is stiffer than the material of any real process. :func:`fea.solve_history` solves
    the path instead."""


def _warn_instantaneous(
    mesh: Any, fs: FieldSpace, materials: Mapping[str, Material], temperatures: Sequence[Any]
) -> None:
    """Warn (:class:`InstantaneousModulusWarning`) for each region of a viscoelastic
    material whose shear relaxation function, at the hottest of its nodes over the nodal
    ``temperatures`` [degC] (shifted by its WLF or Arrhenius ``a_T``), falls under 0.9
    within :data:`RELAXATION_CHECK_S`."""
    for region, e in mesh.regions.items():
        m = materials[region]
        if not m.viscoelastic:
            continue
        nodes = np.unique(fs.dofs[e])
        T = max(float(np.max(np.asarray(t)[nodes])) for t in temperatures)
        a_T = 1.0 if m.shift is None else float(m.shift.shift(T))
        g = float(m.relaxation.relaxation(RELAXATION_CHECK_S / a_T))
        if g >= 0.9:
            continue
        E0 = float(m.E)
        warnings.warn(
            InstantaneousModulusWarning(
                f"{region} ({m.name}) is viscoelastic and this elastic state takes its "
                f"instantaneous modulus E = {E0 / 1e9:.3g} GPa at up to {T:.4g} degC, where "
                f"it relaxes to {100 * g:.3g} % of it within an hour "
                f"({m.relaxation.g_inf * E0 / 1e9:.3g} GPa in the long term): a process or "
                "a reflow is softer than this state (warpage and stresses off); solve the "
                'path with fea.solve_history (a study: [process] model = "history")'
            ),
            stacklevel=3,
        )


@dataclass
class MechanicalResult:
    """Displacement and stress of a mechanical state.

    Attributes
    ----------
    displacement
        (n_nodes, 3), m, at ``nodes``.
    stress_q
        Stress at the quadrature points of ``space``, Voigt (xx, yy, zz, yz, xz, xy),
        shape (n_el, n_q, 6), Pa.
    reactions
        Largest reaction force of the free-body supports relative to the largest
        nodal load (0 when Dirichlet conditions are given).
    temperature
        The nodal temperature the state was solved at (n_nodes,), degC, or None.
    materials
        Region -> :class:`~fea.physics.materials.Material` of the solve, or None.

    Stresses are reported three ways, and the names say which:

    - at the quadrature points (``stress_q``);
    - per element, at its centroid (``stress``, ``von_mises``, ``principal``: what
      ParaView's cell data shows; smooth only inside an element, lower than the peak a
      recovered field shows at an edge or corner);
    - recovered at the nodes per region (:attr:`recovered`, :attr:`von_mises_nodal`,
      :meth:`region_max_von_mises`, :meth:`stress_probe`; see :mod:`fea.physics.post`):
      maxima, probes, surface and interface values use these.
    """

    mesh: Any
    space: Any
    displacement: NDArray[np.float64]
    stress_q: NDArray[np.float64]
    solver_info: dict[str, Any]
    reactions: float = 0.0
    temperature: NDArray[np.float64] | None = None
    materials: dict[str, Material] | None = None
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def nodes(self) -> NDArray[np.float64]:
        """Node coordinates, shape (n, 3), m."""
        return self.space.nodes

    @property
    def stress(self) -> NDArray[np.float64]:
        """Stress per element at its centroid (mean of the quadrature-point stresses,
        exact for a linear stress), Voigt, shape (n_el, 6), Pa."""
        if "centroid" not in self.cache:
            self.cache["centroid"] = self.stress_q.mean(axis=1)
        return self.cache["centroid"]

    @property
    def von_mises(self) -> NDArray[np.float64]:
        """Von Mises stress per ELEMENT, at its centroid, Pa, shape (n_el,) (not the
        recovered nodal field: that is :attr:`von_mises_nodal`)."""
        return von_mises(self.stress)

    @property
    def von_mises_nodal(self) -> NDArray[np.float64]:
        """Von Mises stress of the recovered NODAL stresses, Pa, shape (n_nodes,) (where
        regions meet, the side with the larger value; the ``von_mises_nodal`` field)."""
        return von_mises(self.recovered.nodal())

    @property
    def principal(self) -> NDArray[np.float64]:
        """Principal stresses per element, ascending, shape (n_el, 3), Pa."""
        return principal(self.stress)

    @property
    def recovered(self) -> RecoveredStress:
        """Nodal stresses recovered per region (discontinuous across materials)."""
        if "recovered" not in self.cache:
            self.cache["recovered"] = recover_stress(self.mesh, self.space, self.stress_q)
        return self.cache["recovered"]

    def region_max_von_mises(self, region: str) -> float:
        """Largest recovered (nodal) von Mises stress in a region [Pa]."""
        return self.region_extreme(region).value

    def region_extreme(self, region: str, quantity: str = "von_mises") -> Extreme:
        """Largest recovered ``von_mises``, ``principal_max`` (first principal stress) or
        ``principal_min_abs`` in a region, with its location; see
        :meth:`fea.physics.post.RecoveredStress.extreme`."""
        if region not in self.mesh.regions:
            raise InputError("region", region, f"one of {', '.join(self.mesh.regions)}")
        return self.recovered.extreme(region, quantity)

    def probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Displacement [m] at points (n, 3); shape (n, 3)."""
        return interpolate(self.space, self.displacement, points)

    def stress_probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Cauchy stress [Pa] at points, shape (n, 3, 3), continuous within each region.

        The recovered vertex stresses of the region that holds each point, interpolated
        linearly in its element; material interfaces keep each side's own stress.
        """
        from .constitutive import tensor

        return tensor(self.recovered.at(points))

    def interface_stress(self, name: str, symmetry: tuple[str, ...] = ()) -> InterfaceStress:
        """Peel and shear on the interface ``a|b``; see
        :func:`fea.physics.post.interface_stress` (``symmetry``: boundaries that are
        symmetry planes, not edges)."""
        return interface_stress(self.recovered, name, symmetry)

    def yield_check(self) -> list[YieldExceedance]:
        """Regions whose recovered von Mises stress passes the material's 0.2 % proof
        stress (materials with ``yield_strength``); empty without materials."""
        if self.materials is None:
            return []
        return yield_check(self.recovered, self.materials, self.temperature)

    def molten_check(self) -> list[MoltenRegion]:
        """Regions whose material is above its ``solidus`` somewhere (a solder at a
        reflow peak: molten, its stresses not a solid's); see
        :func:`fea.physics.post.molten_check`. Empty without materials."""
        if self.materials is None:
            return []
        return molten_check(self.recovered, self.materials, self.temperature)

    def warpage(self, surface: str) -> Warpage:
        """Warpage of the named boundary (best-fit plane removed); see :class:`Warpage`."""
        return warpage(self.mesh, self.space, self.displacement, surface)

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """Fields to store: name -> (values, centring ``"Node"`` or ``"Cell"``).

        ``stress``/``von_mises``: element centroids; ``stress_nodal``,
        ``von_mises_nodal``, ``principal_max_nodal``: the recovered stresses at the
        nodes (where regions meet, the side with the larger von Mises stress);
        ``state_temperature``: the temperature the state was solved at [degC].
        """
        nodal = self.recovered.nodal()
        out = {  # the cell fields are centroid values, the _nodal ones recovered
            "displacement": (np.asarray(self.displacement, np.float64), "Node"),
            "von_mises": (np.asarray(self.von_mises, np.float64), "Cell"),
            "stress": (np.asarray(self.stress, np.float64), "Cell"),
            "stress_nodal": (nodal, "Node"),
            "von_mises_nodal": (von_mises(nodal), "Node"),
            "principal_max_nodal": (principal(nodal)[:, -1], "Node"),
        }
        if self.temperature is not None:
            out["state_temperature"] = (np.asarray(self.temperature, np.float64), "Node")
        return out


def nodal_temperature(fs: FieldSpace, temperature: Temperature) -> NDArray[np.float64]:
    """Nodal temperatures [degC] (n,) from a float, ``f(x, y, z)`` or nodal values."""
    if callable(temperature):
        x = fs.nodes
        try:
            T = np.asarray(temperature(x[:, 0], x[:, 1], x[:, 2]), dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(
                "temperature", f"a function that failed ({type(exc).__name__})", "f(x, y, z)"
            ) from None
        if T.shape not in ((), (fs.n,)):
            raise InputError(
                "temperature",
                f"a function returning shape {T.shape}",
                f"f(x, y, z) returning a number or shape ({fs.n},) for x, y, z of shape ({fs.n},)",
            )
        T = T * np.ones(fs.n)
    elif isinstance(temperature, int | float | np.number) and not isinstance(temperature, bool):
        T = np.full(fs.n, float(temperature))
    elif isinstance(temperature, np.ndarray | list | tuple):
        T = np.asarray(temperature)
        if T.dtype.kind not in "fiu" or T.shape not in ((), (fs.n,)):
            raise InputError(
                "temperature",
                f"{T.dtype} array of shape {T.shape}",
                f"a float, a function or a real nodal array ({fs.n},)",
            )
        T = np.broadcast_to(T.astype(float), (fs.n,)).copy()
    else:
        raise InputError(
            "temperature",
            type(temperature).__name__,
            "a float [degC], f(x, y, z) or nodal values (e.g. ThermalResult.temperature)",
        )
    if not np.all(np.isfinite(T)) or T.min() < -273.15 or T.max() > MAX_TEMPERATURE_C:
        raise InputError(
            "temperature",
            "non-finite" if not np.all(np.isfinite(T)) else f"{T.min():.4g} to {T.max():.4g}",
            f"finite degC in [-273.15, {MAX_TEMPERATURE_C:g}]",
        )
    return T


def prescribed_displacements(
    mesh: Any,
    fs: FieldSpace,
    fixed: Mapping[str, Mapping[str, float]] | None,
    nodes_ok: NDArray[np.bool_] | None = None,
    planes: list | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Check ``fixed`` (boundary -> {component: displacement [m]}) and resolve it on ``fs``.

    Returns (the prescribed DOFs ``3 node + component``, sorted, shape (k,); the values
    (3 n,) [m], zero elsewhere). ``nodes_ok`` (n,) keeps only those nodes of a boundary (the
    active ones of a process history). The component ``"n"`` (the displacement along the
    unit normal of a plane boundary, e.g. a symmetry plane x = y) is appended to
    ``planes`` as ``(key, nodes, normal, value)`` for
    :func:`fea.fe.constraints.inclined_frames`; without a ``planes`` list it is refused.
    """
    if fixed is not None and not isinstance(fixed, Mapping):
        raise InputError("fixed", type(fixed).__name__, "a dict boundary -> {'z': 0.0}")
    u = np.zeros(3 * fs.n)
    D_list = []
    for name, comps in dict(fixed or {}).items():
        if name not in mesh.boundaries:
            raise InputError(
                f"fixed.{name}", name, f"a boundary: {', '.join(sorted(mesh.boundaries))}"
            )
        if not isinstance(comps, Mapping):
            raise InputError(f"fixed.{name}", comps, "a dict component -> value, {'z': 0.0}")
        nodes = fs.boundary_nodes(mesh.boundaries[name])
        if nodes_ok is not None:
            if len(nodes) and comps and not np.any(nodes_ok[nodes]):
                # a support on a region removed (or not born yet) holds nothing: the body
                # falls to its statically determinate support, a different problem
                warnings.warn(
                    f"fixed.{name}: no node of this boundary is on an active element (its "
                    "region is removed or not born yet): the support holds nothing and the "
                    "body is held statically determinately instead",
                    UserWarning,
                    stacklevel=3,
                )
            nodes = nodes[nodes_ok[nodes]]
        for comp, value in comps.items():
            if comp not in _COMP and not (comp == "n" and planes is not None):
                allowed = "a component x, y, z" + (
                    " or n (the plane's normal)" if planes is not None else ""
                )
                if comp == "n":
                    allowed += (
                        " (n, an inclined plane, is not solved here: "
                        "solve_thermoelastic, its variants and solve_history)"
                    )
                raise InputError(f"fixed.{name}.{comp}", value, allowed)
            if isinstance(value, bool | np.complexfloating) or not isinstance(
                value, int | float | np.integer | np.floating
            ):
                raise InputError(f"fixed.{name}.{comp}", value, "a displacement [m]")
            if not math.isfinite(float(value)):
                raise InputError(f"fixed.{name}.{comp}", value, "a finite displacement [m]")
            if comp == "n":
                normal = boundary_normal(mesh, mesh.boundaries[name], f"fixed.{name}.n")
                planes.append((f"fixed.{name}.n", nodes, normal, float(value)))
                continue
            d = 3 * nodes + _COMP[comp]
            u[d] = float(value)
            D_list.append(d)
    D0 = np.unique(np.concatenate(D_list)) if D_list else np.zeros(0, dtype=np.int64)
    return D0, u


@dataclass
class Constraints:
    """Dirichlet conditions of a mechanical problem, resolved on a space.

    ``prescribed``: the given DOFs (3 node + component); ``supports``: the extra 3-2-1
    DOFs of the rigid-body modes the conditions leave free; ``values`` (3 n,): the
    prescribed displacements; ``modes``: the free rigid-body modes (3 n, k);
    ``near_null``: the rigid-body modes (3 n, 6) for AMG. ``frame``: None, or with an
    inclined plane (component ``"n"`` of ``fixed``) the (3 n, 3 n) orthogonal ``T`` of the
    nodal frames, ``u = T q`` (:class:`fea.fe.constraints.NodalFrames`): every DOF, value
    and mode above is then one of ``q``, and :func:`solve_static` solves
    ``T^T K T q = T^T f``.
    """

    prescribed: NDArray[np.int64]
    supports: NDArray[np.int64]
    values: NDArray[np.float64]
    modes: NDArray[np.float64]
    near_null: NDArray[np.float64]
    frame: Any = None

    @property
    def all(self) -> NDArray[np.int64]:
        """Every constrained DOF."""
        return np.union1d(self.prescribed, self.supports)

    @property
    def free_body(self) -> bool:
        """True when no condition is given (every part held by supports alone)."""
        return len(self.prescribed) == 0

    @classmethod
    def build(
        cls, mesh: Any, fs: FieldSpace, fixed: Mapping[str, Mapping[str, float]] | None
    ) -> Constraints:
        """Resolve ``fixed`` (boundary -> {component: value [m]}) on ``fs``; each
        connected part of the body the conditions leave free gets its own 3-2-1 support
        (:func:`fea.fe.constraints.free_body_constraints`)."""
        planes: list = []
        D0, u = prescribed_displacements(mesh, fs, fixed, planes=planes)
        R = rigid_body_modes(fs.nodes)
        T = None
        if planes:
            frames, D0, u = inclined_frames(fs.n, D0, u, planes)
            T = frames.matrix(fs.n)
            R = np.asarray(T.T @ R)
        held = free_body_constraints(
            fs.nodes, mesh.p1.p.shape[1], connected_parts(mesh, fs.dofs), D0, frame=T
        )
        return cls(D0, held.supports, u, held.modes, R, T)


def _support_rows(K: Any, rows: NDArray[np.int64], ns: Any) -> Any:
    """The rows ``rows`` of the CSR matrix ``K`` as a (k, n) sparse matrix, in K's namespace."""
    if ns is None:
        return K[rows]
    xp = ns.xp
    k = len(rows)
    select = ns.sparse.csr_matrix(
        (xp.ones(k), (xp.arange(k), xp.asarray(rows))), shape=(k, K.shape[0])
    )
    return select @ K


def solve_static(
    K: Any,
    f: Any,
    con: Constraints,
    *,
    backend: str = "auto",
    method: str = "auto",
    rtol: float = 1e-10,
    maxiter: int = 2000,
    solver_cache: dict | None = None,
    cache_key: tuple = (),
    ns: Any = None,
    weights: NDArray[np.float64] | None = None,
) -> tuple[Any, Any, float]:
    """Solve ``K u = f`` under the constraints; returns (u (3 n,), SolveInfo, reactions).
    ``f`` may be a block of loads (3 n, k): ``u`` is then (3 n, k), all solved with one
    factorisation or hierarchy (:meth:`fea.solvers.Prepared.solve`), ``reactions`` the
    largest over the columns.

    Constrained DOFs become identity rows and columns of ``K`` in place (no reduced copy
    of a large matrix; ``K`` is consumed; :func:`fea.solvers.eliminate`). ``K`` and ``f``
    live in the namespace ``ns`` (:class:`fea.fe.namespace.Namespace`; None: the host), the
    one :func:`fea.solvers.assembly_namespace` gave, when ``u`` stays there too. With
    ``solver_cache`` (a dict kept by the caller) the prepared solver of a previous system
    with the same constraints is kept (:class:`fea.solvers.recycle.SolverCache`, keys
    compared exactly): an identical matrix (``cache_key``, the arrays that determine it)
    only changes the load; another matrix (a temperature-dependent modulus) goes to
    :meth:`fea.solvers.Prepared.update`, which keeps an AMG hierarchy while it still
    preconditions well. The free rigid-body part of ``u`` is projected out, in the inner
    product weighted per DOF by ``weights`` (3 n,) where given (a model cut by symmetry
    planes: each node's images, so the state is the full body's; None: each DOF once);
    ``reactions`` is the largest support reaction relative to the largest load (0 without
    supports).
    """
    xp = np if ns is None else ns.xp
    T = con.frame
    if T is not None:  # the nodal frames of an inclined plane: T^T K T q = T^T f, u = T q
        if ns is None:
            K = frame_product(K, T)  # K's pattern kept
        else:
            T = ns.sparse.csr_matrix(T)
            K = T.T @ K @ T
        f = T.T @ f
    u = xp.asarray(con.values)
    D = con.all
    Ku = K @ u
    b = f - (Ku if f.ndim == 1 else Ku[:, None])  # the prescribed values moved to the right
    if not bool(xp.all(xp.isfinite(b))):
        raise InputError(
            "fixed/temperature",
            "a load that is not finite",
            "prescribed displacements and temperatures small enough for a finite load",
        )
    extra = con.supports
    K_support = _support_rows(K, extra, ns) if len(extra) else None  # for the reactions
    A = eliminate(K, D, HOST if ns is None else ns)
    del K
    D_x = xp.asarray(D)
    b[D_x] = u[D_x] if b.ndim == 1 else u[D_x][:, None]
    kw = {"kind": "elasticity", "backend": backend, "method": method, "near_null": con.near_null}
    kw["maxiter"] = maxiter
    on_device = ns is not None
    if solver_cache is None:
        x, si = solve(A, b, rtol=rtol, device_result=on_device, **kw)
    else:
        cache = solver_cache.get("solvers")
        if not isinstance(cache, SolverCache):
            close_solver_cache(solver_cache)
            cache = solver_cache["solvers"] = SolverCache(capacity=1)
        held, same_matrix = cache.get(
            (np.asarray(D), backend, method, rtol, maxiter), cache_key, A, rtol=rtol, **kw
        )
        x, si = held.prepared.solve(b, device_result=on_device)
        # the setup is reused for the very same matrix, or when an updated matrix kept the
        # AMG hierarchy (a factorization is redone for a new matrix)
        si.extra["reused_setup"] = same_matrix or si.extra.get("setup") == "reused"
    u = xp.asarray(x, dtype=xp.float64)
    reactions = 0.0
    if K_support is not None:
        r = K_support @ u - f[xp.asarray(extra)]
        reactions = float(xp.abs(r).max()) / max(float(xp.abs(f).max()), 1e-300)
        # the modes vanish on the prescribed DOFs: their values are kept; the weights are
        # equal on a node's three DOFs, so the nodal frames do not change them
        u = remove_rigid_part(u, xp.asarray(np.linalg.qr(con.modes)[0]), weights, xp)
    if T is not None:
        u = T @ u
    return u, si, reactions


def symmetry_weights(fs: FieldSpace, symmetry: Sequence[str]) -> NDArray[np.float64] | None:
    """The weight of each DOF (3 n,) in the full body cut by the planes ``symmetry``
    (``"x"``, ``"y"``, ``"d"``): each node's images (1 on every plane it lies on, 2 a plane
    off it, ...; :func:`fea.physics.history_step.image_counts`); None for no plane. A name
    that is not a plane, or a model that crosses one, is an InputError naming ``symmetry``."""
    from .history_step import check_symmetry_axes, image_counts  # imports this module

    axes = check_symmetry_axes(fs.nodes, symmetry)
    return np.repeat(image_counts(fs.nodes, axes), 3) if axes else None


def check_shrinkage(mesh: Any, shrinkage: bool | Sequence[str]) -> None:
    """``shrinkage`` is True/False or names regions of ``mesh``; else an InputError (a bare
    string, which would be read letter by letter, and a number or None included)."""
    if isinstance(shrinkage, bool):
        return
    if isinstance(shrinkage, str) or not isinstance(shrinkage, Sequence | set | frozenset):
        raise InputError(
            "shrinkage",
            shrinkage,
            f"True/False or a list of region names of the mesh ({', '.join(mesh.regions)})",
        )
    unknown = [r for r in shrinkage if not isinstance(r, str) or r not in mesh.regions]
    if unknown:
        raise InputError("shrinkage", unknown[0], "regions of the mesh or True/False")


def _eigenstrain(
    mesh: Any,
    fs: Any,
    mats: Mapping[str, Material],
    ref: Any,
    T: NDArray[np.float64],
    shrinkage: bool | Sequence[str],
    extra: ArrayLike | None,
) -> NDArray[np.float64]:
    """The eigenstrain of one load at the quadrature points (n_el, n_q, 6): thermal (and
    shrinkage) at the nodal temperature ``T`` [degC], plus ``extra`` where given."""
    eps0 = thermal_eigenstrain(mesh, mats, ref, forms.at_quadrature(fs, T), shrinkage)
    if extra is not None:
        eps0 = eps0 + extra_eigenstrain(extra, *eps0.shape)
    return eps0


def solve_thermoelastic(
    mesh: Any,
    materials: Mapping[str, Material],
    temperature: Temperature = 25.0,
    reference: float | Mapping[str, float] = 25.0,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    backend: str = "auto",
    *,
    shrinkage: bool | Sequence[str] = False,
    method: str = "auto",
    rtol: float = 1e-10,
    maxiter: int = 2000,
    solver_cache: dict | None = None,
    eigenstrain: ArrayLike | None = None,
    symmetry: Sequence[str] = (),
) -> MechanicalResult:
    """Solve linear thermoelasticity on ``mesh``.

    Parameters
    ----------
    materials
        Region -> :class:`~fea.physics.materials.Material` (``"*"`` for the rest).
    temperature
        Nodal temperatures [degC] at ``fea.fe.spaces.space(mesh).nodes`` (shape (n,),
        e.g. ``ThermalResult.temperature``), a float, or ``f(x, y, z)``.
    reference
        Stress-free temperature [degC]: one float, or region -> degC with ``"*"`` for
        the rest.
    fixed
        Boundary -> {component: displacement [m]}, e.g. ``{"bottom": {"z": 0.0}}``: each
        named component prescribed on every node of the boundary, the others free (a
        roller). The component ``"n"`` prescribes the displacement along the unit normal
        of a plane boundary, e.g. ``{"symmetry_d": {"n": 0.0}}`` on the inclined symmetry
        plane x = y of an eighth model (held in nodal frames,
        :func:`fea.fe.constraints.inclined_frames`; where it meets another condition, as
        ``{"y": 0.0}`` on y = 0, both hold). Rigid-body modes the conditions leave free
        (all six with None or empty: a free body; three with a roller) are held by
        statically determinate 3-2-1 supports, one set per connected part, which add no
        stress, and projected out of the displacement. (Thermal ``fixed`` prescribes
        temperatures instead: :func:`fea.solve_thermal`.)
    shrinkage
        Apply each material's cure shrinkage as an eigenstrain: True for every region
        whose material has one, or a list of regions.
    rtol
        Relative residual of an iterative solve, ``|b - A x| <= rtol |b|`` (as everywhere
        in :mod:`fea`), in (0, 1e-2]; a direct solve meets it to rounding.
    maxiter
        Iteration limit of an iterative solve (a whole number >= 1; ``[solver] maxiter``
        of a study): one that does not reach ``rtol`` within it raises a
        :class:`~fea.errors.SolverError`.
    solver_cache
        A dict kept by the caller across calls on the same mesh (e.g. a temperature
        sweep): when the stiffness and the constraints are unchanged (E not depending
        on temperature; compared exactly, not by a hash), the factorization or AMG
        hierarchy of the previous call is reused and only the load changes. The caller
        closes the solvers with :func:`close_solver_cache`. The result is the one
        without the cache to the solver's tolerance (a direct solve: the same numbers).
    eigenstrain
        An isotropic strain [-] added to the thermal one and free of stress, e.g.
        hygroscopic swelling (:func:`fea.physics.moisture.hygroscopic_strain`): one
        number, per element (n_el,), or per quadrature point (n_el, n_q) at the points of
        :func:`fea.fe.forms.at_quadrature`. Checked by
        :func:`fea.physics.eigenstrain.extra_eigenstrain`.
    symmetry
        The planes through the origin that cut the model, as :func:`fea.solve_history`'s
        (``"x"``, ``"y"``, ``"d"``; ``fixed`` holds them): the rigid motions its free parts
        keep (a translation along z; more for the units of a singulated panel) are
        removed as the full body removes them, each node weighted by its images
        (:func:`fea.physics.history_step.image_counts`), so the state is the full body's
        (it matters where one surface spans several free parts: their relative heights).
        Empty (default): each node once.
    """
    t0 = time.perf_counter()
    rtol = check_rtol("rtol", rtol)
    fs = space(check_mesh(mesh))
    weights = symmetry_weights(fs, symmetry)
    T = nodal_temperature(fs, temperature)
    mats = assign(mesh.regions, materials)
    ref = reference_temperatures(reference, list(mesh.regions))
    check_shrinkage(mesh, shrinkage)
    _warn_instantaneous(mesh, fs, mats, [T])
    E, nu = element_moduli(mesh, fs, mats, T)
    lam, mu = lame(E, nu)
    eps0 = _eigenstrain(mesh, fs, mats, ref, T, shrinkage, eigenstrain)
    # the GPU (where it runs this system): assembly, elimination, the hierarchy, PCG and the
    # stresses on the device, with the mesh copied there once and the results copied back
    where = assembly_namespace(backend, 3 * fs.n, "elasticity", method)
    ns = None if where.on_host else where
    xp = where.xp
    K = forms.elasticity_matrix(fs, lam, mu, xp=xp)
    f = forms.eigenstrain_load(fs, lam, mu, eps0, xp=xp)
    t_asm = time.perf_counter() - t0
    con = Constraints.build(mesh, fs, fixed)
    key = (E, nu)  # compared exactly by the solver cache
    u, si, reactions = solve_static(
        K,
        f,
        con,
        backend=backend,
        method=method,
        rtol=rtol,
        maxiter=maxiter,
        solver_cache=solver_cache,
        cache_key=key,
        ns=ns,
        weights=weights,
    )
    u = u.reshape(-1, 3)
    stress_q = elastic_stress(fs, u, lam, mu, eps0, xp=xp)
    if ns is not None:
        u, stress_q = ns.asnumpy(u), ns.asnumpy(stress_q)
    info = _solve_record(si, con, t_asm, time.perf_counter() - t0)
    return MechanicalResult(mesh, fs, u, stress_q, info, reactions, T, mats)


def _solve_record(si: Any, con: Any, assembly_s: float, total_s: float, **more: Any) -> dict:
    """A mechanical result's ``solver_info``: what solved it and why (:class:`SolveInfo`),
    whether it was a free body, the seconds per stage, and ``more``."""
    return {
        "backend": si.backend,
        "method": si.method,
        "device": si.device,
        "reason": si.reason,
        "iterations": si.iterations,
        "residual": si.residual,
        "free_body": con.free_body,
        **more,
        "stages": {"assembly_s": assembly_s, "solve_s": si.seconds, "total_s": total_s},
        **si.extra,
    }


def elastic_stress(
    fs: FieldSpace,
    u: Any,
    lam: NDArray[np.float64],
    mu: NDArray[np.float64],
    eps0: NDArray[np.float64],
    xp: Any = np,
    *,
    elements: NDArray[np.int64] | None = None,
    offset: NDArray[np.float64] | None = None,
) -> Any:
    """Stress at the quadrature points (n_el, n_q, 6) of displacement ``u`` (n, 3) with
    Lamé parameters per element (n_el,) and the isotropic eigenstrain (n_el, n_q); in the
    namespace ``xp`` of ``u`` (NumPy, or CuPy for a device solve).

    ``elements`` (k,): those elements only (NumPy), shape (k, n_q, 6); ``offset`` (k, n_q,
    6): a strain subtracted too (a region's strain at its birth in a process history)."""
    if elements is None:
        eps = forms.strain_at_quadrature(fs, u, xp)
        eps[..., :3] -= xp.asarray(eps0)[..., None]
        lam, mu = xp.asarray(lam), xp.asarray(mu)
    else:
        eps = forms.strain_at_quadrature(fs, u, elements=elements)
        eps[..., :3] -= eps0[elements][..., None]
        lam, mu = lam[elements], mu[elements]
    if offset is not None:
        eps -= offset
    return hooke(lam[:, None], mu[:, None], eps)


def close_solver_cache(cache: dict) -> None:
    """Free the solvers kept in a ``solver_cache`` dict and empty it."""
    for held in cache.values():
        held.close()
    cache.clear()


def warpage_curve(
    mesh: Any,
    materials: Mapping[str, Material],
    temperatures: Sequence[float],
    surface: str = "top",
    reference: float | Mapping[str, float] = 25.0,
    backend: str = "auto",
    **kwargs: Any,
) -> list[tuple[float, Warpage]]:
    """Warpage of ``surface`` at each uniform temperature [degC] (e.g. a JESD22-B112 profile
    25 -> 260 -> 25).

    The sparsity pattern and bases are built once for the mesh; when no modulus depends
    on temperature the stiffness is factorized (or its AMG hierarchy built) once and
    every temperature is one more right-hand side. Other keywords go to
    :func:`solve_thermoelastic`. Returns [(T, Warpage)], in the order given.
    """
    cache: dict = {}
    out = []
    try:
        for T in temperatures:
            me = solve_thermoelastic(
                mesh,
                materials,
                float(T),
                reference,
                backend=backend,
                solver_cache=cache,
                **kwargs,
            )
            out.append((float(T), me.warpage(surface)))
    finally:
        close_solver_cache(cache)
    return out


def solve_thermoelastic_variants(
    mesh: Any,
    materials: Mapping[str, Material],
    temperatures: Sequence[Temperature] | NDArray[np.float64],
    reference: float | Mapping[str, float] = 25.0,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    backend: str = "auto",
    *,
    shrinkage: bool | Sequence[str] = False,
    method: str = "auto",
    rtol: float = 1e-10,
    eigenstrains: Sequence[ArrayLike | None] | None = None,
    symmetry: Sequence[str] = (),
    maxiter: int = 2000,
) -> list[MechanicalResult]:
    """One body, one set of supports, many thermal loads: a result per temperature field,
    the loads sharing one factorisation (or AMG hierarchy) and solved as one block.

    Each variant is what :func:`solve_thermoelastic` solves for one ``temperature`` (and
    one ``eigenstrain``); the variants whose moduli are equal (E not depending on
    temperature, or equal at their temperatures; compared exactly) share one stiffness,
    assembled and set up once, and their loads are solved as one block of right-hand
    sides (:meth:`fea.solvers.Prepared.solve`: one back-substitution of the block with
    Pardiso; PCG per load with one hierarchy). Variants of other moduli form groups of
    their own. The results equal those of :func:`solve_thermoelastic` variant by variant
    (a direct solve: to rounding; AMG: to ``rtol``).

    Parameters
    ----------
    temperatures
        The variants' temperatures [degC], each as the ``temperature`` of
        :func:`solve_thermoelastic` (a float, nodal values (n,) at
        ``fea.fe.spaces.space(mesh).nodes``, or ``f(x, y, z)``); a 2-D array (k, n) is k
        nodal fields.
    eigenstrains
        None, or one entry per variant as the ``eigenstrain`` of
        :func:`solve_thermoelastic` (None for none).
    reference, fixed, backend, shrinkage, method, rtol, symmetry, maxiter
        As :func:`solve_thermoelastic`, the same for every variant (``maxiter``: the
        iteration limit of each iterative solve, ``[solver] maxiter``).

    Returns
    -------
    list of MechanicalResult
        In the order of ``temperatures``; ``solver_info["variants"]`` is the number of
        loads solved in the variant's block and ``stages["solve_s"]`` that block's time.
    """
    t0 = time.perf_counter()
    rtol = check_rtol("rtol", rtol)
    if isinstance(temperatures, np.ndarray) and temperatures.ndim == 2:
        temps: list[Any] = list(temperatures)
    elif isinstance(temperatures, Sequence) and not isinstance(temperatures, str):
        temps = list(temperatures)
    else:
        temps = []
    if not temps:
        raise InputError(
            "temperatures", temperatures, "a non-empty list of temperatures [degC] (k, n)"
        )
    if eigenstrains is not None and (
        not isinstance(eigenstrains, Sequence) or len(eigenstrains) != len(temps)
    ):
        raise InputError(
            "eigenstrains", eigenstrains, f"None or a list of {len(temps)} entries (one a variant)"
        )
    fs = space(check_mesh(mesh))
    weights = symmetry_weights(fs, symmetry)
    mats = assign(mesh.regions, materials)
    ref = reference_temperatures(reference, list(mesh.regions))
    check_shrinkage(mesh, shrinkage)
    Ts = [nodal_temperature(fs, t) for t in temps]
    _warn_instantaneous(mesh, fs, mats, Ts)
    extras = [None] * len(temps) if eigenstrains is None else list(eigenstrains)
    moduli = [element_moduli(mesh, fs, mats, T) for T in Ts]
    groups = _equal_groups(moduli)
    con = Constraints.build(mesh, fs, fixed)
    where = assembly_namespace(backend, 3 * fs.n, "elasticity", method)
    ns = None if where.on_host else where
    xp = where.xp
    out: list[MechanicalResult | None] = [None] * len(temps)
    t_prep = time.perf_counter() - t0
    for g in groups:
        t1 = time.perf_counter()
        lam, mu = lame(*moduli[g[0]])
        eps0s = [_eigenstrain(mesh, fs, mats, ref, Ts[i], shrinkage, extras[i]) for i in g]
        K = forms.elasticity_matrix(fs, lam, mu, xp=xp)
        F = xp.stack([forms.eigenstrain_load(fs, lam, mu, e, xp=xp) for e in eps0s], axis=1)
        t_asm = time.perf_counter() - t1
        U, si, reactions = solve_static(
            K,
            F,
            con,
            backend=backend,
            method=method,
            rtol=rtol,
            maxiter=maxiter,
            ns=ns,
            weights=weights,
        )
        for j, i in enumerate(g):
            u = U[:, j].reshape(-1, 3)
            stress_q = elastic_stress(fs, u, lam, mu, eps0s[j], xp=xp)
            if ns is not None:
                u, stress_q = ns.asnumpy(u), ns.asnumpy(stress_q)
            info = _solve_record(si, con, t_prep + t_asm, time.perf_counter() - t0, variants=len(g))
            out[i] = MechanicalResult(mesh, fs, u, stress_q, info, reactions, Ts[i], mats)
    return out  # type: ignore[return-value]


def _region_coefficients(
    mesh: Any, moduli: Sequence[NDArray[np.float64]], ref: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """Per stiffness and region, the factor ``c[s, r]`` with ``moduli[s] = c[s, r] ref`` on
    every element of region r (a Lamé parameter that a case scales region by region), or
    None where a region's ratio is not one number (E(T) under a non-uniform field)."""
    names = list(mesh.regions)
    c = np.ones((len(moduli), len(names)))
    for r, name in enumerate(names):
        e = np.asarray(mesh.regions[name])
        if not len(e):
            continue
        r0 = ref[e]
        for s, m in enumerate(moduli):
            v = m[e]
            den = float(r0 @ r0)
            if den == 0.0:
                if np.any(v != 0.0):
                    return None
                continue
            a = float(v @ r0) / den
            if np.abs(v - a * r0).max() > 1e-12 * max(np.abs(v).max(), 1e-300):
                return None
            c[s, r] = a
    return c


def _equal_groups(items: Sequence[tuple[NDArray, ...]]) -> list[list[int]]:
    """The indices of ``items`` grouped by equal arrays (each item a tuple of arrays, e.g.
    the element moduli ``(E, nu)`` of a case, compared entry by entry with
    :func:`numpy.array_equal`): one stiffness, one setup per group. Groups in the order of
    their first item, each index ascending."""
    groups: list[list[int]] = []
    for i, item in enumerate(items):
        for g in groups:
            if all(np.array_equal(x, y) for x, y in zip(item, items[g[0]], strict=True)):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def solve_thermoelastic_sweep(
    mesh: Any,
    materials: Sequence[Mapping[str, Material]],
    temperatures: Temperature | Sequence[Temperature] = 25.0,
    reference: float | Mapping[str, float] = 25.0,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    backend: str = "auto",
    *,
    shrinkage: bool | Sequence[str] = False,
    method: str = "auto",
    rtol: float = 1e-10,
    eigenstrains: Sequence[ArrayLike | None] | None = None,
    nominal: int | None = None,
    maxiter: int = 100,
    symmetry: Sequence[str] = (),
) -> list[MechanicalResult]:
    """A material sweep on one body: k cases whose materials (moduli, Poisson's ratios,
    CTEs of regions) and loads differ, solved with one setup.

    The stiffness of every case is written region by region as a multiple of one assembled
    region stiffness (``K_j = sum_r a_jr K^lambda_r + b_jr K^mu_r``, the region's Lamé
    parameters scaled); the nominal stiffness is factorised (or its AMG hierarchy built)
    once, the cases whose stiffness is the nominal one are one block solve with it, and
    every other case is solved by batched PCG (:func:`fea.solvers.krylov.block_pcg`: each
    column its own matrix, applied through the region matrices, one
    sparse-matrix-times-block product per region; the nominal setup the preconditioner of
    every column). A case that does not converge within ``maxiter`` iterations gets its own
    setup and solve. Where the stiffness is not a per-region multiple (E(T) under a
    non-uniform temperature, a ratio varying inside a region), every distinct stiffness is
    solved on its own (as :func:`solve_thermoelastic_variants` does). The results equal
    :func:`solve_thermoelastic` case by case to ``rtol``.

    Parameters
    ----------
    mesh
        The body (one mesh for every case).
    materials
        One region -> :class:`~fea.physics.materials.Material` mapping per case (k of
        them, ``"*"`` for the rest), as the ``materials`` of :func:`solve_thermoelastic`.
    temperatures
        One ``temperature`` [degC] for every case (a float, nodal values (n,), or
        ``f(x, y, z)``), or a list of k of them.
    eigenstrains
        None, or one entry per case as the ``eigenstrain`` of :func:`solve_thermoelastic`.
    nominal
        The case whose stiffness is set up (0 <= nominal < k); None: the per-region
        geometric mean of the cases' factors (the best single preconditioner for a spread
        of moduli).
    maxiter
        Most PCG iterations of a case with the nominal setup (a count) before it gets its
        own.
    reference, fixed, backend, shrinkage, method, rtol, symmetry
        As :func:`solve_thermoelastic`, the same for every case.

    Returns
    -------
    list of MechanicalResult
        In the order of ``materials``. ``solver_info["sweep"]`` says how each case was
        solved: ``how`` (``"nominal"``: a block solve with the nominal setup;
        ``"preconditioned"``: batched PCG; ``"own"``: its own setup), its ``iterations``,
        ``cases`` (k) and ``setups`` (setups of the whole sweep); ``residual`` is the case's
        ``||b - K_j u|| / ||b||``.
    """
    from ..solvers import prepare
    from ..solvers.krylov import affine_product, block_pcg
    from ..solvers.registry import SolveInfo
    from ..validate import check_count

    t0 = time.perf_counter()
    rtol = check_rtol("rtol", rtol)
    maxiter = check_count("maxiter", maxiter, 100_000)
    if isinstance(materials, Mapping) or not isinstance(materials, Sequence) or not materials:
        raise InputError(
            "materials", type(materials).__name__, "a non-empty list of region -> Material dicts"
        )
    k = len(materials)
    many_T = (isinstance(temperatures, np.ndarray) and temperatures.ndim == 2) or (
        isinstance(temperatures, Sequence) and not isinstance(temperatures, str)
    )
    temps = list(temperatures) if many_T else [temperatures] * k  # type: ignore[arg-type]
    if len(temps) != k:
        raise InputError("temperatures", len(temps), f"one temperature or {k} (one a case)")
    if eigenstrains is not None and (
        not isinstance(eigenstrains, Sequence) or len(eigenstrains) != k
    ):
        raise InputError("eigenstrains", eigenstrains, f"None or a list of {k} entries")
    if nominal is not None and (
        isinstance(nominal, bool) or not isinstance(nominal, int) or not 0 <= nominal < k
    ):
        raise InputError("nominal", nominal, f"None or a case index in [0, {k - 1}]")
    fs = space(check_mesh(mesh))
    weights = symmetry_weights(fs, symmetry)
    mats = [assign(mesh.regions, m, key=f"materials[{j}]") for j, m in enumerate(materials)]
    ref = reference_temperatures(reference, list(mesh.regions))
    check_shrinkage(mesh, shrinkage)
    Ts = [nodal_temperature(fs, t) for t in temps]
    for m, T in zip(mats, Ts, strict=True):
        _warn_instantaneous(mesh, fs, m, [T])
    lame_j = [lame(*element_moduli(mesh, fs, m, T)) for m, T in zip(mats, Ts, strict=True)]
    extras = [None] * k if eigenstrains is None else list(eigenstrains)
    eps0s = [_eigenstrain(mesh, fs, mats[j], ref, Ts[j], shrinkage, extras[j]) for j in range(k)]
    con = Constraints.build(mesh, fs, fixed)
    if con.frame is not None:
        raise InputError(
            "fixed",
            "component 'n' (an inclined plane)",
            "components x, y, z for a sweep (solve_thermoelastic or its variants hold an "
            "inclined plane)",
        )
    where = assembly_namespace(backend, 3 * fs.n, "elasticity", method)
    ns = None if where.on_host else where
    xp = where.xp
    lam0, mu0 = lame_j[0]
    ca = _region_coefficients(mesh, [lm[0] for lm in lame_j], lam0)
    cb = _region_coefficients(mesh, [lm[1] for lm in lame_j], mu0)
    if ca is None or cb is None:  # not a per-region multiple: each stiffness on its own
        groups = _equal_groups(lame_j)
        out: list[MechanicalResult | None] = [None] * k
        for g in groups:
            K = forms.elasticity_matrix(fs, *lame_j[g[0]], xp=xp)
            F = xp.stack([forms.eigenstrain_load(fs, *lame_j[j], eps0s[j], xp=xp) for j in g], 1)
            U, si, reactions = solve_static(
                K, F, con, backend=backend, method=method, rtol=rtol, ns=ns, weights=weights
            )
            for i, j in enumerate(g):
                si.extra["sweep"] = {
                    "how": "own",
                    "iterations": si.iterations,
                    "cases": k,
                    "setups": len(groups),
                }
                out[j] = _sweep_result(
                    mesh,
                    fs,
                    mats[j],
                    Ts[j],
                    lame_j[j],
                    eps0s[j],
                    U[:, i],
                    si,
                    con,
                    reactions,
                    ns,
                    xp,
                    t0,
                )
        return out  # type: ignore[return-value]
    # region terms: the regions whose factor varies over the cases, the rest fixed
    names = list(mesh.regions)
    owner = np.full(mesh.n_elements, -1)
    for r, name in enumerate(names):
        owner[np.asarray(mesh.regions[name])] = r
    varies = [r for r in range(len(names)) if np.ptp(ca[:, r]) > 0 or np.ptp(cb[:, r]) > 0]
    fixed_el = ~np.isin(owner, varies)
    K_fixed = forms.elasticity_matrix(fs, lam0 * fixed_el, mu0 * fixed_el, xp=xp)
    terms, coef = [], []
    for r in varies:
        inr = owner == r
        if np.array_equal(ca[:, r], cb[:, r]):  # Poisson's ratio held: one term
            terms.append(forms.elasticity_matrix(fs, lam0 * inr, mu0 * inr, xp=xp))
            coef.append(ca[:, r])
        else:
            terms.append(forms.elasticity_matrix(fs, lam0 * inr, 0.0 * mu0, xp=xp))
            terms.append(forms.elasticity_matrix(fs, 0.0 * lam0, mu0 * inr, xp=xp))
            coef += [ca[:, r], cb[:, r]]
    C = np.stack(coef, axis=1) if coef else np.zeros((k, 0))
    if nominal is None:
        c_nom = np.exp(np.log(C).mean(axis=0)) if coef else C[0]
    else:
        c_nom = C[nominal]
    # the cases' loads, the prescribed values moved to the right
    D = con.all
    u_D = xp.asarray(con.values)
    full = affine_product(K_fixed, terms, C, xp)  # K_j before the elimination
    F = xp.stack([forms.eigenstrain_load(fs, *lame_j[j], eps0s[j], xp=xp) for j in range(k)], 1)
    cols = np.arange(k)
    Bk = F - full(xp.zeros((3 * fs.n, k)) + u_D[:, None], cols)
    if not bool(xp.all(xp.isfinite(Bk))):
        raise InputError(
            "fixed/temperature",
            "a load that is not finite",
            "prescribed displacements and temperatures small enough for a finite load",
        )
    D_x = xp.asarray(D)
    Bk[D_x] = u_D[D_x][:, None]
    # the constrained rows and columns: zero in the terms, identity in the base
    keep = xp.ones(3 * fs.n)
    keep[D_x] = 0.0
    sparse = ns.sparse if ns is not None else sp
    idx = xp.arange(3 * fs.n)
    S = sparse.csr_matrix((keep, (idx, idx)), shape=(3 * fs.n, 3 * fs.n))
    terms_e = []
    for T in terms:  # a region's matrix keeps the whole pattern: its zeros dropped here
        T = (S @ T @ S).tocsr()
        T.eliminate_zeros()
        terms_e.append(T)
    I_D = sparse.csr_matrix((1.0 - keep, (idx, idx)), shape=S.shape)
    base = (S @ K_fixed @ S + I_D).tocsr()  # eliminate(K_j): the identity on D

    def nominal_matrix(c: NDArray[np.float64]) -> Any:
        A = base.copy()
        for ct, T in zip(c, terms_e, strict=True):
            A = A + float(ct) * T
        return A.tocsr()

    operator = affine_product(base, terms_e, C, xp)
    kw = {"kind": "elasticity", "backend": backend, "method": method, "near_null": con.near_null}
    on_nominal = [j for j in range(k) if np.array_equal(C[j], c_nom)]
    others = [j for j in range(k) if j not in on_nominal]
    U = xp.zeros_like(Bk)
    how = ["nominal" if j in on_nominal else "preconditioned" for j in range(k)]
    iterations = [0] * k
    t1 = time.perf_counter()
    setups = 1
    with prepare(nominal_matrix(c_nom), rtol=rtol, **kw) as pre:
        setup_s = time.perf_counter() - t1
        si0: Any = None
        if on_nominal:
            jd = xp.asarray(on_nominal)
            X, si0 = pre.solve(Bk[:, jd], device_result=ns is not None)
            U[:, jd] = xp.asarray(X)
            per = si0.extra.get("column_iterations", [si0.iterations] * len(on_nominal))
            for i, j in enumerate(on_nominal):
                iterations[j] = int(per[i])
        if others:
            od = xp.asarray(others)
            res = block_pcg(
                lambda X, c: operator(X, np.asarray(others)[c]),
                Bk[:, od],
                pre.precondition,
                rtol=rtol,
                maxiter=maxiter,
                xp=xp,
            )
            U[:, od] = res.x
            for i, j in enumerate(others):
                iterations[j] = res.iterations[i]
                if not res.converged[i]:
                    how[j] = "own"
        name, where_, reason = pre.name, pre.where, pre.reason
        device = si0.device if si0 is not None else ("cpu" if where_ == "cpu" else "cuda:0")
    t_block = time.perf_counter() - t1
    own = [j for j in range(k) if how[j] == "own"]
    own_info: dict[int, Any] = {}
    for j in own:  # too far from the nominal stiffness: its own setup
        A_j = nominal_matrix(C[j])
        x, own_info[j] = solve(A_j, Bk[:, j], rtol=rtol, device_result=ns is not None, **kw)
        U[:, j] = xp.asarray(x)
        iterations[j] = own_info[j].iterations
        setups += 1
    # true residuals, reactions, the free rigid-body part
    R = Bk - operator(U, cols)
    rn = xp.linalg.norm(R, axis=0).tolist()
    bn = xp.linalg.norm(Bk, axis=0).tolist()
    resid = [r / b if b > 0 else 0.0 for r, b in zip(rn, bn, strict=True)]
    extra = con.supports
    reactions = [0.0] * k
    if len(extra):
        Ku = full(U, cols)
        ex = xp.asarray(extra)
        rr = xp.abs(Ku[ex] - F[ex]).max(axis=0).tolist()
        fm = xp.abs(F).max(axis=0).tolist()
        reactions = [r / max(f, 1e-300) for r, f in zip(rr, fm, strict=True)]
        U = remove_rigid_part(U, xp.asarray(np.linalg.qr(con.modes)[0]), weights, xp)
    out = []
    for j in range(k):
        si = own_info.get(j) or SolveInfo(
            where_,
            name,
            device=device,
            reason=reason,
            seconds=t_block,
            extra={"setup": "built", "setup_s": setup_s},
        )
        si.iterations, si.residual = iterations[j], resid[j]
        si.extra["sweep"] = {
            "how": how[j],
            "iterations": iterations[j],
            "cases": k,
            "setups": setups,
        }
        out.append(
            _sweep_result(
                mesh,
                fs,
                mats[j],
                Ts[j],
                lame_j[j],
                eps0s[j],
                U[:, j],
                si,
                con,
                reactions[j],
                ns,
                xp,
                t0,
                t1 - t0,
            )
        )
    return out


def _sweep_result(
    mesh: Any,
    fs: FieldSpace,
    mats: Any,
    T: Any,
    lm: Any,
    eps0: Any,
    u: Any,
    si: Any,
    con: Constraints,
    reactions: float,
    ns: Any,
    xp: Any,
    t0: float,
    assembly_s: float = 0.0,
) -> MechanicalResult:
    """One case of :func:`solve_thermoelastic_sweep` as a :class:`MechanicalResult`;
    ``assembly_s``: the seconds before the solve (assembly of the sweep's matrices and
    loads), ``t0`` the sweep's start."""
    u = u.reshape(-1, 3)
    stress_q = elastic_stress(fs, u, lm[0], lm[1], eps0, xp=xp)
    if ns is not None:
        u, stress_q = ns.asnumpy(u), ns.asnumpy(stress_q)
    info = _solve_record(si, con, assembly_s, time.perf_counter() - t0)
    return MechanicalResult(mesh, fs, u, stress_q, info, reactions, T, mats)
