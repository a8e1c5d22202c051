"""The proof attempt that makes compound exp-family arguments symbols (derivcheck/exparg.py).

Ground truth outside derivcheck: each identity's proof is in its comment and is
checked with mpmath at 60 digits at a stated point; each non-identity differs at a
stated point by mpmath at 60 digits.  The attempt must give 0 for the first and
never for the second (a 0 there would be a wrong ``proved``).
"""

from __future__ import annotations

import mpmath
import pytest
import sympy
from conftest import check, statuses

from derivcheck.exparg import generalized, split_core

w1, w2, x1, x2, b, y = sympy.symbols("w1 w2 x1 x2 b y", real=True)
A = w1 * x1 + w2 * x2 + b  # a compound argument, like an MLP's pre-activation
POINT = {w1: sympy.Rational(3, 7), w2: sympy.Rational(-5, 3), x1: sympy.Rational(11, 4), x2: sympy.Rational(2, 9),
         b: sympy.Rational(-1, 5), y: sympy.Rational(7, 6)}

IDENTITIES = [
    # 1 - tanh^2 = 1/cosh^2: divide cosh^2 - sinh^2 = 1 by cosh^2
    (1 - sympy.tanh(A) ** 2, 1 / sympy.cosh(A) ** 2),
    # cosh = (e^a + e^-a)/2, so 1/cosh^2 = 4/(e^a + e^-a)^2
    (1 / sympy.cosh(A) ** 2, 4 / (sympy.exp(A) + sympy.exp(-A)) ** 2),
    # sinh(2a) = 2 sinh(a) cosh(a): (e^a - e^-a)(e^a + e^-a)/2 = (e^2a - e^-2a)/2
    (sympy.sinh(2 * A), 2 * sympy.sinh(A) * sympy.cosh(A)),
    # tanh(a/2) = (e^a - 1)/(e^a + 1): multiply sinh/cosh of a/2 by e^(a/2)
    (sympy.tanh(A / 2), (sympy.exp(A) - 1) / (sympy.exp(A) + 1)),
    # y times the identity, and a second core (2*y*A has core y*A): still identities
    (y * (sympy.cosh(A) ** 2 - sympy.sinh(A) ** 2) + sympy.exp(2 * y * A) * sympy.exp(-y * A), y + sympy.exp(y * A)),
]

NON_IDENTITIES = [
    (1 - sympy.tanh(A) ** 2, 1 / sympy.cosh(2 * A) ** 2),     # the argument doubled
    (sympy.sinh(2 * A), sympy.sinh(A) * sympy.cosh(A)),       # the factor 2 dropped
    (sympy.tanh(A), (sympy.exp(A) - 1) / (sympy.exp(A) + 1)),  # that is tanh(a/2)
    (sympy.exp(A) * sympy.exp(-A), sympy.exp(A - y)),         # cores A and A - y differ: 1 vs e^(a - y)
    (sympy.cosh(A) ** 2 + sympy.sinh(A) ** 2, sympy.Integer(1)),  # that is cosh(2a)
]


def _mp(e: sympy.Expr) -> mpmath.mpf:
    f = sympy.lambdify(list(POINT), e, modules="mpmath")
    with mpmath.workdps(60):
        return f(*[mpmath.mpf(v.p) / v.q for v in POINT.values()])


@pytest.mark.parametrize("left, right", IDENTITIES)
def test_identities_are_proved(left: sympy.Expr, right: sympy.Expr) -> None:
    with mpmath.workdps(60):
        assert abs(_mp(left) - _mp(right)) < mpmath.mpf(10) ** -50  # the truth, at 60 digits
    assert generalized(left - right) == 0


@pytest.mark.parametrize("left, right", NON_IDENTITIES)
def test_non_identities_are_never_proved(left: sympy.Expr, right: sympy.Expr) -> None:
    with mpmath.workdps(60):
        assert abs(_mp(left) - _mp(right)) > mpmath.mpf(10) ** -3  # they differ at POINT
    assert generalized(left - right) != 0


def test_cores_share_sign_and_content() -> None:
    c1, k1 = split_core(2 * A)
    c2, k2 = split_core(-A)
    c3, k3 = split_core(A / 3)
    assert k1 == k2 == k3 and (c1, c2, c3) == (2, -1, sympy.Rational(1, 3))


def test_mlp_chain_is_proved_and_a_wrong_factor_is_invalid() -> None:
    from pathlib import Path

    text = (Path(__file__).parent / "data" / "bench" / "mlp_chain.yaml").read_text()
    for seed in (0, 1, 7):
        assert statuses(check(text, seed=seed)) == [["start"] + ["proved"] * 4]
    # (1 - h)(1 + h) -> (1 - h): false wherever h != 0 (h = tanh(1) at a = 1: 0.42 vs 0.76)
    wrong = text.replace("(o - t)*v*(1 - h)*(1 + h)*x_k", "(o - t)*v*(1 - h)*x_k")
    for seed in (0, 3):
        assert statuses(check(wrong, seed=seed))[0][-1] == "invalid"


def test_random_identities_it_proves_hold_numerically() -> None:
    """Soundness on random sums and quotients of exp-family terms: every 0 it returns is true.

    Half the cases are identities (a rewritten with exponentials), the others are
    perturbed by a non-identity; each difference the attempt calls 0 is evaluated
    with mpmath at 50 digits at five points and must vanish there.
    """
    import random

    x, yy, z = sympy.symbols("x yy z", real=True)
    rng = random.Random(5)
    args = [x + yy, 2 * x - yy, x * yy + 1, -(x + yy), (x + yy) / 2, 3 * (x + yy), x * yy, x**2 + z]
    funcs = [sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.sech]
    wrong = [sympy.tanh(x + yy) - sympy.tanh(x - yy), sympy.exp(x * yy) - sympy.exp(-x * yy),
             sympy.cosh(2 * (x + yy)) - 2 * sympy.cosh(x + yy) ** 2]

    def expr(depth: int = 0) -> sympy.Expr:
        if depth > 1 or rng.random() < 0.35:
            return rng.choice([rng.choice(funcs)(rng.choice(args)), x, sympy.Integer(rng.randint(-2, 3))])
        a, b = expr(depth + 1), expr(depth + 1)
        return rng.choice([a + b, a - b, a * b, a / b])

    proved = 0
    for _ in range(30):
        a = expr()
        b = a.rewrite(sympy.exp)
        if rng.random() < 0.5:
            b = b + rng.choice(wrong)
        if generalized(a - b) != 0:
            continue
        proved += 1
        f = sympy.lambdify((x, yy, z), a - b, "mpmath")
        g = sympy.lambdify((x, yy, z), a, "mpmath")
        with mpmath.workdps(50):
            for _ in range(5):
                point = [mpmath.mpf(rng.randint(-300, 300)) / 97 for _ in range(3)]
                try:
                    d, v = f(*point), g(*point)
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue
                assert abs(d) <= mpmath.mpf(10) ** -30 * max(1, abs(v)), (a, b, point)
    assert proved >= 5  # the attempt does prove the identities among them
