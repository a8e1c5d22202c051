"""The command line: formats, exit statuses, folders (SPEC §8)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
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
    _code, out = run("verify", "--format", "json", str(files))
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
    _code, out = run("verify", "--format", "github", str(files))
    lines = [l for l in out.splitlines() if l.startswith("::")]
    assert any(l.startswith("::error file=") and ",line=3,col=5::" in l and "invalid" in l for l in lines)
    assert len(lines) == 2


def test_github_escaping() -> None:
    assert escape_data("50% a\nb") == "50%25 a%0Ab"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_text_report(files: Path) -> None:
    _code, out = run("verify", str(files / "invalid.yml"))
    assert "✗ invalid" in out and "counterexample" in out and "line 3" in out
    assert "1 file checked: 1 invalid" in out
    assert "\x1b[" not in out  # no colour into a pipe


def test_quiet_prints_only_problems(files: Path) -> None:
    _code, out = run("verify", "--quiet", str(files / "valid.yaml"), str(files / "invalid.yml"))
    assert "valid.yaml" not in out.replace("invalid.yml", "")
    assert "invalid.yml" in out


def test_no_color_env(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _code, out = run("verify", str(files / "valid.yaml"))
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


# -- the package: distribution name and install lines ---------------------------------------

DATA = Path(__file__).parent / "data" / "cli"
USER_DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_distribution_name_is_not_the_other_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "derivcheck-cli"  # "derivcheck" on the package index is an unrelated project
    assert project["scripts"] == {"derivcheck": "derivcheck.cli:run"}


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_install_lines_name_a_package_that_exists(doc: Path) -> None:
    for line in doc.read_text(encoding="utf-8").splitlines():
        if "pip install" not in line or "never" in line:
            continue
        assert not re.search(r"pip install (--upgrade )?derivcheck(==[\d.]+)?\s*$", line), f"{doc.name}: {line}"
        assert re.search(r"derivcheck-cli|pip install (-e )?['\"]?\.|\[test\]|pre-commit|chromium", line), f"{doc.name}: {line}"


def test_ci_builds_and_installs_the_wheel() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"pip wheel .*--no-deps -w", ci) and "install --quiet --find-links" in ci
    assert "derivcheck-cli" in ci and 'bin/derivcheck" --version' in ci


# -- no internal references in user-facing text ------------------------------------------------


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda p: p.name)
def test_docs_do_not_cite_the_internal_spec(doc: Path) -> None:
    assert "SPEC" not in doc.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [[], ["verify"], ["grade"], ["gradescope"], ["import"], ["schema"], ["explain"]])
def test_help_does_not_cite_the_internal_spec(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "SPEC" not in result.output


def test_schemas_and_sarif_rules_do_not_cite_the_internal_spec() -> None:
    for args in ([], ["--key"], ["--context"]):
        assert "SPEC" not in run("schema", *args)[1]
    from derivcheck.sarif import RULES

    assert not any("SPEC" in json.dumps(r.to_json()) for r in RULES)


# -- expect: ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["0", "4", "11"])
def test_expectation_met_passes_and_is_reported(seed: str) -> None:
    result = CliRunner().invoke(main, ["verify", "--format", "json", "--seed", seed, str(DATA / "sign_error.yaml")])
    assert result.exit_code == 0
    f = json.loads(result.stdout)["files"][0]
    assert (f["status"], f["expect"], f["expectation_met"]) == ("invalid", "invalid", True)
    assert json.loads(result.stdout)["summary"]["file_status"] == {"valid": 0, "invalid": 1, "error": 0, "unknown": 0}
    code, out = run("verify", "--seed", seed, str(DATA / "sign_error.yaml"))
    assert code == 0 and "✗ invalid" in out and "sign-error" in out  # every verdict still shown
    assert "1 of 1 expected statuses met" in out


def test_expectation_not_met_fails_with_the_message() -> None:
    # (x + 1)**2 = x**2 + 2*x + 1 for every x (expand the square): the file is valid, not invalid
    code, out = run("verify", str(DATA / "expect_wrong.yaml"))
    assert code == 1 and "expected invalid, got valid" in out
    code, out = run("verify", "--format", "github", str(DATA / "expect_wrong.yaml"))
    assert "::error file=" in out and "expected invalid, got valid" in out


def test_expectation_of_an_error_in_a_file_that_cannot_load() -> None:
    result = CliRunner().invoke(main, ["verify", "--format", "json", str(DATA / "expect_error_broken.yaml")])
    f = json.loads(result.stdout)["files"][0]
    assert result.exit_code == 0 and f["status"] == "error" and f["expectation_met"] is True


def test_expect_takes_a_status_only(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text("title: t\nexpect: wrong\nsteps:\n  - x\n  - x\n")
    result = CliRunner().invoke(main, ["verify", "--format", "json", str(tmp_path / "e.yaml")])
    f = json.loads(result.stdout)["files"][0]
    assert result.exit_code == 2 and f["error"]["line"] == 2 and "valid, invalid, error, unknown" in f["error"]["message"]


def test_shipped_mistakes_are_expected_invalid() -> None:
    for path in sorted((ROOT / "examples" / "mistakes").glob("*.yaml")):
        text = path.read_text()
        assert re.search(r"^expect: (invalid|error)\b", text, re.MULTILINE) or "domain_change" in path.name, path.name


# -- closed pipes and wrapping ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "concise"])
def test_closed_pipe_exits_quietly(fmt: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "derivcheck", "verify", "--format", fmt, str(ROOT / "examples" / "mistakes")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first write, as with `| head -0`
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize("width", [50, 72, 100])
def test_text_report_wraps_at_words_with_a_hanging_indent(width: int) -> None:
    from derivcheck.api import verify_file
    from derivcheck.report import render_text

    results = [verify_file(ROOT / "examples" / "int305_q1_logistic_gradient.yaml")]
    buffer = io.StringIO()
    render_text(results, file=buffer, color=False, width=width)
    lines = buffer.getvalue().splitlines()
    assert all(len(line) <= width for line in lines)
    one_line = io.StringIO()
    render_text(results, file=one_line, color=False)  # into a pipe: one line per item, nothing wrapped
    long_messages = [line.strip() for line in one_line.getvalue().splitlines() if line.startswith(" " * 17) and len(line) > width]
    assert long_messages
    flat = " ".join(line.strip() for line in lines)
    for message in long_messages:
        assert message in flat  # every word whole, in order: nothing broken mid-word
    assert any(line.startswith(" " * 19) and not line.strip().startswith("→") for line in lines)  # continuation under the text


# -- what verify leaves to grade ----------------------------------------------------------------


def test_verify_on_a_grading_key_or_submission_says_use_grade() -> None:
    code, out = run("verify", str(DATA / "grading" / "key.yaml"))
    assert code == 2 and "this is a grading key" in out and "derivcheck grade" in out
    code, out = run("verify", str(DATA / "grading" / "submissions" / "good.yaml"))
    assert code == 2 and "this is a submission" in out


def test_folder_walk_names_what_it_left_out(tmp_path: Path) -> None:
    shutil.copytree(DATA / "grading", tmp_path / "grading")
    (tmp_path / "ctx.yaml").write_text("symbols:\n  x: positive\ndefine:\n  y: x**2\n")
    (tmp_path / "typo.yaml").write_text("symbols:\n  x: real\nstep:\n  - x\n  - x\n")  # not a context: an error
    (tmp_path / "ok.yaml").write_text(VALID)
    result = CliRunner().invoke(main, ["verify", "--format", "json", str(tmp_path)])
    paths = [Path(f["path"]).name for f in json.loads(result.stdout)["files"]]
    assert paths == ["ok.yaml", "typo.yaml"] and result.exit_code == 2
    assert "left 4 grading file(s) to `derivcheck grade`" in result.stderr and "key.yaml" in result.stderr
    assert "context file" in result.stderr and "ctx.yaml" in result.stderr


def test_import_refuses_what_is_not_markdown_or_latex() -> None:
    code, out = run("import", str(DATA / "sign_error.yaml"))
    assert code == 2 and ".md" in out and ".tex" in out


# -- grade: statuses, numbers, exit codes ----------------------------------------------------------


def test_grade_json_numbers_statuses_and_terminal(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["grade", str(DATA / "grading" / "key.yaml"), str(DATA / "grading" / "submissions"),
                                       "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    by = {s["student"]: s for s in data["students"]}
    # good: 10; sign: 10 - 0.25*10 (invalid step) - 0.5*10 (wrong result) = 2.5; broken: unreadable
    assert (by["good"]["total"], by["sign"]["total"], by["broken"]["total"]) == (10, 2.5, 0)
    assert by["sign"]["questions"]["q1"]["score"] == 2.5 and by["sign"]["questions"]["q1"]["points"] == 10
    assert [by[s]["status"] for s in ("good", "sign", "broken")] == ["graded", "graded", "failed"]
    assert "invalid YAML" in by["broken"]["reason"]
    assert "failed: broken" in result.stderr and "grades.csv" in result.stderr and str(tmp_path / "out") in result.stderr


def test_grade_exit_codes(tmp_path: Path) -> None:
    key = str(DATA / "grading" / "key.yaml")
    result = CliRunner().invoke(main, ["grade", key, str(tmp_path / "nowhere"), "--out", str(tmp_path / "o1")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "a.yaml").write_text("answers: [\n")
    (tmp_path / "subs" / "b.yaml").write_text("- not a submission\n")
    result = CliRunner().invoke(main, ["grade", key, str(tmp_path / "subs"), "--out", str(tmp_path / "o2"), "--jobs", "1"])
    assert result.exit_code == 1 and "no submission could be graded" in result.stderr


def test_a_context_file_given_by_name_says_how_to_use_it() -> None:
    code, out = run("verify", str(ROOT / "examples" / "latex" / "int305_context.yaml"))
    assert code == 2 and "this is a context file" in out and "--context" in out


def test_unmet_expectation_is_a_finding_at_the_expect_line() -> None:
    code, out = run("verify", "--format", "concise", str(DATA / "expect_wrong.yaml"))
    assert code == 1 and "expect_wrong.yaml:2:9: DC206 expected invalid, got valid" in out


def test_quiet_hides_files_whose_expectation_is_met() -> None:
    code, out = run("verify", "--quiet", str(DATA / "sign_error.yaml"), str(DATA / "expect_wrong.yaml"))
    assert code == 1 and "sign_error.yaml" not in out.split("derivcheck:")[0] and "expect_wrong.yaml" in out


# -- the text report into a pipe, without Rich ----------------------------------------------------


def _rich_and_plain(results: list, quiet: bool) -> tuple[str, str | None]:
    from derivcheck.formats.plaintext import NeedsRich, PlainConsole
    from derivcheck.report import render_text

    rich_out = io.StringIO()
    render_text(results, file=rich_out, quiet=quiet, color=False)
    plain_out = io.StringIO()
    console = PlainConsole(plain_out)
    try:
        render_text(results, quiet=quiet, console=console)
    except NeedsRich:
        return rich_out.getvalue(), None
    console.flush()
    return rich_out.getvalue(), plain_out.getvalue()


def test_the_plain_text_report_is_riches_byte_for_byte() -> None:
    """Every shipped example and test file, quiet or not: the same bytes with and without Rich."""
    from derivcheck.batch import collect, verify_files
    from derivcheck.cli import display_path

    paths = [ROOT / "examples" / "mistakes", ROOT / "tests" / "data" / "cli", ROOT / "tests" / "data" / "cache"]
    paths += [ROOT / "tests" / "data" / "hostile" / n for n in ("invalid_utf8.yaml", "nul_byte.yaml", "homoglyph.yaml", "latex_injection.yaml")]
    results = verify_files(collect(paths).files, display_path, timeout=30.0)
    for quiet in (False, True):
        rich_text, plain = _rich_and_plain(results, quiet)
        assert plain is not None and plain == rich_text


@pytest.mark.parametrize(
    "odd",
    ["tab\there", "bell\x07", "form\x0cfeed", "carriage\rreturn", "escape \x1b[31m red", "nul\x00", "c1 \x85",
     "lone \udcff surrogate", "wide 漢字 " * 30, "emoji 😀 :smile: [bold]markup[/bold]", "rtl \u202e text", "x" * 500, "nl\ninside"],
)
def test_odd_characters_give_riches_output_or_go_to_rich(odd: str) -> None:
    from derivcheck.results import ChainResult, FileError, FileResult, Note, StepResult

    steps = [StepResult(1, 2, odd, "start"), StepResult(2, 3, odd, "invalid", message=odd, why=odd, diagnoses=[Note("sign-error", odd, odd)])]
    results = [
        FileResult(odd + ".yaml", title=odd, status="invalid", chains=[ChainResult([odd], steps, title=odd)]),
        FileResult("e.yaml", status="error", error=FileError(odd, 3)),
    ]
    for quiet in (False, True):
        rich_text, plain = _rich_and_plain(results, quiet)
        assert plain is None or plain == rich_text


def test_a_piped_text_report_imports_no_rich_and_matches(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(INVALID)
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["DERIVCHECK_NO_CACHE"] = "1"
    probe = "import sys\nfrom derivcheck.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\nprint('RICH' if 'rich' in sys.modules else 'NORICH', file=sys.stderr)\n"
    proc = subprocess.run([sys.executable, "-c", probe, "verify", "d.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert proc.stderr.strip().endswith("NORICH")
    from derivcheck.api import verify_file
    from derivcheck.report import render_text

    expected = io.StringIO()
    render_text([verify_file(tmp_path / "d.yaml", display_path="d.yaml")], file=expected, color=False)
    assert proc.stdout == expected.getvalue()
    forced = subprocess.run([sys.executable, "-c", probe, "verify", "d.yaml"], cwd=tmp_path, env={**env, "FORCE_COLOR": "1"},
                            capture_output=True, text=True, check=False)
    assert forced.stderr.strip().endswith("RICH") and not forced.stderr.strip().endswith("NORICH")
