"""An independent reading of the SPICE netlists of :mod:`fea.physics.ctm`: the elements of
a subcircuit, and its step response by nodal analysis (a generalised eigenproblem)."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla


def parse_subcircuit(text: str) -> tuple[list[str], list[tuple[str, str, str, float]]]:
    """Pins and elements (kind, node a, node b, value) of the one .SUBCKT in ``text``."""
    pins: list[str] = []
    elements = []
    inside = False
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("*"):
            continue
        if words[0].upper() == ".SUBCKT":
            pins, inside = words[2:], True
        elif words[0].upper() == ".ENDS":
            inside = False
        elif inside:
            assert len(words) == 4, line
            elements.append((words[0][0].upper(), words[1], words[2], float(words[3])))
    return pins, elements


def step_response(text: str, times: np.ndarray) -> np.ndarray:
    """Junction voltage of the netlist's subcircuit after a 1 A step into ``J`` with
    ``AMB`` grounded: nodal analysis G v + C dv/dt = e_J solved by the generalised
    eigenproblem of (G, C); every node must carry a capacitance to some node."""
    pins, elements = parse_subcircuit(text)
    assert pins == ["J", "AMB"]
    nodes = sorted({n for _, a, b, _ in elements for n in (a, b)} - {"AMB"})
    index = {n: i for i, n in enumerate(nodes)}
    G = np.zeros((len(nodes),) * 2)
    C = np.zeros_like(G)
    for kind, a, b, value in elements:
        M, y = (G, 1.0 / value) if kind == "R" else (C, value)
        for p, q in ((a, b), (b, a)):
            if p in index:
                M[index[p], index[p]] += y
                if q in index:
                    M[index[p], index[q]] -= y
    lam, V = sla.eigh(G, C)  # G V = C V diag(lam), V^T C V = I
    e = np.zeros(len(nodes))
    e[index["J"]] = 1.0
    modes = V[index["J"]] * (V.T @ e) / lam  # steady part of each mode
    return (1.0 - np.exp(-np.outer(times, lam))) @ modes
