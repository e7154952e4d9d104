"""Shielding estimates of the shell's openings against the published closed forms,
computed here independently of :meth:`fea.package.spec.GeometrySpec.aperture`.

H. W. Ott, *Electromagnetic Compatibility Engineering*, Wiley 2009, ch. 6 (Shielding):
one aperture of largest dimension L shields SE = 20 log10(lambda / (2 L)) for L < lambda/2
(0 dB at L = lambda/2, none beyond); n apertures of one wall within lambda/2 of each other
shield 20 log10(sqrt(n)) = 10 log10(n) less; apertures on different walls radiate in
different directions and are not added. lambda = c / f in free space.
"""

from __future__ import annotations

import copy
import importlib
import math
import warnings

import pytest

from fea.package.spec import parse_study

from .test_spec import GOOD

C = 299_792_458.0  # m/s
#: the module (fea.package's ``analyse`` is its function)
analyse_mod = importlib.import_module("fea.package.analyse")

STUDY = GOOD  # the baseline unit of the reader tests


def geometry(freq_ghz: float = 5.0, rule: str = "warn", **openings):
    d = copy.deepcopy(STUDY)
    d["geometry"]["frequency_GHz"] = freq_ghz
    d["geometry"]["aperture_rule"] = rule
    o = d["geometry"]["openings"]
    o.update(openings)
    if o["kind"] != "slots":  # keys read for slots only (a note otherwise)
        o.pop("height_mm")
    if o["kind"] == "pillars":
        o.pop("z0_mm")
    return parse_study(d).base.geometry


def ott_single(lam: float, L: float) -> float:
    """Ott's single-aperture SE [dB]; the formula holds for L <= lambda/2 (0 dB there)."""
    return max(0.0, 20 * math.log10(lam / (2 * L)))


def test_baseline_slots_against_ott():
    """4 slots 0.5 x 0.2 mm per 10 mm wall at 5 GHz: lambda = c/f = 59.96 mm (free
    space), L = 0.5 mm (the longest side), 35.56 dB for one, all 4 within lambda/2
    (30 mm) of each other: 35.56 - 6.02 = 29.54 dB."""
    a = geometry().aperture()
    lam = C / 5e9
    assert a["wavelength"] == pytest.approx(lam, rel=1e-12)
    assert a["L"] == pytest.approx(0.5e-3)
    assert a["ratio"] == pytest.approx(0.5e-3 / (lam / 2))
    assert a["shielding_dB"] == pytest.approx(35.557, abs=1e-3)
    assert a["shielding_array_dB"] == pytest.approx(
        35.557 - 20 * math.log10(math.sqrt(4)), abs=1e-3
    )


def test_a_hole_is_rated_by_its_diameter():
    a = geometry(kind="holes", width_mm=0.4).aperture()
    assert a["shielding_dB"] == pytest.approx(20 * math.log10(C / 5e9 / 0.8e-3))


def test_walls_are_rated_each_with_its_own_openings():
    """One 5 mm slot in wall xmin, 40 holes of 0.1 mm in wall ymin, the other walls
    closed, 5 GHz. Per wall (Ott): xmin 20 log10(59.96/10) = 15.56 dB with n = 1;
    ymin 20 log10(59.96/0.2) - 10 log10(40) = 49.54 - 16.02 = 33.52 dB. The shell leaks
    worst through xmin: 15.56 dB. The wall's largest opening was combined with another
    wall's count: 15.56 - 16.02 = -0.46 dB, 16 dB too low."""
    d = copy.deepcopy(STUDY)
    d["geometry"]["openings"] = {
        "kind": "none",
        "sides": {
            "xmin": {"kind": "slots", "count": 1, "width_mm": 5.0},
            "ymin": {"kind": "holes", "count": 40, "width_mm": 0.1},
        },
    }
    a = parse_study(d).base.geometry.aperture()
    lam = C / 5e9
    xmin = ott_single(lam, 5e-3)
    ymin = ott_single(lam, 0.1e-3) - 10 * math.log10(40)
    assert xmin == pytest.approx(15.557, abs=1e-3) and ymin == pytest.approx(33.516, abs=1e-3)
    assert a["shielding_dB"] == pytest.approx(xmin)
    assert a["shielding_array_dB"] == pytest.approx(min(xmin, ymin))
    assert a["apertures"] == 1  # the wall that sets shielding_array_dB


