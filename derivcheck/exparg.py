"""A proof attempt for identities of exp, sinh, cosh and tanh of a compound argument.

``1 - tanh(a)**2`` against ``4/(exp(a) + exp(-a))**2`` with ``a`` a sum of eight
products (an MLP's pre-activation) defeats ``simplify`` within a step's budget,
yet the identity has nothing to do with what ``a`` is.  So each compound argument
``u = c*core`` (c rational, the core's sign and content fixed, so that ``exp(-a)``,
``exp(2*a)`` and ``tanh(a)`` share one core) becomes ``c*A`` for a fresh symbol A;
the exp family is written with exponentials, ``exp(c*A)`` becomes ``E**(c*q)`` for
a fresh symbol E standing for ``exp(A/q)`` (q the common denominator of the c's),
and the result is one rational function, brought to 0 by ``cancel`` when it is one.

Why this is a proof: every rewrite is an identity for every complex value (exp of
``c*A`` is ``exp(A/q)**(c*q)`` for integer ``c*q``), so the original difference is
the rational function evaluated at ``A = core``, ``E = exp(core/q)``; a rational
function that is 0 as a function of free symbols is 0 at any point where the
original is defined.  Treating A and E as independent only asks for more.
"""

from __future__ import annotations

from math import lcm

import sympy

#: Functions written with exponentials of their argument.
OF_EXP = (sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.coth, sympy.sech, sympy.csch)


def split_core(u: sympy.Expr) -> tuple[sympy.Rational, sympy.Expr]:
    """``u`` as ``c*core``: c rational, the core's content 1 and its sign fixed."""
    if u.is_Add:
        c, core = u.primitive()
    else:
        c, core = u.as_coeff_Mul()
    if core.could_extract_minus_sign():
        c, core = -c, -core
    return sympy.Rational(c), core


def generalized(e: sympy.Expr) -> sympy.Expr:
    """``e`` with compound exp-family arguments made symbols, cancelled (0 only if ``e`` is 0)."""
    found = [f for f in e.atoms(*OF_EXP) if not f.args[0].is_Symbol and not f.args[0].is_number]
    if not found:
        return e
    cores: dict[sympy.Expr, list[sympy.Rational]] = {}
    parts = {}
    for f in sorted(found, key=sympy.default_sort_key):
        c, core = split_core(f.args[0])
        if core.is_number or not c:
            continue
        cores.setdefault(core, []).append(c)
        parts[f] = (f.func, c, core)
    if not parts:
        return e
    symbol = {core: sympy.Dummy("A") for core in cores}
    g = e.xreplace({f: func(c * symbol[core]) for f, (func, c, core) in parts.items()}).rewrite(sympy.exp)
    powers = [(symbol[core], sympy.Dummy("E"), lcm(*(int(c.q) for c in cs))) for core, cs in cores.items()]

    def as_power(x: sympy.Expr) -> sympy.Expr:
        for a, base, q in powers:
            c = x.args[0] / a
            if c.is_Rational:
                return base ** int(c * q)
        return x

    g = g.replace(lambda x: isinstance(x, sympy.exp), as_power)
    return sympy.cancel(sympy.together(g))
