"""Transient stepping: fixed steps with one factorization, adaptive steps, initial fields."""

from __future__ import annotations

import numpy as np
import pytest

from fea.errors import InputError, SolverError
from fea.physics.materials import Material
from fea.physics.thermal import Transient, solve_thermal, solve_thermal_variants

from ..verification.helpers import layered_box, plane

L, K, RHO, CP, T0 = 1e-3, 1.0, 1000.0, 1000.0, 100.0
A = K / (RHO * CP)
LAM = (np.pi / L) ** 2 * A  # decay rate of the first sine mode
MAT = {"s": Material("s", E=1e9, nu=0.3, alpha=1e-6, k=K, rho=RHO, cp=CP)}


@pytest.fixture(scope="module")
def slab():
    return layered_box(
        (0.2e-3, 0.2e-3),
        [("s", L, 1)],
        0.05e-3,
        order=2,
        faces={"z0": plane(2, 0.0), "z1": plane(2, L)},
    )


def _sine(x, y, z):
    return T0 * np.sin(np.pi * z / L)


def _max_error(th) -> float:
    """Largest nodal error over every stored time against T0 sin(pi z/L) exp(-lambda t)."""
    exact = _sine(0, 0, th.nodes[:, 2])
    return max(
        float(np.abs(h - exact * np.exp(-LAM * t)).max())
        for t, h in zip(th.times, th.history, strict=True)
    )


def _run(slab, **kw):
    t_end = 2.0 / LAM  # the mode decays to e^-2
    tr = Transient(t_end, kw.pop("dt_s", t_end / 1000), initial_C=_sine, **kw)
    return solve_thermal(slab, MAT, fixed={"z0": 0.0, "z1": 0.0}, transient=tr, backend="cpu")


def test_adaptive_backward_euler_beats_uniform_steps(slab):
    ad = _run(slab, theta=1.0, adaptive=True, tol_K=0.02)
    n = ad.solver_info["steps"]
    lo, hi = ad.solver_info["dt_range"]
    assert hi > 8 * lo  # small steps while the field changes fast, large ones later
    assert ad.solver_info["max_local_error"] <= 0.02
    uniform = _run(slab, theta=1.0, dt_s=ad.times[-1] / n)
    assert uniform.solver_info["steps"] == n
    e_ad, e_un = _max_error(ad), _max_error(uniform)
    assert e_ad < 0.6 * e_un, (e_ad, e_un)
    assert e_ad < 0.01 * T0
    assert ad.times[-1] == pytest.approx(2.0 / LAM)
    assert np.all(np.diff(ad.times) > 0) and ad.history.shape == (n + 1, ad.temperature.size)


def test_adaptive_crank_nicolson(slab):
    ad = _run(slab, theta=0.5, adaptive=True, tol_K=0.02)
    assert ad.solver_info["steps"] < 60
    assert _max_error(ad) < 0.002 * T0


def test_fixed_steps_converge_at_first_order(slab):
    e = [_max_error(_run(slab, theta=1.0, dt_s=(2.0 / LAM) / n)) for n in (25, 50, 100)]
    rates = np.log2(np.array(e[:-1]) / np.array(e[1:]))
    assert np.all(np.abs(rates - 1.0) < 0.15), rates


def test_initial_field_forms(slab):
    th = _run(slab, theta=1.0, dt_s=(2.0 / LAM) / 10)
    # restart from the final field of a first run: same as one longer run
    t1 = 1.0 / LAM
    first = solve_thermal(
        slab,
        MAT,
        fixed={"z0": 0.0, "z1": 0.0},
        backend="cpu",
        transient=Transient(t1, t1 / 5, initial_C=_sine),
    )
    second = solve_thermal(
        slab,
        MAT,
        fixed={"z0": 0.0, "z1": 0.0},
        backend="cpu",
        transient=Transient(t1, t1 / 5, initial_C=first.temperature),
    )
    assert np.allclose(second.temperature, th.temperature, rtol=0, atol=1e-9 * T0)
    with pytest.raises(InputError, match="transient.initial"):
        solve_thermal(
            slab,
            MAT,
            fixed={"z0": 0.0},
            backend="cpu",
            transient=Transient(1.0, 0.5, initial_C=np.zeros(7)),
        )


