"""LaTeX formula -> SymPy objects, by a hand-written reader (SPEC §11).

Students write their derivations in LaTeX.  This module reads the usual
notation of such derivations into exactly the objects :mod:`derivcheck.parse`
builds for the same formula in the expression language: the same symbol
constructors, ``Indexed`` through :func:`parse.make_base`, unevaluated
``Derivative``/``Sum``/``Product``.  Nothing is evaluated from the input and
no off-the-shelf LaTeX parser is used: those read ``\\log`` as base 10, ``e``
as a symbol, ``L_{CE}`` as ``L_{CE}`` with braces, and ``x^{(i)}`` as a power.

Readings decided here where the contract is silent (docs: SPEC §11):

* Letters are one symbol each (``ty`` is ``t*y``); multi-letter names come from
  subscripts (``L_{CE}`` is ``L_CE``), ``\\mathrm{KL}`` and accents (``\\hat{y}``
  is ``y_hat``).  A capital ``E`` is a plain symbol (in LaTeX Euler's number is
  written ``e^{...}``); ``e`` followed by ``^`` is ``exp``, ``e`` alone a symbol.
* ``^T``, ``^\\top`` (a transpose) is an error: vectors are not supported.
* A subscript of letters and digits extends the name (``x_{ij}`` is ``x_ij``);
  a subscript with operators or commas is an index (``x_{i+1}`` is ``x[i + 1]``).
* ``\\sum``, ``\\prod`` and the operator ``\\frac{d}{dx}`` take the product of
  factors that follows, up to the next ``+`` or ``-`` at the same level.
  An operator name without parentheses (``\\log y``) takes the next factor only.
* ``\\frac{\\partial^2 f}{\\partial x \\partial y}`` differentiates by ``y`` first:
  ``Derivative(f, y, x)``.
* TeX's one-token arguments take one character: ``\\frac13``, ``x^23`` is ``x^2*3``.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import sympy
from sympy import Indexed, Integer, Symbol

from . import limits
from .functions import BIG_NUMBER_FUNCTIONS, FUNCTIONS, SPECIAL_FORMS, abstract_function
from .parse import (
    ExpressionError,
    Names,
    Relation,
    _Builder,
    make_base,
    make_index,
    make_symbol,
    resolve_name,
)


class LatexError(ExpressionError):
    """A formula the LaTeX reader cannot read; ``column`` (1-based) points at it."""


# --- vocabulary ----------------------------------------------------------------------

GREEK: dict[str, str] = {
    name: name
    for name in (
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi "
        "rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon "
        "Phi Psi Omega"
    ).split()
}
GREEK.update(varepsilon="epsilon", vartheta="theta", varphi="phi", varrho="rho", varsigma="sigma", varpi="pi")

#: Operator names: functions whether or not a parenthesis follows.
OPERATORS: dict[str, str] = {
    "log": "log", "ln": "ln", "exp": "exp", "sin": "sin", "cos": "cos", "tan": "tan",
    "cot": "cot", "sec": "sec", "csc": "csc", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "max": "Max", "min": "Min",
    "sgn": "sign",
}  # fmt: skip

_IGNORED = frozenset(
    "quad qquad displaystyle textstyle scriptstyle limits nolimits nonumber notag middle "
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm".split()
) | {",", ";", "!", ":", " ", ">"}
_SIZES = frozenset("left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle".split())
_TEXT = frozenset("text textrm textit textbf textnormal textsf texttt mbox textcircled label tag".split())
_ROMAN = frozenset({"mathrm", "operatorname", "mathit"})
_FONTS = frozenset("mathbf boldsymbol bm mathcal mathbb mathsf mathtt mathnormal pmb vec".split())
_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde"}
_BRACKETS = {"{": "\\{", "}": "\\}", "lbrace": "\\{", "rbrace": "\\}", "lbrack": "[", "rbrack": "]",
             "lvert": "|", "rvert": "|", "vert": "|"}  # fmt: skip
_RELATIONS = {"=": "==", "<": "<", ">": ">", "neq": "!=", "ne": "!=", "leq": "<=", "le": "<=",
              "leqslant": "<=", "geq": ">=", "ge": ">=", "geqslant": ">=", "lt": "<", "gt": ">"}  # fmt: skip
_MUL = frozenset({"cdot", "times", "ast"})
_CHARS = set("+-*/^_()[]{}|,;.'!:")
_OPEN = {"(": ")", "[": "]", "\\{": "\\}", "{": "}"}
_FRACS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_MAX_ORDER = limits.MAX_DERIVATIVE_ORDER
#: Commands that can be a one-token argument (``\frac\alpha2``, ``w^\top``).
_ONE_TOKEN_COMMANDS = frozenset(GREEK) | {"infty", "partial", "top", "intercal"}


@dataclass(frozen=True)
class Token:
    """One piece of the formula: ``kind`` says how the parser treats ``text``."""

    kind: str  # num letter cmd name func text char rel mul div end
    text: str
    pos: int  # 0-based offset in the original formula


# --- tokenizer -----------------------------------------------------------------------


def _fail(message: str, pos: int, text: str) -> LatexError:
    return LatexError(message, pos + 1, text)


def _snippet(text: str, pos: int, length: int = 24) -> str:
    """The LaTeX at ``pos``, quoted as written (no doubled backslashes)."""
    piece = text[pos : pos + length].strip()
    return "'" + piece + ("..." if pos + length < len(text.rstrip()) else "") + "'"


def _braced(text: str, j: int) -> tuple[str, int, int] | None:
    """The ``{...}`` starting at or after ``j``: (content, content offset, end offset)."""
    while j < len(text) and text[j].isspace():
        j += 1
    if j >= len(text) or text[j] != "{":
        return None
    depth, k = 0, j
    while k < len(text):
        ch = text[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[j + 1 : k], j + 1, k + 1
        k += 1
    raise _fail(f"unclosed '{{' in {_snippet(text, j)}", j, text)


def _one_token_arg(text: str, j: int) -> tuple[str, int, int]:
    """A font or accent argument without braces: one letter or one command."""
    while j < len(text) and text[j].isspace():
        j += 1
    if j >= len(text):
        raise _fail("a command at the end of the formula is missing its argument", j - 1, text)
    if text[j] == "\\":
        m = re.compile(r"\\[A-Za-z]+").match(text, j)
        end = m.end() if m else j + 2
        return text[j:end], j, end
    return text[j], j, j + 1


def tokenize(text: str, offset: int = 0, full: str | None = None) -> list[Token]:
    """Split a formula into tokens, dropping spacing, text and labels' wrappers."""
    full = text if full is None else full
    out: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        pos = offset + i
        if ch.isspace() or ch in "&~":
            i += 1
        elif ch == "%":
            while i < len(text) and text[i] != "\n":
                i += 1
        elif ch == "\\":
            i = _command(text, i, offset, full, out)
        elif ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            m = re.compile(r"\d*\.?\d+|\d+").match(text, i)
            assert m is not None
            out.append(Token("num", m.group(0), pos))
            i = m.end()
        elif ch.isascii() and ch.isalpha():
            out.append(Token("letter", ch, pos))
            i += 1
        elif ch in "=<>":
            out.append(Token("rel", _RELATIONS[ch], pos))
            i += 1
        elif ch == "*":
            out.append(Token("mul", ch, pos))
            i += 1
        elif ch == "/":
            out.append(Token("div", ch, pos))
            i += 1
        elif ch in _CHARS:
            out.append(Token("char", ch, pos))
            i += 1
        else:
            raise _fail(f"cannot read {ch!r} in {_snippet(full, pos)}", pos, full)
    return out


