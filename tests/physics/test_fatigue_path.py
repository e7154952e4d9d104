"""The critical joint's loop along every solver step (:func:`fea.physics.fatigue.
hysteresis_path`) and the interface layers known before a solve
(:func:`fea.physics.fatigue.interface_layers`)."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import fatigue as fat


def _parallelogram(per_side=50):
    """A clockwise elastic-perfectly-plastic loop in (gamma, tau): tau_y 10 MPa,
    G 10 GPa, gamma_a 4e-3, sampled ``per_side`` steps a side; the corners are samples."""
    tau_y, G, ga = 10e6, 10e9, 4e-3
    corners = [(ga, tau_y), (ga - 2 * tau_y / G, -tau_y), (-ga, -tau_y),
               (-ga + 2 * tau_y / G, tau_y), (ga, tau_y)]
    g, t = [], []
    for (g0, t0), (g1, t1) in zip(corners[:-1], corners[1:], strict=True):
        q = np.linspace(0.0, 1.0, per_side + 1)[:-1]
        g += list(g0 + q * (g1 - g0))
        t += list(t0 + q * (t1 - t0))
    g.append(ga)
    t.append(tau_y)
    return np.array(g), np.array(t), 4 * tau_y * (ga - tau_y / G)


def test_the_path_loop_follows_every_step_and_marks_the_states(monkeypatch, tmp_path):
    g, t, exact = _parallelogram()
    n = g.size
    # pad shear along x: sigma_xz and gamma_xz (index 4); a y-shear that the direction ignores
    S = np.zeros((n, 6))
    S[:, 4], S[:, 3] = t, 5e6
    Eps = np.zeros((n, 6))
    Eps[:, 4], Eps[:, 3] = g, 1e-3
    states = np.array([0, 50, 100, 150, 200])  # the corners: four "reported states"
    loop = fat.hysteresis_path(S, Eps, (1.0, 0.0), cycle=(0, n - 1), marks=states)
    assert loop.area == pytest.approx(exact, rel=1e-12)
    # through the states alone the loop is the same parallelogram here (straight sides)
    by_states = fat.loop_area(g[states], t[states])
    assert by_states == pytest.approx(exact, rel=1e-12)
    # a curved side: the states alone cut it straight; the path does not
    t2 = t.copy()
    t2[1:50] += 2e6 * np.sin(np.linspace(0, np.pi, 51)[1:-1])
    S[:, 4] = t2
    curved = fat.hysteresis_path(S, Eps, (1.0, 0.0), cycle=(0, n - 1), marks=states)
    assert curved.area != pytest.approx(fat.loop_area(g[states], t2[states]), rel=1e-3)
    np.testing.assert_array_equal(curved.marks, states)
    # the plot: the bold cycle carries a marker at each state only, the legend says so
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig))
    fat.plot_hysteresis(curved, tmp_path / "h.png", delta_w=curved.area)
    (fig,) = figs
    ax = fig.axes[0]
    texts = [x.get_text() for x in ax.get_legend().get_texts()]
    cyc = next(x for x in texts if x.startswith("cycle"))
    assert f"{n - 1} solver steps, 4 states" in cyc
    bold = next(line for line in ax.get_lines() if line.get_label() == cyc)
    assert list(bold.get_markevery()) == list(states)
    assert len(bold.get_xdata()) == n


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"stress": np.zeros((5, 3))}, "fatigue.stress"),
        ({"strain": np.zeros((4, 6))}, "fatigue.strain"),
        ({"cycle": (3, 2)}, "fatigue.cycle"),
        ({"cycle": (0, 5)}, "fatigue.cycle"),
        ({"marks": [0, 9]}, "fatigue.marks"),
        ({"marks": [0.5]}, "fatigue.marks"),
        ({"direction": (0.0, 0.0)}, "fatigue.direction"),
    ],
)
def test_a_bad_path_is_refused_naming_it(kw, key):
    args = {"stress": np.zeros((5, 6)), "strain": np.zeros((5, 6)), "direction": (1.0, 0.0),
            "cycle": (0, 4), "marks": None}
    args.update(kw)
    with pytest.raises(InputError) as ei:
        fat.hysteresis_path(**args)
    assert ei.value.key == key


def test_interface_layers_are_the_layers_joint_energy_averages_over():
    rng = np.random.default_rng(3)
    n = 60
    joint = np.repeat([0, 1, 2, -1], 15)
    cen = np.column_stack([rng.uniform(0, 1e-3, n), rng.uniform(0, 1e-3, n),
                           rng.uniform(0, 150e-6, n)])
    vol = rng.uniform(1, 2, n) * 1e-15
    energy = rng.uniform(0, 1e5, n)
    for side in ("board", "package"):
        lay = fat.interface_layers(cen, joint, thickness=40e-6, side=side)
        je = fat.joint_energy(vol, cen, joint, energy, thickness=40e-6, side=side)
        np.testing.assert_array_equal(lay.joint, je.joint)
        np.testing.assert_array_equal(lay.pad_z, je.pad_z)
        for j, el in enumerate(lay.layer):
            assert el.size == je.layer_elements[j]
            np.testing.assert_allclose((energy[el] * vol[el]).sum() / vol[el].sum(),
                                       je.delta_w[j], rtol=1e-12)
            assert set(el) <= set(lay.elements[j])
            z = cen[el, 2]
            d = z - lay.pad_z[j] if side == "board" else lay.pad_z[j] - z
            assert np.all((d >= 0) & (d <= 40e-6))
    with pytest.raises(InputError) as ei:
        fat.interface_layers(cen[:, :2], joint)
    assert ei.value.key == "fatigue.centroids"
    with pytest.raises(InputError) as ei:
        fat.interface_layers(cen, joint[:-1])
    assert ei.value.key == "fatigue.joint"
