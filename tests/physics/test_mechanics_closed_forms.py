"""The mechanical answers against closed forms through the public API (free expansion, a
held bar, a bimaterial plate, a held viscoelastic bar, a thick cylinder), the warpage
conventions they are reported in, and bad load input of a thermoelastic solve.

Closed forms cited per test: Timoshenko, "Analysis of bi-metal thermostats", J. Opt. Soc.
Am. 11 (1925) 233; the Prony relaxation of a generalised Maxwell solid (Ferry,
*Viscoelastic Properties of Polymers*, 3rd ed., Wiley 1980, ch. 3); WLF (Williams, Landel
& Ferry, J. Am. Chem. Soc. 77 (1955) 3701, eq. 4).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fea
from fea.errors import InputError
from fea.physics.materials import Material, Table

from ..verification.helpers import layered_box, plane

# -- closed forms through the public API ----------------------------------------------------

#: a CTE table through a glass transition (the mould compound's, 9 -> 35 ppm/K)
ALPHA_TG = Table((-55.0, 125.0, 135.0, 300.0), (9e-6, 9e-6, 35e-6, 35e-6))


@pytest.fixture(scope="module")
def plate():
    """A 4 x 4 mm plate of two 0.3 mm layers ``l1`` (bottom) and ``l2`` (P1), face
    ``top`` at z = 0.6 mm."""
    return layered_box(
        (4e-3, 4e-3),
        [("l1", 0.3e-3, 1), ("l2", 0.3e-3, 1)],
        1e-3,
        order=1,
        faces={"top": plane(2, 0.6e-3)},
    )


@pytest.mark.parametrize("kind", ["instantaneous", "secant"])
def test_a_free_plate_of_one_thermal_strain_is_stress_free(plate, kind):
    """Two materials of different stiffness (one E(T) table, nu 0.28 and 0.45) and the
    same CTE table, heated uniformly 25 -> 260 degC through the glass transition, free:
    the thermal strain is compatible, so the stress is zero (to rounding: 1e-12 of E eps)
    and the plate stays flat."""
    mats = {
        "l1": Material("l1", E=130e9, nu=0.28, alpha=ALPHA_TG, k=1.0, alpha_kind=kind),
        "l2": Material(
            "l2",
            E=Table((0.0, 200.0), (20e9, 2e9)),
            nu=0.45,
            alpha=ALPHA_TG,
            k=1.0,
            alpha_kind=kind,
        ),
    }
    me = fea.solve_thermoelastic(plate, mats, temperature=260.0, reference=25.0, backend="cpu")
    scale = 130e9 * float(mats["l1"].thermal_strain(260.0, 25.0))
    assert scale > 1e8  # a real load: 0.5 to 0.8 % strain
    assert me.von_mises.max() < 1e-12 * scale
    assert me.von_mises_nodal.max() < 1e-12 * scale
    assert me.region_max_von_mises("l2") < 1e-12 * scale
    assert me.warpage("top").peak_to_valley < 1e-12


@pytest.fixture(scope="module")
def block():
    """A 4 x 1 x 1 mm block (P1) with its six faces named."""
    L = 4e-3
    faces = {"x0": plane(0, 0.0), "x1": plane(0, L), "y0": plane(1, 0.0), "y1": plane(1, 1e-3)}
    return layered_box((L, 1e-3), [("bar", 1e-3, 1)], 1e-3, order=1, faces=faces)


def test_a_held_bar_von_mises_and_principal_stresses(block):
    """A bar held at both ends along its axis, free sideways, heated by dT: uniaxial
    ``sigma_xx = -E alpha dT`` everywhere (E 100 GPa, 10 ppm/K, 100 K: -100 MPa); von
    Mises 100 MPa per element and recovered; principal stresses (-100, 0, 0) MPa."""
    mats = {"bar": Material("b", E=100e9, nu=0.3, alpha=10e-6, k=1.0)}
    held = {"x0": {"x": 0.0}, "x1": {"x": 0.0}}
    me = fea.solve_thermoelastic(
        block, mats, temperature=125.0, reference=25.0, fixed=held, backend="cpu"
    )
    exact = -100e9 * 10e-6 * 100.0
    s = me.stress_probe([[2e-3, 0.5e-3, 0.5e-3], [0.0, 0.0, 0.0]])
    assert s[:, 0, 0] == pytest.approx([exact, exact], rel=1e-9)
    assert np.abs(s[:, 1:, 1:]).max() < 1e-9 * abs(exact)
    assert me.von_mises == pytest.approx(np.full(len(me.von_mises), -exact), rel=1e-9)
    assert me.region_max_von_mises("bar") == pytest.approx(-exact, rel=1e-9)
    p = me.principal
    assert p[:, 0] == pytest.approx(np.full(len(p), exact), rel=1e-9)
    assert np.abs(p[:, 1:]).max() < 1e-9 * abs(exact)
    assert me.region_extreme("bar", "principal_min_abs").value == pytest.approx(-exact, rel=1e-9)


def test_a_biaxially_held_plate_von_mises(block):
    """Held along x and y, free in z, heated by dT: equibiaxial ``sigma_xx = sigma_yy =
    -E alpha dT / (1 - nu)``, sigma_zz = 0; von Mises = |sigma_xx| (a check of the
    formula with two equal normal stresses: 142.857 MPa for 100 GPa, 0.3, 10 ppm/K,
    100 K)."""
    mats = {"bar": Material("b", E=100e9, nu=0.3, alpha=10e-6, k=1.0)}
    held = {"x0": {"x": 0.0}, "x1": {"x": 0.0}, "y0": {"y": 0.0}, "y1": {"y": 0.0}}
    me = fea.solve_thermoelastic(
        block, mats, temperature=125.0, reference=25.0, fixed=held, backend="cpu"
    )
    exact = -100e9 * 10e-6 * 100.0 / (1 - 0.3)
    s = me.stress_probe([[1e-3, 0.3e-3, 0.7e-3]])[0]
    assert [s[0, 0], s[1, 1]] == pytest.approx([exact, exact], rel=1e-9)
    assert abs(s[2, 2]) < 1e-9 * abs(exact)
    assert me.region_max_von_mises("bar") == pytest.approx(-exact, rel=1e-9)
    assert me.region_extreme("bar", "principal_max").value == pytest.approx(0.0, abs=1e-6)


def timoshenko_curvature(dT, h1, h2, E1, nu1, E2, nu2, a1, a2):
    """Curvature [1/m] of a free bimaterial plate, layer 1 below layer 2, after a uniform
    dT [K]; positive when layer 2 (the top) ends up on the convex side. Timoshenko (1925),
    eq. 4, with the biaxial moduli E / (1 - nu) of a wide plate."""
    m, n, h = h1 / h2, (E1 / (1 - nu1)) / (E2 / (1 - nu2)), h1 + h2
    return (
        6
        * (a2 - a1)
        * dT
        * (1 + m) ** 2
        / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m * m + 1 / (m * n))))
    )


@pytest.fixture(scope="module")
def bimaterial():
    """A 10 x 10 mm plate of silicon-like (0.3 mm, bottom) under mould-compound-like
    (0.3 mm) layers, P2, faces ``top`` and ``bottom``."""
    return layered_box(
        (10e-3, 10e-3),
        [("l1", 0.3e-3, 1), ("l2", 0.3e-3, 1)],
        1e-3,
        order=2,
        faces={"top": plane(2, 0.6e-3), "bottom": plane(2, 0.0)},
    )


BIMATERIAL = {
    "l1": Material("l1", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0),
    "l2": Material("l2", E=20e9, nu=0.3, alpha=10e-6, k=1.0),
}


@pytest.mark.parametrize("dT", [-150.0, 150.0])
def test_bimaterial_warpage_against_timoshenko_and_its_convention(bimaterial, dT):
    """A bimaterial square of side L cooled (heated) by 150 K: the reported mean and
    principal curvatures equal Timoshenko's (1925) within 0.5 %; the peak-to-valley is
    the CENTRE-TO-CORNER height of that bow, ``kappa L^2 / 4`` (0.5 %), not the centre to
    an edge's midpoint ``kappa L^2 / 8`` that a strip formula gives; cooled, the top layer
    (higher CTE) shrinks more and the top face is concave (negative, a bowl, the corners
    up), heated convex (positive); both faces report the same sign (seen from +z)."""
    L = 10e-3
    me = fea.solve_thermoelastic(
        bimaterial, BIMATERIAL, temperature=25.0 + dT, reference=25.0, backend="cpu"
    )
    kappa = timoshenko_curvature(dT, 0.3e-3, 0.3e-3, 130e9, 0.28, 20e9, 0.3, 2.6e-6, 10e-6)
    # the top layer on the convex side is a dome seen from +z: JEDEC positive
    for face in ("top", "bottom"):
        w = me.warpage(face)
        assert w.curvature == pytest.approx(kappa, rel=5e-3)
        assert w.principal_curvatures == pytest.approx((kappa, kappa), rel=5e-3)
        assert w.peak_to_valley == pytest.approx(abs(kappa) * L**2 / 4, rel=5e-3)
        assert w.signed == pytest.approx(np.sign(dT) * w.peak_to_valley)
        assert w.sense == ("convex" if dT > 0 else "concave") and w.shape == "bowl"
        # the centre against a corner of the face, straight from the displacements
        c, corner = me.probe(
            [
                [L / 2, L / 2, 0.0 if face == "bottom" else 0.6e-3],
                [0.0, 0.0, 0.0 if face == "bottom" else 0.6e-3],
            ]
        )[:, 2]
        assert c - corner == pytest.approx(w.signed, rel=5e-3)


# -- viscoelastic relaxation and the WLF shift -----------------------------------------------


def test_a_held_viscoelastic_bar_relaxes_as_its_prony_series(block):
    """A bar held at both ends, free sideways, heated at t = 0 from its stress-free 25 degC
    to 125 degC and held there: ``sigma_xx(t) = -E0 alpha dT g(t / a_T)`` with ``g(t) =
    g_inf + sum g_i exp(-t / tau_i)`` (one Prony series on bulk and shear, so on E too;
    Ferry 1980, ch. 3) and the WLF ``a_T`` at 125 degC of a reference 3 K lower
    (a_T = 0.11); the history's step is exact for constant strain, so to 1e-9."""
    g, tau = np.array([0.3, 0.4]), np.array([2.0, 20.0])
    shift = fea.WLF(17.44, 51.6, 122.0)
    a_T = float(shift.shift(125.0))
    assert 0.1 < a_T < 0.12
    mats = {
        "bar": Material(
            "v",
            E=10e9,
            nu=0.3,
            alpha=20e-6,
            k=1.0,
            relaxation=fea.Prony(list(g), list(tau)),
            shift=shift,
        )
    }
    times = [0.0, 0.5, 2.0, 5.0, 20.0, 60.0]
    res = fea.solve_history(
        block,
        mats,
        [(t, 125.0) for t in times],
        reference=25.0,
        fixed={"x0": {"x": 0.0}, "x1": {"x": 0.0}},
        backend="cpu",
        max_step_K=None,
    )
    got = [st.stress_probe([[2e-3, 0.5e-3, 0.5e-3]])[0, 0, 0] for st in res.states]
    xi = np.asarray(res.times) / a_T
    exact = -10e9 * 20e-6 * 100.0 * (1 - g.sum() + np.exp(-xi[:, None] / tau) @ g)
    assert np.asarray(res.times) == pytest.approx(times)
    assert got == pytest.approx(exact, rel=1e-9)
    assert exact[-1] / exact[0] < 0.4  # it relaxed: a test of the series, not of E0


