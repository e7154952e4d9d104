"""What a CPU solve will cost: memory and time of a Pardiso factorisation and of AMG-PCG for
one SPD matrix, and the choice of ``method="auto"`` on the CPU between them.

The direct estimate comes from Pardiso's own symbolic analysis (phase 11,
:class:`fea.solvers.cpu.PardisoAnalysis`): its peak memory and the factorisation's flop
count, turned into seconds by a rate measured on the reference machine. That analysis is
the first step of the factorisation anyway: when the direct solver is picked it takes the
analysis over and does not repeat it, and when AMG is picked the analysis cost a few
seconds of a solve of minutes (``scripts/bench_crossover.py`` measures the ratio). The AMG
estimate is a model in the matrix's size and entries: memory proportional to the matrix
(the hierarchy, its smoothers and the setup's strength and energy-minimisation
temporaries), setup time proportional to the entries, and PCG iterations growing slowly
with the size. Its constants were fitted to ``scripts/bench_crossover.py`` on the shared
2-core reference machine (docs/performance.md, "When auto factorises"); both paths slow
down alike under load, and only their ratio decides.

The memory compared against is the memory available now (``MemAvailable`` of
``/proc/meminfo``: free plus reclaimable), capped by ``FEA_MEMORY_GB`` where that is set
(the same variable the mesher's size guard reads).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = [
    "AMG_MODEL",
    "AMG_XP_MODEL",
    "Choice",
    "DIRECT_FLOP_RATE",
    "DIRECT_SOLVE_S_PER_ENTRY",
    "Estimate",
    "MAX_MEMORY_GB",
    "MEMORY_HEADROOM",
    "amg_estimate",
    "available_memory",
    "choose",
    "direct_estimate",
    "factorization_iterations",
    "memory_setting",
]

#: Factorisation speed of Pardiso's Cholesky on the reference machine [flop/s] (its
#: ``iparm[18]`` Mflop over the measured numerical factorisation, 2 shared cores): 8.7 and
#: 10.7 Gflop/s at 139k and 250k elasticity DOF, 5.5 at 555k under a load average of 8
#: (``scripts/bench_crossover.py``, docs/performance.md "When auto factorises").
DIRECT_FLOP_RATE = 1.0e10

#: One back-substitution's seconds per entry of the Cholesky factor (forward and backward
#: sweep, memory-bound): 3.4e-9 and 3.0e-9 measured at 139k and 250k DOF (67 M and 114 M
#: entries; 0.17 s for 114 M on the unloaded machine).
DIRECT_SOLVE_S_PER_ENTRY = 3.0e-9

#: The AMG-PCG model per kind (pyamg smoothed aggregation as ``method="amg"`` builds it).
#: ``memory``: peak bytes per stored entry of the matrix (12 bytes each in CSR);
#: ``setup``: seconds of setup per entry; ``cycle``: seconds of one PCG iteration (a
#: V-cycle and a product) per entry; iterations ``it0 * (n / 1e5) ** growth``. Elasticity
#: from ``scripts/bench_crossover.py`` on the baseline unit: peak 74-76 bytes an entry at
#: 139k and 250k DOF, setup 1.5e-6 s and an iteration 6.3e-8 s an entry at 139k (2 shared
#: cores), 128 and 78 iterations to 1e-8 at 139k and 250k (68 and 96 at 738k and 2.24 M
#: in the size series): the count depends on the mesh (flat film elements) as much as on
#: n. Scalar: not measured by the benchmark (conduction factorises cheaply, so the
#: direct solver wins far beyond the sizes run).
AMG_MODEL = {
    "elasticity": {"memory": 80.0, "setup": 1.5e-6, "cycle": 6.0e-8, "it0": 60.0, "growth": 0.25},
    "scalar": {"memory": 40.0, "setup": 3.0e-7, "cycle": 4.0e-8, "it0": 200.0, "growth": 0.33},
}

#: The same model for ``method="amg-xp"`` (:func:`fea.solvers.cpu.xp_amg_solver`: the
#: array-generic smoothed aggregation with the energy-minimising prolongator and MKL
#: products in the V-cycle), from ``scripts/bench_amg.py`` on the shared 2-core machine
#: (docs/performance.md, "CPU AMG on the cores"), one thread. Memory from
#: ``scripts/peak_amg_xp.py`` (the peak RSS a solve adds, measured as
#: ``tests/solvers/test_cost.py`` does: libraries and Numba's kernels loaded first), with
#: the threaded strength step: 36.8, 38.1, 37.6 and 37.1 bytes an entry at 139k, 250k,
#: 555k and 738k DOF; the least-squares fit of estimate / peak to 1 gives 37.4, rounded
#: up to 38 (-0.4 to +3.4 % of the measured peaks). Setup 1.15e-6 and 1.5e-6 s an
#: entry (the energy minimisation is most of it); an iteration 5.4-5.6e-9 s an entry;
#: 166, 112, 73 and 78 iterations to 1e-8 at 139k, 250k, 555k and 738k: no growth with
#: n on these meshes (the coarse ones' flat film elements cost iterations), so a
#: constant count. Scalar: not measured (``auto`` keeps pyamg for conduction,
#: :data:`AMG_MODEL`).
AMG_XP_MODEL = {
    "elasticity": {"memory": 38.0, "setup": 1.5e-6, "cycle": 5.5e-9, "it0": 110.0, "growth": 0.0},
    "scalar": {"memory": 40.0, "setup": 5.0e-7, "cycle": 3.0e-9, "it0": 200.0, "growth": 0.33},
}

#: Fraction of the available memory a method's estimate may take: the rest is left for the
#: caller's own arrays (the mesh, the stresses) and the estimate's error.
MEMORY_HEADROOM = 0.8


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of one method on one matrix.

    Attributes
    ----------
    method
        ``"direct"`` or ``"amg"``.
    memory
        Peak memory of the method [bytes], beyond the matrix itself.
    seconds
        Wall time still to spend for a setup and one solve [s] (for the direct solver
        after the analysis that produced the estimate).
    facts
        The figures behind it (Pardiso's report; the AMG model's iterations).
    """

    method: str
    memory: float
    seconds: float
    facts: dict

    def format(self) -> str:
        """``"6.5 GB / 60 s"``."""
        return f"{self.memory / 1e9:.2g} GB / {self.seconds:.3g} s"


