"""The ECXML that :func:`fea.physics.ctm.write_ecxml` writes has the structure
docs/ctm.md shows (its example document): the same element paths, each element with the
attributes the example gives it and no others (``description`` optional on a model)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from fea.physics import ctm

DOC = Path(__file__).resolve().parents[2] / "docs" / "ctm.md"


def _shape(root: ET.Element) -> dict[str, set[str]]:
    """Element path (tags from the root) -> the union of its attribute names."""
    out: dict[str, set[str]] = {}

    def walk(e: ET.Element, path: str) -> None:
        out.setdefault(path, set()).update(e.attrib)
        for c in e:
            walk(c, f"{path}/{c.tag}")

    walk(root, root.tag)
    return out


def test_written_ecxml_has_the_documented_structure():
    block = re.search(r"```xml\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert block is not None
    doc = _shape(ET.fromstring(block.group(1)))
    S = ctm.SurfaceNode
    surf = (S("top_inner", "top", 3.6e-5), S("bottom", "bottom", 1e-4))
    links = (
        ("junction", "top_inner", 5.0),
        ("junction", "bottom", 7.0),
        ("top_inner", "bottom", 50.0),
    )
    delphi = ctm.CompactNetwork("DELPHI", surf, links)
    det = [ctm.Response(4.0, {"top_inner": 0.5, "bottom": 0.5})]
    errors = ctm.response_errors(delphi, det, [{"top": 1000.0, "bottom": math.inf}])
    t = np.logspace(-5, 2, 200)
    _, cauer = ctm.heating_curve_networks(t, 2.0 * (1 - np.exp(-t / 1e-2)))
    text = ctm.write_ecxml(
        {"DELPHI": delphi, "zth": cauer},
        package="pkg",
        errors={"DELPHI": errors},
        descriptions={"zth": "heating curve"},
    )
    got = _shape(ET.fromstring(text.encode()))
    assert set(got) == set(doc)
    model = "ECXML/Package/ComponentThermalModel"
    for path, attrs in doc.items():
        extra = {"description"} if path == model else set()
        assert got[path] - extra == attrs - extra, path
