"""Running studies: every case of a sweep, each to its own folder, then one table."""

from __future__ import annotations

from .check import CaseCheck, StudyCheck, check_study
from .driver import run_study
from .report import StudyReport
from .runner import run_case
from .slurm import write_slurm_script
from .table import build_table, read_frame, read_table

__all__ = [
    "CaseCheck",
    "StudyCheck",
    "StudyReport",
    "build_table",
    "check_study",
    "read_frame",
    "read_table",
    "run_case",
    "run_study",
    "write_slurm_script",
]
