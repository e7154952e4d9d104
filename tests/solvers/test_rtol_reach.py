"""``[solver] rtol`` and ``method`` reach every solve of a study as ``maxiter`` does.

The moisture soak and reflow solved to their own rtol of 1e-8 whatever the study said
(``moisture_analysis`` took no ``rtol``, the study passed none, and its backend stayed
"cpu"); a quadratic mesh's water, carried between the temperatures of a profile, was
projected by SciPy's own sparse LU whatever ``method`` said; a region born in a history
was extended by a solve to 1e-10 whatever ``rtol`` the history was given. Each is checked
through what a user sees: an AMG-PCG stopped at ``maxiter`` = 1 names the tolerance it
was solving to (``target rtol``) and the solve it was in."""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

import fea.package.meshing as mesh_mod
import fea.physics.history_step as history_step
from fea import Process, Stage, solve_history
from fea.errors import IterationLimitError
from fea.package.analyse import warpage_case, warpage_metrics
from fea.package.meshing import build_mesh
from fea.package.moisture import moisture_analysis
from fea.package.spec import parse_study
from fea.physics.materials import Material
from fea.physics.moisture import Soak, TemperatureProfile, solve_moisture
from fea.physics.moisture_data import MoistureProperties

from ..verification.helpers import layered_box, plane

ROOT = Path(__file__).resolve().parents[2]


def _msl_raw() -> dict:
    """studies/msl.toml, coarse (P1, 6,935 nodes: AMG takes two levels), a 24 h soak."""
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies/msl.toml").read_text()))
    raw.pop("sweep", None)
    raw.setdefault("solver", {})["backend"] = "cpu"
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=12.0)
    raw["moisture"]["soak"] = {"T_C": 85.0, "RH": 0.85, "hours": 24.0}
    return raw


@pytest.fixture(autouse=True)
def _mesh_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path_factory.getbasetemp() / "meshes")


def test_moisture_analysis_solves_to_the_rtol_it_is_given():
    """moisture_analysis took no ``rtol`` (TypeError before): its soak solved to 1e-8."""
    case = parse_study(_msl_raw()).base
    mesh, _ = build_mesh(warpage_case(case))
    with pytest.raises(IterationLimitError, match=r"target rtol 1\.0e-06") as err:
        moisture_analysis(mesh, case.moisture, method="amg", rtol=1e-6, maxiter=1)
    assert str(err.value).startswith("the moisture soak ")


