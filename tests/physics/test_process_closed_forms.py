""":func:`fea.solve_history` with process stages against closed forms, as a process
engineer checks it before trusting a panel's warpage: a free bimaterial plate cooled through
stages, a layer born hot on a free substrate, release from a rigid mandrel, and a kerf
removed; and the input checks of :class:`fea.Stage` / :class:`fea.Process`.

Closed form: the curvature of a bonded bilayer, Timoshenko, "Analysis of bi-metal
thermostats", J. Opt. Soc. Am. 11 (1925) 233, eq. 4, with the biaxial moduli
E / (1 - nu) of a wide plate (``timoshenko_curvature``); its thin-film limit is Stoney,
Proc. R. Soc. Lond. A 82 (1909) 172. Timoshenko's formula depends on the layers only
through the free-strain MISMATCH ``(a2 - a1) dT``; each test states the mismatch its
history leaves.

Meshes: 10 x 10 mm plates, one P2 element through each 0.3 mm layer, 1 mm elements (the
mesh of ``test_mechanics_closed_forms``'s Timoshenko check, 0.5 % there).
"""

from __future__ import annotations

import gmsh
import numpy as np
import pytest

from fea import Process, Stage, solve_history, solve_thermoelastic
from fea.errors import InputError
from fea.fe.mesh import Mesh, gmsh_session
from fea.fe.spaces import space
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane
from .test_mechanics_closed_forms import timoshenko_curvature

L = 10e-3  # plate side [m]
T1 = 0.3e-3  # each layer's thickness [m]
E1, NU1, A1 = 130e9, 0.28, 2.6e-6  # l1, bottom: silicon-like
E2, NU2, A2 = 20e9, 0.3, 10e-6  # l2, top: mould-compound-like
L1 = Material("l1", E=E1, nu=NU1, alpha=A1, k=1.0)
L2 = Material("l2", E=E2, nu=NU2, alpha=A2, k=1.0)


def kappa(da1: float, da2: float, dT: float) -> float:
    """Timoshenko's curvature [1/m] of the l1/l2 plate whose layers' free strains change
    by ``da1 * dT`` and ``da2 * dT`` (top convex positive)."""
    return timoshenko_curvature(dT, T1, T1, E1, NU1, E2, NU2, da1, da2)


@pytest.fixture(scope="module")
def plate():
    """l1 (0.3 mm, z from 0) under l2 (0.3 mm); faces ``bottom`` and ``top``."""
    return layered_box(
        (L, L),
        [("l1", T1, 1), ("l2", T1, 1)],
        1e-3,
        order=2,
        faces={"bottom": plane(2, 0.0), "top": plane(2, 2 * T1)},
    )


@pytest.fixture(scope="module")
def on_mandrel():
    """The plate on a 0.3 mm ``mandrel`` layer (z from 0, face ``base``); ``top`` is l2's."""
    return layered_box(
        (L, L),
        [("mandrel", T1, 1), ("l1", T1, 1), ("l2", T1, 1)],
        1e-3,
        order=2,
        faces={"base": plane(2, 0.0), "top": plane(2, 3 * T1)},
    )


def fitted_curvature(mesh: Mesh, u: np.ndarray, elements: np.ndarray, z: float) -> float:
    """Mean curvature [1/m] (top convex positive) of the nodes of ``elements`` on the
    plane ``z``, from a quadratic fit of u_z over the middle 60 % of their extent (the
    3-D edge zones, about a thickness wide, left out)."""
    nodes = np.unique(space(mesh).dofs[elements])
    nodes = nodes[np.abs(mesh.nodes[nodes, 2] - z) < 1e-9]
    x, y = mesh.nodes[nodes, 0], mesh.nodes[nodes, 1]
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    sel = (np.abs(x - cx) < 0.3 * np.ptp(x)) & (np.abs(y - cy) < 0.3 * np.ptp(y))
    x, y = x[sel] - cx, y[sel] - cy
    A = np.column_stack([np.ones_like(x), x, y, x * x, y * y, x * y])
    c = np.linalg.lstsq(A, u[nodes[sel], 2], rcond=None)[0]
    return float(-(c[3] + c[4]))  # u_z = -kappa (x^2 + y^2) / 2


