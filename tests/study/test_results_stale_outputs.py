"""A case that runs again starts from an empty folder: the result files, curve CSVs and
figures of an earlier attempt (another input, or a failed run) are removed when the case
is claimed to run, so neither ParaView, ``fea info`` nor the study's plots (which read
every ``*.csv`` of a case folder: ``zth.png`` overlays them) show an earlier input's
fields or curves as this case's."""

from __future__ import annotations

from pathlib import Path

import fea.package
from fea.package.spec import apply_overrides, load_study
from fea.study.runner import claim_case, run_case

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_study.toml"

#: What an earlier attempt of a case left: its results, sidecars, script, curves, plots.
EARLIER = (
    "result.h5",
    "result.xdmf",
    "result_transient.xdmf",
    "result_moisture.xdmf",
    "result_paraview.py",
    "zth.csv",
    "dual_interface_zth.csv",
    "zth.png",
    "warpage_top_25C.png",
)


def _study(tmp_path: Path, values: list[float]) -> Path:
    text = TINY.read_text()
    text = text[: text.index("[sweep]")].replace("size_mm = 1.0", "size_mm = 2.0")
    path = tmp_path / f"study_{'_'.join(map(str, values))}.toml"
    path.write_text(
        text + f'[sweep]\nparameters = {{ "geometry.shell_thickness_um" = {values} }}\n'
    )
    return path


def _finish(monkeypatch, spec, out: Path) -> None:
    def analyse(case, folder, meta=None, context=None):
        for name in EARLIER:
            (Path(folder) / name).write_text("time_s,zth_K_per_W\n0,0\n1,1\n")
        return {"Tj_max_C": case.geometry.shell_thickness * 1e6}

    monkeypatch.setattr(fea.package, "analyse", analyse)
    for cid, params in spec.case_parameters():
        row = run_case(apply_overrides(spec.raw, params), cid, params, str(out / cid), spec.name)
        assert row["status"] == "ok"


def test_a_stale_case_claimed_to_run_loses_its_earlier_outputs(tmp_path, monkeypatch):
    old = load_study(_study(tmp_path, [30.0, 40.0]))
    out = tmp_path / "out"
    _finish(monkeypatch, old, out)
    (out / "case0000" / "notes.txt").write_text("the user's own file\n")
    (out / "case0000" / "case.log").write_text("== attempt 1\n")  # the backend's log
    new = load_study(_study(tmp_path, [60.0, 40.0]))
    (cid0, p0), (cid1, p1) = new.case_parameters()
    claim = claim_case(new, cid0, p0, out / cid0, 0.0, False)
    try:
        assert claim.action == "run" and claim.stale
        left = sorted(p.name for p in (out / cid0).iterdir())
        assert not set(EARLIER) & set(left), left
        assert {"case.log", "notes.txt"} <= set(left)  # the log and other files stay
    finally:
        claim.lock.release()
    # the finished case of an unchanged input keeps everything
    assert claim_case(new, cid1, p1, out / cid1, 0.0, False).action == "skip"
    assert set(EARLIER) <= {p.name for p in (out / cid1).iterdir()}


def test_a_failed_case_run_again_loses_its_partial_outputs(tmp_path, monkeypatch):
    """A failed attempt (error.json, no metrics.json) that wrote curves before failing."""
    spec = load_study(_study(tmp_path, [30.0, 40.0]))
    out = tmp_path / "out"
    cid, params = spec.case_parameters()[0]
    folder = out / cid
    folder.mkdir(parents=True)
    for name in EARLIER:
        (folder / name).write_text("time_s,zth_K_per_W\n0,0\n")
    claim = claim_case(spec, cid, params, folder, 0.0, False)
    try:
        assert claim.action == "run" and not claim.stale
        assert not set(EARLIER) & {p.name for p in folder.iterdir()}
    finally:
        claim.lock.release()
