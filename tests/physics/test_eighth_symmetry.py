"""u . n = 0 on an inclined plane (component ``"n"`` of ``fixed=``, nodal frames): an
eighth of a square bimetal plate (0 <= y <= x, planes y = 0 and x = y) against the full
plate built independently as its mirror images (:func:`mirror_mesh`, a geometric
operation) and solved as a free body; at every node of the eighth the two displacements
agree to 1e-8 relative (up to the free body's rigid translation along z)."""

from __future__ import annotations

import gmsh
import numpy as np
import pytest
import scipy.sparse as sp

import fea
from fea.errors import InputError
from fea.fe.constraints import NodalFrames, boundary_normal, inclined_frames
from fea.fe.mesh import Mesh, gmsh_session
from fea.package.geometry.symmetry import (
    Unfolding,
    mesh_symmetry,
    mirror_mesh,
    symmetric_recovery,
    symmetry_fixed,
    symmetry_share,
)
from fea.physics.materials import Material
from fea.physics.post import recover_stress

A_M = 2e-3  # half the plate's side [m]
LAYERS = (("bottom", 0.25e-3), ("top", 0.25e-3))

MATERIALS = {
    "bottom": Material("cu", E=120e9, nu=0.34, alpha=17e-6, k=1.0),
    "top": Material("fe42", E=150e9, nu=0.29, alpha=4.5e-6, k=1.0),
}


def eighth_plate(order: int = 1, h_m: float = 0.5e-3, layers=LAYERS) -> Mesh:
    """The eighth 0 <= y <= x <= A_M of the bimetal plate: a wedge per layer, the faces
    ``symmetry_y`` (y = 0) and ``symmetry_d`` (x = y)."""
    k = 1e3
    with gmsh_session():
        occ = gmsh.model.occ
        owned = []
        z = 0.0
        for name, t in layers:
            pts = [occ.addPoint(k * x, k * y, k * z) for x, y in ((0, 0), (A_M, 0), (A_M, A_M))]
            lines = [occ.addLine(pts[i], pts[(i + 1) % 3]) for i in range(3)]
            face = occ.addPlaneSurface([occ.addCurveLoop(lines)])
            vol = [t2 for d, t2 in occ.extrude([(2, face)], 0, 0, k * t) if d == 3]
            owned.append((vol[0], name))
            z += t
        _, out_map = occ.fragment([(3, t) for t, _ in owned], [])
        occ.synchronize()
        for (_, name), children in zip(owned, out_map, strict=True):
            gmsh.model.addPhysicalGroup(3, [t for d, t in children if d == 3], name=name)
        ys, ds = [], []
        for _, s in gmsh.model.getEntities(2):
            x0, y0, z0, x1, y1, z1 = gmsh.model.getBoundingBox(2, s)
            if z1 - z0 < 1e-6:  # a horizontal face
                continue
            if abs(y0) < 1e-6 and abs(y1) < 1e-6:
                ys.append(s)
            elif abs(x0 - y0) < 1e-6 and abs(x1 - y1) < 1e-6 and x1 - x0 > 1e-3:
                ds.append(s)
        gmsh.model.addPhysicalGroup(2, ys, name="symmetry_y")
        gmsh.model.addPhysicalGroup(2, ds, name="symmetry_d")
        gmsh.option.setNumber("Mesh.MeshSizeMax", k * h_m)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=order)


def temperature(x, y, z):
    """A D4-symmetric field [degC] (even in x and y, symmetric in x <-> y)."""
    return 25.0 + 150.0 + 2e7 * (x**2 + y**2) + 1e11 * x**2 * y**2 - 4e4 * z


def full_displacement_at(cut, full):
    """The full model's displacement at the cut model's nodes (the same points)."""
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(full.nodes).query(cut.nodes)
    assert dist.max() <= 1e-15
    return full.displacement[idx]


