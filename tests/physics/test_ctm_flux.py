"""The detailed model of a compact thermal model with its heat on a face (``flux``), as a
package's thermal analysis puts the die's power, against the 1-D slab in closed form."""

from __future__ import annotations

import math

import pytest

from fea.errors import InputError
from fea.physics import ctm
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane

K = 2.0  # W/(m K)
L = 1e-3  # the block's height [m]
A = 4e-6  # its top and bottom faces [m^2]
BODY = {"*": Material("slab", E=1e9, nu=0.3, alpha=1e-6, k=K, rho=2000.0, cp=700.0)}
NODES = {"top": ("top", "top")}


@pytest.fixture(scope="module")
def box():
    """A 2 x 2 x 1 mm block, P2 (the quadratic rise of a volume source is exact), faces
    ``bottom`` (z = 0) and ``top``."""
    return layered_box(
        (2e-3, 2e-3),
        [("body", L, 2)],
        1e-3,
        order=2,
        faces={"bottom": plane(2, 0.0), "top": plane(2, L)},
    )


@pytest.mark.parametrize("shared", [True, False])
def test_face_heated_slab_rise(box, shared):
    # 1 W/m^2 ... any flux q on the bottom (the other faces adiabatic but the top): the
    # bottom rises q L / k over the top, per watt L / (k A); a film h on the top adds
    # 1 / (h A). A volume source of the same power rises half as much (L / (2 k A)).
    q = 2.5e5  # W/m^2: 1 W on 4 mm^2
    model = ctm.detailed_solver(
        box, BODY, {}, "body", NODES, flux={"bottom": q}, k_at_C=25.0, shared=shared
    )
    assert model.power == pytest.approx(q * A, rel=1e-12)
    h = 1e3
    held, film, other = model([{"top": math.inf}, {"top": h}, {"top": 3 * h}])
    assert held.junction_K_per_W == pytest.approx(L / (K * A), rel=1e-9)
    assert film.junction_K_per_W == pytest.approx(L / (K * A) + 1 / (h * A), rel=1e-9)
    assert other.junction_K_per_W == pytest.approx(L / (K * A) + 1 / (3 * h * A), rel=1e-9)
    for r in (held, film, other):
        assert r.heat["top"] == pytest.approx(1.0, rel=1e-9)
    # the same power as a volume source: half the conduction rise
    vol = ctm.detailed_solver(box, BODY, {"body": q * A}, "body", NODES, k_at_C=25.0)
    (r,) = vol([{"top": math.inf}])
    assert r.junction_K_per_W == pytest.approx(L / (2 * K * A), rel=1e-9)


def test_sources_and_flux_add(box):
    # half the power in the volume, half on the bottom face: rises add (linear body)
    q = 1.25e5
    model = ctm.detailed_solver(
        box, BODY, {"body": q * A}, "body", NODES, flux={"bottom": q}, k_at_C=25.0
    )
    assert model.power == pytest.approx(2 * q * A, rel=1e-12)
    (r,) = model([{"top": math.inf}])
    rise = (q * A * L / (2 * K * A) + q * A * L / (K * A)) / (2 * q * A)
    assert r.junction_K_per_W == pytest.approx(rise, rel=1e-9)


def test_flux_on_an_unknown_boundary_is_refused(box):
    with pytest.raises(InputError) as exc:
        ctm.detailed_solver(box, BODY, {}, "body", NODES, flux={"nope": 1e5})
    assert exc.value.key == "flux.nope"
