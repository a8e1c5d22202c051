"""The functions of the expression language (SPEC §3), shared by every reader.

The expression parser and the LaTeX reader both turn a call into a SymPy object
through :data:`FUNCTIONS`, so a formula means the same thing whichever way it was
written.  ``sigmoid`` and ``softplus`` are SymPy functions of their own so that
reports print them as written and the chain rule gives the familiar forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import Function, exp, log


class sigmoid(Function):
    """The logistic function 1/(1 + exp(-z)); printed as sigma(z)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return 1 / (1 + exp(-z))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _sympystr(self, printer: object) -> str:
        return f"sigma({printer._print(self.args[0])})"  # type: ignore[attr-defined]

    def _latex(self, printer: object) -> str:
        return rf"\sigma\left({printer._print(self.args[0])}\right)"  # type: ignore[attr-defined]


class softplus(Function):
    """log(1 + exp(z)), whose derivative is the sigmoid."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return log(1 + exp(z))

    def _eval_rewrite_as_log(self, z: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return log(1 + exp(z))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _sympystr(self, printer: object) -> str:
        return f"softplus({printer._print(self.args[0])})"  # type: ignore[attr-defined]


def to_elementary(expr: sympy.Expr) -> sympy.Expr:
    """Replace the language's own functions by elementary ones, for proofs and numbers."""
    if not expr.has(sigmoid, softplus):
        return expr
    return expr.replace(sigmoid, lambda z: 1 / (1 + exp(-z))).replace(
        softplus, lambda z: log(1 + exp(z))
    )


# --- abstract functions (``functions: [f, g]``) ------------------------------------------
#
# An unknown smooth function f of n real arguments is a SymPy Function class of its
# own, and so is each of its partial derivatives: f' is not SymPy's
# ``Subs(Derivative(f(_xi), _xi), _xi, g(x))`` (whose dummy variable makes two ways of
# writing f'(g(x)) compare unequal) but the application ``D(f)(g(x))`` of one more
# class.  The chain and product rules then give plain products of applications, which
# the proofs treat like any other function, and the numbers replace every application
# by an instantiation (:mod:`derivcheck.abstract`).


class AbstractApplied(Function):
    """``f(args)`` for a declared function f, or one of its partial derivatives at ``args``.

    ``orders`` lists the (1-based) argument positions differentiated by, sorted: smooth
    functions have symmetric mixed partials, so ``D(f, 1, 2)`` and ``D(f, 2, 1)`` are one.
    """

    fname: str = ""
    arity: int = 1
    orders: tuple[int, ...] = ()

    @classmethod
    def eval(cls, *args: sympy.Expr) -> None:
        return None  # unknown: never evaluates, not even at numbers

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return abstract_function(self.fname, self.arity, self.orders + (argindex,))(*self.args)

    def _eval_is_real(self) -> bool | None:
        from sympy.core.logic import fuzzy_and

        return fuzzy_and(a.is_real for a in self.args)

    def _eval_is_finite(self) -> bool | None:
        from sympy.core.logic import fuzzy_and

        return fuzzy_and(a.is_finite for a in self.args)

    def head(self) -> str:
        """How the function (or derivative) is written before its arguments: f, f', D(f, 1, 2)."""
        return function_head(self.fname, self.arity, self.orders)

    def _sympystr(self, printer: object) -> str:
        args = ", ".join(printer._print(a) for a in self.args)  # type: ignore[attr-defined]
        return f"{self.head()}({args})"

    def _latex(self, printer: object) -> str:
        args = ", ".join(printer._print(a) for a in self.args)  # type: ignore[attr-defined]
        if self.arity == 1 and len(self.orders) <= 3:
            head = self.fname + "'" * len(self.orders)
        elif not self.orders:
            head = self.fname
        else:
            head = rf"\partial_{{{' '.join(map(str, self.orders))}}} {self.fname}"
        return rf"{head}\left({args}\right)"

    def __reduce__(self) -> tuple:  # the classes are made at run time: pickle by their key
        return (_rebuild_applied, (self.fname, self.arity, self.orders, self.args))


