"""Solder-joint fatigue: per-joint post-processing and life models (ESTIMATES).

Generic: arrays in, numbers out; nothing here knows the mesh or the solver.

Per-joint energy (Darveaux's methodology)
-----------------------------------------
The damage measure of the energy-based models is the inelastic strain energy density
dissipated per cycle, ``Delta W`` [J/m^3 = Pa], **volume-averaged over a thin layer of the
joint at the pad interface** where the crack runs (Darveaux 2000):

.. math:: \\Delta W = \\frac{\\sum_{e \\in L} (W_e(t_2) - W_e(t_1))\\, V_e}
                           {N_{cyc} \\sum_{e \\in L} V_e}

with ``W_e`` the dissipated inelastic work density of element ``e`` (the ``energy`` field of
:class:`fea.physics.inelastic.InelasticState`, averaged over the element's quadrature
points: :func:`element_average`), ``t_1``, ``t_2`` the start and end of ``N_cyc`` whole
cycles (:class:`fea.physics.cycling.CyclingProfile` ``cycle_start`` / ``cycle_end``; take
the last, stabilised cycle), and ``L`` the interface layer.

Layer rule: an element belongs to the layer of its joint when its CENTROID lies within
``thickness`` (default 25 um) of the joint's pad plane, on the joint's side, and the whole
element counts (an element straddling the layer's boundary is in or out by its centroid,
never cut). Darveaux's constants were fitted with a layer of elements of that thickness, so
mesh the joint with a layer boundary at the stated thickness: then the rule selects exactly
that layer. The pad plane is given per joint (``pad_z``) or taken at the joint's extent in
z on the chosen side: the lowest (board side, board below the package) or highest
(package side) element bound when ``element_z_range`` is given, else the extreme centroid
(then the layer starts half an element inside the joint: give the bounds when you can).

Life models
-----------
All lives are ESTIMATES: each model is a correlation fitted to a particular test set
(alloy, pad finish, package family, the analyst's mesh and constitutive law), and transfers
to another design within a factor of about two at best. Each result carries the model's
constants and source.

- :func:`darveaux_life`: crack initiation ``N0 = K1 dW^K2`` plus crack growth
  ``da/dN = K3 dW^K4`` across the pad diameter ``a``: characteristic life (63.2 % failed)
  ``N_alpha = N0 + a / (da/dN)``. Constants in :data:`DARVEAUX_SETS`.
- :func:`syed_life`: ``N = (C' W_acc)^-1`` with ``W_acc`` the energy per cycle in MJ/m^3
  (:data:`SYED_SETS`); :func:`syed_strain_life` its creep-strain form.
- :func:`engelmaier_life`: Engelmaier's Coffin-Manson for leadless/leaded SnPb joints from
  the cyclic shear strain :func:`engelmaier_shear_strain` ``F L_D d_alpha d_T / h``: a hand
  estimate for comparison, no finite elements involved.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..validate import check_finite, check_range

__all__ = [
    "DARVEAUX_SETS",
    "DarveauxConstants",
    "DarveauxLife",
    "ENGELMAIER_SETS",
    "HysteresisLoop",
    "InterfaceLayers",
    "JointEnergy",
    "JointMap",
    "LifeEstimate",
    "PSI",
    "SYED_SETS",
    "alloy_mismatch_notes",
    "critical_joint_summary",
    "darveaux_life",
    "element_average",
    "engelmaier_exponent",
    "engelmaier_life",
    "engelmaier_shear_strain",
    "hysteresis_loop",
    "hysteresis_path",
    "interface_layers",
    "joint_energy",
    "loop_area",
    "pad_shear",
    "plot_hysteresis",
    "plot_joint_map",
    "syed_life",
    "syed_strain_life",
]

#: One pound-force per square inch in Pa (exact: 0.45359237 kg x 9.80665 m/s^2 / 0.0254^2 m^2).
PSI = 0.45359237 * 9.80665 / 0.0254**2
_INCH = 0.0254
_MPA = 1.0e6


# ------------------------------------------------------------------ per-joint energy


def element_average(
    values: ArrayLike, weights: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Volume average of a quadrature-point field over each element.

    Parameters
    ----------
    values
        Field at the quadrature points, shape (n_elements, n_qp) (a law's state field,
        reshaped element-major).
    weights
        Quadrature weight times Jacobian determinant [m^3], shape (n_elements, n_qp).

    Returns
    -------
    average, volume
        ``sum(values * weights) / sum(weights)`` per element, shape (n_elements,), and the
        element volume ``sum(weights)`` [m^3], shape (n_elements,).
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if v.shape != w.shape or v.ndim != 2:
        raise InputError("fatigue.values", v.shape, f"an array of the weights' shape {w.shape}")
    vol = w.sum(axis=1)
    if not np.all(vol > 0):
        raise InputError("fatigue.weights", "non-positive element volume", "positive volumes")
    return (v * w).sum(axis=1) / vol, vol


@dataclass(frozen=True)
class JointEnergy:
    """Per-joint result of :func:`joint_energy` (arrays of shape (k,) over the k joints,
    sorted by joint id).

    Attributes
    ----------
    joint
        Joint ids, shape (k,).
    delta_w
        Volume-averaged dissipated inelastic energy density per cycle over the interface
        layer [J/m^3], shape (k,).
    layer_volume
        Volume of the layer [m^3], shape (k,); ``layer_elements`` their count.
    eq_strain
        Volume average over the layer of the accumulated equivalent inelastic strain at the
        end time [-], shape (k,).
    delta_eq_strain
        Its increment per cycle [-], shape (k,) (NaN where no start values were given).
    delta_w_joint
        ``Delta W`` averaged over the whole joint [J/m^3], shape (k,) (for comparison).
    pad_z
        Pad plane of each joint [m], shape (k,).
    center
        Volume centroid of the whole joint [m], shape (k, 3): its place in the array.
    layer_center
        Volume centroid of the layer [m], shape (k, 3).
    critical
        Index (into these arrays) of the critical joint: the largest ``delta_w``.
    side, thickness
        The layer's side (``"board"`` / ``"package"``) and thickness [m].
    """

    joint: NDArray[np.int64]
    delta_w: NDArray[np.float64]
    layer_volume: NDArray[np.float64]
    layer_elements: NDArray[np.int64]
    eq_strain: NDArray[np.float64]
    delta_eq_strain: NDArray[np.float64]
    delta_w_joint: NDArray[np.float64]
    pad_z: NDArray[np.float64]
    center: NDArray[np.float64]
    layer_center: NDArray[np.float64]
    critical: int
    side: str
    thickness: float

    @property
    def critical_joint(self) -> int:
        """Id of the critical joint."""
        return int(self.joint[self.critical])

    @property
    def critical_delta_w(self) -> float:
        """``Delta W`` of the critical joint [J/m^3]."""
        return float(self.delta_w[self.critical])

    @property
    def critical_location(self) -> NDArray[np.float64]:
        """Centroid of the critical joint's interface layer [m], shape (3,)."""
        return self.layer_center[self.critical]


