"""What the rules of one invalid transition share: its budget, its instances, its comparisons.

A :class:`Probe` answers the questions every rule asks: does a candidate equal
the step at every checked instance (:meth:`Probe.holds`), what are the terms and
factors of a step as written (:meth:`Probe.pieces`), how to print a concrete
expression in the file's notation (:meth:`Probe.fold`), and whether the step
holds once some leaves take set values, at one instance (:meth:`Probe.trial`).
"""

from __future__ import annotations

import difflib
import functools
import itertools
import operator
import random
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sympy
from sympy import Symbol

from .. import limits
from ..budget import Budget, Timeout
from ..context import Condition, ContextError, substitutions
from ..results import TESTED, Note
from . import pointwise
from .text import split_latex_product, split_top, strip_parens, tidy_term

#: Share of the transition's time budget one rule may use.
RULE_SHARE = 0.5
#: Most terms or factors a rule looks at, and most groupings of factors.
MAX_PIECES = 12
MAX_GROUPINGS = 40
#: Most index combinations a rule checks its hypothesis at, one by one.
MAX_RULE_INSTANCES = 64


class Piece:
    """A term or factor of a step: its text as written (when known), its expression, its span."""

    def __init__(self, text: str, expr: sympy.Expr, span: tuple[int, int] | None) -> None:
        self.text = text
        self.expr = expr
        self.span = span


class Sides:
    """Both steps concrete at one instance, compiled over their leaves, with the filters."""

    def __init__(self, probe: Probe, inst: dict) -> None:
        engine = probe.engine
        self.inst = inst
        self.a, self.b, self.filters = engine.sides(probe.tr.previous, probe.tr.current, probe.conditions, inst)
        leaves_set = set(self.a.free_symbols) | set(self.b.free_symbols)
        for _, fl, fr in self.filters:
            leaves_set |= fl.free_symbols | fr.free_symbols
        self.leaves: tuple[Symbol, ...] = tuple(sorted(leaves_set, key=lambda s: s.name))
        self.fa = engine.compiled(self.a, self.leaves)
        self.fb = engine.compiled(self.b, self.leaves)
        self.cfilters = [
            (op, engine.compiled(fl, self.leaves), engine.compiled(fr, self.leaves)) for op, fl, fr in self.filters
        ]
        self.by_name = {s.name: s for s in self.leaves}

    def draws(self, ctx: Any, engine: Any, fixed: dict) -> list[Callable[[random.Random], Any]]:
        """One draw per leaf: ``fixed`` values, else the engine's sampler of the leaf's domain."""
        sampler = getattr(engine, "_sampler", None)
        return [
            (lambda rng, v=fixed[s]: v) if s in fixed else (sampler(ctx.domain_of(s)) if sampler else ctx.domain_of(s).sample)
            for s in self.leaves
        ]


