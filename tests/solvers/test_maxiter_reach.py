"""``[solver] maxiter`` reaches every iterative solve a study runs: the histories (a
``[process]`` chain, viscoelastic), the thermal cycling, the moisture soak and reflow, the
compact thermal models' detailed solves and the dual-interface theta_JC. Each of them ran
its AMG-PCG to the default 2000 iterations whatever the study said (the solve functions
took no ``maxiter``). With ``method = "amg"`` one iteration to the study's tolerance
cannot converge, so each must stop there with the error naming ``solver.maxiter``, its
value and the solve; a limit the solves do not reach leaves every answer as it was."""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

import fea.package.meshing as mesh_mod
from fea.errors import InputError, IterationLimitError
from fea.package import jedec
from fea.package.analyse import history_metrics, warpage_case
from fea.package.meshing import build_mesh
from fea.package.moisture import moisture_analysis
from fea.package.spec import parse_study
from fea.package.transient import dual_interface
from fea.physics import ctm
from fea.physics.history import solve_history
from fea.physics.inelastic import Anand
from fea.physics.materials import Material
from fea.physics.materials import get as get_material
from fea.physics.mechanics import solve_thermoelastic_variants
from fea.solvers.newton import newton

from ..verification.ctm_bodies import MATERIALS, NODES, package_body
from ..verification.helpers import layered_box, plane

ROOT = Path(__file__).resolve().parents[2]

#: What every such error says: the key, its value (1 here), and what to do.
LIMIT = (
    r"did not converge( on \d+ of \d+ columns \(the first: column \d+\))? in 1 iterations "
    r"\(maxiter = 1\).*the iteration limit solver\.maxiter = 1 was reached: raise maxiter"
)


def _study(name: str) -> dict:
    raw = copy.deepcopy(tomllib.loads((ROOT / name).read_text()))
    raw.pop("sweep", None)
    raw.setdefault("solver", {})["backend"] = "cpu"
    return raw


@pytest.fixture(autouse=True)
def _mesh_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path_factory.getbasetemp() / "meshes")


# -- the history (solve_history): a viscoelastic strip, cooled from its cure ------------------


@pytest.fixture(scope="module")
def strip():
    """10 x 2 mm strip, P1 (2,007 DOF: AMG takes two levels), 0.5 mm of the viscoelastic
    mould compound under 0.3 mm of an elastic layer."""
    return layered_box(
        (10e-3, 2e-3),
        [("ve", 0.5e-3, 2), ("el", 0.3e-3, 1)],
        0.5e-3,
        order=1,
        faces={"bottom": plane(2, 0.0)},
    )


def _cooling(strip, **kw):
    mats = {
        "ve": get_material("mold_compound_visco"),
        "el": Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0),
    }
    return solve_history(
        strip,
        mats,
        [(0.0, 175.0), (60.0, 150.0), (120.0, 25.0)],
        reference={"ve": 175.0, "*": 25.0},
        backend="cpu",
        **kw,
    )


def test_history_stops_at_its_iteration_limit(strip):
    """The history's AMG-PCG (its instantaneous start here) stops at ``maxiter`` = 1 and
    the error names the stage and the step (before: no such keyword, every solve to 2000)."""
    with pytest.raises(IterationLimitError, match=LIMIT) as err:
        _cooling(strip, method="amg", maxiter=1)
    assert str(err.value).startswith("the history (stage ")
    assert "instantaneous solve at t = 0 s" in str(err.value)


def test_history_answer_is_unchanged_by_a_limit_it_does_not_reach(strip):
    """The default limit is the 2000 every solve ran with before; a limit above what the
    solves take (40 here; the AMG-PCG solves take about 10) gives the same states: to
    1e-6 of the largest displacement, two orders above the solves' rtol of 1e-8 (equal to
    the last bit when written; the AMG setup's threaded sums may change the rounding from
    run to run)."""
    base = _cooling(strip, method="amg")
    given = _cooling(strip, method="amg", maxiter=40)
    assert base.solver_info["steps"] == given.solver_info["steps"]
    scale = max(float(np.abs(st.displacement).max()) for st in base.states)
    for a, b in zip(base.states, given.states, strict=True):
        assert np.abs(a.displacement - b.displacement).max() <= 1e-6 * scale