def _array(key: str, value: Any, shape: tuple[int, ...] | None = None) -> NDArray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(key, value, "an array of finite numbers") from None
    if shape is not None and a.shape != shape:
        raise InputError(key, f"shape {a.shape}", f"an array of shape {shape}")
    if not np.all(np.isfinite(a)):
        raise InputError(key, "non-finite values", "finite numbers")
    return a


@dataclass(frozen=True)
class InterfaceLayers:
    """Each joint's elements and the elements of its interface layer
    (:func:`interface_layers`).

    Attributes
    ----------
    joint
        Joint ids, sorted, shape (k,).
    pad_z
        Pad plane of each joint [m], shape (k,).
    elements
        Each joint's elements, k arrays.
    layer
        The elements of each joint's layer (centroid within ``thickness`` of the pad
        plane, on the joint's side), k non-empty arrays.
    thickness
        The layer thickness [m].
    """

    joint: NDArray[np.int64]
    pad_z: NDArray[np.float64]
    elements: list[NDArray[np.int64]]
    layer: list[NDArray[np.int64]]
    thickness: float


def interface_layers(
    centroids: ArrayLike,
    joint: ArrayLike,
    *,
    thickness: float = 25e-6,
    side: str = "board",
    board_below: bool = True,
    pad_z: Mapping[int, float] | ArrayLike | None = None,
    element_z_range: ArrayLike | None = None,
) -> InterfaceLayers:
    """Darveaux's interface layer of every joint, from the geometry alone (the elements
    :func:`joint_energy` averages over; known before a solve, e.g. to follow the layers
    through every step with ``solve_history(watch=...)``).

    Parameters are :func:`joint_energy`'s: ``centroids`` [m] (n, 3), ``joint`` (n,)
    integer ids (< 0: not solder), ``thickness`` [m] in (0, 1 mm], ``side``
    (``"board"``/``"package"``), ``board_below``, ``pad_z`` [m] (mapping or array over
    the sorted ids; None: the joint's lowest/highest extent), ``element_z_range`` [m]
    (n, 2) for that detection.

    Raises
    ------
    fea.errors.InputError
        Naming the argument (``fatigue.joint``, ``fatigue.thickness``, ...): wrong
        shapes, no joint, a joint with no element centroid in its layer.
    """
    C = _array("fatigue.centroids", centroids)
    if C.ndim != 2 or C.shape[1] != 3:
        raise InputError("fatigue.centroids", f"shape {C.shape}", "an array of shape (n, 3)")
    n = C.shape[0]
    J = np.asarray(joint)
    if J.shape != (n,) or not np.issubdtype(J.dtype, np.integer):
        raise InputError("fatigue.joint", f"shape {J.shape}, {J.dtype}", f"{n} integers")
    t = check_range("fatigue.thickness", thickness, 0.0, 1e-3, lo_open=True, unit="m")
    if side not in ("board", "package"):
        raise InputError("fatigue.side", side, "'board' or 'package'")
    zr = None if element_z_range is None else _array("fatigue.element_z_range",
                                                      element_z_range, (n, 2))
    ids = np.unique(J[J >= 0])
    if ids.size == 0:
        raise InputError("fatigue.joint", "no id >= 0", "at least one solder joint")
    # the pad at the lowest z of the joint: board side with the board below, or package side
    # with the package below.
    at_min = (side == "board") == bool(board_below)
    k = ids.size
    pads = np.empty(k)
    if pad_z is not None:
        if isinstance(pad_z, Mapping):
            missing = [int(i) for i in ids if int(i) not in pad_z]
            if missing:
                raise InputError("fatigue.pad_z", f"no value for joint {missing[0]}",
                                 "a z value for every joint")
            pads[:] = [check_range(f"fatigue.pad_z[{int(i)}]", pad_z[int(i)]) for i in ids]
        else:
            pads[:] = _array("fatigue.pad_z", pad_z, (k,))
    rel = 1e-9 * t  # round-off allowance on the layer boundary
    # group the elements by joint once (a loop of J == jid would be O(n k))
    solder = np.flatnonzero(J >= 0)
    order = solder[np.argsort(J[solder], kind="stable")]
    bounds = np.searchsorted(J[order], ids)
    groups = np.split(order, bounds[1:])
    layers = []
    for j, jid in enumerate(ids):
        sel = groups[j]
        z = C[sel, 2]
        if pad_z is None:
            if zr is not None:
                pads[j] = zr[sel, 0].min() if at_min else zr[sel, 1].max()
            else:
                pads[j] = z.min() if at_min else z.max()
        d = (z - pads[j]) if at_min else (pads[j] - z)
        in_layer = (d >= -rel) & (d <= t + rel)
        lay = sel[in_layer]
        if lay.size == 0:
            raise InputError(
                "fatigue.thickness", t,
                f"a layer holding at least one element centroid of joint {int(jid)} "
                f"(pad plane z = {pads[j]:.6g} m, nearest centroid {np.abs(d).min():.3g} m away)",
            )
        layers.append(lay)
    return InterfaceLayers(ids.astype(np.int64), pads, groups, layers, t)


