"""``--format concise``, ``--statistics``, rule codes in every format, columns, ``explain`` by code or kind.

Ground truth for the fixtures (tests/data/cli/), outside derivcheck:
- columns.yaml: ``(x + 1)**2 -> x**2 + 1`` differs at x = 1 (4 against 2), and
  ``x**2 + 1 -> x**2`` differs everywhere by 1; the expressions start at column 11
  (``  - expr: x**2 + 1``) and column 8 (``  -   "x**2"``, after the quote), counted by hand.
- sign_error.yaml: d/dz log(1 + exp(-z)) = -exp(-z)/(1 + exp(-z)) = -(1 - sigma(z)), so
  ``1 - sigma(z)`` is its negative: at z = 0, 1/2 against -1/2 (checked below with mpmath).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import mpmath
import pytest
from click.testing import CliRunner

from derivcheck.cli import main
from derivcheck.formats.locate import column_in

DATA = Path(__file__).parent / "data" / "cli"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>DC\d{3}) (?P<msg>.+)$")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_sign_error_truth_at_high_precision() -> None:
    mpmath.mp.dps = 60
    z = mpmath.mpf(0)
    previous = mpmath.diff(lambda t: mpmath.log(1 + mpmath.exp(-t)), z)
    this = 1 - 1 / (1 + mpmath.exp(-z))
    assert mpmath.almosteq(previous, -this, 1e-50) and not mpmath.almosteq(previous, this, 1e-10)


@pytest.mark.parametrize("seed", ["0", "1", "7"])
def test_concise_one_line_per_finding_with_codes_and_columns(seed: str) -> None:
    code, out = invoke("verify", "--format", "concise", "--seed", seed, str(DATA / "columns.yaml"))
    assert code == 1
    lines = out.strip().splitlines()
    found = [LINE.match(line) for line in lines[:-1]]
    assert all(found), lines
    assert [(m["line"], m["col"]) for m in found] == [("3", "11"), ("5", "8")]  # type: ignore[index]
    assert found[1]["code"] == "DC105" and "dropped-term" in found[1]["msg"]  # type: ignore[index]
    assert lines[-1] == "Found 2 findings in 1 file."


@pytest.mark.parametrize("seed", ["0", "3"])
def test_concise_marks_findings_an_expectation_explains(seed: str) -> None:
    code, out = invoke("verify", "--format", "concise", "--seed", seed, str(DATA / "sign_error.yaml"))
    assert code == 0  # expect: invalid, and it is invalid
    first = LINE.match(out.splitlines()[0])
    assert first and first["code"] == "DC103" and (first["line"], first["col"]) == ("6", "5")
    assert first["msg"].endswith("[expected]")


def test_concise_all_clear(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("steps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n")
    code, out = invoke("verify", "--format", "concise", str(tmp_path / "ok.yaml"))
    assert code == 0 and out.strip() == "All checks passed! (1 file)"


def test_statistics_counts_per_code(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("steps:\n  - 1 - sigma(z)\n  - sigma(z) - 1\n")  # minus the previous step
    code, out = invoke("verify", "--statistics", str(tmp_path))
    assert code == 1
    assert out.strip().splitlines() == ["2\tDC103\tsign-error"]
    code, out = invoke("verify", "--statistics", "--format", "json", str(tmp_path))
    assert json.loads(out) == [{"code": "DC103", "name": "sign-error", "count": 2}]


def test_codes_in_the_text_report_and_github_columns() -> None:
    code, out = invoke("verify", str(DATA / "sign_error.yaml"))
    assert "→ DC103 sign-error:" in out
    assert "expect: expected invalid, got invalid: as expected" in out
    code, out = invoke("verify", "--format", "github", str(DATA / "columns.yaml"))
    assert ",line=3,col=11::" in out and ",line=5,col=8::" in out


def test_sarif_regions_have_columns() -> None:
    code, out = invoke("verify", "--format", "sarif", str(DATA / "columns.yaml"))
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in json.loads(out)["runs"][0]["results"]]
    assert regions == [{"startLine": 3, "startColumn": 11}, {"startLine": 5, "startColumn": 8}]


@pytest.mark.parametrize("text, col", [
    ("  - (x + 1)**2", 5), ("  - expr: x", 11), ("claim: a = b", 8), ("stepz:", 1), ("    - 'y'", 8), ("", 1), ("  - - x", 7),
])
def test_column_in(text: str, col: int) -> None:
    assert column_in(text) == col


@pytest.mark.parametrize("topic, head, code", [
    ("DC103", "sign-error:", "Code: DC103"),
    ("dc103", "sign-error:", "Code: DC103"),
    ("sign-error", "sign-error:", "Code: DC103"),
    ("domain-change", "domain-change:", "Code: DC301 (note)"),
    ("coverage-gap", "coverage-gap:", "Code: DC302 (note)"),
    ("coverage-undecided", "coverage-undecided:", "Code: DC205 (warning)"),
    ("DC206", "expectation:", "Code: DC206 (error)"),
])
def test_explain_by_code_or_kind(topic: str, head: str, code: str) -> None:
    result = CliRunner().invoke(main, ["explain", topic])
    assert result.exit_code == 0 and result.output.startswith(head) and code in result.output


def test_explain_lists_codes_and_refuses_unknown() -> None:
    result = CliRunner().invoke(main, ["explain"])
    assert "DC101  special-case" in result.output and "DC302  coverage-gap" in result.output
    bad = CliRunner().invoke(main, ["explain", "DC999"])
    assert bad.exit_code == 2 and "DC103 (sign-error)" in bad.output


def test_concise_lines_stay_single_lines_whatever_the_file_name(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb.yaml"
    odd.write_text("steps:\n  - x\n  - 2*x\n")  # 2*x differs from x at x = 1
    code, out = invoke("verify", "--format", "concise", str(odd))
    lines = out.strip().splitlines()
    assert code == 1 and len(lines) == 2 and "a\\nb.yaml:3:5: DC" in lines[0]


def test_github_and_sarif_show_an_expected_example_s_problems_as_notices() -> None:
    code, out = invoke("verify", "--format", "github", str(DATA / "sign_error.yaml"), str(DATA / "expect_wrong.yaml"))
    lines = out.splitlines()
    assert code == 1
    assert any(line.startswith("::notice file=") and "sign_error.yaml,line=6,col=5::" in line and "sign-error" in line for line in lines)
    assert any(line.startswith("::error ") and "expect_wrong.yaml,line=2,col=9::expected invalid, got valid" in line for line in lines)
    code, out = invoke("verify", "--format", "sarif", str(DATA / "sign_error.yaml"))
    found = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in found] == [("DC103", "note")] and code == 0


@pytest.mark.parametrize("seed", ["0", "5"])
def test_statistics_of_a_clean_run_and_of_notes(tmp_path: Path, seed: str) -> None:
    (tmp_path / "ok.yaml").write_text("steps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n")  # the square expanded: equal for every x
    code, out = invoke("verify", "--statistics", "--seed", seed, str(tmp_path / "ok.yaml"))
    assert code == 0 and out.strip() == "All checks passed!"
    code, out = invoke("verify", "--statistics", "--seed", seed, str(DATA / "columns.yaml"), str(DATA / "sign_error.yaml"))
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert {"DC103", "DC105"} <= {code for _, code, _ in rows}
    assert sum(int(n) for n, _, _ in rows) == 3  # two wrong steps in columns.yaml, one in sign_error.yaml
