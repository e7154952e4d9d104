"""Mechanical history: time stepping with viscoelastic materials, and process stages in
which regions are born and removed.

Each step solves for the total displacement ``u`` at the step's end,

.. math:: \\sum_{e\\ \\mathrm{active}} \\int_e B^T \\sigma = f_{ext}, \\qquad
          \\sigma = \\mathbb{C}_e : (\\varepsilon(u) - \\varepsilon_0 I - \\varepsilon_b)
                    + \\sigma_h,

with the isotropic eigenstrain ``eps0`` of :mod:`fea.physics.eigenstrain` (thermal
expansion from each region's stress-free temperature, cure shrinkage as far as the
region has cured), ``eps_b`` the strain a region had when it was born (zero for regions
present from the start) and, in a viscoelastic region, the step's algorithmic tangent
``C_e`` and history stress ``sigma_h`` of the recursive integration of
:class:`~fea.physics.viscoelastic.Viscoelastic` (Taylor, Pister & Goudreau 1970; Simo &
Hughes 1998, ch. 10), with the history at the quadrature points and the relaxation
temperature of each element its mean nodal temperature (as ``E(T)`` of elastic
materials). An elastic region's stress depends on its current strain only, so a history
of elastic materials gives at every time the state :func:`~fea.physics.mechanics.
solve_thermoelastic` gives; a viscoelastic one remembers the path (cooling-rate
dependence, heating/cooling hysteresis).

Birth and removal (ANSYS EKILL/EALIVE, Abaqus ``*MODEL CHANGE``): elements of a region
not yet born contribute no stiffness and their nodes that no active element touches are
held where they are, so the system stays positive definite. A region added at the start
of a stage is born stress free in the current, deformed configuration: its unattached
nodes take the extension of the attached nodes' displacement (its best affine fit, so a
rigid motion or uniform strain continues exactly, plus the elastic extension of the
remainder: an elasticity problem on the region with those nodes prescribed) and its
strain at that moment,
``eps_b = eps(u) - eps0 I``, is kept as an offset. A removed region takes its stress with
it: the total formulation leaves its tractions on the rest unbalanced, and the next solve
releases them. Displacements, stresses and viscoelastic histories carry over from stage
to stage. Each connected part of the active body without enough Dirichlet conditions is
held by its own statically determinate 3-2-1 support (no stress; rigid-body part
projected out), so a panel cut into units stays solvable.

Solver reuse: the stiffness depends on the step only through the viscoelastic tangents,
i.e. on each element's reduced-time increment ``dxi`` (:meth:`~fea.physics.viscoelastic.
Viscoelastic.lame_at`). Far below the shift's reference temperature ``dxi ~ 0`` (glassy)
and far above it every Prony term relaxes within a step (rubbery), so most steps of a
reflow repeat one of two stiffnesses. Factorisations (or AMG hierarchies) are cached;
a step whose tangent is within ``snap_tol`` of a cached one (:meth:`~fea.physics.
viscoelastic.Viscoelastic.step_distance`: the largest weighted change of any term's decay
or interpolation weight) takes that entry's ``dxi`` for its viscoelastic elements -- one
consistent step with a nearby reduced-time increment -- and costs one back-substitution.
Other steps solve the exact system by conjugate gradients preconditioned by the nearest
cached factorisation (:func:`fea.solvers.pcg`), or factorise anew when the estimated
iterations cost more than a factorisation. A step that takes a cached entry right after
another step with it solves for its load increment, ``u_prev + A^-1 (b - b_prev)``, and
takes the part of that increment in the span of the entry's earlier right-hand sides
from their stored solutions: a glassy or a relaxed step's increment is the regions'
thermal loads times the temperature step, so after the first few steps of a regime most
steps cost no back-substitution at all (what the span leaves is accumulated and solved
once it exceeds a hundred times the residual a back-substitution leaves).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import InputError, SolverError
from ..fe import forms
from ..fe.constraints import (
    free_body_supports,
    remaining_modes,
    rigid_body_modes,
)
from ..fe.spaces import FieldSpace, space
from ..solvers import eliminate, pcg, prepare
from ..solvers.amg import elimination_positions
from .constitutive import hooke, lame
from .eigenstrain import reference_temperatures
from .materials import Material, assign
from .mechanics import MechanicalResult, nodal_temperature, prescribed_displacements
from .viscoelastic import Viscoelastic, ViscoState

__all__ = ["HistoryResult", "HistoryState", "Process", "Stage", "solve_history"]

Temperature = float | NDArray[np.float64] | Callable[..., Any]

#: Earlier solves kept per factorisation (``_Solver._solve_exact``): right-hand sides and
#: their solutions, 2 x 16 vectors of 3 n (64 MB at 250k DOF); 0 turns the reuse off.
SPAN_VECTORS = 16


# -- the process -------------------------------------------------------------------


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise InputError(key, value, "a list of region names") from None
    if not all(isinstance(v, str) and v for v in out):
        raise InputError(key, value, "a list of region names")
    return out


@dataclass(frozen=True)
class Stage:
    """One stage of a :class:`Process`.

    Parameters
    ----------
    name
        Label of the state at the stage's end.
    duration_s
        Length of the stage [s], >= 0 (0: an instantaneous, glassy change).
    temperature
        Temperature at the stage's end [degC]: a float, nodal values or ``f(x, y, z)``;
        it varies linearly in time from the previous stage's end temperature (the first
        stage starts at its own temperature).
    add
        Regions born at the start of the stage (absent before it).
    remove
        Regions removed at the start of the stage.
    fixed
        Dirichlet conditions during the stage (boundary -> {component: m}); None keeps
        those given to :func:`solve_history`, ``{}`` makes the body free.
    cure
        Regions whose cure shrinkage develops linearly over the stage (0 before it,
        the material's full ``shrinkage`` after it).
    outputs
        Times [s] after the stage's start, inside it, at which a state is also kept
        (labelled ``"name+<t>s"``).
    steps
        Least number of time steps of the stage (more when ``max_step_K`` asks for them).
    """

    name: str
    duration_s: float
    temperature: Any
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    fixed: Mapping[str, Mapping[str, float]] | None = None
    cure: tuple[str, ...] = ()
    outputs: tuple[float, ...] = ()
    steps: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("stage.name", self.name, "a non-empty string")
        key = f"stage.{self.name}"
        d = self.duration_s
        if isinstance(d, bool) or not isinstance(d, int | float) or not math.isfinite(d) or d < 0:
            raise InputError(f"{key}.duration_s", d, "a duration >= 0 [s]")
        object.__setattr__(self, "duration_s", float(d))
        for attr in ("add", "remove", "cure"):
            object.__setattr__(self, attr, _names(f"{key}.{attr}", getattr(self, attr)))
        both = set(self.add) & set(self.remove)
        if both:
            raise InputError(f"{key}.remove", sorted(both), "regions not also added in the stage")
        if self.fixed is not None and not isinstance(self.fixed, Mapping):
            raise InputError(f"{key}.fixed", self.fixed, "a dict boundary -> {'z': 0.0} or None")
        try:
            outs = tuple(float(t) for t in np.atleast_1d(np.asarray(self.outputs, dtype=float)))
        except (TypeError, ValueError):
            raise InputError(f"{key}.outputs", self.outputs, "times [s] inside the stage") from None
        if any(not (0.0 < t < self.duration_s) for t in outs) or list(outs) != sorted(set(outs)):
            raise InputError(
                f"{key}.outputs", outs, f"increasing times in (0, {self.duration_s:g}) [s]"
            )
        object.__setattr__(self, "outputs", outs)
        if self.steps is not None and (
            isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1
        ):
            raise InputError(f"{key}.steps", self.steps, "an integer >= 1 or None")


@dataclass(frozen=True)
class Process:
    """A sequence of :class:`Stage` s: the regions present, temperatures and supports
    over time. Regions added by some stage are absent until then; every other region of
    the mesh is present from the start."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        stages = tuple(self.stages) if not isinstance(self.stages, Stage) else (self.stages,)
        if not stages or not all(isinstance(s, Stage) for s in stages):
            raise InputError("process", self.stages, "a non-empty list of fea.Stage")
        names = [s.name for s in stages]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError("process", dup, "stages with distinct names")
        object.__setattr__(self, "stages", stages)

    @classmethod
    def from_points(cls, points: Sequence[tuple[float, Temperature]]) -> Process:
        """The process of a temperature history ``[(t_s, T), ...]`` (times non-decreasing):
        one stage per point, labelled ``"00_0s"``, ``"01_60s"``..."""
        try:
            pts = [(float(t), T) for t, T in points]
        except (TypeError, ValueError):
            raise InputError("history", points, "a list of (time [s], temperature)") from None
        if not pts:
            raise InputError("history", points, "at least one (time [s], temperature) point")
        times = [t for t, _ in pts]
        if not all(math.isfinite(t) for t in times) or any(
            b < a for a, b in zip(times, times[1:], strict=False)
        ):
            raise InputError("history", times, "finite, non-decreasing times [s]")
        stages = []
        for i, (t, T) in enumerate(pts):
            d = 0.0 if i == 0 else t - times[i - 1]
            stages.append(Stage(f"{i:02d}_{t:g}s", d, T))
        return cls(tuple(stages))

    @property
    def born(self) -> tuple[str, ...]:
        """Regions added by some stage (absent at the start)."""
        return tuple(dict.fromkeys(r for s in self.stages for r in s.add))


# -- results -------------------------------------------------------------------------


@dataclass
class HistoryState(MechanicalResult):
    """A :class:`~fea.physics.mechanics.MechanicalResult` of a history: also its time,
    nodal temperature and which elements were active (inactive ones have zero stress)."""

    time: float = 0.0
    temperature: NDArray[np.float64] | None = None
    active: NDArray[np.bool_] | None = None

    def fields(self) -> dict[str, tuple[NDArray[np.float64], str]]:
        """The mechanical fields plus ``temperature`` (Node) and ``active`` (Cell, 0/1)."""
        out = super().fields()
        if self.temperature is not None:
            out["temperature"] = (np.asarray(self.temperature, np.float64), "Node")
        if self.active is not None:
            out["active"] = (np.asarray(self.active, np.float64), "Cell")
        return out


@dataclass
class HistoryResult:
    """The states of a history, in time order.

    Attributes
    ----------
    times
        Time of each state [s], shape (k,).
    states
        One :class:`HistoryState` per time.
    labels
        State labels (stage names, ``"name+<t>s"`` for intermediate ones).
    solver_info
        Steps, factorisations, back-substitutions, CG iterations and seconds per phase.
    """

    times: NDArray[np.float64]
    states: list[HistoryState]
    labels: list[str]
    solver_info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, label: str) -> HistoryState:
        try:
            return self.states[self.labels.index(label)]
        except ValueError:
            raise InputError("state", label, f"one of {', '.join(self.labels)}") from None

    def mapping(self) -> dict[str, HistoryState]:
        """label -> state (e.g. for :func:`fea.write_results` ``mechanical=``)."""
        return dict(zip(self.labels, self.states, strict=True))


