"""Case rules: ``case-only`` (an index relation) and ``special-case`` (a value of a symbol).

"Holds only when t = 1" is a claim about the whole step: it is made only when,
at every index combination that was checked, t = 1 makes the steps equal and
no other value tried for any symbol in play does (values that merely make both
steps 0 are named as such).  When several values make the step hold, the
message lists them ("holds when t = 1 or u = 1"), and says nothing of "only".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import sympy
from sympy import Symbol

from ..model import Text
from ..results import Note
from . import pointwise
from .probe import Probe, Sides, concrete_name

#: Most values a special-case message lists.
MAX_SPECIAL = 3


def case_only(p: Probe) -> list[Note]:
    indices = sorted((s for s in p.inst if s.name in p.ctx.index_size), key=lambda s: s.name)
    for i, j in itertools.combinations(indices, 2):
        if p.ctx.index_size[i.name] != p.ctx.index_size[j.name]:
            continue
        for op, other in (("==", "!="), ("!=", "==")):
            text = f"{i.name} {op} {j.name}"
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


def _values(p: Probe, leaf: Symbol) -> list[sympy.Expr]:
    dom = p.ctx.domain_of(leaf)
    if dom.is_finite:
        return list(dom.values) if len(dom.values) >= 2 else []
    return [sympy.Integer(v) for v in (0, 1, -1) if dom.contains(sympy.Integer(v))]


def _leaf(s: Sides, name: str) -> Symbol | None:
    return s.by_name.get(name)


def _substituted(name: str, value: sympy.Expr) -> Callable[[Sides], tuple[sympy.Expr, sympy.Expr]]:
    def build(s: Sides) -> tuple[sympy.Expr, sympy.Expr]:
        leaf = _leaf(s, concrete_name(name, s.inst))
        if leaf is None:
            return s.a, s.b
        return s.a.xreplace({leaf: value}), s.b.xreplace({leaf: value})

    return build


def special_case(p: Probe) -> list[Note]:
    if p.found and not any(_finite_leaves(p, inst) for inst in p.instances()):
        # after another rule's diagnosis only a symbol with a finite set of values
        # is named (the end of this rule): with none in play there is nothing to try
        return []
    agrees: set[tuple[str, sympy.Expr]] = set()
    differs: set[tuple[str, sympy.Expr]] = set()
    finite: dict[str, bool] = {}
    for n, inst in enumerate(p.instances()):
        s = p.sides_at(inst)
        leaves = sorted(s.a.free_symbols | s.b.free_symbols, key=lambda x: (not p.ctx.domain_of(x).is_finite, x.name))
        for leaf in leaves:
            name = p.general_name(leaf, inst)
            for v in _values(p, leaf):
                r = p.trial(inst, {leaf: v}, f"special:{n}:{leaf.name}:{v}")
                if r == pointwise.UNDEFINED:
                    continue
                if name is None:
                    if r == pointwise.AGREES:
                        return []  # holds when a summed-over element takes a value: no general statement
                    continue
                finite[name] = p.ctx.domain_of(leaf).is_finite
                (agrees if r == pointwise.AGREES else differs).add((name, v))
    if agrees & differs:
        return []  # holds for a value at some index combinations only
    holding = sorted(agrees, key=lambda kv: (not finite[kv[0]], kv[0], str(kv[1])))
    substantive, trivial = [], []
    for name, v in holding:
        build = _substituted(name, v)
        if not p.each_instance(build, "special-confirm"):
            return []  # the screen's agreement is not confirmed: say nothing
        zero_a = p.each_instance(lambda s, f=build: (f(s)[0], sympy.Integer(0)), "special-zero")
        zero_b = zero_a and p.each_instance(lambda s, f=build: (f(s)[1], sympy.Integer(0)), "special-zero")
        (trivial if zero_b else substantive).append((name, v))
    if not substantive or len(substantive) > MAX_SPECIAL:
        return []
    apart = ""
    if trivial:
        where = " or ".join(f"{name} = {v}" for name, v in trivial)
        apart = f" (apart from {where}, where both steps are 0)"
    if len(substantive) > 1:
        if not any(finite[name] for name, _ in substantive):
            return []  # only 0, 1 or -1 of unbounded symbols: too often an accident
        values = " or ".join(f"{name} = {v}" for name, v in substantive)
        return [Note("special-case", f"holds when {values}{apart}, and not in general")]
    name, v = substantive[0]
    cause = _special_cause(p, name, v)
    if not finite[name] and (not cause or p.found):
        # 0, 1 or -1 often make a wrong step true by accident: only a named cause
        # counts, and only when no exact rule has explained the step already
        return []
    head = f"holds only when {name} = {v}" if finite[name] else f"holds when {name} = {v} but not in general"
    return [Note("special-case", head + apart + cause)]


def _finite_leaves(p: Probe, inst: dict) -> list[Symbol]:
    s = p.sides_at(inst)
    return [x for x in s.a.free_symbols | s.b.free_symbols if p.ctx.domain_of(x).is_finite]


def _special_cause(p: Probe, name: str, v: sympy.Expr) -> str:
    """Why a step holds at one value only, when the difference of the steps tells.

    With d(s) = previous - this step as a function of the symbol: d(s) = c*(s - 1)
    means one term lacks the factor s (then d(2) = -d(0) and d(3) = -2*d(0));
    d(s) = c*s means a term in s is missing or extra (d(2) = 2*d(1), d(3) = 3*d(1)).
    Both identities are tested at every instance, with the symbol taken outside
    its domain where needed: they describe the algebra of the step.
    """
    if v not in (0, 1):
        return ""
    base, pairs = (0, ((2, -1), (3, -2))) if v == 1 else (1, ((2, 2), (3, 3)))

    def diff_at(s: Sides, x: int) -> sympy.Expr | None:
        leaf = _leaf(s, concrete_name(name, s.inst))
        if leaf is None:
            return None
        return s.a.xreplace({leaf: x}) - s.b.xreplace({leaf: x})

    for x, c in pairs:

        def build(s: Sides, x: int = x, c: int = c) -> tuple[sympy.Expr, sympy.Expr]:
            dx, d0 = diff_at(s, x), diff_at(s, base)
            if dx is None or d0 is None:
                return sympy.Integer(0), sympy.Integer(1)  # the symbol is absent: no cause
            return dx, c * d0

        if not p.each_instance(build, "cause"):
            return ""
    if v == 1:
        return f" — a factor {name} is likely missing"
    return f" — a term with the factor {name} is likely missing (or added)"