@pytest.mark.parametrize("order", [1, 2])
def test_eighth_plate_is_the_full_plate(order):
    cut = eighth_plate(order)
    assert mesh_symmetry(cut) == "eighth"
    full_mesh = mirror_mesh(cut)
    assert len(full_mesh.p1.t.T) == 8 * len(cut.p1.t.T)
    assert not {"symmetry_x", "symmetry_y", "symmetry_d"} & set(full_mesh.boundaries)
    fixed = symmetry_fixed("eighth")
    assert fixed == {"symmetry_y": {"y": 0.0}, "symmetry_d": {"n": 0.0}}
    me = fea.solve_thermoelastic(cut, MATERIALS, temperature, 25.0, fixed, backend="cpu")
    ref = fea.solve_thermoelastic(full_mesh, MATERIALS, temperature, 25.0, backend="cpu")
    u, v = me.displacement, full_displacement_at(me, ref)
    scale = np.abs(v).max()
    d = v - u
    d[:, 2] -= d[:, 2].mean()  # the free body's translation along z is arbitrary
    assert np.abs(d).max() <= 1e-8 * scale
    # u . n = 0 on x = y, u_x = u_y = 0 on the z axis where the two planes meet
    p = me.nodes
    on_d = np.abs(p[:, 0] - p[:, 1]) <= 1e-12
    axis = np.abs(p[:, 0]) + np.abs(p[:, 1]) <= 1e-12
    assert axis.sum() >= 2 and on_d.sum() > axis.sum()
    assert np.abs(u[on_d, 0] - u[on_d, 1]).max() <= 1e-12 * scale
    assert np.abs(u[axis, :2]).max() <= 1e-12 * scale
    # the unfolded displacement is the full one at every node of the full body
    unf = Unfolding.of(cut, me.nodes, me.space.order)
    w = unf.displacement(u)
    _, idx = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(ref.nodes).query(
        unf.space.nodes
    )
    dw = ref.displacement[idx] - w
    dw[:, 2] -= dw[:, 2].mean()
    assert np.abs(dw).max() <= 1e-8 * scale
    assert symmetry_share("eighth") == 0.125


def test_eighth_recovered_stress_is_the_full_bodys():
    """The recovered nodal stress of the eighth, made the full body's on its planes
    (:func:`symmetric_recovery`), equals the full model's at the same vertices."""
    from scipy.spatial import cKDTree

    cut = eighth_plate(1)
    full_mesh = mirror_mesh(cut)
    fixed = symmetry_fixed("eighth")
    me = fea.solve_thermoelastic(cut, MATERIALS, temperature, 25.0, fixed, backend="cpu")
    ref = fea.solve_thermoelastic(full_mesh, MATERIALS, temperature, 25.0, backend="cpu")
    got = symmetric_recovery(recover_stress(me.mesh, me.space, me.stress_q))
    want = recover_stress(ref.mesh, ref.space, ref.stress_q)
    scale = max(np.abs(v).max() for _, v in want.values.values())
    for name, (verts, vals) in got.values.items():
        fv, fvals = want.values[name]
        _, i = cKDTree(ref.mesh.p1.p.T[fv]).query(cut.p1.p.T[verts])
        assert np.abs(fvals[i] - vals).max() <= 1e-7 * scale, name


def test_inclined_frames_corner_and_errors():
    """Two planes meeting at a node: two fixed local components spanning both normals;
    the frames orthogonal; contradicting values refused."""
    n = 3
    nd = np.array([np.sqrt(0.5), -np.sqrt(0.5), 0.0])
    frames, D, q = inclined_frames(
        n, np.array([1, 4]), np.zeros(3 * n), [("fixed.d.n", np.array([0, 2]), nd, 0.0)]
    )
    assert isinstance(frames, NodalFrames)
    assert frames.nodes.tolist() == [0, 2]
    T = frames.matrix(n).toarray()
    assert np.allclose(T.T @ T, np.eye(3 * n))
    # node 0: y and the diagonal: local 0, 1 fixed, spanning the xy-plane
    assert D.tolist() == [0, 1, 4, 6]
    Q0 = T[:3, :3]
    assert np.allclose(np.abs(Q0[:, 2]), [0, 0, 1])
    # node 2: the diagonal only, its first local axis the normal
    assert np.isclose(abs(T[6:9, 6] @ nd), 1.0)
    assert np.all(q == 0.0)
    # a value prescribed on two planes that disagree where they meet
    vals = np.zeros(3 * n)
    vals[1] = 1e-6
    with pytest.raises(InputError, match="fixed.d.n"):
        inclined_frames(n, np.array([0, 1]), vals, [("fixed.d.n", np.array([0]), nd, 0.0)])
    # consistent values: u_y = 1e-6 and u . n = 0 give u = (1e-6, 1e-6) at the node
    vals[0] = 1e-6
    fr, D2, q2 = inclined_frames(n, np.array([1]), vals, [("fixed.d.n", np.array([0]), nd, 0.0)])
    u0 = fr.matrix(n).toarray()[:3, :3] @ q2[:3]
    assert np.allclose(u0, [1e-6, 1e-6, 0.0], atol=1e-18)
    assert isinstance(fr.matrix(n), sp.csr_matrix)


