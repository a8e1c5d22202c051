"""The outputs of ``derivcheck grade``: grades.csv, grades.json, feedback/ (Markdown and HTML), summary.md, report.html, gradescope/."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

from .batch import (
    FAILED,
    GRADED,
    MANUAL,
    MISSING,
    BatchStats,
    QuestionGrade,
    SubmissionGrade,
    fmt_score,
)
from .key import Key
from ..results import ERROR, INVALID, PROVED, START, TESTED, TIMEOUT, FileResult

#: A character no UTF-8 file can hold (a byte of a non-UTF-8 file name, quoted in a message) is written as \xNN.
UNWRITABLE = "backslashreplace"


MARKS = {START: "•", PROVED: "✓", TESTED: "≈", INVALID: "✗", ERROR: "!", TIMEOUT: "⏱"}
WORDS = {START: "start", PROVED: "proved", TESTED: "checked numerically", INVALID: "not equal to the previous step", ERROR: "cannot be read", TIMEOUT: "undecided in time"}


def write_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then a rename.

    A batch stopped midway (a lost Dask scheduler, Ctrl-C, a full disk) leaves every
    output it wrote complete, never a half-written CSV.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", errors=UNWRITABLE, newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def _missing_html(e: ImportError) -> str:
    return (f"report.html and feedback/*.html not written: the Python package {e.name or 'jinja2'!r} is missing "
            f"(install it with: pip install --upgrade derivcheck-cli)")


def render_feedback_files(key: Key, g: SubmissionGrade, html: bool = True) -> dict[str, str]:
    """A student's feedback files (name under feedback/ -> text); runs in the worker that graded them.

    Without jinja2 only the Markdown page: the writer then says why the HTML is missing.
    """
    g = g if safe_id(g.student) == g.student else dataclasses.replace(g, student=safe_id(g.student))
    files = {f"{g.student}.md": feedback_md(key, g), JSON_PART: student_json_text(g)}
    if html:
        try:
            from ..formats.html import render_feedback
        except ImportError:
            return files
        files[f"{g.student}.html"] = render_feedback(key, g)
    return files


def prepare_worker() -> None:
    """Run in each grading process before it grades: the Markdown reader, and the HTML renderer warmed up.

    The renderer gives each formula a short time limit and remembers what it made; in
    a process just started, the first formula would spend that time on loading the
    converter and could come out as plain text on a busy machine. Loaded here, outside
    any limit, every process renders the same pages.
    """
    from ..documents import register_markdown_reader

    register_markdown_reader()
    try:
        from latex2mathml.converter import convert

        from ..formats import html  # noqa: F401 - the templates
        from ..formats.mathml import _printer

        _printer()
        convert("\\frac{x^{2}}{\\sqrt{y}}", display="inline")
    except Exception:  # noqa: BLE001, S110 - without jinja2 or latex2mathml there is nothing to warm
        pass


class FeedbackWriter:
    """Writes each student's feedback/ files as soon as their grade arrives (each file atomically)."""

    def __init__(self, key: Key, out: Path, html: bool = True) -> None:
        self.key, self.out, self.html = key, out, html
        self.remarks: list[str] = []
        self.written: set[str] = set()
        #: each student's grades.json entry (see :func:`student_json_text`), by student id
        self.json_parts: dict[str, str] = {}
        (out / "feedback").mkdir(parents=True, exist_ok=True)

    def __call__(self, g: SubmissionGrade) -> None:
        files, g.rendered = g.rendered, {}
        if not files or (self.html and not any(n.endswith(".html") for n in files)):
            files = render_feedback_files(self.key, g, html=self.html)
        if not self.html:
            files = {n: t for n, t in files.items() if not n.endswith(".html")}
        elif not any(n.endswith(".html") for n in files) and not self.remarks:
            try:
                import jinja2  # noqa: F401
            except ImportError as e:
                self.remarks.append(_missing_html(e))
        student = safe_id(g.student)
        part = files.pop(JSON_PART, None)
        if part is not None:
            self.json_parts[student] = part
        for name, text in files.items():
            if name in (f"{student}.md", f"{student}.html"):  # never a path from elsewhere (a worker is another machine)
                write_atomic(self.out / "feedback" / name, text)
        self.written.add(student)


