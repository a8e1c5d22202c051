"""Exact constants (pi, E) inside certified comparisons.

``x`` against ``pi`` was once never refuted: the interval evaluator returned
mpmath's lazy constant instead of an enclosure, so every point was "uncertain"
and the transition ended as a timeout.  Ground truth: mpmath at 60 digits, or a
proof in a comment.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy

from derivcheck.certify import AGREE, DIFFER, IntervalProgram, compare_at

from conftest import check, statuses

x = sympy.Symbol("x", real=True)
POINT = [sympy.Rational(3029, 1000)]


@pytest.mark.parametrize("constant", [sympy.pi, sympy.E])
def test_a_constant_is_an_enclosure_of_its_value(constant: sympy.Expr) -> None:
    mpmath.mp.dps = 60
    truth = mpmath.pi if constant is sympy.pi else mpmath.e
    value = IntervalProgram(constant, [x]).evaluate(POINT, 50)
    lo, hi = (mpmath.mpf(v) for v in (value.a, value.b))
    assert lo <= truth <= hi
    assert hi - lo < mpmath.mpf(10) ** -45


def test_x_against_pi_differs_at_a_rational_point() -> None:
    # pi - 3029/1000 = 0.11259265358979... (mpmath, 60 digits) > 0
    outcome = compare_at(IntervalProgram(x, [x]), IntervalProgram(sympy.pi, [x]), POINT)
    assert outcome.status == DIFFER


def test_pi_against_four_atan_one_agrees() -> None:
    # 4*atan(1) = pi exactly (atan(1) = pi/4)
    left = IntervalProgram(sympy.pi + x - x, [x])
    right = IntervalProgram(4 * sympy.atan(1) + 0 * x, [x])
    assert compare_at(left, right, POINT).status == AGREE


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize(
    "steps, expected",
    [
        # x != pi for every x but one: invalid at any sampled rational point
        (["x", "pi"], "invalid"),
        # E = exp(1) = 2.718281828459045235360287471352662497757247093699959574966968 (mpmath)
        (["x", "E"], "invalid"),
        # pi*E - E*pi = 0 everywhere
        (["pi*E*x", "E*pi*x"], "valid"),
        # E**x = exp(x) for every real x
        (["E**x", "exp(x)"], "valid"),
        # x/pi vs x/3.14159: pi - 3.14159 = 2.65358979e-6, so they differ at every x != 0
        (["x/pi", "x/3.14159"], "invalid"),
    ],
)
def test_steps_with_constants_are_decided(steps: list[str], expected: str, seed: int) -> None:
    text = "steps:\n" + "".join(f"  - {s}\n" for s in steps)
    result = check(text, seed=seed)
    assert result.status == expected, statuses(result)
