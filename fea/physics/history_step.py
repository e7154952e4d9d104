"""One step of a mechanical history: the state between steps (displacement, viscoelastic
histories, birth strains, the active elements and their constraints), the stiffness and
loads of a step, and birth and removal of regions. :func:`fea.solve_history` drives it
stage by stage; the linear solves go to :class:`fea.solvers.recycle.RecyclingSolver`.
See :mod:`fea.physics.history` for the formulation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import InputError
from ..fe import forms
from ..fe.constraints import (
    connected_parts,
    frame_product,
    free_body_constraints,
    inclined_frames,
    reflection_group,
    remove_rigid_part,
    rigid_body_modes,
)
from ..fe.spaces import FieldSpace, space
from ..solvers import eliminate, solve
from ..solvers.newton import newton
from ..solvers.recycle import RecyclingSolver, StepConstraints
from .constitutive import hooke, lame
from .eigenstrain import extra_eigenstrain, reference_temperatures, thermal_eigenstrain
from .history_newton import InelasticStep, TangentAssembly, TangentPreconditioner, voigt_engineering
from .history_results import HistoryState
from .materials import Material, assign
from .mechanics import elastic_stress, prescribed_displacements
from .viscoelastic import Viscoelastic, ViscoState

__all__ = [
    "FramedStep",
    "HistoryModel",
    "PLANE_NORMALS",
    "StepStiffness",
    "StepWatch",
    "build_constraints",
    "build_step_constraints",
    "check_symmetry_axes",
    "check_symmetry_conditions",
    "image_counts",
    "plane_nodes",
    "ramp_extrapolation",
    "symmetric_affine_fit",
]

#: Distance [m per m of the model's extent] within which a node is on a symmetry plane.
PLANE_TOL = 1e-9

#: The unit normal of each symmetry plane through the origin: ``"x"``, ``"y"``, ``"z"``
#: (the plane of that axis) and ``"d"`` (x = y; an eighth model keeps y <= x).
PLANE_NORMALS: dict[str, tuple[float, float, float]] = {
    "x": (1.0, 0.0, 0.0),
    "y": (0.0, 1.0, 0.0),
    "z": (0.0, 0.0, 1.0),
    "d": (float(np.sqrt(0.5)), -float(np.sqrt(0.5)), 0.0),
}


def check_symmetry_axes(nodes: NDArray[np.float64], symmetry: Sequence[str]) -> tuple[str, ...]:
    """``symmetry`` as a tuple of distinct planes (``"x"``, ``"y"``, ``"z"``: the plane of
    that axis; ``"d"``: x = y) after checking that the model with node positions ``nodes``
    (n, 3) [m] lies on the kept side of each (``a >= 0``; ``y <= x``), an
    :class:`~fea.errors.InputError` naming ``symmetry`` otherwise."""
    if isinstance(symmetry, str):
        symmetry = (symmetry,)
    axes = tuple(symmetry)
    allowed = (
        "distinct planes among 'x', 'y', 'z' (the axis' plane through the origin) and 'd' "
        "(x = y) that cut the model"
    )
    if any(a not in PLANE_NORMALS for a in axes) or len(set(axes)) != len(axes):
        raise InputError("symmetry", list(axes), allowed)
    tol = PLANE_TOL * float(np.ptp(nodes, axis=0).max()) if len(nodes) else 0.0
    for a in axes:
        if len(nodes) and (nodes @ np.array(PLANE_NORMALS[a])).min() < -tol:
            side = "y <= x" if a == "d" else f"{a} >= 0"
            raise InputError(
                "symmetry", list(axes), f"{allowed}: the model on {side} (a node off it)"
            )
    return axes


def check_symmetry_conditions(
    mesh: Any,
    symmetry: Sequence[str],
    fixed: Mapping[str, Mapping[str, float]] | None,
    key: str = "fixed",
) -> None:
    """That ``fixed`` holds every plane of ``symmetry`` (the planes
    :func:`check_symmetry_axes` returns): a boundary of ``mesh`` lying on the plane with
    zero displacement along its normal (the axis' component, ``{"symmetry_x": {"x":
    0.0}}``; on the plane x = y the component ``"n"``, ``{"symmetry_d": {"n": 0.0}}``),
    for each plane the model has a face on (an eighth meets x = 0 only in the z axis). A
    cut model whose plane is left free is not the full body: an
    :class:`~fea.errors.InputError` naming ``key`` says which plane lacks its condition."""
    if not symmetry:
        return
    p = np.asarray(mesh.p1.p.T, dtype=np.float64)
    tol = PLANE_TOL * float(np.ptp(p, axis=0).max())
    facets = np.asarray(mesh.p1.facets)
    for a in symmetry:
        normal = np.array(PLANE_NORMALS[a])
        comp = "n" if a == "d" else a
        on = p[np.abs(p @ normal) <= tol]
        if len(on) < 3 or np.linalg.svd(on - on.mean(axis=0), compute_uv=False)[1] <= tol:
            continue  # the model meets the plane in a line at most (an eighth: x = 0)
        held = False
        for name, comps in (fixed or {}).items():
            if name not in mesh.boundaries or comp not in comps or comps[comp] != 0.0:
                continue
            nodes = np.unique(facets[:, np.asarray(mesh.boundaries[name])])
            if nodes.size and np.abs(p[nodes] @ normal).max() <= tol:
                held = True
                break
        if not held:
            plane = "x = y" if a == "d" else f"{a} = 0"
            raise InputError(
                key,
                dict(fixed or {}),
                f"zero normal displacement on the symmetry plane {plane} that symmetry "
                f"{list(symmetry)} cuts (a boundary on it with component {comp!r} = 0.0, "
                f"e.g. {{'symmetry_{a}': {{{comp!r}: 0.0}}}})",
            )


def _on_plane(nodes: NDArray[np.float64], symmetry: Sequence[str]) -> dict[str, NDArray]:
    """Plane -> which of ``nodes`` (n, 3) [m] lie on it, for each plane of ``symmetry``."""
    if not symmetry or not len(nodes):
        return {a: np.zeros(len(nodes), dtype=bool) for a in symmetry}
    tol = PLANE_TOL * float(np.ptp(nodes, axis=0).max())
    return {a: np.abs(nodes @ np.array(PLANE_NORMALS[a])) <= tol for a in symmetry}


def _orbit_sizes(nodes: NDArray[np.float64], symmetry: Sequence[str]) -> NDArray[np.float64]:
    """The number of images of each node (n,) under the group the planes generate: the
    group's order over that of the subgroup of the planes the node is on."""
    order = len(reflection_group([np.array(PLANE_NORMALS[a]) for a in symmetry]))
    on = _on_plane(nodes, symmetry)
    w = np.empty(len(nodes))
    kinds = np.column_stack([on[a] for a in symmetry])
    for kind in np.unique(kinds, axis=0):
        rows = np.all(kinds == kind, axis=1)
        sub = [np.array(PLANE_NORMALS[a]) for a, k in zip(symmetry, kind, strict=True) if k]
        w[rows] = order / len(reflection_group(sub))
    return w


def plane_nodes(
    nodes: NDArray[np.float64], symmetry: Sequence[str]
) -> dict[int, NDArray[np.bool_]]:
    """Axis index -> which of ``nodes`` (n, 3) [m] lie on the plane of that axis (within
    :data:`PLANE_TOL` of the model's extent), for each axis of ``symmetry``."""
    if not symmetry:
        return {}
    tol = PLANE_TOL * float(np.ptp(nodes, axis=0).max())
    return {"xyz".index(a): np.abs(nodes[:, "xyz".index(a)]) <= tol for a in symmetry
            if a != "d"}


