"""Published constants and formulas against their sources, each by a hand calculation.

Every expected number below was worked out from the source's own equation and its
published constants (in the published units, converted here by hand), never from the call
under test. The comment above each check gives the arithmetic.
"""

from __future__ import annotations

import pytest

from fea.physics.cycling import (
    IPC_9701_CYCLES,
    JESD22_A104_CONDITIONS,
    SOAK_MODES_S,
    ipc_9701,
    jesd22_a104,
)
from fea.physics.fatigue import (
    DARVEAUX_SETS,
    ENGELMAIER_SETS,
    PSI,
    SYED_SETS,
    darveaux_life,
    engelmaier_exponent,
    engelmaier_life,
    engelmaier_shear_strain,
    syed_life,
    syed_strain_life,
)
from fea.physics.inelastic import (
    ANAND_SETS,
    GAROFALO_SETS,
    GAS_CONSTANT,
    anand_set,
    garofalo_set,
)
from fea.physics.moisture_data import R_GAS, get, p_sat

# -- Anand sets: the published tables (MPa, K, 1/s), converted by hand to SI --------------

# name -> (s0 MPa, Q/R K, A 1/s, xi, m, h0 MPa, s_hat MPa, n, a), as published
_ANAND_PUBLISHED = {
    # Motalab, Cai, Suhling, Lall, ITherm 2012, SAC305 from stress-strain data
    "SAC305_Motalab2012": (21.0, 9320.0, 3501.0, 4.0, 0.25, 180000.0, 30.2, 0.01, 1.78),
    # Wang, Cheng, Becker, Wilde, J. Electron. Packag. 123 (2001), 96.5Sn3.5Ag
    "Sn3.5Ag_Wang2001": (39.09, 8900.0, 2.23e4, 6.0, 0.182, 3321.15, 73.81, 0.018, 1.82),
    # same paper, 62Sn36Pb2Ag (the psi values 1800, 200000, 2000 of the SnPb fit)
    "Sn62Pb36Ag2_Wang2001": (12.41, 9400.0, 4.0e6, 1.5, 0.303, 1378.95, 13.79, 0.07, 1.3),
    # quoted as Bai, Chen, Gao 2009 (the values; see test_bai_set_names_the_papers_alloys)
    "SAC387_Bai2009": (3.2992, 9883.0, 15.7731, 1.0673, 0.3686, 1077.4936, 3.1505, 0.0352,
                       1.6),
}
_ANAND_KEYS = ("s0", "Q_over_R", "A", "xi", "m", "h0", "s_hat", "n", "a")
_ANAND_MPA = {"s0", "h0", "s_hat"}


@pytest.mark.parametrize("name", sorted(_ANAND_PUBLISHED))
def test_anand_sets_are_the_published_tables_in_si(name):
    p = ANAND_SETS[name]["params"]
    assert set(p) == set(_ANAND_KEYS)
    for key, published in zip(_ANAND_KEYS, _ANAND_PUBLISHED[name], strict=True):
        si = published * 1e6 if key in _ANAND_MPA else published
        assert p[key] == pytest.approx(si, rel=1e-12), key


