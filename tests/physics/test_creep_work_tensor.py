"""The creep laws' dissipated energy, ``W += sigma_n+1 : d_eps_in``, checked against
evaluations that use only the law's stresses and the imposed strains (not its stored
inelastic strain or its Voigt factors): the inelastic strain increment of a step is the
strain increment less the elastic compliance times the stress increment, contracted with
the end stress as full 3 x 3 tensors (engineering shears halved into tensor components),
in pure shear, in uniaxial stress (a 1-D evaluation, the lateral strains found so that the
lateral stresses vanish) and along a non-proportional tension-shear path. A shear term
counted twice or half would be off by up to a factor 2 in pure shear."""

from __future__ import annotations

import numpy as np
import pytest

from fea.physics.inelastic import anand_set, garofalo_set

E, NU = 45e9, 0.35
G = E / (2.0 * (1.0 + NU))
T_C = 25.0


def _law(make):
    name = "SAC305_Motalab2012" if make is anand_set else "SAC387_Schubert2003"
    return make(name, E=E, nu=NU)


def _tensor(v, shear):
    """Voigt (6,) -> symmetric 3 x 3; ``shear`` multiplies the last three components
    (1 for stresses, 1/2 for engineering strains). Any assignment of the three shear
    components to the off-diagonal pairs gives the same contraction and compliance."""
    a = np.diag(v[:3]).astype(float)
    for k, (i, j) in zip(range(3, 6), ((1, 2), (0, 2), (0, 1)), strict=True):
        a[i, j] = a[j, i] = shear * v[k]
    return a


def _elastic_strain(sig):
    """Isotropic compliance, tensor form: ((1 + nu) sigma - nu tr(sigma) I) / E."""
    return ((1.0 + NU) * sig - NU * np.trace(sig) * np.eye(3)) / E


def _tensor_work(de_voigt, s0_voigt, s1_voigt):
    """sigma_n+1 : (d_eps - S : d_sigma), all in 3 x 3 tensor components."""
    s0, s1 = _tensor(s0_voigt, 1.0), _tensor(s1_voigt, 1.0)
    d_in = _tensor(de_voigt, 0.5) - (_elastic_strain(s1) - _elastic_strain(s0))
    return float((s1 * d_in).sum())


def _run(law, increments, dts):
    """Step one point through the engineering-Voigt strain increments; returns the
    law's energy increments and the tensor evaluation's."""
    state = law.init_state(1)
    stress = np.zeros(6)
    ours, theirs = [], []
    for de, dt in zip(increments, dts, strict=True):
        up = law.update(de[None, :], T_C, dt, state)
        ours.append(float(up.state.energy[0] - state.energy[0]))
        theirs.append(_tensor_work(de, stress, up.stress[0]))
        state, stress = up.state, up.stress[0].copy()
    return np.array(ours), np.array(theirs)


@pytest.mark.parametrize("make", [anand_set, garofalo_set])
def test_pure_shear_work_is_tau_times_engineering_inelastic_shear(make):
    """Engineering shear gamma_xy out and back (1 %, -1 %, +0.5 % in 100 s pieces): each
    step's energy is tau_n+1 (d_gamma - d_tau / G), the tensor contraction's
    2 sigma_xy d_eps_in_xy, to rounding."""
    law = _law(make)
    path = np.concatenate([np.linspace(0, 1e-2, 6), np.linspace(1e-2, -1e-2, 11)[1:],
                           np.linspace(-1e-2, 5e-3, 8)[1:]])
    de = np.zeros((path.size - 1, 6))
    de[:, 5] = np.diff(path)
    ours, theirs = _run(law, de, [100.0] * len(de))
    scale = np.abs(ours).max()
    assert scale > 1e4  # the joint flows: J/m^3 per step
    assert np.abs(ours - theirs).max() <= 1e-9 * scale
    assert ours.min() >= 0.0  # the end point's work: never negative
    # the same in the scalar form, from the stresses alone
    state, tau0 = law.init_state(1), 0.0
    for d in de:
        up = law.update(d[None, :], T_C, 100.0, state)
        tau1 = float(up.stress[0, 5])
        dW = float(up.state.energy[0] - state.energy[0])
        assert dW == pytest.approx(tau1 * (d[5] - (tau1 - tau0) / G), rel=1e-9, abs=1e-9 * scale)
        state, tau0 = up.state, tau1


def _uniaxial_step(law, state, d11, dt):
    """A step of axial strain d11 under uniaxial stress: the lateral strains found by
    Newton on the law's tangent until the other stresses vanish (to 1e-6 Pa)."""
    de = np.zeros(6)
    de[0] = d11
    de[1] = de[2] = -NU * d11
    free = [1, 2, 3, 4, 5]
    for _ in range(50):
        up = law.update(de[None, :], T_C, dt, state)
        r = up.stress[0, free]
        if np.abs(r).max() <= 1e-6:
            return de, up
        C = up.tangent[0][np.ix_(free, free)]
        de[free] -= np.linalg.solve(C, r)
    raise AssertionError("the lateral stresses did not vanish")


@pytest.mark.parametrize("make", [anand_set, garofalo_set])
def test_uniaxial_work_is_the_one_dimensional_sigma_d_eps_in(make):
    """Uniaxial stress, axial strain to 1 % and back to -0.5 % in 50 s pieces: each
    step's energy is the 1-D sigma_n+1 (d_eps - d_sigma / E) of the axial values alone,
    and the tensor contraction of the whole step's strains."""
    law = _law(make)
    path = np.concatenate([np.linspace(0, 1e-2, 6), np.linspace(1e-2, -5e-3, 9)[1:]])
    state, s0 = law.init_state(1), np.zeros(6)
    ours, one_d, tens = [], [], []
    for d11 in np.diff(path):
        de, up = _uniaxial_step(law, state, d11, 50.0)
        s1 = up.stress[0]
        ours.append(float(up.state.energy[0] - state.energy[0]))
        one_d.append(float(s1[0] * (d11 - (s1[0] - s0[0]) / E)))
        tens.append(_tensor_work(de, s0, s1))
        state, s0 = up.state, s1.copy()
    ours, one_d, tens = map(np.array, (ours, one_d, tens))
    scale = np.abs(ours).max()
    assert scale > 1e4
    assert np.abs(ours - tens).max() <= 1e-9 * scale
    # the lateral stresses are zero to 1e-6 Pa of about 1e7: the 1-D form to 1e-6
    assert np.abs(ours - one_d).max() <= 1e-6 * scale


@pytest.mark.parametrize("make", [anand_set, garofalo_set])
def test_non_proportional_tension_shear_work_matches_the_tensor_contraction(make):
    """Tension, then shear at held tension, then both reversed, every component of the
    strain in play (three shears of different size): the energy of each step is the
    tensor contraction sigma_n+1 : d_eps_in to rounding."""
    law = _law(make)
    rng = np.random.default_rng(3)
    de = np.zeros((24, 6))
    de[:6, 0] = 2e-3
    de[6:12, 3:] = [1.5e-3, -1e-3, 2.5e-3]
    de[12:18, 0] = -3e-3
    de[18:, 3:] = [-3e-3, 2e-3, -4e-3]
    de[:, 1:3] += 2e-4 * rng.standard_normal((24, 2))
    ours, theirs = _run(law, de, [20.0] * len(de))
    scale = np.abs(ours).max()
    assert scale > 1e4
    assert np.abs(ours - theirs).max() <= 1e-9 * scale
