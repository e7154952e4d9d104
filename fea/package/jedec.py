"""JEDEC thermal test environments and metrics (JESD51 series)."""

from __future__ import annotations

__all__ = ["thermal_resistance"]


def thermal_resistance(T_junction_C: float, T_reference_C: float, power_W: float) -> float:
    """(T_j - T_ref) / P [K/W]: theta (ref = ambient, case, board) or psi (a temperature
    measured while the heat also flows elsewhere)."""
    return (float(T_junction_C) - float(T_reference_C)) / float(power_W)
