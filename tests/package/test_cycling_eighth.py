"""Cycling on an eighth model (0 <= y <= x; planes y = 0 and x = y, u . n = 0 in nodal
frames, the solder's Newton steps in them): a 3 x 3 array of SAC305 columns between two
plates (as tests/package/cycling_model.py), meshed on the eighth and mirrored into the
full array (:func:`mirror_mesh`): the eighth gives every joint's Delta W and the metrics
of the full model; its joints on x = y are halves, the centre one an eighth."""

from __future__ import annotations

import gmsh
import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.mesh import Mesh, gmsh_session
from fea.package.cycling import (
    SYMMETRIES,
    FatigueOptions,
    full_centres,
    mirror_images,
    multiplicity,
    run_cycling,
)
from fea.package.geometry.symmetry import mirror_mesh, symmetry_fixed
from fea.physics.cycling import temperature_cycles

from .cycling_model import MATERIALS

N, PITCH, DIAM, HEIGHT, LAYER, PKG_T, BOARD_T, MARGIN = (
    3, 1.0e-3, 0.4e-3, 0.3e-3, 25.4e-6, 0.5e-3, 0.8e-3, 0.5e-3
)
CENTRES = (np.arange(N) - 0.5 * (N - 1)) * PITCH


def eighth_columns(h: float = 0.4e-3, h_solder: float = 0.15e-3) -> Mesh:
    """The eighth 0 <= y <= x of the column array (P1), faces ``symmetry_y``, ``symmetry_d``."""
    k = 1e3
    half = 0.5 * (N - 1) * PITCH + MARGIN
    with gmsh_session():
        occ = gmsh.model.occ
        gmsh.option.setNumber("General.Verbosity", 0)
        owned = [
            (occ.addBox(-half * k, -half * k, -BOARD_T * k, 2 * half * k, 2 * half * k,
                        BOARD_T * k), "board"),
            (occ.addBox(-half * k, -half * k, HEIGHT * k, 2 * half * k, 2 * half * k,
                        PKG_T * k), "package"),
        ]
        for cy in CENTRES:
            for cx in CENTRES:
                r = 0.5 * DIAM * k
                owned.append((occ.addCylinder(cx * k, cy * k, 0, 0, 0, LAYER * k, r), "solder"))
                owned.append((occ.addCylinder(cx * k, cy * k, LAYER * k, 0, 0,
                                              (HEIGHT - LAYER) * k, r), "solder"))
        z0, dz = -2 * BOARD_T * k, 4 * (BOARD_T + HEIGHT + PKG_T) * k
        pts = [occ.addPoint(x, y, z0) for x, y in ((0, 0), (2 * half * k, 0),
                                                     (2 * half * k, 2 * half * k))]
        loop = occ.addCurveLoop([occ.addLine(pts[i], pts[(i + 1) % 3]) for i in range(3)])
        wedge = next(t for d, t in occ.extrude([(2, occ.addPlaneSurface([loop]))], 0, 0, dz)
                     if d == 3)
        cut = []
        for tag, name in owned:
            out, _ = occ.intersect([(3, tag)], [(3, wedge)], removeObject=True, removeTool=False)
            cut.extend((t, name) for d, t in out if d == 3)
        occ.remove([(3, wedge)], recursive=True)
        _, out_map = occ.fragment([(3, t) for t, _ in cut], [])
        occ.synchronize()
        groups: dict[str, list[int]] = {}
        for (_, name), children in zip(cut, out_map, strict=True):
            groups.setdefault(name, []).extend(t for d, t in children if d == 3)
        for name, tags in groups.items():
            gmsh.model.addPhysicalGroup(3, sorted(set(tags)), name=name)
        ys, ds = [], []
        for _, s in gmsh.model.getEntities(2):
            x0, y0, _, x1, y1, _ = gmsh.model.getBoundingBox(2, s)
            if abs(y0) < 1e-5 and abs(y1) < 1e-5:
                ys.append(s)
            elif abs(x0 - y0) < 1e-5 and abs(x1 - y1) < 1e-5:
                b = gmsh.model.getParametrizationBounds(2, s)
                n = gmsh.model.getNormal(s, [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2])
                if abs(abs(n[0] - n[1]) / np.sqrt(2.0) - 1.0) < 1e-6:
                    ds.append(s)
        gmsh.model.addPhysicalGroup(2, ys, name="symmetry_y")
        gmsh.model.addPhysicalGroup(2, ds, name="symmetry_d")
        gmsh.option.setNumber("Mesh.MeshSizeMax", h * k)
        solder_pts = gmsh.model.getBoundary(
            [(3, t) for t in groups["solder"]], combined=False, oriented=False, recursive=True
        )
        gmsh.model.mesh.setSize(list({p for p in solder_pts if p[0] == 0}), h_solder * k)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.model.mesh.generate(3)
        gmsh.model.mesh.affineTransform([1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0])
        return Mesh.from_gmsh(gmsh.model, order=1)


