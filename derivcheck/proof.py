"""Symbolic proofs that two concrete expressions are equal on the declared domains.

Cheapest canonical forms first (identity, ``expand``, ``cancel``), ``simplify``
last, with finite-set symbols split into their values.  Any attempt that brings
the difference to 0 is a proof; a failed attempt proves nothing either way.
"""

from __future__ import annotations

import itertools
from typing import Callable

import sympy
from sympy import Symbol

from .budget import Budget, Timeout
from .context import Context
from .numeric import prepare


def prove_equal(a: sympy.Expr, b: sympy.Expr, ctx: Context, budget: Budget, order: list[int] | None = None) -> bool:
    """A symbolic proof that ``a - b`` is zero on the declared domains.

    ``order`` (indices into ``_ATTEMPTS``) is tried first to last and updated in
    place: the attempt that proved one instance is tried first on the next, which
    is the same shape at another index value.  Any attempt that gives 0 is a proof.
    """
    if a == b:
        return True
    leaves = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    finite = [s for s in leaves if ctx.domain_of(s).is_finite]
    combos: list[dict[Symbol, sympy.Expr]] = [{}]
    if finite:
        options = [ctx.domain_of(s).values for s in finite]
        total = 1
        for o in options:
            total *= len(o)
        if total <= 64:
            combos = [dict(zip(finite, values)) for values in itertools.product(*options)]
    assumed = {
        s: Symbol(s.name, **ctx.domain_of(s).assumptions())
        for s in leaves
        if not (combos[0] and s in combos[0])
    }
    difference = prepare(a - b)
    if combos[0]:
        # Most steps hold for every value of t, not just 0 and 1: one cheap attempt
        # on the whole difference first saves proving it once per combination.
        whole = difference.xreplace({s: Symbol(s.name, **ctx.domain_of(s).assumptions()) for s in leaves})
        if prove_zero(whole, budget, attempts=_CHEAP):
            return True
    for combo in combos:
        budget.check()
        d = difference.xreplace(combo).xreplace(assumed) if combo else difference.xreplace(assumed)
        if not prove_zero(d, budget, order):
            return False
    return True


_ATTEMPTS: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    lambda e: e,
    lambda e: sympy.expand(e),
    lambda e: sympy.cancel(sympy.together(e)),
    lambda e: sympy.simplify(e),
    lambda e: sympy.simplify(sympy.expand(e.rewrite(sympy.exp))),
)


#: The canonical forms that cost little: identity, expand, cancel.
_CHEAP = (0, 1, 2)


def prove_zero(d: sympy.Expr, budget: Budget, order: list[int] | None = None, attempts: tuple[int, ...] | None = None) -> bool:
    """Whether one of the attempts (all, in ``order``, unless ``attempts`` is given) brings ``d`` to 0."""
    if attempts is not None:
        order = None
    for i in attempts if attempts is not None else (list(order) if order is not None else range(len(_ATTEMPTS))):
        attempt = _ATTEMPTS[i]
        budget.check()
        try:
            if attempt(d) == 0:
                if order is not None and order[0] != i:
                    order.remove(i)
                    order.insert(0, i)
                return True
        except Timeout:
            raise
        except Exception:  # noqa: BLE001 - a SymPy failure is only a failed attempt
            continue
    return False
