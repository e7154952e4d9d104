"""The life models' alloy bookkeeping against the alloy descriptions in use.

``alloy_mismatch_notes`` warns when a model's constants were fitted on the other alloy
family (tin-lead against lead-free) than the joints': a lead-free description that names
Pb ("Pb-free SAC305") was taken as tin-lead, and a tin-lead one that spells the metal out
("tin-lead eutectic") as lead-free, so the note was dropped where it was due (Darveaux's
SnPb constants on SAC joints, silently) and given where it was not.
"""

from __future__ import annotations

import pytest

from fea.physics import fatigue as fat


def _models(notes: list[str]) -> list[str]:
    return sorted(n.split("'s constants")[0] for n in notes)


@pytest.mark.parametrize(
    "alloy", ["SAC305 (Pb-free)", "Pb free Sn-3.0Ag-0.5Cu", "PbFree SAC405", "lead-free SAC"]
)
def test_a_pb_free_alloy_is_lead_free(alloy: str) -> None:
    notes = fat.alloy_mismatch_notes(alloy, "SnPb_Darveaux2000_25um", "SAC_Syed2004", True)
    # Darveaux's and Engelmaier's constants are SnPb ones, Syed's SAC: two notes
    assert _models(notes) == ["Darveaux", "Engelmaier"]


def test_tin_lead_spelled_out_is_lead_bearing() -> None:
    notes = fat.alloy_mismatch_notes(
        "tin-lead eutectic", "SnPb_Darveaux2000_25um", "SAC_Syed2004", True
    )
    assert _models(notes) == ["Syed"]
    sac_fit = fat.DarveauxConstants(
        K1=1.0,
        K2=-1.0,
        K3=1e-7,
        K4=1.0,
        energy_unit=1e6,
        length_unit=1e-3,
        thickness=25e-6,
        alloy="Sn-3.0Ag-0.5Cu",
    )
    snpb_fit = fat.DarveauxConstants(
        K1=1.0,
        K2=-1.0,
        K3=1e-7,
        K4=1.0,
        energy_unit=1e6,
        length_unit=1e-3,
        thickness=25e-6,
        alloy="tin-lead (Sn63Pb37)",
    )
    assert _models(fat.alloy_mismatch_notes("Sn-Pb eutectic", sac_fit)) == ["Darveaux"]
    assert _models(fat.alloy_mismatch_notes("Sn-3.0Ag-0.5Cu", snpb_fit)) == ["Darveaux"]
    assert fat.alloy_mismatch_notes("Sn-3.0Ag-0.5Cu", sac_fit) == []
