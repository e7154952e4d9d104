"""Engineering units in spec files <-> SI inside.

Spec files use mm (``_mm``), um (``_um``), GPa, MPa, ppm/K, W, W/(m K), W/(m^2 K),
kg/m^3 and J/(kg K); temperatures stay in degrees Celsius everywhere (the physics
only ever uses temperature differences, and stress-free temperatures are given in
degC). Each conversion is a plain function so that the conversion happens once, at
the edge, where a spec is read.
"""

from __future__ import annotations

from .validate import check_range

__all__ = [
    "SUFFIX_TO_SI",
    "from_si",
    "gpa",
    "mm",
    "mpa",
    "ppm",
    "to_si",
    "um",
    "wavelength",
]

#: Scale factor from a spec-key suffix to SI.
SUFFIX_TO_SI: dict[str, float] = {
    "mm": 1e-3,
    "um": 1e-6,
    "m": 1.0,
    "GPa": 1e9,
    "MPa": 1e6,
    "Pa": 1.0,
    "ppm": 1e-6,  # ppm/K -> 1/K
    "W": 1.0,
    "GHz": 1e9,
    "Hz": 1.0,
    "C": 1.0,  # degC is kept as degC
}

SPEED_OF_LIGHT = 299_792_458.0  # m/s


def to_si(value: float, suffix: str) -> float:
    """Convert ``value`` given in the unit named by ``suffix`` (a key of :data:`SUFFIX_TO_SI`)."""
    return float(value) * SUFFIX_TO_SI[suffix]


def from_si(value: float, suffix: str) -> float:
    """Inverse of :func:`to_si`."""
    return float(value) / SUFFIX_TO_SI[suffix]


def mm(value: float) -> float:
    """Millimetres -> metres."""
    return to_si(value, "mm")


def um(value: float) -> float:
    """Micrometres -> metres."""
    return to_si(value, "um")


def gpa(value: float) -> float:
    """GPa -> Pa."""
    return to_si(value, "GPa")


def mpa(value: float) -> float:
    """MPa -> Pa."""
    return to_si(value, "MPa")


def ppm(value: float) -> float:
    """ppm/K -> 1/K."""
    return to_si(value, "ppm")


def wavelength(frequency_hz: float) -> float:
    """Free-space wavelength [m] at ``frequency_hz`` [Hz].

    Raises
    ------
    fea.errors.InputError
        ``frequency_hz`` is not a positive finite number.
    """
    f = check_range("frequency_hz", frequency_hz, 0.0, None, lo_open=True, unit="Hz")
    return SPEED_OF_LIGHT / f
