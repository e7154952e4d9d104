"""A case's moisture analysis (``[moisture]``): soak then reflow on the unit's warpage
mesh, the water per stage and region, the interface vapour pressure at the reflow peak,
and the soaked state's hygroscopic swelling for the wet warpage states.

Columns (units in the names, :mod:`fea.package.names`): ``moisture_mg@soak`` and
``moisture_mg@reflow`` (water in the package at the end of the soak and of the reflow;
the same names whatever the soak, so a sweep over soaks lines up) and
``moisture_mg@<stage>:<region>``,
``moisture_peak_C`` (the highest temperature of the run), and at that state
``vapour_pressure_max_MPa@peak:<a|b>`` / ``vapour_pressure_mean_MPa@peak:<a|b>`` per
interface with water on a side. With ``swelling`` the warpage temperatures are solved a
second time with the swelling added (states ``wet_<T>C``, see
:func:`fea.package.analyse.warpage_metrics`).

:func:`body_classification` gives the body's J-STD-020E classification temperature (Tables
4-1 and 4-2, by its thickness and volume without the terminals), the peak of the reflow
preset the standard classifies it with (``studies/msl.toml``'s body: 0.685 mm, 75 mm^3,
260 degC).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..physics.moisture import (
    REFLOW_PRESETS,
    MoistureResult,
    classification_temperature_C,
    hygroscopic_strain,
    interface_vapour_pressure,
    solve_moisture,
)
from ..validate import check_range
from .names import Column
from .progress import stage
from .spec.moisture import ClassificationReflow, MoistureSpec

__all__ = [
    "BodyClass",
    "MoistureAnalysis",
    "MoistureStates",
    "NOT_BODY_REGIONS",
    "body_classification",
    "known_densities",
    "library_materials",
    "moisture_analysis",
    "moisture_states",
    "resolve_reflow",
]

#: Regions that are no part of a package body in J-STD-020's sense: the external
#: terminals (balls, bumps, leads, lands), left out of its thickness and volume, and a
#: board with its vias.
NOT_BODY_REGIONS = ("terminals", "board", "board_vias")


@dataclass
class MoistureAnalysis:
    """A case's moisture run: ``metrics`` (column -> value), the run itself, the
    swelling ``CME * C`` at the end of the soak, (n_el, n_q) [-] (None without
    ``swelling``), and the section as run (``spec``: a classification reflow resolved
    to its preset, :func:`resolve_reflow`; None: as given)."""

    metrics: dict[str, float]
    result: MoistureResult
    swelling: NDArray[np.float64] | None
    spec: MoistureSpec | None = None


class MoistureStates(NamedTuple):
    """How a case's moisture states are named in its results file: ``labels`` (one per
    state, distinct) and ``shown`` (name -> state index: the states shown on the package,
    named as the table's columns: ``soak``, ``peak``, ``reflow``)."""

    labels: list[str]
    shown: dict[str, int]


class BodyClass(NamedTuple):
    """A package body's J-STD-020E classification: ``thickness_mm`` and ``volume_mm3``
    (without the external terminals) and ``T_c`` [degC], the classification temperature
    (the peak of reflow preset ``JSTD020_PbFree_<T_c>`` or ``JSTD020_SnPb_<T_c>``)."""

    thickness_mm: float
    volume_mm3: float
    T_c: float


def body_classification(mesh: Any, process: str = "PbFree", share: float = 1.0) -> BodyClass:
    """The J-STD-020E classification temperature of the package body of ``mesh`` (a unit's
    model, lengths in m): Table 4-2 (``process="PbFree"``) or 4-1 (``"SnPb"``) by the
    body's thickness (its extent in z) and volume, the terminals and a board
    (:data:`NOT_BODY_REGIONS`) left out
    (:func:`fea.physics.moisture.classification_temperature_C`).

    ``share``: the share of the full body ``mesh`` is, in (0, 1] (a model cut by symmetry
    planes: its volume is divided by it; 1 for a full model)."""
    share = check_range("share", share, 0.0, 1.0, lo_open=True)
    body = [el for r, el in mesh.regions.items() if r not in NOT_BODY_REGIONS]
    if not body or not sum(len(el) for el in body):
        raise InputError(
            "mesh.regions", sorted(mesh.regions), "a region besides the terminals and board"
        )
    el = np.concatenate(body)
    z = mesh.p1.p[2][mesh.p1.t[:, el]]
    thickness_mm = float(z.max() - z.min()) * 1e3
    volume_mm3 = float(mesh.element_volumes()[el].sum()) * 1e9 / share
    return BodyClass(
        thickness_mm, volume_mm3, classification_temperature_C(thickness_mm, volume_mm3, process)
    )


def resolve_reflow(spec: MoistureSpec, mesh: Any, share: float = 1.0) -> MoistureSpec:
    """``spec`` with a :class:`~fea.package.spec.moisture.ClassificationReflow` (``reflow
    = "JSTD020_PbFree"`` or ``"JSTD020_SnPb"``) replaced by the preset of the body's
    J-STD-020E classification temperature (:func:`body_classification` of ``mesh``, a
    model that is ``share`` of the full body); any other ``spec`` as it is.

    Raises
    ------
    fea.errors.InputError
        ``moisture.reflow``: the model has no package body to classify (terminals and
        board only).
    """
    r = spec.reflow
    if not isinstance(r, ClassificationReflow):
        return spec
    try:
        body = body_classification(mesh, r.process, share)
    except InputError:
        raise InputError(
            "moisture.reflow",
            r.name,
            "a preset or a table: this model has no package body to classify (J-STD-020E "
            "classifies a body by its thickness and volume without terminals)",
        ) from None
    return dataclasses.replace(spec, reflow=REFLOW_PRESETS[f"JSTD020_{r.process}_{body.T_c:.0f}"])


def moisture_states(result: MoistureResult) -> MoistureStates:
    """The labels of the states of a case's moisture run (soak, then reflow) and the
    states shown on the package: the end of the soak (``soak``), the reflow peak
    (``peak``) and the end of the reflow (``reflow``), as the columns ``moisture_mg@soak``,
    ``vapour_pressure_max_MPa@peak:<a|b>``, ``moisture_mg@reflow``.

    A label is the state's index (zero-padded: distinct, and in order when sorted), then
    what it is: ``00_start``, ``07_soak_19.2h``, ``10_soak_end``, ``11_reflow_5s_35C``,
    ``35_peak_260C``, ``60_reflow_end``.
    """
    n = len(result.times)
    width = len(str(n - 1))
    shown: dict[str, int] = {}
    for k, name in enumerate(("soak", "reflow")[: len(result.stages)]):
        idx = np.flatnonzero(result.stage == k)
        if len(idx):
            shown[name] = int(idx[-1])
    if len(result.stages) > 1:
        shown["peak"] = result.peak_step()
    what = {v: k + "_end" for k, v in shown.items() if k != "peak"}
    if "peak" in shown:
        what[shown["peak"]] = f"peak_{result.temperature_C[shown['peak']]:.0f}C"
    labels = []
    t_reflow = result.times[shown["soak"]] if "soak" in shown else 0.0
    for i in range(n):
        if i in what:
            text = what[i]
        elif i == 0:
            text = "start"
        elif result.stage[i] == 0:
            text = f"soak_{result.times[i] / 3600:.3g}h"
        else:
            text = f"reflow_{result.times[i] - t_reflow:.0f}s_{result.temperature_C[i]:.0f}C"
        labels.append(f"{i:0{width}d}_{text}")
    return MoistureStates(labels, dict(sorted(shown.items(), key=lambda kv: kv[1])))


def library_materials(case: Any) -> dict[str, str]:
    """Region -> the library material (:data:`fea.materials` name) each region of ``case``
    is made of: its material's name, or for a study's own ``[materials.library.<name>]``
    the library material its ``base`` names (followed through bases of bases); a material
    of none is left out. What :func:`moisture_analysis` takes as ``materials``."""
    from ..physics import materials as library

    own = ((case.raw or {}).get("materials") or {}).get("library") or {}
    out: dict[str, str] = {}
    for region, material in case.materials.items():
        name, seen = getattr(material, "name", material), set()
        while name not in library.LIBRARY and isinstance(own.get(name), dict):
            if name in seen:
                break
            seen.add(name)
            name = own[name].get("base")
        if isinstance(name, str) and name in library.LIBRARY:
            out[region] = name
    return out


def known_densities(case: Any, materials: Mapping[str, Any]) -> dict[str, float]:
    """Region -> density [kg/m^3] of the regions of ``materials`` (region -> its
    :class:`~fea.physics.materials.Material`, e.g. :func:`fea.package.analyse.mesh_materials`)
    whose density is known: a library material's, or a study's own material that gives
    ``rho`` or takes it from its ``base`` (:func:`fea.package.spec.materials.unstated`). A
    new material of the study file without ``rho`` is left out: its density is the
    dataclass's placeholder (1000 kg/m^3), not a measurement, and
    :func:`moisture_analysis` leaves its region out of the dry mass of
    ``moisture_gain_pct`` and says so."""
    from .spec.materials import unstated

    return {
        r: float(m.rho)
        for r, m in materials.items()
        if not unstated(case.raw, getattr(m, "name", m), ("rho",))
    }


def moisture_analysis(
    mesh: Any,
    spec: MoistureSpec,
    backend: str = "cpu",
    method: str = "auto",
    share: float = 1.0,
    materials: Mapping[str, str] | None = None,
    densities: Mapping[str, float] | None = None,
    maxiter: int = 2000,
    rtol: float = 1e-8,
) -> MoistureAnalysis:
    """Soak (and reflow) ``mesh`` as ``spec`` says; the metrics and the soaked swelling.

    On a model cut by symmetry planes (``share`` < 1) the metrics are the full body's:
    the planes are not exposed (no flux through them, as through the full body's plane
    of symmetry), so the cut model's wetness is the full body's restricted to it; the
    water [mg], extensive, is divided by ``share``; the peak temperature and the vapour
    pressures (largest and area mean over an interface, whose facets are the model's and
    their mirror images, none on a plane) are intensive and unchanged, and so is the
    swelling.

    Parameters
    ----------
    mesh
        The model (its regions take ``spec``'s moisture materials, or the defaults).
    spec
        The parsed ``[moisture]`` section.
    backend, method, maxiter, rtol
        Of the conduction solves (:func:`fea.physics.moisture.solve_moisture`; a study
        passes its ``[solver]`` section's: ``maxiter`` the iteration limit of each
        iterative solve, ``rtol`` its relative residual, default 1e-8 as
        :func:`~fea.physics.moisture.solve_moisture`'s; the soak's reduced basis keeps its
        own tolerance of the response, 1e-9, docs/moisture.md).
    share
        The share of the full body ``mesh`` is, in (0, 1]: 1 for a full model, 1/2 for a
        half, 1/4 for a quarter, 1/8 for an eighth
        (:func:`fea.package.geometry.symmetry.symmetry_share`).
        The run itself (``result``) stays the model's.
    materials
        Region -> the library material it is made of (:func:`library_materials`): a
        region without a ``[moisture.materials]`` entry takes that material's moisture
        data before the region's default (:meth:`MoistureSpec.region_materials`).
    densities
        Region -> dry density [kg/m^3] of its material: with them the weight gain
        ``moisture_gain_pct@<stage>`` (the water over the dry mass of the model, in %, as
        a package is weighed, J-STD-020E section 5 / JESD22-A120) and per permeable region
        ``moisture_gain_pct@<stage>:<region>`` (over that region's dry mass: what a
        sorption test of the material reports, e.g. 0.3-0.5 wt % for a mould compound
        saturated at 85 C/85 %RH). Regions without a density are left out of the sums.
    """
    share = check_range("share", share, 0.0, 1.0, lo_open=True)
    spec = resolve_reflow(spec, mesh, share)
    stage("moisture")
    conditions = [spec.soak] if spec.reflow is None else [spec.soak, spec.reflow]
    try:
        res = solve_moisture(
            mesh,
            spec.region_materials(list(mesh.regions), materials),
            conditions,
            exposed=list(spec.exposed),
            outputs=spec.outputs,
            backend=backend,
            method=method,
            maxiter=maxiter,
            rtol=rtol,
            split_p2=spec.split_p2,
        )
    except InputError as e:  # solve_moisture's keywords: name the study file's keys instead
        head, _, rest = e.key.partition(".")
        if head == "exposed":
            raise InputError("moisture.exposed", e.value, e.allowed) from None
        if head == "moisture_materials":
            key = "moisture.materials" + (f".{rest}" if rest else "")
            raise InputError(key, e.value, e.allowed) from None
        raise
    soak_end = int(np.flatnonzero(res.stage == 0)[-1])
    dry_mg = _dry_masses_mg(mesh, densities)
    if densities is not None and (unknown := sorted(set(mesh.regions) - set(dry_mg))):
        warnings.warn(
            f"moisture_gain_pct: no density for region(s) {', '.join(unknown)}: left out of "
            "the package's dry mass, and no gain of their own (a study's new material: "
            "give its materials.library.<name>.rho)",
            UserWarning,
            stacklevel=2,
        )
    out: dict[str, float] = {}
    for k, name in enumerate(("soak", "reflow")[: len(res.stages)]):
        idx = np.flatnonzero(res.stage == k)
        if not len(idx):
            continue
        last = int(idx[-1])
        out[str(Column("moisture_mg", name))] = float(res.total_uptake_mg[last]) / share
        if dry_mg:
            water = sum(float(res.uptake_mg[r][last]) for r in res.uptake_mg if r in dry_mg)
            out[str(Column("moisture_gain_pct", name))] = 100.0 * water / sum(dry_mg.values())
        for r, m in res.properties.items():
            if not m.impermeable:
                out[str(Column("moisture_mg", name, r))] = float(res.uptake_mg[r][last]) / share
                if dry_mg.get(r, 0.0) > 0:
                    gain = 100.0 * float(res.uptake_mg[r][last]) / dry_mg[r]
                    out[str(Column("moisture_gain_pct", name, r))] = gain
    peak = res.peak_step()
    out["moisture_peak_C"] = float(res.temperature_C[peak])
    vp = interface_vapour_pressure(
        res, peak, model=spec.vapour_model, void_fraction=spec.void_fraction
    )
    for iface, p in vp.items():
        out[str(Column("vapour_pressure_max_MPa", "peak", iface))] = p.max_Pa / 1e6
        out[str(Column("vapour_pressure_mean_MPa", "peak", iface))] = p.mean_Pa / 1e6
    if spec.reflow is not None:
        _check_reflow_peak(mesh, spec.reflow, share)
    swell = hygroscopic_strain(res, soak_end) if spec.swelling else None
    return MoistureAnalysis(out, res, swell, spec)


def _dry_masses_mg(mesh: Any, densities: Mapping[str, float] | None) -> dict[str, float]:
    """Region -> dry mass [mg] of the model ``mesh`` (not scaled to the full body: the
    gain is a ratio) for the regions with a positive, finite density."""
    if not densities:
        return {}
    vol = mesh.element_volumes()
    out = {}
    for r, idx in mesh.regions.items():
        rho = densities.get(r)
        if rho is not None and np.isfinite(rho) and rho > 0:
            out[r] = float(rho) * float(vol[idx].sum()) * 1e6
    return out


def _check_reflow_peak(mesh: Any, reflow: Any, share: float) -> None:
    """A :class:`UserWarning` (a note of the case) where the reflow peaks below the body's
    J-STD-020E classification temperature: a moisture sensitivity level is classified by
    reflows at ``T_c`` of the body's thickness and volume, so a cooler profile finds lower
    vapour pressures than the qualification it stands for. The SnPb table for a
    ``JSTD020_SnPb_*`` preset, the Pb-free one otherwise (a table: said so)."""
    process = "SnPb" if reflow.name.startswith("JSTD020_SnPb") else "PbFree"
    try:
        body = body_classification(mesh, process, share)
    except InputError:  # no body besides terminals and board: nothing to classify
        return
    peak = max(T for _, T in reflow.points)
    if peak >= body.T_c - 1e-9:
        return
    table = "4-1, SnPb" if process == "SnPb" else "4-2, Pb-free"
    which = "" if reflow.name.startswith("JSTD020_") else " (if the assembly is Pb-free)"
    warnings.warn(
        f"moisture.reflow: {reflow.name} peaks at {peak:g} C, below this body's J-STD-020E "
        f"classification temperature {body.T_c:g} C{which} (Table {table}: "
        f"{body.thickness_mm:.3g} mm thick, {body.volume_mm3:.4g} mm3 without terminals): "
        "a moisture sensitivity level is classified by reflows at that temperature "
        f"(reflow = 'JSTD020_{process}_{body.T_c:.0f}'), so the vapour pressures here are "
        "those of a milder reflow",
        UserWarning,
        stacklevel=3,
    )
