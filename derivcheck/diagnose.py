"""Mistake diagnoses (SPEC §7): why an ``invalid`` step is wrong, and the concrete fix.

Every rule is a hypothesis about the mistake ("this step is minus the previous
one", "one factor is wrong", ...) that is *tested* with the engine's own numeric
machinery: the candidate expressions are compared at sample points of the declared
domains (``Engine.compare(..., prove=False)``, every candidate counterexample
re-checked at high precision), never guessed.  A rule that cannot decide within
the transition's time budget says nothing.

Rules run only on ``invalid`` transitions, in the order of :data:`rules.RULES`
(the most specific first); several may apply.  ``slip``/``after-slip`` look at
the chain: the step after a slip gets ``after-slip`` alone.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import operator
import random
import re
from typing import Any, Callable, Iterator, Sequence

import mpmath
import sympy
from sympy import Symbol

from .budget import Budget, Timeout
from .context import Condition, ContextError, substitutions
from . import limits
from .engine import SCREEN_DPS, SCREEN_TOL
from .numeric import close
from .results import ERROR, INVALID, PROVED, TESTED, ChainResult, Note

#: Share of the transition's time budget one rule may use.
RULE_SHARE = 0.5
#: Most terms or factors a rule looks at, and most groupings of factors.
MAX_PIECES = 12
MAX_GROUPINGS = 40


# -- entry point ----------------------------------------------------------------------------


def diagnose_chain(checker: Any, chain_index: int, chain: ChainResult) -> None:
    """Attach diagnoses to every ``invalid`` transition of one checked chain."""
    engine = checker.engine
    transitions = checker.transitions
    slips: set[int] = set()
    for sr in chain.steps:
        if sr.status != INVALID:
            continue
        tr = transitions.get((chain_index, sr.index))
        if tr is None:
            continue
        if sr.index - 1 in slips and _previous_index(chain, sr.index) == sr.index - 1:
            before = _previous_index(chain, sr.index - 1)
            sr.diagnoses = [
                Note(
                    "after-slip",
                    f"fails only because step {sr.index - 1} is a slip: this step follows from step {before}",
                )
            ]
            continue
        total = Budget(engine.timeout)
        try:
            probe = Probe(checker, chain_index, sr.index, tr, total)
        except Exception:  # noqa: BLE001 - a diagnosis never breaks a check
            continue
        # the slip test first: the next transition's diagnosis depends on it
        slip = probe.run(lambda p: _slip(p, chain))
        if slip:
            slips.add(sr.index)
        notes: list[Note] = []
        for rule in RULE_FUNCTIONS:
            if total.remaining() <= 0.05:
                break
            probe.found = list(notes)
            notes.extend(probe.run(rule))
        sr.diagnoses = notes + slip


def _previous_index(chain: ChainResult, index: int) -> int:
    """The step a transition was compared with: the last one before it not in error."""
    for s in reversed(chain.steps[: index - 1]):
        if s.status != ERROR:
            return s.index
    return index - 1


# -- text: terms and factors as written -----------------------------------------------------


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
            elif ops == "+-" and ch in "+-" and last and last not in "*/^(,+-[=" and not _exponent_sign(text, i):
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


def _exponent_sign(text: str, i: int) -> bool:
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


class Piece:
    """A term or factor of a step: its text as written (when known), its expression, its span."""

    def __init__(self, text: str, expr: sympy.Expr, span: tuple[int, int] | None) -> None:
        self.text = text
        self.expr = expr
        self.span = span


# -- one invalid transition -----------------------------------------------------------------


class Probe:
    """What the rules of one invalid transition share: budget, instance, comparisons."""

    def __init__(self, checker: Any, chain_index: int, index: int, tr: Any, budget: Budget) -> None:
        self.checker = checker
        self.engine = checker.engine
        self.ctx = checker.ctx
        self.ci = chain_index
        self.index = index
        self.tr = tr
        self.total = budget
        self.budget = budget
        self.inst: dict = dict(tr.verdict.instance or {})
        self.conditions: list[Condition] = list(tr.conditions)
        a, b, filters = self.engine.sides(tr.previous, tr.current, self.conditions, self.inst)
        self.a, self.b, self.filters = a, b, filters
        self._pieces: dict[tuple[str, str], list[Piece]] = {}
        self._texts: tuple[str, str] | None = None
        self._count = 0
        #: diagnoses the rules before the running one gave
        self.found: list[Note] = []

    # running rules
    def run(self, rule: Callable[["Probe"], list[Note]]) -> list[Note]:
        seconds = min(self.total.remaining(), self.engine.timeout * RULE_SHARE)
        if seconds <= 0:
            return []
        self.budget = Budget(seconds)
        try:
            with self.budget.enforce():
                return rule(self)
        except Timeout:
            return []
        except RecursionError:
            return []
        except Exception:  # noqa: BLE001 - a rule that fails says nothing
            return []
        finally:
            self.budget = self.total

    def label(self, tag: str) -> str:
        self._count += 1
        return f"diagnose:{self.ci}:{self.index}:{tag}:{self._count}"

    # comparisons
    def holds(self, left: sympy.Expr, right: sympy.Expr, tag: str, extra: Sequence[Condition] = ()) -> bool:
        """``left`` equals ``right`` at every sampled point of every instance (raw expressions)."""
        v = self.engine.compare(
            left, right, self.conditions + list(extra), label=self.label(tag), prove=False, budget=self.budget
        )
        return v.status == TESTED and v.points > 0

    def equal_here(self, x: sympy.Expr, y: sympy.Expr, tag: str, subst: dict | None = None) -> bool | None:
        """Concrete expressions equal at sampled points of the failing instance (None: undefined)."""
        filters = self.filters
        if subst:
            filters = [(op, fl.xreplace(subst), fr.xreplace(subst)) for op, fl, fr in filters]
        rng = random.Random(f"{self.engine.seed}|{self.label(tag)}")
        defined, cex, _ = self.engine.sample(x, y, filters, rng, self.inst)
        if cex is not None:
            return False
        return True if defined > 0 else None

    def fixed(
        self, fixed: dict, tag: str, count: int = limits.SAMPLE_POINTS, keep_undefined: bool = False
    ) -> list[tuple[Any, Any, list]]:
        """Both sides of the failing instance at sampled points where ``fixed`` leaves take set values.

        Uses the sides as compiled for the verdict (no recompilation); points where a
        side or a filter is undefined are skipped.
        """
        leaves_set = set(self.a.free_symbols) | set(self.b.free_symbols)
        for _, fl, fr in self.filters:
            leaves_set |= fl.free_symbols | fr.free_symbols
        leaves = tuple(sorted(leaves_set, key=lambda s: s.name))
        fa, fb = self.engine.compiled(self.a, leaves), self.engine.compiled(self.b, leaves)
        filters = [(op, self.engine.compiled(fl, leaves), self.engine.compiled(fr, leaves)) for op, fl, fr in self.filters]
        sampler = getattr(self.engine, "_sampler", None)
        draws = [
            (lambda rng, v=fixed[s]: v) if s in fixed else (sampler(self.ctx.domain_of(s)) if sampler else self.ctx.domain_of(s).sample)
            for s in leaves
        ]
        # keep_undefined: the same draws whatever ``fixed`` holds, undefined values as None
        label = f"diagnose:{self.ci}:{self.index}:{tag}" if keep_undefined else self.label(tag)
        rng = random.Random(f"{self.engine.seed}|{label}")
        out: list[tuple[Any, Any, list]] = []
        for _ in range(count * 6):
            point = [draw(rng) for draw in draws]
            if filters and not self.engine.filters_hold(filters, point):
                if keep_undefined:
                    out.append((None, None, point))
                continue
            va, vb = fa(point, SCREEN_DPS), fb(point, SCREEN_DPS)
            if va is None or vb is None:
                if keep_undefined:
                    out.append((None, None, point))
                continue
            out.append((va, vb, point))
            if len(out) >= count:
                break
        self._fixed_compiled = (fa, fb, leaves)
        return out

    def equal_fixed(self, fixed: dict, tag: str) -> bool | None:
        """The two sides equal at the failing instance once ``fixed`` leaves take their values."""
        rows = self.fixed(fixed, tag)
        if not rows:
            return None
        fa, fb, leaves = self._fixed_compiled
        for va, vb, point in rows:
            if not close(va, vb, SCREEN_TOL) and self.engine.verify(fa, fb, leaves, point, self.inst) is not None:
                return False
        return True

    def screen(self, pieces: list[Piece], factor: int) -> list[Piece]:
        """The pieces whose value times ``factor`` is previous - this step at a few sampled points.

        Only a screen, at the failing instance: a piece that passes is then tested
        with :meth:`holds`.  It saves compiling one large expression per term.
        """
        rows = self.fixed({}, "screen", 3)
        if not rows:
            return pieces[:MAX_PIECES]
        fa, fb, leaves = self._fixed_compiled
        resolver = self.engine.resolver(self.inst)
        subst = substitutions(self.conditions, resolver)
        out = []
        for piece in pieces:
            try:
                value = self.engine.concrete(piece.expr, self.inst)
                value = value.xreplace(subst) if subst else value
                if not value.free_symbols <= set(leaves):
                    out.append(piece)
                    continue
                compiled = self.engine.compiled(value, leaves)
                keep = True
                for va, vb, point in rows:
                    v = compiled(point, SCREEN_DPS)
                    if v is not None and not close(factor * v, va - vb, 1e-12):
                        keep = False
                        break
            except ContextError:
                keep = True
            if keep:
                out.append(piece)
        return out[:MAX_PIECES]

    # pieces as written
    def texts(self) -> tuple[str, str]:
        """The two steps as written, or as SymPy prints them when written in LaTeX."""
        if self._texts is None:
            self._texts = (
                self._plain(self.tr.previous_text, self.tr.previous),
                self._plain(self.tr.current_text, self.tr.current),
            )
        return self._texts

    def _plain(self, text: str, expr: sympy.Expr) -> str:
        try:
            if self.ctx.parse(text, 0) == expr:
                return text
        except Exception:  # noqa: BLE001 - LaTeX, or text the plain reader refuses
            pass
        return str(expr)

    def pieces(self, which: str, ops: str) -> list[Piece]:
        """Top-level terms (ops "+-") or factors (ops "*") of the previous or current step."""
        key = (which, ops)
        if key not in self._pieces:
            self._pieces[key] = self._split(which, ops)
        return self._pieces[key]

    def _split(self, which: str, ops: str) -> list[Piece]:
        text = self.texts()[0 if which == "previous" else 1]
        expr = self.tr.previous if which == "previous" else self.tr.current
        written = self.tr.previous_text if which == "previous" else self.tr.current_text
        if ops == "*" and written != text:  # written in LaTeX: its factors in the order written
            latex = self._latex_factors(written, expr)
            if latex:
                return latex
        spans = split_top(text, ops)
        if ops == "*" and len(split_top(text, "+-")) > 1:
            spans = [(0, len(text))]
        pieces: list[Piece] = []
        try:
            for a, b in spans:
                raw = text[a:b]
                shown = tidy_term(raw) if ops == "+-" else strip_parens(raw)
                pieces.append(Piece(shown, self.ctx.parse(raw.strip(), 0), (a, b)))
            if len(pieces) == 1 or functools.reduce(operator.add if ops == "+-" else operator.mul, [p.expr for p in pieces]) == expr:
                return pieces
        except ContextError:
            pass
        except Exception:  # noqa: BLE001 - LaTeX text, or anything the plain parser refuses
            pass
        args = sympy.Add.make_args(expr) if ops == "+-" else sympy.Mul.make_args(expr)
        return [Piece(str(a), a, None) for a in args]

    def _latex_factors(self, written: str, expr: sympy.Expr) -> list[Piece] | None:
        """The factors of a LaTeX step as written, split at top-level ``\\cdot``/``\\times``."""
        if "\\" not in written or self.ctx.latex_reader is None:
            return None
        parts = split_latex_product(written)
        if len(parts) < 2:
            return None
        try:
            pieces = [Piece(part, self.ctx.parse(part, 0, latex=True), None) for part in parts]
        except ContextError:
            return None
        if functools.reduce(operator.mul, [q.expr for q in pieces]) != expr:
            return None
        return pieces

    # printing in the file's notation
    def fold(self, expr: sympy.Expr, near: str = "") -> sympy.Expr:
        """A concrete expression with defined names put back where their expansion appears.

        Exact subtrees are replaced first; then SymPy's algebraic ``subs`` (which also
        finds ``exp(2*z[1])/S**2`` as ``y[1]**2``), kept only when putting the
        definitions back in gives the same values.  Concrete index values are named
        after the instance's index (``y[2]`` -> ``y[k]`` when k = 2), preferring the
        names that appear in ``near``.
        """
        resolver = self.engine.resolver(self.inst)
        index_names = _index_names(self.inst, self.ctx, near or self.texts()[1])
        replacements: list[tuple[sympy.Expr, sympy.Expr]] = []
        for name in _definition_order(self.ctx):
            d = self.ctx.definitions[name]
            if d.params:
                sizes = []
                for p in d.params:
                    size = self.ctx.index_size.get(p.name)
                    value = next((v for s, v in self.inst.items() if s.name == size), None)
                    if value is None:
                        break
                    sizes.append(range(1, int(value) + 1))
                else:
                    combos = list(itertools.product(*sizes))
                    if len(combos) > 60:
                        continue
                    for combo in combos:
                        args = tuple(sympy.Integer(v) for v in combo)
                        full = resolver.definition(name, args, frozenset())
                        shown = ", ".join(index_names.get(int(v), str(v)) for v in combo)
                        replacements.append((full, Symbol(f"{name}[{shown}]", real=True)))
                continue
            full = resolver.definition(name, (), frozenset())
            replacements.append((full, Symbol(name, real=True)))
        done: list[tuple[sympy.Expr, sympy.Expr]] = []
        for full, sym in replacements:
            if full.is_Atom:
                continue
            folded_full = full
            for f2, s2 in done:
                folded_full = folded_full.xreplace({f2: s2})
            done.append((full, sym))
            if folded_full != full:
                done.append((folded_full, sym))
        original = expr
        for f2, s2 in done:
            expr = expr.xreplace({f2: s2})
        exact = expr
        try:
            for f2, s2 in done:
                if f2.free_symbols - {x for _, x in done}:
                    expr = expr.subs(f2, s2)
            if expr != exact:
                back = expr
                for f2, s2 in reversed(done):
                    back = back.xreplace({s2: f2})
                if not self.equal_here(back, original, "fold"):
                    expr = exact
        except Timeout:
            raise
        except Exception:  # noqa: BLE001 - the exact folding stands
            expr = exact
        # leaf symbols of the instance: z[2] -> z[k] when k = 2 here
        renames = {}
        for s in expr.free_symbols:
            m = re.fullmatch(r"(\w+)\[(\d+)\]", s.name)
            if m and int(m.group(2)) in index_names:
                renames[s] = Symbol(f"{m.group(1)}[{index_names[int(m.group(2))]}]", real=True)
        return expr.xreplace(renames) if renames else expr

    def value_text(self, raw: sympy.Expr, near: str) -> str:
        """The value of a raw expression here, in the form closest to ``near``."""
        concrete = self.engine.concrete(raw, self.inst)
        folded = self.fold(concrete, near)
        candidates = [folded]
        for attempt in (sympy.simplify, sympy.factor, lambda e: sympy.cancel(sympy.together(e))):
            try:
                with self.budget.enforce(0.3):
                    candidates.append(attempt(folded))
            except Timeout:
                break
            except Exception:  # noqa: BLE001
                continue
        texts = list(dict.fromkeys(str(c) for c in candidates))
        target = near.replace(" ", "")
        return max(texts, key=lambda t: (difflib.SequenceMatcher(None, t.replace(" ", ""), target).ratio(), -len(t)))

    def fix_ok(self, text: str) -> str | None:
        """A proposed corrected step, kept only if it parses and equals the previous step."""
        try:
            expr = self.ctx.parse(text, 0)
            if self.holds(self.tr.previous, expr, "fix"):
                return text
        except Timeout:
            raise
        except Exception:  # noqa: BLE001 - a fix that does not parse is left out
            return None
        return None


def _index_names(inst: dict, ctx: Any, near: str) -> dict[int, str]:
    """The index each value of the instance stands for (several: the one ``near`` uses first)."""
    by_value: dict[int, list[str]] = {}
    for s, v in sorted(inst.items(), key=lambda kv: kv[0].name):
        if s.name in ctx.index_size:
            by_value.setdefault(int(v), []).append(s.name)

    def first_use(name: str) -> int:
        m = re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", near)
        return m.start() if m else len(near) + 1

    return {v: min(names, key=first_use) for v, names in by_value.items()}


def _definition_order(ctx: Any) -> list[str]:
    """Definitions, each after the ones it refers to."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for ref in sorted(ctx._references(ctx.definitions[name].body)):
            visit(ref)
        order.append(name)

    for name in ctx.definitions:
        visit(name)
    return order


