"""compare_at shares the two sides' common subexpressions; point intervals come from mpmath's parts.

Both are speed-ups that must not change a single interval.  Every test checks the
result against an independent truth (mpmath at 60 digits, or exact fractions)
and against the plain computation the speed-up replaces (each side evaluated on
its own, ``iv.mpf(p) / iv.mpf(q)``).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import iv

from derivcheck.certify import (
    DIFFER,
    PRECISIONS,
    UNCERTAIN,
    UNDEFINED,
    IntervalProgram,
    Outcome,
    _iv_dps,
    compare_at,
    point_interval,
)
from derivcheck.numeric import prepare

x, y = sympy.symbols("x y", real=True)
LEAVES = (x, y)


def separately(left: IntervalProgram, right: IntervalProgram, point: list, precisions=PRECISIONS) -> Outcome:
    """compare_at with each side evaluated on its own, in its own environment (as before the sharing)."""
    return compare_at(left, right, point, precisions, share=False)


def same(o1: Outcome, o2: Outcome) -> bool:
    ends = lambda v: None if v is None else v._mpi_  # noqa: E731
    return (o1.status, o1.dps, o1.undefined_side, ends(o1.left), ends(o1.right)) == (
        o2.status, o2.dps, o2.undefined_side, ends(o2.left), ends(o2.right)
    )


def programs(a: sympy.Expr, b: sympy.Expr) -> tuple[IntervalProgram, IntervalProgram]:
    return IntervalProgram(prepare(a), LEAVES), IntervalProgram(prepare(b), LEAVES)


def ends(interval) -> tuple[mpmath.mpf, mpmath.mpf]:
    return mpmath.mp.make_mpf(interval._mpi_[0]), mpmath.mp.make_mpf(interval._mpi_[1])


def inside(value: mpmath.mpf, interval) -> bool:
    lo, hi = ends(interval)
    return bool(lo <= value <= hi)


# -- the sides share parts: the same outcome, and the truth inside the intervals -------------


def test_softmax_with_a_wrong_denominator_differs_and_holds_the_true_values() -> None:
    # exp(x)/(exp(x) + exp(y)) against exp(x)/(exp(x) + exp(y) + 1) at x = 1/3, y = -2/7:
    # the second denominator is larger by 1, so the values differ (0.6536... vs 0.2855...)
    s = sympy.exp(x) + sympy.exp(y)
    left, right = programs(sympy.exp(x) / s, sympy.exp(x) / (s + 1))
    point = [sympy.Rational(1, 3), sympy.Rational(-2, 7)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert got.status == DIFFER
    with mpmath.workdps(60):
        ex, ey = mpmath.exp(mpmath.mpf(1) / 3), mpmath.exp(mpmath.mpf(-2) / 7)
        assert inside(ex / (ex + ey), got.left)
        assert inside(ex / (ex + ey + 1), got.right)


def test_a_difference_of_1e_minus_40_is_found_at_the_second_precision() -> None:
    # right = left + 10**-40 exactly: at 30 digits the intervals of values near 1.2 overlap,
    # at 80 they are apart; the shared part (everything but the offset) is computed once
    base = sympy.tanh(x * y) + sympy.exp(-x) * sympy.cos(y)
    left, right = programs(base, base + sympy.Rational(1, 10**40))
    point = [sympy.Rational(5, 4), sympy.Rational(-3, 8)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert got.status == DIFFER and got.dps == PRECISIONS[1]
    with mpmath.workdps(120):  # beyond the 80 digits of the intervals
        true = mpmath.tanh(mpmath.mpf(5) / 4 * mpmath.mpf(-3) / 8) + mpmath.exp(-mpmath.mpf(5) / 4) * mpmath.cos(mpmath.mpf(-3) / 8)
        assert inside(true, got.left)
        assert inside(true + mpmath.mpf(10) ** -40, got.right)


def test_a_shared_undefined_part_stops_at_the_left_side() -> None:
    # log(x - 1) at x = 1/2 is the log of -1/2: not real; both sides contain it
    left, right = programs(sympy.log(x - 1) + y, 2 * sympy.log(x - 1))
    point = [sympy.Rational(1, 2), sympy.Integer(3)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert (got.status, got.undefined_side) == (UNDEFINED, "left")


def test_a_part_only_the_right_side_reaches_is_undefined_there() -> None:
    # left takes the branch x < 1 (value y); right = log(x - 1) + y, the log of -1/2 at x = 1/2
    left, right = programs(sympy.Piecewise((y, x < 1), (sympy.log(x - 1), True)), sympy.log(x - 1) + y)
    point = [sympy.Rational(1, 2), sympy.Integer(3)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert (got.status, got.undefined_side) == (UNDEFINED, "right")


def test_a_shared_uncertain_part_leaves_both_uncertain() -> None:
    # exp(exp(exp(x))) at x = 100: the inner exp(exp(100)) has an argument beyond 10**40,
    # which the certificate does not evaluate (uncertain), on both sides
    tower = sympy.exp(sympy.exp(sympy.exp(x)))
    left, right = programs(tower + y, tower * y)
    point = [sympy.Integer(100), sympy.Integer(2)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert got.status == UNCERTAIN


def test_identical_sides_agree_and_the_true_value_is_inside() -> None:
    # sin(x)**2 + cos(x)**2 against itself: 1 at every precision
    e = sympy.sin(x) ** 2 + sympy.cos(x) ** 2 + y
    left, right = programs(e, e)
    point = [sympy.Rational(7, 3), sympy.Rational(1, 5)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    assert got.status == "agree" and got.dps == PRECISIONS[-1]
    for interval in (got.left, got.right):  # 1 + 1/5, exactly inside
        lo, hi = ends(interval)
        assert _fraction(lo) <= Fraction(6, 5) <= _fraction(hi)


_PARTS = [
    sympy.exp(x), sympy.log(x ** 2 + 1), sympy.tanh(x * y), sympy.sqrt(y ** 2 + x ** 2 + 1), sympy.sin(y),
    1 / (x - y), sympy.log(x), sympy.Abs(x - 1), sympy.Max(x, y),
]


@st.composite
def sharing_pairs(draw) -> tuple[sympy.Expr, sympy.Expr]:
    """Two expressions built from the same parts (so they share subexpressions), differently."""
    def side() -> sympy.Expr:
        picks = draw(st.lists(st.sampled_from(_PARTS), min_size=1, max_size=4))
        coeffs = draw(st.lists(st.integers(-3, 3), min_size=len(picks), max_size=len(picks)))
        e = sympy.Integer(draw(st.integers(-2, 2)))
        for c, part in zip(coeffs, picks):
            e = e + c * part if draw(st.booleans()) else e * (part + c)
        return e

    return side(), side()


@settings(max_examples=60, deadline=None)
@given(sharing_pairs(), st.fractions(-5, 5, max_denominator=50), st.fractions(-5, 5, max_denominator=50))
def test_sharing_changes_no_outcome_and_the_values_are_inside(pair, px, py) -> None:
    a, b = pair
    left, right = programs(a, b)
    point = [sympy.Rational(px.numerator, px.denominator), sympy.Rational(py.numerator, py.denominator)]
    got = compare_at(left, right, point)
    assert same(got, separately(left, right, point))
    # truth outside the certificate: mpmath at 60 digits beyond the intervals' precision,
    # where a side is real there
    fa = sympy.lambdify(LEAVES, a, "mpmath")
    fb = sympy.lambdify(LEAVES, b, "mpmath")
    with mpmath.workdps(max(got.dps, 0) + 60):
        at = [mpmath.mpf(px.numerator) / px.denominator, mpmath.mpf(py.numerator) / py.denominator]
        for f, interval in ((fa, got.left), (fb, got.right)):
            if interval is None:
                continue
            try:
                value = f(*at)
            except (ZeroDivisionError, ValueError):
                continue
            if isinstance(value, mpmath.mpf) and mpmath.isfinite(value):
                assert inside(value, interval)


# -- point intervals ------------------------------------------------------------------------


def _fraction(v: mpmath.mpf) -> Fraction:
    return Fraction(*mpmath.libmp.to_rational(v._mpf_))


@pytest.mark.parametrize("p, q", [(1, 3), (-22, 7), (10**45 + 1, 3), (-(2**200) - 1, 10**60 + 7), (5, 1), (-(10**90) - 3, 1)])
@pytest.mark.parametrize("dps", PRECISIONS)
def test_point_interval_holds_the_rational_and_is_mpmaths_own(p: int, q: int, dps: int) -> None:
    # truth by exact fractions: the ends are binary fractions around p/q
    got = point_interval(sympy.Rational(p, q), dps)
    lo, hi = ends(got)
    assert _fraction(lo) <= Fraction(p, q) <= _fraction(hi)
    with _iv_dps(dps):
        plain = iv.mpf(p) / iv.mpf(q) if q != 1 else iv.mpf(p)
    assert got._mpi_ == plain._mpi_


@settings(max_examples=150, deadline=None)
@given(st.integers(-(10**120), 10**120), st.integers(1, 10**70), st.sampled_from(PRECISIONS))
def test_point_interval_of_any_rational(p: int, q: int, dps: int) -> None:
    value = sympy.Rational(p, q)
    got = point_interval(value, dps)
    lo, hi = ends(got)
    assert _fraction(lo) <= Fraction(p, q) <= _fraction(hi)
    with _iv_dps(dps):
        plain = iv.mpf(int(value.p)) / iv.mpf(int(value.q))
    assert got._mpi_ == plain._mpi_
