"""The edges of the solver choice as a study meets them: the ``[solver]`` keys reaching the
solves they name, ``auto`` under too little free memory, and the near-null spaces of the
conduction and elasticity AMG with symmetry planes eliminated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fea.errors import SolverError
from fea.package.analyse import thermal_analysis, warpage_metrics
from fea.package.spec import parse_study

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_study.toml"


def _tiny(**solver):
    raw = tomllib.loads(TINY.read_text())
    raw.pop("sweep")
    raw["solver"].update(solver)
    raw.setdefault("theta_jc", {})["method"] = "fixed_case"
    return parse_study(raw).base


@pytest.mark.parametrize("analysis", [thermal_analysis, warpage_metrics])
def test_solver_maxiter_of_a_study_reaches_its_solves(analysis):
    """``[solver] maxiter`` was read, checked and documented ("iteration limit of iterative
    solvers") but never given to a solve: every AMG-PCG ran with the default 2000, so a
    study's limit did nothing. One iteration to rtol 1e-10 cannot converge: the study's
    solve must stop there and say so."""
    case = _tiny(method="amg", maxiter=1, rtol=1e-10)
    with pytest.raises(SolverError, match=r"did not converge in 1 iterations \(maxiter = 1\)"):
        analysis(case)