def _negate_text(text: str) -> str:
    t = text.strip()
    if t.startswith("-"):
        return t[1:].strip()
    return "-" + (t if _is_simple(t) else f"({t})")


def _is_simple(text: str) -> bool:
    """No top-level ``+``/``-``: safe to put a sign or a factor in front."""
    return len(split_top(text, "+-")) <= 1 and not text.strip().startswith(("-", "+"))


def _paren(text: str) -> str:
    """``text`` ready to be multiplied: parenthesised when it is a sum or starts with a sign."""
    t = text.strip()
    return t if _is_simple(t) else f"({t})"


def _denominator(text: str) -> str:
    """``text`` ready to divide by: parenthesised unless it is a name, a number, a call or a power."""
    t = text.strip()
    if _is_simple(t) and len(split_top(t, "*")) == 1 and "/" not in _top_level(t):
        return t
    return f"({t})"


def _top_level(text: str) -> str:
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


def _plus(base: str, term: str) -> str:
    term = term.strip()
    if term.startswith("-"):
        return f"{base} - {term[1:].strip()}"
    return f"{base} + {term}"


def _replace_span(text: str, span: tuple[int, int], new: str) -> str:
    a, b = span
    lead = text[a:b][: len(text[a:b]) - len(text[a:b].lstrip())]
    trail = text[a:b][len(text[a:b].rstrip()) :]
    return text[:a] + lead + new + trail + text[b:]


