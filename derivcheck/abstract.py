"""Concrete stand-ins for abstract functions, for testing and refuting steps.

A step about an unknown smooth ``f`` (``functions: [f]``) is *proved* symbolically,
with ``f`` kept abstract.  Numbers need a concrete ``f``: a transition is sampled
once per instantiation, each replacing every declared function by a smooth function
with exact rational coefficients, and a counterexample is a counterexample *of that
instantiation* (which the report names: a step false for one smooth f is false for
generic f).  Equality at every point of every instantiation is only ``tested``.

Why these families separate the classic mistakes.  Each instantiation of a function
of one argument is one of

* ``c0 + c1*u + c2*u**2 + c3*u**3``: no coefficient is 0, so f'' is not constant and
  f''' is not 0 (a dropped second-derivative term shows), and f is neither even nor
  odd (f(-x) against f(x) or -f(x) shows);
* ``sin(a*u + b) + P(u)``, ``atan(a*u + b) + P(u)`` and ``exp(sin(a*u + b)) + P(u)``
  with P a quadratic with nonzero coefficients: transcendental, so no polynomial
  identity of a fixed degree holds for them (f'''' = 0 holds for the cubic only),
  and P breaks relations such as f'' = -a**2*f that the bare sine would satisfy;

never a linear function (f'' = 0 would hide a forgotten second term).  Forgetting the
inner derivative (f'(g(x)) for f'(g(x))*g'(x)) fails because g' is not 1; f'(x) for
f'(g(x)) because g is not the identity and f' is not constant; a product rule with a
sign error because f'*g and f*g' are not both 0; f(g(x)) against g(f(x)) because,
within one instantiation, different functions get different families (up to four
functions; beyond, at least their own coefficients), so they do not commute.

Functions of several arguments get the same families over a linear form
``a1*u + a2*v + b``, plus a quadratic with a cross term, each coefficient drawn
anew, so h(x, y) and h(y, x) differ.

No family grows exponentially: the sampler reaches |x| = 1e30, a cubic of a cubic
there is about 1e270, and sin of that is cheap to evaluate rigorously, but sin(exp(u))
at u = 1e6 would need half a million digits (``exp`` appears only as exp(sin(...))).

Everything here is a pure function of the expressions, the function names and the
seed: the same seed gives the same instantiations.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy import Rational, Symbol

from .functions import AbstractApplied, abstract_names

#: Instantiations per transition (each function gets a different family in each).
INSTANTIATIONS = 4
#: The families, by name (see the module docstring).
FAMILIES = ("cubic", "sine", "arctangent", "exp-sine")

#: The argument names in an instantiation's description: f(u) = ..., h(u, v) = ...
ARGUMENTS: tuple[Symbol, ...] = tuple(Symbol(n, real=True) for n in ("u", "v", "w", "s"))

#: Nonzero exact coefficients; slopes of the linear forms are kept moderate.
_COEFFICIENTS = tuple(
    Rational(f.numerator, f.denominator)
    for f in (Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3), Fraction(1, 3), Fraction(2, 3), Fraction(5, 4))
)
_SLOPES = (Rational(1, 2), Rational(1), Rational(3, 2), Rational(2), Rational(3, 4))


@dataclass(frozen=True)
class Instantiation:
    """One concrete function per declared function: name -> expression in :data:`ARGUMENTS`."""

    templates: tuple[tuple[str, int, sympy.Expr], ...]

    def describe(self) -> str:
        """``f(u) = sin(2*u + 1) + u**2/2, g(u) = ...``: what the report says was used."""
        parts = []
        for name, arity, body in self.templates:
            args = ", ".join(a.name for a in ARGUMENTS[:arity])
            parts.append(f"{name}({args}) = {sympy.sstr(body)}")
        return ", ".join(parts)


def _coefficient(rng: random.Random) -> sympy.Expr:
    c = rng.choice(_COEFFICIENTS)
    return c if rng.random() < 0.5 else -c


def _slope(rng: random.Random) -> sympy.Expr:
    c = rng.choice(_SLOPES)
    return c if rng.random() < 0.5 else -c


def _quadratic(args: Sequence[Symbol], rng: random.Random) -> sympy.Expr:
    """Every term of degree 1 and 2 (cross terms too), each with a nonzero coefficient."""
    out = sympy.Integer(0)
    for i, a in enumerate(args):
        out += _coefficient(rng) * a
        for b in args[i:]:
            out += _coefficient(rng) * a * b
    return out


def family_member(family: str, arity: int, rng: random.Random) -> sympy.Expr:
    """One smooth function of ``arity`` arguments from ``family``, coefficients drawn from ``rng``."""
    args = ARGUMENTS[:arity]
    if family == "cubic":
        body = _coefficient(rng) + _quadratic(args, rng) + sum((_coefficient(rng) * a**3 for a in args), sympy.Integer(0))
        if arity > 1:
            body += _coefficient(rng) * args[0] * args[1] ** 2
        return body
    linear = sum((_slope(rng) * a for a in args), sympy.Integer(0)) + _coefficient(rng)
    if family == "sine":
        inner = sympy.sin(linear)
    elif family == "arctangent":
        inner = sympy.atan(linear)
    elif family == "exp-sine":
        inner = sympy.exp(sympy.sin(linear))
    else:
        raise ValueError(family)
    return inner + _quadratic(args, rng)


def instantiation(functions: dict[str, int], seed: int, number: int) -> Instantiation:
    """The ``number``-th instantiation of ``functions`` (name -> arity) for ``seed``.

    Function i (in name order) takes family ``(number + i) % 4``: in one instantiation
    no two functions share a family, and over four every function meets every family.
    """
    templates = []
    for i, name in enumerate(sorted(functions)):
        rng = random.Random(f"{seed}|{number}|{name}")
        family = FAMILIES[(number + i) % len(FAMILIES)]
        templates.append((name, functions[name], family_member(family, functions[name], rng)))
    return Instantiation(tuple(templates))


class _Instantiator:
    """Replaces every application (and derivative) of a declared function by its instantiation."""

    def __init__(self, inst: Instantiation) -> None:
        self.bodies = {name: (arity, body) for name, arity, body in inst.templates}
        self._derivatives: dict[tuple[str, tuple[int, ...]], sympy.Expr] = {}
        self._memo: dict[sympy.Basic, sympy.Basic] = {}

    def derivative(self, name: str, orders: tuple[int, ...]) -> sympy.Expr:
        key = (name, orders)
        if key not in self._derivatives:
            _, body = self.bodies[name]
            for position in orders:
                body = sympy.diff(body, ARGUMENTS[position - 1])
            self._derivatives[key] = body
        return self._derivatives[key]

    def __call__(self, e: sympy.Basic) -> sympy.Basic:
        if e in self._memo:
            return self._memo[e]
        if not e.args or not e.has(AbstractApplied):
            out = e
        else:
            args = [self(a) for a in e.args]
            if isinstance(e, AbstractApplied):
                body = self.derivative(e.fname, e.orders)
                out = body.xreplace(dict(zip(ARGUMENTS[: e.arity], args)))
            else:
                out = e.func(*args)
        self._memo[e] = out
        return out


def instantiate(expr: sympy.Expr, inst: Instantiation) -> sympy.Expr:
    """``expr`` with every declared function replaced by its instantiation in ``inst``."""
    if not isinstance(expr, sympy.Basic) or not expr.has(AbstractApplied):
        return expr
    return _Instantiator(inst)(expr)


Filters = list[tuple[str, sympy.Expr, sympy.Expr]]


def instantiate_sides(
    a: sympy.Expr, b: sympy.Expr, filters: Filters, seed: int, instance: int = 0
) -> list[tuple[sympy.Expr, sympy.Expr, Filters, str]]:
    """The pairs to sample for one transition at one index instance: ``(a, b, filters, description)``.

    Without abstract functions, the sides themselves and an empty description.  With
    them, every instantiation at the first instance (``instance == 0``) and one at each
    later instance, in turn: an indexed step at 25 index combinations is sampled 28
    times, not 100, and still meets every family (each is rich enough on its own).
    """
    functions: dict[str, int] = {}
    for e in (a, b, *(x for _, l, r in filters for x in (l, r))):
        functions.update(abstract_names(e))
    if not functions:
        return [(a, b, filters, "")]
    if a == b and not filters:
        # the same expression: equal wherever defined, on the same points, for every f;
        # nothing to sample (a deep composition's instantiation is costly to evaluate)
        return []
    out = []
    for number in range(INSTANTIATIONS) if instance == 0 else (instance % INSTANTIATIONS,):
        inst = instantiation(functions, seed, number)
        convert = _Instantiator(inst)
        out.append(
            (
                convert(a),
                convert(b),
                [(op, convert(l), convert(r)) for op, l, r in filters],
                inst.describe(),
            )
        )
    return out
