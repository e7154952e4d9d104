"""Defects found in review: literal plot text, moisture data checks, moisture key columns."""

from __future__ import annotations

import numpy as np
import pytest

#: A name matplotlib's mathtext cannot set: drawing it as math fails with "Unknown symbol".
BAD = r"run$\nosuchsymbol$ 1"


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


# --- 1. plot text shown as written -------------------------------------------------------


def test_convergence_figure_text_is_literal(tmp_path):
    pytest.importorskip("matplotlib")
    from fea.study.converge import Convergence, convergence_figure

    r = Convergence(
        metric=f"{BAD}@25C", sizes=(1e-3, 1.5e-3, 2.25e-3), values=(1.0, 1.1, 1.3),
        ratio=1.5, order=1.0, order_assumed=False, extrapolated=0.9, gci_fine=0.05,
        chosen_error=0.05,
    )
    fig = convergence_figure([r], title=BAD)
    shown = {t.get_text() for t in _texts(fig) if not t.get_parse_math()}
    assert BAD in shown  # the suptitle
    assert f"{BAD}@25C" in shown  # the y label
    assert any(BAD in s and s.endswith("p = 1.00") for s in shown)  # the panel title
    fig.savefig(tmp_path / "c.png")  # math text would fail here


def test_fatigue_plots_accept_dollar_titles(tmp_path):
    pytest.importorskip("matplotlib")
    from fea.physics import fatigue

    x = np.array([0.0, 1e-3, 0.0, 1e-3])
    y = np.array([0.0, 0.0, 1e-3, 1e-3])
    m = fatigue.plot_joint_map(x, y, [1e5, 2e5, 3e5, 4e5], tmp_path / "m.png", title=BAD)
    assert m.path.stat().st_size > 0
    t = np.linspace(0.0, 2.0 * np.pi, 41)
    loop = fatigue.HysteresisLoop(1e-2 * np.cos(t), 1e6 * np.sin(t), np.pi * 1e4, (0, 40))
    out = fatigue.plot_hysteresis(loop, tmp_path / "h.png", title=BAD)
    assert out.stat().st_size > 0


# --- 3. moisture data checks ---------------------------------------------------------------


def test_from_reference_refuses_huge_activation_energy():
    from fea.errors import InputError
    from fea.physics.moisture_data import MoistureProperties

    with pytest.raises(InputError) as err:  # exp(1e30 / RT) overflowed
        MoistureProperties.from_reference("x", 1e-12, 1e30, Csat_kg_per_m3=5.0)
    assert err.value.key == "moisture.x.Ea_J_per_mol"
    with pytest.raises(InputError):
        MoistureProperties.from_reference("x", 1e-12, -1.0, Csat_kg_per_m3=5.0)
    # an allowed one gives D(T_ref) = D_ref: D0 exp(-Ea / (R T_ref)), R in J/(mol K)
    p = MoistureProperties.from_reference("x", 1e-12, 60e3, Csat_kg_per_m3=5.0, T_ref_C=85.0)
    assert p.D0_m2_per_s * np.exp(-60e3 / (8.314462618 * 358.15)) == pytest.approx(1e-12)


@pytest.mark.parametrize("name", [[], None, 3, ("epoxy",)])
def test_get_refuses_a_name_that_is_no_text(name):
    from fea.errors import InputError
    from fea.physics import moisture_data

    with pytest.raises(InputError) as err:
        moisture_data.get(name)
    assert err.value.key == "moisture.material"


@pytest.mark.parametrize("T", [-1.0, -100.0, 374.0, 500.0])
def test_reference_temperature_off_the_saturation_line_is_refused(T):
    from fea.errors import InputError
    from fea.physics.moisture_data import MoistureProperties

    with pytest.raises(InputError) as err:
        MoistureProperties("x", 1e-6, 40e3, 5.0, T_ref_C=T)
    assert err.value.key == "moisture.x.T_ref_C"
    with pytest.raises(InputError) as err:
        MoistureProperties.from_reference("x", 1e-12, 40e3, Csat_kg_per_m3=5.0, T_ref_C=T)
    assert err.value.key == "moisture.x.T_ref_C"


def test_reference_temperature_ends_of_the_saturation_line_accepted():
    from fea.physics.moisture_data import MoistureProperties

    for T in (0.0, 373.946):
        assert MoistureProperties("x", 1e-6, 40e3, 5.0, T_ref_C=T).T_ref_C == T


# --- 4. moisture columns of every region in the summary plots ------------------------------

MOISTURE_COLUMNS = [
    "moisture_mg@soak",
    "moisture_mg@soak:encapsulant",
    "moisture_mg@soak:dielectric",
    "moisture_mg@soak:die_attach",
    "vapour_pressure_max_MPa@peak:dielectric|terminals",
    "vapour_pressure_mean_MPa@peak:dielectric|terminals",
]


def test_moisture_columns_of_every_region_are_key_columns():
    from fea.package.names import Column

    for c in MOISTURE_COLUMNS:
        assert Column.parse(c).key, c
    # other metrics keep the key regions only
    assert not Column.parse("von_mises_max_MPa@25C:dielectric").key
    assert Column.parse("von_mises_max_MPa@25C:die").key


def test_moisture_study_plots_show_the_dielectric(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import fea
    from fea.study import plots

    spec = fea.load_study("studies/msl.toml")
    rows = [
        {"case": f"c{i}", "status": "ok", "param:moisture.soak_h": h}
        | {c: 0.1 * (i + 1) * (j + 1) for j, c in enumerate(MOISTURE_COLUMNS)}
        for i, h in enumerate((24.0, 168.0))
    ]
    drawn: dict[str, list[str]] = {}
    sweep = plots.sweep_figure

    def record(spec, rows, param, output, columns):
        drawn[output] = list(columns)
        return sweep(spec, rows, param, output, columns)

    monkeypatch.setattr(plots, "sweep_figure", record)
    plots.study_plots(spec, rows, tmp_path)
    assert drawn["moisture_mg"] == MOISTURE_COLUMNS[:4]
    assert drawn["vapour_pressure_max_MPa"] == [MOISTURE_COLUMNS[4]]
    assert drawn["vapour_pressure_mean_MPa"] == [MOISTURE_COLUMNS[5]]
