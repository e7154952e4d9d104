"""``[cycling]``'s time-step keys reach the history solve: :func:`cycling_metrics` hands
``max_step_K``, ``inelastic_step_tol``, Newton's tolerances and factor precision and the profile
with its dwell points to :func:`run_cycling` (intercepted before any solve)."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path

import pytest

import fea.package.cycling as pc
from fea.package.spec import parse_study

ROOT = Path(__file__).resolve().parents[2]


class CalledError(Exception):
    pass


def _case(**cycling):
    raw = copy.deepcopy(tomllib.loads((ROOT / "studies" / "board_cycling.toml").read_text()))
    raw["mesh"].update(size_mm=1.2, order=1, layers_through_thickness=1, film_size_mm=0.6)
    raw["mesh"].update(opening_size_mm=0.4, terminal_size_mm=0.4, board_size_mm=3.0)
    raw["solver"]["backend"] = "cpu"
    raw["cycling"].update(cycling)
    return parse_study(raw).base


@pytest.mark.parametrize(
    ("keys", "want"),
    [
        ({}, (5.0, None, 6, 1e-8, 1e-6, "auto")),
        (
            {"max_step_K": 10.0, "inelastic_step_tol": 2e-3, "dwell_points": 3,
             "newton_rtol": 1e-6, "newton_dtol": 1e-5, "newton_factor_precision": "double"},
            (10.0, 2e-3, 3, 1e-6, 1e-5, "double"),
        ),
    ],
)
def test_keys_reach_run_cycling(monkeypatch, keys, want):
    seen = {}

    def fake(mesh, materials, profile, joint, **kw):
        seen.update(kw, profile=profile)
        raise CalledError

    monkeypatch.setattr(pc, "run_cycling", fake)
    with pytest.raises(CalledError):
        pc.cycling_metrics(_case(**keys))
    prof = seen["profile"]
    got = (seen["max_step_K"], seen["inelastic_step_tol"], prof.dwell_points)
    newton = (seen["newton_rtol"], seen["newton_dtol"], seen["newton_factor_precision"])
    assert got + newton == want
    # the dwell's first piece: 0.25 / (1.25^n - 1) of the 900 s dwell (soak mode 4)
    n = want[2]
    k0 = prof.cycle_start[0]
    first = prof.points[k0 + 1][0] - prof.points[k0][0]
    assert first == pytest.approx(900.0 * 0.25 / (1.25**n - 1), rel=1e-12)


def test_factor_precision_is_checked():
    from fea.errors import InputError

    with pytest.raises(InputError, match="newton_factor_precision"):
        _case(newton_factor_precision="float32")


@pytest.mark.parametrize(
    ("backend", "method", "want", "noted"),
    [
        ("auto", "auto", "auto", None),
        ("cpu", "amg", "amg", None),
        ("auto", "direct", "direct", None),
        ("gpu", "amg", "amg", "solver.backend = 'gpu'"),
        ("gpu", "jacobi", "auto", "solver.method = 'jacobi' (a GPU method"),
        ("auto", "cudss", "auto", "solver.method = 'cudss' (a GPU method"),
    ],
)
def test_the_history_says_what_of_the_solver_it_does_not_take(backend, method, want, noted):
    """The cycling history runs on the CPU (a kept tangent factorisation preconditions its
    Newton corrections): a GPU backend or a GPU-only method of ``[solver]`` is not silently
    dropped, the case's notes say so, and a GPU-only method becomes ``auto`` instead of an
    unknown method on the CPU."""
    got, note = pc.history_solver(backend, method)
    assert got == want
    if noted is None:
        assert note is None
    else:
        assert noted in note and "solves on the CPU" in note


def test_a_gpu_only_method_reaches_the_history_as_auto(monkeypatch):
    seen = {}

    def fake(mesh, materials, profile, joint, **kw):
        seen.update(kw)
        raise CalledError

    monkeypatch.setattr(pc, "run_cycling", fake)
    case = _case()
    case = dataclasses.replace(case, solver=dataclasses.replace(case.solver, method="jacobi"))
    with pytest.raises(CalledError):
        pc.cycling_metrics(case)
    assert seen["backend"] == "cpu" and seen["method"] == "auto"