@pytest.mark.parametrize(
    ("name", "rate", "T_C", "z", "s_star_MPa", "sigma_MPa"),
    [
        # z = rate e^{Q/RT} / A; s* = s_hat z^n; sigma* = (s*/xi) asinh(z^m)
        # 1e-3 e^{9320/298.15} / 3501 = 1.07549e7; 30.2 z^0.01 = 35.5077;
        # 35.5077 / 4 asinh(z^0.25 = 57.27) = 42.0850 MPa
        ("SAC305_Motalab2012", 1e-3, 25.0, 1.0754921e7, 35.507739, 42.085032),
        # 1e-4 e^{9320/398.15} / 3501 = 418.685; 30.2 z^0.01 = 32.0794; -> 17.7594 MPa
        ("SAC305_Motalab2012", 1e-4, 125.0, 418.68503, 32.079369, 17.759354),
        # 1e-3 e^{8900/298.15} / 2.23e4 = 4.12771e5; 73.81 z^0.018 = 93.1532; -> 47.3339
        ("Sn3.5Ag_Wang2001", 1e-3, 25.0, 4.1277133e5, 93.153243, 47.333898),
        # 1e-3 e^{9400/298.15} / 4e6 = 1.23103e4; 13.79 z^0.07 = 26.6614; -> 63.0576
        ("Sn62Pb36Ag2_Wang2001", 1e-3, 25.0, 1.2310333e4, 26.661412, 63.057605),
    ],
)
def test_anand_saturation_by_hand(name, rate, T_C, z, s_star_MPa, sigma_MPa):
    law = anand_set(name)
    assert float(law.saturation_resistance(rate, T_C)) == pytest.approx(s_star_MPa * 1e6,
                                                                         rel=1e-6)
    assert float(law.saturation_stress(rate, T_C)) == pytest.approx(sigma_MPa * 1e6, rel=1e-6)
    # s* = s_hat z^n with z in the published units (Q/R in K, A in 1/s)
    s_hat = _ANAND_PUBLISHED[name][6]
    assert s_star_MPa == pytest.approx(s_hat * z ** _ANAND_PUBLISHED[name][7], rel=1e-6)


# -- Garofalo: Schubert et al. 2003, SAC387 ---------------------------------------------


def test_garofalo_schubert_published_values_and_rate_by_hand():
    # eps_rate = 277984 s^-1 sinh(0.02447 MPa^-1 sigma)^6.41 exp(-6500 K / T)
    p = GAROFALO_SETS["SAC387_Schubert2003"]["params"]
    assert p["A"] == 277984.0
    assert p["alpha"] == pytest.approx(0.02447e-6, rel=1e-12)  # 1/MPa -> 1/Pa
    assert p["n"] == 6.41
    assert p["Q"] / GAS_CONSTANT == pytest.approx(6500.0, rel=1e-12)  # Q/R in K
    law = garofalo_set("SAC387_Schubert2003")
    # 20 MPa, 75 degC: sinh(0.4894)^6.41 = 0.50897^6.41 ... x 277984 x e^{-6500/348.15}
    # = 2.86214e-5 /s
    assert float(law.creep_rate(20e6, 75.0)) == pytest.approx(2.862144e-5, rel=1e-6)
    # 10 MPa, 125 degC: 277984 sinh(0.2447)^6.41 e^{-6500/398.15} = 2.90277e-6 /s
    assert float(law.creep_rate(10e6, 125.0)) == pytest.approx(2.902773e-6, rel=1e-6)


# -- Darveaux 2000 (SnPb, 1 mil layer) ------------------------------------------------


def test_darveaux_set_published_units_and_hand_calculation():
    c = DARVEAUX_SETS["SnPb_Darveaux2000_25um"]
    # K1 22400 cycles/psi^K2, K2 -1.52, K3 5.86e-7 in/(cycle psi^K4), K4 0.98, 1 mil layer
    assert (c.K1, c.K2, c.K3, c.K4) == (22400.0, -1.52, 5.86e-7, 0.98)
    assert c.thickness == pytest.approx(25.4e-6, rel=1e-12)  # 1 mil = 0.001 in
    assert c.length_unit == 0.0254
    # 1 psi = 0.45359237 kg x 9.80665 m/s^2 / (0.0254 m)^2 = 6894.757293168 Pa
    assert PSI == pytest.approx(6894.757293168, rel=1e-12)
    assert c.energy_unit == PSI
    # dW = 0.25 MPa = 36.25943 psi; pad 0.5 mm = 0.0196850 in
    # N0 = 22400 x 36.25943^-1.52 = 95.4834
    # da/dN = 5.86e-7 x 36.25943^0.98 = 1.977563e-5 in/cycle = 5.023009e-7 m/cycle
    # N_alpha = 95.4834 + 0.0196850 / 1.977563e-5 = 95.4834 + 995.419 = 1090.903
    r = darveaux_life(0.25e6, 0.5e-3)
    assert r.initiation == pytest.approx(95.48344, rel=1e-6)
    assert r.growth_rate == pytest.approx(5.023009e-7, rel=1e-6)
    assert r.cycles == pytest.approx(1090.9028, rel=1e-6)
    # K2 < 0 and K4 > 0: initiation falls and growth rises with the energy
    assert darveaux_life(0.5e6, 0.5e-3).initiation < r.initiation
    assert darveaux_life(0.5e6, 0.5e-3).growth_rate > r.growth_rate