@dataclass(frozen=True)
class Choice:
    """The method ``auto`` runs, why (one line with both estimates and the memory), and
    the estimates themselves."""

    method: str
    reason: str
    direct: Estimate | None
    amg: Estimate
    available: float


def _cgroup_room() -> float:
    """Room left under this process's cgroup memory limit [bytes] (v2 ``memory.max`` less
    ``memory.current``, or v1 ``memory.limit_in_bytes`` less ``memory.usage_in_bytes``);
    inf where there is no limit or it cannot be read. A container or a batch job's
    allocation limits a solve below the machine's ``MemAvailable``, which does not see it."""
    for limit, used in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            cap = Path(limit).read_text().strip()
            if cap == "max":
                return math.inf
            room = float(cap) - float(Path(used).read_text().strip())
        except (OSError, ValueError):
            continue
        # v1 reports an unlimited group as a huge number (2^63 rounded to pages)
        return math.inf if float(cap) >= 2.0**60 else max(room, 0.0)
    return math.inf


def available_memory() -> float:
    """Memory a solve may take now [bytes]: ``MemAvailable`` of ``/proc/meminfo`` (the
    physical memory where that cannot be read, 16 GiB where neither can), capped by the room
    left under the process's cgroup limit and by ``FEA_MEMORY_GB`` [GiB] when set.

    Raises
    ------
    InputError
        ``FEA_MEMORY_GB`` is not a positive number.
    """
    avail = math.inf
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = float(line.split()[1]) * 1024.0
                break
    except (OSError, ValueError, IndexError):
        pass
    if not math.isfinite(avail):
        try:
            avail = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            avail = 16.0 * 2**30
    avail = min(avail, _cgroup_room())
    cap = memory_setting()
    if cap is not None:
        avail = min(avail, cap)
    return avail


def memory_setting() -> float | None:
    """The memory the user gives fea, ``FEA_MEMORY_GB`` [GiB], in bytes; None when unset.

    One setting, read here for both its uses: the solver's ``auto`` takes it as a cap on
    the free memory it plans with (:func:`available_memory`: never more than is free),
    and the mesher's size guard as its limit instead of the machine's memory
    (:func:`fea.package.meshing.available_memory`: a batch job's allocation the
    machine's figures do not show).

    Raises
    ------
    InputError
        ``FEA_MEMORY_GB`` is set but not a positive number up to :data:`MAX_MEMORY_GB`.
    """
    env = os.environ.get("FEA_MEMORY_GB")
    if not env:
        return None
    try:
        value = float(env)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_MEMORY_GB):
        raise InputError(
            "FEA_MEMORY_GB", env, f"a positive number of gigabytes, at most {MAX_MEMORY_GB:,.0f}"
        )
    return value * 2**30


#: The most ``FEA_MEMORY_GB`` may say [GiB] (1 PiB: more than any one machine; a larger
#: value, e.g. 1e300, would turn the size guard off without saying so).
MAX_MEMORY_GB = 2.0**20


