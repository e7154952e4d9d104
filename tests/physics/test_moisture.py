"""Moisture: properties, presets, the wetness solve on small bodies, swelling and vapour
pressure, each against a hand calculation or a published value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.materials import Material
from fea.physics.moisture import (
    MSL_PRESETS,
    REFLOW_PRESETS,
    Soak,
    TemperatureProfile,
    hygro_equivalent,
    hygroscopic_strain,
    interface_vapour_pressure,
    moisture_metrics,
    moisture_stages,
    solve_moisture,
)
from fea.physics.moisture_data import (
    DEFAULT_REGION_MOISTURE,
    MOISTURE_LIBRARY,
    R_GAS,
    MoistureProperties,
    get,
    p_sat,
)

from ..verification.helpers import layered_box, plane

EMC = get("mold_compound")
SIZE, T_DIE, T_EMC = 0.2e-3, 0.1e-3, 0.2e-3
V_EMC = SIZE * SIZE * T_EMC


@pytest.fixture(scope="module")
def die_emc():
    """A silicon layer under a mould-compound layer; ``top`` is the compound's face."""
    return layered_box(
        (SIZE, SIZE),
        [("die", T_DIE, 1), ("emc", T_EMC, 2)],
        0.1e-3,
        faces={"top": plane(2, T_DIE + T_EMC), "bottom": plane(2, 0.0)},
    )


# -- data ------------------------------------------------------------------------------------


def test_p_sat_matches_the_iapws_if97_verification_values():
    # IAPWS R7-97(2012), Table 35: T = 300, 500, 600 K
    p = p_sat(np.array([300.0, 500.0, 600.0]) - 273.15)
    np.testing.assert_allclose(p, [0.353658941e-2 * 1e6, 0.263889776e7, 0.123443146e8], rtol=1e-8)
    assert float(p_sat(100.0)) == pytest.approx(101_418, rel=1e-4)  # steam tables


def test_arrhenius_and_henry_by_hand():
    m = MoistureProperties.from_reference(
        "x", 2e-12, 40e3, Csat_kg_per_m3=5.0, T_ref_C=85.0, RH_ref=0.85, Es_J_per_mol=30e3
    )
    assert float(m.diffusivity(85.0)) == pytest.approx(2e-12, rel=1e-12)
    ratio = math.exp(-40e3 / R_GAS * (1 / 298.15 - 1 / 358.15))
    assert float(m.diffusivity(25.0) / m.diffusivity(85.0)) == pytest.approx(ratio, rel=1e-12)
    assert float(m.csat(85.0, 0.85)) == pytest.approx(5.0, rel=1e-12)
    assert float(m.csat(85.0, 0.60)) == pytest.approx(5.0 * 0.60 / 0.85, rel=1e-12)
    s = math.exp(30e3 / R_GAS * (1 / 403.15 - 1 / 358.15))
    assert float(m.solubility(130.0) / m.solubility(85.0)) == pytest.approx(s, rel=1e-12)
    # C_sat at 100 %RH is S p_sat
    assert float(m.csat(130.0)) == pytest.approx(
        5.0 / (0.85 * float(p_sat(85.0))) * s * float(p_sat(130.0)), rel=1e-12
    )


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"D0_m2_per_s": -1e-6}, "moisture.x.D0_m2_per_s"),
        ({"D0_m2_per_s": 0.0}, "moisture.x.D0_m2_per_s"),
        ({"Ea_J_per_mol": -5.0}, "moisture.x.Ea_J_per_mol"),
        ({"Csat_kg_per_m3": 0.0}, "moisture.x.Csat_kg_per_m3"),
        ({"Csat_kg_per_m3": math.nan}, "moisture.x.Csat_kg_per_m3"),
        ({"RH_ref": 0.0}, "moisture.x.RH_ref"),
        ({"RH_ref": 85.0}, "moisture.x.RH_ref"),
        ({"T_ref_C": -300.0}, "moisture.x.T_ref_C"),
        ({"CME_m3_per_kg": -1e-4}, "moisture.x.CME_m3_per_kg"),
        ({"impermeable": True}, "moisture.x.impermeable"),
        ({"impermeable": 1}, "moisture.x.impermeable"),
    ],
)
def test_properties_name_the_bad_parameter(kw, key):
    args = {"D0_m2_per_s": 1e-5, "Ea_J_per_mol": 40e3, "Csat_kg_per_m3": 5.0, **kw}
    with pytest.raises(InputError) as e:
        MoistureProperties("x", **args)
    assert e.value.key == key


