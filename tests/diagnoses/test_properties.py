"""Properties: what a diagnosis says is true of the step, checked independently of derivcheck.

For a step that leaves out a factor F of a random base expression, missing-factor
must name a factor G with previous == G * this at an exact point, evaluated by
plain SymPy/mpmath at 60 digits (not by derivcheck's engine), and its fix must
equal the previous step there.
"""

from __future__ import annotations

import mpmath
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivcheck.api import verify_text

BASES = ["sin(x) + y", "exp(x)*y - 1", "x**2 + y**2 + 1", "log(1 + x**2) + y"]
FACTORS = ["tau", "1/tau", "2*x", "y**2", "x*y/3", "-1/tau**2"]
POINT = {"x": sympy.Rational(3, 7), "y": sympy.Rational(-5, 4), "tau": sympy.Rational(9, 5)}
SYMS = {name: sympy.Symbol(name) for name in POINT}


def value(text: str) -> mpmath.mpf:
    """``text`` at POINT, by SymPy's own parser and mpmath at 60 digits (test-side truth)."""
    expr = sympy.sympify(text, locals=SYMS)
    with mpmath.workdps(60):
        return mpmath.mpf(sympy.N(expr.subs({SYMS[k]: v for k, v in POINT.items()}), 60))


def same(a: mpmath.mpf, b: mpmath.mpf) -> bool:
    with mpmath.workdps(60):
        return abs(a - b) <= mpmath.mpf(10) ** -45 * max(1, abs(a), abs(b))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), factor=st.sampled_from(FACTORS), seed=st.integers(0, 50))
def test_missing_factor_names_a_true_factor(base: str, factor: str, seed: int) -> None:
    prev = f"({base})*({factor})"
    text = f"symbols:\n  tau: positive\nsteps:\n  - {prev}\n  - {base}\n"
    step = verify_text(text, "p.yaml", seed=seed).chains[0].steps[1]
    assert step.status == "invalid"
    notes = {d.kind: d for d in step.diagnoses}
    assert "missing-factor" in notes, step.diagnoses
    named = notes["missing-factor"].message.removeprefix("a factor ").split(" is missing")[0]
    # the named factor is the one left out: previous == named * this, and named == factor
    assert same(value(prev), value(f"({named})*({base})"))
    assert same(value(named), value(factor))
    fix = notes["missing-factor"].fix
    assert fix is not None and same(value(fix), value(prev))


NONZERO = ["x**2 + y**2 + 1", "exp(x) + y**2", "cosh(x) + y**4"]
OTHERS = ["sin(x)*y", "y - x**3", "0"]


def value_at(text: str, **values: int) -> mpmath.mpf:
    expr = sympy.sympify(text, locals={**SYMS, "t": sympy.Symbol("t")})
    point = {SYMS[k]: v for k, v in POINT.items()}
    point.update({sympy.Symbol(k) if k == "t" else SYMS[k]: sympy.Integer(v) for k, v in values.items()})
    with mpmath.workdps(60):
        return mpmath.mpf(sympy.N(expr.subs(point), 60))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(NONZERO), other=st.sampled_from(OTHERS), seed=st.integers(0, 50))
def test_special_case_values_are_true(base: str, other: str, seed: int) -> None:
    # previous - this = (t - 1)*base with base > 0: holds exactly when t = 1, whatever x, y are
    prev, cur = f"t*({base}) + {other}", f"{base} + {other}"
    text = f'symbols:\n  t: "{{0, 1}}"\nsteps:\n  - {prev}\n  - {cur}\n'
    step = verify_text(text, "s.yaml", seed=seed).chains[0].steps[1]
    notes = [d.message for d in step.diagnoses if d.kind == "special-case"]
    assert notes and notes[0].startswith("holds only when t = 1"), step.diagnoses
    assert same(value_at(prev, t=1), value_at(cur, t=1))
    assert not same(value_at(prev, t=0), value_at(cur, t=0))
    # and no other value of x or y tried (0, 1, -1) makes the steps equal at this point
    for name in ("x", "y"):
        for v in (0, 1, -1):
            assert not same(value_at(prev, t=0, **{name: v}), value_at(cur, t=0, **{name: v}))
