"""Absurd magnitudes in ``[cycling]`` and ``[contacts]`` that were read and then ran for
hours, failed in the solver under another name or gave lives of 0 without a word: each is
refused at its key, and the published values next to them still read."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from fea.errors import InputError
from fea.package.spec import parse_study

ROOT = Path(__file__).resolve().parents[2]
CYCLING = tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text())
DARVEAUX = {  # Darveaux's SnPb constants, psi and inches
    "K1": 22400.0,
    "K2": -1.52,
    "K3": 5.86e-7,
    "K4": 0.98,
    "energy_unit_Pa": 6894.757,
    "length_unit_m": 0.0254,
    "thickness_um": 25.0,
}


def _cycling(**keys):
    raw = copy.deepcopy(CYCLING)
    raw["cycling"].update(keys)
    return raw


@pytest.mark.parametrize(
    ("keys", "key"),
    [
        ({"inelastic_step_tol": 1e-300}, "cycling.inelastic_step_tol"),
        ({"pad_diameter_mm": 1e-300}, "cycling.pad_diameter_mm"),
        ({"darveaux": {**DARVEAUX, "K1": 1e300}}, "cycling.darveaux.K1"),
        ({"darveaux": {**DARVEAUX, "K3": 1e-300}}, "cycling.darveaux.K3"),
        ({"darveaux": {**DARVEAUX, "energy_unit_Pa": 1e-300}}, "cycling.darveaux.energy_unit_Pa"),
        ({"darveaux": {**DARVEAUX, "length_unit_m": 1e300}}, "cycling.darveaux.length_unit_m"),
    ],
)
def test_absurd_cycling_magnitudes_are_refused_at_their_key(keys, key):
    with pytest.raises(InputError) as err:
        parse_study(_cycling(**keys))
    assert err.value.key == key


def test_the_published_values_beside_them_still_read():
    spec = parse_study(
        _cycling(inelastic_step_tol=3e-4, pad_diameter_mm=0.025, darveaux=dict(DARVEAUX))
    )
    c = spec.base.cycling
    assert c.inelastic_step_tol == 3e-4
    assert c.fatigue.pad_diameter_m == pytest.approx(25e-6)
    assert c.darveaux.K1 == 22400.0


def test_a_contact_resistance_of_nothing_is_refused_at_its_key():
    """1e-300 mm^2 K/W made the conduction matrix singular (reported by Pardiso as a body
    without restraint); a bonded interface is one left out of [contacts]."""
    raw = copy.deepcopy(CYCLING)
    raw["contacts"] = {"die|die_attach": {"R_mm2K_per_W": 1e-300}}
    with pytest.raises(InputError) as err:
        parse_study(raw)
    assert err.value.key == "contacts.die|die_attach.R_mm2K_per_W"
    assert "leave it out" in err.value.allowed
    raw["contacts"] = {"die|die_attach": {"R_mm2K_per_W": 1e-4}}
    assert parse_study(raw).base.contacts == {"die|die_attach": pytest.approx(1e-10)}
