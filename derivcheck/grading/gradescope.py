"""Gradescope: ``results.json`` for one submission, as Gradescope's autograder reads it.

Gradescope runs an autograder once per submission: the student's files are in
``/autograder/submission/`` and the autograder writes
``/autograder/results/results.json``. ``derivcheck gradescope KEY`` does exactly
that (the paths are options, for tests and other platforms); ``derivcheck grade
--gradescope`` writes the same file per student for a whole folder.

The results always get written, even when the submission cannot be read or the
key is broken, so the student sees a reason instead of "autograder failed".
Each auto-graded question is one test with ``output_format: "md"`` (its
feedback: score, deductions, the annotated chain); questions graded by hand
are left to the teacher and named in the top-level ``output``.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from .batch import MANUAL, SubmissionGrade, fmt_score
from .key import Key
from .outputs import _md, json_number, question_md

AUTOGRADER = Path("/autograder")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
SUFFIXES = (".yaml", ".yml", ".md")
#: names a student might give the one file, tried when a submission holds several
PREFERRED = ("submission", "answers", "answer")


def results_json(key: Key, g: SubmissionGrade, seconds: float | None = None, visibility: str = "visible") -> dict[str, Any]:
    """The ``results.json`` of one graded submission."""
    tests = []
    for number, (qid, qg) in enumerate(g.questions.items(), start=1):
        q = key.questions[qid]
        if qg.status == MANUAL:
            continue
        score = qg.score or Fraction(0)
        tests.append({
            "name": f"{qid}: {q.title}" if q.title else qid,
            "number": str(number),
            "score": json_number(score),
            "max_score": json_number(q.points),
            "status": "passed" if score == q.points else "failed",
            "output": "\n".join(question_md(key, qid, qg)),
            "output_format": "md",
            "visibility": visibility,
        })
    auto = sum((q.points for q in key.auto_questions), Fraction(0))
    lines = [f"**{fmt_score(g.total)} / {fmt_score(auto)}** on the automatically graded questions."]
    manual = [qid for qid, qg in g.questions.items() if qg.status == MANUAL]
    if manual:
        lines.append(f"Graded by hand, added separately: {', '.join(manual)}.")
    if g.error:
        lines.append(f"Your file could not be graded: {_md(g.error)}")
    lines += [f"Note: {_md(w)}" for w in g.warnings if "Traceback" not in w]
    return {
        "score": json_number(g.total),
        "execution_time": max(0, round(g.seconds if seconds is None else seconds)),
        "output": "\n\n".join(lines),
        "output_format": "md",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def failure_json(message: str, visibility: str = "visible") -> dict[str, Any]:
    """Results that score 0 and say why (no submission file, an unusable key)."""
    return {"score": 0, "execution_time": 0, "output": message, "output_format": "md", "visibility": visibility,
            "stdout_visibility": "hidden", "tests": []}


def find_submission(folder: Path) -> tuple[Path | None, str | None]:
    """The one submission file in ``folder`` (searched below it): the file, or None and why."""
    if not folder.is_dir():
        return None, f"the submission folder {folder} does not exist"
    found, links = [], []
    for p in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(folder).parts) or p.suffix.lower() not in SUFFIXES:
            continue
        # a symbolic link could point at the answer key or any file of the autograder,
        # whose text error messages would quote back to the student: never followed
        if _linked(p, folder):
            links.append(p)
        elif p.is_file():
            found.append(p)
    if links and not found:
        return None, "Your upload is a symbolic link, which is not read: upload the file itself."
    if len(found) > 1:
        preferred = [p for p in found if p.stem.lower() in PREFERRED]
        found = preferred if len(preferred) == 1 else found
    if not found:
        return None, "No submission file found: upload one `.yaml` or `.md` file with your answers."
    if len(found) > 1:
        names = ", ".join(f"`{_md(str(p.relative_to(folder)))}`" for p in found[:10])
        return None, f"Several files could be your submission ({names}): upload only one, or name it `submission.yaml`."
    return found[0], None


def _linked(path: Path, folder: Path) -> bool:
    """Whether ``path`` or a folder between it and ``folder`` is a symbolic link."""
    here = path
    while here != folder and here != here.parent:
        if here.is_symlink():
            return True
        here = here.parent
    return False


def write_results(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def run_gradescope(
    key_path: Path,
    submission: Path = AUTOGRADER / "submission",
    results: Path = AUTOGRADER / "results" / "results.json",
    timeout: float = 10.0,
    seed: int = 0,
    submission_timeout: float = 120.0,
    memory_mb: int = 3072,
    visibility: str = "visible",
) -> int:
    """Grade the one submission in ``submission`` and write ``results``: 0, or 2 when the key is unusable."""
    import sys

    from ..documents import register_markdown_reader
    from .batch import BatchOptions, grade_batch
    from .key import KeyProblem, load_key

    register_markdown_reader()
    started = time.monotonic()
    try:
        key = load_key(key_path)
    except KeyProblem as e:
        print(f"derivcheck: {e.where()}: the key cannot be used: {e.message}", file=sys.stderr)
        write_results(results, failure_json("The autograder is misconfigured (its answer key cannot be read); "
                                            "your instructor has been told. Nothing was graded.", visibility))
        return 2
    path, problem = find_submission(submission)
    if path is None:
        print(f"derivcheck: {problem}", file=sys.stderr)
        write_results(results, failure_json(problem or "no submission", visibility))
        return 0
    options = BatchOptions(jobs=1, seed=seed, timeout=timeout, submission_timeout=submission_timeout, memory_mb=memory_mb)
    try:
        grades, _ = grade_batch(key, [(path.stem, path)], options)
        doc = results_json(key, grades[0], seconds=time.monotonic() - started, visibility=visibility)
    except Exception as e:  # noqa: BLE001 - the student must get results.json whatever went wrong
        print(f"derivcheck: grading failed: {type(e).__name__}: {e}", file=sys.stderr)
        write_results(results, failure_json("The autograder could not grade this submission (an internal error); "
                                            "your instructor has been told.", visibility))
        return 2
    write_results(results, doc)
    print(f"derivcheck: graded {path.name}: {doc['score']}; wrote {results}", file=sys.stderr)
    return 0
