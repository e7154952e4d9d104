"""Linear thermoelasticity: displacement, stress, warpage.

.. math:: -\\nabla\\cdot\\sigma = 0,\\quad
          \\sigma = \\lambda\\,\\mathrm{tr}(\\varepsilon - \\varepsilon_0 I) I
                    + 2\\mu(\\varepsilon - \\varepsilon_0 I),\\quad
          \\varepsilon_0 = \\int_{T_0}^{T}\\alpha\\,d\\tau - s/3

with ``T0`` the stress-free temperature of each region, ``alpha`` the secant CTE
from ``T0`` (exact for CTE tables, :meth:`fea.materials.Material.thermal_strain`),
``s`` the volumetric cure shrinkage (optional), and ``E(T)`` per element at the
element's mean temperature. Lengths m, stresses Pa, temperatures degC.

With no Dirichlet condition the body is free: a statically determinate 3-2-1
support (six constraints on three nodes) removes the rigid-body modes without
adding stress -- its reactions vanish for the self-equilibrated thermal load and
are reported -- and the rigid-body part is then projected out of the displacement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from . import assembly as asm
from .errors import InputError
from .fields import locate
from .materials import Material
from .solvers import prepare, solve

__all__ = ["MechanicalResult", "Warpage", "solve_thermoelastic", "warpage_curve"]

_COMP = {"x": 0, "y": 1, "z": 2}
Temperature = float | NDArray[np.float64] | Callable[..., Any]


@dataclass(frozen=True)
class Warpage:
    """Warpage of a surface after removing the best-fit plane (all lengths m).

    ``signed`` is ``+peak_to_valley`` when the surface centre lies above its corners
    (z up, away from the board: a dome, convex seen from above and concave seen
    from the terminal side) and ``-peak_to_valley`` otherwise. JESD22-B112 states
    the sign in terms of concave/convex seen from its measurement side; map it with
    that geometric description. ``curvature`` is the mean curvature
    ``(w_xx + w_yy) / 2`` [1/m] of a quadratic fit (negative for a dome).
    ``coplanarity`` is the spread of the lowest points of the terminal tips (only for
    a surface made of several separate patches, else 0).
    """

    peak_to_valley: float
    signed: float
    curvature: float
    coplanarity: float


@dataclass
class MechanicalResult:
    """Displacement and stress of a thermoelastic solve.

    Attributes
    ----------
    displacement
        (n_nodes, 3), m, at ``nodes``.
    stress
        Per element at the centroid, Voigt (xx, yy, zz, yz, xz, xy), shape (n_el, 6), Pa.
    von_mises
        Per element, Pa, shape (n_el,).
    reactions
        Largest reaction force of the free-body supports relative to the largest
        nodal thermal load (0 when Dirichlet conditions are given).
    """

    mesh: Any
    space: Any
    displacement: NDArray[np.float64]
    stress: NDArray[np.float64]
    solver_info: dict[str, Any]
    reactions: float = 0.0
    _E: NDArray | None = None
    _nu: NDArray | None = None
    _recovered: dict = field(default_factory=dict)

    @property
    def nodes(self) -> NDArray[np.float64]:
        return self.space.nodes

    @property
    def von_mises(self) -> NDArray[np.float64]:
        s = self.stress
        return np.sqrt(
            0.5 * ((s[:, 0] - s[:, 1]) ** 2 + (s[:, 1] - s[:, 2]) ** 2 + (s[:, 2] - s[:, 0]) ** 2)
            + 3 * (s[:, 3:] ** 2).sum(axis=1)
        )

    @property
    def principal(self) -> NDArray[np.float64]:
        """Principal stresses per element, ascending, shape (n_el, 3), Pa."""
        return np.linalg.eigvalsh(_tensor(self.stress))

    def region_max_von_mises(self, region: str) -> float:
        """Largest element von Mises stress in a region [Pa]."""
        return float(self.von_mises[self.mesh.regions[region]].max())

    def probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Displacement [m] at points (n, 3); shape (n, 3)."""
        loc = locate(self.mesh, points)
        V = loc.values(self.space.basis.elem)
        return np.einsum("in,nic->nc", V, self.displacement[self.space.dofs[loc.elements]])

    def stress_probe(self, points: ArrayLike) -> NDArray[np.float64]:
        """Cauchy stress [Pa] at points, shape (n, 3, 3), continuous within each region.

        Each element's stress at its own vertices (linear in a P2 element) is
        averaged (volume-weighted) at the vertices over the elements of the same
        region, then interpolated linearly in the element that holds the point;
        material interfaces keep each side's own stress.
        """
        loc = locate(self.mesh, points)
        rid = self.mesh.region_of_elements()
        t = self.mesh.p1.t.T
        out = np.zeros((len(loc.elements), 6))
        lam = 1 - loc.X.sum(axis=0)
        bary = np.vstack([lam, loc.X])  # (4, n)
        if "vertex" not in self._recovered:
            self._recovered["vertex"] = self._vertex_stress()
        sv = self._recovered["vertex"]  # (n_el, 4, 6)
        for r in np.unique(rid[loc.elements]):
            if r not in self._recovered:
                e = np.nonzero(rid == r)[0]
                w = self.mesh.element_volumes()[e]
                nv = self.mesh.p1.p.shape[1]
                acc = np.zeros((nv, 6))
                wsum = np.zeros(nv)
                for c in range(4):
                    np.add.at(acc, t[e, c], sv[e, c] * w[:, None])
                    np.add.at(wsum, t[e, c], w)
                self._recovered[r] = acc / np.maximum(wsum, 1e-300)[:, None]
            sel = rid[loc.elements] == r
            vals = self._recovered[r][t[loc.elements[sel]]]  # (m, 4, 6)
            out[sel] = np.einsum("cm,mcv->mv", bary[:, sel], vals)
        return _tensor(out)

    def interface_traction(self, name: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Normal and shear traction [Pa] on the facets of an interface ``a|b``.

        The stress is the mean of the two adjacent elements' stresses; the normal
        points from the first to the second element. Returns (normal, shear), each (n_f,).
        """
        if name not in self.mesh.boundaries:
            raise InputError("interface", name, f"one of {', '.join(sorted(self.mesh.boundaries))}")
        f = self.mesh.boundaries[name]
        e = self.mesh.p1.f2t[:, f]
        inner = e[1] >= 0
        sig = _tensor(self.stress[e[0]])
        sig[inner] = 0.5 * (sig[inner] + _tensor(self.stress[e[1, inner]]))
        p = self.mesh.p1.p.T
        v = self.mesh.p1.facets[:, f].T
        n = np.cross(p[v[:, 1]] - p[v[:, 0]], p[v[:, 2]] - p[v[:, 0]])
        n /= np.linalg.norm(n, axis=1)[:, None]
        tr = np.einsum("fab,fb->fa", sig, n)
        sn = np.einsum("fa,fa->f", tr, n)
        shear = np.linalg.norm(tr - sn[:, None] * n, axis=1)
        return sn, shear

    def warpage(self, surface: str) -> Warpage:
        """Warpage of the named boundary (best-fit plane removed); see :class:`Warpage`."""
        if surface not in self.mesh.boundaries:
            raise InputError(
                "surface", surface, f"one of {', '.join(sorted(self.mesh.boundaries))}"
            )
        facets = self.mesh.boundaries[surface]
        dofs = self.space.basis.get_dofs(facets).all()
        xyz = self.nodes[dofs]
        w = self.displacement[dofs, 2]
        x, y = xyz[:, 0], xyz[:, 1]
        A1 = np.column_stack([np.ones_like(x), x, y])
        r = w - A1 @ np.linalg.lstsq(A1, w, rcond=None)[0]
        ptv = float(r.max() - r.min())
        A2 = np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
        c = np.linalg.lstsq(A2, w, rcond=None)[0]
        curvature = float(c[3] + c[5])
        cx, cy = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())

        def q(px: float, py: float) -> float:
            return float(c[3] * px * px + c[4] * px * py + c[5] * py * py + c[1] * px + c[2] * py)

        corners = np.mean([q(a, b) for a in (x.min(), x.max()) for b in (y.min(), y.max())])
        sign = 1.0 if q(cx, cy) > corners else -1.0
        return Warpage(
            ptv,
            sign * ptv,
            curvature,
            _coplanarity(self.mesh, facets, self.nodes, self.displacement, self.space),
        )


def _coplanarity(mesh, facets, nodes, u, fs) -> float:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    v = mesh.p1.facets[:, facets]
    nf = v.shape[1]
    if nf < 2:
        return 0.0
    # facets sharing a vertex belong to the same patch
    rows = np.repeat(np.arange(nf), 3)
    g = coo_matrix((np.ones(3 * nf), (rows, v.T.ravel())), shape=(nf, mesh.p1.p.shape[1])).tocsr()
    n_comp, labels = connected_components(g @ g.T, directed=False)
    if n_comp < 2:
        return 0.0
    z = mesh.p1.p[2] + u[: mesh.p1.p.shape[1], 2]
    lows = [z[np.unique(v[:, labels == k])].min() for k in range(n_comp)]
    return float(max(lows) - min(lows))


def _tensor(s: NDArray[np.float64]) -> NDArray[np.float64]:
    T = np.empty(s.shape[:-1] + (3, 3))
    T[..., 0, 0], T[..., 1, 1], T[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    T[..., 1, 2] = T[..., 2, 1] = s[..., 3]
    T[..., 0, 2] = T[..., 2, 0] = s[..., 4]
    T[..., 0, 1] = T[..., 1, 0] = s[..., 5]
    return T


def _nodal_temperature(fs, temperature: Temperature) -> NDArray[np.float64]:
    if callable(temperature):
        x = fs.nodes
        return np.asarray(temperature(x[:, 0], x[:, 1], x[:, 2]), dtype=float) * np.ones(fs.n)
    T = np.asarray(temperature, dtype=float)
    if T.ndim == 0:
        return np.full(fs.n, float(T))
    if T.shape != (fs.n,):
        raise InputError("temperature", T.shape, f"a float, a function or a nodal array ({fs.n},)")
    return T


def _eliminate_inplace(K: sp.csr_matrix, D: NDArray[np.int64]) -> sp.csr_matrix:
    """Rows and columns ``D`` of the CSR matrix ``K`` set to those of the identity, in place.

    Used for Dirichlet DOFs: the system stays symmetric positive definite and keeps its
    size and pattern, so no reduced copy of a large matrix is made. Returns ``K``.
    """
    K = K if isinstance(K, sp.csr_matrix) else sp.csr_matrix(K)
    if len(D) == 0:
        return K
    is_d = np.zeros(K.shape[0], dtype=bool)
    is_d[D] = True
    K.data[is_d[K.indices]] = 0.0  # columns
    starts, ends = K.indptr[D], K.indptr[D + 1]
    lengths = ends - starts
    pos = np.repeat(starts - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
    K.data[pos] = 0.0  # rows
    rows = np.repeat(D, lengths)
    diag = pos[K.indices[pos] == rows]
    if len(diag) != len(D):
        raise InputError("fixed", "constrained DOFs", "DOFs with a diagonal entry in the matrix")
    K.data[diag] = 1.0
    return K


def _remaining_modes(R: NDArray[np.float64], D: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rigid-body modes left free by the Dirichlet dofs ``D``, shape (3 n, k), k <= 6."""
    if len(D) == 0:
        return R
    _, s, vt = np.linalg.svd(R[D], full_matrices=True)
    rank = int((s > 1e-10 * max(s.max(), 1e-300)).sum())
    return R @ vt[rank:].T


def _supports(modes: NDArray[np.float64], vertices: NDArray[np.float64]) -> NDArray[np.int64]:
    """Statically determinate extra supports: as many dofs as free modes, chosen from a
    3-2-1 pattern so that together they fix exactly those modes."""
    k = modes.shape[1]
    chosen: list[int] = []
    for d in _support_321(vertices):
        trial = chosen + [int(d)]
        if np.linalg.matrix_rank(modes[trial], tol=1e-10 * np.abs(modes).max()) == len(trial):
            chosen = trial
        if len(chosen) == k:
            break
    if len(chosen) < k:
        raise InputError(
            "fixed",
            "partial supports",
            "Dirichlet conditions that leave rigid-body modes removable by a 3-2-1 support",
        )
    return np.array(sorted(chosen), dtype=np.int64)


def _support_321(nodes: NDArray[np.float64]) -> NDArray[np.int64]:
    """Six dofs on three far-apart vertices forming a statically determinate support."""
    a = int(np.argmin(nodes[:, 0]))
    b = int(np.argmax(nodes[:, 0]))
    d = nodes - nodes[a]
    ab = d[b] / np.linalg.norm(d[b])
    off = d - np.outer(d @ ab, ab)
    c = int(np.argmax(np.abs(off[:, 1]) + 1e-3 * np.abs(off[:, 2])))
    # A: x, y, z; B: y, z (rotations about z and y); C: z (rotation about the AB axis)
    return np.array([3 * a, 3 * a + 1, 3 * a + 2, 3 * b + 1, 3 * b + 2, 3 * c + 2])


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
    solver_cache: dict | None = None,
) -> MechanicalResult:
    """Solve linear thermoelasticity on ``mesh``.

    Parameters
    ----------
    materials
        Region -> :class:`~fea.materials.Material` (``"*"`` for the rest).
    temperature
        Nodal temperatures [degC] at ``fea.assembly.space(mesh).nodes`` (shape (n,),
        e.g. ``ThermalResult.temperature``), a float, or ``f(x, y, z)``.
    reference
        Stress-free temperature [degC]: one float, or region -> degC with ``"*"`` for
        the rest.
    fixed
        Boundary -> {component: displacement [m]}, e.g. ``{"bottom": {"z": 0.0}}``;
        empty or None -> free body (rigid-body modes removed without stress).
    shrinkage
        Apply each material's cure shrinkage as an eigenstrain: True for every region
        whose material has one, or a list of regions.
    solver_cache
        A dict kept by the caller across calls on the same mesh (e.g. a temperature
        sweep): when the stiffness and the constraints are unchanged (E not depending
        on temperature), the factorization or AMG hierarchy of the previous call is
        reused and only the load changes. The caller closes the solvers with
        :func:`close_solver_cache`.
    """
    t0 = time.perf_counter()
    fs = asm.space(mesh)
    T = _nodal_temperature(fs, temperature)
    ref = {"*": float(reference)} if not isinstance(reference, Mapping) else dict(reference)
    ne = mesh.n_elements
    E = np.zeros(ne)
    nu = np.zeros(ne)
    Tq = asm.at_quadrature(fs, T)
    eps0 = np.zeros_like(Tq)
    for region in mesh.regions:
        m = materials.get(region, materials.get("*"))
        if m is None:
            raise InputError(f"materials.{region}", None, "a Material for every region")
        T0 = ref.get(region, ref.get("*"))
        if T0 is None:
            raise InputError(f"reference.{region}", None, "a stress-free temperature or '*'")
        e = mesh.regions[region]
        E[e] = m.youngs(T[fs.dofs[e]].mean(axis=1))
        nu[e] = m.nu
        eps0[e] = m.thermal_strain(Tq[e], T0)
        if m.shrinkage and (
            shrinkage is True or (not isinstance(shrinkage, bool) and region in shrinkage)
        ):
            eps0[e] -= m.shrinkage / 3.0
    K = asm.elasticity_matrix(fs, E, nu)
    f = asm.thermal_load(fs, E, nu, eps0)
    t_asm = time.perf_counter() - t0
    n3 = 3 * fs.n
    u = np.zeros(n3)
    fixed = dict(fixed or {})
    D_list = []
    for name, comps in fixed.items():
        if name not in mesh.boundaries:
            raise InputError(
                f"fixed.{name}", name, f"a boundary: {', '.join(sorted(mesh.boundaries))}"
            )
        nodes = fs.basis.get_dofs(mesh.boundaries[name]).all()
        for comp, value in comps.items():
            if comp not in _COMP:
                raise InputError(f"fixed.{name}.{comp}", value, "a component x, y or z")
            d = 3 * nodes + _COMP[comp]
            u[d] = float(value)
            D_list.append(d)
    D0 = np.unique(np.concatenate(D_list)) if D_list else np.zeros(0, dtype=np.int64)
    R = asm.rigid_body_modes(fs.nodes)
    modes = _remaining_modes(R, D0)
    extra = _supports(modes, fs.nodes[: mesh.p1.p.shape[1]]) if modes.shape[1] else D0[:0]
    D = np.union1d(D0, extra)
    free = np.setdiff1d(np.arange(n3), D)
    b = f - K @ u  # the prescribed values moved to the right-hand side
    K_support = K[extra] if len(extra) else None  # rows for the support reactions
    # constrained DOFs become identity rows and columns, in place: no reduced copy of K
    A = _eliminate_inplace(K, D)
    del K
    b[D] = u[D]
    if solver_cache is None:
        x, si = solve(
            A, b, kind="elasticity", backend=backend, method=method, near_null=R, rtol=rtol
        )
    else:
        key = (hash(E.tobytes()), hash(nu.tobytes()), hash(free.tobytes()), backend, method)
        reused = key in solver_cache
        if not reused:
            close_solver_cache(solver_cache)
            solver_cache[key] = prepare(
                A, kind="elasticity", backend=backend, method=method, near_null=R, rtol=rtol
            )
        x, si = solver_cache[key].solve(b)
        si.extra["reused_setup"] = reused
    u = np.asarray(x, dtype=np.float64)
    reactions = 0.0
    if K_support is not None:
        r = K_support @ u - f[extra]
        reactions = float(np.abs(r).max() / max(np.abs(f).max(), 1e-300))
        Q, _ = np.linalg.qr(modes)
        u -= Q @ (Q.T @ u)  # the modes vanish on D0, so prescribed values are kept
    free_body = modes.shape[1] == 6
    args = (mesh, fs, u.reshape(-1, 3), E, nu, T, ref, materials, shrinkage)
    stress = _element_stress(*args)
    info = {
        "backend": si.backend,
        "method": si.method,
        "device": si.device,
        "reason": si.reason,
        "iterations": si.iterations,
        "residual": si.residual,
        "free_body": free_body,
        "stages": {"assembly_s": t_asm, "solve_s": si.seconds, "total_s": time.perf_counter() - t0},
        **si.extra,
    }
    res = MechanicalResult(mesh, fs, u.reshape(-1, 3), stress, info, reactions, E, nu)
    res._vertex_stress = lambda: np.stack(  # type: ignore[attr-defined]
        [_element_stress(*args, X=v) for v in ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1))], axis=1
    )
    return res


