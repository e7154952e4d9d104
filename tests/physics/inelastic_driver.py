"""A material-point driver for the inelastic laws: mixed strain/stress control.

Each step prescribes the total mechanical strain on the ``controlled`` Voigt components
(engineering shears) and a stress (default zero) on the others; the free strain
components are found by Newton's method with the law's tangent (so a wrong tangent shows
as slow or failed convergence here too).
"""

from __future__ import annotations

import numpy as np


def drive(law, strains, controlled, T, dt, stress_targets=None, state=None, tol=1e-9):
    """Run ``len(strains)`` steps at one point.

    Parameters
    ----------
    strains
        Total mechanical strain at the end of each step, shape (steps, 6); only the
        ``controlled`` components are used.
    controlled
        Bool mask (6,) of strain-controlled components.
    T, dt
        Temperature [degC] and step length [s] (scalars or per step).
    stress_targets
        Stress at the end of each step on the free components, (steps, 6); default 0.

    Returns
    -------
    stress (steps, 6), strain (steps, 6), states (list), newton iterations (steps,)
    """
    strains = np.asarray(strains, dtype=float)
    steps = strains.shape[0]
    ctl = np.asarray(controlled, dtype=bool)
    free = ~ctl
    T = np.broadcast_to(np.asarray(T, dtype=float), (steps,))
    dts = np.broadcast_to(np.asarray(dt, dtype=float), (steps,))
    tgt = np.zeros((steps, 6)) if stress_targets is None else np.asarray(stress_targets, float)
    st = law.init_state(1) if state is None else state
    eps = np.zeros(6)
    out_s, out_e, states, iters = [], [], [], []
    last = np.zeros(6)
    for k in range(steps):
        de = np.zeros(6)
        de[ctl] = strains[k, ctl] - eps[ctl]
        de[free] = last[free]
        it = 0
        while True:
            sig, C, new = law.update(de[None], T[k], dts[k], st)
            r = sig[0, free] - tgt[k, free]
            scale = 1.0 + np.abs(sig[0]).max()
            if not free.any() or np.abs(r).max() <= tol * scale:
                break
            if it == 60:
                raise RuntimeError(f"driver: no convergence at step {k}")
            J = C[0][np.ix_(free, free)]
            de[free] -= np.linalg.solve(J, r)
            it += 1
        iters.append(it)
        eps = eps + de
        last = de
        st = new
        out_s.append(sig[0])
        out_e.append(eps.copy())
        states.append(new)
    return np.array(out_s), np.array(out_e), states, np.array(iters)


UNIAXIAL = np.array([True, False, False, False, False, False])
SHEAR_XZ = np.array([True, True, True, True, True, True])  # all strains given (simple shear)