def direct_estimate(analysis: Any) -> Estimate:
    """The direct solver's cost from Pardiso's analysis of the matrix.

    Parameters
    ----------
    analysis
        A :class:`fea.solvers.cpu.PardisoAnalysis` (``peak_bytes``, ``factor_nnz``,
        ``mflops``, ``seconds``).

    Returns
    -------
    Estimate
        ``memory``: Pardiso's reported peak; ``seconds``: the factorisation's flops at
        :data:`DIRECT_FLOP_RATE` plus one back-substitution.
    """
    factor_s = analysis.mflops * 1e6 / DIRECT_FLOP_RATE
    solve_s = analysis.factor_nnz * DIRECT_SOLVE_S_PER_ENTRY
    return Estimate(
        "direct",
        float(analysis.peak_bytes),
        factor_s + solve_s,
        {
            "factor_nnz": analysis.factor_nnz,
            "mflops": analysis.mflops,
            "analysis_s": analysis.seconds,
            "factor_s": factor_s,
        },
    )


def amg_estimate(n: int, nnz: int, kind: str = "elasticity", method: str = "amg") -> Estimate:
    """AMG-PCG's cost for an ``n`` x ``n`` matrix with ``nnz`` stored entries of ``kind``
    (``"scalar"`` or ``"elasticity"``) by the model :data:`AMG_MODEL` (``method="amg"``,
    pyamg) or :data:`AMG_XP_MODEL` (``"amg-xp"``)."""
    if kind not in AMG_MODEL:
        raise InputError("kind", kind, "scalar or elasticity")
    if method not in ("amg", "amg-xp"):
        raise InputError("method", method, "amg or amg-xp")
    m = (AMG_MODEL if method == "amg" else AMG_XP_MODEL)[kind]
    iterations = m["it0"] * (max(n, 1) / 1e5) ** m["growth"]
    setup_s = m["setup"] * nnz
    pcg_s = iterations * m["cycle"] * nnz
    return Estimate(
        "amg",
        m["memory"] * nnz,
        setup_s + pcg_s,
        {"iterations": iterations, "setup_s": setup_s, "pcg_s": pcg_s},
    )


def choose(direct: Estimate | None, amg: Estimate, available: float) -> Choice:
    """Pick the faster method whose memory estimate fits in :data:`MEMORY_HEADROOM` of
    ``available`` [bytes]; where neither fits, the one that needs less memory.

    ``direct`` None (no Pardiso, or the analysis itself would not fit) means AMG.
    """
    room = MEMORY_HEADROOM * available
    gb = available / 1e9
    amg_txt = f"amg est. {amg.format()}"
    if direct is None:
        return Choice(
            "amg", f"amg: no direct estimate; {amg_txt}; {gb:.3g} GB free", None, amg, available
        )
    d_txt = f"direct est. {direct.format()}"
    d_fits, a_fits = direct.memory <= room, amg.memory <= room
    if d_fits and (direct.seconds <= amg.seconds or not a_fits):
        why = "faster" if direct.seconds <= amg.seconds else "amg does not fit"
        return Choice(
            "direct",
            f"direct ({why}): {d_txt} fits in {gb:.3g} GB free; {amg_txt}",
            direct,
            amg,
            available,
        )
    if a_fits:
        why = "faster" if d_fits else "direct does not fit"
        return Choice(
            "amg", f"amg ({why}): {amg_txt}; {d_txt}; {gb:.3g} GB free", direct, amg, available
        )
    name = "direct" if direct.memory <= amg.memory else "amg"
    return Choice(
        name,
        f"{name} (neither fits, it needs less memory): {d_txt}; {amg_txt}; {gb:.3g} GB free",
        direct,
        amg,
        available,
    )


def factorization_iterations(n: int) -> int:
    """What a factorisation of an ``n``-unknown elasticity system costs in PCG iterations
    preconditioned by one (a back-substitution and a product with the matrix), about:
    ``30 (n / 30000)^(1/3)``, at least 20. Measured on the quarter board-cycling model
    (P1, elastic stiffness, Pardiso, the same loaded two-core machine, interleaved): 27,441
    DOF a factorisation 0.36-0.74 s, a back-substitution and product 22 ms (17-34
    iterations); 41,502 DOF 1.46 s and 48 ms (30); 44,538 DOF 1.67 s and 44 ms (38). On
    the history's own counts the total cost (iterations plus factorisations times this
    count) was least for a limit of 20-30 at 27,441 DOF; the former ``100 (n /
    7392)^(2/3)`` (240 there) refactorised a fifth as often at 1.8x the iterations."""
    return max(20, round(30.0 * (n / 30000.0) ** (1.0 / 3.0)))
