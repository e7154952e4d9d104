"""The ``[contacts]`` section: thermal contact resistances on interfaces (thin layers,
TIMs, that are not meshed; :func:`fea.solve_thermal`'s ``contacts``).

.. code-block:: toml

    [contacts]
    "die|die_attach" = {R_mm2K_per_W = 10}   # 10 mm^2 K/W = 1e-5 m^2 K/W

Each key names an interface ``a|b`` (two regions, either order; written sorted), each
value a table with the resistance per unit area ``R_mm2K_per_W`` [mm^2 K/W], finite and
at least :data:`MIN_R_MM2K_PER_W`. Its two regions are checked against the model's when
the case is read (:func:`fea.package.spec.checks.check_contacts`); whether they touch,
where the mesh is known (at the solve: ``contacts.<a|b>``).
"""

from __future__ import annotations

import math

from ...errors import InputError
from ...fe.mesh import interface_name
from .reader import Section

__all__ = ["MIN_R_MM2K_PER_W", "MM2_TO_M2", "parse_contacts"]

#: mm^2 K/W -> m^2 K/W.
MM2_TO_M2 = 1e-6
#: Smallest contact resistance [mm^2 K/W] (a conductance of 1e10 W/(m^2 K), some 10^4
#: times a solder interface's): 1e-300 made the conduction matrix singular in Pardiso,
#: reported as a body without restraint.
MIN_R_MM2K_PER_W = 1e-4


def parse_contacts(section: Section) -> dict[str, float]:
    """``[contacts]``: interface ``a|b`` (sorted) -> R'' [m^2 K/W]; empty when the section
    is absent or empty.

    Raises
    ------
    InputError
        A key that is not ``a|b`` with two different names, the same interface twice
        (``a|b`` and ``b|a``), a value that is not a table ``{R_mm2K_per_W = ...}``, or a
        resistance that is not finite and > 0 (naming ``contacts.<key>...``).
    """
    out: dict[str, float] = {}
    for key in list(section.data):
        parts = key.split("|")
        where = section.key(key)
        if len(parts) != 2 or not all(p.strip() == p and p for p in parts) or parts[0] == parts[1]:
            raise InputError(where, key, "an interface 'a|b' between two regions")
        name = interface_name(*parts)
        if name in out:
            raise InputError(where, key, f"one resistance per interface ({name} is given twice)")
        value = section.raw(key)
        if not isinstance(value, dict):
            raise InputError(where, value, "a table {R_mm2K_per_W = R''}")
        table = Section(value, where)
        R = table.number("R_mm2K_per_W", positive=True, scale=MM2_TO_M2)
        table.done()
        if not (math.isfinite(R) and R >= MIN_R_MM2K_PER_W * MM2_TO_M2):
            raise InputError(
                table.key("R_mm2K_per_W"),
                value["R_mm2K_per_W"],
                f"finite and at least {MIN_R_MM2K_PER_W:g} (a smaller resistance is a bonded "
                "interface: leave it out of [contacts])",
            )
        out[name] = float(R)
    section.done()
    return out