# -- the rules -------------------------------------------------------------------------------


def _sign_error(p: Probe) -> list[Note]:
    prev, cur = p.tr.previous, p.tr.current
    _, cur_text = p.texts()
    if p.holds(-prev, cur, "sign"):
        fix = p.fix_ok(_negate_text(cur_text))
        return [Note("sign-error", "this step is minus the previous one: the sign of the whole step is flipped", fix)]
    cur_terms = p.pieces("current", "+-")
    if len(cur_terms) > 1:
        for term in p.screen(cur_terms, -2):
            if p.holds(prev, cur - 2 * term.expr, "sign-term"):
                flipped = str(-term.expr)
                fix = None
                if term.span is not None:
                    new = _negate_signed(cur_text, term.span)
                    fix = p.fix_ok(new)
                return [Note("sign-error", f"the term {term.text} has the wrong sign: it should be {flipped}", fix)]
    prev_terms = p.pieces("previous", "+-")
    if len(prev_terms) > 1:
        for term in p.screen(prev_terms, 2):
            if p.holds(prev - 2 * term.expr, cur, "sign-prev-term"):
                return [
                    Note(
                        "sign-error",
                        f"the term {term.text} of the previous step has the opposite sign here: keep it as {term.text}",
                    )
                ]
    return []


def _negate_signed(text: str, span: tuple[int, int]) -> str:
    """The step text with the signed term at ``span`` negated."""
    a, b = span
    piece = text[a:b].strip()
    if piece.startswith("-"):
        new = piece[1:].strip() if a == 0 else "+ " + piece[1:].strip()
    elif piece.startswith("+"):
        new = "- " + piece[1:].strip()
    else:
        new = "-" + (piece if _is_simple(piece) else f"({piece})")
    return _replace_span(text, span, new)


