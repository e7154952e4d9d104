"""The convergence figure shows its metric and title as written: a '$' in a name is text,
not mathtext."""

from __future__ import annotations

import pytest

#: A name matplotlib's mathtext cannot set: drawing it as math fails with "Unknown symbol".
BAD = r"run$\nosuchsymbol$ 1"


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


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