def test_wlf_shift_of_the_library_compound_is_one_at_its_glass_transition():
    """The library's viscoelastic compound gives its Prony times at Tg (its source says
    so): WLF ``log10 a_T = -C1 (T - Tg) / (C2 + T - Tg)`` (Williams, Landel & Ferry 1955,
    eq. 4) is 0 at T = Tg, below it the times grow and above they shrink."""
    for name in fea.materials.names():
        m = fea.materials.get(name)
        if not isinstance(m.shift, fea.WLF):
            continue
        assert m.Tg is not None, name
        assert float(m.shift.shift(m.Tg)) == 1.0, name
        assert m.shift.shift(m.Tg - 10.0) > 1.0 > m.shift.shift(m.Tg + 10.0)
        # the universal constants: 10 K above Tg the times are 10^-(17.44*10/61.6) shorter
        assert m.shift.log10_shift(m.Tg + 10.0) == pytest.approx(-17.44 * 10 / 61.6)


# -- bad load input of a thermoelastic solve ------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "key"),
    [(1e6, "reference"), ({"l1": 25.0, "*": 3000.0}, "reference.*"), (2000.5, "reference")],
)
def test_a_stress_free_temperature_above_the_temperature_cap_is_refused(plate, reference, key):
    """``reference=1e6`` (a slip of units or digits) was solved: a 2 mm plate warped by
    8 mm. Every temperature input stops at :data:`fea.validate.MAX_TEMPERATURE_C`
    (2000 degC); the stress-free one now too, at its key."""
    with pytest.raises(InputError) as info:
        fea.solve_thermoelastic(plate, BIMATERIAL, temperature=100.0, reference=reference)
    assert info.value.key == key
    assert "2000" in info.value.allowed