def test_normal_component_input_errors():
    cut = eighth_plate(1, h_m=1e-3)
    with pytest.raises(InputError, match="fixed.symmetry_d.w"):
        fea.solve_thermoelastic(cut, MATERIALS, 100.0, 25.0, {"symmetry_d": {"w": 0.0}},
                                backend="cpu")
    with pytest.raises(InputError, match="finite"):
        fea.solve_thermoelastic(cut, MATERIALS, 100.0, 25.0, {"symmetry_d": {"n": np.nan}},
                                backend="cpu")
    # two planes together are not one plane
    both = np.concatenate([cut.boundaries["symmetry_y"], cut.boundaries["symmetry_d"]])
    with pytest.raises(InputError, match="plane"):
        boundary_normal(cut, both, "fixed.both.n")
    # outward, whatever the facets' numbering: the eighth 0 <= y <= x lies below x = y
    # and above y = 0
    assert np.allclose(boundary_normal(cut, cut.boundaries["symmetry_d"], "k"),
                       np.sqrt(0.5) * np.array([-1, 1, 0]))
    assert np.allclose(boundary_normal(cut, cut.boundaries["symmetry_y"], "k"), [0, -1, 0])
    assert np.allclose(boundary_normal(cut, cut.boundaries["symmetry_y"][::-1], "k"),
                       [0, -1, 0])
    with pytest.raises(InputError, match="sweep"):
        fea.solve_thermoelastic_sweep(cut, [MATERIALS, MATERIALS], 100.0, 25.0,
                                      symmetry_fixed("eighth"), backend="cpu")


def d4_images(p):
    """The points ``p`` (n, 3) of the eighth 0 <= y <= x and their images under the
    square's group, each point of the full body once."""
    pts = [p]
    for flip in ("d", "x", "y"):
        q = np.vstack(pts)
        if flip == "d":
            img = q[:, [1, 0, 2]]
            keep = np.abs(q[:, 0] - q[:, 1]) > 0
        else:
            k = "xy".index(flip)
            img = q.copy()
            img[:, k] *= -1
            keep = np.abs(q[:, k]) > 0
        pts = [q, img[keep]]
    return np.vstack(pts)


def d4_field(q):
    """A displacement with the square's symmetry: u(g x) = g u(x)."""
    x, y, z = q.T
    r2 = x**2 + y**2
    return np.column_stack(
        [x * (1 + r2 + z) + x**3, y * (1 + r2 + z) + y**3, 1 + z**2 + x**2 * y**2 + 0.3 * r2]
    )


@pytest.mark.parametrize("flat", [False, True])
def test_affine_fit_on_an_eighth_is_the_full_clouds_fit(flat):
    """The full body's fit of an eighth (``symmetry=("d", "x", "y")``) equals
    ``numpy.linalg.lstsq`` (minimum norm, centred on the mean) over the explicitly
    mirrored cloud; ``flat``: every point at one z (rank-deficient)."""
    from fea.physics.history_step import image_counts, symmetric_affine_fit

    rng = np.random.default_rng(5)
    p = rng.random((60, 3))
    p[:, 1] *= p[:, 0]  # 0 <= y <= x
    p[:8, 1] = 0.0  # on y = 0
    p[8:16, 1] = p[8:16, 0]  # on x = y
    p[16:18, :2] = 0.0  # on the z axis
    if flat:
        p[:, 2] = 0.4
    full = d4_images(p)
    sym = ("d", "x", "y")
    assert len(full) == int(image_counts(p, sym).sum())
    U = d4_field(full)
    X = np.column_stack([np.ones(len(full)), full - full.mean(axis=0)])
    coef = np.linalg.lstsq(X, U, rcond=None)[0]
    expected = np.column_stack([np.ones(len(p)), p - full.mean(axis=0)]) @ coef
    got = symmetric_affine_fit(p, d4_field(p), np.arange(len(p)), sym)
    assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()
    assert np.abs(got[8:16, 0] - got[8:16, 1]).max() <= 1e-15  # u . n = 0 on x = y


