"""Typed names: the regions and boundaries of a package model (DESIGN.md section 1) and
the columns of a study table.

A table column is a :class:`Column`: a metric with its unit in its suffix
(``warpage_um``, ``Tj_max_C``), optionally the state it was taken in (``25C``,
``r03_183C``) and a region (``shell``) or interface (``die|encapsulant``), written
``metric@state:region``. Code builds columns from these parts and reads them back with
:meth:`Column.parse`; nothing else splits column strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from .geometry.tags import ALIASES, REGIONS, interface_name

__all__ = [
    "BOUNDARIES",
    "Column",
    "EVERY_REGION_METRICS",
    "KEY_REGIONS",
    "METRICS",
    "PACKAGE_REGIONS",
    "TEXT_METRICS",
    "UNITS",
    "interface_name",
]

#: Regions a package model can have (the builders' internal names resolved).
PACKAGE_REGIONS: tuple[str, ...] = tuple(
    dict.fromkeys(ALIASES.get(r, r) for r in REGIONS if r != "void")
)

#: Named exterior boundaries a package model can have (interfaces are ``a|b``).
BOUNDARIES: tuple[str, ...] = (
    "exterior",
    "top",
    "shell_top",
    "bottom",
    "units_bottom",
    "terminal_tips",
    "package_surface",
    "board_surface",
    "board_bottom",
    "board_top",
    "cold_plate",
    "package_air",
    "board_air",
    "mandrel_top",
    "mandrel_surface",
    # the package alone of a compact thermal model (fea.package.geometry.unit.build_ctm)
    "top_inner",
    "top_outer",
    "bottom_inner",
    "bottom_outer",
    "sides",
    "leads",
)


#: Unit suffixes of metric names (longest match first) and how to print them; ``1`` is a
#: dimensionless number.
UNITS: dict[str, str] = {
    "_MJ_per_m3": "MJ/m³",
    "_K_per_W": "K/W",
    "_J_per_K": "J/K",
    "_1_per_m": "1/m",
    "_ratio": "1",
    "_error": "1",
    "_count": "1",
    "_cycles": "cycles",
    "_id": "1",
    "_flag": "0/1",
    "_MPa": "MPa",
    "_pct": "%",
    "_mg": "mg",
    "_um": "µm",
    "_mm": "mm",
    "_dB": "dB",
    "_C": "°C",
    "_K": "K",
    "_W": "W",
    "_s": "s",
}

#: Metrics whose values are text (a class, a location), not numbers.
TEXT_METRICS: tuple[str, ...] = (
    "notes",
    "warpage_shape",
    "von_mises_max_at_mm",
    "principal_max_at_mm",
    "solve_group",
    "solver_reused",
)

#: Every metric a case can have and what it is (docs/outputs.md, ``table.h5`` attributes).
METRICS: dict[str, str] = {
    "notes": "warnings raised while the case ran (a metal past its proof stress, undefined "
    "metrics), in words",
    "solve_group": "[sweep] group = auto: the id of the first case of the group this case "
    "ran in (its cases share one mesh and the mechanics solver setups)",
    "solver_reused": "[sweep] group = auto: 'r/n', r of the case's n elastic warpage states "
    "solved on a setup kept from an earlier case of its group (a load sweep: the same "
    "factorisation; a material sweep: the kept AMG hierarchy as PCG preconditioner)",
    "aperture_ratio": "largest side-wall opening L over half the free-space wavelength "
    "(shielding rule: < 1)",
    "shielding_dB": "aperture shielding estimate 20 log10(lambda / 2L) of the largest "
    "opening, free-space lambda, 0 at L >= lambda/2 (Ott 2009)",
    "shielding_array_dB": "per wall 20 log10(lambda / 2L) less 10 log10(n), n the wall's "
    "openings within lambda/2 of each other (they leak as one sqrt(n) times as large; Ott "
    "2009); the least over the walls, never below 0 (0 at L >= lambda/2)",
    "Tj_max_C": "junction temperature: the die's highest nodal temperature",
    "theta_ja_K_per_W": "junction-to-ambient resistance (Tj - T_ambient) / P in JESD51-2 "
    "still air ([environment] kind = 'still_air')",
    "psi_jt_K_per_W": "junction-to-top characterisation parameter (Tj - T_top centre) / P in "
    "JESD51-2 still air or JESD51-6 forced air",
    "R_ja_uniform_h_K_per_W": "(Tj - T_ambient) / P with [loads] h on every exposed face "
    "([environment] kind = 'uniform_h'): not JEDEC theta_JA, which is still air only",
    "psi_jt_uniform_h_K_per_W": "(Tj - T_top centre) / P under uniform_h (not JEDEC psi_JT)",
    "psi_jb_uniform_h_K_per_W": "(Tj - T_board) / P under uniform_h, T_board as for psi_JB "
    "(not JEDEC psi_JB)",
    "theta_jc_K_per_W": "junction-to-case resistance of the package alone (no board; the same "
    "in every environment): JESD51-14 transient dual interface (where the structure "
    "functions of a dry and a greased case contact part), or with [theta_jc] method = "
    "'fixed_case' the rear face held at ambient, the rest adiabatic",
    "hotspot_C": "hottest point of the die's active face (a power map concentrates it)",
    "hotspot_x_mm": "x of the hot spot on the die's active face",
    "hotspot_y_mm": "y of the hot spot on the die's active face",
    "Tj_over_limit_flag": "1 when Tj (or its transient peak) exceeds [limits] Tj_max_C, else 0",
    "Tj_peak_C": "highest junction temperature of the [transient] (a power profile's peak)",
    "zth_1ms_K_per_W": "junction Zth(t) = (Tj(t) - Tj(0)) / P at 1 ms of the heating curve "
    "(every decade in the output range has its column: zth_1us ... zth_10000s)",
    "zth_1s_K_per_W": "junction Zth at 1 s of the heating curve",
    "zth_100s_K_per_W": "junction Zth at 100 s of the heating curve",
    "sf_R_total_K_per_W": "total thermal resistance of the structure function (the "
    "heating curve's end value)",
    "heat_capacity_J_per_K": "heat capacity of the thermal model (the structure function's "
    "end value)",
    "transient_solve_s": "time of the [transient] solve (the heating curve, its reduced basis "
    "included)",
    "theta_jma_K_per_W": "junction-to-moving-air resistance (JESD51-6 forced air)",
    "theta_jb_K_per_W": "junction-to-board resistance on the JESD51-8 ring cold plate",
    "psi_jb_K_per_W": "(Tj - T_board) / P, board top 1 mm from the package edge, in JESD51-2 "
    "still air or JESD51-6 forced air",
    "die_spread_K": "highest minus lowest temperature in the die",
    "heat_balance_ratio": "|power in - heat out| / power in of the thermal solve",
    "thermal_solve_s": "time of the thermal solve",
    "thermal_nodes_count": "nodes of the thermal mesh",
    "mechanical_dof_count": "unknowns of the mechanical problem",
    "total_s": "time of the whole case",
    "wall_s": "wall time of the case in its worker",
    "warpage_um": "peak-to-valley of the top surface, best-fit plane removed",
    "warpage_signed_um": "warpage with the JESD22-B112 / JEITA ED-7306 sign: + convex, "
    "- concave, seen from the top (away from the terminals)",
    "curvature_1_per_m": "mean curvature of a quadratic fit, + convex seen from the top",
    "curvature_max_1_per_m": "larger principal curvature, + convex seen from the top",
    "curvature_min_1_per_m": "smaller principal curvature (opposite signs: a saddle)",
    "warpage_shape": "shape class: bowl, saddle, cylindrical, W, M or flat",
    "coplanarity_um": "JEDEC coplanarity: largest terminal-tip distance from the seating plane",
    "warpage_limit_ratio": "largest signed warpage over its allowed limit ([outputs] "
    "warpage_limits_um); above 1 fails",
    "mech_solve_s": "time of the mechanical solve",
    "history_steps_count": "time steps of the process history ([process] model = 'history')",
    "history_factorizations_count": "stiffness factorisations the history needed (the "
    "others reused one, or ran CG preconditioned by the nearest)",
    "history_solve_s": "time of the whole process history",
    "von_mises_max_MPa": "largest recovered (nodal) von Mises stress in the region",
    "von_mises_max_at_mm": "where the largest von Mises stress is, (x, y, z)",
    "principal_max_MPa": "largest recovered first principal stress in the region (brittle "
    "materials: silicon, mould compound)",
    "principal_max_at_mm": "where the largest first principal stress is, (x, y, z)",
    "yield_ratio": "largest recovered von Mises stress over the 0.2 % proof stress; above 1 "
    "the metal yields locally (warning with the location)",
    "peel_max_MPa": "largest peel (opening normal) traction on the interface; singular at "
    "free edges: mesh-dependent",
    "shear_max_MPa": "largest shear traction on the interface; singular at free edges: "
    "mesh-dependent",
    "moisture_mg": "water in the package (with a region: in that region) at the end of the "
    "[moisture] stage named by the state (soak, reflow)",
    "moisture_gain_pct": "weight gain: the water over the dry mass of the package (with a "
    "region: of that region, as a sorption test of its material reports) at the end of the "
    "[moisture] stage named by the state, in %",
    "moisture_peak_C": "highest temperature of the [moisture] run (the reflow peak), where "
    "the vapour pressure is reported",
    "vapour_pressure_max_MPa": "largest water vapour pressure on the interface at the "
    "moisture run's peak (Henry or ideal-gas model, at most p_sat)",
    "vapour_pressure_mean_MPa": "area-mean water vapour pressure on the interface at the "
    "moisture run's peak",
    "plastic_strain_max_pct": "largest equivalent plastic (inelastic) strain of the region's "
    "elements, accumulated along the path to the state (materials with plasticity)",
    "dW_crit_MJ_per_m3": "[cycling] inelastic strain energy density dissipated per cycle "
    "(last cycle), volume average over Darveaux's interface layer at the pad of the "
    "critical joint (the largest)",
    "dW_mean_MJ_per_m3": "[cycling] the same averaged over all joints",
    "dW_layer_um": "thickness of the interface layer Delta W is averaged over (the requested "
    "one, or wider where the mesh has no element in it: see notes)",
    "critical_joint_id": "[cycling] the critical joint: its index, row-major from (xmin, ymin)",
    "critical_x_mm": "x of the critical joint's centre from the package centre (a cut "
    "model: the kept image; its mirror images are as critical)",
    "critical_y_mm": "y of the critical joint's centre from the package centre",
    "eq_strain_crit_pct": "accumulated equivalent inelastic strain of the critical joint's "
    "layer at the end of the cycling",
    "d_eq_strain_per_cycle_pct": "its increment over the last cycle",
    "dW_crit_change_pct": "change of the critical joint's Delta W from the cycle before the "
    "last to the last, in % of the last (two cycles or more; over 5 %: a note, the cycle is "
    "not stabilised)",
    "N_darveaux_cycles": "ESTIMATE: characteristic life (crack through the pad) by Darveaux's "
    "crack initiation and growth model with the set's constants and the pad diameter",
    "N0_darveaux_cycles": "ESTIMATE: cycles to crack initiation (Darveaux)",
    "N_syed_cycles": "ESTIMATE: life by Syed's energy model (SAC)",
    "N_engelmaier_cycles": "ESTIMATE, for comparison: cycles to 50 % failed, N_f(50%), by "
    "Engelmaier's Coffin-Manson model (IPC-D-279) from the array's largest distance to the "
    "neutral point (the outermost joint), its height and [cycling] delta_alpha_ppm_per_K "
    "(models lists engelmaier)",
    "joints_count": "solder joints of the full array (a cut model's mirror images counted)",
    "cycling_steps_count": "time steps of the temperature-cycling history",
    "cycling_newton_iterations_count": "Newton iterations of the cycling history",
    "cycling_solve_s": "time of the cycling history",
    "peel_band_MPa": "mean peel over the band at [outputs] interface_band_mm from the "
    "interface's edges (converges with the mesh)",
    "shear_band_MPa": "mean shear over the band at [outputs] interface_band_mm from the "
    "interface's edges (converges with the mesh)",
    "theta_JC_2R_K_per_W": "[ctm] two-resistor model (JESD15-3) junction-to-case resistance: "
    "the package alone, its top face isothermal at ambient, every other face adiabatic",
    "theta_JB_2R_K_per_W": "[ctm] two-resistor model (JESD15-3) junction-to-board resistance: "
    "the package alone, its board-side face (its terminals, or its underside without any) "
    "isothermal at ambient, every other face adiabatic",
    "delphi_max_junction_error": "[ctm] DELPHI network (JESD15-4): largest |relative error| of "
    "the junction rise over the fitted boundary conditions (target 0.05)",
    "delphi_max_heat_error": "[ctm] DELPHI network: largest surface-node heat-flow error over "
    "the fitted conditions, relative to the node's heat or 10 % of the power (target 0.10)",
    "delphi_heldout_max_junction_error": "[ctm] DELPHI network: largest |relative error| of "
    "the junction rise over the conditions held out of the fit ([ctm] holdout)",
    "delphi_heldout_max_heat_error": "[ctm] DELPHI network: largest heat-flow error over the "
    "conditions held out of the fit",
}

#: Regions (and the interfaces that touch them) a study's summary shows.
KEY_REGIONS: tuple[str, ...] = ("shell", "die", "encapsulant")
#: Metrics a study's summary shows in every region and interface: water may collect in any
#: permeable layer (dielectric, die attach, encapsulant), and the interface where it does
#: is where the vapour pressure matters.
EVERY_REGION_METRICS: tuple[str, ...] = (
    "moisture_mg",
    "moisture_gain_pct",
    "vapour_pressure_max_MPa",
    "vapour_pressure_mean_MPa",
)


@dataclass(frozen=True)
class Column:
    """A study-table column: ``metric[@state[:region]]``.

    ``metric`` carries its unit in its suffix (``warpage_um``, ``von_mises_max_MPa``,
    ``theta_ja_K_per_W``; ``_ratio`` and ``_count`` for pure numbers); the region of a
    per-interface metric is the interface ``a|b``. :attr:`output` is the name used in
    ``[outputs] metrics``: the metric itself.
    """

    metric: str
    state: str | None = None
    region: str | None = None

    def __str__(self) -> str:
        text = self.metric
        if self.state is not None:
            text += f"@{self.state}"
            if self.region is not None:
                text += f":{self.region}"
        return text

    @classmethod
    def parse(cls, text: str) -> Column:
        """The column named by ``text`` (inverse of ``str``)."""
        metric, _, rest = str(text).partition("@")
        if not rest:
            return cls(metric)
        state, _, region = rest.partition(":")
        return cls(metric, state, region or None)

    @property
    def unit_suffix(self) -> str:
        """The metric's unit suffix (a key of :data:`UNITS`), or ``""``."""
        for suffix in sorted(UNITS, key=len, reverse=True):
            if self.metric.endswith(suffix) and len(self.metric) > len(suffix):
                return suffix
        return ""

    @property
    def unit(self) -> str:
        """The metric's unit as printed (``"K/W"``, ``"1"`` for a pure number), or ``""``
        for text and unknown metrics."""
        return UNITS.get(self.unit_suffix, "")

    @property
    def output(self) -> str:
        """The ``[outputs] metrics`` name of the column: its metric, units included."""
        return self.metric

    @property
    def is_text(self) -> bool:
        """True for a metric whose values are text (shape class, location)."""
        return self.metric in TEXT_METRICS

    @property
    def description(self) -> str:
        """What the metric is (:data:`METRICS`), or ``""``."""
        return METRICS.get(self.metric, "")

    @property
    def label(self) -> str:
        """Axis label: ``"von_mises_max [MPa]"``."""
        base = self.metric.removesuffix(self.unit_suffix) if self.unit_suffix else self.metric
        return f"{base} [{self.unit}]" if self.unit else base

    @property
    def key(self) -> bool:
        """True when a study summary shows the column: no region, a key region, an
        interface with a key region on one side (:data:`KEY_REGIONS`), or a metric shown
        in every region (:data:`EVERY_REGION_METRICS`)."""
        if self.region is None or self.metric in EVERY_REGION_METRICS:
            return True
        return any(r in KEY_REGIONS for r in self.region.split("|"))