@pytest.mark.parametrize("shrinkage", [1, None, 0.5, "l2"])
def test_a_shrinkage_that_is_neither_a_flag_nor_a_list_of_regions_is_refused(plate, shrinkage):
    """``shrinkage=1`` raised a bare TypeError ('int' object is not iterable);
    ``shrinkage="l2"`` was taken letter by letter (refused naming 'l'). Both name the
    whole value now."""
    with pytest.raises(InputError) as info:
        fea.solve_thermoelastic(plate, BIMATERIAL, temperature=100.0, shrinkage=shrinkage)
    assert info.value.key == "shrinkage" and info.value.value == shrinkage
    assert "list of region names" in info.value.allowed


def test_shrinkage_as_a_list_of_regions_still_works(plate):
    mats = {**BIMATERIAL, "l2": BIMATERIAL["l2"].with_(shrinkage=0.003)}
    me = fea.solve_thermoelastic(plate, mats, temperature=25.0, shrinkage=["l2"], backend="cpu")
    assert me.warpage("top").signed < 0  # the top layer shrinks: concave seen from the top


# -- a viscoelastic material in one elastic state --------------------------------------------


def test_an_elastic_state_of_a_relaxing_viscoelastic_compound_warns(plate):
    """One elastic state takes a viscoelastic material's instantaneous (glassy) modulus at
    every temperature: the library compound at 260 degC (130 K above its Tg) is solved with
    22 GPa where it relaxes to 1.5 GPa within milliseconds. On the tiny study's unit that
    made the 260 degC warpage +10.9 um against +6.1 um with the elastic E(T) compound, and
    the compound's von Mises stress 103 against 37 MPa, with no note. It warns now, naming
    the material, the modulus and what to use; glassy at 25 degC it does not."""
    visco = fea.materials.get("mold_compound_visco")
    mats = {"l1": BIMATERIAL["l1"], "l2": visco}
    with pytest.warns(fea.physics.mechanics.InstantaneousModulusWarning) as caught:
        fea.solve_thermoelastic(plate, mats, temperature=260.0, reference=175.0, backend="cpu")
    text = str(caught[0].message)
    assert "l2 (mold_compound_visco)" in text and "22 GPa" in text and "1.5 GPa" in text
    assert "solve_history" in text and 'model = "history"' in text
    with warnings.catch_warnings():
        warnings.simplefilter("error", fea.physics.mechanics.InstantaneousModulusWarning)
        fea.solve_thermoelastic(plate, mats, temperature=25.0, reference=175.0, backend="cpu")
    # the variants and the sweep take the same state: the same warning
    with pytest.warns(fea.physics.mechanics.InstantaneousModulusWarning):
        fea.solve_thermoelastic_variants(plate, mats, [25.0, 260.0], 175.0, backend="cpu")
    with pytest.warns(fea.physics.mechanics.InstantaneousModulusWarning):
        fea.physics.mechanics.solve_thermoelastic_sweep(
            plate, [mats, BIMATERIAL], [260.0, 260.0], 175.0, backend="cpu"
        )


