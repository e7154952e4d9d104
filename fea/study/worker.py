"""The child process that runs one case of a study.

:mod:`fea.study.runner` starts one per case, even with one worker, so a crash in native
code (a segfault in gmsh, an abort in MKL or CUDA, the out-of-memory killer) costs that
case alone: the runner records it as failed, with the signal and the stage it hit, and
the study goes on.

Protocol. The parent writes the job (a pickled dict: the case's input and where to put
its results) to the child's stdin and closes it. A group's job (``[sweep] group``) holds
the jobs of its cases under ``"group"``: the child runs them in order on one
:class:`fea.package.analyse.SolverContext`, each of its messages then naming its case
(``"case": id``). The child answers on its stdout with
JSON lines: ``{"stage": name, "t": seconds}`` when the case enters a stage (see
:mod:`fea.package.progress`), ``{"warning": text}`` for each user-facing warning, and at
the end ``{"row": {...}}`` (the case's table row) or ``{"stop": message}`` when nothing
more can be written (a full disk). Everything else the child or its libraries print goes
to its stderr, which the parent points at the case's ``case.log``.

The child dies with its parent: Linux delivers SIGKILL to it when the parent process
ends (``PR_SET_PDEATHSIG``), and a watchdog thread checks the parent elsewhere, so a
killed study (SIGKILL or SIGTERM) leaves no worker computing on its own.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import threading
import time
from typing import Any

__all__ = ["die_with_parent", "main"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """End this process when process ``parent`` ends (now, if it already has)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent ended before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="fea-parent-watch", daemon=True).start()


def main() -> None:
    """Run the job read from stdin; see the module docstring for the protocol."""
    pipe = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # print() and the C libraries write to the log, never to the protocol
    job: dict[str, Any] = pickle.load(sys.stdin.buffer)
    die_with_parent(int(job["parent"]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what ends a case

    import faulthandler

    faulthandler.enable()  # a native crash leaves a Python traceback in the log

    lock = threading.Lock()
    t0 = time.monotonic()

    def send(**message: Any) -> None:
        line = json.dumps(message, default=str)
        with lock:
            pipe.write(line + "\n")
            pipe.flush()

    from ..errors import ResultsError
    from ..package import progress
    from .runner import run_case

    if "group" in job:
        _run_group(job, send, t0)
        return
    try:
        with progress.reporting(lambda name: send(stage=name, t=time.monotonic() - t0)):
            row = run_case(
                job["raw"],
                job["case"],
                job["params"],
                job["folder"],
                job["study"],
                job.get("cache_dir"),
                job.get("field_plots", False),
                force=job.get("force", False),
                on_warning=lambda text: send(warning=text),
                run=job.get("run"),
            )
    except ResultsError as exc:  # a full disk: the study cannot go on
        send(stop=str(exc))
        return
    send(row=row)


def _run_group(job: dict[str, Any], send: Any, t0: float) -> None:
    """Run the cases of a group in order on one solver context; a row per case."""
    from ..errors import ResultsError
    from ..package import progress
    from ..package.analyse import SolverContext
    from .runner import run_case

    with SolverContext(str(job["group"][0]["case"])) as context:
        for sub in job["group"]:
            cid = sub["case"]
            try:
                with progress.reporting(
                    lambda name, cid=cid: send(stage=name, t=time.monotonic() - t0, case=cid)
                ):
                    row = run_case(
                        sub["raw"],
                        cid,
                        sub["params"],
                        sub["folder"],
                        sub["study"],
                        sub.get("cache_dir"),
                        sub.get("field_plots", False),
                        force=sub.get("force", False),
                        on_warning=lambda text, cid=cid: send(warning=text, case=cid),
                        context=context,
                        run=sub.get("run"),
                    )
            except ResultsError as exc:  # a full disk: the study cannot go on
                send(stop=str(exc), case=cid)
                return
            send(row=row, case=cid)
            context.cases += 1


if __name__ == "__main__":  # pragma: no cover (started by fea.study.runner)
    main()