def function_head(name: str, arity: int, orders: tuple[int, ...]) -> str:
    """f, f', f'', D(f, 1, 1, 1, 1), D(f, 2)(x, y): the notation of the expression language."""
    if not orders:
        return name
    if arity == 1 and len(orders) <= 3:
        return name + "'" * len(orders)
    return f"D({name}, {', '.join(map(str, orders))})"


_ABSTRACT: dict[tuple[str, int, tuple[int, ...]], type] = {}


def abstract_function(name: str, arity: int, orders: tuple[int, ...] = ()) -> type:
    """The class of ``f`` (``orders=()``) or of its partial derivative by ``orders``.

    The same key always gives the same class: SymPy compares applications by class.
    """
    key = (name, arity, tuple(sorted(orders)))
    cls = _ABSTRACT.get(key)
    if cls is None:
        # never the bare name: SymPy's printers dispatch on class names (_print_Piecewise, ...)
        label = f"abstract_{name}" + "".join(f"_{p}" for p in key[2])
        cls = type(label, (AbstractApplied,), {"fname": name, "arity": arity, "orders": key[2], "nargs": arity})
        _ABSTRACT[key] = cls
    return cls


def _rebuild_applied(name: str, arity: int, orders: tuple[int, ...], args: tuple) -> sympy.Expr:
    return abstract_function(name, arity, orders)(*args)


def abstract_names(expr: sympy.Basic) -> dict[str, int]:
    """The declared functions an expression applies (or differentiates): name -> arity."""
    return {a.fname: a.arity for a in expr.atoms(AbstractApplied)}


@dataclass(frozen=True)
class FunctionSpec:
    """How a call of a named function becomes a SymPy object."""

    name: str
    arities: tuple[int, ...]
    build: Callable[..., sympy.Expr]