def joint_energy(
    volumes: ArrayLike,
    centroids: ArrayLike,
    joint: ArrayLike,
    energy_end: ArrayLike,
    energy_start: ArrayLike | None = None,
    *,
    eq_strain_end: ArrayLike | None = None,
    eq_strain_start: ArrayLike | None = None,
    cycles: float = 1.0,
    thickness: float = 25e-6,
    side: str = "board",
    board_below: bool = True,
    pad_z: Mapping[int, float] | ArrayLike | None = None,
    element_z_range: ArrayLike | None = None,
) -> JointEnergy:
    """Per-joint ``Delta W`` over Darveaux's interface layer and accumulated strain.

    Parameters
    ----------
    volumes
        Element volumes [m^3], shape (n,), > 0.
    centroids
        Element centroids [m], shape (n, 3); z normal to the board.
    joint
        Joint id per element, shape (n,), integers; ids < 0 are not solder (ignored).
    energy_end, energy_start
        Element-averaged dissipated inelastic energy density [J/m^3] at the end and start
        of the ``cycles`` cycles, shape (n,); ``energy_start`` None: zero (the energy since
        the start of the history).
    eq_strain_end, eq_strain_start
        Element-averaged accumulated equivalent inelastic strain [-], shape (n,), optional.
    cycles
        Number of cycles between the two states (> 0): ``Delta W`` is per cycle.
    thickness
        Layer thickness [m], in (0, 1 mm]; default 25 um (the thickness Darveaux's
        constants in :data:`DARVEAUX_SETS` were fitted with).
    side
        ``"board"`` (the board pad, default) or ``"package"`` (the package pad).
    board_below
        True (default): the board lies at lower z than the package.
    pad_z
        Pad plane [m]: a mapping joint id -> z, or an array over the sorted joint ids;
        None: detected from the joint's extent (see the module).
    element_z_range
        Lowest and highest node z of each element [m], shape (n, 2), for the detection.

    Returns
    -------
    JointEnergy

    Raises
    ------
    fea.errors.InputError
        Naming the argument (``fatigue.volumes``, ``fatigue.side``, ...) for wrong shapes,
        non-finite values, non-positive volumes, or a joint with no element in its layer.
    """
    V = _array("fatigue.volumes", volumes)
    if V.ndim != 1 or V.size == 0:
        raise InputError("fatigue.volumes", f"shape {V.shape}", "a non-empty 1-D array")
    n = V.size
    if not np.all(V > 0):
        raise InputError("fatigue.volumes", "a non-positive volume", "volumes > 0 m^3")
    C = _array("fatigue.centroids", centroids, (n, 3))
    W1 = _array("fatigue.energy_end", energy_end, (n,))
    W0 = np.zeros(n) if energy_start is None else _array("fatigue.energy_start", energy_start, (n,))
    E1 = None if eq_strain_end is None else _array("fatigue.eq_strain_end", eq_strain_end, (n,))
    E0 = (
        None if eq_strain_start is None
        else _array("fatigue.eq_strain_start", eq_strain_start, (n,))
    )
    ncyc = check_range("fatigue.cycles", cycles, 0.0, None, lo_open=True)
    layers = interface_layers(
        C, joint, thickness=thickness, side=side, board_below=board_below, pad_z=pad_z,
        element_z_range=element_z_range,
    )
    ids, pads, t = layers.joint, layers.pad_z, layers.thickness
    k = ids.size
    out: dict[str, Any] = {
        name: np.empty(k) for name in ("dw", "vol", "eps", "deps", "dwj")
    }
    n_layer = np.empty(k, dtype=np.int64)
    center = np.empty((k, 3))
    lcenter = np.empty((k, 3))
    for j in range(k):
        sel, lay = layers.elements[j], layers.layer[j]
        v = V[lay]
        vs = v.sum()
        n_layer[j] = lay.size
        out["vol"][j] = vs
        out["dw"][j] = ((W1[lay] - W0[lay]) * v).sum() / vs / ncyc
        vj = V[sel]
        out["dwj"][j] = ((W1[sel] - W0[sel]) * vj).sum() / vj.sum() / ncyc
        out["eps"][j] = np.nan if E1 is None else (E1[lay] * v).sum() / vs
        out["deps"][j] = (
            np.nan if E1 is None or E0 is None else ((E1[lay] - E0[lay]) * v).sum() / vs / ncyc
        )
        center[j] = (C[sel] * vj[:, None]).sum(axis=0) / vj.sum()
        lcenter[j] = (C[lay] * v[:, None]).sum(axis=0) / vs
    return JointEnergy(
        joint=ids.astype(np.int64),
        delta_w=out["dw"],
        layer_volume=out["vol"],
        layer_elements=n_layer,
        eq_strain=out["eps"],
        delta_eq_strain=out["deps"],
        delta_w_joint=out["dwj"],
        pad_z=pads,
        center=center,
        layer_center=lcenter,
        critical=int(np.argmax(out["dw"])),
        side=side,
        thickness=t,
    )


# ------------------------------------------------------------------ life models


@dataclass(frozen=True)
class LifeEstimate:
    """A fatigue life ESTIMATE with the model, its constants and their source.

    Attributes
    ----------
    cycles
        Estimated cycles to failure (the model's own definition: ``definition``).
    model, definition, source
        Model name, what ``cycles`` means (characteristic life, 50 % failures, ...), and
        the published source of the constants.
    constants, inputs
        The constants used (as published, with units in the key) and the inputs (SI).
    """

    cycles: float
    model: str
    definition: str
    source: str
    constants: Mapping[str, float] = field(default_factory=dict)
    inputs: Mapping[str, float] = field(default_factory=dict)
    estimate: bool = True

    def __str__(self) -> str:
        return f"{self.model}: about {self.cycles:,.0f} cycles ({self.definition}; estimate)"


@dataclass(frozen=True)
class DarveauxConstants:
    """Darveaux's crack initiation and growth constants, in the published units.

    ``N0 = K1 (dW / unit)^K2`` [cycles], ``da/dN = K3 (dW / unit)^K4`` [length_unit/cycle],
    ``dW`` converted from J/m^3 by ``energy_unit`` [Pa] (6894.76 for psi) and ``da/dN``
    to m by ``length_unit`` [m] (0.0254 for inches). ``thickness`` [m] is the layer the
    constants were fitted with: use the same layer in :func:`joint_energy`.

    Raises
    ------
    fea.errors.InputError
        Naming ``fatigue.darveaux.<field>``: ``K1``, ``K3``, the units not positive and
        finite, ``K2``, ``K4`` not finite, ``thickness`` outside (0, 1 mm].
    """

    K1: float
    K2: float
    K3: float
    K4: float
    energy_unit: float
    length_unit: float
    thickness: float
    alloy: str = ""
    source: str = ""
    verified: bool = False

    def __post_init__(self) -> None:
        # checked here, not after the solve they are applied to
        for name in ("K1", "K3", "energy_unit", "length_unit"):
            check_range(f"fatigue.darveaux.{name}", getattr(self, name), 0.0, None,
                        lo_open=True)
        for name in ("K2", "K4"):
            check_finite(f"fatigue.darveaux.{name}", getattr(self, name))
        check_range("fatigue.darveaux.thickness", self.thickness, 0.0, 1e-3, lo_open=True,
                    unit="m")


