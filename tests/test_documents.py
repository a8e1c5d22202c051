"""Markdown/LaTeX documents: verify over a context, import to YAML (SPEC §11)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from derivcheck.cli import main
from derivcheck.documents import load_context, verify_any
from derivcheck.loader import load_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "latex" / "int305-assignment1-answer.md"
CONTEXT = ROOT / "examples" / "latex" / "int305_context.yaml"


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.output


def test_seed_question_one_flags_the_dropped_t() -> None:
    result = verify_any(SEED, load_context(CONTEXT))
    q1 = result.chains[0]
    assert q1.steps[0].expr.startswith(r"\frac{\partial L_{CE}}{\partial w_j}")
    assert [s.status for s in q1.steps] == ["start", "proved", "invalid", "invalid", "proved", "proved"]
    assert q1.steps[2].counterexample is not None and q1.steps[2].counterexample.values["t"] == 0
    kinds = [d.kind for d in q1.steps[2].diagnoses]
    assert kinds[0] == "wrong-factor" and {"special-case", "slip"} <= set(kinds)
    assert r"\frac{\partial L_{CE}}{\partial y} should be -t/y" in q1.steps[2].diagnoses[0].message
    assert [d.kind for d in q1.steps[3].diagnoses] == ["after-slip"]


def test_verify_markdown_from_the_command_line() -> None:
    code, out = run("verify", "--format", "json", str(SEED), "--context", str(CONTEXT))
    doc = json.loads(out)
    assert code == 2  # other questions' blocks need names this context does not give
    assert doc["files"][0]["chains"][0]["steps"][2]["status"] == "invalid"


def test_import_writes_a_loadable_draft(tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    code, _ = run("import", str(SEED), "--context", str(CONTEXT), "-o", str(out))
    assert code == 0
    text = out.read_text()
    assert "# source line 11" in text and "latex:" in text
    deriv = load_text(text, "draft.yaml")
    assert deriv.chains[0].steps[0].latex
    code, out_json = run("verify", "--format", "json", str(out), "--context", str(CONTEXT))
    steps = json.loads(out_json)["files"][0]["chains"][0]["steps"]
    assert [s["status"] for s in steps][:3] == ["start", "proved", "invalid"]


def test_context_from_a_grading_key(tmp_path: Path) -> None:
    key = tmp_path / "key.yaml"
    key.write_text(
        "assignment: A\nquestions:\n  q1:\n    points: 10\n    symbols:\n      t: '{0, 1}'\n"
        "    define:\n      y: sigma(z)\n      L_CE: -t*log(y) - (1 - t)*log(1 - y)\n"
        "    claim: Derivative(L_CE, z) = y - t\n"
    )
    doc = tmp_path / "answer.md"
    doc.write_text(
        "## q1\n\n$$\\frac{\\partial L_{CE}}{\\partial z} = \\frac{\\partial L_{CE}}{\\partial y}"
        " \\cdot \\frac{\\partial y}{\\partial z} = y - t$$\n"
    )
    code, out = run("verify", "--format", "json", str(doc), "--context", str(key), "--question", "q1")
    assert code == 0, out
    code, out = run("verify", str(doc), "--context", str(key))
    assert code == 2 and "--question" in out


def test_document_without_a_chain(tmp_path: Path) -> None:
    doc = tmp_path / "prose.md"
    doc.write_text("# Answer\n\nSVM is better than softmax.\n")
    code, out = run("verify", "--format", "json", str(doc))
    f = json.loads(out)["files"][0]
    assert code == 2 and f["status"] == "error" and "no derivation" in f["error"]["message"]


def test_bad_context_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "ctx.yaml"
    bad.write_text("symbols: [x\n")
    code, out = run("verify", str(SEED), "--context", str(bad))
    assert code == 2 and "ctx.yaml:" in out


def test_markdown_submissions_are_graded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    key = ROOT / "examples" / "int305" / "key.yaml"
    code = CliRunner().invoke(main, ["grade", str(key), str(ROOT / "examples" / "int305" / "submissions"), "--out", str(out), "--jobs", "1"]).exit_code
    assert code == 0
    rows = {line.split(",")[0]: line.split(",")[1:] for line in (out / "grades.csv").read_text().splitlines()[1:]}
    assert rows["s009"] == ["30", "20", "", "50"]
    feedback = (out / "feedback" / "s009.md").read_text()
    assert "missing case" in feedback and r"\frac{\partial L}{\partial w_j}" in feedback


def test_markdown_submission_without_sections(tmp_path: Path) -> None:
    from derivcheck.documents import read_markdown_submission
    from derivcheck.grading.key import load_key

    sub_path = tmp_path / "s1.md"
    sub_path.write_text("Just prose.\n")
    sub = read_markdown_submission(sub_path, load_key(ROOT / "examples" / "int305" / "key.yaml"))
    assert sub.error is not None and "## q1" in sub.error


def test_an_imported_draft_carries_the_context_and_verifies_on_its_own(tmp_path: Path) -> None:
    """The draft of the seed answer, verified alone, gets the verdicts of verify --context."""
    import json as _json

    from click.testing import CliRunner

    from derivcheck.cli import main

    repo = Path(__file__).parent.parent
    answer = repo / "examples" / "latex" / "int305-assignment1-answer.md"
    context = repo / "examples" / "latex" / "int305_context.yaml"
    draft = tmp_path / "draft.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(answer), "--context", str(context), "-o", str(draft)]).exit_code == 0
    text = draft.read_text()
    assert '"t": "{0, 1}"' in text and '"y": "sigma(z)"' in text
    alone = _json.loads(runner.invoke(main, ["verify", "--format", "json", str(draft)]).output)
    together = _json.loads(
        runner.invoke(main, ["verify", "--format", "json", str(answer), "--context", str(context)]).output
    )

    def verdicts(report: dict) -> list[list[str]]:  # type: ignore[type-arg]
        return [[s["status"] for s in c["steps"]] for c in report["files"][0]["chains"]]

    assert verdicts(alone) == verdicts(together)
    # the dropped t of the first block is found in the draft alone
    assert verdicts(alone)[0][:4] == ["start", "proved", "invalid", "invalid"]