def test_library_has_sources_and_the_metals_take_no_water():
    for name, m in MOISTURE_LIBRARY.items():
        assert m.source, name
    for name in ("silicon", "copper", "solder", "metal"):
        assert get(name).impermeable
        assert float(get(name).csat(85.0, 0.85)) == 0.0
    for region, name in DEFAULT_REGION_MOISTURE.items():
        assert name in MOISTURE_LIBRARY, region
    with pytest.raises(InputError, match="mold_compound"):
        get("epoxy")


def test_msl_presets_are_the_j_std_020_soaks():
    assert MSL_PRESETS["MSL1"] == Soak(85.0, 0.85, 168.0, "MSL1")
    assert (MSL_PRESETS["MSL2"].T_C, MSL_PRESETS["MSL2"].RH, MSL_PRESETS["MSL2"].hours) == (
        85.0,
        0.60,
        168.0,
    )
    for level, hours in {"MSL2a": 696, "MSL3": 192, "MSL4": 96, "MSL5": 72, "MSL5a": 48}.items():
        s = MSL_PRESETS[level]
        assert (s.T_C, s.RH, s.hours) == (30.0, 0.60, hours)
    assert [type(s).__name__ for s in moisture_stages(["MSL3", "JSTD020_PbFree_260"])] == [
        "Soak",
        "TemperatureProfile",
    ]
    with pytest.raises(InputError, match="MSL1"):
        moisture_stages("MSL7")


def test_reflow_preset_meets_the_j_std_020_pb_free_limits():
    p = np.array(REFLOW_PRESETS["JSTD020_PbFree_260"].points)
    t = np.linspace(0.0, p[-1, 0], 300_001)
    T = np.interp(t, p[:, 0], p[:, 1])
    dt = t[1] - t[0]
    assert T.max() == 260.0
    assert 60.0 <= dt * np.count_nonzero(T >= 217.0) <= 150.0  # time above liquidus
    assert dt * np.count_nonzero(T >= 255.0) >= 30.0 - 1e-3  # within 5 K of the peak
    assert 60.0 <= dt * np.count_nonzero((T >= 150.0) & (T <= 200.0)) <= 120.0 + 1.0
    slope = np.diff(p[:, 1]) / np.diff(p[:, 0])
    assert slope.max() <= 3.0 and slope.min() >= -6.0
    assert t[np.argmax(T)] <= 480.0


def test_profile_pieces_and_the_dry_oven_face():
    pr = TemperatureProfile(((0.0, 25.0), (100.0, 225.0)), ambient_C=25.0, ambient_RH=0.5)
    pieces = pr.pieces()
    assert pieces[0][0] == 0.0 and pieces[-1][1] == 100.0
    assert len(pieces) == 20  # 200 K in pieces of 10 K (and 100 s in pieces of 30 s at most)
    assert all(b > a for a, b, _ in pieces)
    p_air = 0.5 * float(p_sat(25.0))
    assert pr.boundary_wetness(225.0) == pytest.approx(p_air / float(p_sat(225.0)), rel=1e-12)
    assert pr.boundary_wetness(25.0) == pytest.approx(0.5, rel=1e-12)
    with pytest.raises(InputError) as e:
        TemperatureProfile(((5.0, 25.0), (100.0, 225.0)))
    assert e.value.key == "profile.points"
    with pytest.raises(InputError) as e:
        Soak(85.0, 1.2, 10.0)
    assert e.value.key == "soak.RH"


