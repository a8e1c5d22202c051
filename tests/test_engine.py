"""Verdicts (SPEC §6): proved, tested, invalid, error, timeout; claims and coverage."""

from __future__ import annotations

import pytest
import sympy

from derivcheck.budget import Budget, Timeout, time_limit
from derivcheck.context import Context
from derivcheck.engine import Engine
from derivcheck.model import Scope, Text

from conftest import check, statuses


def test_proved_and_start() -> None:
    r = check("steps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n")
    assert statuses(r) == [["start", "proved"]]
    assert r.status == "valid"


def test_invalid_has_a_verified_counterexample() -> None:
    r = check("steps:\n  - (x + 1)**2\n  - x**2 + 1\n")
    step = r.chains[0].steps[1]
    assert step.status == "invalid" and r.status == "invalid"
    cex = step.counterexample
    assert cex is not None
    x = sympy.Rational(str(cex.values["x"]))
    assert abs(float((x + 1) ** 2) - cex.left) < 1e-9
    assert abs(float(x**2 + 1) - cex.right) < 1e-9


def test_tested_when_no_proof_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    import derivcheck.engine as engine

    monkeypatch.setattr(engine, "prove_equal", lambda *a, **k: False)
    r = check("steps:\n  - sin(x)**2 + cos(x)**2\n  - 1\n")
    step = r.chains[0].steps[1]
    assert step.status == "tested"
    assert step.points > 0 and f"{step.points} sampled points" in (step.message or "")


def test_timeout_when_nothing_is_decided_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import derivcheck.engine as engine

    def slow(*args: object, **kwargs: object) -> None:
        raise Timeout()

    monkeypatch.setattr(engine.Engine, "screen", slow)
    r = check("steps:\n  - x\n  - x\n")
    assert statuses(r) == [["start", "timeout"]]
    assert r.status == "unknown"


def test_a_real_time_budget_interrupts_sympy() -> None:
    with pytest.raises(Timeout):
        with time_limit(0.2):
            while True:  # SymPy work that never ends on its own
                sympy.expand((sympy.Symbol("x") + 1) ** 40)


def test_budget_check() -> None:
    b = Budget(0.0)
    with pytest.raises(Timeout):
        b.check()


def test_error_step_names_the_line() -> None:
    r = check("steps:\n  - x\n  - y(1 - y)\n")
    step = r.chains[0].steps[1]
    assert step.status == "error" and "line 3" in (step.message or "") and "y*(1 - y)" in (step.message or "")
    assert r.status == "error"


def test_steps_after_an_error_compare_with_the_last_good_step() -> None:
    r = check("steps:\n  - x + x\n  - foo(x)\n  - 2*x\n")
    assert statuses(r) == [["start", "error", "proved"]]


def test_domains_decide_equality() -> None:
    text = "symbols:\n  x: {d}\nsteps:\n  - sqrt(x**2)\n  - x\n"
    assert check(text.format(d="positive")).status == "valid"
    assert check(text.format(d="real")).status == "invalid"
    assert check(text.format(d='"[0, 3]"')).status == "valid"


def test_finite_set_symbols_are_split_for_the_proof() -> None:
    r = check('symbols:\n  t: "{0, 1}"\nsteps:\n  - t**2\n  - t\n')
    assert statuses(r) == [["start", "proved"]]


def test_given_substitution_and_filters() -> None:
    r = check("symbols:\n  t: real\nsteps:\n  - t*x\n  - expr: x\n    given: t == 1\n")
    assert r.status == "valid"
    r = check("steps:\n  - Abs(x)\n  - expr: x\n    given: x > 0\n")
    assert r.status == "valid"
    r = check("given: x < 0\nsteps:\n  - Abs(x)\n  - -x\n")
    assert r.status == "valid"


def test_domain_change_note() -> None:
    r = check('symbols:\n  t: "{0, 1}"\nsteps:\n  - (-t/y + (1 - t)/(1 - y))*y*(1 - y)\n  - y - t\n')
    step = r.chains[0].steps[1]
    assert step.status in ("proved", "tested")
    assert [n.kind for n in step.notes] == ["domain-change"]


def test_same_seed_same_report_other_seed_other_points() -> None:
    text = "steps:\n  - (x + 1)**2\n  - x**2 + 1\n"
    a, b = check(text, seed=1), check(text, seed=1)
    assert a.chains[0].steps[1].counterexample == b.chains[0].steps[1].counterexample
    c = check(text, seed=2)
    assert c.chains[0].steps[1].counterexample != a.chains[0].steps[1].counterexample


SOFTMAX = """\
indices: {k: K, T: K, m: K}
sizes: {K: [2, 3]}
symbols:
  z[k]: real
define:
  y[k]: exp(z[k]) / Sum(exp(z[m]), (m, 1, K))
  t[k]: KroneckerDelta(k, T)
  L: -Sum(t[m]*log(y[m]), (m, 1, K))
claim: Derivative(L, z[k]) = y[k] - t[k]
"""


