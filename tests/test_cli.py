"""The command line: formats, exit statuses, folders (SPEC §8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck.cli import main
from derivcheck.report import escape_data, escape_property

ROOT = Path(__file__).resolve().parent.parent
VALID = "title: square\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
INVALID = "steps:\n  - (x + 1)**2\n  - x**2 + 1\n"
BROKEN = "steps:\n  - x\n  - y(1 - y)\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "valid.yaml").write_text(VALID)
    (tmp_path / "invalid.yml").write_text(INVALID)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    (tmp_path / "notes.txt").write_text("ignored")
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_version_and_help() -> None:
    code, out = run("--version")
    assert code == 0 and "derivcheck" in out
    code, out = run("verify", "--help")
    assert code == 0 and "--timeout" in out


def test_exit_statuses(files: Path) -> None:
    assert run("verify", str(files / "valid.yaml"))[0] == 0
    assert run("verify", str(files / "invalid.yml"))[0] == 1
    assert run("verify", str(files / "broken.yaml"))[0] == 2
    assert run("verify", str(files / "missing.yaml"))[0] == 2
    assert run("verify", str(files))[0] == 2  # the folder holds an error


def test_json_report_shape(files: Path) -> None:
    code, out = run("verify", "--format", "json", str(files))
    doc = json.loads(out)
    assert doc["version"] == 1
    assert [Path(f["path"]).name for f in doc["files"]] == ["broken.yaml", "invalid.yml", "valid.yaml"]
    invalid = doc["files"][1]
    assert invalid["status"] == "invalid" and invalid["error"] is None
    assert invalid["claim"] is None and invalid["coverage"] is None
    step = invalid["chains"][0]["steps"][1]
    assert step["index"] == 2 and step["line"] == 3 and step["status"] == "invalid"
    assert set(step["counterexample"]) == {"values", "left", "right"}
    assert step["diagnoses"] is not None and step["notes"] == []
    assert invalid["chains"][0]["steps"][0]["status"] == "start"
    assert doc["summary"] == {"files": 3, "transitions": 3, "proved": 1, "tested": 0, "invalid": 1, "error": 1, "timeout": 0,
                              "file_status": {"valid": 1, "invalid": 1, "error": 1, "unknown": 0}}


def test_file_error_in_json(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("step:\n  - x\n")
    code, out = run("verify", "--format", "json", str(tmp_path / "bad.yaml"))
    f = json.loads(out)["files"][0]
    assert code == 2 and f["status"] == "error" and f["chains"] == []
    assert f["error"]["line"] == 1 and "steps" in f["error"]["message"]


def test_github_format(files: Path) -> None:
    code, out = run("verify", "--format", "github", str(files))
    lines = [l for l in out.splitlines() if l.startswith("::")]
    assert any(l.startswith("::error file=") and ",line=3,col=5::" in l and "invalid" in l for l in lines)
    assert len(lines) == 2


def test_github_escaping() -> None:
    assert escape_data("50% a\nb") == "50%25 a%0Ab"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_text_report(files: Path) -> None:
    code, out = run("verify", str(files / "invalid.yml"))
    assert "✗ invalid" in out and "counterexample" in out and "line 3" in out
    assert "1 file checked: 1 invalid" in out
    assert "\x1b[" not in out  # no colour into a pipe


def test_quiet_prints_only_problems(files: Path) -> None:
    code, out = run("verify", "--quiet", str(files / "valid.yaml"), str(files / "invalid.yml"))
    assert "valid.yaml" not in out.replace("invalid.yml", "")
    assert "invalid.yml" in out


def test_no_color_env(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, out = run("verify", str(files / "valid.yaml"))
    assert "\x1b[" not in out and "✓ valid" in out


def test_seed_gives_the_same_report(files: Path) -> None:
    a = run("verify", "--format", "json", "--seed", "7", str(files / "invalid.yml"))[1]
    b = run("verify", "--format", "json", "--seed", "7", str(files / "invalid.yml"))[1]
    assert a == b


def test_shipped_derivations_are_valid() -> None:
    code, out = run("verify", "--quiet", str(ROOT / "derivations"))
    assert code == 0, out


def test_shipped_examples_show_the_mistakes() -> None:
    result = CliRunner().invoke(main, ["verify", "--format", "json", str(ROOT / "examples")])
    assert result.exit_code == 0, result.output  # every example gets the status its `expect:` names
    doc = json.loads(result.stdout)
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    q1 = by_name["int305_q1_logistic_gradient.yaml"]
    assert [s["status"] for s in q1["chains"][0]["steps"]][2] == "invalid"  # the dropped t
    update = by_name["int305_q1_update_rule.yaml"]
    assert update["chains"][0]["steps"][-1]["status"] == "invalid"  # the second derivative
    softmax = by_name["int305_q2_softmax_gradient.yaml"]
    assert softmax["coverage"]["complete"] is False  # the missing T != k case
    assert all("int305/" not in f["path"] for f in doc["files"])  # grading files are left to `grade`