# -- a thick cylinder: recovered stresses at curved free surfaces ------------------------------


def _tube(a_mm: float, b_mm: float, length_mm: float, h_mm: float):
    """A hollow cylinder along z (P2), region ``tube``."""
    import gmsh

    from fea.fe.mesh import Mesh, gmsh_session

    with gmsh_session():
        occ = gmsh.model.occ
        outer = occ.addCylinder(0, 0, 0, 0, 0, length_mm, b_mm)
        inner = occ.addCylinder(0, 0, 0, 0, 0, length_mm, a_mm)
        out, _ = occ.cut([(3, outer)], [(3, inner)])
        occ.synchronize()
        gmsh.model.addPhysicalGroup(3, [t for _, t in out], name="tube")
        gmsh.option.setNumber("Mesh.MeshSizeMax", h_mm)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e-3, 0])
        return Mesh.from_gmsh(gmsh.model, order=2)


def thick_cylinder_stresses(r, a, b, E, nu, alpha, dT):
    """(sigma_r, sigma_theta, sigma_z) [Pa] at radius r [m] of a long hollow cylinder a < r
    < b with free ends, far from them, under ``T = dT ln(b/r) / ln(b/a)`` above its
    stress-free temperature: Timoshenko & Goodier, *Theory of Elasticity*, 3rd ed.,
    McGraw-Hill 1970, section 151, the logarithmic (steady conduction) case."""
    K = alpha * E * dT / (2 * (1 - nu) * np.log(b / a))
    lg, c = np.log(b / r), a * a / (b * b - a * a) * np.log(b / a)
    return (
        K * (-lg - c * (1 - b * b / r**2)),
        K * (1 - lg - c * (1 + b * b / r**2)),
        K * (1 - 2 * lg - 2 * c),
    )