def _constant_factor(p: Probe) -> list[Note]:
    ratios = []
    for va, vb, _ in p.fixed({}, "ratio", 4):
        if abs(va) < mpmath.mpf("1e-12"):
            continue
        ratios.append(vb / va)
    if len(ratios) < 2:
        return []
    r0 = ratios[0]
    if any(abs(r - r0) > mpmath.mpf("1e-12") * max(1, abs(r0)) for r in ratios[1:]):
        return []
    c = sympy.nsimplify(sympy.Float(mpmath.nstr(r0, 25), 25), [sympy.pi, sympy.E], tolerance=1e-15)
    if c.is_Float or not c.is_number or c in (0, 1, -1) or sympy.count_ops(c) > 6:
        return []
    if not p.holds(c * p.tr.previous, p.tr.current, "factor"):
        return []
    _, cur_text = p.texts()
    factors = p.pieces("current", "*")
    fix = None
    if len(factors) > 1:
        for i, f in enumerate(factors):
            if f.span is not None and f.expr == c:
                rest = [g for j, g in enumerate(factors) if j != i]
                fix = p.fix_ok(" * ".join(cur_text[g.span[0] : g.span[1]].strip() for g in rest))  # type: ignore[index]
                break
    if c.is_Rational and c.p == 1:
        message = f"this step is {c} times the previous one: a factor {c.q} is missing"
        fix = fix or p.fix_ok(f"{c.q}*{_paren(cur_text)}")
    else:
        message = f"this step is {c} times the previous one: remove the factor {c}"
        fix = fix or p.fix_ok(f"{_paren(cur_text)}/{_denominator(str(c))}")
    return [Note("constant-factor", message, fix)]


