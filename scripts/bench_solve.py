"""Baseline package warpage (P2): our path vs the plain scikit-fem path, then a size series.

1. ``compare``: the baseline unit (no board) at a coarse size (~40k DOF by default),
   stress-free at the cure, cooled to 25 degC, free body. Mesh once; then ours
   (vectorised assembly + solver registry) vs plain scikit-fem (generic
   ``BilinearForm``/``LinearForm`` assembly + ``scipy.sparse.linalg.spsolve`` with the same
   six support DOFs). Same displacement to 1e-8; the ratio of the two times.
2. ``series SIZE...``: our path at each mesh size (mm): DOF, time per stage (mesh,
   assembly, solve), solver, iterations and peak RSS of the process.

Usage: python scripts/bench_solve.py compare [size_mm]
       python scripts/bench_solve.py series 0.6 0.35 0.25 [--method amg]
"""

from __future__ import annotations

import argparse
import resource
import time
import tomllib
from pathlib import Path

import numpy as np


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def baseline_case(size: float, balls: int = 12, film: float | None = None):
    """The baseline unit without board; ``film`` [mm]: in-plane size in the films (default:
    the mesher's, 3 x the dielectric thickness)."""
    from fea.package.spec import parse_study

    data = tomllib.loads(Path("studies/baseline.toml").read_text())
    data["geometry"].pop("board", None)
    data["geometry"]["terminals"].update(rows=balls, cols=balls)
    data["mesh"].update(
        size_mm=size, opening_size_mm=min(0.2, size / 2), terminal_size_mm=min(0.2, size / 2)
    )
    if film is not None:
        data["mesh"]["film_size_mm"] = film
    return parse_study(data).base


def compare(size: float) -> None:
    import scipy.sparse.linalg as spla
    from skfem import Basis, BilinearForm, ElementTetP2, ElementVector, LinearForm, condense
    from skfem.helpers import ddot, div, sym_grad, trace

    from fea.fe.constraints import rigid_body_modes, support_321
    from fea.package.meshing import build_mesh
    from fea.physics.constitutive import lame
    from fea.physics.mechanics import solve_thermoelastic

    # films at the global size: the warpage does not need the thermal film refinement,
    # and it keeps the model as close to the "about 40k DOF" as the layers allow
    case = baseline_case(size, balls=6, film=size)
    t0 = time.perf_counter()
    mesh, _ = build_mesh(case, cache=False)
    t_mesh = time.perf_counter() - t0
    mats, ref, T = case.materials, case.loads.reference, 25.0

    t0 = time.perf_counter()
    me = solve_thermoelastic(mesh, mats, T, ref, backend="cpu", method="direct")
    t_ours = time.perf_counter() - t0

    # the plain scikit-fem path on the same mesh
    t0 = time.perf_counter()
    vb = Basis(mesh.p1, ElementVector(ElementTetP2()), intorder=2)
    ne, nq = mesh.n_elements, vb.X.shape[1]
    E, nu, eps0 = np.zeros(ne), np.zeros(ne), np.zeros(ne)
    for region, elems in mesh.regions.items():
        m = mats.get(region, mats.get("*"))
        E[elems] = m.youngs(np.full(len(elems), T))
        nu[elems] = m.nu
        eps0[elems] = m.thermal_strain(np.full(len(elems), T), ref.get(region, ref.get("*")))
    lam, mu = lame(E, nu)

    @BilinearForm
    def elasticity(u, v, w):
        eu, ev = sym_grad(u), sym_grad(v)
        return 2 * w.mu * ddot(eu, ev) + w.lam * trace(eu) * trace(ev)

    @LinearForm
    def eigenstrain(v, w):
        return w.c * div(v)

    per_qp = lambda a: np.repeat(a[:, None], nq, axis=1)  # noqa: E731
    K = elasticity.assemble(vb, lam=per_qp(lam), mu=per_qp(mu))
    f = eigenstrain.assemble(vb, c=per_qp((3 * lam + 2 * mu) * eps0))
    D = support_321(vb.doflocs[:, ::3].T[: mesh.p1.p.shape[1]])
    u = np.zeros(K.shape[0])
    u[np.setdiff1d(np.arange(K.shape[0]), D)] = spla.spsolve(*condense(K, f, D=D)[:2])
    t_plain = time.perf_counter() - t0
    R = rigid_body_modes(me.nodes)
    Q, _ = np.linalg.qr(R)
    u -= Q @ (Q.T @ u)
    ours = me.displacement.ravel()
    err = np.abs(u - ours).max() / np.abs(ours).max()
    st = me.solver_info["stages"]
    print(
        f"baseline unit, 6 x 6 balls, size {size} mm: {ne:,} P2 tets, {K.shape[0]:,} DOF "
        f"(mesh {t_mesh:.1f} s, shared)"
    )
    print(
        f"  ours        {t_ours:7.2f} s  (assembly {st['assembly_s']:.2f} s, solve "
        f"{st['solve_s']:.2f} s with {me.solver_info['method']})"
    )
    print(f"  scikit-fem  {t_plain:7.2f} s  (generic assembly + spsolve)")
    print(f"  ratio       {t_plain / t_ours:7.1f} x   max |u - u_ours| / max |u| = {err:.1e}")
    assert err < 1e-8


def series(sizes: list[float], method: str) -> None:
    from fea.package.meshing import build_mesh
    from fea.physics.mechanics import solve_thermoelastic

    for size in sizes:
        case = baseline_case(size, film=size)  # the films as warpage_metrics meshes them
        t0 = time.perf_counter()
        mesh, _ = build_mesh(case, cache=False)
        t_mesh = time.perf_counter() - t0
        me = solve_thermoelastic(
            mesh,
            case.materials,
            25.0,
            case.loads.reference,
            backend="cpu",
            method=method,
            rtol=1e-8,
        )
        si, st = me.solver_info, me.solver_info["stages"]
        w = me.warpage("top")
        print(
            f"size {size:5.2f} mm: {mesh.n_elements:>9,} tets {3 * me.nodes.shape[0]:>10,} DOF | "
            f"mesh {t_mesh:6.1f} s, assembly {st['assembly_s']:6.1f} s, solve "
            f"{st['solve_s']:7.1f} s ({si['method']}, {si['iterations']} it), total "
            f"{t_mesh + st['total_s']:7.1f} s | peak RSS {rss_gb():5.1f} GB | warpage "
            f"{w.signed * 1e6:+.2f} um",
            flush=True,
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("compare", "series"))
    p.add_argument("sizes", nargs="*", type=float)
    p.add_argument("--method", default="auto")
    a = p.parse_args()
    if a.what == "compare":
        compare(a.sizes[0] if a.sizes else 1.2)
    else:
        series(a.sizes or [0.6, 0.35, 0.25], a.method)