# -- closed forms ---------------------------------------------------------------------


def test_free_bimaterial_plate_cooled_through_stages_is_the_thermoelastic_solve(plate):
    """A free l1/l2 plate stress free at 175 C cooled through stages (a ramp to 100 C, a
    hold, a ramp to 25 C; 10 K steps): every state is :func:`fea.solve_thermoelastic` at
    its temperature (displacement within 1e-10 of the largest), and the curvature at
    25 C is Timoshenko's (1925, eq. 4; mismatch (a2 - a1)(25 - 175)) within 0.5 %
    (0.12 % observed, as the single elastic solve)."""
    mats = {"l1": L1, "l2": L2}
    proc = Process(
        [
            Stage("moulded", 0.0, 175.0),
            Stage("ramp", 60.0, 100.0),
            Stage("hold", 300.0, 100.0),
            Stage("cooled", 60.0, 25.0),
        ]
    )
    h = solve_history(plate, mats, proc, reference=175.0, fixed={}, backend="cpu")
    assert h.labels == ["moulded", "ramp", "hold", "cooled"]
    scale = np.abs(h["cooled"].displacement).max()
    for T, st in zip((175.0, 100.0, 100.0, 25.0), h.states, strict=True):
        me = solve_thermoelastic(plate, mats, T, 175.0, backend="cpu")
        assert np.abs(st.displacement - me.displacement).max() <= 1e-10 * scale
    k = kappa(A1, A2, -150.0)
    assert k < 0  # the top (higher CTE) shrinks more: concave
    assert h["cooled"].warpage("top").curvature == pytest.approx(k, rel=5e-3)


@pytest.mark.parametrize("layer_reference", [25.0, 300.0])
def test_layer_born_at_175C_on_a_free_substrate_then_cooled(plate, layer_reference):
    """l1 alone, free, stress free at 25 C, heated to 175 C (it expands freely: no
    stress); l2 born there, stress free on the expanded l1; both cooled to 25 C. The
    mismatch left is (a2 - a1)(25 - 175): the plate bends as Timoshenko's bilayer stress
    free at 175 C (within 0.5 %, 0.12 % observed), and its stresses are those of
    :func:`fea.solve_thermoelastic` with both layers' reference 175 C (within 1e-6 of the
    largest, 4e-11 observed; the displacements differ by the free expansion l1 had at the
    birth). l2's own reference temperature plays no part. (A layer stress free at 175 C
    on the UNEXPANDED substrate, the independent model ``reference = {l2: 175, l1: 25}``,
    has mismatch a2 (25 - 175) instead: 35 % more curvature here.)"""
    mats = {"l1": L1, "l2": L2}
    proc = Process(
        [
            Stage("start", 0.0, 25.0),
            Stage("heated", 60.0, 175.0),
            Stage("bonded", 10.0, 175.0, add=["l2"]),
            Stage("cooled", 300.0, 25.0),
        ]
    )
    h = solve_history(
        plate, mats, proc, reference={"l2": layer_reference, "*": 25.0}, backend="cpu"
    )
    assert np.abs(h["heated"].stress_q).max() < 1e-3  # Pa: free expansion
    assert np.abs(h["bonded"].stress_q).max() < 1e-3  # born stress free
    k = kappa(A1, A2, -150.0)
    assert h["cooled"].warpage("top").curvature == pytest.approx(k, rel=5e-3)
    me = solve_thermoelastic(plate, mats, 25.0, 175.0, backend="cpu")
    s_max = np.abs(me.stress_q).max()
    assert np.abs(h["cooled"].stress_q - me.stress_q).max() < 1e-6 * s_max
    independent = solve_thermoelastic(plate, mats, 25.0, {"l2": 175.0, "l1": 25.0}, backend="cpu")
    k_ind = independent.warpage("top").curvature
    assert k_ind == pytest.approx(kappa(0.0, A2, -150.0), rel=5e-3)
    assert k_ind / k > 1.3


