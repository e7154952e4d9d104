"""The application: shielded packages. Study specs (:mod:`.spec`), geometry builders
(:mod:`.geometry`), mesh sizing and the mesh cache (:mod:`.sizing`, :mod:`.meshing`),
typed names (:mod:`.names`), the metrics of a case (:mod:`.analyse`) and the JEDEC
environments and board (:mod:`.jedec`)."""

from __future__ import annotations

from .analyse import analyse, panel_metrics, thermal_metrics, warpage_metrics
from .meshing import build_mesh
from .spec import load_study, parse_study

__all__ = [
    "analyse",
    "build_mesh",
    "load_study",
    "panel_metrics",
    "parse_study",
    "thermal_metrics",
    "warpage_metrics",
]
