"""Solder-joint life models by hand: each formula and constant re-derived by hand
from its source, in the source's units, for the pinned ``board_cycling`` case's inputs
(its Delta W, the baseline ball's contact diameter, the corner joint's distance, condition
G), and compared with the module's functions and the pinned table.

The hand calculations below use no constant of :mod:`fea.physics.fatigue`: the pound-force
and the inch are defined here from their exact SI definitions, the models' constants
written out from the sources."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from fea.physics import fatigue as fat

ROOT = Path(__file__).resolve().parents[2]

#: 1 psi [Pa]: 1 lbf (0.45359237 kg x 9.80665 m/s^2, exact) on 1 in^2 (0.0254 m, exact).
PSI_PA = 0.45359237 * 9.80665 / 0.0254**2
IN_M = 0.0254


def _pinned() -> dict[str, float]:
    pins = json.loads((ROOT / "tests" / "data" / "pinned_studies.json").read_text())
    return pins["board_cycling"]["case0000"]


def _darveaux_by_hand(dw_pa: float, a_m: float) -> tuple[float, float]:
    """Darveaux, 'Effect of simulation methodology on solder joint crack growth
    correlation', Proc. 50th ECTC (2000) 1048-1058 (J. Electron. Packag. 124 (2002)
    147-154): N0 = K1 dW^K2 [cycles], da/dN = K3 dW^K4 [in/cycle], dW in psi; N_alpha =
    N0 + a / (da/dN), a the joint's diameter at the pad. 62Sn36Pb2Ag, 1 mil (25.4 um)
    interface elements: K1 = 22,400 cycles/psi^K2, K2 = -1.52, K3 = 5.86e-7
    in/(cycle psi^K4), K4 = 0.98. Returns (N0, N_alpha)."""
    x = dw_pa / PSI_PA  # psi
    n0 = 22400.0 * x**-1.52
    rate_in = 5.86e-7 * x**0.98  # in/cycle
    a_in = a_m / IN_M
    return n0, n0 + a_in / rate_in


def test_the_psi_is_the_exact_pound_force_per_square_inch():
    assert fat.PSI == pytest.approx(6894.757293168361, rel=1e-15)
    assert fat.PSI == pytest.approx(PSI_PA, rel=1e-15)


def test_darveaux_by_hand_for_the_pinned_case():
    """The pinned board_cycling case: Delta W 0.322 MJ/m^3 = 46.67 psi over the critical
    joint's layer; the crack runs across the pad: the 0.4 mm ball truncated to the 0.3 mm
    stand-off meets the pad on a circle of diameter 2 sqrt(0.2^2 - 0.15^2) mm = 0.2646 mm.
    By hand (Darveaux 2000, constants above, growth in in/cycle and the crack length in
    inches): N0 = 22400 x 46.67^-1.52 = 65.06, da/dN = 2.533e-5 in/cycle, a = 0.010416 in,
    N_alpha = 65.06 + 411.29 = 476.35: the pinned columns to 1e-9."""
    pin = _pinned()
    dw = pin["dW_crit_MJ_per_m3"] * 1e6
    a = 2.0 * math.sqrt(0.2**2 - 0.15**2) * 1e-3
    n0, n = _darveaux_by_hand(dw, a)
    assert dw / PSI_PA == pytest.approx(46.6710, rel=1e-5)
    assert n0 == pytest.approx(65.057, rel=1e-4)
    assert n == pytest.approx(476.35, rel=1e-5)
    got = fat.darveaux_life(dw, a, "SnPb_Darveaux2000_25um")
    assert got.initiation == pytest.approx(n0, rel=1e-12)
    assert got.cycles == pytest.approx(n, rel=1e-12)
    # growth rate in m/cycle: in/cycle x 0.0254
    assert got.growth_rate == pytest.approx(5.86e-7 * (dw / PSI_PA) ** 0.98 * IN_M, rel=1e-12)
    assert pin["N0_darveaux_cycles"] == pytest.approx(n0, rel=1e-9)
    assert pin["N_darveaux_cycles"] == pytest.approx(n, rel=1e-9)


def test_darveaux_units_a_factor_the_wrong_way_would_show():
    """Unit traps, each a different number: dW left in MPa (0.32 as if psi) or in Pa,
    the growth rate read in m/cycle instead of in/cycle: none of them is the module's."""
    dw, a = 0.32e6, 0.2646e-3
    good = fat.darveaux_life(dw, a).cycles
    n0_mpa = 22400.0 * 0.32**-1.52
    assert abs(good - n0_mpa) / good > 10
    n0, _ = _darveaux_by_hand(dw, a)
    wrong_len = n0 + a / (5.86e-7 * (dw / PSI_PA) ** 0.98)  # rate taken as m/cycle
    assert abs(good - wrong_len) / good > 0.5
    # 1 psi gives N0 = K1 and da/dN = K3 in/cycle
    one = fat.darveaux_life(PSI_PA, a)
    assert one.initiation == pytest.approx(22400.0, rel=1e-12)
    assert one.growth_rate == pytest.approx(5.86e-7 * IN_M, rel=1e-12)


