"""derivcheck as a linter: the pre-commit hook, ``--format github|auto``, ``--exit-zero``, ``--quiet``.

The ``pre-commit try-repo`` test is marked ``slow``: it builds a virtualenv from
this checkout and pip-installs derivcheck and its dependencies into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck.cli import main
from derivcheck.report import escape_data, escape_property, github_lines, summary_line
from derivcheck.results import ChainResult, FileError, FileResult, StepResult

REPO_ROOT = Path(__file__).resolve().parents[1]

VALID = textwrap.dedent(
    """\
    title: Derivative of a square
    steps:
      - Derivative(x**2, x)
      - 2*x
    """
)

INVALID = textwrap.dedent(
    """\
    title: Derivative of a cube, with a slip
    steps:
      - Derivative(x**3, x)
      - 3*x**2
      - 3*x
    """
)

BAD_YAML = "title: [unclosed\nsteps:\n  - x\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def invoke(args: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    base = {"NO_COLOR": "1", "GITHUB_ACTIONS": ""}
    base.update(env or {})
    return CliRunner().invoke(main, args, env=base, catch_exceptions=False)


# -- the pre-commit hook, for real --------------------------------------------------------


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _try_repo(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1", PRE_COMMIT_COLOR="never")
    env.pop("GITHUB_ACTIONS", None)
    env.pop("PRE_COMMIT_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "derivcheck", "--all-files", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo_passes_and_fails(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    project = tmp_path / "course"
    project.mkdir()
    _git(project, "init", "-q")
    write(project, "derivations/square.yaml", VALID)
    write(project, "notes/readme.txt", "not YAML, never passed to the hook\n")
    _git(project, "add", "-A")

    started = time.monotonic()
    ok = _try_repo(project)
    first = time.monotonic() - started
    out = ok.stdout + ok.stderr
    assert ok.returncode == 0, out
    assert "derivcheck" in out and "Passed" in out, out

    write(project, "derivations/cube.yaml", INVALID)
    _git(project, "add", "-A")
    bad = _try_repo(project)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "Failed" in out, out
    # the hook prints paths relative to the project and the one-line summary
    assert "derivations/cube.yaml" in out, out
    assert "derivcheck: 2 files checked: 1 valid, 1 invalid" in out, out
    # the valid file is not listed in --quiet output (only problems)
    assert "derivations/square.yaml" not in out, out
    print(f"\ntry-repo (venv build + run) took {first:.1f}s")


def test_hook_manifest_is_valid() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(REPO_ROOT / ".pre-commit-hooks.yaml"))
    (hook,) = [h for h in hooks if h["id"] == "derivcheck"]
    assert hook["entry"] == "derivcheck verify"
    assert hook["language"] == "python"
    assert "yaml" in hook["types"]
    import re

    exclude = re.compile(hook["exclude"])
    assert exclude.search(".pre-commit-config.yaml")
    assert exclude.search(".github/workflows/ci.yml")
    assert not exclude.search("derivations/logistic.yaml")


# -- github escaping -----------------------------------------------------------------------


def test_escape_data_follows_the_actions_toolkit() -> None:
    # @actions/core escapeData: % first, then CR and LF
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_data("%0A") == "%250A"  # an already-escaped looking text is not left as a newline
    assert escape_data("a: b, c") == "a: b, c"  # ':' and ',' are fine in the message


def test_escape_property_also_escapes_colon_and_comma() -> None:
    assert escape_property("C:\\dir,x\n%") == "C%3A\\dir%2Cx%0A%25"
    assert escape_property("derivations/a b.yaml") == "derivations/a b.yaml"


def test_github_lines_escape_file_and_message() -> None:
    step = StepResult(2, 7, "x", "invalid", message="100% wrong\nsee: a, b")
    r = FileResult("odd,name:1.yaml", status="invalid", chains=[ChainResult([], [StepResult(1, 6, "y", "start"), step])])
    (line,) = github_lines([r])
    assert line.startswith("::error file=odd%2Cname%3A1.yaml,line=7,col=1::")  # no such file: column 1
    body = line.split("::", 2)[2]
    assert "\n" not in line and body == "step 2 invalid: 100%25 wrong%0Asee: a, b"


def test_github_file_error_line() -> None:
    r = FileResult("a.yaml", status="error", error=FileError("invalid YAML: x", 3))
    assert github_lines([r]) == ["::error file=a.yaml,line=3,col=1::invalid YAML: x"]


# -- the summary line --------------------------------------------------------------------


def test_summary_line_one_file_and_many() -> None:
    one = FileResult("a.yaml", chains=[ChainResult([], [StepResult(1, 2, "x", "start"), StepResult(2, 3, "x", "proved")])])
    assert summary_line([one]) == "derivcheck: 1 file checked: 1 valid; 1 transition: 1 proved"
    bad = FileResult("b.yaml", status="invalid", chains=[ChainResult([], [StepResult(1, 2, "x", "start"), StepResult(2, 3, "y", "invalid")])])
    err = FileResult("c.yaml", status="error", error=FileError("bad", 1))
    line = summary_line([one, one, bad, err])
    assert line == "derivcheck: 4 files checked: 2 valid, 1 invalid, 1 error; 3 transitions: 2 proved, 1 invalid"
    assert "\n" not in line


# -- the command line: auto, exit-zero, quiet, relative paths ------------------------------


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, "derivations/square.yaml", VALID)
    write(tmp_path, "derivations/cube.yaml", INVALID)
    write(tmp_path, "broken/bad.yaml", BAD_YAML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_auto_picks_github_on_actions(project: Path) -> None:
    result = invoke(["verify", "--format", "auto", "derivations"], env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert "::error file=derivations/cube.yaml,line=5,col=5::" in result.output  # the step after "  - "


def test_auto_picks_text_elsewhere(project: Path) -> None:
    result = invoke(["verify", "--format", "auto", "derivations"])
    assert result.exit_code == 1
    assert "::error" not in result.output
    assert "derivations/cube.yaml" in result.output and "derivcheck: 2 files checked" in result.output


def test_text_stays_the_default_even_on_actions(project: Path) -> None:
    result = invoke(["verify", "derivations"], env={"GITHUB_ACTIONS": "true"})
    assert "::error" not in result.output


def test_exit_zero_for_invalid_and_error_but_not_usage_errors(project: Path) -> None:
    assert invoke(["verify", "derivations"]).exit_code == 1
    assert invoke(["verify", "--exit-zero", "derivations"]).exit_code == 0
    assert invoke(["verify", "broken"]).exit_code == 2
    assert invoke(["verify", "--exit-zero", "broken"]).exit_code == 0
    assert invoke(["verify", "--exit-zero", "--format", "sarif", "derivations", "broken"]).exit_code == 0
    # usage errors still exit 2
    assert invoke(["verify", "--exit-zero", "--format", "nope", "derivations"]).exit_code == 2
    (project / "empty").mkdir()
    assert invoke(["verify", "--exit-zero", "empty"]).exit_code == 2


def test_quiet_text_shows_only_problems(project: Path) -> None:
    out = invoke(["verify", "--quiet", "derivations"]).output
    assert "derivations/cube.yaml" in out
    assert "derivations/square.yaml" not in out
    assert out.strip().splitlines()[-1].startswith("derivcheck: 2 files checked: 1 valid, 1 invalid")


def test_quiet_all_valid_prints_only_the_summary(project: Path) -> None:
    out = invoke(["verify", "--quiet", "derivations/square.yaml"]).output
    assert out.strip().splitlines() == ["derivcheck: 1 file checked: 1 valid; 1 transition: 1 proved"]


def test_quiet_github_is_problem_lines_and_summary(project: Path) -> None:
    out = invoke(["verify", "--quiet", "--format", "github", "derivations"]).output.strip().splitlines()
    assert [line.split("::")[1].split(" ")[0] for line in out[:-1]] == ["error"]
    assert out[-1].startswith("derivcheck: 2 files checked")


def test_quiet_sarif_drops_only_notes(project: Path) -> None:
    write(project, "notes/cancel.yaml", "steps:\n  - y*(1 - y)/y\n  - 1 - y\n")
    loud = json.loads(invoke(["verify", "--format", "sarif", "notes", "derivations"]).output)
    quiet = json.loads(invoke(["verify", "--quiet", "--format", "sarif", "notes", "derivations"]).output)
    loud_levels = [r["level"] for r in loud["runs"][0]["results"]]
    quiet_levels = [r["level"] for r in quiet["runs"][0]["results"]]
    assert "note" not in quiet_levels
    assert [lv for lv in loud_levels if lv != "note"] == quiet_levels
    assert loud["runs"][0]["tool"]["driver"]["rules"] == quiet["runs"][0]["tool"]["driver"]["rules"]


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_paths_relative_to_the_current_directory(project: Path, fmt: str) -> None:
    out = invoke(["verify", "--format", fmt, str(project / "derivations" / "cube.yaml")]).output
    assert "derivations/cube.yaml" in out
    assert str(project) not in out


def test_paths_relative_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "derivations")
    out = invoke(["verify", "--format", "github", "cube.yaml"]).output
    assert "file=cube.yaml," in out
