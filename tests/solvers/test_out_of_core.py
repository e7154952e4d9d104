"""Pardiso's out-of-core factorisation (``out_of_core``): the same answer as in core, its
files removed after the solve and after a failure, ``method="auto"`` taking it where only
the out-of-core factor fits in memory (and saying why), and refusing clearly where the
disk is too small or the option is not one of ``"auto"``, true or false."""

from __future__ import annotations

import os
import shutil
from collections import namedtuple

import numpy as np
import pytest
import scipy.sparse as sp

from fea.errors import InputError, SolverError
from fea.solvers import cost, solve
from fea.solvers.cpu import Factorized, PardisoAnalysis, ooc_least_bytes, pardiso_available

from .systems import clamped_plate

needs_pardiso = pytest.mark.skipif(not pardiso_available(), reason="MKL Pardiso not installed")

#: an in-core limit [MB] far below the factors here (about 100 MB): the factor is written
#: to disk and read back in pieces
SMALL_CORE_MB = "40"


def _thermal(m: int = 30) -> tuple[sp.csr_matrix, np.ndarray]:
    """Conduction on an m^3 grid (7-point stencil), conductivity 1 and 100 in alternate
    slabs, a film coefficient on every node (SPD): the matrix and a heat load."""
    Id = sp.identity(m)
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    k = np.where((np.arange(m) // 3) % 2 == 0, 1.0, 100.0)
    Kz = sp.diags(np.sqrt(k)) @ T @ sp.diags(np.sqrt(k))
    A = sp.kron(sp.kron(T, Id), Id) + sp.kron(sp.kron(Id, T), Id) + sp.kron(sp.kron(Id, Id), Kz)
    A = (A + 0.01 * sp.identity(m**3)).tocsr()
    b = np.random.default_rng(1).random(m**3)
    return A, b


@pytest.fixture(scope="module")
def elastic():
    return clamped_plate(3e-3)


@pytest.fixture
def tmpdir_only(tmp_path, monkeypatch):
    """TMPDIR pointing at an empty folder, so that every file left there is seen; a small
    in-core limit."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    monkeypatch.setenv("MKL_PARDISO_OOC_MAX_CORE_SIZE", SMALL_CORE_MB)
    return tmp_path


def _rel(x, y) -> float:
    return float(np.linalg.norm(x - y) / np.linalg.norm(y))


@needs_pardiso
@pytest.mark.parametrize("system", [pytest.param("thermal", marks=pytest.mark.slow), "elastic"])
def test_out_of_core_gives_the_in_core_answer(system, elastic, tmpdir_only):
    """Forced out of core with a 40 MB in-core limit against the in-core factor of the same
    matrix: the factor really went to disk (files of at least its 8 bytes an entry),
    the answers agree to 1e-10 (both Cholesky on one ordering; rounding only), the files
    are gone after the solve, the user's MKL variables are left as they were."""
    A, b = _thermal() if system == "thermal" else elastic[:2]
    x_in, info_in = solve(A, b, method="direct", out_of_core=False)
    assert info_in.extra["out_of_core"] is False
    f = Factorized(A, out_of_core=True)
    try:
        assert f.out_of_core
        # the factor's float64 values (disk_need_bytes: 10 bytes a factor entry) on disk
        assert f.ooc_facts["file_bytes"] >= 0.8 * f.ooc_facts["disk_need_bytes"]
        assert os.listdir(tmpdir_only)  # the folder exists while the factor lives
        x_f = f.solve(b)
    finally:
        f.close()
    assert os.listdir(tmpdir_only) == []
    assert _rel(x_f, x_in) < 1e-10
    x_out, info = solve(A, b, method="direct", out_of_core=True)
    assert info.extra["out_of_core"] is True
    assert "out of core requested" in info.reason
    assert _rel(x_out, x_in) < 1e-10
    assert os.listdir(tmpdir_only) == []
    assert "MKL_PARDISO_OOC_PATH" not in os.environ
    assert os.environ["MKL_PARDISO_OOC_MAX_CORE_SIZE"] == SMALL_CORE_MB


@needs_pardiso
def test_failed_out_of_core_factorisation_leaves_no_files_and_says_why(tmpdir_only, monkeypatch):
    """An in-core limit too small for Pardiso's working set (1 MB: error -9) fails with a
    SolverError naming the limit, and the folder is removed; so is it after a matrix that
    is not positive definite (-4)."""
    A, b = _thermal(20)
    monkeypatch.setenv("MKL_PARDISO_OOC_MAX_CORE_SIZE", "1")
    with pytest.raises(SolverError, match=r"MKL_PARDISO_OOC_MAX_CORE_SIZE = 1 MB \(about"):
        solve(A, b, method="direct", out_of_core=True)
    assert os.listdir(tmpdir_only) == []
    monkeypatch.setenv("MKL_PARDISO_OOC_MAX_CORE_SIZE", SMALL_CORE_MB)
    with pytest.raises(SolverError, match="error -4"):
        solve((A - 2.0 * sp.identity(A.shape[0])).tocsr(), b, method="direct", out_of_core=True)
    assert os.listdir(tmpdir_only) == []


def _squeezed(A, monkeypatch) -> float:
    """Free memory [bytes] that holds Pardiso's analysis (ANALYSIS_BYTES_PER_ENTRY an
    entry) and the out-of-core factor in the headroom but not the in-core one, monkeypatched
    into ``cost.available_memory``."""
    an = PardisoAnalysis(A)
    try:
        peak = an.peak_bytes
        ooc_need = an.symbolic_bytes + ooc_least_bytes(an.factor_nnz, an.ooc_min_bytes)
    finally:
        an.close()
    avail = max(ooc_need, 40.0 * A.nnz) / cost.MEMORY_HEADROOM * 1.01
    assert avail * cost.MEMORY_HEADROOM < peak
    monkeypatch.setattr(cost, "available_memory", lambda: avail)
    return avail


@needs_pardiso
def test_auto_goes_out_of_core_where_only_that_fits(elastic, tmpdir_only, monkeypatch):
    """``auto`` on the clamped plate (22k DOF) with free memory between the out-of-core
    need and the in-core factor's: with AMG-PCG fitting, AMG-PCG as before; with an AMG
    estimate too large to fit, out of core, the reason saying so, the answer the in-core
    one's to 1e-10, no files left; with ``out_of_core=False`` the SolverError as before."""
    A, b, modes = elastic
    x_in, _ = solve(A, b, method="direct")
    _squeezed(A, monkeypatch)
    _, info = solve(A, b, kind="elasticity", near_null=modes, rtol=1e-6)
    assert info.method.startswith("amg") and "out of core" not in info.reason
    big = cost.Estimate("amg", 1e12, 1e3, {})
    monkeypatch.setattr(cost, "amg_estimate", lambda *a, **k: big)
    x, info = solve(A, b, kind="elasticity", near_null=modes)
    assert info.method == "pardiso"
    assert info.extra["out_of_core"] is True
    assert "direct out of core (the in-core factor does not fit" in info.reason
    assert "out_of_core" in info.extra["estimate"]
    assert _rel(x, x_in) < 1e-10
    assert os.listdir(tmpdir_only) == []
    # asked not to: the refusal that was all ``auto`` could do before
    with pytest.raises(SolverError, match="not enough memory for this system"):
        solve(A, b, kind="elasticity", near_null=modes, out_of_core=False)


@needs_pardiso
def test_auto_without_room_on_the_disk_names_the_disk_space(elastic, tmpdir_only, monkeypatch):
    """The same squeeze (AMG-PCG too large to fit) with 1 MB free on the disk: a
    SolverError names the factor files' size and the free disk space, before any
    factorisation. Forced out of core, the factorisation's own check says the same. No
    files left."""
    A, b, modes = elastic
    _squeezed(A, monkeypatch)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(2**40, 2**40 - 2**20, 2**20))
    big = cost.Estimate("amg", 1e12, 1e3, {})
    monkeypatch.setattr(cost, "amg_estimate", lambda *a, **k: big)
    with pytest.raises(SolverError, match=r"does not fit on the disk: factor files .* GB free"):
        solve(A, b, kind="elasticity", near_null=modes)
    assert os.listdir(tmpdir_only) == []
    with pytest.raises(SolverError, match="does not fit on the disk: its files need about"):
        solve(A, b, method="direct", out_of_core=True)
    assert os.listdir(tmpdir_only) == []


@pytest.mark.parametrize("bad", ["yes", 1, 0, "true", 2.0])
def test_invalid_out_of_core_value_names_the_key(bad):
    A, b = _thermal(4)
    with pytest.raises(InputError, match="out_of_core"):
        solve(A, b, out_of_core=bad)


@pytest.mark.parametrize("bad", ["yes", 1, "True"])
def test_spec_key_refuses_a_bad_value_naming_the_key(bad):
    from fea.package.spec import parse_study

    with pytest.raises(InputError, match=r"solver\.out_of_core"):
        parse_study({"study": {"name": "s"}, "solver": {"out_of_core": bad}})


@pytest.mark.parametrize("value", ["auto", True, False])
def test_spec_key_reaches_the_solves(value, tmp_path, monkeypatch):
    """``[solver] out_of_core`` is read as given, and :func:`out_of_core_setting` (what
    ``analyse`` enters with it and the case folder) makes it the solves' default: forced
    out of core, the solve reports it and its files went to the case folder (removed)."""
    from fea.package.spec import parse_study
    from fea.solvers import out_of_core_setting

    case = parse_study({"study": {"name": "s"}, "solver": {"out_of_core": value}}).base
    assert case.solver.out_of_core is value or case.solver.out_of_core == value
    if value is not True or not pardiso_available():
        return
    A, b = _thermal(12)
    seen = []
    real = shutil.disk_usage

    def spy(path):
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(shutil, "disk_usage", spy)
    with out_of_core_setting(case.solver.out_of_core, tmp_path):
        _, info = solve(A, b, method="direct")
    assert info.extra["out_of_core"] is True
    assert any(p.startswith(str(tmp_path)) for p in seen)
    assert os.listdir(tmp_path) == []
    _, info = solve(A, b, method="direct")  # outside the block: "auto", in core
    assert info.extra["out_of_core"] is False
