"""The reference of every spec key (``docs/spec.md``), generated from the schema.

The :class:`~fea.package.spec.reader.Section` getters record each key they read --
kind, default, bounds, choices -- while :func:`spec_reference` parses a few example
studies that between them use every section; the records become one table per
section. What a key means comes from :data:`MEANINGS` (a key without one is listed
with an empty meaning, so a new key shows up in the reference as soon as the schema
reads it). ``python scripts/gen_spec_doc.py`` rewrites ``docs/spec.md``;
``tests/package/test_spec_reference.py`` checks it is current.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from .reader import KeyRecord, recording

__all__ = ["EXAMPLES", "MEANINGS", "collect_keys", "key_unit", "spec_reference"]

#: Example studies (TOML as dicts) that together read every key of the schema.
EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "study": {"name": "reference"},
        "geometry": {
            "openings": {"sides": {"xmin": {"kind": "holes", "width_mm": 0.3}}},
            "board": {
                "enabled": True,
                "stack": "layers",
                "copper_um": [35.0, 35.0],
                "coverage": [0.5, 1.0],
                "thermal_vias": {"pitch_mm": 1.0, "zone_mm": [6.0, 6.0]},
            },
            "vias": {"enabled": True},
        },
        "environment": {"kind": "still_air", "emissivity": {"encapsulant": 0.9}},
        "materials": {
            "shell": "cu",
            "encapsulant": "emc",
            "library": {
                "cu": {
                    "base": "copper",
                    "E_GPa": 120.0,
                    "nu": 0.34,
                    "alpha_ppm": 17.0,
                    "k": 390.0,
                    "rho": 8900.0,
                    "cp": 385.0,
                    "yield_MPa": 250.0,
                    "solidus_C": 1083.0,
                    "source": "a datasheet",
                },
                "emc": {
                    "E_MPa": {"T_C": [25.0, 200.0], "values": [20000.0, 1000.0]},
                    "nu": 0.3,
                    "alpha_ppm": 10.0,
                    "alpha_kind": "secant",
                    "alpha_ref_C": 25.0,
                    "k": 0.9,
                    "shrinkage": 0.003,
                    "Tg_C": 130.0,
                },
            },
        },
        "loads": {
            "reflow_C": [25.0, 260.0, 25.0],
            "power_map": {"rectangles": [{"x_mm": [-1.0, 1.0], "y_mm": [-1.0, 1.0], "W": 1.0}]},
        },
        "transient": {
            "duration_s": 100.0,
            "first_output_s": 1e-5,
            "outputs": 200,
            "power_t_s": [0.0, 10.0, 10.0, 100.0],
            "power_W": [1.5, 1.5, 0.0, 0.0],
            "probes_mm": {"case_top": [0.0, 0.0, 0.7]},
            "conductivity_at": "steady",
            "method": "reduced",
            "fields": 12,
            "structure_function": False,
        },
        "theta_jc": {"method": "dual_interface", "contact_h": [2000.0, 50000.0]},
        "limits": {"Tj_max_C": 125.0},
        "outputs": {"warpage_limits_um": [-80.0, 80.0]},
        "sweep": {
            "kind": "grid",
            "parameters": {"geometry.shell_thickness_um": [35.0, 50.0]},
            "group": "auto",
        },
    },
    {
        "study": {"name": "moisture"},
        "materials": {
            "shell": "cu_ep",
            "library": {
                "cu_ep": {
                    "base": "copper",
                    "plasticity": {"hardening_MPa": 1000.0, "kinematic_MPa": 0.0},
                }
            },
        },
        "moisture": {
            "soak": {"T_C": 85.0, "RH": 0.85, "hours": 168.0, "name": "soak85"},
            "reflow": {
                "points_s_C": [[0.0, 25.0], [100.0, 260.0], [200.0, 25.0]],
                "ambient_C": 25.0,
                "ambient_RH": 0.6,
                "name": "oven",
            },
            "exposed": ["exterior"],
            "outputs": 30,
            "vapour_model": "henry",
            "void_fraction": 0.05,
            "swelling": True,
            "split_p2": False,
            "materials": {
                "encapsulant": {
                    "D0_m2_per_s": 1e-5,
                    "Ea_J_per_mol": 45000.0,
                    "Csat_kg_per_m3": 6.0,
                    "T_ref_C": 85.0,
                    "RH_ref": 0.85,
                    "Es_J_per_mol": 40000.0,
                    "CME_m3_per_kg": 2e-4,
                    "impermeable": False,
                    "source": "a datasheet",
                },
            },
        },
    },
    {
        "study": {"name": "contacts"},
        "geometry": {"board": {"enabled": True}},  # [cycling]: a unit on its board
        "loads": {"die_power": "active_face"},
        "contacts": {"die|die_attach": {"R_mm2K_per_W": 10.0}},
        "cycling": {
            "condition": "G",
            "cycles": 3,
            "ramp_K_per_min": 10.0,
            "dwell_s": 900.0,
            "stress_free_C": 217.0,
            "solder": "SAC305_Motalab2012",
            "board_size_mm": [20.0, 20.0],
            "layer_um": 25.0,
            "side": "board",
            "darveaux": "SnPb_Darveaux2000_25um",
            "symmetry": "none",
            "first": "cold",
            "ramp_points": 1,
            "dwell_points": 6,
            "max_step_K": 5.0,
            "inelastic_step_tol": 2e-3,
            "newton_rtol": 1e-8,
            "newton_dtol": 1e-6,
            "newton_factor_precision": "auto",
            "pad_diameter_mm": 0.4,
            "models": ["darveaux", "syed", "engelmaier"],
            "delta_alpha_ppm_per_K": 7.0,
            "engelmaier_factor": 1.0,
        },
    },
    {
        "study": {"name": "tc"},
        "geometry": {"board": {"enabled": True}},
        "cycling": {"t_min_C": -55.0, "t_max_C": 125.0},
    },
    {
        "study": {"name": "own"},
        "geometry": {
            "kind": "mesh",
            "path": "own.msh",  # written next to the study by collect_keys
            "unit": "mm",
            "allow_outside": False,
            "regions": {"dielectric": ["carrier"]},
            "roles": {"junction": "die", "top": "auto", "board": ""},
        },
    },
    {
        "study": {"name": "ctm"},
        "ctm": {
            "two_resistor": True,
            "delphi": True,
            "conditions": [
                {"top": 10.0, "bottom": 1000.0, "sides": 10.0},
                {"top": 1000.0, "bottom": 10.0, "sides": 10.0},
                {"top": 100.0, "bottom": 100.0, "sides": 100.0},
            ],
            "holdout": 3,
            "inner_scale": 1.2,
            "junction": {"region": "die", "statistic": "max"},
            "networks": ["foster", "cauer"],
            "formats": ["spice", "csv", "ecxml"],
            "nodes": {
                "top": {"face": "top", "boundaries": ["top_inner", "top_outer"]},
                "bottom": {"face": "bottom", "boundaries": ["bottom_inner", "bottom_outer"]},
                "sides": {"face": "sides", "boundaries": ["sides"]},
            },
        },
    },
    {"study": {"name": "panel", "kind": "panel"}},
    {"study": {"name": "grid"}, "loads": {"power_map": {"grid_W": [[0.5, 0.5], [0.2, 0.3]]}}},
    {"study": {"name": "csv"}, "loads": {"power_map": {"csv": "die_power_map.csv"}}},
    {
        "study": {"name": "tc_soak"},
        "geometry": {"board": {"enabled": True}},
        "cycling": {"condition": "G", "soak_mode": 2},
    },
    {
        "study": {"name": "process"},
        "materials": {
            "encapsulant": "emc",
            "library": {
                "emc": {
                    "base": "mold_compound_visco",
                    "relaxation": {"g": [0.5, 0.4], "tau_s": [1.0, 100.0]},
                    "bulk_relaxation": {"g": [0.2], "tau_s": [10.0]},
                    "shift": {"kind": "WLF", "C1": 17.44, "C2": 51.6, "T_ref_C": 130.0},
                },
                "emc2": {
                    "base": "mold_compound_visco",
                    "shift": {"kind": "Arrhenius", "activation_K": 31400.0, "T_ref_C": 130.0},
                },
            },
        },
        "loads": {"reflow_C": [25.0, 260.0, 25.0]},
        "process": {
            "model": "history",
            "substeps": 1,
            "max_step_K": 10.0,
            "reflow_time_s": [0.0, 150.0, 300.0],
            "stages": [
                {"name": "load", "duration_s": 0.0, "temperature_C": 175.0},
                {
                    "name": "mould",
                    "duration_s": 120.0,
                    "temperature_C": 175.0,
                    "add": ["encapsulant"],
                    "remove": [],
                    "cure": ["encapsulant"],
                    "steps": 4,
                },
            ],
        },
    },
)

_SECTIONS = (
    "study",
    "geometry",
    "mesh",
    "materials",
    "loads",
    "environment",
    "process",
    "transient",
    "theta_jc",
    "limits",
    "moisture",
    "cycling",
    "contacts",
    "ctm",
    "solver",
    "sweep",
    "outputs",
)

#: Units of keys without a unit suffix.
_BARE_UNITS = {
    "loads.h": "W/(m² K)",
    "loads.h_boundaries": "W/(m² K)",
    "theta_jc.contact_h": "W/(m² K)",
    "materials.library.<name>.k": "W/(m K)",
    "materials.library.<name>.rho": "kg/m³",
    "materials.library.<name>.cp": "J/(kg K)",
    "moisture.soak.RH": "1",
    "moisture.reflow.ambient_RH": "1",
    "moisture.materials.<region>.D0_m2_per_s": "m²/s",
    "moisture.materials.<region>.Ea_J_per_mol": "J/mol",
    "moisture.materials.<region>.Es_J_per_mol": "J/mol",
    "moisture.materials.<region>.Csat_kg_per_m3": "kg/m³",
    "moisture.materials.<region>.CME_m3_per_kg": "m³/kg",
    "moisture.materials.<region>.RH_ref": "1",
    "moisture.void_fraction": "1",
    "contacts.<a|b>.R_mm2K_per_W": "mm² K/W",
    "cycling.delta_alpha_ppm_per_K": "ppm/K",
    "cycling.ramp_K_per_min": "K/min",
    "cycling.inelastic_step_tol": "1",
    "cycling.newton_rtol": "1",
    "cycling.newton_dtol": "1",
    "ctm.conditions": "W/(m² K)",
    "moisture.soak.hours": "h",
    "geometry.board.laminate_k": "W/(m K)",
    "loads.power_map.rectangles[i].W": "W",
}
_SUFFIX_UNITS = {
    "_m_s": "m/s",
    "_s": "s",
    "_mm": "mm",
    "_um": "µm",
    "_C": "°C",
    "_K": "K",
    "_W": "W",
    "_GHz": "GHz",
    "_GPa": "GPa",
    "_MPa": "MPa",
    "_ppm": "ppm/K",
}

#: What each key means (keys normalised: ``<name>`` for a library material, ``<side>``
#: for one side wall).
MEANINGS: dict[str, str] = {
    "study.name": "name of the study (default: the file name); names the output folder",
    "study.kind": "`unit`: one package (optionally on a board); `panel`: the panel process",
    "geometry.kind": "`builtin`: the shielded package built from these keys; `mesh`: the "
    "user's own model from a gmsh .msh file with physical groups; `step`: from a STEP file, "
    "meshed at mesh.size_mm (docs/own_geometry.md)",
    "geometry.path": "the .msh or STEP file (kind = mesh or step), relative to the study file",
    "geometry.unit": "length unit of the file's coordinates",
    "geometry.allow_outside": "read a geometry file outside the study file's folder",
    "geometry.regions": "region -> the file's 3D physical groups (mesh) or solids (step) that "
    "make it, by number or name, e.g. die = [3], dielectric = ['substrate']; unlisted "
    "volumes are regions of their own names (letters, digits, _ and -), each with a "
    "[materials] key unless it is a built-in region name",
    "geometry.roles.junction": "the region Tj is read in (any region; the power map and "
    "loads.die_power = 'active_face' need it named die)",
    "geometry.roles.top": "the face whose warpage is reported and which theta_JC holds: a 2D "
    "physical group of the file, or `auto` (outer faces facing +z at the top)",
    "geometry.roles.board": "the board region, left out of the warpage model ('' for none; "
    "default board when the model has one)",
    "geometry.cavity_mm": "inside of the shell, x and y",
    "geometry.cavity_depth_mm": "depth of the cavity (dielectric to the bottom wall)",
    "geometry.shell_thickness_mm": (
        "thickness of the shell's walls and bottom wall; every layer and gap of the "
        "built-in geometry is at least 0.1 um (what the mesher resolves)"
    ),
    "geometry.corner_radius_mm": (
        "inner corner radius of the shell (0: sharp); the die's corners, the outermost "
        "openings and the corner terminals must clear the arcs"
    ),
    "geometry.dielectric_thickness_mm": "polyimide dielectric spanning the cavity opening",
    "geometry.exterior_thickness_mm": "encapsulant on the outside of the side walls (0: none)",
    "geometry.frequency_GHz": "operating frequency, for the aperture rule (openings < lambda/2, "
    "lambda = c / f in free space: the encapsulant in the openings is not counted)",
    "geometry.aperture_rule": "what an opening of lambda/2 or more does: nothing, warn, fail",
    "geometry.die.size_mm": "die size, x and y (centred)",
    "geometry.die.thickness_mm": "die thickness",
    "geometry.die_attach.thickness_mm": "die-attach layer between die and dielectric (0: none)",
    "geometry.openings.kind": "side-wall openings: rectangular slots, round holes, pillars "
    "(the wall as a row of posts) or none",
    "geometry.openings.count": "openings per side",
    "geometry.openings.width_mm": "opening width (hole diameter, gap between pillars)",
    "geometry.openings.height_mm": "slot height (not used by holes and pillars: set for them "
    "alone, refused; in a sweep over kind, a warning naming the cases)",
    "geometry.openings.z0_mm": "height of the openings' lower edge above the dielectric (not "
    "used by pillars, full-height gaps: set for them alone, refused)",
    "geometry.openings.sides.<side>.kind": "the same keys for one side (xmin, xmax, ymin, "
    "ymax), overriding the common ones",
    "geometry.openings.sides.<side>.count": "openings on this side",
    "geometry.openings.sides.<side>.width_mm": "opening width on this side",
    "geometry.openings.sides.<side>.height_mm": "slot height on this side (not used by holes "
    "and pillars)",
    "geometry.openings.sides.<side>.z0_mm": "lower edge of this side's openings (not used by "
    "pillars)",
    "geometry.terminals.kind": "terminals on the dielectric's outer face: solder balls, flat "
    "pads or none",
    "geometry.terminals.diameter_mm": "ball (or pad) diameter",
    "geometry.terminals.standoff_mm": "ball height: dielectric to board (the ball cut to it "
    "at both pads, at least 0.2 um below its diameter)",
    "geometry.terminals.pitch_mm": "terminal pitch",
    "geometry.terminals.rows": "rows of the full terminal array",
    "geometry.terminals.cols": "columns of the full terminal array",
    "geometry.terminals.pad_thickness_mm": "pad thickness (kind = pads)",
    "geometry.board.stack": "board conductivity: the board material as given, the JESD51-7 2s2p "
    "copper stack, or the copper layers listed here (homogenised, orthotropic)",
    "geometry.board.copper_um": "copper layer thicknesses, top to bottom (stack = layers)",
    "geometry.board.coverage": "copper coverage of each layer, 0..1 (stack = jesd51_7: trace "
    "layers 10 %, planes solid unless given)",
    "geometry.board.laminate_k": "laminate conductivity in plane and through, W/(m K)",
    "geometry.board.thermal_vias.pitch_mm": "thermal-via pitch under the package",
    "geometry.board.thermal_vias.drill_mm": "thermal-via drill diameter",
    "geometry.board.thermal_vias.plating_mm": "thermal-via copper plating thickness",
    "geometry.board.thermal_vias.filled": "vias filled with copper (else plated only)",
    "geometry.board.thermal_vias.zone_mm": "via zone size x, y (default the package body)",
    "geometry.vias.enabled": "copper pad on each face of the dielectric and a filled via per "
    "terminal; a study without a [geometry.vias] table has none, one with the table has them "
    "unless enabled = false",
    "geometry.vias.pad_diameter_mm": "pad diameter",
    "geometry.vias.pad_thickness_mm": "pad thickness",
    "geometry.vias.via_diameter_mm": "via diameter",
    "environment.kind": "uniform_h (loads.h on exposed faces), still_air (JESD51-2: natural "
    "convection by face orientation plus radiation, iterated), forced_air (JESD51-6), "
    "junction_to_board (JESD51-8 ring cold plate)",
    "environment.emissivity": "hemispherical emissivity per region, 0..1 (defaults per material)",
    "environment.velocity_m_s": "air velocity of forced air",
    "environment.flow": "flow direction of forced air, x or y",
    "environment.cold_plate_C": "cold-plate temperature (default the ambient)",
    "environment.ring_offset_mm": "ring cold plate's opening: package body / 2 + this offset "
    "(its edge on the board, not within 20 um of the board's edge or another face of the board)",
    "environment.board_point_offset_mm": "where T_board is read: board top, package edge + "
    "this offset",
    "geometry.board.enabled": "false: no board even though the table is present",
    "geometry.board.size_mm": "test board size, x and y (JEDEC 2s2p: 76.2 x 114.3)",
    "geometry.board.thickness_mm": "board thickness",
    "geometry.board.rim_bond": (
        "bond the shell's rim to the board: the side walls reach z = 0 with the dielectric "
        "inside them, in every model of the unit (the warpage model, theta_JC's package "
        "and the compact models, which leave the board out, keep these walls)"
    ),
    "geometry.board.rim_bond_width_mm": (
        "width of the rim bond, a ring centred on the side walls (which then reach z = 0; "
        "with corner_radius_mm its corners follow theirs): at least the shell thickness, it "
        "must clear the terminals and lie on the board"
    ),
    "geometry.panel.nx": "depressions along x",
    "geometry.panel.ny": "depressions along y",
    "geometry.panel.pitch_mm": "pitch of the depressions",
    "geometry.panel.margin_mm": "sheet beyond the outer depressions",
    "geometry.panel.mandrel_thickness_mm": "mandrel (support plate) thickness",
    "geometry.panel.recess_depth_mm": "depth of the mandrel's recesses",
    "geometry.panel.kerf_mm": "saw kerf between units at singulation",
    "geometry.panel.stage": "process stage: on the mandrel, released, singulated",
    "geometry.panel.singulated_units": "after singulation model all units or one",
    "geometry.panel.pathways": "encapsulant pathways between depressions (through the dams, "
    "one per unit span, shaped as the xmin wall's openings; closed walls, kind 'none' or "
    "count 0 alike: a default 0.5 x 0.2 mm slot)",
    "geometry.panel.hollow_walls": "hollow side walls (filled by the cover layer)",
    "geometry.panel.cover_thickness_mm": "cover layer over hollow walls",
    "mesh.size_mm": "element size in the package",
    "mesh.board_size_mm": "element size in the board away from the package (one below "
    "size_mm gives size_mm)",
    "mesh.opening_size_mm": "element size around the side-wall openings (default: half the "
    "smallest opening dimension, a slot's width or height, a hole's or gap's width; at most "
    "size_mm)",
    "mesh.terminal_size_mm": "element size in the terminals (default: a quarter of their "
    "diameter; at most size_mm)",
    "mesh.film_size_mm": "in-plane size in the dielectric and die attach (default: 3 x the "
    "thicker film; sets Tj's accuracy)",
    "mesh.layers_through_thickness": "elements through each thin layer (the shell, "
    "dielectric and die attach are built as this many sub-layers, each at least 0.1 um)",
    "mesh.order": "2: quadratic tetrahedra; 1: linear, which lock in the thin shell "
    "(warpage far off, even of the wrong sign: quick checks only)",
    "mesh.algorithm": "gmsh 3D algorithm",
    "mesh.threads": "gmsh threads (0: one, as gmsh's threads next to MKL's crashed)",
    "mesh.optimize": "gmsh mesh optimisation",
    "mesh.symmetry": "none, half (x >= 0), quarter (x, y >= 0) or eighth (0 <= y <= x, the "
    "plane x = y held by u . n = 0 in nodal frames; a square unit or a square panel): the "
    "mechanical models (warpage, process history with its births, panel stages and "
    "process, cycling) and the [moisture] run solved on the cut model with zero normal "
    "displacement (and no moisture flux) on the symmetry planes, every metric the full "
    "body's (a born region continues the full body's displacement; the units of a "
    "singulated panel keep the full body's rigid motions; water in mg scaled to the full "
    "body); the thermal solve stays full; refused: asymmetric openings or power map, one "
    "singulated unit of an even count, a model read from a file; eighth also refused for "
    "a case not symmetric about x = y (cavity, die, terminal rows and columns of a unit, "
    "openings, board, power map, a panel's ny not its nx)",
    "materials.shell": "material of the region: a library name (`fea materials`) or a "
    "[materials.library] entry; the same for every region below, and for each region of "
    "a model read from a file (by its own name, docs/own_geometry.md)",
    "materials.dielectric": "dielectric material",
    "materials.die": "die material",
    "materials.die_attach": "die-attach material",
    "materials.encapsulant": "encapsulant material (its Tg densifies the reflow profile)",
    "materials.terminals": "terminal material",
    "materials.board": "board material",
    "materials.rim_bond": "rim-bond material",
    "materials.mandrel": "mandrel material",
    "materials.cover": "cover-layer material",
    "materials.vias": "material of the dielectric's pads and vias",
    "materials.board_vias": "material of the board's thermal-via zone (homogenised)",
    "materials.library.<name>.base": "library material whose values the others override",
    "materials.library.<name>.E_GPa": "Young's modulus: a number or a table "
    "{T_C = [...], values = [...]}",
    "materials.library.<name>.E_MPa": "Young's modulus in MPa (instead of E_GPa)",
    "materials.library.<name>.E_MPa.T_C": "table temperatures, increasing",
    "materials.library.<name>.E_MPa.values": "table values at those temperatures",
    "materials.library.<name>.nu": "Poisson's ratio",
    "materials.library.<name>.alpha_ppm": "CTE: a number or a table {T_C, values}, -1000 to "
    "1e4 ppm/K (zero and negative expansion included)",
    "materials.library.<name>.alpha_kind": "a CTE table is instantaneous (d strain / dT) "
    "or secant (mean from alpha_ref_C)",
    "materials.library.<name>.alpha_ref_C": "reference temperature of a secant CTE",
    "materials.library.<name>.k": "thermal conductivity: a number, a table or [kx, ky, kz]",
    "materials.library.<name>.rho": "density (a new material without it: a placeholder 1000, "
    "noted by transients and left out of moisture_gain_pct)",
    "materials.library.<name>.cp": "specific heat (a new material without it: a placeholder "
    "1000, noted by transients)",
    "materials.library.<name>.shrinkage": "volumetric cure shrinkage (0.003 = 0.3 %)",
    "materials.library.<name>.Tg_C": "glass transition temperature",
    "materials.library.<name>.yield_MPa": "0.2 % proof stress, for the yield check of metals",
    "materials.library.<name>.solidus_C": "solidus of an alloy that melts in the process "
    "(a solder; sac305: 217): above it the region is noted molten, not checked for yield",
    "materials.library.<name>.plasticity.hardening_MPa": "linear isotropic hardening modulus "
    "dσ_y/dε_p (0: perfectly plastic)",
    "materials.library.<name>.plasticity.kinematic_MPa": "linear kinematic (Prager) hardening "
    "modulus (Bauschinger effect under cycling)",
    "loads.die_power": "where the die's power is made: auto (the active face where the model has "
    "one, else the volume), active_face (a uniform flux P/A on the die's face toward the "
    "attach: the transistors' layer) or volume (through the die)",
    "cycling.condition": "JESD22-A104 condition letter (e.g. G: -40/+125 C) or IPC-9701 TC1..TC5",
    "cycling.t_min_C": "cold extreme (instead of condition)",
    "cycling.t_max_C": "hot extreme (instead of condition)",
    "cycling.cycles": "cycles run; the last one is evaluated",
    "cycling.ramp_K_per_min": "ramp rate between the extremes (0.01 to 1e4 K/min)",
    "cycling.dwell_s": "dwell at each extreme (default: JESD22-A104 soak mode 4, 15 min)",
    "cycling.stress_free_C": "temperature at which the joints are stress free (default: "
    "the solder's solidus, fea.package.spec.cycling.SOLDER_SOLIDUS_C; at most it)",
    "cycling.solder": "Anand parameter set of the joints (fea.physics.inelastic.ANAND_SETS)",
    "cycling.board_size_mm": "board coupon of the mechanical model (default: the board's size)",
    "cycling.layer_um": "thickness of Darveaux's interface layer at the pad",
    "cycling.side": "the pad whose layer is averaged: board or package",
    "cycling.darveaux": "Darveaux constants (fea.physics.fatigue.DARVEAUX_SETS)",
    "cycling.symmetry": (
        "none, half (x >= 0), quarter (x, y >= 0) or eighth (0 <= y <= x, a square case) "
        "model with symmetry planes"
    ),
    "cycling.soak_mode": "JESD22-A104 soak mode 1-4 (1, 5, 10, 15 min dwells) instead of dwell_s",
    "cycling.first": "the extreme each cycle starts at: cold or hot",
    "cycling.ramp_points": "profile points per ramp (more: finer reported states)",
    "cycling.dwell_points": "time steps per dwell, each 1.25x the last (the first the shortest: "
    "the solder relaxes fastest at the start of a dwell)",
    "cycling.max_step_K": "largest temperature change of one time step on the ramps",
    "cycling.inelastic_step_tol": "adaptive time steps (opt-in): target largest equivalent "
    "inelastic strain increment of a step, e.g. 2e-3 (default: fixed steps)",
    "cycling.newton_rtol": "Newton's force tolerance: the out-of-balance force of a step at "
    "most this fraction of its force scale (looser: faster, e.g. 1e-6 moved Delta W by 5e-5)",
    "cycling.newton_factor_precision": "the kept tangent factorisation that preconditions "
    "Newton's PCG: single (float32 Pardiso: back-substitutions in about 0.65 of the time, "
    "PCG still to its tolerance), double, or auto (single from 50,000 unknowns)",
    "cycling.newton_dtol": "Newton's displacement tolerance: the estimated error of the "
    "iterate at most this fraction of the displacement",
    "cycling.pad_diameter_mm": "pad diameter for Darveaux's crack length (default: the "
    "joints' contact diameter at the pads: a ball's 2 sqrt((d/2)^2 - (standoff/2)^2), a "
    "pad's diameter)",
    "cycling.models": "life models estimated: darveaux, syed, engelmaier",
    "cycling.delta_alpha_ppm_per_K": "package/board CTE mismatch, Engelmaier's input (needed "
    "when models lists engelmaier)",
    "cycling.engelmaier_factor": "Engelmaier's empirical factor F, 0.5 to 1.5 (IPC-D-279: 1 "
    "for leadless parts, about 0.7-1.2 for others)",
    "contacts.<a|b>": "thermal contact (TIM) on the interface a|b, a table {R_mm2K_per_W}",
    "contacts.<a|b>.R_mm2K_per_W": "contact resistance per area, a thin layer not meshed "
    "(docs/thermal_contact.md)",
    "ctm.two_resistor": "build the JESD15-3 two-resistor model (theta_JC, theta_JB of the "
    "package alone; docs/ctm.md)",
    "ctm.delphi": "fit the JESD15-4 DELPHI boundary-condition-independent network",
    "ctm.conditions": "DELPHI boundary conditions: 'delphi38' (the 38-set, 29 rows without "
    "leads) or a list of tables {top, bottom, sides, leads} of h (0 adiabatic, inf isothermal)",
    "ctm.holdout": "every n-th condition is held out of the fit and only checked (0: none)",
    "ctm.inner_scale": "side of the inner squares splitting the top and bottom faces (surface "
    "nodes *_inner, *_outer) over the die's side; at most 90 % of the cavity",
    "ctm.junction.region": "region whose temperature is the junction's",
    "ctm.junction.statistic": "max (its hottest node) or mean (its nodal mean)",
    "ctm.networks": "heating-curve networks written with a [transient]: foster, cauer",
    "ctm.formats": "files written: spice (.cir), csv (the networks), ecxml (JEP181-style XML)",
    "ctm.nodes.<node>.face": "a surface node's face class (whose h it takes): top, bottom, "
    "sides or leads; default nodes: top_inner, top_outer, bottom_inner, bottom_outer, sides, "
    "leads of the built geometry",
    "ctm.nodes.<node>.boundaries": "the mesh boundaries the node is made of",
    "moisture.soak": "J-STD-020 soak preset (MSL1 ... MSL5a, *_accelerated, bake_125C_24h) or a "
    "table {T_C, RH, hours ('inf': to equilibrium), name}",
    "moisture.soak.T_C": "soak temperature",
    "moisture.soak.RH": "soak relative humidity, 0..1",
    "moisture.soak.hours": "soak duration, or 'inf' for equilibrium",
    "moisture.soak.name": "label of the soak",
    "moisture.reflow": "reflow after the soak: a J-STD-020 preset (JSTD020_PbFree_260, "
    "_250, _245, JSTD020_SnPb_235, _220), JSTD020_PbFree or JSTD020_SnPb (the preset of "
    "the model's body's classification temperature, J-STD-020E Tables 4-2 / 4-1 by its "
    "thickness and volume: fea.package.moisture.body_classification), 'none', or a table",
    "moisture.reflow.points_s_C": "[t_s, T_C] points of the profile, from t = 0",
    "moisture.reflow.ambient_C": "air temperature that sets the oven air's water",
    "moisture.reflow.ambient_RH": "air relative humidity at ambient_C",
    "moisture.reflow.name": "label of the profile",
    "moisture.exposed": "boundaries open to the air (the rest sealed)",
    "moisture.outputs": "states reported per soak (log-spaced)",
    "moisture.split_p2": "on a P2 mesh, the diffusion on the linear mesh of its nodes (8 "
    "children per element): far less overshoot in reflow steps, 2-3 x faster, linear "
    "accuracy in a soak (docs/moisture.md)",
    "moisture.vapour_model": "interface vapour pressure: henry (dissolved water) or ideal_gas "
    "(water in voids of void_fraction), at most p_sat",
    "moisture.void_fraction": "void volume fraction of the ideal-gas vapour model",
    "moisture.swelling": "add the soaked state's swelling CME·C to the warpage (wet_<T>C states)",
    "moisture.materials.<region>": "a library name, or a table of the properties below",
    "moisture.materials.<region>.D0_m2_per_s": "diffusivity prefactor of D = D0 exp(-Ea/RT) "
    "(required unless impermeable; then 0 or left out)",
    "moisture.materials.<region>.Ea_J_per_mol": "activation energy of the diffusivity "
    "(required unless impermeable; epoxies about 40e3-50e3)",
    "moisture.materials.<region>.Csat_kg_per_m3": "saturated concentration at T_ref_C, RH_ref "
    "(required unless impermeable; then 0 or left out)",
    "moisture.materials.<region>.T_ref_C": "temperature of Csat",
    "moisture.materials.<region>.RH_ref": "relative humidity of Csat",
    "moisture.materials.<region>.Es_J_per_mol": "heat of solution (Csat's temperature "
    "dependence, Henry's law; required unless impermeable; epoxies about 40e3)",
    "moisture.materials.<region>.CME_m3_per_kg": "coefficient of moisture expansion (swelling "
    "strain CME·C)",
    "moisture.materials.<region>.impermeable": "takes no water (metals, silicon): D0, Csat, "
    "CME, Ea and Es may be left out (a nonzero D0, Csat or CME is refused)",
    "moisture.materials.<region>.source": "where the numbers come from",
    "materials.library.<name>.source": "where the numbers come from",
    "loads.power_W": "power per region, e.g. { die = 1.5 }",
    "loads.ambient_C": "ambient temperature",
    "loads.h": "convection coefficient on the exposed faces",
    "loads.h_boundaries": "convection coefficient per named boundary",
    "loads.fixed_C": "fixed temperature per named boundary",
    "loads.reference_C": "stress-free temperature: one value or per region, "
    '{ encapsulant = 175, "*" = 25 }',
    "loads.cure_shrinkage": "apply the materials' cure shrinkage",
    "loads.warpage_temperatures_C": "uniform temperatures of the warpage states",
    "loads.reflow_C": "a reflow profile (temperatures in order); warpage along it",
    "loads.reflow_Tg_step_K": "reflow points around the encapsulant's Tg, Tg + k step for "
    "k = -2..2 on each leg that crosses it (0: none)",
    "loads.power_map.rectangles": "the die's power as rectangles on its active face "
    "(instead of a region source): a list of {x_mm, y_mm, W}; the regions' power_W adds",
    "loads.power_map.rectangles[i].x_mm": "x range [x0, x1] on the die (package coordinates, "
    "die centred at 0)",
    "loads.power_map.rectangles[i].y_mm": "y range [y0, y1] on the die",
    "loads.power_map.rectangles[i].W": "power of the rectangle, spread uniformly over it",
    "loads.power_map.grid_W": "the die's active face as a grid of cells, W per cell; rows "
    "from the die's -y edge to +y, columns from -x to +x",
    "loads.power_map.csv": "the grid as a CSV file (W per cell, 0 to 1e4 W, # comments), "
    "relative to the study file and in its folder or below; at most 16 MiB (docs/paths.md)",
    "loads.power_map.allow_outside": "read loads.power_map.csv even when it lies outside the "
    "study file's folder (a shared study file reads no other file by default)",
    "transient.duration_s": "end of the heating curve (the board's time constant is ~1e3 s)",
    "transient.first_output_s": "first output time; the outputs are log-spaced from it to "
    "duration_s (at most duration_s / 100)",
    "transient.outputs": "number of output times (Zth points), 16..100000",
    "transient.power_t_s": "times of a power profile (piecewise linear, a repeated time is a "
    "jump); without it a step of the loads' power at t = 0 (Zth)",
    "transient.power_W": "total power at power_t_s, spread over the sources as the loads are",
    "transient.probes_mm": "name -> [x, y, z] points whose temperature (and Zth) is reported "
    "with the junction's",
    "transient.conductivity_at": "steady: k(T) held at the steady field of the full power (Zth "
    "ends at theta_JA); initial: at the ambient (small-signal response)",
    "transient.method": "reduced (rational Krylov model, exact in time) or steps (adaptive "
    "backward Euler extrapolated to second order, local error within 1 % of the rise so far: "
    "Zth within 0.2 % of a 1-D slab's from 1 us on, at several times the cost)",
    "transient.fields": "whole temperature fields kept in the results file (log-spaced)",
    "transient.structure_function": "compute the JESD51-14 structure function of the "
    "junction's Zth (a power step only)",
    "theta_jc.method": "dual_interface (JESD51-14: the structure functions of two case contacts "
    "part at the case) or fixed_case (steady, rear face held at ambient)",
    "theta_jc.contact_h": "the two case-to-cold-plate contact conductances [dry, greased] "
    "[W/(m² K)] of the dual-interface method",
    "limits.Tj_max_C": "junction-temperature limit: a case over it gets Tj_over_limit_flag = 1 "
    "and a warning in the summary",
    "process.model": "history (one mechanical state carried through the stages and the "
    "reflow: births, removals, viscoelastic relaxation; docs/history.md) or independent "
    "(each state alone, elastic, stress free at reference_C)",
    "process.substeps": "least time steps per stage and per reflow interval",
    "process.max_step_K": "largest temperature change of one time step",
    "process.reflow_time_s": "time of each loads.reflow_C point after the end of the last "
    "stage (required with reflow_C and model = history; the first, usually 0, is the "
    "reflow's start: give it a few seconds when reflow_C[0] is not the last stage's "
    "temperature, or the change is instantaneous and the two states share a time; points "
    "inserted around Tg are interpolated)",
    "process.stages": "the process stages in order ([[process.stages]]); each stage's end "
    "is a state of its name",
    "process.stages[i].name": "the stage's name (its state's label in the table and the "
    "results file), distinct per stage",
    "process.stages[i].duration_s": "duration of the stage (>= 0)",
    "process.stages[i].temperature_C": "uniform temperature at the stage's end, reached "
    "linearly in time (the first stage's is the start temperature)",
    "process.stages[i].add": "regions born at the stage's start, stress free in the "
    "deformed body (absent before)",
    "process.stages[i].remove": "regions removed at the stage's start (their stress goes, "
    "their tractions are released); 'kerf' is the panel's whole kerf",
    "process.stages[i].cure": "regions whose cure shrinkage develops over the stage",
    "process.stages[i].steps": "least time steps of the stage",
    "materials.library.<name>.relaxation.g": "Prony weights of the shear (or, without "
    "bulk_relaxation, the whole) relaxation modulus, each in (0, 1), sum < 1; E is then the "
    "instantaneous (glassy) modulus and E (1 - sum g) the relaxed one",
    "materials.library.<name>.relaxation.tau_s": "Prony relaxation times at the shift's "
    "T_ref_C, one per weight",
    "materials.library.<name>.bulk_relaxation.g": "Prony weights of the bulk modulus "
    "(default: nu constant, the bulk modulus relaxes with the shear modulus)",
    "materials.library.<name>.bulk_relaxation.tau_s": "relaxation times of the bulk series",
    "materials.library.<name>.shift.kind": "time-temperature shift: WLF or Arrhenius "
    "(thermorheologically simple)",
    "materials.library.<name>.shift.T_ref_C": "reference temperature of the shift (a_T = 1)",
    "materials.library.<name>.shift.C1": "WLF constant C1: log10 a_T = -C1 (T - T_ref) / "
    "(C2 + T - T_ref)",
    "materials.library.<name>.shift.C2": "WLF constant C2 [K]",
    "materials.library.<name>.shift.activation_K": "Arrhenius activation temperature E_a/R: "
    "ln a_T = E_a/R (1/T - 1/T_ref)",
    "solver.backend": "auto (GPU when one works), cpu or gpu",
    "solver.method": "auto, direct, amg (pyamg on the CPU, the device AMG on the GPU), "
    "amg-xp (the device AMG's array code run on the CPU: what auto takes for large "
    "elasticity), jacobi, or cudss (the cuDSS direct solver through nvmath-python, with "
    "backend = 'gpu'; an optional install)",
    "solver.rtol": "relative residual of every iterative solve of a case (the solves of "
    "solver.maxiter, the moisture soak and reflow and a born region's extension included). "
    "Not Newton's tolerances (cycling.newton_rtol; a correction's linear solve is forced "
    "by Newton) nor a reduced basis's (a moisture soak's 1e-9)",
    "solver.out_of_core": "auto, true or false: the CPU direct solver's factor in files "
    "(MKL Pardiso out of core) in a fresh folder inside the case folder (TMPDIR without "
    "one), removed afterwards; in core at most MKL_PARDISO_OOC_MAX_CORE_SIZE MB where set, "
    "else half the free memory. auto: where method = 'auto' finds that neither the "
    "in-core factor nor AMG-PCG fits in the free memory but the out-of-core factor does "
    "and its files fit on the disk (a solver error naming the disk space where they do not "
    "and nothing else fits); true: every direct factorisation",
    "solver.maxiter": "iteration limit of every iterative solve of a case (AMG-PCG, Jacobi-"
    "PCG): the steady thermal model, theta_JC (fixed case and dual interface), the Zth "
    "heating curve, elastic warpage, a process or elastic-plastic history's steps, the "
    "thermal cycling, the moisture soak and reflow, the compact models' detailed solves. "
    "Reached: a solver error naming solver.maxiter, its value and the solve (a history "
    "does not cut its step for it). PCG on a kept factorisation (a history's step near a "
    "cached one, 200; a Newton correction, 100; the compact models' shared solve, 500; a "
    "grouped case's kept factor) stops at the smaller of its own cap and this, then "
    "factorises and solves directly: no error. A direct solve takes no iterations",
    "sweep.kind": "grid (every combination), random (n samples) or explicit cases",
    "sweep.parameters": "dotted spec keys -> list of distinct values (grid) or [low, high] "
    "(random: uniform on the range, integers only for an integer key); not with kind = "
    "cases. A key no case reads is refused (a material no region is made of, a region the "
    "model lacks, an [environment] key its kind does not read); one some cases do not read "
    "is a warning naming them. A region's entry of a table the study leaves to its default "
    "(loads.power_W, loads.reference_C) replaces the default table",
    "sweep.n": "samples of a random sweep (random only)",
    "sweep.seed": "seed of a random sweep (random only)",
    "sweep.cases": "explicit cases, distinct: a list of tables of dotted keys -> values "
    "(kind = cases only)",
    "sweep.group": "auto (cases that differ only in materials.* and loads.*, which leave the "
    "mesh as it is, run in sequence in one worker on the mechanics solver setup of the "
    "group's first case) or off (every case on its own)",
    "outputs.metrics": "outputs for the summary and study plots (docs/outputs.md); the names "
    "before units (Tj_max, theta_ja, von_mises_max, interface_traction_max, ...) still work; "
    "under environment uniform_h the JEDEC theta_ja, psi_jt, psi_jb become R_ja_uniform_h, "
    "psi_jt_uniform_h, psi_jb_uniform_h (the default list too)",
    "outputs.field_plots": "draw each case's warpage, die-temperature and interface plots, "
    "and its curves' (heating curve, structure function, dual-interface theta_JC; those a "
    "[transient] case draws anyway)",
    "outputs.warpage_limits_um": "allowed signed warpage [concave, convex], e.g. [-80, 80]: "
    "lines on the reflow plot and warpage_limit_ratio",
    "outputs.interface_band_mm": "distance from an interface's edges of the band whose mean "
    "peel and shear are tabulated (the band spans 1 to 2 times this)",
    "outputs.common_scale": "one colour scale for all of a case's warpage maps",
    "outputs.warpage_face": "face a unit's warpage is measured on: top (the package top) or "
    "ball_side (the substrate's bottom face between the terminals, as a shadow-moire lab "
    "measures a BGA); JEDEC sign either way (+ convex seen from the top)",
}

_ORDER = {"section": 0, "value": 1, "list": 2, "table": 3}


def _normalise(key: str) -> str:
    key = re.sub(r"^materials\.library\.[^.]+", "materials.library.<name>", key)
    key = re.sub(
        r"^geometry\.openings\.sides\.(xmin|xmax|ymin|ymax)", r"geometry.openings.sides.<side>", key
    )
    key = re.sub(r"^moisture\.materials\.[^.]+", "moisture.materials.<region>", key)
    key = re.sub(r"^contacts\.[^.]+", "contacts.<a|b>", key)
    key = re.sub(r"^ctm\.nodes\.[^.]+", "ctm.nodes.<node>", key)
    key = re.sub(r"\[\d+\]", "[i]", key)
    return key.replace("<name>.E_GPa.", "<name>.E_MPa.")


def collect_keys() -> dict[str, KeyRecord]:
    """Every key the schema reads in :data:`EXAMPLES`: normalised key -> its richest
    record (a typed getter's over a plain read), in reading order; sections left out."""
    from ..geometry.imported import write_example_mesh
    from . import parse_study

    with tempfile.TemporaryDirectory() as tmp, recording() as records:
        study = Path(tmp) / "reference.toml"  # a power-map CSV is read next to its study
        (Path(tmp) / "die_power_map.csv").write_text("0.5,0.5\n0.2,0.3\n", encoding="utf-8")
        own = write_example_mesh(Path(tmp) / "own.msh")  # the model of [geometry] kind = mesh
        for example in EXAMPLES:
            if example.get("geometry", {}).get("kind") == "mesh":
                example = {**example, "geometry": {**example["geometry"], "path": str(own)}}
            parse_study(example, str(study))
    alternatives = {r.alternative for r in records if r.alternative}
    sections = {_normalise(r.key) for r in records if r.kind == "section"}
    best: dict[str, KeyRecord] = {}
    for r in records:
        key = _normalise(r.key)
        if r.key in alternatives or key in sections or key.startswith("sweep.parameters."):
            continue
        old = best.get(key)
        if old is None or _ORDER.get(old.kind, 9) < _ORDER.get(r.kind, 9):
            best[key] = r
    return best


def _unit(key: str) -> str:
    if key in _BARE_UNITS:
        return _BARE_UNITS[key]
    for suffix, unit in _SUFFIX_UNITS.items():
        if key.endswith(suffix):
            return unit
    return ""


def key_unit(key: str) -> str:
    """The unit of a study-file key as printed (``"mm"``, ``"W/(m² K)"``; ``""`` for none),
    e.g. of a swept parameter's table column: from its suffix (``geometry.openings.width_mm``),
    the table of keys without one (``loads.h``), or the key a per-region entry belongs to
    (``loads.power_W.die``: W, ``loads.reference_C.encapsulant``: °C)."""
    norm = _normalise(str(key))
    if re.match(r"^materials\.library\.[^.]+\.E_GPa\.", str(key)):
        # the doc's one table key (E_MPa) for both: a GPa table's values are in GPa
        norm = norm.replace("<name>.E_MPa.", "<name>.E_GPa.", 1)
    parts = norm.split(".")
    for i in range(len(parts), 0, -1):
        unit = _unit(".".join(parts[:i]))
        if unit:
            return unit
    return ""


def _kind(key: str, rec: KeyRecord) -> str:
    if rec.kind == "length":
        return "number (or `_um`)"
    if rec.kind == "pair":
        return "[x, y]"
    if rec.kind in ("table", "list"):
        return rec.kind
    if rec.kind == "value":
        if key.endswith(("E_GPa", "E_MPa", "alpha_ppm", ".k")):
            return "number or table"
        return "list" if key.endswith(("T_C", "values", "_limits_um")) else "number"
    return rec.kind


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_text(x)}" for k, x in v.items()) + " }" if v else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    return str(v)


