"""Moisture results checked against closed forms a reliability engineer would trust: a
material given no heat of solution (``Es_J_per_mol = 0``, the default) run away from its
reference temperature (Henry's law then scales its water with ``p_sat(T)`` alone, an order
of magnitude off for an epoxy: the run warns), a sealed soak against the sealed slab's
cosine series, two compounds in contact against the effusivity solution, and the water
carried through a temperature jump between materials whose solubilities follow T
differently."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import erf, erfc

from fea.physics.moisture import Soak, TemperatureProfile, solve_moisture
from fea.physics.moisture_data import R_GAS, MoistureProperties, get

from ..verification.helpers import layered_box, plane

# Saturation pressure of water [Pa], IAPWS-95 as tabulated in Y. A. Cengel and M. A. Boles,
# Thermodynamics: An Engineering Approach, Table A-4 (30, 85 and 260 degC).
STEAM_TABLE_PA = {30.0: 4_246.9, 85.0: 57_868.0, 260.0: 4_692_300.0}

# a compound given as a study file's table gives it when Es_J_per_mol is left out
NO_ES = MoistureProperties.from_reference("emc_no_Es", 3.0e-12, 45e3, Csat_kg_per_m3=6.0)


@pytest.fixture(scope="module")
def block():
    return layered_box(
        (0.2e-3, 0.2e-3),
        [("die", 0.1e-3, 1), ("emc", 0.2e-3, 2)],
        0.1e-3,
        order=1,
        faces={"top": plane(2, 0.3e-3)},
    )


def test_without_a_heat_of_solution_the_water_scales_with_p_sat_alone():
    """The consequence, by hand: with S independent of T, C_sat at 30 degC / 60 %RH (MSL3)
    is 6.0 x (0.6 x 4246.9) / (0.85 x 57868) = 0.311 kg/m^3, 1/11 of the 3.56 of the same
    compound with Es = 40 kJ/mol; and the Henry vapour pressure at 260 degC of the 6.0
    kg/m^3 soaked at 85/85 is C / S = 0.85 p_sat(85) = 49.2 kPa (the soak's own vapour
    pressure, whatever the reflow), against 4.04 MPa with Es = 40 kJ/mol (Galloway and
    Miles, IEEE Trans. CPMT-A 20(3), 1997: solubility falls with temperature)."""
    by_hand = 6.0 * (0.6 * STEAM_TABLE_PA[30.0]) / (0.85 * STEAM_TABLE_PA[85.0])
    assert float(NO_ES.csat(30.0, 0.6)) == pytest.approx(by_hand, rel=1e-4)
    assert by_hand == pytest.approx(0.3108, rel=1e-3)
    assert float(get("mold_compound").csat(30.0, 0.6)) / by_hand == pytest.approx(11.44, rel=1e-3)
    p = 6.0 / float(NO_ES.solubility(260.0))
    assert p == pytest.approx(0.85 * STEAM_TABLE_PA[85.0], rel=1e-4)


def test_a_run_away_from_the_reference_temperature_warns_of_a_missing_heat_of_solution(block):
    # MSL3 (30 degC) of a compound referenced at 85 degC with Es = 0: its C_sat at 100 %RH
    # is p_sat(30) / p_sat(85) = 0.0734 of the reference's (steam table: 4246.9 / 57868)
    with pytest.warns(UserWarning, match="Es_J_per_mol = 0") as rec:
        solve_moisture(block, {"die": "silicon", "emc": NO_ES}, "MSL3", "top", outputs=2)
    msg = " ".join(str(r.message) for r in rec if "Es_J_per_mol" in str(r.message))
    assert "emc" in msg and "emc_no_Es" in msg
    ratio = STEAM_TABLE_PA[30.0] / STEAM_TABLE_PA[85.0]
    assert f"{ratio:.3g}" in msg  # 0.0734
    assert "30" in msg and "85" in msg


def test_a_reflow_of_a_compound_without_a_heat_of_solution_warns(block):
    # soaked at its reference 85 degC (no warning for that alone), then the reflow to
    # 260 degC: p_sat(260) / p_sat(85) = 81.1
    with pytest.warns(UserWarning, match="Es_J_per_mol = 0") as rec:
        solve_moisture(
            block,
            {"die": "silicon", "emc": NO_ES},
            [Soak(85.0, 0.85, math.inf), "JSTD020_PbFree_260"],
            "top",
            method="direct",
        )
    msg = " ".join(str(r.message) for r in rec if "Es_J_per_mol" in str(r.message))
    assert f"{STEAM_TABLE_PA[260.0] / STEAM_TABLE_PA[85.0]:.3g}" in msg  # 81.1
    assert "260" in msg


def test_no_warning_at_the_reference_temperature_or_with_a_heat_of_solution(block):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # at its own reference temperature Es does not enter
        solve_moisture(block, {"die": "silicon", "emc": NO_ES}, "MSL1", "top", outputs=2)
        # the library compound (Es = 40 kJ/mol) at 30 degC
        solve_moisture(block, {"die": "silicon", "emc": "mold_compound"}, "MSL3", "top", outputs=2)


# -- a sealed soak ------------------------------------------------------------------------------

L_SLAB = 0.4e-3  # slab thickness [m]
ELL = L_SLAB / 10  # depth of the initial wet layer under the top face [m]


def wet_layer(z):
    """The initial wetness: a layer erfc((L - z) / (2 ell)) under the face z = L."""
    return erfc((L_SLAB - np.asarray(z)) / (2 * ELL))


def fourier_sealed_slab(z: float, Dt: float) -> float:
    """Wetness at ``z`` of a slab sealed on both faces (0 and L) after ``D t`` [m^2] from
    :func:`wet_layer`: the cosine series of the initial profile, each term decaying as
    exp(-D (n pi / L)^2 t) (Crank, The Mathematics of Diffusion, 1975, section 4.3; the
    coefficients by quadrature on 20,001 points)."""
    zq = np.linspace(0.0, L_SLAB, 20_001)
    f = wet_layer(zq)
    out = np.trapezoid(f, zq) / L_SLAB
    for n in range(1, 400):
        k = n * np.pi / L_SLAB
        out += (
            2 / L_SLAB * np.trapezoid(f * np.cos(k * zq), zq) * np.cos(k * z) * np.exp(-k * k * Dt)
        )
    return float(out)


def test_a_sealed_soak_redistributes_its_water_as_fouriers_series():
    """A 0.4-mm compound slab (40 P1 layers) with a wet layer under its top face, sealed
    at 85 degC for 0.3 L^2 / D (4.44 h): the top face's wetness at every output against
    the sealed slab's cosine series. Measured 0.0135 at most (the first output, 16 s in;
    0.002 at the end); the equal steps (steps x outputs = 20 of 0.22 h) reported 0.990
    and 0.904 where the series gives 0.891 and 0.681 (the first outputs linear between the
    start and the first step), 0.1265 against 0.1238 at the end."""
    mesh = layered_box(
        (0.05e-3, 0.05e-3), [("emc", L_SLAB, 40)], 0.05e-3, order=1, faces={"top": plane(2, L_SLAB)}
    )
    emc = get("mold_compound")
    D = float(emc.diffusivity(85.0))
    start = solve_moisture(mesh, {"emc": emc}, Soak(85.0, 0.85, 0.01), "top", outputs=1)
    z = start.space.nodes[:, 2]
    start.wetness[-1][:] = wet_layer(z)
    hours = 0.3 * L_SLAB**2 / D / 3600
    res = solve_moisture(
        mesh, {"emc": emc}, Soak(85.0, 0.85, hours, "sealed"), [], initial=start, outputs=10
    )
    top = z > L_SLAB * (1 - 1e-9)
    t = res.times - res.times[0]
    got = np.array([res.wetness[k][top].mean() for k in range(1, len(t))])
    series = np.array([fourier_sealed_slab(L_SLAB, D * s) for s in t[1:]])
    assert series[0] == pytest.approx(0.891, abs=1e-3) and series[-1] == pytest.approx(
        0.124, abs=1e-3
    )
    np.testing.assert_allclose(got, series, atol=0.02)
    # the water stays: sealed
    assert res.total_uptake_mg[-1] == pytest.approx(res.total_uptake_mg[0], rel=1e-9)


def test_two_compounds_in_contact_keep_the_wetness_of_their_effusivities():
    """Two semi-infinite media in contact, one wet (w = 1) and one dry, sealed: the
    wetness formulation is the heat equation with rho cp = C_sat and k = D C_sat, so the
    contact takes at once and keeps ``w_i = e_a / (e_a + e_b)`` with the effusivities
    ``e = C_sat sqrt(D)``, and each side is an erf profile about it (H. S. Carslaw and J. C.
    Jaeger, Conduction of Heat in Solids, 1959, section 2.15): w continuous across the
    interface, C jumping by the ratio of the C_sat's (Wong et al., IEEE Trans. CPMT-A 21(3),
    1998). Mould compound on die-attach epoxy at 85 degC, 0.5 mm each (graded to 2 um at
    the interface), 1000 s: w_i = 0.2473; measured 0.2466 at the end, and the field within
    0.0048 of the closed form at 63 s, 0.0030 at the end (0.006 asserted from 60 s on)."""
    h = 0.5e-3
    g = np.concatenate([[0.0], np.geomspace(2e-6, h, 30)])
    steps = np.diff(g)  # layer thicknesses, thinnest at the interface
    layers = [("b", float(d), 1) for d in steps[::-1]] + [("a", float(d), 1) for d in steps]
    w_col = 0.02e-3
    mesh = layered_box((w_col, w_col), layers, w_col, order=1, faces={"top": plane(2, 2 * h)})
    a, b = get("mold_compound"), get("die_attach_epoxy")
    mats = {"a": a, "b": b}
    Da, Db = float(a.diffusivity(85.0)), float(b.diffusivity(85.0))
    Ca, Cb = float(a.csat(85.0)), float(b.csat(85.0))
    ea, eb = Ca * math.sqrt(Da), Cb * math.sqrt(Db)
    wi = ea / (ea + eb)
    assert wi == pytest.approx(0.2473, abs=1e-4)
    start = solve_moisture(mesh, mats, Soak(85.0, 0.85, 10.0), "top", outputs=1)
    x = start.space.nodes[:, 2] - h
    on = np.abs(x) < 1e-9
    start.wetness[-1][:] = np.where(x > 0, 1.0, 0.0)
    start.wetness[-1][on] = wi
    res = solve_moisture(
        mesh, mats, Soak(85.0, 0.85, 1000 / 3600, "contact"), [], initial=start, outputs=6
    )
    t = res.times - res.times[0]
    for k in range(1, len(t)):
        w = res.wetness[k]
        exact = np.where(
            x > 0,
            wi + (1 - wi) * erf(x / (2 * math.sqrt(Da * t[k]))),
            wi * erfc(-x / (2 * math.sqrt(Db * t[k]))),
        )
        if t[k] >= 60.0:
            assert np.abs(w - exact).max() < 0.006, t[k]
    assert res.wetness[-1][on].mean() == pytest.approx(wi, abs=1e-3)
    # the concentration jumps at the interface by the ratio of the C_sat's
    ca = res.region_concentration("a")[np.abs(x[res.region_nodes("a")]) < 1e-9]
    cb = res.region_concentration("b")[np.abs(x[res.region_nodes("b")]) < 1e-9]
    np.testing.assert_allclose(ca / cb, Ca / Cb, rtol=1e-12)


# -- a temperature change between materials whose solubilities follow T differently -------------


def test_a_temperature_jump_keeps_the_wetness_between_the_materials_own_values():
    """Two compounds of different heats of solution (45 and 20 kJ/mol), saturated at
    85 degC / 85 %RH, taken at once to 260 degC with no time to diffuse: each keeps its
    water, so its wetness becomes ``0.85 C_sat(85) / C_sat(260)``, 1.495 and 0.0950 by
    hand with the steam table; a node on the interface holds the water of both sides,
    so no node can leave that range, and no water may appear or vanish. On a linear mesh
    the carry is now nodal (each node's water over its capacity, the lumped capacity the
    time steps take there): inside [0.0950, 1.495], the water kept (1e-9 asserted). The L2
    projection it was put the wetness between -0.020 and 2.149 (negative water at the
    interface, and the vapour pressure there follows the wetness)."""
    a = MoistureProperties.from_reference("a", 5e-12, 40e3, Csat_kg_per_m3=6.0, Es_J_per_mol=45e3)
    b = MoistureProperties.from_reference("b", 2e-12, 30e3, Csat_kg_per_m3=3.0, Es_J_per_mol=20e3)

    def henry(es: float, T: float) -> float:  # C_sat(T) / C_sat(85 degC) at 100 %RH
        S = math.exp(es / R_GAS * (1 / (T + 273.15) - 1 / 358.15))
        return S * STEAM_TABLE_PA[T] / STEAM_TABLE_PA[85.0]

    targets = sorted(0.85 / henry(es, 260.0) for es in (45e3, 20e3))
    assert targets == pytest.approx([0.0950, 1.495], abs=1e-3)
    mesh = layered_box(
        (0.2e-3, 0.2e-3),
        [("a", 0.2e-3, 2), ("b", 0.2e-3, 2)],
        0.1e-3,
        order=1,
        faces={"top": plane(2, 0.4e-3)},
    )
    # saturated at 85 degC, then sealed at 260 degC for 1 us (a profile of one piece:
    # the water carried from 85 to 260 degC, sqrt(D t) of 10 nm against 0.1-mm elements)
    soaked = solve_moisture(mesh, {"a": a, "b": b}, Soak(85.0, 0.85, math.inf), "top")
    hot = TemperatureProfile(((0.0, 260.0), (1e-6, 260.0)), name="hot")
    at = solve_moisture(mesh, {"a": a, "b": b}, hot, [], initial=soaked)
    w = at.wetness[-1]
    # (1e-4: the steam table's five digits against IAPWS-IF97's)
    assert w.min() >= targets[0] * (1 - 1e-4)
    assert w.max() <= targets[1] * (1 + 1e-4)
    assert at.total_uptake_mg[-1] == pytest.approx(soaked.total_uptake_mg[-1], rel=1e-9)
    # each side keeps its own water away from the interface
    top = at.space.nodes[:, 2] > 0.4e-3 * (1 - 1e-9)
    np.testing.assert_allclose(w[top], 0.85 / henry(20e3, 260.0), rtol=1e-4)
