"""Expression text -> SymPy objects, without eval (SPEC §3).

The text is parsed by Python's own ``ast`` module, and only a whitelist of node
kinds is walked; every SymPy object is built here by hand.  Nothing in the input
is ever looked up as a Python attribute, called, or passed to ``sympify``.

Defined names stay symbols (``L``, ``y[k]``) and derivatives stay unevaluated:
giving them meaning is the job of :mod:`derivcheck.context`.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

import sympy
from sympy import Indexed, IndexedBase, Integer, Rational, Symbol

from . import limits
from .budget import Timeout, time_limit
from .functions import (
    BIG_NUMBER_FUNCTIONS,
    CONSTANTS,
    FUNCTIONS,
    SPECIAL_FORMS,
    AbstractApplied,
    abstract_function,
)


class ExpressionError(ValueError):
    """A text that is not an expression of the language; ``column`` is 1-based."""

    def __init__(self, message: str, column: int | None = None, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.text = text

    def __str__(self) -> str:
        return self.message


# --- the canonical symbols: every module builds names through these -------------------


def make_symbol(name: str) -> Symbol:
    """A plain quantity; real unless the context says more."""
    return Symbol(name, real=True)


def make_index(name: str) -> Symbol:
    """An index ranging over 1..size."""
    return Symbol(name, integer=True, positive=True)


def make_size(name: str) -> Symbol:
    """A size such as K or N."""
    return Symbol(name, integer=True, positive=True)


def make_base(name: str) -> IndexedBase:
    return IndexedBase(name, real=True)


@dataclass(frozen=True)
class Names:
    """What the parser must know of the file: which names are indexed, indices or sizes."""

    indexed: frozenset[str] = frozenset()
    indices: frozenset[str] = frozenset()
    sizes: frozenset[str] = frozenset()
    bound: frozenset[str] = field(default=frozenset())
    #: (index, size) pairs: ``k`` ranges over 1..``K``
    ranges: tuple[tuple[str, str], ...] = ()
    #: (name, arity) of the declared abstract functions (``functions: [f, g]``)
    functions: tuple[tuple[str, int], ...] = ()

    def arity_of(self, name: str) -> int | None:
        """The number of arguments of a declared function, or None when ``name`` is not one."""
        return dict(self.functions).get(name)

    def with_bound(self, name: str) -> "Names":
        return replace(self, bound=self.bound | {name})

    def size_of(self, index: str) -> str | None:
        """The size an index ranges over, if declared."""
        return dict(self.ranges).get(index)

    def is_index(self, name: str) -> bool:
        return name in self.indices or name in self.bound


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_IMPLICIT_NUMBER_RE = re.compile(r"(?<![A-Za-z_0-9.])(\d+(?:\.\d+)?)\s*([A-Za-z_(])")
_SINGLE_EQ_RE = re.compile(r"(?<![=!<>])=(?!=)")


def resolve_name(name: str, names: Names) -> sympy.Expr:
    """A bare name: constant, index, size, subscript sugar or a plain symbol."""
    if name in CONSTANTS:
        return CONSTANTS[name]
    if names.is_index(name):
        return make_index(name)
    if name in names.sizes:
        return make_size(name)
    sugar = subscript_sugar(name, names)
    if sugar is not None:
        return sugar
    return make_symbol(name)


def subscript_sugar(name: str, names: Names) -> Indexed | None:
    """``y_k`` -> ``y[k]`` when ``y`` is indexed and ``k`` an index or an integer."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] != "_":
            continue
        base, sub = name[:i], name[i + 1 :]
        if base in names.indexed and sub and (names.is_index(sub) or sub.isdigit()):
            index = make_index(sub) if not sub.isdigit() else Integer(int(sub))
            return make_base(base)[index]
    return None


#: ``lambda`` (a regularisation weight) is a Python keyword: before ``ast.parse`` it
#: is renamed to this placeholder of the same length, which no input can spell (names
#: starting with '__' are refused), and renamed back in the parsed tree.
_KEYWORD_NAMES = {"__lmb_": "lambda"}
_KEYWORD_RE = re.compile(r"(?<![A-Za-z0-9_])lambda(?![A-Za-z0-9_])")


