"""Steps as written: their top-level terms and factors, and small edits of the text for fixes.

The diagnoses speak in the file's own notation, so they split the text the student
wrote (not SymPy's reordering of it) and build proposed corrections from it.
"""

from __future__ import annotations

import re


def split_top(text: str, ops: str) -> list[tuple[int, int]]:
    """Spans of ``text`` split at top-level binary ``+``/``-`` (ops "+-") or ``*`` (ops "*").

    A ``+``/``-`` piece keeps its sign; ``**`` is never a split point.
    """
    spans: list[tuple[int, int]] = []
    depth, start, last, i, n = 0, 0, "", 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            if ops == "*" and ch == "*":
                if text.startswith("**", i):
                    i += 2
                    last = "*"
                    continue
                spans.append((start, i))
                start = i + 1
            elif ops == "+-" and ch in "+-" and last and last not in "*/^(,+-[=" and not exponent_sign(text, i):
                spans.append((start, i))
                start = i
        if not ch.isspace():
            last = ch
        i += 1
    spans.append((start, n))
    return [(a, b) for a, b in spans if text[a:b].strip()]


_LATEX_TIMES = re.compile(r"\\(cdot|times)(?![A-Za-z])")


def split_latex_product(text: str) -> list[str]:
    """A LaTeX formula split at its top-level ``\\cdot``/``\\times``, pieces stripped."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = _LATEX_TIMES.match(text, i)
            if m and depth == 0:
                parts.append(text[start:i].strip())
                start = i = m.end()
                continue
            nxt = text[i + 1 : i + 2]
            depth += 1 if nxt == "{" else -1 if nxt == "}" else 0  # \{ \} group too
            i += 2
            continue
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def exponent_sign(text: str, i: int) -> bool:
    """Whether the sign at ``i`` belongs to a number such as ``1e-5``."""
    m = re.search(r"(?<![\w.])[\d.]+[eE]\s*$", text[:i])
    return m is not None


def strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text
        text = text[1:-1].strip()
    return text


def tidy_term(text: str) -> str:
    """``"+ x"`` -> ``"x"``, ``"- t*x"`` -> ``"-t*x"``."""
    text = text.strip()
    if text.startswith("+"):
        return text[1:].strip()
    if text.startswith("-"):
        return "-" + text[1:].strip()
    return text


def negate_text(text: str) -> str:
    t = text.strip()
    if t.startswith("-"):
        return t[1:].strip()
    return "-" + (t if is_simple(t) else f"({t})")


def is_simple(text: str) -> bool:
    """No top-level ``+``/``-``: safe to put a sign or a factor in front."""
    return len(split_top(text, "+-")) <= 1 and not text.strip().startswith(("-", "+"))


def paren(text: str) -> str:
    """``text`` ready to be multiplied: parenthesised when it is a sum or starts with a sign."""
    t = text.strip()
    return t if is_simple(t) else f"({t})"


def denominator(text: str) -> str:
    """``text`` ready to divide by: parenthesised unless it is a name, a number, a call or a power."""
    t = text.strip()
    if is_simple(t) and len(split_top(t, "*")) == 1 and "/" not in top_level(t):
        return t
    return f"({t})"


def top_level(text: str) -> str:
    """The characters of ``text`` outside every bracket."""
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def plus(base: str, term: str) -> str:
    term = term.strip()
    if term.startswith("-"):
        return f"{base} - {term[1:].strip()}"
    return f"{base} + {term}"


def replace_span(text: str, span: tuple[int, int], new: str) -> str:
    a, b = span
    lead = text[a:b][: len(text[a:b]) - len(text[a:b].lstrip())]
    trail = text[a:b][len(text[a:b].rstrip()) :]
    return text[:a] + lead + new + trail + text[b:]


def negate_signed(text: str, span: tuple[int, int]) -> str:
    """The step text with the signed term at ``span`` negated."""
    a, b = span
    piece = text[a:b].strip()
    if piece.startswith("-"):
        new = piece[1:].strip() if a == 0 else "+ " + piece[1:].strip()
    elif piece.startswith("+"):
        new = "- " + piece[1:].strip()
    else:
        new = "-" + (piece if is_simple(piece) else f"({piece})")
    return replace_span(text, span, new)
