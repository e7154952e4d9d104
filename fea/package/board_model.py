"""The board-mounted mechanical model of a unit, and its solder joints.

The thermal model of a unit already holds the unit on its board with the terminals
(balls or pads) as the solder region ``terminals`` joining the dielectric to the board.
:func:`board_case` is that model meshed for mechanics (the films at ``mesh.size`` like
the warpage model, unless ``mesh.film_size`` is given); :func:`build_board_model` meshes
it (optionally cut by symmetry planes) and numbers its joints (:func:`joint_map`).

Joints are numbered row-major over the full terminal grid (joint ``i * cols + j`` at row
``i`` from -y, column ``j`` from -x, as :func:`fea.package.geometry.unit.terminal_sites`);
a symmetry model keeps the ids of the joints it holds. A joint cut by a symmetry plane
is *partial*: ``joint_fraction`` is the share of its volume in the model (1/2 on one
plane, 1/4 on both); its volume-averaged energy density is that of the whole joint.
:meth:`JointMap.representative` maps every joint of the full array to the one that
stands for it in the model (mirror images), so the full array can be drawn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MeshError
from .geometry.symmetry import symmetry_axes, symmetry_fixed
from .geometry.unit import terminal_sites
from .spec.geometry import without_board

__all__ = [
    "BoardModel",
    "JointMap",
    "board_case",
    "build_board_model",
    "joint_map",
    "symmetry_fixed",
    "warpage_case",
]


def warpage_case(case):
    """The unit without its board, meshed for uniform-temperature mechanics (as
    :func:`fea.package.analyse.warpage_metrics`): films at ``mesh.size`` unless
    ``mesh.film_size`` is given."""
    geo = without_board(case.geometry)
    return dataclasses.replace(case, geometry=geo, mesh=_mechanics_mesh(case.mesh))


def board_case(case):
    """The unit on its board for mechanics: the thermal model's solids, films at
    ``mesh.size`` unless ``mesh.film_size`` is given.

    Raises
    ------
    fea.errors.InputError
        ``geometry.board`` when the unit has no board, ``geometry.terminals.kind`` when it
        has no terminals (nothing joins it to the board).
    """
    g = case.geometry
    if case.kind != "unit":
        raise InputError("study.kind", case.kind, "'unit' for the board-mounted model")
    if g.board is None:
        raise InputError("geometry.board", None, "a [geometry.board] for the board model")
    if g.terminals.kind == "none":
        raise InputError("geometry.terminals.kind", "none", "'balls' or 'pads' (the joints)")
    return dataclasses.replace(case, mesh=_mechanics_mesh(case.mesh))


def _mechanics_mesh(ms):
    # the default film refinement is for the heat path (Tj); mechanics converges without it
    if ms.film_size is None:
        return dataclasses.replace(ms, film_size=ms.size)
    return ms


@dataclass
class JointMap:
    """The solder joints of a board model.

    Attributes
    ----------
    joint
        Joint id per element, shape (n_elements,), int64; -1 outside the solder.
    centres
        (x, y) of every joint of the full array [m], shape (n_joints, 2), by id.
    diameter
        Pad (contact) diameter of every joint [m], shape (n_joints,).
    pad_z_top, pad_z_bottom
        z of each joint's package-side (top) and board-side (bottom) pad plane [m],
        shape (n_joints,).
    fraction
        Share of each joint's volume in the model (1, 1/2, 1/4, 1/8; 0 for a joint not in
        the model), shape (n_joints,).
    symmetry
        ``none``, ``half``, ``quarter`` or ``eighth``.
    """

    joint: NDArray[np.int64]
    centres: NDArray[np.float64]
    diameter: NDArray[np.float64]
    pad_z_top: NDArray[np.float64]
    pad_z_bottom: NDArray[np.float64]
    fraction: NDArray[np.float64]
    symmetry: str = "none"

    @property
    def n_joints(self) -> int:
        """Joints of the full array."""
        return int(self.centres.shape[0])

    @property
    def in_model(self) -> NDArray[np.int64]:
        """Ids of the joints the model holds (whole or partial), ascending."""
        return np.flatnonzero(self.fraction > 0)

    @property
    def partial(self) -> NDArray[np.int64]:
        """Ids of the joints cut by a symmetry plane."""
        return np.flatnonzero((self.fraction > 0) & (self.fraction < 1))

    def joint_fraction(self, joint: int) -> float:
        """Share of joint ``joint``'s volume in the model (see :attr:`fraction`)."""
        return float(self.fraction[joint])

    def pad_z(self, side: str = "board") -> dict[int, float]:
        """Joint id -> z of its ``board`` (bottom) or ``package`` (top) pad plane [m], for
        the joints in the model (``pad_z=`` of :func:`fea.physics.fatigue.joint_energy`)."""
        if side not in ("board", "package"):
            raise InputError("fatigue.side", side, "'board' or 'package'")
        z = self.pad_z_bottom if side == "board" else self.pad_z_top
        return {int(i): float(z[i]) for i in self.in_model}

    def representative(self) -> NDArray[np.int64]:
        """For every joint of the full array, the id of the joint in the model that stands
        for it (itself, or its mirror image across the symmetry planes), shape (n_joints,)."""
        c = self.centres
        axes = symmetry_axes(self.symmetry)
        img = c.copy()
        for a in axes:
            if a != "d":
                img[:, "xy".index(a)] = np.abs(img[:, "xy".index(a)])
        if "d" in axes:  # into 0 <= y <= x
            swap = img[:, 1] > img[:, 0]
            img[swap] = img[swap][:, ::-1]
        tol = 1e-9 + 1e-6 * float(np.max(np.abs(c))) if c.size else 1e-9
        out = np.empty(self.n_joints, dtype=np.int64)
        for k, p in enumerate(img):
            out[k] = int(np.argmin(np.sum((c - p) ** 2, axis=1)))
            if np.linalg.norm(c[out[k]] - p) > tol:
                raise MeshError(f"joint {k}: no mirror image in the terminal grid")
        return out