def rigid_mandrel_process(fixed_held, release):
    """l1 present from the start at 25 C, heated to 175 C held, l2 born at 175 C, cooled
    to 25 C held, then released (``release``: the stage's removals and supports)."""
    return Process(
        [
            Stage("start", 0.0, 25.0, fixed=fixed_held),
            Stage("heated", 60.0, 175.0, fixed=fixed_held),
            Stage("bonded", 10.0, 175.0, add=["l2"], fixed=fixed_held),
            Stage("on_mandrel", 300.0, 25.0, fixed=fixed_held),
            Stage("released", 1.0, 25.0, **release),
        ]
    )


@pytest.mark.filterwarnings("ignore::fea.fe.mesh.PlausibilityWarning")  # the rigid mandrel
def test_release_from_a_rigid_mandrel_gives_the_free_curvature(plate, on_mandrel):
    """A rigid mandrel holds l1 at its size: l1 heated to 175 C on it does not expand in
    plane, so l2 is born on an UNEXPANDED l1 and, cooled and released, the free plate has
    the mismatch a2 (25 - 175) (l1 is back at its stress-free 25 C; l2's free strain
    since its birth is a2 dT): Timoshenko's curvature with (a1, a2) -> (0, a2), 35 % more
    than on a free substrate. Checked two ways:

    * held base: l1's bottom face clamped (u = 0) until ``released`` (``fixed={}``); the
      held plate does not bend (|kappa| below 1 % of the released one, 8e-5 observed);
      released within 1 % of Timoshenko over the middle 60 % (0.02 % observed; the birth
      on a clamped base leaves an edge zone about a thickness wide whose in-plane strain
      is not zero);
    * a mandrel region, 1000 times l1's modulus and no CTE, clamped at its base, removed
      at ``released``: the same released curvature within 0.1 % (1.5e-5 observed).

    After release l2 stays in tension (its free strain shrank more than l1's): the mean
    in-plane stress of l2 is positive."""
    mats = {"l1": L1, "l2": L2}
    clamp = {"x": 0.0, "y": 0.0, "z": 0.0}
    held = solve_history(
        plate,
        mats,
        rigid_mandrel_process({"bottom": clamp}, {"fixed": {}}),
        reference=25.0,
        backend="cpu",
    )
    k = kappa(0.0, A2, -150.0)
    assert k / kappa(A1, A2, -150.0) > 1.3
    top = plate.regions["l2"]
    k_held = fitted_curvature(plate, held["on_mandrel"].displacement, top, 2 * T1)
    k_rel = fitted_curvature(plate, held["released"].displacement, top, 2 * T1)
    assert abs(k_held) < 0.01 * abs(k)
    assert k_rel == pytest.approx(k, rel=1e-2)
    assert held["released"].stress_q[top][..., :2].mean() > 0

    rigid = Material("mandrel", E=1000 * E1, nu=0.3, alpha=0.0, k=1.0)
    mm = solve_history(
        on_mandrel,
        {"mandrel": rigid, **mats},
        rigid_mandrel_process(None, {"remove": ["mandrel"], "fixed": {}}),
        reference=25.0,
        fixed={"base": clamp},
        backend="cpu",
    )
    top = on_mandrel.regions["l2"]
    k_mm = fitted_curvature(on_mandrel, mm["released"].displacement, top, 3 * T1)
    assert k_mm == pytest.approx(k_rel, rel=1e-3)
    assert np.all(mm["released"].stress_q[on_mandrel.regions["mandrel"]] == 0.0)


