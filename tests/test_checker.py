"""Chains, claims and conditions (SPEC §5): a claim is established only for what the chains show.

Each fixture under ``tests/data/soundness/claims/`` says in a comment why the
claim is or is not shown (a short proof); numeric facts are checked here with
mpmath at 60 digits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
from conftest import check, statuses

from derivcheck.api import verify_file
from derivcheck.report import github_lines
from derivcheck.sarif import sarif_log

DATA = Path(__file__).parent / "data" / "soundness" / "claims"
SEEDS = (0, 3, 11)
mpmath.mp.dps = 60


def run(name: str, seed: int = 0):  # type: ignore[no-untyped-def]
    return verify_file(DATA / name, seed=seed)


# -- 1. a step-level given narrows the rest of its chain -----------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_step_given_does_not_prove_the_claim(seed: int) -> None:
    # at x = -1: Abs(x) = 1 but the claim's right side is -1, so the claim is false there
    assert mpmath.fabs(mpmath.mpf(-1)) != mpmath.mpf(-1)
    r = run("step_given_abs.yaml", seed)
    assert statuses(r) == [["start", r.chains[0].steps[1].status]] and r.chains[0].steps[1].status in ("proved", "tested")
    assert r.status == "invalid"
    assert r.claim is not None and r.claim.status == "invalid"
    assert r.coverage is not None and not r.coverage.complete
    example = r.coverage.uncovered[0]
    assert "x <= 0" in example
    x = Fraction(example.split("=")[1].split("(")[0].strip())
    xm = mpmath.mpf(x.numerator) / x.denominator
    assert x < 0 and mpmath.fabs(xm) != xm  # a point where the claim is actually false
    assert [n.kind for n in r.coverage.notes] == ["narrowed"] and "x > 0" in r.coverage.notes[0].message


def test_step_given_index_relation_leaves_the_other_combinations() -> None:
    # the chain derives t[k] = delta(k, T) only where T == k: every pair with T != k is left
    r = run("step_given_index.yaml")
    assert r.status == "invalid" and r.coverage is not None
    assert r.coverage.uncovered and all(u.startswith("T != k") for u in r.coverage.uncovered)
    # K = 2, T = 1, k = 2 is one of them
    assert "T != k: K = 2, T = 1, k = 2" in r.coverage.uncovered


def test_step_given_value_of_a_finite_set_leaves_the_other_values() -> None:
    # 0**2 = 0 holds, but the chain substitutes t = 1: t = 0 is never derived
    r = run("step_given_subst.yaml")
    assert r.status == "invalid" and r.coverage is not None and r.coverage.uncovered == ["t = 0"]


@pytest.mark.parametrize("seed", SEEDS)
def test_implied_step_given_narrows_nothing(seed: int) -> None:
    # x > 1 implies x > 0; and x > 1, 0 <= x <= 1, x < 0 cover the line
    r = run("step_given_implied.yaml", seed)
    assert r.status == "valid", r.to_json()
    assert r.coverage is not None and r.coverage.complete
    assert not any(n.kind == "narrowed" for n in r.coverage.notes)


def test_narrowed_chain_counts_as_a_case() -> None:
    # the first case shows the claim on [0, oo) (its step given), the second on (-oo, 0)
    r = run("step_given_covered.yaml")
    assert r.status == "valid", r.to_json()
    assert r.coverage is not None and r.coverage.complete
    assert [n.kind for n in r.coverage.notes] == ["narrowed"]


def test_claim_end_is_compared_under_the_last_steps_conditions() -> None:
    # under t == 1 the last step 1 equals t; without that condition it would not (t = 0)
    ends = {s.what: s.status for s in _sides("step_given_subst.yaml")}
    assert ends["start"] in ("proved", "tested") and ends["end"] in ("proved", "tested")
    r = run("step_given_subst.yaml")
    assert r.claim is not None and r.claim.cause == "coverage"  # wrong only for want of t = 0


def _sides(name: str):  # type: ignore[no-untyped-def]
    from derivcheck.api import context_for
    from derivcheck.checker import DerivationChecker
    from derivcheck.loader import load_text
    from derivcheck.results import FileResult

    deriv = load_text((DATA / name).read_text(), name)
    checker = DerivationChecker(deriv, context_for(deriv))
    checker.run(FileResult(name))
    return checker.claim_sides


def test_no_coverage_without_cases_or_narrowing() -> None:
    r = check("claim: (x + 1)**2 = x**2 + 2*x + 1\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n")
    assert r.status == "valid" and r.coverage is None


# -- 2. conditions that can never hold are errors naming them ---------------------------------


def _error_steps(r):  # type: ignore[no-untyped-def]
    return [s for c in r.chains for s in c.steps if s.status == "error"]


def test_index_condition_outside_its_range() -> None:
    # k ranges over 1..K, so k == 0 holds for no combination
    r = run("unsat_index_zero.yaml")
    assert r.status == "error"
    errors = _error_steps(r)
    assert len(errors) == 2 and all("'k == 0'" in (s.message or "") and "line 5" in (s.message or "") for s in errors)
    assert not any(s.status == "proved" for c in r.chains for s in c.steps)


def test_contradicting_index_relations() -> None:
    # T == k (file) and T != k (case) have no common combination
    r = run("unsat_index_pair.yaml")
    assert r.status == "error"
    msg = _error_steps(r)[0].message or ""
    assert "'T != k'" in msg and "'T == k'" in msg and "line 6" in msg


def test_step_condition_outside_the_declared_interval() -> None:
    # x in (0, 1): x > 1 is empty; that step and the ones after it are in error
    r = run("unsat_interval_step.yaml")
    assert r.status == "error"
    steps = r.chains[0].steps
    assert [s.status for s in steps] == ["start", "error", "error"]
    assert "'x > 1'" in (steps[1].message or "") and "line 6" in (steps[1].message or "") and "(0, 1)" in (steps[1].message or "")


def test_two_bounds_that_exclude_each_other() -> None:
    # no real x has x > 2 and x < 1
    r = run("unsat_two_bounds.yaml")
    assert r.status == "error"
    assert r.chains[0].steps[0].status == "error" and "'x < 1'" in (r.chains[0].steps[0].message or "")
    assert "'x > 2'" in (r.chains[0].steps[0].message or "")
    assert r.chains[1].steps[1].status in ("proved", "tested")  # the other case is still checked


def test_value_outside_a_finite_set_is_a_file_error() -> None:
    # t in {0, 1}: t == 2 never holds (and would make t*x = 2*x look proved)
    r = run("unsat_finite.yaml")
    assert r.status == "error" and r.error is not None
    assert "'t == 2'" in r.error.message and r.error.line == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_step_given_index_out_of_range_is_never_proved(seed: int) -> None:
    # k == 0 on a step: the transition would otherwise be "proved" over no combination at all
    r = check(
        """\
        indices: {k: K}
        steps:
          - x[k]
          - expr: 5*x[k]
            given: k == 0
        """,
        seed=seed,
    )
    assert r.status == "error" and r.chains[0].steps[1].status == "error"
    assert "'k == 0'" in (r.chains[0].steps[1].message or "")


# -- reports -------------------------------------------------------------------------------


def test_text_report_prints_coverage_notes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", str(DATA / "cover_point_gap.yaml")],
        capture_output=True, text=True, check=False, env={**os.environ, "NO_COLOR": "1"}, timeout=120,
    ).stdout
    assert "coverage-gap" in out and "x = 3" in out


def test_uncovered_claim_is_one_problem_in_github_and_sarif() -> None:
    r = run("step_given_abs.yaml")
    lines = [l for l in github_lines([r]) if "::error" in l]
    assert len(lines) == 1 and "x <= 0" in lines[0]
    results = sarif_log([r])["runs"][0]["results"]
    assert [res["ruleId"] for res in results] == ["DC205"]
    assert results[0]["level"] == "error"


def test_json_report_of_a_narrowed_file() -> None:
    doc = json.loads(
        subprocess.run(
            [sys.executable, "-m", "derivcheck", "verify", "--format", "json", str(DATA / "step_given_abs.yaml")],
            capture_output=True, text=True, check=False, timeout=120,
        ).stdout
    )
    f = doc["files"][0]
    assert f["status"] == "invalid" and f["coverage"]["complete"] is False
    assert f["coverage"]["notes"][0]["kind"] == "narrowed"


# -- 5. grading: a narrowed chain costs missing_case --------------------------------------

KEY = """\
assignment: T
questions:
  q1:
    points: 10
    claim: Abs(x) = x
  q2:
    points: 10
    symbols: {t: "{0, 1}"}
    claim: t**2 = t