# -- solves ------------------------------------------------------------------------------------


def test_inputs_are_checked(die_emc):
    mats = {"die": "silicon", "emc": EMC}
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, mats, "MSL1", exposed="nope")
    assert e.value.key == "exposed.nope"
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, mats, "MSL1", exposed="bottom")  # the die's face only
    assert e.value.key == "exposed.bottom"
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, {"emc": EMC}, "MSL1", exposed="top")
    assert e.value.key == "moisture_materials.die"
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, {"*": "silicon"}, "MSL1", exposed="top")
    assert e.value.key == "moisture_materials"
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, mats, Soak(85.0, 0.85, math.inf), exposed=[])
    assert e.value.key == "exposed"


@pytest.fixture(scope="module")
def saturated(die_emc):
    return solve_moisture(
        die_emc, {"die": "silicon", "emc": EMC}, Soak(85.0, 0.85, math.inf), exposed="top"
    )


def test_saturation_uptake_strain_and_pressure_by_hand(saturated):
    res = saturated
    C = 6.0  # the library's C_sat at 85 degC / 85 %RH
    assert res.uptake_mg["emc"][-1] == pytest.approx(C * V_EMC * 1e6, rel=1e-9)
    assert res.uptake_mg["die"][-1] == 0.0
    np.testing.assert_allclose(res.wetness[-1][res.region_nodes("emc")], 0.85, rtol=1e-9)
    die_only = np.setdiff1d(res.region_nodes("die"), res.region_nodes("emc"))
    assert np.all(res.wetness[-1][die_only] == 0.0)
    eps = hygroscopic_strain(res)
    emc, die = res.mesh.regions["emc"], res.mesh.regions["die"]
    np.testing.assert_allclose(eps[emc], EMC.CME_m3_per_kg * C, rtol=1e-9)
    assert np.all(eps[die] == 0.0)
    np.testing.assert_allclose(res.element_concentration()[emc], C, rtol=1e-9)
    # vapour pressure: Henry p = w p_sat(T); micromechanics bound min(p_sat, C/f R T/M)
    vp = interface_vapour_pressure(res)["die|emc"]
    assert vp.max_Pa == pytest.approx(0.85 * float(p_sat(85.0)), rel=1e-9)
    assert vp.mean_Pa == pytest.approx(vp.max_Pa, rel=1e-9)
    gas = interface_vapour_pressure(res, model="ideal_gas", void_fraction=0.05)["die|emc"]
    assert gas.max_Pa == pytest.approx(float(p_sat(85.0)), rel=1e-12)  # capped


def test_ideal_gas_vapour_pressure_below_saturation(die_emc):
    res = solve_moisture(
        die_emc, {"die": "silicon", "emc": EMC}, Soak(85.0, 0.001, math.inf), exposed="top"
    )
    C = 6.0 * 0.001 / 0.85
    expect = C / 0.05 * R_GAS * 358.15 / 0.018015
    assert expect < float(p_sat(85.0))
    vp = interface_vapour_pressure(res, model="ideal_gas", void_fraction=0.05)["die|emc"]
    assert vp.mean_Pa == pytest.approx(expect, rel=1e-9)
    with pytest.raises(InputError):
        interface_vapour_pressure(res, model="steam")


def test_hygro_equivalent_reproduces_the_swelling_strain(saturated):
    mats = {
        "die": Material("si", E=130e9, nu=0.28, alpha=2.6e-6, k=100.0),
        "emc": Material("emc", E=20e9, nu=0.3, alpha=1e-5, k=1.0),
    }
    eq, T, ref = hygro_equivalent(saturated, mats, dT_K=50.0, reference_C=20.0)
    assert ref == 20.0
    assert eq["die"].alpha == 0.0
    assert eq["emc"].alpha == pytest.approx(EMC.CME_m3_per_kg * float(EMC.csat(85.0)) / 50.0)
    nodes = saturated.region_nodes("emc")
    strain = eq["emc"].alpha * (T[nodes] - ref)
    np.testing.assert_allclose(strain, EMC.CME_m3_per_kg * 6.0, rtol=1e-9)


