"""The stage a running case reports: a process history names the stage it is solving
(k of n), never the last thing before it (e.g. "writing mesh")."""

from __future__ import annotations

import pytest

import fea
from fea.package.progress import history_stages, reporting
from fea.physics.history import Process, Stage, solve_history
from fea.physics.materials import Material
from fea.study.progress import StudyProgress

from ..verification.helpers import layered_box, plane


def test_history_stages_reports_the_next_stage_when_one_ends():
    heard: list[str] = []
    with reporting(heard.append):
        ended = history_stages(["cure", "cool", "reflow"])
        assert heard == ["history stage 1/3: cure"]
        ended("cure+30s")  # an output inside a stage: still in it
        assert heard == ["history stage 1/3: cure"]
        ended("cure")
        ended("cool")
        ended("reflow")
    assert heard == [
        "history stage 1/3: cure",
        "history stage 2/3: cool",
        "history stage 3/3: reflow",
        "history: states solved",
    ]


def test_a_small_history_reports_each_stage_before_it_is_solved():
    """A real solve: when the solver finishes a stage, the label shown (the listener's
    last) is that stage's, k/n."""
    strip = layered_box(
        (4e-3, 1e-3),
        [("ve", 0.3e-3, 1), ("el", 0.2e-3, 1)],
        0.5e-3,
        order=1,
        faces={"bottom": plane(2, 0.0)},
    )
    mold = fea.materials.get("mold_compound")
    el = Material("el", E=130e9, nu=0.28, alpha=2.6e-6, k=1.0)
    proc = Process(
        [Stage("start", 0.0, 175.0), Stage("cool", 60.0, 25.0), Stage("reflow", 60.0, 260.0)]
    )
    heard: list[str] = []
    ended: list[str] = []
    shown_at_end: list[str] = []
    with reporting(heard.append):
        report = history_stages([s.name for s in proc.stages])

        def progress(label: str) -> None:
            ended.append(label)
            shown_at_end.append(heard[-1])
            report(label)

        h = solve_history(
            strip,
            {"ve": mold, "el": el},
            proc,
            {"ve": 175.0, "*": 25.0},
            backend="cpu",
            progress=progress,
        )
    assert h.labels == ["start", "cool", "reflow"]
    assert ended == ["start", "cool", "reflow"]
    assert shown_at_end == [
        "history stage 1/3: start",
        "history stage 2/3: cool",
        "history stage 3/3: reflow",
    ]
    assert heard == [
        "history stage 1/3: start",
        "history stage 2/3: cool",
        "history stage 3/3: reflow",
        "history: states solved",
    ]


def test_study_log_shows_the_running_stage(capsys):
    p = StudyProgress("tiny", total=1, workers=1, enabled=True)
    assert not p.live  # pytest's captured stderr is no terminal: plain log lines
    with p:
        p.started("c000")
        p.stage("c000", "meshing")
        p.stage("c000", "history stage 2/3: cool")
    err = capsys.readouterr().err.splitlines()
    assert err[-1].endswith("c000: history stage 2/3: cool (0 s into the case)")
    assert any(line.endswith("c000: meshing (0 s into the case)") for line in err)


@pytest.mark.parametrize("names", [[], ["only"]])
def test_history_stages_edge_cases(names):
    heard: list[str] = []
    with reporting(heard.append):
        ended = history_stages(names)
        for n in names:
            ended(n)
    assert heard == ([] if not names else ["history stage 1/1: only", "history: states solved"])
