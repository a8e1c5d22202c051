"""Step text -> MathML that a browser lays out without scripts (MathML Core).

Two routes, both ending in :mod:`latex2mathml`:

- an expression of the language (SPEC §3) is read by derivcheck's own parser
  (never ``sympify``), printed by SymPy's LaTeX printer, then converted;
- a LaTeX step (SPEC §11) is converted as the student wrote it.

latex2mathml passes some input straight through (``\\text{</math><script>}``,
``\\href{javascript:...}``, ``\\style{...}``), so its output is never trusted: it is
parsed as XML and rebuilt from a whitelist of MathML elements and attributes.
Anything outside the whitelist, or anything that fails, falls back to the source
text, escaped, in ``<code>``: a hostile step is shown as text, never as markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from html import escape

from markupsafe import Markup

from ..budget import clock

#: Longer sources are shown as text: converting them costs more than it helps a reader.
MAX_SOURCE = 2000
#: Longer MathML (a huge expansion) is shown as the source text instead.
MAX_MATHML = 60_000
#: Wall-clock limit of one conversion (reading, printing, converting); a normal step takes milliseconds.
CONVERT_SECONDS = 0.5
#: Wall-clock limit of the conversions of one page: past it, the page's remaining steps are shown as text.
PAGE_SECONDS = 3.0

_page_deadline: float | None = None


@contextmanager
def page_budget(seconds: float = PAGE_SECONDS) -> Iterator[None]:
    """Bound the time one page spends on mathematics: a hostile submission cannot stall the batch's outputs."""
    global _page_deadline
    previous, _page_deadline = _page_deadline, clock() + seconds  # CPU seconds, as every budget
    try:
        yield
    finally:
        _page_deadline = previous


def _out_of_time() -> bool:
    return _page_deadline is not None and clock() >= _page_deadline  # as Budget: nothing left is out

