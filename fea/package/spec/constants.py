"""Limits, choices and defaults of the study file shared by several sections (temperatures,
powers, output names and their aliases, JEDEC environments, board stacks, emissivities)."""

from __future__ import annotations

__all__ = [
    "BOARD_STACKS",
    "DEFAULT_EMISSIVITY",
    "DEFAULT_OUTPUTS",
    "ENVIRONMENTS",
    "FREQUENCY_MAX_GHZ",
    "H_MAX",
    "OPENING_KINDS",
    "OUTPUTS",
    "OUTPUT_ALIASES",
    "PANEL_STAGES",
    "POWER_MAX_W",
    "SIDES",
    "THERMAL_OUTPUTS",
    "T_MAX_C",
    "UNIFORM_H_OUTPUTS",
]


SIDES = ("xmin", "xmax", "ymin", "ymax")


#: Highest temperature a spec may give [degC] (far above any process step; it keeps
#: every temperature difference a meaningful number).
T_MAX_C = 2000.0


#: Largest power per region [W], heat transfer coefficient [W/(m^2 K)] and frequency [GHz]
#: a spec may give: far beyond any package, small enough that the solve stays finite.
POWER_MAX_W = 1e5


H_MAX = 1e7


FREQUENCY_MAX_GHZ = 1e4


OPENING_KINDS = ("slots", "holes", "pillars", "none")


PANEL_STAGES = ("on_mandrel", "released", "singulated", "process")


#: The JEDEC names of the air environments (JESD51-2 still air, JESD51-6 forced air) and
#: what the same quantity is called under ``[environment] kind = "uniform_h"`` (one
#: coefficient on every exposed face: no JEDEC environment, so no JEDEC name).
UNIFORM_H_OUTPUTS: dict[str, str] = {
    "theta_ja_K_per_W": "R_ja_uniform_h_K_per_W",
    "psi_jt_K_per_W": "psi_jt_uniform_h_K_per_W",
    "psi_jb_K_per_W": "psi_jb_uniform_h_K_per_W",
}


#: The table columns of a ``[ctm]`` case (meanings in :mod:`fea.package.names`).
CTM_COLUMNS = (
    "theta_JC_2R_K_per_W",
    "theta_JB_2R_K_per_W",
    "delphi_max_junction_error",
    "delphi_max_heat_error",
    "delphi_heldout_max_junction_error",
    "delphi_heldout_max_heat_error",
)


#: Output names of ``[outputs] metrics``: the metric part of the table's column names
#: (``metric@state:region``), units included (:mod:`fea.package.names`).
OUTPUTS = (
    "Tj_max_C",
    "theta_ja_K_per_W",
    "psi_jt_K_per_W",
    "theta_jc_K_per_W",
    "die_spread_K",
    "warpage_um",
    "warpage_signed_um",
    "curvature_1_per_m",
    "curvature_max_1_per_m",
    "curvature_min_1_per_m",
    "warpage_shape",
    "coplanarity_um",
    "warpage_limit_ratio",
    "von_mises_max_MPa",
    "principal_max_MPa",
    "yield_ratio",
    "peel_max_MPa",
    "shear_max_MPa",
    "peel_band_MPa",
    "shear_band_MPa",
    "aperture_ratio",
    "shielding_dB",
    "shielding_array_dB",
    "theta_jma_K_per_W",
    "theta_jb_K_per_W",
    "psi_jb_K_per_W",
    "hotspot_C",
    "Tj_over_limit_flag",
    "Tj_peak_C",
    "zth_1ms_K_per_W",
    "zth_1s_K_per_W",
    "zth_100s_K_per_W",
    "sf_R_total_K_per_W",
    "plastic_strain_max_pct",
    "dW_crit_MJ_per_m3",
    "dW_mean_MJ_per_m3",
    "dW_layer_um",
    "critical_joint_id",
    "critical_x_mm",
    "critical_y_mm",
    "eq_strain_crit_pct",
    "d_eq_strain_per_cycle_pct",
    "dW_crit_change_pct",
    "N_darveaux_cycles",
    "N0_darveaux_cycles",
    "N_syed_cycles",
    "N_engelmaier_cycles",
    "joints_count",
    "moisture_mg",
    "moisture_gain_pct",
    "moisture_peak_C",
    "vapour_pressure_max_MPa",
    "vapour_pressure_mean_MPa",
    *UNIFORM_H_OUTPUTS.values(),
    *CTM_COLUMNS,
)


#: Outputs that need a unit's thermal solve (with the ``zth_*`` decades): a study that
#: names none of them skips it (:func:`fea.package.analyse.wants_thermal`).
THERMAL_OUTPUTS = frozenset(
    {
        "Tj_max_C",
        "theta_ja_K_per_W",
        "psi_jt_K_per_W",
        "theta_jc_K_per_W",
        "die_spread_K",
        "theta_jma_K_per_W",
        "theta_jb_K_per_W",
        "psi_jb_K_per_W",
        "hotspot_C",
        "Tj_over_limit_flag",
        "Tj_peak_C",
        "sf_R_total_K_per_W",
        *UNIFORM_H_OUTPUTS.values(),
    }
)
#: The outputs of a study that names none (the JEDEC names follow the environment:
#: :data:`UNIFORM_H_OUTPUTS`).
DEFAULT_OUTPUTS = OUTPUTS[:7]


#: Earlier output names, still accepted: old name -> the outputs it stands for.
OUTPUT_ALIASES: dict[str, tuple[str, ...]] = {
    "Tj_max": ("Tj_max_C",),
    "theta_ja": ("theta_ja_K_per_W",),
    "psi_jt": ("psi_jt_K_per_W",),
    "theta_jc": ("theta_jc_K_per_W",),
    "curvature": ("curvature_1_per_m",),
    "von_mises_max": ("von_mises_max_MPa",),
    "interface_traction_max": ("peel_max_MPa", "shear_max_MPa"),
}


#: JEDEC environments of ``[environment] kind`` (see :mod:`fea.package.jedec`).
ENVIRONMENTS = ("uniform_h", "still_air", "forced_air", "junction_to_board")


#: Board stacks of ``[geometry.board] stack``: the board's material as given, the
#: JESD51-7 2s2p stack, or the layers listed in the spec.
BOARD_STACKS = ("material", "jesd51_7", "layers")


#: Default hemispherical emissivity per exposed region: bare electroformed copper lightly
#: oxidised, SAC solder, mold compound, polyimide and solder-mask-covered FR-4 (Incropera
#: Table A.11; Madding, Emissivity measurement and temperature correction accuracy
#: considerations, Proc. SPIE 3700 (1999)). ``"*"``: any other region.
DEFAULT_EMISSIVITY: dict[str, float] = {
    "shell": 0.10,
    "rim_bond": 0.10,
    "terminals": 0.10,
    "vias": 0.10,
    "encapsulant": 0.90,
    "dielectric": 0.85,
    "board": 0.90,
    "board_vias": 0.90,
    "*": 0.90,
}
