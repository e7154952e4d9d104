"""``fea.physics.moisture_data``: a huge activation energy, a name that is no text and a
reference temperature off water's saturation line refused at their key; the line's ends
accepted."""

from __future__ import annotations

import numpy as np
import pytest


def test_from_reference_refuses_huge_activation_energy():
    from fea.errors import InputError
    from fea.physics.moisture_data import MoistureProperties

    with pytest.raises(InputError) as err:  # exp(1e30 / RT) overflowed
        MoistureProperties.from_reference("x", 1e-12, 1e30, Csat_kg_per_m3=5.0)
    assert err.value.key == "moisture.x.Ea_J_per_mol"
    with pytest.raises(InputError):
        MoistureProperties.from_reference("x", 1e-12, -1.0, Csat_kg_per_m3=5.0)
    # an allowed one gives D(T_ref) = D_ref: D0 exp(-Ea / (R T_ref)), R in J/(mol K)
    p = MoistureProperties.from_reference("x", 1e-12, 60e3, Csat_kg_per_m3=5.0, T_ref_C=85.0)
    assert p.D0_m2_per_s * np.exp(-60e3 / (8.314462618 * 358.15)) == pytest.approx(1e-12)


@pytest.mark.parametrize("name", [[], None, 3, ("epoxy",)])
def test_get_refuses_a_name_that_is_no_text(name):
    from fea.errors import InputError
    from fea.physics import moisture_data

    with pytest.raises(InputError) as err:
        moisture_data.get(name)
    assert err.value.key == "moisture.material"


@pytest.mark.parametrize("T", [-1.0, -100.0, 374.0, 500.0])
def test_reference_temperature_off_the_saturation_line_is_refused(T):
    from fea.errors import InputError
    from fea.physics.moisture_data import MoistureProperties

    with pytest.raises(InputError) as err:
        MoistureProperties("x", 1e-6, 40e3, 5.0, T_ref_C=T)
    assert err.value.key == "moisture.x.T_ref_C"
    with pytest.raises(InputError) as err:
        MoistureProperties.from_reference("x", 1e-12, 40e3, Csat_kg_per_m3=5.0, T_ref_C=T)
    assert err.value.key == "moisture.x.T_ref_C"


def test_reference_temperature_ends_of_the_saturation_line_accepted():
    from fea.physics.moisture_data import MoistureProperties

    for T in (0.0, 373.946):
        assert MoistureProperties("x", 1e-6, 40e3, 5.0, T_ref_C=T).T_ref_C == T
