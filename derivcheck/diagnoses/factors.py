"""Factor rules: ``constant-factor``, ``missing-factor``, ``reciprocal``, ``wrong-factor``.

Each candidate factor is found at the failing instance (a ratio, a split of the
product as written) and then tested at every instance with :meth:`Probe.holds`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import mpmath
import sympy
from sympy import Symbol

from ..budget import Timeout
from ..certify import Uncertain, Undefined, disjoint, point_interval, quotient
from ..results import INVALID, TESTED, Note
from .probe import MAX_GROUPINGS, MAX_PIECES, Piece, Probe, Sides
from .text import denominator, is_simple, paren, replace_span, split_top

#: A missing factor is simple: at most this many symbols, each to a power at most this.
MAX_FACTOR_SYMBOLS = 3
MAX_FACTOR_POWER = 4
#: ... with a rational coefficient whose numerator and denominator are at most this.
MAX_FACTOR_COEFFICIENT = 1000


def constant_factor(p: Probe) -> list[Note]:
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
        fix = fix or p.fix_ok(f"{c.q}*{paren(cur_text)}")
    else:
        message = f"this step is {c} times the previous one: remove the factor {c}"
        fix = fix or p.fix_ok(f"{paren(cur_text)}/{denominator(str(c))}")
    return [Note("constant-factor", message, fix)]


#: Exact rules after which a missing factor would only restate the diagnosis.
_EXPLAINED = ("sign-error", "constant-factor", "reciprocal", "extra-derivative")


def missing_factor(p: Probe) -> list[Note]:
    """The step is the previous one without a simple factor of the symbols in play.

    The candidate is previous/this step at the failing instance, simplified; it is
    kept only when it is a monomial or the reciprocal of one (a rational
    coefficient times powers of symbols, all positive or all negative: ``tau``,
    ``1/tau``, ``2*x``, ``beta**2``; not ``x/w``, a factor replaced), written
    with the file's general names (``x[k]``, never ``x[2]``), and then tested:
    previous == factor * this step, at every instance.
    """
    if p.a.is_zero or p.b.is_zero or any(n.kind in _EXPLAINED for n in p.found):
        return []
    if _not_monomial(p):
        return []  # what the search below would conclude, without its simplification
    try:
        with p.budget.enforce(0.5):
            ratio = sympy.cancel(sympy.together(p.a / p.b))
            if not _monomial(ratio):
                ratio = sympy.factor(sympy.simplify(ratio))
    except Timeout:
        return []
    parts = _monomial(ratio)
    if not parts:
        return []
    coeff, powers = parts
    general: dict[Symbol, Symbol] = {}
    for s in powers:
        name = p.general_name(s, p.inst)
        if name is None:
            return []
        general[s] = Symbol(name)
    factor = coeff * sympy.Mul(*[general[s] ** e for s, e in powers.items()])
    text = _factor_text(factor)
    try:
        raw = p.ctx.parse(text, 0)
    except Exception:  # noqa: BLE001 - a name the reader does not take back: say nothing
        return []
    if not p.holds_raw(p.tr.previous, raw * p.tr.current, "missing-factor"):
        return []
    _, cur_text = p.texts()
    extra = _written_factor(p, cur_text, 1 / raw)
    if extra is not None:
        # the reciprocal is a factor of this step as written: it is an extra factor
        shown, fix = extra
        return [
            Note(
                "missing-factor",
                f"the factor {shown} does not come from the previous step (a factor {text} is missing): remove it",
                fix,
            )
        ]
    fix = p.fix_ok(_times(cur_text, factor))
    return [
        Note(
            "missing-factor",
            f"a factor {text} is missing: the previous step is {text} times this one",
            fix,
        )
    ]


#: The monomial screen scales one symbol at a time by this.
_SCALE = 3
#: Points the screen tries, and the digits of its interval arithmetic.
_SCREEN_POINTS = 4
_SCREEN_DPS = 30


def _not_monomial(p: Probe) -> bool:
    """Certified: previous/this step at the failing instance is no monomial the rule could name.

    The rule names c*x**e*... with integer powers |e| <= MAX_FACTOR_POWER of the
    symbols in play, found by simplifying the ratio r of the two steps (costly:
    seconds on a tanh of a sum).  Such a monomial, times 3 in one symbol, is
    multiplied by 3**e.  So where r is certified nonzero at an exact point with
    every symbol nonzero, and r at the point with one symbol tripled, divided by r,
    lies certainly outside {3**e}, r is no such monomial: the search would find
    none, and says nothing.  The points need not lie in the declared domains: the
    search's simplification knows only that the symbols are real, and is equal to
    r wherever both are defined, at any real point.  Interval arithmetic only;
    anything undecided leaves the search to run as before.
    """
    if not (p.a.free_symbols | p.b.free_symbols):
        return True  # a number: a monomial needs a symbol (what simplifying the number would also show)
    try:
        s = p.sides_at(p.inst)
        symbols = sorted(s.a.free_symbols | s.b.free_symbols, key=lambda x: x.name)
        if any(x.is_real is not True or x.is_integer or x.is_nonnegative or x.is_nonpositive for x in s.leaves):
            return False  # the argument below is for symbols known to be real only
        where = [s.leaves.index(x) for x in symbols]
        rng = random.Random(f"{p.engine.seed}|diagnose:{p.ci}:{p.index}:monomial")
        powers = [point_interval(sympy.Integer(_SCALE) ** e, _SCREEN_DPS) for e in range(-MAX_FACTOR_POWER, MAX_FACTOR_POWER + 1)]
        for n in range(_SCREEN_POINTS):
            # small values, away from 0: exp and tanh of sums do not saturate there; positive
            # first (where log and sqrt are defined), then of either sign
            point = [sympy.Rational((1 if n < 2 else rng.choice((-1, 1))) * rng.randint(16, 64), 64) for _ in s.leaves]
            base = _ratio(s, point)
            if base is None:
                continue
            for i in where:
                scaled = list(point)
                scaled[i] = point[i] * _SCALE
                value = _ratio(s, scaled)
                if value is not None and all(disjoint(quotient(value, base, _SCREEN_DPS), c) for c in powers):
                    return True
    except Timeout:
        raise
    except Exception:  # noqa: BLE001 - an undecided screen leaves the search to run
        return False
    return False


def _ratio(s: Sides, point: list) -> Any:
    """previous/this step at ``point`` as an interval, when both are certified defined and nonzero."""
    try:
        a = s.fa.interval.evaluate(point, _SCREEN_DPS)
        b = s.fb.interval.evaluate(point, _SCREEN_DPS)
        zero = point_interval(sympy.Integer(0), _SCREEN_DPS)
        if not (disjoint(a, zero) and disjoint(b, zero)):
            return None
        return quotient(a, b, _SCREEN_DPS)
    except (Undefined, Uncertain):
        return None


def _written_factor(p: Probe, cur_text: str, value: sympy.Expr) -> tuple[str, str | None] | None:
    """A top-level factor of this step as written that is ``value``, and the step without it."""
    factors = p.pieces("current", "*")
    if len(factors) < 2:
        return None
    for i, f in enumerate(factors):
        if f.span is not None and (f.expr == value or sympy.cancel(f.expr - value) == 0):
            rest = [g for j, g in enumerate(factors) if j != i]
            if any(g.span is None for g in rest):
                return f.text, None
            return f.text, p.fix_ok(" * ".join(cur_text[g.span[0] : g.span[1]].strip() for g in rest))  # type: ignore[index]
    return None


def _times(text: str, factor: sympy.Expr) -> str:
    """``text`` times a monomial, written after it: ``(y - t)*x/beta``, ``beta*x**2*beta**2``."""
    num, den = sympy.fraction(factor)
    sign = ""
    if num.could_extract_minus_sign():
        sign, num = "-", -num
    # one signed term (``-(x - mu)``) takes a factor without brackets: -a*f == -(a*f)
    base = text.strip() if len(split_top(text, "+-")) == 1 else f"({text.strip()})"
    out = base if num == 1 else f"{base}*{paren(_factor_text(num))}"
    if den != 1:
        out = f"{out}/{denominator(_factor_text(den))}"
    return sign + (out if not sign or is_simple(out) else f"({out})")


def _monomial(expr: sympy.Expr) -> tuple[sympy.Rational, dict[Symbol, int]] | None:
    """``expr`` as (coefficient, {symbol: power}) when it is a simple monomial, or the reciprocal of one."""
    coeff, rest = expr.as_coeff_Mul()
    if not coeff.is_Rational or coeff == 0 or rest == 1:
        return None
    if abs(coeff.p) > MAX_FACTOR_COEFFICIENT or coeff.q > MAX_FACTOR_COEFFICIENT:
        return None
    powers: dict[Symbol, int] = {}
    for base, e in rest.as_powers_dict().items():
        if not isinstance(base, Symbol) or not e.is_Integer or not 0 < abs(int(e)) <= MAX_FACTOR_POWER:
            return None
        powers[base] = int(e)
    if not 0 < len(powers) <= MAX_FACTOR_SYMBOLS:
        return None
    if len({e > 0 for e in powers.values()}) > 1:
        return None  # x/w is a factor replaced (wrong-factor), not one left out
    return coeff, powers


def _factor_text(expr: sympy.Expr) -> str:
    """``1/beta``, ``x_j``, ``2*x``, ``beta**2``, ``x/(2*beta)``: a monomial as a person writes it."""
    num, den = sympy.fraction(expr)
    top = sympy.sstr(num)
    if den == 1:
        return top
    bottom = sympy.sstr(den)
    if isinstance(den, (Symbol, sympy.Pow, sympy.Integer)):
        return f"{top}/{bottom}"
    return f"{top}/({bottom})"


def reciprocal(p: Probe) -> list[Note]:
    if not p.holds(1 / p.tr.previous, p.tr.current, "reciprocal"):
        return []
    _, cur_text = p.texts()
    fix = f"1/{denominator(cur_text)}"
    return [Note("reciprocal", f"this step is 1 over the previous one: it should be {fix}", p.fix_ok(fix))]


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


def wrong_factor(p: Probe) -> list[Note]:
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
        if "Derivative(" not in x.text and "diff(" not in x.text and x.span is not None:
            # the previous step's factor as written is its value: the factor was changed
            fix = p.fix_ok(replace_span(cur_text, y.span, paren(x.text))) if y.span is not None else None
            return [Note("wrong-factor", f"the factor {x.text} became {y.text}: keep it as {x.text}", fix)]
        value = _general_value(p, x, y)
        if value is None:
            # the value found at the failing instance is not the factor's value at every
            # instance: name the factor, not a value that is false elsewhere
            return [
                Note(
                    "wrong-factor",
                    f"the factor {y.text} is wrong: it is not {x.text} at every size and index value",
                )
            ]
        fix = None
        if y.span is not None:
            fix = p.fix_ok(replace_span(cur_text, y.span, paren(value)))
        if value.replace(" ", "") == x.text.replace(" ", ""):
            return [Note("wrong-factor", f"the factor {x.text} became {y.text}: keep it as {x.text}", fix)]
        return [Note("wrong-factor", f"the factor {x.text} should be {value}, not {y.text}", fix)]
    return []


def _general_value(p: Probe, x: Piece, y: Piece) -> str | None:
    """The value of factor ``x`` as text, kept only when it equals ``x`` at every instance."""
    value = p.value_text(x.expr, y.text)
    try:
        raw = p.ctx.parse(value, 0)
    except Exception:  # noqa: BLE001 - a value the reader does not take back is not shown
        return None
    v = p.engine.compare(x.expr, raw, p.conditions, label=p.label("factor-value"), prove=False, budget=p.budget)
    return value if v.status == TESTED and v.points > 0 else None
