"""Evaluating concrete expressions at exact points, at a chosen precision.

Each expression is compiled once (SymPy's lambdify, on expressions derivcheck
built itself, never on input text) and then evaluated at every sample point
with mpmath.  A point where a side is not a finite real number is *undefined*
for that side and is never used as evidence either way.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import mpmath
import sympy
from sympy import Heaviside, Piecewise, Symbol

from .functions import to_elementary

Value = Any  # an mpmath mpf


def prepare(expr: sympy.Expr) -> sympy.Expr:
    """Elementary functions only, with Heaviside written out, ready for lambdify."""
    expr = to_elementary(expr)
    if expr.has(Heaviside):
        expr = expr.replace(
            Heaviside,
            lambda x, *rest: Piecewise((0, x < 0), (sympy.Rational(1, 2), sympy.Eq(x, 0)), (1, True)),
        )
    return expr


class Compiled:
    """One expression compiled for mpmath over a fixed list of leaf symbols."""

    def __init__(self, expr: sympy.Expr, leaves: Sequence[Symbol]) -> None:
        self.expr = prepare(expr)
        self.leaves = list(leaves)
        if self.expr.is_number:
            self._const = self.expr
            self._fn: Callable[..., Any] | None = None
        else:
            self._const = None
            self._fn = sympy.lambdify(self.leaves, self.expr, modules="mpmath", dummify=True)

    def __call__(self, point: Sequence[sympy.Rational], dps: int) -> Value | None:
        with mpmath.workdps(dps):
            try:
                if self._fn is None:
                    value = self._const.evalf(dps + 5)  # type: ignore[union-attr]
                    value = mpmath.mpmathify(complex(value)) if not value.is_real else mpmath.mpf(str(value))
                else:
                    args = [mpmath.mpf(int(p.p)) / int(p.q) for p in point]
                    value = self._fn(*args)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError, ArithmeticError):
                return None
            return real_or_none(value)


def real_or_none(value: Any) -> Value | None:
    if isinstance(value, (bool, int)):
        return mpmath.mpf(int(value))
    if isinstance(value, float):
        value = mpmath.mpf(value)
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            return None
        value = value.real
    if not isinstance(value, mpmath.mpf):
        try:
            value = mpmath.mpf(value)
        except (TypeError, ValueError):
            return None
    if not mpmath.isfinite(value):
        return None
    return value


def close(a: Value, b: Value, tol: float) -> bool:
    """Equal up to ``tol`` relative to the larger magnitude (at least 1)."""
    scale = max(mpmath.mpf(1), abs(a), abs(b))
    return abs(a - b) <= tol * scale


def as_number(value: Value) -> float | int:
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f
