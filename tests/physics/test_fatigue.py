"""Per-joint fatigue post-processing and life models against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import fatigue
from fea.physics.fatigue import (
    DARVEAUX_SETS,
    PSI,
    DarveauxConstants,
    critical_joint_summary,
    darveaux_life,
    element_average,
    engelmaier_exponent,
    engelmaier_life,
    engelmaier_shear_strain,
    hysteresis_loop,
    joint_energy,
    loop_area,
    pad_shear,
    syed_life,
    syed_strain_life,
)

UM = 1e-6


# ------------------------------------------------------------------ joint_energy


def _column(jid, x, y, zs, vols, energies, strains=None):
    """Elements of one joint stacked along z: centroids (x, y, z)."""
    n = len(zs)
    cen = np.column_stack([np.full(n, x), np.full(n, y), np.asarray(zs) * UM])
    return {
        "cen": cen,
        "vol": np.asarray(vols, float),
        "W": np.asarray(energies, float),
        "eps": np.zeros(n) if strains is None else np.asarray(strains, float),
        "jid": np.full(n, jid),
    }


def _stack(*cols):
    return {k: np.concatenate([c[k] for c in cols]) for k in cols[0]}


def test_volume_weighted_layer_average_by_hand():
    # Joint 0, board pad at z = 0 (bounds given): centroids 5, 15 um in the 25 um layer,
    # 35 and 80 um out. Delta W = (1*2 + 3*6) / (1 + 3) = 5 per 2 cycles -> 2.5.
    a = _column(0, 0.0, 0.0, [5, 15, 35, 80], [1, 3, 2, 4], [2, 6, 100, 100], [0.1, 0.3, 1, 1])
    # Joint 1 at x = 1 mm: layer elements 10 um (vol 2, W 10) only -> 10 / 2 = 5 per cycle.
    b = _column(1, 1e-3, 0.0, [10, 40], [2, 2], [10, 0], [0.2, 0.0])
    d = _stack(a, b)
    zr = np.column_stack([d["cen"][:, 2] - 5 * UM, d["cen"][:, 2] + 5 * UM])
    zr[0, 0] = 0.0  # the lowest element's bottom is the pad plane z = 0
    zr[4, 0] = 0.0
    r = joint_energy(
        d["vol"] * 1e-15, d["cen"], d["jid"], d["W"], np.zeros_like(d["W"]),
        eq_strain_end=d["eps"], eq_strain_start=np.zeros_like(d["eps"]), cycles=2,
        element_z_range=zr,
    )
    assert list(r.joint) == [0, 1]
    np.testing.assert_allclose(r.delta_w, [2.5, 5.0], rtol=1e-12)
    np.testing.assert_allclose(r.layer_volume, [4e-15, 2e-15], rtol=1e-12)
    assert list(r.layer_elements) == [2, 1]
    np.testing.assert_allclose(r.pad_z, [0.0, 0.0], atol=1e-18)
    # strain: (1*0.1 + 3*0.3)/4 = 0.25 accumulated, per cycle 0.125
    np.testing.assert_allclose(r.eq_strain, [0.25, 0.2], rtol=1e-12)
    np.testing.assert_allclose(r.delta_eq_strain, [0.125, 0.1], rtol=1e-12)
    # whole joint: (2 + 18 + 200 + 400) / 10 / 2 = 31
    np.testing.assert_allclose(r.delta_w_joint, [31.0, 2.5], rtol=1e-12)
    assert r.critical_joint == 1
    assert r.critical_delta_w == pytest.approx(5.0)
    np.testing.assert_allclose(r.critical_location, [1e-3, 0.0, 10 * UM], rtol=1e-12)
    # layer centroid of joint 0: (1*5 + 3*15)/4 = 12.5 um
    assert r.layer_center[0, 2] == pytest.approx(12.5 * UM)


def test_partial_elements_by_centroid_rule():
    # Pad at z = 0 given; thickness 25 um. Element 20-30 um (centroid 25: on the boundary)
    # counts whole; element 22-32 (centroid 27, partly inside) does not.
    a = _column(7, 0, 0, [25, 27], [1, 1], [4, 1000])
    r = joint_energy(a["vol"], a["cen"], a["jid"], a["W"], pad_z={7: 0.0})
    assert r.delta_w[0] == pytest.approx(4.0)
    assert r.layer_elements[0] == 1
    # without bounds: the pad is the lowest centroid (25 um), layer 25..50 um: both count
    r2 = joint_energy(a["vol"], a["cen"], a["jid"], a["W"])
    assert r2.pad_z[0] == pytest.approx(25 * UM)
    assert r2.delta_w[0] == pytest.approx(502.0)


def test_package_side_and_board_above():
    # Joint from z = 0 (board) to 400 um (package). Package-side layer: centroids within
    # 25 um below 400 um.
    a = _column(0, 0, 0, [10, 200, 390], [1, 1, 1], [1.0, 2.0, 3.0])
    zr = np.array([[0, 20], [190, 210], [380, 400]], float) * UM
    top = joint_energy(a["vol"], a["cen"], a["jid"], a["W"], side="package", element_z_range=zr)
    assert top.delta_w[0] == pytest.approx(3.0)
    assert top.pad_z[0] == pytest.approx(400 * UM)
    # board above the package: the board pad is then the top one
    up = joint_energy(a["vol"], a["cen"], a["jid"], a["W"], board_below=False,
                      element_z_range=zr)
    assert up.delta_w[0] == pytest.approx(3.0)
    # thinner layer than the first element's centroid -> refused, naming the thickness
    with pytest.raises(InputError) as exc:
        joint_energy(a["vol"], a["cen"], a["jid"], a["W"], thickness=5 * UM, pad_z=[-20e-6])
    assert exc.value.key == "fatigue.thickness"


def test_negative_ids_are_not_solder_and_pad_array():
    a = _column(3, 0, 0, [5], [1], [2.0])
    b = _column(-1, 0, 0, [5], [1], [99.0])
    c = _column(5, 0, 0, [5], [2], [8.0])
    d = _stack(a, b, c)
    r = joint_energy(d["vol"], d["cen"], d["jid"], d["W"], pad_z=[0.0, 0.0])
    assert list(r.joint) == [3, 5]
    np.testing.assert_allclose(r.delta_w, [2.0, 8.0])
    assert np.isnan(r.eq_strain).all()
    assert r.critical == 1


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"volumes": [1.0, -1.0]}, "fatigue.volumes"),
        ({"centroids": np.zeros((2, 2))}, "fatigue.centroids"),
        ({"joint": [0.0, 1.0]}, "fatigue.joint"),
        ({"energy_end": [1.0, np.nan]}, "fatigue.energy_end"),
        ({"cycles": 0}, "fatigue.cycles"),
        ({"thickness": 0.0}, "fatigue.thickness"),
        ({"side": "left"}, "fatigue.side"),
        ({"pad_z": {0: 0.0}}, "fatigue.pad_z"),
    ],
)
def test_joint_energy_refuses(change, key):
    args = {
        "volumes": [1.0, 1.0],
        "centroids": np.zeros((2, 3)),
        "joint": np.array([0, 1]),
        "energy_end": [1.0, 2.0],
    }
    kw = {}
    for k, v in change.items():
        if k in args:
            args[k] = v
        else:
            kw[k] = v
    with pytest.raises(InputError) as exc:
        joint_energy(**args, **kw)
    assert exc.value.key == key


def test_element_average():
    vals = np.array([[1.0, 3.0], [2.0, 2.0]])
    w = np.array([[1.0, 3.0], [0.5, 0.5]])
    avg, vol = element_average(vals, w)
    np.testing.assert_allclose(avg, [2.5, 2.0])
    np.testing.assert_allclose(vol, [4.0, 1.0])
    with pytest.raises(InputError):
        element_average(vals, w[:, :1])


# ------------------------------------------------------------------ life models


def test_psi_value():
    assert PSI == pytest.approx(6894.757293168, rel=1e-12)


def test_darveaux_hand_calculation():
    # dW = 0.1 MPa = 14.5038 psi; pad 0.4 mm = 0.015748 in.
    # N0 = 22400 * 14.5038^-1.52 = 384.5; da/dN = 5.86e-7 * 14.5038^0.98 = 8.056e-6 in.
    # N_alpha = 384.5 + 0.015748 / 8.056e-6 = 384.5 + 1954.8 = 2339
    dw_psi = 1e5 / 6894.757293168
    n0 = 22400.0 * dw_psi**-1.52
    rate_in = 5.86e-7 * dw_psi**0.98
    expected = n0 + (0.4e-3 / 0.0254) / rate_in
    r = darveaux_life(1e5, 0.4e-3)
    assert r.cycles == pytest.approx(expected, rel=1e-12)
    assert r.cycles == pytest.approx(2339, rel=2e-3)
    assert r.initiation == pytest.approx(384.5, rel=2e-3)
    assert r.growth_rate == pytest.approx(8.056e-6 * 0.0254, rel=2e-3)
    assert r.estimate and "Darveaux" in r.source and "estimate" in str(r)
    assert r.constants["layer_thickness_m"] == pytest.approx(25.4e-6)


def test_darveaux_user_constants_in_si():
    c = DarveauxConstants(K1=1000.0, K2=-1.0, K3=1e-9, K4=1.0, energy_unit=1e6,
                          length_unit=1.0, thickness=25e-6)
    # dW = 2 MPa: N0 = 500, da/dN = 2e-9 m, a = 1e-4 -> 5e4 + 500
    assert darveaux_life(2e6, 1e-4, c).cycles == pytest.approx(50500.0)


def test_syed_hand_calculation():
    # N = 1 / (0.0019 * 0.1 MPa) = 5263.16; strain form 1 / (0.0468 * 0.01) = 2136.75
    assert syed_life(1e5).cycles == pytest.approx(5263.157894736842, rel=1e-12)
    assert syed_strain_life(0.01).cycles == pytest.approx(2136.7521367521367, rel=1e-12)


def test_engelmaier_hand_calculation():
    # L_D = 10 mm, d_alpha = 10 ppm/K, d_T = 165 K (condition G), h = 0.4 mm, F = 1:
    # d_gamma = 0.01 * 10e-6 * 165 / 4e-4 = 0.04125.
    g = engelmaier_shear_strain(10e-3, 10e-6, 165.0, 0.4e-3)
    assert g == pytest.approx(0.04125, rel=1e-12)
    assert engelmaier_shear_strain(10e-3, -10e-6, 165.0, 0.4e-3, factor=0.7) == pytest.approx(
        0.7 * 0.04125
    )
    # T_sj = 42.5 degC, f = 24 /day: c = -0.442 - 0.0255 + 0.0174 ln 25 = -0.411491
    c = engelmaier_exponent(42.5, 24.0)
    assert c == pytest.approx(-0.442 - 6e-4 * 42.5 + 1.74e-2 * math.log(25.0), rel=1e-12)
    assert c == pytest.approx(-0.411491, abs=2e-6)
    # N = 0.5 (0.04125 / 0.65)^(1/c) = 406
    r = engelmaier_life(g, 42.5, 24.0)
    assert r.cycles == pytest.approx(0.5 * (0.04125 / 0.65) ** (1 / c), rel=1e-12)
    assert r.cycles == pytest.approx(406, rel=5e-3)
    assert "50 %" in r.definition


def test_more_energy_shorter_life():
    dws = [2e4, 5e4, 1e5, 3e5, 1e6]
    for f in (lambda w: darveaux_life(w, 0.3e-3), syed_life):
        lives = [f(w).cycles for w in dws]
        assert all(b < a for a, b in zip(lives[:-1], lives[1:], strict=True))
    lives = [engelmaier_life(g, 42.5, 24).cycles for g in (0.005, 0.01, 0.05, 0.2)]
    assert all(b < a for a, b in zip(lives[:-1], lives[1:], strict=True))
    # larger pad: longer crack path, longer life
    assert darveaux_life(1e5, 0.5e-3).cycles > darveaux_life(1e5, 0.3e-3).cycles


def test_units_energy_in_pascal():
    # The same energy in psi through the SnPb set: 1 psi gives N0 = K1 exactly.
    r = darveaux_life(PSI, 1e-3)
    assert r.initiation == pytest.approx(22400.0, rel=1e-12)
    assert r.growth_rate == pytest.approx(5.86e-7 * 0.0254, rel=1e-12)
    # Syed's C' is per MPa: 1 MJ/m^3 per cycle gives 1/0.0019 cycles
    assert syed_life(1e6).cycles == pytest.approx(1 / 0.0019)


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda: darveaux_life(0.0, 1e-4), "fatigue.delta_w"),
        (lambda: darveaux_life(1e5, -1e-4), "fatigue.pad_diameter"),
        (lambda: darveaux_life(1e5, 1e-4, "SAC_unknown"), "fatigue.darveaux"),
        (lambda: syed_life(-1.0), "fatigue.delta_w"),
        (lambda: syed_life(1.0, "x"), "fatigue.syed"),
        (lambda: engelmaier_life(0.7, 25, 24), "fatigue.shear_strain_range"),
        (lambda: engelmaier_life(0.01, 25, 0.5), "fatigue.cycles_per_day"),
        (lambda: engelmaier_shear_strain(0.0, 1e-5, 100, 1e-4), "fatigue.dnp"),
        (lambda: engelmaier_shear_strain(1e-2, 1e-5, 100, 1e-4, factor=3), "fatigue.factor"),
    ],
)
def test_life_models_refuse(call, key):
    with pytest.raises(InputError) as exc:
        call()
    assert exc.value.key == key


def test_sets_carry_sources():
    for c in DARVEAUX_SETS.values():
        assert c.source and c.thickness > 0
    for table in (fatigue.SYED_SETS, fatigue.ENGELMAIER_SETS):
        for s in table.values():
            assert s["source"]


# ------------------------------------------------------------------ hysteresis


def test_loop_area_parallelogram():
    # Elastic-perfectly plastic shear, G = 1, tau_y = 1, amplitude 3: the stable loop is a
    # parallelogram of area 4 tau_y (gamma_a - tau_y / G) = 8.
    g = [3.0, 1.0, -3.0, -1.0]
    t = [1.0, -1.0, -1.0, 1.0]
    assert loop_area(g, t) == pytest.approx(8.0)
    assert loop_area(g[::-1], t[::-1]) == pytest.approx(8.0)


def test_hysteresis_volume_average():
    # Two elements with loops scaled by 1 and 3 in stress, volumes 1 and 1: average loop =
    # 2 x the unit loop, area 16; an extra first state (origin) outside the closed cycle.
    g = np.array([0.0, 3.0, 1.0, -3.0, -1.0, 3.0])
    t = np.array([0.0, 1.0, -1.0, -1.0, 1.0, 1.0])
    tau = np.column_stack([t, 3 * t])
    gam = np.column_stack([g, g])
    loop = hysteresis_loop([1.0, 1.0], tau, gam, cycle=(1, 5))
    np.testing.assert_allclose(loop.shear_stress, 2 * t)
    assert loop.area == pytest.approx(16.0)
    with pytest.raises(InputError):
        hysteresis_loop([1.0, 1.0], tau, gam, cycle=(4, 2))


def test_pad_shear_direction():
    s = np.array([[0, 0, 0, 2.0, 1.0, 0]])  # yz = 2, xz = 1
    e = np.array([[0, 0, 0, 0.02, 0.01, 0]])
    tau, gam = pad_shear(s, e, (3.0, 4.0))
    assert tau[0] == pytest.approx(0.6 * 1 + 0.8 * 2)
    assert gam[0] == pytest.approx(0.6 * 0.01 + 0.8 * 0.02)
    with pytest.raises(InputError):
        pad_shear(s, e, (0, 0))


# ------------------------------------------------------------------ plots


def _png(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path)


def test_joint_map_png_colour_scale_max_at_critical_joint(tmp_path):
    import matplotlib

    # 4 x 4 array, pitch 0.8 mm; Delta W grows with the distance from the centre, the
    # corner (1.2, 1.2) mm largest.
    xs = (np.arange(4) - 1.5) * 0.8e-3
    X, Y = np.meshgrid(xs, xs)
    x, y = X.ravel(), Y.ravel()
    dw = 1e5 * (1 + np.hypot(x, y) / 1e-3) + 1e3 * (x > 0) * (y > 0)
    m = fatigue.plot_joint_map(x, y, dw, tmp_path / "map.png")
    assert m.path.is_file()
    assert not list(tmp_path.glob(".*part*"))
    i_max, i_min = int(np.argmax(dw)), int(np.argmin(dw))
    assert m.vmax == pytest.approx(dw[i_max]) and m.vmin == pytest.approx(dw[i_min])
    img = _png(m.path)
    cmap = matplotlib.colormaps[m.cmap]
    for i, level in ((i_max, 1.0), (i_min, 0.0)):
        col, row = np.rint(m.pixels[i]).astype(int)
        rgb = img[row, col, :3]
        np.testing.assert_allclose(rgb, cmap(level)[:3], atol=0.02)
    # a middle joint is neither end of the scale
    mid = int(np.argsort(dw)[len(dw) // 2])
    col, row = np.rint(m.pixels[mid]).astype(int)
    level = (dw[mid] - dw.min()) / (dw.max() - dw.min())
    np.testing.assert_allclose(img[row, col, :3], cmap(level)[:3], atol=0.03)


def test_joint_map_rings_every_mirror_image_of_the_critical_joint(tmp_path):
    """A symmetry model's map mirrors its joints: the four corners of the array carry one
    value, the largest, and all four are ringed in red (argmax ringed one of them)."""
    xs = (np.arange(4) - 1.5) * 0.8e-3
    X, Y = np.meshgrid(xs, xs)
    x, y = X.ravel(), Y.ravel()
    dw = 1e5 * (1 + np.hypot(x, y) / 1e-3)  # the four corners equal, the largest
    m = fatigue.plot_joint_map(x, y, dw, tmp_path / "map.png")
    img = _png(m.path)
    red = (img[..., 0] > 0.8) & (img[..., 1] < 0.25) & (img[..., 2] < 0.25)
    half = int(0.5 * np.min(np.abs(np.diff(np.unique(np.rint(m.pixels[:, 0]))))))
    corners = np.flatnonzero(np.isclose(dw, dw.max(), rtol=1e-12))
    assert len(corners) == 4
    for i in range(len(dw)):
        col, row = np.rint(m.pixels[i]).astype(int)
        box = red[row - half : row + half + 1, col - half : col + half + 1]
        assert bool(box.any()) == (i in corners), i


def test_hysteresis_png(tmp_path):
    g = np.array([0.0, 3.0, 1.0, -3.0, -1.0, 3.0]) * 1e-2
    t = np.array([0.0, 1.0, -1.0, -1.0, 1.0, 1.0]) * 20e6
    loop = hysteresis_loop([1.0], t[:, None], g[:, None], cycle=(1, 5))
    p = fatigue.plot_hysteresis(loop, tmp_path / "sub" / "loop.png")
    assert p.is_file()
    assert _png(p).shape[2] in (3, 4)
    assert loop.area == pytest.approx(8 * 20e6 * 1e-2)


def test_critical_joint_summary_columns():
    a = _column(0, 0.0, 0.0, [5], [1], [1e5], [0.02])
    b = _column(4, 2e-3, -1e-3, [5], [1], [2e5], [0.03])
    d = _stack(a, b)
    r = joint_energy(d["vol"], d["cen"], d["jid"], d["W"], eq_strain_end=d["eps"],
                     eq_strain_start=np.zeros(2), pad_z=[0.0, 0.0], thickness=25.4 * UM)
    eng = {"dnp": 10e-3, "delta_alpha": 10e-6, "delta_T": 165.0, "height": 0.4e-3,
           "mean_temperature_C": 42.5, "cycles_per_day": 24.0}
    cols, ests = critical_joint_summary(r, 0.4e-3, engelmaier=eng)
    assert cols["critical_joint"] == 4
    assert cols["dW_crit_MJ_per_m3"] == pytest.approx(0.2)
    assert (cols["critical_x_mm"], cols["critical_y_mm"]) == pytest.approx((2.0, -1.0))
    assert cols["critical_z_mm"] == pytest.approx(0.005)
    assert cols["eq_strain_crit"] == pytest.approx(0.03)
    assert cols["N_syed_est"] == pytest.approx(1 / (0.0019 * 0.2))
    assert cols["N_darveaux_est"] == pytest.approx(darveaux_life(2e5, 0.4e-3).cycles)
    assert cols["N_engelmaier_est"] == pytest.approx(406, rel=5e-3)
    assert len(ests) == 3 and all(e.estimate for e in ests)
    cols, ests = critical_joint_summary(r, 0.4e-3, darveaux=None, syed=None)
    assert "N_syed_est" not in cols and not ests
    # a 10 um layer with the 25.4 um constants: warned
    r10 = joint_energy(d["vol"], d["cen"], d["jid"], d["W"], pad_z=[0.0, 0.0],
                       thickness=10 * UM)
    with pytest.warns(UserWarning, match="layer"):
        critical_joint_summary(r10, 0.4e-3, syed=None)
    with pytest.raises(InputError):
        critical_joint_summary(r, 0.4e-3, engelmaier={"dnp": 1e-3})