def test_indexed_claim_and_complete_coverage() -> None:
    r = check(
        SOFTMAX
        + """\
cases:
  - given: T == k
    steps:
      - Derivative(L, z[k])
      - y_k - 1
      - y_k - t_k
  - given: T != k
    steps:
      - Derivative(L, z[k])
      - y_k
      - y_k - t_k
"""
    )
    assert r.status == "valid", r
    assert r.claim is not None and r.claim.status == "proved"
    assert r.coverage is not None and r.coverage.complete
    # K kept a symbol: -1/y_T * y_k*(1 - y_k) with T = k is y_k - 1 for every K
    assert r.chains[0].steps[1].message == "proved for every K" and r.chains[0].steps[1].general is True
    # T == k and T != k: every equality pattern of (k, T), and K = 3 realizes both
    assert r.coverage.general is True


def test_missing_case_is_reported_with_an_example() -> None:
    r = check(SOFTMAX + "cases:\n  - given: T == k\n    steps:\n      - Derivative(L, z[k])\n      - y_k - t_k\n")
    assert r.status == "invalid"
    assert r.coverage is not None and not r.coverage.complete
    assert r.coverage.uncovered[0].startswith("T != k")


def test_case_statement_wrong_in_one_case_only() -> None:
    r = check(SOFTMAX + "steps:\n  - Derivative(L, z[k])\n  - y_k - 1\n")
    assert statuses(r) == [["start", "invalid"]]
    values = r.chains[0].steps[1].counterexample.values
    assert values["T"] != values["k"]


def test_claim_that_does_not_match_the_chain() -> None:
    r = check("claim: x**2 = 2*x\nsteps:\n  - x**2\n  - x*x\n")
    assert r.claim is not None and r.claim.status == "invalid"
    assert "end with the claim's right side" in r.claim.message
    assert r.status == "invalid"


def test_finite_set_coverage() -> None:
    base = 'symbols:\n  t: "{0, 1}"\nclaim: t*x = t*x\ncases:\n'
    one = "  - given: t == 1\n    steps: [t*x, x]\n"
    zero = "  - given: t == 0\n    steps: [t*x, 0]\n"
    assert check(base + one + zero).coverage.complete
    partial = check(base + one)
    assert not partial.coverage.complete and "t = 0" in partial.coverage.uncovered[0]


def test_engine_compare_directly() -> None:
    ctx = Context(Scope(define={"y": Text("sigma(z)", 1)}))
    engine = Engine(ctx, seed=0, timeout=5)
    v = engine.compare(ctx.parse("Derivative(y, z)", 1), ctx.parse("y*(1 - y)", 1))
    assert v.status == "proved"
    v = engine.compare(ctx.parse("Derivative(y, z)", 1), ctx.parse("y*(1 + y)", 1))
    assert v.status == "invalid" and v.counterexample is not None


def test_no_false_counterexample_from_cancellation() -> None:
    r = check("steps:\n  - exp(40*x**2) + 1 - exp(40*x**2)\n  - 1\n")
    assert r.chains[0].steps[1].status in ("proved", "tested")


@pytest.mark.parametrize(
    "text",
    [
        # |x| = x for x > 0
        "steps:\n  - Abs(x)\n  - expr: x\n    given: x > 0\n",
        # sqrt(x^2) = |x| = -x for x < -2
        "given: x < -2\nsteps:\n  - sqrt(x**2)\n  - -x\n",
        # log(x^2) = 2 log|x| = 2 log x for x > 0
        "steps:\n  - log(x**2)\n  - expr: 2*log(x)\n    given: x > 0\n",
        # x in (-1, 1) and x >= 1/2: sqrt(x^2) = x
        'symbols:\n  x: "(-1, 1)"\nsteps:\n  - sqrt(x**2)\n  - expr: x\n    given: x >= 1/2\n',
    ],
)
def test_a_given_inequality_is_used_by_the_proof(text: str) -> None:
    r = check(text)
    assert statuses(r)[0][1] == "proved", r


def test_a_given_inequality_never_proves_beyond_its_region() -> None:
    # |x - 1| = x - 1 needs x >= 1; given x > 0 leaves x = 1/2 where 1/2 != -1/2
    r = check("steps:\n  - Abs(x - 1)\n  - expr: x - 1\n    given: x > 0\n")
    assert statuses(r)[0][1] == "invalid"
    # sqrt(x^2) = x given x > -1: x = -1/2 gives 1/2 != -1/2
    r = check("steps:\n  - sqrt(x**2)\n  - expr: x\n    given: x > -1\n")
    assert statuses(r)[0][1] == "invalid"