def test_the_moisture_of_a_study_solves_to_its_solver_rtol():
    """A study's ``[solver] rtol = 1e-6`` reaches the moisture soak (before: the soak's
    AMG-PCG stopped at maxiter = 1 aiming at ``target rtol 1.0e-08``)."""
    raw = _msl_raw()
    raw["solver"].update(method="amg", rtol=1e-6, maxiter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(IterationLimitError, match=r"target rtol 1\.0e-06") as err:
            warpage_metrics(parse_study(raw).base)
    assert str(err.value).startswith("the moisture soak ")


# -- the water carried between temperatures on a quadratic mesh --------------------------------


def _two_compounds():
    """Two compounds of heats of solution 45 and 20 kJ/mol (their C_sat follow T apart:
    the water is carried by the L2 projection on a quadratic mesh), P2, 4,913 nodes."""
    a = MoistureProperties.from_reference("a", 5e-12, 40e3, Csat_kg_per_m3=6.0, Es_J_per_mol=45e3)
    b = MoistureProperties.from_reference("b", 2e-12, 30e3, Csat_kg_per_m3=3.0, Es_J_per_mol=20e3)
    mesh = layered_box(
        (0.4e-3, 0.4e-3),
        [("a", 0.2e-3, 4), ("b", 0.2e-3, 4)],
        0.05e-3,
        order=2,
        faces={"top": plane(2, 0.4e-3)},
    )
    return mesh, {"a": a, "b": b}


def test_the_carried_water_is_solved_as_the_run_says():
    """The projection ``M_new w_new = M_old w_old`` was ``scipy.sparse.linalg.spsolve``
    whatever ``method``: with method = "amg" and maxiter = 1 the profile's carry (its first
    solve: the 85 -> 260 C jump before the piece) now stops there, named; before, the
    carry passed and the piece's time steps stopped instead."""
    mesh, mats = _two_compounds()
    soaked = solve_moisture(mesh, mats, Soak(85.0, 0.85, math.inf), "top", method="direct")
    hot = TemperatureProfile(((0.0, 260.0), (1e-6, 260.0)), name="hot")
    with pytest.raises(IterationLimitError, match=r"target rtol 1\.0e-08") as err:
        solve_moisture(mesh, mats, hot, [], initial=soaked, method="amg", maxiter=1)
    assert str(err.value).startswith("the water carried from 85 C to 260 C: ")
    # solved directly it keeps the water (the projection conserves it exactly)
    at = solve_moisture(mesh, mats, hot, [], initial=soaked, method="direct")
    assert at.total_uptake_mg[-1] == pytest.approx(soaked.total_uptake_mg[-1], rel=1e-9)


# -- a region born in a history ----------------------------------------------------------------


def _coated_box(layers: int, size: float):
    """A base held at its bottom and heated, then coated with a film born hot and cooled:
    a displacement no affine fit carries on, so the film's birth solves for its extension.
    ``layers``: element layers of the film (the base twice as many); ``size`` [m]."""
    mesh = layered_box(
        (2e-3, 1e-3),
        [("base", 0.3e-3, 2 * layers), ("film", 0.2e-3, layers)],
        size,
        order=1,
        faces={"bottom": plane(2, 0.0)},
    )
    mats = {
        "base": Material("base", E=20e9, nu=0.3, alpha=15e-6, k=1.0),
        "film": Material("film", E=130e9, nu=0.28, alpha=3e-6, k=1.0),
    }
    proc = Process(
        [
            Stage("start", 0.0, 25.0),
            Stage("heated", 60.0, 175.0),
            Stage("coated", 10.0, 175.0, add=["film"]),
            Stage("cooled", 60.0, 25.0),
        ]
    )
    return mesh, mats, proc


def test_a_born_region_is_extended_to_the_history_rtol(monkeypatch):
    """The born region's elastic extension solved to 1e-10 (the solve's default) whatever
    the history's ``rtol``; it now takes the history's, as its method and maxiter."""
    mesh, mats, proc = _coated_box(layers=1, size=0.25e-3)
    seen: list[dict] = []
    real = history_step.solve

    def spy(*args, **kw):
        seen.append(kw)
        return real(*args, **kw)

    monkeypatch.setattr(history_step, "solve", spy)
    held = {"bottom": {"x": 0.0, "y": 0.0, "z": 0.0}}
    h = solve_history(mesh, mats, proc, reference=25.0, fixed=held, backend="cpu", rtol=1e-7)
    assert len(h.states) == 4
    assert seen, "the birth solved no extension"
    assert all(kw["rtol"] == 1e-7 for kw in seen), [kw.get("rtol") for kw in seen]
    assert np.isfinite(h["cooled"].displacement).all()


def test_a_born_region_extension_is_as_accurate_as_the_history_rtol():
    """The extension's held rows carried their values in the right-hand side (the whole
    body's displacement, against the forces of a unit modulus on the born region): |b|
    was theirs, and rtol bounded nothing on the free rows. AMG-PCG at the default rtol
    1e-8 left the displacement 2.7e-4 of the largest off the direct solve's (3.9e-2 at
    rtol 1e-4); with their right-hand side zero 3.8e-9 (8.9e-5 at 1e-4). A mesh of 1,542
    nodes, where AMG takes more than one level (on the coarser one above it is exact)."""
    mesh, mats, proc = _coated_box(layers=2, size=0.125e-3)
    held = {"bottom": {"x": 0.0, "y": 0.0, "z": 0.0}}
    kw = {"reference": 25.0, "fixed": held, "backend": "cpu", "rtol": 1e-8}
    direct = solve_history(mesh, mats, proc, method="direct", **kw)
    amg = solve_history(mesh, mats, proc, method="amg", **kw)
    for name in ("coated", "cooled"):
        u_d, u_a = direct[name].displacement, amg[name].displacement
        assert np.abs(u_a - u_d).max() <= 1e-6 * np.abs(u_d).max(), name


@pytest.mark.parametrize("method", ["amg", "jacobi"])
def test_a_steady_soak_on_the_device_is_as_accurate_as_its_rtol(device, method):
    """The device's steady conduction put the fixed values in the right-hand side of
    their identity rows (the host solves the free rows alone): |b| was theirs, and rtol
    bounded nothing on the free rows. A steady soak (the exposed face's wetness 0.85) by
    the device's AMG-PCG (NumPy standing in for CuPy) at rtol 1e-8 was 2.5e-4 off the
    direct solve's wetness, by Jacobi-PCG 1.3e-3 (the host's AMG-PCG 6.5e-9); now 4.1e-9
    and 1.3e-8."""
    mesh, mats = _two_compounds()
    steady = Soak(85.0, 0.85, math.inf)
    ref = solve_moisture(mesh, mats, steady, "top", backend="cpu", method="direct")
    dev = solve_moisture(mesh, mats, steady, "top", backend="gpu", method=method, rtol=1e-8)
    assert np.abs(dev.wetness[-1] - ref.wetness[-1]).max() <= 1e-6