FILM_LAYERS = (("bottom", 0.25e-3), ("top", 0.25e-3), ("film", 0.1e-3))
FILM_MATERIALS = {**MATERIALS, "film": Material("film", E=3e9, nu=0.35, alpha=60e-6, k=1.0)}


def test_history_with_a_birth_on_an_eighth_equals_the_full_body():
    """The bimetal plate heated (it bends), a film born on it, then cooled: on the eighth
    (``fixed`` with u . n = 0 on x = y, ``symmetry=("d", "x", "y")``) every state's
    displacement (unfolded) and stress equal the full mirrored plate's to 1e-9 of their
    largest values."""
    from scipy.spatial import cKDTree

    from fea.physics.history import Process, Stage, solve_history

    process = Process([
        Stage("start", 0.0, 25.0),
        Stage("heated", 0.0, 175.0),
        Stage("coated", 0.0, 175.0, add=["film"]),
        Stage("cooled", 100.0, 25.0),
    ])
    cut = eighth_plate(1, layers=FILM_LAYERS)
    full = mirror_mesh(cut)
    kw = dict(reference=25.0, backend="cpu", method="direct")
    h_full = solve_history(full, FILM_MATERIALS, process, **kw)
    h_cut = solve_history(cut, FILM_MATERIALS, process, fixed=symmetry_fixed("eighth"),
                          symmetry=("d", "x", "y"), **kw)
    n_el = cut.n_elements
    du = ds = 0.0
    for label in h_full.labels:
        c, f = h_cut[label], h_full[label]
        unfold = Unfolding.of(cut, c.nodes, c.space.order)
        dist, where = cKDTree(unfold.space.nodes).query(f.nodes)
        assert dist.max() <= 1e-12
        uc = unfold.displacement(c.displacement)[where]
        scale_u = max(np.abs(f.displacement).max(), 1e-30)
        scale_s = max(np.abs(f.stress_q).max(), 1e-30)
        du = max(du, np.abs(uc - f.displacement).max() / scale_u)
        ds = max(ds, np.abs(c.stress_q - f.stress_q[:n_el]).max() / scale_s)
    print(f"eighth history: displacement {du:.1e}, stress {ds:.1e}")
    assert du <= 1e-9 and ds <= 1e-9


def test_elastic_plastic_history_on_an_eighth_equals_the_full_body():
    """The bimetal plate with a yielding copper layer (J2, linear hardening), heated and
    cooled: Newton in the nodal frames of x = y (:class:`FramedStep`) on the eighth gives
    the full mirrored plate's states (displacement unfolded, stresses) to 1e-7 of their
    largest values (Newton's force tolerance is 1e-8; measured 7e-11 and 3.4e-9), and the
    copper yields."""
    from scipy.spatial import cKDTree

    from fea.physics.history import Process, Stage, solve_history
    from fea.physics.inelastic import Plastic

    mats = {
        "bottom": Material("cu", E=120e9, nu=0.34, alpha=17e-6, k=1.0,
                           inelastic=Plastic(60e6, 1e9)),
        "top": MATERIALS["top"],
    }
    process = Process([Stage("start", 0.0, 25.0), Stage("hot", 100.0, 225.0),
                       Stage("cooled", 100.0, 25.0)])
    cut = eighth_plate(1)
    full = mirror_mesh(cut)
    kw = dict(reference=25.0, backend="cpu", method="direct", max_step_K=50.0)
    h_full = solve_history(full, mats, process, **kw)
    h_cut = solve_history(cut, mats, process, fixed=symmetry_fixed("eighth"),
                          symmetry=("d", "x", "y"), **kw)
    n_el = cut.n_elements
    du = ds = 0.0
    for label in h_full.labels:
        c, f = h_cut[label], h_full[label]
        unfold = Unfolding.of(cut, c.nodes, c.space.order)
        _, where = cKDTree(unfold.space.nodes).query(f.nodes)
        uc = unfold.displacement(c.displacement)[where]
        scale_u = max(np.abs(f.displacement).max(), 1e-30)
        scale_s = max(np.abs(f.stress_q).max(), 1e-30)
        du = max(du, np.abs(uc - f.displacement).max() / scale_u)
        ds = max(ds, np.abs(c.stress_q - f.stress_q[:n_el]).max() / scale_s)
    print(f"eighth, elastic-plastic: displacement {du:.1e}, stress {ds:.1e}")
    assert du <= 1e-7 and ds <= 1e-7
    last = h_cut[h_cut.labels[-1]]
    assert last.inelastic["fields"]["equivalent_inelastic_strain"].max() > 1e-4


