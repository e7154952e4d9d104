"""Running studies: every case of a sweep, each to its own folder, then one table."""

from __future__ import annotations

from .runner import StudyReport, run_study

__all__ = ["StudyReport", "run_study"]