# -- Syed 2004 (SnAgCu) ----------------------------------------------------------------


def test_syed_published_constants_and_hand_calculation():
    s = SYED_SETS["SAC_Syed2004"]
    assert s["C_energy_per_MPa"] == 0.0019  # N = (0.0019 W_acc)^-1, W_acc in MJ/m^3
    assert s["C_strain"] == 0.0468  # N = (0.0468 eps_acc)^-1
    # W_acc = 0.35 MJ/m^3 per cycle: 1 / (0.0019 x 0.35) = 1503.759
    assert syed_life(0.35e6).cycles == pytest.approx(1503.7594, rel=1e-7)
    # eps_acc = 0.004 per cycle: 1 / (0.0468 x 0.004) = 5341.880
    assert syed_strain_life(0.004).cycles == pytest.approx(5341.8803, rel=1e-7)


# -- Engelmaier (IPC-SM-785 / IPC-D-279 form) -------------------------------------------


def test_engelmaier_published_constants_and_hand_calculation():
    e = ENGELMAIER_SETS["SnPb_Engelmaier1983"]
    # eps_f' = 0.325; c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f)
    assert (e["eps_f"], e["c0"], e["c1"], e["c2"]) == (0.325, -0.442, -6.0e-4, 1.74e-2)
    # F = 0.9, L_D = 7 mm, d_alpha = 12 ppm/K, d_T = 100 K, h = 0.3 mm:
    # d_gamma = 0.9 x 7e-3 x 12e-6 x 100 / 3e-4 = 0.0252
    g = engelmaier_shear_strain(7e-3, 12e-6, 100.0, 0.3e-3, factor=0.9)
    assert g == pytest.approx(0.0252, rel=1e-12)
    # T_sj = 50 degC, f = 48 /day: c = -0.442 - 0.030 + 0.0174 ln 49 = -0.4042823
    assert engelmaier_exponent(50.0, 48.0) == pytest.approx(-0.40428233, abs=1e-8)
    # N_f = 0.5 (0.0252 / 0.65)^(1 / -0.4042823) = 0.5 x 3100.30 = 1550.15
    assert engelmaier_life(g, 50.0, 48.0).cycles == pytest.approx(1550.150, rel=1e-6)
    # the sign of c's terms: hotter and slower (fewer cycles a day) shorten the life
    assert engelmaier_life(g, 100.0, 48.0).cycles < engelmaier_life(g, 50.0, 48.0).cycles
    assert engelmaier_life(g, 50.0, 2.0).cycles < engelmaier_life(g, 50.0, 48.0).cycles


# -- JESD22-A104 and IPC-9701 -----------------------------------------------------------


def test_jesd22_a104_table_1_and_soak_modes():
    # JESD22-A104 (rev. D 2009 to F 2020) table 1, nominal Ts(min), Ts(max) [degC]
    published = {
        "A": (-55, 85), "B": (-55, 125), "C": (-65, 150), "G": (-40, 125),
        "H": (-55, 150), "I": (-40, 115), "J": (0, 100), "K": (0, 125),
        "L": (-55, 110), "M": (-40, 150), "N": (-40, 85),
    }
    assert JESD22_A104_CONDITIONS == {k: (float(a), float(b)) for k, (a, b) in
                                      published.items()}
    # soak modes 1-4: 1, 5, 10, 15 min at each extreme
    assert SOAK_MODES_S == {1: 60.0, 2: 300.0, 3: 600.0, 4: 900.0}
    # condition J, soak mode 3, 10 K/min: period 2 x 100 K / (10 K/min) + 2 x 10 min = 40 min
    p = jesd22_a104("J", soak_mode=3, cycles=1)
    assert (p.t_min_C, p.t_max_C, p.dwell_s) == (0.0, 100.0, 600.0)
    assert p.period_s == pytest.approx(2400.0, rel=1e-12)