def test_framed_newton_tangent_operator_equals_its_assembled_matrix():
    """On an eighth (Newton in the nodal frames of x = y), the matrix-free tangent
    ``T^T (K_L + K_I) T`` with the planes eliminated applies as the matrix it assembles
    for a factorisation."""
    from fea.physics.history import Process, Stage, solve_history
    from fea.physics.history_step import FramedStep
    from fea.physics.inelastic import Plastic

    from .tangent_check import assert_tangents_are_their_matrices

    mats = {
        "bottom": Material("cu", E=120e9, nu=0.34, alpha=17e-6, k=1.0,
                           inelastic=Plastic(60e6, 1e9)),
        "top": MATERIALS["top"],
    }
    process = Process([Stage("start", 0.0, 25.0), Stage("hot", 100.0, 225.0)])
    assert_tangents_are_their_matrices(
        lambda: solve_history(eighth_plate(1), mats, process, fixed=symmetry_fixed("eighth"),
                              symmetry=("d", "x", "y"), reference=25.0, backend="cpu",
                              method="direct", max_step_K=50.0),
        FramedStep,
        seed=5,
    )


def test_a_nonzero_normal_displacement_moves_the_plane_outward():
    """``u . n = 1 um`` on y = 0 of an unheated plate (the rest free): the plate moves
    rigidly by 1 um along the OUTWARD normal (0, -1, 0), whatever the facets' numbering,
    and stays stress free."""
    cut = eighth_plate(1, h_m=1e-3)
    r = fea.solve_thermoelastic(cut, MATERIALS, 25.0, 25.0, {"symmetry_y": {"n": 1e-6}},
                                backend="cpu")
    u = np.asarray(r.displacement).reshape(-1, 3)
    assert np.allclose(u[:, 1], -1e-6, rtol=0, atol=1e-15)
    assert np.abs(u[:, [0, 2]]).max() < 1e-15
    assert float(np.max(r.von_mises)) < 1e-3  # Pa


def test_a_history_on_a_cut_model_needs_its_planes_held():
    """``symmetry`` names the planes the model is cut by; ``fixed`` must hold each plane the
    model has a face on (an eighth: y = 0 and x = y, not x = 0, which it meets in the z
    axis only). A plane left free, or held at a non-zero value, is refused naming the key
    (the history's ``fixed`` or the stage's own)."""
    from fea.physics.history import Process, Stage, solve_history

    process = Process([Stage("start", 0.0, 25.0), Stage("hot", 0.0, 125.0)])
    cut = eighth_plate(1, h_m=1e-3)
    kw = dict(reference=25.0, backend="cpu", method="direct", symmetry=("d", "x", "y"))
    with pytest.raises(InputError, match="x = y") as e:
        solve_history(cut, MATERIALS, process, fixed={"symmetry_y": {"y": 0.0}}, **kw)
    assert e.value.key == "fixed"
    with pytest.raises(InputError, match="y = 0"):
        solve_history(cut, MATERIALS, process, fixed={"symmetry_d": {"n": 0.0}}, **kw)
    with pytest.raises(InputError, match="x = y"):
        solve_history(cut, MATERIALS, process,
                      fixed={"symmetry_y": {"y": 0.0}, "symmetry_d": {"n": 1e-6}}, **kw)
    staged = Process([Stage("start", 0.0, 25.0),
                      Stage("hot", 0.0, 125.0, fixed={"symmetry_y": {"y": 0.0}})])
    with pytest.raises(InputError) as e:
        solve_history(cut, MATERIALS, staged, fixed=symmetry_fixed("eighth"), **kw)
    assert e.value.key == "stage.hot.fixed"
    h = solve_history(cut, MATERIALS, process, fixed=symmetry_fixed("eighth"), **kw)
    assert np.isfinite(h["hot"].displacement).all()
