"""A solver that recycles: prepared solvers of a sequence of nearby SPD systems, reused.

The steps of a mechanical history (:func:`fea.solve_history`) solve ``K_k u_k = f_k`` with
stiffnesses that repeat or nearly repeat (a viscoelastic region glassy or relaxed most of
a reflow). :class:`RecyclingSolver` keeps a few prepared solvers (factorisations or AMG
hierarchies, :func:`fea.solvers.prepare`) and solves a step with one of them: exactly,
with the step snapped to a cached one's parameters, or by CG (:func:`fea.solvers.pcg`)
preconditioned by the nearest; a step's load increment is first projected on the span
of the entry's earlier right-hand sides, whose solutions are kept, so steps of a regime
cost no back-substitution at all. :class:`SolverCache` is the simple case: prepared
solvers kept by an exact key, a matrix replaced through :meth:`fea.solvers.Prepared.update`
(a temperature sweep, the time-step sizes of a transient).

Both see matrices and vectors only: the caller assembles (``assemble(lam, mu)``) and says
which DOFs are constrained (:class:`StepConstraints`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import SolverError
from ..validate import check_count
from .amg import elimination_positions
from .base import MAXITER_CAP
from .krylov import pcg
from .registry import Prepared, prepare

__all__ = [
    "Entry",
    "HeldSolver",
    "NEARBY_CG_MAXITER",
    "Plan",
    "RecyclingSolver",
    "SPAN_VECTORS",
    "SolverCache",
    "StepConstraints",
    "StepLaw",
    "cg_iterations",
    "same_key",
    "stiffness_ratio",
]

#: Earlier solves kept per factorisation (:meth:`RecyclingSolver.solve_exact`): right-hand
#: sides and their solutions, 2 x 16 vectors of 3 n (64 MB at 250k DOF); 0 turns the
#: reuse off. Read when a :class:`RecyclingSolver` is made.
SPAN_VECTORS = 16

#: Most iterations of CG preconditioned by a nearby factorisation
#: (:meth:`RecyclingSolver.run`) before the step's own matrix is factorised: a step is
#: planned for CG only where the classical bound says a few tens suffice (``max_cg``), so
#: one that needs this many is far from its entry and its own factorisation is cheaper.
#: A lower ``maxiter`` of the solver lowers it; a higher one does not raise it.
NEARBY_CG_MAXITER = 200


class StepLaw(Protocol):
    """What :class:`RecyclingSolver` needs of a group's law: the distance between two
    steps' parameters (per element, >= 0; 0 for equal ones), e.g.
    :meth:`fea.physics.viscoelastic.Viscoelastic.step_distance`."""

    def step_distance(self, a: Any, b: Any) -> NDArray[np.float64]: ...


@dataclass(eq=False)
class StepConstraints:
    """Constrained DOFs of a step's system, eliminated in place.

    Attributes
    ----------
    D
        Every constrained DOF (prescribed, supports, inactive), sorted, shape (k,).
    values
        Prescribed values (n,), zero elsewhere.
    supports
        The statically determinate supports of free parts (their reactions are reported).
    Q
        Orthonormal free rigid-body modes (n, m), projected out of the solution.
    near_null
        The near-null space for AMG (n, 6).
    key
        Identifies the constraints: entries are used only with the same key.
    scale
        Diagonal of the constrained rows (set at the first assembly: the stiffness's
        mean free diagonal, so CG weighs an error there like one of a free DOF).
    """

    D: NDArray[np.int64]
    values: NDArray[np.float64]
    supports: NDArray[np.int64]
    Q: NDArray[np.float64]
    near_null: NDArray[np.float64]
    key: int
    scale: float | None = None


@dataclass(eq=False)
class Entry:
    """A factorised (or otherwise prepared) stiffness of a :class:`RecyclingSolver`: its
    element moduli, the per-group step parameters it was made for, its constraints' key,
    the prepared solver and the span of its earlier solves."""

    lam: NDArray[np.float64]
    mu: NDArray[np.float64]
    dxi: dict[str, NDArray[np.float64]]
    con_key: int
    prepared: Any
    kd: NDArray[np.float64]  # K @ prescribed values
    K_support: Any
    used: int = 0
    A: Any = None  # the factorised (or iteratively solved) matrix
    # the span of earlier solves: orthonormal right-hand sides Q (cap, 3 n) and their
    # solutions Z = A^-1 Q, kept as a ring of ``cap`` rows; ``added`` counts the rows made
    Q: NDArray[np.float64] | None = None
    Z: NDArray[np.float64] | None = None
    added: int = 0
    floor: float = 0.0  # the largest relative residual its solves have left
    rest_keys: dict = field(default_factory=dict)  # hashes of the elastic elements' moduli


def stiffness_ratio(
    lam: NDArray[np.float64],
    mu: NDArray[np.float64],
    lam_b: NDArray[np.float64],
    mu_b: NDArray[np.float64],
) -> float:
    """Largest ratio (either way) of two sets of element moduli: a bound on the condition
    number of one stiffness preconditioned by the other (inf if their supports differ)."""
    k = 1.0
    for a, b in ((lam, lam_b), (mu, mu_b)):
        za, zb = a == 0.0, b == 0.0
        if np.any(za != zb):
            return math.inf
        nz = ~za
        if np.any(nz):
            r = a[nz] / b[nz]
            if np.any(r <= 0):
                return math.inf
            k = max(k, float(r.max()), float(1.0 / r.min()))
    return k


def cg_iterations(kappa: float, rtol: float) -> float:
    """Classical bound on the CG iterations that reduce the error by ``rtol`` for a
    preconditioned condition number ``kappa`` (Saad, *Iterative Methods for Sparse Linear
    Systems*, 2nd ed., 2003, sec. 6.11.3); observed counts were at or below it."""
    if kappa <= 1.0 + 1e-14:
        return 1.0
    s = math.sqrt(kappa)
    return 1.0 + math.log(2.0 / rtol) / math.log((s + 1.0) / (s - 1.0))


class RecyclingSolver:
    """Prepared solvers of a sequence of nearby stiffnesses (steps of a history), reused.

    The stiffness of a step is ``K(lam, mu)``: one pattern, element moduli ``lam``, ``mu``
    (n_el,) that depend on the step only through the step parameters ``dxi`` of the
    elements of some groups (a viscoelastic region's reduced-time increments: see
    :class:`StepLaw`). :meth:`plan` picks how a step is solved -- a cached entry exactly,
    or one whose parameters are within ``snap_tol`` (the step then takes that entry's
    parameters: an approximation of the step, see :func:`fea.solve_history`), CG on the
    exact matrix preconditioned by the nearest entry, or a new factorisation --; :meth:`run`
    solves it, taking the part of the load in the span of an entry's earlier right-hand
    sides from their stored solutions. The caller assembles: :meth:`plan` receives
    ``assemble(lam, mu) -> K`` (SciPy CSR, every pattern entry stored).

    Parameters
    ----------
    backend, method, rtol
        As :func:`fea.solvers.prepare` (``rtol``: the CG steps' residual relative to |b|).
    max_factorizations
        Entries kept at once (least recently used dropped).
    snap_tol
        Largest :meth:`StepLaw.step_distance` of a step from an entry it takes; 0: never.
    max_cg
        A step is solved by CG preconditioned by the nearest entry when the classical
        bound on its iterations (:func:`cg_iterations`) is at most this.
    span_cap, span_tol
        Earlier solves kept per entry (default :data:`SPAN_VECTORS`) and the factor on an
        entry's residual floor below which an answer from the span is accepted.
    maxiter
        The iteration limit (``[solver] maxiter``): of an entry's own solves where the
        entry is iterative (AMG-PCG: reached, an :class:`~fea.errors.IterationLimitError`),
        and, with :data:`NEARBY_CG_MAXITER`, the smaller of the two, of CG preconditioned
        by a nearby factorisation, which past it factorises the step's own matrix instead
        (a fallback, not an error: the factorisation is then the cheaper answer).
    """

    def __init__(
        self,
        *,
        backend: str,
        method: str,
        rtol: float,
        max_factorizations: int,
        snap_tol: float,
        max_cg: float,
        span_cap: int | None = None,
        span_tol: float = 100.0,
        maxiter: int = 2000,
    ) -> None:
        self.max_cg = max_cg
        self.maxiter = check_count("maxiter", maxiter, MAXITER_CAP, "iterations")
        #: the cap of CG preconditioned by a kept factorisation (a nearby entry's here, the
        #: step's elastic one in a Newton correction): past it, a direct solve
        self.cg_cap = min(NEARBY_CG_MAXITER, self.maxiter)
        self.backend, self.method, self.rtol = backend, method, rtol
        self.capacity = max_factorizations
        self.snap_tol = snap_tol
        self.entries: list[Entry] = []
        # the last two solutions of the current constraints (CG's start: their linear
        # extrapolation)
        self.x_prev: dict[int, list[NDArray[np.float64]]] = {}
        self.clock = 0
        # the positions of the constrained rows and columns in the stiffness's pattern
        self._elim: tuple | None = None
        self.span_cap = SPAN_VECTORS if span_cap is None else span_cap
        # the entry, constraints, load and unsolved remainder of the last step solved by
        # :meth:`solve_exact`; None after any other step
        self.last: tuple | None = None
        self.span_tol = span_tol
        self.t_factor = 0.0  # seconds of the last factorisation
        # where the last setup ran and what it is ({"backend": "cpu"|"gpu", "method"}), for
        # the results file's record
        self.last_setup: dict[str, str] = {}
        self.t_solve = 0.0  # seconds of the last back-substitution
        self.stats = {
            "steps": 0,
            "factorizations": 0,
            "back_substitutions": 0,
            "span_steps": 0,
            "snapped_steps": 0,
            "cg_steps": 0,
            "cg_iterations": 0,
            "assemblies": 0,
            "factor_s": 0.0,
            "solve_s": 0.0,
            "assembly_s": 0.0,
        }

    def close(self) -> None:
        for e in self.entries:
            e.prepared.close()
        self.entries.clear()

    # -- choosing an entry -----------------------------------------------------------
    def snap(
        self,
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        dxi: dict[str, NDArray[np.float64]],
        visco: dict[str, tuple[NDArray[np.int64], StepLaw]],
        con: StepConstraints,
    ) -> Entry | None:
        """A cached entry this step can take exactly or by replacing its viscoelastic
        elements' ``dxi`` by the entry's (within ``snap_tol``); None if there is none."""
        is_ve = np.zeros(lam.shape[0], dtype=bool)
        for el, _ in visco.values():
            is_ve[el] = True
        ve_key = hash(is_ve.tobytes())

        def rest_key(la: NDArray[np.float64], m: NDArray[np.float64]) -> int:
            # the elastic elements' moduli, hashed (then compared exactly on a match)
            return hash((la[~is_ve].tobytes(), m[~is_ve].tobytes()))

        key = rest_key(lam, mu)
        for e in sorted(self.entries, key=lambda e: -e.used):
            if e.con_key != con.key:
                continue
            if ve_key not in e.rest_keys:
                e.rest_keys[ve_key] = rest_key(e.lam, e.mu)
            if e.rest_keys[ve_key] != key or not (
                np.array_equal(lam[~is_ve], e.lam[~is_ve])
                and np.array_equal(mu[~is_ve], e.mu[~is_ve])
            ):
                continue
            if set(e.dxi) != set(dxi):
                continue
            ok = True
            for r, (_el, law) in visco.items():
                if np.array_equal(dxi[r], e.dxi[r]):
                    continue
                if self.snap_tol <= 0 or law.step_distance(dxi[r], e.dxi[r]).max() > self.snap_tol:
                    ok = False
                    break
            if ok:
                return e
        return None

    def anchor(
        self,
        dxi: dict[str, NDArray[np.float64]],
        visco: dict[str, tuple[NDArray[np.int64], StepLaw]],
    ) -> dict[str, NDArray[np.float64]] | None:
        """The step's increments with each element's replaced by its glassy (0) or fully
        relaxed (inf) limit, when every viscoelastic element is within ``snap_tol`` of one
        of them (and at least one is not already there); else None."""
        if self.snap_tol <= 0 or not dxi:
            return None
        out = {}
        for r, (_el, law) in visco.items():
            d = dxi[r]
            zero = law.step_distance(d, 0.0) <= self.snap_tol
            inf = law.step_distance(d, np.inf) <= self.snap_tol
            if not np.all(zero | inf):
                return None
            out[r] = np.where(zero, 0.0, np.inf)
        if all(np.array_equal(out[r], dxi[r]) for r in dxi):
            return None
        return out

    def nearest(
        self, lam: NDArray[np.float64], mu: NDArray[np.float64], con: StepConstraints
    ) -> tuple[Entry | None, float]:
        """The cached entry of the same constraints whose moduli are closest in ratio,
        and that ratio (the preconditioned condition number's bound)."""
        best, kbest = None, math.inf
        for e in self.entries:
            if e.con_key != con.key:
                continue
            k = stiffness_ratio(lam, mu, e.lam, e.mu)
            if k < kbest:
                best, kbest = e, k
        return best, kbest

    # -- assembly and preparation -----------------------------------------------------

    def _eliminate(self, K: sp.csr_matrix, con: StepConstraints) -> sp.csr_matrix:
        """``K`` (a fresh CSR matrix storing every pattern entry) with the rows and columns
        of ``con.D`` those of ``con.scale`` times the identity, in place. Where in the
        pattern they lie is found once per constraints and pattern."""
        c = self._elim
        if not (
            c is not None
            and c[0] == con.key
            and (c[1] is K.indptr or np.array_equal(c[1], K.indptr))
            and (c[2] is K.indices or np.array_equal(c[2], K.indices))
        ):
            hit, diag = elimination_positions(K, con.D)
            c = self._elim = (con.key, K.indptr, K.indices, hit, diag)
        K.data[c[3]] = 0.0
        K.data[c[4]] = con.scale
        return K

    def assemble(
        self,
        assemble: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        con: StepConstraints,
    ) -> tuple[sp.csr_matrix, NDArray[np.float64], Any]:
        """``assemble(lam, mu)`` with the constraints eliminated in place; returns
        ``(A, K @ prescribed values, the supports' rows of K)``."""
        t0 = time.perf_counter()
        K = assemble(lam, mu).tocsr()
        kd = K @ con.values if np.any(con.values) else np.zeros(K.shape[0])
        K_support = K[con.supports] if len(con.supports) else None
        if con.scale is None:
            # constrained rows get a diagonal of the stiffness's scale, not 1: CG's
            # relative residual then weighs an error there like one of a free DOF
            free = np.ones(K.shape[0], dtype=bool)
            free[con.D] = False
            dg = K.diagonal()[free]
            con.scale = float(dg[dg > 0].mean()) if np.any(dg > 0) else 1.0
        A = self._eliminate(K, con)
        self.stats["assemblies"] += 1
        self.stats["assembly_s"] += time.perf_counter() - t0
        return A, kd, K_support

    def factorize(
        self,
        A: sp.csr_matrix,
        kd: NDArray[np.float64],
        K_support: Any,
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        dxi: dict[str, NDArray[np.float64]],
        con: StepConstraints,
    ) -> Entry:
        # a stiffness of other constraints (before a birth or a removal) is not used
        # again, and at capacity the least recently used goes: free them first
        for e in [e for e in self.entries if e.con_key != con.key]:
            e.prepared.close()
            self.entries.remove(e)
        while len(self.entries) >= self.capacity:
            old = min(self.entries, key=lambda e: e.used)
            old.prepared.close()
            self.entries.remove(old)
        t0 = time.perf_counter()
        prepared = prepare(
            A,
            kind="elasticity",
            backend=self.backend,
            method=self.method,
            near_null=con.near_null,
            rtol=self.rtol,
            maxiter=self.maxiter,
        )
        self.t_factor = time.perf_counter() - t0
        self.stats["factorizations"] += 1
        self.stats["factor_s"] += self.t_factor
        self.last_setup = {"backend": prepared.where, "method": prepared.name}
        entry = Entry(
            lam.copy(),
            mu.copy(),
            {r: d.copy() for r, d in dxi.items()},
            con.key,
            prepared,
            kd,
            K_support,
            A=A,
        )
        entry.used = self.clock
        self.entries.append(entry)
        return entry

    def _direct(self, e: Entry) -> bool:
        p = e.prepared
        return getattr(p, "where", "") == "cpu" and getattr(p, "name", "") in ("pardiso", "superlu")

    def apply_factor(self, entry: Entry, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A^-1 b`` by ``entry``'s kept factorisation (or preconditioner) alone, without
        the residual check: the application of a preconditioner, e.g. in another PCG's
        loop. ``b``: shape ``(n,)`` in the entry's system's units; counted as one
        back-substitution in :attr:`stats`."""
        return self._backsolve(entry, b, check=False)

    def _backsolve(
        self, e: Entry, b: NDArray[np.float64], check: bool = True
    ) -> NDArray[np.float64]:
        """``A^-1 b`` with the entry; ``check``: with the solver's residual (which raises
        the entry's ``floor``), else the back-substitution alone (CG's preconditioner)."""
        t0 = time.perf_counter()
        if check:
            x, info = e.prepared.solve(b)
            if np.isfinite(info.residual):
                e.floor = max(e.floor, float(info.residual))
        else:
            x = e.prepared.apply(b)
        self.t_solve = time.perf_counter() - t0
        self.stats["back_substitutions"] += 1
        self.stats["solve_s"] += self.t_solve
        return np.asarray(x, dtype=np.float64)

    def solve_exact(
        self, e: Entry, b: NDArray[np.float64], key: int, x_prev: NDArray[np.float64] | None
    ) -> NDArray[np.float64]:
        """``x`` with ``e.A x = b`` (constraints ``key``), from the span of the entry's
        earlier solves where it holds the load, else with one solve (which joins the span).

        Right after a step solved with the same entry (and unless the load shrank below a
        tenth of that step's) the unknown is the increment,
        ``x = x_prev + A^-1 (b - b_prev)``: the load increment is formed from the two
        loads, not as the residual ``b - A x_prev``, whose rounding (the stiffness times a
        displacement, a sum with much cancellation) would reach the solution (1e-10 of it
        on a thin strip). Otherwise ``x = A^-1 b``. The part of that right-hand side in
        the span of the entry's earlier right-hand sides comes from their stored
        solutions; the remainder is kept and accumulated over the steps that leave it, and
        costs a solve (of all of it) once it exceeds ``tol ||b||``: ``span_tol`` (100)
        times the largest relative residual the entry's own solves have left (a
        back-substitution's rounding: about 1e-12 on the package meshes), at most
        ``rtol``. A glassy or a relaxed step's increment is the regions' thermal loads
        times the temperature step, so after the first few steps of a regime the span
        holds it and those steps cost no solve. With an iterative solver (AMG-PCG, on the
        CPU or the device), whose stored solutions are accurate to its ``rtol`` only, an
        answer from the span is also checked on its true residual (one product by the
        matrix)."""
        if self.span_cap == 0 or e.A is None:
            self.last = None
            return self._backsolve(e, b)
        last = self.last
        bn = float(np.linalg.norm(b))
        if not np.isfinite(bn):
            raise SolverError("the history step's load is not finite (NaN or inf)")
        if (
            last is not None
            and last[0] is e
            and last[1] == key
            and x_prev is not None
            and bn >= 0.1 * float(np.linalg.norm(last[2]))
        ):
            d, x, rem = b - last[2], x_prev.copy(), last[3]
        else:
            # first step with the entry, or a load that shrank: an increment much larger
            # than the load would cost its relative accuracy
            d, x, rem = b.copy(), np.zeros_like(b), None
        m = min(e.added, self.span_cap)
        Q = Z = None
        if m:
            Q, Z = e.Q[:m], e.Z[:m]
            for _ in range(2):  # classical Gram-Schmidt, twice
                c = Q @ d
                d -= Q.T @ c
                x += Z.T @ c
        if rem is not None:
            d += rem  # what earlier steps left unsolved
        rn = float(np.linalg.norm(d))
        tol = min(self.span_tol * e.floor, self.rtol) * bn
        if rn == 0.0 or (m and rn <= tol):
            if self._direct(e) or np.linalg.norm(b - e.A @ x) <= self.rtol * np.linalg.norm(b):
                self.stats["span_steps"] += 1
                self.last = (e, key, b.copy(), d)
                return x
            # an iterative solver's stored solutions are as accurate as its rtol only, and
            # their errors add up over the steps: solve for the true residual
            d = b - e.A @ x
            rn = float(np.linalg.norm(d))
        q = d / rn
        z = self._backsolve(e, q)
        x += rn * z
        self.last = (e, key, b.copy(), None)
        if Q is not None:  # keep the rows orthonormal (q nearly is, but for ``rem``)
            c = Q @ q
            q, z = q - Q.T @ c, z - Z.T @ c
            nq = float(np.linalg.norm(q))
            if nq < 1e-8:
                return x
            q, z = q / nq, z / nq
        if e.Q is None:
            e.Q = np.empty((self.span_cap, b.shape[0]))
            e.Z = np.empty((self.span_cap, b.shape[0]))
        k = e.added % self.span_cap  # the oldest row goes: the rest stay orthonormal
        e.Q[k], e.Z[k] = q, z
        e.added += 1
        return x

    # -- one step ----------------------------------------------------------------------
    def plan(
        self,
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        dxi: dict[str, NDArray[np.float64]],
        visco: dict[str, tuple[NDArray[np.int64], StepLaw]],
        con: StepConstraints,
        moduli: Callable[[dict[str, NDArray[np.float64]]], tuple[NDArray, NDArray]],
        assemble: Callable[[NDArray[np.float64], NDArray[np.float64]], Any],
    ) -> Plan:
        """How this step is solved: the cached entry it takes (exactly or snapped: then
        ``plan.dxi`` is the entry's), or CG on the exact matrix preconditioned by the
        nearest entry, or a new factorisation.

        ``lam``, ``mu`` (n_el,): the step's moduli; ``dxi``: group -> the step parameter
        of each element of the group; ``visco``: group -> (its elements, its
        :class:`StepLaw`); ``moduli(dxi) -> (lam, mu)``: the moduli at other step
        parameters (a glassy or relaxed limit); ``assemble(lam, mu) -> K``: the
        stiffness (SciPy CSR, every pattern entry stored)."""
        self.clock += 1
        self.stats["steps"] += 1
        entry = self.snap(lam, mu, dxi, visco, con)
        if entry is None:
            anchor = self.anchor(dxi, visco)
            if anchor is not None:
                # glassy or fully relaxed within snap_tol: factorise that limit, which
                # later steps of the same regime reuse
                lam_a, mu_a = moduli(anchor)
                A, kd, K_support = self.assemble(assemble, lam_a, mu_a, con)
                entry = self.factorize(A, kd, K_support, lam_a, mu_a, anchor, con)
                self.stats["snapped_steps"] += 1
                return Plan(entry, anchor, None, kd, K_support, "snapped (new limit)")
        if entry is not None:
            entry.used = self.clock
            snapped = any(not np.array_equal(dxi[r], entry.dxi[r]) for r in dxi)
            if snapped:
                self.stats["snapped_steps"] += 1
            dxi = {r: entry.dxi[r] for r in dxi}
            return Plan(
                entry, dxi, None, entry.kd, entry.K_support, "snapped" if snapped else "reuse"
            )
        A, kd, K_support = self.assemble(assemble, lam, mu, con)
        near, kappa = self.nearest(lam, mu, con)
        if (
            near is not None
            and self._direct(near)
            and cg_iterations(kappa, self.rtol) <= self.max_cg
        ):
            near.used = self.clock
            return Plan(near, dxi, A, kd, K_support, "cg", kappa)
        # a new factorisation: of the glassy or relaxed limit when this step is within CG
        # reach of it (later steps of that regime reuse it), else of this step's matrix
        if visco and self.snap_tol > 0:
            for limit in (np.inf, 0.0):
                lim = {r: np.full(len(el), limit) for r, (el, _) in visco.items()}
                lam_l, mu_l = moduli(lim)
                k = stiffness_ratio(lam, mu, lam_l, mu_l)
                if cg_iterations(k, self.rtol) <= self.max_cg:
                    Al, kdl, Ksl = self.assemble(assemble, lam_l, mu_l, con)
                    entry = self.factorize(Al, kdl, Ksl, lam_l, mu_l, lim, con)
                    if k == 1.0:  # the step is the limit itself
                        return Plan(entry, lim, None, kdl, Ksl, "factorized")
                    if self._direct(entry):
                        return Plan(entry, dxi, A, kd, K_support, "cg", k)
                    break
        entry = self.factorize(A, kd, K_support, lam, mu, dxi, con)
        return Plan(entry, dxi, None, kd, K_support, "factorized")

    def run(
        self,
        plan: Plan,
        f: NDArray[np.float64],
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        con: StepConstraints,
    ) -> tuple[NDArray[np.float64], dict[str, Any]]:
        """Solve the planned step for the load ``f`` (3 n,); returns (u (3 n,), facts).
        CG starts from the previous step's solution of the same constraints."""
        facts: dict[str, Any] = {"method": plan.mode}
        b = f - plan.kd
        b[con.D] = (con.scale or 1.0) * con.values[con.D]
        prev = self.x_prev.get(con.key, [])
        if plan.A is None:
            u = self.solve_exact(plan.entry, b, con.key, prev[-1] if prev else None)
        else:
            self.last = None
            entry = plan.entry

            def M(r: NDArray[np.float64]) -> NDArray[np.float64]:
                return self._backsolve(entry, r, check=False)

            x0 = 2.0 * prev[-1] - prev[-2] if len(prev) == 2 else (prev[-1] if prev else None)
            res = pcg(plan.A, b, M, x0=x0, rtol=self.rtol, maxiter=self.cg_cap, xp=np)
            if res.converged:
                u = res.x
                self.stats["cg_steps"] += 1
                self.stats["cg_iterations"] += res.iterations
                facts.update(cg_iterations=res.iterations, cg_kappa=plan.kappa)
            else:  # the nearby factorisation is not good enough here
                entry = self.factorize(plan.A, plan.kd, plan.K_support, lam, mu, plan.dxi, con)
                u = self._backsolve(entry, b)
                facts["method"] = "factorized after CG"
        self.x_prev = {con.key: (self.x_prev.get(con.key, []) + [u])[-2:]}
        reactions = 0.0
        if plan.K_support is not None:
            r = plan.K_support @ u - f[con.supports]
            reactions = float(np.abs(r).max() / max(np.abs(f).max(), 1e-300))
        if con.Q.shape[1]:
            u = u - con.Q @ (con.Q.T @ u)
        facts["reactions"] = reactions
        return u, facts


@dataclass(eq=False)
class Plan:
    """How :meth:`RecyclingSolver.run` solves a step: the entry, the step parameters the
    step takes, the exact matrix for CG (None: solved with the entry), the load's
    correction for the prescribed values, the supports' rows and the mode's name."""

    entry: Entry
    dxi: dict[str, NDArray[np.float64]]
    A: Any  # the exact eliminated matrix for CG, or None (direct)
    kd: NDArray[np.float64]
    K_support: Any
    mode: str
    kappa: float = 1.0


# -- prepared solvers by exact key ------------------------------------------------------------


def same_key(a: Any, b: Any) -> bool:
    """Exact equality of two cache keys: tuples element by element, arrays by shape, type and
    values (:func:`numpy.array_equal`), anything else by ``==`` -- never by a hash alone."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_key(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    return bool(a == b)


@dataclass(eq=False)
class HeldSolver:
    """A prepared solver kept by a :class:`SolverCache`: its key, the key of the matrix it
    holds and what the caller keeps with it (``data``)."""

    prepared: Prepared
    key: Any
    matrix_key: Any
    data: Any = None
    used: int = 0

    def close(self) -> None:
        self.prepared.close()


class SolverCache:
    """Prepared solvers (:func:`fea.solvers.prepare`) kept across solves by a key.

    :meth:`get` returns the solver of ``key`` (compared exactly, :func:`same_key`): as it
    is for the same ``matrix_key``; with the new matrix through
    :meth:`fea.solvers.Prepared.update` for another (an AMG hierarchy is kept while it
    preconditions well; a factorisation redone, or kept as the PCG preconditioner where the held
    solver's ``keep_factor`` is set); or prepared anew, the least recently used
    one closed at ``capacity``. A result does not depend on what the cache held before
    beyond the solver's own tolerance: a kept factorisation of the same matrix is the one a
    new one would be. ``capacity``: the solvers held, a whole number in [1, 1000]
    (:class:`~fea.errors.InputError` otherwise).
    """

    def __init__(self, capacity: int = 1) -> None:
        self.capacity = check_count("capacity", capacity, 1_000, "solvers held")
        self.held: list[HeldSolver] = []
        self.clock = 0

    def find(self, key: Any) -> HeldSolver | None:
        """The held solver of ``key``, or None."""
        for h in self.held:
            if same_key(h.key, key):
                self.clock += 1
                h.used = self.clock
                return h
        return None

    def get(
        self,
        key: Any,
        matrix_key: Any,
        matrix: Any,
        data: Any = None,
        **prepare_kw: Any,
    ) -> tuple[HeldSolver, bool]:
        """``(held solver, same matrix)`` for ``key``; ``matrix`` the matrix (or a callable
        returning it, called only when needed), ``prepare_kw`` as :func:`fea.solvers.prepare`."""
        h = self.find(key)
        if h is not None and same_key(h.matrix_key, matrix_key):
            return h, True
        A = matrix() if callable(matrix) else matrix
        if h is not None:
            h.prepared.update(A)
            h.matrix_key, h.data = matrix_key, data
            return h, False
        while len(self.held) >= self.capacity:
            old = min(self.held, key=lambda e: e.used)
            old.close()
            self.held.remove(old)
        self.clock += 1
        h = HeldSolver(prepare(A, **prepare_kw), key, matrix_key, data, self.clock)
        self.held.append(h)
        return h, False

    def close(self) -> None:
        """Close every held solver."""
        for h in self.held:
            h.close()
        self.held.clear()