"""


def test_grading_deducts_missing_case_for_a_narrowed_chain(tmp_path: Path) -> None:
    from derivcheck.grading import batch as G
    from derivcheck.grading.key import load_key

    (tmp_path / "key.yaml").write_text(KEY)
    (tmp_path / "s1.yaml").write_text(
        "answers:\n"
        "  q1:\n    steps:\n      - Abs(x)\n      - expr: x\n        given: x > 0\n"
        "  q2:\n    steps:\n      - t**2\n      - expr: 1\n        given: t == 1\n      - t\n"
    )
    (tmp_path / "s2.yaml").write_text(
        "answers:\n"
        "  q1:\n    cases:\n      - given: x >= 0\n        steps: [Abs(x), x]\n"
        "  q2:\n    cases:\n      - given: t == 1\n        steps: ['t**2', '1', 't']\n"
        "      - given: t == 0\n        steps: ['t**2', '0', 't']\n"
    )
    key = load_key(tmp_path / "key.yaml")
    g1 = G.grade_submission("s1", tmp_path / "s1.yaml", key)
    for q in ("q1", "q2"):
        kinds = [d.kind for d in g1.questions[q].deductions]
        assert kinds == ["missing_case"], (q, kinds)
        assert g1.questions[q].score == 5
    # s2: q1 covers only x >= 0 (Abs(-1) = 1 != -1 is never shown), q2 covers {0, 1}
    g2 = G.grade_submission("s2", tmp_path / "s2.yaml", key)
    assert [d.kind for d in g2.questions["q1"].deductions] == ["missing_case"]
    assert g2.questions["q2"].deductions == [] and g2.questions["q2"].score == 10


def test_grading_does_not_deduct_for_undecided_coverage(tmp_path: Path) -> None:
    from derivcheck.grading import batch as G
    from derivcheck.grading.key import load_key

    (tmp_path / "key.yaml").write_text("assignment: T\nquestions:\n  q1:\n    points: 10\n    claim: x + y = y + x\n")
    (tmp_path / "s.yaml").write_text("answers:\n  q1:\n    cases:\n      - given: floor(x) > y\n        steps: [x + y, y + x]\n")
    g = G.grade_submission("s", tmp_path / "s.yaml", load_key(tmp_path / "key.yaml"))
    q = g.questions["q1"]
    assert q.deductions == [] and any("could not be decided" in r for r in q.review)
    # the student's feedback says why, instead of an empty "Cases not covered:"
    from derivcheck.grading.outputs import chain_md

    assert q.result is not None
    text = "\n".join(chain_md(q.result))
    assert "Cases not covered" not in text and "not established" in text


def test_two_symbol_condition_excluded_by_the_declared_signs() -> None:
    # x > 0 > y, so x < y never holds: the step is in error, not vacuously proved
    r = check(
        """\
        symbols: {x: positive, y: negative}
        steps:
          - x
          - expr: 7*x
            given: x < y
        """
    )
    assert r.status == "error" and r.chains[0].steps[1].status == "error"
    assert "'x < y'" in (r.chains[0].steps[1].message or "")