def test_incompatible_initial_jump_is_reported(slab):
    """100 degC inside, 0 degC faces at t = 0: the error at the faces never meets a tight tol."""
    t_end = 2.0 / LAM
    tr = Transient(
        t_end, t_end / 100, initial_C=T0, adaptive=True, tol_K=1e-4, dt_min_s=t_end / 400
    )
    with pytest.raises(SolverError, match="smallest step"):
        solve_thermal(slab, MAT, fixed={"z0": 0.0, "z1": 0.0}, transient=tr, backend="cpu")


def test_transient_arguments_are_checked():
    for kw, key in (
        (dict(t_end_s=1.0, dt_s=2.0), "transient"),
        (dict(t_end_s=1.0, dt_s=0.1, theta=0.2), "transient.theta"),
        (dict(t_end_s=1.0, dt_s=0.1, tol_K=0.0), "transient.tol_K"),
        (dict(t_end_s=1.0, dt_s=0.1, dt_min_s=0.5, dt_max_s=0.1), "transient.dt_min_s"),
        # kept fields are chosen among output times: none given with every step reported
        (dict(t_end_s=1.0, dt_s=0.05, fields=5), "transient.fields"),
        (dict(t_end_s=float("nan"), dt_s=0.05), "transient.t_end_s"),
        (dict(t_end_s=1.0, dt_s=0.1, rtol=0.5), "transient.rtol"),
    ):
        with pytest.raises(InputError, match=key):
            Transient(**kw)


def test_the_names_before_the_unit_suffixes_still_work_with_a_warning():
    """``Transient(t_end=, dt=, initial=, tol=, dt_min=, dt_max=)`` and the old attribute
    names: the same object as with the new names, and a DeprecationWarning each."""
    new = Transient(t_end_s=2.0, dt_s=0.5, initial_C=30.0, tol_K=0.1, dt_min_s=0.01, dt_max_s=1.0)
    with pytest.warns(DeprecationWarning, match="'t_end' is deprecated, use 't_end_s'"):
        old = Transient(t_end=2.0, dt=0.5, initial=30.0, tol=0.1, dt_min=0.01, dt_max=1.0)
    assert old == new
    with pytest.warns(DeprecationWarning, match="Transient.dt is deprecated"):
        assert old.dt == 0.5
    with pytest.raises(InputError, match="only one of"):
        Transient(t_end=2.0, t_end_s=2.0, dt_s=0.5)


def test_heat_leaving_through_fixed_faces_is_positive(slab):
    """Uniform source q in a slab held at 0 on both faces: each face takes q L A / 2 out."""
    q = 1e9  # W/m^3
    th = solve_thermal(
        slab, MAT, sources={"s": q * slab_volume(slab)}, fixed={"z0": 0.0, "z1": 0.0}, backend="cpu"
    )
    half = q * slab_volume(slab) / 2
    assert th.heat_out["fixed:z0"] == pytest.approx(half, rel=1e-9)
    assert th.heat_out["fixed:z1"] == pytest.approx(half, rel=1e-9)
    assert th.heat_balance() < 1e-9
    # the closed form q z (L - z) / (2 k) at the mid-plane
    assert th.probe([[0.1e-3, 0.1e-3, L / 2]])[0] == pytest.approx(q * L * L / (8 * K), rel=1e-6)


def slab_volume(mesh) -> float:
    return float(mesh.element_volumes().sum())


# -- outputs, observers, power profiles, the reduced scheme, held conductivity ----------


def _top_mean(mesh):
    from fea.fe import forms
    from fea.fe.spaces import space

    w = forms.facet_load(space(mesh), mesh.boundaries["z1"], 1.0)
    w = w / w.sum()
    return lambda T: w @ T


