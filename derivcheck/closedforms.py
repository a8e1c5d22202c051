"""Closed forms of sums and products with a symbolic bound, proved before they are used.

SymPy's ``Sum(...).doit()`` is not always right: it gives 0 for
``Sum(binomial(m, 2)*binomial(K - m, 2), (m, 2, K))`` (which is binomial(K + 1, 5))
and for the alternating moment ``Sum((-1)**j*j*binomial(n, j), (j, 0, n))`` at
n = 1. A closed form is therefore taken only with a proof by induction on the
upper bound h:

* the summand does not depend on the bound (so S(h) - S(h - 1) is its last term);
* base: the candidate C at h = lo equals the one-term sum f(lo);
* step: C(h) - C(h - 1) = f(h) for every integer h (a product: C(h) = f(h) C(h - 1)),
  shown symbolically.

Then C(h) is the sum for every h >= lo; below lo the range is empty (0, or 1 for a
product). Anything not shown gives no closed form, never a guess.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import Product, Sum, Symbol

from .budget import Timeout, time_limit

#: Seconds SymPy may spend finding a candidate, and again checking it.
SECONDS = 4.0


def closed_form(kind: type, body: sympy.Expr, var: Symbol, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr | None:
    """``Sum(body, (var, lo, hi))`` (or a Product) in closed form, proved by induction; None if not.

    The result is guarded for empty ranges: 0 (1) where hi < lo.
    """
    if not (lo.is_integer and hi.is_integer):
        return None  # a bound such as K/2: how many terms is not a formula
    bound = hi.free_symbols - lo.free_symbols
    if not bound or body.free_symbols & (hi.free_symbols | lo.free_symbols) - {var}:
        return None  # the summand depends on the bound: S(h) - S(h - 1) is not its last term
    h = Symbol("h'", integer=True)
    try:
        with time_limit(SECONDS):
            candidate = kind(body, (var, lo, h)).doit()
    except (Timeout, Exception):  # noqa: BLE001 - SymPy failing is only no closed form
        return None
    if candidate.has(Sum, Product) or var in candidate.free_symbols:
        return None
    term = body.xreplace({var: h})
    first = body.xreplace({var: lo})
    if kind is Sum:
        base = candidate.xreplace({h: lo}) - first
        step = candidate - candidate.xreplace({h: h - 1}) - term
        empty = sympy.Integer(0)
    else:
        base = candidate.xreplace({h: lo}) - first
        step = candidate - term * candidate.xreplace({h: h - 1})
        empty = sympy.Integer(1)
    if _pole_in_range(candidate, h, lo) or not (_is_zero(base) and _is_zero(step)):
        return None
    closed = candidate.xreplace({h: hi})
    if (hi - lo).is_nonnegative:
        return closed
    return sympy.Piecewise((closed, hi >= lo), (empty, True))


def _pole_in_range(candidate: sympy.Expr, h: Symbol, lo: sympy.Expr) -> bool:
    """Whether C(h) may be undefined at an integer h >= lo (the induction would not cross it)."""
    try:
        denominator = sympy.denom(sympy.together(candidate))
    except Exception:  # noqa: BLE001
        return True
    if h not in denominator.free_symbols:
        return False
    if not denominator.is_polynomial(h):
        return False  # factorials and gammas of h: nonzero at the integers where they are defined
    if not lo.is_number:
        return True
    try:
        roots = sympy.Poly(denominator, h).real_roots()
    except Exception:  # noqa: BLE001
        return True
    return any(r >= lo for r in roots)


def _is_zero(e: sympy.Expr) -> bool:
    attempts: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
        lambda x: x,
        sympy.expand,
        lambda x: sympy.cancel(sympy.together(x)),
        lambda x: sympy.cancel(sympy.expand_func(sympy.gammasimp(x))),
        # harmonic numbers (the sums of 1/k**m) step by their last term as polygammas do
        lambda x: sympy.cancel(sympy.expand_func(x.rewrite(sympy.polygamma))),
        lambda x: sympy.simplify(sympy.expand_func(x)),
    )
    for attempt in attempts:
        try:
            with time_limit(SECONDS):
                if attempt(e) == 0:
                    return True
        except (Timeout, Exception):  # noqa: BLE001, S112 - a failed attempt proves nothing
            continue
    return False
