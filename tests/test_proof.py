"""Symbolic proofs (derivcheck.proof): a proof attempt may only ever say 0 for a true 0."""

from __future__ import annotations

import mpmath
import pytest
import sympy

from derivcheck.budget import Budget
from derivcheck.proof import prove_zero

a, x = sympy.symbols("a x", real=True)


@pytest.mark.parametrize(
    "difference",
    [
        (a - x) ** 6000 - (x - a) ** 6000,  # (-u)**n = u**n for even n
        (a - x) ** 5999 + (x - a) ** 5999,  # (-u)**n = -u**n for odd n
        (4 * a - x) ** 6000 - (x - 4 * a) ** 6000,
        3 * (x - a) ** 301 + 3 * (a - x) ** 301,
    ],
)
def test_high_powers_of_negated_bases_are_proved_without_expanding(difference: sympy.Expr) -> None:
    assert prove_zero(difference, Budget(30))


@pytest.mark.parametrize(
    "difference, point",
    [
        # odd power: (a - x)**5999 - (x - a)**5999 = 2*(a - x)**5999, 2 at a = 1, x = 0
        ((a - x) ** 5999 - (x - a) ** 5999, {a: 1, x: 0}),
        # the exponents differ: (x - a)**6000 - (x - a)**5999 = 2**6000 - 2**5999 != 0 at x - a = 2
        ((a - x) ** 6000 - (x - a) ** 5999, {a: 0, x: 2}),
        # even power, bases not negatives of each other: (-1)**6000 - 0**6000 = 1 at a = x = 1
        ((x - 2 * a) ** 6000 - (a - x) ** 6000, {a: 1, x: 1}),
    ],
)
def test_a_nonzero_difference_of_high_powers_is_never_proved(difference: sympy.Expr, point: dict) -> None:
    mpmath.mp.dps = 60
    value = sympy.lambdify([a, x], difference, "mpmath")(mpmath.mpf(point[a]), mpmath.mpf(point[x]))
    assert value != 0  # the truth, by mpmath at 60 digits
    assert not prove_zero(difference, Budget(30))