def image_counts(nodes: NDArray[np.float64], symmetry: Sequence[str]) -> NDArray[np.float64]:
    """How many nodes of the full body each of ``nodes`` (n, 3) [m] of a model cut by the
    planes of ``symmetry`` stands for: ``2^(planes it is off)``, shape (n,); with the plane
    x = y (``"d"``) the size of its orbit under the group the planes generate (an eighth:
    8 off the planes, 4 on one, 1 on the z axis)."""
    if "d" in symmetry:
        return _orbit_sizes(nodes, symmetry)
    w = np.ones(len(nodes))
    for on in plane_nodes(nodes, symmetry).values():
        w *= np.where(on, 1.0, 2.0)
    return w


def symmetric_affine_fit(
    nodes: NDArray[np.float64],
    u: NDArray[np.float64],
    attached: NDArray[np.int64],
    symmetry: Sequence[str],
) -> NDArray[np.float64]:
    """The best affine fit ``c + A (x - m)`` of the displacement of the FULL body of a model
    cut by the planes ``a = 0`` of ``symmetry``, at every node.

    The full body is the model and its mirror images; its displacement is the model's
    mirrored (``u(R x) = R u(x)``, ``R`` the reflection, u . n = 0 on the plane). The
    least-squares fit over the full body's attached nodes maps to a fit of the same kind
    (``R c``, ``R A R``) under ``R``, so its minimum-norm solution is symmetric: ``c_a =
    0``, ``A_ak = A_ka = 0`` for ``k != a``; component ``a`` odd in ``x_a``, the others even.
    Each image of a node has the same squared residual, so the full body's sum is the
    model's with each node weighted by its number of images, ``2^(planes it is off)``; the
    centroid ``m`` of the full body's attached nodes is that weighted mean, on the planes.
    Per component ``k`` the fit keeps the terms of its parity: ``1`` if ``k`` is no axis of
    ``symmetry``, and ``x_t - m_t`` where, for every axis ``a`` of ``symmetry``, ``t == a``
    exactly when ``k == a`` (so ``u_x = A_xx x`` for the plane x = 0; ``u_y``, ``u_z`` in
    ``1``, ``y``, ``z``): a weighted least-squares problem per component, solved for the
    minimum-norm coefficients as the full body's fit is.

    Parameters
    ----------
    nodes
        Node positions of the model (n, 3) [m], on ``x_a >= 0`` for each axis ``a``.
    u
        Displacement (n, 3) [m]; ``attached``: the nodes (m,) fitted.
    symmetry
        The axes (``"x"``, ``"y"``, ``"z"``) of the planes.

    Returns
    -------
    numpy.ndarray
        The fit at every node, (n, 3) [m], its normal component exactly zero on the planes.

    With the plane x = y (``"d"``: an eighth model) the fit is sought among the affine
    maps the group of the planes leaves invariant (``g c = c``, ``g A g^T = A``: for the
    square's group ``c = (0, 0, c_z)``, ``A = diag(a, a, e)``), in an orthonormal basis of
    them, each node weighted by its orbit (:func:`image_counts`): the full body's
    minimum-norm fit is invariant, so it is this one.
    """
    if "d" in symmetry:
        return _invariant_affine_fit(nodes, u, attached, symmetry)
    axes = ["xyz".index(a) for a in symmetry]
    on = plane_nodes(nodes, symmetry)
    wa = image_counts(nodes, symmetry)[attached]
    m = (wa[:, None] * nodes[attached]).sum(axis=0) / wa.sum()
    m[axes] = 0.0  # the full body's centroid is on its planes of symmetry
    x = nodes - m
    sw = np.sqrt(wa)
    out = np.zeros((len(nodes), 3))
    for k in range(3):
        # the terms of the parity of component k under every reflection: x_t is odd under
        # the reflection of axis t, even under the others; component k must be odd under
        # its own axis' reflection, even under the others'
        terms = [t for t in range(3) if all((t == a) == (k == a) for a in axes)]
        cols = [x[:, t] for t in terms]
        if k not in axes:
            cols.insert(0, np.ones(len(nodes)))
        X = np.column_stack(cols)
        coef = np.linalg.lstsq(sw[:, None] * X[attached], sw * u[attached, k], rcond=None)[0]
        out[:, k] = X @ coef
    for k, o in on.items():
        out[o, k] = 0.0
    return out


