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
from .domains import Domain
from .exparg import generalized
from .numeric import prepare


def prove_equal(
    a: sympy.Expr,
    b: sympy.Expr,
    ctx: Context,
    budget: Budget,
    order: list[int] | None = None,
    domain_of: Callable[[Symbol], Domain] | None = None,
) -> bool:
    """A symbolic proof that ``a - b`` is zero on the declared domains.

    ``order`` (indices into ``_ATTEMPTS``) is tried first to last and updated in
    place: the attempt that proved one instance is tried first on the next, which
    is the same shape at another index value.  Any attempt that gives 0 is a proof.
    ``domain_of`` gives each symbol's domain (the context's by default).
    """
    if a == b:
        return True
    domain_of = domain_of or ctx.domain_of
    leaves = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    finite = [s for s in leaves if domain_of(s).is_finite]
    combos: list[dict[Symbol, sympy.Expr]] = [{}]
    if finite:
        options = [domain_of(s).values for s in finite]
        total = 1
        for o in options:
            total *= len(o)
        if total <= 64:
            combos = [dict(zip(finite, values)) for values in itertools.product(*options)]
    assumed = {
        s: Symbol(s.name, **domain_of(s).assumptions())
        for s in leaves
        if not (combos[0] and s in combos[0])
    }
    difference = prepare(a - b)
    if combos[0]:
        # Most steps hold for every value of t, not just 0 and 1: one cheap attempt
        # on the whole difference first saves proving it once per combination.
        whole = difference.xreplace({s: Symbol(s.name, **domain_of(s).assumptions()) for s in leaves})
        if prove_zero(whole, budget, attempts=_CHEAP):
            return True
    for combo in combos:
        budget.check()
        d = difference.xreplace(combo).xreplace(assumed) if combo else difference.xreplace(assumed)
        if not prove_zero(d, budget, order):
            return False
    return True


#: Most piecewise parts (Piecewise, sign, Heaviside) folded together by the branch attempt.
MAX_FOLDED_PARTS = 6


def _zero_cheaply(e: sympy.Expr) -> bool:
    return e == 0 or sympy.expand(e) == 0 or sympy.cancel(sympy.together(e)) == 0


def _contradictory(cond: sympy.Basic) -> bool:
    """A conjunction that no point satisfies, shown by substitution (sound, not complete).

    Within ``Eq(a, b) & C``, a equals b, so C with a replaced by b must hold too:
    ``Eq(sin(x), 0) & (sin(x) > 0)`` becomes ``0 > 0``.  ``a < b & a > b`` likewise.
    """
    parts = list(cond.args) if isinstance(cond, sympy.And) else [cond]
    if any(p == sympy.false for p in parts):
        return True
    for eq in parts:
        if isinstance(eq, sympy.Eq):
            for other in parts:
                if other is eq:
                    continue
                for a, b in ((eq.lhs, eq.rhs), (eq.rhs, eq.lhs)):
                    if not a.is_number and other.xreplace({a: b}) == sympy.false:
                        return True
    strict = [p for p in parts if isinstance(p, (sympy.StrictLessThan, sympy.StrictGreaterThan))]
    signs = {}
    for p in strict:
        d = p.lhs - p.rhs if isinstance(p, sympy.StrictGreaterThan) else p.rhs - p.lhs  # d > 0
        if signs.get(-d) or sympy.expand(-d) in signs:
            return True
        signs[d] = True
        signs[sympy.expand(d)] = True
    return False


def _independent_groups(e: sympy.Expr) -> list[sympy.Expr]:
    """The terms of a sum gathered into groups that share no free symbol.

    Wherever the sum is defined every term is, so the sum is 0 there when each
    group is: the groups can be proved apart.
    """
    if not isinstance(e, sympy.Add):
        return [e]
    groups: list[tuple[set, list[sympy.Expr]]] = []
    for term in e.args:
        symbols = set(term.free_symbols)
        merged: tuple[set, list[sympy.Expr]] = (symbols, [term])
        rest = []
        for g in groups:
            if g[0] & symbols:
                merged = (merged[0] | g[0], merged[1] + g[1])
            else:
                rest.append(g)
        groups = rest + [merged]
    return [sympy.Add(*terms) for _, terms in groups]


def _by_branches(e: sympy.Expr) -> sympy.Expr:
    """0 when every branch of the piecewise form of ``e`` that some point can take is 0.

    Derivatives at kinks are Piecewise without an otherwise branch (SPEC §4);
    ``sign`` and ``Heaviside`` are written as Piecewise too, and the whole folded
    into one Piecewise.  A point where ``e`` is defined takes one branch, so if
    each branch is 0 or has a contradictory condition, ``e`` is 0 wherever it is
    defined, which is what equal means.  Anything else returns ``e`` unchanged.
    """
    if not e.has(sympy.Piecewise, sympy.sign, sympy.Heaviside):
        return e
    # folding n piecewise parts gives up to 3**n branches: only a few are worth it,
    # but a sum whose terms share no symbols is 0 if each group of terms is
    if len(e.atoms(sympy.Piecewise, sympy.sign, sympy.Heaviside)) > MAX_FOLDED_PARTS:
        groups = _independent_groups(e)
        if len(groups) > 1 and all(_by_branches(g) == 0 for g in groups):
            return sympy.Integer(0)
        return e
    e = e.replace(sympy.sign, lambda u: sympy.Piecewise((-1, u < 0), (0, sympy.Eq(u, 0)), (1, u > 0)))
    e = e.replace(
        sympy.Heaviside,
        lambda u, *h0: sympy.Piecewise((0, u < 0), (h0[0] if h0 else sympy.Rational(1, 2), sympy.Eq(u, 0)), (1, u > 0)),
    )
    folded = sympy.piecewise_fold(e)
    if not isinstance(folded, sympy.Piecewise):
        return folded if _zero_cheaply(folded) else e
    for value, cond in folded.args:
        if cond == sympy.false or _contradictory(cond):
            continue
        if not _zero_cheaply(value):
            return e
    return sympy.Integer(0)