@pytest.mark.slow
def test_a_thick_cylinder_under_a_radial_temperature_field():
    """A hollow cylinder (a = 1, b = 2 mm, 12 mm long, P2 at 0.3 mm), free, with the
    steady-conduction temperature ``100 ln(b/r)/ln(b/a)`` K: the RECOVERED nodal stresses
    (what maxima and probes report) on both curved free surfaces away from the ends
    against Timoshenko & Goodier (1970, section 151): sigma_theta and sigma_z, and the
    von Mises stress, which the maximum of a region is made of; sigma_r vanishes there.
    Measured: inner sigma_theta -84.1 against -87.4 MPa (-3.8 %, -1.7 % at 0.18 mm),
    sigma_z -86.8, von Mises 82.4 (mean) against 87.4 MPa; outer sigma_theta 56.7
    against 55.4 MPa, von Mises 55.5-57.9."""
    from fea.physics.constitutive import tensor, von_mises

    a, b, L = 1e-3, 2e-3, 12e-3
    E, nu, alpha, dT = 100e9, 0.3, 10e-6, 100.0
    mesh = _tube(1.0, 2.0, 12.0, 0.3)

    def temperature(x, y, z):
        return dT * np.log(b / np.hypot(x, y)) / np.log(b / a)

    me = fea.solve_thermoelastic(
        mesh,
        {"tube": Material("m", E=E, nu=nu, alpha=alpha, k=1.0)},
        temperature=temperature,
        reference=0.0,
        backend="cpu",
    )
    verts, vals = me.recovered.region("tube")
    p = mesh.p1.p[:, verts].T
    r = np.hypot(p[:, 0], p[:, 1])
    middle = np.abs(p[:, 2] - L / 2) < 1.5e-3
    for radius, tol_theta, tol_vm in ((a, 0.05, 0.07), (b, 0.03, 0.03)):
        on = middle & (np.abs(r - radius) < 1e-9)
        assert on.sum() > 100
        ang = np.arctan2(p[on, 1], p[on, 0])
        e_r = np.stack([np.cos(ang), np.sin(ang), 0 * ang], 1)
        e_t = np.stack([-np.sin(ang), np.cos(ang), 0 * ang], 1)
        s = tensor(vals[on])
        s_r = np.einsum("ni,nij,nj->n", e_r, s, e_r)
        s_t = np.einsum("ni,nij,nj->n", e_t, s, e_t)
        x_r, x_t, x_z = thick_cylinder_stresses(radius, a, b, E, nu, alpha, dT)
        assert x_r == pytest.approx(0.0, abs=1e-6 * abs(x_t))
        assert s_t.mean() == pytest.approx(x_t, rel=tol_theta)
        assert s[:, 2, 2].mean() == pytest.approx(x_z, rel=0.03)
        assert np.abs(s_r).max() < 0.07 * abs(x_t)
        vm = von_mises(vals[on])
        exact_vm = np.sqrt(0.5 * ((x_t - x_z) ** 2 + x_t**2 + x_z**2))
        assert vm.mean() == pytest.approx(exact_vm, rel=tol_vm)