def write_outputs(
    key: Key, grades: list[SubmissionGrade], out: Path, stats: BatchStats | None = None, gradescope: bool = False, html: bool = True,
    feedback: FeedbackWriter | None = None,
) -> list[str]:
    """Write every output; returns remarks for the teacher (an output that could not be made).

    ``feedback``: the writer that already wrote the students' pages as their grades came
    in; pages it has not written are written here. ``stats`` (times, cache hits) are
    printed by the command, not written: the outputs of the same inputs are the same
    bytes whatever the run (``--jobs``, executor, cache).
    """
    del stats  # kept for callers; see the docstring
    grades = [g if safe_id(g.student) == g.student else dataclasses.replace(g, student=safe_id(g.student)) for g in grades]
    out.mkdir(parents=True, exist_ok=True)
    feedback = feedback if feedback is not None else FeedbackWriter(key, out, html=html)
    for g in grades:
        if g.student not in feedback.written:
            feedback(g)
    remarks: list[str] = list(dict.fromkeys(feedback.remarks))
    write_atomic(out / "summary.md", summary_md(key, grades))
    if gradescope:
        for g in grades:
            d = out / "gradescope" / g.student
            d.mkdir(parents=True, exist_ok=True)
            write_atomic(d / "results.json", json.dumps(gradescope_json(key, g), indent=2, ensure_ascii=False) + "\n")
    if html:
        try:
            from ..formats.html import mistakes_by_kind, render_report
        except ImportError as e:
            if not remarks:
                remarks.append(_missing_html(e))
        else:
            write_atomic(out / "report.html", render_report(key, grades, mistakes_by_kind(common_mistakes(grades))))
    # the grades last: a grades.csv on disk means the whole batch's outputs are there
    write_atomic(out / "grades.json", grades_json_text(key, grades, feedback.json_parts))
    write_csv(key, grades, out / "grades.csv")
    return remarks


def write_html(key: Key, grades: list[SubmissionGrade], out: Path) -> list[str]:
    """report.html and feedback/STUDENT.html: every other output exists even when these cannot be made."""
    try:
        from ..formats.html import mistakes_by_kind, render_feedback, render_report
    except ImportError as e:
        return [_missing_html(e)]
    grades = [g if safe_id(g.student) == g.student else dataclasses.replace(g, student=safe_id(g.student)) for g in grades]
    fb = out / "feedback"
    fb.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "report.html", render_report(key, grades, mistakes_by_kind(common_mistakes(grades))))
    for g in grades:
        write_atomic(fb / f"{g.student}.html", render_feedback(key, g))
    return []


def safe_id(student: str) -> str:
    """A student id taken from a file name that is not UTF-8 (Python keeps its bytes as surrogates) as ``\\xNN``.

    Such an id cannot be written into UTF-8 outputs; spelled out, it stays unique and
    the batch's outputs are all written.
    """
    try:
        student.encode("utf-8")
    except UnicodeEncodeError:
        return student.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return student


# -- grades.csv ---------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a student id as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(key: Key, grades: list[SubmissionGrade], path: Path) -> None:
    f = io.StringIO()
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["student", *key.questions, "total"])
    for g in sorted(grades, key=lambda g: g.student):
        w.writerow([_cell(g.student), *(fmt_score(g.questions[q].score) for q in key.questions), fmt_score(g.total)])
    write_atomic(path, f.getvalue())


# -- grades.json --------------------------------------------------------------------------


def json_number(x: Fraction) -> int | float:
    """A score as a JSON number: 27, 7.5 (a third of a point to 6 decimals); exact when it is whole."""
    return x.numerator if x.denominator == 1 else round(float(x), 6)


def submission_status(g: SubmissionGrade) -> str:
    """``graded``, or ``failed`` when the submission could not be graded at all (unreadable, timed out)."""
    return "failed" if g.error else "graded"


def question_json(q: QuestionGrade) -> dict[str, Any]:
    return {
        "score": json_number(q.score) if q.score is not None else None,
        "points": json_number(q.points),
        "status": q.status,
        "reason": q.reason,
        "deductions": [{**d.to_json(), "points": json_number(d.points)} for d in q.deductions],
        "review": q.review,
        "result": q.result.to_json() if q.result else None,
    }


