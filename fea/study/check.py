"""Check a study before running it: every case read and checked, nothing meshed or solved.

A sweep's cases are read one by one when they run (:meth:`StudySpec.case`), so a case
whose combination of values is invalid, or one the size guard refuses on this machine,
is found only when its turn comes: on a cluster, after the job was queued and the cases
before it ran. :func:`check_study` (``fea check STUDY.toml``) reads every case as the
runner will (the study's overrides applied, every check of the reader, the size guard's
estimate of elements and memory against this machine's and the work guard's time steps)
and, where the study's output folder exists, says which cases are finished from their
present input, which finished from another input (they run again), which a run still
going holds (``running``), which failed (and whether the run that recorded the failure
still runs: it is then left to that run, else retried), and which a killed run left
claimed (``orphaned``: the next run takes them over). The claims are read, never taken:
checking a folder a run is using never keeps a case from it. It takes about a
millisecond a case.

The exit status of ``fea check STUDY.toml`` (:attr:`StudyCheck.exit_status`): 0 when
every case would run or is finished; 1 when a case would be refused; 2 when a study file
is refused; 3 when the output folder holds failed or orphaned cases and no run is going
on it (a rerun retries them); 4 while a run is still going on it (a case held, or a
failure recorded by a run still running). Where several hold, the first of 2, 1, 4, 3.
``fea run`` and ``fea study merge`` exit 4 too when their table lacks cases a run still
going computes, and ``fea run`` 3 when another run left cases unfinished as it ended
(:attr:`fea.study.report.StudyReport.exit_status`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, ResultsError
from ..package.spec import StudySpec

__all__ = ["CaseCheck", "StudyCheck", "case_state", "check_study"]

#: Case states in the output folder (:attr:`CaseCheck.state`).
STATES = ("finished", "running", "stale", "failed", "orphaned", "to run")
#: The states of a case a run is using or a killed run left: in :attr:`StudyCheck.counts`
#: only when some case is in them.
RUN_STATES = ("running", "orphaned")
#: The states listed case by case in a long sweep's summary (with the refused cases).
NOTABLE = ("running", "failed", "orphaned")
#: :attr:`StudyCheck.exit_status` (see the module docstring).
EXIT_OK, EXIT_REFUSED, EXIT_RERUN, EXIT_RUNNING = 0, 1, 3, 4


@dataclass(frozen=True)
class CaseCheck:
    """One case of a study, read and checked.

    Attributes
    ----------
    case_id, params
        The case's id (``caseNNNN``) and its sweep values (dotted key -> value).
    status
        ``"ok"``, ``"invalid"`` (the reader refuses the case: :attr:`error` names the key)
        or ``"too large"`` (the size or work guard refuses it on this machine; ``fea run
        --force`` runs it anyway). A case finished from its present input is ``"ok"``:
        ``fea run`` skips it unread (where the reader or the guard would refuse it now,
        :attr:`warnings` says so).
    error
        The refusal's message (None when ``ok``).
    warnings
        The reader's warnings of this case (e.g. keys it does not use).
    elements, memory
        The size guard's estimate: tetrahedra of the largest model and bytes to mesh and
        solve it (None for an invalid case).
    state
        In the output folder: ``"finished"`` (from this input: skipped by ``fea run``),
        ``"running"`` (a run still going holds its claim: ``fea run`` leaves it),
        ``"stale"`` (finished from another input: runs again), ``"failed"`` (a run
        recorded an error: :attr:`live` says whether that run still runs), ``"orphaned"``
        (a killed run left its claim: the next run takes it over and runs it) or
        ``"to run"``.
    run
        Which run holds the case or recorded its failure, and what ``fea run`` does with
        it (None when no run is named).
    live
        Whether a run still going holds the case or recorded its failure: ``fea run``
        leaves it to that run.
    """

    case_id: str
    params: dict[str, Any]
    status: str
    error: str | None = None
    warnings: tuple[str, ...] = ()
    elements: float | None = None
    memory: float | None = None
    state: str = "to run"
    run: str | None = None
    live: bool = False

    @property
    def ok(self) -> bool:
        """Whether ``fea run`` would run the case (without ``--force``)."""
        return self.status == "ok"


@dataclass(frozen=True)
class StudyCheck:
    """The checked cases of a study (:func:`check_study`).

    Attributes
    ----------
    name
        The study's name.
    out
        The output folder the states refer to.
    cases
        One :class:`CaseCheck` per case, in order.
    warnings
        The reader's warnings of the study as a whole (its base case and sweep).
    memory_limit
        Bytes this machine (or job) has for one case
        (:func:`fea.package.meshing.available_memory`).
    swept
        Whether the cases are a sweep's (else the study's one case).
    """

    name: str
    out: Path
    cases: tuple[CaseCheck, ...]
    warnings: tuple[str, ...] = ()
    memory_limit: float = 0.0
    swept: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Cases per state in :attr:`out` (``"finished"``, ``"stale"``, ``"failed"``,
        ``"to run"``; ``"running"`` and ``"orphaned"`` only when some case is in them)."""
        counts = {s: sum(c.state == s for c in self.cases) for s in STATES}
        return {s: k for s, k in counts.items() if k or s not in RUN_STATES}

    @property
    def ok(self) -> bool:
        """Whether every case would run."""
        return all(c.ok for c in self.cases)

    @property
    def running(self) -> bool:
        """Whether a run is still going on :attr:`out` (a case held, or a failure recorded
        by a run still running)."""
        return any(c.live for c in self.cases)

    @property
    def exit_status(self) -> int:
        """``fea check``'s exit status for this study: 1 when a case would be refused, else
        4 while a run is going on :attr:`out`, else 3 when failed or orphaned cases are
        left there (a rerun retries them), else 0."""
        if not self.ok:
            return EXIT_REFUSED
        if self.running:
            return EXIT_RUNNING
        if any(c.state in ("failed", "orphaned") for c in self.cases):
            return EXIT_RERUN
        return EXIT_OK

    def format(self, all_rows: bool = False, limit: int = 20, refused: int = 50) -> str:
        """A summary: the counts, then one row per case that is not ``ok`` and per case
        ``running``, ``failed`` or ``orphaned`` in the output folder (the first
        ``refused`` of them, the refused first; each with the run that holds or failed
        it) and, when ``all_rows`` or the study has at most ``limit`` cases, the others
        too; ``all_rows`` lists every case."""
        cases = self.cases
        n = len(cases)
        bad = [c for c in cases if not c.ok]
        head = f"study {self.name}: {n} case{'s' if n != 1 else ''}, {n - len(bad)} ok"
        for status in ("invalid", "too large"):
            k = sum(c.status == status for c in cases)
            if k:
                head += f", {k} {status}"
        counts = self.counts
        parts = []
        for s in STATES:
            k = counts.get(s, 0)
            if not k or s == "to run":
                continue
            live = sum(c.live for c in cases if c.state == s)
            parts.append(
                f"{k} {s}" + (f" ({live} by a run still going)" if s == "failed" and live else "")
            )
        states = ", ".join(parts)
        todo = sum(c.ok and c.state != "finished" and not c.live for c in cases)
        lines = [head]
        if states:
            refused_text = f", {len(bad)} refused" if bad else ""
            lines.append(f"in {self.out}: {states}; {todo} would run{refused_text}")
        lines += [f"warning: {w}" for w in self.warnings]
        notable = bad + [c for c in cases if c.ok and c.state in NOTABLE]
        shown = cases if all_rows or n <= limit else notable[:refused]
        if shown:
            lines.append(
                f"{'case':<9} {'status':<9} {'elements':>10} {'memory':>9}  {'state':<8}  "
                "parameters"
            )
        for c in shown:
            el = "" if c.elements is None else f"{c.elements:,.0f}"
            mem = "" if c.memory is None else f"{c.memory / 2**30:.1f} GiB"
            par = ", ".join(f"{k}={_value(v)}" for k, v in c.params.items()) or (
                "(the base values)" if self.swept else "(base case)"
            )
            lines.append(f"{c.case_id:<9} {c.status:<9} {el:>10} {mem:>9}  {c.state:<8}  {par}")
            if c.error:
                lines.append(f"          error: {c.error}")
            if c.run:
                lines.append(f"          run: {c.run}")
            lines += [f"          warning: {w}" for w in c.warnings]
        if len(shown) < n:
            more = len(bad) - sum(not c.ok for c in shown)
            left = (
                f"{n - len(shown)} cases not listed ({more} of them refused)"
                if more
                else f"{n - len(shown)} ok cases not listed"
            )
            lines.append(f"({left}: --all lists every case)")
        if self.running:
            lines.append(
                "(a run is still going on this folder: its cases are left to it; "
                "fea check again once it has ended)"
            )
        big = max((c.memory or 0.0 for c in cases), default=0.0)
        if big:
            lines.append(
                f"largest case: ~{big / 2**30:.1f} GiB to mesh and solve "
                f"({self.memory_limit / 2**30:.1f} GiB available here)"
            )
        if any(c.status == "too large" for c in cases):
            lines.append(
                "(the size guard compares with this machine's memory: to check for a "
                "compute node, set FEA_MEMORY_GB to its memory)"
            )
        return "\n".join(lines)


