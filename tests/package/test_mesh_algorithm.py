"""``[mesh] algorithm``: gmsh's Delaunay and frontal 3D algorithms; HXT is refused when the
study file is read. On the packages' thin sub-layers HXT's optimisation pass aborted the
whole process with a corrupted heap (``munmap_chunk(): invalid pointer``: no exception, no
message, the case and its worker lost; gmsh 4.15, the baseline at 0.8 and 2 mm) or spent
548 s optimising a 2 mm mesh; it was accepted and passed to gmsh."""

from __future__ import annotations

import pytest

from fea.errors import InputError
from fea.package.spec import parse_study
from fea.package.spec.geometry import MESH_ALGORITHMS, mesh_algorithm

from .test_spec import with_change


@pytest.mark.parametrize("name", ["delaunay", "frontal"])
def test_the_offered_algorithms_are_read(name):
    assert parse_study(with_change("mesh.algorithm", name)).base.mesh.algorithm == name
    assert mesh_algorithm(name) == MESH_ALGORITHMS[name] == {"delaunay": 1, "frontal": 4}[name]


@pytest.mark.parametrize("name", ["hxt", "HXT"])
def test_hxt_is_refused_naming_the_key_and_why(name):
    with pytest.raises(InputError) as ei:
        parse_study(with_change("mesh.algorithm", name))
    assert ei.value.key == "mesh.algorithm" and ei.value.value == name
    assert "'delaunay' or 'frontal'" in ei.value.allowed and "HXT" in ei.value.allowed


@pytest.mark.parametrize("name", ["Delaunay", "", 1, None, "netgen"])
def test_other_algorithms_are_refused(name):
    with pytest.raises(InputError) as ei:
        parse_study(with_change("mesh.algorithm", name))
    assert ei.value.key == "mesh.algorithm"
    with pytest.raises(InputError):
        mesh_algorithm(name)  # a MeshSpec made in Python reaches gmsh through it too