def _command(text: str, i: int, offset: int, full: str, out: list[Token]) -> int:
    """Read the command at ``text[i]`` (a backslash); append its tokens; return the next offset."""
    pos = offset + i
    m = re.compile(r"\\([A-Za-z]+|.)", re.S).match(text, i)
    if m is None:
        raise _fail("a lone backslash at the end of the formula", pos, full)
    name, end = m.group(1), m.end()
    if name in _SIZES:
        rest = end
        while rest < len(text) and text[rest].isspace():
            rest += 1
        if rest < len(text) and text[rest] == ".":
            return rest + 1  # \left. and \right. mark an invisible bracket
        return end
    if name in _IGNORED:
        return end
    if name in _BRACKETS:
        out.append(Token("char", _BRACKETS[name], pos))
    elif name in _RELATIONS:
        out.append(Token("rel", _RELATIONS[name], pos))
    elif name in _MUL:
        out.append(Token("mul", "*", pos))
    elif name == "div":
        out.append(Token("div", "/", pos))
    elif name in _TEXT:
        arg = _braced(text, end)
        if arg is None:
            raise _fail(f"\\{name} needs a braced argument, as in \\{name}{{...}}", pos, full)
        kind = "label" if name in ("textcircled", "label", "tag") else "text"
        out.append(Token(kind, arg[0].strip(), pos))
        return arg[2]
    elif name in _ROMAN:
        arg = _braced(text, end)
        if arg is None:
            raise _fail(f"\\{name} needs a braced argument, as in \\{name}{{...}}", pos, full)
        word = arg[0].replace(" ", "")
        if re.fullmatch(r"[A-Za-z]", word):
            out.append(Token("letter", word, offset + arg[1]))
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word):
            is_func = name == "operatorname" or word in FUNCTIONS or word in OPERATORS
            out.append(Token("func" if is_func else "name", word, pos))
        else:
            raise _fail(f"cannot read \\{name}{{{arg[0]}}}: expected a name", pos, full)
        return arg[2]
    elif name in _FONTS or name in _ACCENTS:
        arg = _braced(text, end) or _one_token_arg(text, end)
        inner = tokenize(arg[0], offset + arg[1], full)
        if name in _FONTS:
            out.extend(inner)
        else:
            base = _accent_base(inner)
            if base is None:
                raise _fail(f"cannot read \\{name}{{{arg[0]}}}: an accent needs one letter", pos, full)
            out.append(Token("name", f"{base}_{_ACCENTS[name]}", pos))
        return arg[2]
    elif name == "\\":
        raise _fail("a line break '\\\\' inside one formula: split the lines first", pos, full)
    else:
        out.append(Token("cmd", name, pos))
    return end


