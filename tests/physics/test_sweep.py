"""Material sweeps on one mesh (:func:`fea.physics.mechanics.solve_thermoelastic_sweep`):
every case against :func:`solve_thermoelastic` of that case alone (a second, independent
path: its own assembly and setup), on a two-layer strip and on the small package."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.materials import Material, Table
from fea.physics.mechanics import solve_thermoelastic, solve_thermoelastic_sweep

from ..verification.helpers import layered_box, plane

METAL = Material("metal", E=120e9, nu=0.34, alpha=17e-6, k=1.0)
MOLD = Material("mold", E=20e9, nu=0.3, alpha=9e-6, k=1.0)


@pytest.fixture(scope="module")
def strip():
    return layered_box(
        (4e-3, 2e-3),
        [("metal", 0.1e-3, 1), ("mold", 0.3e-3, 2)],
        0.5e-3,
        order=2,
        faces={"top": plane(2, 0.4e-3), "bottom": plane(2, 0.0)},
    )


def _cases():
    """Moduli of the mold over a decade, its Poisson's ratio and CTE, the metal's modulus."""
    return [
        {"metal": METAL, "mold": MOLD},
        {"metal": METAL, "mold": replace(MOLD, E=5e9)},
        {"metal": METAL, "mold": replace(MOLD, E=50e9, alpha=12e-6)},
        {"metal": replace(METAL, E=80e9), "mold": replace(MOLD, nu=0.4)},
        {"metal": METAL, "mold": replace(MOLD, alpha=15e-6)},
        {"metal": METAL, "mold": MOLD},
    ]


def _agree(me, ref, tol):
    scale = np.abs(ref.displacement).max()
    assert np.abs(me.displacement - ref.displacement).max() <= tol * scale
    assert np.abs(me.stress_q - ref.stress_q).max() <= 10 * tol * np.abs(ref.stress_q).max()


@pytest.mark.parametrize("method", ["direct", "amg-xp"])
def test_sweep_equals_each_case_alone(strip, method):
    """Six cases (moduli, Poisson's ratio, CTE) of a free strip at 260 degC, reference
    175 degC: each within 1e-8 relative of its own solve (residuals 1e-11), all with the
    one setup of the nominal stiffness (the geometric mean), by batched PCG."""
    cases = _cases()
    res = solve_thermoelastic_sweep(
        strip, cases, 260.0, 175.0, backend="cpu", method=method, rtol=1e-11
    )
    for c, me in zip(cases, res, strict=True):
        ref = solve_thermoelastic(strip, c, 260.0, 175.0, backend="cpu", method="direct")
        _agree(me, ref, 1e-8)
        sweep = me.solver_info["sweep"]
        assert sweep["how"] == "preconditioned" and sweep["setups"] == 1 and sweep["cases"] == 6
        assert me.solver_info["residual"] <= 1e-10
    # the far case (the mold at a quarter of the nominal's modulus) needs the most
    its = [me.solver_info["sweep"]["iterations"] for me in res]
    assert its[1] == max(its) and its[0] == its[5]


def test_nominal_case_block_and_own_fallback(strip):
    """With case 0 as the nominal, the cases of its stiffness (0, 4: CTE only, and 5) are
    one block solve with its factor; capped at 3 iterations, the farther cases fall back
    to their own factorisation; a clamped bottom face and per-case temperatures and
    eigenstrains ride along. Every case within 1e-10 of its own solve."""
    cases = _cases()
    temps = [260.0, 25.0, lambda x, y, z: 100.0 + 4e4 * x, 200.0, 150.0, 260.0]
    swell = [None, 1e-3, None, None, None, 2e-3]
    fixed = {"bottom": {"z": 0.0}}
    res = solve_thermoelastic_sweep(
        strip,
        cases,
        temps,
        175.0,
        fixed,
        backend="cpu",
        method="direct",
        eigenstrains=swell,
        nominal=0,
        maxiter=3,
    )
    how = [me.solver_info["sweep"]["how"] for me in res]
    assert how == ["nominal", "own", "own", "own", "nominal", "nominal"]
    assert res[0].solver_info["sweep"]["setups"] == 4
    for c, T, sw, me in zip(cases, temps, swell, res, strict=True):
        ref = solve_thermoelastic(
            strip, c, T, 175.0, fixed, backend="cpu", method="direct", eigenstrain=sw
        )
        _agree(me, ref, 1e-10)
        assert not me.solver_info["free_body"]


def test_moduli_that_are_not_a_region_multiple_are_solved_on_their_own(strip):
    """E(T) with a kink between 120 and 140 degC under a temperature gradient: the mold's
    moduli are no multiple of one field, so each distinct stiffness gets its own setup
    (and the two equal cases share one); results as alone."""
    soft = replace(MOLD, E=Table((25.0, 120.0, 140.0), (20e9, 20e9, 2e9)))
    cases = [
        {"metal": METAL, "mold": soft},
        {"metal": METAL, "mold": MOLD},
        {"metal": METAL, "mold": soft},
    ]
    T = lambda x, y, z: 100.0 + 2e4 * x  # noqa: E731  (60 to 140 degC over the strip)
    res = solve_thermoelastic_sweep(strip, cases, T, 175.0, backend="cpu", method="direct")
    assert [me.solver_info["sweep"]["how"] for me in res] == ["own"] * 3
    assert res[0].solver_info["sweep"]["setups"] == 2
    for c, me in zip(cases, res, strict=True):
        _agree(me, solve_thermoelastic(strip, c, T, 175.0, backend="cpu", method="direct"), 1e-10)


def test_sweep_refuses_bad_input(strip):
    cases = _cases()[:2]
    with pytest.raises(InputError, match="materials"):
        solve_thermoelastic_sweep(strip, {"metal": METAL, "mold": MOLD}, backend="cpu")
    with pytest.raises(InputError, match="materials"):
        solve_thermoelastic_sweep(strip, [], backend="cpu")
    with pytest.raises(InputError, match="temperatures"):
        solve_thermoelastic_sweep(strip, cases, [25.0, 50.0, 75.0], backend="cpu")
    with pytest.raises(InputError, match="eigenstrains"):
        solve_thermoelastic_sweep(strip, cases, eigenstrains=[None], backend="cpu")
    with pytest.raises(InputError, match="nominal"):
        solve_thermoelastic_sweep(strip, cases, nominal=2, backend="cpu")
    with pytest.raises(InputError, match="maxiter"):
        solve_thermoelastic_sweep(strip, cases, maxiter=0, backend="cpu")
    with pytest.raises(InputError, match=r"materials\[1\]"):
        solve_thermoelastic_sweep(strip, [cases[0], {"dye": MOLD}], backend="cpu")


def _package_cases():
    from fea.physics.materials import get

    base = {
        "shell": get("copper"),
        "dielectric": get("polyimide"),
        "die": get("silicon"),
        "die_attach": get("die_attach"),
        "encapsulant": get("mold_compound"),
        "terminals": get("sac305"),
    }
    enc, da = base["encapsulant"], base["die_attach"]
    return [
        base,
        dict(base, encapsulant=replace(enc, E=Table(enc.E.T, [0.5 * v for v in enc.E.values]))),
        dict(base, encapsulant=replace(enc, E=Table(enc.E.T, [2.0 * v for v in enc.E.values]))),
        dict(base, die_attach=replace(da, E=3.0 * da.E, alpha=0.5 * da.alpha)),
    ]


REFERENCE = {"encapsulant": 175.0, "*": 25.0}


def test_sweep_on_the_package(mesh):
    """The reference package mesh (every region), four cases (the encapsulant's
    temperature-dependent modulus halved and doubled, the die attach stiffer and with
    half its CTE) at 25 degC: each within 1e-8 of its own solve, one setup."""
    cases = _package_cases()
    res = solve_thermoelastic_sweep(
        mesh, cases, 25.0, REFERENCE, backend="cpu", method="direct", rtol=1e-10
    )
    assert res[0].solver_info["sweep"]["setups"] == 1
    for c, me in zip(cases, res, strict=True):
        ref = solve_thermoelastic(mesh, c, 25.0, REFERENCE, backend="cpu", method="direct")
        _agree(me, ref, 1e-8)
        assert me.solver_info["sweep"]["how"] == "preconditioned"


def test_sweep_on_the_device_path_of_the_package(mesh, device):
    """The same sweep on the device path (assembly, the nominal hierarchy, batched PCG and
    the stresses in the device namespace, through the NumPy stand-in): each case within
    1e-7 of the host's own solve."""
    cases = _package_cases()[:3]
    res = solve_thermoelastic_sweep(mesh, cases, 25.0, REFERENCE, backend="gpu", rtol=1e-10)
    for c, me in zip(cases, res, strict=True):
        assert me.solver_info["backend"] == "gpu" and type(me.displacement) is np.ndarray
        ref = solve_thermoelastic(mesh, c, 25.0, REFERENCE, backend="cpu", method="direct")
        _agree(me, ref, 1e-7)
