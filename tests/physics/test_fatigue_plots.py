"""The fatigue plots (joint map, hysteresis loop) draw a title with '$' as written."""

from __future__ import annotations

import numpy as np
import pytest

#: A name matplotlib's mathtext cannot set: drawing it as math fails with "Unknown symbol".
BAD = r"run$\nosuchsymbol$ 1"


def test_fatigue_plots_accept_dollar_titles(tmp_path):
    pytest.importorskip("matplotlib")
    from fea.physics import fatigue

    x = np.array([0.0, 1e-3, 0.0, 1e-3])
    y = np.array([0.0, 0.0, 1e-3, 1e-3])
    m = fatigue.plot_joint_map(x, y, [1e5, 2e5, 3e5, 4e5], tmp_path / "m.png", title=BAD)
    assert m.path.stat().st_size > 0
    t = np.linspace(0.0, 2.0 * np.pi, 41)
    loop = fatigue.HysteresisLoop(1e-2 * np.cos(t), 1e6 * np.sin(t), np.pi * 1e4, (0, 40))
    out = fatigue.plot_hysteresis(loop, tmp_path / "h.png", title=BAD)
    assert out.stat().st_size > 0