def kerfed_plate() -> Mesh:
    """The l1/l2 plate cut across x at its middle by a 0.5 mm ``kerf`` through both
    layers: ``l1``, ``l2`` are the two halves' layers, ``kerf`` the strip (P2, 1 mm)."""
    k = 1e3
    w = 0.5e-3
    xs = [
        (0.0, L / 2 - w / 2, None),
        (L / 2 - w / 2, L / 2 + w / 2, "kerf"),
        (L / 2 + w / 2, L, None),
    ]
    with gmsh_session():
        occ = gmsh.model.occ
        owned = []
        for x0, x1, name in xs:
            for i, layer in enumerate(("l1", "l2")):
                tag = occ.addBox(k * x0, 0, k * T1 * i, k * (x1 - x0), k * L, k * T1)
                owned.append((tag, name or layer))
        _, out_map = occ.fragment([(3, t) for t, _ in owned], [])
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (_, name), children in zip(owned, out_map, strict=True):
            groups.setdefault(name, []).extend(t for d, t in children if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        gmsh.option.setNumber("Mesh.MeshSizeMax", k * 1e-3)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=2)


def test_removing_a_kerf_releases_its_stress():
    """A free plate of two l1/l2 halves joined by the kerf strip (a region of its own,
    l1's material through both layers) cooled from 175 C to 25 C, then the kerf
    removed. Removing a region drops its stress and releases its tractions: the two
    halves are then free bilayers,
    each of Timoshenko's curvature (within 1 %, 6e-5 observed; half plates 4.75 x
    10 mm, fitted over their middle 60 %), the kerf's
    elements carry no stress, and the state equals the one of a history that removed
    the kerf at 175 C, stress free, before cooling (elastic: the state does not
    remember a removed region; stresses within 1e-8 of the largest, 1e-12 observed; each
    free part's
    rigid motion is its own 3-2-1 support's, so displacements are compared through the
    curvatures). Before the
    removal the kerf held stress (its stress is not small)."""
    mesh = kerfed_plate()
    mats = {"l1": L1, "l2": L2, "kerf": L1}
    cut_late = Process(
        [
            Stage("moulded", 0.0, 175.0),
            Stage("cooled", 60.0, 25.0),
            Stage("singulated", 1.0, 25.0, remove=["kerf"]),
        ]
    )
    cut_early = Process(
        [
            Stage("moulded", 0.0, 175.0),
            Stage("singulated_hot", 1.0, 175.0, remove=["kerf"]),
            Stage("cooled", 60.0, 25.0),
        ]
    )
    late = solve_history(mesh, mats, cut_late, reference=175.0, backend="cpu")
    early = solve_history(mesh, mats, cut_early, reference=175.0, backend="cpu")
    kerf = mesh.regions["kerf"]
    before = np.abs(late["cooled"].stress_q[kerf]).max()
    assert before > 0.1 * np.abs(late["cooled"].stress_q).max()
    after = late["singulated"]
    assert np.all(after.stress_q[kerf] == 0.0) and not after.active[kerf].any()
    s_ref = early["cooled"].stress_q
    assert np.abs(after.stress_q - s_ref).max() < 1e-8 * np.abs(s_ref).max()
    u = after.displacement
    k = kappa(A1, A2, -150.0)
    top = mesh.regions["l2"]
    c = mesh.p1.p[:, mesh.p1.t[:, top]].mean(axis=1)
    for half in (top[c[0] < L / 2], top[c[0] > L / 2]):
        assert fitted_curvature(mesh, u, half, 2 * T1) == pytest.approx(k, rel=1e-2)


# -- input ----------------------------------------------------------------------------


NAN = float("nan")


@pytest.mark.parametrize(
    ("duration", "T"),
    [(NAN, 25.0), (float("inf"), 25.0), (-1.0, 25.0), (1.0, NAN), (1.0, -300.0), (1.0, 1e6)],
)
def test_absurd_durations_and_temperatures_refused_at_the_stage_key(duration, T):
    """NaN, infinite or negative durations and temperatures that are not finite or lie
    at/below absolute zero or above the limit: refused when the stage is built, naming
    ``stage.<name>.duration_s`` or ``stage.<name>.temperature`` and the value."""
    with pytest.raises(InputError) as err:
        Stage("mould", duration, T)
    key = "stage.mould.duration_s" if T == 25.0 else "stage.mould.temperature"
    assert err.value.key == key
    assert str(err.value.value) == str(duration if T == 25.0 else T)


