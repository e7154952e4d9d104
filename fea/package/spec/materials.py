"""``[materials]``: a library name per region, and user materials (numbers or
temperature tables, Prony series and shift functions, J2 plasticity)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import InputError
from ...physics import materials as _materials
from ...physics.inelastic import Plastic
from ...physics.materials import SOLIDUS_MAX_C, Material, Table
from ...physics.viscoelastic import WLF, Arrhenius, Prony
from ..defaults import DEFAULT_REGION_MATERIALS
from .constants import T_MAX_C
from .reader import Section, check_number, hint

__all__ = [
    "PLACEHOLDER_KEYS",
    "parse_materials",
    "parse_plasticity",
    "parse_prony",
    "parse_shift",
    "parse_table_or_number",
    "parse_user_material",
    "unstated",
]

#: Properties a study's new material (no ``base``) may leave out, whose value is then the
#: :class:`~fea.physics.materials.Material` placeholder (1000), not a measurement: the
#: density and specific heat, which only transients and weight gains read.
PLACEHOLDER_KEYS = ("rho", "cp")


def unstated(raw: Any, material: str, keys: Any = PLACEHOLDER_KEYS) -> tuple[str, ...]:
    """The ``keys`` the material ``material`` does not state: those a study's own table
    (``raw``'s ``[materials.library.<material>]``, ``raw`` the study file's tables) without
    a ``base`` leaves out; a library material and a ``base`` state them all."""
    own = ((raw or {}).get("materials") or {}).get("library") or {}
    table = own.get(material)
    if not isinstance(table, dict) or "base" in table:
        return ()
    return tuple(k for k in keys if k not in table)


def parse_table_or_number(
    sec: Section,
    name: str,
    scale: float,
    positive: bool = True,
    hi: float | None = None,
    lo: float | None = None,
    vector: bool = False,
) -> float | Table | tuple[float, float, float]:
    """A number, a ``{T_C, values}`` table or, where ``vector`` (the conductivity ``k``:
    an orthotropic ``[kx, ky, kz]``), three numbers; each times ``scale``."""
    v = sec.raw(name)
    key = sec.key(name)
    if isinstance(v, Mapping):
        t = Section(v, key)
        Ts = t.raw("T_C")
        vals = t.raw("values")
        t.done()
        if not isinstance(Ts, list) or not isinstance(vals, list) or len(Ts) != len(vals) or not Ts:
            raise InputError(key, v, "T_C and values lists of equal, non-zero length")
        Ts = [check_number(f"{key}.T_C[{i}]", x, lo=-273.15, hi=T_MAX_C) for i, x in enumerate(Ts)]
        vals = [
            check_number(f"{key}.values[{i}]", x, positive=positive, lo=lo, hi=hi) * scale
            for i, x in enumerate(vals)
        ]
        if any(b <= a for a, b in zip(Ts, Ts[1:], strict=False)):
            raise InputError(f"{key}.T_C", Ts, "strictly increasing temperatures")
        return Table(tuple(Ts), tuple(vals))
    if isinstance(v, list) and not vector:
        raise InputError(key, v, "a number or a {T_C, values} table")
    if isinstance(v, list):
        if len(v) != 3:
            raise InputError(key, v, "a number, a {T_C, values} table, or [kx, ky, kz]")
        return tuple(
            check_number(f"{key}[{i}]", x, positive=True, lo=lo, hi=hi) * scale
            for i, x in enumerate(v)
        )
    return check_number(key, v, positive=positive, lo=lo, hi=hi) * scale


def parse_prony(t: Section) -> Prony:
    """``{ g = [...], tau_s = [...] }``: a Prony series (relative moduli g_i >= 0 with
    sum < 1, relaxation times [s] > 0 at the shift's reference temperature)."""
    lists = []
    for k in ("g", "tau_s"):
        v = t.raw(k)
        if not isinstance(v, list) or not v:
            raise InputError(t.key(k), v, "a non-empty list of numbers")
        lists.append([check_number(f"{t.key(k)}[{i}]", x) for i, x in enumerate(v)])
    t.done()
    try:
        return Prony(tuple(lists[0]), tuple(lists[1]))
    except InputError as exc:
        raise InputError(t.path, {"g": lists[0], "tau_s": lists[1]}, exc.allowed) from None


def parse_shift(t: Section) -> WLF | Arrhenius:
    """``{ kind = "WLF", C1 = 17.44, C2 = 51.6, T_ref_C = 130 }`` (C2 in K) or
    ``{ kind = "Arrhenius", activation_K = 31400, T_ref_C = 130 }`` (E_a / R in K)."""
    kind = t.string("kind", choices=("WLF", "Arrhenius"))
    T_ref = t.number("T_ref_C", lo=-273.15)
    if kind == "WLF":
        out = WLF(t.number("C1", positive=True), t.number("C2", positive=True), T_ref)
    else:
        out = Arrhenius(t.number("activation_K", nonneg=True), T_ref)
    t.done()
    return out


def parse_user_material(name: str, sec: Section) -> Material:
    base = None
    if sec.has("base"):
        base = (
            _materials.get(sec.string("base")) if sec.string("base") in _materials.LIBRARY else None
        )
        if base is None:
            bname = sec.string("base")
            raise InputError(
                sec.key("base"), bname, f"a library material{hint(bname, _materials.names())}"
            )
    vals: dict[str, Any] = {}
    # lower bounds: a tenth of the softest (silicone gel, ~1e-4 GPa) and least conducting
    # (aerogel, ~0.01 W/(m K)) package materials; below them a solve fails without a key
    for key, attr, scale, lo, hi in (
        ("E_GPa", "E", 1e9, 1e-5, 1e4),
        ("E_MPa", "E", 1e6, 1e-2, 1e7),
        # zero and negative expansion are materials too (a zero-CTE idealisation, fused
        # silica's 0.5, negative-CTE fillers): down to -1000 ppm/K as fea.Material allows
        ("alpha_ppm", "alpha", 1e-6, -1e3, 1e4),
        ("k", "k", 1.0, 1e-3, 1e5),
    ):
        if sec.has(key):
            if attr in vals:
                raise InputError(sec.key(key), sec.data[key], "only one of E_GPa and E_MPa")
            vals[attr] = parse_table_or_number(
                sec, key, scale, positive=attr != "alpha", hi=hi, lo=lo, vector=attr == "k"
            )
    for key, lo, hi in (
        ("nu", -0.999999, 0.499999),
        ("rho", None, 1e5),
        ("cp", None, 1e6),
        ("shrinkage", -0.1, 0.1),
        ("Tg_C", -273.15, T_MAX_C),
        ("alpha_ref_C", -273.15, T_MAX_C),
        ("yield_MPa", None, 1e5),
        ("solidus_C", -273.15, SOLIDUS_MAX_C),
    ):
        if sec.has(key):
            if key == "nu":
                v = sec.raw("nu")
                check_number(sec.key("nu"), v)
                if not (-1 < v < 0.5):
                    raise InputError(sec.key("nu"), v, "Poisson's ratio in (-1, 0.5)")
                vals["nu"] = float(v)
            else:
                attr = {
                    "Tg_C": "Tg",
                    "alpha_ref_C": "alpha_ref",
                    "yield_MPa": "yield_strength",
                    "solidus_C": "solidus",
                }
                attr = attr.get(key, key)
                positive = key in ("rho", "cp", "yield_MPa")
                scale = 1e6 if key == "yield_MPa" else 1.0
                vals[attr] = float(sec.number(key, positive=positive, lo=lo, hi=hi, scale=scale))
    if sec.has("alpha_kind"):
        vals["alpha_kind"] = sec.string("alpha_kind", choices=("instantaneous", "secant"))
    for key in ("relaxation", "bulk_relaxation"):
        if sec.has(key):
            vals[key] = parse_prony(sec.section(key))
    if sec.has("shift"):
        vals["shift"] = parse_shift(sec.section("shift"))
    plastic = parse_plasticity(
        sec, vals.get("yield_strength", getattr(base, "yield_strength", None))
    )
    if plastic is not None:
        vals["inelastic"] = plastic
    vals["source"] = sec.string("source", "user-defined in the study file")
    sec.done()
    if base is not None:
        return base.with_(name=name, **vals)
    missing = [k for k in ("E", "nu", "alpha", "k") if k not in vals]
    if missing:
        raise InputError(
            sec.key(missing[0]),
            None,
            "a value (new materials need E_GPa, nu, alpha_ppm and k, or a 'base')",
        )
    return Material(name=name, **vals)


def parse_plasticity(sec: Section, yield_strength: Any) -> Plastic | None:
    """``plasticity = {hardening_MPa = ..., kinematic_MPa = ...}`` of a library material:
    rate-independent J2 plasticity (:class:`~fea.physics.inelastic.Plastic`) from the
    material's ``yield_MPa`` (or its base's yield strength) with linear isotropic and
    kinematic hardening moduli [MPa] (default 0: perfectly plastic). None without the key."""
    if not sec.has("plasticity"):
        return None
    p = sec.section("plasticity")
    if yield_strength is None:
        raise InputError(
            p.path, p.data, "a material with a yield strength (yield_MPa, or a base that has one)"
        )
    law = Plastic(
        yield_stress=yield_strength,
        hardening=p.number("hardening_MPa", 0.0, nonneg=True, hi=1e6, scale=1e6),
        kinematic=p.number("kinematic_MPa", 0.0, nonneg=True, hi=1e6, scale=1e6),
        source=f"study file: J2 plasticity of {sec.path}",
    )
    p.done()
    return law


def parse_materials(m: Section, regions: Sequence[str] = ()) -> dict[str, Material]:
    """``[materials]``: region -> :class:`~fea.physics.materials.Material`.

    Parameters
    ----------
    m
        The ``[materials]`` section: a library or ``[materials.library]`` name per region,
        and the user materials of ``[materials.library]``.
    regions
        The model's regions (:func:`~fea.package.spec.geometry.model_regions`): those of
        :data:`~fea.package.defaults.DEFAULT_REGION_MATERIALS` take their default
        material without a key; any other (an imported model's own region names) needs
        one, else an :class:`~fea.errors.InputError` naming ``materials.<region>``.

    Returns
    -------
    A material for every region of :data:`~fea.package.defaults.DEFAULT_REGION_MATERIALS`
    and every one of ``regions``.
    """
    lib = m.section("library")
    user: dict[str, Material] = {}
    for name in list(lib.data):
        lib.used.add(name)
        user[name] = parse_user_material(name, Section(lib.data[name], lib.key(name)))
    lib.done()
    allowed = sorted(set(_materials.names()) | set(user))
    own = [r for r in regions if r not in DEFAULT_REGION_MATERIALS]
    out: dict[str, Material] = {}
    for region in (*DEFAULT_REGION_MATERIALS, *own):
        if isinstance(m.data.get(region), dict):  # properties given in place of a name
            raise InputError(
                m.key(region),
                m.data[region],
                "a material name (the library's or [materials.library]'s): to change or "
                f"sweep a property, define [materials.library.<name>] with base = "
                f'"{DEFAULT_REGION_MATERIALS.get(region, "<material>")}" and the property, '
                f'give {m.key(region)} = "<name>", and sweep '
                '"materials.library.<name>.<property>"',
            )
        if region in DEFAULT_REGION_MATERIALS:
            name = m.string(region, DEFAULT_REGION_MATERIALS[region])
        elif not m.has(region):
            raise InputError(
                m.key(region),
                None,
                f"a material for the model's region {region}: a name from the library or "
                f"[materials.library] ({', '.join(allowed)})",
            )
        else:
            name = m.string(region)
        if name in user:
            out[region] = user[name]
        elif name in _materials.LIBRARY:
            out[region] = _materials.get(name)
        else:
            raise InputError(
                m.key(region),
                name,
                f"a material in the library or [materials.library]{hint(name, allowed)}",
            )
    m.done()
    return out