#: ``f'(x)``, ``f''(x)``: a declared function's derivative.  The primes are rewritten
#: before ``ast.parse`` (a quote would start a string) into a name no input can spell.
_PRIME_RE = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)('+)(?=\s*\()")
_PRIME_PLACEHOLDER_RE = re.compile(r"__p(\d+)_([A-Za-z_][A-Za-z0-9_]*)\Z")


def _prepare(text: str) -> tuple[str, list[int]]:
    """Replace ``^`` by ``**``, rename ``lambda``, spell ``f'(`` as a placeholder name;
    return the new text and a map to original columns."""
    for placeholder in _KEYWORD_NAMES:
        if placeholder in text:
            raise ExpressionError(f"names starting with '__' are not allowed ({placeholder})", text.index(placeholder) + 1, text)
    spelt = re.search(r"(?<![A-Za-z0-9_])__p\d", text)
    if spelt:
        raise ExpressionError("names starting with '__' are not allowed", spelt.start() + 1, text)
    text = _KEYWORD_RE.sub("__lmb_", text)
    out: list[str] = []
    cols: list[int] = []
    primes = {m.start(): m for m in _PRIME_RE.finditer(text)} if "'" in text else {}
    i = 0
    while i < len(text):
        m = primes.get(i)
        if m is not None:
            name = f"__p{len(m.group(2))}_{m.group(1)}"
            out.append(name)
            cols.extend([i] * len(name))
            i = m.end()
            continue
        ch = text[i]
        if ch == "^":
            out.append("**")
            cols.extend([i, i])
        else:
            out.append(ch)
            cols.append(i)
        i += 1
    cols.append(len(text))
    return "".join(out), cols


def _check_shape(text: str) -> None:
    if len(text) > limits.MAX_EXPR_CHARS:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {limits.MAX_EXPR_CHARS}"
        )
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > limits.MAX_EXPR_NESTING:
                raise ExpressionError(
                    f"brackets nested more than {limits.MAX_EXPR_NESTING} deep", i + 1, text
                )
        elif ch in ")]}":
            depth -= 1
    if not text.strip():
        raise ExpressionError("empty expression", 1, text)
    for i, ch in enumerate(text):
        if ord(ch) > 127 or (ord(ch) < 32 and ch not in "\t\n\r"):
            # Python would read a Cyrillic 'х' as a name distinct from 'x' (a homoglyph)
            import unicodedata

            what = unicodedata.name(ch, "a control character")
            raise ExpressionError(
                f"character {ch!r} (U+{ord(ch):04X} {what}) is not allowed: expressions are "
                "written in ASCII (names are letters a-z, A-Z, digits and '_')",
                i + 1,
                text,
            )


def _syntax_error(text: str, err: SyntaxError, cols: list[int]) -> ExpressionError:
    m = re.search(r"(?<![A-Za-z0-9_])lambda(?![A-Za-z0-9_])[\w\s,]*:", text)
    if m:
        return ExpressionError(
            "lambda is not part of the expression language ('lambda' alone is a plain symbol)",
            m.start() + 1,
            text,
        )
    quote = text.find("'")
    if quote >= 0 and '"' not in text:
        return ExpressionError(
            "a prime (') is written only after a declared function applied to its argument, as f'(x) "
            "(strings are not part of the expression language)",
            quote + 1,
            text,
        )
    m = _IMPLICIT_NUMBER_RE.search(text)
    if m:
        fixed = text[: m.end(1)] + "*" + text[m.start(2) :]
        return ExpressionError(
            f"implicit multiplication {m.group(0).strip()!r}: write it explicitly, as {fixed.strip()!r}",
            m.start(1) + 1,
            text,
        )
    col = None
    if err.offset is not None:
        off = max(0, min(err.offset - 1, len(cols) - 1))
        col = cols[off] + 1
    msg = err.msg or "invalid syntax"
    if "too many nested parentheses" in msg:
        msg = "brackets nested too deep"
    return ExpressionError(f"cannot read the expression: {msg}", col, text)