def test_an_opening_of_half_a_wavelength_or_more_shields_nothing():
    """400 GHz: lambda = 0.7495 mm, a 0.5 mm slot is 1.33 lambda/2, past the formula's
    range (Ott: 0 dB at L = lambda/2): 0 dB, not 20 log10(0.7495/1.0) = -2.51 dB, and the
    4 slots of the wall 0 dB, not -8.53 dB (a 'shielding' that amplifies)."""
    a = geometry(400.0).aperture()
    assert a["ratio"] == pytest.approx(0.5e-3 / (C / 400e9 / 2))
    assert a["ratio"] > 1
    assert a["shielding_dB"] == 0.0
    assert a["shielding_array_dB"] == 0.0


def test_an_array_shields_no_less_than_nothing():
    """40 pillar gaps of 0.1 mm (0.25 mm pitch) at 150 GHz: L = 0.6 mm (the cavity's
    depth), lambda = 1.9986 mm: one gap 20 log10(1.9986/1.2) = 4.43 dB; 4 gaps within
    lambda/2 = 0.999 mm (1 + floor(0.999/0.25)): 4.43 - 6.02 < 0, so 0 dB (was -1.59)."""
    a = geometry(150.0, kind="pillars", count=40, width_mm=0.1).aperture()
    lam = C / 150e9
    assert a["shielding_dB"] == pytest.approx(ott_single(lam, 0.6e-3))
    assert a["shielding_dB"] == pytest.approx(4.431, abs=1e-3)
    assert a["apertures"] == 4
    assert a["shielding_array_dB"] == 0.0


def test_only_openings_within_half_a_wavelength_count():
    """10 slots at 1 mm pitch, 40 GHz: lambda/2 = 3.747 mm holds 4 of them."""
    a = geometry(40.0, count=10).aperture()
    lam = C / 40e9
    assert a["apertures"] == 1 + math.floor(lam / 2 / 1e-3)
    assert a["shielding_array_dB"] == pytest.approx(ott_single(lam, 0.5e-3) - 10 * math.log10(4))


# -- aperture_rule = "warn" ----------------------------------------------------------------


def test_the_warn_rule_warns_of_an_opening_of_half_a_wavelength():
    """aperture_rule = "warn" (the default) warned of nothing: a 0.5 mm slot at 400 GHz
    (lambda/2 = 0.375 mm) went through without a word. Now an ApertureWarning (a
    UserWarning: the study table's notes) naming L, lambda/2 and the frequency."""
    from fea.package.analyse import ApertureWarning, shielding_metrics

    with pytest.warns(ApertureWarning, match=r"L = 0\.5 mm.*0\.374741 mm.*400 GHz"):
        m, notes = shielding_metrics(geometry(400.0))
    assert m["aperture_ratio"] > 1 and m["shielding_dB"] == 0.0
    assert len(notes) == 1 and "half the wavelength" in notes[0]
    for g in (geometry(400.0, rule="off"), geometry(5.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert shielding_metrics(g)[1] == []


def test_analyse_warns_before_solving(monkeypatch):
    """analyse issues the rule's warning (before the thermal solve, stopped here): a
    UserWarning, which a study's runner puts in the case's notes."""

    class StopError(Exception):
        pass

    def stop(case):
        raise StopError

    monkeypatch.setattr(analyse_mod, "thermal_analysis", stop)
    d = copy.deepcopy(STUDY)
    d["geometry"]["frequency_GHz"] = 400.0
    case = parse_study(d).base
    with pytest.warns(UserWarning, match="half the wavelength"), pytest.raises(StopError):
        analyse_mod.analyse(case)


def test_a_model_read_from_a_file_has_no_shielding_columns():
    """No shell openings are known for the user's own model: no columns, no warning."""
    from fea.package.analyse import shielding_metrics
    from fea.package.spec.geometry import ImportedGeometrySpec

    g = ImportedGeometrySpec(frequency=400e9, aperture_rule="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert shielding_metrics(g) == ({}, [])
