"""HTML pages: ``verify --format html``, the grader's report.html and feedback/STUDENT.html.

Jinja2 with autoescaping on renders the templates under ``templates/``; what the
templates show as mathematics comes from :mod:`.mathml` (sanitized MathML) and the
charts from :mod:`.charts` (inline SVG).  Every page is self-contained and carries a
Content-Security-Policy that forbids every request and every script but the page's
own (by hash): even a rendering mistake could not make a student's text run or
fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..results import (
    Counterexample,
    ERROR,
    INVALID,
    PROVED,
    START,
    TESTED,
    TIMEOUT,
    UNKNOWN,
    VALID,
    FileResult,
    StepResult,
)
from . import charts
from .mathml import LATEX_ONLY, PAGE_SECONDS, code, page_budget, relation_mathml, step_mathml

TEMPLATES = Path(__file__).parent / "templates"

#: Verdict -> (symbol, words, css class): the words carry the meaning, the colour only repeats it.
BADGES = {
    START: ("•", "start", "start"),
    PROVED: ("✓", "proved", "ok"),
    TESTED: ("≈", "tested", "ok"),
    INVALID: ("✗", "invalid", "bad"),
    ERROR: ("!", "error", "bad"),
    TIMEOUT: ("◷", "timeout", "warn"),  # a clock every common font has
    VALID: ("✓", "valid", "ok"),
    UNKNOWN: ("?", "unknown", "warn"),
    "graded": ("✓", "graded", "ok"),
    "failed": ("!", "failed", "bad"),
    "missing": ("–", "no answer", "bad"),
    "manual": ("✎", "graded by hand", "start"),
}


def badge(status: str, extra: str = "") -> Markup:
    symbol, words, cls = BADGES.get(status, ("?", status, "warn"))
    text = f"{words} {extra}".strip()
    return Markup('<span class="badge {c}"><span aria-hidden="true">{s}</span> {t}</span>').format(c=cls, s=symbol, t=text)


def number(x: Any) -> str:
    """A coordinate of a counterexample as the engine gives it: a float in full (its shortest exact form)."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x} ≈ {float(x):.6g}"
    return str(x)


def values_apart(cx: Counterexample) -> tuple[str, str]:
    """The two sides' values with the digits that tell them apart (6 when that is enough).

    A certified counterexample brings its own texts (values beyond a double, or equal
    to 17 digits); otherwise the floats get more digits until they differ.
    """
    left_text, right_text = getattr(cx, "left_text", ""), getattr(cx, "right_text", "")
    if left_text and right_text:
        return left_text, right_text
    for digits in (6, 10, 17):
        a, b = (f"{v:.{digits}g}" if isinstance(v, float) else str(v) for v in (cx.left, cx.right))
        if a != b:
            break
    return a, b


def math_or_text(text: str | None) -> Markup:
    """A fix or a message part: mathematics when it is an expression of the language, else text."""
    if not text:
        return Markup("")
    out = step_mathml(text, latex=False, display="inline")
    if out.startswith('<code class="src">'):
        out = relation_mathml(text, display="inline")
    return Markup("{}").format(text) if out.startswith('<code class="src">') else out


#: Past this size a source file is not read again for hints (the loader refuses such files anyway).
MAX_HINT_BYTES = 2_000_000
_LATEX_KEY = re.compile(r"(^|[\s{,-])latex\s*:")


@dataclass(frozen=True)
class SourceHints:
    """Which lines of a source file hold LaTeX steps: results keep a step's text and line, not its kind.

    A Markdown/LaTeX document holds only LaTeX steps; in YAML, a step is LaTeX when its
    line has the ``latex:`` key.  Without a readable source (``lines`` None) the kind is
    guessed from the text (:func:`.mathml.looks_latex`).
    """

    lines: frozenset[int] | None = None
    all_latex: bool = False

    def is_latex(self, step: StepResult) -> bool | None:
        recorded = getattr(step, "latex", None)
        if recorded is not None:
            return bool(recorded)
        if self.all_latex:
            return True
        if self.lines is None:
            return None
        # a backslash or a brace never occurs in an expression: LaTeX whatever the line says
        return step.line in self.lines or bool(LATEX_ONLY.search(step.expr))


