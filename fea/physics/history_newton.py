"""The nonlinear system of one history step with inelastic regions.

:meth:`fea.physics.history_step.HistoryModel._step_inelastic` builds an
:class:`InelasticStep` for the step and hands its residual, tangent and linear solver to
:func:`fea.solvers.newton.newton`; on convergence :meth:`InelasticStep.commit` stores the
laws' states in the model.

The residual is ``R(u) = K_L u - f_L + sum_inelastic int B^T sigma(u)``, with ``K_L``,
``f_L`` the step's linear (elastic, viscoelastic) stiffness and loads without the
inelastic elements and ``sigma`` from the laws (mechanical strain increment over the last
converged step, end-of-step temperature at each quadrature point). The tangent
``K_L + int B^T D B`` (consistent ``D``; the predictor takes the last converged step's) is
solved by PCG preconditioned by the recycling solver's factorisation of the step's elastic
stiffness (the inelastic elements at their elastic moduli); a PCG that does not converge
falls back to a direct solve of the tangent, counted in ``direct_tangent_solves``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..fe import forms
from ..solvers import pcg, solve

if TYPE_CHECKING:
    from .history_step import HistoryModel

__all__ = ["InelasticStep", "voigt_engineering"]


def voigt_engineering(eps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Tensor-shear Voigt strains -> engineering shears (the laws' input), same shape."""
    out = eps.copy()
    out[..., 3:] *= 2.0
    return out


