"""Temperature-cycling profiles: JEDEC JESD22-A104 conditions and IPC-9701 cycles.

A profile is a piecewise-linear list of ``(time [s], temperature [degC])`` points, the form
:func:`fea.solve_history` takes as its ``history``: it starts at the stress-free temperature
(by default the SAC305 solidus, 217 degC, the temperature at which the joints solidify and
are stress free), ramps to the first extreme and then runs ``cycles`` full cycles::

    stress free --ramp--> T1 [dwell] --ramp--> T2 [dwell] --ramp--> T1 [dwell] ...
                          |<------------------ cycle 1 ------------------>|<-- cycle 2

Cycle ``k`` starts when the profile ARRIVES at the first extreme ``T1`` (start of its dwell)
and ends when it arrives back at ``T1`` after the dwell at ``T2``: the same point of the
loop, so the change of any accumulated quantity (the dissipated inelastic energy density)
between the two is its increment per cycle. :class:`CyclingProfile` holds the indices of
those points in ``points`` (one solver state per point in :func:`fea.solve_history`).

Test conditions (JESD22-A104, temperature cycling, table 1: minimum / maximum sample
temperature; the standard's tolerances, -10/+0 degC on the minimum and +10/-0 degC on the
maximum, are not modelled: the nominal values are used). Soak modes (the standard's dwell
at each extreme): 1 = 1 min, 2 = 5 min, 3 = 10 min, 4 = 15 min. The standard leaves the
ramp rate to the equipment and the load; board-level tests (IPC-9701) ask for at most
20 degC/min; 10-15 degC/min is usual, 10 degC/min is the default here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..validate import check_count, check_finite, check_range, check_temperature_C

__all__ = [
    "CyclingProfile",
    "DWELL_RATIO",
    "IPC_9701_CYCLES",
    "JESD22_A104_CONDITIONS",
    "MAX_CYCLES",
    "MAX_PIECES",
    "MAX_PROFILE_POINTS",
    "MIN_DWELL_FRACTION",
    "MIN_DWELL_S",
    "MIN_RAMP_K_PER_MIN",
    "MIN_RANGE_K",
    "SAC305_SOLIDUS_C",
    "SOAK_MODES_S",
    "dwell_fractions",
    "ipc_9701",
    "jesd22_a104",
    "temperature_cycles",
]

#: Solidus of Sn-3.0Ag-0.5Cu [degC] (217 degC, the SAC eutectic; liquidus about 220 degC):
#: the joints are stress free when they solidify on cooling from reflow.
SAC305_SOLIDUS_C = 217.0

#: JESD22-A104 test conditions: letter -> (minimum, maximum) nominal sample temperature
#: [degC]. Source: JEDEC JESD22-A104 (revisions D 2009 to F 2020), table 1 "Temperature
#: cycling test conditions". A, B, C, G, H and K were checked against a reproduction of the
#: table; I, J, L, M and N are quoted as widely reproduced (the standard was not re-read
#: during this work). Letters D, E and F of older revisions (-65 degC to +200/+300/+175 degC,
#: as MIL-STD-883 method 1010) are not listed.
JESD22_A104_CONDITIONS: dict[str, tuple[float, float]] = {
    "A": (-55.0, 85.0),
    "B": (-55.0, 125.0),
    "C": (-65.0, 150.0),
    "G": (-40.0, 125.0),
    "H": (-55.0, 150.0),
    "I": (-40.0, 115.0),
    "J": (0.0, 100.0),
    "K": (0.0, 125.0),
    "L": (-55.0, 110.0),
    "M": (-40.0, 150.0),
    "N": (-40.0, 85.0),
}

#: IPC-9701 (IPC-9701A, 2006, table 4-1) board-level thermal cycling conditions:
#: name -> (minimum, maximum) [degC]; TC1 (0/100 degC) is the reference condition, dwell
#: 10 min, ramp at most 20 degC/min. Quoted as widely reproduced (not re-read here).
IPC_9701_CYCLES: dict[str, tuple[float, float]] = {
    "TC1": (0.0, 100.0),
    "TC2": (-25.0, 100.0),
    "TC3": (-40.0, 125.0),
    "TC4": (-55.0, 125.0),
    "TC5": (-55.0, 100.0),
}

#: JESD22-A104 soak modes: mode -> minimum soak (dwell) time at each extreme [s].
SOAK_MODES_S: dict[int, float] = {1: 60.0, 2: 300.0, 3: 600.0, 4: 900.0}

#: Most cycles a profile may have: an inelastic solve of a board model runs a few cycles
#: until the loop stabilises (3 by default); hundreds are a slip for "cycles to failure".
MAX_CYCLES = 100

#: Most points a profile may have (the history solver keeps one state per point).
MAX_PROFILE_POINTS = 20_000

#: Largest ramp rate accepted [K/min]: above liquid-to-liquid thermal shock.
MAX_RAMP_K_PER_MIN = 1.0e4

#: Smallest ramp rate accepted [K/min]: a 165 K ramp of condition G in 11 days, slower than
#: any chamber profile (1e-9 was taken, and Engelmaier's cyclic frequency clamped).
MIN_RAMP_K_PER_MIN = 1.0e-2

#: Smallest temperature swing of a cycle [K] (``t_max_C - t_min_C``): 20 and 20.0000001 °C
#: ran and reported a fatigue life from the joints' relaxation alone.
MIN_RANGE_K = 1.0

#: Longest dwell accepted [s]: one day.
MAX_DWELL_S = 86_400.0

#: Most pieces a dwell (``dwell_points``) or a ramp (``ramp_points``) may be cut into.
MAX_PIECES = 100

#: Ratio of each dwell piece's length to the one before it (``dwell_points`` > 1): the
#: first piece of a dwell is the shortest, since the solder's stress relaxes fastest just
#: after a ramp stops. Measured on the quarter board model (docs/reliability.md, time
#: discretisation): the relaxation goes on through a 15-min dwell, so strongly growing
#: pieces leave the late dwell under-resolved: with 8 pieces and 10 K ramps the largest
#: per-joint Delta W error was 5.8 % at ratio 2, 4.4 % at 1.5 and 3.9 % at 1.25 (the last
#: piece 450, 312 and 215 s); at 1.25 the first of 8 pieces is 45 s of a 15-min dwell.
#: With 5 K ramps, 1.25 and equal pieces (1) gave the same Delta W to 0.01 %.
DWELL_RATIO = 1.25

#: Shortest first dwell piece, as a fraction of the dwell (at ratio 2: 19 pieces at most;
#: at 1.25: 55).
MIN_DWELL_FRACTION = 1e-6

#: Shortest dwell [s] other than 0: a chamber's dwell is minutes; shorter ones would give
#: time steps below the resolution of the profile's times.
MIN_DWELL_S = 1.0


def dwell_fractions(n: int, ratio: float = DWELL_RATIO) -> tuple[float, ...]:
    """Ends of the ``n`` pieces of a dwell as fractions of it, shape (n,): piece ``k``
    (0-based) is ``ratio^k`` times the first, the last end is exactly 1.

    ``n`` is a whole number in [1, :data:`MAX_PIECES`] (``cycling.dwell_points``) and
    ``ratio`` in [1, 10] (``cycling.dwell_ratio``), as :func:`temperature_cycles` takes them;
    anything else raises :class:`~fea.errors.InputError`.

    >>> dwell_fractions(3, 2.0)
    (0.14285714285714285, 0.42857142857142855, 1.0)
    """
    n = check_count("cycling.dwell_points", n, MAX_PIECES)
    ratio = check_range("cycling.dwell_ratio", ratio, 1.0, 10.0)
    w = [ratio**k for k in range(n)]
    total = sum(w)
    ends, acc = [], 0.0
    for x in w[:-1]:
        acc += x
        ends.append(acc / total)
    return (*ends, 1.0)


@dataclass(frozen=True)
class CyclingProfile:
    """A piecewise-linear temperature-cycling profile.

    Attributes
    ----------
    points
        ``((time [s], temperature [degC]), ...)``, times strictly increasing from 0; pass
        ``list(profile.points)`` (or :meth:`history`) to :func:`fea.solve_history`.
    cycle_start, cycle_end
        Index in ``points`` of the start / end of each cycle, shape (cycles,): the arrival
        at the first extreme; ``cycle_end[k] == cycle_start[k + 1]``.
    t_min_C, t_max_C
        Extremes of the cycle [degC].
    stress_free_C
        Temperature of the first point [degC] (the reference temperature to give the solve).
    ramp_K_per_min, dwell_s
        Ramp rate [K/min] and dwell at each extreme [s].
    first
        ``"cold"`` or ``"hot"``: the extreme each cycle starts at.
    condition
        The standard's name of the condition (``"JESD22-A104 G"``) or ``""``.
    dwell_points
        Pieces each dwell is cut into (lengths growing by :data:`DWELL_RATIO`).
    """

    points: tuple[tuple[float, float], ...]
    cycle_start: tuple[int, ...]
    cycle_end: tuple[int, ...]
    t_min_C: float
    t_max_C: float
    stress_free_C: float
    ramp_K_per_min: float
    dwell_s: float
    first: str
    condition: str = ""
    dwell_points: int = 1

    @property
    def cycles(self) -> int:
        """Number of full cycles."""
        return len(self.cycle_start)

    @property
    def period_s(self) -> float:
        """Length of one cycle [s]: two ramps over the range and two dwells."""
        return 2.0 * (self.t_max_C - self.t_min_C) / self.ramp_K_per_min * 60.0 + 2 * self.dwell_s

    @property
    def cycle_start_s(self) -> tuple[float, ...]:
        """Time of the start of each cycle [s]."""
        return tuple(self.points[i][0] for i in self.cycle_start)

    @property
    def cycle_end_s(self) -> tuple[float, ...]:
        """Time of the end of each cycle [s]."""
        return tuple(self.points[i][0] for i in self.cycle_end)

    @property
    def duration_s(self) -> float:
        """Time of the last point [s]."""
        return self.points[-1][0]

    def history(self) -> list[tuple[float, float]]:
        """The points as a list, the ``history`` argument of :func:`fea.solve_history`."""
        return list(self.points)

    def temperature_at(self, t_s: float) -> float:
        """Temperature [degC] at time ``t_s`` [s] (linear between points, constant beyond);
        a ``t_s`` that is not a finite number is an :class:`~fea.errors.InputError`."""
        t_s = check_finite("t_s", t_s)
        pts = self.points
        if t_s <= pts[0][0]:
            return pts[0][1]
        for (t0, T0), (t1, T1) in zip(pts[:-1], pts[1:], strict=True):
            if t_s <= t1:
                return T0 + (T1 - T0) * (t_s - t0) / (t1 - t0)
        return pts[-1][1]


def temperature_cycles(
    t_min_C: float,
    t_max_C: float,
    *,
    cycles: int = 3,
    ramp_K_per_min: float = 10.0,
    dwell_s: float = 900.0,
    stress_free_C: float = SAC305_SOLIDUS_C,
    initial_ramp_K_per_min: float | None = None,
    first: str = "cold",
    ramp_points: int = 1,
    condition: str = "",
    dwell_points: int = 1,
    dwell_ratio: float = DWELL_RATIO,
) -> CyclingProfile:
    """A temperature-cycling profile between ``t_min_C`` and ``t_max_C``.

    Parameters
    ----------
    t_min_C, t_max_C
        Extremes [degC], ``t_min_C < t_max_C``.
    cycles
        Number of full cycles, 1 to :data:`MAX_CYCLES` (default 3: the loop of an
        inelastic solder is usually stable from the second or third cycle on).
    ramp_K_per_min
        Ramp rate between the extremes [K/min], > 0.
    dwell_s
        Dwell at each extreme [s]: 0 (no dwell, a triangle wave) or at least
        :data:`MIN_DWELL_S`.
    stress_free_C
        Temperature of the first point [degC]: where the joints are stress free (default
        the SAC305 solidus, :data:`SAC305_SOLIDUS_C`; room temperature, or a measured
        stress-free temperature of the assembly, are other choices).
    initial_ramp_K_per_min
        Rate of the ramp from ``stress_free_C`` to the first extreme [K/min]; None: the
        cycle's ramp rate. If ``stress_free_C`` already equals the first extreme there is
        no initial ramp.
    first
        ``"cold"`` (default) or ``"hot"``: the extreme the cycles start at.
    ramp_points
        Number of straight pieces each ramp is cut into, 1 to 100 (more points: more
        reported states, each a full field kept in memory; :func:`fea.solve_history`
        sub-steps a piece anyway by its ``max_step_K``, and a watched set, e.g. the
        critical joint's loop, is sampled at every such step).
    condition
        Name stored in the result.
    dwell_points
        Number of pieces each dwell is cut into, 1 to 100, so few that the first piece is
        at least :data:`MIN_DWELL_FRACTION` of the dwell (at most 55 at ratio 1.25).
        Default 1: the dwell is one piece, one time step of :func:`fea.solve_history`
        (which sub-steps only by temperature), as before this keyword existed. The pieces
        grow by ``dwell_ratio``, the first is the shortest: the solder creeps and relaxes
        fastest at the start of a dwell (:data:`DWELL_RATIO`). ``[cycling]`` defaults to 6
        (with 5 K ramp steps: docs/reliability.md, time discretisation).
    dwell_ratio
        Length of each dwell piece over the one before it, in [1, 10] (default
        :data:`DWELL_RATIO` = 1.25; 1: equal pieces).

    Returns
    -------
    CyclingProfile

    Raises
    ------
    fea.errors.InputError
        Naming ``cycling.<key>`` for a temperature out of range, ``t_max_C`` less than
        :data:`MIN_RANGE_K` above ``t_min_C``, a
        ramp rate <= 0 (or absurdly large), a negative dwell, an unknown ``first``, a
        ``ramp_points`` or ``dwell_points`` outside 1 to 100 or giving more than
        :data:`MAX_PROFILE_POINTS` points, or a cycle count beyond :data:`MAX_CYCLES` (the
        message states the points and simulated time it would take).
    """
    lo = check_temperature_C("cycling.t_min_C", t_min_C)
    hi = check_temperature_C("cycling.t_max_C", t_max_C)
    if not hi - lo >= MIN_RANGE_K:
        raise InputError(
            "cycling.t_max_C",
            t_max_C,
            f"a temperature at least {MIN_RANGE_K:g} K above t_min_C = {lo:g} °C (a cycle "
            "without a temperature swing has no fatigue loop: its Delta W would be the "
            "relaxation of the stress from the stress-free state)",
        )
    T0 = check_temperature_C("cycling.stress_free_C", stress_free_C)
    rate = check_range(
        "cycling.ramp_K_per_min", ramp_K_per_min, MIN_RAMP_K_PER_MIN, MAX_RAMP_K_PER_MIN,
        unit="K/min",
    )
    rate0 = rate
    if initial_ramp_K_per_min is not None:
        rate0 = check_range(
            "cycling.initial_ramp_K_per_min", initial_ramp_K_per_min, MIN_RAMP_K_PER_MIN,
            MAX_RAMP_K_PER_MIN, unit="K/min",
        )
    dwell = check_range("cycling.dwell_s", dwell_s, 0.0, MAX_DWELL_S, unit="s")
    if 0.0 < dwell < MIN_DWELL_S:
        raise InputError(
            "cycling.dwell_s", dwell_s,
            f"0 (no dwell: a triangle wave) or at least {MIN_DWELL_S:g} s",
        )
    if first not in ("cold", "hot"):
        raise InputError("cycling.first", first, "'cold' or 'hot'")
    pieces = check_count("cycling.ramp_points", ramp_points, MAX_PIECES)
    n_dwell = check_count("cycling.dwell_points", dwell_points, MAX_PIECES)
    ratio = check_range("cycling.dwell_ratio", dwell_ratio, 1.0, 10.0)
    # Points per cycle: two ramps of `pieces` points, two dwells of `n_dwell` points.
    per_cycle = 2 * pieces + (2 * n_dwell if dwell > 0 else 0)
    if isinstance(cycles, int | float) and not isinstance(cycles, bool) and math.isfinite(
        cycles
    ):
        n_pts = 1 + pieces + per_cycle * max(int(cycles), 0)
        period = 2 * (hi - lo) / rate * 60.0 + 2 * dwell
        what = (
            f"{cycles:g} cycles would be {n_pts:,} points and "
            f"{cycles * period / 3600.0:,.1f} h of simulated time"
        )
    else:
        what = ""
    n_cyc = check_count("cycling.cycles", cycles, MAX_CYCLES, what)
    if 1 + pieces + per_cycle * n_cyc > MAX_PROFILE_POINTS:
        key, value = (
            ("cycling.dwell_points", dwell_points)
            if dwell > 0 and n_dwell > pieces
            else ("cycling.ramp_points", ramp_points)
        )
        raise InputError(
            key, value,
            f"fewer points: the profile would be {1 + pieces + per_cycle * n_cyc:,} points, "
            f"more than {MAX_PROFILE_POINTS:,}",
        )
    ends_frac = dwell_fractions(n_dwell, ratio)
    if dwell > 0 and ends_frac[0] < MIN_DWELL_FRACTION:
        n_ok = max(
            k for k in range(1, n_dwell) if dwell_fractions(k, ratio)[0] >= MIN_DWELL_FRACTION
        )
        raise InputError(
            "cycling.dwell_points", dwell_points,
            f"at most {n_ok} pieces with dwell_ratio {ratio:g} (the first piece would be "
            f"shorter than {MIN_DWELL_FRACTION:g} of the dwell)",
        )

    T1, T2 = (lo, hi) if first == "cold" else (hi, lo)
    pts: list[tuple[float, float]] = [(0.0, T0)]

    def ramp_to(T_end: float, r: float) -> None:
        t_s, T_s = pts[-1]
        dt = abs(T_end - T_s) / r * 60.0
        for k in range(1, pieces + 1):
            pts.append((t_s + dt * k / pieces, T_s + (T_end - T_s) * k / pieces))

    def dwell_at() -> None:
        if dwell > 0:
            t_s, T_s = pts[-1]
            pts.extend((t_s + dwell * f, T_s) for f in ends_frac)

    if T0 != T1:
        ramp_to(T1, rate0)
    starts: list[int] = []
    ends: list[int] = []
    for _ in range(n_cyc):
        starts.append(len(pts) - 1)
        dwell_at()
        ramp_to(T2, rate)
        dwell_at()
        ramp_to(T1, rate)
        ends.append(len(pts) - 1)
    return CyclingProfile(
        points=tuple(pts),
        cycle_start=tuple(starts),
        cycle_end=tuple(ends),
        t_min_C=lo,
        t_max_C=hi,
        stress_free_C=T0,
        ramp_K_per_min=rate,
        dwell_s=dwell,
        first=first,
        condition=condition,
        dwell_points=n_dwell,
    )


def _lookup(table: dict, key: str, name: Any) -> tuple[float, float]:
    if isinstance(name, str):
        for k, v in table.items():
            if k.upper() == name.strip().upper():
                return v
    raise InputError(key, name, f"one of {', '.join(table)}")


def _check_passed(kwargs: dict[str, Any], what: str) -> None:
    """Refuse the keywords a named condition sets itself (the extremes, its name)."""
    for key in ("t_min_C", "t_max_C", "condition"):
        if key in kwargs:
            raise InputError(
                f"cycling.{key}", kwargs[key],
                f"not with {what}: the condition sets t_min_C, t_max_C and its name "
                "(temperature_cycles takes your own)",
            )


def jesd22_a104(
    condition: str = "G",
    *,
    cycles: int = 3,
    ramp_K_per_min: float = 10.0,
    soak_mode: int | None = 4,
    dwell_s: float | None = None,
    stress_free_C: float = SAC305_SOLIDUS_C,
    **kwargs: Any,
) -> CyclingProfile:
    """JEDEC JESD22-A104 temperature-cycling profile of test ``condition``.

    Parameters
    ----------
    condition
        Letter of :data:`JESD22_A104_CONDITIONS` (case-insensitive), default ``"G"``
        (-40/+125 degC).
    cycles, ramp_K_per_min, stress_free_C
        As :func:`temperature_cycles`.
    soak_mode
        JESD22-A104 soak mode 1-4 (:data:`SOAK_MODES_S`: 1, 5, 10, 15 min), default 4;
        ignored when ``dwell_s`` is given.
    dwell_s
        Dwell at each extreme [s], overriding ``soak_mode``.
    **kwargs
        ``initial_ramp_K_per_min``, ``first``, ``ramp_points``, ``dwell_points``,
        ``dwell_ratio`` of :func:`temperature_cycles`.

    Examples
    --------
    >>> p = jesd22_a104("G", cycles=3)
    >>> p.t_min_C, p.t_max_C, p.period_s
    (-40.0, 125.0, 3780.0)
    """
    lo, hi = _lookup(JESD22_A104_CONDITIONS, "cycling.condition", condition)
    _check_passed(kwargs, "a JESD22-A104 condition")
    if dwell_s is None:
        if soak_mode not in SOAK_MODES_S or isinstance(soak_mode, bool):
            raise InputError("cycling.soak_mode", soak_mode, f"one of {sorted(SOAK_MODES_S)}")
        dwell_s = SOAK_MODES_S[soak_mode]
    return temperature_cycles(
        lo, hi, cycles=cycles, ramp_K_per_min=ramp_K_per_min, dwell_s=dwell_s,
        stress_free_C=stress_free_C, condition=f"JESD22-A104 {condition.strip().upper()}",
        **kwargs,
    )


def ipc_9701(
    name: str = "TC1",
    *,
    cycles: int = 3,
    ramp_K_per_min: float = 10.0,
    dwell_s: float = 600.0,
    stress_free_C: float = SAC305_SOLIDUS_C,
    **kwargs: Any,
) -> CyclingProfile:
    """IPC-9701 board-level thermal cycling condition ``name`` (:data:`IPC_9701_CYCLES`),
    dwell 10 min by default; the other arguments (``dwell_points`` included) as
    :func:`temperature_cycles`."""
    lo, hi = _lookup(IPC_9701_CYCLES, "cycling.condition", name)
    _check_passed(kwargs, "an IPC-9701 condition")
    return temperature_cycles(
        lo, hi, cycles=cycles, ramp_K_per_min=ramp_K_per_min, dwell_s=dwell_s,
        stress_free_C=stress_free_C, condition=f"IPC-9701 {name.strip().upper()}", **kwargs,
    )