_NS = "{http://www.w3.org/1998/Math/MathML}"
_ELEMENTS = frozenset(
    ["math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror", "semantics"]
)
_ATTRIBUTES = frozenset(
    ["display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "columnalign", "rowalign", "rowspacing", "columnspacing", "displaystyle", "scriptlevel", "linethickness", "accent", "accentunder", "movablelimits", "form", "width", "height", "depth", "minsize", "maxsize", "symmetric", "largeop", "notation", "columnlines", "rowlines", "frame"]
)
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9 .%#+\-]{0,40}$")


class UnsafeMathML(ValueError):
    """The converter produced something outside the whitelist."""


def code(text: str) -> Markup:
    """The source text itself, escaped, in one line."""
    return Markup('<code class="src">{}</code>').format(" ".join(text.split()))


def sanitize(mathml: str) -> str:
    """Rebuild converter output from whitelisted elements, attributes and escaped text only."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as err:
        raise UnsafeMathML(f"not well-formed: {err}") from None
    out: list[str] = []
    _emit(root, out)
    return "".join(out)


def _emit(node: ET.Element, out: list[str]) -> None:
    tag = node.tag.removeprefix(_NS)
    if tag not in _ELEMENTS:
        raise UnsafeMathML(f"element {tag!r}")
    attrs = []
    for name, value in node.attrib.items():
        if name not in _ATTRIBUTES or not _SAFE_VALUE.match(value):
            raise UnsafeMathML(f"attribute {name!r}")
        attrs.append(f' {name}="{escape(value)}"')
    if tag == "math":
        attrs.insert(0, ' xmlns="http://www.w3.org/1998/Math/MathML"')
    out.append(f"<{tag}{''.join(attrs)}>")
    if node.text:
        out.append(escape(node.text))
    for child in node:
        _emit(child, out)
        if child.tail:
            out.append(escape(child.tail))
    out.append(f"</{tag}>")


def _convert(tex: str, display: str) -> str:
    from latex2mathml.converter import convert

    from ..budget import time_limit

    with time_limit(CONVERT_SECONDS):
        return sanitize(convert(tex, display=display))


def latex_mathml(tex: str, display: str = "block") -> Markup:
    """A LaTeX formula as sanitized MathML, or the escaped source when it cannot be converted."""
    return code(tex) if _out_of_time() else _latex_mathml(tex, display)


@lru_cache(maxsize=4096)
def _latex_mathml(tex: str, display: str) -> Markup:
    if len(tex) > MAX_SOURCE:
        return code(tex)
    try:
        out = _convert(tex, display)
    except Exception:  # noqa: BLE001 - a converter failure (or timeout) on student input means: show the text
        return code(tex)
    return code(tex) if len(out) > MAX_MATHML else Markup(out)


@lru_cache(maxsize=4096)
def expr_latex(text: str) -> str | None:
    """An expression of the language as LaTeX, via derivcheck's parser; None when it does not parse."""
    from ..budget import time_limit
    from ..parse import parse_expression

    if len(text) > MAX_SOURCE:
        return None
    try:
        with time_limit(CONVERT_SECONDS):
            return _printer().doprint(parse_expression(text))
    except Exception:  # noqa: BLE001 - includes ExpressionError, Timeout, RecursionError, a printer failure
        return None


def expr_mathml(text: str, display: str = "block") -> Markup:
    """An expression of the language as MathML, or its escaped text when it cannot be read."""
    return code(text) if _out_of_time() else _expr_mathml(text, display)


@lru_cache(maxsize=4096)
def _expr_mathml(text: str, display: str) -> Markup:
    tex = expr_latex(text)
    if tex is None:
        return code(text)
    try:
        out = _convert(tex, display)
    except Exception:  # noqa: BLE001
        return code(text)
    return code(text) if len(out) > MAX_MATHML else Markup(out)


#: Characters that occur in LaTeX and never in the expression language.
LATEX_ONLY = re.compile(r"[\\{}&$]")


def looks_latex(text: str) -> bool:
    """Whether a step's text is LaTeX, for results that do not record it.

    Text with a backslash, a brace, ``&`` or ``$`` is LaTeX; text that the expression
    parser reads is an expression; anything else (``y(1-y)``, ``2x``) is treated as
    LaTeX, which shows it as written.
    """
    if LATEX_ONLY.search(text):
        return True
    if _out_of_time():
        return False
    return expr_latex(text) is None


def step_mathml(text: str, latex: bool | None = None, display: str = "block") -> Markup:
    """A step as mathematics: LaTeX steps as written, expressions through SymPy's printer."""
    if latex is None:
        latex = looks_latex(text)
    return latex_mathml(text, display) if latex else expr_mathml(text, display)


def relation_mathml(text: str, display: str = "block") -> Markup:
    """A claim ``LEFT = RIGHT`` as MathML, or its escaped text."""
    return code(text) if _out_of_time() else _relation_mathml(text, display)


@lru_cache(maxsize=1024)
def _relation_mathml(text: str, display: str) -> Markup:
    from ..parse import parse_relation

    if len(text) > MAX_SOURCE:
        return code(text)
    from ..budget import time_limit

    try:
        with time_limit(CONVERT_SECONDS):
            rel = parse_relation(text)
            p = _printer()
            sign = {"==": "=", "!=": r"\neq", "<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq"}.get(rel.op, "=")
            tex = f"{p.doprint(rel.left)} {sign} {p.doprint(rel.right)}"
        out = _convert(tex, display)
    except Exception:  # noqa: BLE001
        return code(text)
    return code(text) if len(out) > MAX_MATHML else Markup(out)


@lru_cache(maxsize=1)
def _printer():  # type: ignore[no-untyped-def]
    """SymPy's LaTeX printer, with partial derivatives written as a student writes them."""
    from sympy import Symbol
    from sympy.printing.latex import LatexPrinter

    class StepPrinter(LatexPrinter):
        def _print_Symbol(self, expr, style="plain"):  # type: ignore[no-untyped-def]
            # `e` is a plain symbol in expressions (E and exp are Euler's number): never show it as Euler's e
            if expr.name == "e":
                return r"\mathsf{e}"
            return super()._print_Symbol(expr, style=style)

        def _print_Heaviside(self, expr, exp=None):  # type: ignore[no-untyped-def]
            tex = rf"\operatorname{{H}}\left({self._print(expr.args[0])}\right)"
            return tex if exp is None else rf"{tex}^{{{exp}}}"

        def _print_Derivative(self, expr):  # type: ignore[no-untyped-def]
            total = 0
            denominator = []
            for var, count in expr.variable_count:
                total += int(count) if count.is_Integer else 0
                power = "" if count == 1 else f"^{{{self._print(count)}}}"
                denominator.append(rf"\partial {self._print(var)}{power}")
            top = r"\partial" + ("" if total == 1 else f"^{{{total}}}")
            body = self._print(expr.expr)
            if isinstance(expr.expr, Symbol) or expr.expr.is_Indexed:
                return rf"\frac{{{top} {body}}}{{{' '.join(denominator)}}}"
            return rf"\frac{{{top}}}{{{' '.join(denominator)}}} \left({body}\right)"

    return StepPrinter({"order": "none"})
