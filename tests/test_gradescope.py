"""Gradescope's results.json (``derivcheck gradescope``) and the autograder template of docs/grading.md.

Expected scores are worked out by hand from the deduction defaults (docs/grading.md):
q1 is worth 10 points; ``Derivative(x**3, x) -> -3*x**2`` is an invalid step
(at x = 1 the derivative is 3, the step -3), which costs 0.25 * 10 = 2.5, and the
chain ends at -3*x**2, not the claim's 3*x**2 (they differ at x = 1), which costs
0.5 * 10 = 5: 10 - 2.5 - 5 = 2.5. q2 is graded by hand and is no test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from derivcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "cli" / "grading"
DOCS = ROOT / "docs" / "grading.md"


def template(name: str) -> str:
    """The bash block that follows "`NAME`:" in docs/grading.md."""
    text = DOCS.read_text(encoding="utf-8")
    m = re.search(rf"^`{re.escape(name)}`:\s*\n+```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert m, f"docs/grading.md has no {name} template"
    return m.group(1)


def autograder_tree(tmp_path: Path, *uploads: str) -> Path:
    """A fake /autograder: source/key.yaml and submission/ holding copies of the named submissions."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    shutil.copy(DATA / "key.yaml", root / "source" / "key.yaml")
    for name in uploads:
        shutil.copy(DATA / "submissions" / name, root / "submission" / name)
    return root


def run_template(root: Path) -> subprocess.CompletedProcess[str]:
    script = root / "run_autograder"
    script.write_text(template("run_autograder"), encoding="utf-8")
    env = {**os.environ, "AUTOGRADER": str(root), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=300, check=False)


def results(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("upload, score", [("sign.yaml", 2.5), ("good.yaml", 10)])
def test_template_run_autograder_on_a_fake_tree(tmp_path: Path, upload: str, score: float) -> None:
    root = autograder_tree(tmp_path, upload)
    proc = run_template(root)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = results(root)
    assert doc["score"] == score and isinstance(doc["score"], (int, float))
    assert isinstance(doc["execution_time"], int) and doc["execution_time"] >= 0
    assert doc["output_format"] == "md" and doc["visibility"] == "visible" and "q2" in doc["output"]  # q2 by hand
    (test,) = doc["tests"]  # the manual question is no test
    assert (test["score"], test["max_score"]) == (score, 10)
    assert test["output_format"] == "md" and test["visibility"] == "visible"
    assert test["status"] == ("passed" if score == 10 else "failed")
    if upload == "sign.yaml":
        assert "sign-error" not in test["name"] and "−2.5" in test["output"] and "−5" in test["output"]


def test_template_setup_installs_the_distribution_not_the_other_project() -> None:
    setup = template("setup.sh")
    assert "derivcheck-cli" in setup
    assert not re.search(r"pip install[^\n]*\bderivcheck(==|\s|$)", setup)


def test_no_upload_scores_zero_with_a_message(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path)
    proc = run_template(root)
    assert proc.returncode == 0
    doc = results(root)
    assert doc["score"] == 0 and doc["tests"] == [] and "upload one" in doc["output"]


def test_broken_upload_scores_zero_with_the_reason(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path, "broken.yaml")
    result = CliRunner().invoke(main, ["gradescope", str(root / "source" / "key.yaml"), "--submission", str(root / "submission"),
                                       "--results", str(root / "results" / "results.json"), "--visibility", "after_published"])
    assert result.exit_code == 0, result.output
    doc = results(root)
    assert doc["score"] == 0 and "invalid YAML" in doc["output"] and doc["visibility"] == "after_published"
    assert [t["score"] for t in doc["tests"]] == [0] and doc["tests"][0]["visibility"] == "after_published"


def test_two_uploads_ask_for_one(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path, "good.yaml", "sign.yaml")
    result = CliRunner().invoke(main, ["gradescope", str(root / "source" / "key.yaml"), "--submission", str(root / "submission"),
                                       "--results", str(root / "results" / "results.json")])
    assert result.exit_code == 0
    doc = results(root)
    assert doc["score"] == 0 and "Several files" in doc["output"] and "good.yaml" in doc["output"]


def test_an_unusable_key_still_writes_results(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path, "good.yaml")
    (root / "source" / "key.yaml").write_text("questions: [not, a, mapping]\n")
    result = CliRunner().invoke(main, ["gradescope", str(root / "source" / "key.yaml"), "--submission", str(root / "submission"),
                                       "--results", str(root / "results" / "results.json")])
    assert result.exit_code == 2
    doc = results(root)
    assert doc["score"] == 0 and "misconfigured" in doc["output"]


def test_a_symlinked_upload_is_never_read(tmp_path: Path) -> None:
    """A link to the answer key would have its text quoted back in error messages."""
    root = autograder_tree(tmp_path)
    (root / "submission" / "submission.yaml").symlink_to(root / "source" / "key.yaml")
    proc = run_template(root)
    assert proc.returncode == 0
    doc = results(root)
    assert doc["score"] == 0 and "symbolic link" in doc["output"] and "claim" not in json.dumps(doc)


def test_upload_in_a_subfolder_is_found(tmp_path: Path) -> None:
    root = autograder_tree(tmp_path)
    (root / "submission" / "hw1").mkdir()
    shutil.copy(DATA / "submissions" / "good.yaml", root / "submission" / "hw1" / "answers.yaml")
    (root / "submission" / ".DS_Store.yaml").write_text("junk")  # hidden: ignored
    proc = run_template(root)
    assert proc.returncode == 0 and results(root)["score"] == 10  # d/dx x**3 = 3*x**2: full marks


def test_results_are_written_even_when_grading_itself_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import derivcheck.grading.batch

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker pool broke")

    monkeypatch.setattr(derivcheck.grading.batch, "grade_batch", boom)
    root = autograder_tree(tmp_path, "good.yaml")
    result = CliRunner().invoke(main, ["gradescope", str(root / "source" / "key.yaml"), "--submission", str(root / "submission"),
                                       "--results", str(root / "results" / "results.json")])
    assert result.exit_code == 2
    doc = results(root)
    assert doc["score"] == 0 and "internal error" in doc["output"] and "worker pool" not in doc["output"]
