"""A history with births on a model cut by symmetry planes (``solve_history(symmetry=)``).

The reference is the full body built independently: the cut mesh mirrored
(:func:`fea.package.geometry.symmetry.mirror_mesh`) and solved as a free body; the cut
model with u . n = 0 on its planes must give the same states (displacement unfolded,
stresses of its elements) to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.package.geometry.symmetry import Unfolding, mirror_mesh
from fea.physics.history import Process, Stage, solve_history
from fea.physics.history_step import check_symmetry_axes, image_counts, symmetric_affine_fit
from fea.physics.materials import Material

from ..verification.helpers import layered_box, plane


def mirrored_cloud(p, axes):
    """The points ``p`` and their mirror images across the planes of ``axes`` (points on
    a plane once)."""
    full = [p]
    for a in axes:
        k = "xyz".index(a)
        flip = np.where(np.arange(3) == k, -1.0, 1.0)
        full = full + [q[q[:, k] > 0] * flip for q in full]
    return np.vstack(full)


def symmetric_field(q):
    """A displacement mirrored about x = 0 and y = 0 (u_x odd in x, even in y, ...)."""
    x, y, z = q.T
    return np.column_stack(
        [
            x * (1 + y**2 + z) + x**3,
            y * (2 - z) + 0.3 * y * x**2,
            1 + z**2 + x**2 * y**2 + 0.1 * z,
        ]
    )


@pytest.mark.parametrize("axes", [("x",), ("x", "y")])
@pytest.mark.parametrize("flat", [False, True])
def test_affine_fit_is_the_full_clouds_least_squares_fit(axes, flat):
    """The fit over the cut cloud equals ``numpy.linalg.lstsq`` (minimum norm, centred on
    the mean) over the explicitly mirrored cloud; ``flat``: every point at one z, the
    rank-deficient case of a region born on a flat face."""
    rng = np.random.default_rng(3)
    p = rng.random((60, 3))
    p[:10, 0] = 0.0
    p[5:15, 1] = 0.0
    if flat:
        p[:, 2] = 0.4
    full = mirrored_cloud(p, axes)
    assert len(full) == int(image_counts(p, axes).sum())
    U = symmetric_field(full)
    X = np.column_stack([np.ones(len(full)), full - full.mean(axis=0)])
    coef = np.linalg.lstsq(X, U, rcond=None)[0]
    expected = np.column_stack([np.ones(len(p)), p - full.mean(axis=0)]) @ coef
    got = symmetric_affine_fit(p, symmetric_field(p), np.arange(len(p)), axes)
    assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()
    assert np.all(got[p[:, 0] == 0.0, 0] == 0.0)  # u . n = 0 on the plane x = 0


def test_symmetry_axes_checked():
    p = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert check_symmetry_axes(p, "x") == ("x",)
    for bad in (("w",), ("x", "x")):
        with pytest.raises(InputError, match="symmetry"):
            check_symmetry_axes(p, bad)
    with pytest.raises(InputError, match="x >= 0"):
        check_symmetry_axes(p - 0.5, ("x",))


def stack(name):
    """The quarter x, y >= 0 (``name`` quarter) or the half x >= 0 (half) of a 6 x 6 mm
    bimetal strip (copper-like under alloy-42-like, 0.3 mm each: it bends when heated)
    under a 0.1 mm film (``film``), P1, the faces on the planes ``symmetry_x`` (and
    ``symmetry_y``)."""
    from skfem import MeshTet1

    from fea.fe.mesh import Mesh

    ly = 3e-3 if name == "quarter" else 6e-3
    faces = {"symmetry_x": plane(0, 0.0)}
    if name == "quarter":
        faces["symmetry_y"] = plane(1, 0.0)
    m = layered_box(
        (3e-3, ly),
        [("bottom", 0.3e-3, 1), ("top", 0.3e-3, 1), ("film", 0.1e-3, 1)],
        0.6e-3,
        order=1,
        faces=faces,
    )
    if name == "quarter":
        return m
    p = m.p1.p.copy()
    p[1] -= 3e-3  # centred on y = 0; the facets (from the tetrahedra) keep their numbers
    p1 = MeshTet1(p, m.p1.t.copy())
    return Mesh(p1, p1, dict(m.regions), dict(m.boundaries), 1)


MATERIALS = {
    "bottom": Material("cu", E=120e9, nu=0.34, alpha=17e-6, k=1.0),
    "top": Material("fe42", E=150e9, nu=0.29, alpha=4.5e-6, k=1.0),
    "film": Material("film", E=3e9, nu=0.35, alpha=60e-6, k=1.0),
}

#: the strip heated and bent, the film born on it, then cooled
PROCESS = Process(
    [
        Stage("start", 0.0, 25.0),
        Stage("heated", 0.0, 175.0),
        Stage("coated", 0.0, 175.0, add=["film"]),
        Stage("cooled", 100.0, 25.0),
    ]
)
FIXED = {"symmetry_x": {"x": 0.0}, "symmetry_y": {"y": 0.0}}


def differences(cut_mesh, cut, full):
    """Largest differences of the cut model's states from the full body's, relative to
    the full body's largest values: (displacement, stress)."""
    from scipy.spatial import cKDTree

    n_el = cut_mesh.n_elements
    du = ds = 0.0
    for label in full.labels:
        c, f = cut[label], full[label]
        scale_u = max(np.abs(f.displacement).max(), 1e-30)
        scale_s = max(np.abs(f.stress_q).max(), 1e-30)
        unfold = Unfolding.of(cut_mesh, c.nodes, c.space.order)
        dist, where = cKDTree(unfold.space.nodes).query(f.nodes)
        assert dist.max() <= 1e-12
        uc = unfold.displacement(c.displacement)[where]
        du = max(du, np.abs(uc - f.displacement).max() / scale_u)
        sf = f.stress_q[:n_el]  # the cut model's elements come first in the mirrored mesh
        ds = max(ds, np.abs(c.stress_q - sf).max() / scale_s)
    return du, ds


@pytest.mark.parametrize(("axes", "name"), [(("x", "y"), "quarter"), (("x",), "half")])
def test_birth_on_a_cut_model_equals_the_full_body(axes, name):
    """The bent strip's film born on a quarter (half) model: every state's displacement
    and stress equal the full body's (the mesh mirrored, a free body) to 1e-9 of their
    largest values. Without ``symmetry=`` the film continues the cut model's own fit,
    not the body's: the stresses are off by more than 1 %."""
    cut = stack(name)
    full = mirror_mesh(cut)
    fixed = {k: v for k, v in FIXED.items() if k[-1] in axes}
    kw = dict(reference=25.0, backend="cpu", method="direct")
    h_full = solve_history(full, MATERIALS, PROCESS, **kw)
    h_cut = solve_history(cut, MATERIALS, PROCESS, fixed=fixed, symmetry=axes, **kw)
    du, ds = differences(cut, h_cut, h_full)
    print(f"{name}: displacement {du:.1e}, stress {ds:.1e}")
    assert du <= 1e-9 and ds <= 1e-9
    h_own = solve_history(cut, MATERIALS, PROCESS, fixed=fixed, **kw)
    du_own, ds_own = differences(cut, h_own, h_full)
    print(f"{name}, the cut model's own fit: displacement {du_own:.1e}, stress {ds_own:.1e}")
    assert ds_own > 1e-2
