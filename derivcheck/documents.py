"""Markdown/LaTeX documents and context files (SPEC §11): import, verify, grade.

A student's document holds display-math blocks; :mod:`derivcheck.markdown` finds
the chains in them and this module turns those into a
:class:`~derivcheck.model.Derivation` with ``latex`` steps, over the symbols and
definitions of a *context*: a derivation file whose steps may be absent, or a
grading key's question.
"""

from __future__ import annotations

import json

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import limits
from .api import verify_derivation
from .loader import load_text, read_text
from .model import Chain, Derivation, Scope, Step, Text
from .results import ERROR, FileError, FileResult
from .yamltree import LoadError, Map, read_yaml

#: Suffixes read as documents rather than derivation YAML.
DOCUMENT_SUFFIXES = (".md", ".markdown", ".tex")


@dataclass
class ContextFile:
    """What a context contributes: names and definitions, and a question's claim."""

    path: str
    scope: Scope
    claim: Text | None = None


def is_document(path: str | Path) -> bool:
    return Path(path).suffix.lower() in DOCUMENT_SUFFIXES


def load_context(path: str | Path, question: str | None = None) -> ContextFile:
    """Read a context file: a derivation file (steps optional) or a grading key with ``question``."""
    text = read_text(path)
    root = read_yaml(text)
    if isinstance(root, Map) and "questions" in root.items:
        from .grading.key import load_key

        key = load_key(path)
        if question is None:
            choices = ", ".join(key.questions)
            raise LoadError(f"{path} is a grading key: choose a question with --question ({choices})", root.line)
        if question not in key.questions:
            raise LoadError(f"the key has no question {question!r} (it has {', '.join(key.questions)})", root.line)
        q = key.questions[question]
        return ContextFile(str(path), key.scope.merged(q.scope), q.claim)
    if question is not None:
        raise LoadError(f"--question needs a grading key; {path} is a derivation file", 1)
    deriv = load_text(text, str(path), require_steps=False)
    return ContextFile(str(path), deriv.scope, deriv.claim)


def useful(draft: ChainDraft) -> bool:
    """A chain worth checking: two steps or more, not a definition line."""
    return draft.defines is None and len(draft.steps) >= 2


def drafts_to_chains(drafts: list[ChainDraft]) -> list[Chain]:
    chains = []
    for d in drafts:
        if not useful(d):
            continue
        steps = tuple(Step(s.latex, s.line, latex=True) for s in d.steps[: limits.MAX_STEPS])
        chains.append(Chain(steps, given=tuple(Text(g, d.line) for g in d.given), title=d.title, line=d.line))
    return chains[: limits.MAX_CHAINS]


def document_derivation(text: str, path: str, context: ContextFile | None, claim: bool = False) -> Derivation:
    """A derivation of every chain in a document, over the context's names."""
    # the LaTeX reader (SymPy with it) only for documents, not for YAML files
    from .markdown import document_drafts

    chains = drafts_to_chains(document_drafts(text))
    if not chains:
        raise LoadError("no derivation found: no display-math block holds a chain of two steps or more", 1)
    scope = context.scope if context else Scope()
    has_cases = any(c.given for c in chains)
    return Derivation(
        path,
        scope,
        chains,
        title=chains[0].title,
        claim=context.claim if (context and claim) else None,
        has_cases=has_cases,
    )


def with_context(deriv: Derivation, context: ContextFile) -> Derivation:
    """A derivation file read over a context: the file's own names layered on top."""
    deriv.scope = context.scope.merged(deriv.scope)
    return deriv


def import_to_yaml(path: str | Path, context_path: str | None = None, question: str | None = None) -> str:
    """The draft derivation YAML of ``derivcheck import``.

    With a context, the draft carries the context's names (symbols, indices, sizes,
    define, given, and a question's claim) so that it verifies on its own.
    """
    from .markdown import import_document

    draft = import_document(read_text(path), str(path), context_path)
    if context_path is None:
        return draft
    context = load_context(context_path, question)
    lines = draft.splitlines()
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    names = scope_yaml(context.scope, context.claim if not draft_has_claim(lines) else None)
    return "\n".join(lines[:head] + names + lines[head:]) + "\n"


def draft_has_claim(lines: list[str]) -> bool:
    return any(line.startswith("claim:") for line in lines)


