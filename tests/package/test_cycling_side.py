"""Darveaux's Delta W is taken at the interface the crack runs along: the one of the
larger Delta W. A run evaluates one pad's layer (``side``, default the board's); on the
3 x 3 column array (a low-CTE "package" plate on a high-CTE "board" plate) the package
pad's layer dissipates about 1.8 times as much per cycle as the board pad's, and the run
reported the board side's Delta W and its longer lives with nothing said. Now it says
so, naming the other side, its critical joint and the ratio (computed here by hand from
the elements' energies: the layer selected and averaged in NumPy)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from fea.package.cycling import OTHER_SIDE_MARGIN, FatigueOptions, run_cycling
from fea.physics.cycling import temperature_cycles

from .cycling_model import MATERIALS, column_array

LAYER = 50e-6


@pytest.fixture(scope="module")
def model():
    return column_array(h=0.4e-3, h_solder=0.15e-3)


def _run(model, side):
    mesh, joint, geo = model
    prof = temperature_cycles(
        -40, 125, cycles=2, ramp_K_per_min=20, dwell_s=300, stress_free_C=125, ramp_points=3
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        run = run_cycling(
            mesh,
            MATERIALS,
            prof,
            joint,
            pad_diameter=geo["diameter"],
            fatigue=FatigueOptions(layer_thickness=LAYER, side=side, syed=None, darveaux=None),
            max_step_K=None,
        )
    notes = [str(w.message) for w in caught if "-side layer's Delta W" in str(w.message)]
    return run, notes


def _by_hand(model, run, top: bool) -> np.ndarray:
    """Each joint's layer Delta W at its top (package) or bottom (board) pad: elements
    whose centroid lies within LAYER of the joint's extreme node z, volume-weighted."""
    mesh, joint, _ = model
    p, t = mesh.p1.p.T, mesh.p1.t.T
    zs = p[t][:, :, 2]
    zc = zs.mean(axis=1)
    vol = mesh.element_volumes()
    k0, k1 = run.cycle
    dW = (
        run.history.states[k1].inelastic["fields"]["dissipated_energy_density"]
        - run.history.states[k0].inelastic["fields"]["dissipated_energy_density"]
    )
    out = []
    for j in np.unique(joint[joint >= 0]):
        el = np.flatnonzero(joint == j)
        d = zs[el].max() - zc[el] if top else zc[el] - zs[el].min()
        lay = el[d <= LAYER]
        out.append((dW[lay] * vol[lay]).sum() / vol[lay].sum())
    return np.array(out)


@pytest.mark.slow
def test_a_board_side_run_says_the_package_side_dissipates_more(model):
    run, notes = _run(model, "board")
    board = _by_hand(model, run, top=False)
    package = _by_hand(model, run, top=True)
    np.testing.assert_allclose(run.energy.delta_w, board, rtol=1e-12)
    ratio = package.max() / board.max()
    assert ratio > 1.0 + OTHER_SIDE_MARGIN  # 1.77 on this mesh
    assert len(notes) == 1, notes
    note = notes[0]
    assert note.startswith("the package-side layer's Delta W")
    assert f"joint {int(np.argmax(package))}:" in note
    assert re.search(r"is ([0-9.]+) times the evaluated board side's", note)
    stated = float(re.search(r"is ([0-9.]+) times", note).group(1))
    assert stated == pytest.approx(ratio, rel=5e-3)
    assert "side = 'package'" in note
    # the package side evaluated: its Delta W reported, and nothing to say
    run_p, notes_p = _run(model, "package")
    np.testing.assert_allclose(run_p.energy.delta_w, package, rtol=1e-9)
    assert notes_p == []
