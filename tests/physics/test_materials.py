from __future__ import annotations

import numpy as np
import pytest

from fea import materials
from fea.errors import InputError
from fea.physics.materials import Material, Table

#: The numbers of each library entry's cited source, transcribed independently of the
#: library: property -> (low, high) at 25 degC (``"*_hot"``: at 260 degC, above Tg;
#: ``k_500K``: at 500 K), in GPa, ppm/K, W/(m K), kg/m^3, J/(kg K), MPa, degC. Where the
#: source quotes one value the range is that value +- the handbook's rounding (1-2 %).
SOURCES: dict[str, dict[str, tuple[float, float]]] = {
    # Lu et al. 2004 / ASM vol. 2: E 110-125; CRC: CTE 16.5-17, k 385-401, rho 8.93-8.96,
    # cp 0.385; proof stress of plated copper 150-300 MPa
    "copper": {
        "E": (110, 125),
        "alpha": (16.5, 17.0),
        "k": (385, 401),
        "rho": (8920, 8960),
        "cp": (380, 390),
        "yield": (150, 300),
    },
    # ASM vol. 2: E 200-207, CTE 13.4; CRC k 90.7, rho 8.908, cp 0.444; Nickel 200 annealed
    "nickel": {
        "E": (200, 207),
        "alpha": (13.3, 13.4),
        "k": (90, 91.5),
        "rho": (8880, 8910),
        "cp": (440, 446),
        "yield": (148, 148),
    },
    "gold": {
        "E": (78, 79),
        "alpha": (14.2, 14.2),
        "k": (315, 318),
        "rho": (19280, 19320),
        "cp": (128, 130),
    },
    # Hopcroft 2010: E 130 (<100>) to 169 (<110>); Okada 1984: 2.56-2.6 at 300 K;
    # Glassbrenner & Slack 1964: 148-156 at 300 K, 80 at 500 K (the library's power law
    # fits 250-600 K to ~5 %); CRC rho 2.329, cp 0.705-0.712
    "silicon": {
        "E": (130, 169),
        "nu": (0.22, 0.28),
        "alpha": (2.55, 2.62),
        "k": (148, 156),
        "rho": (2329, 2330),
        "cp": (700, 713),
        "k_500K": (76, 84),
    },
    # Kapton HN / PI-2600: E 2.5-3.2, CTE 20-40, k 0.12-0.2
    "polyimide": {"E": (2.5, 3.2), "alpha": (20, 40), "k": (0.12, 0.2)},
    # EME-G700 class: E 22 / ~1.5 GPa, CTE 9 / 35, Tg 130, k 0.8-1.0
    "mold_compound": {
        "E": (22, 22),
        "E_hot": (1.5, 1.5),
        "alpha": (9, 9),
        "alpha_hot": (35, 35),
        "Tg": (130, 130),
        "k": (0.8, 1.0),
    },
    "mold_compound_high_cte": {
        "E": (16, 16),
        "E_hot": (1, 1),
        "alpha": (15, 15),
        "alpha_hot": (55, 55),
        "Tg": (150, 150),
    },
    # the glassy modulus of mold_compound, long-term 22 x 0.068 = 1.5 GPa
    "mold_compound_visco": {
        "E": (22, 22),
        "alpha": (9, 9),
        "alpha_hot": (35, 35),
        "Tg": (130, 130),
        "k": (0.8, 1.0),
    },
    # DA-6534 class silicone: E 10-100 MPa, CTE 150-300, k ~0.2
    "die_attach": {"E": (0.01, 0.1), "alpha": (150, 300), "k": (0.15, 0.25)},
    # Ablestik 84-1 class silver epoxy: E 3-4 GPa, CTE 40-55 below Tg, k 1.5-2.5
    "die_attach_epoxy": {"E": (3.0, 4.0), "alpha": (40, 55), "k": (1.5, 2.5)},
    # NIST (Siewert 2002): E 50-54, CTE 21-23, k 55-64, rho 7.4, proof stress 30-45
    "sac305": {
        "E": (45, 54),
        "alpha": (21, 23),
        "k": (55, 64),
        "rho": (7380, 7440),
        "yield": (30, 45),
    },
    # IPC-4101 /21: E ~22 in plane, CTE 14-17 in plane, k 0.8 / 0.3
    "fr4": {"E": (20, 24), "alpha": (14, 17), "k": (0.8, 0.8), "k_z": (0.3, 0.3)},
    # JESD51-7 2s2p homogenised: k ~30 in plane, ~0.8 through
    "board_2s2p": {"k": (25, 35), "k_z": (0.6, 1.0), "alpha": (14, 17)},
    # ASM vol. 2 / CRC: E 320-329, CTE 4.8-5.0, k 138, rho 10.22, cp 0.251, 415-550 MPa
    "molybdenum": {
        "E": (320, 329),
        "alpha": (4.8, 5.0),
        "k": (138, 139),
        "rho": (10200, 10230),
        "cp": (250, 252),
        "yield": (415, 550),
    },
    # AISI 304 annealed: E 193-200, CTE 17.2-17.3, k 16.2, rho 8.0, cp 500, proof >= 205
    "stainless_steel": {
        "E": (193, 200),
        "alpha": (17.2, 17.3),
        "k": (16.2, 16.2),
        "rho": (7930, 8000),
        "cp": (500, 500),
        "yield": (205, 215),
    },
    # C26000 H02: E 110, CTE 19.9-20, k 120, rho 8.53, cp 375, proof 360
    "brass": {
        "E": (110, 110),
        "alpha": (19.9, 20.0),
        "k": (120, 121),
        "rho": (8530, 8530),
        "cp": (375, 375),
        "yield": (360, 360),
    },
    "chromium": {
        "E": (279, 279),
        "alpha": (4.9, 6.2),
        "k": (93.7, 94),
        "rho": (7150, 7190),
        "cp": (448, 450),
    },
}