#: Keys a new library material (one without ``base``) must give.
_MATERIAL_REQUIRED = ("E_GPa", "nu", "alpha_ppm", "k")


#: ``enabled`` switches of optional tables: the feature exists only when its table is given
#: (:func:`~fea.package.spec.geometry.parse_vias`), and then unless ``enabled = false``.
_TABLE_SWITCHES = ("geometry.board.enabled", "geometry.vias.enabled")


def _default(key: str, rec: KeyRecord) -> str:
    if key == "study.name":
        return "file name"
    if key.startswith("materials.library.<name>."):
        last = key.rsplit(".", 1)[1]
        if last == "base":
            return "none"
        return "required without base" if last in _MATERIAL_REQUIRED else "base's"
    if rec.required:  # read only when present
        return "none"
    if key.startswith("geometry.openings.sides.<side>."):
        return "common"
    if key in _TABLE_SWITCHES:  # true once its table is given; no table, no feature
        return "false; true with the table"
    if rec.default is None:
        return "none"
    return _text(rec.default)


def _allowed(rec: KeyRecord) -> str:
    if rec.choices:
        return ", ".join(rec.choices)
    parts = []
    if rec.positive:
        parts.append("> 0")
    elif rec.nonneg:
        parts.append(">= 0")
    if rec.lo is not None:
        parts.append(f">= {rec.lo:g}")
    if rec.hi is not None:
        parts.append(f"<= {rec.hi:g}")
    return ", ".join(parts)


