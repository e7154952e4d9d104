"""The generic finite-element core; it knows nothing of packages.

:mod:`.mesh` (meshes with named regions, boundaries and interfaces, read from gmsh),
:mod:`.spaces` (P1/P2 spaces, CSR patterns, scatter on NumPy or CuPy),
:mod:`.namespace` (the one array-namespace type: NumPy + SciPy or CuPy + cupyx),
:mod:`.forms` (diffusion, mass, Robin, elasticity, eigenstrain and stress loads),
:mod:`.constraints` (rigid-body modes, 3-2-1 supports per connected part),
:mod:`.timestep` (theta method, fixed or adaptive steps), :mod:`.probes` (point
location and interpolation).
"""

from __future__ import annotations

from .mesh import Mesh, QualityReport, gmsh_session, quality_report
from .probes import interpolate, locate
from .spaces import FieldSpace, space
from .timestep import Transient, integrate

__all__ = [
    "FieldSpace",
    "Mesh",
    "QualityReport",
    "Transient",
    "gmsh_session",
    "integrate",
    "interpolate",
    "locate",
    "quality_report",
    "space",
]
