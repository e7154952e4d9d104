"""``solve_history(watch=...)``: element sets followed through every converged step.

A reported state is a sample of its set's path: the sample equals the volume average of
that state's own fields (computed here from the state, independently of the sampler);
the path holds the steps between the states (a ramp's sub-steps, a cut step's halves),
which a hysteresis loop drawn through the states alone would cut straight across."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.fe.forms import strain_at_quadrature
from fea.physics.history import solve_history
from fea.physics.inelastic import Plastic
from fea.physics.materials import Material
from fea.physics.viscoelastic import WLF, Prony

from ..verification.helpers import layered_box, plane

E, NU = 100e9, 0.3


@pytest.fixture(scope="module")
def bilayer():
    """A plastic layer under a viscoelastic one, 2 x 1 mm, clamped at x = 0."""
    return layered_box(
        (2e-3, 1e-3),
        [("pl", 0.3e-3, 1), ("ve", 0.3e-3, 1)],
        0.3e-3,
        order=1,
        faces={"x0": plane(0, 0.0)},
    )


def _materials(yield_stress=60e6):
    return {
        "pl": Material("pl", E=E, nu=NU, alpha=20e-6, k=1.0,
                       inelastic=Plastic(yield_stress, 2e9)),
        "ve": Material("ve", E=10e9, nu=0.35, alpha=40e-6, k=1.0,
                       relaxation=Prony((0.3, 0.35, 0.25), (1e-2, 1.0, 1e2)),
                       shift=WLF(17.44, 51.6, 130.0)),
    }


FIXED = {"x0": {"x": 0.0, "y": 0.0, "z": 0.0}}


def _state_average(state, elements):
    """Volume averages of a state's stress [Pa] and strain (engineering shears) over
    ``elements``, from the state's own fields."""
    w = np.asarray(state.space.basis.dx[elements])
    V = w.sum()
    s = np.einsum("eq,eqk->k", w, state.stress_q[elements]) / V
    e = np.einsum("eq,eqk->k", w, strain_at_quadrature(state.space, state.displacement,
                                                       elements=elements)) / V
    e[3:] *= 2.0
    return s, e


def _sets(mesh):
    pl, ve = mesh.regions["pl"], mesh.regions["ve"]
    return {"plastic": pl[::2], "visco": ve, "both": np.concatenate([pl[:3], ve[-3:]])}


def test_every_state_is_a_sample_of_the_watched_path(bilayer):
    mats = _materials()
    hist = [(0.0, 25.0), (100.0, 225.0), (200.0, 25.0)]
    sets = _sets(bilayer)
    res = solve_history(bilayer, mats, hist, fixed=FIXED, reference=25.0, max_step_K=20.0,
                        watch=sets)
    assert set(res.watched) == set(sets)
    assert res.states[-1].region_max()["pl"] > 1e-3  # it yielded: a real loop
    for name, el in sets.items():
        w = res.watched[name]
        np.testing.assert_array_equal(w.elements, el)
        n = len(w.times)
        # the start and every step of 20 K (10 up, 10 down)
        assert n == 21 and w.stress.shape == (n, 6) and w.strain.shape == (n, 6)
        assert np.all(np.diff(w.times) > 0)
        assert len(w.states) == len(res.states)
        np.testing.assert_allclose(w.times[w.states], res.times, rtol=1e-12, atol=1e-12)
        for k, st in zip(w.states, res.states, strict=True):
            s, e = _state_average(st, el)
            np.testing.assert_allclose(w.stress[k], s, rtol=1e-10, atol=1e-10 * np.abs(s).max())
            np.testing.assert_allclose(w.strain[k], e, rtol=1e-10, atol=1e-10 * np.abs(e).max())
        # the hot end of the ramp: 225 degC everywhere
        assert w.temperature[w.states[1]] == pytest.approx(225.0, rel=1e-12)
    # the path between the states is the solver's: the mid-ramp samples are not the
    # straight line between the ends (the plastic layer yields on the way)
    w = res.watched["plastic"]
    mid = w.stress[5, 0]
    line = 0.5 * (w.stress[0, 0] + w.stress[10, 0])
    assert abs(mid - line) > 1e-3 * np.abs(w.stress[:, 0]).max()


def test_cut_steps_are_sampled_too(bilayer):
    mats = {**_materials(), "ve": Material("el", E=2 * E, nu=NU, alpha=2e-6, k=1.0)}
    hist = [(0.0, 25.0), (100.0, 225.0)]
    el = bilayer.regions["pl"]
    res = solve_history(bilayer, mats, hist, fixed=FIXED, substeps=1, max_step_K=None,
                        newton_max_iter=3, watch={"pl": el})
    assert res.solver_info["cutbacks"] > 0
    w = res.watched["pl"]
    # the start, the halves of each cut step, the end: more samples than states
    assert len(w.times) > len(res.states) + 1
    assert np.all(np.diff(w.times) > 0) and w.times[-1] == pytest.approx(100.0)
    s, _ = _state_average(res.states[-1], el)
    np.testing.assert_allclose(w.stress[w.states[-1]], s, rtol=1e-10, atol=1e-3)


def test_a_history_without_inelastic_materials_is_watched_too(bilayer):
    mats = {"pl": Material("pl", E=E, nu=NU, alpha=20e-6, k=1.0), "ve": _materials()["ve"]}
    res = solve_history(bilayer, mats, [(0.0, 125.0), (60.0, 25.0)], fixed=FIXED,
                        reference=125.0, max_step_K=25.0, watch={"ve": bilayer.regions["ve"]})
    w = res.watched["ve"]
    assert len(w.times) == 5 and list(w.states) == [0, 4]
    s, e = _state_average(res.states[-1], bilayer.regions["ve"])
    np.testing.assert_allclose(w.stress[-1], s, rtol=1e-10, atol=1e-10 * np.abs(s).max())
    assert solve_history(bilayer, mats, [(0.0, 25.0)], fixed=FIXED).watched == {}


@pytest.mark.parametrize(
    ("watch", "key"),
    [
        ([1, 2], "watch"),
        ({"": [0]}, "watch"),
        ({"a": []}, "watch['a']"),
        ({"a": [0.5]}, "watch['a']"),
        ({"a": [[0, 1]]}, "watch['a']"),
        ({"a": [-1]}, "watch['a']"),
        ({"a": [10**9]}, "watch['a']"),
        ({"a": [0, 0]}, "watch['a']"),
    ],
)
def test_a_bad_watch_is_refused_naming_it(bilayer, watch, key):
    with pytest.raises(InputError) as ei:
        solve_history(bilayer, _materials(), [(0.0, 25.0)], fixed=FIXED, watch=watch)
    assert ei.value.key == key