def test_numpy_numbers_are_durations_and_step_counts():
    """A duration or step count read from a NumPy array (``np.int64(60)``,
    ``np.float32``) is a number as the temperature is: it was refused as "a duration >=
    0" while ``np.int64(25)`` was a valid temperature."""
    st = Stage("hold", np.int64(60), np.int64(25), steps=np.int64(3))
    assert st.duration_s == 60.0 and type(st.duration_s) is float
    assert st.steps == 3 and type(st.steps) is int
    assert Stage("hold", np.float32(0.5), 25.0).duration_s == 0.5
    for bad in (np.bool_(True), np.float64(NAN), np.int64(-1)):
        with pytest.raises(InputError, match="stage.hold.duration_s"):
            Stage("hold", bad, 25.0)
    with pytest.raises(InputError, match="stage.hold.steps"):
        Stage("hold", 1.0, 25.0, steps=np.int64(0))


@pytest.mark.parametrize("stages", [None, [], (), 5, "mould", [Stage("a", 0.0, 25.0), None]])
def test_zero_stages_or_no_stages_refused_naming_process(stages):
    """No stages (an empty list, None, a number, a string): an InputError naming
    ``process`` (None raised a TypeError from ``tuple(None)``)."""
    with pytest.raises(InputError) as err:
        Process(stages)
    assert err.value.key == "process"


def tiny():
    return layered_box((2e-3, 1e-3), [("a", 0.2e-3, 1), ("b", 0.2e-3, 1)], 1e-3, order=1, faces={})


@pytest.mark.parametrize("kind", ["add", "remove", "cure"])
def test_unknown_regions_refused_naming_the_stage(kind):
    """A region the mesh does not have, in a stage's add, remove or cure: refused before
    any work, naming the stage, the region and the mesh's regions."""
    proc = Process([Stage("start", 0.0, 175.0), Stage("mould", 1.0, 175.0, **{kind: ["mold"]})])
    with pytest.raises(InputError) as err:
        solve_history(tiny(), {"a": L1, "b": L2}, proc, backend="cpu")
    assert err.value.key.startswith("stage.mould") and err.value.value == "mold"
    assert "a, b" in err.value.allowed


def test_removing_a_region_never_born_or_everything_refused():
    """Removing a region a LATER stage adds (absent until then), removing one twice, and
    removing every region (a stage after that would have no body): refused at the stage
    that does it, before any work."""
    with pytest.raises(InputError) as err:
        Process(
            [
                Stage("start", 0.0, 25.0),
                Stage("cut", 1.0, 25.0, remove=["b"]),
                Stage("mould", 1.0, 175.0, add=["b"]),
            ]
        )
    assert (err.value.key, err.value.value) == ("stage.cut.remove", "b")
    with pytest.raises(InputError) as err:
        Process(
            [
                Stage("start", 0.0, 25.0),
                Stage("cut", 1.0, 25.0, remove=["b"]),
                Stage("cut_again", 1.0, 25.0, remove=["b"]),
            ]
        )
    assert (err.value.key, err.value.value) == ("stage.cut_again.remove", "b")
    gone = Process(
        [
            Stage("start", 0.0, 25.0),
            Stage("cut", 1.0, 25.0, remove=["a", "b"]),
            Stage("after", 1.0, 25.0),
        ]
    )
    with pytest.raises(InputError) as err:
        solve_history(tiny(), {"a": L1, "b": L2}, gone, backend="cpu")
    assert err.value.key == "stage.cut.remove" and "leave some region" in err.value.allowed


@pytest.mark.parametrize("kind", ["add", "remove", "cure"])
def test_unknown_region_key_names_the_list(kind):
    proc = Process([Stage("start", 0.0, 175.0), Stage("mould", 1.0, 175.0, **{kind: ["mold"]})])
    with pytest.raises(InputError) as err:
        solve_history(tiny(), {"a": L1, "b": L2}, proc, backend="cpu")
    assert err.value.key == f"stage.mould.{kind}"
