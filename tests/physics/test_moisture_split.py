"""Moisture on a quadratic mesh solved on the linear mesh of its nodes (``split_p2``):
the same arrays as before, the water kept, Crank's sheet, and fields between the nodes
that are those of the split mesh."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.refine import child_nodes
from fea.physics.moisture import (
    Soak,
    TemperatureProfile,
    hygroscopic_strain,
    interface_vapour_pressure,
    solve_moisture,
)
from fea.physics.moisture_data import MoistureProperties, get, p_sat

from ..verification.helpers import layered_box, plane

EMC = get("mold_compound")
SIZE, T_DIE, T_EMC = 0.2e-3, 0.1e-3, 0.2e-3
MATS = {"die": "silicon", "emc": "mold_compound"}


def _box(order: int):
    return layered_box(
        (SIZE, SIZE),
        [("die", T_DIE, 1), ("emc", T_EMC, 2)],
        0.1e-3,
        order=order,
        faces={"top": plane(2, T_DIE + T_EMC), "bottom": plane(2, 0.0)},
    )


@pytest.fixture(scope="module")
def quadratic():
    return _box(2)


@pytest.fixture(scope="module")
def reflowed(quadratic):
    """MSL3 then the J-STD-020 reflow, split and not."""
    return {
        split: solve_moisture(
            quadratic, MATS, ["MSL3", "JSTD020_PbFree_260"], "top", outputs=4, split_p2=split
        )
        for split in (False, True)
    }


def test_split_results_have_the_shapes_of_the_quadratic_ones(quadratic, reflowed):
    a, b = reflowed[False], reflowed[True]
    assert b.mesh is quadratic and b.space.n == a.space.n
    assert b.wetness.shape == a.wetness.shape
    np.testing.assert_array_equal(b.times, a.times)
    np.testing.assert_array_equal(b.temperature_C, a.temperature_C)
    assert b.concentration().shape == a.concentration().shape
    assert b.element_concentration().shape == (quadratic.n_elements,)
    assert hygroscopic_strain(b).shape == hygroscopic_strain(a).shape
    for name, (values, kind) in b.fields().items():
        assert values.shape == a.fields()[name][0].shape and kind == a.fields()[name][1]
    # the die is impermeable: its nodes off the compound stay dry
    die_only = np.setdiff1d(b.region_nodes("die"), b.region_nodes("emc"))
    assert np.all(b.wetness[:, die_only] == 0.0)
    # the same soak and reflow, discretised differently (2 quadratic elements through the
    # compound): the water at the end of the soak (saturated: measured +5e-6) and of the
    # reflow, which dries the compound's top, where the two differ most (the split mesh
    # keeps more: measured +11.8 %; +7 % with 8 elements, both still converging)
    soak_end = int(np.flatnonzero(a.stage == 0)[-1])
    assert b.total_uptake_mg[soak_end] == pytest.approx(a.total_uptake_mg[soak_end], rel=1e-4)
    assert 1.0 < b.total_uptake_mg[-1] / a.total_uptake_mg[-1] < 1.15


def test_fields_between_the_nodes_are_the_split_mesh_s(reflowed):
    res = reflowed[True]
    k = res.peak_step()
    w = res.wetness[k]
    csat = float(EMC.csat(float(res.temperature_C[k])))
    emc = res.mesh.regions["emc"]
    kids = child_nodes(res.mesh)[emc]  # (n, 8, 4)
    # element mean: the mean over 8 children of equal volume of their nodes' means
    np.testing.assert_allclose(
        res.element_concentration(k)[emc], csat * w[kids].mean(axis=(1, 2)), rtol=1e-12
    )
    # at the quadrature points: a convex combination of the element's nodes, never
    # outside their range (a quadratic interpolation can be, between unequal nodes)
    c = res.concentration(k)[emc] / csat
    nodal = w[res.space.dofs[emc]]
    assert np.all(c <= nodal.max(axis=1)[:, None] * (1 + 1e-12))
    assert np.all(c >= nodal.min(axis=1)[:, None] * (1 - 1e-12))
    # the interface pressure: the area mean of the field on each facet's 4 children
    vp = interface_vapour_pressure(res, k)["die|emc"]
    assert 0.0 < vp.mean_Pa <= vp.max_Pa <= float(p_sat(260.0)) * w.max()


def test_a_sealed_split_body_keeps_its_water_through_temperature_changes(quadratic):
    # two polymers whose solubilities follow T differently: the wetness is carried with the
    # split mesh's capacity, so the water is the same at every state
    a = MoistureProperties.from_reference("a", 5e-12, 40e3, Csat_kg_per_m3=6.0, Es_J_per_mol=45e3)
    b = MoistureProperties.from_reference("b", 2e-12, 30e3, Csat_kg_per_m3=3.0, Es_J_per_mol=20e3)
    mats = {"die": a, "emc": b}
    wet = solve_moisture(quadratic, mats, Soak(85.0, 0.85, 2.0), "top", split_p2=True)
    hot = solve_moisture(
        quadratic,
        mats,
        [TemperatureProfile(((0.0, 85.0), (60.0, 200.0)), max_step_K=20.0)],
        exposed=[],
        initial=wet,
        split_p2=True,
    )
    np.testing.assert_allclose(hot.total_uptake_mg, wet.total_uptake_mg[-1], rtol=1e-7)
    assert hot.wetness.max() <= wet.wetness[-1].max() * float(a.csat(85.0) / a.csat(200.0))


def test_a_split_soak_against_crank_s_sheet(quadratic):
    # 0.2 mm of compound, one face open, 1 h and 10 h at 85 degC (D = 3e-12 m^2/s):
    # M_t / M_inf = 1 - sum 8 / ((2n+1)^2 pi^2) exp(-(2n+1)^2 pi^2 D t / (4 L^2)). The
    # split mesh has the linear elements' accuracy (measured +0.42 % and +2.0e-5; the
    # quadratic elements -0.017 % and -1.5e-7 on this mesh)
    for hours, tol in ((1.0, 0.01), (10.0, 5e-5)):
        res = solve_moisture(
            quadratic, MATS, Soak(85.0, 0.85, hours), "top", outputs=1, split_p2=True
        )
        tau = 3e-12 * hours * 3600.0 / T_EMC**2
        f = 1.0 - sum(
            8.0
            / ((2 * n + 1) ** 2 * math.pi**2)
            * math.exp(-((2 * n + 1) ** 2) * math.pi**2 / 4 * tau)
            for n in range(50)
        )
        hand = 6.0 * SIZE * SIZE * T_EMC * 1e6 * f  # Csat(85/85) V, mg
        assert res.total_uptake_mg[-1] == pytest.approx(hand, rel=tol)


def test_saturated_split_by_hand(quadratic):
    res = solve_moisture(quadratic, MATS, Soak(85.0, 0.85, math.inf), "top", split_p2=True)
    emc = res.mesh.regions["emc"]
    np.testing.assert_allclose(res.element_concentration()[emc], 6.0, rtol=1e-9)
    np.testing.assert_allclose(res.concentration()[emc], 6.0, rtol=1e-9)
    assert res.uptake_mg["emc"][-1] == pytest.approx(6.0 * SIZE * SIZE * T_EMC * 1e6, rel=1e-9)
    vp = interface_vapour_pressure(res)["die|emc"]
    assert vp.max_Pa == pytest.approx(0.85 * float(p_sat(85.0)), rel=1e-9)
    assert vp.mean_Pa == pytest.approx(vp.max_Pa, rel=1e-9)


def test_split_has_no_effect_on_a_linear_mesh():
    mesh = _box(1)
    runs = [
        solve_moisture(mesh, MATS, ["MSL3", "JSTD020_PbFree_260"], "top", outputs=3, split_p2=s)
        for s in (False, True)
    ]
    np.testing.assert_array_equal(runs[0].wetness, runs[1].wetness)
    np.testing.assert_array_equal(runs[0].concentration(), runs[1].concentration())


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_split_p2_that_is_not_a_bool_is_refused(quadratic, value):
    with pytest.raises(InputError) as e:
        solve_moisture(quadratic, MATS, "MSL3", "top", split_p2=value)
    assert (e.value.key, e.value.value) == ("split_p2", value)