def test_syed_by_hand_for_the_pinned_case():
    """Syed, 'Accumulated creep strain and energy density based thermal fatigue life
    prediction models for SnAgCu solder joints', Proc. 54th ECTC (2004) 737-746:
    N = (C' W_acc)^-1, C' = 0.0019 (MJ/m^3)^-1, W_acc the accumulated creep energy density
    per cycle in MJ/m^3 (= MPa); N = (C eps_acc)^-1, C = 0.0468. The pinned Delta W 0.322
    MJ/m^3: N = 1 / (0.0019 x 0.32179) = 1,635.6."""
    pin = _pinned()
    w = pin["dW_crit_MJ_per_m3"]
    n = 1.0 / (0.0019 * w)
    assert n == pytest.approx(1635.61, rel=1e-5)
    assert fat.syed_life(w * 1e6).cycles == pytest.approx(n, rel=1e-12)
    assert pin["N_syed_cycles"] == pytest.approx(n, rel=1e-9)
    # 1 MJ/m^3 per cycle: 1 / 0.0019 = 526.3 cycles; strain form at 1 % per cycle
    assert fat.syed_life(1e6).cycles == pytest.approx(526.315789, rel=1e-8)
    assert fat.syed_strain_life(0.01).cycles == pytest.approx(1.0 / 0.000468, rel=1e-12)


def test_engelmaier_by_hand_for_the_pinned_case():
    """Engelmaier, IEEE Trans. CHMT 6 (1983) 232-237, as in IPC-D-279 (1996):
    d_gamma = F L_D d_alpha d_T / h; N_f(50 %) = 1/2 (d_gamma / (2 eps_f'))^(1/c),
    eps_f' = 0.325, c = -0.442 - 6e-4 T_sj + 1.74e-2 ln(1 + f), T_sj the mean cyclic
    solder-joint temperature [degC], f cycles per DAY. The pinned case: the 12 x 12 array's
    corner joint at (4.4, 4.4) mm, L_D = 6.2225 mm, F = 1, d_alpha = 7 ppm/K (board 16,
    mould compound 9), d_T = 165 K (condition G), h = 0.3 mm (the stand-off):
    d_gamma = 0.023957; T_sj = (-40 + 125) / 2 = 42.5 degC; period 2 x 165 K / (10 K/min)
    + 2 x 15 min = 3,780 s, f = 22.857/day; c = -0.41231; N = 1,498.7."""
    pin = _pinned()
    L_D = math.hypot(4.4, 4.4) * 1e-3
    dgamma = 1.0 * L_D * 7e-6 * 165.0 / 0.3e-3
    f = 86400.0 / (2 * 165.0 / 10.0 * 60.0 + 2 * 900.0)
    c = -0.442 - 6e-4 * 42.5 + 1.74e-2 * math.log(1.0 + f)
    n = 0.5 * (dgamma / (2 * 0.325)) ** (1.0 / c)
    assert (dgamma, f, c) == pytest.approx((0.0239568, 22.857143, -0.4123057), rel=1e-6)
    assert n == pytest.approx(1498.73, rel=1e-5)
    g = fat.engelmaier_shear_strain(L_D, 7e-6, 165.0, 0.3e-3)
    assert g == pytest.approx(dgamma, rel=1e-12)
    assert fat.engelmaier_exponent(42.5, f) == pytest.approx(c, rel=1e-12)
    assert fat.engelmaier_life(g, 42.5, f).cycles == pytest.approx(n, rel=1e-12)
    assert pin["N_engelmaier_cycles"] == pytest.approx(n, rel=1e-9)
    # the pinned critical joint is the corner of the full array
    assert (pin["critical_x_mm"], pin["critical_y_mm"]) == (4.4, 4.4)
    assert pin["critical_joint_id"] == 143.0