def _invariant_affine_fit(
    nodes: NDArray[np.float64],
    u: NDArray[np.float64],
    attached: NDArray[np.int64],
    symmetry: Sequence[str],
) -> NDArray[np.float64]:
    """:func:`symmetric_affine_fit` for any planes (a reflection group): the weighted
    least-squares fit over the invariant affine maps (see there)."""
    group = reflection_group([np.array(PLANE_NORMALS[a]) for a in symmetry])
    fix = sum(group) / len(group)  # the projector onto the group's fixed vectors
    wa = image_counts(nodes, symmetry)[attached]
    m = fix @ ((wa[:, None] * nodes[attached]).sum(axis=0) / wa.sum())
    # theta = (c (3), A (3x3) row-major); g acts as (g c, g A g^T): average the action
    P = np.zeros((12, 12))
    for g in group:
        P[:3, :3] += g
        P[3:, 3:] += np.kron(g, g)
    P /= len(group)
    vals, vecs = np.linalg.eigh((P + P.T) / 2)
    B = vecs[:, vals > 0.5]  # orthonormal basis of the invariant maps, (12, r)
    x = nodes - m
    # u_k(x) = c_k + sum_t A_kt x_t: the design matrix of theta, per component k
    def design(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        X = np.zeros((len(rows), 3, 12))
        for k in range(3):
            X[:, k, k] = 1.0
            X[:, k, 3 + 3 * k : 6 + 3 * k] = x[rows]
        return X @ B  # (len, 3, r)

    Xa = design(attached) * np.sqrt(wa)[:, None, None]
    ya = u[attached] * np.sqrt(wa)[:, None]
    beta = np.linalg.lstsq(Xa.reshape(-1, B.shape[1]), ya.ravel(), rcond=None)[0]
    out = design(np.arange(len(nodes))) @ beta
    for a, on in _on_plane(nodes, symmetry).items():
        n = np.array(PLANE_NORMALS[a])
        out[on] -= np.outer(out[on] @ n, n)  # exactly zero normal component on a plane
    return out


def build_constraints(
    mesh: Any,
    fs: FieldSpace,
    fixed: Mapping[str, Mapping[str, float]] | None,
    active: NDArray[np.bool_],
    u: NDArray[np.float64],
    key: int,
) -> StepConstraints:
    """The constraints of the active body: the nodes no active element touches held where
    they are (``u``, (n, 3)), ``fixed`` on the active nodes, and a 3-2-1 support for each
    connected part left free (:func:`fea.fe.constraints.free_body_constraints`). An
    inclined plane (component ``"n"`` of ``fixed``) needs nodal frames:
    :func:`build_step_constraints`."""
    con, _ = _constraints(mesh, fs, fixed, active, u, key, inclined=False)
    return con


def build_step_constraints(
    mesh: Any,
    fs: FieldSpace,
    fixed: Mapping[str, Mapping[str, float]] | None,
    active: NDArray[np.bool_],
    u: NDArray[np.float64],
    key: int,
) -> tuple[StepConstraints, sp.csr_matrix | None]:
    """:func:`build_constraints` with inclined planes (``{"symmetry_d": {"n": 0.0}}``):
    the constraints and None, or with an inclined plane the constraints of the local
    components ``q`` and the nodal frames' ``T`` (3 n, 3 n) of ``u = T q``
    (:func:`fea.fe.constraints.inclined_frames`; their DOFs, values, modes and near-null
    space are those of ``q``, the system to solve ``T^T K T q = T^T f``)."""
    return _constraints(mesh, fs, fixed, active, u, key, inclined=True)


def _constraints(
    mesh: Any,
    fs: FieldSpace,
    fixed: Mapping[str, Mapping[str, float]] | None,
    active: NDArray[np.bool_],
    u: NDArray[np.float64],
    key: int,
    inclined: bool,
) -> tuple[StepConstraints, sp.csr_matrix | None]:
    n3 = 3 * fs.n
    is_active = np.zeros(fs.n, dtype=bool)
    is_active[fs.dofs[active].ravel()] = True
    values = np.zeros(n3)
    inactive = np.nonzero(~is_active)[0]
    D_in = (3 * inactive[:, None] + np.arange(3)).ravel()
    values[D_in] = u[inactive].ravel()  # held where they are
    planes: list | None = [] if inclined else None
    D0, given = prescribed_displacements(mesh, fs, fixed, is_active, planes=planes)
    T = None
    if planes:
        # frames at active nodes only: the inactive ones (held whole) keep the identity
        frames, D0, given = inclined_frames(fs.n, D0, given, planes)
        T = frames.matrix(fs.n)
    values[D0] = given[D0]
    held = free_body_constraints(
        fs.nodes, mesh.p1.p.shape[1], connected_parts(mesh, fs.dofs, active), D0, frame=T
    )
    if held.modes.shape[1]:
        Q, _ = np.linalg.qr(held.modes)
    else:
        Q = np.zeros((n3, 0))
    R_all = rigid_body_modes(fs.nodes)
    if T is not None:
        R_all = np.asarray(T.T @ R_all)
    R_all[D_in] = 0.0
    D = np.unique(np.concatenate([D_in, D0, held.supports]))
    return StepConstraints(D, values, held.supports, Q, R_all, key), T


def add_diagonal(A: sp.csr_matrix, d: NDArray[np.float64]) -> None:
    """``A += diag(d)`` in place, for a CSR matrix that stores every diagonal entry (the
    assembled pattern does, zeros included): SciPy's sparse sum would drop stored zeros."""
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    pos = np.nonzero(A.indices == rows)[0]
    if len(pos) != A.shape[0]:
        raise InputError("stiffness", "pattern", "a stored diagonal entry in every row")
    A.data[pos] += d[rows[pos]]


class StepStiffness:
    """The stiffness of a history step, assembled or combined from stored parts."""

    def __init__(self, fs: FieldSpace) -> None:
        self.fs = fs
        self.K_rest: sp.csr_matrix | None = None
        self.rest_key: tuple | None = None  # (lam, mu) of the elements in K_rest
        self.units: dict[str, tuple] = {}  # region -> (lam, mu, K data at them, unit parts)

    def __call__(
        self,
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
    ) -> sp.csr_matrix:
        """The stiffness (CSR, every pattern entry stored). Where each viscoelastic region
        has one (lam, mu) (a uniform temperature), it is the cached stiffness of the other
        elements plus per region ``lam K_r(1, 0) + mu K_r(0, 1)``: a combination of stored
        matrices of one pattern instead of an assembly."""
        fs = self.fs
        uniform = all(
            lam[el].min() == lam[el].max() and mu[el].min() == mu[el].max()
            for el, _ in visco.values()
        )
        if not visco or not uniform:
            return forms.elasticity_matrix(fs, lam, mu)
        rest = np.ones(lam.shape[0], dtype=bool)
        for el, _ in visco.values():
            rest[el] = False
        lr, mr = np.where(rest, lam, 0.0), np.where(rest, mu, 0.0)
        # the other elements' moduli as they were assembled (an XOR of two hashes was 0
        # whenever lam = mu, at nu = 0.25, and kept a stale stiffness)
        old = self.rest_key
        if not (old is not None and np.array_equal(old[0], lr) and np.array_equal(old[1], mr)):
            self.K_rest = forms.elasticity_matrix(fs, lr, mr)
            self.rest_key = (lr, mr)
        data: NDArray[np.float64] | None = None

        def add(c: float, part: NDArray[np.float64]) -> None:
            nonlocal data
            if data is None:
                data = np.multiply(part, c)
                data += self.K_rest.data
            else:
                data += c * part

        for r, (el, _) in visco.items():
            la, m = float(lam[el[0]]), float(mu[el[0]])
            if r not in self.units:
                # the region's stiffness at these moduli: a law with one series scales
                # both Lamé parameters alike, so later steps are multiples of it
                mask = np.zeros(lam.shape[0])
                mask[el] = 1.0
                K0 = forms.elasticity_matrix(fs, mask * la, mask * m).data
                self.units[r] = (la, m, K0, None)
            la0, m0, K0, parts = self.units[r]
            c = m / m0 if m0 else 0.0
            if m0 and abs(la - c * la0) <= 1e-12 * max(abs(la), abs(c * la0), 1e-300):
                add(c, K0)
                continue
            if parts is None:  # a separate bulk series: lam and mu relax differently
                mask = np.zeros(lam.shape[0])
                mask[el] = 1.0
                parts = (
                    forms.elasticity_matrix(fs, mask, 0.0 * mask).data,
                    forms.elasticity_matrix(fs, 0.0 * mask, mask).data,
                )
                self.units[r] = (la0, m0, K0, parts)
            add(la, parts[0])
            add(m, parts[1])
        K = self.K_rest
        if data is None:
            data = K.data.copy()
        # the pattern is shared (nothing changes it in place); the values are the step's
        out = sp.csr_matrix((data, K.indices, K.indptr), shape=K.shape, copy=False)
        out.has_sorted_indices = K.has_sorted_indices
        return out


class StepWatch:
    """Volume averages over named element sets after every converged step of a
    :class:`HistoryModel` (``solve_history(watch=...)``): time, temperature, stress and
    strain, and which sample each reported state is.

    Parameters
    ----------
    fs
        The model's field space.
    sets
        name -> element indices (k,), each non-empty.
    """

    def __init__(self, fs: FieldSpace, sets: Mapping[str, NDArray[np.int64]]) -> None:
        self.fs = fs
        self.sets = {n: np.asarray(e, dtype=np.int64) for n, e in sets.items()}
        # all sets' elements in one array (one stress and one strain evaluation a step),
        # each set a segment of it
        self.all = np.concatenate(list(self.sets.values()))
        sizes = [len(e) for e in self.sets.values()]
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.w = np.asarray(fs.basis.dx[self.all])  # (m, n_q)
        self.volume = np.add.reduceat(self.w.sum(axis=1), self.starts)  # (sets,)
        self.times: list[float] = []
        self.temperature: list[NDArray[np.float64]] = []  # (sets,) each
        self.stress: list[NDArray[np.float64]] = []  # (sets, 6) each
        self.strain: list[NDArray[np.float64]] = []
        self.states: list[int] = []

    def _average(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Volume average over each set of a quadrature field (m, n_q, ...)."""
        per_el = np.einsum("eq,eq...->e...", self.w, q)
        return np.add.reduceat(per_el, self.starts, axis=0) / self.volume.reshape(
            (-1,) + (1,) * (per_el.ndim - 1)
        )

    def sample(self, model: HistoryModel) -> None:
        """Append the model's present averages (after a converged step)."""
        self.times.append(float(model.time))
        e = self.all
        eps = forms.strain_at_quadrature(self.fs, model.u, elements=e)
        self.stress.append(self._average(model.stress_at(e)))
        self.strain.append(voigt_engineering(self._average(eps)))
        self.temperature.append(self._average(model.Tq[e]))

    def record(self, k: int) -> tuple[NDArray, NDArray, NDArray]:
        """Set ``k``'s samples: temperature (n,), stress (n, 6), strain (n, 6)."""
        return (
            np.array([t[k] for t in self.temperature], dtype=float),
            np.array([s[k] for s in self.stress], dtype=float).reshape(-1, 6),
            np.array([s[k] for s in self.strain], dtype=float).reshape(-1, 6),
        )

    def mark_state(self) -> None:
        """The last sample is a reported state."""
        self.states.append(len(self.times) - 1)


class HistoryModel:
    """The state of a history between steps (see the module): :meth:`start`, :meth:`step`,
    :meth:`add` and :meth:`remove` regions, :meth:`state` for a result."""

    def __init__(
        self,
        mesh: Any,
        materials: Mapping[str, Material],
        reference: float | Mapping[str, float],
        *,
        born: Sequence[str],
        shrinkage: bool | Sequence[str],
        cured_later: Sequence[str],
        traction: Mapping[str, Sequence[float]] | None,
        solver: RecyclingSolver,
        eigenstrain: Any = None,
        symmetry: Sequence[str] = (),
    ) -> None:
        self.mesh = mesh
        self.fs = fs = space(mesh)
        self.symmetry = check_symmetry_axes(fs.nodes, symmetry)
        # DOF weights of the full body's inner product: each node counts as its images
        self.dof_weights = (
            np.repeat(image_counts(fs.nodes, self.symmetry), 3) if self.symmetry else None
        )
        self.regions = list(mesh.regions)
        self.mats = assign(self.regions, materials)
        self.ref = reference_temperatures(reference, self.regions)
        self.solver = solver
        self.stiffness = StepStiffness(fs)
        self.nq = fs.n_q
        self.extra_eps0 = (
            None if eigenstrain is None else extra_eigenstrain(eigenstrain, mesh.n_elements, fs.n_q)
        )
        self.el = {r: np.asarray(e, dtype=np.int64) for r, e in mesh.regions.items()}
        self.laws = {r: m.law() for r, m in self.mats.items() if m.viscoelastic}
        # inelastic regions: law, state, committed mechanical strain (engineering shears)
        # and the last converged tangent, per quadrature point (element-major)
        self.inel_laws = {
            r: m.inelastic_law() for r, m in self.mats.items() if m.inelastic is not None
        }
        self.inel_states: dict[str, Any] = {}
        self.inel_eps: dict[str, NDArray[np.float64]] = {}
        self.inel_D: dict[str, NDArray[np.float64] | None] = {}
        self.stiffness_lin = StepStiffness(fs)
        # the last step's linear stiffness without the inelastic elements (regions, visco
        # regions, lam, mu, K_L), the tangent's assembly and the kept tangent factorisation
        # (None: PCG preconditioned by the recycling solver's elastic entry)
        self.lin_kept: tuple | None = None
        self.tangent_assembly: dict[tuple[str, ...], TangentAssembly] = {}
        # K_L with the constraints eliminated, for the matrix-free tangent's products
        # (K_L it was made from, the constraints' key and scale, the matrix)
        self.lin_constrained: tuple | None = None
        self.tangent_pre: TangentPreconditioner | None = None
        self.newton_options: dict[str, Any] = {}
        #: (constraints key, Newton's solution (3 n,)) of the last inelastic step, the
        #: base of :meth:`_extrapolated` (None after a linear step or a start).
        self.newton_last: tuple[Any, NDArray[np.float64]] | None = None
        #: The increments (temperature change (n,), Newton unknowns' increment (3 n,)) of
        #: the last steps, at most two, oldest first, all under :attr:`newton_last`'s key:
        #: what :meth:`_extrapolated` continues.
        self.increments: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
        self.newton_stats = {
            "newton_steps": 0,
            "newton_iterations": 0,
            "pcg_iterations": 0,
            "direct_tangent_solves": 0,
            "tangent_factorizations": 0,
            "cutbacks": 0,
        }
        self.step_label = ""
        self.active = np.zeros(mesh.n_elements, dtype=bool)
        self.present: list[str] = []
        for r in self.regions:
            if r not in born:
                self.present.append(r)
                self.active[self.el[r]] = True
        self.u = np.zeros((fs.n, 3))
        self.offset: dict[str, NDArray[np.float64]] = {}
        self.states: dict[str, ViscoState] = {}
        for r in self.laws:
            if r in self.present:
                self.states[r] = self.laws[r].init_state(len(self.el[r]) * self.nq)
        for r in self.inel_laws:
            if r in self.present:
                self._init_inelastic(r)
        self.cure = {}
        for r in self.regions:
            m = self.mats[r]
            full = shrinkage is True or (not isinstance(shrinkage, bool) and r in shrinkage)
            self.cure[r] = 0.0 if (r in cured_later or not (full and m.shrinkage)) else 1.0
        self.f_ext = np.zeros(3 * fs.n)
        for name, t in dict(traction or {}).items():
            if name not in mesh.boundaries:
                raise InputError(f"traction.{name}", name, "a boundary of the mesh")
            tv = np.asarray(t, dtype=float)
            if tv.shape != (3,) or not np.all(np.isfinite(tv)):
                raise InputError(f"traction.{name}", t, "(tx, ty, tz) [Pa]")
            for a in range(3):
                if tv[a]:
                    self.f_ext[a::3] += forms.facet_load(fs, mesh.boundaries[name], tv[a])
        self.unit_loads: dict[str, NDArray[np.float64]] = {}
        self.grads: dict[tuple[str, ...], NDArray[np.float64]] = {}
        self.T = None
        self.Tq = None
        self.T_el = None
        self.eps0 = None
        self.lam = np.zeros(mesh.n_elements)
        self.mu = np.zeros(mesh.n_elements)
        self.con: StepConstraints | None = None
        #: the nodal frames' T (3 n, 3 n) of an inclined plane (u = T q), or None
        self.frame: sp.csr_matrix | None = None
        self.con_count = 0
        self.fixed: Mapping | None = None
        #: time of the last converged step [s] (the sum of the steps' lengths)
        self.time = 0.0
        #: what follows element sets through every step (:class:`StepWatch`), or None
        self.watch: StepWatch | None = None
        # each element's region (index into self.regions) and place in that region's list
        self.region_of = np.full(mesh.n_elements, -1, dtype=np.int64)
        self.place = np.zeros(mesh.n_elements, dtype=np.int64)
        for i, r in enumerate(self.regions):
            self.region_of[self.el[r]] = i
            self.place[self.el[r]] = np.arange(len(self.el[r]))

    def _init_inelastic(self, r: str) -> None:
        n = len(self.el[r]) * self.nq
        self.inel_states[r] = self.inel_laws[r].init_state(n)
        self.inel_eps[r] = np.zeros((n, 6))
        self.inel_D[r] = None

    def check_solid(
        self, T: NDArray[np.float64], key: str, regions: Sequence[str] | None = None
    ) -> None:
        """Refuse nodal temperatures ``T`` [degC] (n,) that take an inelastic region
        (of ``regions``, default all) above its law's solidus at one of its elements'
        nodes: an :class:`~fea.errors.InputError` naming ``key``, the hottest nodal
        temperature, the region and the solidus (:meth:`~fea.physics.inelastic.Plastic.
        check_solid`). Melting is judged by the nodal field (the one given or computed),
        not by its values at the quadrature points: on a quadratic mesh those can lie
        above every node of the element (an interpolation overshoot, not a physical
        temperature), and the laws are given them limited to the element's nodal range
        (:meth:`law_temperature`)."""
        names = self.inel_laws if regions is None else regions
        T = np.asarray(T, dtype=float)
        for r in names:
            law = self.inel_laws[r]
            if getattr(law, "solidus_C", None) is None or not len(self.el[r]):
                continue
            law.check_solid(key, T[self.fs.dofs[self.el[r]]], f"region {r}")

    def law_temperature(
        self, r: str, T: NDArray[np.float64], Tq: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The temperatures [degC] region ``r``'s inelastic law is given, (n_el_r * nq,):
        ``Tq`` (n_el, nq), the nodal field ``T`` (n,) at the quadrature points, limited
        to each element's nodal range [min, max]. On a quadratic mesh a non-uniform
        nodal field interpolates to quadrature-point values outside the range of the
        element's own nodes (an uneven field with every node at most 217 degC gives
        220 degC); that overshoot is an artefact of the interpolation, not a physical
        temperature, and a solder law is neither evaluated beyond its nodes' temperatures
        nor refused past its solidus for it (:meth:`check_solid`). On a linear mesh, or
        a uniform field, the values are ``Tq``'s."""
        e = self.el[r]
        q = Tq[e]
        if q.size == 0:
            return q.ravel()
        Tn = np.asarray(T, dtype=float)[self.fs.dofs[e]]
        return np.clip(q, Tn.min(axis=1)[:, None], Tn.max(axis=1)[:, None]).ravel()

    @property
    def inelastic_present(self) -> list[str]:
        """The present regions with an inelastic law."""
        return [r for r in self.present if r in self.inel_laws]

    # -- temperatures and eigenstrains ---------------------------------------------------
    def _at_quadrature(self, T: NDArray[np.float64]) -> NDArray[np.float64]:
        if T.min() == T.max():
            return np.full((self.mesh.n_elements, self.nq), float(T[0]))
        return forms.at_quadrature(self.fs, T)

    def _eigenstrain(self, Tq: NDArray[np.float64], cure: Mapping[str, float]) -> NDArray:
        eps0 = thermal_eigenstrain(self.mesh, self.mats, self.ref, Tq, cure=cure)
        return eps0 if self.extra_eps0 is None else eps0 + self.extra_eps0

    def _visco(self) -> dict[str, tuple[NDArray[np.int64], Viscoelastic]]:
        return {r: (self.el[r], law) for r, law in self.laws.items() if r in self.present}

    def _moduli(
        self, T_el: NDArray[np.float64], dxi: Mapping[str, NDArray[np.float64]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lam = np.zeros(self.mesh.n_elements)
        mu = np.zeros(self.mesh.n_elements)
        for r in self.present:
            e = self.el[r]
            if r in self.laws:
                lam[e], mu[e] = self.laws[r].lame_at(dxi[r])
            else:
                m = self.mats[r]
                lam[e], mu[e] = lame(m.youngs(T_el[e]), m.nu)
        return lam, mu

    # -- constraints --------------------------------------------------------------------
    def set_fixed(self, fixed: Mapping | None) -> None:
        if fixed is not self.fixed or self.con is None:
            self.fixed = fixed
            self.rebuild()

    def rebuild(self) -> None:
        self.con_count += 1
        self.con, self.frame = build_step_constraints(
            self.mesh, self.fs, self.fixed, self.active, self.u, self.con_count
        )

    # -- steps ----------------------------------------------------------------------------
    def start(self, T: NDArray[np.float64]) -> dict[str, Any]:
        """The state at the first time: an instantaneous (glassy) solve (its errors name
        :attr:`step_label`, by default the instantaneous solve at t = 0 s)."""
        if not self.step_label:
            self.step_label = "the instantaneous solve at t = 0 s"
        self.T = T
        self.time = 0.0
        self.increments, self.newton_last = [], None
        self.Tq = self._at_quadrature(T)
        self.T_el = T[self.fs.dofs].mean(axis=1)
        self.eps0 = self._eigenstrain(self.Tq, self.cure)
        return self.step(0.0, T, dict(self.cure))

    def step(self, dt: float, T_new: NDArray[np.float64], cure: Mapping[str, float]) -> dict:
        """One converged step of length ``dt`` [s] to the temperatures ``T_new`` (n,)
        [degC] and ``cure`` (region -> degree); the watched sets are sampled after it."""
        facts = self._step(dt, T_new, cure)
        self.time += dt
        if self.watch is not None:
            self.watch.sample(self)
        return facts

    def _step(self, dt: float, T_new: NDArray[np.float64], cure: Mapping[str, float]) -> dict:
        if self.inelastic_present:
            return self._step_inelastic(dt, T_new, cure)
        self.increments, self.newton_last = [], None  # a linear step: no ramp to continue
        Tq, T_el, eps0, visco, dxi, lam, mu, plan = self._plan_step(dt, T_new, cure)
        f = self._loads(lam, mu, eps0, visco, dxi)
        T = self.frame
        if T is not None:  # the nodal frames of an inclined plane: solved for q, u = T q
            f = T.T @ f
        u, facts = self.solver.run(plan, f, lam, mu, self.con)
        u = self._full_body_modes(u)  # its weights are per node: the same for q
        if T is not None:
            u = T @ u
        self._commit(u.reshape(-1, 3), (Tq, T_el, eps0, visco, dxi, lam, mu), T_new, cure)
        return facts

    def _full_body_modes(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """``u`` (3 n,) with the rigid motions the free parts' supports leave arbitrary
        removed as the full body removes them on a model cut by symmetry planes.

        The solver projects them out in the model's own inner product (each node once);
        the full body projects its displacement, the model's mirrored, in its inner
        product: each node weighted by its images (:func:`image_counts`). The rigid modes
        a cut part keeps free (those with u . n = 0 on its planes: a translation along z,
        for a half also along y and a rotation about x) are the full body's symmetric
        ones, so this weighted projection gives the full body's state exactly (the rigid
        translation of a part matters wherever a surface also holds nodes of a region not
        born yet). A full model's ``u`` is returned as it is."""
        con = self.con
        if self.dof_weights is None or con is None:
            return u
        return remove_rigid_part(u, con.Q, self.dof_weights)

    def _commit(
        self,
        u: NDArray[np.float64],
        planned: tuple,
        T_new: NDArray[np.float64],
        cure: Mapping[str, float],
    ) -> None:
        """Accept a converged step: the viscoelastic states advanced with the step's
        strain, then the displacement ``u`` (n, 3), temperatures, eigenstrain, moduli and
        cure of the step (``planned``: ``(Tq, T_el, eps0, visco, dxi, lam, mu)`` from
        :meth:`_plan_step`) become the model's."""
        Tq, T_el, eps0, visco, dxi, lam, mu = planned
        fs = self.fs
        for r, (el, law) in visco.items():
            if len(visco) == 1 and list(self.grads) == [(r,)]:
                eps = forms.strain_at_quadrature(fs, u, elements=el, grads=self.grads[(r,)])
            else:
                eps = forms.strain_at_quadrature(fs, u, elements=el)
            eps[..., :3] -= eps0[el][..., None]
            if r in self.offset:
                eps -= self.offset[r]
            d = np.repeat(dxi[r], self.nq)
            self.states[r] = law.update_at(self.states[r], voigt_engineering(eps).reshape(-1, 6), d)
        self.u = u
        self.T, self.Tq, self.T_el, self.eps0 = T_new, Tq, T_el, eps0
        self.lam, self.mu = lam, mu
        self.cure = dict(cure)

    def _plan_step(
        self,
        dt: float,
        T_new: NDArray[np.float64],
        cure: Mapping[str, float],
        need_plan: bool = True,
    ) -> tuple:
        """The step's temperatures, eigenstrain, viscoelastic increments, moduli and plan.

        Returns ``(Tq, T_el, eps0, visco, dxi, lam, mu, plan)``: ``T_new`` at the quadrature
        points and averaged per element, the eigenstrain, the viscoelastic regions, their
        reduced-time increments, the moduli (Pa) and the recycling solver's
        plan. Where the plan snapped to a cached entry, ``dxi`` and the moduli are the
        entry's. The constraints are rebuilt first if they were dropped. ``need_plan``
        False (a step solved without the recycling solver: no viscoelastic region, a
        kept tangent factorisation): ``plan`` is None, the step is counted only."""
        Tq = self.Tq if T_new is self.T else self._at_quadrature(T_new)
        T_el = T_new[self.fs.dofs].mean(axis=1)
        eps0 = self._eigenstrain(Tq, cure)
        visco = self._visco()
        dxi = {
            r: law.reduced_time_increment(dt, self.T_el[el], T_el[el])
            for r, (el, law) in visco.items()
        }
        lam, mu = self._moduli(T_el, dxi)
        if self.con is None:
            self.rebuild()
        assert self.con is not None
        if not need_plan and not visco:
            self.solver.stats["steps"] += 1
            return Tq, T_el, eps0, visco, dxi, lam, mu, None
        plan = self.solver.plan(
            lam,
            mu,
            dxi,
            visco,
            self.con,
            lambda d: self._moduli(T_el, d),
            lambda la, m: self._framed(self.stiffness(la, m, visco)),
        )
        if plan.dxi is not dxi and any(not np.array_equal(plan.dxi[r], dxi[r]) for r in dxi):
            # snapped: this step's tangent and history use the cached entry's dxi
            dxi = plan.dxi
            lam, mu = self._moduli(T_el, dxi)
        return Tq, T_el, eps0, visco, dxi, lam, mu, plan

    def _framed(self, K: sp.csr_matrix) -> sp.csr_matrix:
        """``T^T K T`` with the nodal frames of an inclined plane (CSR, sorted, the same
        pattern at every call), or ``K`` itself without them."""
        T = self.frame
        if T is None:
            return K
        return frame_product(K, T)

    def _grads(self, key: tuple[str, ...], elements: NDArray[np.int64]) -> NDArray:
        """Shape-function gradients of ``elements`` (kept: every step uses them)."""
        if key not in self.grads:
            self.grads = {key: self.fs.grads()[:, :, elements]}  # one set at a time
        return self.grads[key]

    def _unit_load(self, r: str) -> NDArray[np.float64]:
        """Load of a unit isotropic stress (1 Pa) over region ``r`` (cached)."""
        if r not in self.unit_loads:
            e = self.el[r]
            S = np.zeros((len(e), self.nq, 6))
            S[..., :3] = 1.0
            self.unit_loads[r] = forms.stress_load(self.fs, S, e)
        return self.unit_loads[r]

    def _loads(self, lam, mu, eps0, visco, dxi) -> NDArray[np.float64]:
        """``f_ext + int B^T (C (eps0 I + eps_b) - sigma_h)`` over the active elements.

        An elastic region without a birth strain whose eigenstrain and moduli are uniform
        (a uniform temperature) loads as a multiple of its unit load; the others are
        integrated element by element."""
        f = self.f_ext.copy()
        general = []
        for r in self.present:
            e = self.el[r]
            if r not in self.laws and r not in self.offset:
                ep, la, m = eps0[e], lam[e], mu[e]
                if ep.min() == ep.max() and la.min() == la.max() and m.min() == m.max():
                    s = (3.0 * la[0] + 2.0 * m[0]) * ep.flat[0]
                    if s:
                        f += s * self._unit_load(r)
                    continue
            general.append(r)
        if not general:
            return f
        idx = np.concatenate([self.el[r] for r in general])
        S = np.zeros((len(idx), self.nq, 6))
        pos = 0
        for r in general:
            e = self.el[r]
            sl = slice(pos, pos + len(e))
            pos += len(e)
            S[sl, :, :3] = ((3.0 * lam[e] + 2.0 * mu[e])[:, None] * eps0[e])[..., None]
            if r in self.offset:
                S[sl] += hooke(lam[e][:, None], mu[e][:, None], self.offset[r])
            if r in visco:
                d = np.repeat(dxi[r], self.nq)
                S[sl] -= self.laws[r].history_at(self.states[r], d).reshape(len(e), self.nq, 6)
        return f + forms.stress_load(self.fs, S, idx, self._grads(tuple(general), idx))

    # -- birth and removal ---------------------------------------------------------------
    def add(self, regions: Sequence[str], backend: str, method: str = "auto") -> None:
        for r in regions:
            if r not in self.mesh.regions:
                raise InputError(
                    "stage.add", r, f"a region of the mesh ({', '.join(self.regions)})"
                )
            if r in self.present:
                raise InputError("stage.add", r, "a region not present at that stage")
        fs = self.fs
        old_nodes = np.zeros(fs.n, dtype=bool)
        old_nodes[fs.dofs[self.active].ravel()] = True
        new = np.zeros(self.mesh.n_elements, dtype=bool)
        for r in regions:
            new[self.el[r]] = True
        new_nodes = np.unique(fs.dofs[new])
        free = new_nodes[~old_nodes[new_nodes]]
        if free.size and old_nodes[new_nodes].any():
            self.u[free] = self._extension(new, free, backend, method)[free]
        elif free.size:
            self.u[free] = 0.0
        for r in regions:
            e = self.el[r]
            eps = forms.strain_at_quadrature(fs, self.u, elements=e)
            eps[..., :3] -= self.eps0[e][..., None]
            self.offset[r] = eps  # stress free at birth
            self.active[e] = True
            self.present.append(r)
            if r in self.laws:
                self.states[r] = self.laws[r].init_state(len(e) * self.nq)
            if r in self.inel_laws:
                self._init_inelastic(r)
        self.rebuild()

    def _extension(
        self, elements: NDArray[np.bool_], free: NDArray[np.int64], backend: str, method: str
    ):
        """Displacement (n, 3) whose rows ``free`` extend the current displacement of the
        nodes of ``elements`` that are already attached: the best affine fit of the
        attached displacement (so a rigid motion or a uniform strain of the body the region
        is born on continues exactly), plus the elastic extension (unit modulus, nu 0.3,
        on ``elements``, the rest held) of what the fit leaves.

        On a model cut by symmetry planes (:attr:`symmetry`) the fit is the full body's
        (:func:`symmetric_affine_fit`) and the free nodes on a plane keep zero normal
        displacement, so that the extension is the full body's restricted to the model."""

        fs = self.fs
        nodes = np.unique(fs.dofs[elements])
        attached = nodes[~np.isin(nodes, free)]
        if self.symmetry:
            affine = symmetric_affine_fit(fs.nodes, self.u, attached, self.symmetry)
        else:
            x = fs.nodes - fs.nodes[attached].mean(axis=0)
            X = np.column_stack([np.ones(len(attached)), x[attached]])
            coef = np.linalg.lstsq(X, self.u[attached], rcond=None)[0]  # minimum norm
            affine = np.column_stack([np.ones(fs.n), x]) @ coef
        rest = self.u - affine
        out = affine
        if np.abs(rest[attached]).max() <= 1e-12 * max(np.abs(self.u[attached]).max(), 1e-300):
            return out
        lam1, mu1 = lame(np.where(elements, 1.0, 0.0), 0.3)
        K = forms.elasticity_matrix(fs, lam1, mu1)
        u0 = rest.ravel().copy()
        dfree = (3 * free[:, None] + np.arange(3)).ravel()
        is_free = np.zeros(3 * fs.n, dtype=bool)
        is_free[dfree] = True
        for k, on in plane_nodes(fs.nodes, self.symmetry).items():
            is_free[3 * np.flatnonzero(on) + k] = False  # u . n = 0 on the plane
        T = None
        if "d" in self.symmetry:
            # u . n = 0 on the plane x = y at the free nodes: nodal frames there, their
            # normal components held (where y = 0 meets it, both normals)
            on_d = _on_plane(fs.nodes, ("d",))["d"] & np.isin(np.arange(fs.n), free)
            if on_d.any():
                held_axis = dfree[~is_free[dfree]]
                frames, Dq, _ = inclined_frames(
                    fs.n, held_axis, np.zeros(3 * fs.n),
                    [("symmetry", np.flatnonzero(on_d), np.array(PLANE_NORMALS["d"]), 0.0)],
                )
                T = frames.matrix(fs.n)
                is_free[dfree] = True
                is_free[Dq] = False
        u0[dfree] = 0.0
        if T is not None:
            K = frame_product(K, T)
        b = -(K @ u0)  # u0 is zero at the free nodes, where the frames are
        # a tiny spring on every free DOF keeps parts with no held node definite
        diag = K.diagonal()
        add_diagonal(K, np.where(is_free, 1e-12 * max(diag[is_free].mean(), 1e-300), 0.0))
        D = np.nonzero(~is_free)[0]
        A = eliminate(K.tocsr(), D)
        # the held rows' right-hand side zero, their values set after the solve: with them
        # in b (the rest of the whole body's displacement, against forces of a unit
        # modulus) |b| was the held values' and rtol said nothing of the free rows (AMG-PCG
        # at rtol 1e-8 left 2.7e-4 of the largest displacement, 1e-4 left 3.9e-2)
        b[D] = 0.0
        x_, _ = solve(
            A,
            b,
            kind="elasticity",
            backend=backend,
            method=method,
            rtol=self.solver.rtol,
            maxiter=self.solver.maxiter,
        )
        x_ = np.array(x_, dtype=float)
        x_[D] = u0[D]
        if T is not None:
            x_ = T @ x_
        return out + x_.reshape(-1, 3)

    def remove(self, regions: Sequence[str]) -> None:
        for r in regions:
            if r not in self.present:
                raise InputError("stage.remove", r, f"a present region ({', '.join(self.present)})")
        for r in regions:
            self.active[self.el[r]] = False
            self.present.remove(r)
            self.offset.pop(r, None)
            self.states.pop(r, None)
            for d in (self.inel_states, self.inel_eps, self.inel_D):
                d.pop(r, None)
        self.rebuild()

    # -- output -----------------------------------------------------------------------------
    def state(self, t: float, facts: Mapping[str, Any]) -> HistoryState:
        fs = self.fs
        stress = np.zeros((self.mesh.n_elements, self.nq, 6))
        for r in self.present:
            stress[self.el[r]] = self._region_stress(r)
        info = {
            "time_s": float(t),
            "regions": list(self.present),
            "free_body_parts": int(self.con.Q.shape[1] // 6) if self.con is not None else 0,
            **{k: v for k, v in facts.items() if k != "reactions"},
        }
        return HistoryState(
            self.mesh,
            fs,
            self.u.copy(),
            stress,
            info,
            float(facts.get("reactions", 0.0)),
            time=float(t),
            temperature=self.T.copy(),
            materials=self.mats,
            active=self.active.copy(),
            inelastic=self._inelastic_fields() if self.inel_laws else None,
        )

    def stress_at(self, elements: NDArray[np.int64]) -> NDArray[np.float64]:
        """Stress [Pa] at the quadrature points of ``elements`` (k,), shape (k, n_q, 6),
        Voigt (xx, yy, zz, yz, xz, xy), as :meth:`state` gives it (zero where an element
        is not active)."""
        out = np.zeros((len(elements), self.nq, 6))
        rid, loc = self.region_of[elements], self.place[elements]
        for r in self.present:
            m = np.flatnonzero(rid == self.regions.index(r))
            if m.size:
                out[m] = self._region_stress(r, loc[m])
        return out

    def _region_stress(
        self, r: str, sel: NDArray[np.int64] | None = None
    ) -> NDArray[np.float64]:
        """Stress [Pa] of present region ``r``'s elements at positions ``sel`` of its
        element list (None: all), shape (k, n_q, 6): its viscoelastic or inelastic state,
        else Hooke's law of the current strain."""
        nq = self.nq
        e = self.el[r] if sel is None else self.el[r][sel]
        if r in self.laws:
            st = self.states[r]
            if sel is not None:
                q = (sel[:, None] * nq + np.arange(nq)).ravel()
                st = ViscoState(st.hist[q], st.hist_bulk[q], st.sigma0[q])
            return self.laws[r].stress(st).reshape(len(e), nq, 6)
        if r in self.inel_states:
            full = self.inel_states[r].stress.reshape(-1, nq, 6)
            return full if sel is None else full[sel]
        off = self.offset.get(r)
        if off is not None and sel is not None:
            off = off[sel]
        return elastic_stress(self.fs, self.u, self.lam, self.mu, self.eps0, elements=e, offset=off)

    def _inelastic_fields(self) -> dict[str, Any]:
        """Per-element volume averages (over the quadrature points) of the inelastic
        state, (n_el,) each (zero outside the present inelastic regions), and the elements
        of each present inelastic region."""
        n_el = self.mesh.n_elements
        out = {
            "equivalent_inelastic_strain": np.zeros(n_el),
            "dissipated_energy_density": np.zeros(n_el),
            "back_stress_norm": np.zeros(n_el),
        }
        regions = {}
        for r in self.inelastic_present:
            e = self.el[r]
            st = self.inel_states[r]
            w = self.fs.basis.dx[e]  # (k, n_q) quadrature weights times |J|
            beta = st.back_stress
            bn = np.sqrt(1.5 * ((beta[:, :3] ** 2).sum(1) + 2.0 * (beta[:, 3:] ** 2).sum(1)))
            for name, v in (
                ("equivalent_inelastic_strain", st.eq_strain),
                ("dissipated_energy_density", st.energy),
                ("back_stress_norm", bn),
            ):
                out[name][e] = (v.reshape(len(e), self.nq) * w).sum(1) / w.sum(1)
            regions[r] = e.copy()
        return {"fields": out, "regions": regions}

    # -- the nonlinear step ---------------------------------------------------------------
    def _step_inelastic(
        self, dt: float, T_new: NDArray[np.float64], cure: Mapping[str, float]
    ) -> dict:
        """A step with inelastic regions: global Newton on the total displacement
        (the system is :class:`~fea.physics.history_newton.InelasticStep`). The laws'
        states are committed only on convergence; a :class:`~fea.errors.SolverError`
        leaves the model as it was."""
        Tq, T_el, eps0, visco, dxi, lam, mu, plan = self._plan_step(
            dt, T_new, cure, need_plan=self.tangent_pre is None
        )
        self.solver.last = None  # the span of earlier solves does not apply to these solves
        entry = None if plan is None else plan.entry
        args = (self, dt, Tq, eps0, visco, dxi, lam, mu, entry, T_new)
        step = InelasticStep(*args) if self.frame is None else FramedStep(self.frame, *args)
        opts = self.newton_options
        x0 = self._extrapolated(dt, T_new)
        if x0 is None:
            x0 = step.predictor()
        scale = step.force_scale(x0)
        step.tol_f = float(opts.get("rtol", 1e-8)) * scale
        x, info = newton(
            step.residual,
            x0,
            tangent=step.tangent,
            linear_solver=step.linear_solve,
            force_scale=scale,
            rtol=float(opts.get("rtol", 1e-8)),
            dtol=float(opts.get("dtol", 1e-6)),
            max_iter=int(opts.get("max_iter", 25)),
            label=self.step_label,
            displacement_test=str(opts.get("displacement_test", "estimate")),
        )
        reactions = step.commit(x)
        con = self.con
        assert con is not None
        # the step's increment of Newton's unknowns for the next steps' extrapolated
        # starts (the last two): from the last step's Newton solution, not the committed
        # state (on a free body that has its rigid motion projected out, which a
        # difference of committed states would carry into the start)
        key = (con.key, tuple(self.inelastic_present))
        last = self.newton_last
        if last is not None and last[0] == key:
            dT = np.asarray(T_new, dtype=float) - self.T
            self.increments = [*self.increments[-1:], (dT, x - last[1])]
        else:
            self.increments = []
        self.newton_last = (key, x.copy())
        self.newton_stats["newton_steps"] += 1
        self.newton_stats["newton_iterations"] += info.iterations
        if info.at_floor:  # accepted at the rounding floor, above a tolerance below it
            st = self.newton_stats
            st["newton_floor_steps"] = st.get("newton_floor_steps", 0) + 1
            rel = info.residual_norms[-1] / info.force_scale
            st["newton_floor_residual"] = max(st.get("newton_floor_residual", 0.0), rel)
        u = x
        if con.Q.shape[1]:
            u = self._full_body_modes(remove_rigid_part(u, con.Q))
        if self.frame is not None:
            u = self.frame @ u  # Newton's unknown is q
        self._commit(u.reshape(-1, 3), (Tq, T_el, eps0, visco, dxi, lam, mu), T_new, cure)
        rn = info.residual_norms
        return {
            "method": "newton",
            "newton_iterations": info.iterations,
            # the results file's summary of the last solve: Newton's corrections and its
            # out-of-balance force relative to the step's force scale
            "iterations": info.iterations,
            "residual": float(rn[-1] / info.force_scale) if rn and info.force_scale > 0 else 0.0,
            "reactions": reactions,
        }

    def _extrapolated(self, dt: float, T_new: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """Newton's first iterate (3 n,) continuing a ramp (:func:`ramp_extrapolation`
        from the last step's Newton solution through the last steps' increments, all with
        the same inelastic regions and constraints; the prescribed DOFs take their
        values), or None where :meth:`InelasticStep.predictor` is to be solved instead (no
        ramp to continue, or ``newton_options["predictor"] = "tangent"``)."""
        if self.newton_options.get("predictor", "extrapolate") != "extrapolate":
            return None
        con = self.con
        if con is None or dt <= 0.0:
            return None
        last = self.newton_last
        if last is None or last[0] != (con.key, tuple(self.inelastic_present)):
            return None
        # from Newton's unknowns (q in nodal frames), their rigid motion not projected out
        x0 = ramp_extrapolation(last[1], np.asarray(T_new, dtype=float) - self.T, self.increments)
        if x0 is None:
            return None
        x0[con.D] = con.values[con.D]
        stats = self.newton_stats
        stats["extrapolated_starts"] = stats.get("extrapolated_starts", 0) + 1
        return x0


def ramp_extrapolation(
    xn: NDArray[np.float64],
    dT: NDArray[np.float64],
    increments: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]],
    parallel: float = 0.999,
) -> NDArray[np.float64] | None:
    """The solution of a step that continues a ramp, extrapolated from the last steps.

    The parameter is the cumulative temperature change along the ramp, ``s``; the last
    steps that continue it (each step's temperature change parallel to the next one's:
    cosine at least ``parallel``, same sense) give the solution at earlier ``s``:
    quadratic extrapolation through the last two increments where there are two, linear
    through the last one (scaled by the ratio of the temperature changes) where there is
    one. A constant-rate ramp of a thermal cycle changes the solution smoothly, so this
    start is close to the step's solution; a dwell (no temperature change), a turn or a
    change of direction has none (None).

    Parameters
    ----------
    xn
        The solution at the start of the step, shape (m,).
    dT
        The step's temperature change [K], shape (n,) (nodal, or any fixed sampling).
    increments
        The last steps' ``(temperature change (n,), solution increment (m,))``, oldest
        first (those after the last change of the model's constraints).
    parallel
        Smallest cosine between two successive temperature changes of one ramp.

    Returns
    -------
    numpy.ndarray or None
        The extrapolated solution, shape (m,) (a new array), or None.
    """
    h = float(np.sqrt(dT @ dT))
    if h <= 0.0:
        return None
    chain: list[tuple[float, NDArray[np.float64]]] = []  # newest first: (|dT_k|, dx_k)
    d_next, h_next = dT, h
    for dT_k, dx_k in reversed(increments):
        hk = float(np.sqrt(dT_k @ dT_k))
        if hk <= 0.0 or float(d_next @ dT_k) < parallel * hk * h_next:
            break
        chain.append((hk, dx_k))
        if len(chain) == 2:
            break
        d_next, h_next = dT_k, hk
    if not chain:
        return None
    h1, dx1 = chain[0]
    d1 = dx1 / h1
    x0 = xn + h * d1
    if len(chain) > 1:
        h2, dx2 = chain[1]
        x0 += (h * (h + h1) / (h1 + h2)) * (d1 - dx2 / h2)
    return x0


class FramedStep(InelasticStep):
    """:class:`~fea.physics.history_newton.InelasticStep` in the nodal frames of an
    inclined plane (an eighth model's x = y): Newton's unknown is ``q`` (3 n,), ``u = T q``
    with the model's :attr:`HistoryModel.frame` ``T``; the residual is ``T^T r(T q)``, the
    tangent ``T^T K_t T`` (:func:`fea.fe.constraints.frame_product`, K's pattern kept, so
    the tangent's elimination in place is the one of the axis planes), and the
    constrained DOFs, supports and preconditioners are those of ``q``."""

    def __init__(self, frame: sp.csr_matrix, *args: Any) -> None:
        self.frame = frame
        super().__init__(*args)

    def evaluate(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], dict]:
        """``T^T`` (internal minus external force) at ``u = T x`` and the laws' updates."""
        f, upd = super().evaluate(self.frame @ x)
        return self.frame.T @ f, upd

    def predictor(self) -> NDArray[np.float64]:
        """The first iterate ``q`` (the model's displacement taken into the frames)."""
        m = self.model
        u = m.u
        m.u = (self.frame.T @ u.ravel()).reshape(-1, 3)
        try:
            return super().predictor()
        finally:
            m.u = u
