"""A generic global Newton / quasi-Newton loop with backtracking line search.

Physics hands in callables; this module owns the iteration, the convergence tests and
the error when a step does not converge. It solves ``R(u) = 0`` for the out-of-balance
force ``R(u) = f_int(u) - f_ext`` of one load or time step:

.. math:: K(u_k)\\, \\Delta u = -R(u_k), \\qquad u_{k+1} = u_k + \\alpha_k \\Delta u,

- **Newton**: ``tangent(u)`` returns the (consistent) tangent matrix, dense or SciPy sparse,
  solved by ``linear_solver(K, r)`` (default: LAPACK for dense, SuperLU for sparse);
- **quasi-Newton (modified Newton)**: ``tangent=None`` and ``solve(r)`` applies a kept
  inverse, e.g. the factorisation of the elastic stiffness of the body (most of a package is
  linear, so the factorisation of the history is reused); the convergence is then linear,
  with a rate set by how far the true tangent is from the kept one.

Line search (backtracking, Armijo on the residual norm; Dennis & Schnabel, *Numerical
Methods for Unconstrained Optimization and Nonlinear Equations*, 1983, sec. 6.3): the step
``alpha = 1, 1/2, 1/4, ...`` is accepted at the first ``|R(u + alpha du)| <= (1 - c alpha)
|R(u)|`` (``c = 1e-4``); when no trial passes within ``max_backtracks`` the one with the
smallest residual is taken.

Convergence (both must hold, as in the usual FE codes): the force criterion
``|R| <= rtol * force_scale + atol`` with ``force_scale`` the caller's scale of the forces
(the norm of the external load or of the reactions; default the initial residual), and the
displacement criterion ``|alpha du| <= dtol * max(|u|, |first du|)`` on the last correction;
a residual below ``1e-3`` of its tolerance after a correction is accepted without the
displacement test (the correction solved a linear step exactly: one correction, not two).
``|.|`` is the Euclidean norm over the free degrees of freedom as given.

Stagnation at the rounding floor: the residual of a float64 evaluation cannot fall below
the rounding of its terms, about ``eps sqrt(n)`` times the forces (``eps`` = 2.2e-16, ``n``
unknowns; observed 1.0e-14 to 1.8e-14 of the force scale, about 2 ``eps sqrt(n)``, on
an 831-unknown plastic bilayer).
A tolerance below it (``rtol = 1e-14``) cannot be met: the residual drops to the floor in a
few quadratic corrections and then wanders there, and the loop used to run all
``max_iter`` corrections (and a history then cut the step, and cut it again, each half as
unreachable). When :data:`STALL_CORRECTIONS` corrections in a row have not halved the
residual, nor fallen at each of them, and it is within :data:`ROUNDING_FLOOR` ``eps sqrt(n)``
of the force scale, the iterate is as converged as the arithmetic allows: it is accepted, with
``NewtonInfo.at_floor`` set and a ``note`` naming the step, the residual and the
tolerance. This is the step-norm (stagnation) test of PETSc's SNES (``SNES_CONVERGED_SNORM_
RELATIVE``: stop when the update no longer changes the iterate) restricted to a residual
that is rounding noise; a residual that stalls above the floor (a genuinely
non-converging iteration) still runs to ``max_iter`` and fails, so a history cuts its
step as before. A residual that falls at every correction, however slowly, is converging,
not stalled: a quasi-Newton iteration at a rate of 0.83 a correction (a kept matrix 6 times
the tangent, 50 unknowns, rounding 4e-16 of the force scale) passed 1.6e-13 on its way
down and, not having halved over 3 corrections, was accepted there "at the rounding floor"
against a reachable ``rtol = 1e-13``; it now goes on to the tolerance.

The last correction bounds the error of the iterate before it, not of the one it made.
With ``displacement_test="estimate"`` the displacement criterion is applied to the
estimated error of the current iterate instead, the last correction times the last
residual ratio ``|R_k| / |R_k-1|`` when that ratio is below 1/2 (a contracting,
superlinear iteration: the next correction is about that much smaller; Deuflhard,
*Newton Methods for Nonlinear Problems*, 2004, sec. 2.1): a converged Newton step then
does not take one more correction only to show that the last one was small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError, IterationLimitError, SolverError
from ..validate import check_count, check_range, check_rtol
from .krylov import host_norm

__all__ = [
    "NewtonInfo",
    "NewtonResult",
    "ROUNDING_FLOOR",
    "STALL_CORRECTIONS",
    "direct_linear_solve",
    "newton",
]

#: The rounding floor of a residual relative to its force scale, in units of
#: ``eps sqrt(n)`` (``n`` unknowns): a residual that stalls below ``ROUNDING_FLOOR eps
#: sqrt(n) force_scale`` is accepted (see the module). 100: the floor observed on a small
#: inelastic model is about 2 of these units (1.0e-14 to 1.8e-14 of the force scale at 831
#: unknowns), and a stall this low (6e-13 of the force scale there, 2e-11 at a million
#: unknowns) is rounding, not a lack of convergence.
ROUNDING_FLOOR = 100.0

#: Corrections in a row that have not halved the residual (and not lowered it at each
#: one) before a residual at the rounding floor is taken as stalled there.
STALL_CORRECTIONS = 3

_ARMIJO = 1e-4
_EPS = float(np.finfo(float).eps)
# a residual this far below its tolerance after a correction means the correction solved
# a (locally) linear problem exactly: accepted without the displacement test, so a step
# that stays elastic costs one correction, not two (as Abaqus' "zero-residual" rule)
_EXACT = 1e-3


@dataclass
class NewtonInfo:
    """What one Newton solve did.

    Attributes
    ----------
    converged
        Whether both criteria were met.
    iterations
        Corrections applied (0: the initial guess was already in equilibrium).
    residual_norms
        ``|R|`` at the initial guess and after each correction, length ``iterations + 1``.
    increment_norms
        ``|alpha du|`` of each correction.
    step_lengths
        The line-search factor ``alpha`` of each correction.
    line_search_steps
        Backtracks (residual evaluations beyond the full step) of each correction.
    force_scale
        The scale of the force criterion.
    tangent_evaluations, linear_solves, residual_evaluations
        Work counts.
    method
        ``"newton"`` or ``"quasi-newton"``.
    at_floor
        True when the iterate was accepted at the rounding floor of the residual, above
        a tolerance below it (see the module); ``note`` then says so.
    note
        Why an iterate was accepted other than by both criteria ("" otherwise).
    """

    converged: bool = False
    iterations: int = 0
    residual_norms: list[float] = field(default_factory=list)
    increment_norms: list[float] = field(default_factory=list)
    step_lengths: list[float] = field(default_factory=list)
    line_search_steps: list[int] = field(default_factory=list)
    force_scale: float = 0.0
    tangent_evaluations: int = 0
    linear_solves: int = 0
    residual_evaluations: int = 0
    method: str = "newton"
    at_floor: bool = False
    note: str = ""

    def rates(self) -> NDArray[np.float64]:
        """Successive residual ratios ``|R_k+1| / |R_k|`` (linear convergence: about
        constant; quadratic: falling to 0)."""
        r = np.asarray(self.residual_norms, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return r[1:] / r[:-1]


class NewtonResult(NamedTuple):
    """Solution and record of :func:`newton`."""

    u: NDArray[np.float64]
    """The equilibrium solution, shape of ``u0``."""
    info: NewtonInfo
    """What the iteration did."""


def direct_linear_solve(K: Any, r: NDArray[np.float64]) -> NDArray[np.float64]:
    """``K^-1 r`` for a dense array (LAPACK) or a SciPy sparse matrix (SuperLU)."""
    if sp.issparse(K):
        return np.asarray(spla.spsolve(sp.csc_matrix(K), r), dtype=float)
    return np.linalg.solve(np.asarray(K, dtype=float), r)


def newton(
    residual: Callable[[NDArray[np.float64]], ArrayLike],
    u0: ArrayLike,
    *,
    tangent: Callable[[NDArray[np.float64]], Any] | None = None,
    solve: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    linear_solver: Callable[[Any, NDArray[np.float64]], ArrayLike] | None = None,
    force_scale: float | None = None,
    rtol: float = 1e-8,
    atol: float = 0.0,
    dtol: float = 1e-8,
    max_iter: int = 30,
    line_search: bool = True,
    max_backtracks: int = 8,
    label: str = "",
    displacement_test: str = "correction",
) -> NewtonResult:
    """Solve ``residual(u) = 0`` by Newton's method or a quasi-Newton method (see module).

    Parameters
    ----------
    residual
        ``u -> R(u)``, the out-of-balance force ``f_int - f_ext`` [N], shape (n,).
    u0
        Initial guess [m], shape (n,) (e.g. the last step's solution).
    tangent
        ``u -> K(u)``, the tangent ``dR/du`` [N/m], dense (n, n) or SciPy sparse; None for
        quasi-Newton with ``solve``.
    solve
        ``r -> K0^-1 r`` with a kept matrix (a factorisation of the elastic stiffness); used
        when ``tangent`` is None.
    linear_solver
        ``(K, r) -> K^-1 r`` for the matrices of ``tangent``; default
        :func:`direct_linear_solve`.
    force_scale
        Scale of the forces [N] for the force criterion (the norm of the external load or of
        the reactions); default: ``|R(u0)|``.
    rtol, atol
        Force criterion ``|R| <= rtol * force_scale + atol``.
    dtol
        Displacement criterion ``|alpha du| <= dtol * max(|u|, |du_1|)``.
    max_iter
        Most corrections.
    line_search
        Backtracking line search on ``|R|`` (else full steps).
    max_backtracks
        Most halvings of the step per correction.
    label
        Names the step in an error (``"step 12 (t = 30 s)"``).
    displacement_test
        ``"correction"`` (default): ``dtol`` bounds the last correction; ``"estimate"``:
        the estimated error of the current iterate (see the module).

    Returns
    -------
    NewtonResult
        ``(u, info)``.

    Raises
    ------
    SolverError
        No convergence within ``max_iter`` corrections, or a non-finite residual; the
        message names ``label``, the iteration, the residual against its tolerance and the
        last correction. After ``max_iter`` the error's ``info`` attribute holds the
        :class:`NewtonInfo` (a history solve cuts the time step on it).
    """
    if tangent is None and solve is None:
        raise InputError("newton.solve", None, "a tangent callable or a kept solve callable")
    rtol = check_rtol("newton.rtol", rtol, hi=1.0)
    atol = check_range("newton.atol", atol, 0.0, None)
    dtol = check_range("newton.dtol", dtol, 0.0, 1.0)
    max_iter = check_count("newton.max_iter", max_iter, 10_000)
    max_backtracks = check_count("newton.max_backtracks", max_backtracks, 60, lo=0)
    if displacement_test not in ("correction", "estimate"):
        raise InputError(
            "newton.displacement_test", displacement_test, "'correction' or 'estimate'"
        )
    lin = direct_linear_solve if linear_solver is None else linear_solver
    u = np.array(u0, dtype=float, copy=True)
    if u.ndim != 1 or not np.all(np.isfinite(u)):
        raise InputError("newton.u0", u.shape, "a finite vector of shape (n,)")
    where = f"{label}: " if label else ""
    info = NewtonInfo(method="newton" if tangent is not None else "quasi-newton")

    def R(v: NDArray[np.float64]) -> NDArray[np.float64]:
        info.residual_evaluations += 1
        r = np.asarray(residual(v), dtype=float)
        if r.shape != v.shape:
            raise InputError("newton.residual", r.shape, f"a residual of shape {v.shape}")
        return r

    r = R(u)
    rn = float(host_norm(r))
    if not np.isfinite(rn):
        raise SolverError(f"{where}the residual at the initial guess is not finite")
    info.residual_norms.append(rn)
    if force_scale is None:
        scale = rn
    else:
        scale = check_range("newton.force_scale", force_scale, 0.0, None)
    info.force_scale = scale
    tol_f = rtol * scale + atol
    if rn <= tol_f:
        info.converged = True
        return NewtonResult(u, info)
    du_ref = 0.0
    dun = np.inf
    for it in range(1, max_iter + 1):
        du = _correction(u, r, tangent, solve, lin, info, f"{where}iteration {it}")
        alpha, back, u_try, r_try, rn_try = _line_search(
            R, u, du, rn, max_backtracks if line_search else 0
        )
        if not np.isfinite(rn_try):
            raise SolverError(
                f"{where}iteration {it}: the residual is not finite (the iteration diverged; "
                "a line search or a smaller step may help)"
            )
        rn_before = rn
        u, r, rn = u_try, r_try, rn_try
        dun = alpha * float(host_norm(du))
        if it == 1:
            du_ref = dun
        info.iterations = it
        info.residual_norms.append(rn)
        info.increment_norms.append(dun)
        info.step_lengths.append(alpha)
        info.line_search_steps.append(back)
        err = dun
        if displacement_test == "estimate" and rn < 0.5 * rn_before:
            err = dun * rn / rn_before
        disp_ok = err <= dtol * max(float(host_norm(u)), du_ref)
        if rn <= tol_f and (disp_ok or rn <= _EXACT * tol_f):
            info.converged = True
            return NewtonResult(u, info)
        floor = ROUNDING_FLOOR * _EPS * math.sqrt(u.size) * scale
        past = info.residual_norms
        window = past[-STALL_CORRECTIONS - 1 :]
        if (
            it >= STALL_CORRECTIONS
            and rn <= floor
            and min(window[1:]) > 0.5 * window[0]
            # a residual falling at every correction converges (slowly: a quasi-Newton
            # rate above 0.79), it has not stalled; rounding noise does not fall steadily
            and not all(b < a for a, b in zip(window, window[1:], strict=False))
        ):
            info.converged = info.at_floor = True
            info.note = (
                f"{where}the residual stalled at {rn:.3e} = {rn / scale:.2e} of the force "
                f"scale over {STALL_CORRECTIONS} corrections, at the rounding floor of "
                f"float64 (below {floor / scale:.1e} of it for {u.size} unknowns): accepted "
                f"after {it} corrections; the tolerance rtol = {rtol:g} is below what the "
                "arithmetic can reach (1e-10 or more converges normally)"
            )
            return NewtonResult(u, info)
    ratio = rn / scale if scale > 0 else float("inf")
    err = SolverError(
        f"{where}{info.method} did not converge in {max_iter} iterations: residual "
        f"{rn:.3e} = {ratio:.3e} of the force scale {scale:.3e} (tolerance rtol = {rtol:g}), "
        f"last correction {dun:.3e} (dtol = {dtol:g}), residual history "
        f"{', '.join(f'{x:.2e}' for x in info.residual_norms[-5:])}"
    )
    err.info = info  # type: ignore[attr-defined]  (the record, for a caller that cuts the step)
    raise err


def _correction(
    u: NDArray[np.float64],
    r: NDArray[np.float64],
    tangent: Callable[[NDArray[np.float64]], Any] | None,
    solve: Callable[[NDArray[np.float64]], ArrayLike] | None,
    lin: Callable[[Any, NDArray[np.float64]], ArrayLike],
    info: NewtonInfo,
    where: str,
) -> NDArray[np.float64]:
    """The Newton (``K(u)^-1``) or quasi-Newton (kept ``solve``) correction ``-K^-1 r``,
    shape (n,); a failed or non-finite linear solve raises :class:`SolverError` naming
    ``where``."""
    try:
        if tangent is not None:
            K = tangent(u)
            info.tangent_evaluations += 1
            du = -np.asarray(lin(K, r), dtype=float)
        else:
            assert solve is not None
            du = -np.asarray(solve(r), dtype=float)
    except np.linalg.LinAlgError as e:
        raise SolverError(f"{where}: the linear solve failed ({e}; {_SINGULAR})") from e
    except IterationLimitError as e:  # the limit's own advice, not a singular system's
        raise IterationLimitError(f"{where}: {e}") from e
    except SolverError as e:  # a direct solver's own (its advice is about linear systems)
        raise SolverError(
            f"{where}: the linear solve of the tangent failed ({_SINGULAR}): {e}"
        ) from e
    info.linear_solves += 1
    if du.shape != u.shape or not np.all(np.isfinite(du)):
        raise SolverError(f"{where}: the linear solve gave a non-finite correction ({_SINGULAR})")
    return du


# what a singular tangent means in a nonlinear solve (besides a missing restraint)
_SINGULAR = (
    "singular tangent? A body that has lost its stiffness, e.g. loaded above the limit "
    "load of a perfectly plastic material (hardening 0), has no equilibrium"
)


def _line_search(
    R: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    u: NDArray[np.float64],
    du: NDArray[np.float64],
    rn: float,
    max_backtracks: int,
) -> tuple[float, int, NDArray[np.float64], NDArray[np.float64], float]:
    """Backtracking (halving) from the full step until the Armijo condition on ``|R|``
    holds; after ``max_backtracks`` halvings (0: full steps, no search) the best trial.
    Returns ``(alpha, halvings, u + alpha du, R there, |R| there)``."""
    alpha, back = 1.0, 0
    u_try = u + du
    r_try = R(u_try)
    rn_try = float(host_norm(r_try))
    if max_backtracks == 0:
        return alpha, back, u_try, r_try, rn_try
    best = (rn_try if np.isfinite(rn_try) else np.inf, alpha, u_try, r_try)
    while not (np.isfinite(rn_try) and rn_try <= (1.0 - _ARMIJO * alpha) * rn):
        if back >= max_backtracks:
            _, alpha, u_try, r_try = best
            return alpha, back, u_try, r_try, float(host_norm(r_try))
        alpha *= 0.5
        back += 1
        u_try = u + alpha * du
        r_try = R(u_try)
        rn_try = float(host_norm(r_try))
        if np.isfinite(rn_try) and rn_try < best[0]:
            best = (rn_try, alpha, u_try, r_try)
    return alpha, back, u_try, r_try, rn_try
