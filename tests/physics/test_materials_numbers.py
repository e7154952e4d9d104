"""Material numbers a slip makes: a boolean modulus, CTE or proof stress refused at its key,
NumPy scalars taken as numbers, a value that is no number naming what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics.materials import Material

BASE = dict(E=130e9, nu=0.28, alpha=2.6e-6, k=1.0)


# -- bad material input: a clear InputError naming the key --------------------------------


@pytest.mark.parametrize("attr", ["E", "alpha", "yield_strength"])
def test_a_boolean_modulus_cte_or_proof_stress_is_refused_at_its_key(attr):
    """``E=True`` was taken as 1 Pa (a plausibility warning only), ``alpha=True`` as
    1 /K, ``yield_strength=True`` as 1 Pa: a slip, never a material."""
    with pytest.raises(InputError) as info:
        Material("x", **{**BASE, attr: True})
    assert info.value.key == f"materials.x.{attr}"
    assert "real number" in info.value.allowed


@pytest.mark.parametrize("kind", [np.float32, np.float64, np.int64])
def test_numpy_scalars_are_numbers(kind):
    """A modulus, CTE or proof stress taken from a NumPy array (np.float32, np.int64) was
    refused as not 'finite numbers' although it is one; nu already took them."""
    m = Material(
        "x",
        E=kind(130_000_000_000),
        nu=np.float32(0.28),
        alpha=kind(3e-6) if kind is not np.int64 else 0,
        k=1.0,
        yield_strength=kind(200_000_000),
    )
    assert m.E == pytest.approx(130e9, rel=1e-6) and type(m.E) is float
    assert type(m.alpha) is float and type(m.yield_strength) is float
    assert m.thermal_strain(125.0, 25.0) == pytest.approx(100 * float(m.alpha))


@pytest.mark.parametrize(
    ("attr", "value"),
    [("E", "130e9"), ("alpha", None), ("E", float("nan")), ("alpha", float("inf"))],
)
def test_a_modulus_or_cte_that_is_no_number_names_what_is_allowed(attr, value):
    with pytest.raises(InputError) as info:
        Material("x", **{**BASE, attr: value})
    assert info.value.key == f"materials.x.{attr}"
    assert "Table" in info.value.allowed
