"""Grading keys and submissions (SPEC §9): YAML -> plain objects, with a line for every error.

A broken key is a :class:`KeyError_` (the command stops with exit 2 before grading
anything).  A broken submission is never an exception that escapes: it becomes a
:class:`Submission` with ``error`` set, or an :class:`Answer` with ``error`` set,
and is graded 0 with that reason.

Submission readers are looked up by file suffix in :data:`READERS`, so another
format (Markdown, LaTeX) plugs in with :func:`register_reader` without touching
the grader: a reader maps ``(path, key)`` to a :class:`Submission`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

from ..loader import (
    SCOPE_KEYS,
    check_indices,
    check_keys,
    declared_name,
    expression_text,
    optional_str,
    read_body,
    read_scope,
    read_text,
)
from ..model import Chain, Derivation, Scope, Text
from ..yamltree import LoadError, Map, Scalar, kind_name, read_yaml

KEY_KEYS = ("assignment", "title", *SCOPE_KEYS, "questions", "deductions")
QUESTION_KEYS = ("title", "points", "claim", "manual", *SCOPE_KEYS, "deductions")
SUBMISSION_KEYS = ("answers",)
#: What an answer may hold: its body and new names (never indices, sizes or conditions
#: of its own: those would change what the key's claim means).
ANSWER_KEYS = ("title", "symbols", "define", "steps", "cases")

DEFAULT_DEDUCTIONS: dict[str, Fraction] = {
    "invalid_step": Fraction(1, 4),
    "slip": Fraction(1, 10),
    "wrong_start": Fraction(1, 2),
    "wrong_result": Fraction(1, 2),
    "missing_case": Fraction(1, 2),
}

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+(\.\d+)?\Z")


class KeyProblem(LoadError):
    """The key cannot be used; ``path`` and ``line`` say where."""

    def __init__(self, message: str, line: int | None, path: str) -> None:
        super().__init__(message, line)
        self.path = path

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Question:
    id: str
    title: str | None
    points: Fraction
    manual: bool
    claim: Text | None
    scope: Scope
    deductions: dict[str, Fraction]
    line: int


@dataclass
class Key:
    path: str
    assignment: str | None
    scope: Scope
    questions: dict[str, Question]
    deductions: dict[str, Fraction]
    #: every name the key uses or declares, per question (an answer may not redefine them)
    names: dict[str, frozenset[str]] = field(default_factory=dict)
    #: per question: the indexed names and the indices (``y_k`` is ``y[k]``, a key name too)
    sugar: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)

    @property
    def auto_questions(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.manual]


@dataclass
class Answer:
    """One answer of a submission: a loaded body, or the reason it cannot be graded."""

    question: str
    derivation: Derivation | None = None
    #: the answer's own symbols/define (new names only), for cache keys
    own_scope: Scope | None = None
    error: str | None = None
    line: int | None = None


@dataclass
class Submission:
    student: str
    path: str
    answers: dict[str, Answer] = field(default_factory=dict)
    #: the whole file could not be read: every question scores 0 with this reason
    error: str | None = None
    #: remarks that do not change a score (an answer to a question the key does not have)
    warnings: list[str] = field(default_factory=list)


# -- the key ------------------------------------------------------------------------------


def _fraction(value: object, what: str, line: int, path: str, upper: Fraction | None = None) -> Fraction:
    if not isinstance(value, Scalar) or not _NUMBER.match(value.text.strip()):
        raise KeyProblem(f"{what} must be a number such as 30 or 0.25, got {kind_name(value)}", line, path)  # type: ignore[arg-type]
    f = Fraction(value.text.strip())
    if upper is not None and f > upper:
        raise KeyProblem(f"{what} must be between 0 and {upper}, got {value.text}", line, path)
    return f


def _deductions(node: object, base: dict[str, Fraction], path: str) -> dict[str, Fraction]:
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return dict(base)
    if not isinstance(node, Map):
        raise KeyProblem(f"'deductions' must map a deduction to a fraction, got {kind_name(node)}", getattr(node, "line", None), path)  # type: ignore[arg-type]
    try:
        check_keys(node, tuple(DEFAULT_DEDUCTIONS), "deductions")
    except LoadError as err:
        raise KeyProblem(err.message, err.line, path) from None
    out = dict(base)
    for name, value in node.items.items():
        out[name] = _fraction(value, f"deduction {name!r}", node.key_lines[name], path, Fraction(1))
    return out


def load_key(path: str | Path) -> Key:
    """Read and check a key; raises :class:`KeyProblem` with the file and line."""
    shown = str(path)
    try:
        root = read_yaml(read_text(path))
    except LoadError as err:
        raise KeyProblem(err.message, err.line, shown) from None
    if not isinstance(root, Map):
        raise KeyProblem(f"a key is a mapping with 'questions', got {kind_name(root)}", getattr(root, "line", 1), shown)
    try:
        check_keys(root, KEY_KEYS, "key")
        scope = read_scope(root)
        assignment = optional_str(root, "assignment") or optional_str(root, "title")
    except LoadError as err:
        raise KeyProblem(err.message, err.line, shown) from None
    deductions = _deductions(root.items.get("deductions"), DEFAULT_DEDUCTIONS, shown)
    qnode = root.items.get("questions")
    if not isinstance(qnode, Map) or not qnode.items:
        raise KeyProblem("a key needs 'questions': a mapping of question id to question", root.key_lines.get("questions", root.line), shown)
    questions: dict[str, Question] = {}
    for qid, node in qnode.items.items():
        line = qnode.key_lines[qid]
        if not _ID.match(qid) or qid in ("student", "total"):
            raise KeyProblem(f"question id {qid!r} must be letters, digits, '_', '.' or '-' (and not 'student' or 'total')", line, shown)
        questions[qid] = _question(qid, node, line, deductions, shown)
    key = Key(shown, assignment, scope, questions, deductions)
    _check_usable(key)
    return key


def _question(qid: str, node: object, line: int, deductions: dict[str, Fraction], path: str) -> Question:
    if not isinstance(node, Map):
        raise KeyProblem(f"question {qid!r} must be a mapping with 'points' and 'claim', got {kind_name(node)}", line, path)  # type: ignore[arg-type]
    try:
        check_keys(node, QUESTION_KEYS, f"question {qid!r}")
        scope = read_scope(node)
        title = optional_str(node, "title")
        manual = False
        if "manual" in node.items:
            m = node.items["manual"]
            if not isinstance(m, Scalar) or m.text.strip().lower() not in ("true", "false", "yes", "no"):
                raise LoadError(f"'manual' must be true or false, got {kind_name(m)}", m.line)
            manual = m.text.strip().lower() in ("true", "yes")
        claim = None
        if "claim" in node.items:
            claim = expression_text(node.items["claim"], f"the claim of {qid!r}")
    except LoadError as err:
        raise KeyProblem(err.message, err.line, path) from None
    if "points" not in node.items:
        raise KeyProblem(f"question {qid!r} needs 'points'", line, path)
    points = _fraction(node.items["points"], f"the points of {qid!r}", node.key_lines["points"], path)
    if claim is None and not manual:
        raise KeyProblem(f"question {qid!r} needs a 'claim' (or 'manual: true')", line, path)
    qded = _deductions(node.items.get("deductions"), deductions, path)
    return Question(qid, title, points, manual, claim, scope, qded, node.line)


def _check_usable(key: Key) -> None:
    """Every auto-graded question's context and claim must parse: a broken key grades nobody."""
    from ..context import Context, ContextError
    from ..parse import ExpressionError, parse_relation

    for q in key.questions.values():
        scope = key.scope.merged(q.scope)
        names = _scope_names(scope, [q.claim] if q.claim else [])
        key.names[q.id] = frozenset(names)
        indexed = {declared_name(d)[0] for t in (scope.symbols, scope.define) for d in t if "[" in d}
        for text in [*scope.define.values(), *([q.claim] if q.claim else [])]:
            indexed |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\[", text.text))
        key.sugar[q.id] = (frozenset(indexed), frozenset(scope.indices))
        if q.manual:
            continue
        assert q.claim is not None
        try:
            check_indices(scope, [])
            ctx = Context(scope, [q.claim.text])
            rel = parse_relation(q.claim.text, ctx.names)
        except LoadError as err:
            raise KeyProblem(f"question {q.id!r}: {err.message}", err.line, key.path) from None
        except ContextError as err:
            raise KeyProblem(f"question {q.id!r}: {err.message}", err.line, key.path) from None
        except ExpressionError as err:
            raise KeyProblem(f"the claim of {q.id!r}: {err.message}", q.claim.line, key.path) from None
        except RecursionError:
            raise KeyProblem(f"question {q.id!r} is too deeply nested", q.line, key.path) from None
        if rel.op != "==":
            raise KeyProblem(f"the claim of {q.id!r} must be an equation LEFT = RIGHT", q.claim.line, key.path)


def _scope_names(scope: Scope, extra: list[Text]) -> set[str]:
    names: set[str] = set()
    for table in (scope.symbols, scope.define):
        for decl, text in table.items():
            names.add(declared_name(decl)[0])
            names |= set(_NAME.findall(text.text))
    names |= set(scope.indices) | {t.text.strip() for t in scope.indices.values()} | set(scope.sizes)
    for t in list(scope.given) + extra:
        names |= set(_NAME.findall(t.text))
    return names


# -- submissions --------------------------------------------------------------------------

#: suffix -> reader(path, key) -> Submission
Reader = Callable[[Path, Key], Submission]
READERS: dict[str, Reader] = {}


def register_reader(suffix: str, reader: Reader) -> None:
    """Grade files ending in ``suffix`` (".md") with ``reader``."""
    READERS[suffix.lower()] = reader


def discover(folder: str | Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """The submissions in a folder: (student id, path) sorted by id, and warnings.

    Only files directly in the folder whose suffix has a reader count; the student
    id is the file name without its suffix.  Hidden files are skipped.
    """
    found: dict[str, Path] = {}
    warnings: list[str] = []
    for p in sorted(Path(folder).iterdir()):
        if p.name.startswith(".") or not p.is_file() or p.suffix.lower() not in READERS:
            continue
        student = p.stem
        if student in found:
            warnings.append(f"{p}: a second file for {student!r}; graded {found[student].name} only")
            continue
        found[student] = p
    return sorted(found.items()), warnings


def read_submission(path: str | Path, key: Key, student: str | None = None) -> Submission:
    """A submission from any supported file; never raises for bad content."""
    p = Path(path)
    reader = READERS.get(p.suffix.lower())
    student = student or p.stem
    if reader is None:
        return Submission(student, str(p), error=f"{p.name}: no reader for {p.suffix or 'files without a suffix'}")
    sub = reader(p, key)
    sub.student = student
    return sub


def read_yaml_submission(path: Path, key: Key) -> Submission:
    shown = str(path)
    sub = Submission(path.stem, shown)
    try:
        root = read_yaml(read_text(path))
        if root is None:
            raise LoadError("the file is empty: a submission needs 'answers'", 1)
        if not isinstance(root, Map):
            raise LoadError(f"a submission is a mapping with 'answers', got {kind_name(root)}", root.line)
        check_keys(root, SUBMISSION_KEYS, "submission")
        answers = root.items.get("answers")
        if not isinstance(answers, Map):
            raise LoadError(
                f"'answers' must map question ids to derivations, got {kind_name(answers)}",
                root.key_lines.get("answers", root.line),
            )
    except LoadError as err:
        sub.error = f"{shown}:{err.line}: {err.message}" if err.line else f"{shown}: {err.message}"
        return sub
    for qid, node in answers.items.items():
        line = answers.key_lines[qid]
        q = key.questions.get(qid)
        if q is None:
            known = ", ".join(key.questions)
            sub.warnings.append(f"{shown}:{line}: {qid!r} is not a question of the key ({known}); not graded")
            continue
        if q.manual:
            sub.answers[qid] = Answer(qid, line=line)
            continue
        sub.answers[qid] = read_answer(node, q, key, shown, line)
    return sub


register_reader(".yaml", read_yaml_submission)
register_reader(".yml", read_yaml_submission)


def read_answer(node: object, q: Question, key: Key, path: str, line: int) -> Answer:
    """One answer body, turned into a derivation of the question's claim."""
    try:
        if not isinstance(node, Map):
            raise LoadError(f"the answer to {q.id} must be a mapping with 'steps' or 'cases', got {kind_name(node)}", line)  # type: ignore[arg-type]
        check_keys(node, ANSWER_KEYS, f"answer to {q.id}")
        own = read_scope(node)
        chains, has_cases = read_body(node, require_steps=True)
        _check_new_names(own, key.names.get(q.id, frozenset()), key.sugar.get(q.id), q.id)
        scope = key.scope.merged(q.scope).merged(own)
        check_indices(scope, chains)
        title = optional_str(node, "title") or q.title
    except LoadError as err:
        where = f"{path}:{err.line}" if err.line else path
        return Answer(q.id, error=f"{where}: {err.message}", line=err.line or line)
    deriv = Derivation(path, scope, chains, title=title, claim=q.claim, has_cases=has_cases, line=line)
    return Answer(q.id, derivation=deriv, own_scope=own, line=line)


def _check_new_names(
    own: Scope, key_names: frozenset[str], sugar: tuple[frozenset[str], frozenset[str]] | None, qid: str
) -> None:
    indexed, indices = sugar or (frozenset(), frozenset())
    for table in (own.symbols, own.define):
        for decl, text in table.items():
            base = declared_name(decl)[0]
            clash = base in key_names
            if not clash and "_" in base:
                # y_k is y[k] when y is indexed in the key: the key's name too
                stem, _, sub = base.rpartition("_")
                clash = stem in indexed and (sub in indices or sub.isdigit())
            if clash:
                what = "symbols" if table is own.symbols else "define"
                raise LoadError(
                    f"{decl!r} in '{what}' redefines a name of the key for {qid}; "
                    "an answer may add names but not change the key's",
                    text.line,
                )


def chains_text(chains: list[Chain]) -> str:
    """A canonical text of an answer body (for reports and caches)."""
    return "\n".join(
        "|".join(t.text for t in c.given) + "::" + "\n".join(("L:" if s.latex else "") + s.text for s in c.steps)
        for c in chains
    )