def test_history_maxiter_is_checked(strip):
    for bad in (0, 2.5, True):
        with pytest.raises(InputError, match="maxiter"):
            _cooling(strip, maxiter=bad)


def test_thermoelastic_variants_stop_at_their_iteration_limit(strip):
    """solve_thermoelastic_variants (the public function of one stiffness and many loads)
    took no ``maxiter``: its solves ran to 2000 whatever was asked."""
    mats = {
        "ve": get_material("mold_compound"),
        "el": Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0),
    }
    kw = dict(reference={"ve": 175.0, "*": 25.0}, backend="cpu", method="amg")
    with pytest.raises(IterationLimitError, match=LIMIT):
        solve_thermoelastic_variants(strip, mats, [25.0, 100.0], maxiter=1, **kw)
    base = solve_thermoelastic_variants(strip, mats, [25.0, 100.0], **kw)
    given = solve_thermoelastic_variants(strip, mats, [25.0, 100.0], maxiter=300, **kw)
    for a, b in zip(base, given, strict=True):
        scale = float(np.abs(a.displacement).max())
        assert np.abs(a.displacement - b.displacement).max() <= 1e-6 * scale


def test_a_lower_limit_factorises_the_kept_tangent_sooner_with_the_same_answer():
    """Newton's PCG on the kept tangent factorisation has its own cap (100): past it, a
    factorisation is cheaper than iterating, so it refactorises instead of failing. A lower
    ``maxiter`` lowers that cap: an Anand layer under an elastic one, cooled and heated
    (21 steps, direct), took 4 tangent factorisations and 175 PCG iterations by default
    and 40 and 93 at ``maxiter`` = 1, the same states to the Newton tolerance (1e-6 of the
    largest displacement here; the force tolerance is 1e-8)."""
    mesh = layered_box(
        (2e-3, 1e-3),
        [("pl", 0.3e-3, 1), ("el", 0.3e-3, 1)],
        0.3e-3,
        order=1,
        faces={"x0": plane(0, 0.0)},
    )
    law = Anand(21e6, 9320, 3501, 4, 0.25, 180e9, 30.2e6, 0.01, 1.78)
    mats = {
        "pl": Material("sac", E=50e9, nu=0.35, alpha=21e-6, k=1.0, inelastic=law),
        "el": Material("el", E=130e9, nu=0.28, alpha=3e-6, k=1.0),
    }
    kw = dict(reference=125.0, fixed={"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}, backend="cpu")
    path = [(0.0, 125.0), (300.0, 25.0), (600.0, 125.0)]
    base = solve_history(mesh, mats, path, **kw)
    low = solve_history(mesh, mats, path, maxiter=1, **kw)
    assert low.solver_info["tangent_factorizations"] > base.solver_info["tangent_factorizations"]
    assert low.solver_info["cutbacks"] == 0
    scale = max(float(np.abs(st.displacement).max()) for st in base.states)
    for a, b in zip(base.states, low.states, strict=True):
        assert np.abs(a.displacement - b.displacement).max() <= 1e-6 * scale


def test_newton_passes_an_iteration_limit_on_as_it_is():
    """A Newton correction whose linear solve reached its limit was reported as "the
    linear solve of the tangent failed" with a singular system's causes: it says the
    limit's key and what to do, and stays an IterationLimitError (a history does not cut
    its step for it)."""

    def limited(_K, _r):
        raise IterationLimitError("amg-pcg did not converge; solver.maxiter = 1 was reached")

    with pytest.raises(IterationLimitError, match=r"step 7: .*solver\.maxiter = 1") as err:
        newton(
            lambda u: u - 1.0,
            np.zeros(3),
            tangent=lambda u: np.eye(3),
            linear_solver=limited,
            label="step 7",
        )
    assert "singular" not in str(err.value)


# -- the [process] history of a study --------------------------------------------------------


@pytest.mark.slow
def test_thermal_cycling_of_a_study_stops_at_solver_maxiter():
    """studies/board_cycling.toml, coarse, one short cycle on the quarter board model, with
    ``method = "amg"`` and ``maxiter = 1``: the cycling history's first step stops (about
    27 s on two loaded cores, most of it the board model's mesh)."""
    raw = _study("studies/board_cycling.toml")
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=3.0)
    raw["cycling"] = {
        "t_min_C": 0.0,
        "t_max_C": 60.0,
        "cycles": 1,
        "dwell_s": 0.0,
        "stress_free_C": 60.0,
        "board_size_mm": [16.0, 16.0],
        "symmetry": "quarter",
        "models": ["darveaux", "syed", "engelmaier"],
        "delta_alpha_ppm_per_K": 7.0,
    }
    raw["solver"].update(method="amg", maxiter=1)
    from fea.package.cycling import cycling_metrics

    with pytest.raises(IterationLimitError, match=LIMIT) as err:
        cycling_metrics(parse_study(raw).base)
    msg = str(err.value)
    assert msg.startswith("the thermal cycling profile on the board model: the history (stage ")
    assert "time-step cuts" not in msg  # stopped at once, not after six halvings


@pytest.mark.slow
def test_process_history_of_a_study_stops_at_solver_maxiter():
    """studies/reflow.toml (its [process] chain, the viscoelastic compound), coarse, with
    ``method = "amg"`` and ``maxiter = 1``: the process history's first solve stops (8 to
    12 s on two loaded cores, most of it meshing)."""
    raw = _study("studies/reflow.toml")
    raw["mesh"].update(
        size_mm=1.5, order=1, layers_through_thickness=1, opening_size_mm=0.6,
        terminal_size_mm=0.6, board_size_mm=12.0,
    )  # fmt: skip
    raw["solver"].update(method="amg", maxiter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IterationLimitError, match=LIMIT) as err:
            history_metrics(parse_study(raw).base)
    assert str(err.value).startswith("the [process] history: the history (stage 'load'")


# -- the moisture soak and reflow -------------------------------------------------------------


@pytest.fixture(scope="module")
def msl(tmp_path_factory):
    mesh_mod_dir = tmp_path_factory.getbasetemp() / "meshes"
    raw = _study("studies/msl.toml")
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=12.0)
    raw["moisture"]["soak"] = {"T_C": 85.0, "RH": 0.85, "hours": 24.0}
    case = parse_study(raw).base
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mesh_mod, "CACHE_DIR", mesh_mod_dir)
        mesh, _ = build_mesh(warpage_case(case))
    return case, mesh


