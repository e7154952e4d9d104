"""Temperature cycling of a unit on its board and the fatigue estimates of its joints
(``[cycling]``; JESD22-A104 / IPC-9701).

The mechanical model is the unit on its board with the terminals (balls or pads) joining
dielectric and board: the thermal model's solids, the board cut to ``board_size_mm`` when
given. The terminals take the Anand law of ``solder`` (viscoplastic, state at the
quadrature points); the rest keeps the case's materials (an elastic-plastic shell and a
viscoelastic compound included). :func:`fea.solve_history` runs the whole profile from
the stress-free temperature; the last cycle gives, per joint, Darveaux's volume-averaged
energy density per cycle ΔW in the interface layer at the pad, the accumulated inelastic
strain, the critical joint and its place, and life ESTIMATES (Darveaux, Syed).

Each solder ball is one joint: the connected pieces of the terminal region, numbered by
position (rows of increasing y, then x). Columns (units in the names):
``dW_crit_MJ_per_m3``, ``dW_mean_MJ_per_m3``, ``critical_joint_id``, ``critical_x_mm``,
``critical_y_mm``, ``eq_strain_crit_pct``, ``d_eq_strain_per_cycle_pct``,
``N_darveaux_cycles``, ``N0_darveaux_cycles``, ``N_syed_cycles``, ``joints_count``,
``cycling_steps_count``; the PNG ``dw_map.png`` (ΔW over the array).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import InputError
from ..physics.fatigue import critical_joint_summary, joint_energy, plot_joint_map
from ..physics.history import solve_history
from ..physics.inelastic import anand_set
from .board_model import build_board_model
from .progress import stage
from .spec import CaseSpec

__all__ = ["CyclingResult", "board_model_case", "cycling_metrics", "joint_ids"]

#: The region whose connected pieces are the joints.
SOLDER_REGION = "terminals"


def board_model_case(case: CaseSpec) -> CaseSpec:
    """The unit on its board for mechanics: the board cut to ``[cycling] board_size_mm``
    when given, the film refinement of the heat path dropped (``mesh.film_size`` = the
    mesh size unless set)."""
    g = case.geometry
    if g.board is None or g.terminals.kind == "none":
        raise InputError(
            "cycling",
            "[cycling]",
            "a unit on a board ([geometry.board]) with terminals ([geometry.terminals])",
        )
    cy = case.cycling
    assert cy is not None
    if cy.board_size is not None:
        ox, oy = g.outer
        bx, by = cy.board_size
        if bx < ox + 2 * g.exterior_thickness or by < oy + 2 * g.exterior_thickness:
            raise InputError(
                "cycling.board_size_mm",
                [bx * 1e3, by * 1e3],
                f"a board larger than the package footprint "
                f"({(ox + 2 * g.exterior_thickness) * 1e3:g} mm)",
            )
        g = dataclasses.replace(g, board=dataclasses.replace(g.board, size=cy.board_size))
    ms = case.mesh
    if ms.film_size is None:
        ms = dataclasses.replace(ms, film_size=ms.size)
    return dataclasses.replace(case, geometry=g, mesh=ms)


def joint_ids(mesh: Any, region: str = SOLDER_REGION) -> NDArray[np.int64]:
    """Joint id per element, shape (n_el,): -1 outside ``region``, else the index of the
    element's connected piece of the region (elements sharing a node are connected),
    numbered by the pieces' centroids: rows of increasing y (centroids within a quarter of
    the closest spacing of two joints share a row), then increasing x."""
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


@dataclasses.dataclass
class CyclingResult:
    """What :func:`cycling_metrics` found: the columns, the history, the joint ids per
    element and the per-joint energies (:class:`~fea.physics.fatigue.JointEnergy`)."""

    metrics: dict[str, float]
    history: Any
    joint: NDArray[np.int64]
    energy: Any


def cycling_metrics(case: CaseSpec, folder: str | Path | None = None) -> CyclingResult:
    """Run ``case``'s ``[cycling]`` on the unit on its board (see the module).

    Parameters
    ----------
    case
        A unit case with ``[cycling]``, a board and terminals.
    folder
        Where ``dw_map.png`` goes (None: no plot).
    """
    cy = case.cycling
    if cy is None:
        raise InputError("cycling", None, "a [cycling] section")
    from .analyse import mesh_materials

    model = build_board_model(board_model_case(case), symmetry=cy.symmetry)
    mesh, jm = model.mesh, model.joints
    joint = jm.joint
    mats = dict(mesh_materials(mesh, case))
    solder = mats[SOLDER_REGION]
    mats[SOLDER_REGION] = solder.with_(inelastic=anand_set(cy.solder), relaxation=None)
    prof = cy.profile
    stage(f"cycling {prof.condition or 'profile'}: {len(prof.cycle_start)} cycles")
    h = solve_history(
        mesh,
        mats,
        prof.history(),
        prof.stress_free_C,
        model.fixed or None,
        backend="cpu",
        method=case.solver.method,
        rtol=case.solver.rtol,
    )
    k0, k1 = prof.cycle_start[-1], prof.cycle_end[-1]
    s0, s1 = h.states[k0], h.states[k1]
    sel = joint >= 0
    vol = mesh.element_volumes()[sel]
    p = np.asarray(mesh.p1.p)
    tt = np.asarray(mesh.p1.t)[:, sel]
    cen = p[:, tt].mean(axis=1).T
    zr = np.stack([p[2, tt].min(axis=0), p[2, tt].max(axis=0)], axis=1)
    f0, f1 = s0.inelastic["fields"], s1.inelastic["fields"]
    layer, note = _layer_thickness(joint[sel], cen, zr, cy.layer, cy.side)
    je = joint_energy(
        vol,
        cen,
        joint[sel],
        f1["dissipated_energy_density"][sel],
        f0["dissipated_energy_density"][sel],
        eq_strain_end=f1["equivalent_inelastic_strain"][sel],
        eq_strain_start=f0["equivalent_inelastic_strain"][sel],
        cycles=1.0,
        thickness=layer,
        side=cy.side,
        board_below=True,
        element_z_range=zr,
    )
    pad = case.geometry.terminals.diameter
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cols, _ = critical_joint_summary(je, pad, darveaux=cy.darveaux)
    m: dict[str, float] = {
        "dW_crit_MJ_per_m3": cols["dW_crit_MJ_per_m3"],
        "dW_mean_MJ_per_m3": float(np.mean(je.delta_w)) / 1e6,
        "critical_joint_id": cols["critical_joint"],
        "critical_x_mm": cols["critical_x_mm"],
        "critical_y_mm": cols["critical_y_mm"],
        "eq_strain_crit_pct": 100.0 * cols["eq_strain_crit"],
        "d_eq_strain_per_cycle_pct": 100.0 * cols["d_eq_strain_crit_per_cycle"],
        "N_darveaux_cycles": cols["N_darveaux_est"],
        "N0_darveaux_cycles": cols["N0_darveaux_est"],
        "N_syed_cycles": cols["N_syed_est"],
        "joints_count": float(jm.n_joints),
        "cycling_steps_count": float(h.solver_info["steps"]),
        "cycling_newton_iterations_count": float(h.solver_info.get("newton_iterations", 0)),
        "cycling_solve_s": float(h.solver_info["total_s"]),
    }
    m["dW_layer_um"] = layer * 1e6
    notes = [str(w.message) for w in caught] + ([note] if note else [])
    if notes:
        m["warnings"] = notes  # type: ignore[assignment]
    if folder is not None:
        # the full array: each joint drawn with the value of its image in the model
        where = {int(j): i for i, j in enumerate(je.joint)}
        rep = jm.representative() if cy.symmetry != "none" else np.arange(jm.n_joints)
        dw_full = np.array([je.delta_w[where[int(r)]] for r in rep])
        plot_joint_map(
            jm.centres[:, 0],
            jm.centres[:, 1],
            dw_full,
            Path(folder) / "dw_map.png",
            title=f"ΔW per cycle, {cy.side}-side {layer * 1e6:.3g} µm layer",
        )
    return CyclingResult(m, h, joint, je)


def _layer_thickness(
    joint: NDArray[np.int64],
    centroids: NDArray[np.float64],
    z_range: NDArray[np.float64],
    layer: float,
    side: str,
) -> tuple[float, str]:
    """The interface-layer thickness [m] to average over: ``layer``, or, where the mesh has
    no element centroid within it of some joint's pad, the thinnest layer that holds one
    for every joint (times 1.05), with a note saying so (refine the terminals; Darveaux's
    constants hold for the layer they were fitted with)."""
    need = 0.0
    for j in np.unique(joint):
        e = joint == j
        pad = z_range[e, 0].min() if side == "board" else z_range[e, 1].max()
        need = max(need, float(np.abs(centroids[e, 2] - pad).min()))
    if need < layer:
        return layer, ""
    wide = 1.05 * need
    return wide, (
        f"cycling: no element centroid within {layer * 1e6:g} um of some pad; Delta W is "
        f"averaged over {wide * 1e6:.3g} um (refine mesh.terminal_size_mm for the "
        "Darveaux layer its constants were fitted with)"
    )
