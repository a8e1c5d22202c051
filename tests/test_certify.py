"""Certified counterexamples (SPEC §6): ``invalid`` only where interval arithmetic says so.

Ground truth here never comes from derivcheck: values are recomputed with mpmath
at 60+ digits at the stated point, or the identity is proved in a comment.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy
from conftest import check, statuses
from hypothesis import given, settings
from hypothesis import strategies as st

from derivcheck import engine as engine_mod
from derivcheck.api import context_for
from derivcheck.certify import (
    AGREE,
    DIFFER,
    UNCERTAIN,
    UNDEFINED,
    IntervalProgram,
    Uncertain,
    Undefined,
    compare_at,
    decide,
)
from derivcheck.engine import Engine
from derivcheck.loader import load_text
from derivcheck.numeric import Compiled, prepare

DATA = Path(__file__).parent / "data" / "soundness" / "numeric"
SEEDS = (0, 1, 2, 3)
x, y, z = sympy.symbols("x y z", real=True)


def program(expr: sympy.Expr, *leaves: sympy.Symbol) -> IntervalProgram:
    return IntervalProgram(prepare(expr), leaves or (x,))


def ends(iv_value: object) -> tuple[mpmath.mpf, mpmath.mpf]:
    lo, hi = iv_value._mpi_  # type: ignore[attr-defined]
    return mpmath.mp.make_mpf(lo), mpmath.mp.make_mpf(hi)


def verify_file(name: str, seed: int):  # type: ignore[no-untyped-def]
    return check((DATA / name).read_text(), name, seed=seed)


# -- the interval always holds the true value (property, against mpmath at 60 digits) ----------

# (SymPy expression, the same function written for mpmath)
FUNCTIONS = [
    (sympy.exp(x) / (1 + x**2), lambda v: mpmath.exp(v) / (1 + v**2)),
    (sympy.log(1 + sympy.exp(x)) - x, lambda v: mpmath.log(1 + mpmath.exp(v)) - v),
    (sympy.sin(x) ** 2 + sympy.cos(3 * x), lambda v: mpmath.sin(v) ** 2 + mpmath.cos(3 * v)),
    (sympy.atan(x) + sympy.tanh(x) - sympy.asinh(x), lambda v: mpmath.atan(v) + mpmath.tanh(v) - mpmath.asinh(v)),
    (sympy.cosh(x) - sympy.sinh(x), lambda v: mpmath.cosh(v) - mpmath.sinh(v)),
    (sympy.Abs(x - sympy.Rational(1, 3)) * sympy.erf(x), lambda v: abs(v - mpmath.mpf(1) / 3) * mpmath.erf(v)),
    (sympy.Max(x, sympy.Rational(15, 2)) - sympy.Min(x**2, 3), lambda v: max(v, mpmath.mpf(7.5)) - min(v**2, 3)),
    (sympy.sqrt(x**2 + 1) * sympy.floor(x), lambda v: mpmath.sqrt(v**2 + 1) * mpmath.floor(v)),
]


@settings(max_examples=40, deadline=None)
@given(
    index=st.integers(0, len(FUNCTIONS) - 1),
    num=st.integers(-(10**6), 10**6),
    den=st.integers(1, 10**4),
    dps=st.sampled_from([30, 80]),
)
def test_interval_contains_the_60_digit_value(index: int, num: int, den: int, dps: int) -> None:
    expr, reference = FUNCTIONS[index]
    point = sympy.Rational(num, den) / 1000
    value = program(expr).evaluate([point], dps)
    lo, hi = ends(value)
    with mpmath.workdps(max(60, dps + 40)):  # the reference is far more precise than the interval
        truth = reference(mpmath.mpf(int(point.p)) / int(point.q))
        assert lo <= truth <= hi
        # and the interval is narrow: it decides at this precision (the width may grow with
        # the cancellation and the argument's size, both bounded by |point| here)
        p = abs(mpmath.mpf(int(point.p)) / int(point.q))
        # cosh(x) - sinh(x) = exp(-x) cancels two terms of size cosh(x): the width follows them
        # (Hypothesis found x = 24.95 at 80 digits: 21 digits cancel)
        terms = mpmath.cosh(p) if index == 4 else 1
        assert hi - lo <= mpmath.mpf(10) ** (-dps + 10) * max(1, abs(truth), terms) * max(1, p)


# -- certified differences, and what is not one ------------------------------------------------


def test_powers_of_two_differ_and_the_intervals_hold_the_exact_values() -> None:
    a, b = sympy.Rational(1, 2**99), sympy.Rational(1, 2**98)
    out = compare_at(IntervalProgram(a, ()), IntervalProgram(b, ()), [])
    assert out.status == DIFFER
    with mpmath.workdps(60):
        for interval, exact in ((out.left, mpmath.mpf(2) ** -99), (out.right, mpmath.mpf(2) ** -98)):
            lo, hi = ends(interval)
            assert lo <= exact <= hi


def test_deep_cancellation_agrees_at_every_precision() -> None:
    # log(1 + e^z) - z = log(e^-z (1 + e^z)) = log(1 + e^-z): equal for every real z.
    # At z = 600 the left side cancels ~260 digits; no precision may call it a difference.
    left = program(sympy.log(1 + sympy.exp(z)) - z, z)
    right = program(sympy.log(1 + sympy.exp(-z)), z)
    for point in (600, -600, 750, sympy.Rational(1, 10**20)):
        assert compare_at(left, right, [sympy.Integer(point) if isinstance(point, int) else point]).status == AGREE


def test_zero_over_zero_is_undefined_never_a_counterexample() -> None:
    # (x^2 - 1)/(x - 1) is 0/0 at x = 1: not defined there, whatever x + 1 is.
    left = program((x**2 - 1) / (x - 1) + 0 * x)
    left = IntervalProgram(sympy.Mul(x**2 - 1, sympy.Pow(x - 1, -1, evaluate=False), evaluate=False), (x,))
    right = program(x + 1)
    assert compare_at(left, right, [sympy.Integer(1)]).status == UNDEFINED
    with pytest.raises(Undefined):
        left.evaluate([sympy.Integer(1)], 30)
    # a denominator that is exactly 0 only in exact arithmetic (3*(1/3) - 1) is caught too
    third = IntervalProgram(sympy.Pow(3 * x - 1, -1, evaluate=False), (x,))
    with pytest.raises(Undefined):
        third.evaluate([sympy.Rational(1, 3)], 30)


def test_log_of_a_negative_number_and_fractional_power_are_undefined() -> None:
    with pytest.raises(Undefined):
        program(sympy.log(x - 2)).evaluate([sympy.Integer(1)], 30)
    with pytest.raises(Undefined):
        IntervalProgram(sympy.Pow(x, sympy.Rational(1, 3)), (x,)).evaluate([sympy.Integer(-8)], 30)


def test_an_undecidable_condition_is_uncertain() -> None:
    # sin(x)^2 + cos(x)^2 - 1 is exactly 0 (Pythagoras), but no finite precision shows it
    # and SymPy does not reduce it to a rational at x = 1: the branch cannot be chosen.
    cond = sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1 > 0
    pw = IntervalProgram(sympy.Piecewise((1, cond), (2, True)), (x,))
    with pytest.raises(Uncertain):
        pw.evaluate([sympy.Integer(1)], 30)
    assert compare_at(pw, program(sympy.Integer(2) + 0 * x), [sympy.Integer(1)]).status == UNCERTAIN


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("right,truth", [(2, "equal"), (1, "different")])
def test_an_uncertifiable_point_is_never_evidence(seed: int, right: int, truth: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The condition sin(x)^2 + cos(x)^2 < 1 is false for every x (Pythagoras), so the left
    # side is 2 everywhere: equal to 2, different from 1. For x > 0 no point can be
    # certified (SymPy keeps sin(x)^2 + cos(x)^2 - 1 unevaluated, intervals straddle 0), and
    # the floats may pick either branch: the verdict must be timeout, never tested/invalid.
    monkeypatch.setattr(engine_mod, "prove_equal", lambda *a, **k: False)
    ctx = context_for(load_text("symbols: {x: positive}\nsteps:\n  - x\n  - x\n", "t.yaml"))
    eng = Engine(ctx, seed=seed)
    xs = sympy.Symbol("x")
    left = sympy.Piecewise((1, sympy.sin(xs) ** 2 + sympy.cos(xs) ** 2 < 1), (2, True))
    v = eng.compare(left, sympy.Integer(right), label="u")
    assert v.status == "timeout", (truth, v.message)


@pytest.mark.parametrize("seed", SEEDS)
def test_shared_cancellation_case_is_valid(seed: int) -> None:
    text = Path("/work/shared/examples/soundness/cancellation_valid.yaml")
    if not text.exists():
        text = DATA / "cancellation_wide.yaml"
    r = check(text.read_text(), "c.yaml", seed=seed)
    assert r.status == "valid", statuses(r)


@pytest.mark.parametrize("seed", SEEDS)
def test_cancellation_is_not_invalid_even_without_a_proof(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same identity as above; with the symbolic proof disabled every sampled point
    # (z up to 800: 347 digits of cancellation) must be checked and found equal.
    monkeypatch.setattr(engine_mod, "prove_equal", lambda *a, **k: False)
    r = verify_file("cancellation_wide.yaml", seed)
    assert statuses(r) == [["start", "tested"]]


def test_a_wrong_certificate_is_caught_by_the_cheap_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    # (x + 1)^2 = x^2 + 2x + 1 (expand). Pretend the intervals said "differ" at a high
    # precision: the cancellation guard's cheap proof must refuse the counterexample.
    from derivcheck.certify import Outcome

    def lying(left, right, point, precisions=(30,)):  # type: ignore[no-untyped-def]
        a = left.evaluate(point, 80)
        return Outcome(DIFFER, a, a + 1e-70, 200)

    monkeypatch.setattr(engine_mod, "compare_at", lying)
    ctx = context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml"))
    eng = Engine(ctx)
    xs = sympy.Symbol("x")
    fa, fb = eng.compiled((xs + 1) ** 2, (xs,)), eng.compiled(xs**2 + 2 * xs + 1, (xs,))
    assert eng.verify(fa, fb, (xs,), [sympy.Rational(3, 2)], {}) is None


# -- no tolerance: tiny, huge, and relative differences are all found ----------------------------

TINY_AND_HUGE = {
    # file: (left, right) as mpmath functions of the point, for a 60-digit re-check
    "pow_99_98.yaml": (lambda p: mpmath.mpf(2) ** -99, lambda p: mpmath.mpf(2) ** -98),
    "tiny_30.yaml": (lambda p: p["m"] * mpmath.mpf(10) ** -30 * 3, lambda p: p["m"] * mpmath.mpf(10) ** -30 * 4),
    "sin_plus_1e25.yaml": (lambda p: mpmath.sin(p["x"]) + mpmath.mpf(10) ** -25, lambda p: mpmath.sin(p["x"])),
    "cosh_80_90.yaml": (lambda p: mpmath.cosh(p["x"]) - 2, lambda p: mpmath.cosh(p["x"])),
    "exp_dropped_one.yaml": (lambda p: mpmath.exp(p["x"]) + 1, lambda p: mpmath.exp(p["x"])),
}


def _exact(value: object) -> mpmath.mpf:
    f = Fraction(str(value))
    return mpmath.mpf(f.numerator) / f.denominator


@pytest.mark.parametrize("name", sorted(TINY_AND_HUGE))
@pytest.mark.parametrize("seed", (0, 1, 2))
def test_differences_without_a_floor_are_invalid_with_a_true_counterexample(name: str, seed: int) -> None:
    r = verify_file(name, seed)
    assert statuses(r) == [["start", "invalid"]], r.chains[0].steps[1].message
    cex = r.chains[0].steps[1].counterexample
    assert cex is not None
    left, right = TINY_AND_HUGE[name]
    with mpmath.workdps(400):
        point = {k: _exact(v) for k, v in cex.values.items()}
        a, b = left(point), right(point)
        assert a != b
        assert abs(a - b) > mpmath.mpf(10) ** -350 * max(abs(a), abs(b))


def test_filters_hold_has_no_tolerance() -> None:
    # x = 1e-40 is not 0, and x = 1 + 1e-40 is not 1: the conditions x != 0 and x > 1 hold.
    ctx = context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml"))
    eng = Engine(ctx)
    xs = sympy.Symbol("x")
    c = lambda e: eng.compiled(e, (xs,))
    tiny = [sympy.Rational(1, 10**40)]
    assert eng.filters_hold([("!=", c(xs), c(sympy.Integer(0)))], tiny)
    assert not eng.filters_hold([("==", c(xs), c(sympy.Integer(0)))], tiny)
    just_above = [1 + sympy.Rational(1, 10**40)]
    assert eng.filters_hold([(">", c(xs), c(sympy.Integer(1)))], just_above)
    assert not eng.filters_hold([("<=", c(xs), c(sympy.Integer(1)))], just_above)
    assert decide("==", program(3 * xs * sympy.Rational(1, 3), xs), program(xs, xs), [sympy.Rational(2, 7)]) is True


# -- kinks and Piecewise without an otherwise branch --------------------------------------------


def _engine() -> Engine:
    return Engine(context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml")))


XS = sympy.Symbol("x")
DSIGN = sympy.Piecewise((-1, XS < 0), (1, XS > 0))  # d|x|/dx, undefined at the kink


def test_no_branch_holding_is_undefined_in_floats_mpmath_and_intervals() -> None:
    c = Compiled(DSIGN, (XS,))
    zero = [sympy.Integer(0)]
    assert c.fast([0.0]) is None
    assert c(zero, 30) is None
    with pytest.raises(Undefined):
        c.interval.evaluate(zero, 30)
    assert compare_at(c.interval, Compiled(sympy.sign(XS), (XS,)).interval, zero).status == UNDEFINED


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_of_abs_as_piecewise_equals_sign(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Away from 0, d|x|/dx = sign(x); at 0 the left side is undefined, so 0 is no counterexample
    # (sign(0) = 0 is not -1 or 1). With the proof disabled the rigorous check must agree.
    monkeypatch.setattr(engine_mod, "prove_equal", lambda *a, **k: False)
    eng = _engine()
    eng.seed = seed
    v = eng.compare(DSIGN, sympy.sign(XS), label="abs")
    assert v.status == "tested", v.message
    v = eng.compare(sympy.Piecewise((0, XS < sympy.Rational(15, 2)), (1, XS > sympy.Rational(15, 2))),
                    sympy.Heaviside(XS - sympy.Rational(15, 2)), label="max")
    assert v.status == "tested", v.message  # d Max(x, 7.5)/dx: Heaviside(0) = 1/2 is never compared


@pytest.mark.parametrize("seed", SEEDS)
def test_a_kink_in_the_wrong_place_is_invalid_between_the_kinks(seed: int) -> None:
    # Piecewise(-1 for x < 0, 1 for x > 0) and Piecewise(-1 for x < 1, 1 for x > 1)
    # differ exactly on (0, 1), where the first is 1 and the second -1.
    eng = _engine()
    eng.seed = seed
    v = eng.compare(DSIGN, sympy.Piecewise((-1, XS < 1), (1, XS > 1)), label="kink")
    assert v.status == "invalid"
    xv = _exact(v.counterexample.values["x"])
    assert 0 < xv < 1
    assert (v.counterexample.left, v.counterexample.right) == (1.0, -1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_of_abs_written_in_a_file_is_valid(seed: int) -> None:
    r = check("steps:\n  - Derivative(Abs(x), x)\n  - sign(x)\n", seed=seed)
    assert r.chains[0].steps[1].status in ("proved", "tested")


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_polygamma_from_derivatives_of_gamma_is_bounded(order: int) -> None:
    # d/dx gamma(x) = gamma(x)*polygamma(0, x): derivatives of gamma must stay checkable.
    prog = IntervalProgram(sympy.polygamma(order, x), (x,))
    for point in (sympy.Rational(1, 3), sympy.Integer(5), sympy.Rational(10**6, 7)):
        lo, hi = ends(prog.evaluate([point], 30))
        with mpmath.workdps(70):
            truth = mpmath.polygamma(order, mpmath.mpf(int(point.p)) / int(point.q))
            assert lo <= truth <= hi


def test_a_filter_is_never_accepted_on_the_float_screen_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # Floats that lie (say every filter side is 1 + 1e-3 above the other) may reject a point
    # but never admit one: x > 1 is false at x = 1/2 whatever the floats say.
    ctx = context_for(load_text("steps:\n  - x\n  - x\n", "t.yaml"))
    eng = Engine(ctx)
    xs = sympy.Symbol("x")
    fl, fr = eng.compiled(xs, (xs,)), eng.compiled(sympy.Integer(1), (xs,))
    monkeypatch.setattr(Compiled, "fast", lambda self, fpoint: 2.0 if self is fl else 1.0)
    assert not eng.filters_hold([(">", fl, fr)], [sympy.Rational(1, 2)])
    assert eng.filters_hold([(">", fl, fr)], [sympy.Rational(3, 2)])


@pytest.mark.parametrize("seed", (0, 1, 2))
@pytest.mark.parametrize(
    "text,difference",
    [
        # x + 10**-600 - x = 10**-600: equal to 500 digits, different all the same
        ("steps:\n  - x + 10**-600\n  - x\n", mpmath.mpf(10) ** -600),
        # sin^2 + t*10**-900 - (1 - cos^2) = t*10**-900 (Pythagoras): nonzero exactly when t = 1
        ('symbols: {t: "{0, 1}"}\nsteps:\n  - sin(x)**2 + t*10**-900\n  - 1 - cos(x)**2\n', mpmath.mpf(10) ** -900),
    ],
)
def test_differences_below_the_highest_precision_are_still_certified(seed: int, text: str, difference: mpmath.mpf) -> None:
    r = check(text, seed=seed)
    step = r.chains[0].steps[1]
    assert step.status == "invalid", step.message
    with mpmath.workdps(1200):
        shown = mpmath.mpf(step.message.rsplit("differ by ", 1)[1].rstrip(")"))
        assert abs(shown - difference) <= difference * mpmath.mpf("1e-5")