class InelasticStep:
    """Residual, tangent and linear solver of one step of ``model`` with inelastic regions.

    Parameters
    ----------
    model
        The history model (its constraints, laws, states and recycling solver).
    dt
        Step [s].
    Tq, eps0
        Temperature [°C] (n_el, n_q) and eigenstrain at the quadrature points of the step.
    visco, dxi
        The viscoelastic regions and their reduced-time increments (from ``_plan_step``).
    lam, mu
        Lamé moduli per element [Pa], (n_el,).
    entry
        The recycling solver's entry whose factorisation preconditions the tangent.
    """

    def __init__(
        self,
        model: HistoryModel,
        dt: float,
        Tq: NDArray[np.float64],
        eps0: NDArray[np.float64],
        visco: Mapping[str, Any],
        dxi: Mapping[str, NDArray[np.float64]],
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        entry: Any,
    ) -> None:
        con = model.con
        assert con is not None
        self.model, self.con, self.dt, self.eps0, self.entry = model, con, dt, eps0, entry
        self.inel = model.inelastic_present
        mask = np.zeros(model.mesh.n_elements, dtype=bool)
        for r in self.inel:
            mask[model.el[r]] = True
        lamL, muL = np.where(mask, 0.0, lam), np.where(mask, 0.0, mu)
        self.K_L = model.stiffness_lin(lamL, muL, visco).tocsr()
        self.f_L = model._loads(lamL, muL, eps0, visco, dxi)
        n3 = 3 * model.fs.n
        free = np.ones(n3, dtype=bool)
        free[con.D] = False
        scale = float(con.scale or 1.0)
        self.P = sp.diags(free.astype(float))
        self.fixed_diag = sp.diags(np.where(free, 0.0, scale))
        self.temps = {r: Tq[model.el[r]].ravel() for r in self.inel}
        self.lin_tol = float(model.newton_options.get("linear_rtol", 1e-10))
        self._cache: dict[str, Any] = {}

    def evaluate(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], dict]:
        """Internal minus external force (3n,) at displacement ``x`` (3n,) [m], and the
        laws' updates per inelastic region ``r -> (update, engineering strain)``; the last
        evaluation is cached (Newton asks for the residual and tangent at one ``x``)."""
        c = self._cache
        if "x" in c and np.array_equal(c["x"], x):
            return c["f"], c["upd"]
        m, fs = self.model, self.model.fs
        u = x.reshape(-1, 3)
        f = self.K_L @ x - self.f_L
        upd = {}
        for r in self.inel:
            e = m.el[r]
            eps = forms.strain_at_quadrature(fs, u, elements=e)
            eps[..., :3] -= self.eps0[e][..., None]
            if r in m.offset:
                eps -= m.offset[r]
            eng = voigt_engineering(eps).reshape(-1, 6)
            res = m.inel_laws[r].update(
                eng - m.inel_eps[r], self.temps[r], self.dt, m.inel_states[r]
            )
            f += forms.stress_load(fs, res.stress.reshape(len(e), m.nq, 6), e)
            upd[r] = (res, eng)
        c.update(x=x.copy(), f=f, upd=upd)
        return f, upd

    def residual(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The residual (3n,) [N] with the prescribed DOFs' rows zeroed."""
        r_ = self.evaluate(x)[0].copy()
        r_[self.con.D] = 0.0
        return r_

    def full_tangent(self, x: NDArray[np.float64], last: bool = False) -> sp.csr_matrix:
        """``K_L + int B^T D B`` (3n, 3n) [N/m] at ``x``; ``last``: the inelastic ``D`` of
        the last converged step (where there is one) instead of the consistent one at ``x``."""
        m = self.model
        upd = self.evaluate(x)[1]
        K = self.K_L
        for r in self.inel:
            D = upd[r][0].tangent
            if last and m.inel_D[r] is not None:
                D = m.inel_D[r]
            e = m.el[r]
            K = K + forms.tangent_matrix(m.fs, D.reshape(len(e), m.nq, 6, 6), e)
        return K.tocsr()

    def _constrained(self, K: sp.csr_matrix) -> sp.csr_matrix:
        return (self.P @ K @ self.P + self.fixed_diag).tocsr()

    def tangent(self, x: NDArray[np.float64]) -> sp.csr_matrix:
        """The consistent tangent at ``x`` with the prescribed DOFs eliminated (unit rows
        scaled like the recycling solver's)."""
        return self._constrained(self.full_tangent(x))

    def linear_solve(self, A: sp.csr_matrix, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A^-1 b`` by PCG preconditioned by the elastic factorisation; a direct solve
        when PCG does not converge in 200 iterations (counted)."""
        stats = self.model.newton_stats
        solver = self.model.solver
        res = pcg(
            A,
            b,
            lambda z: solver._backsolve(self.entry, z, check=False),
            rtol=self.lin_tol,
            maxiter=200,
            xp=np,
        )
        stats["pcg_iterations"] += res.iterations
        if res.converged:
            return res.x
        stats["direct_tangent_solves"] += 1
        x_, _ = solve(A, b, kind="elasticity", backend="cpu")
        return np.asarray(x_, dtype=float)

    def predictor(self) -> NDArray[np.float64]:
        """The first iterate (3n,): the step's loads and prescribed displacements through
        the last converged step's tangent (the return map at a zero increment is elastic,
        and moving the prescribed nodes alone would strain their elements only)."""
        con = self.con
        xn = self.model.u.ravel().copy()
        dD = np.zeros_like(xn)
        dD[con.D] = con.values[con.D] - xn[con.D]
        Kn = self.full_tangent(xn, last=True)
        rhs = -(self.evaluate(xn)[0] + Kn @ dD)
        rhs[con.D] = 0.0
        x0 = xn + dD
        if np.any(rhs):
            x0 += self.linear_solve(self._constrained(Kn), rhs)
        stats = self.model.newton_stats
        stats["predictor_solves"] = stats.get("predictor_solves", 0) + 1
        return x0

    def force_scale(self, x0: NDArray[np.float64]) -> float:
        """The force norm [N] Newton's residual is measured against: the larger of the
        linear loads' and the first iterate's internal force."""
        f0 = self.evaluate(x0)[0]
        return max(float(np.linalg.norm(self.f_L)), float(np.linalg.norm(f0)), 1e-300)

    def commit(self, x: NDArray[np.float64]) -> float:
        """Store the laws' states, strains and tangents at the converged ``x`` in the
        model; returns the largest support reaction relative to the largest linear load
        (a free body's 3-2-1 supports should carry nothing)."""
        m, con = self.model, self.con
        f, upd = self.evaluate(x)
        for r in self.inel:
            res, eng = upd[r]
            m.inel_states[r] = res.state
            m.inel_eps[r] = eng
            m.inel_D[r] = res.tangent
        if not len(con.supports):
            return 0.0
        return float(np.abs(f[con.supports]).max() / max(float(np.abs(self.f_L).max()), 1e-300))