def _reciprocal(p: Probe) -> list[Note]:
    if not p.holds(1 / p.tr.previous, p.tr.current, "reciprocal"):
        return []
    _, cur_text = p.texts()
    fix = f"1/{_denominator(cur_text)}"
    return [Note("reciprocal", f"this step is 1 over the previous one: it should be {fix}", p.fix_ok(fix))]


def _dropped_term(p: Probe) -> list[Note]:
    prev_text, cur_text = p.texts()
    terms = p.pieces("previous", "+-")
    if len(terms) > 1:
        for term in p.screen(terms, 1):
            if p.holds(p.tr.previous - term.expr, p.tr.current, "dropped"):
                return [_dropped_note(p, term.text, cur_text)]
        return []
    # one term as written: try the terms of its expansion here
    expanded = sympy.Add.make_args(p.a)
    if not 1 < len(expanded) <= MAX_PIECES:
        return []
    for term in expanded:
        if p.equal_here(p.a - term, p.b, "dropped-expanded"):
            return [_dropped_note(p, str(p.fold(term)), cur_text)]
    return []


def _dropped_note(p: Probe, term: str, cur_text: str) -> Note:
    return Note(
        "dropped-term",
        f"the term {term} of the previous step was dropped: add it back",
        p.fix_ok(_plus(cur_text.strip(), term)),
    )


