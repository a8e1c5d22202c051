"""The new kinds are registered everywhere a kind is: explain, SARIF, docs, grading, examples."""

from __future__ import annotations

from fractions import Fraction

import pytest
from click.testing import CliRunner

from derivcheck.grading import batch as G
from derivcheck.cli import main
from derivcheck.grading.key import Answer, load_key
from derivcheck.grading.outputs import common_mistakes
from derivcheck.results import (
    INVALID,
    PROVED,
    START,
    ChainResult,
    ClaimResult,
    FileResult,
    Note,
    StepResult,
)
from derivcheck.rules import KINDS
from derivcheck.sarif import RULE_BY_KIND, sarif_log

from .helpers import ROOT, step_diagnoses

NEW = ("missing-factor", "extra-derivative")


@pytest.mark.parametrize("kind", NEW)
def test_explain(kind: str) -> None:
    out = CliRunner().invoke(main, ["explain", kind])
    assert out.exit_code == 0, out.output
    assert out.output.startswith(f"{kind}: ")
    assert "Example:" in out.output
    assert f"### `{kind}`" in (ROOT / "docs" / "diagnoses.md").read_text(encoding="utf-8")


def test_sarif_codes_are_new_and_stable() -> None:
    assert RULE_BY_KIND["missing-factor"].id == "DC111"
    assert RULE_BY_KIND["extra-derivative"].id == "DC112"
    # the published codes did not move
    published = {
        "special-case": "DC101", "case-only": "DC102", "sign-error": "DC103", "constant-factor": "DC104",
        "dropped-term": "DC105", "extra-term": "DC106", "reciprocal": "DC107", "wrong-factor": "DC108",
        "slip": "DC109", "after-slip": "DC110",
    }
    assert {k: RULE_BY_KIND[k].id for k in published} == published
    assert set(KINDS) <= set(RULE_BY_KIND)


@pytest.mark.parametrize("kind, code", [("missing-factor", "DC111"), ("extra-derivative", "DC112")])
def test_sarif_result_uses_the_kind_rule(kind: str, code: str) -> None:
    step = StepResult(3, 12, "x", INVALID, message="not equal", diagnoses=[Note(kind, f"{kind} found")])
    log = sarif_log([FileResult("d.yaml", status="invalid", chains=[ChainResult([], [step])])])
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [code]
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert code in rules and results[0]["ruleIndex"] == rules.index(code)


@pytest.mark.parametrize("kind", NEW)
def test_grading_deducts_an_ordinary_invalid_step_and_counts_the_kind(kind: str) -> None:
    key = load_key(ROOT / "examples" / "int305" / "key.yaml")
    q = key.questions["q1"]
    from derivcheck.model import Chain, Derivation, Step

    answer = Answer(q.id, derivation=Derivation("s.yaml", q.scope, [Chain((Step("x", 1),))], claim=q.claim))
    steps = [
        StepResult(1, 10, "a", START),
        StepResult(2, 11, "b", INVALID, message="m", diagnoses=[Note(kind, "found")]),
        StepResult(3, 12, "c", PROVED),
    ]
    r = FileResult("s.yaml", chains=[ChainResult([], steps)])
    r.claim = ClaimResult(PROVED, "claim")
    sides = [G.ClaimSide(0, "start", PROVED, "s"), G.ClaimSide(0, "end", PROVED, "e")]
    g = G.score_answer(q, answer, r, sides)
    assert [(d.kind, d.diagnosis) for d in g.deductions] == [("invalid_step", kind)]
    assert g.score == q.points - q.points * Fraction(key.deductions["invalid_step"])
    sub = G.SubmissionGrade("s1", "s1.yaml", {q.id: g})
    mistakes = dict(common_mistakes([sub]))
    assert mistakes[(kind, q.id, "step 2")] == {"s1"}


@pytest.mark.parametrize("name, index, kind", [("missing_factor.yaml", 2, "missing-factor"), ("extra_derivative.yaml", 3, "extra-derivative")])
def test_shipped_mistake_examples(name: str, index: int, kind: str) -> None:
    found = step_diagnoses(str(ROOT / "examples" / "mistakes" / name), index)
    assert kind in found and found[kind][1] is not None