def scope_yaml(scope: Scope, claim: Text | None = None) -> list[str]:
    """A context's names as YAML lines (every value a JSON string, which YAML reads as written)."""
    out: list[str] = []
    for key, table in (("symbols", scope.symbols), ("indices", scope.indices), ("define", scope.define)):
        if table:
            out.append(f"{key}:")
            out.extend(f"  {json.dumps(name)}: {json.dumps(text.text)}" for name, text in table.items())
    if scope.sizes:
        out.append("sizes:")
        out.extend(f"  {json.dumps(name)}: [{', '.join(map(str, size.values))}]" for name, size in scope.sizes.items())
    if scope.given:
        out.append("given: [" + ", ".join(json.dumps(t.text) for t in scope.given) + "]")
    if scope.functions:
        out.append("functions: {" + ", ".join(f"{json.dumps(n)}: {d.arity}" for n, d in scope.functions.items()) + "}")
    if claim is not None:
        out.append(f"claim: {json.dumps(claim.text)}")
    return out


def load_any(path: str | Path, shown: str, context: ContextFile | None = None) -> Derivation:
    """A derivation from a YAML file or a Markdown/LaTeX document, over an optional context."""
    text = read_text(path)
    if is_document(path):
        return document_derivation(text, shown, context)
    deriv = load_text(text, shown)
    return with_context(deriv, context) if context is not None else deriv


def verify_any(
    path: str | Path,
    context: ContextFile | None = None,
    seed: int = 0,
    timeout: float = limits.DEFAULT_TIMEOUT,
    display_path: str | None = None,
) -> FileResult:
    """Verify a derivation file or a document, over an optional context; never raises for bad input."""
    shown = display_path or str(path)
    try:
        deriv = load_any(path, shown, context)
    except LoadError as err:
        return FileResult(shown, status=ERROR, error=FileError(err.message, err.line, [(p.message, p.line) for p in getattr(err, "more", [])]))
    return verify_derivation(deriv, seed=seed, timeout=timeout, display_path=shown)


# -- Markdown submissions for `derivcheck grade` --------------------------------------------


def _claim_chains(chains: list[Chain], scope: Scope, claim: Text | None) -> list[Chain]:
    """The chains that answer the claim: those starting at its left side, if any do.

    A section often holds side calculations (definitions, a Jacobian before the
    gradient); only the chains that begin where the claim begins are graded
    against it.  When none does, all are kept and the grader says so.
    """
    if claim is None or len(chains) < 2:
        return chains
    from .context import Context, ContextError
    from .parse import ExpressionError, parse_relation

    try:
        ctx = Context(scope, [s.text for c in chains for s in c.steps] + [claim.text], latex_reader=_latex())
        left = parse_relation(claim.text, ctx.names).left
    except (ContextError, ExpressionError):
        return chains
    keep = []
    for chain in chains:
        try:
            if ctx.parse(chain.steps[0].text, chain.steps[0].line, latex=True) == left:
                keep.append(chain)
        except ContextError:
            continue
    return keep or chains


def _latex():  # type: ignore[no-untyped-def]
    from .latex import parse_latex

    return parse_latex


def read_markdown_submission(path: Path, key: "Key") -> "Submission":
    """A submission written in Markdown/LaTeX: one section per question (``## q1``)."""
    from .grading.key import Answer, Submission
    from .markdown import document_drafts, sections

    shown = str(path)
    sub = Submission(path.stem, shown)
    try:
        text = read_text(path)
    except LoadError as err:
        sub.error = f"{shown}: {err.message}"
        return sub
    parts = sections(text)
    if not parts:
        sub.error = f"{shown}: no section names a question; head each answer with its id, e.g. '## q1'"
        return sub
    for qid in parts:
        if qid not in key.questions:
            sub.warnings.append(f"{shown}: section {qid!r} is not a question of the key; not graded")
    for qid, q in key.questions.items():
        if qid not in parts:
            continue
        if q.manual:
            sub.answers[qid] = Answer(qid)
            continue
        chains = drafts_to_chains(document_drafts(parts[qid]))
        if not chains:
            sub.answers[qid] = Answer(qid, error=f"{shown}: the section {qid} holds no chain of two steps or more")
            continue
        scope = key.scope.merged(q.scope)
        chains = _claim_chains(chains, scope, q.claim)
        deriv = Derivation(shown, scope, chains, title=q.title, claim=q.claim, has_cases=any(c.given for c in chains))
        sub.answers[qid] = Answer(qid, derivation=deriv, own_scope=Scope(), line=chains[0].line)
    return sub


def register_markdown_reader() -> None:
    """Let ``derivcheck grade`` read ``STUDENT.md`` submissions next to ``.yaml`` ones."""
    from .grading.key import register_reader

    register_reader(".md", read_markdown_submission)


if TYPE_CHECKING:  # pragma: no cover
    from .grading.key import Key, Submission
    from .markdown import ChainDraft
