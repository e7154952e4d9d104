"""Patch tests, manufactured-solution convergence rates and a transient closed form."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skfem import Basis, ElementTetP1, ElementTetP2, LinearForm, MeshTet1

from fea.fe import forms as asm
from fea.fe.mesh import Mesh, PlausibilityWarning
from fea.fe.spaces import space
from fea.physics.constitutive import lame
from fea.physics.materials import Material
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.thermal import Transient, solve_thermal
from fea.solvers import solve

from .helpers import layered_box, plane


def test_free_block_common_cte_is_stress_free():
    """Three materials, one CTE, uniform dT, free body: zero stress, exact displacement."""
    mesh = layered_box((2e-3, 1e-3), [("a", 0.3e-3, 1), ("b", 0.2e-3, 1), ("c", 0.4e-3, 1)], 0.4e-3)
    alpha, dT = 12e-6, -150.0
    mats = {
        "a": Material("a", E=200e9, nu=0.3, alpha=alpha, k=1.0),
        "b": Material("b", E=3e9, nu=0.45, alpha=alpha, k=1.0),
        "c": Material("c", E=70e9, nu=0.2, alpha=alpha, k=1.0),
    }
    me = solve_thermoelastic(mesh, mats, 25.0 + dT, 25.0, backend="cpu")
    scale = 200e9 * alpha * abs(dT)
    assert np.abs(me.stress).max() <= 1e-9 * scale
    x = me.nodes - me.nodes.mean(axis=0)
    assert np.allclose(me.displacement, alpha * dT * x, rtol=0, atol=1e-9 * alpha * abs(dT) * 2e-3)
    assert me.reactions < 1e-9


def test_partial_dirichlet_keeps_prescribed_values():
    mesh = layered_box(
        (2e-3, 1e-3), [("a", 0.5e-3, 1)], 0.5e-3, order=1, faces={"bottom": plane(2, 0.0)}
    )
    m = {"a": Material("a", E=100e9, nu=0.3, alpha=10e-6, k=1.0)}
    me = solve_thermoelastic(mesh, m, 125.0, 25.0, fixed={"bottom": {"z": 0.0}}, backend="cpu")
    z0 = me.nodes[:, 2] < 1e-12
    assert np.abs(me.displacement[z0, 2]).max() < 1e-15
    # free in x and y on a frictionless base: uniform expansion, no stress
    assert np.abs(me.stress).max() < 1e-6 * 100e9 * 1e-3
    assert me.probe([[2e-3, 1e-3, 0.5e-3]])[0, 2] == pytest.approx(10e-6 * 100 * 0.5e-3, rel=1e-9)


def _unit_cube(n: int, order: int) -> Mesh:
    m = MeshTet1.init_tensor(*[np.linspace(0, 1, n + 1)] * 3)
    # a unit cube in metres on purpose (the forms do not care about scale): no size warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        return Mesh(m, m, {"body": np.arange(m.t.shape[1])}, {}, order=order)


def _rate(hs, errs) -> float:
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def _l2_error(fs, u, exact) -> float:
    b = Basis(fs.mesh.p1, fs.basis.elem, intorder=6)
    uh = b.interpolate(u)
    x = b.global_coordinates()
    return float(np.sqrt(np.sum((np.asarray(uh) - exact(x)) ** 2 * b.dx)))


@pytest.mark.parametrize(("order", "expected"), [(1, 2.0), (2, 3.0)])
def test_conduction_mms_rate(order, expected):
    """-div(k grad T) = f with T = sin(pi x) sin(pi y) sin(pi z), T = 0 on the boundary."""
    k = 3.0

    def exact(x):
        return np.sin(np.pi * x[0]) * np.sin(np.pi * x[1]) * np.sin(np.pi * x[2])

    hs, errs = [], []
    for n in (3, 5, 8) if order == 1 else (2, 3, 5):
        mesh = _unit_cube(n, order)
        fs = space(mesh)
        K = asm.conduction_matrix(fs, np.full(mesh.n_elements, k))
        f = LinearForm(lambda v, w: 3 * np.pi**2 * k * exact(w.x) * v).assemble(
            Basis(mesh.p1, ElementTetP2() if order == 2 else ElementTetP1(), intorder=6)
        )
        D = fs.basis.get_dofs().all()
        free = np.setdiff1d(np.arange(fs.n), D)
        u = np.zeros(fs.n)
        u[free], _ = solve(K[free][:, free], f[free], backend="cpu")
        hs.append(1.0 / n)
        errs.append(_l2_error(fs, u, exact))
    assert _rate(hs, errs) == pytest.approx(expected, abs=0.3)


@pytest.mark.parametrize(("order", "expected"), [(1, 2.0), (2, 3.0)])
def test_elasticity_mms_rate(order, expected):
    """Manufactured body-force problem: u = (s, s, s) * 1e-3, s = sin(pi x) sin(pi y) sin(pi z)."""
    E, nu = 1.0, 0.3
    lam, mu = lame(np.array(E), np.array(nu))
    hs, errs = [], []
    for n in (3, 5, 8) if order == 1 else (2, 3, 5):
        mesh = _unit_cube(n, order)
        fs = space(mesh)
        K = asm.elasticity_matrix(
            fs, *lame(np.full(mesh.n_elements, E), np.full(mesh.n_elements, nu))
        )
        b = Basis(mesh.p1, fs.basis.elem, intorder=6)

        def body(v, w, comp):
            x, y, z = w.x
            s, c = np.sin, np.cos
            pi = np.pi
            # f = -div sigma for u_i = S (all components equal), S = sin sin sin
            S = s(pi * x) * s(pi * y) * s(pi * z)
            d2 = {  # second derivatives of S
                (0, 1): pi**2 * c(pi * x) * c(pi * y) * s(pi * z),
                (0, 2): pi**2 * c(pi * x) * s(pi * y) * c(pi * z),
                (1, 2): pi**2 * s(pi * x) * c(pi * y) * c(pi * z),
            }
            grad_div = -(pi**2) * S + sum(
                d2[tuple(sorted((comp, j)))] for j in range(3) if j != comp
            )
            return -((lam + mu) * grad_div - mu * 3 * pi**2 * S) * v

        f = np.zeros(3 * fs.n)
        for comp in range(3):
            f[comp::3] = LinearForm(lambda v, w, c=comp: body(v, w, c)).assemble(b)
        nodes = fs.basis.get_dofs().all()
        D = np.concatenate([3 * nodes + c for c in range(3)])
        free = np.setdiff1d(np.arange(3 * fs.n), D)
        u = np.zeros(3 * fs.n)
        u[free], _ = solve(K[free][:, free], f[free], kind="elasticity", backend="cpu")

        def exact(x):
            return np.sin(np.pi * x[0]) * np.sin(np.pi * x[1]) * np.sin(np.pi * x[2])

        err = np.sqrt(sum(_l2_error(fs, u[c::3], exact) ** 2 for c in range(3)))
        hs.append(1.0 / n)
        errs.append(err)
    assert _rate(hs, errs) == pytest.approx(expected, abs=0.3)


def test_transient_slab_against_fourier_series():
    """Slab 0 < z < L at T0, both faces held at 0 from t = 0: centre temperature series."""
    L, k, rho, cp, T0 = 1e-3, 1.0, 1000.0, 1000.0, 100.0
    mesh = layered_box(
        (0.2e-3, 0.2e-3),
        [("s", L, 1)],
        0.05e-3,
        order=2,
        faces={"z0": plane(2, 0.0), "z1": plane(2, L)},
    )
    a = k / (rho * cp)
    t_end = 0.1 * L**2 / a
    th = solve_thermal(
        mesh,
        {"s": Material("s", E=1e9, nu=0.3, alpha=1e-6, k=k, rho=rho, cp=cp)},
        fixed={"z0": 0.0, "z1": 0.0},
        transient=Transient(t_end, t_end / 200, initial_C=T0, theta=0.5),
        backend="cpu",
    )
    series = sum(
        4 * T0 / (np.pi * n) * np.sin(n * np.pi / 2) * np.exp(-((n * np.pi / L) ** 2) * a * t_end)
        for n in range(1, 200, 2)
    )
    assert th.probe([[0.1e-3, 0.1e-3, L / 2]])[0] == pytest.approx(series, rel=5e-3)
    assert th.history.shape == (201, th.temperature.shape[0])
    assert th.times[-1] == pytest.approx(t_end)


def test_time_dependent_fixed_temperature_and_picard():
    mesh = layered_box(
        (0.2e-3, 0.2e-3),
        [("s", 1e-3, 1)],
        0.1e-3,
        order=1,
        faces={"z0": plane(2, 0.0), "z1": plane(2, 1e-3)},
    )
    from fea.physics.materials import Table

    m = Material("s", E=1e9, nu=0.3, alpha=1e-6, k=Table((0.0, 100.0), (1.0, 2.0)))
    th = solve_thermal(mesh, {"s": m}, fixed={"z0": 0.0, "z1": 100.0}, backend="cpu")
    # k = 1 + T/100: Kirchhoff transform gives T(z) with T + T^2/200 linear in z
    z = 0.5e-3
    theta = (100 + 100**2 / 200) * z / 1e-3
    T_exact = -100 + np.sqrt(100**2 + 200 * theta)
    assert th.probe([[0.1e-3, 0.1e-3, z]])[0] == pytest.approx(T_exact, rel=2e-3)
    assert th.solver_info["picard_iterations"] > 1
    tr = solve_thermal(
        mesh,
        {"s": Material("s", E=1e9, nu=0.3, alpha=1e-6, k=1.0)},
        fixed={"z0": lambda t: 10.0 * t, "z1": 0.0},
        transient=Transient(1.0, 0.25),
        backend="cpu",
    )
    assert tr.probe([[0.1e-3, 0.1e-3, 0.0]])[0] == pytest.approx(10.0)