#: Published Darveaux constants: name -> :class:`DarveauxConstants`.
DARVEAUX_SETS: dict[str, DarveauxConstants] = {
    "SnPb_Darveaux2000_25um": DarveauxConstants(
        K1=22400.0,
        K2=-1.52,
        K3=5.86e-7,
        K4=0.98,
        energy_unit=PSI,
        length_unit=_INCH,
        thickness=25.4e-6,
        alloy="62Sn36Pb2Ag / 63Sn37Pb",
        source=(
            "R. Darveaux, 'Effect of simulation methodology on solder joint crack growth "
            "correlation', Proc. 50th ECTC (2000) 1048-1058, doi:10.1109/ECTC.2000.853299: "
            "K1 = 22400 cycles/psi^K2, K2 = -1.52, K3 = 5.86e-7 in/(cycle psi^K4), "
            "K4 = 0.98, for Delta W volume-averaged over 1 mil (25.4 um) thick interface "
            "elements with the author's SnPb constitutive law. Quoted as widely "
            "reproduced (e.g. in FE vendor solder-fatigue guides); the paper was not "
            "re-read during this work."
        ),
        verified=False,
    ),
}


@dataclass(frozen=True)
class DarveauxLife(LifeEstimate):
    """:class:`LifeEstimate` of :func:`darveaux_life` with its two parts: ``initiation``
    ``N0`` [cycles] and ``growth_rate`` ``da/dN`` [m/cycle]."""

    initiation: float = math.nan
    growth_rate: float = math.nan


def _positive(key: str, value: Any, unit: str = "") -> float:
    return check_range(key, value, 0.0, None, lo_open=True, unit=unit)


def _power(x: float, k: float) -> float:
    """``x**k`` for ``x > 0``, ``inf`` where it overflows a float."""
    try:
        return x**k
    except OverflowError:
        return math.inf


def darveaux_life(
    delta_w: float,
    pad_diameter: float,
    constants: str | DarveauxConstants = "SnPb_Darveaux2000_25um",
) -> DarveauxLife:
    """Darveaux's characteristic life (63.2 % of joints failed), an ESTIMATE.

    .. math:: N_0 = K_1 \\Delta W^{K_2}, \\quad \\frac{da}{dN} = K_3 \\Delta W^{K_4},
              \\quad N_\\alpha = N_0 + \\frac{a}{da/dN}

    Parameters
    ----------
    delta_w
        Volume-averaged inelastic energy density per cycle over the interface layer
        [J/m^3], > 0 (:func:`joint_energy`, with the constants' layer thickness).
    pad_diameter
        Crack length to failure ``a`` [m], > 0: the joint's pad (interface) diameter.
    constants
        A name of :data:`DARVEAUX_SETS` or :class:`DarveauxConstants`. Only a SnPb set is
        built in: for SAC give constants fitted for your alloy, law and layer.

    Returns
    -------
    DarveauxLife
        ``cycles`` = ``N_alpha``; ``initiation`` ``N0``; ``growth_rate`` [m/cycle]
        (``inf`` cycles where ``dW`` is so small that ``N0`` overflows a float or the
        growth rate underflows to 0).
    """
    dw = _positive("fatigue.delta_w", delta_w, "J/m^3")
    a = _positive("fatigue.pad_diameter", pad_diameter, "m")
    if isinstance(constants, str):
        if constants not in DARVEAUX_SETS:
            raise InputError("fatigue.darveaux", constants, f"one of {sorted(DARVEAUX_SETS)}")
        c = DARVEAUX_SETS[constants]
        name = constants
    elif isinstance(constants, DarveauxConstants):
        c, name = constants, "user constants"
    else:
        raise InputError("fatigue.darveaux", constants, "a set name or DarveauxConstants")
    x = dw / c.energy_unit
    n0 = c.K1 * _power(x, c.K2)
    rate = c.K3 * _power(x, c.K4) * c.length_unit
    return DarveauxLife(
        cycles=n0 + (a / rate if rate > 0 else math.inf),
        model=f"Darveaux crack initiation + growth ({name})",
        definition="characteristic life, 63.2 % of joints failed",
        source=c.source,
        constants={"K1": c.K1, "K2": c.K2, "K3": c.K3, "K4": c.K4,
                   "layer_thickness_m": c.thickness},
        inputs={"delta_w_J_per_m3": dw, "pad_diameter_m": a},
        initiation=n0,
        growth_rate=rate,
    )


#: Syed's SnAgCu models: name -> constants. ``C_energy_per_MPa`` C' of
#: ``N = (C' W_acc)^-1`` (W_acc in MJ/m^3 = MPa per cycle) and ``C_strain`` C of
#: ``N = (C eps_acc)^-1`` (accumulated equivalent creep strain per cycle).
SYED_SETS: dict[str, dict[str, Any]] = {
    "SAC_Syed2004": {
        "C_energy_per_MPa": 0.0019,
        "C_strain": 0.0468,
        "alloy": "Sn-Ag-Cu (SAC305/SAC387/SAC405 class)",
        "source": (
            "A. Syed, 'Accumulated creep strain and energy density based thermal fatigue "
            "life prediction models for SnAgCu solder joints', Proc. 54th ECTC (2004) "
            "737-746, doi:10.1109/ECTC.2004.1319419: N = (0.0019 W_acc)^-1 with W_acc in "
            "MJ/m^3 per cycle, N = (0.0468 eps_acc)^-1; fitted with the author's Garofalo "
            "creep law, W and eps averaged over the interface elements. Quoted as widely "
            "reproduced; the paper was not re-read during this work."
        ),
        "verified": False,
    },
}


def _syed_set(name: str) -> dict[str, Any]:
    if not isinstance(name, str) or name not in SYED_SETS:
        raise InputError("fatigue.syed", name, f"one of {sorted(SYED_SETS)}")
    return SYED_SETS[name]


def syed_life(delta_w: float, constants: str = "SAC_Syed2004") -> LifeEstimate:
    """Syed's energy model ``N = (C' W_acc)^-1``, an ESTIMATE (mean life of the test set).

    Parameters
    ----------
    delta_w
        Accumulated inelastic (creep) energy density per cycle [J/m^3], > 0.
    constants
        Name in :data:`SYED_SETS`.
    """
    dw = _positive("fatigue.delta_w", delta_w, "J/m^3")
    s = _syed_set(constants)
    c = s["C_energy_per_MPa"]
    return LifeEstimate(
        cycles=1.0 / (c * dw / _MPA),
        model=f"Syed energy ({constants})",
        definition="cycles to failure (the fitted test set's mean life)",
        source=s["source"],
        constants={"C_prime_per_MPa": c},
        inputs={"delta_w_J_per_m3": dw},
    )