def test_sealed_body_keeps_its_water_through_temperature_changes(die_emc):
    """Two polymers whose solubilities follow T differently: sealed, the water stays the
    same while the wetness changes; after a hold the wetness is uniform again and the
    concentration jumps by the ratio of the C_sat at the hold temperature."""
    a = MoistureProperties.from_reference("a", 5e-12, 40e3, Csat_kg_per_m3=6.0, Es_J_per_mol=45e3)
    b = MoistureProperties.from_reference("b", 2e-12, 30e3, Csat_kg_per_m3=3.0, Es_J_per_mol=20e3)
    mats = {"die": a, "emc": b}
    wet = solve_moisture(die_emc, mats, Soak(85.0, 0.85, math.inf), exposed="top")
    total0 = wet.total_uptake_mg[-1]
    prof = TemperatureProfile(((0.0, 85.0), (60.0, 200.0)), max_step_K=20.0)
    hot = solve_moisture(
        die_emc,
        mats,
        [prof, Soak(200.0, 0.0, 2.0, "hold")],
        exposed=[],
        initial=wet,
        method="amg",
    )
    np.testing.assert_allclose(hot.total_uptake_mg, total0, rtol=1e-7)
    assert hot.times[0] == wet.times[-1] and hot.times[-1] == pytest.approx(60.0 + 7200.0)
    w = hot.wetness[-1]
    assert np.ptp(w) < 1e-6 * w.max()
    iface = np.intersect1d(hot.region_nodes("die"), hot.region_nodes("emc"))
    ratio = (
        hot.region_concentration("die")[np.searchsorted(hot.region_nodes("die"), iface)]
        / (hot.region_concentration("emc")[np.searchsorted(hot.region_nodes("emc"), iface)])
    )
    np.testing.assert_allclose(ratio, float(a.csat(200.0) / b.csat(200.0)), rtol=1e-9)
    # the uniform wetness that holds the water at 200 degC: total = w A (t_a Csat_a + t_b Csat_b)
    V = SIZE * SIZE
    w_eq = total0 * 1e-6 / (V * (T_DIE * float(a.csat(200.0)) + T_EMC * float(b.csat(200.0))))
    assert w.mean() == pytest.approx(w_eq, rel=1e-6)


def _msl3_and_reflow(mesh, **kw):
    """The die-on-compound block soaked at MSL3 (top exposed), then through the J-STD-020
    lead-free reflow, five outputs a stage."""
    return solve_moisture(
        mesh,
        {"die": "silicon", "emc": EMC},
        ["MSL3", REFLOW_PRESETS["JSTD020_PbFree_260"]],
        exposed="top",
        outputs=5,
        **kw,
    )


def test_soak_then_reflow_dries_the_surface(die_emc):
    res = _msl3_and_reflow(die_emc, method="amg")
    assert list(np.unique(res.stage)) == [0, 1]
    soaked = res.total_uptake_mg[res.stage == 0][-1]
    assert 0 < res.total_uptake_mg[-1] < soaked
    k = res.peak_step()
    # 255 -> 260 degC in 15 s (t = 200-215 s of the preset) is one piece (10 K, 30 s at
    # most), solved at 257.5; the state at its end is at the profile's 260 degC there
    assert res.temperature_C[k] == 260.0
    assert res.times[k] == pytest.approx(192 * 3600.0 + 215.0)
    # the piece's water carried to 260 degC: the same water as solved at 257.5
    top = res.space.boundary_nodes(res.mesh.boundaries["top"])
    pr = REFLOW_PRESETS["JSTD020_PbFree_260"]
    ratio = float(EMC.csat(257.5)) / float(EMC.csat(260.0))
    np.testing.assert_allclose(res.wetness[k][top], pr.boundary_wetness(257.5) * ratio, rtol=1e-3)
    vp = interface_vapour_pressure(res)["die|emc"]
    assert 0 < vp.mean_Pa <= vp.max_Pa <= vp.p_sat_Pa == pytest.approx(float(p_sat(260.0)))