# -- constraints of the active body --------------------------------------------------


@dataclass(eq=False)
class _Constraints:
    D: NDArray[np.int64]  # every constrained DOF (prescribed, supports, inactive)
    values: NDArray[np.float64]  # (3 n,) prescribed values (0 elsewhere)
    supports: NDArray[np.int64]
    Q: NDArray[np.float64]  # (3 n, k) orthonormal free rigid-body modes of the active parts
    near_null: NDArray[np.float64]
    key: int
    scale: float | None = None  # diagonal of the constrained rows (set at first assembly)


def _components(mesh: Any, fs: FieldSpace, active: NDArray[np.bool_]) -> list[NDArray[np.int64]]:
    """Node sets (all nodes of P1/P2) of the connected parts of the active elements
    (connected through shared vertices)."""
    from scipy.sparse.csgraph import connected_components

    el = np.nonzero(active)[0]
    tv = mesh.p1.t.T[el]  # (k, 4) vertices
    nv = mesh.p1.p.shape[1]
    rows = np.repeat(np.arange(len(el)), 4)
    inc = sp.csr_matrix((np.ones(rows.size), (rows, tv.ravel())), shape=(len(el), nv))
    k, lab = connected_components(inc.T @ inc, directed=False)
    el_lab = lab[tv[:, 0]]
    return [np.unique(fs.dofs[el[el_lab == c]]) for c in np.unique(el_lab)]