_ATTEMPTS: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    lambda e: e,
    lambda e: sympy.expand(e),
    lambda e: sympy.cancel(sympy.together(e)),
    _by_branches,
    generalized,  # exp/sinh/cosh/tanh of a compound argument (an MLP's pre-activation)
    lambda e: sympy.simplify(e),
    lambda e: sympy.simplify(sympy.expand(e.rewrite(sympy.exp))),
)


#: The canonical forms that cost little: identity, expand, cancel, kink branches.
_CHEAP = (0, 1, 2, 3)

#: Attempts that never multiply out a power: all that is tried on a difference
#: whose expansion would be huge ((x - a)**6000 has 6001 terms with 1800-digit
#: coefficients).  Such pairs are left to the numeric comparison.
_NO_EXPAND: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    lambda e: e,
    lambda e: _signs_out_of_powers(e),
    lambda e: sympy.factor_terms(e),
)


def _signs_out_of_powers(e: sympy.Expr) -> sympy.Expr:
    """``(-u)**n`` written ``(-1)**n * u**n`` for integer n, with one sign chosen for u.

    The identity holds for every complex u and integer n, and SymPy picks exactly
    one of u and -u as the one "with a minus sign", so ``(a - x)**6000 - (x - a)**6000``
    becomes 0 without multiplying out 6001 terms.
    """
    return e.replace(
        lambda p: p.is_Pow and p.exp.is_Integer and p.base.could_extract_minus_sign(),
        lambda p: (-1) ** p.exp * sympy.Pow(-p.base, p.exp),
    )

#: Largest number of terms an expansion is allowed to have before it is attempted.
MAX_EXPANSION_TERMS = 10_000
#: Largest integer power of a sum multiplied out (its coefficients grow with it:
#: (x - a)**6000 has 6001 terms but coefficients of 1800 digits).
MAX_EXPANDED_POWER = 200


def expansion_terms(e: sympy.Expr, cap: int = MAX_EXPANSION_TERMS + 1, seen: dict | None = None) -> int:
    """An upper estimate of the number of terms of ``expand(e)``, capped at ``cap``.

    A power of a sum of n terms to an integer k >= 0 has C(n + k - 1, k) terms; a
    product multiplies, a sum adds; anything else is one term, with its arguments
    estimated too (expand goes inside functions).  Negative powers count as their
    positive ones (cancel and together expand the denominator).  Shared
    subexpressions (expanded definitions) are estimated once.
    """
    if e.is_Atom:
        return 1
    if seen is None:
        seen = {}
    if e not in seen:
        seen[e] = _terms(e, cap, seen)
    return seen[e]


def _terms(e: sympy.Expr, cap: int, seen: dict) -> int:
    if isinstance(e, sympy.Pow):
        base = expansion_terms(e.base, cap, seen)
        k = e.exp
        if k.is_Integer and base > 1:
            n, k = base, abs(int(k))
            if k > MAX_EXPANDED_POWER:
                return cap
            total = 1
            for i in range(1, k + 1):  # C(n + k - 1, k), stopping once past the cap
                total = total * (n + i - 1) // i
                if total >= cap:
                    return cap
            return total
        return min(cap, base * expansion_terms(k, cap, seen))
    if isinstance(e, sympy.Add):
        return min(cap, sum(expansion_terms(a, cap, seen) for a in e.args))
    total = 1
    for a in e.args:
        total *= expansion_terms(a, cap, seen) if isinstance(a, sympy.Expr) else 1
        if total >= cap:
            return cap
    return total


def prove_zero(d: sympy.Expr, budget: Budget, order: list[int] | None = None, attempts: tuple[int, ...] | None = None) -> bool:
    """Whether one of the attempts (all, in ``order``, unless ``attempts`` is given) brings ``d`` to 0."""
    if expansion_terms(d) > MAX_EXPANSION_TERMS:
        return any(_gives_zero(attempt, d, budget) for attempt in _NO_EXPAND)
    if attempts is not None:
        order = None
    for i in attempts if attempts is not None else (list(order) if order is not None else range(len(_ATTEMPTS))):
        if _gives_zero(_ATTEMPTS[i], d, budget):
            if order is not None and order[0] != i:
                order.remove(i)
                order.insert(0, i)
            return True
    return False


def _gives_zero(attempt: Callable[[sympy.Expr], sympy.Expr], d: sympy.Expr, budget: Budget) -> bool:
    """One proof attempt: a SymPy failure is only a failed attempt, never a verdict."""
    budget.check()
    try:
        return bool(attempt(d) == 0)
    except Timeout:
        raise
    except Exception:  # noqa: BLE001 - a SymPy failure is only a failed attempt
        return False
