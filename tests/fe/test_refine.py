"""A quadratic mesh split into the linear mesh of its nodes (fea.fe.refine): the same
nodes, volumes, regions and boundaries, and the conduction it solves against closed forms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fea.errors import MeshError
from fea.fe.mesh import Mesh, MeshInfo
from fea.fe.refine import (
    CHILDREN,
    child_nodes,
    facet_children,
    refine_p2,
    refined_weights,
)
from fea.fe.spaces import space
from fea.physics.materials import Material
from fea.physics.thermal import solve_thermal

from ..verification.helpers import layered_box, plane

SIZE, T_A, T_B = 0.4e-3, 0.1e-3, 0.2e-3


@pytest.fixture(scope="module")
def box():
    return layered_box(
        (SIZE, SIZE),
        [("a", T_A, 1), ("b", T_B, 2)],
        0.1e-3,
        order=2,
        faces={"top": plane(2, T_A + T_B), "bottom": plane(2, 0.0)},
    )


@pytest.fixture(scope="module")
def split(box):
    return refine_p2(box)


def test_the_split_mesh_has_the_quadratic_nodes_in_their_order(box, split):
    assert split.order == 1
    np.testing.assert_array_equal(split.nodes, space(box).nodes)
    # the linear space's nodes are the vertices mapped from the reference element: equal
    # to rounding
    np.testing.assert_allclose(space(split).nodes, space(box).nodes, rtol=0, atol=1e-12 * SIZE)
    assert split.n_elements == CHILDREN * box.n_elements


def test_children_have_an_eighth_of_their_parent_s_volume(box, split):
    # straight-edged tetrahedra: 4 corners and 4 pieces of the octahedron, V/8 each
    v = split.element_volumes().reshape(-1, CHILDREN)
    parent = box.element_volumes()
    np.testing.assert_allclose(v / parent[:, None], 1.0 / 8.0, rtol=1e-9)
    nodes = split.p1.p.T
    t = split.p1.t.T
    signed = np.linalg.det(nodes[t[:, 1:]] - nodes[t[:, :1]]) / 6.0
    assert np.all(signed > 0)  # positively oriented, as scikit-fem wants
    assert v.sum() == pytest.approx(SIZE * SIZE * (T_A + T_B), rel=1e-12)


def test_regions_and_boundaries_carry_over(box, split):
    assert list(split.regions) == list(box.regions)
    vol = split.element_volumes()
    for r, e in box.regions.items():
        kids = split.regions[r]
        assert len(kids) == CHILDREN * len(e)
        np.testing.assert_array_equal(np.unique(kids // CHILDREN), np.sort(e))
        assert vol[kids].sum() == pytest.approx(box.element_volumes()[e].sum(), rel=1e-12)
    assert set(split.boundaries) == set(box.boundaries) >= {"top", "bottom", "a|b"}
    for name, facets in box.boundaries.items():
        assert len(split.boundaries[name]) == 4 * len(facets)
        assert split.boundary_area(name) == pytest.approx(box.boundary_area(name), rel=1e-12)
    assert split.boundary_area("top") == pytest.approx(SIZE * SIZE, rel=1e-12)


def test_facet_children_are_quarters_through_the_mid_nodes(box):
    facets = box.boundaries["top"]
    kids = facet_children(box, facets)
    assert kids.shape == (len(facets), 4, 3)
    x = space(box).nodes[kids]
    area = 0.5 * np.linalg.norm(np.cross(x[:, :, 1] - x[:, :, 0], x[:, :, 2] - x[:, :, 0]), axis=2)
    p = box.p1.p.T[box.p1.facets[:, facets].T]
    whole = 0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
    np.testing.assert_allclose(area / whole[:, None], 0.25, rtol=1e-9)


def test_the_octahedron_is_cut_along_its_shortest_diagonal(box):
    nodes = space(box).nodes
    kids = child_nodes(box)
    inner = kids[:, 4:]  # the octahedron's four tetrahedra share its diagonal
    shared = [np.intersect1d(np.intersect1d(a, b), np.intersect1d(c, d)) for a, b, c, d in inner]
    assert all(len(s) == 2 for s in shared)
    diag = np.array([np.linalg.norm(nodes[s[0]] - nodes[s[1]]) for s in shared])
    mids = space(box).dofs[:, 4:]
    others = [
        min(np.linalg.norm(nodes[m[a]] - nodes[m[b]]) for a, b in ((0, 5), (2, 4), (3, 1)))
        for m in mids
    ]
    np.testing.assert_allclose(diag, others, rtol=1e-12)


def test_weights_reproduce_a_linear_field_and_never_extrapolate(box):
    fs = space(box)
    W = refined_weights(box, fs.basis.X)
    assert W.shape == (box.n_elements, fs.basis.X.shape[1], 10)
    np.testing.assert_allclose(W.sum(axis=2), 1.0, rtol=1e-12)
    assert W.min() >= 0.0  # a convex combination of the nodes: no overshoot between them
    f = fs.nodes @ np.array([1.0, -2.0, 3.0])
    x_q = np.asarray(fs.basis.mapping.F(fs.basis.X))  # (3, n_el, n_q)
    np.testing.assert_allclose(
        np.einsum("eqi,ei->eq", W, f[fs.dofs]),
        np.einsum("a,aeq->eq", [1.0, -2.0, 3.0], x_q),
        atol=1e-12 * np.abs(f).max(),
    )


def test_a_linear_mesh_and_a_curved_element_are_refused(box):
    lin = layered_box((SIZE, SIZE), [("a", T_A, 1)], 0.1e-3, order=1)
    with pytest.raises(MeshError, match="order 2"):
        refine_p2(lin)
    bent = dataclasses.replace(box, info=MeshInfo())
    fs = space(bent)
    moved = fs.nodes.copy()
    moved[fs.dofs[3, 6]] += [0.0, 0.0, 1e-6]  # a mid-node lifted off its edge
    bent.info.spaces[2] = dataclasses.replace(fs, nodes=moved)
    with pytest.raises(MeshError, match="off the midpoint of its edge"):
        refine_p2(bent)


def _solid(k: float) -> Material:
    return Material("s", E=1e9, nu=0.3, alpha=0.0, k=k, rho=1e3, cp=1e3)


def test_two_layer_conduction_is_exact_on_the_split_mesh(split):
    # series conduction, fixed top and bottom: T linear in each layer, which the linear
    # elements hold exactly; interface at T = R_a / (R_a + R_b)
    k_a, k_b = 2.0, 0.5
    th = solve_thermal(
        split,
        {"a": _solid(k_a), "b": _solid(k_b)},
        fixed={"top": 1.0, "bottom": 0.0},
        method="direct",
    )
    z = split.nodes[:, 2]
    r_a, r_b = T_A / k_a, T_B / k_b
    t_i = r_a / (r_a + r_b)
    exact = np.where(z <= T_A, t_i * z / T_A, t_i + (1 - t_i) * (z - T_A) / T_B)
    np.testing.assert_allclose(th.temperature, exact, atol=1e-8)


def test_a_heated_layer_against_its_parabola(box, split):
    # uniform source q in a slab, both faces at 0: T = q z (L - z) / (2 k), at most
    # q L^2 / (8 k) mid-way. Linear elements: O(h^2), so the split mesh (h/2) errs well
    # under half what the linear mesh of the vertices alone does (measured: 2.2 % against
    # 6.0 % of the peak)
    L, k, q = T_A + T_B, 1.0, 1e9
    mats = {"a": _solid(k), "b": _solid(k)}
    power = {"a": q * SIZE * SIZE * T_A, "b": q * SIZE * SIZE * T_B}
    fixed = {"top": 0.0, "bottom": 0.0}
    peak = q * L * L / (8 * k)
    err = {}
    vertices = Mesh(box.p1, box.p1, box.regions, box.boundaries, 1)
    for name, mesh in (("split", split), ("vertices", vertices)):
        th = solve_thermal(mesh, mats, sources=power, fixed=fixed, method="direct")
        z = mesh.nodes[:, 2]
        err[name] = np.abs(th.temperature - q * z * (L - z) / (2 * k)).max() / peak
    assert err["split"] < err["vertices"] / 2
    assert err["split"] < 0.03
