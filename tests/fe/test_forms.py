"""Our vectorised assembly equals scikit-fem's generic BilinearForm assembly of the same forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skfem import (
    Basis,
    BilinearForm,
    ElementTetP1,
    ElementTetP2,
    ElementVector,
    LinearForm,
    MeshTet1,
)
from skfem.helpers import ddot, dot, grad, sym_grad, trace

from fea.fe import forms as asm
from fea.fe.mesh import Mesh, PlausibilityWarning
from fea.fe.spaces import space
from fea.physics.constitutive import lame


def _mesh(order: int, n: int = 4) -> Mesh:
    m = MeshTet1.init_tensor(*[np.linspace(0, 1, n + 1)] * 3)
    # a unit cube in metres on purpose (the forms do not care about scale): no size warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        return Mesh(m, m, {"body": np.arange(m.t.shape[1])}, {}, order=order)


def _per_qp(values, basis):
    return np.repeat(np.asarray(values)[:, None], basis.X.shape[1], axis=1)


def _rel(A, B) -> float:
    return float(abs(A - B).max() / abs(B).max())


@pytest.mark.parametrize("order", [1, 2])
def test_conduction_and_mass_equal_skfem(order):
    mesh = _mesh(order)
    fs = space(mesh)
    rng = np.random.default_rng(1)
    k = rng.uniform(0.2, 400.0, (mesh.n_elements, 3))  # diagonal (anisotropic) tensor
    elem = ElementTetP2() if order == 2 else ElementTetP1()
    b = Basis(mesh.p1, elem, intorder=max(2 * (order - 1), 1))

    @BilinearForm
    def cond(u, v, w):
        return (
            w.kx * u.grad[0] * v.grad[0]
            + w.ky * u.grad[1] * v.grad[1]
            + w.kz * u.grad[2] * v.grad[2]
        )

    ref = cond.assemble(b, kx=_per_qp(k[:, 0], b), ky=_per_qp(k[:, 1], b), kz=_per_qp(k[:, 2], b))
    assert _rel(asm.conduction_matrix(fs, k), ref) < 1e-12
    iso = k[:, 0]

    @BilinearForm
    def cond_iso(u, v, w):
        return w.k * dot(grad(u), grad(v))

    assert _rel(asm.conduction_matrix(fs, iso), cond_iso.assemble(b, k=_per_qp(iso, b))) < 1e-12
    bm = Basis(mesh.p1, elem, intorder=2 * order)
    c = rng.uniform(1e6, 4e6, mesh.n_elements)

    @BilinearForm
    def mass(u, v, w):
        return w.c * u * v

    assert _rel(asm.mass_matrix(fs, c), mass.assemble(bm, c=_per_qp(c, bm))) < 1e-12

    @LinearForm
    def src(v, w):
        return w.q * v

    q = rng.uniform(1e5, 1e7, mesh.n_elements)
    ref_f = src.assemble(bm, q=_per_qp(q, bm))
    assert np.abs(asm.source_vector(fs, q) - ref_f).max() <= 1e-12 * np.abs(ref_f).max()


@pytest.mark.parametrize("order", [1, 2])
def test_elasticity_equals_skfem(order):
    mesh = _mesh(order)
    fs = space(mesh)
    rng = np.random.default_rng(2)
    E = rng.uniform(1e9, 2e11, mesh.n_elements)
    nu = rng.uniform(0.2, 0.45, mesh.n_elements)
    lam, mu = lame(E, nu)
    elem = ElementVector(ElementTetP2() if order == 2 else ElementTetP1())
    vb = Basis(mesh.p1, elem, intorder=max(2 * (order - 1), 1))

    @BilinearForm
    def elasticity(u, v, w):
        eu, ev = sym_grad(u), sym_grad(v)
        return 2 * w.mu * ddot(eu, ev) + w.lam * trace(eu) * trace(ev)

    ref = elasticity.assemble(vb, lam=_per_qp(lam, vb), mu=_per_qp(mu, vb))
    K = asm.elasticity_matrix(fs, *lame(E, nu))
    assert _rel(K, ref) < 1e-12
    # the BSR layout and the direct CSR scatter are the same matrix
    assert _rel(asm.elasticity_matrix(fs, *lame(E, nu), to_csr=False).tocsr(), K) == 0.0


def test_pattern_is_built_once_per_mesh():
    mesh = _mesh(2, 3)
    fs = space(mesh)
    assert space(mesh) is fs
    p = fs.pattern
    asm.elasticity_matrix(fs, *lame(np.full(mesh.n_elements, 1e9), np.full(mesh.n_elements, 0.3)))
    asm.conduction_matrix(fs, np.ones(mesh.n_elements))
    assert fs.pattern is p


@pytest.mark.parametrize("order", [1, 2])
def test_facet_operator_equals_facet_forms_and_normals_point_out(order):
    mesh = _mesh(order, n=3)
    fs = space(mesh)
    p1 = mesh.p1
    facets = p1.boundary_facets()
    op = asm.facet_operator(fs, facets)
    h = np.linspace(1.0, 2.0, len(facets))
    assert _rel(op.matrix(h), asm.facet_mass(fs, facets, h)) < 1e-13
    assert np.abs(op.vector(h) - asm.facet_load(fs, facets, h)).max() < 1e-15
    assert op.area.sum() == pytest.approx(6.0, rel=1e-12)  # the unit cube's surface
    # the facet mean of a linear field is its value at the centroid
    x = fs.nodes
    u = 1.0 + 2.0 * x[:, 0] - x[:, 1] + 3.0 * x[:, 2]
    c = p1.p[:, p1.facets[:, facets]].mean(axis=1).T
    np.testing.assert_allclose(op.average(u), 1.0 + 2.0 * c[:, 0] - c[:, 1] + 3.0 * c[:, 2])
    n = mesh.facet_normals(facets)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0)
    # outward: along the offset of the facet's centroid from the cube's centre
    assert np.all(np.einsum("ij,ij->i", n, c - 0.5) > 0)
