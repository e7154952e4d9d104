"""Process stages of a mechanical history: what is present, at which temperature, how
held, over time (:class:`Stage`, :class:`Process`), and how a stage is cut into steps
(:func:`stage_segments`, :func:`count_steps`). The solve is :func:`fea.solve_history`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from ..validate import (
    MAX_TEMPERATURE_C,
    check_count,
    check_temperature_C,
    init_renamed,
    renamed_attribute,
)

__all__ = ["MAX_STEPS", "Process", "Stage", "count_steps", "stage_segments"]

Temperature = float | NDArray[np.float64] | Callable[..., Any]

#: The most time steps a history may imply (all stages together): a bound checked before
#: any work, so that a slip such as ``max_step_K=1e-300`` or ``substeps=10**12`` is refused
#: at once with the estimate instead of running for ever. A JEDEC reflow at 10 K per step
#: takes about 50; the finest benchmark (``scripts/bench_history.py``) a few hundred.
MAX_STEPS = 100_000


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise InputError(key, value, "a list of region names") from None
    if not all(isinstance(v, str) and v for v in out):
        raise InputError(key, value, "a list of region names")
    return out


#: Old keyword and attribute names of :class:`Stage` -> the names with units.
_STAGE_RENAMED = {"temperature": "temperature_C"}


def _check_stage_temperature(key: str, value: Any) -> None:
    """A stage temperature given as a number or as real nodal values: finite, in
    (-273.15, :data:`~fea.validate.MAX_TEMPERATURE_C`] degC (a function is checked on its
    values when the history evaluates it); anything else (a string, None, a dict) is
    refused here rather than when the history reaches the stage."""
    if callable(value):
        return
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        check_temperature_C(key, value)
        return
    allowed = "a temperature [degC]: a number, real nodal values or f(x, y, z)"
    if not isinstance(value, np.ndarray | list | tuple):
        raise InputError(key, value, allowed)
    try:
        a = np.asarray(value)
    except ValueError:  # ragged
        raise InputError(key, "a ragged sequence", allowed) from None
    if a.dtype.kind not in "fiu":
        raise InputError(key, f"{a.dtype} values", allowed)
    if a.size and (not np.all(np.isfinite(a)) or a.min() <= -273.15 or a.max() > MAX_TEMPERATURE_C):
        raise InputError(
            key,
            f"values from {a.min():.4g} to {a.max():.4g}",
            f"finite temperatures in (-273.15, {MAX_TEMPERATURE_C:g}] degC",
        )


@dataclass(frozen=True)
class Stage:
    """One stage of a :class:`Process`.

    Parameters
    ----------
    name
        Label of the state at the stage's end.
    duration_s
        Length of the stage [s], >= 0 (0: an instantaneous, glassy change); a Python or
        NumPy number, finite.
    temperature_C
        Temperature at the stage's end [degC] (``temperature``, the name before the unit
        suffix, still works for one release with a DeprecationWarning): a float, nodal
        values or ``f(x, y, z)``; it varies linearly in time from the previous stage's end
        temperature (the first stage starts at its own temperature). Values above
        :data:`fea.validate.MAX_TEMPERATURE_C` or at/below absolute zero are refused.
    add
        Regions born at the start of the stage (absent before it).
    remove
        Regions removed at the start of the stage.
    fixed
        Dirichlet conditions during the stage (boundary -> {component: m}); None keeps
        those given to :func:`solve_history`, ``{}`` makes the body free. None right
        after a stage with its own supports (which would return to the history's: a
        released body clamped again) is refused by :func:`solve_history`: every stage
        after a release gives ``fixed={}`` (or its own supports).
    cure
        Regions whose cure shrinkage develops linearly over the stage (0 before it,
        the material's full ``shrinkage`` after it; at once in a stage of duration 0).
        A region is cured by one stage only (:class:`Process` refuses a second, which
        would undo the shrinkage and apply it again).
    outputs
        Times [s] after the stage's start, inside it, at which a state is also kept
        (labelled ``"name+<t>s"``).
    steps
        Least number of time steps of the stage (more when ``max_step_K`` asks for them).
    """

    name: str
    duration_s: float
    temperature_C: Any
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    fixed: Mapping[str, Mapping[str, float]] | None = None
    cure: tuple[str, ...] = ()
    outputs: tuple[float, ...] = ()
    steps: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        init_renamed(self, "stage", args, kwargs, _STAGE_RENAMED)

    def __getattr__(self, name: str) -> Any:
        return renamed_attribute(self, name, _STAGE_RENAMED)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("stage.name", self.name, "a non-empty string")
        key = f"stage.{self.name}"
        d = self.duration_s
        # a NumPy number (read from an array) is a duration as a Python one is
        if (
            isinstance(d, bool | np.bool_)
            or not isinstance(d, int | float | np.integer | np.floating)
            or not math.isfinite(d)
            or d < 0
        ):
            raise InputError(f"{key}.duration_s", d, "a duration >= 0 [s]")
        object.__setattr__(self, "duration_s", float(d))
        for attr in ("add", "remove", "cure"):
            object.__setattr__(self, attr, _names(f"{key}.{attr}", getattr(self, attr)))
        both = set(self.add) & set(self.remove)
        if both:
            raise InputError(f"{key}.remove", sorted(both), "regions not also added in the stage")
        if self.fixed is not None and not isinstance(self.fixed, Mapping):
            raise InputError(f"{key}.fixed", self.fixed, "a dict boundary -> {'z': 0.0} or None")
        try:
            outs = tuple(float(t) for t in np.atleast_1d(np.asarray(self.outputs, dtype=float)))
        except (TypeError, ValueError):
            raise InputError(f"{key}.outputs", self.outputs, "times [s] inside the stage") from None
        if any(not (0.0 < t < self.duration_s) for t in outs) or list(outs) != sorted(set(outs)):
            raise InputError(
                f"{key}.outputs", outs, f"increasing times in (0, {self.duration_s:g}) [s]"
            )
        object.__setattr__(self, "outputs", outs)
        if self.steps is not None and (
            isinstance(self.steps, bool | np.bool_)
            or not isinstance(self.steps, int | np.integer)
            or self.steps < 1
        ):
            raise InputError(f"{key}.steps", self.steps, "an integer >= 1 or None")
        if self.steps is not None:
            object.__setattr__(self, "steps", int(self.steps))
            check_count(f"{key}.steps", self.steps, MAX_STEPS, "time steps of the stage")
        _check_stage_temperature(f"{key}.temperature", self.temperature_C)


@dataclass(frozen=True)
class Process:
    """A sequence of :class:`Stage` s: the regions present, temperatures and supports
    over time. Regions added by some stage are absent until then; every other region of
    the mesh is present from the start."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        allowed = "a non-empty list of fea.Stage"
        if isinstance(self.stages, Stage):
            stages: tuple[Any, ...] = (self.stages,)
        elif isinstance(self.stages, str):
            raise InputError("process", self.stages, allowed)
        else:
            try:
                stages = tuple(self.stages)
            except TypeError:  # None, a number: not a list of stages
                raise InputError("process", self.stages, allowed) from None
        if not stages or not all(isinstance(s, Stage) for s in stages):
            raise InputError("process", self.stages, allowed)
        names = [s.name for s in stages]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError("process", dup, "stages with distinct names")
        object.__setattr__(self, "stages", stages)
        _check_births(stages, set(self.born))
        _check_cures(stages)

    @classmethod
    def from_points(cls, points: Sequence[tuple[float, Temperature]]) -> Process:
        """The process of a temperature history ``[(t_s, T), ...]`` (times non-decreasing):
        one stage per point, labelled ``"00_0s"``, ``"01_60s"``... A history's times count
        from its first stage, so the states of points from ``t = 100 s`` come at 0,
        100 s...: the labels keep the given times."""
        try:
            pts = [(float(t), T) for t, T in points]
        except (TypeError, ValueError):
            raise InputError("history", points, "a list of (time [s], temperature)") from None
        if not pts:
            raise InputError("history", points, "at least one (time [s], temperature) point")
        times = [t for t, _ in pts]
        if not all(math.isfinite(t) for t in times) or any(
            b < a for a, b in zip(times, times[1:], strict=False)
        ):
            raise InputError("history", times, "finite, non-decreasing times [s]")
        stages = []
        for i, (t, T) in enumerate(pts):
            d = 0.0 if i == 0 else t - times[i - 1]
            stages.append(Stage(f"{i:02d}_{t:g}s", d, T))
        return cls(tuple(stages))

    @property
    def born(self) -> tuple[str, ...]:
        """Regions added by some stage (absent at the start)."""
        return tuple(dict.fromkeys(r for s in self.stages for r in s.add))


def _check_births(stages: Sequence[Stage], born: set[str]) -> None:
    """Walk the births and removals as a history applies them (a stage's removals, then
    its births): a stage may remove only a present region and add only an absent one (a
    region some stage adds is absent before it; every other one is present from the
    start). Refused here, at the stage's key, rather than in the middle of the solve."""
    alive: set[str] = set()  # the born regions present now
    gone: set[str] = set()  # the regions present from the start, removed since
    for s in stages:
        for r in s.remove:
            if (r in born and r not in alive) or r in gone:
                raise InputError(
                    f"stage.{s.name}.remove",
                    r,
                    "a region present at this stage (a region a stage adds is absent before "
                    "it; one removed stays absent until a stage adds it)",
                )
            (alive.discard if r in born else gone.add)(r)
        for r in s.add:
            if r in alive:
                raise InputError(
                    f"stage.{s.name}.add", r, "a region absent at this stage (not added twice)"
                )
            alive.add(r)


def _check_cures(stages: Sequence[Stage]) -> None:
    """A region is cured by one stage only: each stage that cures a region takes its
    shrinkage from 0 to the full value, so a second one would first undo the shrinkage
    the first applied and then apply it again (a region removed and added anew keeps its
    degree of cure too)."""
    cured: dict[str, str] = {}  # region -> the stage that cured it
    for s in stages:
        for r in dict.fromkeys(s.cure):  # a name listed twice in one stage is one cure
            if r in cured:
                raise InputError(
                    f"stage.{s.name}.cure",
                    r,
                    f"a region not cured by an earlier stage ({r!r} is cured by stage "
                    f"{cured[r]!r}; a region's cure shrinkage develops over one stage)",
                )
            cured[r] = s.name


def stage_segments(
    stage: Stage, n_min: int, dT: float, max_step_K: float | None
) -> list[tuple[float, float, int]]:
    """``(fraction start, fraction end, steps)`` of a stage split at its outputs: at least
    ``stage.steps`` (or ``n_min``) steps over the stage, and enough that no step changes
    the temperature by more than ``max_step_K`` when the stage changes it by ``dT`` [K].
    Call :func:`count_steps` first: it bounds what this implies."""
    d = stage.duration_s
    marks = [0.0] + [t / d for t in stage.outputs] + [1.0] if d > 0 else [0.0, 1.0]
    out = []
    for a, b in zip(marks[:-1], marks[1:], strict=True):
        n = max(1, math.ceil((stage.steps or n_min) * (b - a) - 1e-9))
        if max_step_K:
            n = max(n, math.ceil(dT * (b - a) / max_step_K - 1e-9))
        if d == 0:
            n = 1
        out.append((a, b, n))
    return out


def count_steps(
    stages: Sequence[Stage], dTs: Sequence[float], substeps: int, max_step_K: float | None
) -> int:
    """The number of time steps a history implies (``dTs``: each stage's largest
    temperature change [K]); an :class:`~fea.errors.InputError` naming the key that drives
    it, with the estimate, when it exceeds :data:`MAX_STEPS`. Estimated in floating point
    first, so an absurd value (``max_step_K=1e-300``) costs nothing."""
    total = 0.0
    driver, value = "substeps", substeps
    for stage, dT in zip(stages, dTs, strict=True):
        if stage.duration_s == 0:
            total += 1 + len(stage.outputs)
            continue
        base = float(stage.steps or substeps)
        by_step = dT / max_step_K if max_step_K else 0.0
        if by_step > base:
            driver, value = "max_step_K", max_step_K
        elif stage.steps:
            driver, value = f"stage.{stage.name}.steps", stage.steps
        total += max(base, by_step) + len(stage.outputs) + 1
    if not total <= MAX_STEPS:  # also catches inf and nan
        raise InputError(
            driver,
            value,
            f"a value implying at most {MAX_STEPS:,} time steps (this history implies "
            f"about {total:.3g})",
        )
    return int(total)
