"""Pairs from external answer-checker test suites, written in derivcheck's language.

Source: STACK's answer-test fixtures (maths/moodle-qtype_stack,
``tests/fixtures/answertestfixtures.class.php``, test ``AlgEquiv``, whose expected
mark is 1 for equivalent and 0 for not), SymPy's ``test_diff.py`` and the brief's
Math-Verify power.  Maxima's ``%e``/``%pi`` are written ``E``/``pi``.  Each pair
must be *decided*: proved or tested when equivalent, invalid when not, never an
error.  The truth of each is the suite's expected mark, with the reason in a comment.
"""

from __future__ import annotations

import mpmath
import pytest

from conftest import check, statuses

mpmath.mp.dps = 60

EQUAL = ("proved", "tested")

POLY = (
    "14336000000*x^13+250265600000*x^12+1862860800000*x^11+7623925760000*x^10+"
    "18290677760000*x^9+24744757985280*x^8+14567212351488*x^7-3267871272960*x^6-6408053107200*x^5+"
    "670406720000*x^4+1179708800000*x^3-429244800000*x^2+56696000000*x-{}"
)

PAIRS = [
    # (student, teacher, equivalent?)  -- reason
    ("(x-a)^6000", "(x-a)^6000", True),  # identical
    ("(a-x)^6000", "(x-a)^6000", True),  # (-u)^6000 = u^6000, even power
    ("(4*a-x)^6000", "(x-4*a)^6000", True),  # same, u = x - 4a
    ("(x-a)^6000", "(x-a)^5999", False),  # ratio x - a, not 1 at x - a = 2
    ("x^(1/2)", "sqrt(x)", True),  # definition of the principal root
    ("abs(x)", "sqrt(x^2)", True),  # sqrt(x^2) = |x| for real x
    ("x-1", "(x^2-1)/(x+1)", True),  # x^2 - 1 = (x - 1)(x + 1), x != -1
    ("1/n-1/(n+1)", "1/(n*(n+1))", True),  # common denominator n(n + 1)
    ("1/(a-b)-1/(b-a)", "1/(a-b)+1/(b-a)", False),  # 2/(a - b) vs 0
    (POLY.format("2680000000"), "512*(2*x+5)^7*(5*x-1)^5*(70*x+67)", True),  # STACK: mark 1
    (POLY.format("2680000001"), "512*(2*x+5)^7*(5*x-1)^5*(70*x+67)", False),  # constant off by 1
    ("cos(x+y)", "cos(x)*cos(y)+sin(x)*sin(y)", False),  # that is cos(x - y); x = y = pi/4: 0 vs 1
    ("diff(tan(10*x)^2,x)", "cos(6*x)", False),  # 0 at x = 0 vs 1
    ("1/(1+exp(-2*x))", "tanh(x)/2+1/2", True),  # (1 + tanh x)/2 = e^x/(e^x + e^-x)
    ("log(a^2*b)", "2*log(a)+log(b)", True),  # equal wherever both sides are defined (a, b > 0)
    ("0.33", "1/3", False),  # exact numbers: 33/100 != 1/3
    ("2+2*sqrt(3+x)", "2+sqrt(12+4*x)", True),  # sqrt(4u) = 2 sqrt(u)
    ("x^log(y)", "y^log(x)", True),  # both exp(log x * log y), x, y > 0
    ("a^b*a^c", "a^(b+c)", True),  # where both are defined (a > 0, or integer powers)
    ("E^1-E^(-1)", "2*sinh(1)", True),  # definition of sinh
    ("diff(c^5, c, 4)", "120*c", True),  # SymPy test_diff: 5*4*3*2 c
    ("diff(x*(x+1)^3, x)", "(x+1)^3+3*x*(x+1)^2", True),  # SymPy test_diff: product rule
    ("diff(x^5, x, 2)", "20*x^3", True),  # second derivative, written with a count
    ("10^((sqrt(13)-5)/6)", "10^(sqrt(13)/6-5/6)", True),  # Math-Verify's irrational power
]


@pytest.mark.parametrize("student, teacher, equivalent", PAIRS, ids=[f"{i}" for i in range(len(PAIRS))])
def test_external_pair_is_decided(student: str, teacher: str, equivalent: bool) -> None:
    r = check(f"steps:\n  - '{student}'\n  - '{teacher}'\n")
    status = statuses(r)[0][1]
    assert status in (EQUAL if equivalent else ("invalid",)), (status, r.chains[0].steps[1].message)


@pytest.mark.parametrize("seed", (0, 1, 7))
def test_degree_6000_pairs_at_several_seeds(seed: int) -> None:
    r = check("steps:\n  - '(a-x)^6000'\n  - '(x-a)^6000'\n  - '(x-a)^5999'\n", seed=seed)
    assert statuses(r) == [["start", statuses(r)[0][1], "invalid"]] and statuses(r)[0][1] in EQUAL


def test_large_argument_cosine_is_never_valid() -> None:
    # STACK: 4*x*cos(x^12/pi) vs x*cos(x^12/pi), mark 0 (they differ by 3x cos(x^12/pi),
    # at x = 1: 3*cos(1/pi) = 2.849... by mpmath).  The pair must never pass as equal.
    assert abs(3 * mpmath.cos(1 / mpmath.pi) - mpmath.mpf("2.8491")) < mpmath.mpf("1e-3")
    r = check("steps:\n  - '4*x*cos(x^12/pi)'\n  - 'x*cos(x^12/pi)'\n")
    assert statuses(r)[0][1] not in EQUAL + ("error",)