def _accent_base(tokens: list[Token]) -> str | None:
    if len(tokens) != 1:
        return None
    t = tokens[0]
    if t.kind == "letter":
        return t.text
    if t.kind == "cmd" and t.text in GREEK:
        return GREEK[t.text]
    return None


# --- parser --------------------------------------------------------------------------


@dataclass
class _State:
    """What every (sub)parser of one formula shares: the text and the budgets."""

    text: str
    nodes: int = 0
    depth: int = 0
    checker: _Builder = field(init=False)

    def __post_init__(self) -> None:
        self.checker = _Builder("", self.text, [0])


class _Parser:
    """Recursive descent over a token list; ``names`` says which names are indexed."""

    def __init__(self, tokens: list[Token], state: _State, names: Names, end_pos: int) -> None:
        self.toks = [t for t in tokens if t.kind != "label"] + [Token("end", "", end_pos)]
        self.i = 0
        self.st = state
        self.names = names
        self.in_abs = False

    # -- cursor -------------------------------------------------------------------------
    def skip_text(self, j: int) -> int:
        """``\\text{...}`` outside a subscript reads as nothing."""
        while self.toks[j].kind == "text":
            j += 1
        return j

    def peek(self) -> Token:
        return self.toks[self.skip_text(self.i)]

    def next(self) -> Token:
        j = self.skip_text(self.i)
        tok = self.toks[j]
        if tok.kind != "end":
            self.i = j + 1
        return tok

    def is_char(self, text: str, tok: Token | None = None) -> bool:
        tok = tok or self.peek()
        return tok.kind == "char" and tok.text == text

    def fail(self, message: str, tok: Token) -> LatexError:
        return _fail(message, tok.pos, self.st.text)

    def here(self, tok: Token, length: int = 24) -> str:
        """The LaTeX at ``tok``, quoted for a message."""
        return _snippet(self.st.text, tok.pos, length)

    def unreadable(self, tok: Token, what: str = "") -> LatexError:
        if tok.kind == "end":
            return self.fail(f"the formula ends too early{what}: {_snippet(self.st.text, 0, 60)}", tok)
        return self.fail(f"cannot read {self.here(tok)}{what}", tok)

    def expect_char(self, text: str, opener: Token | None = None) -> Token:
        tok = self.peek()
        if not self.is_char(text, tok):
            hint = f" (to close the '{opener.text}' at column {opener.pos + 1})" if opener else ""
            raise self.unreadable(tok, f": expected '{text}'{hint}")
        return self.next()

    @contextmanager
    def nested(self, tok: Token) -> Iterator[None]:
        self.st.depth += 1
        if self.st.depth > limits.MAX_EXPR_NESTING:
            raise self.fail(f"formula nested more than {limits.MAX_EXPR_NESTING} deep", tok)
        try:
            yield
        finally:
            self.st.depth -= 1

    def count(self, tok: Token) -> None:
        self.st.nodes += 1
        if self.st.nodes > limits.MAX_EXPR_NODES:
            raise self.fail(f"formula has more than {limits.MAX_EXPR_NODES} parts", tok)

    def sub(self, tokens: list[Token], end_pos: int, names: Names | None = None) -> "_Parser":
        return _Parser(tokens, self.st, self.names if names is None else names, end_pos)

    # -- arguments ----------------------------------------------------------------------
    def arg_tokens(self, what: str) -> tuple[list[Token], int]:
        """A TeX argument: a ``{...}`` group, or one token (one digit of a number)."""
        tok = self.toks[self.i]
        if tok.kind == "end":
            raise self.unreadable(tok, f": {what} is missing")
        if self.is_char("{", tok):
            close = self.matching(self.i)
            inner = self.toks[self.i + 1 : close]
            self.i = close + 1
            return inner, self.toks[close].pos
        if tok.kind == "num" and len(tok.text) > 1:
            self.toks[self.i] = Token("num", tok.text[1:], tok.pos + 1)
            return [Token("num", tok.text[0], tok.pos)], tok.pos + 1
        if tok.kind in ("num", "letter", "name", "text") or (tok.kind == "cmd" and tok.text in _ONE_TOKEN_COMMANDS):
            self.i += 1
            return [tok], tok.pos + len(tok.text)
        raise self.unreadable(tok, f": expected {what}")

    def matching(self, start: int) -> int:
        """Index of the ``}`` closing the ``{`` at ``start``."""
        depth = 0
        for j in range(start, len(self.toks)):
            t = self.toks[j]
            if t.kind == "char" and t.text == "{":
                depth += 1
            elif t.kind == "char" and t.text == "}":
                depth -= 1
                if depth == 0:
                    return j
        raise self.fail(f"unclosed '{{' in {_snippet(self.st.text, self.toks[start].pos)}", self.toks[start])

    # -- grammar ------------------------------------------------------------------------
    def whole(self) -> sympy.Expr:
        value = self.expression()
        self.finish()
        return value

    def finish(self) -> None:
        tok = self.peek()
        if tok.kind != "end":
            if tok.kind == "rel":
                raise self.fail(f"a relation {self.here(tok)} where an expression was expected", tok)
            raise self.unreadable(tok)

    def expression(self) -> sympy.Expr:
        tok = self.peek()
        with self.nested(tok):
            value = self.signed_term()
            while True:
                tok = self.peek()
                if tok.kind == "char" and tok.text in "+-":
                    self.next()
                    rhs = self.signed_term()
                    value = value + rhs if tok.text == "+" else value - rhs
                else:
                    return value

    def signs(self) -> int:
        sign = 1
        while self.peek().kind == "char" and self.peek().text in "+-":
            if self.next().text == "-":
                sign = -sign
        return sign

    def signed_term(self) -> sympy.Expr:
        sign = self.signs()
        value = self.term()
        return -value if sign < 0 else value

    def term(self) -> sympy.Expr:
        """Factors joined by ``\\cdot``, ``\\times``, ``/`` or juxtaposition."""
        value = self.factor()
        while True:
            tok = self.peek()
            if tok.kind in ("mul", "div"):
                self.next()
                sign = self.signs()
                rhs = self.factor()
                rhs = -rhs if sign < 0 else rhs
                if tok.kind == "mul":
                    value = value * rhs
                else:
                    value = self.divide(value, rhs, tok)
            elif self.starts_factor(tok):
                value = value * self.factor()
            else:
                return value

    def divide(self, num: sympy.Expr, den: sympy.Expr, tok: Token) -> sympy.Expr:
        if den == 0:
            raise self.fail(f"division by zero in {self.here(tok)}", tok)
        return num / den

    def starts_factor(self, tok: Token) -> bool:
        if tok.kind in ("num", "letter", "name", "func"):
            return True
        if tok.kind == "cmd":
            return tok.text != "partial"
        if tok.kind == "char":
            return tok.text in ("(", "[", "\\{", "{") or (tok.text == "|" and not self.in_abs)
        return False

    def starts_operand(self) -> bool:
        """Can what follows be the body of a sum or a derivative operator (maybe signed)?"""
        tok = self.peek()
        return self.starts_factor(tok) or (tok.kind == "char" and tok.text in "+-")

    def factor(self) -> sympy.Expr:
        """One factor with its superscript: ``x_j^{(i)}``, ``(a+b)^2``, ``\\sigma(z)``."""
        tok = self.peek()
        self.count(tok)
        if tok.kind in ("letter", "name") or (tok.kind == "cmd" and tok.text in GREEK):
            return self.named()
        value = self.atom()
        return self.power(value)

    def power(self, value: sympy.Expr) -> sympy.Expr:
        """An optional ``^`` after a finished factor."""
        tok = self.peek()
        if self.is_char("_", tok):
            raise self.fail(f"a subscript can follow only a name, in {self.here(tok)}", tok)
        if not self.is_char("^", tok):
            return value
        self.next()
        arg, end = self.arg_tokens("an exponent")
        if _parenthesised(arg):
            raise self.fail(f"a superscript index '^{{(...)}}' can follow only a name, in {self.here(tok)}", tok)
        expo = self.exponent(arg, end, tok)
        value = self.raise_to(value, expo, tok)
        if self.is_char("^"):
            raise self.fail("double superscript: put the inner power in braces", self.peek())
        return value

    def exponent(self, arg: list[Token], end: int, caret: Token) -> sympy.Expr:
        if _is_transpose(arg):
            raise self.fail(
                f"{self.here(caret, 12)} reads as a transpose, which is not supported: "
                "write the product out, for example \\sum_j w_j x_j, or give it a name",
                caret,
            )
        with self.nested(caret):
            return self.sub(arg, end).whole()

    def raise_to(self, base: sympy.Expr, expo: sympy.Expr, tok: Token) -> sympy.Expr:
        try:
            self.st.checker.check_power(base, expo, None)  # the expression language's own limits
        except ExpressionError as err:
            raise self.fail(f"{err.message}: {self.here(tok)}", tok) from None
        return base**expo

    # -- names ----------------------------------------------------------------------------
    def named(self) -> sympy.Expr:
        """A name with its subscript and superscripts; a call when a function name meets '('."""
        head = self.next()
        base = GREEK[head.text] if head.kind == "cmd" else head.text
        sub: list[Token] | None = None
        sup: list[Token] | None = None
        sup_tok = sup_end = None
        sub_end = 0
        while self.is_char("_") or self.is_char("^"):
            mark = self.next()
            if mark.text == "_":
                if sub is not None:
                    raise self.fail("double subscript: put both parts in one pair of braces", mark)
                sub, sub_end = self.arg_tokens("a subscript")
            else:
                if sup is not None:
                    raise self.fail("double superscript: put the inner power in braces", mark)
                sup, sup_end = self.arg_tokens("a superscript")
                sup_tok = mark
        name = base
        index: list[sympy.Expr] | None = None
        if sub is not None:
            simple = _simple_subscript(sub)
            if simple is not None:
                name = f"{base}_{simple}"
            else:
                with self.nested(head):
                    index = self.sub(sub, sub_end).index_list()
        if sup is not None and _parenthesised(sup):
            if index is not None:
                raise self.fail(f"cannot read {self.here(head)}: two indices", head)
            with self.nested(head):
                index = self.sub(sup[1:-1], sup[-1].pos).index_list()
            sup = None
        if index is not None:
            value: sympy.Expr = make_base(name)[tuple(index)]
        elif base == "e" and head.kind == "letter" and sub is None and sup is not None:
            assert sup_tok is not None and sup_end is not None
            return sympy.exp(self.exponent(sup, sup_end, sup_tok))
        elif head.kind == "cmd" and sub is None and name in FUNCTIONS and self.is_char("("):
            value = self.call(name, head)
        elif sup is None and self.names.arity_of(name) is not None and (self.is_char("(") or self.is_char("'")):
            value = self.abstract_call(name, head)
        else:
            value = self.name_value(name)
        if sup is not None:
            assert sup_tok is not None and sup_end is not None
            value = self.raise_to(value, self.exponent(sup, sup_end, sup_tok), sup_tok)
        return self.power(value) if sub is None and sup is None else value

    def name_value(self, name: str) -> sympy.Expr:
        """What a bare name means, as :class:`parse._Builder` reads a name."""
        if name in FUNCTIONS or name in SPECIAL_FORMS:
            return make_index(name) if self.names.is_index(name) else make_symbol(name)
        if name == "E":
            return make_symbol("E")
        return resolve_name(name, self.names)

    def index_list(self) -> list[sympy.Expr]:
        parts = [self.expression()]
        while self.is_char(","):
            self.next()
            parts.append(self.expression())
        self.finish()
        return parts

    # -- atoms ----------------------------------------------------------------------------
    def atom(self) -> sympy.Expr:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return self.number(tok)
        if tok.kind == "char" and tok.text in _OPEN:
            return self.group()
        if self.is_char("|", tok) and not self.in_abs:
            return self.absolute()
        if tok.kind == "func":
            self.next()
            return self.operator(tok, tok.text)
        if tok.kind == "cmd":
            return self.command(tok)
        raise self.unreadable(tok)

    def number(self, tok: Token) -> sympy.Expr:
        try:
            return self.st.checker.number(tok.text, None)
        except ExpressionError as err:
            raise self.fail(err.message, tok) from None

    def group(self) -> sympy.Expr:
        opener = self.next()
        with self.nested(opener):
            was, self.in_abs = self.in_abs, False
            value = self.expression()
            self.in_abs = was
        self.expect_char(_OPEN[opener.text], opener)
        return value

    def absolute(self) -> sympy.Expr:
        opener = self.next()
        was, self.in_abs = self.in_abs, True
        value = self.expression()
        self.in_abs = was
        self.expect_char("|", opener)
        return sympy.Abs(value)

    def command(self, tok: Token) -> sympy.Expr:
        name = tok.text
        if name in _FRACS:
            self.next()
            return self.fraction(tok)
        if name == "sqrt":
            self.next()
            return self.root(tok)
        if name in ("sum", "prod"):
            self.next()
            return self.big_operator(tok)
        if name == "binom":
            self.next()
            n = self.braced_value("the top of \\binom")
            k = self.braced_value("the bottom of \\binom")
            return self.apply("binomial", [n, k], tok)
        if name == "infty":
            self.next()
            return sympy.oo
        if name in OPERATORS:
            self.next()
            return self.operator(tok, OPERATORS[name])
        if name == "partial":
            raise self.fail(
                f"cannot read {self.here(tok)}: write a derivative as \\frac{{\\partial f}}{{\\partial x}}",
                tok,
            )
        raise self.fail(f"cannot read {self.here(tok)}: \\{name} is not supported", tok)

    def braced_value(self, what: str) -> sympy.Expr:
        tok = self.toks[self.i]
        arg, end = self.arg_tokens(what)
        with self.nested(tok):
            return self.sub(arg, end).whole()

    def root(self, tok: Token) -> sympy.Expr:
        degree: sympy.Expr | None = None
        if self.is_char("["):
            opener = self.next()
            start = self.i
            while not self.is_char("]", self.toks[self.i]):
                if self.toks[self.i].kind == "end":
                    hint = f": expected ']' to close the '[' at column {opener.pos + 1}"
                    raise self.unreadable(self.toks[self.i], hint)
                self.i += 1
            with self.nested(opener):
                degree = self.sub(self.toks[start : self.i], self.toks[self.i].pos).whole()
            self.i += 1
        radicand = self.braced_value("the argument of \\sqrt")
        if degree is None:
            return sympy.sqrt(radicand)
        if degree == 0:
            raise self.fail("a root of degree 0", tok)
        return self.raise_to(radicand, Integer(1) / degree, tok)

    def fraction(self, tok: Token) -> sympy.Expr:
        num, num_end = self.arg_tokens("the numerator of \\frac")
        den, den_end = self.arg_tokens("the denominator of \\frac")
        marker = _differential(num)
        if marker is not None and _differential(den) == marker and len(den) > 1:
            return self.derivative(tok, marker, num, num_end, den, den_end)
        if marker == "partial":
            hint = "the denominator of a partial derivative must be \\partial x"
            raise self.fail(f"cannot read {self.here(tok)}: {hint}", tok)
        with self.nested(tok):
            top = self.sub(num, num_end).whole()
            bottom = self.sub(den, den_end).whole()
        return self.divide(top, bottom, tok)

    def derivative(
        self, tok: Token, marker: str, num: list[Token], num_end: int, den: list[Token], den_end: int
    ) -> sympy.Expr:
        """``\\frac{\\partial A}{\\partial B}`` and ``\\frac{d}{dB} X`` as ``Derivative``."""
        order, rest = _order(num[1:])
        if order is None and rest and rest[0].kind == "char" and rest[0].text == "^":
            raise self.fail(f"cannot read the order of {self.here(tok)}", tok)
        variables = self.derivative_variables(tok, marker, den, den_end)
        if order is not None and order != len(variables):
            raise self.fail(
                f"the order {order} of the numerator does not match the denominator in {self.here(tok, 40)}",
                tok,
            )
        if len(variables) > _MAX_ORDER:
            raise self.fail(f"derivatives of order more than {_MAX_ORDER} are not supported", tok)
        with self.nested(tok):
            if rest:
                f = self.sub(rest, num_end).whole()
            else:
                if not self.starts_operand():
                    raise self.unreadable(self.peek(), ": expected what the derivative applies to")
                f = self.signed_term()
        return sympy.Derivative(f, *reversed(variables), evaluate=False)

    def derivative_variables(self, tok: Token, marker: str, den: list[Token], den_end: int) -> list[sympy.Expr]:
        """``\\partial x \\partial y^2`` -> [x, y, y], in writing order."""
        p = self.sub(den, den_end)
        out: list[sympy.Expr] = []
        while p.peek().kind != "end":
            mark = p.next()
            if _marker(mark) != marker:
                raise p.unreadable(mark, ": expected a differential such as \\partial x in the denominator")
            var = p.named_variable()
            if isinstance(var, sympy.Pow) and var.exp.is_Integer and 1 < var.exp <= _MAX_ORDER:
                out.extend([var.base] * int(var.exp))
            else:
                out.append(var)
            if not isinstance(out[-1], (Symbol, Indexed)):
                raise self.fail(
                    f"differentiate with respect to a name such as w or y_k, not {self.here(mark)}", mark
                )
        return out

    def named_variable(self) -> sympy.Expr:
        tok = self.peek()
        if not (tok.kind in ("letter", "name") or (tok.kind == "cmd" and tok.text in GREEK)):
            raise self.unreadable(tok, ": expected the name to differentiate by")
        self.count(tok)
        return self.named()

    def big_operator(self, tok: Token) -> sympy.Expr:
        """``\\sum_{i=1}^{N} X``, ``\\sum_k X`` (over k's declared range), ``\\prod`` alike."""
        lower = upper = None
        lower_end = upper_end = 0
        while self.is_char("_", self.toks[self.i]) or self.is_char("^", self.toks[self.i]):
            mark = self.toks[self.i]
            self.i += 1
            if mark.text == "_" and lower is None:
                lower, lower_end = self.arg_tokens(f"the index of \\{tok.text}")
            elif mark.text == "^" and upper is None:
                upper, upper_end = self.arg_tokens(f"the upper bound of \\{tok.text}")
            else:
                raise self.fail(f"cannot read {self.here(mark)}: a second bound", mark)
        if lower is None:
            raise self.fail(f"cannot read {self.here(tok)}: write \\{tok.text}_{{i=1}}^{{N}}", tok)
        var, lo_tokens = _split_lower(lower)
        if var is None:
            raise self.fail(
                f"cannot read the index of {self.here(tok)}: write \\{tok.text}_{{i=1}}^{{N}} or \\{tok.text}_k",
                tok,
            )
        with self.nested(tok):
            lo: sympy.Expr = Integer(1)
            if lo_tokens is not None:
                if not lo_tokens:
                    raise self.unreadable(tok, ": the lower bound is missing")
                lo = self.sub(lo_tokens, lower_end).whole()
            if upper is not None:
                hi = self.sub(upper, upper_end).whole()
            elif lo_tokens is not None:
                raise self.fail(f"{self.here(tok)} has a lower bound but no upper bound", tok)
            else:
                size = self.names.size_of(var)
                if size is None:
                    raise self.fail(
                        f"{self.here(tok)} has no bounds and the index {var!r} has no declared range: "
                        f"write \\{tok.text}_{{{var}=1}}^{{N}} or declare it under 'indices'",
                        tok,
                    )
                hi = resolve_name(size, self.names)
            outer = self.names
            self.names = outer.with_bound(var)
            try:
                if not self.starts_operand():
                    raise self.unreadable(self.peek(), f": \\{tok.text} needs something to add up")
                body = self.signed_term()
            finally:
                self.names = outer
        cls = sympy.Sum if tok.text == "sum" else sympy.Product
        return cls(body, (make_index(var), lo, hi))

    # -- functions ------------------------------------------------------------------------
    def operator(self, tok: Token, name: str) -> sympy.Expr:
        """``\\log y``, ``\\log(1-y)``, ``\\log_2 x``, ``\\sin^2(x)``, ``\\max(0, z)``."""
        if name not in FUNCTIONS:
            hint = " (write \\max(0, z) for ReLU)" if name.lower() == "relu" else ""
            raise self.fail(f"unknown function {name!r} in {self.here(tok)}{hint}", tok)
        base = power = None
        while self.is_char("_", self.toks[self.i]) or self.is_char("^", self.toks[self.i]):
            mark = self.toks[self.i]
            self.i += 1
            arg, end = self.arg_tokens("a script")
            if mark.text == "_" and name == "log" and base is None:
                base = self.sub(arg, end).whole()
                if base == make_symbol("e"):
                    base = None  # log_e is the natural log
            elif mark.text == "^" and power is None:
                if len(arg) == 2 and arg[0].text == "-" and arg[1].text == "1":
                    raise self.fail(f"{self.here(tok, 12)} is ambiguous: write \\arcsin or 1/\\sin", tok)
                power = (self.sub(arg, end).whole(), mark)
            else:
                raise self.fail(f"cannot read {self.here(mark)}", mark)
        if self.is_char("(") or self.paren_in_braces():
            value = self.call(name, tok, base)
            if power is not None:
                value = self.raise_to(value, power[0], power[1])
            return self.power(value)
        if not self.starts_factor(self.peek()):
            raise self.unreadable(self.peek(), f": expected the argument of {name}")
        with self.nested(tok):
            arg_value = self.factor()
        value = self.apply(name, [arg_value] if base is None else [arg_value, base], tok)
        if power is not None:
            value = self.raise_to(value, power[0], power[1])
        return value

    def paren_in_braces(self) -> bool:
        """``{\\left(x\\right)}`` as SymPy prints a call: the braces are the call's parentheses."""
        if not self.is_char("{", self.toks[self.i]):
            return False
        close = self.matching(self.i)
        inner = self.toks[self.i + 1 : close]
        return _parenthesised(inner)

    def call(self, name: str, tok: Token, base: sympy.Expr | None = None) -> sympy.Expr:
        braced = self.is_char("{", self.toks[self.i])
        if braced:
            brace = self.next()
        opener = self.next()
        args = self.arguments(opener)
        if braced:
            self.expect_char("}", brace)
        if base is not None:
            args.append(base)
        return self.apply(name, args, tok)

    def arguments(self, opener: Token) -> list[sympy.Expr]:
        """The comma-separated arguments after ``opener`` up to its ``)`` (absolute bars reset inside)."""
        args: list[sympy.Expr] = []
        with self.nested(opener):
            was, self.in_abs = self.in_abs, False
            args.append(self.expression())
            while self.is_char(","):
                self.next()
                args.append(self.expression())
            self.in_abs = was
        self.expect_char(")", opener)
        return args

    def abstract_call(self, name: str, tok: Token) -> sympy.Expr:
        """``f(g(x))``, ``f'(x)``, ``f''(x)``: a function declared under ``functions``."""
        primes = 0
        while self.is_char("'"):
            self.next()
            primes += 1
        if not self.is_char("("):
            written = name + "'" * primes
            raise self.fail(f"{written} must be applied to its argument, as {written}(x)", tok)
        opener = self.next()
        args = self.arguments(opener)
        arity = self.names.arity_of(name) or 1
        if len(args) != arity:
            raise self.fail(f"{name} is declared with {arity} argument(s), called with {len(args)}, in {self.here(tok)}", tok)
        if primes and arity != 1:
            raise self.fail(f"{name} has {arity} arguments: a prime does not say which one, in {self.here(tok)}", tok)
        if primes > limits.MAX_DERIVATIVE_ORDER:
            raise self.fail(f"derivative of order more than {limits.MAX_DERIVATIVE_ORDER}, in {self.here(tok)}", tok)
        return abstract_function(name, arity, (1,) * primes)(*args)

    def apply(self, name: str, args: list[sympy.Expr], tok: Token) -> sympy.Expr:
        spec = FUNCTIONS[name]
        if len(args) not in spec.arities:
            raise self.fail(
                f"{name} takes {' or '.join(map(str, spec.arities[:3]))} argument(s), got {len(args)}, "
                f"in {self.here(tok)}",
                tok,
            )
        if name in BIG_NUMBER_FUNCTIONS and any(a.is_Number and abs(a) > limits.MAX_FACTORIAL_ARG for a in args):
            raise self.fail(f"{name} of a number this large is too large to compute", tok)
        try:
            return spec.build(*args)
        except (TypeError, ValueError) as err:
            raise self.fail(f"cannot apply {name}: {err}", tok) from None