def test_public_names_resolve_and_are_sorted():
    import fea.physics.moisture as mod
    import fea.physics.moisture_data as data

    for m in (mod, data):
        assert m.__all__ == sorted(m.__all__)
        for name in m.__all__:
            assert getattr(m, name) is not None


def test_fields_and_library_materials(saturated):
    f = saturated.fields()
    n_states = len(saturated.times)
    assert f["moisture_wetness"][0].shape == (n_states, saturated.space.n)
    assert f["moisture_concentration"][1] == "Cell"
    emc = saturated.mesh.regions["emc"]
    np.testing.assert_allclose(f["moisture_concentration"][0][-1][emc], 6.0, rtol=1e-9)
    eq, _, _ = hygro_equivalent(saturated, {"die": "silicon", "emc": "mold_compound"})
    assert eq["die"].alpha == 0.0 and eq["emc"].alpha > 0.0
    with pytest.raises(InputError):
        hygro_equivalent(saturated, {"emc": "mold_compound"})


def test_metrics_by_hand(saturated):
    m = moisture_metrics(saturated)
    assert m["moisture_mg.soak"] == pytest.approx(6.0 * V_EMC * 1e6, rel=1e-9)
    assert m["moisture_mg.soak.emc"] == pytest.approx(6.0 * V_EMC * 1e6, rel=1e-9)
    assert "moisture_mg.soak.die" not in m
    assert m["peak_C"] == 85.0
    p = 0.85 * float(p_sat(85.0)) / 1e6
    assert m["vapour_pressure_max_MPa.die|emc"] == pytest.approx(p, rel=1e-9)
    assert m["vapour_pressure_mean_MPa.die|emc"] == pytest.approx(p, rel=1e-9)


def test_a_sealed_soak_of_too_many_steps_is_refused_at_steps(die_emc, monkeypatch):
    """A sealed soak is backward Euler in steps x outputs fixed steps: 2,000 x 1,000 is
    refused naming ``steps`` before any solve (it was refused by the conduction solver,
    naming its own transient.dt_s)."""
    import fea.physics.moisture as mo

    monkeypatch.setattr(mo, "solve_thermal", lambda *a, **k: pytest.fail("solved"))
    mats = {"die": "silicon", "emc": "mold_compound"}
    with pytest.raises(InputError) as e:
        solve_moisture(die_emc, mats, Soak(85.0, 0.0, 2.0, "hold"), exposed=[], initial=0.5,
                       steps=2000, outputs=1000)
    assert e.value.key == "steps" and "hold" in str(e.value)


def test_the_soak_and_reflow_solves_run_with_openblas_on_one_thread(
    die_emc, monkeypatch, openblas_threads, two_openblas_threads
):
    """The soak's reduced basis and every reflow piece's time steps (Pardiso solves
    alternating with NumPy's vector work, in :mod:`fea.physics.thermal`) with OpenBLAS on
    one thread, its threads back after each."""
    import fea.physics.thermal as thermal

    n = two_openblas_threads
    seen: dict[str, list] = {"reduce_systems": [], "integrate": []}

    def spy(name):
        real = getattr(thermal, name)

        def call(*a, **kw):
            seen[name].append(openblas_threads())
            return real(*a, **kw)

        monkeypatch.setattr(thermal, name, call)

    spy("reduce_systems")
    spy("integrate")
    res = _msl3_and_reflow(die_emc)
    pieces = res.solver_info["stages"][1]["solves"]
    assert seen["reduce_systems"] == [[1] * n]
    assert seen["integrate"] == [[1] * n] * pieces and pieces > 10