def student_json(g: SubmissionGrade) -> dict[str, Any]:
    """One student's entry of grades.json."""
    return {
        "student": g.student,
        "path": g.path,
        "total": json_number(g.total),
        "status": submission_status(g),
        "reason": g.error,
        "error": g.error,
        "warnings": g.warnings,
        "questions": {qid: question_json(q) for qid, q in g.questions.items()},
    }


#: where a worker's rendering keeps the student's grades.json entry (never a file name: a NUL)
JSON_PART = "\x00grades.json"
_STUDENTS = "\x00students\x00"


def student_json_text(g: SubmissionGrade) -> str:
    """A student's grades.json entry as text, indented as it sits in the whole file (two levels deep).

    JSON strings hold no raw newline, so indenting every line is exact: grades.json
    assembled from these parts is the same bytes as the whole document dumped at once.
    """
    return json.dumps(student_json(g), indent=2, ensure_ascii=False, default=str).replace("\n", "\n    ")


def grades_json_text(key: Key, grades: list[SubmissionGrade], parts: dict[str, str] | None = None) -> str:
    """grades.json as text: the students' entries from ``parts`` (rendered by the workers) where given."""
    parts = parts or {}
    doc = grades_json(key, [])
    doc["students"] = _STUDENTS
    head = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
    ordered = sorted(grades, key=lambda g: g.student)
    body = ",\n    ".join(parts.get(g.student) or student_json_text(g) for g in ordered)
    students = "[\n    " + body + "\n  ]" if ordered else "[]"
    return head.replace(json.dumps(_STUDENTS), students, 1) + "\n"


def grades_json(key: Key, grades: list[SubmissionGrade], stats: BatchStats | None = None) -> dict[str, Any]:
    """grades.json; ``stats`` (this run's times and cache hits) only when asked for: they differ from run to run."""
    doc = {
        "version": 1,
        "assignment": key.assignment,
        "key": key.path,
        "questions": [
            {"id": q.id, "title": q.title, "points": json_number(q.points), "manual": q.manual, "claim": q.claim.text if q.claim else None,
             "deductions": {k: json_number(v) for k, v in q.deductions.items()}}
            for q in key.questions.values()
        ],
        "students": [student_json(g) for g in sorted(grades, key=lambda g: g.student)],
    }
    if stats is not None:
        doc["stats"] = {
            "seconds": round(stats.seconds, 3), "cache_hits": stats.cache_hits, "cache_misses": stats.cache_misses,
            "timed_out": stats.timed_out, "crashed": stats.crashed,
        }
    return doc


# -- feedback -----------------------------------------------------------------------------


def _code(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:300] + "…"
    return "`" + text.replace("`", "'") + "`"


def _md(text: str | None) -> str:
    """Student-controlled text, safe inside Markdown (no raw HTML, no links)."""
    if not text:
        return ""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;").replace("[", "\\[").replace("]", "\\]")


def chain_md(result: FileResult) -> list[str]:
    lines: list[str] = []
    many = len(result.chains) > 1
    for ci, chain in enumerate(result.chains):
        if many or chain.given:
            head = f"Case {ci + 1}" + (f": given {_md(', '.join(chain.given))}" if chain.given else "")
            lines += ["", f"*{head}*", ""]
        for s in chain.steps:
            mark = MARKS.get(s.status, "?")
            lines.append(f"{s.index}. {mark} {_code(s.expr)} — {WORDS.get(s.status, s.status)} (line {s.line})")
            if s.status not in (START, PROVED, TESTED) and s.message:
                lines.append(f"   - {_md(s.message)}")
            for d in s.diagnoses:
                lines.append(f"   - **{d.kind}**: {_md(d.message)}")
            for n in s.notes:
                lines.append(f"   - note ({n.kind}): {_md(n.message)}")
    if result.claim is not None and result.claim.status not in (PROVED, TESTED):
        lines += ["", f"Claim: {_md(result.claim.message)}"]
    if result.coverage is not None and not result.coverage.complete and result.coverage.uncovered:
        lines += ["", "Cases not covered: " + _md("; ".join(result.coverage.uncovered))]
    elif result.coverage is not None and not result.coverage.complete:  # neither shown nor refuted
        lines += ["", "Coverage of the claim: " + _md("; ".join(n.message for n in result.coverage.notes))]
    return lines


