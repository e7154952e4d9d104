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
    """u_z of the face's nodes less its best-fit plane, max - min [um] (order 1 mesh)."""
    mesh = me.mesh
    nodes = np.unique(mesh.p1.facets[:, mesh.boundaries[name]])
    x, y = mesh.nodes[nodes, 0], mesh.nodes[nodes, 1]
    w = me.displacement[nodes, 2]
    A = np.column_stack([np.ones_like(x), x, y])
    r = w - A @ np.linalg.lstsq(A, w, rcond=None)[0]
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