def source_hints(path: str | Path | None) -> SourceHints:
    """Read a source file's lines (bounded) to tell LaTeX steps from expressions."""
    if not path:
        return SourceHints()
    p = Path(path)
    if p.suffix.lower() in (".md", ".markdown", ".tex"):
        return SourceHints(all_latex=True)
    try:
        if not p.is_file() or p.stat().st_size > MAX_HINT_BYTES:
            return SourceHints()
        text = p.read_bytes().decode("utf-8", "replace")
    except OSError:
        return SourceHints()
    # lines as YAML counts them (split at \n only: str.splitlines also splits at \x0c, \x85, ...)
    return SourceHints(frozenset(n for n, line in enumerate(text.split("\n"), start=1) if _LATEX_KEY.search(line)))


def step_math(step: StepResult, hints: SourceHints = SourceHints()) -> Markup:
    """A step as mathematics: the LaTeX the student wrote for a LaTeX step, else the parsed expression."""
    return step_mathml(step.expr, hints.is_latex(step), display="inline")


def is_math(rendered: Markup) -> bool:
    """Whether a rendering is MathML (rather than the source text it fell back to)."""
    return rendered.startswith("<math")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    env.globals.update(values_apart=values_apart, attr_or_none=lambda obj, name: getattr(obj, name, None), is_math=is_math, badge=badge, number=number, math_or_text=math_or_text, step_math=step_math,
                       relation_math=relation_mathml, code=code, version=__version__, csp=csp)
    return env


def csp(script: str | None = None) -> str:
    """No request of any kind; inline styles; only the given script, pinned by its hash."""
    src = "'none'"
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        src = f"'sha256-{digest}'"
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {src}; base-uri 'none'; form-action 'none'"


def _render(template: str, budget: float = PAGE_SECONDS, **values: Any) -> str:
    """A page, always writable as UTF-8: a non-UTF-8 file name's bytes (surrogates) appear as ``\\udcNN``."""
    with page_budget(budget):
        page = _environment().get_template(template).render(**values)
    return page.encode("utf-8", "backslashreplace").decode("utf-8")


# -- verify --format html ------------------------------------------------------------------


def render_verify(results: list[FileResult]) -> str:
    """One self-contained page for one or more derivation files."""
    from ..results import file_status, summary

    counts = summary(results)
    by_status: dict[str, int] = {}
    for r in results:
        s = r.status or file_status(r)
        by_status[s] = by_status.get(s, 0) + 1
    return _render("verify.html.j2", budget=PAGE_SECONDS * max(1, len(results)), results=results, counts=counts, by_status=by_status,
                   anchors=[f"file-{i + 1}" for i in range(len(results))], hints=[source_hints(r.path) for r in results])


# -- grading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A mistake kind in one question: how many submissions made it, and one to look at."""

    kind: str
    question: str
    students: tuple[str, ...]
    #: where on the example's page the mistake is (a step's anchor), when known
    anchor: str | None = None

    @property
    def example(self) -> str:
        return self.students[0]

    @property
    def href(self) -> str:
        return charts.page_href(self.example, self.anchor or "q-" + self.question)


def _locate(m: Mistake, grades: dict[str, Any]) -> Mistake:
    """Point a mistake's link at the step of its example where it was made."""
    g = grades.get(m.example)
    q = g.questions.get(m.question) if g is not None else None
    if q is None or q.result is None or not q.result.chains:
        return m
    for d in q.deductions:
        if (d.diagnosis or d.kind.replace("_", " ")) == m.kind and d.step is not None:
            return replace(m, anchor=f"q-{m.question}-c{(d.chain or 0) + 1}-s{d.step}")
    return m