def feedback_md(key: Key, g: SubmissionGrade) -> str:
    auto = sum((q.points for q in key.auto_questions), Fraction(0))
    title = key.assignment or "Grading"
    lines = [f"# {_md(title)}: feedback for {_md(g.student)}", ""]
    lines.append(f"Your score on the automatically graded questions: **{fmt_score(g.total)} / {fmt_score(auto)}**.")
    if any(q.status == MANUAL for q in g.questions.values()):
        lines.append("Questions marked *graded by hand* will be added separately.")
    if g.error:
        lines += ["", f"Your file could not be graded: {_md(g.error)}"]
    for w in g.warnings:
        if "Traceback" not in w:
            lines += ["", f"Note: {_md(w)}"]
    for qid, qg in g.questions.items():
        q = key.questions[qid]
        head = f"## {qid}" + (f": {_md(q.title)}" if q.title else "")
        lines += ["", head, ""]
        lines += question_md(key, qid, qg)
    return "\n".join(lines) + "\n"


def question_md(key: Key, qid: str, qg: QuestionGrade) -> list[str]:
    """One question's feedback, in Markdown written to the student (also a Gradescope test's output)."""
    q = key.questions[qid]
    lines: list[str] = []
    if qg.status == MANUAL:
        lines.append(f"Graded by hand (out of {fmt_score(q.points)}).")
        return lines
    lines.append(f"**Score: {fmt_score(qg.score)} / {fmt_score(q.points)}**")
    if q.claim:
        lines.append(f"\nTo show: {_code(q.claim.text)}")
    if qg.status in (MISSING, FAILED):
        lines.append(f"\nScored 0: {_md(qg.reason)}")
    if qg.deductions:
        lines += ["", "Deductions:", ""]
        for d in qg.deductions:
            pts = f"−{fmt_score(d.points)}" if d.points else "no deduction"
            lines.append(f"- {pts} ({d.kind.replace('_', ' ')}): {_md(d.message)}")
    elif qg.status == GRADED:
        lines.append("\nEvery step checks out. Well done.")
    for r in qg.review:
        lines.append(f"- to be reviewed: {_md(r)}")
    if qg.result is not None and qg.result.chains:
        lines += ["", "Your derivation, step by step:"]
        lines += chain_md(qg.result)
    return lines


# -- summary ------------------------------------------------------------------------------


def histogram(scores: list[Fraction], points: Fraction, width: int = 30) -> list[str]:
    if not scores:
        return ["(no submissions)"]
    distinct = sorted(set(scores))
    if len(distinct) <= 12:
        buckets = [(fmt_score(s), sum(1 for x in scores if x == s)) for s in distinct]
    else:
        n = 10
        edges = [points * i / n for i in range(n + 1)]
        buckets = []
        for i in range(n):
            lo, hi = edges[i], edges[i + 1]
            count = sum(1 for x in scores if lo <= x < hi or (i == n - 1 and x == hi))
            buckets.append((f"{fmt_score(lo)}–{fmt_score(hi)}", count))
    top = max(c for _, c in buckets) or 1
    label = max(len(b) for b, _ in buckets)
    return [f"{b.rjust(label)} | {'#' * max(1 if c else 0, round(c * width / top))} {c}" for b, c in buckets]