# --- token-level helpers -------------------------------------------------------------


def _parenthesised(tokens: list[Token]) -> bool:
    """Is the token list one ``( ... )`` group?"""
    if len(tokens) < 2 or tokens[0].kind != "char" or tokens[0].text != "(":
        return False
    depth = 0
    for j, t in enumerate(tokens):
        if t.kind == "char" and t.text == "(":
            depth += 1
        elif t.kind == "char" and t.text == ")":
            depth -= 1
            if depth == 0:
                return j == len(tokens) - 1
    return False


def _is_transpose(tokens: list[Token]) -> bool:
    words = [t.text for t in tokens if t.kind != "text"]
    return words in (["T"], ["top"], ["intercal"]) and tokens[0].kind in ("letter", "cmd")


def _simple_subscript(tokens: list[Token]) -> str | None:
    """Letters, digits, Greek names and text: the subscript is part of the name."""
    parts: list[str] = []
    for t in tokens:
        if t.kind in ("letter", "name") or (t.kind == "num" and t.text.isdigit()):
            parts.append(t.text)
        elif t.kind in ("text", "func") and re.fullmatch(r"[A-Za-z0-9]+", t.text):
            parts.append(t.text)
        elif t.kind == "cmd" and t.text in GREEK:
            parts.append(("_" if parts else "") + GREEK[t.text])
        else:
            return None
    return "".join(parts) or None