def syed_strain_life(delta_eq_strain: float, constants: str = "SAC_Syed2004") -> LifeEstimate:
    """Syed's creep-strain model ``N = (C eps_acc)^-1``, an ESTIMATE.

    Parameters
    ----------
    delta_eq_strain
        Accumulated equivalent creep strain per cycle [-], > 0.
    """
    de = _positive("fatigue.delta_eq_strain", delta_eq_strain)
    s = _syed_set(constants)
    c = s["C_strain"]
    return LifeEstimate(
        cycles=1.0 / (c * de),
        model=f"Syed creep strain ({constants})",
        definition="cycles to failure (the fitted test set's mean life)",
        source=s["source"],
        constants={"C": c},
        inputs={"delta_eq_strain": de},
    )


#: Engelmaier's Coffin-Manson constants: ``eps_f`` the fatigue ductility coefficient and
#: the exponent ``c = c0 + c1 T_sj + c2 ln(1 + f)`` (T_sj in degC, f in cycles/day).
ENGELMAIER_SETS: dict[str, dict[str, Any]] = {
    "SnPb_Engelmaier1983": {
        "eps_f": 0.325,
        "c0": -0.442,
        "c1": -6.0e-4,
        "c2": 1.74e-2,
        "alloy": "eutectic / near-eutectic SnPb",
        "source": (
            "W. Engelmaier, 'Fatigue life of leadless chip carrier solder joints during power "
            "cycling', IEEE Trans. CHMT 6 (1983) 232-237, doi:10.1109/TCHMT.1983.1136174; "
            "as in IPC-SM-785 (1992) and IPC-D-279 (1996): N_f(50 %) = 1/2 "
            "(d_gamma / (2 eps_f))^(1/c), eps_f = 0.325, c = -0.442 - 6e-4 T_sj + "
            "1.74e-2 ln(1 + f). Valid for SnPb with cyclic shear strain well below eps_f "
            "and no large local mismatch; not calibrated for SAC."
        ),
        "verified": False,
    },
}


def engelmaier_exponent(
    mean_temperature_C: float, cycles_per_day: float, constants: str = "SnPb_Engelmaier1983"
) -> float:
    """Engelmaier's fatigue ductility exponent ``c = c0 + c1 T_sj + c2 ln(1 + f)``.

    Parameters
    ----------
    mean_temperature_C
        Mean cyclic solder-joint temperature T_sj [degC].
    cycles_per_day
        Cyclic frequency f [cycles/day], in [1, 1000] (the model's range).
    """
    s = _engelmaier_set(constants)
    T = check_range("fatigue.mean_temperature_C", mean_temperature_C, -273.15, 300.0,
                    lo_open=True, unit="°C")
    f = check_range("fatigue.cycles_per_day", cycles_per_day, 1.0, 1000.0, unit="cycles/day")
    return s["c0"] + s["c1"] * T + s["c2"] * math.log1p(f)


def _engelmaier_set(name: str) -> dict[str, Any]:
    if not isinstance(name, str) or name not in ENGELMAIER_SETS:
        raise InputError("fatigue.engelmaier", name, f"one of {sorted(ENGELMAIER_SETS)}")
    return ENGELMAIER_SETS[name]


def engelmaier_shear_strain(
    dnp: float, delta_alpha: float, delta_T: float, height: float, factor: float = 1.0
) -> float:
    """Engelmaier's cyclic shear strain range of a joint ``F L_D d_alpha d_T / h`` [-].

    Parameters
    ----------
    dnp
        Distance from the neutral point L_D [m], > 0 (half the diagonal distance of the
        outermost joints for a full array).
    delta_alpha
        CTE mismatch between package and board [1/K] (absolute value used), > 0.
    delta_T
        Cyclic temperature swing [K], > 0.
    height
        Solder joint height h [m], > 0.
    factor
        Engelmaier's empirical factor F, in [0.5, 1.5] (1 for leadless ceramic parts, about
        0.7-1.2 for others).
    """
    L = _positive("fatigue.dnp", dnp, "m")
    da = _positive("fatigue.delta_alpha", abs(check_range("fatigue.delta_alpha", delta_alpha)),
                   "1/K")
    dT = _positive("fatigue.delta_T", delta_T, "K")
    h = _positive("fatigue.height", height, "m")
    F = check_range("fatigue.factor", factor, 0.5, 1.5)
    return F * L * da * dT / h


def engelmaier_life(
    shear_strain_range: float,
    mean_temperature_C: float,
    cycles_per_day: float,
    constants: str = "SnPb_Engelmaier1983",
) -> LifeEstimate:
    """Engelmaier's Coffin-Manson median life, an ESTIMATE for comparison.

    .. math:: N_f(50\\%) = \\frac12 \\left(\\frac{\\Delta\\gamma}{2 \\varepsilon_f'}
              \\right)^{1/c}

    Parameters
    ----------
    shear_strain_range
        Cyclic shear strain range ``d_gamma`` [-], in (0, 2 eps_f)
        (:func:`engelmaier_shear_strain`).
    mean_temperature_C, cycles_per_day
        T_sj [degC] and f [cycles/day] of :func:`engelmaier_exponent`.
    constants
        Name in :data:`ENGELMAIER_SETS` (only SnPb is built in).
    """
    s = _engelmaier_set(constants)
    g = check_range("fatigue.shear_strain_range", shear_strain_range, 0.0, 2 * s["eps_f"],
                    lo_open=True, hi_open=True)
    c = engelmaier_exponent(mean_temperature_C, cycles_per_day, constants)
    return LifeEstimate(
        cycles=0.5 * (g / (2.0 * s["eps_f"])) ** (1.0 / c),
        model=f"Engelmaier Coffin-Manson ({constants})",
        definition="median life, 50 % of joints failed",
        source=s["source"],
        constants={"eps_f": s["eps_f"], "c": c},
        inputs={"shear_strain_range": g, "mean_temperature_C": float(mean_temperature_C),
                "cycles_per_day": float(cycles_per_day)},
    )


#: "Pb-free", "lead free", "PbFree", ...: a lead-free alloy's description, not lead.
_LEAD_FREE = re.compile(r"(?:pb|lead)[\s_-]*free")


