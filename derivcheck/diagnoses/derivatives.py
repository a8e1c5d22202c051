"""``extra-derivative``: the step, or one of its terms, is the derivative of what it should be.

A derivative applied twice: the previous step already carried out
``Derivative(f, w)``, and the student differentiates the result again, as in the
update rule ``w - eta*Derivative(L, w)`` -> ``w - eta*(w*x - t)*x`` ->
``w - eta*Derivative((w*x - t)*x, w)``.  Candidates (the derivative of the whole
previous step, of one of its terms, or of one factor of one term, with respect to
each symbol a derivative of the chain is taken with respect to) are tested at every instance with :meth:`Probe.holds`.
"""

from __future__ import annotations

import sympy

from ..context import ContextError, substitutions
from ..results import Note
from .probe import MAX_PIECES, Piece, Probe
from .text import paren, replace_span, split_top, strip_parens

#: Most factors of one term whose derivative is tried.
MAX_TERM_FACTORS = 6


def _variables(p: Probe) -> list[tuple[str, sympy.Expr]]:
    """The symbols a derivative is taken with respect to in this chain up to this step, or in the claim.

    Only these can be "applied twice": ``Derivative(t*x**2, x)`` -> ``2*x`` is a
    missing factor t, not a derivative with respect to t (though 2*x is one).
    """
    seen: dict[str, sympy.Expr] = {}
    exprs = [tr.previous for (ci, i), tr in p.checker.transitions.items() if ci == p.ci and i <= p.index]
    exprs.append(p.tr.current)
    claim = getattr(getattr(p.checker, "deriv", None), "claim", None)
    if claim is not None:
        try:
            exprs.extend(p.checker.parse_claim(claim))
        except Exception:  # noqa: BLE001 - a claim that cannot be read adds no symbol
            pass
    for expr in exprs:
        for d in expr.atoms(sympy.Derivative):
            for v in d.variables:
                seen.setdefault(str(v), v)
    return sorted(seen.items())


def _nonzero(p: Probe, d: sympy.Expr) -> bool:
    """Whether a derivative (raw) is not plainly 0 at the failing instance: else the rule is dropped-term's."""
    try:
        value = p.engine.concrete(d, p.inst)
    except ContextError:
        return False
    subst = substitutions(p.conditions, p.engine.resolver(p.inst))
    value = value.xreplace(subst) if subst else value
    return not value.is_zero


def _derivative(expr: sympy.Expr, v: sympy.Expr) -> sympy.Expr:
    return sympy.Derivative(expr, v, evaluate=False)


def extra_derivative(p: Probe) -> list[Note]:
    prev, cur = p.tr.previous, p.tr.current
    prev_text, cur_text = p.texts()
    variables = _variables(p)
    for name, v in variables:
        if _nonzero(p, _derivative(prev, v)) and p.holds_raw(_derivative(prev, v), cur, "extra-derivative"):
            return [
                Note(
                    "extra-derivative",
                    f"this step is the derivative of the previous step with respect to {name}: "
                    f"the derivative was applied twice; this step should still equal {prev_text}",
                    p.fix_ok(prev_text),
                )
            ]
    terms = p.pieces("previous", "+-") if len(p.pieces("previous", "+-")) > 1 else []
    for term in terms[:MAX_PIECES]:
        for name, v in variables:
            d = _derivative(term.expr, v)
            if _nonzero(p, d) and p.holds_raw(cur, prev - term.expr + d, "extra-derivative-term"):
                return [_term_note(p, term.text, term.text, d, name, cur_text)]
    # one factor of one term (the term's other factors kept): a chain-rule factor
    # differentiated again inside a product
    for term in terms[:MAX_PIECES] or [Piece(prev_text, prev, None)]:
        factors = _factors(p, term)
        for i, factor in enumerate(factors):
            for name, v in variables:
                others = sympy.Mul(*[f.expr for j, f in enumerate(factors) if j != i])
                d = others * _derivative(factor.expr, v)
                if _nonzero(p, d) and p.holds_raw(cur, prev - term.expr + d, "extra-derivative-factor"):
                    return [_term_note(p, factor.text, term.text, d, name, cur_text, factor=True)]
    return []


def _factors(p: Probe, term: Piece) -> list[Piece]:
    text = term.text.lstrip("+- ").strip()
    sign = -1 if term.text.strip().startswith("-") else 1
    spans = split_top(text, "*")
    if not 1 < len(spans) <= MAX_TERM_FACTORS:
        return []
    pieces = []
    try:
        for a, b in spans:
            pieces.append(Piece(strip_parens(text[a:b]), p.ctx.parse(text[a:b].strip(), 0), None))
    except Exception:  # noqa: BLE001 - a term whose factors do not read back alone
        return []
    if sign * sympy.Mul(*[q.expr for q in pieces]) != term.expr:
        return []
    if sign < 0:
        pieces.append(Piece("-1", sympy.Integer(-1), None))
    return pieces


def _term_note(p: Probe, what: str, term: str, d: sympy.Expr, name: str, cur_text: str, factor: bool = False) -> Note:
    """Name the term of this step that is the derivative, and the fix: the term as it was."""
    written = None
    fix = None
    for piece in p.pieces("current", "+-"):
        try:
            if p.equal_here(p.engine.concrete(piece.expr, p.inst), p.engine.concrete(d, p.inst), "extra-derivative-which"):
                written = piece
                break
        except ContextError:
            continue
    if written is not None and written.span is not None:
        new = term.strip()
        a = written.span[0]
        if a > 0 and not new.startswith("-"):
            new = "+ " + new
        elif a > 0:
            new = "- " + new[1:].strip()
        fix = p.fix_ok(replace_span(cur_text, written.span, new))
    kind = "factor" if factor else "term"
    shown = paren(what) if factor else what
    if written is not None and factor:
        head = (
            f"the term {written.text} has the derivative with respect to {name} of the previous step's "
            f"factor {shown} in place of that factor"
        )
    elif written is not None:
        head = f"the term {written.text} is the derivative with respect to {name} of the previous step's {kind} {shown}"
    else:
        head = f"this step has, in place of the previous step's {kind} {shown}, its derivative with respect to {name}"
    return Note("extra-derivative", f"{head}: the derivative was applied twice; keep {what} as it was", fix)