def test_pulse_by_steps_and_by_the_reduced_model_agree(slab):
    """A 2 ms power pulse into z1, z0 held: the heated face's temperature by adaptive
    Crank-Nicolson (steps ending on the pulse's edges) and by the reduced model."""
    area = 0.2e-3 * 0.2e-3
    t_end = 2.0 / LAM
    times = np.geomspace(t_end * 1e-3, t_end, 40)
    pulse = [(0.0, 1.0), (0.02 * t_end, 1.0), (0.02 * t_end, 0.0)]
    kw = dict(initial_C=0.0, outputs=times, fields=3, power=pulse)
    out = {}
    for scheme, extra in (
        ("steps", dict(theta=0.5, adaptive=True, tol=10.0)),  # K, of a 4000-K peak
        ("reduced", dict(scheme="reduced")),
    ):
        th = solve_thermal(
            slab,
            MAT,
            flux={"z1": 1.0 / area},
            fixed={"z0": 0.0},
            transient=Transient(t_end, t_end * 1e-4, **kw, **extra),
            backend="cpu",
            watch={"top": _top_mean(slab), "both": lambda T: np.array([T.max(), T.min()])},
        )
        assert th.series.times.shape == (41,) and th.series["both"].shape == (41, 2)
        assert th.times.size == 4 and th.history.shape == (4, th.temperature.size)
        out[scheme] = th.series["top"]
    peak = out["reduced"].max()
    assert np.abs(out["steps"] - out["reduced"]).max() < 0.01 * peak
    assert out["reduced"][-1] < 0.1 * peak  # cooled down after the pulse


def test_reduced_scheme_needs_a_linear_problem(slab):
    tr = Transient(20.0, 1e-3, scheme="reduced")  # 50 time constants: steady
    k_T = {"s": MAT["s"].with_(k=fea_table())}
    with pytest.raises(InputError, match="k_at"):
        solve_thermal(slab, k_T, sources={"s": 1.0}, fixed={"z0": 0.0}, transient=tr)
    with pytest.raises(InputError, match="constant fixed"):
        solve_thermal(slab, MAT, fixed={"z0": lambda t: t}, transient=tr, backend="cpu")
    with pytest.raises(InputError, match="sink"):
        solve_thermal(slab, MAT, sources={"s": 1.0}, transient=tr, backend="cpu")
    # held at a temperature, k(T) is fine: and the steady state is the one at that k
    th = solve_thermal(
        slab, k_T, sources={"s": 1.0}, fixed={"z0": 0.0}, transient=tr, k_at=25.0, backend="cpu"
    )
    st = solve_thermal(slab, k_T, sources={"s": 1.0}, fixed={"z0": 0.0}, k_at=25.0, backend="cpu")
    assert th.temperature.max() == pytest.approx(st.temperature.max(), rel=1e-6)
    with pytest.raises(InputError, match="k_at"):
        solve_thermal(slab, k_T, fixed={"z0": 0.0}, k_at=np.zeros(3), backend="cpu")


def test_held_conductivity_reproduces_the_picard_solution(slab):
    """Steady k(T): holding k at the converged field gives that field back (one solve)."""
    k_T = {"s": MAT["s"].with_(k=fea_table())}
    kw = dict(sources={"s": 2.0}, fixed={"z0": 25.0}, backend="cpu")
    picard = solve_thermal(slab, k_T, **kw)
    assert picard.solver_info["picard_iterations"] > 2
    held = solve_thermal(slab, k_T, k_at=picard.temperature, **kw)
    assert held.solver_info["picard_iterations"] == 1
    assert np.abs(held.temperature - picard.temperature).max() < 1e-5