class Probe:
    """What the rules of one invalid transition share: budget, instances, comparisons."""

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
        self._sides: dict[frozenset, Sides] = {}
        self._instances: list[dict] | None = None
        self._count = 0
        #: diagnoses the rules before the running one gave
        self.found: list[Note] = []

    # running rules
    def run(self, rule: Callable[[Probe], list[Note]]) -> list[Note]:
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

    # instances
    def instances(self) -> list[dict]:
        """Every index combination the transition was checked at, the failing one first.

        A diagnosis must be true of the step at each of them, not only where the
        counterexample was found.  More than :data:`MAX_RULE_INSTANCES`: the rules
        that check one instance at a time say nothing (``ContextError``).
        """
        if self._instances is None:
            found = self.ctx.instances([self.tr.previous, self.tr.current], self.conditions) or [self.inst]
            if len(found) > MAX_RULE_INSTANCES:
                raise ContextError("too many index combinations for a diagnosis", None)
            failing = frozenset(self.inst.items())
            self._instances = sorted(found, key=lambda inst: frozenset(inst.items()) != failing)
        return self._instances

    def general_name(self, leaf: Symbol, inst: dict) -> str | None:
        """See :func:`general_name`."""
        return general_name(self, leaf, inst)

    def sides_at(self, inst: dict) -> Sides:
        key = frozenset(inst.items())
        if key not in self._sides:
            self._sides[key] = Sides(self, inst)
        return self._sides[key]

    # comparisons
    def holds(self, left: sympy.Expr, right: sympy.Expr, tag: str, extra: Sequence[Condition] = ()) -> bool:
        """``left`` equals ``right`` at every sampled point of every instance (raw expressions)."""
        v = self.engine.compare(
            left, right, self.conditions + list(extra), label=self.label(tag), prove=False, budget=self.budget
        )
        return v.status == TESTED and v.points > 0

    def holds_raw(self, left: sympy.Expr, right: sympy.Expr, tag: str) -> bool:
        """:meth:`holds`, where a candidate that cannot be expanded (an ambiguous derivative) is no."""
        try:
            return self.holds(left, right, tag)
        except ContextError:
            return False
        except Exception as err:
            if type(err).__name__ == "SideError":
                return False
            raise

    def equal_here(self, x: sympy.Expr, y: sympy.Expr, tag: str, subst: dict | None = None) -> bool | None:
        """Concrete expressions equal at sampled points of the failing instance (None: undefined)."""
        return self.equal_at(self.inst, self.filters, x, y, tag, subst)

    def equal_at(
        self, inst: dict, filters: list, x: sympy.Expr, y: sympy.Expr, tag: str, subst: dict | None = None
    ) -> bool | None:
        """Concrete expressions of one instance equal at the engine's sampled points (None: undefined)."""
        if subst:
            filters = [(op, fl.xreplace(subst), fr.xreplace(subst)) for op, fl, fr in filters]
        rng = random.Random(f"{self.engine.seed}|{self.label(tag)}")
        return pointwise.sample_agrees(self.engine, x, y, filters, rng, inst)

    def each_instance(self, build: Callable[[Sides], tuple[sympy.Expr, sympy.Expr]], tag: str) -> bool:
        """``build(sides)`` gives two concrete expressions equal at every instance (some point defined)."""
        seen = False
        for inst in self.instances():
            s = self.sides_at(inst)
            x, y = build(s)
            ok = self.equal_at(inst, s.filters, x, y, tag)
            if ok is False:
                return False
            seen = seen or ok is True
        return seen

    def trial(self, inst: dict, fixed: dict, tag: str, count: int = 8) -> str:
        """At one instance, with ``fixed`` leaves at set values: ``differs`` (certified), ``agrees`` or ``undefined``.

        ``agrees`` is only a screen (no point could be certified as different).
        """
        s = self.sides_at(inst)
        rng = random.Random(f"{self.engine.seed}|diagnose:{self.ci}:{self.index}:{tag}")
        draws = s.draws(self.ctx, self.engine, fixed)
        # every combination of the other finite-set symbols, as the engine's sampler does
        finite = [i for i, leaf in enumerate(s.leaves) if leaf not in fixed and self.ctx.domain_of(leaf).is_finite]
        combos = list(itertools.islice(itertools.product(*(self.ctx.domain_of(s.leaves[i]).values for i in finite)), 65))
        if len(combos) > 64:
            combos = [()]
        count = max(count, len(combos))

        def points() -> Iterator[list]:
            for n in range(count * 6):
                point = [draw(rng) for draw in draws]
                for i, v in zip(finite, combos[n % len(combos)]):
                    point[i] = v
                yield point

        return pointwise.trial(self.engine, s.fa, s.fb, s.leaves, points(), s.cfilters, inst, count)

    def fixed(self, fixed: dict, tag: str, count: int = limits.SAMPLE_POINTS) -> list[tuple[Any, Any, list]]:
        """Both sides of the failing instance at sampled points where ``fixed`` leaves take set values.

        Uses the sides as compiled for the verdict; points where a side or a filter
        is undefined are skipped.  Values at ``pointwise.SCREEN_DPS`` digits: for
        estimating (a ratio), never as evidence.
        """
        s = self.sides_at(self.inst)
        draws = s.draws(self.ctx, self.engine, fixed)
        rng = random.Random(f"{self.engine.seed}|{self.label(tag)}")
        out: list[tuple[Any, Any, list]] = []
        for _ in range(count * 6):
            point = [draw(rng) for draw in draws]
            if s.cfilters and not self.engine.filters_hold(s.cfilters, point):
                continue
            va, vb = s.fa(point, pointwise.SCREEN_DPS), s.fb(point, pointwise.SCREEN_DPS)
            if va is None or vb is None:
                continue
            out.append((va, vb, point))
            if len(out) >= count:
                break
        return out

    def screen(self, pieces: list[Piece], factor: int) -> list[Piece]:
        """The pieces whose value times ``factor`` may be previous - this step, at the failing instance.

        Only a screen: a piece that passes is then tested with :meth:`holds`; a
        piece is dropped only when a point is certified against it.  It saves
        compiling one large expression per term for every instance.
        """
        s = self.sides_at(self.inst)
        rows = self.fixed({}, "screen", 3)
        if not rows:
            return pieces[:MAX_PIECES]
        resolver = self.engine.resolver(self.inst)
        subst = substitutions(self.conditions, resolver)
        out = []
        for piece in pieces:
            keep = True
            try:
                value = self.engine.concrete(piece.expr, self.inst)
                value = value.xreplace(subst) if subst else value
                if value.free_symbols <= set(s.leaves):
                    lhs = self.engine.compiled(factor * value, s.leaves)
                    rhs = self.engine.compiled(s.a - s.b, s.leaves)
                    for va, vb, point in rows:
                        v = lhs(point, pointwise.SCREEN_DPS)
                        if v is None or pointwise.near(v, va - vb, 1e-12):
                            continue
                        if pointwise.differs_at(self.engine, lhs, rhs, s.leaves, point, self.inst):
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
            if expr == self.tr.previous or self.holds(self.tr.previous, expr, "fix"):
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




_INDEXED_LEAF = re.compile(r"(\w+)\[([^\]]+)\]")


def general_name(probe: Any, leaf: Symbol, inst: dict) -> str | None:
    """The name of a concrete leaf in the file's general notation, or ``None``.

    ``x_j`` stays ``x_j``; ``t[2]`` is ``t[k]`` when the free index k is 2 at
    ``inst``.  An element picked by a summation index (``z[2]`` of a sum over m)
    has no general name: a diagnosis must not name it.
    """
    m = _INDEXED_LEAF.fullmatch(leaf.name)
    if m is None:
        return None if "[" in leaf.name else leaf.name
    names = _index_names(inst, probe.ctx, probe.texts()[1] + " " + probe.texts()[0])
    parts = []
    for arg in m.group(2).split(","):
        arg = arg.strip()
        if not arg.lstrip("-").isdigit() or int(arg) not in names:
            return None
        parts.append(names[int(arg)])
    return f"{m.group(1)}[{', '.join(parts)}]"


def concrete_name(general: str, inst: dict) -> str:
    """The leaf a general name stands for at one instance: ``t[k]`` -> ``t[3]`` when k = 3."""
    m = _INDEXED_LEAF.fullmatch(general)
    if m is None:
        return general
    values = {s.name: int(v) for s, v in inst.items()}
    parts = [str(values.get(a.strip(), a.strip())) for a in m.group(2).split(",")]
    return f"{m.group(1)}[{', '.join(parts)}]"