def _lead_bearing(alloy: str) -> bool:
    """Whether an alloy description names lead (SnPb family: "Pb" as in "62Sn36Pb2Ag",
    or the word "lead" as in "tin-lead") rather than a lead-free one ("Pb-free SAC305" and
    "lead-free" name no lead)."""
    s = _LEAD_FREE.sub(" ", alloy.lower())
    return "pb" in s or re.search(r"\blead\b", s) is not None


def alloy_mismatch_notes(
    solder_alloy: str,
    darveaux: str | DarveauxConstants | None = None,
    syed: str | None = None,
    engelmaier: bool = False,
) -> list[str]:
    """Notes for each life model whose constants were fitted on another alloy family
    (tin-lead against lead-free) than the joints' ``solder_alloy`` (a description such as
    ``"Sn-3.0Ag-0.5Cu (SAC305)"``): e.g. Darveaux's SnPb constants on SAC joints. Models
    given as None/False, and constants that name no alloy, get no note."""
    if not solder_alloy:
        return []
    lead = _lead_bearing(solder_alloy)
    models: list[tuple[str, str]] = []
    if darveaux is not None:
        c = DARVEAUX_SETS.get(darveaux) if isinstance(darveaux, str) else darveaux
        if isinstance(c, DarveauxConstants):
            models.append(("Darveaux", c.alloy))
    if syed is not None and syed in SYED_SETS:
        models.append(("Syed", str(SYED_SETS[syed].get("alloy", ""))))
    if engelmaier:
        models.append(("Engelmaier", str(ENGELMAIER_SETS["SnPb_Engelmaier1983"]["alloy"])))
    return [
        f"{name}'s constants were fitted on {alloy} joints, not on the model's "
        f"{solder_alloy}: the estimate is outside its alloy (give constants fitted for it)"
        for name, alloy in models
        if alloy and _lead_bearing(alloy) != lead
    ]


def critical_joint_summary(
    result: JointEnergy,
    pad_diameter: float,
    *,
    darveaux: str | DarveauxConstants | None = "SnPb_Darveaux2000_25um",
    syed: str | None = "SAC_Syed2004",
    engelmaier: Mapping[str, float] | None = None,
) -> tuple[dict[str, float], list[LifeEstimate]]:
    """Table columns (units in the names) and life ESTIMATES of the critical joint.

    Parameters
    ----------
    result
        :func:`joint_energy` of the last cycle(s).
    pad_diameter
        Pad diameter of the critical joint [m] (Darveaux's crack length).
    darveaux, syed
        Constants (set name, or :class:`DarveauxConstants`) or None to skip the model.
        A Darveaux set fitted with another layer thickness than ``result.thickness``
        (more than 10 % apart) gives a :class:`UserWarning`: its constants do not apply.
    engelmaier
        None to skip, or the keywords of :func:`engelmaier_shear_strain` (``dnp``,
        ``delta_alpha``, ``delta_T``, ``height``, optional ``factor``) plus
        ``mean_temperature_C`` and ``cycles_per_day``. A shear strain range beyond the
        model's (2 eps_f, :func:`engelmaier_life`) gives a :class:`UserWarning` and no
        Engelmaier estimate, the others stand.

    Returns
    -------
    columns, estimates
        ``{"dW_crit_MJ_per_m3", "critical_joint", "critical_x_mm", "critical_y_mm",
        "critical_z_mm", "eq_strain_crit", "d_eq_strain_crit_per_cycle",
        "N_darveaux_est", "N0_darveaux_est", "N_syed_est", "N_engelmaier_est"}`` (the
        models skipped are left out), and the :class:`LifeEstimate` objects.
    """
    import warnings

    i = result.critical
    dw = float(result.delta_w[i])
    loc = result.critical_location
    cols: dict[str, float] = {
        "dW_crit_MJ_per_m3": dw / _MPA,
        "critical_joint": float(result.joint[i]),
        "critical_x_mm": float(loc[0]) * 1e3,
        "critical_y_mm": float(loc[1]) * 1e3,
        "critical_z_mm": float(loc[2]) * 1e3,
        "eq_strain_crit": float(result.eq_strain[i]),
        "d_eq_strain_crit_per_cycle": float(result.delta_eq_strain[i]),
    }
    out: list[LifeEstimate] = []
    if darveaux is not None:
        c = DARVEAUX_SETS.get(darveaux) if isinstance(darveaux, str) else darveaux
        if isinstance(c, DarveauxConstants) and abs(c.thickness / result.thickness - 1) > 0.1:
            warnings.warn(
                f"Darveaux constants fitted with a {c.thickness * 1e6:.3g} um layer applied "
                f"to Delta W over {result.thickness * 1e6:.3g} um: the estimate does not hold",
                UserWarning,
                stacklevel=2,
            )
        d = darveaux_life(dw, pad_diameter, darveaux)
        cols["N_darveaux_est"] = d.cycles
        cols["N0_darveaux_est"] = d.initiation
        out.append(d)
    if syed is not None:
        y = syed_life(dw, syed)
        cols["N_syed_est"] = y.cycles
        out.append(y)
    if engelmaier is not None:
        kw = dict(engelmaier)
        try:
            T_sj = kw.pop("mean_temperature_C")
            f = kw.pop("cycles_per_day")
        except KeyError:
            raise InputError("fatigue.engelmaier", sorted(engelmaier),
                             "keys mean_temperature_C and cycles_per_day") from None
        try:
            g = engelmaier_shear_strain(**kw)
        except TypeError:
            raise InputError("fatigue.engelmaier", sorted(engelmaier),
                             "dnp, delta_alpha, delta_T, height (and factor)") from None
        limit = 2.0 * ENGELMAIER_SETS["SnPb_Engelmaier1983"]["eps_f"]
        if g < limit:
            e = engelmaier_life(g, T_sj, f)
            cols["N_engelmaier_est"] = e.cycles
            out.append(e)
        else:  # the other estimates stand; the inputs are stated for the user to check
            warnings.warn(
                f"Engelmaier: the cyclic shear strain range {g:.3g} (L_D {kw['dnp']:.3g} m, "
                f"delta_alpha {abs(kw['delta_alpha']):.3g} 1/K, delta_T {kw['delta_T']:.3g} K, "
                f"h {kw['height']:.3g} m) is beyond the model's range (below 2 eps_f = "
                f"{limit:g}): no Engelmaier estimate (check the CTE mismatch, [cycling] "
                "delta_alpha_ppm_per_K)",
                UserWarning,
                stacklevel=2,
            )
    return cols, out


# ------------------------------------------------------------------ hysteresis


