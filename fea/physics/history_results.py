"""Results of a mechanical history (:func:`fea.solve_history`): one
:class:`HistoryState` per reported time, collected in a :class:`HistoryResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .mechanics import MechanicalResult

__all__ = ["HistoryResult", "HistoryState", "WatchedHistory"]


@dataclass
class HistoryState(MechanicalResult):
    """A :class:`~fea.physics.mechanics.MechanicalResult` of a history: also its time,
    nodal temperature, which elements were active (inactive ones have zero stress) and,
    in a model with inelastic materials, their state per element.

    ``inelastic`` (None without inelastic materials): ``{"fields": name -> (n_el,),
    "regions": region -> its elements}``, the fields volume averages over each element's
    quadrature points of ``equivalent_inelastic_strain`` [-] (accumulated equivalent
    plastic / creep strain), ``dissipated_energy_density`` [J/m^3] (inelastic work
    ``int sigma : d eps_in``) and ``back_stress_norm`` [Pa] (``sqrt(3/2) |beta|``, zero
    without kinematic hardening); zero outside the inelastic regions."""

    time: float = 0.0
    temperature: NDArray[np.float64] | None = None
    active: NDArray[np.bool_] | None = None
    inelastic: dict[str, Any] | None = None

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """The mechanical fields plus ``temperature`` (Node), ``active`` (Cell, 0/1) and,
        with inelastic materials, the element fields of :attr:`inelastic` (Cell)."""
        out = super().fields()
        if self.temperature is not None:
            out["temperature"] = (np.asarray(self.temperature, np.float64), "Node")
        if self.active is not None:
            out["active"] = (np.asarray(self.active, np.float64), "Cell")
        if self.inelastic is not None:
            for name, v in self.inelastic["fields"].items():
                out[name] = (np.asarray(v, np.float64), "Cell")
        return out

    def region_max(self, name: str = "equivalent_inelastic_strain") -> dict[str, float]:
        """Largest element value of an inelastic field per inelastic region present,
        region -> value (``name``: a field of :attr:`inelastic`; the element values are
        volume averages over the element). Empty without inelastic materials."""
        if self.inelastic is None:
            return {}
        fields = self.inelastic["fields"]
        if name not in fields:
            raise InputError("region_max.name", name, f"one of {', '.join(fields)}")
        v = fields[name]
        return {r: float(v[e].max()) for r, e in self.inelastic["regions"].items() if len(e)}


@dataclass
class WatchedHistory:
    """An element set followed through every converged step of a history
    (:func:`fea.solve_history`'s ``watch``): volume averages over the set after each step,
    the sub-steps between reported states included, so a path (a hysteresis loop) is
    drawn as the solver took it, not as straight lines between the reported states.

    Attributes
    ----------
    elements
        The set's elements, shape (m,).
    times
        Time of each sample [s], shape (n,): the start, then every converged step.
    temperature
        Volume-mean temperature of the set [degC], shape (n,).
    stress
        Volume-averaged stress [Pa], shape (n, 6), Voigt (xx, yy, zz, yz, xz, xy); an
        element not active counts with zero stress.
    strain
        Volume-averaged total small strain [-], shape (n, 6), same order, ENGINEERING
        shears (``gamma_yz = 2 eps_yz``).
    states
        The sample of each reported state, shape (k,): ``HistoryResult.states[i]`` is
        sample ``states[i]``.
    """

    elements: NDArray[np.int64]
    times: NDArray[np.float64]
    temperature: NDArray[np.float64]
    stress: NDArray[np.float64]
    strain: NDArray[np.float64]
    states: NDArray[np.int64]


@dataclass
class HistoryResult:
    """The states of a history, in time order.

    Attributes
    ----------
    times
        Time of each state [s], shape (k,).
    states
        One :class:`HistoryState` per time.
    labels
        State labels (stage names, ``"name+<t>s"`` for intermediate ones).
    solver_info
        Steps, factorisations, back-substitutions, CG iterations and seconds per phase.
    watched
        name -> :class:`WatchedHistory` of each set of ``solve_history(watch=...)``
        (empty without).
    """

    times: NDArray[np.float64]
    states: list[HistoryState]
    labels: list[str]
    solver_info: dict[str, Any] = field(default_factory=dict)
    watched: dict[str, WatchedHistory] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, label: str) -> HistoryState:
        try:
            return self.states[self.labels.index(label)]
        except ValueError:
            raise InputError("state", label, f"one of {', '.join(self.labels)}") from None

    def mapping(self) -> dict[str, HistoryState]:
        """label -> state (e.g. for :func:`fea.write_results` ``mechanical=``)."""
        return dict(zip(self.labels, self.states, strict=True))