def test_moisture_stops_at_its_iteration_limit(msl):
    """The soak's reduced basis solves by AMG-PCG stop at ``maxiter`` = 1, named."""
    case, mesh = msl
    with pytest.raises(IterationLimitError, match=LIMIT) as err:
        moisture_analysis(mesh, case.moisture, method="amg", maxiter=1)
    assert str(err.value).startswith("the moisture soak ")


@pytest.mark.slow
def test_moisture_answer_is_unchanged_by_a_limit_it_does_not_reach(msl):
    """A limit above what the solves take gives the default's answer: to 1e-6 (the
    solves' rtol is 1e-8; two runs of the default differ by about 1e-11 here, the AMG
    setup's rounding)."""
    case, mesh = msl
    base = moisture_analysis(mesh, case.moisture, method="amg")
    given = moisture_analysis(mesh, case.moisture, method="amg", maxiter=200)
    assert given.metrics.keys() == base.metrics.keys()
    for k, v in base.metrics.items():
        assert given.metrics[k] == pytest.approx(v, rel=1e-6, abs=1e-12), k
    assert np.abs(base.result.wetness - given.result.wetness).max() <= 1e-6


# -- the compact thermal models' detailed solves ------------------------------------------------


@pytest.fixture(scope="module")
def body():
    """The BGA-like body at 1 mm (522 nodes: above pyamg's coarsest size of 500, so AMG
    takes two levels and one iteration cannot reach rtol)."""
    return package_body(1.0, 1)