def joint_ids(mesh: Mesh) -> np.ndarray:
    """Joint id per element (row-major over the grid; -1 outside the solder)."""
    cen = mesh.p1.p.T[mesh.p1.t.T].mean(axis=1)
    ix = np.rint(cen[:, 0] / PITCH + 0.5 * (N - 1)).astype(int)
    iy = np.rint(cen[:, 1] / PITCH + 0.5 * (N - 1)).astype(int)
    out = np.full(mesh.n_elements, -1, dtype=np.int64)
    sol = mesh.regions["solder"]
    out[sol] = iy[sol] * N + ix[sol]
    return out


def test_eighth_centres_mirror_and_multiplicity_by_hand():
    """An eighth of the 3 x 3 array (pitch 1 mm): the centre joint (1/8) moves onto the z
    axis, the joint on y = 0 (1/2) onto it, the corner on x = y (1/2) onto that plane; the
    full array has 9 joints: 1 + 4 + 4."""
    planes = SYMMETRIES["eighth"]
    c = np.array([[0.15e-3, 0.05e-3], [1e-3, 0.1e-3], [1.05e-3, 0.95e-3]])
    frac = np.array([0.125, 0.5, 0.5])
    full = full_centres(c, frac, planes, tol=0.3e-3)
    np.testing.assert_allclose(full, [[0, 0], [1e-3, 0], [1e-3, 1e-3]], atol=1e-18)
    np.testing.assert_array_equal(multiplicity(full, planes), [1, 4, 4])
    x, y, v = mirror_images(full[:, 0], full[:, 1], np.arange(3.0), planes)
    got = sorted(zip((x * 1e3).round(9).tolist(), (y * 1e3).round(9).tolist(), v.tolist(),
                     strict=True))
    want = sorted([(0.0, 0.0, 0.0)] + [(a, b, 1.0) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1))]
                  + [(a, b, 2.0) for a in (1, -1) for b in (1, -1)])
    assert got == want
    with pytest.raises(InputError, match=r"joint_fraction\[0\]"):
        full_centres(c, np.array([0.25, 0.5, 0.5]), planes, tol=0.3e-3)
    # centres given with rounding noise (1e-12 of the pitch) count and mirror the same
    noisy = full + np.array([[1e-16, -1e-16], [0.0, 2e-16], [1e-15, 0.0]])
    np.testing.assert_array_equal(multiplicity(noisy, planes), [1, 4, 4])
    assert mirror_images(noisy[:, 0], noisy[:, 1], np.arange(3.0), planes)[0].size == 9


@pytest.mark.slow
def test_eighth_cycling_equals_the_full_model(tmp_path):
    """Delta W of every joint of the eighth (partial joints: a volume average) equals the
    full mirrored model's, and so do the metrics; the map shows the 9 joints."""
    e = eighth_columns()
    full = mirror_mesh(e, "eighth")
    prof = temperature_cycles(
        -40, 125, cycles=2, ramp_K_per_min=20, dwell_s=300, stress_free_C=125, ramp_points=3
    )
    opts = FatigueOptions(layer_thickness=25.4e-6, engelmaier={"delta_alpha": 10e-6})
    kw = dict(pad_diameter=DIAM, fatigue=opts, max_step_K=None, newton_dtol=1e-10)
    rf = run_cycling(full, MATERIALS, prof, joint_ids(full), **kw)
    re = run_cycling(
        e, MATERIALS, prof, joint_ids(e), symmetry="eighth",
        joint_fraction={4: 0.125, 5: 0.5, 8: 0.5}, fixed=symmetry_fixed("eighth"),
        out_dir=tmp_path, **kw,
    )
    ids = list(re.energy.joint)
    assert ids == [4, 5, 8]
    worst = np.abs(re.energy.delta_w / rf.energy.delta_w[ids] - 1).max()
    print(f"eighth cycling: Delta W within {worst:.1e}")
    np.testing.assert_allclose(re.energy.delta_w, rf.energy.delta_w[ids], rtol=1e-6)
    me, mf = re.metrics(), rf.metrics()
    for key in ("dW_crit_MJ_per_m3", "dW_min_MJ_per_m3", "dW_mean_MJ_per_m3", "n_joints",
                "N_darveaux_est", "N_syed_est", "eq_strain_crit"):
        assert me[key] == pytest.approx(mf[key], rel=1e-6), key
    assert re.joint_map.values.size == 9
    np.testing.assert_allclose(np.sort(re.joint_map.values), np.sort(rf.energy.delta_w),
                               rtol=1e-6)


