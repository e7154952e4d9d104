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
handed to Newton as an operator (:class:`TangentOperator`: the constrained ``K_L``, kept
across steps, times the vector plus the inelastic elements' products element by element)
and assembled into the pattern of ``K_L`` only where it is factorised or solved directly
(:class:`TangentAssembly`: the inelastic elements' blocks scattered onto the linear
stiffness's values, the constraints eliminated in place). It is solved by PCG
preconditioned by a factorisation of a recent consistent tangent
(:class:`TangentPreconditioner`, kept across steps: most of the body is linear and the
solder's and yielding metal's tangents change slowly, so a tangent factorised a few steps
earlier takes PCG to the tolerance in a few iterations; it is refactorised once the drift
of the tangent costs more PCG work than a factorisation). Where the system is not solved
directly (AMG, the GPU; ``solve_history(newton_preconditioner=...)``), PCG is
preconditioned by the recycling solver's entry of the step's elastic stiffness as before;
a PCG that does not converge falls back to a direct solve of the tangent, counted in
``direct_tangent_solves``. Each correction is solved inexactly (Eisenstat-Walker forcing,
:meth:`InelasticStep.linear_tolerance`); Newton's convergence test on the true residual
is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import InputError
from ..fe import forms
from ..fe.constraints import frame_product
from ..fe.spaces import FieldSpace, vector_layout
from ..solvers import pcg, prepare, solve
from ..solvers.amg import elimination_positions
from ..solvers.base import FACTOR_PRECISIONS
from ..solvers.cost import factorization_iterations
from ..solvers.krylov import host_norm

if TYPE_CHECKING:
    from .history_step import HistoryModel

__all__ = [
    "FORCE_FLOOR",
    "InelasticStep",
    "SINGLE_FACTOR_MIN_UNKNOWNS",
    "TangentAssembly",
    "TangentOperator",
    "TangentPreconditioner",
    "as_matrix",
    "factorization_iterations",
    "voigt_engineering",
]


#: The force scale's floor relative to the step's restrained force
#: (:meth:`InelasticStep.force_floor`).
FORCE_FLOOR = 1e-6


def voigt_engineering(eps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Tensor-shear Voigt strains -> engineering shears (the laws' input), same shape."""
    out = eps.copy()
    out[..., 3:] *= 2.0
    return out


class TangentAssembly:
    """Adds the element matrices ``int B^T D B`` of some elements to a stiffness of the
    mesh's pattern, in place of its values (no sparse sum), and eliminates constraints in
    place: what the tangent of every Newton iteration costs.

    Parameters
    ----------
    fs
        The field space (its pattern's slot map and vector layout).
    elements
        The elements whose tangents are added (the inelastic regions'), shape (k,).
    """

    def __init__(self, fs: FieldSpace, elements: NDArray[np.int64]) -> None:
        self.fs = fs
        self.elements = el = np.asarray(elements, dtype=np.int64)
        p = fs.pattern
        nb = fs.dofs.shape[1]
        self.vptr, self.vind, gather = vector_layout(p)
        nnz = int(gather.shape[0])
        # position in the CSR values of every element-matrix entry (e, i, a, j, b):
        # the inverse of the layout's gather at block (a, b), scalar slot (i, j)
        inv = np.empty(9 * p.nnz, dtype=np.int32 if nnz < 2**31 - 1 else np.int64)
        inv[gather] = np.arange(nnz, dtype=inv.dtype)
        self.nnz = nnz
        ab = (3 * np.arange(3)[:, None] + np.arange(3)[None, :]) * p.nnz  # (3, 3)
        pos: list[NDArray[np.integer]] = []
        self._B: list[NDArray[np.float64]] = []
        self._dx: list[NDArray[np.float64]] = []
        # the unknowns the elements touch (sorted) and each element's among them, (k, 3 nb):
        # the matrix-free product (:meth:`product`) gathers and scatters through them
        dof = (3 * fs.dofs[el][:, :, None] + np.arange(3)).reshape(len(el), -1)
        self.dofs, local = np.unique(dof, return_inverse=True)
        local = local.reshape(dof.shape)
        self._local: list[NDArray[np.int64]] = []
        for s in range(0, len(el), self.CHUNK):
            e = el[s : s + self.CHUNK]
            slot = p.slot.reshape(-1, nb, nb)[e]  # (k, nb, nb)
            idx = ab[None, None, :, None, :] + slot[:, :, None, :, None]  # (k, nb, 3, nb, 3)
            pos.append(inv[idx].ravel())
            B = forms.strain_operator(fs, e)  # (k, n_q, 6, 3 nb)
            self._dx.append(fs.basis.dx[e][:, :, None, None])
            self._B.append(B)
            self._local.append(local[s : s + self.CHUNK])
        # the CSR positions the elements touch (sorted), and each entry's index among them:
        # the sums run over those positions only, not the whole pattern (which the
        # inelastic elements, the solder and a shell, are a small part of)
        if pos:
            self.touched, where = np.unique(np.concatenate(pos), return_inverse=True)
            where = where.astype(np.int32 if self.touched.size < 2**31 - 1 else np.int64)
        else:
            self.touched, where = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        self._pos = np.split(where, np.cumsum([q.size for q in pos])[:-1]) if pos else []
        self._elim: tuple | None = None

    #: Elements per block of the assembly (bounds its temporaries).
    CHUNK = 4096

    def fits(self, K: sp.csr_matrix) -> bool:
        """Whether ``K`` stores the mesh's whole vector pattern in the assembled layout."""
        return (
            K.shape[0] == self.vptr.shape[0] - 1
            and K.indptr.shape == self.vptr.shape
            and K.nnz == self.nnz
            and np.array_equal(K.indptr, self.vptr)
            and np.array_equal(K.indices, self.vind)
        )

    def values(self, D: NDArray[np.float64]) -> NDArray[np.float64]:
        """The CSR values (nnz of the vector pattern,) of ``int B^T D B`` over the elements,
        ``D`` (k, n_q, 6, 6) [Pa] (Voigt, engineering shears in, tensor shears out)."""
        out = np.zeros(self.nnz)
        self.add_values(out, D)
        return out

    def add_values(self, data: NDArray[np.float64], D: NDArray[np.float64]) -> None:
        """``data`` (nnz of the vector pattern,) += the CSR values of ``int B^T D B`` over
        the elements, in place (``D`` as :meth:`values`); only the positions the elements
        touch (:attr:`touched`) are written."""
        m = self.touched.size
        acc = np.zeros(m)
        s = 0
        for B, dx, pos in zip(self._B, self._dx, self._pos, strict=True):
            k = B.shape[0]
            BtD = np.matmul(B.swapaxes(-1, -2), D[s : s + k])  # (k, n_q, 3 nb, 6)
            BtD *= dx
            Ke = np.matmul(BtD, B).sum(axis=1)  # (k, 3 nb, 3 nb)
            acc += np.bincount(pos, weights=Ke.ravel(), minlength=m)
            s += k
        data[self.touched] += acc

    def product(self, D: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(int B^T D B) v`` over the elements without assembling the matrix: ``v`` (3 n,)
        [m], ``D`` as :meth:`values`; returns (3 n,) [N], zero off :attr:`dofs`. About
        ``2 * 6 * 3 nb`` products a quadrature point against the ``(3 nb)^2 * 6`` of
        forming the element matrices (:meth:`add_values`)."""
        vl = v[self.dofs]
        acc = np.zeros(self.dofs.size)
        s = 0
        for B, dx, loc in zip(self._B, self._dx, self._local, strict=True):
            k = B.shape[0]
            eps = np.matmul(B, vl[loc][:, None, :, None])  # (k, n_q, 6, 1)
            sig = np.matmul(D[s : s + k], eps)
            sig *= dx
            fe = np.matmul(B.swapaxes(-1, -2), sig).sum(axis=1)  # (k, 3 nb, 1)
            acc += np.bincount(loc.ravel(), weights=fe.ravel(), minlength=acc.size)
            s += k
        out = np.zeros(v.shape[0])
        out[self.dofs] = acc
        return out

    def eliminate(self, A: sp.csr_matrix, D: NDArray[np.int64], key: Any, scale: float) -> None:
        """Rows and columns ``D`` of ``A`` (the assembled layout) zero but a diagonal
        ``scale``, in place; the positions are found once per ``key``."""
        if self._elim is None or self._elim[0] != key:
            hit, diag = elimination_positions(A, D)
            self._elim = (key, hit, diag)
        A.data[self._elim[1]] = 0.0
        A.data[self._elim[2]] = scale


class TangentOperator:
    """The constrained consistent tangent of one Newton iteration as an operator, (3n, 3n)
    [N/m]: ``A v = K_Lc v + P (int B^T D B) P v`` with ``K_Lc`` the linear elements'
    stiffness with the prescribed DOFs eliminated (:meth:`InelasticStep.linear_constrained`,
    kept across iterations and steps) and ``P`` zeroing the prescribed DOFs; the inelastic
    elements' part is applied element by element (:meth:`TangentAssembly.product`), so a
    Newton iteration whose PCG converges on the kept factorisation assembles nothing.
    :meth:`matrix` assembles the same matrix (once) where it is factorised or solved
    directly.

    Parameters
    ----------
    step
        The step (its ``K_L``, constraints and :class:`TangentAssembly`).
    Ds
        The inelastic regions' tangents (:meth:`InelasticStep.material_tangents`).
    """

    def __init__(self, step: InelasticStep, Ds: list[NDArray[np.float64]]) -> None:
        self.step = step
        self.D = Ds[0] if len(Ds) == 1 else np.concatenate(Ds)
        self._Ds = Ds
        self.shape = step.K_L.shape
        self.dtype = np.dtype(np.float64)
        self._matrix: sp.csr_matrix | None = None
        self._linear: sp.csr_matrix | None = None

    def __matmul__(self, v: NDArray[np.float64]) -> NDArray[np.float64]:
        st = self.step
        asm = st.asm
        assert asm is not None
        prescribed = st.con.D
        w = np.array(v, dtype=np.float64)
        w[prescribed] = 0.0
        T = st.frame
        if T is None:
            z = asm.product(self.D, w)
        else:  # T^T K_I T in the nodal frames
            z = T.T @ asm.product(self.D, T @ w)
        z[prescribed] = 0.0
        if self._linear is None:  # the step's K_L and constraints: looked up once
            self._linear = st.linear_constrained()
        z += self._linear @ v
        return z

    def matrix(self) -> sp.csr_matrix:
        """The assembled constrained tangent (3n, 3n) (built on the first call)."""
        if self._matrix is None:
            st = self.step
            self._matrix = st._constrained(st.in_unknowns(st.assembled(self._Ds)))
        return self._matrix


def as_matrix(A: Any) -> Any:
    """The matrix of ``A``: a :class:`TangentOperator`'s assembled tangent, else ``A``."""
    return A.matrix() if isinstance(A, TangentOperator) else A


#: Unknowns from which :class:`TangentPreconditioner` factorises in single precision by
#: default. Where it pays: on the cycling board's quarter at the study mesh (86,061 DOF) a
#: float32 back-substitution took 37-39 ms against 58-62 ms, a factorisation 0.6-0.75 s
#: against 1.15-1.2 s, and one cycle 122.0 s against 147.5 s side by side (PCG 1,435
#: iterations against 1,201: float32's rounding makes a slightly weaker preconditioner);
#: at 4,107 DOF the cycle's time did not change (docs/history.md). Below it a double factor
#: keeps every PCG solve's first iterate exact to rounding where the tangent has not moved.
SINGLE_FACTOR_MIN_UNKNOWNS = 50_000


class TangentPreconditioner:
    """A factorisation of a recent consistent tangent, kept across Newton iterations and
    steps, that preconditions PCG on the current tangent.

    A solve runs PCG preconditioned by the kept factorisation. The tangent of a Newton
    iteration differs from the one factorised (the solder's creep tangent changes with
    every iterate), so even a fresh factorisation leaves a few iterations per solve: the
    first solve of a changed matrix after a factorisation sets that baseline. What the
    iterations beyond the baseline is added up, and once the sum passes what a
    factorisation costs in PCG iterations (``refactor_iterations``), the next solve
    factorises its own matrix first (a rent-or-buy rule: refactorising pays only for the
    drift of the tangent since the last one). The rule counts iterations, not seconds, so
    a history takes the same path on any machine and under any load. A PCG that does not
    converge in ``maxiter`` factorises its matrix at once and solves again. A change of
    the constraints (``key``) refactorises.

    The factorisation is in single precision from :data:`SINGLE_FACTOR_MIN_UNKNOWNS`
    unknowns by default (``precision="auto"``; Pardiso's float32 factor,
    :class:`fea.solvers.cpu.Factorized`): it only preconditions PCG on the float64 tangent,
    whose answer to ``rtol`` float32's rounding (a relative 1e-7 in one back-substitution)
    does not limit, and its back-substitutions, most of a large cycling history's time,
    take about 0.65 of a double factor's (a factorisation 0.5). A factorisation that fails
    in float32, or a PCG that does not converge even on a fresh single factor, switches to
    double for the rest of the history (``stats["tangent_factor_precision"]`` says which).

    Parameters
    ----------
    backend, method
        As :func:`fea.solvers.prepare` (a direct method: the factorisation).
    precision
        The factor's precision: ``"auto"`` (default: single from
        :data:`SINGLE_FACTOR_MIN_UNKNOWNS` unknowns), ``"single"`` or ``"double"``.
    refactor_iterations
        The extra PCG iterations the kept factorisation may cost before it is replaced;
        None: :func:`factorization_iterations` of the system's size.
    maxiter
        Most PCG iterations of one solve.
    """

    def __init__(
        self,
        backend: str = "cpu",
        method: str = "direct",
        refactor_iterations: int | None = None,
        maxiter: int = 100,
        precision: str = "auto",
    ) -> None:
        if precision not in ("auto", *FACTOR_PRECISIONS):
            raise InputError("precision", precision, "auto, " + " or ".join(FACTOR_PRECISIONS))
        self.backend, self.method, self.precision = backend, method, precision
        self.refactor_iterations = refactor_iterations
        self.maxiter = int(maxiter)
        self.prepared: Any = None
        self.key: Any = None
        self.excess = 0  # extra iterations since the factorisation
        self.solves = 0  # since the factorisation
        self.base = 1  # iterations of the first solve of a changed matrix after it
        self.stale = False

    def close(self) -> None:
        """Free the kept factorisation."""
        if self.prepared is not None:
            self.prepared.close()
            self.prepared = None

    def factorize(self, A: sp.csr_matrix, key: Any, stats: dict[str, Any]) -> None:
        """Replace the kept factorisation by one of ``A``."""
        self.close()
        if self.precision == "auto":
            big = A.shape[0] >= SINGLE_FACTOR_MIN_UNKNOWNS
            self.precision = "single" if big else "double"
        self.prepared = prepare(
            A,
            kind="elasticity",
            backend=self.backend,
            method=self.method,
            factor_precision=self.precision,
        )
        # what was made: a single factorisation that failed was redone in double
        # (DirectSolver), kept so; a solver without the choice (cuDSS) is double
        self.precision = self.prepared.factor_precision or "double"
        self.key, self.excess, self.stale = key, 0, False
        self.solves, self.base = 0, 1
        stats["tangent_factorizations"] = stats.get("tangent_factorizations", 0) + 1
        stats["tangent_factor_precision"] = self.precision

    def solve(
        self,
        A: sp.csr_matrix,
        b: NDArray[np.float64],
        key: Any,
        rtol: float,
        stats: dict[str, Any],
    ) -> tuple[NDArray[np.float64], bool]:
        """``A^-1 b`` to ``|b - A x| <= rtol |b|`` (A: (n, n) SPD, b: (n,)); returns
        ``(x, converged)``. Iterations go to ``stats["pcg_iterations"]``."""

        def attempt(refactorise: bool) -> Any:
            if refactorise:
                self.factorize(as_matrix(A), key, stats)
            r = pcg(A, b, self.prepared.apply, rtol=rtol, maxiter=self.maxiter)
            stats["pcg_iterations"] += r.iterations
            return r

        res = attempt(self.prepared is None or self.stale or key != self.key)
        if not res.converged:
            res = attempt(True)
        if not res.converged and self.precision == "single":
            # float32's rounding too coarse for this tangent: double from here on
            self.precision = "double"
            res = attempt(True)
        self.solves += 1
        if self.solves == 2:
            self.base = res.iterations
        self.excess += max(res.iterations - self.base, 0)
        limit = self.refactor_iterations
        if limit is None:
            limit = factorization_iterations(A.shape[0])
        self.stale = self.excess > limit
        return res.x, bool(res.converged)


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
    T
        The step's nodal temperature [°C] (n,): the inelastic laws are given ``Tq``
        limited to each element's nodal range
        (:meth:`~fea.physics.history_step.HistoryModel.law_temperature`).
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
        T: NDArray[np.float64],
    ) -> None:
        con = model.con
        assert con is not None
        self.model, self.con, self.dt, self.eps0, self.entry = model, con, dt, eps0, entry
        self.inel = model.inelastic_present
        mask = np.zeros(model.mesh.n_elements, dtype=bool)
        for r in self.inel:
            mask[model.el[r]] = True
        lamL, muL = np.where(mask, 0.0, lam), np.where(mask, 0.0, mu)
        kept = model.lin_kept
        if (
            kept is not None
            and kept[0] == tuple(self.inel)
            and kept[1] == tuple(visco)
            and np.array_equal(kept[2], lamL)
            and np.array_equal(kept[3], muL)
        ):
            self.K_L = kept[4]  # the linear elements' moduli as in the last step
        else:
            self.K_L = model.stiffness_lin(lamL, muL, visco).tocsr()
            model.lin_kept = (tuple(self.inel), tuple(visco), lamL, muL, self.K_L)
        self.f_L = model._loads(lamL, muL, eps0, visco, dxi)
        self.lam, self.mu = lam, mu
        n3 = 3 * model.fs.n
        free = np.ones(n3, dtype=bool)
        free[con.D] = False
        self.scale = scale = float(con.scale or 1.0)
        self.P = sp.diags(free.astype(float))
        self.fixed_diag = sp.diags(np.where(free, 0.0, scale))
        # the laws' temperatures: at the quadrature points, within each element's nodal
        # range (HistoryModel.law_temperature: no quadratic-mesh overshoot)
        self.temps = {r: model.law_temperature(r, T, Tq) for r in self.inel}
        # the step's start temperature (the committed one), for the laws' substeps
        T0, T0q = (T, Tq) if model.Tq is None else (model.T, model.Tq)
        self.temps_start = {r: model.law_temperature(r, T0, T0q) for r in self.inel}
        self.lin_tol = float(model.newton_options.get("linear_rtol", 1e-10))
        # inexact Newton (Eisenstat & Walker 1996, choice 2): each correction's PCG stops
        # at a relative residual eta, loose while Newton is far from the solution and
        # never tighter than what reaches the force tolerance ``tol_f`` [N], which the
        # caller sets once the force scale is known (None: every solve to ``lin_tol``)
        self.forcing = bool(model.newton_options.get("forcing", True))
        self.eta_max = float(model.newton_options.get("eta_max", 1e-2))
        self.eta_predictor = float(model.newton_options.get("eta_predictor", 1e-2))
        self.tol_f: float | None = None
        self._eta: float | None = None
        self._rn_prev: float | None = None
        self._cache: dict[str, Any] = {}
        # the tangent assembled into K_L's pattern where K_L has the assembled layout
        key = tuple(self.inel)
        asm = model.tangent_assembly.get(key)
        if asm is None:
            asm = TangentAssembly(model.fs, np.concatenate([model.el[r] for r in self.inel]))
            model.tangent_assembly = {key: asm}
        self.asm = asm if asm.fits(self.K_L) else None

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
                eng - m.inel_eps[r],
                self.temps[r],
                self.dt,
                m.inel_states[r],
                temperature_start=self.temps_start[r],
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

    def material_tangents(self, x: NDArray[np.float64], last: bool = False) -> list[NDArray]:
        """The inelastic regions' ``D`` (k_r, n_q, 6, 6) [Pa] at ``x``, in the order of
        :attr:`inel`; ``last``: the last converged step's (where there is one) instead of
        the consistent one at ``x``."""
        m = self.model
        upd = self.evaluate(x)[1]
        Ds = []
        for r in self.inel:
            D = upd[r][0].tangent
            if last and m.inel_D[r] is not None:
                D = m.inel_D[r]
            Ds.append(D.reshape(len(m.el[r]), m.nq, 6, 6))
        return Ds

    def assembled(self, Ds: list[NDArray[np.float64]]) -> sp.csr_matrix:
        """``K_L + int B^T D B`` (3n, 3n) [N/m] for the regions' ``Ds`` (a new matrix)."""
        K = self.K_L
        if self.asm is not None:
            data = K.data.copy()
            self.asm.add_values(data, Ds[0] if len(Ds) == 1 else np.concatenate(Ds))
            out = sp.csr_matrix((data, K.indices, K.indptr), shape=K.shape, copy=False)
            out.has_sorted_indices = K.has_sorted_indices
            return out
        m = self.model
        for r, D in zip(self.inel, Ds, strict=True):
            K = K + forms.tangent_matrix(m.fs, D, m.el[r])
        return K.tocsr()

    def full_tangent(self, x: NDArray[np.float64], last: bool = False) -> sp.csr_matrix:
        """``K_L + int B^T D B`` (3n, 3n) [N/m] at ``x`` in Newton's unknowns (a new
        matrix); ``last`` as :meth:`material_tangents`."""
        return self.in_unknowns(self.assembled(self.material_tangents(x, last)))

    #: The nodal frames ``T`` (3n, 3n) of Newton's unknowns ``q``, ``u = T q`` (None: ``q``
    #: is ``u``); set by :class:`~fea.physics.history_step.FramedStep`.
    frame: sp.csr_matrix | None = None

    def in_unknowns(self, K: sp.csr_matrix) -> sp.csr_matrix:
        """A stiffness of ``u`` as one of Newton's unknowns: ``K`` itself, or
        ``T^T K T`` in nodal frames (:func:`fea.fe.constraints.frame_product`, K's
        pattern kept)."""
        return K if self.frame is None else frame_product(K, self.frame)

    def linear_constrained(self) -> sp.csr_matrix:
        """``K_L`` in Newton's unknowns (:meth:`in_unknowns`) with the prescribed DOFs
        eliminated (unit rows scaled as the tangent's), kept in the model while ``K_L``
        and the constraints stay (its values a copy, its index arrays ``K_L``'s)."""
        m, con = self.model, self.con
        key = (con.key, self.scale)
        kept = m.lin_constrained
        if kept is not None and kept[0] is self.K_L and kept[1] == key:
            return kept[2]
        K = self.in_unknowns(self.K_L)
        out = sp.csr_matrix((K.data.copy(), K.indices, K.indptr), shape=K.shape, copy=False)
        out.has_sorted_indices = K.has_sorted_indices
        assert self.asm is not None
        self.asm.eliminate(out, con.D, con.key, self.scale)
        m.lin_constrained = (self.K_L, key, out)
        return out

    def _constrained(self, K: sp.csr_matrix) -> sp.csr_matrix:
        """``K`` with the prescribed DOFs eliminated: in place where it has the assembled
        layout (``K`` is then changed), else a new matrix."""
        if self.asm is not None and self.asm.fits(K):
            self.asm.eliminate(K, self.con.D, self.con.key, self.scale)
            return K
        return (self.P @ K @ self.P + self.fixed_diag).tocsr()

    def tangent(self, x: NDArray[np.float64]) -> sp.csr_matrix | TangentOperator:
        """The consistent tangent at ``x`` with the prescribed DOFs eliminated (unit rows
        scaled like the recycling solver's): a :class:`TangentOperator` where ``K_L`` has
        the assembled layout (PCG needs only its products; it is assembled only when it is
        factorised), else the matrix."""
        if self.asm is None:
            return self._constrained(self.full_tangent(x))
        return TangentOperator(self, self.material_tangents(x))

    def linear_solve(self, A: sp.csr_matrix, b: NDArray[np.float64]) -> NDArray[np.float64]:
        """``A^-1 b`` by PCG preconditioned by the kept tangent factorisation (the model's
        :class:`TangentPreconditioner`) or, without one, by the elastic factorisation; a
        direct solve when PCG does not converge (counted)."""
        stats = self.model.newton_stats
        tp = self.model.tangent_pre
        rtol = self.linear_tolerance(host_norm(b))
        if tp is not None:
            x, ok = tp.solve(A, b, self.con.key, rtol, stats)
            if ok:
                return x
        else:
            solver = self.model.solver
            res = pcg(
                A,
                b,
                lambda z: solver.apply_factor(self.entry, z),
                rtol=rtol,
                maxiter=solver.cg_cap,
            )
            stats["pcg_iterations"] += res.iterations
            if res.converged:
                return res.x
        stats["direct_tangent_solves"] += 1
        limit = self.model.solver.maxiter
        # the fallback of a PCG that did not converge: on the host, the method that fits
        # (not the study's iterative one, which has just failed on this system), to the
        # solve's default tolerance, below any Newton forcing term
        x_, _ = solve(as_matrix(A), b, kind="elasticity", backend="cpu", maxiter=limit)
        return np.asarray(x_, dtype=float)

    def linear_tolerance(self, rn: float) -> float:
        """The relative residual to which a correction's linear system (right-hand side
        norm ``rn`` = the Newton residual's) is solved: ``lin_tol`` without forcing;
        with it the Eisenstat-Walker term ``0.9 (rn / rn_prev)^2`` (the first correction
        of a step ``eta_max``), safeguarded, at most ``eta_max`` and at least what leaves
        a residual of half the force tolerance (no oversolving), and ``lin_tol``."""
        if not self.forcing or self.tol_f is None or rn <= 0.0:
            return self.lin_tol
        if self.tol_f == 0.0:  # the predictor's solve
            return max(self.eta_predictor, self.lin_tol)
        if self._rn_prev is None or self._eta is None:
            eta = self.eta_max
        else:
            eta = 0.9 * (rn / self._rn_prev) ** 2
            if 0.9 * self._eta**2 > 0.1:
                eta = max(eta, 0.9 * self._eta**2)
        eta = min(eta, self.eta_max)
        eta = max(eta, 0.5 * self.tol_f / rn, self.lin_tol)
        self._eta, self._rn_prev = eta, rn
        return eta

    def predictor(self) -> NDArray[np.float64]:
        """The first iterate (3n,): the step's loads and prescribed displacements through
        the last converged step's tangent (the return map at a zero increment is elastic,
        and moving the prescribed nodes alone would strain their elements only)."""
        con = self.con
        xn = self.model.u.ravel().copy()
        stats = self.model.newton_stats
        dD = np.zeros_like(xn)
        dD[con.D] = con.values[con.D] - xn[con.D]
        Kn = self.full_tangent(xn, last=True)
        rhs = -(self.evaluate(xn)[0] + Kn @ dD)
        rhs[con.D] = 0.0
        x0 = xn + dD
        if np.any(rhs):
            # a start only (Newton corrects it): with forcing, solved to eta_predictor
            A = self._constrained(Kn)  # Kn is not used after
            if self.forcing:
                self._rn_prev = self._eta = None
                self.tol_f = 0.0
                x0 += self.linear_solve(A, rhs)
                self.tol_f = None
            else:
                x0 += self.linear_solve(A, rhs)
        stats["predictor_solves"] = stats.get("predictor_solves", 0) + 1
        return x0

    def force_scale(self, x0: NDArray[np.float64]) -> float:
        """The force norm [N] Newton's residual is measured against: the largest of the
        linear loads', the first iterate's internal force and :meth:`force_floor`."""
        f0 = self.evaluate(x0)[0]
        return max(host_norm(self.f_L), host_norm(f0), self.force_floor(x0), 1e-300)

    def force_floor(self, x0: NDArray[np.float64]) -> float:
        """A floor [N] under the force scale: :data:`FORCE_FLOOR` times the forces the
        step's strains would carry if fully restrained (each present region's load of a
        unit isotropic stress times its largest ``3 lambda + 2 mu`` and the largest of its
        eigenstrain and, in an inelastic region, its total strain at ``x0``, summed in
        quadrature).

        Where the body carries load (a mismatch of expansion, a prescribed displacement)
        the loads are of the order of this restrained force and the floor, a millionth of
        it, changes nothing. Where it carries none (a free body of one material heated
        uniformly: no stress at all) the loads and the internal force are rounding noise,
        so a tolerance relative to them could never be met; the floor sets the tolerance
        at ``rtol`` of a millionth of the restrained force instead, far above the rounding
        (about 1e-16 of it) and far below any stress that matters."""
        m = self.model
        upd = self.evaluate(x0)[1]
        eps0 = self.eps0
        total = 0.0
        for r in m.present:
            e = m.el[r]
            strain = float(np.abs(eps0[e]).max()) if len(e) else 0.0
            if r in upd:
                strain = max(strain, float(np.abs(upd[r][1]).max(initial=0.0)))
            modulus = float((3.0 * self.lam[e] + 2.0 * self.mu[e]).max(initial=0.0))
            total += (host_norm(m._unit_load(r)) * modulus * strain) ** 2
        return FORCE_FLOOR * float(np.sqrt(total))

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
