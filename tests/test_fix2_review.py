"""Defects found in review: literal plot text, moisture data checks, moisture key columns."""

from __future__ import annotations

import numpy as np
import pytest

#: A name matplotlib's mathtext cannot set: drawing it as math fails with "Unknown symbol".
BAD = r"run$\nosuchsymbol$ 1"


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


# --- 1. plot text shown as written -------------------------------------------------------


def test_convergence_figure_text_is_literal(tmp_path):
    pytest.importorskip("matplotlib")
    from fea.study.converge import Convergence, convergence_figure

    r = Convergence(
        metric=f"{BAD}@25C", sizes=(1e-3, 1.5e-3, 2.25e-3), values=(1.0, 1.1, 1.3),
        ratio=1.5, order=1.0, order_assumed=False, extrapolated=0.9, gci_fine=0.05,
        chosen_error=0.05,
    )
    fig = convergence_figure([r], title=BAD)
    shown = {t.get_text() for t in _texts(fig) if not t.get_parse_math()}
    assert BAD in shown  # the suptitle
    assert f"{BAD}@25C" in shown  # the y label
    assert any(BAD in s and s.endswith("p = 1.00") for s in shown)  # the panel title
    fig.savefig(tmp_path / "c.png")  # math text would fail here


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