def test_ipc_9701_table_4_1():
    assert IPC_9701_CYCLES == {
        "TC1": (0.0, 100.0), "TC2": (-25.0, 100.0), "TC3": (-40.0, 125.0),
        "TC4": (-55.0, 125.0), "TC5": (-55.0, 100.0),
    }
    assert ipc_9701("TC1", cycles=1).dwell_s == 600.0  # 10 min dwell


# -- moisture ---------------------------------------------------------------------------


def test_p_sat_against_steam_tables():
    # saturation pressure of water (NIST / IAPWS steam tables): 30 degC 4.2470 kPa,
    # 85 degC 57.868 kPa, 121 degC 205.0 kPa (the autoclave's 2 atm)
    assert float(p_sat(30.0)) == pytest.approx(4247.0, rel=1e-4)
    assert float(p_sat(85.0)) == pytest.approx(57868.0, rel=1e-4)
    assert float(p_sat(121.0)) == pytest.approx(2.0505e5, rel=1e-3)
    assert R_GAS == 8.314462618  # exact since the 2019 SI


def test_kapton_datasheet_derivation_by_hand():
    m = get("polyimide")
    # 1.8 wt % at 23 degC / 50 %RH of a 1420 kg/m^3 film: 0.018 x 1420 = 25.56 kg/m^3
    assert float(m.csat(23.0, 0.5)) == pytest.approx(25.56, rel=1e-12)
    # CHE 20 ppm per %RH over 25.56 / 50 kg/m^3 per %RH = 3.91236e-5 m^3/kg
    assert m.CME_m3_per_kg == pytest.approx(3.912363e-5, rel=1e-6)


def test_mold_compound_arrhenius_and_henry_by_hand():
    m = get("mold_compound")
    # D(85 C) 3e-12 m^2/s, Ea 45 kJ/mol: D0 = 3e-12 exp(45000 / (8.314462618 x 358.15))
    # = 1.096604e-5 m^2/s; D(125 C) = D0 exp(-45000 / (R x 398.15)) = 1.369190e-11
    assert m.D0_m2_per_s == pytest.approx(1.096604e-5, rel=1e-6)
    assert float(m.diffusivity(125.0)) == pytest.approx(1.369190e-11, rel=1e-6)
    # Csat(30 C / 60 %RH) = 6.0 exp(40000/R (1/303.15 - 1/358.15)) x 0.6 x 4247.0
    # / (0.85 x 57868) = 6.0 x 8.0726 x 0.051805 / 0.85 ... = 3.5555 kg/m^3
    assert float(m.csat(30.0, 0.6)) == pytest.approx(3.5555, rel=2e-4)


def test_bai_set_names_the_papers_alloys():
    # Bai, Chen, Gao, Materials & Design 30 (2009) 122-128, doi:10.1016/j.matdes.2008.04.032
    # (as indexed), fitted Anand constants for Sn-3Ag-0.5Cu, Sn-3.5Ag and Sn-0.7Cu (its
    # abstract): no Sn-3.8Ag-0.7Cu. The set's record must not attribute SAC387 to it.
    d = ANAND_SETS["SAC387_Bai2009"]
    assert "10.1016/j.matdes.2008.04.032" in d["source"]
    assert "Sn-3Ag-0.5Cu" in d["source"]
    assert "3.8" not in d["alloy"]
    assert d["verified"] is False