def joint_map(mesh, case, symmetry: str = "none") -> JointMap:
    """Number the solder elements of ``mesh`` (a board model of ``case``) by joint.

    Each element of region ``terminals`` takes the id of the terminal site nearest its
    centroid in (x, y) (row-major over the terminal grid); ``fraction`` is the share of
    the joint's cross-section on the kept side of the symmetry planes (a joint centred on
    a plane: 1/2; on the z axis of an eighth, 0 <= y <= x: 1/8).
    """
    g = case.geometry
    term = g.terminals
    if term.kind == "none" or "terminals" not in mesh.regions:
        raise InputError("geometry.terminals.kind", term.kind, "'balls' or 'pads' (the joints)")
    sites = np.asarray(terminal_sites(g), dtype=float).reshape(-1, 2)
    n = sites.shape[0]
    p = mesh.p1.p
    t = mesh.p1.t
    elems = np.asarray(mesh.regions["terminals"])
    cen = p[:, t[:, elems]].mean(axis=1).T  # (n_e, 3)
    col = np.rint(cen[:, 0] / term.pitch + (term.cols - 1) / 2).astype(np.int64)
    row = np.rint(cen[:, 1] / term.pitch + (term.rows - 1) / 2).astype(np.int64)
    if np.any((col < 0) | (col >= term.cols) | (row < 0) | (row >= term.rows)):
        raise MeshError("a solder element lies outside the terminal grid")
    joint = np.full(mesh.n_elements, -1, dtype=np.int64)
    joint[elems] = row * term.cols + col
    axes = symmetry_axes(symmetry)
    frac = np.ones(n)
    tol = 1e-6 * term.pitch
    for a in axes:
        # the site's signed distance from the plane, on the kept side positive
        v = sites[:, 0] - sites[:, 1] if a == "d" else sites[:, "xy".index(a)]
        frac *= np.where(v < -tol, 0.0, np.where(v > tol, 1.0, 0.5))
    held = np.unique(joint[elems])
    if np.any(frac[held] == 0):
        raise MeshError("a solder element belongs to a joint outside the symmetry model")
    top = np.zeros(n)
    bottom = np.full(n, -term.height)
    return JointMap(joint, sites, np.full(n, term.contact_diameter), top, bottom, frac, symmetry)


@dataclass
class BoardModel:
    """A meshed board model: the mesh, its path, its joints and its symmetry.

    ``fixed`` is the mechanics condition of the symmetry planes (zero normal
    displacement), to merge into ``fixed=`` of :func:`fea.solve_thermoelastic`.
    """

    mesh: object
    path: object
    joints: JointMap
    symmetry: str = "none"

    @property
    def fixed(self) -> dict[str, dict[str, float]]:
        """Boundary -> {component: 0.0} on the symmetry planes."""
        return symmetry_fixed(self.symmetry)


def build_board_model(
    case, *, symmetry: str = "none", cache: bool = True, force: bool = False
) -> BoardModel:
    """Mesh the board-mounted mechanical model of ``case`` (:func:`board_case`) and number
    its joints (:func:`joint_map`). ``symmetry``: ``none``, ``half``, ``quarter`` or
    ``eighth`` (a square board: :func:`~fea.package.geometry.symmetry.check_symmetry`)."""
    from .meshing import build_mesh

    mesh, path = build_mesh(case, cache=cache, force=force, model="board", symmetry=symmetry)
    return BoardModel(mesh, path, joint_map(mesh, case, symmetry), symmetry)