def parse_expression(text: str, names: Names = Names()) -> sympy.Expr:
    """Parse one expression of the language into a SymPy expression."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string")
    _check_shape(text)
    src, cols = _prepare(text)
    tree = _ast_parse(src, text, cols)
    with _reading_time(text):
        return _Builder(src, text, cols).build(tree.body, names)


@contextmanager
def _reading_time(text: str) -> Iterator[None]:
    """SymPy evaluates while it builds: bound the wall clock (and the stack) of one expression."""
    try:
        with time_limit(limits.PARSE_SECONDS):
            yield
    except Timeout:
        raise ExpressionError(
            f"building this expression took more than {limits.PARSE_SECONDS:g} s; simplify it", None, text
        ) from None
    except RecursionError:
        raise ExpressionError("expression too deeply nested", None, text) from None


@dataclass(frozen=True)
class Relation:
    """``LEFT op RIGHT`` with op one of == != < <= > >=."""

    op: str
    left: sympy.Expr
    right: sympy.Expr

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def parse_relation(text: str, names: Names = Names()) -> Relation:
    """Parse ``A == B`` (or ``A = B``), ``A != B``, ``A < B`` ... into a :class:`Relation`."""
    if not isinstance(text, str):
        raise ExpressionError("a condition must be a string such as 'T == k'")
    _check_shape(text)
    src, cols = _prepare(text)
    if "==" not in src:
        replaced = _SINGLE_EQ_RE.sub("==", src, count=1)
        if replaced != src:
            # keep the column map aligned with the one inserted character
            pos = _SINGLE_EQ_RE.search(src).start()  # type: ignore[union-attr]
            cols = cols[: pos + 1] + cols[pos:]
            src = replaced
    tree = _ast_parse(src, text, cols)
    node = tree.body
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        raise ExpressionError(
            f"expected a relation such as 'A == B' or 'A != B', got {text.strip()!r}", 1, text
        )
    op = _CMP.get(type(node.ops[0]))
    if op is None:
        raise ExpressionError(f"unsupported relation in {text.strip()!r}", 1, text)
    builder = _Builder(src, text, cols)
    with _reading_time(text):
        return Relation(op, builder.build(node.left, names), builder.build(node.comparators[0], names))


def _ast_parse(src: str, text: str, cols: list[int]) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as err:
        raise _syntax_error(text, err, cols) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression too deeply nested or too large", None, text) from None
    if "__lmb_" in src:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in _KEYWORD_NAMES:
                node.id = _KEYWORD_NAMES[node.id]
    return tree


def _magnitude(value: sympy.Expr) -> float | None:
    """|value| of a constant expression to a few digits, or None when it cannot be told."""
    try:
        approx = sympy.Abs(value).evalf(15, maxn=60)
        return float(approx) if approx.is_Number and approx.is_finite else None
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return None


#: Chains of + - * / up to this many operations are built one operation at a time.
_SHORT_CHAIN = 64


class _Builder:
    """Walks a whitelisted AST and builds SymPy objects."""

    def __init__(self, src: str, text: str, cols: list[int]) -> None:
        self.src = src.strip()
        self.lead = len(src) - len(src.lstrip())
        self.text = text
        self.cols = cols
        self.count = 0

    # -- helpers ---------------------------------------------------------------------
    def column(self, node: ast.AST) -> int | None:
        off = getattr(node, "col_offset", None)
        if off is None:
            return None
        off += self.lead
        return self.cols[min(off, len(self.cols) - 1)] + 1

    def segment(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.src, node) or ""
        for placeholder, name in _KEYWORD_NAMES.items():
            seg = seg.replace(placeholder, name)
        return seg.replace("**", "^") if "^" in self.text else seg

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, self.column(node), self.text)

    # -- the walk --------------------------------------------------------------------
    def build(self, node: ast.AST, names: Names) -> sympy.Expr:
        self.count += 1
        if self.count > limits.MAX_EXPR_NODES:
            raise self.fail(f"expression has more than {limits.MAX_EXPR_NODES} parts", node)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(self._not_allowed(node), node)
        return method(node, names)

    def _not_allowed(self, node: ast.AST) -> str:
        what = {
            "Attribute": "attribute access ('.')",
            "Lambda": "lambda",
            "ListComp": "comprehension",
            "GeneratorExp": "comprehension",
            "SetComp": "comprehension",
            "DictComp": "comprehension",
            "Compare": "a comparison inside an expression",
            "BoolOp": "'and'/'or'",
            "IfExp": "'if ... else'",
            "Dict": "'{...}'",
            "Set": "'{...}'",
            "List": "'[...]' list",
            "Tuple": "a tuple",
            "Starred": "'*' unpacking",
            "NamedExpr": "':='",
            "JoinedStr": "a string",
            "Await": "'await'",
            "Yield": "'yield'",
            "Slice": "a slice",
        }.get(type(node).__name__, type(node).__name__)
        return f"{what} is not part of the expression language"

    def _Constant(self, node: ast.Constant, names: Names) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str):
                raise self.fail("strings are not part of the expression language", node)
            raise self.fail(f"{value!r} is not a number of the expression language", node)
        literal = self.segment(node).strip().replace("_", "")
        return self.number(literal, node)

    def number(self, literal: str, node: ast.AST) -> sympy.Expr:
        m = re.fullmatch(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", literal)
        if not m or not (m.group(1) or m.group(2)):
            raise self.fail(f"cannot read the number {literal!r}", node)
        whole, frac, expo = m.group(1) or "0", m.group(2) or "", int(m.group(3) or 0)
        if len(whole.lstrip("0")) + len(frac) > limits.MAX_INT_DIGITS or abs(expo) > limits.MAX_INT_DIGITS:
            raise self.fail(f"number {literal[:20]}... has more than {limits.MAX_INT_DIGITS} digits", node)
        value = Rational(int(whole + frac), 10 ** len(frac))
        if expo:
            value = value * Rational(10) ** expo
        return value

    def _Name(self, node: ast.Name, names: Names) -> sympy.Expr:
        if node.id.startswith("__"):
            if _PRIME_PLACEHOLDER_RE.match(node.id):
                raise self.fail("a derivative f' must be applied to its argument, as f'(x)", node)
            raise self.fail(f"names starting with '__' are not allowed ({node.id})", node)
        arity = names.arity_of(node.id)
        if arity is not None and not names.is_index(node.id):
            args = ", ".join("xyzw"[:arity])
            raise self.fail(
                f"{node.id} is a declared function: apply it to its argument{'s' if arity > 1 else ''}, "
                f"as {node.id}({args})",
                node,
            )
        if node.id in FUNCTIONS or node.id in SPECIAL_FORMS:
            # a function name alone is a symbol (sigma the standard deviation)
            if names.is_index(node.id):
                return make_index(node.id)
            return make_symbol(node.id)
        return resolve_name(node.id, names)

    def _UnaryOp(self, node: ast.UnaryOp, names: Names) -> sympy.Expr:
        operand = self.build(node.operand, names)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.fail(f"operator {type(node.op).__name__} is not part of the expression language", node)

    def _BinOp(self, node: ast.BinOp, names: Names) -> sympy.Expr:
        # Long chains (a + b + c + ...) nest deeply on the left: walk them iteratively.
        chain: list[tuple[ast.operator, ast.AST]] = []
        head: ast.AST = node
        while isinstance(head, ast.BinOp) and isinstance(head.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            chain.append((head.op, head.right))
            head = head.left
        if not chain:
            return self._power(node, names)
        value = self.build(head, names)
        if len(chain) <= _SHORT_CHAIN:
            # one operation at a time, as written: SymPy's binary Mul distributes a
            # number over a sum (2*(a - b) is 2*a - 2*b), which later readers rely on
            for op, right_node in reversed(chain):
                right = self.build(right_node, names)
                if isinstance(op, ast.Add):
                    value = value + right
                elif isinstance(op, ast.Sub):
                    value = value - right
                elif isinstance(op, ast.Mult):
                    value = value * right
                else:
                    if right == 0:
                        raise self.fail("division by zero", right_node)
                    value = value / right
            return value
        # A long chain: terms (and factors) are gathered and combined by one Add (Mul);
        # adding them one at a time re-flattens the sum each time, quadratic in its length.
        terms: list[sympy.Expr] = []
        factors: list[sympy.Expr] = []

        def flush() -> sympy.Expr:
            if terms:
                out = sympy.Add(value, *terms)
            elif factors:
                out = sympy.Mul(value, *factors)
            else:
                return value
            terms.clear()
            factors.clear()
            return out

        for op, right_node in reversed(chain):
            right = self.build(right_node, names)
            if isinstance(op, (ast.Add, ast.Sub)):
                if factors:
                    value = flush()
                terms.append(right if isinstance(op, ast.Add) else -right)
            else:
                if terms:
                    value = flush()
                if isinstance(op, ast.Div):
                    if right == 0:
                        raise self.fail("division by zero", right_node)
                    right = 1 / right
                factors.append(right)
        return flush()

    def _power(self, node: ast.BinOp, names: Names) -> sympy.Expr:
        if not isinstance(node.op, ast.Pow):
            raise self.fail(
                f"operator {type(node.op).__name__} is not part of the expression language", node
            )
        base = self.build(node.left, names)
        expo = self.build(node.right, names)
        self.check_power(base, expo, node)
        return base**expo

    def check_power(self, base: sympy.Expr, expo: sympy.Expr, node: ast.AST) -> None:
        """Refuse powers whose value SymPy would compute to an enormous number."""
        if expo.is_Number:
            if abs(expo) > limits.MAX_EXPONENT:
                raise self.fail(f"exponent {expo} is too large (the limit is {limits.MAX_EXPONENT})", node)
            if base.is_Number and base not in (0, 1, -1):
                digits = float(abs(expo)) * abs(math.log10(abs(float(base)) or 1e-300))
                if digits > limits.MAX_POWER_DIGITS:
                    raise self.fail("this power is too large a number to compute", node)
        elif base.is_Number and base not in (0, 1, -1) and not expo.free_symbols:
            # a constant exponent such as (sqrt(13) - 5)/6: SymPy keeps the power
            # unevaluated, but a tower (2**2**2**sqrt(2)) must not reach the numerics
            size = _magnitude(expo)
            if size is None or size > limits.MAX_EXPONENT:
                raise self.fail("this power is too large a number to compute", node)
            if size * abs(math.log10(abs(float(base)))) > limits.MAX_POWER_DIGITS:
                raise self.fail("this power is too large a number to compute", node)

    def _Subscript(self, node: ast.Subscript, names: Names) -> sympy.Expr:
        if not isinstance(node.value, ast.Name):
            raise self.fail("only a name can be indexed, as in y[k]", node)
        base = node.value.id
        if base in CONSTANTS:
            raise self.fail(f"{base} is a constant and cannot be indexed", node)
        if names.arity_of(base) is not None and not names.is_index(base):
            raise self.fail(f"{base} is a declared function: call it, as {base}(x), rather than index it", node)
        idx_node = node.slice
        parts = list(idx_node.elts) if isinstance(idx_node, ast.Tuple) else [idx_node]
        if not parts or any(isinstance(p, ast.Slice) for p in parts):
            raise self.fail("an index must be an expression such as k or 1", node)
        idx = [self.build(p, names) for p in parts]
        return make_base(base)[tuple(idx)]

    def _Call(self, node: ast.Call, names: Names) -> sympy.Expr:
        func = node.func
        if (
            isinstance(func, ast.Call)
            and isinstance(func.func, ast.Name)
            and func.func.id == "D"
            and (names.functions or (func.args and isinstance(func.args[0], ast.Name) and names.arity_of(func.args[0].id)))
        ):
            return self.d_form(func, node, names)
        if isinstance(func, ast.Name) and _PRIME_PLACEHOLDER_RE.match(func.id):
            return self.prime_form(func, node, names)
        if isinstance(func, ast.Name) and names.arity_of(func.id) is not None:
            return self.abstract_call(func.id, node, names)
        if isinstance(func, ast.Name) and func.id == "D" and names.functions:
            raise self.fail("D(f) is the derivative of a declared function: apply it, as D(f)(x)", node)
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise self.fail("attribute access ('.') is not part of the expression language", func)
            self.build(func, names)  # refuses anything outside the grammar first
            seg = self.segment(node)
            cut = seg.find("(", (func.end_col_offset or 0) - node.col_offset)
            fixed = seg[:cut] + "*" + seg[cut:] if cut > 0 else seg
            raise self.fail(f"implicit multiplication in {seg!r}: write {fixed!r}", node)
        name = func.id
        if name.startswith("__"):
            raise self.fail(f"names starting with '__' are not allowed ({name})", func)
        if node.keywords:
            raise self.fail(f"keyword arguments are not part of the expression language ({name})", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail("'*' unpacking is not part of the expression language", node)
        if name in SPECIAL_FORMS:
            return self.special(name, node, names)
        spec = FUNCTIONS.get(name)
        if spec is None:
            seg = self.segment(node)
            fixed = name + "*" + seg[len(name) :]
            known = sorted(set(FUNCTIONS) | set(SPECIAL_FORMS))
            # two letters swapped (tahn) first, then the closest spelling
            close_names = [k for k in known if len(name) > 2 and sorted(k) == sorted(name)]
            close_names = close_names or (difflib.get_close_matches(name, known, n=1, cutoff=0.75) if len(name) > 2 else [])
            if close_names:
                # a misspelt function (tahn) before the implicit-multiplication reading
                hint = f"unknown function {name!r}: did you mean {close_names[0]!r}?"
            elif len(node.args) == 1:
                hint = f"implicit multiplication? write {fixed!r}; or an unknown function {name!r}"
            else:
                hint = f"unknown function {name!r}"
            raise self.fail(f"{hint} (in {seg!r})", node)
        if len(node.args) not in spec.arities:
            raise self.fail(
                f"{name} takes {' or '.join(map(str, spec.arities[:3]))} argument(s), got {len(node.args)}", node
            )
        args = [self.build(a, names) for a in node.args]
        if name in BIG_NUMBER_FUNCTIONS:
            for a in args:
                if a.is_Number and abs(a) > limits.MAX_FACTORIAL_ARG:
                    raise self.fail(f"{name} of {a} is too large a number to compute", node)
        try:
            return spec.build(*args)
        except (TypeError, ValueError, ArithmeticError) as err:
            raise self.fail(f"cannot apply {name}: {err}", node) from None

    # -- Sum, Product, Derivative ------------------------------------------------------
    def special(self, name: str, node: ast.Call, names: Names) -> sympy.Expr:
        if name in ("Sum", "Product"):
            if len(node.args) != 2 or not isinstance(node.args[1], ast.Tuple) or len(node.args[1].elts) != 3:
                raise self.fail(f"write {name}(f, (i, a, b))", node)
            var_node, lo_node, hi_node = node.args[1].elts
            if not isinstance(var_node, ast.Name) or not _NAME_RE.match(var_node.id):
                raise self.fail(f"the variable of {name} must be a name, as in {name}(f, (i, 1, N))", var_node)
            var = var_node.id
            inner = names.with_bound(var)
            lo, hi = self.build(lo_node, names), self.build(hi_node, names)
            body = self.build(node.args[0], inner)
            cls = sympy.Sum if name == "Sum" else sympy.Product
            return cls(body, (make_index(var), lo, hi))
        if name == "Subs":
            return self.subs(node, names)
        # Derivative / diff
        return self.derivative(name, node, names)

    def derivative(self, name: str, node: ast.Call, names: Names) -> sympy.Expr:
        """``Derivative(f, v, ...)``: a variable may be followed by a count (``diff(f, x, 2)``)
        or written with it (``Derivative(f, (x, 2))``); any order up to the limit."""
        if len(node.args) < 2:
            raise self.fail(f"write {name}(f, v), the derivative of f with respect to v", node)
        f = self.build(node.args[0], names)
        variables: list[sympy.Expr] = []
        counted = True  # whether the last variable already has its count
        for arg in node.args[1:]:
            if isinstance(arg, ast.Constant) and not counted:
                # a count after a variable: diff(f, x, 2) is the second derivative in x
                count = self.order(arg)
                variables.extend([variables[-1]] * (count - 1))
                counted = True
                continue
            if isinstance(arg, ast.Tuple):
                if len(arg.elts) != 2:
                    raise self.fail(f"write ({self.segment(arg.elts[0]) if arg.elts else 'v'}, n) for the n-th derivative", arg)
                v = self.variable(arg.elts[0], names)
                variables.extend([v] * self.order(arg.elts[1]))
                counted = True
            else:
                variables.append(self.variable(arg, names))
                counted = False
            if len(variables) > limits.MAX_DERIVATIVE_ORDER:
                break
        if len(variables) > limits.MAX_DERIVATIVE_ORDER:
            raise self.fail(f"{name} of order more than {limits.MAX_DERIVATIVE_ORDER} is not supported", node)
        return sympy.Derivative(f, *variables, evaluate=False)

    # -- declared (abstract) functions ----------------------------------------------------
    def call_args(self, name: str, arity: int, node: ast.Call, names: Names) -> list[sympy.Expr]:
        if node.keywords:
            raise self.fail(f"keyword arguments are not part of the expression language ({name})", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail("'*' unpacking is not part of the expression language", node)
        if len(node.args) != arity:
            raise self.fail(
                f"{name} is declared with {arity} argument{'s' if arity != 1 else ''}, called with {len(node.args)}", node
            )
        return [self.build(a, names) for a in node.args]

    def abstract_call(self, name: str, node: ast.Call, names: Names) -> sympy.Expr:
        """``f(g(x))``: a declared function applied to its arguments."""
        arity = names.arity_of(name) or 1
        return abstract_function(name, arity)(*self.call_args(name, arity, node, names))

    def prime_form(self, func: ast.Name, node: ast.Call, names: Names) -> sympy.Expr:
        """``f'(x)``, ``f''(x)``: derivatives of a declared function of one argument."""
        m = _PRIME_PLACEHOLDER_RE.match(func.id)
        assert m is not None
        count, name = int(m.group(1)), m.group(2)
        written = name + "'" * count
        arity = names.arity_of(name)
        if arity is None:
            raise self.fail(f"{written}: {name} is not a declared function (declare it under 'functions')", node)
        if arity != 1:
            raise self.fail(
                f"{written}: {name} has {arity} arguments; say which one: D({name}, 1)(...) is the partial "
                "derivative by the first",
                node,
            )
        if count > limits.MAX_DERIVATIVE_ORDER:
            raise self.fail(f"derivative of order more than {limits.MAX_DERIVATIVE_ORDER} is not supported", node)
        return abstract_function(name, 1, (1,) * count)(*self.call_args(written, 1, node, names))

    def d_form(self, head: ast.Call, node: ast.Call, names: Names) -> sympy.Expr:
        """``D(f)(x)`` is f'(x); ``D(f, 1, 2)(x, y)`` differentiates by the first and second arguments."""
        if head.keywords or not head.args or not isinstance(head.args[0], ast.Name):
            raise self.fail("write D(f)(x) for the derivative of a declared function f at x", head)
        name = head.args[0].id
        arity = names.arity_of(name)
        if arity is None:
            raise self.fail(f"D({name}): {name} is not a declared function (declare it under 'functions')", head)
        orders: list[int] = []
        for arg in head.args[1:]:
            value = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= arity:
                raise self.fail(
                    f"in D({name}, ...) each further argument is the position of an argument of {name}, "
                    f"a whole number from 1 to {arity}, not {self.segment(arg)!r}",
                    arg,
                )
            orders.append(value)
        if not orders:
            if arity != 1:
                raise self.fail(
                    f"D({name}): {name} has {arity} arguments; say which one, as D({name}, 1)(...)", head
                )
            orders = [1]
        if len(orders) > limits.MAX_DERIVATIVE_ORDER:
            raise self.fail(f"derivative of order more than {limits.MAX_DERIVATIVE_ORDER} is not supported", head)
        cls = abstract_function(name, arity, tuple(orders))
        return cls(*self.call_args(f"D({name})", arity, node, names))

    def subs(self, node: ast.Call, names: Names) -> sympy.Expr:
        """``Subs(Derivative(f(u), u), u, g(x))``: a declared function's derivative at a point.

        The only use of Subs: it becomes the same object as ``D(f)(g(x))``.
        """
        usage = "write Subs(Derivative(f(u), u), u, value), f a declared function, or D(f)(value)"
        if len(node.args) != 3 or node.keywords:
            raise self.fail(usage, node)
        var_node, value_node = node.args[1], node.args[2]
        var_nodes = list(var_node.elts) if isinstance(var_node, ast.Tuple) else [var_node]
        value_nodes = list(value_node.elts) if isinstance(value_node, ast.Tuple) else [value_node]
        if len(var_nodes) != len(value_nodes) or not all(
            isinstance(v, ast.Name) and _NAME_RE.match(v.id) for v in var_nodes
        ):
            raise self.fail(usage, node)
        inner = node.args[0]
        if not (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id in ("Derivative", "diff")
            and inner.args
            and isinstance(inner.args[0], ast.Call)
            and isinstance(inner.args[0].func, ast.Name)
            and names.arity_of(inner.args[0].func.id) is not None
        ):
            raise self.fail(usage, node)
        d = self.derivative(inner.func.id, inner, names)
        applied = d.expr
        if not isinstance(applied, AbstractApplied) or applied.orders:
            raise self.fail(usage, node)
        orders: list[int] = []
        for v in d.variables:
            where = [i + 1 for i, a in enumerate(applied.args) if a == v]
            others = [a for a in applied.args if a != v and a.has(v)]
            if len(where) != 1 or others:
                raise self.fail(
                    f"in Subs, each variable of the derivative must be one argument of {applied.fname}, "
                    f"written as a plain name ({v} is not): {usage}",
                    inner,
                )
            orders.append(where[0])
        mapping = {}
        for v_node, val_node in zip(var_nodes, value_nodes):
            mapping[make_symbol(v_node.id)] = self.build(val_node, names)
        bound = {v for v in d.variables}
        if not set(mapping) <= {a for a in applied.args if isinstance(a, Symbol)} or not set(mapping) & bound:
            raise self.fail(f"Subs must replace the variable of the derivative: {usage}", node)
        args = [mapping.get(a, a) if isinstance(a, Symbol) else a for a in applied.args]
        return abstract_function(applied.fname, applied.arity, tuple(orders))(*args)

    def order(self, node: ast.AST) -> int:
        """The count of a derivative: a whole number 1..limits.MAX_DERIVATIVE_ORDER written as a literal."""
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limits.MAX_DERIVATIVE_ORDER:
            raise self.fail(
                f"the order of a derivative must be a whole number from 1 to {limits.MAX_DERIVATIVE_ORDER}, "
                f"not {self.segment(node)!r}",
                node,
            )
        return value

    def variable(self, node: ast.AST, names: Names) -> sympy.Expr:
        v = self.build(node, names)
        if not isinstance(v, (Symbol, Indexed)):
            raise self.fail(
                f"differentiate with respect to a name such as w or y[k], not {self.segment(node)!r}", node
            )
        return v


def expression_names(text: str) -> set[str]:
    """Every name that is indexed with ``[...]`` in a text (for the subscript sugar)."""
    return set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\[", text))


Parser = Callable[[str, Names], sympy.Expr]