def test_study_cycling_on_an_eighth_equals_the_mirrored_full(monkeypatch):
    """The study's ``[cycling]`` (studies/board_cycling.toml coarsened, a short cycle) on
    the unit on a square board coupon meshed as an eighth (``[mesh] symmetry``) against
    the same study on that board model's full mirrored mesh: every metric to 1e-6."""
    from fea.package import cycling
    from fea.package.board_model import BoardModel, joint_map
    from fea.package.spec import parse_study

    from .test_cycling_case import cycling_raw as _raw

    def case_of(symmetry):
        raw = _raw()
        raw["mesh"]["symmetry"] = symmetry
        raw["cycling"] = {
            "t_min_C": 0.0, "t_max_C": 60.0, "cycles": 1, "dwell_s": 0.0,
            "stress_free_C": 60.0, "board_size_mm": [16.0, 16.0],
            "models": ["darveaux", "syed", "engelmaier"], "delta_alpha_ppm_per_K": 7.0,
        }
        return parse_study(raw).base

    # both models to a Newton displacement tolerance far below the comparison's 1e-6 (the
    # study's 1e-6 left the lives, powers of Delta W, 1.05e-6 apart)
    run = cycling.run_cycling
    monkeypatch.setattr(cycling, "run_cycling",
                        lambda *a, **kw: run(*a, **{**kw, "newton_dtol": 1e-10}))
    c8 = case_of("eighth")
    cut = cycling.cycling_metrics(c8).metrics
    eighth = cycling.build_board_model(cycling.board_model_case(c8), symmetry="eighth")
    full_mesh = mirror_mesh(eighth.mesh)
    cfull = case_of("none")

    def full_model(case, symmetry="none", **kw):
        return BoardModel(full_mesh, None, joint_map(full_mesh, case, "none"), "none")

    monkeypatch.setattr(cycling, "build_board_model", full_model)
    full = cycling.cycling_metrics(cfull).metrics
    assert cut["joints_count"] == full["joints_count"] == 144
    # the solver's own counts (Newton iterations, steps) and times are the model's
    body = [k for k in full if isinstance(full[k], float) and not k.startswith("critical_")
            and not any(s in k for s in ("_s", "iterations", "steps"))]
    assert len(body) >= 7
    bad = {k: (cut[k], full[k]) for k in body
           if abs(cut[k] - full[k]) > 1e-6 * abs(full[k]) + 1e-12}
    assert not bad, bad
    worst = max(abs(cut[k] / full[k] - 1) for k in body if full[k])
    print(f"{len(body)} cycling metrics, largest relative difference {worst:.1e}")
    # the critical joint is one of the images of the full model's
    assert np.hypot(cut["critical_x_mm"], cut["critical_y_mm"]) == pytest.approx(
        np.hypot(full["critical_x_mm"], full["critical_y_mm"]), rel=1e-9)


def test_an_eighth_cycling_case_on_an_oblong_coupon_is_refused_at_its_key():
    """``[cycling] symmetry = "eighth"`` with a 20 x 24 mm coupon: refused under
    ``cycling.board_size_mm`` (the key the user set), not the geometry's board key."""
    from fea.package import cycling
    from fea.package.spec import parse_study

    from .test_cycling_case import cycling_raw as _raw

    raw = _raw()
    raw["mesh"]["symmetry"] = "none"
    raw["cycling"] = {"t_min_C": 0.0, "t_max_C": 60.0, "cycles": 1, "symmetry": "eighth",
                      "board_size_mm": [20.0, 24.0],
                      "models": ["darveaux", "syed", "engelmaier"],  # the study's columns
                      "delta_alpha_ppm_per_K": 7.0}
    with pytest.raises(InputError, match=r"cycling\.board_size_mm.*square"):
        cycling.board_model_case(parse_study(raw).base)
    raw["cycling"]["board_size_mm"] = [20.0, 20.0]
    assert cycling.board_model_case(parse_study(raw).base).geometry.board.size == (
        pytest.approx((0.02, 0.02)))
