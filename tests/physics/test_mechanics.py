"""Temperature sweeps of warpage: one factorization reused, same answers as single solves."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.materials import Material, Table
from fea.physics.mechanics import (
    close_solver_cache,
    solve_thermoelastic,
    solve_thermoelastic_variants,
    warpage_curve,
)

from ..verification.helpers import layered_box, plane

MATS = {
    "metal": Material("metal", E=120e9, nu=0.34, alpha=17e-6, k=1.0),
    "mold": Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=1.0),
}


@pytest.fixture(scope="module")
def strip():
    return layered_box(
        (4e-3, 2e-3),
        [("metal", 0.1e-3, 1), ("mold", 0.3e-3, 2)],
        0.5e-3,
        order=2,
        faces={"top": plane(2, 0.4e-3)},
    )


def test_warpage_curve_is_linear_in_temperature_and_matches_single_solves(strip):
    temps = [25.0, 100.0, 183.0, 260.0, 183.0, 25.0]
    curve = warpage_curve(strip, MATS, temps, surface="top", reference=175.0, backend="cpu")
    assert [T for T, _ in curve] == temps
    w = np.array([c.signed for _, c in curve])
    # one reference temperature, constant properties: warpage proportional to T - T_ref
    slope = w[0] / (25.0 - 175.0)
    assert np.allclose(w, slope * (np.array(temps) - 175.0), rtol=1e-8, atol=0)
    assert w[0] == pytest.approx(w[-1], rel=1e-12)  # back at 25 degC: same warpage
    assert np.sign(w[0]) != np.sign(w[3])  # cooling and heating bend opposite ways
    single = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu").warpage("top")
    assert curve[3][1].peak_to_valley == pytest.approx(single.peak_to_valley, rel=1e-9)
    assert curve[3][1].curvature == pytest.approx(single.curvature, rel=1e-9)


def test_solver_cache_reuses_the_setup_only_when_stiffness_is_unchanged(strip):
    cache: dict = {}
    try:
        a = solve_thermoelastic(strip, MATS, 25.0, 175.0, backend="cpu", solver_cache=cache)
        b = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu", solver_cache=cache)
        assert a.solver_info["reused_setup"] is False and b.solver_info["reused_setup"] is True
        ref = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu")
        assert np.allclose(
            b.displacement, ref.displacement, rtol=0, atol=1e-10 * np.abs(ref.displacement).max()
        )
        # a modulus that drops above 120 degC: the stiffness changes, the setup is redone
        soft = dict(
            MATS,
            mold=Material(
                "mold", E=Table((25.0, 120.0, 140.0), (20e9, 20e9, 2e9)), nu=0.3, alpha=9e-6, k=1.0
            ),
        )
        c = solve_thermoelastic(strip, soft, 100.0, 175.0, backend="cpu", solver_cache=cache)
        d = solve_thermoelastic(strip, soft, 260.0, 175.0, backend="cpu", solver_cache=cache)
        # at 100 degC the soft mold still has 20 GPa: the very same stiffness, reused
        assert c.solver_info["reused_setup"] is True and d.solver_info["reused_setup"] is False
        e = solve_thermoelastic(strip, soft, 260.0, 175.0, backend="cpu", solver_cache=cache)
        assert e.solver_info["reused_setup"] is True
        assert len(cache) == 1
    finally:
        close_solver_cache(cache)
    assert cache == {}


def test_amg_setup_reused_in_a_sweep(strip):
    curve_direct = warpage_curve(strip, MATS, [25.0, 260.0], reference=175.0, backend="cpu")
    curve_amg = warpage_curve(
        strip, MATS, [25.0, 260.0], reference=175.0, backend="cpu", method="amg", rtol=1e-12
    )
    for (_, a), (_, b) in zip(curve_direct, curve_amg, strict=True):
        assert b.signed == pytest.approx(a.signed, rel=1e-7)


@pytest.fixture(scope="module")
def two_blocks():
    """Two 1 x 1 x 0.5 mm blocks 1 mm apart (one region ``body``, no shared node): a free
    body in two disconnected parts (P2)."""
    import gmsh

    from fea.fe.mesh import Mesh, gmsh_session

    k = 1e3
    with gmsh_session():
        occ = gmsh.model.occ
        a = occ.addBox(0, 0, 0, k * 1e-3, k * 1e-3, k * 0.5e-3)
        b = occ.addBox(k * 2e-3, 0, 0, k * 1e-3, k * 1e-3, k * 0.5e-3)
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [a, b], name="body")
        gmsh.option.setNumber("Mesh.MeshSizeMax", k * 0.4e-3)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=2)


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_a_free_body_in_two_parts_expands_freely_about_each_centroid(two_blocks, method):
    """Closed form: a homogeneous body free of supports, heated uniformly by dT, expands
    without stress, u = alpha dT (x - c) about the centroid c of each part. Each part gets
    its own 3-2-1 support (one for the whole body left the second part singular before);
    the supports carry no load and the rigid motion of each part is projected out."""
    from fea.fe.spaces import space

    m = Material("m", E=100e9, nu=0.3, alpha=10e-6, k=1.0)
    me = solve_thermoelastic(two_blocks, {"body": m}, 125.0, 25.0, backend="cpu", method=method)
    x = space(two_blocks).nodes
    left = x[:, 0] < 1.5e-3
    exact = np.zeros_like(x)
    for part in (left, ~left):
        exact[part] = 10e-6 * 100.0 * (x[part] - x[part].mean(axis=0))
    scale = np.abs(exact).max()
    assert np.abs(me.displacement - exact).max() <= 1e-7 * scale
    assert np.abs(me.stress_q).max() <= 1e-6 * 100e9 * 10e-6 * 100.0  # stress free
    assert me.reactions < 1e-8 and me.solver_info["free_body"]


def test_a_warm_solver_cache_gives_the_numbers_of_a_cold_solve(strip):
    """A result does not depend on cache state: a state solved with the factorisation kept
    from an earlier temperature equals, bit for bit, the same state solved alone after the
    Pardiso pattern cache was cleared (a second, independent factorisation)."""
    from fea.solvers import cpu

    cache: dict = {}
    try:
        solve_thermoelastic(strip, MATS, 25.0, 175.0, backend="cpu", solver_cache=cache)
        warm = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu", solver_cache=cache)
    finally:
        close_solver_cache(cache)
    assert warm.solver_info["reused_setup"]
    cpu.clear_pattern_cache()
    cold = solve_thermoelastic(strip, MATS, 260.0, 175.0, backend="cpu")
    assert np.array_equal(warm.displacement, cold.displacement)
    assert np.array_equal(warm.stress_q, cold.stress_q)


def test_von_mises_names_the_element_value_and_the_nodal_one(strip):
    """``von_mises`` is per element (the centroid stress's), ``von_mises_nodal`` per node
    (the recovered field, as written to the results file); recomputed here from the
    stresses each is said to come from."""
    from fea.physics.constitutive import von_mises

    me = solve_thermoelastic(strip, MATS, 25.0, 175.0, backend="cpu")
    assert me.von_mises.shape == (strip.n_elements,)
    assert np.array_equal(me.von_mises, von_mises(me.stress_q.mean(axis=1)))
    assert me.von_mises_nodal.shape == (me.nodes.shape[0],)
    assert np.array_equal(me.von_mises_nodal, me.fields()["von_mises_nodal"][0])


@pytest.fixture(scope="module")
def bar():
    """A 4 x 1 x 1 mm bar (one region ``bar``), P2."""
    return layered_box((4e-3, 1e-3), [("bar", 1e-3, 2)], 0.5e-3, order=2)


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_variants_of_a_free_bar_match_the_closed_form_for_two_loads(bar, method):
    """Closed form: a free homogeneous bar under a temperature rise linear in position,
    theta = a + g.x, is stress free with u = alpha (a x + (g.x) x - |x|^2 g / 2) up to a
    rigid motion (its symmetric gradient is alpha theta I; quadratic, so P2 reproduces it).
    Two loads in one block: a uniform rise of 100 K and a gradient of 2e4 K/m along x (80 K
    over the bar); both within 1e-7 of the closed form (after removing the rigid motion by
    least squares), stress free, one setup for both."""
    from fea.fe.constraints import rigid_body_modes
    from fea.fe.spaces import space

    alpha = 10e-6
    m = Material("m", E=100e9, nu=0.3, alpha=alpha, k=1.0)
    loads = [125.0, lambda x, y, z: 25.0 + 2e4 * x]
    res = solve_thermoelastic_variants(
        bar, {"bar": m}, loads, 25.0, backend="cpu", method=method, rtol=1e-12
    )
    x = space(bar).nodes
    R = rigid_body_modes(x)
    cases = [(100.0, np.zeros(3)), (0.0, np.array([2e4, 0.0, 0.0]))]
    for me, (a, g) in zip(res, cases, strict=True):
        exact = alpha * (a * x + (x @ g)[:, None] * x - 0.5 * (x**2).sum(axis=1)[:, None] * g)
        d = (me.displacement - exact).ravel()
        d -= R @ np.linalg.lstsq(R, d, rcond=None)[0]
        scale = np.abs(exact).max()
        assert np.abs(d).max() <= 1e-7 * scale, (method, a)
        assert np.abs(me.stress_q).max() <= 1e-6 * 100e9 * alpha * 100.0
        assert me.solver_info["variants"] == 2 and me.solver_info["free_body"]
    assert res[0].solver_info["setup"] == "built"


def test_variants_equal_single_solves_and_group_by_stiffness(strip):
    """Against :func:`solve_thermoelastic` variant by variant (a second, independent path):
    within 1e-10 with the direct solver. A modulus falling above 120 degC splits the
    variants by stiffness: 25 and 100 degC share the block (the same 20 GPa), 260 degC is
    solved in a group of its own; a hygroscopic eigenstrain rides along per variant."""
    soft = dict(
        MATS,
        mold=Material(
            "mold", E=Table((25.0, 120.0, 140.0), (20e9, 20e9, 2e9)), nu=0.3, alpha=9e-6, k=1.0
        ),
    )
    temps = [25.0, 260.0, 100.0]
    swell = [None, None, 1e-3]
    res = solve_thermoelastic_variants(
        strip, soft, temps, 175.0, backend="cpu", method="direct", eigenstrains=swell
    )
    assert [r.solver_info["variants"] for r in res] == [2, 1, 2]
    for T, sw, me in zip(temps, swell, res, strict=True):
        ref = solve_thermoelastic(
            strip, soft, T, 175.0, backend="cpu", method="direct", eigenstrain=sw
        )
        scale = np.abs(ref.displacement).max()
        assert np.abs(me.displacement - ref.displacement).max() <= 1e-10 * scale
        assert np.abs(me.stress_q - ref.stress_q).max() <= 1e-9 * np.abs(ref.stress_q).max()
        assert me.warpage("top").signed == pytest.approx(ref.warpage("top").signed, rel=1e-9)


def test_variants_refuse_bad_input(strip):
    with pytest.raises(InputError, match="temperatures"):
        solve_thermoelastic_variants(strip, MATS, [], 175.0, backend="cpu")
    with pytest.raises(InputError, match="temperatures"):
        solve_thermoelastic_variants(strip, MATS, 25.0, 175.0, backend="cpu")
    with pytest.raises(InputError, match="eigenstrains"):
        solve_thermoelastic_variants(strip, MATS, [25.0, 50.0], 175.0, eigenstrains=[None])


def test_a_free_body_cut_by_a_symmetry_plane_expands_about_the_full_bodys_centroid():
    """Closed form: the half y >= 0 of a homogeneous free body heated uniformly by dT, the
    plane y = 0 held (``symmetry=("y",)``): the full body expands without stress about its
    centroid, u = alpha dT (x - c), with c the mean over the full body's nodes, each node
    of the half counted with its image (twice off the plane, once on it); c_y = 0."""
    from fea.fe.spaces import space

    half = layered_box((2e-3, 1e-3), [("body", 0.5e-3, 1)], 0.4e-3, order=1,
                       faces={"y0": plane(1, 0.0)})
    m = Material("m", E=100e9, nu=0.3, alpha=10e-6, k=1.0)
    me = solve_thermoelastic(half, {"body": m}, 125.0, 25.0, {"y0": {"y": 0.0}},
                             backend="cpu", symmetry=("y",))
    x = space(half).nodes
    w = np.where(np.abs(x[:, 1]) < 1e-12, 1.0, 2.0)
    c = (w[:, None] * x).sum(axis=0) / w.sum()
    c[1] = 0.0
    exact = 10e-6 * 100.0 * (x - c)
    # each node once (no symmetry=) gives a centroid off by 2e-4 of the displacement here
    assert np.abs(me.displacement - exact).max() <= 1e-7 * np.abs(exact).max()
    with pytest.raises(InputError) as e:
        solve_thermoelastic(half, {"body": m}, 125.0, 25.0, {"y0": {"y": 0.0}},
                            symmetry=("q",))
    assert e.value.key == "symmetry"


def test_variants_and_sweep_cut_by_a_symmetry_plane_keep_the_full_bodys_centroid():
    """The closed form above for many loads and many materials: the half body's variants
    (dT = 100 and 50 K) and a material sweep (alpha 10 and 20 ppm/K, E 100 and 150 GPa:
    its second case is solved by PCG with the first's setup) expand about the full body's
    centroid, u = alpha dT (x - c), to 1e-7, the rigid motion removed in the weighted inner
    product as solve_thermoelastic removes it."""
    from fea.fe.spaces import space
    from fea.physics.mechanics import solve_thermoelastic_sweep

    half = layered_box((2e-3, 1e-3), [("body", 0.5e-3, 1)], 0.4e-3, order=1,
                       faces={"y0": plane(1, 0.0)})
    held = {"y0": {"y": 0.0}}
    x = space(half).nodes
    w = np.where(np.abs(x[:, 1]) < 1e-12, 1.0, 2.0)
    c = (w[:, None] * x).sum(axis=0) / w.sum()
    c[1] = 0.0
    m = Material("m", E=100e9, nu=0.3, alpha=10e-6, k=1.0)
    out = solve_thermoelastic_variants(half, {"body": m}, [125.0, 75.0], 25.0, held,
                                       backend="cpu", symmetry=("y",))
    for me, dT in zip(out, (100.0, 50.0), strict=True):
        exact = 10e-6 * dT * (x - c)
        assert np.abs(me.displacement - exact).max() <= 1e-7 * np.abs(exact).max()
    m2 = Material("m2", E=150e9, nu=0.3, alpha=20e-6, k=1.0)
    out = solve_thermoelastic_sweep(half, [{"body": m}, {"body": m2}], 125.0, 25.0, held,
                                    backend="cpu", nominal=0, symmetry=("y",))
    assert [me.solver_info["sweep"]["how"] for me in out] == ["nominal", "preconditioned"]
    for me, a in zip(out, (10e-6, 20e-6), strict=True):
        exact = a * 100.0 * (x - c)
        assert np.abs(me.displacement - exact).max() <= 1e-7 * np.abs(exact).max()
    with pytest.raises(InputError) as e:
        solve_thermoelastic_sweep(half, [{"body": m}], 125.0, 25.0, held, symmetry=("x", "x"))
    assert e.value.key == "symmetry"