def _extra_term(p: Probe) -> list[Note]:
    _, cur_text = p.texts()
    terms = p.pieces("current", "+-")
    if len(terms) < 2:
        return []
    candidates = p.screen(terms, -1)
    for i, term in enumerate(terms):
        if term not in candidates:
            continue
        if p.holds(p.tr.previous, p.tr.current - term.expr, "extra"):
            fix = None
            if term.span is not None:
                rest = "".join(cur_text[t.span[0] : t.span[1]] for j, t in enumerate(terms) if j != i)  # type: ignore[index]
                fix = p.fix_ok(tidy_term(rest))
            return [Note("extra-term", f"the term {term.text} does not come from the previous step: remove it", fix)]
    return []


def _groupings(n: int, m: int) -> Iterator[list[tuple[int, int]]]:
    """Ways to cut n consecutive pieces into m non-empty groups, as (start, end) ranges."""
    for count, cuts in enumerate(itertools.combinations(range(1, n), m - 1)):
        if count >= MAX_GROUPINGS:
            return
        bounds = (0,) + cuts + (n,)
        yield [(bounds[i], bounds[i + 1]) for i in range(m)]


def _group(pieces: list[Piece], start: int, end: int, text: str) -> Piece:
    part = pieces[start:end]
    if len(part) == 1:
        return part[0]
    expr = sympy.Mul(*[q.expr for q in part])
    if all(q.span is not None for q in part):
        span = (part[0].span[0], part[-1].span[1])  # type: ignore[index]
        return Piece(text[span[0] : span[1]].strip(), expr, span)
    return Piece(str(expr), expr, None)


