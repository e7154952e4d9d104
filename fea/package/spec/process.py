"""``[process]``: the manufacturing history (stages that add, remove and cure regions at
temperatures over time), its model and the step list it implies, bounded before any work."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import InputError
from .constants import PANEL_STAGES, T_MAX_C
from .geometry import GeometrySpec, model_regions
from .loads import LoadSpec
from .reader import Section, check_label, check_number, hint

__all__ = [
    "MAX_PROCESS_STEPS",
    "MIN_STEP_K",
    "PROCESS_MODELS",
    "ProcessSpec",
    "StageSpec",
    "check_process",
    "parse_process",
    "process_regions",
    "process_steps",
]


@dataclass(frozen=True)
class StageSpec:
    """One stage of a ``[process]``: its name (the state's label), duration [s], end
    temperature [degC] (reached linearly from the previous stage's), the regions born
    (``add``), removed (``remove``) and curing (``cure``) at it, and its least number of
    steps (None: ``process.substeps``)."""

    name: str
    duration: float
    temperature: float
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    cure: tuple[str, ...] = ()
    steps: int | None = None


@dataclass(frozen=True)
class ProcessSpec:
    """The ``[process]`` of a study: the model (``history``: one mesh carried through
    the stages and the reflow profile by :func:`fea.solve_history`; ``independent``: each
    state solved alone, elastic, as before the history model), the stages, the times of
    the reflow profile ``loads.reflow_C`` [s] and the time-step controls."""

    model: str = "history"
    stages: tuple[StageSpec, ...] = ()
    reflow_times: tuple[float, ...] = ()
    substeps: int = 1
    max_step_K: float = 10.0


PROCESS_MODELS = ("history", "independent")


def process_regions(kind: str, g: GeometrySpec) -> tuple[str, ...]:
    """The region names a ``[process]`` stage may name: the regions of the model the
    history runs on (a unit without its board; a panel's ``process`` model, whose kerf is
    named ``kerf`` as a whole)."""
    if kind == "panel" and g.panel is not None:
        import dataclasses

        pg = dataclasses.replace(g, panel=dataclasses.replace(g.panel, stage="process"))
        return (*model_regions(kind, pg), "kerf")
    return tuple(r for r in model_regions(kind, g) if r not in ("board", "rim_bond"))


def parse_process(s: Section, kind: str, g: GeometrySpec, loads: LoadSpec) -> ProcessSpec:
    """Read ``[process]``: how the mechanical states of a case are reached.

    Keys::

        [process]
        model = "history"        # or "independent" (each state alone, elastic)
        substeps = 1             # least time steps per stage (and per reflow interval)
        max_step_K = 10.0        # largest temperature change of one step [K]
        reflow_time_s = [...]    # time [s] of each loads.reflow_C point (from the
                                 # reflow's start; required with reflow_C and "history")

        [[process.stages]]       # in order; each stage's end is a state of that name
        name = "mould"
        duration_s = 120.0       # >= 0
        temperature_C = 175.0    # at the stage's end, reached linearly
        add = ["encapsulant"]    # regions born at the stage's start (absent before)
        remove = []              # regions removed at its start
        cure = ["encapsulant"]   # cure shrinkage develops over the stage
        steps = 4                # optional: least time steps of the stage

    ``history`` runs the stages, then the reflow profile (states ``r00_25C``...), on one
    mesh with :func:`fea.solve_history`: a unit without its board, or the panel's
    ``process`` model with its mandrel and its kerf as regions ``kerf_<region>`` (a
    region named in a stage includes its part in the kerf; ``kerf`` means the whole
    kerf). Stress-free temperatures (``loads.reference_C``) apply to the regions present
    from the start; a region born later is stress free at its birth. ``independent``
    solves each state alone, elastic, as studies did before the history model: a unit at
    ``loads.warpage_temperatures_C`` and along ``reflow_C``, a panel at the temperature of
    each stage named like a panel stage (``on_mandrel``, ``released``, ``singulated``) on
    that stage's own model, and along ``reflow_C`` on the ``singulated`` model.

    Refused at the stage's key: a removal of a region not present at the stage, a birth of
    one present; in a panel ``history``, a stage named ``on_mandrel``, ``released`` or
    ``singulated`` whose mandrel and kerf do not match that state; an ``independent`` panel
    with no such stage and no reflow profile; a ``cure`` below the last stage's
    temperature (the use temperature).
    """
    model = s.string("model", "history", choices=PROCESS_MODELS)
    substeps = s.number("substeps", 1, integer=True, lo=1, hi=10_000)
    max_step = float(s.number("max_step_K", 10.0, lo=MIN_STEP_K, hi=1000.0))
    regions = process_regions(kind, g)
    stages_raw = s.raw("stages", [])
    if not isinstance(stages_raw, list):
        raise InputError(s.key("stages"), stages_raw, "an array of tables [[process.stages]]")
    stages: list[StageSpec] = []
    for i, st in enumerate(stages_raw):
        sec = Section(st, f"{s.key('stages')}[{i}]")
        name = check_label(sec.key("name"), sec.string("name"))
        if name in {x.name for x in stages} or re.fullmatch(r"r\d+_.*", name):
            raise InputError(
                sec.key("name"), name, "a name distinct per stage, not r<digits>_ (reflow states)"
            )
        lists = {}
        for k in ("add", "remove", "cure"):
            v = sec.raw(k, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise InputError(sec.key(k), v, "a list of region names")
            lists[k] = tuple(v)
            _check_regions(sec.key(k), lists[k], regions)  # as each list is read
        _check_first_stage(sec.key(""), i, lists["add"], lists["remove"])
        steps = sec.number("steps", None, integer=True, lo=1, hi=10_000)
        stages.append(
            StageSpec(
                name,
                float(sec.number("duration_s", nonneg=True)),
                float(sec.number("temperature_C", lo=-273.15, hi=T_MAX_C)),
                lists["add"],
                lists["remove"],
                lists["cure"],
                steps,
            )
        )
        sec.done()
    times = s.raw("reflow_time_s", [])
    if not isinstance(times, list):
        raise InputError(s.key("reflow_time_s"), times, "a list of times [s]")
    rt = tuple(
        float(check_number(f"{s.key('reflow_time_s')}[{i}]", t, nonneg=True))
        for i, t in enumerate(times)
    )
    if any(b < a for a, b in zip(rt, rt[1:], strict=False)):
        raise InputError(s.key("reflow_time_s"), list(rt), "non-decreasing times [s]")
    spec = ProcessSpec(model, tuple(stages), rt, int(substeps), max_step)
    check_process(spec, kind, g, loads, key=s.key(""))
    s.done()
    return spec


def check_process(
    p: ProcessSpec, kind: str, g: GeometrySpec, loads: LoadSpec, key: str = "process."
) -> None:
    """The checks of ``[process]`` across its stages and against the model and the loads,
    on the dataclass (:func:`parse_process` runs them as it reads; a case changed in
    Python gets them from :func:`fea.package.spec.check_case_spec`): the stages' regions
    are the model's (:func:`process_regions`), no birth or removal in the first stage, one
    reflow time per ``loads.reflow_C`` point with ``history``, a stage or a reflow profile,
    no hollow panel walls with a history, the regions' lifecycle, a cure at or above the
    use temperature, the panel states' names, and at most :data:`MAX_PROCESS_STEPS` time
    steps. ``key``: the section's prefix in messages (``"process."``). The first misfit is
    an :class:`~fea.errors.InputError` naming its key."""
    model, stages, rt = p.model, p.stages, p.reflow_times
    substeps, max_step = p.substeps, p.max_step_K
    regions = process_regions(kind, g)
    for i, st in enumerate(stages):
        for k, v in (("add", st.add), ("remove", st.remove), ("cure", st.cure)):
            _check_regions(f"{key}stages[{i}].{k}", v, regions)
        _check_first_stage(f"{key}stages[{i}].", i, st.add, st.remove)
    if model == "history":
        if loads.reflow and len(rt) != len(loads.reflow):
            raise InputError(
                f"{key}reflow_time_s",
                list(rt),
                f"one time [s] per loads.reflow_C point ({len(loads.reflow)})",
            )
        if not stages and not loads.reflow:
            raise InputError(f"{key}stages", [], "at least one stage or a reflow profile")
        if kind == "panel" and g.panel is not None and g.panel.hollow_walls:
            raise InputError(
                "geometry.panel.hollow_walls",
                True,
                "false with a process history (its rear cover after release is not modelled)",
            )
    _check_lifecycle(f"{key}stages", stages, regions)
    _check_cure_temperature(f"{key}stages", stages)
    if kind == "panel":
        if model == "history":  # the independent model takes the state from the name alone
            _check_panel_states(f"{key}stages", stages, regions)
        if model == "independent" and not loads.reflow:
            named = [st.name for st in stages if st.name in PANEL_STAGES[:3]]
            if not named:
                raise InputError(
                    f"{key}stages",
                    [st.name for st in stages],
                    "with model = 'independent', a stage named like a panel state "
                    f"({', '.join(PANEL_STAGES[:3])}) or a reflow profile: it solves only those",
                )
    n_steps = process_steps(stages, loads.reflow, int(substeps), max_step)
    if n_steps > MAX_PROCESS_STEPS:
        # the key that makes it so: substeps where one substep a stage would fit
        by_substeps = int(substeps) > 1 and (
            process_steps(stages, loads.reflow, 1, max_step) <= MAX_PROCESS_STEPS
        )
        name, value = ("substeps", substeps) if by_substeps else ("max_step_K", max_step)
        raise InputError(
            f"{key}{name}",
            value,
            f"a value that keeps the process under {MAX_PROCESS_STEPS:,} time steps "
            f"(with substeps = {substeps} and max_step_K = {max_step:g} the stages and the "
            f"reflow profile imply about {n_steps:,.0f} steps)",
        )


def _check_regions(key: str, names: Sequence[str], regions: Sequence[str]) -> None:
    """Each of a stage's ``names`` (its ``add``, ``remove`` or ``cure`` at ``key``) is a
    region of the history's model."""
    for r in names:
        if r not in regions:
            raise InputError(
                key, r, f"a region of the model ({', '.join(regions)}){hint(r, regions)}"
            )


def _check_first_stage(prefix: str, i: int, add: Sequence[str], remove: Sequence[str]) -> None:
    """No birth or removal in the first stage (``i`` 0; ``prefix`` its key and a dot):
    it is the start."""
    if i == 0 and (add or remove):
        which = "add" if add else "remove"
        raise InputError(
            f"{prefix}{which}",
            tuple(add or remove),
            "no births or removals in the first stage (it is the start)",
        )


#: Smallest ``process.max_step_K`` [K] (a step of 1e-300 K would never end).
MIN_STEP_K = 1e-3


#: Most time steps a process history may take (stages and reflow together).
MAX_PROCESS_STEPS = 100_000


def process_steps(
    stages: Sequence[StageSpec], reflow: Sequence[float], substeps: int, max_step_K: float
) -> float:
    """Estimate of the time steps of a process history: per stage and per reflow interval
    the larger of its least steps and its temperature change over ``max_step_K``."""
    total = 0.0
    prev = stages[0].temperature if stages else (reflow[0] if reflow else 25.0)
    for st in stages:
        least = st.steps if st.steps is not None else substeps
        total += max(least, math.ceil(abs(st.temperature - prev) / max_step_K))
        prev = st.temperature
    for T in reflow:
        total += max(substeps, math.ceil(abs(T - prev) / max_step_K))
        prev = T
    return total


def _check_lifecycle(key: str, stages: Sequence[StageSpec], regions: Sequence[str]) -> None:
    """No stage may leave the model without a region, remove a region that is not present
    or add one that is (the history would stop there, after the stages before it had run),
    and a region is cured only once it exists (a cure listed before the stage that adds it
    would be lost) and by one stage only (each stage that cures a region takes its
    shrinkage from 0 to the full value: a second would undo it and apply it again)."""
    later_adds: dict[str, int] = {}
    for i, st in enumerate(stages):
        for r in st.add:
            later_adds.setdefault(r, i)
    present = set(regions) - set(later_adds)
    cured: dict[str, int] = {}  # region -> the stage that cured it
    for i, st in enumerate(stages):
        # as the history applies them: the removals, then the births
        for r in st.remove:
            if r not in present:
                raise InputError(
                    f"{key}[{i}].remove",
                    r,
                    f"a region present at this stage ({', '.join(sorted(present)) or 'none'})",
                )
            present.discard(r)
        for r in st.add:
            if r in present or r in st.remove:
                raise InputError(
                    f"{key}[{i}].add",
                    r,
                    "a region absent at this stage (not present, not added twice, not also "
                    "removed by it)",
                )
            present.add(r)
        if st.remove and not present:
            raise InputError(
                f"{key}[{i}].remove", list(st.remove), "removals that leave at least one region"
            )
        for r in dict.fromkeys(st.cure):  # a name listed twice in one stage is one cure
            born = later_adds.get(r)
            if born is not None and born > i:
                raise InputError(
                    f"{key}[{i}].cure",
                    r,
                    f"a region present at this stage ({r} is added at {key}[{born}])",
                )
            if r in cured:
                raise InputError(
                    f"{key}[{i}].cure",
                    r,
                    f"a region not cured by an earlier stage ({r} is cured at "
                    f"{key}[{cured[r]}]; a region's cure shrinkage develops over one stage)",
                )
            cured[r] = i


#: What a stage named like a panel state must leave present (True) or removed (False):
#: the independent model solves that state on its own model, so the names must agree.
PANEL_STATE_REGIONS = {
    "on_mandrel": {"mandrel": True, "kerf": True},
    "released": {"mandrel": False, "kerf": True},
    "singulated": {"mandrel": False, "kerf": False},
}


def _check_panel_states(key: str, stages: Sequence[StageSpec], regions: Sequence[str]) -> None:
    """A panel stage named ``on_mandrel``, ``released`` or ``singulated`` must be that
    state: the mandrel on, off, and off with the kerf cut away (a list out of order, such
    as ``released`` before ``on_mandrel``, would label a state with the wrong model)."""
    born = {r for st in stages for r in st.add}
    present = set(regions) - born
    for i, st in enumerate(stages):
        present = (present | set(st.add)) - set(st.remove)
        want = PANEL_STATE_REGIONS.get(st.name)
        if want is None:
            continue
        wrong = [r for r, on in want.items() if (r in present) != on]
        if wrong:
            need = ", ".join(f"{r} {'present' if on else 'removed'}" for r, on in want.items())
            raise InputError(
                f"{key}[{i}].name",
                st.name,
                f"a stage whose regions match its panel state ({need} at its end); "
                f"here {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not",
            )


def _check_cure_temperature(key: str, stages: Sequence[StageSpec]) -> None:
    """A stage that cures a region holds it at or above the temperature the process ends
    at (the use temperature the warpage is reported at): a cure below it (a ``17.5`` for
    ``175`` degC) would be a cure shrinkage with a reversed thermal mismatch."""
    if not stages:
        return
    use = stages[-1].temperature
    for i, st in enumerate(stages):
        if st.cure and st.temperature < use:
            raise InputError(
                f"{key}[{i}].temperature_C",
                st.temperature,
                f"a cure temperature at or above the use temperature (the last stage's, "
                f"{use:g} degC)",
            )
