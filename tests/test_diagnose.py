"""Diagnoses of invalid steps (SPEC §7): every kind on two or more derivations, no false ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck.api import verify_text
from derivcheck.cli import main
from derivcheck.diagnose import split_top, strip_parens
from derivcheck.results import FileResult
from derivcheck.rules import KINDS

ROOT = Path(__file__).resolve().parent.parent

STUDENT = """
symbols:
  x_j: real
  w_j: real
  r: real
  t: "{0, 1}"
define:
  z: w_j*x_j + r
  y: sigma(z)
  L: -t*log(y) - (1 - t)*log(1 - y)
steps:
  - Derivative(L, w_j)
  - Derivative(L, y) * Derivative(y, z) * Derivative(z, w_j)
  - (-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j
  - (-t*(1 - y) + y*(1 - t)) * x_j
  - (-t + t*y + y - t*y) * x_j
  - (y - t)*x_j
"""

_cache: dict[str, FileResult] = {}


def run(text: str) -> FileResult:
    if text not in _cache:
        _cache[text] = verify_text(textwrap.dedent(text), "test.yaml")
    return _cache[text]


def diagnoses(text: str, index: int, chain: int = 0) -> dict[str, str]:
    """kind -> message of the diagnoses of step ``index``."""
    result = run(text)
    assert result.error is None, result.error
    step = result.chains[chain].steps[index - 1]
    assert step.status == "invalid", (step.status, step.message)
    for d in step.diagnoses:
        assert d.kind in KINDS, d.kind
    return {d.kind: d.message for d in step.diagnoses}


def fix_of(text: str, index: int, kind: str) -> str | None:
    step = run(text).chains[0].steps[index - 1]
    return next(d.fix for d in step.diagnoses if d.kind == kind)


# -- sign-error --------------------------------------------------------------------------------


def test_sign_error_whole_step() -> None:
    text = """
    steps:
      - -(1 - sigma(z))
      - 1 - sigma(z)
    """
    found = diagnoses(text, 2)
    assert "minus the previous one" in found["sign-error"]
    assert fix_of(text, 2, "sign-error") == "-(1 - sigma(z))"


def test_sign_error_derivative_of_cos() -> None:
    text = """
    steps:
      - Derivative(cos(x), x)
      - sin(x)
    """
    assert "sign-error" in diagnoses(text, 2)
    assert fix_of(text, 2, "sign-error") == "-sin(x)"


def test_sign_error_one_term() -> None:
    text = """
    steps:
      - x**2 - 3*x
      - x**2 + 3*x
    """
    found = diagnoses(text, 2)
    assert "the term 3*x has the wrong sign: it should be -3*x" in found["sign-error"]
    assert fix_of(text, 2, "sign-error") == "x**2 - 3*x"


# -- constant-factor -----------------------------------------------------------------------------


def test_constant_factor_two() -> None:
    text = """
    define:
      L: (w*x - t)**2 / 2
    steps:
      - Derivative(L, w)
      - 2*(w*x - t)*x
    """
    found = diagnoses(text, 2)
    assert found["constant-factor"] == "this step is 2 times the previous one: remove the factor 2"
    assert fix_of(text, 2, "constant-factor") == "(w*x - t) * x"


def test_constant_factor_missing_third() -> None:
    text = """
    steps:
      - Derivative(x**3, x)
      - x**2
    """
    assert "a factor 3 is missing" in diagnoses(text, 2)["constant-factor"]


def test_constant_factor_inner_derivative_forgotten() -> None:
    text = """
    steps:
      - Derivative(sin(2*x), x)
      - cos(2*x)
    """
    assert "1/2 times the previous one: a factor 2 is missing" in diagnoses(text, 2)["constant-factor"]


# -- reciprocal ----------------------------------------------------------------------------------


def test_reciprocal_tanh() -> None:
    text = """
    steps:
      - Derivative(tanh(z), z)
      - 1 - tanh(z)**2
      - cosh(z)**2
    """
    found = diagnoses(text, 3)
    assert "it should be 1/cosh(z)**2" in found["reciprocal"]
    assert list(found) == ["reciprocal"]  # z = 0 makes both 1: no accidental special-case


def test_reciprocal_log() -> None:
    text = """
    symbols: {x: positive}
    steps:
      - Derivative(log(x), x)
      - x
    """
    assert "it should be 1/x" in diagnoses(text, 2)["reciprocal"]


# -- dropped-term / extra-term -------------------------------------------------------------------


def test_dropped_term_as_written() -> None:
    text = """
    symbols:
      lam: positive
    define:
      y: w*x + b
      L: (y - t)**2/2 + lam*w**2/2
    steps:
      - Derivative(L, w)
      - Derivative(L, y)*Derivative(y, w) + lam*w
      - (y - t)*x + lam*w
      - (y - t)*x
    """
    assert "the term lam*w of the previous step was dropped" in diagnoses(text, 4)["dropped-term"]
    assert fix_of(text, 4, "dropped-term") == "(y - t)*x + lam*w"


def test_dropped_constant_term() -> None:
    text = """
    steps:
      - Derivative(x**2 + 3*x + 1, x)
      - 2*x + 3
      - 2*x
    """
    assert "the term 3 of the previous step" in diagnoses(text, 3)["dropped-term"]


def test_dropped_term_of_the_expansion() -> None:
    text = """
    steps:
      - Derivative(x**2 + sin(x), x)
      - 2*x
    """
    assert "the term cos(x)" in diagnoses(text, 2)["dropped-term"]


def test_extra_term() -> None:
    text = """
    steps:
      - 2*x
      - 2*x + 1
    """
    assert "the term 1 does not come from the previous step" in diagnoses(text, 2)["extra-term"]
    assert fix_of(text, 2, "extra-term") == "2*x"


def test_extra_term_product_rule() -> None:
    text = """
    steps:
      - Derivative(x*exp(x), x)
      - exp(x) + x*exp(x) + x
    """
    assert "the term x does not come" in diagnoses(text, 2)["extra-term"]
    assert fix_of(text, 2, "extra-term") == "exp(x) + x*exp(x)"


# -- wrong-factor --------------------------------------------------------------------------------


def test_wrong_factor_student() -> None:
    found = diagnoses(STUDENT, 3)
    assert found["wrong-factor"] == (
        "the factor Derivative(L, y) should be -t/y + (1 - t)/(1 - y), not -1/y + (1 - t)/(1 - y)"
    )
    assert fix_of(STUDENT, 3, "wrong-factor") == "(-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j"


def test_wrong_factor_sigmoid_unit() -> None:
    text = """
    define:
      u: w*x + b
      a: sigma(u)
    steps:
      - Derivative(a, w)
      - Derivative(a, u) * Derivative(u, w)
      - sigma(u)*(1 - sigma(u)) * w
    """
    assert diagnoses(text, 3)["wrong-factor"] == "the factor Derivative(u, w) should be x, not w"


def test_wrong_factor_inner_derivative() -> None:
    text = """
    steps:
      - Derivative(sin(x**2), x)
      - cos(x**2) * Derivative(x**2, x)
      - cos(x**2) * x
    """
    assert "the factor Derivative(x**2, x) should be 2*x, not x" in diagnoses(text, 3)["wrong-factor"]


# -- case-only -----------------------------------------------------------------------------------


def test_case_only_softmax() -> None:
    text = """
    indices: {k: K, T: K, m: K}
    symbols:
      z[k]: real
    define:
      y[k]: exp(z[k]) / Sum(exp(z[m]), (m, 1, K))
    steps:
      - Derivative(y[T], z[k])
      - y_k*(1 - y_k)
    """
    found = diagnoses(text, 2)
    assert "holds only when T = k" in found["case-only"]
    assert "given: T == k" in found["case-only"]


def test_case_only_not_equal() -> None:
    text = """
    indices: {k: K, T: K}
    symbols:
      z[k]: real
    steps:
      - Derivative(z[T]*z[k], z[k])
      - z_T
    """
    assert "holds only when T != k" in diagnoses(text, 2)["case-only"]


# -- special-case --------------------------------------------------------------------------------


def test_special_case_student() -> None:
    # previous - this = (1 - t)*(1 - y)*x_j (y = sigma(z) < 1): zero exactly when t = 1 or x_j = 0,
    # and at x_j = 0 both steps are 0, so the message names that value apart
    found = diagnoses(STUDENT, 3)
    assert found["special-case"] == (
        "holds only when t = 1 (apart from x_j = 0, where both steps are 0) — a factor t is likely missing"
    )


def test_special_case_finite_symbol() -> None:
    # 2*t*x - 2*x = 2*x*(t - 1): zero when t = 1, or x = 0 where both steps are 0
    text = """
    symbols: {t: "{0, 1}"}
    steps:
      - Derivative(t*x**2, x)
      - 2*x
    """
    assert diagnoses(text, 2)["special-case"] == (
        "holds only when t = 1 (apart from x = 0, where both steps are 0) — a factor t is likely missing"
    )


def test_special_case_term_in_symbol() -> None:
    # (x + t*y) - x = t*y: zero when t = 0 and also when y = 0, so never "only when t = 0"
    text = """
    symbols: {t: "{0, 1}"}
    steps:
      - x + t*y
      - x
    """
    found = diagnoses(text, 2)
    assert found["special-case"] == "holds when t = 0 or y = 0, and not in general"
    assert "dropped-term" in found


def test_special_case_real_symbol() -> None:
    # a*exp(x) + 1 - (exp(x) + 1) = (a - 1)*exp(x): zero only when a = 1 (exp(x) > 0)
    text = """
    steps:
      - Derivative(a*exp(x), x) + 1
      - exp(x) + 1
    """
    assert diagnoses(text, 2)["special-case"] == "holds when a = 1 but not in general — a factor a is likely missing"


def test_special_case_ignores_a_value_that_zeroes_both_steps() -> None:
    # x_j = 0 makes both steps 0: not "holds only when x_j = 0"
    assert all(not m.startswith("holds only when x_j") for k, m in diagnoses(STUDENT, 3).items() if k == "special-case")


# -- slip / after-slip -----------------------------------------------------------------------------


def test_slip_student() -> None:
    assert "slip" in diagnoses(STUDENT, 3)
    assert list(diagnoses(STUDENT, 4)) == ["after-slip"]
    statuses = [s.status for s in run(STUDENT).chains[0].steps]
    assert statuses == ["start", "proved", "invalid", "invalid", "proved", "proved"]


def test_slip_expansion() -> None:
    text = """
    steps:
      - (x + 1)**2
      - x**2 + 2*x + 2
      - x**2 + 2*x + 1
      - (x + 1)*(x + 1)
    """
    assert "step 3 follows from step 1" in diagnoses(text, 2)["slip"]
    assert diagnoses(text, 3) == {"after-slip": "fails only because step 2 is a slip: this step follows from step 1"}


def test_no_slip_when_the_error_is_carried_on() -> None:
    text = """
    steps:
      - (x + 1)**2
      - x**2 + 2*x + 2
      - 2 + 2*x + x**2
    """
    assert "slip" not in diagnoses(text, 2)


# -- no false diagnoses ----------------------------------------------------------------------------


def test_correct_steps_get_no_diagnosis() -> None:
    text = """
    steps:
      - Derivative(x**3 + sin(x), x)
      - 3*x**2 + cos(x)
    """
    result = run(text)
    assert result.status == "valid"
    assert all(not s.diagnoses for c in result.chains for s in c.steps)


def test_unrelated_wrong_step_gets_no_diagnosis() -> None:
    text = """
    steps:
      - sin(x)
      - x**3 + 7
      - 7 + x**3
    """
    assert diagnoses(text, 2) == {}
    assert not run(text).chains[0].steps[2].diagnoses


def test_diagnoses_in_json() -> None:
    step = run(STUDENT).to_json()["chains"][0]["steps"][2]
    kinds = [d["kind"] for d in step["diagnoses"]]
    assert kinds[0] == "wrong-factor" and {"special-case", "slip"} <= set(kinds)
    assert step["diagnoses"][0]["fix"].startswith("(-t/y")


# -- text helpers ----------------------------------------------------------------------------------


def test_split_top_level() -> None:
    text = "(-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j**2"
    assert [text[a:b].strip() for a, b in split_top(text, "*")] == [
        "(-1/y + (1 - t)/(1 - y))",
        "y",
        "(1 - y)",
        "x_j**2",
    ]
    text = "-a*b + c**-1 - (d - e)"
    assert [text[a:b].strip() for a, b in split_top(text, "+-")] == ["-a*b", "+ c**-1", "- (d - e)"]
    text = "a*e - y + 1e-5"
    assert [text[a:b].strip() for a, b in split_top(text, "+-")] == ["a*e", "- y", "+ 1e-5"]
    assert strip_parens("(a + b)") == "a + b"
    assert strip_parens("(a)*(b)") == "(a)*(b)"


# -- docs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_explained(kind: str) -> None:
    out = CliRunner().invoke(main, ["explain", kind])
    assert out.exit_code == 0, out.output
    assert out.output.startswith(kind + ":")
    assert len(out.output) > 120
    assert f"### `{kind}`" in (ROOT / "docs" / "diagnoses.md").read_text(encoding="utf-8")


def test_explain_lists_every_kind_and_refuses_unknown() -> None:
    out = CliRunner().invoke(main, ["explain"])
    assert out.exit_code == 0
    for kind in KINDS:
        assert kind in out.output
    bad = CliRunner().invoke(main, ["explain", "typo-kind"])
    assert bad.exit_code == 2


def test_kinds_are_those_of_the_spec() -> None:
    spec = {
        "special-case", "case-only", "sign-error", "constant-factor", "dropped-term",
        "extra-term", "reciprocal", "wrong-factor", "slip", "after-slip", "missing-factor", "extra-derivative",
    }
    assert set(KINDS) == spec


def test_latex_products_split_at_top_level_cdot() -> None:
    from derivcheck.diagnose import split_latex_product

    assert split_latex_product(r"\left(a \cdot b\right) \cdot y(1-y) \times x_j") == [r"\left(a \cdot b\right)", "y(1-y)", "x_j"]
    assert split_latex_product(r"\{a \cdot b\} \cdot c") == [r"\{a \cdot b\}", "c"]
    assert split_latex_product(r"\frac{a \cdot b}{c}") == [r"\frac{a \cdot b}{c}"]
    assert split_latex_product(r"a \cdotp b") == [r"a \cdotp b"]
