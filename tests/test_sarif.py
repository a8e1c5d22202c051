"""``verify --format sarif``: the SARIF 2.1.0 structure, checked field by field.

A full SARIF JSON schema is too big to vendor; :func:`check_sarif` checks what
SARIF consumers (GitHub code scanning among them) require of a log.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from derivcheck import __version__
from derivcheck.cli import main
from derivcheck.results import (
    ChainResult,
    ClaimResult,
    Counterexample,
    CoverageResult,
    FileError,
    FileResult,
    Note,
    StepResult,
)
from derivcheck.sarif import RULE_BY_KIND, RULES, artifact_location, render_sarif, sarif_log

SHARED_EXAMPLES = Path("/work/shared/examples")

DIAGNOSIS_KINDS = [
    "special-case", "case-only", "sign-error", "constant-factor", "dropped-term",
    "extra-term", "reciprocal", "wrong-factor", "slip", "after-slip",
]
VERDICT_PROBLEMS = ["invalid", "error", "timeout", "claim", "coverage"]


def check_sarif(log: dict[str, Any]) -> None:
    """The required structure of a SARIF 2.1.0 log, as derivcheck writes it."""
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://") and "sarif" in log["$schema"] and "2.1.0" in log["$schema"]
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "derivcheck"
        assert driver["version"] == __version__
        assert driver["informationUri"].startswith("https://")
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids)), "rule ids must be unique"
        for r in rules:
            assert r["id"].startswith("DC") and r["id"][2:].isdigit()
            for field in ("shortDescription", "fullDescription", "help"):
                assert isinstance(r[field]["text"], str) and r[field]["text"].strip()
            assert r["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        for res in run["results"]:
            assert res["ruleId"] in ids
            if "ruleIndex" in res:
                assert ids[res["ruleIndex"]] == res["ruleId"]
            assert res["level"] in {"error", "warning", "note"}
            assert isinstance(res["message"]["text"], str) and res["message"]["text"].strip()
            loc = res["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            assert "\\" not in uri
            assert not uri.startswith("/") and ":" not in uri.split("/")[0], f"uri must be relative: {uri}"
            start = loc["region"]["startLine"]
            assert isinstance(start, int) and start >= 1


def _chain(*steps: StepResult, given: list[str] | None = None, title: str | None = None) -> ChainResult:
    return ChainResult(given or [], [StepResult(1, 3, "a", "start"), *steps], title=title)


def _sample_results() -> list[FileResult]:
    """Every kind of problem, built by hand (no engine needed)."""
    diag = [
        StepResult(i + 2, 10 + i, f"x + {i}", "invalid", message="not equal",
                   counterexample=Counterexample({"x": 1.5}, 1.0, 2.0),
                   diagnoses=[Note(kind, f"{kind} found", fix="x + 1" if kind == "wrong-factor" else None)])
        for i, kind in enumerate(DIAGNOSIS_KINDS)
    ]
    return [
        FileResult("derivations/all_kinds.yaml", status="invalid", chains=[_chain(*diag)]),
        FileResult("derivations/plain.yaml", status="invalid", chains=[_chain(
            StepResult(2, 4, "2*x", "invalid", message="not equal", counterexample=Counterexample({"x": 2}, 4, 5)),
            StepResult(3, 5, "Derivative(y, q)", "error", message="ambiguous derivative"),
            StepResult(4, 6, "big", "timeout", message="no proof within 10 s"),
            StepResult(5, 7, "1 - y", "proved", notes=[Note("domain-change", "y = 0 is now allowed")]),
        )]),
        FileResult(
            "derivations/cases.yaml", status="invalid",
            claim=ClaimResult("invalid", "the chain ends with y, not the claim's right side"),
            coverage=CoverageResult(False, ["T != k: K = 2, T = 1, k = 2"] * 5),
            chains=[_chain(StepResult(2, 9, "y", "proved"), given=["T == k"])],
        ),
        FileResult("broken.yaml", status="error", error=FileError("invalid YAML: unclosed", 4)),
        FileResult("no_line.yaml", status="error", error=FileError("file is empty", None)),
    ]


def test_rules_cover_every_kind_and_verdict_with_stable_ids() -> None:
    kinds = [r.kind for r in RULES]
    for kind in DIAGNOSIS_KINDS + VERDICT_PROBLEMS:
        assert kind in kinds
    assert [RULE_BY_KIND[k].id for k in DIAGNOSIS_KINDS] == [f"DC{101 + i}" for i in range(10)]
    assert [RULE_BY_KIND[k].id for k in VERDICT_PROBLEMS] == [f"DC{201 + i}" for i in range(5)]
    assert RULE_BY_KIND["domain-change"].id == "DC301"


def test_sample_log_structure_and_rule_choice() -> None:
    log = sarif_log(_sample_results())
    check_sarif(log)
    results = log["runs"][0]["results"]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for res in results:
        by_file.setdefault(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], []).append(res)

    all_kinds = by_file["derivations/all_kinds.yaml"]
    assert [r["ruleId"] for r in all_kinds] == [f"DC{101 + i}" for i in range(10)]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in all_kinds] == list(range(10, 20))
    levels = {r["ruleId"]: r["level"] for r in all_kinds}
    assert levels["DC110"] == "warning" and levels["DC101"] == "error"
    wrong_factor = next(r for r in all_kinds if r["ruleId"] == "DC108")["message"]["text"]
    assert "fix: x + 1" in wrong_factor and "counterexample at x = 1.5" in wrong_factor

    plain = by_file["derivations/plain.yaml"]
    assert [(r["ruleId"], r["level"]) for r in plain] == [
        ("DC201", "error"), ("DC202", "error"), ("DC203", "warning"), ("DC301", "note")
    ]

    cases = by_file["derivations/cases.yaml"]
    assert [r["ruleId"] for r in cases] == ["DC204", "DC205"]
    assert "and 2 more" in cases[1]["message"]["text"]
    assert "(case T == k)" not in cases[0]["message"]["text"]

    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in by_file["broken.yaml"]] == [("DC202", 4)]
    assert by_file["no_line.yaml"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_quiet_drops_notes_only() -> None:
    loud = sarif_log(_sample_results())["runs"][0]["results"]
    quiet = sarif_log(_sample_results(), quiet=True)["runs"][0]["results"]
    assert [r for r in loud if r["level"] != "note"] == quiet
    assert any(r["level"] == "note" for r in loud)


def test_empty_run_is_valid_sarif() -> None:
    log = json.loads(render_sarif([FileResult("a.yaml")]))
    check_sarif(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_artifact_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert artifact_location("derivations/a.yaml") == {"uri": "derivations/a.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_location(str(tmp_path / "sub" / "b c.yaml"))["uri"] == "sub/b%20c.yaml"
    outside = artifact_location("/definitely/elsewhere/x.yaml")
    assert outside == {"uri": "file:///definitely/elsewhere/x.yaml"}


def test_claim_and_coverage_point_at_their_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("title: t\nindices:\n  k: K\nclaim: a = b\ncases:\n  - steps: [a]\n")
    r = FileResult("c.yaml", status="invalid", claim=ClaimResult("invalid", "no"), coverage=CoverageResult(False, ["k = 1"]))
    lines = [res["locations"][0]["physicalLocation"]["region"]["startLine"] for res in sarif_log([r])["runs"][0]["results"]]
    assert lines == [4, 5]


# -- through the command line ------------------------------------------------------------


def _verify_sarif(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["verify", "--format", "sarif", *args], env={"NO_COLOR": "1"}, catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def test_cli_sarif_on_real_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "derivations"
    d.mkdir()
    (d / "ok.yaml").write_text("steps:\n  - Derivative(x**2, x)\n  - 2*x\n")
    (d / "bad.yaml").write_text(textwrap.dedent("""\
        title: bad
        steps:
          - Derivative(x**3, x)
          - 3*x**2
          - 3*x
        """))
    (d / "typo.yaml").write_text("title: typo\nstep:\n  - x\n")
    code, log = _verify_sarif(["derivations"])
    assert code == 2
    check_sarif(log)
    found = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
             for r in log["runs"][0]["results"]}
    assert ("derivations/bad.yaml", 5, "DC201") in found or any(
        uri == "derivations/bad.yaml" and line == 5 and rule.startswith("DC1") for uri, line, rule in found
    )
    assert ("derivations/typo.yaml", 2, "DC202") in found
    assert not any(uri == "derivations/ok.yaml" for uri, _, _ in found)


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="shared examples not present")
def test_cli_sarif_on_shared_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SHARED_EXAMPLES)
    files = sorted(p.name for p in SHARED_EXAMPLES.glob("*.yaml") if p.name != "expected.yaml")
    code, log = _verify_sarif(["--timeout", "5", *files])
    assert code in (1, 2)
    check_sarif(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert "sign_error.yaml" in uris and "unknown_key.yaml" in uris
    assert "logistic_gradient.yaml" not in uris