def _marker(tok: Token) -> str | None:
    if tok.kind == "cmd" and tok.text == "partial":
        return "partial"
    if tok.kind == "letter" and tok.text == "d":
        return "d"
    return None


def _differential(tokens: list[Token]) -> str | None:
    """``partial`` or ``d`` when the tokens start with a differential (not a name ``d_1``)."""
    if not tokens:
        return None
    kind = _marker(tokens[0])
    if kind == "d" and len(tokens) > 1 and tokens[1].kind == "char" and tokens[1].text == "_":
        return None
    return kind


def _order(tokens: list[Token]) -> tuple[int | None, list[Token]]:
    """``^2 f`` after a numerator's differential -> (2, [f])."""
    if len(tokens) >= 2 and tokens[0].kind == "char" and tokens[0].text == "^":
        t = tokens[1]
        if t.kind == "num" and t.text.isdigit():
            return int(t.text[0]), ([Token("num", t.text[1:], t.pos + 1)] if len(t.text) > 1 else []) + tokens[2:]
        braced = t.kind == "char" and t.text == "{" and len(tokens) >= 4 and tokens[3].text == "}"
        if braced and tokens[2].kind == "num" and tokens[2].text.isdigit():
                return int(tokens[2].text), tokens[4:]
    return None, tokens


