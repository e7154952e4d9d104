"""Fault injection into a study's child processes, for tests.

:func:`inject` writes a ``sitecustomize.py`` into a folder and puts the folder first on
``PYTHONPATH``: every Python process started afterwards (the runner's children) imports
it at start-up and, according to ``FEA_TEST_FAULT``, crashes with SIGSEGV while meshing
the case with a 50 um shell, sleeps while meshing (every case, or for an hour the 50 um
one: ``hang-meshing-50um``), runs out of disk space writing
``result.h5``, or reports the GPU it was given. Nothing of this is in :mod:`fea`.
"""

from __future__ import annotations

import os
from pathlib import Path

SITECUSTOMIZE = """
import os

_fault = os.environ.get("FEA_TEST_FAULT", "")
if _fault:
    import errno
    import signal
    import sys
    import time

    import fea.package.meshing as _meshing

    _generate = _meshing.generate
    print(f"fault {_fault}; CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')}",
          file=sys.stderr, flush=True)

    def _faulty_generate(model, case, info):
        if _fault == "segv-meshing" and abs(case.geometry.shell_thickness - 50e-6) < 1e-9:
            os.kill(os.getpid(), signal.SIGSEGV)
        if _fault == "slow-meshing":
            time.sleep(600)
        if _fault == "hang-meshing-50um" and abs(case.geometry.shell_thickness - 50e-6) < 1e-9:
            time.sleep(3600)  # a mesher that does not return
        return _generate(model, case, info)

    _meshing.generate = _faulty_generate

    if _fault == "enospc-results":
        _fsync = os.fsync

        def _full_fsync(fd):
            try:
                name = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                name = ""
            if ".result.h5." in name:
                raise OSError(errno.ENOSPC, "No space left on device")
            return _fsync(fd)

        os.fsync = _full_fsync
"""


def inject(monkeypatch, folder: Path, fault: str) -> None:
    """Make the next child processes fail with ``fault`` (see the module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", str(folder) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("FEA_TEST_FAULT", fault)