def _value(m, prop: str) -> float:
    T = np.array([260.0 if prop.endswith("_hot") else 226.85 if prop.endswith("_500K") else 25.0])
    base = prop.removesuffix("_hot").removesuffix("_500K")
    if base == "E":
        return float(m.youngs(T)[0]) / 1e9
    if base == "alpha":  # the instantaneous CTE, as the datasheets give it
        a = m.alpha
        return float(np.atleast_1d(a(T) if callable(a) else a)[0]) * 1e6
    if base in ("k", "k_z"):
        k = np.asarray(m.conductivity(T), float).reshape(-1)
        return float(k[-1] if base == "k_z" else k[0])
    return float(
        {
            "nu": m.nu,
            "rho": m.rho,
            "cp": m.cp,
            "Tg": m.Tg,
            "yield": (m.yield_strength or 0.0) / 1e6,
        }[base]
    )


@pytest.mark.parametrize("name", materials.names())
def test_library_entry_matches_its_cited_source(name):
    """Every library value that the entry's source quotes lies in the source's range
    (transcribed in SOURCES); an entry without transcribed numbers fails."""
    m = materials.get(name)
    assert name in SOURCES, f"{name}: transcribe its cited source's numbers into SOURCES"
    for prop, (lo, hi) in SOURCES[name].items():
        v = _value(m, prop)
        assert lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9), (name, prop, v, (lo, hi))
    assert len(m.source) > 20, "every library value needs a cited source"


def test_required_library_materials():
    for n in [
        "copper",
        "nickel",
        "gold",
        "silicon",
        "polyimide",
        "mold_compound",
        "die_attach",
        "sac305",
        "fr4",
        "molybdenum",
        "stainless_steel",
        "brass",
        "chromium",
    ]:
        assert n in materials.LIBRARY


def test_unknown_material_suggests_closest():
    with pytest.raises(InputError, match="did you mean 'copper'"):
        materials.get("coper")


def test_table_interpolation_by_hand():
    t = Table((0.0, 100.0), (10.0, 30.0))
    assert t(50.0) == pytest.approx(20.0)
    assert t(-10.0) == pytest.approx(10.0)  # held constant beyond the ends
    assert t(150.0) == pytest.approx(30.0)
    # integral 0..100 = 2000; 50..150 = 0.5*(20+30)*50 + 30*50 = 2750
    assert t.integral(0.0, 100.0) == pytest.approx(2000.0)
    assert t.integral(50.0, 150.0) == pytest.approx(2750.0)
    assert t.integral(100.0, 0.0) == pytest.approx(-2000.0)


def test_mold_compound_thermal_strain_by_hand():
    m = materials.get("mold_compound")
    # 25->125 at 9 ppm: 900e-6; 125->135 linear 9->35 (mean 22): 220e-6; 135->175 at 35: 1400e-6
    assert m.thermal_strain(175.0, 25.0) == pytest.approx(2520e-6, rel=1e-12)
    assert m.secant_alpha(175.0, 25.0) == pytest.approx(2520e-6 / 150.0, rel=1e-12)
    assert m.secant_alpha(25.0, 25.0) == pytest.approx(9e-6, rel=1e-6)
    assert m.youngs(130.0) == pytest.approx((22e9 + 1.5e9) / 2)


def test_secant_instantaneous_conversion_by_hand():
    inst = Table((25.0, 125.0, 225.0), (10e-6, 10e-6, 30e-6))
    sec = materials.secant_from_instantaneous(inst, 25.0)
    # at 125: mean of a constant 10 ppm = 10 ppm; at 225: (1000 + 0.5*(10+30)*100)e-6 / 200 = 15 ppm
    assert sec(125.0) == pytest.approx(10e-6)
    assert sec(225.0) == pytest.approx(15e-6)
    assert sec(25.0) == pytest.approx(10e-6)
    # a secant-kind material built from it gives the same strains as the instantaneous one
    a = Material("a", E=1.0, nu=0.3, alpha=inst, k=1.0)
    b = Material("b", E=1.0, nu=0.3, alpha=sec, k=1.0, alpha_kind="secant", alpha_ref=25.0)
    for T, T0 in [(125.0, 25.0), (225.0, 25.0), (225.0, 125.0)]:
        assert b.thermal_strain(T, T0) == pytest.approx(a.thermal_strain(T, T0), rel=1e-12)
    # and back: a secant constant -> instantaneous constant
    back = materials.instantaneous_from_secant(Table((0.0, 100.0), (5e-6, 5e-6)), 0.0)
    assert back(50.0) == pytest.approx(5e-6)
    # secant linear in T from T_ref=0: a_sec = 1e-6 + 1e-8 T -> a_inst = 1e-6 + 2e-8 T
    back = materials.instantaneous_from_secant(Table((0.0, 100.0), (1e-6, 2e-6)), 0.0, T=[50.0])
    assert back(50.0) == pytest.approx(1e-6 + 2e-8 * 50.0)


def test_orthotropic_conductivity():
    m = materials.get("board_2s2p")
    k = m.conductivity(np.array([25.0, 50.0]))
    assert k.shape == (2, 3)
    assert k[0, 0] > 10 * k[0, 2]
    assert m.anisotropic


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(E=-1.0),
        dict(nu=0.5),
        dict(nu=-1.0),
        dict(k=0.0),
        dict(rho=float("nan")),
        dict(E=float("inf")),
        dict(k=(1.0, 2.0)),
    ],
)
def test_bad_material(kwargs):
    base = dict(name="x", E=1e9, nu=0.3, alpha=1e-5, k=1.0)
    base.update(kwargs)
    with pytest.raises(InputError):
        Material(**base)