def summary_md(key: Key, grades: list[SubmissionGrade]) -> str:
    lines = [f"# {key.assignment or 'Grading'}: summary", "", f"{len(grades)} submission(s) graded."]
    failed = [g for g in grades if g.error]
    if failed:
        lines.append(f"{len(failed)} could not be read or graded: " + ", ".join(g.student for g in failed) + ".")
    lines.append("")
    totals = [g.total for g in grades]
    auto = sum((q.points for q in key.auto_questions), Fraction(0))
    if totals:
        mean = sum(totals, Fraction(0)) / len(totals)
        lines += [f"## Total (auto-graded, out of {fmt_score(auto)})", "", f"Mean {fmt_score(mean)}.", "", "```", *histogram(totals, auto), "```", ""]
    for q in key.questions.values():
        lines.append(f"## {q.id}" + (f": {q.title}" if q.title else "") + f" ({fmt_score(q.points)} points)")
        lines.append("")
        if q.manual:
            lines += ["Graded by hand.", ""]
            continue
        scores = [g.questions[q.id].score or Fraction(0) for g in grades]
        statuses = Counter(g.questions[q.id].status for g in grades)
        if scores:
            mean = sum(scores, Fraction(0)) / len(scores)
            lines.append(f"Mean {fmt_score(mean)} of {fmt_score(q.points)}; full marks {sum(1 for s in scores if s == q.points)}, "
                         f"no answer {statuses.get(MISSING, 0)}, unreadable or in error {statuses.get(FAILED, 0)}.")
        lines += ["", "```", *histogram(scores, q.points), "```", ""]
    lines += ["## Most common mistakes", ""]
    mistakes = common_mistakes(grades)
    if not mistakes:
        lines.append("None.")
    else:
        lines += ["| mistake | question | where | submissions |", "|---|---|---|---|"]
        for (kind, qid, where), students in mistakes[:20]:
            lines.append(f"| {kind} | {qid} | {where} | {len(students)} |")
    return "\n".join(lines) + "\n"


def common_mistakes(grades: list[SubmissionGrade]) -> list[tuple[tuple[str, str, str], set[str]]]:
    """(diagnosis kind or deduction, question, step) -> the students who made that mistake."""
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for g in grades:
        for qid, q in g.questions.items():
            if q.status == FAILED:
                found[("error: " + _error_kind(q.reason or ""), qid, "")].add(g.student)
            elif q.status == MISSING:
                found[("no answer", qid, "")].add(g.student)
            for d in q.deductions:
                if d.kind == "after_slip":
                    continue
                kind = d.diagnosis or d.kind.replace("_", " ")
                where = ""
                if d.step is not None:
                    where = (f"case {d.chain + 1}, " if d.chain else "") + f"step {d.step}"
                found[(kind, qid, where)].add(g.student)
    return sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _error_kind(reason: str) -> str:
    low = reason.lower()
    for word, label in (("timed out", "timed out"), ("invalid yaml", "invalid YAML"), ("redefines", "redefines a key name"),
                        ("cannot be read", "step cannot be read"), ("unknown key", "unknown key"), ("memory", "out of memory")):
        if word in low:
            return label
    return "other"


# -- gradescope ---------------------------------------------------------------------------


def gradescope_json(key: Key, g: SubmissionGrade) -> dict[str, Any]:
    """Gradescope's results.json for one student (see :mod:`derivcheck.gradescope`)."""
    from .gradescope import results_json

    return results_json(key, g)


# -- the command --------------------------------------------------------------------------