def spec_reference() -> str:
    """The text of ``docs/spec.md``."""
    keys = collect_keys()
    lines = [
        "# Study file reference",
        "",
        "Every key a study file (TOML) can have, generated from the schema",
        "(`fea/package/spec/reference.py`; regenerate with `python scripts/gen_spec_doc.py`,",
        "`tests/package/test_spec_reference.py` checks this file is current).",
        "",
        "Units are in the key's suffix: `_mm`/`_um` lengths (give either), `_C` temperatures,",
        "`_K` temperature differences, `_W` power, `_GHz`, `_GPa`/`_MPa` stresses, `_ppm`",
        "ppm/K. Unknown keys are refused with the closest allowed name. `<name>` is a material",
        "of `[materials.library]`, `<side>` one of xmin, xmax, ymin, ymax.",
        "",
    ]
    for section in _SECTIONS:
        rows = [(k, r) for k, r in keys.items() if k.split(".")[0] == section]
        if not rows:
            continue
        lines += [f"## [{section}]", ""]
        lines += [
            "| key | type | unit | default | allowed | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for key, rec in rows:
            short = key.removeprefix(section + ".")
            cells = [
                f"`{short}`",
                _kind(key, rec),
                _unit(key),
                _default(key, rec),
                _allowed(rec),
                MEANINGS.get(key, ""),
            ]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
