"""Published and closed-form answers from shared/validation, through the public API."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.thermal import solve_thermal

from ..conftest import validation_case
from .helpers import layered_box, plane


def test_composite_slab():
    case = validation_case("composite_slab")
    layers = [(L["name"], L["thickness_m"], 1) for L in case["layers"]]
    z_end = sum(L["thickness_m"] for L in case["layers"])
    mesh = layered_box(
        (1e-3, 1e-3), layers, 0.3e-3, order=2, faces={"hot": plane(2, 0.0), "cold": plane(2, z_end)}
    )
    mats = {
        L["name"]: Material(L["name"], E=1e9, nu=0.3, alpha=1e-6, k=L["k"]) for L in case["layers"]
    }
    th = solve_thermal(
        mesh,
        mats,
        flux={"hot": case["q_W_per_m2"]},
        convection={"cold": (case["h_W_per_m2K"], case["T_inf_C"])},
        backend="cpu",
    )
    T = th.probe([[0.5e-3, 0.5e-3, 0.0], [0.0, 0.0, 0.0], [1e-3, 1e-3, 0.0]])
    assert np.abs(T - case["answers"]["T_hot_face_C"]).max() < case["tolerance_absolute_K"]
    # interface temperatures of the piecewise-linear closed form
    q, z, Tz = case["q_W_per_m2"], 0.0, case["answers"]["T_hot_face_C"]
    for L in case["layers"]:
        z += L["thickness_m"]
        Tz -= q * L["thickness_m"] / L["k"]
        assert th.probe([[0.3e-3, 0.6e-3, z]])[0] == pytest.approx(
            Tz, abs=case["tolerance_absolute_K"]
        )
    assert th.heat_balance() < 1e-9


@pytest.fixture(scope="module")
def bimetal():
    case = validation_case("bimetal_strip")
    g = case["geometry_m"]
    # Roark's strip is 10 m long: fea warns that it may have been drawn in millimetres
    with pytest.warns(UserWarning, match="read as metres"):
        mesh = layered_box(
            (g["length"], g["width"]),
            [("bottom", g["t_bottom"], 1), ("top", g["t_top"], 1)],
            0.1,
            faces={"sym": plane(0, 0.0)},
        )
    mats = {
        k: Material(k, E=v["E_Pa"], nu=v["nu"], alpha=v["alpha_per_K"], k=1.0)
        for k, v in case["materials"].items()
    }
    T = case["temperature"]
    me = solve_thermoelastic(
        mesh, mats, T["final_C"], T["reference_C"], fixed={"sym": {"x": 0.0}}, backend="cpu"
    )
    return case, me


def test_bimetal_strip(bimetal):
    case, me = bimetal
    g = case["geometry_m"]
    L, W, tb = g["length"], g["width"], g["t_bottom"]
    tol = case["tolerance_relative"]
    u = me.probe([[L, W / 2, tb], [0.0, W / 2, tb]])
    ans = case["answers"]
    assert u[0, 0] - u[1, 0] == pytest.approx(ans["tip_axial_displacement_m"], rel=tol)
    assert u[0, 2] - u[1, 2] == pytest.approx(ans["tip_deflection_m"], rel=tol)
    s = me.stress_probe([[0.25, W / 2, 0.0]])
    assert s[0, 0, 0] == pytest.approx(ans["bottom_surface_sigma_xx_Pa_near_x0"], rel=tol)
    # the two extra supports added for the remaining rigid modes carry no load
    assert me.reactions < 1e-6


def test_timoshenko_bilayer():
    case = validation_case("timoshenko_bilayer")
    c = case["case"]
    L1, L2 = c["layer1"], c["layer2"]
    a = c["plate_mm"][0] * 1e-3
    mesh = layered_box(
        (a, a),
        [("l1", L1["h_m"], 2), ("l2", L2["h_m"], 2)],
        1.0e-3,
        faces={"top": plane(2, L1["h_m"] + L2["h_m"])},
    )
    mats = {
        "l1": Material("l1", E=L1["E_Pa"], nu=L1["nu"], alpha=L1["alpha_per_K"], k=1.0),
        "l2": Material("l2", E=L2["E_Pa"], nu=L2["nu"], alpha=L2["alpha_per_K"], k=1.0),
    }
    me = solve_thermoelastic(mesh, mats, 25.0 + c["dT_K"], 25.0, backend="cpu")
    assert me.solver_info["free_body"] and me.reactions < 1e-6
    # mid-plane curvature away from the edges from a quadratic fit
    x = np.linspace(0.3 * a, 0.7 * a, 9)
    X, Y = np.meshgrid(x, x)
    zmid = 0.5 * (L1["h_m"] + L2["h_m"])
    pts = np.column_stack([X.ravel(), Y.ravel(), np.full(X.size, zmid)])
    w = me.probe(pts)[:, 2]
    xx, yy = pts[:, 0] - a / 2, pts[:, 1] - a / 2
    A = np.column_stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy])
    coef = np.linalg.lstsq(A, w, rcond=None)[0]
    kappa = -(coef[3] + coef[5])  # mean of -w_xx/2*2, -w_yy/2*2
    assert abs(kappa) == pytest.approx(
        case["answers"]["curvature_magnitude_per_m"], rel=case["tolerance_relative"]
    )
    # on cooling the plate bends concave towards layer2 (z above layer1): centre below edges
    # seen from layer2 means the surface of layer2 is concave, i.e. w_xx > 0 there
    assert coef[3] > 0 and coef[5] > 0