def _build_constraints(
    mesh: Any,
    fs: FieldSpace,
    fixed: Mapping[str, Mapping[str, float]] | None,
    active: NDArray[np.bool_],
    u: NDArray[np.float64],
    key: int,
) -> _Constraints:
    n3 = 3 * fs.n
    is_active = np.zeros(fs.n, dtype=bool)
    is_active[fs.dofs[active].ravel()] = True
    values = np.zeros(n3)
    inactive = np.nonzero(~is_active)[0]
    D_in = (3 * inactive[:, None] + np.arange(3)).ravel()
    values[D_in] = u[inactive].ravel()  # held where they are
    D0, given = prescribed_displacements(mesh, fs, fixed, is_active)
    values[D0] = given[D0]
    n_vert = mesh.p1.p.shape[1]
    R_all = rigid_body_modes(fs.nodes)
    modes_list, supports = [], []
    for nodes in _components(mesh, fs, active):
        dn = (3 * nodes[:, None] + np.arange(3)).ravel()
        R = np.zeros((n3, 6))
        R[dn] = rigid_body_modes(fs.nodes[nodes])
        own = D0[np.isin(D0, dn)]
        modes = remaining_modes(R, own)
        if modes.shape[1] == 0:
            continue
        verts = nodes[nodes < n_vert]
        dv = (3 * verts[:, None] + np.arange(3)).ravel()
        local = free_body_supports(modes[dv], fs.nodes[verts])
        supports.append(3 * verts[local // 3] + local % 3)
        modes_list.append(modes)
    S = np.concatenate(supports) if supports else np.zeros(0, dtype=np.int64)
    if modes_list:
        Q, _ = np.linalg.qr(np.concatenate(modes_list, axis=1))
    else:
        Q = np.zeros((n3, 0))
    R_all[D_in] = 0.0
    D = np.unique(np.concatenate([D_in, D0, S]))
    return _Constraints(D, values, np.sort(S), Q, R_all, key)


# -- the stiffness and its solvers ---------------------------------------------------


def _add_diagonal(A: sp.csr_matrix, d: NDArray[np.float64]) -> None:
    """``A += diag(d)`` in place, for a CSR matrix that stores every diagonal entry (the
    assembled pattern does, zeros included): SciPy's sparse sum would drop stored zeros."""
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    pos = np.nonzero(A.indices == rows)[0]
    if len(pos) != A.shape[0]:
        raise InputError("stiffness", "pattern", "a stored diagonal entry in every row")
    A.data[pos] += d[rows[pos]]


@dataclass(eq=False)
class _Entry:
    """A factorised (or otherwise prepared) stiffness of the history."""

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


def _ratio(lam, mu, lam_b, mu_b) -> float:
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


def _cg_iterations(kappa: float, rtol: float) -> float:
    """Classical bound on the CG iterations that reduce the error by ``rtol`` for a
    preconditioned condition number ``kappa`` (Saad, *Iterative Methods for Sparse Linear
    Systems*, 2nd ed., 2003, sec. 6.11.3); observed counts were at or below it."""
    if kappa <= 1.0 + 1e-14:
        return 1.0
    s = math.sqrt(kappa)
    return 1.0 + math.log(2.0 / rtol) / math.log((s + 1.0) / (s - 1.0))


class _Solver:
    """The stiffness of each step, its prepared solvers and the solve of one step."""

    def __init__(
        self,
        fs: FieldSpace,
        *,
        backend: str,
        method: str,
        rtol: float,
        max_factorizations: int,
        snap_tol: float,
        max_cg: float,
        span_cap: int | None = None,
        span_tol: float = 100.0,
    ) -> None:
        self.fs = fs
        self.max_cg = max_cg
        self.backend, self.method, self.rtol = backend, method, rtol
        self.capacity = max_factorizations
        self.snap_tol = snap_tol
        self.entries: list[_Entry] = []
        self.K_rest: sp.csr_matrix | None = None
        self.rest_key: tuple | None = None  # (lam, mu) of the elements in K_rest
        self.units: dict[str, tuple] = {}  # region -> (lam, mu, K data at them, unit parts)
        # the last two solutions of the current constraints (CG's start: their linear
        # extrapolation)
        self.x_prev: dict[int, list[NDArray[np.float64]]] = {}
        self.clock = 0
        # the positions of the constrained rows and columns in the stiffness's pattern
        self._elim: tuple | None = None
        self.span_cap = SPAN_VECTORS if span_cap is None else span_cap
        # the entry, constraints, load and unsolved remainder of the last step solved by
        # ``_solve_exact``; None after any other step
        self.last: tuple | None = None
        self.span_tol = span_tol
        self.t_factor = 0.0  # seconds of the last factorisation
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
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
        con: _Constraints,
    ) -> _Entry | None:
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
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
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
        self, lam: NDArray[np.float64], mu: NDArray[np.float64], con: _Constraints
    ) -> tuple[_Entry | None, float]:
        """The cached entry of the same constraints whose moduli are closest in ratio,
        and that ratio (the preconditioned condition number's bound)."""
        best, kbest = None, math.inf
        for e in self.entries:
            if e.con_key != con.key:
                continue
            k = _ratio(lam, mu, e.lam, e.mu)
            if k < kbest:
                best, kbest = e, k
        return best, kbest

    # -- assembly and preparation -----------------------------------------------------
    def matrix(
        self,
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
    ) -> sp.csr_matrix:
        """The stiffness (CSR, every pattern entry stored). Where each viscoelastic region
        has one (lam, mu) (a uniform temperature), it is the cached stiffness of the other
        elements plus per region ``lam K_r(1, 0) + mu K_r(0, 1)``: a combination of stored
        matrices of one pattern instead of an assembly."""
        fs = self.fs
        uniform = all(
            lam[el].min() == lam[el].max() and mu[el].min() == mu[el].max()
            for el, _ in visco.values()
        )
        if not visco or not uniform:
            return forms.elasticity_matrix(fs, lam, mu)
        rest = np.ones(lam.shape[0], dtype=bool)
        for el, _ in visco.values():
            rest[el] = False
        lr, mr = np.where(rest, lam, 0.0), np.where(rest, mu, 0.0)
        # the other elements' moduli as they were assembled (an XOR of two hashes was 0
        # whenever lam = mu, at nu = 0.25, and kept a stale stiffness)
        old = self.rest_key
        if not (old is not None and np.array_equal(old[0], lr) and np.array_equal(old[1], mr)):
            self.K_rest = forms.elasticity_matrix(fs, lr, mr)
            self.rest_key = (lr, mr)
        data: NDArray[np.float64] | None = None

        def add(c: float, part: NDArray[np.float64]) -> None:
            nonlocal data
            if data is None:
                data = np.multiply(part, c)
                data += self.K_rest.data
            else:
                data += c * part

        for r, (el, _) in visco.items():
            la, m = float(lam[el[0]]), float(mu[el[0]])
            if r not in self.units:
                # the region's stiffness at these moduli: a law with one series scales
                # both Lamé parameters alike, so later steps are multiples of it
                mask = np.zeros(lam.shape[0])
                mask[el] = 1.0
                K0 = forms.elasticity_matrix(fs, mask * la, mask * m).data
                self.units[r] = (la, m, K0, None)
            la0, m0, K0, parts = self.units[r]
            c = m / m0 if m0 else 0.0
            if m0 and abs(la - c * la0) <= 1e-12 * max(abs(la), abs(c * la0), 1e-300):
                add(c, K0)
                continue
            if parts is None:  # a separate bulk series: lam and mu relax differently
                mask = np.zeros(lam.shape[0])
                mask[el] = 1.0
                parts = (
                    forms.elasticity_matrix(fs, mask, 0.0 * mask).data,
                    forms.elasticity_matrix(fs, 0.0 * mask, mask).data,
                )
                self.units[r] = (la0, m0, K0, parts)
            add(la, parts[0])
            add(m, parts[1])
        K = self.K_rest
        if data is None:
            data = K.data.copy()
        # the pattern is shared (nothing changes it in place); the values are the step's
        out = sp.csr_matrix((data, K.indices, K.indptr), shape=K.shape, copy=False)
        out.has_sorted_indices = K.has_sorted_indices
        return out

    def _eliminate(self, K: sp.csr_matrix, con: _Constraints) -> sp.csr_matrix:
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
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        con: _Constraints,
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
    ):
        t0 = time.perf_counter()
        K = self.matrix(lam, mu, visco).tocsr()
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
        con: _Constraints,
    ) -> _Entry:
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
        )
        self.t_factor = time.perf_counter() - t0
        self.stats["factorizations"] += 1
        self.stats["factor_s"] += self.t_factor
        entry = _Entry(
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

    def _direct(self, e: _Entry) -> bool:
        p = e.prepared
        return getattr(p, "where", "") == "cpu" and getattr(p, "name", "") in ("pardiso", "superlu")

    def _backsolve(
        self, e: _Entry, b: NDArray[np.float64], check: bool = True
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

    def _solve_exact(
        self, e: _Entry, b: NDArray[np.float64], key: int, x_prev: NDArray[np.float64] | None
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
        visco: dict[str, tuple[NDArray[np.int64], Viscoelastic]],
        con: _Constraints,
        moduli: Callable[[dict[str, NDArray[np.float64]]], tuple[NDArray, NDArray]],
    ) -> _Plan:
        """How this step is solved: the cached entry it takes (exactly or snapped: then
        ``plan.dxi`` is the entry's), or CG on the exact matrix preconditioned by the
        nearest entry, or a new factorisation."""
        self.clock += 1
        self.stats["steps"] += 1
        entry = self.snap(lam, mu, dxi, visco, con)
        if entry is None:
            anchor = self.anchor(dxi, visco)
            if anchor is not None:
                # glassy or fully relaxed within snap_tol: factorise that limit, which
                # later steps of the same regime reuse
                lam_a, mu_a = moduli(anchor)
                A, kd, K_support = self.assemble(lam_a, mu_a, con, visco)
                entry = self.factorize(A, kd, K_support, lam_a, mu_a, anchor, con)
                self.stats["snapped_steps"] += 1
                return _Plan(entry, anchor, None, kd, K_support, "snapped (new limit)")
        if entry is not None:
            entry.used = self.clock
            snapped = any(not np.array_equal(dxi[r], entry.dxi[r]) for r in dxi)
            if snapped:
                self.stats["snapped_steps"] += 1
            dxi = {r: entry.dxi[r] for r in dxi}
            return _Plan(
                entry, dxi, None, entry.kd, entry.K_support, "snapped" if snapped else "reuse"
            )
        A, kd, K_support = self.assemble(lam, mu, con, visco)
        near, kappa = self.nearest(lam, mu, con)
        if (
            near is not None
            and self._direct(near)
            and _cg_iterations(kappa, self.rtol) <= self.max_cg
        ):
            near.used = self.clock
            return _Plan(near, dxi, A, kd, K_support, "cg", kappa)
        # a new factorisation: of the glassy or relaxed limit when this step is within CG
        # reach of it (later steps of that regime reuse it), else of this step's matrix
        if visco and self.snap_tol > 0:
            for limit in (np.inf, 0.0):
                lim = {r: np.full(len(el), limit) for r, (el, _) in visco.items()}
                lam_l, mu_l = moduli(lim)
                k = _ratio(lam, mu, lam_l, mu_l)
                if _cg_iterations(k, self.rtol) <= self.max_cg:
                    Al, kdl, Ksl = self.assemble(lam_l, mu_l, con, visco)
                    entry = self.factorize(Al, kdl, Ksl, lam_l, mu_l, lim, con)
                    if k == 1.0:  # the step is the limit itself
                        return _Plan(entry, lim, None, kdl, Ksl, "factorized")
                    if self._direct(entry):
                        return _Plan(entry, dxi, A, kd, K_support, "cg", k)
                    break
        entry = self.factorize(A, kd, K_support, lam, mu, dxi, con)
        return _Plan(entry, dxi, None, kd, K_support, "factorized")

    def run(
        self,
        plan: _Plan,
        f: NDArray[np.float64],
        lam: NDArray[np.float64],
        mu: NDArray[np.float64],
        con: _Constraints,
    ) -> tuple[NDArray[np.float64], dict[str, Any]]:
        """Solve the planned step for the load ``f`` (3 n,); returns (u (3 n,), facts).
        CG starts from the previous step's solution of the same constraints."""
        facts: dict[str, Any] = {"method": plan.mode}
        b = f - plan.kd
        b[con.D] = (con.scale or 1.0) * con.values[con.D]
        prev = self.x_prev.get(con.key, [])
        if plan.A is None:
            u = self._solve_exact(plan.entry, b, con.key, prev[-1] if prev else None)
        else:
            self.last = None
            entry = plan.entry

            def M(r: NDArray[np.float64]) -> NDArray[np.float64]:
                return self._backsolve(entry, r, check=False)

            x0 = 2.0 * prev[-1] - prev[-2] if len(prev) == 2 else (prev[-1] if prev else None)
            res = pcg(plan.A, b, M, x0=x0, rtol=self.rtol, maxiter=200, xp=np)
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
class _Plan:
    entry: _Entry
    dxi: dict[str, NDArray[np.float64]]
    A: Any  # the exact eliminated matrix for CG, or None (direct)
    kd: NDArray[np.float64]
    K_support: Any
    mode: str
    kappa: float = 1.0


# -- the history solver --------------------------------------------------------------


def _voigt_eng(eps: NDArray[np.float64]) -> NDArray[np.float64]:
    """Tensor-shear Voigt strains -> engineering shears (the viscoelastic law's input)."""
    out = eps.copy()
    out[..., 3:] *= 2.0
    return out


class _History:
    """The state of a history between steps (see the module)."""

    def __init__(
        self,
        mesh: Any,
        materials: Mapping[str, Material],
        reference: float | Mapping[str, float],
        *,
        born: Sequence[str],
        shrinkage: bool | Sequence[str],
        cured_later: Sequence[str],
        traction: Mapping[str, Sequence[float]] | None,
        solver: _Solver,
    ) -> None:
        self.mesh = mesh
        self.fs = fs = space(mesh)
        self.regions = list(mesh.regions)
        self.mats = assign(self.regions, materials)
        self.ref = reference_temperatures(reference, self.regions)
        self.solver = solver
        self.nq = fs.n_q
        self.el = {r: np.asarray(e, dtype=np.int64) for r, e in mesh.regions.items()}
        self.laws = {r: m.law() for r, m in self.mats.items() if m.viscoelastic}
        self.active = np.zeros(mesh.n_elements, dtype=bool)
        self.present: list[str] = []
        for r in self.regions:
            if r not in born:
                self.present.append(r)
                self.active[self.el[r]] = True
        self.u = np.zeros((fs.n, 3))
        self.offset: dict[str, NDArray[np.float64]] = {}
        self.states: dict[str, ViscoState] = {}
        for r in self.laws:
            if r in self.present:
                self.states[r] = self.laws[r].init_state(len(self.el[r]) * self.nq)
        self.cure = {}
        for r in self.regions:
            m = self.mats[r]
            full = shrinkage is True or (not isinstance(shrinkage, bool) and r in shrinkage)
            self.cure[r] = 0.0 if (r in cured_later or not (full and m.shrinkage)) else 1.0
        self.f_ext = np.zeros(3 * fs.n)
        for name, t in dict(traction or {}).items():
            if name not in mesh.boundaries:
                raise InputError(f"traction.{name}", name, "a boundary of the mesh")
            tv = np.asarray(t, dtype=float)
            if tv.shape != (3,) or not np.all(np.isfinite(tv)):
                raise InputError(f"traction.{name}", t, "(tx, ty, tz) [Pa]")
            for a in range(3):
                if tv[a]:
                    self.f_ext[a::3] += forms.facet_load(fs, mesh.boundaries[name], tv[a])
        self.unit_loads: dict[str, NDArray[np.float64]] = {}
        self.grads: dict[tuple[str, ...], NDArray[np.float64]] = {}
        self.T = None
        self.Tq = None
        self.T_el = None
        self.eps0 = None
        self.lam = np.zeros(mesh.n_elements)
        self.mu = np.zeros(mesh.n_elements)
        self.con: _Constraints | None = None
        self.con_count = 0
        self.fixed: Mapping | None = None

    # -- temperatures and eigenstrains ---------------------------------------------------
    def _at_quadrature(self, T: NDArray[np.float64]) -> NDArray[np.float64]:
        if T.min() == T.max():
            return np.full((self.mesh.n_elements, self.nq), float(T[0]))
        return forms.at_quadrature(self.fs, T)

    def _eigenstrain(self, Tq: NDArray[np.float64], cure: Mapping[str, float]) -> NDArray:
        eps0 = np.zeros_like(Tq)
        for r in self.regions:
            e = self.el[r]
            m = self.mats[r]
            eps0[e] = m.thermal_strain(Tq[e], self.ref[r])
            if m.shrinkage and cure[r]:
                eps0[e] -= cure[r] * m.shrinkage / 3.0
        return eps0

    def _visco(self) -> dict[str, tuple[NDArray[np.int64], Viscoelastic]]:
        return {r: (self.el[r], law) for r, law in self.laws.items() if r in self.present}

    def _moduli(
        self, T_el: NDArray[np.float64], dxi: Mapping[str, NDArray[np.float64]]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lam = np.zeros(self.mesh.n_elements)
        mu = np.zeros(self.mesh.n_elements)
        for r in self.present:
            e = self.el[r]
            if r in self.laws:
                lam[e], mu[e] = self.laws[r].lame_at(dxi[r])
            else:
                m = self.mats[r]
                lam[e], mu[e] = lame(m.youngs(T_el[e]), m.nu)
        return lam, mu

    # -- constraints --------------------------------------------------------------------
    def set_fixed(self, fixed: Mapping | None) -> None:
        if fixed is not self.fixed or self.con is None:
            self.fixed = fixed
            self.rebuild()

    def rebuild(self) -> None:
        self.con_count += 1
        self.con = _build_constraints(
            self.mesh, self.fs, self.fixed, self.active, self.u, self.con_count
        )

    # -- steps ----------------------------------------------------------------------------
    def start(self, T: NDArray[np.float64]) -> dict[str, Any]:
        """The state at the first time: an instantaneous (glassy) solve."""
        self.T = T
        self.Tq = self._at_quadrature(T)
        self.T_el = T[self.fs.dofs].mean(axis=1)
        self.eps0 = self._eigenstrain(self.Tq, self.cure)
        return self.step(0.0, T, dict(self.cure))

    def step(self, dt: float, T_new: NDArray[np.float64], cure: Mapping[str, float]) -> dict:
        fs = self.fs
        Tq = self.Tq if T_new is self.T else self._at_quadrature(T_new)
        T_el = T_new[fs.dofs].mean(axis=1)
        eps0 = self._eigenstrain(Tq, cure)
        visco = self._visco()
        dxi = {
            r: law.reduced_time_increment(dt, self.T_el[el], T_el[el])
            for r, (el, law) in visco.items()
        }
        lam, mu = self._moduli(T_el, dxi)
        if self.con is None:
            self.rebuild()
        assert self.con is not None
        plan = self.solver.plan(lam, mu, dxi, visco, self.con, lambda d: self._moduli(T_el, d))
        if plan.dxi is not dxi and any(not np.array_equal(plan.dxi[r], dxi[r]) for r in dxi):
            # snapped: this step's tangent and history use the cached entry's dxi
            dxi = plan.dxi
            lam, mu = self._moduli(T_el, dxi)
        f = self._loads(lam, mu, eps0, visco, dxi)
        u, facts = self.solver.run(plan, f, lam, mu, self.con)
        u = u.reshape(-1, 3)
        for r, (el, law) in visco.items():
            if len(visco) == 1 and list(self.grads) == [(r,)]:
                eps = forms.strain_at_quadrature(fs, u, elements=el, grads=self.grads[(r,)])
            else:
                eps = forms.strain_at_quadrature(fs, u, elements=el)
            eps[..., :3] -= eps0[el][..., None]
            if r in self.offset:
                eps -= self.offset[r]
            d = np.repeat(dxi[r], self.nq)
            self.states[r] = law.update_at(self.states[r], _voigt_eng(eps).reshape(-1, 6), d)
        self.u = u
        self.T, self.Tq, self.T_el, self.eps0 = T_new, Tq, T_el, eps0
        self.lam, self.mu = lam, mu
        self.cure = dict(cure)
        return facts

    def _grads(self, key: tuple[str, ...], elements: NDArray[np.int64]) -> NDArray:
        """Shape-function gradients of ``elements`` (kept: every step uses them)."""
        if key not in self.grads:
            self.grads = {key: self.fs.grads()[:, :, elements]}  # one set at a time
        return self.grads[key]

    def _unit_load(self, r: str) -> NDArray[np.float64]:
        """Load of a unit isotropic stress (1 Pa) over region ``r`` (cached)."""
        if r not in self.unit_loads:
            e = self.el[r]
            S = np.zeros((len(e), self.nq, 6))
            S[..., :3] = 1.0
            self.unit_loads[r] = forms.stress_load(self.fs, S, e)
        return self.unit_loads[r]

    def _loads(self, lam, mu, eps0, visco, dxi) -> NDArray[np.float64]:
        """``f_ext + int B^T (C (eps0 I + eps_b) - sigma_h)`` over the active elements.

        An elastic region without a birth strain whose eigenstrain and moduli are uniform
        (a uniform temperature) loads as a multiple of its unit load; the others are
        integrated element by element."""
        f = self.f_ext.copy()
        general = []
        for r in self.present:
            e = self.el[r]
            if r not in self.laws and r not in self.offset:
                ep, la, m = eps0[e], lam[e], mu[e]
                if ep.min() == ep.max() and la.min() == la.max() and m.min() == m.max():
                    s = (3.0 * la[0] + 2.0 * m[0]) * ep.flat[0]
                    if s:
                        f += s * self._unit_load(r)
                    continue
            general.append(r)
        if not general:
            return f
        idx = np.concatenate([self.el[r] for r in general])
        S = np.zeros((len(idx), self.nq, 6))
        pos = 0
        for r in general:
            e = self.el[r]
            sl = slice(pos, pos + len(e))
            pos += len(e)
            S[sl, :, :3] = ((3.0 * lam[e] + 2.0 * mu[e])[:, None] * eps0[e])[..., None]
            if r in self.offset:
                S[sl] += hooke(lam[e][:, None], mu[e][:, None], self.offset[r])
            if r in visco:
                d = np.repeat(dxi[r], self.nq)
                S[sl] -= self.laws[r].history_at(self.states[r], d).reshape(len(e), self.nq, 6)
        return f + forms.stress_load(self.fs, S, idx, self._grads(tuple(general), idx))

    # -- birth and removal ---------------------------------------------------------------
    def add(self, regions: Sequence[str], backend: str, method: str = "auto") -> None:
        for r in regions:
            if r not in self.mesh.regions:
                raise InputError(
                    "stage.add", r, f"a region of the mesh ({', '.join(self.regions)})"
                )
            if r in self.present:
                raise InputError("stage.add", r, "a region not present at that stage")
        fs = self.fs
        old_nodes = np.zeros(fs.n, dtype=bool)
        old_nodes[fs.dofs[self.active].ravel()] = True
        new = np.zeros(self.mesh.n_elements, dtype=bool)
        for r in regions:
            new[self.el[r]] = True
        new_nodes = np.unique(fs.dofs[new])
        free = new_nodes[~old_nodes[new_nodes]]
        if free.size and old_nodes[new_nodes].any():
            self.u[free] = self._extension(new, free, backend, method)[free]
        elif free.size:
            self.u[free] = 0.0
        for r in regions:
            e = self.el[r]
            eps = forms.strain_at_quadrature(fs, self.u, elements=e)
            eps[..., :3] -= self.eps0[e][..., None]
            self.offset[r] = eps  # stress free at birth
            self.active[e] = True
            self.present.append(r)
            if r in self.laws:
                self.states[r] = self.laws[r].init_state(len(e) * self.nq)
        self.rebuild()

    def _extension(
        self, elements: NDArray[np.bool_], free: NDArray[np.int64], backend: str, method: str
    ):
        """Displacement (n, 3) whose rows ``free`` extend the current displacement of the
        nodes of ``elements`` that are already attached: the best affine fit of the
        attached displacement (so a rigid motion or a uniform strain of the body the region
        is born on continues exactly), plus the elastic extension (unit modulus, nu 0.3,
        on ``elements``, the rest held) of what the fit leaves."""
        from ..solvers import solve

        fs = self.fs
        nodes = np.unique(fs.dofs[elements])
        attached = nodes[~np.isin(nodes, free)]
        x = fs.nodes - fs.nodes[attached].mean(axis=0)
        X = np.column_stack([np.ones(len(attached)), x[attached]])
        coef = np.linalg.lstsq(X, self.u[attached], rcond=None)[0]  # minimum norm
        affine = np.column_stack([np.ones(fs.n), x]) @ coef
        rest = self.u - affine
        out = affine
        if np.abs(rest[attached]).max() <= 1e-12 * max(np.abs(self.u[attached]).max(), 1e-300):
            return out
        lam1, mu1 = lame(np.where(elements, 1.0, 0.0), 0.3)
        K = forms.elasticity_matrix(fs, lam1, mu1)
        u0 = rest.ravel().copy()
        dfree = (3 * free[:, None] + np.arange(3)).ravel()
        is_free = np.zeros(3 * fs.n, dtype=bool)
        is_free[dfree] = True
        D = np.nonzero(~is_free)[0]
        u0[dfree] = 0.0
        b = -(K @ u0)
        # a tiny spring on every free DOF keeps parts with no held node definite
        diag = K.diagonal()
        _add_diagonal(K, np.where(is_free, 1e-12 * max(diag[is_free].mean(), 1e-300), 0.0))
        A = eliminate(K.tocsr(), D)
        b[D] = u0[D]
        x_, _ = solve(A, b, kind="elasticity", backend=backend, method=method)
        return out + np.asarray(x_).reshape(-1, 3)

    def remove(self, regions: Sequence[str]) -> None:
        for r in regions:
            if r not in self.present:
                raise InputError("stage.remove", r, f"a present region ({', '.join(self.present)})")
        for r in regions:
            self.active[self.el[r]] = False
            self.present.remove(r)
            self.offset.pop(r, None)
            self.states.pop(r, None)
        self.rebuild()

    # -- output -----------------------------------------------------------------------------
    def state(self, t: float, facts: Mapping[str, Any]) -> HistoryState:
        fs = self.fs
        stress = np.zeros((self.mesh.n_elements, self.nq, 6))
        for r in self.present:
            e = self.el[r]
            if r in self.laws:
                stress[e] = self.laws[r].stress(self.states[r]).reshape(len(e), self.nq, 6)
                continue
            eps = forms.strain_at_quadrature(fs, self.u, elements=e)
            eps[..., :3] -= self.eps0[e][..., None]
            if r in self.offset:
                eps -= self.offset[r]
            stress[e] = hooke(self.lam[e][:, None], self.mu[e][:, None], eps)
        info = {
            "time_s": float(t),
            "regions": list(self.present),
            "free_body_parts": int(self.con.Q.shape[1] // 6) if self.con is not None else 0,
            **{k: v for k, v in facts.items() if k != "reactions"},
        }
        return HistoryState(
            self.mesh,
            fs,
            self.u.copy(),
            stress,
            info,
            float(facts.get("reactions", 0.0)),
            time=float(t),
            temperature=self.T.copy(),
            materials=self.mats,
            active=self.active.copy(),
        )


def _segments(stage: Stage, n_min: int, dT: float, max_step_K: float | None) -> list:
    """(fraction start, fraction end, sub-steps, output?) of a stage split at its outputs."""
    d = stage.duration_s
    marks = [0.0] + [t / d for t in stage.outputs] + [1.0] if d > 0 else [0.0, 1.0]
    out = []
    for a, b in zip(marks[:-1], marks[1:], strict=True):
        n = max(1, math.ceil((stage.steps or n_min) * (b - a) - 1e-9))
        if max_step_K:
            n = max(n, math.ceil(dT * (b - a) / max_step_K - 1e-9))
        if d == 0:
            n = 1
        out.append((a, b, n))
    return out


def solve_history(
    mesh: Any,
    materials: Mapping[str, Material],
    history: Process | Sequence[tuple[float, Temperature]],
    reference: float | Mapping[str, float] = 25.0,
    fixed: Mapping[str, Mapping[str, float]] | None = None,
    backend: str = "auto",
    *,
    method: str = "auto",
    shrinkage: bool | Sequence[str] = False,
    traction: Mapping[str, Sequence[float]] | None = None,
    substeps: int = 1,
    max_step_K: float | None = 10.0,
    rtol: float = 1e-8,
    snap_tol: float = 1e-3,
    max_factorizations: int = 2,
    max_cg_iterations: int = 20,
    progress: Callable[[str], None] | None = None,
) -> HistoryResult:
    """Solve a mechanical history: temperatures over time, viscoelastic materials, and
    regions born and removed by process stages (see the module).

    Parameters
    ----------
    mesh, materials
        As :func:`fea.solve_thermoelastic`; a material with a ``relaxation`` is
        viscoelastic (its ``E`` the instantaneous modulus).
    history
        A list of ``(time [s], temperature)`` points, the temperature a float [degC],
        nodal values or ``f(x, y, z)`` (linear in time between points; one state per
        point, the first an instantaneous solve), or a :class:`Process` (one state per
        stage end and per ``Stage.outputs`` time).
    reference
        Stress-free temperature [degC] of the regions present from the start: a float, or
        region -> degC with ``"*"`` for the rest. A region born later is stress free at
        its birth whatever its reference.
    fixed
        Boundary -> {component: displacement [m]} held over the history (a stage's own
        ``fixed`` replaces it during that stage); None or empty: free body.
    shrinkage
        Cure shrinkage applied from the start: True (every material that has one) or a
        list of regions; a region in some stage's ``cure`` starts uncured.
    traction
        Boundary -> (tx, ty, tz) [Pa], a constant surface load (e.g. a creep test).
    substeps
        Least number of time steps between two history points (or per stage).
    max_step_K
        Largest temperature change of one step [K] (more steps where needed); None: no
        limit.
    rtol
        Relative residual of the conjugate-gradient steps (steps that reuse an exact or
        snapped factorisation are direct solves).
    snap_tol
        How close a step's viscoelastic tangent must be to a cached one to take that
        one's reduced-time increment (:meth:`~fea.physics.viscoelastic.Viscoelastic.
        step_distance`); 0: never.
    max_factorizations
        How many factorisations (or AMG hierarchies) are kept at once.
    max_cg_iterations
        A step whose stiffness is neither cached nor snapped is solved by CG
        preconditioned by the nearest cached factorisation when the classical bound on
        its iterations (from the ratio of the two stiffnesses' moduli) is at most this;
        otherwise its own stiffness is factorised.

    Returns
    -------
    HistoryResult
        ``.times`` [s], ``.states`` (one :class:`HistoryState` each), ``.labels``.
    """
    t_start = time.perf_counter()
    process = history if isinstance(history, Process) else Process.from_points(history)
    if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 1:
        raise InputError("substeps", substeps, "an integer >= 1")
    if max_step_K is not None and not (isinstance(max_step_K, int | float) and max_step_K > 0):
        raise InputError("max_step_K", max_step_K, "a temperature step > 0 [K] or None")
    if not (isinstance(rtol, int | float) and 0 < rtol <= 1e-2):
        raise InputError("rtol", rtol, "a relative tolerance in (0, 1e-2]")
    if not (isinstance(snap_tol, int | float) and 0 <= snap_tol < 0.1):
        raise InputError("snap_tol", snap_tol, "a tolerance in [0, 0.1)")
    if (
        isinstance(max_factorizations, bool)
        or not isinstance(max_factorizations, int)
        or (max_factorizations < 1)
    ):
        raise InputError("max_factorizations", max_factorizations, "an integer >= 1")
    for s in process.stages:
        for r in (*s.add, *s.remove, *s.cure):
            if r not in mesh.regions:
                raise InputError(
                    f"stage.{s.name}", r, f"a region of the mesh ({', '.join(mesh.regions)})"
                )
    if fixed is not None and not isinstance(fixed, Mapping):
        raise InputError("fixed", type(fixed).__name__, "a dict boundary -> {'z': 0.0}")
    solver = _Solver(
        space(mesh),
        backend=backend,
        method=method,
        rtol=rtol,
        max_factorizations=max_factorizations,
        snap_tol=float(snap_tol),
        max_cg=float(max_cg_iterations),
    )
    h = _History(
        mesh,
        materials,
        reference,
        born=process.born,
        shrinkage=shrinkage,
        cured_later=[r for s in process.stages for r in s.cure],
        traction=traction,
        solver=solver,
    )
    fs = h.fs
    times: list[float] = []
    labels: list[str] = []
    states: list[HistoryState] = []
    try:
        first = process.stages[0]
        T_prev = nodal_temperature(fs, first.temperature)
        t = 0.0
        started = False
        for stage in process.stages:
            T_end = nodal_temperature(fs, stage.temperature)
            h.set_fixed(fixed if stage.fixed is None else stage.fixed)
            if stage.remove:
                if not started:
                    raise InputError(
                        f"stage.{stage.name}.remove",
                        stage.remove,
                        "regions present before (not in the first stage)",
                    )
                h.remove(stage.remove)
            if stage.add:
                if not started:
                    raise InputError(
                        f"stage.{stage.name}.add",
                        stage.add,
                        "regions born after the start (not in the first stage)",
                    )
                h.add(stage.add, backend, method)
            if not started:
                facts = h.start(T_prev)
                started = True
                if stage.duration_s == 0.0 and np.array_equal(T_end, T_prev):
                    times.append(t)
                    labels.append(stage.name)
                    states.append(h.state(t, facts))
                    if progress:
                        progress(stage.name)
                    continue
            cure0 = dict(h.cure)
            dT = float(np.abs(T_end - T_prev).max())
            facts = {}
            for a, b, n in _segments(stage, substeps, dT, max_step_K):
                for k in range(1, n + 1):
                    s = a + (b - a) * k / n
                    s_prev = a + (b - a) * (k - 1) / n
                    T_new = T_prev + s * (T_end - T_prev)
                    cure = dict(cure0)
                    for r in stage.cure:
                        cure[r] = s
                    facts = h.step(stage.duration_s * (s - s_prev), T_new, cure)
                if b < 1.0:
                    tb = t + stage.duration_s * b
                    times.append(tb)
                    labels.append(f"{stage.name}+{stage.duration_s * b:g}s")
                    states.append(h.state(tb, facts))
            t += stage.duration_s
            T_prev = T_end
            times.append(t)
            labels.append(stage.name)
            states.append(h.state(t, facts))
            if progress:
                progress(stage.name)
    finally:
        solver.close()
    info = dict(solver.stats)
    info["total_s"] = time.perf_counter() - t_start
    info["backend"] = backend
    for s in states:
        s.solver_info["history"] = {k: info[k] for k in ("steps", "factorizations")}
    return HistoryResult(np.asarray(times, dtype=float), states, labels, info)
