"""The spec's data model and the reading of each section into it.

Frozen dataclasses hold a validated study in SI units (temperatures in degC); one
``parse_*`` function per TOML section reads it through a
:class:`~fea.package.spec.reader.Section`, so each key's name, unit suffix, default and
bounds are stated once. Defaults reproduce the baseline package of ``shared/BASELINE.md``.

One module per section: :mod:`~fea.package.spec.constants` (limits and choices shared by
sections), :mod:`~fea.package.spec.geometry` (``[geometry]``, ``[mesh]``),
:mod:`~fea.package.spec.materials`, :mod:`~fea.package.spec.loads`,
:mod:`~fea.package.spec.analyses` (``[environment]``, ``[transient]``, ``[theta_jc]``,
``[limits]``, ``[solver]``, ``[outputs]``), :mod:`~fea.package.spec.process`,
:mod:`~fea.package.spec.moisture`. This module holds the case and the study
(:class:`CaseSpec`, :class:`StudySpec`, :class:`SweepSpec`) and re-exports the sections'
names, so ``from fea.package.spec.schema import X`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...physics.materials import Material
from .analyses import (  # noqa: F401  (re-exported)
    MAX_PROBES,
    MIN_FIRST_OUTPUT_S,
    MIN_OUTPUTS_PER_DECADE,
    EnvironmentSpec,
    LimitSpec,
    ReportSpec,
    SolverSpec,
    ThetaJcSpec,
    TransientSpec,
    parse_environment,
    parse_limits,
    parse_outputs,
    parse_solver,
    parse_theta_jc,
    parse_transient,
)
from .constants import (  # noqa: F401  (re-exported)
    BOARD_STACKS,
    DEFAULT_EMISSIVITY,
    DEFAULT_OUTPUTS,
    ENVIRONMENTS,
    FREQUENCY_MAX_GHZ,
    H_MAX,
    OPENING_KINDS,
    OUTPUT_ALIASES,
    OUTPUTS,
    PANEL_STAGES,
    POWER_MAX_W,
    SIDES,
    T_MAX_C,
)
from .ctm import CtmSpec
from .cycling import CyclingSpec
from .geometry import (  # noqa: F401  (re-exported)
    BOARD_KEYS,
    BoardSpec,
    CopperLayer,
    GeometrySpec,
    MeshSpec,
    OpeningSpec,
    PanelSpec,
    TerminalSpec,
    ThermalViaSpec,
    ViaSpec,
    check_copper,
    model_boundaries,
    model_regions,
    parse_board_stack,
    parse_geometry,
    parse_mesh,
    parse_opening,
    parse_vias,
)
from .loads import (  # noqa: F401  (re-exported)
    POWER_CELL_MAX_W,
    POWER_CSV_MAX_BYTES,
    LoadSpec,
    PowerMapSpec,
    parse_loads,
    parse_power_map,
    parse_temperature_map,
    read_power_csv,
)
from .materials import (  # noqa: F401  (re-exported)
    parse_materials,
    parse_plasticity,
    parse_prony,
    parse_shift,
    parse_table_or_number,
    parse_user_material,
)
from .moisture import MoistureSpec
from .process import (  # noqa: F401  (re-exported)
    MAX_PROCESS_STEPS,
    MIN_STEP_K,
    PROCESS_MODELS,
    ProcessSpec,
    StageSpec,
    parse_process,
    process_regions,
    process_steps,
)

__all__ = [
    "BOARD_KEYS",
    "BOARD_STACKS",
    "BoardSpec",
    "CaseSpec",
    "CopperLayer",
    "CyclingSpec",
    "DEFAULT_EMISSIVITY",
    "DEFAULT_OUTPUTS",
    "ENVIRONMENTS",
    "EnvironmentSpec",
    "FREQUENCY_MAX_GHZ",
    "GeometrySpec",
    "H_MAX",
    "LimitSpec",
    "LoadSpec",
    "MAX_PROBES",
    "MAX_PROCESS_STEPS",
    "MIN_FIRST_OUTPUT_S",
    "MIN_OUTPUTS_PER_DECADE",
    "MIN_STEP_K",
    "MeshSpec",
    "MoistureSpec",
    "OPENING_KINDS",
    "OUTPUTS",
    "OUTPUT_ALIASES",
    "OpeningSpec",
    "PANEL_STAGES",
    "POWER_CELL_MAX_W",
    "POWER_CSV_MAX_BYTES",
    "POWER_MAX_W",
    "PROCESS_MODELS",
    "PanelSpec",
    "PowerMapSpec",
    "ProcessSpec",
    "ReportSpec",
    "SIDES",
    "SolverSpec",
    "StageSpec",
    "StudySpec",
    "SweepSpec",
    "T_MAX_C",
    "TerminalSpec",
    "ThermalViaSpec",
    "ThetaJcSpec",
    "TransientSpec",
    "ViaSpec",
    "check_copper",
    "model_boundaries",
    "model_regions",
    "parse_board_stack",
    "parse_environment",
    "parse_geometry",
    "parse_limits",
    "parse_loads",
    "parse_materials",
    "parse_mesh",
    "parse_opening",
    "parse_outputs",
    "parse_plasticity",
    "parse_power_map",
    "parse_process",
    "parse_prony",
    "parse_shift",
    "parse_solver",
    "parse_table_or_number",
    "parse_temperature_map",
    "parse_theta_jc",
    "parse_transient",
    "parse_user_material",
    "parse_vias",
    "process_regions",
    "process_steps",
    "read_power_csv",
]


@dataclass(frozen=True)
class SweepSpec:
    """A sweep over dotted parameter paths of the base case (values in spec units)."""

    kind: str = "grid"  # grid | random | cases
    parameters: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    n: int = 0
    seed: int = 0
    cases: tuple[dict[str, Any], ...] = ()
    group: str = "auto"  # auto | off: cases of one mesh run in sequence on one solver setup


@dataclass(frozen=True)
class CaseSpec:
    """One fully resolved case of a study.

    ``materials`` holds the material of every region the case's model has
    (:func:`model_regions`), no others. ``outputs``: the study's ``[outputs] metrics``
    (empty: all), so an analysis can skip what nobody asked for.
    """

    name: str
    kind: str
    geometry: GeometrySpec
    mesh: MeshSpec
    materials: dict[str, Material]
    loads: LoadSpec
    solver: SolverSpec
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)
    process: ProcessSpec | None = None
    report: ReportSpec = field(default_factory=ReportSpec)
    environment: EnvironmentSpec = field(default_factory=EnvironmentSpec)
    transient: TransientSpec | None = None
    theta_jc: ThetaJcSpec = field(default_factory=ThetaJcSpec)
    limits: LimitSpec = field(default_factory=LimitSpec)
    moisture: MoistureSpec | None = None
    outputs: tuple[str, ...] = ()
    cycling: CyclingSpec | None = None
    contacts: dict[str, float] = field(default_factory=dict)
    ctm: CtmSpec | None = None


@dataclass(frozen=True)
class StudySpec:
    """A study: a base case, an optional sweep and the outputs to tabulate."""

    name: str
    base: CaseSpec
    sweep: SweepSpec | None
    outputs: tuple[str, ...]
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)
    path: str | None = None
    field_plots: bool = False

    def cases(self) -> Iterator[tuple[str, dict[str, Any], CaseSpec | InputError]]:
        """Yield ``(case_id, parameters, case)`` for every case of the sweep (or the base).

        An explicit case (``kind = "cases"``) that is invalid yields its
        :class:`~fea.errors.InputError` in place of the case, so a runner can record it
        as failed and go on.
        """

        for cid, params in self.case_parameters():
            if self.sweep is None:
                yield cid, params, self.base
                continue
            try:
                yield cid, params, self.case(params)
            except InputError as exc:
                yield cid, params, exc

    def case_parameters(self) -> list[tuple[str, dict[str, Any]]]:
        """``(case_id, parameters)`` of every case, in order, without parsing any case."""
        from .sweeps import case_id, expand_sweep

        if self.sweep is None:
            return [(case_id(0), {})]
        return [(case_id(i), p) for i, p in enumerate(expand_sweep(self.sweep))]

    def case(self, params: Mapping[str, Any]) -> CaseSpec:
        """The validated case with the sweep ``params`` applied (an InputError if invalid)."""
        from . import parse_study
        from .sweeps import apply_overrides

        if not params:
            return self.base
        return parse_study(apply_overrides(self.raw, params), path=self.path, sweep_case=True).base
