"""The solder-joint life models (:mod:`fea.physics.fatigue`) given wrong arguments: each an
InputError naming it (not a ZeroDivisionError, TypeError or OverflowError, or a silently
odd answer); an Engelmaier strain beyond the model's range leaves that estimate out with a
warning instead of failing the whole evaluation; models fitted on another alloy family
noted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import fatigue as fat

# -- Darveaux constants -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"K1": 0.0}, "fatigue.darveaux.K1"),
        ({"K1": "a"}, "fatigue.darveaux.K1"),
        ({"K1": math.nan}, "fatigue.darveaux.K1"),
        ({"K2": math.inf}, "fatigue.darveaux.K2"),
        ({"K3": 0.0}, "fatigue.darveaux.K3"),
        ({"K4": math.nan}, "fatigue.darveaux.K4"),
        ({"energy_unit": 0.0}, "fatigue.darveaux.energy_unit"),
        ({"length_unit": -1.0}, "fatigue.darveaux.length_unit"),
        ({"thickness": 0.0}, "fatigue.darveaux.thickness"),
    ],
)
def test_darveaux_constants_are_checked(kw, key):
    """Before: K3 = 0 or energy_unit = 0 gave a ZeroDivisionError, K1 = 'a' a TypeError,
    K1 <= 0 a negative or zero life."""
    base = {"K1": 22400.0, "K2": -1.52, "K3": 5.86e-7, "K4": 0.98, "energy_unit": fat.PSI,
            "length_unit": 0.0254, "thickness": 25.4e-6}
    with pytest.raises(InputError) as ei:
        fat.DarveauxConstants(**{**base, **kw})
    assert ei.value.key == key


def test_darveaux_life_of_a_vanishing_delta_w_is_infinite_not_an_overflow():
    """N0 = K1 dW^K2 with K2 < 0 overflows a float for dW -> 0: the life is unbounded
    (before: OverflowError)."""
    d = fat.darveaux_life(1e-300, 0.3e-3)
    assert d.cycles == math.inf and d.initiation == math.inf


@pytest.mark.parametrize("name", [["SAC_Syed2004"], 3, None])
def test_set_names_of_a_wrong_type_are_refused(name):
    with pytest.raises(InputError) as ei:
        fat.syed_life(1e5, name)
    assert ei.value.key == "fatigue.syed"
    with pytest.raises(InputError) as ei:
        fat.engelmaier_life(0.01, 40.0, 20.0, name)
    assert ei.value.key == "fatigue.engelmaier"


def test_loop_and_shear_arguments_are_checked():
    with pytest.raises(InputError) as ei:
        fat.hysteresis_loop([1.0], [[0.0], [1.0], [2.0]], [[0.0], [1.0], [2.0]],
                            cycle=(math.nan, 1))
    assert ei.value.key == "fatigue.cycle"
    with pytest.raises(InputError) as ei:
        fat.pad_shear(np.zeros(6), np.zeros(6), [1.0, 0.0, 0.0])
    assert ei.value.key == "fatigue.direction"


def _one_joint() -> fat.JointEnergy:
    """One joint of two 1 mm^3 elements in its 25 um layer, Delta W 0.1 MPa."""
    c = np.array([[0.0, 0.0, 5e-6], [0.0, 0.0, 10e-6]])
    return fat.joint_energy(np.full(2, 1e-9), c, np.zeros(2, dtype=np.int64), np.full(2, 1e5))


def test_engelmaier_beyond_its_range_is_left_out_with_a_warning():
    """d_gamma = L_D d_alpha d_T / h = 4 mm x 1e-3 x 165 K / 0.3 mm = 2.2, beyond 2 eps_f =
    0.65: no Engelmaier estimate and a warning stating the inputs; Darveaux and Syed stand
    (Syed by hand: 1 / (0.0019 x 0.1) = 5263). Within range (1e-5 1/K: 0.022) the estimate
    is there."""
    eng = {"dnp": 4e-3, "delta_alpha": 1e-3, "delta_T": 165.0, "height": 0.3e-3,
           "mean_temperature_C": 42.5, "cycles_per_day": 22.9}
    with pytest.warns(UserWarning, match=r"Engelmaier: the cyclic shear strain range 2\.2 "):
        cols, ests = fat.critical_joint_summary(_one_joint(), 0.3e-3, engelmaier=eng)
    assert "N_engelmaier_est" not in cols and len(ests) == 2
    assert cols["N_syed_est"] == pytest.approx(1.0 / (0.0019 * 0.1), rel=1e-12)
    assert "N_darveaux_est" in cols
    cols, ests = fat.critical_joint_summary(_one_joint(), 0.3e-3,
                                            engelmaier={**eng, "delta_alpha": 1e-5})
    assert cols["N_engelmaier_est"] > 0 and len(ests) == 3


def test_alloy_mismatch_notes_name_the_models_fitted_on_another_alloy_family():
    """Darveaux's and Engelmaier's SnPb constants on SAC305 joints get a note each,
    Syed's SAC model none; on SnPb joints only Syed's; models left out get none."""
    sac = "Sn-3.0Ag-0.5Cu (SAC305)"
    notes = fat.alloy_mismatch_notes(sac, "SnPb_Darveaux2000_25um", "SAC_Syed2004", True)
    assert len(notes) == 2
    assert notes[0].startswith("Darveaux's") and "62Sn36Pb2Ag" in notes[0] and sac in notes[0]
    assert notes[1].startswith("Engelmaier's")
    snpb = fat.alloy_mismatch_notes("62Sn36Pb2Ag", "SnPb_Darveaux2000_25um", "SAC_Syed2004", True)
    assert len(snpb) == 1 and snpb[0].startswith("Syed's")
    assert fat.alloy_mismatch_notes(sac, None, None, False) == []
    assert fat.alloy_mismatch_notes("", "SnPb_Darveaux2000_25um") == []