@pytest.mark.parametrize("method", ["amg-xp", "amg"])
def test_picard_passes_keep_one_amg_hierarchy(slab, method):
    """Steady k(T) by AMG: one hierarchy built for the first pass and reused (or rebuilt
    when its iterations grow) for the others, warm started; the same field as the direct
    solver's."""
    k_T = {"s": MAT["s"].with_(k=fea_table())}
    kw = dict(sources={"s": 2.0}, fixed={"z0": 25.0}, backend="cpu", rtol=1e-12)
    ref = solve_thermal(slab, k_T, method="direct", **kw)
    amg = solve_thermal(slab, k_T, method=method, **kw)
    setups = amg.solver_info["picard_setups"]
    n = amg.solver_info["picard_iterations"]
    assert n > 2 and sum(setups.values()) == n and setups["built"] == 1
    assert setups.get("reused", 0) + setups.get("rebuilt", 0) == n - 1
    assert np.abs(amg.temperature - ref.temperature).max() < 1e-7 * ref.temperature.max()
    assert ref.solver_info["picard_setups"]["built"] == 1


def test_flux_per_facet(slab):
    """A flux given facet by facet: its integral is the power; a wrong length is named."""
    facets = slab.boundaries["z1"]
    g = np.linspace(0.0, 2e6, len(facets))
    th = solve_thermal(slab, MAT, flux={"z1": g}, fixed={"z0": 0.0}, backend="cpu")
    p = slab.p1.p.T
    f = slab.p1.facets[:, facets].T
    area = 0.5 * np.linalg.norm(np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]]), axis=1)
    assert th.power == pytest.approx(float(g @ area), rel=1e-12)
    assert th.heat_balance() < 1e-9
    with pytest.raises(InputError, match="flux.z1"):
        solve_thermal(slab, MAT, flux={"z1": g[:-1]}, fixed={"z0": 0.0}, backend="cpu")
    with pytest.raises(InputError, match="watch.x"):
        solve_thermal(
            slab,
            MAT,
            flux={"z1": 1.0},
            fixed={"z0": 0.0},
            backend="cpu",
            transient=Transient(1.0, 0.5),
            watch={"x": 3.0},
        )


def fea_table():
    from fea.physics.materials import Table

    return Table((0.0, 100.0, 1000.0), (1.0, 0.5, 0.2))


def test_variants_share_a_reduced_basis(slab):
    """Two contacts on z0 (the dual-interface set-up): each variant's response equals its
    own solve to the reduced model's tolerance, and before the heat reaches z0 the two
    responses agree far more closely than that."""
    area = 0.2e-3 * 0.2e-3
    t_end = 5.0 / LAM
    times = np.geomspace(t_end * 1e-5, t_end, 60)
    tr = Transient(t_end, times[0], initial=0.0, outputs=times, fields=0, scheme="reduced")
    variants = [{"convection": {"z0": (h, 0.0)}} for h in (1e3, 1e4)]
    kw = dict(flux={"z1": 1.0 / area}, transient=tr, backend="cpu", watch={"top": _top_mean(slab)})
    shared = solve_thermal_variants(slab, MAT, variants, **kw)
    alone = [solve_thermal(slab, MAT, **v, **kw) for v in variants]
    for a, b in zip(shared, alone, strict=True):
        np.testing.assert_allclose(a.series["top"], b.series["top"], rtol=1e-3, atol=1e-9)
    early = times < 1e-3 * t_end  # the diffusion length is a few per cent of the slab
    za, zb = (r.series["top"][1:][early] for r in shared)
    assert np.abs(za / zb - 1).max() < 1e-6
    with pytest.raises(InputError, match="variants"):
        solve_thermal_variants(slab, MAT, [{"h": 1.0}], **kw)