def _split_lower(tokens: list[Token]) -> tuple[str | None, list[Token] | None]:
    """``i=1`` -> ("i", [1]); ``k`` -> ("k", None)."""
    words = [t for t in tokens if t.kind != "text"]
    if not words:
        return None, None
    head = words[0]
    if head.kind == "letter" or head.kind == "name":
        var = head.text
    elif head.kind == "cmd" and head.text in GREEK:
        var = GREEK[head.text]
    else:
        return None, None
    if len(words) == 1:
        return var, None
    if words[1].kind == "rel" and words[1].text == "==":
        return var, words[2:]
    return None, None


# --- public API ----------------------------------------------------------------------


def _prepare(text: object) -> list[Token]:
    if not isinstance(text, str):
        raise LatexError("a LaTeX formula must be a string")
    if len(text) > limits.MAX_EXPR_CHARS:
        raise LatexError(f"formula is {len(text)} characters long; the limit is {limits.MAX_EXPR_CHARS}")
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > limits.MAX_EXPR_NESTING:
                raise _fail(f"brackets nested more than {limits.MAX_EXPR_NESTING} deep", i, text)
        elif ch in ")]}":
            depth -= 1
    tokens = tokenize(text)
    while tokens and (tokens[-1].kind in ("text", "label") or (tokens[-1].kind == "char" and tokens[-1].text in ".,;")):
        tokens.pop()  # trailing punctuation, text and labels
    if not [t for t in tokens if t.kind not in ("text", "label")]:
        raise LatexError(f"no formula to read in {text.strip()[:40]!r}", 1, text)
    return tokens


def _guarded(text: str, names: Names, relation: bool) -> sympy.Expr | Relation:
    tokens = _prepare(text)
    parser = _Parser(tokens, _State(text), names, len(text.rstrip()))
    try:
        if not relation:
            return parser.whole()
        left = parser.expression()
        op = parser.peek()
        if op.kind != "rel":
            raise parser.unreadable(op, ": expected a relation such as =, \\neq, <, \\leq")
        parser.next()
        right = parser.expression()
        parser.finish()
        return Relation(op.text, left, right)
    except RecursionError:
        raise LatexError("formula too deeply nested", None, text) from None


def parse_latex(text: str, names: Names = Names()) -> sympy.Expr:
    """Read one LaTeX formula into the SymPy objects of the expression language."""
    value = _guarded(text, names, relation=False)
    assert isinstance(value, sympy.Expr)
    return value


def parse_latex_relation(text: str, names: Names = Names()) -> Relation:
    """Read ``A = B``, ``A \\neq B``, ``A < B``, ``A \\leq B``... into a :class:`parse.Relation`."""
    value = _guarded(text, names, relation=True)
    assert isinstance(value, Relation)
    return value
