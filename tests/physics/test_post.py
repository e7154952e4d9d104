"""Recovered fields for display, the yield check, and region extremes with locations."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.spaces import space
from fea.physics.constitutive import von_mises
from fea.physics.materials import get
from fea.physics.mechanics import solve_thermoelastic
from fea.physics.post import (
    MoltenRegion,
    YieldExceedance,
    molten_check,
    yield_check,
    yield_ratios,
)

from ..verification.helpers import layered_box, plane


def hand_von_mises(voigt: np.ndarray) -> np.ndarray:
    """Von Mises stress from the principal stresses s1, s2, s3 of Voigt stresses
    (xx, yy, zz, yz, xz, xy): sqrt(((s1 - s2)^2 + (s2 - s3)^2 + (s3 - s1)^2) / 2)."""
    v = np.asarray(voigt, float)
    t = np.zeros(v.shape[:-1] + (3, 3))
    for k, (i, j) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        t[..., i, j] = t[..., j, i] = v[..., k]
    s1, s2, s3 = np.moveaxis(np.linalg.eigvalsh(t), -1, 0)
    return np.sqrt(0.5 * ((s1 - s2) ** 2 + (s2 - s3) ** 2 + (s3 - s1) ** 2))


def test_von_mises_of_hand_made_stresses():
    """Textbook cases: uniaxial sigma -> sigma; pure shear tau -> sqrt(3) tau (in any
    shear slot); equibiaxial sigma -> sigma; hydrostatic -> 0; the formula of principal
    stresses for a general tensor."""
    s = 1e8
    cases = {
        (s, 0, 0, 0, 0, 0): s,
        (0, 0, 0, 0, 0, s): np.sqrt(3) * s,
        (0, 0, 0, s, 0, 0): np.sqrt(3) * s,
        (0, 0, 0, 0, s, 0): np.sqrt(3) * s,
        (s, s, 0, 0, 0, 0): s,
        (-s, -s, -s, 0, 0, 0): 0.0,
    }
    for voigt, expected in cases.items():
        assert von_mises(np.array(voigt, float)) == pytest.approx(expected, abs=1e-6), voigt
    rng = np.random.default_rng(3)
    general = rng.normal(scale=s, size=(50, 6))
    assert von_mises(general) == pytest.approx(hand_von_mises(general), rel=1e-12)


@pytest.fixture(scope="module")
def cu_on_si():
    """Copper on silicon cooled by 250 K: the copper is stressed well past yield."""
    mesh = layered_box(
        (4e-3, 4e-3),
        [("die", 0.3e-3, 1), ("shell", 0.05e-3, 1)],
        1e-3,
        faces={"top": plane(2, 0.35e-3)},
    )
    mats = {"die": get("silicon"), "shell": get("copper")}
    return mesh, solve_thermoelastic(mesh, mats, -25.0, 225.0, backend="cpu")


def test_yield_check_names_region_and_location(cu_on_si):
    mesh, me = cu_on_si
    found = me.yield_check()
    assert [x.region for x in found] == ["shell"]  # silicon has no proof stress
    x = found[0]
    assert isinstance(x, YieldExceedance) and x.material == "copper"
    assert x.yield_strength == pytest.approx(200e6)
    assert x.von_mises > x.yield_strength
    # the largest von Mises stress of the copper's vertices, from their principal stresses
    verts, vals = me.recovered.region("shell")
    vm_hand = hand_von_mises(vals)
    assert x.von_mises == pytest.approx(vm_hand.max(), rel=1e-9)
    assert x.location == pytest.approx(mesh.p1.p[:, verts[np.argmax(vm_hand)]], abs=1e-12)
    assert 0.0 < x.fraction <= 1.0
    assert np.all(x.location >= -1e-12) and x.location[2] >= 0.3e-3 - 1e-12  # in the copper
    text = x.message()
    assert "shell (copper)" in text and "200 MPa" in text and "mm" in text
    e = me.region_extreme("shell")
    assert e.value == pytest.approx(vm_hand.max(), rel=1e-9) and e.where_mm().endswith("mm")


def test_a_solder_above_its_solidus_is_noted_molten_not_checked_for_yield():
    """SAC305 on silicon heated to a 260 degC reflow peak from 25 degC: the elastic model
    stresses the solder past its 35 MPa proof stress, but it is above its 217 degC
    solidus (molten): no yield exceedance or ratio there, a MoltenRegion instead. The
    same solder at 200 degC (below the solidus) is checked for yield as before."""
    mesh = layered_box((4e-3, 4e-3), [("die", 0.3e-3, 1), ("joint", 0.1e-3, 1)], 1e-3)
    sac = get("sac305")
    assert sac.solidus == 217.0 and get("copper").solidus is None
    mats = {"die": get("silicon"), "joint": sac}
    hot = solve_thermoelastic(mesh, mats, 260.0, 25.0, backend="cpu")
    warm = solve_thermoelastic(mesh, mats, 200.0, 25.0, backend="cpu")
    verts, vals = hot.recovered.region("joint")
    vm = von_mises(vals)
    assert vm.max() > 35e6  # the elastic solder stress passes the proof stress
    assert hot.yield_check() == [] and "joint" not in yield_ratios(
        hot.recovered, mats, hot.temperature
    )
    (m,) = hot.molten_check()
    assert isinstance(m, MoltenRegion) and (m.region, m.material) == ("joint", "sac305")
    assert m.solidus == 217.0 and m.temperature_max == pytest.approx(260.0)
    assert m.fraction == 1.0 and m.von_mises == pytest.approx(vm.max(), rel=1e-12)
    text = m.message()
    assert "joint (sac305) is above its 217 degC solidus" in text and "molten" in text
    assert "(up to 260 degC, 100 % of its nodes)" in text  # not '1e+02 %'
    y = YieldExceedance("shell", "copper", 3e8, 2e8, np.zeros(3), 1.0).message()
    assert "(100 % of its nodes)" in y
    # beyond local yielding the note says how to run the elastic-plastic analysis it asks for
    assert 'base = "copper", plasticity' in y and "docs/inelastic.md" in y
    local = YieldExceedance("shell", "copper", 3e8, 2e8, np.zeros(3), 0.01).message()
    assert "local plastic deformation" in local and "plasticity" not in local
    assert warm.molten_check() == []
    (x,) = warm.yield_check()
    assert x.region == "joint" and x.von_mises > 35e6
    # a solder's yield ratio is an indicator (it creeps): the note points to [cycling]
    assert x.solder  # the joint is sac305, which has a solidus
    joint = x.message()
    assert "[cycling]" in joint and "creeps" in joint and "plasticity table" not in joint
    # a nodal temperature above the solidus on part of the joint only: those vertices
    # are left out of the yield check, the rest are checked
    T = np.where(space(mesh).nodes[:, 0] > 2e-3, 260.0, 200.0)
    part = molten_check(warm.recovered, mats, T)
    assert len(part) == 1 and 0.0 < part[0].fraction < 1.0
    r_all = yield_ratios(warm.recovered, mats, 200.0)["joint"].value
    r_part = yield_ratios(warm.recovered, mats, T)["joint"].value
    assert r_part <= r_all
    # the yield note's share counts the whole region's vertices, the molten ones too
    (xp,) = yield_check(warm.recovered, mats, T)
    verts, vals = warm.recovered.region("joint")
    over = (von_mises(vals) > 35e6) & (T[verts] <= 217.0)
    assert xp.fraction == pytest.approx(over.sum() / len(verts), rel=1e-12)


@pytest.mark.parametrize("bad", [float("nan"), -300.0, 4000.0, True, "217"])
def test_a_bad_solidus_is_refused_at_its_key(bad):
    with pytest.raises(InputError, match=r"materials\.sac305\.solidus"):
        get("sac305").with_(solidus=bad)
    # the study file's bounds, inclusive (absolute zero was refused under the wrong key)
    assert get("sac305").with_(solidus=-273.15).solidus == -273.15


def test_nodal_fields_per_region_for_display(cu_on_si):
    mesh, me = cu_on_si
    f = me.fields()
    n = me.space.n
    assert f["stress_nodal"][0].shape == (n, 6) and f["stress_nodal"][1] == "Node"
    assert f["state_temperature"][0] == pytest.approx(np.full(n, -25.0))
    vm = f["von_mises_nodal"][0]
    assert vm == pytest.approx(hand_von_mises(f["stress_nodal"][0]), rel=1e-9, abs=1e-6)
    # interface nodes show the larger side (the copper); vertex values are each region's own
    verts, vals = me.recovered.region("shell")
    assert vm[verts] == pytest.approx(np.maximum(von_mises(vals), vm[verts]))
    assert vm.max() == pytest.approx(me.region_max_von_mises("shell"), rel=1e-9)
    # mid-edge nodes of P2 carry the mean of their edge's vertices (within a region)
    assert f["principal_max_nodal"][0].shape == (n,)


def test_warpage_of_known_quadratic_surfaces(cu_on_si):
    """Warpage of hand-made displacements of the 4 mm x 4 mm top face, a tilt added:
    a dome w = -a r^2 (convex, +), a bowl w = +a r^2 (concave, -) and a saddle
    w = a (x^2 - y^2). The quadratic fit of an exact quadratic is exact: mean curvature
    -(w_xx + w_yy) / 2 = 2a (dome), principal curvatures (2a, 2a) / (2a, -2a). The
    peak-to-valley of the dome is a (r_corner^2 - r_centre^2) = a 8 mm^2 when the plane fit
    removes only the tilt: the face's nodes are not symmetric about the centre (nearest
    node to the centre ~0.3 mm away, so r_min^2 <= 0.1 mm^2), hence 2 %."""
    from fea.physics.post import warpage

    mesh, me = cu_on_si
    space = me.space
    x, y = space.nodes[:, 0] - 2e-3, space.nodes[:, 1] - 2e-3
    a = 5.0  # 1/m: 40 um over the half-diagonal
    tilt = 1e-3 * x - 2e-3 * y + 7e-6

    def field(w):
        u = np.zeros((space.n, 3))
        u[:, 2] = w + tilt
        return u

    dome = warpage(mesh, space, field(-a * (x * x + y * y)), "top")
    bowl = warpage(mesh, space, field(a * (x * x + y * y)), "top")
    saddle = warpage(mesh, space, field(a * (x * x - y * y)), "top")
    assert dome.signed > 0 and dome.sense == "convex" and dome.shape == "bowl"
    assert bowl.signed < 0 and bowl.sense == "concave" and bowl.shape == "bowl"
    assert dome.peak_to_valley == pytest.approx(a * 8e-6, rel=0.02)
    assert bowl.peak_to_valley == pytest.approx(a * 8e-6, rel=0.02)
    assert dome.curvature == pytest.approx(2 * a, rel=1e-9)
    assert bowl.curvature == pytest.approx(-2 * a, rel=1e-9)
    assert dome.principal_curvatures == pytest.approx((2 * a, 2 * a), rel=1e-9)
    assert saddle.shape == "saddle"
    assert saddle.principal_curvatures == pytest.approx((2 * a, -2 * a), rel=1e-9)
    assert saddle.curvature == pytest.approx(0.0, abs=1e-9 * a)
    # saddle: +-a (2 mm)^2 at the corners of one diagonal pair against the edge midpoints
    assert saddle.peak_to_valley == pytest.approx(a * 8e-6, rel=0.02)