def run_grade(
    key_path: Path,
    folder: Path,
    out: Path,
    jobs: int = 0,
    timeout: float = 10.0,
    seed: int = 0,
    submission_timeout: float = 120.0,
    memory_mb: int = 3072,
    cache: bool = True,
    gradescope: bool = False,
    progress: bool | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> int:
    """``derivcheck grade``: 0 when every submission was graded, 2 when the key or the folder is unusable.

    ``executor``: "local" (worker processes on this machine) or "dask" (a Dask cluster at
    ``scheduler``, or a local one of ``jobs`` workers); the outputs are the same bytes.
    """
    import sys

    from ..documents import register_markdown_reader
    from .batch import BatchOptions, grade_batch
    from .key import KeyProblem, discover, load_key

    register_markdown_reader()  # STUDENT.md submissions next to STUDENT.yaml ones

    def err(msg: str) -> None:
        print(f"derivcheck: {msg}", file=sys.stderr)

    try:
        key = load_key(key_path)
    except KeyProblem as e:
        err(f"{e.where()}: the key cannot be used: {e.message}")
        return 2
    if not folder.exists():
        err(f"{folder}: the submissions folder does not exist")
        return 2
    if not folder.is_dir():
        err(f"{folder}: not a folder (give the folder that holds the submissions)")
        return 2
    try:
        subs, warnings = discover(folder)
    except OSError as e:
        err(f"{folder}: cannot list the folder: {e.strerror or e}")
        return 2
    for w in warnings:
        err(w)
    if not subs:
        err(f"{folder}: no submissions (.yaml/.yml files) found")
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        err(f"{out}: cannot create the output folder: {e.strerror or e}")
        return 2
    options = BatchOptions(jobs=jobs, seed=seed, timeout=timeout, submission_timeout=submission_timeout, memory_mb=memory_mb, cache=cache,
                           render=render_feedback_files, setup=prepare_worker)
    if executor == "dask":
        from .dask import DaskLost, DaskUnavailable, grade_batch_dask

        try:
            grade_batch_dask(key, [], options, scheduler=scheduler, check_only=True)
        except DaskUnavailable as e:
            err(str(e))
            return 2

        def run_batch(on_done: Any) -> Any:
            return grade_batch_dask(key, subs, options, on_done, scheduler=scheduler)
    else:
        DaskLost = DaskUnavailable = None  # type: ignore[assignment,misc]

        def run_batch(on_done: Any) -> Any:
            return grade_batch(key, subs, options, on_done)

    prepare_worker()  # here too: forked grading processes inherit it, and the command renders the pages of failed submissions
    writer = FeedbackWriter(key, out)
    written = [0]

    def write_feedback(g: SubmissionGrade) -> None:
        writer(g)
        written[0] += 1

    show = sys.stderr.isatty() if progress is None else progress
    try:
        grades, stats = _run_with_progress(run_batch, write_feedback, len(subs), show)
    except OSError as e:
        err(f"{out}: cannot write the outputs: {e.strerror or e}")
        return 2
    except Exception as e:
        if DaskLost is None or not isinstance(e, (DaskLost, DaskUnavailable)):
            raise
        done = (f"{written[0]} of {len(subs)} submission(s) were graded and their feedback pages written "
                f"(complete files) to {out / 'feedback'}; " if written[0] else "")
        err(f"{e}; {done}grades.csv and the other outputs were not written: run the command again")
        return 2
    try:
        remarks = write_outputs(key, grades, out, stats, gradescope=gradescope, feedback=writer)
    except OSError as e:
        err(f"{out}: cannot write the outputs: {e.strerror or e}")
        return 2
    for remark in remarks:
        err(remark)
    failed = sorted((g for g in grades if g.error), key=lambda g: g.student)
    print(
        f"graded {len(grades)} submission(s) in {stats.seconds:.1f} s"
        + (f" ({len(failed)} unreadable or failed, graded 0)" if failed else "")
        + f"; outputs in {out}",
        file=sys.stderr,
    )
    if stats.cache_hits or stats.cache_misses:
        print(f"  transition cache: {stats.cache_hits} hits, {stats.cache_misses} misses", file=sys.stderr)
    for g in failed[:20]:
        print(f"  failed: {g.student}: {' '.join((g.error or '').split())[:200]}", file=sys.stderr)
    if len(failed) > 20:
        print(f"  ... and {len(failed) - 20} more failed (grades.json has every reason)", file=sys.stderr)
    print(f"  {out / 'grades.csv'}: one row per student, for a spreadsheet or an LMS", file=sys.stderr)
    print(f"  {out / 'grades.json'}: every score, deduction and verdict", file=sys.stderr)
    if (out / "report.html").exists():
        print(f"  {out / 'report.html'}: the class at a glance (open it in a browser)", file=sys.stderr)
    print(f"  {out / 'feedback'}/: one page per student; {out / 'summary.md'}: the most common mistakes", file=sys.stderr)
    if grades and len(failed) == len(grades):
        err("no submission could be graded")
        return 1
    return 0


def _run_with_progress(run_batch: Any, on_done: Any, total: int, show: bool) -> Any:
    """Run the batch, calling ``on_done`` per grade, with a progress bar on a terminal."""
    if not show:
        return run_batch(on_done)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
                   console=Console(stderr=True), auto_refresh=False, transient=False)
    task = bar.add_task("", total=total)

    def done(g: SubmissionGrade) -> None:
        on_done(g)
        bar.update(task, advance=1, description=g.student)
        bar.refresh()

    with bar:
        return run_batch(done)

