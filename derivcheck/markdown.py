"""Display math out of Markdown/LaTeX documents, into draft derivations (SPEC §11).

``derivcheck import`` turns a student's written answer into a derivation file
with ``latex:`` steps.  The draft is for a person to read and correct, so the
splitting here is deliberately simple and every step keeps the line of the
document it came from.  Nothing here evaluates the formulas; reading them is
:mod:`derivcheck.latex`'s job (and a line it cannot read becomes a step in
``error`` when verified, never a crash here).

How a block is split:

* lines at ``\\\\``; steps at ``=`` / ``&=`` outside braces and brackets;
* a line that starts with ``&=`` continues the chain above it (also across
  blocks: a block that starts with ``&=`` continues the previous block's chain);
* ``name = expr`` whose left side is a plain name is a definition candidate,
  reported apart from the chains;
* ``T = k:``, ``T \\neq k:`` or ``\\text{if } ...`` heads a case: its conditions
  are the ``given`` of the chains that follow in the block (or, when the block
  holds nothing else, of the next block's chains);
* ``w \\leftarrow A = B``: an update rule; the chain is ``A = B``;
* ``\\text{...}`` lines and ``\\textcircled{n}`` labels are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sympy import Indexed, Symbol

from .latex import GREEK, Token, parse_latex, parse_latex_relation, tokenize
from .parse import ExpressionError, Names

_ENVS = ("aligned", "align", "align*", "equation", "equation*", "gather", "gather*", "split", "alignat", "alignat*")
_OPEN_RE = re.compile(r"\$\$|\\\[|\\begin\{(" + "|".join(re.escape(e) for e in _ENVS) + r")\}")
_FENCE_RE = re.compile(r"^(```|~~~)", re.M)
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*\S)\s*$")
_QUESTION_RE = re.compile(r"^\s{0,3}#{1,6}\s*\**\s*([Qq])\s*(\d+[a-z]?)\b")
_LABEL_RE = re.compile(r"\\textcircled\s*\{[^{}]*\}|\\(?:label|tag)\s*\{[^{}]*\}|\\(?:nonumber|notag)\b")
_TEXT_RE = re.compile(r"\\(?:text|textrm|textit|textbf|mbox|mathrm)\s*\{([^{}]*)\}")
_IF_RE = re.compile(r"^\\(?:text|textrm|mbox)\s*\{\s*(?:if|for|when|case|where)\b[^{}]*\}\s*")
_ENV_TAG_RE = re.compile(r"\\(?:begin|end)\{(?:" + "|".join(re.escape(e) for e in _ENVS) + r")\}(?:\{\d+\})?")


@dataclass(frozen=True)
class MathBlock:
    """The LaTeX of one display-math block and the 1-based line its content starts on."""

    text: str
    line: int
    title: str | None = None


@dataclass(frozen=True)
class StepDraft:
    """One step as written, with the document line it came from."""

    latex: str
    line: int


@dataclass
class ChainDraft:
    """A chain of steps read from a block; a definition candidate when ``defines`` is set.

    ``given`` holds expression-language conditions (``T == k``) from a case head;
    ``unread`` the parts of a case head that could not be read; ``continues`` marks a
    block that starts with ``&=`` (it extends the previous block's chain).
    """

    steps: list[StepDraft]
    line: int
    given: list[str] = field(default_factory=list)
    title: str | None = None
    defines: str | None = None
    continues: bool = False
    unread: list[str] = field(default_factory=list)

    @property
    def is_head(self) -> bool:
        """A case head with no steps: it applies to the chains of the next block."""
        return not self.steps and bool(self.given or self.unread)


# --- blocks -----------------------------------------------------------------------------


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _fenced_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of fenced code blocks, which hold no math."""
    marks = [m.start() for m in _FENCE_RE.finditer(text)]
    spans = []
    for a, b in zip(marks[0::2], marks[1::2]):
        spans.append((a, b))
    if len(marks) % 2:
        spans.append((marks[-1], len(text)))
    return spans


def _title_before(text: str, offset: int) -> str | None:
    """The nearest heading or list item above ``offset``: a title for the chain."""
    for raw in reversed(text[:offset].splitlines()):
        m = _HEADING_RE.match(raw) or _ITEM_RE.match(raw)
        if m:
            title = m.group(m.lastindex or 1).strip()
            title = re.sub(r"\s+", " ", title)
            return title[:120] if title else None
    return None


def extract_blocks(text: str) -> list[MathBlock]:
    """Every display-math block (``$$``, ``\\[``, ``aligned``/``align``/``equation``), in order."""
    blocks: list[MathBlock] = []
    fences = _fenced_spans(text)
    pos = 0
    while True:
        m = _OPEN_RE.search(text, pos)
        if m is None:
            return blocks
        inside_fence = next((b for a, b in fences if a <= m.start() < b), None)
        if inside_fence is not None:
            pos = inside_fence + 3
            continue
        if m.group(0) == "$$":
            close = text.find("$$", m.end())
            closer = "$$"
        elif m.group(0) == "\\[":
            close = text.find("\\]", m.end())
            closer = "\\]"
        else:
            closer = "\\end{" + m.group(1) + "}"
            close = text.find(closer, m.end())
        if close < 0:
            pos = m.end()  # an unclosed opener: not a block
            continue
        blocks.append(MathBlock(text[m.end() : close], _line_of(text, m.end()), _title_before(text, m.start())))
        pos = close + len(closer)


def sections(text: str) -> dict[str, str]:
    """Split a Markdown answer by question headings (``## q1``, ``# Q2: ...``).

    Each section's text starts with as many blank lines as precede it in the
    document, so lines found in it are lines of the whole document.
    """
    out: dict[str, list[str]] = {}
    lines = text.splitlines(keepends=True)
    current: str | None = None
    for number, raw in enumerate(lines):
        m = _QUESTION_RE.match(raw)
        if m:
            current = "q" + m.group(2).lower()
            out.setdefault(current, ["\n" * (number + 1)])
            continue
        if current is not None:
            out[current].append(raw)
    return {qid: "".join(parts) for qid, parts in out.items()}


# --- splitting a block ----------------------------------------------------------------


def _top_level_split(text: str, separators: re.Pattern[str]) -> list[tuple[str, int, str]]:
    """Split outside ``{} () []`` at ``separators``: (piece, offset, separator before it)."""
    pieces: list[tuple[str, int, str]] = []
    depth, start, i, sep = 0, 0, 0, ""
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = separators.match(text, i) if depth == 0 else None
            if m:
                pieces.append((text[start:i], start, sep))
                sep, start, i = m.group(0), m.end(), m.end()
                continue
            i += 2
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = separators.match(text, i)
            if m:
                pieces.append((text[start:i], start, sep))
                sep, start, i = m.group(0), m.end(), m.end()
                continue
        i += 1
    pieces.append((text[start:], start, sep))
    return pieces


_LINE_SEP = re.compile(r"\\\\(?:\s*\[[^\]]*\])?")
_STEP_SEP = re.compile(r"\\leftarrow\b|\\gets\b|(?<![<>!:])=(?!=)")
_COND_SEP = re.compile(r",|\\text\s*\{\s*and\s*\}|\\quad|\\qquad")


def _lead(piece: str) -> int:
    """How many blank characters start ``piece`` (its line is that of its first formula)."""
    return len(piece) - len(piece.lstrip())


def _clean(latex: str) -> str:
    """One line of LaTeX without labels, alignment marks or runs of spaces."""
    latex = _LABEL_RE.sub(" ", latex).replace("&", " ")
    return re.sub(r"\s+", " ", latex).strip()


def _is_text_only(latex: str) -> bool:
    rest = _TEXT_RE.sub("", latex)
    return not re.sub(r"[\s.,;:]|\\[,;!: ]|\\q?quad", "", rest)


def _conditions(latex: str) -> tuple[list[str], list[str]]:
    """``T \\neq k`` -> ["T != k"]; pieces that are not relations go to the second list."""
    given, unread = [], []
    for piece, _, _ in _top_level_split(latex, _COND_SEP):
        piece = piece.strip()
        if not piece or _is_text_only(piece):
            continue
        try:
            given.append(str(parse_latex_relation(piece, Names())))
        except ExpressionError:
            unread.append(piece)
    return given, unread


def _case_head(latex: str) -> str | None:
    """The condition of a case head (``T = k:``, ``\\text{if } t_k = 1``), else None."""
    m = _IF_RE.match(latex)
    if m:
        return latex[m.end() :].rstrip(" :.")
    if latex.rstrip().endswith(":"):
        return latex.rstrip()[:-1]
    return None


def _defined_name(latex: str) -> str | None:
    """``L_{CE}`` -> "L_CE": the left side of a definition candidate, if a plain name."""
    try:
        tokens = [t for t in tokenize(latex) if t.kind not in ("text", "label")]
    except ExpressionError:
        return None
    if not tokens or not _is_name_head(tokens[0]) or not _only_scripts(tokens[1:]):
        return None
    try:
        value = parse_latex(latex, Names())
    except ExpressionError:
        return None
    return str(value) if isinstance(value, (Symbol, Indexed)) else None


def _is_name_head(tok: Token) -> bool:
    return tok.kind in ("letter", "name") or (tok.kind == "cmd" and tok.text in GREEK)


def _only_scripts(tokens: list[Token]) -> bool:
    """Are the tokens nothing but ``_x``, ``_{..}``, ``^{(..)}`` scripts?"""
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "char" or tokens[i].text not in "_^" or i + 1 >= len(tokens):
            return False
        i += 1
        if tokens[i].kind == "char" and tokens[i].text == "{":
            depth = 0
            while i < len(tokens):
                if tokens[i].kind == "char" and tokens[i].text in "{}":
                    depth += 1 if tokens[i].text == "{" else -1
                    if depth == 0:
                        break
                i += 1
        i += 1
    return True


def split_chains(block: MathBlock) -> list[ChainDraft]:
    """Chains, definition candidates and case heads of one block, in order."""
    body = _ENV_TAG_RE.sub(lambda m: " " * len(m.group(0)), block.text)
    drafts: list[ChainDraft] = []
    current: ChainDraft | None = None
    given: list[str] = []
    for raw, offset, _ in _top_level_split(body, _LINE_SEP):
        line = block.line + body.count("\n", 0, offset + _lead(raw))
        text = _clean(raw)
        if not text or _is_text_only(text):
            continue
        head = _case_head(text)
        if head is not None:
            given, unread = _conditions(head)
            drafts.append(ChainDraft([], line, list(given), block.title, unread=unread))
            current = None
            continue
        segments = [
            (_clean(piece), block.line + body.count("\n", 0, offset + at + _lead(piece)), sep)
            for piece, at, sep in _top_level_split(raw, _STEP_SEP)
        ]
        arrow = next((n for n, (_, _, sep) in enumerate(segments) if sep.startswith("\\")), None)
        if arrow is not None:  # w <- A = B: an update rule, whose chain is A = B
            update = [StepDraft(p, at) for p, at, _ in segments[arrow:] if p]
            current = ChainDraft(update, line, list(given), block.title)
            drafts.append(current)
            continue
        left = segments[0][0]
        steps = [StepDraft(piece, at) for piece, at, _ in segments[1:] if piece]
        if not left:
            if current is not None:
                current.steps.extend(steps)
            else:
                current = ChainDraft(steps, line, list(given), block.title, continues=not drafts)
                drafts.append(current)
            continue
        name = _defined_name(left) if steps else None
        if name is not None:
            current = ChainDraft(steps, line, list(given), block.title, defines=name)
        else:
            current = ChainDraft([StepDraft(left, segments[0][1]), *steps], line, list(given), block.title)
        drafts.append(current)
    return drafts


def document_drafts(text: str) -> list[ChainDraft]:
    """Every draft of a document, with continuations joined and case heads applied."""
    out: list[ChainDraft] = []
    pending: ChainDraft | None = None
    for block in extract_blocks(text):
        for draft in split_chains(block):
            if draft.is_head:
                pending = draft
                continue
            if draft.continues:
                previous = next((d for d in reversed(out) if d.defines is None and d.steps), None)
                if previous is not None:
                    previous.steps.extend(draft.steps)
                    continue
            if pending is not None and draft.defines is None:
                if not draft.given:
                    draft.given, draft.unread = list(pending.given), list(pending.unread)
                pending = None
            out.append(draft)
    return out


# --- YAML -------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """A single-quoted YAML scalar on one line."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text.replace("\n", " ").replace("\t", " "))
    return "'" + text.replace("'", "''") + "'"


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _definition_lines(drafts: list[ChainDraft]) -> list[str]:
    lines: list[str] = []
    for d in drafts:
        if d.defines is None or not d.steps:
            continue
        value = d.steps[0].latex
        try:
            suggestion = str(parse_latex(value, Names()))
        except ExpressionError as err:
            suggestion = f"(not read: {_comment(err.message)})"
        also = "".join(f" = {_comment(s.latex)}" for s in d.steps[1:])
        source = f"# from {_comment(value)}{also}  (source line {d.steps[0].line})"
        lines.append(f"#   {d.defines}: {suggestion}    {source}")
    if lines:
        lines.insert(0, "# Definitions found in the source. Move the ones the context lacks into")
        lines.insert(1, "# 'define:' (expression language), after checking them:")
    return lines


def _steps_lines(steps: list[StepDraft], indent: str) -> list[str]:
    return [f"{indent}- latex: {_quote(s.latex)}  # source line {s.line}" for s in steps]


def to_yaml(drafts: list[ChainDraft], source_path: str, context_path: str | None) -> str:
    """A derivation file with ``latex:`` steps, each followed by its source line."""
    chains = [d for d in drafts if d.defines is None and len(d.steps) >= 2]
    singles = [d for d in drafts if d.defines is None and len(d.steps) == 1]
    out = [
        f"# Imported by derivcheck from {_comment(source_path)}.",
        "# A draft: compare every step with the source, then run derivcheck verify.",
    ]
    if context_path:
        out.append(f"# Context (symbols, indices, define): {_comment(context_path)}")
    else:
        out.append("# No context was given: add 'symbols', 'indices' and 'define' as needed.")
    out.extend(_definition_lines(drafts))
    for d in singles:
        out.append(f"# A lone formula, not part of a chain (source line {d.line}): {_comment(d.steps[0].latex)}")
    title = next((d.title for d in chains if d.title), None)
    if title:
        out.append(f"title: {_quote(title)}")
    if not chains:
        out.append("# No chain of equal expressions was found in the source.")
        out.append("steps: []")
        return "\n".join(out) + "\n"
    if len(chains) == 1 and not chains[0].given and not chains[0].unread:
        out.append("steps:")
        out.extend(_steps_lines(chains[0].steps, "  "))
        return "\n".join(out) + "\n"
    out.append("cases:")
    for d in chains:
        if d.unread:
            out.append(f"  # case condition not read: {_comment(', '.join(d.unread))}")
        keys = [f"title: {_quote(d.title)}"] if d.title else []
        if d.given:
            keys.append(f"given: [{', '.join(_quote(g) for g in d.given)}]")
        keys.append("steps:")
        out.extend(("  - " if n == 0 else "    ") + key for n, key in enumerate(keys))
        out.extend(_steps_lines(d.steps, "      "))
    return "\n".join(out) + "\n"


def import_document(text: str, source_path: str, context_path: str | None = None) -> str:
    """``derivcheck import``: a Markdown/LaTeX document -> derivation YAML text."""
    return to_yaml(document_drafts(text), source_path, context_path)