def _conditions():
    bcs = ctm.delphi_boundary_conditions(("top", "bottom", "sides"))[:3]
    bcs.insert(1, {"top": math.inf})  # an isothermal face: solved on its own
    return bcs


@pytest.mark.parametrize("shared", [True, False])
def test_detailed_model_stops_at_its_iteration_limit(body, shared):
    model = ctm.detailed_solver(
        body, MATERIALS, {"die": 1.0}, "die", NODES, shared=shared, method="amg", maxiter=1
    )
    with pytest.raises(IterationLimitError, match=LIMIT) as err:
        model(_conditions())
    assert str(err.value).startswith("the detailed model's steady solves of 4 conditions")


@pytest.mark.slow
def test_detailed_model_answer_is_unchanged_by_a_limit_it_does_not_reach(body):
    """To 1e-8 (the solves' rtol is 1e-10)."""
    kw = dict(method="amg", rtol=1e-10)
    base = ctm.detailed_solver(body, MATERIALS, {"die": 1.0}, "die", NODES, **kw)
    given = ctm.detailed_solver(body, MATERIALS, {"die": 1.0}, "die", NODES, maxiter=300, **kw)
    for a, b in zip(base(_conditions()), given(_conditions()), strict=True):
        assert b.junction_K_per_W == pytest.approx(a.junction_K_per_W, rel=1e-8)
        for n, q in a.heat.items():
            assert b.heat[n] == pytest.approx(q, abs=1e-8)


# -- theta_JC by the dual-interface transient ---------------------------------------------------


@pytest.fixture(scope="module")
def tiny_package(tmp_path_factory):
    raw = tomllib.loads((ROOT / "tests" / "data" / "tiny_study.toml").read_text())
    raw.pop("sweep")
    pkg = jedec.package_case(parse_study(raw).base)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mesh_mod, "CACHE_DIR", tmp_path_factory.getbasetemp() / "meshes")
        mesh, _ = build_mesh(pkg)
    return pkg, mesh


def test_dual_interface_stops_at_its_iteration_limit(tiny_package):
    pkg, mesh = tiny_package
    with pytest.raises(IterationLimitError, match=LIMIT) as err:
        dual_interface(pkg, mesh, "cpu", method="amg", maxiter=1)
    assert str(err.value).startswith("the theta_JC transient (JESD51-14 dual interface)")


@pytest.mark.slow
def test_dual_interface_answer_is_unchanged_by_a_limit_it_does_not_reach(tiny_package):
    """The two heating curves to 1e-6 of their largest value, theta_JC to 1e-4: two runs
    of the default differed by 2e-8 of the curves (the AMG setup's rounding) and 9e-6 of
    theta_JC (47.58753 and 47.58796 K/W: the separation point moves along the curves,
    which amplifies the rounding)."""
    pkg, mesh = tiny_package
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, cb = dual_interface(pkg, mesh, "cpu", method="amg")
        given, cg = dual_interface(pkg, mesh, "cpu", method="amg", maxiter=300)
    assert given == pytest.approx(base, rel=1e-4)
    zb, zg = cb["dual_interface_zth"], cg["dual_interface_zth"]
    for k in zb:
        assert np.abs(zb[k] - zg[k]).max() <= 1e-6 * np.abs(zb[k]).max(), k