def _wrong_factor(p: Probe) -> list[Note]:
    prev_text, cur_text = p.texts()
    pf, cf = p.pieces("previous", "*"), p.pieces("current", "*")
    if len(pf) < 2 or len(cf) < 2 or len(pf) > MAX_PIECES or len(cf) > MAX_PIECES:
        return []
    cache: dict[tuple[sympy.Expr, sympy.Expr], bool | None] = {}

    def same(x: Piece, y: Piece) -> bool | None:
        key = (x.expr, y.expr)
        if key not in cache:
            v = p.engine.compare(x.expr, y.expr, p.conditions, label=p.label("factor"), prove=False, budget=p.budget)
            cache[key] = (v.points > 0) if v.status == TESTED else (False if v.status == INVALID else None)
        return cache[key]

    if len(cf) >= len(pf):
        pairs_list = (
            [(pf[i], _group(cf, a, b, cur_text)) for i, (a, b) in enumerate(g)] for g in _groupings(len(cf), len(pf))
        )
    else:
        pairs_list = (
            [(_group(pf, a, b, prev_text), cf[i]) for i, (a, b) in enumerate(g)] for g in _groupings(len(pf), len(cf))
        )
    for pairs in pairs_list:
        wrong = []
        for x, y in pairs:
            ok = same(x, y)
            if ok is None:
                wrong = [None, None]
                break
            if not ok:
                wrong.append((x, y))
                if len(wrong) > 1:
                    break
        if len(wrong) != 1 or wrong[0] is None:
            continue
        x, y = wrong[0]
        value = p.value_text(x.expr, y.text)
        fix = None
        if y.span is not None:
            fix = p.fix_ok(_replace_span(cur_text, y.span, _paren(value)))
        return [Note("wrong-factor", f"the factor {x.text} should be {value}, not {y.text}", fix)]
    return []


def _case_only(p: Probe) -> list[Note]:
    indices = sorted((s for s in p.inst if s.name in p.ctx.index_size), key=lambda s: s.name)
    for i, j in itertools.combinations(indices, 2):
        if p.ctx.index_size[i.name] != p.ctx.index_size[j.name]:
            continue
        for op, other in (("==", "!="), ("!=", "==")):
            text = f"{i.name} {op} {j.name}"
            from .model import Text

            cond = p.ctx.condition(Text(text, 0))
            if p.holds(p.tr.previous, p.tr.current, "case", [cond]):
                shown = "=" if op == "==" else "!="
                return [
                    Note(
                        "case-only",
                        f"holds only when {i.name} {shown} {j.name}: add `given: {text}` to this step "
                        f"and work out the case {i.name} {other} {j.name} on its own",
                        text,
                    )
                ]
    return []


