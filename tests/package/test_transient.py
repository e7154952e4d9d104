"""Transient studies: the [transient], [theta_jc] and [limits] sections, power maps on the
die's active face, the heating curve of a small package on its board with its
structure function and dual-interface theta_JC, curves in the results file and CSV,
the limit warning and the plots."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.spaces import space
from fea.io import read_curve_csv, read_results, write_curves_csv
from fea.package.analyse import analyse, thermal_analysis
from fea.package.jedec import case_materials
from fea.package.meshing import build_mesh
from fea.package.power_map import (
    active_face,
    clipped_areas,
    facet_flux,
    hotspot,
    thermal_loads,
)
from fea.package.spec import parse_study
from fea.package.transient import decade_label
from fea.physics.thermal import Transient, solve_thermal
from fea.study.plots import case_curve_plots
from fea.study.runner import limit_warnings

from .test_analyse import SMALL

MAP = {
    "rectangles": [
        {"x_mm": [-0.7, 0.0], "y_mm": [-0.7, 0.0], "W": 0.4},
        {"x_mm": [0.2, 0.6], "y_mm": [0.2, 0.6], "W": 0.1},
    ]
}


def _raw(**sections):
    raw = copy.deepcopy(SMALL)
    for k, v in sections.items():
        raw[k] = v
    return raw


def test_transient_spec_and_its_errors():
    t = parse_study(
        _raw(
            transient={
                "duration_s": 100.0,
                "first_output_s": 1e-5,
                "outputs": 200,
                "power_t_s": [0.0, 1.0, 1.0],
                "power_W": [0.5, 0.5, 0.0],
                "probes_mm": {"top": [0.0, 0.0, 0.585]},
                "method": "steps",
            }
        )
    ).base.transient
    assert t.duration == 100.0 and t.outputs == 200 and t.method == "steps"
    assert t.power == ((0.0, 0.5), (1.0, 0.5), (1.0, 0.0))
    assert t.probes["top"] == pytest.approx((0.0, 0.0, 0.585e-3))
    assert parse_study(_raw()).base.transient is None
    for sec, key in (
        ({"duration_s": -1.0}, "transient.duration_s"),
        ({"duration_s": 1.0, "first_output_s": 0.1}, "transient.first_output_s"),
        ({"outputs": 3}, "transient.outputs"),
        ({"power_t_s": [0.0, 1.0], "power_W": [1.0]}, "transient.power_W"),
        ({"power_t_s": [1.0, 0.0], "power_W": [1.0, 1.0]}, "transient.power_t_s"),
        ({"power_t_s": [0.0], "power_W": [-1.0]}, "transient.power_W[0]"),
        ({"probes_mm": {"p": [0.0, 0.0]}}, "transient.probes_mm.p"),
        ({"method": "euler"}, "transient.method"),
        ({"conductivity_at": "hot"}, "transient.conductivity_at"),
        ({"field": 3}, "transient.field"),
    ):
        with pytest.raises(InputError) as err:
            parse_study(_raw(transient=sec))
        assert err.value.key == key, (sec, err.value.key)
    panel = copy.deepcopy(SMALL)
    panel["study"]["kind"] = "panel"
    panel["geometry"].pop("board")
    panel["transient"] = {}
    with pytest.raises(InputError, match="transient"):
        parse_study(panel)


def test_theta_jc_and_limit_specs():
    case = parse_study(_raw()).base
    assert case.theta_jc.method == "dual_interface" and case.limits.Tj_max == 150.0
    case = parse_study(
        _raw(theta_jc={"method": "fixed_case", "contact_h": [1e3, 1e4]}, limits={"Tj_max_C": 125})
    ).base
    assert case.theta_jc.contact_h == (1e3, 1e4) and case.limits.Tj_max == 125.0
    for sec, key in (
        ({"theta_jc": {"contact_h": [1e3]}}, "theta_jc.contact_h"),
        ({"theta_jc": {"contact_h": [1e3, 1.5e3]}}, "theta_jc.contact_h"),
        ({"theta_jc": {"contact_h": [0.0, 1e4]}}, "theta_jc.contact_h[0]"),
        ({"theta_jc": {"method": "steady"}}, "theta_jc.method"),
        ({"limits": {"Tj_max_C": "hot"}}, "limits.Tj_max_C"),
        ({"limits": {"Tj": 100}}, "limits.Tj"),
    ):
        with pytest.raises(InputError) as err:
            parse_study(_raw(**sec))
        assert err.value.key == key, (sec, err.value.key)


def test_power_map_forms_and_checks(tmp_path):
    loads = dict(SMALL["loads"], power_W={}, power_map=MAP)
    pm = parse_study(_raw(loads=loads)).base.loads.power_map
    assert pm.total == pytest.approx(0.5) and pm.source == "rectangles"
    grid = [[0.1, 0.2], [0.3, 0.4]]  # rows from -y to +y
    loads = dict(SMALL["loads"], power_W={}, power_map={"grid_W": grid})
    case = parse_study(_raw(loads=loads)).base
    assert case.loads.total_power == pytest.approx(1.0)
    rects = case.loads.power_map.on_die(case.geometry.die[:2])
    assert rects[1] == pytest.approx((0.0, 0.75e-3, -0.75e-3, 0.0, 0.2))
    # a CSV next to the study file, read relative to it
    (tmp_path / "map.csv").write_text("# W per cell\n0.1,0.2\n0.3,0.4\n")
    study = tmp_path / "s.toml"
    loads = dict(SMALL["loads"], power_W={}, power_map={"csv": "map.csv"})
    spec = parse_study(_raw(loads=loads), path=str(study))
    assert spec.base.loads.power_map.grid == ((0.1, 0.2), (0.3, 0.4))
    assert spec.raw["loads"]["power_map"]["csv"] == str(tmp_path / "map.csv")
    # a trailing comma and an indented comment are fine; an empty cell would shift the map
    (tmp_path / "trail.csv").write_text("  # indented comment\n0.1,0.2,\n0.3,0.4,\n")
    loads["power_map"] = {"csv": "trail.csv"}
    spec = parse_study(_raw(loads=loads), path=str(study))
    assert spec.base.loads.power_map.grid == ((0.1, 0.2), (0.3, 0.4))
    (tmp_path / "gap.csv").write_text("0.1,,0.2\n0.3,,0.4\n")
    (tmp_path / "big.csv").write_bytes(b"0.1," * (5 << 20))
    bad = [
        ({"csv": "gap.csv"}, "csv"),
        ({"csv": "big.csv"}, "csv"),
        ({"rectangles": [{"x_mm": [-0.7, 0.0], "y_mm": [0.0, 0.9], "W": 0.1}]}, "rectangles[0]"),
        ({"rectangles": [{"x_mm": [0.5, 0.0], "y_mm": [0.0, 0.1], "W": 0.1}]}, "x_mm"),
        ({"rectangles": [{"x_mm": [0.0, 0.1], "y_mm": [0.0, 0.1], "W": -1}]}, "W"),
        ({"grid_W": [[0.1, 0.2], [0.3]]}, "grid_W"),
        ({"grid_W": [[0.0]]}, "power_map"),
        ({"csv": "missing.csv"}, "csv"),
        ({"grid_W": [[1.0]], "csv": "map.csv"}, "power_map"),
    ]
    for m, key in bad:
        with pytest.raises(InputError) as err:
            parse_study(_raw(loads=dict(SMALL["loads"], power_W={}, power_map=m)), str(study))
        assert key in err.value.key, (m, err.value.key)
        if m == {"csv": "gap.csv"}:
            # the place in the file, never its content
            assert "gap.csv, line 1, column 2" in str(err.value.value)
            assert "0.1" not in str(err.value)
    with pytest.raises(InputError, match="power_W.die"):
        parse_study(_raw(loads=dict(SMALL["loads"], power_map=MAP)))


def test_clipping_is_exact():
    tri = np.array([[[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], [[5.0, 5.0], [6.0, 5.0], [5.0, 6.0]]])
    # the unit square cuts the first triangle whole (area 1); the second lies outside
    np.testing.assert_allclose(clipped_areas(tri, (0.0, 1.0, 0.0, 1.0)), [1.0, 0.0])
    np.testing.assert_allclose(clipped_areas(tri, (-1.0, 3.0, -1.0, 3.0)), [2.0, 0.0])
    np.testing.assert_allclose(clipped_areas(tri, (1.0, 2.0, 0.0, 1.0)), [0.5, 0.0])


def test_power_map_flux_keeps_the_power():
    loads = dict(SMALL["loads"], power_W={}, power_map=MAP)
    case = parse_study(_raw(loads=loads)).base
    mesh, _ = build_mesh(case)
    face = active_face(mesh)
    assert face == "die|die_attach"
    q = facet_flux(mesh, face, case.loads.power_map.on_die(case.geometry.die[:2]))
    p = mesh.p1.p.T
    f = mesh.p1.facets[:, mesh.boundaries[face]].T
    area = 0.5 * np.linalg.norm(np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]]), axis=1)
    assert float(q @ area) == pytest.approx(0.5, rel=1e-12)
    xy = p[f][:, :, :2]
    inside = np.all((xy > -0.7e-3 + 1e-12) & (xy < -1e-12), axis=(1, 2))
    assert inside.sum() > 10
    np.testing.assert_allclose(q[inside], 0.4 / 0.49e-6)  # facets within the big rectangle


@pytest.fixture(scope="module")
def small_transient(tmp_path_factory):
    """The small package on its board with a power map, a heating curve to 1e4 s and the
    dual-interface theta_JC; written as a case folder."""
    raw = _raw(
        transient={"outputs": 300, "probes_mm": {"top": [0.0, 0.0, 0.585]}},
        loads=dict(SMALL["loads"], power_W={}, power_map=MAP, warpage_temperatures_C=[]),
    )
    case = parse_study(raw).base
    folder = tmp_path_factory.mktemp("case")
    m = analyse(case, folder)
    return case, m, folder


@pytest.mark.slow
def test_heating_curve_structure_function_and_theta_jc(small_transient):
    case, m, folder = small_transient
    zth = read_curve_csv(folder / "zth.csv")
    z = zth["zth_K_per_W"]
    assert z[0] == 0.0 and np.all(np.diff(z) >= -1e-9 * z[-1])
    # k held at the steady field
    assert z[-1] == pytest.approx(m["R_ja_uniform_h_K_per_W"], rel=1e-6)
    assert m["Tj_peak_C"] == pytest.approx(m["Tj_max_C"], rel=1e-6)
    assert m["sf_R_total_K_per_W"] == pytest.approx(m["R_ja_uniform_h_K_per_W"], rel=1e-3)
    assert m["zth_1s_K_per_W"] < m["zth_100s_K_per_W"] < m["R_ja_uniform_h_K_per_W"]
    assert zth["T_top_C"][-1] < zth["Tj_C"][-1]
    # the hot spot sits under the 0.4-W rectangle, and the power map is all the power
    assert -0.7 < m["hotspot_x_mm"] < 0.0 and -0.7 < m["hotspot_y_mm"] < 0.0
    assert m["hotspot_C"] == pytest.approx(m["Tj_max_C"], abs=1e-9)
    r = read_results(folder / "result.h5")
    assert r.metrics["heat_balance_ratio"] < 1e-6
    # the thermal field is the steady one the metrics come from; the transient's kept fields
    # (t = 0 and 12) stand beside it, so ParaView's time axis stays the mechanical states'
    assert r.thermal["temperature"].ndim == 1 and "times" not in r.thermal
    assert r.thermal["temperature"].max() == pytest.approx(m["Tj_max_C"], rel=1e-12)
    steps = r.thermal["transient_temperature"]
    assert steps.shape == (13, r.thermal["temperature"].size)
    assert r.thermal["transient_times"].shape == (13,) and r.thermal["transient_times"][0] == 0
    assert steps[-1].max() == pytest.approx(m["Tj_peak_C"], rel=1e-6)
    np.testing.assert_allclose(r.curves["zth"]["zth_K_per_W"], z)
    assert set(r.curves) >= {"zth", "structure_function", "dual_interface_zth"}
    # theta_JC against 1-D resistances through the die's footprint (the junction is the
    # die's face on the die attach, the case below it): the die attach (25 um, k 0.2
    # W/(m K): 55.6 K/W) carries all the power in series, a lower bound of both theta_JC
    # values (the silicon above only adds); the dielectric below it spreads the heat past
    # the footprint, so its 1-D value (50 um, k 0.2: 111 K/W) bounds its share from above.
    # The structure functions part at or before the case surface: the dual-interface value
    # lies between the die attach and the steady fixed-case value (JESD51-14 section 5).
    g = case.geometry
    area = g.die[0] * g.die[1]
    k_da = float(np.asarray(case.materials["die_attach"].conductivity(np.array([25.0])))[0])
    k_pi = float(np.asarray(case.materials["dielectric"].conductivity(np.array([25.0])))[0])
    r_da = g.die_attach_thickness / (k_da * area)
    r_pi = g.dielectric_thickness / (k_pi * area)
    assert r_da == pytest.approx(55.6, rel=1e-3)  # the hand value above
    fixed = copy.deepcopy(case.raw)
    fixed["theta_jc"] = {"method": "fixed_case"}
    jc_fixed = thermal_analysis(parse_study(fixed).base).metrics["theta_jc_K_per_W"]
    jc = m["theta_jc_K_per_W"]
    assert r_da < jc <= jc_fixed < r_da + r_pi, (r_da, jc, jc_fixed, r_da + r_pi)
    dual = r.curves["dual_interface_zth"]
    a, b = (v for k, v in dual.items() if k != "time_s")
    early = dual["time_s"] < 1e-3
    assert np.abs(a[early] / b[early] - 1).max() < 1e-3
    assert m["Tj_over_limit_flag"] == 1.0  # 0.5 W into a 3-mm package in still air: hot
    written = case_curve_plots(case, folder)
    assert {p.name for p in written} == {"zth.png", "structure_function.png", "dual_interface.png"}


def test_curves_csv_round_trip_and_checks(tmp_path):
    curves = {"zth": {"time_s": np.array([0.0, 1e-3, 1.0]), "zth_K_per_W": np.array([0, 1, 2])}}
    (path,) = write_curves_csv(tmp_path, curves)
    back = read_curve_csv(path)
    assert list(back) == ["time_s", "zth_K_per_W"]
    np.testing.assert_array_equal(back["time_s"], curves["zth"]["time_s"])
    with pytest.raises(InputError):
        write_curves_csv(tmp_path, {"bad": {"a": [1.0, 2.0], "b": [1.0]}})


def test_limit_warnings_and_decade_labels():
    spec = parse_study(_raw(limits={"Tj_max_C": 125.0}))
    rows = [
        {"case": "case0000", "status": "ok", "Tj_max_C": 130.0, "Tj_over_limit_flag": 1.0},
        {"case": "case0001", "status": "ok", "Tj_max_C": 90.0, "Tj_over_limit_flag": 0.0},
    ]
    (line,) = limit_warnings(spec, rows)
    assert "case0000" in line and "130.0" in line and "125" in line
    assert [decade_label(t) for t in (1e-6, 1e-4, 1e-3, 1.0, 1e3)] == [
        "1us",
        "100us",
        "1ms",
        "1s",
        "1000s",
    ]


def test_die_power_default_is_the_active_face():
    """``loads.die_power`` defaults to ``auto``: the die's power is the face flux wherever
    the model has the active face (the built-in package always has it), with no warning."""
    import warnings

    case = parse_study(_raw()).base
    assert case.loads.die_power == "auto"
    mesh, _ = build_mesh(case)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        heat = thermal_loads(mesh, case)
    assert "die" not in heat["sources"] and set(heat["flux"]) == {active_face(mesh)}
    vol = thermal_loads(mesh, case, die_power="volume")
    assert vol["sources"]["die"] == case.loads.power["die"] and not vol["flux"]


def test_die_power_goes_on_the_active_face_and_balances():
    """The die's power is a uniform flux P / A on its active face with
    die_power="active_face" (exactly P), a volume source with die_power="volume"; both
    steady solves give out what goes in."""
    case = parse_study(_raw()).base
    mesh, _ = build_mesh(case)
    face = active_face(mesh)
    heat = thermal_loads(mesh, case, die_power="active_face")
    assert "die" not in heat["sources"] and set(heat["flux"]) == {face}
    q = heat["flux"][face]
    p = mesh.p1.p.T
    f = mesh.p1.facets[:, mesh.boundaries[face]].T
    area = 0.5 * np.linalg.norm(np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]]), axis=1)
    assert float(q @ area) == pytest.approx(0.5, rel=1e-13)
    np.testing.assert_allclose(q, 0.5 / 1.5e-3**2, rtol=1e-9)  # the die's 1.5 x 1.5 mm face
    vol = thermal_loads(mesh, case, die_power="volume")
    assert vol["sources"] == {"die": 0.5} and vol["flux"] == {}
    with pytest.raises(InputError) as err:
        thermal_loads(mesh, case, die_power="surface")
    assert err.value.key == "loads.die_power"
    mats = {r: m for r, m in case_materials(case).items() if r in mesh.regions}
    for loads in (heat, vol):
        th = solve_thermal(mesh, mats, **loads, fixed={"board_bottom": 25.0}, backend="cpu")
        assert th.power == pytest.approx(0.5, rel=1e-13)
        assert th.heat_balance() < 1e-8


def test_contact_on_the_die_attach_in_the_package():
    """A contact resistance on die|die_attach of the small package: the interface split
    (every other region and boundary kept), the heat balanced, the junction hotter, and
    the hot spot found on the split mesh. The heat crosses the contact mostly over the
    terminals (7.7 times the mean flux there): Tj rises 7.4 K for 10 mm^2 K/W, more than
    the uniform P R''/A = 2.2 K."""
    case = parse_study(_raw()).base
    mesh, _ = build_mesh(case)
    mats = {r: m for r, m in case_materials(case).items() if r in mesh.regions}
    heat = thermal_loads(mesh, case)
    kw = dict(fixed={"board_bottom": 25.0}, backend="cpu")
    ref = solve_thermal(mesh, mats, **heat, **kw)
    th = solve_thermal(mesh, mats, **heat, contacts={"die_attach|die": 1e-5}, **kw)
    assert th.heat_balance() < 1e-8 and th.power == pytest.approx(0.5, rel=1e-13)
    assert th.mesh is not mesh and set(th.mesh.boundaries) == set(mesh.boundaries)
    for name in mesh.boundaries:
        assert th.mesh.boundary_area(name) == pytest.approx(mesh.boundary_area(name), rel=1e-12)
    rise = th.region_max("die") - ref.region_max("die")
    assert 2.2 < rise < 20.0, rise
    assert hotspot(th, mesh)["hotspot_C"] == pytest.approx(th.region_max("die"), abs=1e-9)


@pytest.mark.slow
def test_early_heating_curve_is_the_die_surface_response():
    """Zth of the small package (coarse mesh, reduced scheme, k at 25 degC) before the heat
    crosses the 0.25-mm die: with the power on the active face it follows the
    semi-infinite solid, 2 q sqrt(t / (pi k rho c)) / P (Carslaw & Jaeger; measured 2.8 %
    and 1.0 % off at 10 and 100 us, the coarse mesh's error); with the volume source it
    is t / C_die (10 % and 3.6 %), three to ten times lower."""
    case = parse_study(_raw()).base
    mesh, _ = build_mesh(case)
    mats = {r: m for r, m in case_materials(case).items() if r in mesh.regions}
    times = np.array([1e-5, 1e-4])
    die = np.unique(space(mesh).dofs[mesh.regions["die"]])
    si = mats["die"]
    k, rc = 150.0, si.rho * si.cp  # the die's k at 25 degC (the table's value)
    P, area = 0.5, 1.5e-3**2
    c_die = rc * mesh.element_volumes()[mesh.regions["die"]].sum()
    zth = {}
    for mode in ("active_face", "volume"):
        tr = Transient(1e-4, 1e-5, initial_C=25.0, outputs=times, scheme="reduced", fields=0)
        th = solve_thermal(
            mesh,
            mats,
            **thermal_loads(mesh, case, die_power=mode),
            fixed={"board_bottom": 25.0},
            transient=tr,
            backend="cpu",
            k_at_C=25.0,
            watch={"Tj": lambda T: T[die].max()},
        )
        zth[mode] = (th.series["Tj"][1:] - 25.0) / P
    surface = 2 * (P / area) * np.sqrt(times / (np.pi * k * rc)) / P
    np.testing.assert_allclose(zth["active_face"], surface, rtol=0.04)
    np.testing.assert_allclose(zth["volume"], times / c_die, rtol=0.12)


@pytest.mark.slow
def test_a_transient_with_placeholder_heat_capacity_says_so():
    """A study's new material without ``rho`` or ``cp`` has the placeholders 1000 kg/m^3
    and 1000 J/(kg K): the dual-interface theta_JC (a transient) named nothing. Now the
    case notes which material and keys; a library material or a ``base`` states both."""
    from fea.package.spec.materials import unstated

    raw = _raw(theta_jc={"method": "dual_interface"})
    raw.setdefault("materials", {})["encapsulant"] = "my_emc"
    raw["materials"].setdefault("library", {}).update(
        my_emc={"E_GPa": 22.0, "nu": 0.3, "alpha_ppm": 9.0, "k": 0.9, "cp": 900.0},
        my_cu={"base": "copper", "k": 390.0},
    )
    raw["materials"]["shell"] = "my_cu"
    case = parse_study(raw).base
    assert unstated(case.raw, "my_emc") == ("rho",)
    assert unstated(case.raw, "my_cu") == () and unstated(case.raw, "copper") == ()
    with pytest.warns(UserWarning, match=r"materials\.library\.my_emc\.rho not given") as rec:
        thermal_analysis(case)
    notes = [str(w.message) for w in rec if "placeholders" in str(w.message)]
    assert len(notes) == 1 and "theta_jc" in notes[0] and "my_cu" not in notes[0]


def test_the_differential_structure_function_column_says_its_unit():
    """K = dC/dR is (J/K)/(K/W) = W^2 s/K^2: the column says so; a results file written
    before names it K_J_per_K2 and is read as the same column."""
    from fea.package.transient import SF_K_COLUMN, SF_K_COLUMN_BEFORE, sf_curve, sf_k_column
    from fea.physics.structure import structure_function

    t = np.geomspace(1e-4, 1e2, 200)
    sf = structure_function(t, 2.0 * (1.0 - np.exp(-t / 0.5)))
    cols = sf_curve(sf)
    assert list(cols) == ["R_K_per_W", "C_J_per_K", "K_W2s_per_K2"] and SF_K_COLUMN in cols
    assert sf_k_column(cols) == "K_W2s_per_K2"
    old = {"R_K_per_W": sf.R_cum, "C_J_per_K": sf.C_cum, "K_J_per_K2": sf.K_diff}
    assert sf_k_column(old) == SF_K_COLUMN_BEFORE == "K_J_per_K2"


@pytest.mark.slow
def test_stepped_heating_curve_follows_the_reduced_one_from_the_first_output():
    """``[transient] method = "steps"`` on the small package (power map, 1 us to 10 ms, 40
    outputs) against the default reduced scheme (exact in time): with the local error
    bounded by 2e-3 of the total rise alone and the outputs on the chord between steps it
    read 3.0 % low at 1 us, 6.5 % at 10 us, 1.4 % at 10 ms (7.0 % at worst); with the
    error also within 1 % of the rise so far, extrapolated, within 0.28 % at every output."""
    z = {}
    for method in ("reduced", "steps"):
        raw = _raw(
            transient={"outputs": 40, "duration_s": 1e-2, "method": method},
            theta_jc={"method": "fixed_case"},
            loads=dict(SMALL["loads"], power_W={}, power_map=MAP, warpage_temperatures_C=[]),
        )
        r = thermal_analysis(parse_study(raw).base)
        z[method] = r.curves["zth"]["zth_K_per_W"]
    err = np.abs(z["steps"][1:] / z["reduced"][1:] - 1)
    assert err.max() < 1e-2, err.max()