def test_engelmaiers_frequency_is_per_day_not_per_hour():
    """f in cycles/day: the same cycle read per hour (0.952/h) would give c = -0.4559 and
    a life 2.1x shorter here (697 against 1,499 cycles); the module's exponent is the
    per-day one."""
    f_day = 86400.0 / 3780.0
    c_day = -0.442 - 6e-4 * 42.5 + 1.74e-2 * math.log(1.0 + f_day)
    c_hour = -0.442 - 6e-4 * 42.5 + 1.74e-2 * math.log(1.0 + f_day / 24.0)
    assert fat.engelmaier_exponent(42.5, f_day) == pytest.approx(c_day, rel=1e-12)
    assert abs(c_day - c_hour) > 0.04


def test_the_hysteresis_plot_marks_its_states_and_states_delta_w(monkeypatch, tmp_path):
    """The loop joins the solver's states by straight lines: with one profile point per
    ramp (the study's default ramp_points = 1) each ramp is drawn as one straight line,
    and the pinned case's loop (16 states) enclosed 0.053 MJ/m^3 against its Delta W of
    0.320 (0.300 with 11 points per ramp, Delta W the same to 7e-5). The plot showed the
    area alone, in MJ/m^3 like Delta W, as "cycle: area": now each state is marked, the
    legend gives the cycle's states and, beside the loop's area, Delta W from the energy
    field. Axes: tau [MPa] against engineering gamma [%]."""
    import matplotlib

    from fea.physics import fatigue

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []  # the figure as drawn, kept open when the plot closes it after writing

    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig))
    # a parallelogram loop, clockwise in (gamma, tau): tau_y = 10 MPa, G = 10 GPa
    gam = [0.0, 2e-3, 4e-3, 2e-3, -4e-3, -2e-3, 4e-3]
    tau = [0.0, 10e6, 10e6, -10e6, -10e6, 10e6, 10e6]
    loop = fatigue.hysteresis_loop([1.0], [[x] for x in tau], [[x] for x in gam], cycle=(2, 6))
    assert loop.area == pytest.approx(4 * 10e6 * (4e-3 - 10e6 / 10e9), rel=1e-12)
    fatigue.plot_hysteresis(loop, tmp_path / "h.png", delta_w=0.32e6)
    (fig,) = figs
    ax = fig.axes[0]
    assert ax.get_xlabel() == "shear strain γ [%]"
    assert ax.get_ylabel() == "shear stress τ [MPa]"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    cyc = next(t for t in texts if t.startswith("cycle"))
    assert "4 states" in cyc and "loop area 0.12 MJ/m³" in cyc
    assert "ΔW (energy field) 0.32 MJ/m³" in cyc
    bold = next(line for line in ax.get_lines() if line.get_label() == cyc)
    assert bold.get_marker() == "o"
    assert list(bold.get_xdata()) == pytest.approx([x * 100 for x in gam[2:7]])
    assert list(bold.get_ydata()) == pytest.approx([x / 1e6 for x in tau[2:7]])