def _log(x: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
    return log(x) if base is None else log(x, base)


def _unary(f: Callable[[sympy.Expr], sympy.Expr]) -> Callable[[sympy.Expr], sympy.Expr]:
    return f


def _bounded_minmax(cls: type) -> Callable[..., sympy.Expr]:
    """Max/Min, refusing more values than SymPy can compare pairwise in reasonable time."""

    def build(*args: sympy.Expr) -> sympy.Expr:
        from .limits import MAX_MINMAX_ARGS

        count = sum(len(a.args) if isinstance(a, cls) else 1 for a in args)
        if count > MAX_MINMAX_ARGS:
            raise ValueError(
                f"{cls.__name__} of {count} values (counting nested {cls.__name__}); the limit is {MAX_MINMAX_ARGS}"
            )
        return cls(*args)

    return build


_TABLE: list[tuple[tuple[str, ...], tuple[int, ...], Callable[..., sympy.Expr]]] = [
    (("exp",), (1,), sympy.exp),
    (("log",), (1, 2), _log),
    (("ln",), (1,), sympy.log),
    (("sqrt",), (1,), sympy.sqrt),
    (("Abs", "abs"), (1,), sympy.Abs),
    (("sign",), (1,), sympy.sign),
    (("sin",), (1,), sympy.sin),
    (("cos",), (1,), sympy.cos),
    (("tan",), (1,), sympy.tan),
    (("cot",), (1,), sympy.cot),
    (("sec",), (1,), sympy.sec),
    (("csc",), (1,), sympy.csc),
    (("asin",), (1,), sympy.asin),
    (("acos",), (1,), sympy.acos),
    (("atan",), (1,), sympy.atan),
    (("sinh",), (1,), sympy.sinh),
    (("cosh",), (1,), sympy.cosh),
    (("tanh",), (1,), sympy.tanh),
    (("asinh",), (1,), sympy.asinh),
    (("acosh",), (1,), sympy.acosh),
    (("atanh",), (1,), sympy.atanh),
    (("erf",), (1,), sympy.erf),
    (("gamma",), (1,), sympy.gamma),
    (("factorial",), (1,), sympy.factorial),
    (("binomial",), (2,), sympy.binomial),
    (("floor",), (1,), sympy.floor),
    (("ceiling",), (1,), sympy.ceiling),
    (("sigma", "sigmoid"), (1,), sigmoid),
    (("softplus",), (1,), softplus),
    (("Max", "max"), tuple(range(1, 33)), _bounded_minmax(sympy.Max)),
    (("Min", "min"), tuple(range(1, 33)), _bounded_minmax(sympy.Min)),
    (("Heaviside",), (1,), sympy.Heaviside),
    (("KroneckerDelta", "delta"), (2,), sympy.KroneckerDelta),
]

#: Plain functions by name.  ``Sum``, ``Product``, ``Derivative`` and ``diff`` bind
#: or differentiate and are handled by each reader; see :data:`SPECIAL_FORMS`.
FUNCTIONS: dict[str, FunctionSpec] = {
    name: FunctionSpec(name, arities, build) for names, arities, build in _TABLE for name in names
}

#: Calls with a grammar of their own.
SPECIAL_FORMS: frozenset[str] = frozenset({"Sum", "Product", "Derivative", "diff", "Subs"})

#: Names with a meaning of their own next to declared functions: ``D(f)(x)`` is f'(x).
#: A declared function may not take these names, nor a built-in function's.
RESERVED_FUNCTION_NAMES: frozenset[str] = frozenset({"D"})

#: The only names that are constants; everything else is a symbol.
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

#: Arguments of these functions are bounded before SymPy evaluates them.
BIG_NUMBER_FUNCTIONS: frozenset[str] = frozenset({"factorial", "binomial", "gamma"})


# --- derivatives at kinks (SPEC §4) -----------------------------------------------------
#
# Abs, sign, Heaviside, floor, ceiling, Max and Min are differentiable away from their
# kinks and not at them, whatever SymPy's conventions (sign(0) = 0, Heaviside(0) = 1/2,
# DiracDelta).  A derivative is a Piecewise with *no otherwise branch*: at a kink no
# branch holds, so the step is undefined there, never a counterexample.


def _kink_free(u: sympy.Expr) -> sympy.Expr:
    """0 away from u = 0, undefined at it: what d sign(u)/du and d Heaviside(u)/du are."""
    return sympy.Piecewise((0, sympy.Ne(u, 0)))


def _step(u: sympy.Expr) -> sympy.Expr:
    """d Max(u, 0)/du: 0 for u < 0, 1 for u > 0, undefined at the tie."""
    return sympy.Piecewise((0, u < 0), (1, u > 0))


class _Held(Function):
    """A kinked function held out of SymPy's own differentiation rules for one ``diff``."""

    original: type = sympy.Function

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class _AbsHeld(_Held):
    original = sympy.Abs

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        u = self.args[0]
        return sympy.Piecewise((-1, u < 0), (1, u > 0))


class _SignHeld(_Held):
    original = sympy.sign

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return _kink_free(self.args[0])


class _HeavisideHeld(_Held):
    original = sympy.Heaviside

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        if argindex != 1:
            return sympy.Integer(0)
        return _kink_free(self.args[0])


class _FloorHeld(_Held):
    original = sympy.floor

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        u = self.args[0]
        return sympy.Piecewise((0, sympy.Ne(sympy.floor(u), u)))  # u not a whole number


class _CeilingHeld(_Held):
    original = sympy.ceiling

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        u = self.args[0]
        return sympy.Piecewise((0, sympy.Ne(sympy.ceiling(u), u)))


_HELD: tuple[type[_Held], ...] = (_AbsHeld, _SignHeld, _HeavisideHeld, _FloorHeld, _CeilingHeld)


def kink_diff(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """``d expr / d var`` with every kink undefined rather than given SymPy's value.

    The kinked functions of ``expr`` are held (so the ones already there keep their
    meaning, Heaviside(0) = 1/2 included); the Heaviside and DiracDelta that SymPy's
    rules create (for Max and Min) become Piecewise without an otherwise branch.
    """
    hold = {held.original: held for held in _HELD}
    held = expr
    for cls, placeholder in hold.items():
        if held.has(cls):
            held = held.replace(cls, placeholder)
    d = sympy.diff(held, var)
    if d.has(sympy.DiracDelta):
        d = d.replace(sympy.DiracDelta, lambda u, *order: _kink_free(u))
    if d.has(sympy.Heaviside):
        d = d.replace(sympy.Heaviside, lambda u, *rest: _step(u))
    for placeholder in _HELD:
        if d.has(placeholder):
            d = d.replace(placeholder, placeholder.original)
    return d
