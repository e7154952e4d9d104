"""``[outputs] warpage_face = "ball_side"``: a unit's warpage columns are measured on the
substrate's bottom face (between the terminals), the top's by default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from fea.package import meshing as mesh_mod
from fea.package.analyse import warpage_metrics
from fea.package.spec import load_study

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def _peak_to_valley_um(me, name: str) -> float:
    """u_z of the face's nodes less its least-squares plane over the face's projected
    area, max - min [um] (order 1 mesh: u_z is linear on each triangle, so the squared
    misfit is quadratic there and its edge midpoints with a third of the triangle's
    projected area each integrate it exactly; the extremes of a linear field minus a
    plane are at the nodes)."""
    mesh = me.mesh
    tri = mesh.p1.facets[:, mesh.boundaries[name]].T
    x, y, w = mesh.nodes[:, 0], mesh.nodes[:, 1], me.displacement[:, 2]
    area = 0.5 * np.abs(
        (x[tri[:, 1]] - x[tri[:, 0]]) * (y[tri[:, 2]] - y[tri[:, 0]])
        - (x[tri[:, 2]] - x[tri[:, 0]]) * (y[tri[:, 1]] - y[tri[:, 0]])
    )
    edges = [(0, 1), (1, 2), (2, 0)]

    def mid(v):
        return np.concatenate([0.5 * (v[tri[:, i]] + v[tri[:, j]]) for i, j in edges])

    s = np.sqrt(np.tile(area / 3.0, 3))
    A = np.column_stack([np.ones(3 * len(tri)), mid(x), mid(y)]) * s[:, None]
    c = np.linalg.lstsq(A, mid(w) * s, rcond=None)[0]
    nodes = np.unique(tri)
    r = w[nodes] - (c[0] + c[1] * x[nodes] + c[2] * y[nodes])
    return float(r.max() - r.min()) * 1e6


@pytest.mark.slow
def test_ball_side_warpage_is_the_bottom_face(tmp_path, monkeypatch):
    monkeypatch.setattr(mesh_mod, "CACHE_DIR", tmp_path / "meshes")
    top = load_study(TINY).base
    assert top.mesh.order == 1 and top.report.warpage_face == "top"
    report = dataclasses.replace(top.report, warpage_face="ball_side")
    ball = dataclasses.replace(top, report=report)
    m_top, s_top = warpage_metrics(top)
    m_ball, s_ball = warpage_metrics(ball)
    me = s_ball["25C"]
    assert m_ball["warpage_um@25C"] == pytest.approx(_peak_to_valley_um(me, "bottom"), rel=1e-9)
    assert m_top["warpage_um@25C"] == pytest.approx(
        _peak_to_valley_um(s_top["25C"], "top"), rel=1e-9
    )
    # one solve, two faces: the displacement is the same, the measured face differs
    assert np.allclose(me.displacement, s_top["25C"].displacement, rtol=0, atol=1e-15)
    assert m_ball["warpage_um@25C"] != pytest.approx(m_top["warpage_um@25C"], rel=1e-3)
