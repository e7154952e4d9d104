"""Our vectorised assembly vs scikit-fem's generic ``BilinearForm.assemble``, same run.

P2 vector elasticity (per-element E, nu) and P2 conduction on a unit-cube tensor mesh;
checks the matrices are equal to 1e-12 relative and prints the speed-up and our time
per stage (element kernels, scatter into the cached CSR pattern, one-off pattern build).

Usage: python scripts/bench_assembly.py [n]   (n x n x n cells, 6 tets each; default 16:
       24,576 P2 tets, 107,811 elasticity DOF)
"""

from __future__ import annotations

import sys
import time

import numpy as np
from skfem import Basis, BilinearForm, ElementTetP2, ElementVector, MeshTet1
from skfem.helpers import ddot, dot, grad, sym_grad, trace

from fea.fe import forms as asm
from fea.fe.mesh import Mesh
from fea.fe.spaces import accumulate_blocks, finish_blocks, space
from fea.physics.constitutive import lame


def best(f, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(n: int) -> None:
    m = MeshTet1.init_tensor(*[np.linspace(0, 1, n + 1)] * 3)
    mesh = Mesh(m, m, {"body": np.arange(m.t.shape[1])}, {}, order=2)
    rng = np.random.default_rng(0)
    E = rng.uniform(1e9, 2e11, mesh.n_elements)
    nu = rng.uniform(0.2, 0.45, mesh.n_elements)
    lam, mu = lame(E, nu)

    t0 = time.perf_counter()
    fs = space(mesh)  # basis + CSR pattern + element-to-slot map: once per mesh
    t_pattern = time.perf_counter() - t0
    asm.elasticity_matrix(fs, *lame(E, nu))  # warm (the vector layout is cached on first use)
    t_ours, K = best(lambda: asm.elasticity_matrix(fs, *lame(E, nu)))

    vb = Basis(m, ElementVector(ElementTetP2()), intorder=2)
    nq = vb.X.shape[1]

    @BilinearForm
    def elasticity(u, v, w):
        eu, ev = sym_grad(u), sym_grad(v)
        return 2 * w.mu * ddot(eu, ev) + w.lam * trace(eu) * trace(ev)

    lq, mq = np.repeat(lam[:, None], nq, 1), np.repeat(mu[:, None], nq, 1)
    t_sk, K_sk = best(lambda: elasticity.assemble(vb, lam=lq, mu=mq), repeat=1)
    rel = abs(K - K_sk).max() / abs(K_sk).max()

    # stages of ours: element kernels, then the scatter into the cached pattern
    t_kernel, Ke = best(lambda: asm.elasticity_blocks(fs, *lame(E, nu)))

    def scatter():
        data = np.zeros((9, fs.pattern.nnz))
        accumulate_blocks(fs, Ke, slice(0, fs.dofs.shape[0]), data)
        return finish_blocks(fs, data)

    t_scatter, _ = best(scatter)

    print(f"P2 elasticity: {mesh.n_elements:,} tets, {3 * fs.n:,} DOF, nnz {K.nnz:,}")
    print(
        f"  ours            {t_ours:8.3f} s   (kernels {t_kernel:.3f} s, scatter "
        f"{t_scatter:.3f} s = {100 * t_scatter / t_ours:.0f} %)"
    )
    print(f"  scikit-fem      {t_sk:8.3f} s   generic BilinearForm.assemble")
    print(
        f"  speed-up        {t_sk / t_ours:8.1f} x   max |K - K_skfem| / max |K_skfem| = {rel:.1e}"
    )
    print(f"  one-off per mesh: basis + pattern + slot map {t_pattern:.3f} s")
    assert rel < 1e-12

    b = Basis(m, ElementTetP2(), intorder=2)
    k = rng.uniform(0.2, 400.0, mesh.n_elements)

    @BilinearForm
    def conduction(u, v, w):
        return w.k * dot(grad(u), grad(v))

    t_c, C = best(lambda: asm.conduction_matrix(fs, k))
    t_csk, C_sk = best(lambda: conduction.assemble(b, k=np.repeat(k[:, None], nq, 1)), repeat=1)
    rel_c = abs(C - C_sk).max() / abs(C_sk).max()
    print(
        f"P2 conduction: {fs.n:,} DOF: ours {t_c:.3f} s, scikit-fem {t_csk:.3f} s, "
        f"speed-up {t_csk / t_c:.1f} x, rel. difference {rel_c:.1e}"
    )
    assert rel_c < 1e-12


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