def test_face_flux_early_rise_matches_the_semi_infinite_solid(slab):
    """A uniform flux q on the face z = 0 of the 1-mm slab (far face held): before the heat
    reaches the far face the face temperature rises as 2 q sqrt(t / (pi k rho c))
    (Carslaw & Jaeger, section 2.9). Reduced scheme (exact in time): the difference is
    the mesh's, measured 1.5e-5 at 10 ms (h = 50 um, P2; 4.8e-7 at h = 25 um) and below
    4e-6 later (the far face's image term, ~1e-6 at 0.1 s, included)."""
    q = 1e5
    times = np.array([0.01, 0.03, 0.1])
    face = np.flatnonzero(np.abs(slab.nodes[:, 2]) < 1e-12)
    tr = Transient(0.1, 1e-3, initial_C=0.0, outputs=times, scheme="reduced", fields=0)
    th = solve_thermal(
        slab,
        MAT,
        flux={"z0": q},
        fixed={"z1": 0.0},
        transient=tr,
        backend="cpu",
        watch={"face": lambda T: T[face].mean()},
    )
    exact = 2 * q * np.sqrt(times / (np.pi * K * RHO * CP))
    np.testing.assert_allclose(th.series["face"][1:], exact, rtol=5e-5)


@pytest.mark.parametrize("order", [1, 2])
def test_lumped_capacity_keeps_the_total_and_is_positive(order):
    """HRZ lumping of the capacity: diagonal, the same total (rho c V), every entry
    positive (row sums of P2 are negative at the vertices); on P1 it equals the row sums
    (a tetrahedron's V/4 at each vertex, by hand from V/20 (1 + delta_ij))."""
    import scipy.sparse as sp

    from fea.fe import forms
    from fea.fe.spaces import space
    from fea.physics.thermal import lumped_diagonal

    from ..verification.helpers import layered_box

    box = layered_box((1e-3, 2e-3), [("a", 0.5e-3, 2)], 0.5e-3, order=order)
    fs = space(box)
    c = np.full(box.n_elements, 2.0e6)  # rho c [J/(m^3 K)]
    M = forms.mass_matrix(fs, c)
    L = lumped_diagonal(M)
    d = L.diagonal()
    assert sp.issparse(L) and L.nnz == fs.n
    assert d.sum() == pytest.approx(2.0e6 * 1e-3 * 2e-3 * 0.5e-3, rel=1e-12)
    assert d.min() > 0.0
    if order == 1:
        np.testing.assert_allclose(d, np.asarray(M.sum(axis=1)).ravel(), rtol=1e-12)
    else:
        assert np.asarray(M.sum(axis=1)).min() < 0.0  # why not the row sums


def test_the_time_steps_run_with_openblas_on_one_thread(
    slab, openblas_threads, two_openblas_threads
):
    """Theta-method steps: each step's solve and vector work with OpenBLAS on one thread
    (seen by a watched value, evaluated inside the loop), its threads back afterwards."""
    seen = []

    def probe(T):
        seen.append(openblas_threads())
        return 0.0

    t_end = 2.0 / LAM
    tr = Transient(t_end, t_end / 20, initial_C=_sine, theta=1.0)
    fixed = {"z0": 0.0, "z1": 0.0}
    th = solve_thermal(slab, MAT, fixed=fixed, transient=tr, backend="cpu", watch={"b": probe})
    assert th.solver_info["steps"] == 20 and len(seen) == 21
    assert seen == [[1] * two_openblas_threads] * 21


def test_the_reduced_basis_is_built_with_openblas_on_one_thread(
    slab, monkeypatch, openblas_threads, two_openblas_threads
):
    """Reduced model: the rational Krylov basis (Pardiso solves alternating with its
    orthogonalisation) built with OpenBLAS on one thread, its threads back afterwards."""
    import fea.physics.thermal as thermal

    seen = []
    reduce = thermal.reduce_systems

    def spy(*a, **kw):
        seen.append(openblas_threads())
        return reduce(*a, **kw)

    monkeypatch.setattr(thermal, "reduce_systems", spy)
    t_end = 2.0 / LAM
    times = np.geomspace(t_end * 1e-3, t_end, 20)
    tr = Transient(t_end, times[0], initial_C=0.0, outputs=times, fields=0, scheme="reduced")
    area = 0.2e-3 * 0.2e-3
    solve_thermal(
        slab, MAT, flux={"z1": 1.0 / area}, fixed={"z0": 0.0}, transient=tr, backend="cpu"
    )
    assert seen == [[1] * two_openblas_threads]