@dataclass(frozen=True)
class HysteresisLoop:
    """Shear stress-strain path of a joint: volume averages per state.

    Attributes
    ----------
    shear_strain
        Engineering shear strain [-], shape (n_states,).
    shear_stress
        Shear stress [Pa], shape (n_states,).
    area
        Area enclosed by the states from ``closed[0]`` to ``closed[1]`` (a closed cycle)
        [J/m^3]: the dissipated energy density of that cycle for a uniform joint.
    closed
        Indices (start, end) of the cycle the area was taken over.
    marks
        Indices of the reported states along the path, shape (k,), where the path also
        holds the solver's steps between them (:func:`hysteresis_path`); None: every
        point is a state.
    """

    shear_strain: NDArray[np.float64]
    shear_stress: NDArray[np.float64]
    area: float
    closed: tuple[int, int]
    marks: NDArray[np.int64] | None = None


def pad_shear(
    stress: ArrayLike, strain: ArrayLike, direction: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shear on the pad plane (normal z) along an in-plane ``direction``.

    Parameters
    ----------
    stress
        Stress, Voigt (xx, yy, zz, yz, xz, xy) [Pa], shape (..., 6).
    strain
        Strain with ENGINEERING shears, same order, shape (..., 6).
    direction
        In-plane direction (dx, dy) (normalised here), e.g. from the array centre to the
        joint: the direction thermal mismatch shears it in.

    Returns
    -------
    tau, gamma
        ``tau = sigma_xz dx + sigma_yz dy`` [Pa] and ``gamma = gamma_xz dx + gamma_yz dy``,
        shape (...).
    """
    try:
        d = np.asarray(direction, dtype=float).reshape(2)
    except (TypeError, ValueError):
        raise InputError("fatigue.direction", direction, "an in-plane direction (dx, dy)") from None
    nrm = float(np.hypot(*d))
    if not nrm > 0 or not math.isfinite(nrm):
        raise InputError("fatigue.direction", direction, "a non-zero in-plane direction")
    dx, dy = d / nrm
    s = np.asarray(stress, dtype=float)
    e = np.asarray(strain, dtype=float)
    return s[..., 4] * dx + s[..., 3] * dy, e[..., 4] * dx + e[..., 3] * dy


def loop_area(strain: ArrayLike, stress: ArrayLike) -> float:
    """Area of a closed stress-strain path, ``|closed integral of stress d strain|``
    [J/m^3] by the trapezoid rule (the shoelace formula), last point joined to the first."""
    x = np.asarray(strain, dtype=float)
    y = np.asarray(stress, dtype=float)
    return float(abs(0.5 * np.sum((y + np.roll(y, -1)) * (np.roll(x, -1) - x))))


def hysteresis_loop(
    volumes: ArrayLike,
    shear_stress: ArrayLike,
    shear_strain: ArrayLike,
    cycle: tuple[int, int] | None = None,
) -> HysteresisLoop:
    """Volume-averaged shear stress-strain path of one joint (or its layer).

    Parameters
    ----------
    volumes
        Element volumes [m^3], shape (m,), of the elements averaged over.
    shear_stress, shear_strain
        Per state and element [Pa] and [-], shape (n_states, m) (:func:`pad_shear`).
    cycle
        States (start, end) of a closed cycle (the profile's ``cycle_start[k]``,
        ``cycle_end[k]``) for the area; None: the whole path.
    """
    V = _array("fatigue.volumes", volumes)
    if V.ndim != 1 or not np.all(V > 0):
        raise InputError("fatigue.volumes", f"shape {V.shape}", "positive volumes, 1-D")
    tau = _array("fatigue.shear_stress", shear_stress)
    gam = _array("fatigue.shear_strain", shear_strain, tau.shape)
    if tau.ndim != 2 or tau.shape[1] != V.size:
        raise InputError("fatigue.shear_stress", f"shape {tau.shape}", f"(n_states, {V.size})")
    t_avg = tau @ V / V.sum()
    g_avg = gam @ V / V.sum()
    return _closed_loop(g_avg, t_avg, (0, len(t_avg) - 1) if cycle is None else cycle)


def _closed_loop(
    gam: NDArray[np.float64],
    tau: NDArray[np.float64],
    cycle: Any,
    marks: NDArray[np.int64] | None = None,
) -> HysteresisLoop:
    """The :class:`HysteresisLoop` of a path (shear strain and stress, (n,)) with the area
    of its samples ``cycle`` = (start, end), checked."""
    try:
        i0, i1 = int(cycle[0]), int(cycle[1])
    except (TypeError, ValueError, IndexError, OverflowError):
        i0, i1 = -1, -1
    if not 0 <= i0 < i1 < len(tau):
        raise InputError("fatigue.cycle", cycle, f"0 <= start < end < {len(tau)}")
    area = loop_area(gam[i0 : i1 + 1], tau[i0 : i1 + 1])
    return HysteresisLoop(gam, tau, area, (i0, i1), marks)


def hysteresis_path(
    stress: ArrayLike,
    strain: ArrayLike,
    direction: ArrayLike,
    cycle: tuple[int, int],
    marks: ArrayLike | None = None,
) -> HysteresisLoop:
    """Pad-shear loop of a volume-averaged path sampled at every solver step (a joint's
    layer followed with ``solve_history(watch=...)``:
    :class:`~fea.physics.history_results.WatchedHistory`).

    Parameters
    ----------
    stress, strain
        Volume-averaged stress [Pa] and strain [-] (ENGINEERING shears), Voigt (xx, yy,
        zz, yz, xz, xy), shape (n, 6) each.
    direction
        In-plane shear direction (dx, dy) (:func:`pad_shear`).
    cycle
        Samples (start, end) of a closed cycle for the area.
    marks
        Samples that are reported states (drawn as markers), shape (k,); None: all.
    """
    S = _array("fatigue.stress", stress)
    if S.ndim != 2 or S.shape[1] != 6:
        raise InputError("fatigue.stress", f"shape {S.shape}", "an array of shape (n, 6)")
    E = _array("fatigue.strain", strain, S.shape)
    tau, gam = pad_shear(S, E, direction)
    m = None
    if marks is not None:
        m = np.asarray(marks)
        if m.ndim != 1 or not np.issubdtype(m.dtype, np.integer) or (
            m.size and (m.min() < 0 or m.max() >= len(tau))
        ):
            raise InputError("fatigue.marks", f"shape {m.shape}", f"indices in 0..{len(tau) - 1}")
        m = m.astype(np.int64)
    return _closed_loop(gam, tau, cycle, m)


# ------------------------------------------------------------------ plots


def _pyplot():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover
        from ..errors import BackendUnavailable

        raise BackendUnavailable("the fatigue plots need matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path, dpi: int) -> Path:
    from ..io.atomic import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "fea"})
    return write_atomic(path, buf.getvalue())


@dataclass(frozen=True)
class JointMap:
    """What :func:`plot_joint_map` drew.

    Attributes
    ----------
    path
        The PNG written.
    values
        The plotted ``Delta W`` per joint [J/m^3], shape (k,); ``vmin``, ``vmax`` the
        colour scale's ends (``vmax`` the critical joint's value).
    pixels
        (column, row) of each joint's centre in the PNG (row 0 at the top), shape (k, 2).
    cmap
        Name of the colour map.
    """

    path: Path
    values: NDArray[np.float64]
    vmin: float
    vmax: float
    pixels: NDArray[np.float64]
    cmap: str


def plot_joint_map(
    x: ArrayLike,
    y: ArrayLike,
    delta_w: ArrayLike,
    path: str | Path,
    *,
    title: str = "ΔW per cycle, pad interface layer",
    cmap: str = "viridis",
    dpi: int = 100,
) -> JointMap:
    """Map of ``Delta W`` over the ball array, PNG, written atomically.

    Parameters
    ----------
    x, y
        Joint centres [m], shape (k,) (:attr:`JointEnergy.center`).
    delta_w
        ``Delta W`` per joint [J/m^3], shape (k,); shown in MJ/m^3. The colour scale runs
        from the smallest to the largest value (the critical joint, ringed in red with
        every joint of the same value: a symmetry model's mirror images).
    path
        PNG file to write.
    """
    X = _array("fatigue.x", x)
    k = X.size
    Y = _array("fatigue.y", y, (k,))
    D = _array("fatigue.delta_w", delta_w, (k,))
    if k == 0:
        raise InputError("fatigue.x", "empty", "at least one joint")
    plt = _pyplot()
    from matplotlib.colors import Normalize

    vmin, vmax = float(D.min()), float(D.max())
    if vmax == vmin:
        vmax = vmin + max(abs(vmin) * 1e-9, 1e-30)
    fig = plt.figure(figsize=(6.4, 5.4))
    ax = fig.add_axes((0.14, 0.12, 0.62, 0.76))
    cax = fig.add_axes((0.80, 0.12, 0.035, 0.76))
    norm = Normalize(vmin=vmin / _MPA, vmax=vmax / _MPA)
    xm, ym = X * 1e3, Y * 1e3
    ax.set_aspect("equal")
    span = max(float(np.ptp(xm)), float(np.ptp(ym)), 1e-6)
    pad = 0.08 * span + 0.5
    ax.set_xlim(xm.min() - pad, xm.max() + pad)
    ax.set_ylim(ym.min() - pad, ym.max() + pad)
    if k > 1:
        pts = np.column_stack([xm, ym])
        dist = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
        dist[dist == 0] = np.inf
        spacing = float(dist.min())
    else:
        spacing = span
    # marker diameter: 70 % of the smallest joint spacing, converted to points
    ax.apply_aspect()
    px = abs(ax.transData.transform((spacing, 0))[0] - ax.transData.transform((0, 0))[0])
    diam = max(3.0, 0.7 * px * 72.0 / fig.dpi)
    sc = ax.scatter(xm, ym, c=D / _MPA, cmap=cmap, norm=norm, s=diam**2, edgecolors="none")
    # every joint of the largest value ringed: a symmetry model's mirror images of the
    # critical joint are the same joint's value (argmax ringed one of four equal corners)
    top = D >= float(D.max()) - 1e-12 * abs(float(D.max()))
    ax.scatter(xm[top], ym[top], s=(diam * 1.35) ** 2, facecolors="none",
               edgecolors="red", linewidths=1.5)
    fig.colorbar(sc, cax=cax, label="ΔW [MJ/m³]")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(title, fontsize=9, parse_math=False)  # a user name, shown as written
    fig.canvas.draw()
    disp = ax.transData.transform(np.column_stack([xm, ym]))
    h_px = fig.get_size_inches()[1] * dpi
    scale_px = dpi / fig.dpi
    pixels = np.column_stack([disp[:, 0] * scale_px, h_px - disp[:, 1] * scale_px])
    out = _save(fig, path, dpi)
    plt.close(fig)
    return JointMap(Path(out), D.copy(), float(D.min()), float(D.max()), pixels, cmap)


def plot_hysteresis(
    loop: HysteresisLoop,
    path: str | Path,
    *,
    title: str = "critical joint",
    dpi: int = 100,
    delta_w: float | None = None,
) -> Path:
    """Shear stress [MPa] vs engineering shear strain [%] of :class:`HysteresisLoop`,
    the closed cycle drawn bold with a marker at each reported state, PNG written
    atomically. Returns the path.

    A loop of :func:`hysteresis_path` follows every solver step between the states; one
    of :func:`hysteresis_loop` (states only, ``marks`` None) joins the states by straight
    lines, so a ramp given as one profile point is drawn straight and its area
    under-counted (the legend says which). ``delta_w`` [J/m^3], when given, is stated
    beside the loop's area: the damage measure, from the energy field
    (:func:`joint_energy`)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    g, t = loop.shear_strain * 100.0, loop.shear_stress / _MPA
    ax.plot(g, t, color="0.6", lw=1.0, label="history")
    i0, i1 = loop.closed
    if loop.marks is None:
        label = f"cycle ({i1 - i0} states, straight between them)"
        marks = np.arange(i0, i1 + 1)
    else:
        marks = loop.marks[(loop.marks >= i0) & (loop.marks <= i1)]
        label = f"cycle ({i1 - i0} solver steps, {max(len(marks) - 1, 0)} states)"
    label += f": loop area {loop.area / _MPA:.4g} MJ/m³"
    if delta_w is not None:
        label += f"\nΔW (energy field) {float(delta_w) / _MPA:.4g} MJ/m³"
    ax.plot(g[i0 : i1 + 1], t[i0 : i1 + 1], color="C3", lw=2.0, marker="o", ms=3.0,
            markevery=[int(k) - i0 for k in marks], label=label)
    ax.set_xlabel("shear strain γ [%]")
    ax.set_ylabel("shear stress τ [MPa]")
    ax.set_title(f"Hysteresis, {title}", fontsize=9, parse_math=False)  # as written
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = _save(fig, path, dpi)
    plt.close(fig)
    return Path(out)