def mistakes_by_kind(found: Iterable[tuple[tuple[str, str, str], set[str]]]) -> list[Mistake]:
    """Fold (kind, question, step) -> students into kind × question, most frequent first."""
    folded: dict[tuple[str, str], set[str]] = {}
    for (kind, qid, _where), students in found:
        folded.setdefault((kind, qid), set()).update(students)
    out = [Mistake(k, q, tuple(sorted(s))) for (k, q), s in folded.items()]
    return sorted(out, key=lambda m: (-len(m.students), m.kind, m.question))


def render_report(key: Any, grades: list[Any], mistakes: list[Mistake]) -> str:
    """The teacher's page: distributions, common mistakes, the students, the failures."""
    from ..grading.batch import MANUAL, fmt_score

    ordered = sorted(grades, key=lambda g: g.student)
    auto_points = sum((q.points for q in key.auto_questions), Fraction(0))
    totals = [g.total for g in ordered]
    distributions = [_distribution("total", "Total (auto-graded)", totals, auto_points)]
    for q in key.auto_questions:
        scores = [g.questions[q.id].score or Fraction(0) for g in ordered if q.id in g.questions]
        distributions.append(_distribution(f"q-{q.id}", f"{q.id}" + (f": {q.title}" if q.title else ""), scores, q.points))
    by_id = {g.student: g for g in ordered}
    top = [_locate(m, by_id) for m in mistakes[:15]]
    chart = charts.bars_svg("mistakes", "Most common mistakes (kind, question)",
                            [charts.Bar(f"{m.kind} · {m.question}", len(m.students), m.href, m.example) for m in top])
    rows = []
    for g in ordered:
        cells = []
        for q in key.questions.values():
            qg = g.questions.get(q.id)
            if qg is None or qg.status == MANUAL:
                cells.append(("", -1.0, "graded by hand" if q.manual else ""))
            else:
                cells.append((fmt_score(qg.score), float(qg.score or 0), qg.status if qg.status != "graded" else ""))
        status = "failed" if g.error else "graded"
        rows.append({"student": g.student, "href": charts.page_href(g.student), "cells": cells, "total": fmt_score(g.total),
                     "total_value": float(g.total), "status": status, "error": g.error})
    failed = [{"student": g.student, "href": charts.page_href(g.student), "error": g.error} for g in ordered if g.error]
    script = (TEMPLATES / "sort.js").read_text(encoding="utf-8")
    return _render("report.html.j2", key=key, rows=rows, failed=failed, distributions=distributions, mistakes=top,
                   all_mistakes=len(mistakes), chart=chart, auto_points=fmt_score(auto_points), script=Markup(script),
                   script_csp=csp(script), count=len(ordered), fmt=fmt_score)


def _distribution(ident: str, title: str, scores: list[Fraction], points: Fraction) -> dict[str, Any]:
    from ..grading.batch import fmt_score

    mm = charts.mean_median(scores)
    return {
        "id": ident, "title": title, "points": fmt_score(points),
        "mean": fmt_score(mm[0]) if mm else "–", "median": fmt_score(mm[1]) if mm else "–",
        "full": sum(1 for s in scores if s == points),
        "svg": charts.histogram_svg(ident + "-chart", f"Distribution of scores, {title}", scores, points),
        "buckets": charts.buckets(scores, points),
    }


def render_feedback(key: Any, g: Any) -> str:
    """A student's page: per question the score, the deductions and the chain as mathematics."""
    from ..grading.batch import fmt_score

    auto = sum((q.points for q in key.auto_questions), Fraction(0))
    return _render("feedback.html.j2", key=key, g=g, auto=fmt_score(auto), fmt=fmt_score,
                   manual=any(q.status == "manual" for q in g.questions.values()), hints=source_hints(g.path),
                   warnings=[w for w in g.warnings if "Traceback" not in w])


__all__ = ["BADGES", "Mistake", "SourceHints", "badge", "mistakes_by_kind", "render_feedback", "render_report", "render_verify"]
