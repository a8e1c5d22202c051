"""Closed forms with a symbolic bound (derivcheck.closedforms): used only when proved by induction.

The truth of every case is recomputed here by summing term by term with exact
integers and rationals, for n = 0..12, without the module under test.
"""

from __future__ import annotations

import pytest
import sympy
from sympy import Product, Sum, binomial

from derivcheck.closedforms import closed_form

k = sympy.Symbol("k", integer=True)
n = sympy.Symbol("n", integer=True, positive=True)
K = sympy.Symbol("K", integer=True, positive=True)


def by_terms(kind: type, body: sympy.Expr, lo: int, hi: int) -> sympy.Expr:
    values = [body.xreplace({k: i}) for i in range(lo, hi + 1)]
    return sympy.Add(*values) if kind is Sum else sympy.Mul(*values)


@pytest.mark.parametrize(
    "kind, body, lo",
    [
        (Sum, k, 1),
        (Sum, k**2, 1),
        (Sum, k**3, 0),
        (Sum, 1 / (k * (k + 1)), 1),  # telescoping
        (Sum, 2**k, 0),  # geometric
        (Sum, 1 / k**2, 1),  # a harmonic number of order 2: no elementary form, still proved
        (Product, 1 + 1 / k, 1),  # telescoping product: n + 1
        (Product, k, 1),  # n!
    ],
)
def test_a_proved_closed_form_agrees_with_the_terms(kind: type, body: sympy.Expr, lo: int) -> None:
    closed = closed_form(kind, body, k, sympy.Integer(lo), n)
    assert closed is not None
    for value in range(1, 13):
        assert sympy.simplify(closed.xreplace({n: value}) - by_terms(kind, body, lo, value)) == 0


@pytest.mark.parametrize(
    "body, lo, hi, wrong_at",
    [
        # SymPy's doit gives 0; the sum is binomial(K + 1, 5): 1 at K = 4
        (binomial(k, 2) * binomial(K - k, 2), 2, K, 4),
        # SymPy's doit gives 0; the sum is -1 at K = 1
        ((-1) ** k * k * binomial(K, k), 0, K, 1),
        # SymPy's doit gives 0; the sum is binomial(n + 1, 3): 1 at n = 2
        (binomial(K - k, 2), 0, K, 2),
    ],
)
def test_a_closed_form_that_reads_its_own_bound_is_never_taken(body: sympy.Expr, lo: int, hi: sympy.Expr, wrong_at: int) -> None:
    with_sympy = Sum(body, (k, lo, hi)).doit()
    assert with_sympy.xreplace({K: wrong_at}) != by_terms(Sum, body.xreplace({K: wrong_at}), lo, wrong_at)
    assert closed_form(Sum, body, k, sympy.Integer(lo), hi) is None


def test_a_range_that_may_be_empty_is_guarded() -> None:
    # Sum(k, (k, 1, K - 1)) is 0 at K = 1 (empty), K(K - 1)/2 from K = 2
    closed = closed_form(Sum, k, k, sympy.Integer(1), K - 1)
    assert closed is not None
    for value in range(1, 10):
        assert closed.xreplace({K: value}) == by_terms(Sum, k, 1, value - 1)


def test_a_bound_that_is_not_an_integer_has_no_closed_form() -> None:
    # Sum(k, (k, 1, K/2)): K/2 terms is no formula when K is odd
    assert closed_form(Sum, k, k, sympy.Integer(1), K / 2) is None
