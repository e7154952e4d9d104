"""On a real CUDA device (skipped elsewhere): the device-built hierarchy against the same code
on the host, its iteration count against pyamg's smoothed aggregation, reuse across two
temperature states of the package, and the GPU crossover's inputs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fea.fe import forms as asm
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.solvers import amg, prepare, probe_device, solve

from .test_amg import pyamg_iterations as _pyamg_iterations

# skip before the session's package fixture is built (it would be, session fixtures first)
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not probe_device().usable, reason=f"no usable GPU: {probe_device().reason}"),
]


def _device():
    from fea.solvers.gpu import device_namespace

    return device_namespace()


def test_device_hierarchy_equals_the_host_one(gpu_required, package):
    """Same algorithm, same hashed weights: the device builds the host's hierarchy. Sums in
    another order (atomic bincounts) may flip a connection that sits exactly on the strength
    threshold, so level sizes may differ by a hair; where the aggregates are the same the
    operators agree to rounding."""
    import cupy

    from fea.solvers.gpu import to_device

    s = package.elasticity
    host = amg.build_hierarchy(s.A, near_null=s.near_null, block=3)
    dev = amg.build_hierarchy(
        to_device(s.A), near_null=cupy.asarray(s.near_null), block=3, ns=_device()
    )
    sizes_h = [lv.A.shape[0] for lv in host.levels]
    sizes_d = [lv.A.shape[0] for lv in dev.levels]
    assert len(sizes_d) == len(sizes_h)
    assert all(abs(a - b) <= 0.01 * a for a, b in zip(sizes_h, sizes_d, strict=True))
    assert dev.operator_complexity == pytest.approx(host.operator_complexity, rel=0.02)
    assert set(dev.stages) == set(host.stages)
    h, d = host.levels[0], dev.levels[0]
    assert d.rho == pytest.approx(h.rho, rel=1e-6)
    if sizes_d[1] == sizes_h[1]:
        Pd = sp.csr_matrix(d.P.get())
        assert abs(Pd - h.P).max() <= 1e-10 * abs(h.P).max()


@pytest.mark.filterwarnings("ignore:Having less target vectors")
@pytest.mark.parametrize("kind", ["elasticity", "scalar"])
def test_device_iterations_against_pyamg(gpu_required, package, package_reference, kind):
    """Device AMG-PCG (mixed precision) on the package: the direct answer to 1e-8 and at most
    1.5 x the PCG iterations of pyamg's smoothed aggregation with the same near-null space."""
    s = getattr(package, kind)
    x, info = solve(s.A, s.b, kind=kind, backend="gpu", near_null=s.near_null, rtol=1e-10)
    x_ref = package_reference[kind]
    assert np.linalg.norm(x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
    _, short = solve(s.A, s.b, kind=kind, backend="gpu", near_null=s.near_null, rtol=1e-6)
    assert short.iterations <= 1.5 * _pyamg_iterations(s, 1e-6), short.iterations
    assert info.extra["gpu_stages"]["per_iteration_s"] > 0


def test_reuse_across_two_temperature_states(gpu_required, package):
    """The package at 25 and 260 degC (the mould compound above its glass transition: E 22 ->
    1.5 GPa): the 260 degC matrix through the hierarchy prepared at 25 degC, reused or
    rebuilt by the 1.5 x rule, and the answer of a fresh solve."""
    s = package.elasticity
    mesh, mats = package.mesh, package.case.materials
    fs = space(mesh)
    D = np.flatnonzero(amg.decoupled_dofs(s.A))
    E, nu = np.zeros(mesh.n_elements), np.zeros(mesh.n_elements)
    for region, el in mesh.regions.items():
        m = mats.get(region, mats.get("*"))
        E[el], nu[el] = m.youngs(np.full(len(el), 260.0)), m.nu
    A260 = amg.eliminate(asm.elasticity_matrix(fs, *lame(E, nu)), D)
    with prepare(s.A, kind="elasticity", backend="gpu", near_null=s.near_null, rtol=1e-10) as p:
        _, i25 = p.solve(s.b)
        p.update(A260)
        x, i260 = p.solve(s.b)
    base = i25.iterations
    assert i25.extra["setup"] == "built"
    if i260.extra["setup"] == "reused":
        assert i260.iterations <= 1.5 * base
    else:
        assert i260.extra["setup"] == "rebuilt"
        assert i260.extra["reuse_iterations"] == int(1.5 * base)
    x_fresh, _ = solve(
        A260, s.b, kind="elasticity", backend="gpu", near_null=s.near_null, rtol=1e-10
    )
    assert np.linalg.norm(x - x_fresh) <= 1e-8 * np.linalg.norm(x_fresh)


def test_device_elimination_and_device_result(gpu_required, package):
    """Matrix and right-hand side on the device, eliminated there, the answer left there."""
    import cupy

    from fea.solvers.gpu import device_namespace, to_device

    s = package.scalar
    A = to_device(s.A.copy())
    D = cupy.asarray([0, 5, 17])
    amg.eliminate(A, D, device_namespace())
    host = amg.eliminate(s.A.copy().tocsr(), np.array([0, 5, 17]))
    assert abs(sp.csr_matrix(A.get()) - host).max() == 0
    b = cupy.asarray(s.b)
    b[D] = 0.0
    x, info = solve(A, b, backend="gpu", rtol=1e-10, device_result=True)
    assert isinstance(x, cupy.ndarray) and info.residual < 1e-9


def test_block_of_loads_on_the_device(gpu_required, package, package_reference):
    """A block of four loads (the package's load, scaled and mixed) by batched PCG with the
    one device hierarchy (:func:`fea.solvers.block_pcg`): each column the direct answer of
    its load to 1e-8 (the loads are linear in the one reference answer)."""
    s = package.elasticity
    x_ref = package_reference["elasticity"]
    rng = np.random.default_rng(3)
    W = rng.uniform(0.5, 2.0, size=(4,))
    B = np.stack([w * s.b for w in W], axis=1)
    B[:, 3] = s.b - 0.5 * B[:, 1]
    X_ref = np.stack([w * x_ref for w in W], axis=1)
    X_ref[:, 3] = x_ref - 0.5 * X_ref[:, 1]
    P = prepare(s.A, kind="elasticity", backend="gpu", near_null=s.near_null, rtol=1e-10)
    try:
        X, info = P.solve(B)
    finally:
        P.close()
    assert X.shape == B.shape
    for j in range(B.shape[1]):
        ref = X_ref[:, j]
        assert np.linalg.norm(X[:, j] - ref) <= 1e-8 * np.linalg.norm(ref), j
    assert len(info.extra["column_iterations"]) == 4
