"""The compact models' SPICE netlists (docs/ctm.md) in a real SPICE: a surface node whose
pin would be SPICE's ground is refused, and where ngspice is installed the netlists run
and give the nodal solution."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from fea.errors import InputError
from fea.physics import ctm

S = ctm.SurfaceNode


def star(*names: str) -> ctm.CompactNetwork:
    """A DELPHI-like network: a star from the junction and one shunt between the first two
    surface nodes."""
    faces = ("top", "bottom", "sides", "leads")
    surf = tuple(S(n, faces[k % 4], 1e-4 * (k + 1)) for k, n in enumerate(names))
    links = [("junction", n, 5.0 + 3.0 * k) for k, n in enumerate(names)]
    links.append((names[0], names[1], 40.0))
    return ctm.CompactNetwork("DELPHI", surf, tuple(links))


@pytest.mark.parametrize("name", ["gnd", "GND", "Gnd"])
def test_a_node_on_spices_ground_pin_is_refused(name):
    """ngspice (User's Manual, version 39, ch. 2 "Circuit description": "the ground node
    ... 0; gnd is accepted as a synonym") reads a subcircuit pin named GND as the global
    ground: measured here with ngspice 39.3, a pin GND tied to a 3 V node still sat at
    0 V, the junction rise 5.0 for 6.5. A node named so would be held at ambient."""
    with pytest.raises(InputError, match=f"network.surfaces.{name}.*GND"):
        ctm.spice_netlist(star("top", name), name="pkg")
    with pytest.raises(InputError, match=f"ctm.nodes.{name}"):
        ctm.spice_pins(["top", name], key="ctm.nodes")


def _op_junction(text: str, tmp_path) -> float:
    path = tmp_path / "net.cir"
    path.write_text(text)
    out = subprocess.run(
        ["ngspice", "-b", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    m = re.search(r"^\s*j\s+([-+0-9.eE]+)\s*$", out, re.MULTILINE)
    assert m is not None, out
    return float(m.group(1))


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")
def test_the_compact_netlist_runs_in_ngspice(tmp_path):
    """The bench of :func:`fea.physics.ctm.spice_netlist` (1 W into J, every surface pin at
    ground) in ngspice: V(J) equals the junction rise of the network solved here by
    nodal analysis (the surface nodes at ambient: J's conductances to them in parallel,
    the shunt carries nothing), to ngspice's printed 7 digits."""
    net = star("top_inner", "bottom", "sides")
    expected = 1.0 / sum(1.0 / r for a, _, r in net.links if a == "junction")
    got = _op_junction(ctm.spice_netlist(net, name="pkg", bench=True), tmp_path)
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")
@pytest.mark.parametrize("kind", ["foster", "cauer"])
def test_the_heating_curve_netlists_run_in_ngspice(tmp_path, kind):
    """The Foster and Cauer netlists of a two-term heating curve with their transient
    bench: ngspice's V(J) at the two time constants and at the end of the run (five times
    the largest) is the Foster sum sum R_k (1 - exp(-t/tau_k)) there, to 3e-3 of the
    total. That is ngspice's own time stepping under the bench's .TRAN (step t_end/1000):
    measured with ngspice 39.3, the Foster netlist 1.1 % low at the fast time constant
    (1.2554 for 1.2692 K/W, 0.2 % of the total), the Cauer 0.3 %, both exact to 1e-5 at
    the end."""
    t = np.logspace(-5, 2, 400)
    R, tau = np.array([2.0, 5.0]), np.array([1e-3, 1.0])
    zth = (R * (1 - np.exp(-t[:, None] / tau))).sum(axis=1)
    foster, cauer = ctm.heating_curve_networks(t, zth)
    net = foster if kind == "foster" else cauer
    text = ctm.spice_netlist(net, name="pkg", bench=True)
    end = re.search(r"^\.TRAN\s+\S+\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)
    assert end is not None, text
    t_end = float(end.group(1))
    body, last = text.rstrip().rsplit("\n", 1)
    assert last == ".END"
    path = tmp_path / "zth.cir"
    times = (1e-3, 1.0, t_end)
    meas = "".join(f".MEAS TRAN V{i} FIND V(J) AT={x!r}\n" for i, x in enumerate(times))
    path.write_text(f"{body}\n{meas}.END\n")
    out = subprocess.run(
        ["ngspice", "-b", str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    fr, ft = np.asarray(foster.R), np.asarray(foster.tau)
    for i, x in enumerate(times):
        m = re.search(rf"^\s*v{i}\s*=\s*([-+0-9.eE]+)", out, re.MULTILINE)
        assert m is not None, out
        exact = float((fr * (1 - np.exp(-x / ft))).sum())
        assert float(m.group(1)) == pytest.approx(exact, abs=3e-3 * fr.sum())