def _special_case(p: Probe) -> list[Note]:
    leaves = sorted(p.a.free_symbols | p.b.free_symbols, key=lambda s: s.name)
    finite = [s for s in leaves if p.ctx.domain_of(s).is_finite]
    others = [s for s in leaves if not p.ctx.domain_of(s).is_finite]
    notes: list[Note] = []
    for s in finite + others:
        dom = p.ctx.domain_of(s)
        if dom.is_finite:
            candidates = list(dom.values)
            if len(candidates) < 2:
                continue
        else:
            candidates = [sympy.Integer(v) for v in (0, 1, -1) if dom.contains(sympy.Integer(v))]
        holding = []
        for v in candidates:
            eq = p.equal_fixed({s: v}, "special")
            if eq is None:
                holding = []
                break
            if eq:
                holding.append(v)
                if len(holding) > 1:
                    break
        if len(holding) != 1:
            continue
        v = holding[0]
        if all(abs(va) <= SCREEN_TOL for va, _, _ in p.fixed({s: v}, "special-zero")):
            continue  # both steps are simply zero there: says nothing about the mistake
        name = str(p.fold(s))
        cause = _special_cause(p, s, v, name)
        if not dom.is_finite and (not cause or p.found):
            # 0, 1 or -1 often make a wrong step true by accident: only a named cause
            # counts, and only when no exact rule has explained the step already
            continue
        head = f"holds only when {name} = {v}" if dom.is_finite else f"holds when {name} = {v} but not in general"
        notes.append(Note("special-case", head + cause))
        if len(notes) >= 2:
            break
    return notes


def _special_cause(p: Probe, s: Symbol, v: sympy.Expr, name: str) -> str:
    """Why a step holds at one value only, when the difference of the steps tells.

    The difference d = previous - this step, as a function of ``s`` with the other
    leaves held at sampled values: d(s) = c*(s - 1) means one term lacks the factor
    ``s``; d(s) = c*s means a term in ``s`` is missing or extra.  A heuristic for
    the wording only: the diagnosis itself was decided by :meth:`Probe.equal_fixed`.
    """
    if v not in (0, 1):
        return ""
    base = [sympy.Integer(x) for x in ((0, 2, 3) if v == 1 else (1, 2, 3))]
    # the same draws for every value of s: the points differ only in s
    rows = [p.fixed({s: x}, "cause", 8, keep_undefined=True) for x in base]
    triples = [
        (r0[0] - r0[1], r2[0] - r2[1], r3[0] - r3[1])
        for r0, r2, r3 in zip(*rows)
        if None not in (r0[0], r0[1], r2[0], r2[1], r3[0], r3[1])
    ]
    if len(triples) < 3:
        return ""
    for d0, d2, d3 in triples:
        if abs(d0) <= SCREEN_TOL:
            return ""
        if v == 1:  # d(2) = -d(0), d(3) = -2 d(0)
            ok = close(d2, -d0, 1e-15) and close(d3, -2 * d0, 1e-15)
        else:  # d(2) = 2 d(1), d(3) = 3 d(1)
            ok = close(d2, 2 * d0, 1e-15) and close(d3, 3 * d0, 1e-15)
        if not ok:
            return ""
    if v == 1:
        return f" — a factor {name} is likely missing"
    return f" — a term with the factor {name} is likely missing (or added)"


def _slip(p: Probe, chain: ChainResult) -> list[Note]:
    nxt = p.checker.transitions.get((p.ci, p.index + 1))
    if nxt is None or nxt.verdict.status != INVALID or nxt.previous is not p.tr.current:
        return []
    before = _previous_index(chain, p.index)
    v = p.engine.compare(
        p.tr.previous, nxt.current, list(nxt.conditions), label=p.label("slip"), prove=False, budget=p.budget
    )
    if v.status in (TESTED, PROVED) and v.points > 0:
        return [
            Note(
                "slip",
                f"step {p.index + 1} follows from step {before}: this step is a slip in writing it down, "
                "not a wrong idea; correct this step and the rest stands",
            )
        ]
    return []


#: The rules in the order they run (rules.RULES documents the same order).
RULE_FUNCTIONS: tuple[Callable[[Probe], list[Note]], ...] = (
    _sign_error,
    _constant_factor,
    _reciprocal,
    _dropped_term,
    _extra_term,
    _wrong_factor,
    _case_only,
    _special_case,
)
