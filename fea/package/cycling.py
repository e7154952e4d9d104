"""Temperature cycling of a board-mounted model and the fatigue of its solder joints
(JESD22-A104 / IPC-9701): one engine, used from Python and by the ``[cycling]`` study.

Engine. :func:`run_cycling` takes a mesh with an inelastic solder region and a joint id
per element, runs :func:`fea.solve_history` over a cycling profile
(:mod:`fea.physics.cycling`), and turns the last cycle's states into what an engineer
reads (:mod:`fea.physics.fatigue`): per-joint ``Delta W`` over Darveaux's interface layer,
the accumulated inelastic strain, the critical joint and its location, the hysteresis loop
of the critical joint (pad shear stress vs shear strain), life ESTIMATES (Darveaux, Syed,
Engelmaier), the PNGs ``dw_map.png`` and ``hysteresis_critical.png``, table columns
(:meth:`CyclingRun.metrics`) and per-element results-file fields
(:meth:`CyclingRun.fields`).

Study. :func:`cycling_metrics` runs a unit case's ``[cycling]`` with that engine on the
unit on its board (:func:`fea.package.board_model.build_board_model`, the board cut to
``board_size_mm``; half, quarter or eighth model with ``symmetry``): the terminals take the Anand
law of ``solder``, the rest keeps the case's materials (an elastic-plastic shell and a
viscoelastic compound included); the solve starts stress free at ``stress_free_C``. Its
columns (units in the names; :data:`fea.package.names.METRICS`): ``dW_crit_MJ_per_m3``,
``dW_mean_MJ_per_m3``, ``dW_layer_um``, ``critical_joint_id``, ``critical_x_mm``,
``critical_y_mm``, ``eq_strain_crit_pct``, ``d_eq_strain_per_cycle_pct``,
``N_darveaux_cycles``, ``N0_darveaux_cycles``, ``N_syed_cycles``, ``N_engelmaier_cycles``,
``joints_count``, ``cycling_steps_count``, and ``plastic_strain_max_pct@cycle_end:<region>``
for the other inelastic regions (the copper shell).

Symmetry: on a half or quarter model (symmetry planes x = 0, and y = 0 for a quarter) a
joint cut by a plane is a partial joint (``joint_fraction`` 1/2 or 1/4); on an eighth
(0 <= y <= x, planes y = 0 and x = y, u . n = 0 on x = y in nodal frames) 1/2 on one plane
and 1/8 on the z axis. Its ``Delta W``,
a volume average, is that of the whole joint; its centre is mapped onto the plane(s) and
the map is drawn over the full array (the model's joints mirrored, a joint on a plane
drawn once).
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from ..physics import fatigue as fat
from ..physics.cycling import CyclingProfile
from ..physics.history import solve_history
from ..physics.history_results import HistoryResult, HistoryState
from ..physics.inelastic import ANAND_SETS, anand_set
from ..solvers.base import naming_solve
from ..validate import check_range
from .board_model import build_board_model
from .geometry.symmetry import symmetry_fixed
from .progress import stage
from .sizing import MeshDependenceWarning
from .spec import CaseSpec
from .spec.checks import board_model_case, check_cycling
from .spec.checks import cycling_symmetry as study_symmetry

__all__ = [
    "CYCLE_FIELDS",
    "CyclingResult",
    "CyclingRun",
    "CyclingState",
    "DW_STABLE_CHANGE",
    "FatigueOptions",
    "OTHER_SIDE_MARGIN",
    "SOLDER_REGION",
    "SYMMETRIES",
    "board_model_case",
    "cycling_metrics",
    "full_centres",
    "history_solver",
    "joint_ids",
    "mirror_images",
    "multiplicity",
    "run_cycling",
    "stabilisation_note",
    "study_symmetry",
]

#: Symmetries :func:`run_cycling` maps back to the full array: name -> symmetry planes
#: (0: x = 0, 1: y = 0, 2: x = y; an eighth, 0 <= y <= x, is mirrored across x = y first).
SYMMETRIES: dict[str, tuple[int, ...]] = {
    "none": (),
    "half": (0,),
    "quarter": (0, 1),
    "eighth": (2, 0, 1),
}
#: The name of each plane for :func:`fea.solve_history` ``symmetry=``.
_PLANE_NAMES = {0: "x", 1: "y", 2: "d"}

_MPA = 1.0e6

#: Largest change of the critical joint's ``Delta W`` from the cycle before the last to
#: the last (relative to the last) a cycling run takes as stabilised without a note: the
#: energy-based life models (Darveaux, Syed) are fitted on a stabilised cycle's
#: ``Delta W``, which finite-element practice reaches within a few cycles (the change
#: of the third cycle from the second is typically a few per cent).
DW_STABLE_CHANGE = 0.05


#: Engelmaier's inputs :class:`FatigueOptions` takes: key -> (lo, hi, lo excluded, unit),
#: the ranges of :func:`fea.physics.fatigue.engelmaier_shear_strain` and
#: :func:`~fea.physics.fatigue.engelmaier_exponent` (``delta_alpha``: its absolute value
#: is used; not zero).
_ENGELMAIER_RANGES: dict[str, tuple[float, float | None, bool, str]] = {
    "delta_alpha": (-1e-3, 1e-3, False, "1/K"),
    "dnp": (0.0, None, True, "m"),
    "height": (0.0, None, True, "m"),
    "delta_T": (0.0, None, True, "K"),
    "mean_temperature_C": (-273.15, 300.0, True, "°C"),
    "cycles_per_day": (1.0, 1000.0, False, "cycles/day"),
    "factor": (0.5, 1.5, False, ""),
}


@dataclass(frozen=True)
class FatigueOptions:
    """How the last cycle is turned into damage measures and life estimates.

    Attributes
    ----------
    layer_thickness
        Darveaux's interface layer [m] (default 25 um; the built-in SnPb set was fitted
        with 25.4 um): elements whose centroid lies within it of the pad plane.
    side
        ``"board"`` (default) or ``"package"``: the pad the layer sits on.
    board_below
        True (default): the board lies at lower z than the package.
    darveaux
        A set name of :data:`fea.physics.fatigue.DARVEAUX_SETS`, a
        :class:`~fea.physics.fatigue.DarveauxConstants`, or None to skip the model.
    syed
        A set name of :data:`fea.physics.fatigue.SYED_SETS` or None.
    engelmaier
        None to skip, or a mapping with at least ``delta_alpha`` (package/board CTE
        mismatch [1/K]); ``dnp`` [m] (default: Engelmaier's L_D, the largest distance of a
        joint of the full array from its centre, whichever joint is critical), ``height``
        [m] (default: that outermost joint's height),
        ``delta_T`` [K], ``mean_temperature_C`` and ``cycles_per_day`` (default: from the
        profile) and ``factor`` (1) may be given.

    Raises
    ------
    fea.errors.InputError
        Naming ``fatigue.<field>`` (``fatigue.engelmaier.<key>``): every value is checked
        here, not after the solve it is applied to.
    """

    layer_thickness: float = 25e-6
    side: str = "board"
    board_below: bool = True
    darveaux: str | fat.DarveauxConstants | None = "SnPb_Darveaux2000_25um"
    syed: str | None = "SAC_Syed2004"
    engelmaier: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        check_range(
            "fatigue.layer_thickness", self.layer_thickness, 0.0, 1e-3, lo_open=True, unit="m"
        )
        if self.side not in ("board", "package"):
            raise InputError("fatigue.side", self.side, "'board' or 'package'")
        if not isinstance(self.board_below, bool):
            raise InputError("fatigue.board_below", self.board_below, "True or False")
        d = self.darveaux
        if d is not None and not isinstance(d, fat.DarveauxConstants) and (
            not isinstance(d, str) or d not in fat.DARVEAUX_SETS
        ):
            raise InputError(
                "fatigue.darveaux", d,
                f"None, one of {', '.join(fat.DARVEAUX_SETS)} or a DarveauxConstants",
            )
        if self.syed is not None and (
            not isinstance(self.syed, str) or self.syed not in fat.SYED_SETS
        ):
            raise InputError(
                "fatigue.syed", self.syed, f"None or one of {', '.join(fat.SYED_SETS)}"
            )
        if self.engelmaier is not None:
            if not isinstance(self.engelmaier, Mapping) or "delta_alpha" not in self.engelmaier:
                raise InputError(
                    "fatigue.engelmaier",
                    self.engelmaier,
                    "None or a mapping with delta_alpha [1/K] (and optional "
                    f"{', '.join(k for k in _ENGELMAIER_RANGES if k != 'delta_alpha')})",
                )
            for k, v in self.engelmaier.items():
                if k not in _ENGELMAIER_RANGES:
                    raise InputError(
                        f"fatigue.engelmaier.{k}", v,
                        f"a key of {', '.join(_ENGELMAIER_RANGES)} (unknown key)",
                    )
                lo, hi, lo_open, unit = _ENGELMAIER_RANGES[k]
                x = check_range(f"fatigue.engelmaier.{k}", v, lo, hi, lo_open=lo_open, unit=unit)
                if k == "delta_alpha" and x == 0.0:
                    raise InputError(f"fatigue.engelmaier.{k}", v, "a non-zero CTE mismatch [1/K]")


@dataclass
class CyclingRun:
    """What :func:`run_cycling` computed.

    Attributes
    ----------
    profile
        The cycling profile run.
    history
        The :class:`~fea.physics.history_results.HistoryResult` (one state per profile
        point).
    energy
        :class:`~fea.physics.fatigue.JointEnergy` of the last cycle (per joint, sorted ids).
    joint
        Joint id per element, shape (n_el,) (-1 outside the solder).
    joint_fraction
        Fraction of each joint (``energy.joint`` order) in the model, shape (k,).
    centres
        Each joint's centre in the FULL array [m], shape (k, 2).
    layer
        Elements of each joint's interface layer, joint id -> indices.
    loop
        :class:`~fea.physics.fatigue.HysteresisLoop` of the critical joint's layer.
    columns, estimates
        Table columns of the critical joint and the life ESTIMATES
        (:func:`fea.physics.fatigue.critical_joint_summary`).
    element_delta_w
        ``Delta W`` per element per cycle [J/m^3], shape (n_el,) (zero outside inelastic
        regions).
    cycle
        States (start, end) of the cycle evaluated.
    paths
        PNGs written (name -> path).
    joint_map
        What the map shows (:class:`~fea.physics.fatigue.JointMap`: the full array's
        joints, mirrored on a symmetry model), or None without ``out_dir``.
    seconds
        Wall time of the solve and of the post-processing [s].
    cycle_delta_w
        ``Delta W`` of every joint (``energy.joint`` order) in every cycle [J/m^3], shape
        (n_cycles, k): its last row is ``energy.delta_w``; how it changes from cycle to
        cycle says whether the last one is stabilised.
    """

    profile: CyclingProfile
    history: HistoryResult
    energy: fat.JointEnergy
    joint: NDArray[np.int64]
    joint_fraction: NDArray[np.float64]
    centres: NDArray[np.float64]
    layer: dict[int, NDArray[np.int64]]
    loop: fat.HysteresisLoop
    columns: dict[str, float]
    estimates: list[fat.LifeEstimate]
    element_delta_w: NDArray[np.float64]
    cycle: tuple[int, int]
    symmetry: str = "none"
    paths: dict[str, Path] = field(default_factory=dict)
    joint_map: fat.JointMap | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cycle_delta_w: NDArray[np.float64] | None = None

    @property
    def critical_joint(self) -> int:
        """Id of the critical joint (largest ``Delta W``)."""
        return self.energy.critical_joint

    def delta_w_change(self) -> float | None:
        """Change of the critical joint's ``Delta W`` from the cycle before the last to
        the last, relative to the last [-]; None with one cycle or no dissipation."""
        dw = self.cycle_delta_w
        return None if dw is None else _last_change(dw[:, self.energy.critical])

    def metrics(self) -> dict[str, float]:
        """Table columns, units in the names: the critical joint's
        (``dW_crit_MJ_per_m3``, ``critical_joint``, ``critical_x_mm``, ``critical_y_mm``,
        ``critical_z_mm``, ``eq_strain_crit``, ``d_eq_strain_crit_per_cycle``,
        ``N_darveaux_est``, ``N0_darveaux_est``, ``N_syed_est``, ``N_engelmaier_est``; the
        models skipped left out), ``n_joints`` (joints of the full array),
        ``dW_min_MJ_per_m3``, ``dW_mean_MJ_per_m3`` (over the joints),
        ``loop_area_crit_MJ_per_m3`` (the critical layer's averaged pad-shear loop: a
        picture, not a damage measure), ``cycles``, ``dW_crit_change_pct`` (the critical
        joint's ``Delta W`` from the cycle before the last to the last, in % of the last;
        two cycles or more) and, for each inelastic region other than the joints',
        ``eq_strain_max@<region>`` (largest element value at the end)."""
        e = self.energy
        out = dict(self.columns)
        # the critical location in the full array (a partial joint mapped onto its plane)
        out["critical_x_mm"] = float(self.centres[e.critical, 0]) * 1e3
        out["critical_y_mm"] = float(self.centres[e.critical, 1]) * 1e3
        mult = multiplicity(self.centres, SYMMETRIES[self.symmetry])
        out["n_joints"] = float(mult.sum())
        out["dW_min_MJ_per_m3"] = float(e.delta_w.min()) / _MPA
        out["dW_mean_MJ_per_m3"] = float((e.delta_w * mult).sum() / mult.sum()) / _MPA
        out["loop_area_crit_MJ_per_m3"] = self.loop.area / _MPA
        out["cycles"] = float(self.profile.cycles)
        change = self.delta_w_change()
        if change is not None:
            out["dW_crit_change_pct"] = 100.0 * change
        last = self.history.states[self.cycle[1]]
        regions = (last.inelastic or {"regions": {}})["regions"]
        solder = {r for r, el in regions.items() if np.any(self.joint[el] >= 0)}
        for r, v in last.region_max().items():
            if r not in solder:
                out[f"eq_strain_max@{r}"] = v
        return out

    def tables(self) -> dict[str, dict[str, NDArray[np.float64]]]:
        """The cycling's tables, name -> column (units in the names) -> values: the CSVs
        ``joints.csv`` and ``hysteresis_critical.csv`` of a case folder and the
        ``/cycling`` group of its results file.

        ``joints``: one row per joint of the model (sorted ids): ``joint_id``,
        ``x_mm``, ``y_mm`` (its centre in the full array), ``fraction`` (of the joint
        in a symmetry model), ``dW_MJ_per_m3`` (over its interface layer, per cycle),
        ``dW_joint_MJ_per_m3`` (over the whole joint), ``eq_strain_pct`` (accumulated,
        layer mean), ``d_eq_strain_per_cycle_pct``, ``layer_volume_mm3``, ``pad_z_mm``,
        ``critical`` (1 for the critical joint), and with two cycles or more
        ``dW_cycle<n>_MJ_per_m3``, each cycle's ``Delta W`` (n from 1).

        ``hysteresis_critical``: the critical joint's layer after every solver step of
        the whole history: ``time_s``, ``temperature_C`` (layer mean),
        ``shear_strain_pct`` (engineering, along the joint's direction from the array's
        centre), ``shear_stress_MPa``, ``state`` (the reported state's index, -1 between
        states), ``last_cycle`` (1 within the evaluated cycle)."""
        e = self.energy
        crit = np.zeros(e.joint.size)
        crit[e.critical] = 1.0
        joints = {
            "joint_id": e.joint.astype(np.float64),
            "x_mm": self.centres[:, 0] * 1e3,
            "y_mm": self.centres[:, 1] * 1e3,
            "fraction": np.asarray(self.joint_fraction, dtype=np.float64),
            "dW_MJ_per_m3": e.delta_w / _MPA,
            "dW_joint_MJ_per_m3": e.delta_w_joint / _MPA,
            "eq_strain_pct": 100.0 * e.eq_strain,
            "d_eq_strain_per_cycle_pct": 100.0 * e.delta_eq_strain,
            "layer_volume_mm3": e.layer_volume * 1e9,
            "pad_z_mm": e.pad_z * 1e3,
            "critical": crit,
        }
        if self.cycle_delta_w is not None and self.cycle_delta_w.shape[0] > 1:
            for n, row in enumerate(self.cycle_delta_w, start=1):
                joints[f"dW_cycle{n}_MJ_per_m3"] = row / _MPA
        path = self.history.watched[_watch_name(e.joint[e.critical])]
        n = path.times.size
        state = np.full(n, -1.0)
        state[path.states] = np.arange(path.states.size)
        i0, i1 = self.loop.closed
        last = np.zeros(n)
        last[i0 : i1 + 1] = 1.0
        loop = {
            "time_s": path.times.copy(),
            "temperature_C": path.temperature.copy(),
            "shear_strain_pct": 100.0 * self.loop.shear_strain,
            "shear_stress_MPa": self.loop.shear_stress / _MPA,
            "state": state,
            "last_cycle": last,
        }
        return {"joints": joints, "hysteresis_critical": loop}

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """Per-element results-file fields (all ``"Cell"``): ``joint_id`` (-1 outside the
        solder), ``delta_w`` [J/m^3 per cycle], ``interface_layer`` (1 in a joint's
        layer), and at the end of the evaluated cycle ``equivalent_inelastic_strain``
        [-] and ``dissipated_energy_density`` [J/m^3]."""
        n = self.joint.size
        lay = np.zeros(n)
        for e in self.layer.values():
            lay[e] = 1.0
        out = {
            "joint_id": (self.joint.astype(np.float64), "Cell"),
            "delta_w": (self.element_delta_w.copy(), "Cell"),
            "interface_layer": (lay, "Cell"),
        }
        inel = self.history.states[self.cycle[1]].inelastic
        if inel is not None:
            for name in ("equivalent_inelastic_strain", "dissipated_energy_density"):
                out[name] = (np.asarray(inel["fields"][name], np.float64).copy(), "Cell")
        return out


def _joint_array(mesh: Any, joint: Any) -> NDArray[np.int64]:
    """The joint id per element from an array (n_el,) or a mapping id -> elements."""
    n = mesh.n_elements
    if isinstance(joint, Mapping):
        out = np.full(n, -1, dtype=np.int64)
        for jid, el in joint.items():
            if isinstance(jid, bool) or not isinstance(jid, int | np.integer) or jid < 0:
                raise InputError("joint", jid, "joint ids: integers >= 0")
            e = np.asarray(el, dtype=np.int64)
            if e.size and (e.min() < 0 or e.max() >= n):
                raise InputError(
                    f"joint[{jid}]", "element index out of range", f"element indices in [0, {n})"
                )
            if np.any(out[e] >= 0):
                raise InputError(
                    f"joint[{jid}]",
                    "an element of another joint",
                    "each element in one joint at most",
                )
            out[e] = int(jid)
        return out
    a = np.asarray(joint)
    if a.shape != (n,) or not (np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        if a.shape == (n,) and np.issubdtype(a.dtype, np.floating) and np.all(a == np.round(a)):
            return a.astype(np.int64)
        raise InputError(
            "joint",
            f"shape {a.shape}, {a.dtype}",
            f"an integer array of shape ({n},) (-1 outside the solder) or a "
            "mapping joint id -> element indices",
        )
    return a.astype(np.int64)


def _per_joint(
    key: str,
    value: Any,
    ids: NDArray[np.int64],
    default: float | None,
    lo: float | None,
    hi: float | None,
    unit: str = "",
) -> NDArray[np.float64]:
    """A number, a mapping id -> number or an array over the sorted ids, per joint."""
    k = ids.size
    if value is None:
        if default is None:
            raise InputError(key, value, "a value")
        return np.full(k, default)
    if isinstance(value, Mapping):
        missing = [int(i) for i in ids if int(i) not in value]
        if missing:
            raise InputError(key, f"no value for joint {missing[0]}", "a value for every joint")
        vals = [value[int(i)] for i in ids]
    elif np.ndim(value) == 0:
        vals = [value] * k
    else:
        vals = list(np.asarray(value, dtype=float).ravel())
        if len(vals) != k:
            raise InputError(key, f"{len(vals)} values", f"one per joint ({k}) or a mapping")
    lo_open = lo == 0.0
    return np.array([check_range(key, v, lo, hi, lo_open=lo_open, unit=unit) for v in vals])


def full_centres(
    centres: NDArray[np.float64],
    fraction: NDArray[np.float64],
    planes: tuple[int, ...],
    tol: float,
) -> NDArray[np.float64]:
    """Centres of partial joints moved onto their symmetry plane(s): a joint cut by the
    plane has its centre on it (its model part's centroid lies off it).

    Parameters
    ----------
    centres
        (x, y) of each model joint [m] (its part's centroid), shape (k, 2).
    fraction
        Share of each joint in the model (1, 1/2, 1/4, 1/8), shape (k,).
    planes
        Symmetry planes (0: x = 0, 1: y = 0, 2: x = y), a value of :data:`SYMMETRIES`.
    tol
        Largest distance [m] of a partial joint's centroid from its plane.

    Returns
    -------
    numpy.ndarray
        The centres in the full array [m], shape (k, 2).

    Raises
    ------
    fea.errors.InputError
        ``joint_fraction[j]``: a fraction the planes cannot make, or a partial joint away
        from its plane.
    """
    out = centres.copy()
    eighth = 2 in planes
    faces = (1, 2) if eighth else planes  # the planes the model has faces on

    def dist(c: NDArray[np.float64], a: int) -> float:
        return abs(c[0] - c[1]) / math.sqrt(2.0) if a == 2 else abs(c[a])

    for j, f in enumerate(fraction):
        if f >= 1.0 - 1e-9:
            continue
        # the planes nearest to the centroid take the cut: 1/2 -> one plane, 1/4 -> two
        # (1/8 -> both planes of an eighth: the joint on the z axis)
        if eighth:
            share = 2 if f > 0.25 else 8
            n_cut = 1 if share == 2 else 2
            ok = abs(f * share - 1.0) <= 1e-6
        else:
            n_cut = int(round(math.log2(1.0 / f)))
            ok = n_cut <= len(planes) and abs(f * 2**n_cut - 1.0) <= 1e-6
        if not ok:
            allowed = ("1, 1/2 (on one plane) or 1/8 (on the z axis)" if eighth
                       else "1, or 1/2 (or 1/4 with two planes)")
            raise InputError(
                f"joint_fraction[{j}]", float(f), f"{allowed} for the symmetry planes {planes}"
            )
        near = sorted(faces, key=lambda a: dist(out[j], a))[:n_cut]
        for a in near:
            if dist(out[j], a) > tol:
                raise InputError(
                    f"joint_fraction[{j}]",
                    float(f),
                    "a partial joint next to a symmetry plane (its centroid is "
                    f"{dist(out[j], a):.3g} m from it)",
                )
        if eighth and n_cut == 2:
            out[j] = 0.0
        elif 2 in near:
            out[j] = 0.5 * (out[j, 0] + out[j, 1])
        else:
            out[j, near] = 0.0
    return out


def multiplicity(centres: NDArray[np.float64], planes: tuple[int, ...]) -> NDArray[np.float64]:
    """How many joints of the full array each model joint stands for (mirror images).

    Parameters
    ----------
    centres
        Joint centres in the full array [m], shape (k, 2) (:func:`full_centres`).
    planes
        Symmetry planes (0: x = 0, 1: y = 0, 2: x = y).

    Returns
    -------
    numpy.ndarray
        1, 2 or 4 per joint, shape (k,): 2 per plane the joint is off; on an eighth 8 off
        its planes, 4 on one, 1 on the z axis.
    """
    centres = np.asarray(centres, dtype=np.float64)
    tol = _plane_tol(centres)
    if 2 in planes:
        x, y = centres[:, 0], centres[:, 1]
        axis = (np.abs(x) <= tol) & (np.abs(y) <= tol)
        line = (np.abs(x) <= tol) | (np.abs(y) <= tol) | (np.abs(x - y) <= tol)
        return np.where(axis, 1.0, np.where(line, 4.0, 8.0))
    m = np.ones(len(centres))
    for a in planes:
        m *= np.where(np.abs(centres[:, a]) > tol, 2.0, 1.0)
    return m


def _plane_tol(points: NDArray[np.float64]) -> float:
    """How far [m] from a symmetry plane a joint centre still lies on it: 1e-9 of the
    array's extent (the centres' rounding, not the mesh's size)."""
    return 1e-9 * float(np.abs(points).max()) if points.size else 0.0


def mirror_images(x: NDArray, y: NDArray, v: NDArray, planes: tuple[int, ...]) -> tuple:
    """The full array's points and values: mirror images about the planes, once each.

    Parameters
    ----------
    x, y, v
        Joint centres [m] and a value per joint of the model, shape (k,) each.
    planes
        Symmetry planes (0: x = 0, 1: y = 0, 2: x = y).

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y, v)`` of the full array, shape (n,) each: the model's joints first, then
        their images (a joint on a plane is not mirrored across it).
    """
    X, Y, V = [np.asarray(x)], [np.asarray(y)], [np.asarray(v)]
    tol = _plane_tol(np.stack([np.ravel(x), np.ravel(y)], axis=1).astype(np.float64))
    for a in planes:
        xs, ys, vs = np.concatenate(X), np.concatenate(Y), np.concatenate(V)
        if a == 2:  # across x = y (an eighth's first image)
            off = np.abs(xs - ys) > tol
            X.append(ys[off])
            Y.append(xs[off])
            V.append(vs[off])
            continue
        off = np.abs(xs if a == 0 else ys) > tol
        X.append(-xs[off] if a == 0 else xs[off])
        Y.append(ys[off] if a == 0 else -ys[off])
        V.append(vs[off])
    return np.concatenate(X), np.concatenate(Y), np.concatenate(V)


def _last_change(d: NDArray[np.float64]) -> float | None:
    """(last - the one before) / last of a per-cycle series (n,); None with one value or
    a last value that is not positive."""
    if d.size < 2 or not d[-1] > 0:
        return None
    return float((d[-1] - d[-2]) / d[-1])


def stabilisation_note(delta_w: ArrayLike) -> str:
    """The note of a cycling run whose last cycle is not stabilised: ``delta_w`` the
    critical joint's ``Delta W`` per cycle [J/m^3], shape (n_cycles,); a change of the
    last from the one before of more than :data:`DW_STABLE_CHANGE` of the last gives the
    note, and so does a run of one cycle (nothing to compare it with: its ``Delta W``
    holds the first cycle's relaxation from the stress-free state); else ``""`` (also
    when nothing dissipated in the last)."""
    d = np.asarray(delta_w, dtype=float).ravel()
    if d.size == 1 and d[0] > 0:
        return (
            "one cycle only: whether its Delta W is stabilised is not checked (the first "
            "cycle's includes the joints' relaxation from the stress-free state), and the "
            "life estimates, fitted on a stabilised cycle's Delta W, follow it; run 3 or "
            "more cycles"
        )
    change = _last_change(d)
    if change is None or abs(change) <= DW_STABLE_CHANGE:
        return ""
    return (
        f"the critical joint's Delta W changed by {100 * change:+.3g} % from cycle "
        f"{d.size - 1} to cycle {d.size} (more than {100 * DW_STABLE_CHANGE:g} %): the "
        "last cycle is not stabilised and the life estimates, fitted on a stabilised "
        "cycle's Delta W, follow it; run more cycles"
    )


def _watch_name(joint_id: Any) -> str:
    """The name a joint's interface layer is followed under (``solve_history(watch=)``)."""
    return f"joint {int(joint_id)}"


def run_cycling(
    mesh: Any,
    materials: Mapping[str, Any],
    profile: CyclingProfile,
    joint: ArrayLike | Mapping[int, ArrayLike],
    *,
    pad_diameter: float | Mapping[int, float] | ArrayLike,
    pad_z: Mapping[int, float] | ArrayLike | None = None,
    joint_fraction: Mapping[int, float] | ArrayLike | None = None,
    centres: Mapping[int, ArrayLike] | None = None,
    symmetry: str = "none",
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    fatigue: FatigueOptions | None = None,
    out_dir: str | Path | None = None,
    max_step_K: float | None = 10.0,
    substeps: int = 1,
    backend: str = "auto",
    progress: Callable[[str], None] | None = None,
    **history_options: Any,
) -> CyclingRun:
    """Run a temperature-cycling history and evaluate the solder joints' fatigue.

    Parameters
    ----------
    mesh, materials
        As :func:`fea.solve_history`; the joints' region(s) need an inelastic material
        (``Material(..., inelastic=...)``).
    profile
        :class:`~fea.physics.cycling.CyclingProfile` (e.g.
        :func:`~fea.physics.cycling.jesd22_a104`); the solve starts stress free at
        ``profile.stress_free_C``. The LAST cycle is evaluated.
    joint
        Joint id per element, integer array of shape (n_el,), -1 outside the solder; or a
        mapping joint id -> element indices.
    pad_diameter
        Pad (interface) diameter [m]: one number, a mapping joint id -> m, or an array over
        the sorted ids. Darveaux's crack length to failure (the critical joint's is used).
    pad_z
        Pad plane of each joint [m] (mapping or array over the sorted ids); None: the
        lowest (``side="board"``, board below) or highest element bound of the joint.
    joint_fraction
        Part of each joint in the model (1 whole; 1/2, 1/4 cut by symmetry planes):
        mapping or array over the sorted ids; None: all whole.
    centres
        Each joint's centre (x, y) [m] in the full array, mapping joint id -> (x, y); None:
        the joint's volume centroid, moved onto the symmetry plane(s) for a partial joint.
    symmetry
        ``"none"`` (default), ``"half"`` (the model is x >= 0, plane x = 0),
        ``"quarter"`` (x, y >= 0, planes x = 0 and y = 0) or ``"eighth"`` (0 <= y <= x,
        planes y = 0 and x = y; ``fixed`` with ``{"symmetry_d": {"n": 0.0}}``).
    fixed
        Supports, as :func:`fea.solve_history` (on a symmetry model, the symmetry
        planes' normal displacement, e.g. ``{"symmetry_x": {"x": 0.0}}``). None: on a
        symmetry model the planes' conditions on the boundaries ``symmetry_x``,
        ``symmetry_y``, ``symmetry_d`` (:func:`fea.package.geometry.symmetry.symmetry_fixed`),
        on a full model a free body.
    fatigue
        :class:`FatigueOptions` (default: 25 um board-side layer, Darveaux SnPb, Syed).
    out_dir
        Folder for ``dw_map.png`` and ``hysteresis_critical.png``; None: no plots.
    max_step_K, substeps, backend, progress, **history_options
        Passed to :func:`fea.solve_history` (e.g. ``newton_rtol``; ``rtol`` and
        ``maxiter``, the iteration limit of its iterative solves: ``[solver] maxiter``).

    Returns
    -------
    CyclingRun
        ``.metrics()`` (table columns), ``.fields()`` (per-element results-file fields).

    Raises
    ------
    fea.errors.InputError
        Naming the argument: a joint array of the wrong shape, no joint, joint elements
        without an inelastic material, a symmetry not supported, a partial joint away
        from its plane, a missing per-joint value, a layer (``fatigue.layer_thickness``)
        not under half the lowest joint's height, a profile whose hot extreme
        (``profile.t_max_C``) or stress-free temperature (``profile.stress_free_C``) is
        above a joint law's solidus (equal is allowed); all before the solve.

    Warns
    -----
    UserWarning
        The other pad's layer (same thickness) dissipating more than
        :data:`OTHER_SIDE_MARGIN` above the evaluated side's critical ``Delta W`` (the
        crack runs along the interface of the larger one: evaluate that side); the last
        cycle not stabilised; no dissipation; a Darveaux set fitted with another layer;
        an Engelmaier estimate left out.
    """
    t0 = time.perf_counter()
    opts = FatigueOptions() if fatigue is None else fatigue
    if not isinstance(opts, FatigueOptions):
        raise InputError("fatigue", type(opts).__name__, "a FatigueOptions")
    if not isinstance(profile, CyclingProfile):
        raise InputError(
            "profile",
            type(profile).__name__,
            "a CyclingProfile (fea.physics.cycling.jesd22_a104, ...)",
        )
    if symmetry not in SYMMETRIES:
        raise InputError(
            "symmetry",
            symmetry,
            f"one of {', '.join(SYMMETRIES)}",
        )
    planes = SYMMETRIES[symmetry]
    J = _joint_array(mesh, joint)
    ids = np.unique(J[J >= 0])
    if ids.size == 0:
        raise InputError("joint", "no id >= 0", "at least one solder joint")
    inelastic = {r for r, m in materials.items() if getattr(m, "inelastic", None) is not None}
    in_inel = np.zeros(J.size, dtype=bool)
    for r in inelastic:
        if r in mesh.regions:
            in_inel[mesh.regions[r]] = True
    if not np.all(in_inel[J >= 0]):
        bad = int(J[(J >= 0) & ~in_inel][0])
        raise InputError(
            "joint",
            f"joint {bad} has elements without an inelastic material",
            "joint elements in regions with Material(..., inelastic=...)",
        )
    # a profile that melts the joints, refused at its own keys before the solve
    for r in sorted(inelastic):
        if r in mesh.regions:
            m = materials[r]
            law = m.inelastic_law() if hasattr(m, "inelastic_law") else m.inelastic
            if getattr(law, "solidus_C", None) is not None:
                law.check_solid("profile.stress_free_C", profile.stress_free_C, f"region {r}")
                law.check_solid("profile.t_max_C", profile.t_max_C, f"region {r}")
    diam = _per_joint("pad_diameter", pad_diameter, ids, None, 0.0, 0.1, "m")
    frac = _per_joint("joint_fraction", joint_fraction, ids, 1.0, 0.0, 1.0)
    if not planes and np.any(frac < 1.0):
        raise InputError(
            "joint_fraction", "a partial joint", "symmetry 'half', 'quarter' or 'eighth'"
        )
    p, t = mesh.p1.p.T, mesh.p1.t.T
    zs = p[t][:, :, 2]
    _check_layer(opts.layer_thickness, ids, J, zs)
    # what the evaluation takes is checked before the solve, not after it
    if pad_z is not None:
        _per_joint("pad_z", pad_z, ids, None, None, None, "m")
    cen = p[t].mean(axis=1)
    vol = mesh.element_volumes()
    if centres is not None:
        full = _given_centres(centres, ids)
    else:  # each joint's volume centroid (as joint_energy's center), on its plane(s)
        size = float(np.cbrt(np.median(vol[J >= 0]))) * 10.0
        full = full_centres(_joint_centroids(vol, cen, J, ids)[:, :2], frac, planes, tol=size)

    if fixed is None and planes:
        fixed = symmetry_fixed(symmetry)
    # each joint's interface layer, followed through every step (its hysteresis loop as
    # the solver took it, not straight lines between the reported states)
    z_range = np.column_stack([zs.min(axis=1), zs.max(axis=1)])
    layers = fat.interface_layers(
        cen,
        J,
        thickness=opts.layer_thickness,
        side=opts.side,
        board_below=opts.board_below,
        pad_z=pad_z,
        element_z_range=z_range,
    )
    history = solve_history(
        mesh,
        materials,
        profile.history(),
        reference=profile.stress_free_C,
        fixed=fixed,
        symmetry=tuple(_PLANE_NAMES[a] for a in planes),
        backend=backend,
        max_step_K=max_step_K,
        substeps=substeps,
        progress=progress,
        watch={_watch_name(j): lay for j, lay in zip(layers.joint, layers.layer, strict=True)},
        **history_options,
    )
    t1 = time.perf_counter()
    if len(history.states) != len(profile.points):  # pragma: no cover - solver contract
        raise RuntimeError("the history did not return one state per profile point")
    k0, k1 = profile.cycle_start[-1], profile.cycle_end[-1]
    s0, s1 = history.states[k0], history.states[k1]
    f0, f1 = s0.inelastic["fields"], s1.inelastic["fields"]  # type: ignore[index]
    W0, W1 = f0["dissipated_energy_density"], f1["dissipated_energy_density"]
    energy = fat.joint_energy(
        vol,
        cen,
        J,
        W1,
        W0,
        eq_strain_end=f1["equivalent_inelastic_strain"],
        eq_strain_start=f0["equivalent_inelastic_strain"],
        cycles=1.0,
        thickness=opts.layer_thickness,
        side=opts.side,
        board_below=opts.board_below,
        pad_z=layers.pad_z,
    )
    other = _other_side_note(vol, cen, J, W1, W0, opts, z_range, energy)
    if other:
        warnings.warn(other, UserWarning, stacklevel=2)
    layer = {int(j): lay for j, lay in zip(layers.joint, layers.layer, strict=True)}
    # Delta W of every cycle (the last is energy's): is the last one stabilised?
    per_cycle = []
    for a, b in zip(profile.cycle_start[:-1], profile.cycle_end[:-1], strict=True):
        fa = history.states[a].inelastic["fields"]  # type: ignore[index]
        fb = history.states[b].inelastic["fields"]  # type: ignore[index]
        per_cycle.append(
            fat.joint_energy(
                vol,
                cen,
                J,
                fb["dissipated_energy_density"],
                fa["dissipated_energy_density"],
                thickness=opts.layer_thickness,
                side=opts.side,
                board_below=opts.board_below,
                pad_z=layers.pad_z,
            ).delta_w
        )
    per_cycle.append(energy.delta_w)
    crit = energy.critical
    neutral = np.zeros(2) if planes else _neutral_point(full, frac)
    direction = full[crit] - neutral
    if not np.hypot(*direction) > 0:
        direction = np.array([1.0, 0.0])
    path = history.watched[_watch_name(energy.joint[crit])]
    loop = fat.hysteresis_path(
        path.stress,
        path.strain,
        direction,
        cycle=(int(path.states[k0]), int(path.states[k1])),
        marks=path.states,
    )
    summary_opts: dict[str, Any] = {
        "darveaux": opts.darveaux,
        "syed": opts.syed,
        "engelmaier": None,
    }
    if opts.engelmaier is not None:
        # Engelmaier's L_D is the array's largest distance from the neutral point (IPC-D-279:
        # the outermost joint fails first in his model), whichever joint the finite
        # elements find critical; a symmetry model's joints stand for their mirror images,
        # at the same distance from the origin
        dnp = np.hypot(*(full - neutral).T)
        far = int(np.argmax(dnp))
        zf = zs[J == energy.joint[far]]
        summary_opts["engelmaier"] = _engelmaier_inputs(
            opts.engelmaier, profile, float(dnp[far]), float(zf.max() - zf.min())
        )
    if energy.critical_delta_w > 0:
        columns, estimates = fat.critical_joint_summary(energy, float(diam[crit]), **summary_opts)
    else:
        warnings.warn(
            "no joint dissipated energy over the last cycle (Delta W = 0): no life estimates",
            UserWarning,
            stacklevel=2,
        )
        columns, estimates = fat.critical_joint_summary(
            energy, float(diam[crit]), darveaux=None, syed=None, engelmaier=None
        )
    note = stabilisation_note([float(d[crit]) for d in per_cycle])
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    dw_el = np.zeros(J.size)
    dw_el[in_inel] = (W1 - W0)[in_inel]
    result = CyclingRun(
        profile=profile,
        history=history,
        energy=energy,
        joint=J,
        joint_fraction=frac,
        centres=full,
        layer=layer,
        loop=loop,
        columns=columns,
        estimates=estimates,
        element_delta_w=dw_el,
        cycle=(k0, k1),
        symmetry=symmetry,
        cycle_delta_w=np.array(per_cycle),
    )
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        x, y, v = mirror_images(full[:, 0], full[:, 1], energy.delta_w, planes)
        layer_text = f"{opts.side}-side {opts.layer_thickness * 1e6:.3g} µm layer"
        result.joint_map = fat.plot_joint_map(
            x, y, v, out / "dw_map.png", title=f"ΔW per cycle, {layer_text}"
        )
        result.paths["dw_map.png"] = out / "dw_map.png"
        fat.plot_hysteresis(
            loop,
            out / "hysteresis_critical.png",
            title=f"critical joint {energy.critical_joint}, last cycle, {layer_text}",
            delta_w=energy.critical_delta_w,
        )
        result.paths["hysteresis_critical.png"] = out / "hysteresis_critical.png"
    result.seconds = {"solve_s": t1 - t0, "post_s": time.perf_counter() - t1}
    return result


#: How much larger [-] the other pad's layer's critical ``Delta W`` may be than the
#: evaluated side's before a cycling run says so (:func:`run_cycling`).
OTHER_SIDE_MARGIN = 0.05


def _other_side_note(
    vol: NDArray[np.float64],
    cen: NDArray[np.float64],
    joint: NDArray[np.int64],
    W1: NDArray[np.float64],
    W0: NDArray[np.float64],
    opts: FatigueOptions,
    z_range: NDArray[np.float64],
    energy: fat.JointEnergy,
) -> str:
    """The note of a run whose other pad's interface layer (same thickness, pad plane at
    the joints' other extreme in z) dissipates more than the evaluated one: Darveaux's
    crack runs along the interface of the larger ``Delta W`` (on a package with a stiff,
    low-CTE substrate usually the package side), so lives from the smaller one are too
    long. ``""`` where it does not exceed it by more than :data:`OTHER_SIDE_MARGIN`, or
    where the mesh has no element centroid within the layer of some joint's other pad
    (nothing to compare)."""
    side = "package" if opts.side == "board" else "board"
    try:
        o = fat.joint_energy(
            vol, cen, joint, W1, W0, thickness=opts.layer_thickness, side=side,
            board_below=opts.board_below, element_z_range=z_range,
        )
    except InputError:
        return ""
    dw, dw_o = energy.critical_delta_w, o.critical_delta_w
    if not (dw_o > 0 and dw_o > (1.0 + OTHER_SIDE_MARGIN) * max(dw, 0.0)):
        return ""
    ratio = f"{dw_o / dw:.3g} times" if dw > 0 else "above"
    return (
        f"the {side}-side layer's Delta W (joint {o.critical_joint}: {dw_o / _MPA:.4g} "
        f"MJ/m^3) is {ratio} the evaluated {opts.side} side's (joint "
        f"{energy.critical_joint}: {dw / _MPA:.4g} MJ/m^3): the crack runs along the "
        f"interface of the larger Delta W, so the life estimates from the {opts.side} "
        f"side are too long; evaluate the {side} side ([cycling] side = '{side}', "
        f"FatigueOptions(side='{side}'))"
    )


def _joint_centroids(
    vol: NDArray[np.float64], cen: NDArray[np.float64], joint: NDArray[np.int64],
    ids: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Volume centroid of each joint of ``ids`` [m], shape (k, 3), from the element volumes
    (n_el,) and centroids (n_el, 3), summed in the order of
    :func:`fea.physics.fatigue.joint_energy` (so equal to its ``center`` bit for bit)."""
    solder = np.flatnonzero(joint >= 0)
    order = solder[np.argsort(joint[solder], kind="stable")]
    groups = np.split(order, np.searchsorted(joint[order], ids)[1:])
    out = np.empty((ids.size, 3))
    for j, sel in enumerate(groups):
        v = vol[sel]
        out[j] = (cen[sel] * v[:, None]).sum(axis=0) / v.sum()
    return out


def _given_centres(centres: Any, ids: NDArray[np.int64]) -> NDArray[np.float64]:
    """``centres`` (joint id -> (x, y) [m]) as an array over ``ids``, shape (k, 2)."""
    if not isinstance(centres, Mapping):
        raise InputError("centres", type(centres).__name__, "a mapping joint id -> (x, y)")
    out = np.empty((ids.size, 2))
    for j, i in enumerate(ids):
        if int(i) not in centres:
            raise InputError("centres", f"no centre for joint {int(i)}", "a centre for every joint")
        v = centres[int(i)]
        try:
            c = np.asarray(v, dtype=float).ravel()[:2]
        except (TypeError, ValueError):
            c = np.empty(0)
        if c.size != 2 or not np.all(np.isfinite(c)):
            raise InputError(f"centres[{int(i)}]", v, "a finite (x, y) [m]")
        out[j] = c
    return out


def _check_layer(
    layer: float, ids: NDArray[np.int64], joint: NDArray[np.int64], zs: NDArray[np.float64]
) -> None:
    """Refuse (before the solve) an interface layer of ``layer`` [m] as thick as half of the
    lowest joint or more: the layer at one pad would reach the joint's middle (``zs``: the
    z of each element's vertices, shape (n_el, 4))."""
    sel = joint >= 0
    k = np.searchsorted(ids, joint[sel])
    top = np.full(ids.size, -np.inf)
    bottom = np.full(ids.size, np.inf)
    np.maximum.at(top, k, zs[sel].max(axis=1))
    np.minimum.at(bottom, k, zs[sel].min(axis=1))
    height = top - bottom
    j = int(np.argmin(height))
    if layer >= 0.5 * height[j]:
        raise InputError(
            "fatigue.layer_thickness",
            layer,
            f"less than half the joints' height (joint {int(ids[j])}: {height[j]:.3g} m high, "
            f"so less than {0.5 * height[j]:.3g} m): Darveaux's layer at one pad",
        )


def _neutral_point(centres: NDArray[np.float64], frac: NDArray[np.float64]) -> NDArray:
    """The array's centre: the mean of the joint centres (a full model)."""
    return centres.mean(axis=0)


def _engelmaier_inputs(
    given: Mapping[str, float], profile: CyclingProfile, dnp: float, height: float
) -> dict[str, float] | None:
    """Engelmaier's inputs: the given ones, the rest from the profile and the outermost
    joint (``dnp`` [m], the array's largest distance from the neutral point, and its
    ``height`` [m]); None (with a warning) where every joint sits at the neutral point (a
    single joint: no DNP, no strain).
    A profile's frequency outside the model's 1-1000 cycles/day is taken at the nearer end,
    with a warning."""
    f = 86400.0 / profile.period_s
    kw: dict[str, float] = {
        "dnp": dnp,
        "height": height,
        "delta_T": profile.t_max_C - profile.t_min_C,
        "mean_temperature_C": 0.5 * (profile.t_max_C + profile.t_min_C),
        "cycles_per_day": min(max(f, 1.0), 1000.0),
    }
    kw.update(given)
    if "dnp" not in given and not dnp > 0:
        warnings.warn(
            "Engelmaier: every joint is at the array's neutral point (DNP 0, no shear "
            "strain in the model): no Engelmaier estimate (give engelmaier dnp)",
            UserWarning,
            stacklevel=3,
        )
        return None
    if "cycles_per_day" not in given and kw["cycles_per_day"] != f:
        warnings.warn(
            f"Engelmaier: the profile's {f:.3g} cycles/day (period {profile.period_s:g} s) "
            f"taken as {kw['cycles_per_day']:g} (the model's range 1-1000 cycles/day)",
            UserWarning,
            stacklevel=3,
        )
    return kw


# -- the [cycling] study: the unit on its board ---------------------------------------

#: The region whose connected pieces are the joints.
SOLDER_REGION = "terminals"


def joint_ids(mesh: Any, region: str = SOLDER_REGION) -> NDArray[np.int64]:
    """Joint id per element, shape (n_el,): -1 outside ``region``, else the index of the
    element's connected piece of the region (elements sharing a node are connected),
    numbered by the pieces' centroids: rows of increasing y (centroids within a quarter of
    the closest spacing of two joints share a row), then increasing x. (The study numbers
    the joints by the terminal grid: :func:`fea.package.board_model.joint_map`; on a full
    model the two agree.)"""
    if region not in mesh.regions:
        raise InputError("cycling", region, f"a model with the region {region!r}")
    el = np.asarray(mesh.regions[region], dtype=np.int64)
    t = np.asarray(mesh.p1.t)[:, el]  # (4, k) vertices
    k = len(el)
    rows = np.repeat(np.arange(k), t.shape[0])
    adj = coo_matrix((np.ones(rows.size), (rows, t.T.ravel())), shape=(k, mesh.p1.p.shape[1]))
    a = (adj @ adj.T).tocsr()
    n, lab = connected_components(a, directed=False)
    c = np.asarray(mesh.p1.p)[:, t].mean(axis=1).T  # (k, 3) centroids
    cen = np.array([c[lab == j].mean(axis=0) for j in range(n)])
    # rows: centroids within a quarter of the closest spacing of two joints share a row
    # (a meshed ball's centroid sits a few um off its grid point)
    if n > 1:
        from scipy.spatial import cKDTree

        d, _ = cKDTree(cen[:, :2]).query(cen[:, :2], k=2)
        tol = 0.25 * float(d[:, 1].min())
    else:
        tol = 1.0
    order = np.lexsort((cen[:, 0], np.round(cen[:, 1] / tol)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    out = np.full(mesh.n_elements, -1, dtype=np.int64)
    out[el] = rank[lab]
    return out


@dataclass
class CyclingState(HistoryState):
    """A state of the cycling history that also carries the cycle's per-element fields
    (:meth:`CyclingRun.fields`: ``joint_id``, ``delta_w``, ``interface_layer``), so the
    results file and ParaView show them beside the state's own fields."""

    cycle_fields: dict[str, tuple[NDArray[np.float64], str]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def of(
        cls, state: HistoryState, cycle_fields: Mapping[str, tuple[NDArray[np.float64], str]]
    ) -> CyclingState:
        """``state`` with ``cycle_fields`` added (arrays shared, not copied)."""
        kw = {f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.init}
        return cls(**kw, cycle_fields=dict(cycle_fields))

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """The state's fields and the cycle's (see the class)."""
        out = super().fields()
        for name, v in self.cycle_fields.items():
            out.setdefault(name, v)
        return out


#: Fields of :meth:`CyclingRun.fields` that are the same for every state (the others,
#: ``equivalent_inelastic_strain`` and ``dissipated_energy_density``, are the state's own).
CYCLE_FIELDS = ("joint_id", "delta_w", "interface_layer")


@dataclass
class CyclingResult:
    """What :func:`cycling_metrics` found.

    Attributes
    ----------
    metrics
        The table columns (units in the names; ``"warnings"``: notes, a list of text).
    history
        The :class:`~fea.physics.history_results.HistoryResult` of the whole profile.
    joint
        Joint id per element, shape (n_el,), -1 outside the solder (the terminal grid's
        row-major numbering, :func:`fea.package.board_model.joint_map`).
    energy
        :class:`~fea.physics.fatigue.JointEnergy` of the last cycle (the joints of the
        model).
    run
        The engine's :class:`CyclingRun` (hysteresis loop, estimates, fields, PNGs).
    """

    metrics: dict[str, float]
    history: Any
    joint: NDArray[np.int64]
    energy: Any
    run: CyclingRun | None = None

    def states(self) -> dict[str, CyclingState]:
        """The start and end of the evaluated (last) cycle, ``{"cycle_start": ...,
        "cycle_end": ...}``, each with the cycle's per-element fields (``joint_id``,
        ``delta_w`` [J/m^3 per cycle], ``interface_layer``) beside its own
        (``equivalent_inelastic_strain``, ``dissipated_energy_density``, stress, ...)."""
        assert self.run is not None
        k0, k1 = self.run.cycle
        f = {k: v for k, v in self.run.fields().items() if k in CYCLE_FIELDS}
        return {
            "cycle_start": CyclingState.of(self.history.states[k0], f),
            "cycle_end": CyclingState.of(self.history.states[k1], f),
        }


def history_solver(backend: str, method: str) -> tuple[str, str | None]:
    """The ``method`` the thermal cycling history solves with, and the note saying what of
    the study's ``[solver]`` it does not take (None when it takes all of it). The history
    runs on the CPU whatever ``backend`` says: its Newton corrections are preconditioned
    by a kept factorisation of the consistent tangent (docs/history.md), a CPU path; a
    method the CPU does not have (``jacobi``, ``cudss``, ``amg-pyamg``: GPU methods) is
    replaced by ``"auto"``. ``backend``, ``method``: the study's ``solver.backend`` and
    ``solver.method``."""
    from ..solvers.cpu import CPU_METHODS

    said = []
    if backend == "gpu":
        said.append(f"solver.backend = {backend!r}")
    if method != "auto" and method not in CPU_METHODS:
        said.append(f"solver.method = {method!r} (a GPU method; 'auto' instead)")
        method = "auto"
    if not said:
        return method, None
    return method, (
        "the thermal cycling history solves on the CPU (its Newton corrections are "
        "preconditioned by a kept factorisation of the tangent), not by "
        + " nor ".join(said)
        + "; the other solves of the case follow [solver]"
    )


def cycling_metrics(case: CaseSpec, folder: str | Path | None = None) -> CyclingResult:
    """Run ``case``'s ``[cycling]`` on the unit on its board with :func:`run_cycling`
    (see the module).

    Parameters
    ----------
    case
        A unit case with ``[cycling]``, a board and terminals.
    folder
        Where ``dw_map.png`` and ``hysteresis_critical.png`` go (None: no plots).

    Returns
    -------
    CyclingResult
        ``.metrics`` (the table columns), ``.states()`` (the last cycle's start and end
        with the per-element fields), ``.run`` (the engine's result).

    Raises
    ------
    fea.errors.InputError
        No ``[cycling]``, no board or terminals, a board coupon smaller than the package
        or larger than the board, a layer not under half the joints' height, a pad wider
        than the pitch (:func:`board_model_case`), before the mesh is built.

    Warns
    -----
    UserWarning
        Each note of the run (a Darveaux set applied to another layer thickness, an
        Engelmaier estimate left out, the other pad's layer dissipating more;
        :class:`~fea.package.sizing.MeshDependenceWarning`:
        the layer widened to the mesh), prefixed ``case <name>:``; also in
        ``metrics["warnings"]`` (the results file).
    """
    cy = case.cycling
    if cy is None:
        raise InputError("cycling", None, "a [cycling] section")
    from .analyse import mesh_materials

    board_case, sym = check_cycling(case)  # the reader's checks, before meshing
    model = build_board_model(board_case, symmetry=sym)
    mesh, jm = model.mesh, model.joints
    joint = jm.joint
    mats = dict(mesh_materials(mesh, case))
    solder = mats[SOLDER_REGION]
    mats[SOLDER_REGION] = solder.with_(inelastic=anand_set(cy.solder), relaxation=None)
    prof = cy.profile
    fs = cy.fatigue
    ids = jm.in_model
    pad_z = jm.pad_z(fs.side)
    layer, note = _layer_thickness(mesh, joint, pad_z, fs.layer_thickness_m, fs.side)
    diam = fs.pad_diameter_m if fs.pad_diameter_m is not None else jm.diameter[ids]
    fo = fs.options(layer)
    stage(f"cycling {prof.condition or 'profile'}: {prof.cycles} cycles")
    method, on_cpu = history_solver(case.solver.backend, case.solver.method)
    with (
        warnings.catch_warnings(record=True) as caught,
        naming_solve(f"the thermal cycling {prof.condition or 'profile'} on the board model"),
    ):
        warnings.simplefilter("always", UserWarning)
        run = run_cycling(
            mesh,
            mats,
            prof,
            joint,
            pad_diameter=diam,
            pad_z=pad_z,
            joint_fraction=jm.fraction[ids],
            centres={int(i): jm.centres[i] for i in ids},
            symmetry=sym,
            fixed=model.fixed or None,
            fatigue=fo,
            out_dir=folder,
            backend="cpu",
            method=method,
            rtol=case.solver.rtol,
            maxiter=case.solver.maxiter,
            max_step_K=cy.max_step_K,
            inelastic_step_tol=cy.inelastic_step_tol,
            newton_rtol=cy.newton_rtol,
            newton_dtol=cy.newton_dtol,
            newton_factor_precision=cy.newton_factor_precision,
        )
    notes: list[tuple[str, type[Warning]]] = [(on_cpu, UserWarning)] if on_cpu else []
    for w in caught:
        if issubclass(w.category, UserWarning):
            notes.append((str(w.message), w.category))
        else:  # pragma: no cover - passed on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    c = run.metrics()
    h = run.history
    m: dict[str, float] = {
        "dW_crit_MJ_per_m3": c["dW_crit_MJ_per_m3"],
        "dW_mean_MJ_per_m3": c["dW_mean_MJ_per_m3"],
        "critical_joint_id": c["critical_joint"],
        "critical_x_mm": c["critical_x_mm"],
        "critical_y_mm": c["critical_y_mm"],
        "eq_strain_crit_pct": 100.0 * c["eq_strain_crit"],
        "d_eq_strain_per_cycle_pct": 100.0 * c["d_eq_strain_crit_per_cycle"],
    }
    for model_key, col in (
        ("N_darveaux_est", "N_darveaux_cycles"),
        ("N0_darveaux_est", "N0_darveaux_cycles"),
        ("N_syed_est", "N_syed_cycles"),
        ("N_engelmaier_est", "N_engelmaier_cycles"),
    ):
        if model_key in c:
            m[col] = c[model_key]
    m["joints_count"] = c["n_joints"]
    m["cycling_steps_count"] = float(h.solver_info["steps"])
    m["cycling_newton_iterations_count"] = float(h.solver_info.get("newton_iterations", 0))
    m["cycling_solve_s"] = float(h.solver_info["total_s"])
    m["dW_layer_um"] = layer * 1e6
    if "dW_crit_change_pct" in c:  # two cycles or more
        m["dW_crit_change_pct"] = c["dW_crit_change_pct"]
    # the other inelastic regions (the elastic-plastic shell): largest equivalent plastic
    # strain at the end of the cycling
    for region, v in h.states[run.cycle[1]].region_max().items():
        if region != SOLDER_REGION:
            m[f"plastic_strain_max_pct@cycle_end:{region}"] = 100.0 * v
    if note:
        notes.append((note, MeshDependenceWarning))
    alloy = str(ANAND_SETS[cy.solder].get("alloy", ""))
    for text in fat.alloy_mismatch_notes(  # the models that gave an estimate
        alloy,
        fo.darveaux if "N_darveaux_est" in c else None,
        fo.syed if "N_syed_est" in c else None,
        "N_engelmaier_est" in c,
    ):
        notes.append((text, UserWarning))
    # warned again, outside the recording above: a study's runner puts them in the row's
    # notes (the table, metrics.json); the list goes to the results file
    for text, category in notes:
        warnings.warn(f"case {case.name}: {text}", category, stacklevel=2)
    if notes:
        m["warnings"] = [text for text, _ in notes]  # type: ignore[assignment]
    if folder is not None:  # the per-joint table and the critical joint's loop, as CSV
        from ..io import write_curves_csv

        write_curves_csv(folder, run.tables())
    return CyclingResult(m, h, joint, run.energy, run)


def _layer_thickness(
    mesh: Any, joint: NDArray[np.int64], pad_z: Mapping[int, float], layer: float, side: str
) -> tuple[float, str]:
    """The interface-layer thickness [m] to average over: ``layer``, or, where the mesh has
    no element centroid within it of some joint's pad (``pad_z``: joint id -> z [m]), the
    thinnest layer that holds one for every joint (times 1.05), with a note saying so
    (refine the terminals; Darveaux's constants hold for the layer they were fitted
    with)."""
    sel = np.flatnonzero(joint >= 0)
    p = np.asarray(mesh.p1.p)
    z = p[2][np.asarray(mesh.p1.t)[:, sel]].mean(axis=0)  # centroid z, (k,)
    j = joint[sel]
    need = 0.0
    for jid, zp in pad_z.items():
        zj = z[j == jid]
        d = zj - zp if side == "board" else zp - zj
        need = max(need, float(np.abs(d).min()))
    if need < layer:
        return layer, ""
    wide = 1.05 * need
    return wide, (
        f"cycling: no element centroid within {layer * 1e6:g} um of some pad: Delta W is "
        f"averaged over {wide * 1e6:.3g} um (refine mesh.terminal_size_mm for the "
        "Darveaux layer its constants were fitted with)"
    )