def _element_stress(
    mesh,
    fs,
    u,
    E,
    nu,
    T,
    ref,
    materials,
    shrinkage,
    X: tuple[float, float, float] = (0.25, 0.25, 0.25),
) -> NDArray[np.float64]:
    """Stress at reference point ``X`` of every element (centroid by default), Voigt
    order, shape (n_el, 6)."""
    from .fields import Located

    ne = mesh.n_elements
    p = mesh.p1.p.T
    t = mesh.p1.t.T
    J = np.stack(
        [p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]], p[t[:, 3]] - p[t[:, 0]]], axis=2
    )
    loc = Located(
        np.arange(ne), np.repeat(np.asarray(X, float)[:, None], ne, axis=1), np.linalg.inv(J)
    )
    elem = fs.basis.elem
    G = loc.grads(elem)  # (nb, 3, ne)
    V = loc.values(elem)  # (nb, ne)
    grad_u = np.einsum("ian,nic->nca", G, u[fs.dofs])  # (ne, comp, deriv)
    eps = 0.5 * (grad_u + grad_u.transpose(0, 2, 1))
    Tc = np.einsum("in,ni->n", V, T[fs.dofs])
    e0 = np.zeros(ne)
    for region, e in mesh.regions.items():
        m = materials.get(region, materials.get("*"))
        e0[e] = m.thermal_strain(Tc[e], ref.get(region, ref.get("*")))
        if m.shrinkage and (
            shrinkage is True or (not isinstance(shrinkage, bool) and region in shrinkage)
        ):
            e0[e] -= m.shrinkage / 3.0
    lam, mu = asm.lame(E, nu)
    eps_m = eps - e0[:, None, None] * np.eye(3)
    tr = np.trace(eps_m, axis1=1, axis2=2)
    sig = lam[:, None, None] * tr[:, None, None] * np.eye(3) + 2 * mu[:, None, None] * eps_m
    return np.column_stack(
        [sig[:, 0, 0], sig[:, 1, 1], sig[:, 2, 2], sig[:, 1, 2], sig[:, 0, 2], sig[:, 0, 1]]
    )


def close_solver_cache(cache: dict) -> None:
    """Free the solvers kept in a ``solver_cache`` dict and empty it."""
    for prepared in cache.values():
        prepared.close()
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