def _value(v: Any) -> str:
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _messages(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    out: list[str] = []
    for w in caught:
        text = str(w.message)
        if text not in out:
            out.append(text)
    return tuple(out)


def _folder(root: Path) -> bool:
    """Whether the output folder ``root`` exists (False: every case is to run); a
    :class:`~fea.errors.ResultsError` where ``fea run`` could not use it (a file is
    there) or it cannot be read."""
    try:
        if not os.path.lexists(root):
            return False
        if not root.is_dir():
            raise ResultsError(f"the output folder {root} is not a folder")
        with os.scandir(root) as entries:  # readable: the cases' states can be read
            next(entries, None)
    except OSError as exc:
        raise ResultsError(f"cannot read the output folder {root}: {exc.strerror}") from None
    return True


def case_state(
    spec: StudySpec, folder: Path, params: Mapping[str, Any]
) -> tuple[str, str | None, bool]:
    """``(state, run, live)`` of the case of ``params`` in its folder ``folder`` of the
    output folder, as :class:`CaseCheck` has them (``state`` one of :data:`STATES`;
    ``run``: which run holds or failed it, None when none is named; ``live``: a run still
    going holds it or recorded its failure), read without taking its claim, in the order
    ``fea run`` decides (:func:`fea.study.runner.claim_case`): finished, then its claim
    (held or left by a killed run), then stale, then its failure (by a run still going or
    an ended one). ``fea check``, ``fea study merge`` and the end of ``fea run`` (the
    cases it left to another run) read the states so. A
    :class:`~fea.errors.ResultsError` where the folder cannot be read or is a link
    ``fea run`` refuses."""
    from .runner import case_claim, failed_by, finished_current, linked_case, run_alive

    try:
        done = finished_current(spec, folder, params)
        if done:
            return "finished", None, False
        refused = linked_case(folder)  # fea run stops the study at it
        if refused is not None:
            raise refused
        claim = case_claim(folder)
        if claim is not None and claim[0]:
            return "running", f"{claim[1]}, still running: fea run leaves it to that run", True
        writer = failed_by(folder / "error.json") if done is None else None
        if writer is not None and run_alive(folder.parent, writer):
            # also over a claim its lost worker left (Dask): the failure is that run's
            text = f"recorded by {writer.text()}, still running: fea run leaves it to that run"
            return "failed", text, True
        if claim is not None:
            return "orphaned", f"{claim[1]}: the next fea run takes it over and runs it", False
        if done is False:
            return "stale", None, False
        if not (folder / "error.json").is_file():
            return "to run", None, False
        if writer is None:  # an older version's record: an ended run's
            return "failed", None, False
        return "failed", f"recorded by {writer.text()}, which has ended: fea run retries it", False
    except OSError as exc:
        raise ResultsError(f"cannot read the case folder {folder}: {exc.strerror}") from None


def check_study(
    spec: StudySpec,
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    base_warnings: tuple[str, ...] = (),
    slice_: str | None = None,
) -> StudyCheck:
    """Read and check every case of ``spec`` as ``fea run`` would, without meshing.

    Parameters
    ----------
    spec
        The study (:func:`fea.load_study`).
    out
        Its output folder (default ``results/<name>``), where the cases' states are read;
        a folder that does not exist leaves every case ``"to run"``; a file there, a
        folder that cannot be read, or one holding another study's results
        (:func:`fea.study.owner.check_owner`) is a :class:`~fea.errors.ResultsError`.
    force
        As ``fea run --force``: the size and work guards' estimates are reported but
        refuse nothing.
    base_warnings
        Warnings already issued when the study was read (shown with the study's own).
    slice_
        ``"i/n"``: only the cases ``fea run --slice i/n`` runs (one task of a job array).

    Returns
    -------
    StudyCheck
        One :class:`CaseCheck` per case; nothing is written.
    """
    from ..package.meshing import available_memory, check_size, estimate
    from .driver import check_environment, output_path, parse_slice
    from .owner import check_owner

    check_environment()
    sl = parse_slice(slice_)
    root = output_path(spec, out)
    present = _folder(root)
    rows: list[CaseCheck] = []
    study_warnings = list(base_warnings)
    cases = spec.case_parameters()
    if sl is not None:
        cases = cases[sl[0] :: sl[1]]  # as run_study slices them
    if present:
        check_owner(spec, root)  # another study's folder: fea run refuses it
    for cid, params in cases:
        state, run, live = (
            case_state(spec, root / cid, params) if present else ("to run", None, False)
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status, error, est = "ok", None, None
            try:
                case = spec.case(params)
            except InputError as exc:
                status, error = "invalid", str(exc)
            else:
                est = estimate(case)
                try:
                    check_size(case, force=force)
                except InputError as exc:
                    status, error = "too large", str(exc)
        msgs = _messages(caught)
        if spec.sweep is None:  # the only case: its warnings are the study's
            study_warnings += [m for m in msgs if m not in study_warnings]
            msgs = ()
        else:  # a sweep case read again repeats the study's own warnings
            msgs = tuple(m for m in msgs if m not in study_warnings)
        if state == "finished" and status != "ok":
            # fea run skips it unread: nothing is refused, but say what a rerun would meet
            msgs = (f"finished from this input (fea run skips it); now {status}: {error}", *msgs)
            status, error = "ok", None
        rows.append(
            CaseCheck(
                cid,
                dict(params),
                status,
                error,
                msgs,
                None if est is None else est.elements,
                None if est is None else est.memory,
                state,
                run,
                live,
            )
        )
    return StudyCheck(
        spec.name,
        root,
        tuple(rows),
        tuple(study_warnings),
        available_memory(),
        spec.sweep is not None,
    )
