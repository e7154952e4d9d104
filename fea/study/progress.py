"""Progress of a running study: the stage of every running case, cases done and failed,
elapsed time and the time left estimated from the cases finished in this run.

On a terminal it is a live display (rich); otherwise, as in a batch job's log, one plain
line per event, each stamped with the time since the study started.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from rich.markup import escape

__all__ = ["StudyProgress", "clock"]


def clock(seconds: float) -> str:
    """A duration [s] as ``H:MM:SS``."""
    s = int(max(0.0, seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class StudyProgress:
    """Progress of a study: the stage of every running case, cases done and failed,
    elapsed time and the time left estimated from the cases finished in this run.

    On a terminal a live display; otherwise (a batch log) one plain line per event.
    ``enabled=False`` shows nothing but failed cases.
    """

    def __init__(self, name: str, total: int, workers: int, enabled: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.name = name
        self.total = total
        self.workers = workers
        self.enabled = enabled and total > 0
        self.live = self.enabled and self.console.is_terminal
        self.t0 = time.monotonic()
        self.finished_walls: list[float] = []
        self.accounted = 0
        self.failed = 0
        self.running: dict[str, tuple[float, Any]] = {}
        self.p: Any = None
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.p = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
                console=self.console,
            )
            self.task = self.p.add_task(
                f"[bold]study {escape(name)}", total=total, counts="", eta=""
            )

    def __enter__(self) -> StudyProgress:
        if self.live:
            self.p.start()
        elif self.enabled:
            self._line(f"study {self.name}: {self.total} cases, {self.workers} at a time")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live:
            self.p.stop()

    def _line(self, text: str) -> None:
        print(f"[{clock(time.monotonic() - self.t0)}] {text}", file=sys.stderr, flush=True)

    def eta(self) -> str:
        """Time left: the mean time of this run's finished cases over what is left."""
        if not self.finished_walls:
            return "eta ?"
        mean = sum(self.finished_walls) / len(self.finished_walls)
        now = time.monotonic()
        queued = self.total - self.accounted - len(self.running)
        left = queued * mean + sum(max(mean - (now - t), 0.0) for t, _ in self.running.values())
        return f"eta {clock(left / max(1, min(self.workers, queued + len(self.running))))}"

    def _refresh(self) -> None:
        if self.live:
            done = self.accounted - self.failed
            self.p.update(
                self.task,
                completed=self.accounted,
                counts=f"{done}/{self.total} done, {self.failed} failed",
                eta=self.eta(),
            )

    def started(self, cid: str) -> None:
        task = None
        if self.live:
            task = self.p.add_task(escape(f"  {cid}: starting"), total=None, counts="", eta="")
        self.running[cid] = (time.monotonic(), task)
        if self.enabled and not self.live:
            self._line(f"{cid}: starting")

    def stage(self, cid: str, name: str) -> None:
        if cid not in self.running or not self.enabled:
            return
        t, task = self.running[cid]
        if self.live:
            self.p.update(task, description=escape(f"  {cid}: {name}"))
        else:
            self._line(f"{cid}: {name} ({time.monotonic() - t:.0f} s into the case)")

    def print(self, text: str) -> None:
        """Print ``text`` as it is: brackets in a case's values, an error or a warning
        (``[materials.library]``, a material named ``[/bold]``) are no rich markup, which
        would drop them or stop the run with a MarkupError."""
        self.console.print(text, markup=False, highlight=False)

    def message(self, text: str) -> None:
        if self.live:
            self.print(f"  {text}")
        elif self.enabled:
            self._line(text)

    def skipped(self) -> None:
        self.accounted += 1
        self._refresh()

    def finished(self, row: dict[str, Any], report: Any) -> None:
        cid = row.get("case", "?")
        t, task = self.running.pop(cid, (None, None))
        self.accounted += 1
        ok = row.get("status") == "ok"
        if not ok:
            self.failed += 1
        wall = row.get("wall_s")
        if t is not None:
            self.finished_walls.append(time.monotonic() - t)
        if self.live and task is not None:
            self.p.remove_task(task)
        self._refresh()
        took = f" in {wall:.1f} s" if isinstance(wall, int | float) and math.isfinite(wall) else ""
        status = "ok" if ok else f"failed{took}: {row.get('error')}"
        if not ok:
            text = f"{cid} {status}"
            if self.live:
                self.print(f"  {text}")
            else:
                self._line(text)
        elif self.enabled and not self.live:
            done = report.done + report.skipped + report.busy
            self._line(
                f"{cid} ok{took}; {done}/{self.total} done, {report.failed} failed, {self.eta()}"
            )
