"""Mesh convergence of the junction temperature through the low-k films.

The heat of the die reaches the balls through the die attach and the dielectric
(25 + 50 um, k = 0.2 W/(m K)) and funnels into the ball contacts (radius 0.13 mm)
through a constriction about one film thickness wide. Elements much wider than the
film there make the conduction too stiff: with the film meshed at the global size the
baseline's Tj was 20 K low. ``mesh.film_size`` (default 3 x the thicker film) sets the
in-plane size in the films; this test shows the rise converging with it and the
default landing close to the converged value.
"""

from __future__ import annotations

import copy

import pytest

from fea.package.meshing import build_mesh, film_size
from fea.package.spec import parse_study
from fea.physics.thermal import solve_thermal

SPEC = {
    "study": {"name": "film"},
    "geometry": {
        "cavity_mm": [3.2, 3.2],
        "cavity_depth_mm": 0.5,
        "die": {"size_mm": [2.0, 2.0], "thickness_mm": 0.25},
        "openings": {"kind": "none"},
        "terminals": {"kind": "balls", "rows": 3, "cols": 3, "pitch_mm": 0.8},
    },
    "mesh": {"size_mm": 0.5, "terminal_size_mm": 0.1},
    "loads": {"power_W": {"die": 0.2}},
    "solver": {"backend": "cpu"},
}


def _rise(film_mm: float | None) -> tuple[float, float]:
    """(Tj - T_tips [K] with the ball tips held at 25 degC, film size used [m])."""
    spec = copy.deepcopy(SPEC)
    if film_mm is not None:
        spec["mesh"]["film_size_mm"] = film_mm
    case = parse_study(spec).base
    mesh, _ = build_mesh(case)
    th = solve_thermal(
        mesh, case.materials, sources={"die": 0.2}, fixed={"terminal_tips": 25.0}, backend="cpu"
    )
    assert th.heat_balance() < 1e-8
    return th.region_max("die") - 25.0, film_size(case)


def test_junction_rise_converges_with_the_film_size():
    coarse, h0 = _rise(0.5)  # films at the global size: the old behaviour
    default, h_default = _rise(None)
    fine, _ = _rise(0.1)
    finest, _ = _rise(0.07)
    assert h0 == pytest.approx(0.5e-3) and h_default == pytest.approx(0.15e-3)
    # converged: the two finest agree to 1 %; the sequence rises towards them
    assert finest == pytest.approx(fine, rel=0.01)
    assert coarse < default < fine
    # the default is within 5 % of the converged rise; the global size alone is not
    assert default == pytest.approx(finest, rel=0.05)
    assert coarse < 0.75 * finest
