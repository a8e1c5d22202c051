"""Evaluating concrete expressions at exact points, at a chosen precision.

Each expression is compiled once (SymPy's lambdify, on expressions derivcheck
built itself, never on input text) and then evaluated at every sample point
with mpmath.  A point where a side is not a finite real number is *undefined*
for that side and is never used as evidence either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy
from sympy import Heaviside, Piecewise, Symbol

from .certify import IntervalProgram, Uncertain, Undefined
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
    """One expression compiled for mpmath over a fixed list of leaf symbols.

    ``compiled(point, dps)`` evaluates with mpmath at ``dps`` digits.
    ``compiled.fast(fpoint)`` evaluates with Python floats (the ``math`` module),
    for screening only: it returns ``None`` whenever floats cannot tell (a math
    domain error, an overflow, a complex or non-finite result), and the caller
    then asks mpmath.  A float value is never evidence on its own: a float
    disagreement is only a candidate, re-checked at high precision.
    """

    def __init__(self, expr: sympy.Expr, leaves: Sequence[Symbol]) -> None:
        self.expr = prepare(expr)
        self.leaves = list(leaves)
        self._float_fn: Callable[..., Any] | None | bool = None  # None: not built yet; False: unusable
        self._mp_fn: Callable[..., Any] | None = None  # built on first use: most points never need mpmath
        self._interval: IntervalProgram | None = None
        if self.expr.is_number:
            self._const = self.expr
            self._fn: Callable[..., Any] | None = None
        else:
            self._const = None
            self._fn = self._mpmath_fn

    def _mpmath_fn(self, *args: Any) -> Any:
        if self._mp_fn is None:
            self._mp_fn = compile_function(self.leaves, self.expr, "mpmath")
        return self._mp_fn(*args)

    def __call__(self, point: Sequence[sympy.Rational], dps: int) -> Value | None:
        with mpmath.workdps(dps):
            try:
                if self._fn is None:
                    value = self._const.evalf(dps + 5)  # type: ignore[union-attr]
                    value = mpmath.mpmathify(complex(value)) if not value.is_real else mpmath.mpf(str(value))
                else:
                    args = [to_mpf(p, dps) for p in point]
                    value = self._fn(*args)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError, ArithmeticError, AttributeError):
                return None
            return real_or_none(value)

    def approx(self, point: Sequence[sympy.Expr], dps: int) -> Value | None:
        """The value at ``dps`` digits for screening, from the interval program when it decides.

        Cheaper than building an mpmath lambdify for an expression that only ever
        needs mpmath at a few points (the ones floats overflow at); ``None``
        where the point is certainly undefined, mpmath where intervals cannot tell.
        """
        try:
            value = self.interval.evaluate(point, dps)
        except Undefined:
            return None
        except Uncertain:
            return self(point, dps)
        lo, hi = value._mpi_
        with mpmath.workdps(dps):
            return (mpmath.mp.make_mpf(lo) + mpmath.mp.make_mpf(hi)) / 2

    @property
    def interval(self) -> IntervalProgram:
        """The same expression compiled for rigorous interval evaluation (built on first use)."""
        if self._interval is None:
            self._interval = IntervalProgram(self.expr, self.leaves)
        return self._interval

    def fast(self, fpoint: Sequence[float]) -> float | None:
        """The value in Python floats, or ``None`` when floats cannot tell."""
        fn = self._float_fn
        if fn is None:
            fn = self._float_fn = self._build_float()
        if fn is False:
            return None
        try:
            value = fn(*fpoint)  # type: ignore[operator]
        except Exception:  # noqa: BLE001 - any failure only means "ask mpmath"
            return None
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, int):
            try:
                value = float(value)
            except OverflowError:
                return None
        if not isinstance(value, float) or not math.isfinite(value):
            return None
        return value

    def _build_float(self) -> Callable[..., Any] | bool:
        if self._fn is None:
            try:
                value = complex(self._const.evalf(20))  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001
                return False
            if value.imag != 0 or not math.isfinite(value.real):
                return False
            const = value.real
            return lambda *args: const
        try:
            return compile_function(self.leaves, self.expr, "math")
        except Exception:  # noqa: BLE001 - no float version: always ask mpmath
            return False


def _naming_printer(base: type) -> type:
    class NamingPrinter(base):  # type: ignore[misc, valid-type]
        """Prints each leaf symbol as a plain argument name (``z[1]`` is not an identifier)."""

        def __init__(self, names: dict[Symbol, str], settings: dict[str, Any]) -> None:
            super().__init__(settings)
            self._leaf_names = names

        def _print_Symbol(self, expr: Symbol, **kwargs: Any) -> str:
            name = self._leaf_names.get(expr)
            return name if name is not None else super()._print_Symbol(expr, **kwargs)

    return NamingPrinter


_PRINTERS: dict[str, type] = {}


def compile_function(leaves: Sequence[Symbol], expr: sympy.Expr, module: str) -> Callable[..., Any]:
    """``lambdify(leaves, expr, modules=module)``, about three times cheaper to build.

    lambdify renames arguments that are not identifiers (our ``z[1]``) by rebuilding
    the whole expression with dummies; printing each leaf straight as ``_x0``,
    ``_x1``, ... gives the same function without that rebuild.
    """
    if module not in _PRINTERS:
        from sympy.printing.pycode import MpmathPrinter, PythonCodePrinter

        _PRINTERS[module] = _naming_printer(MpmathPrinter if module == "mpmath" else PythonCodePrinter)
    names = {s: f"_x{i}" for i, s in enumerate(leaves)}
    args = [Symbol(n) for n in names.values()]
    settings = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True, "user_functions": {}}
    try:
        printer = _PRINTERS[module](names, settings)
        return sympy.lambdify(args, expr, modules=module, printer=printer, dummify=False)
    except Exception:  # noqa: BLE001 - fall back to SymPy's own renaming
        return sympy.lambdify(list(leaves), expr, modules=module, dummify=True)


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


def to_mpf(value: sympy.Expr, dps: int) -> Value:
    """An exact point value as an mpmath number: a rational exactly divided, else evaluated."""
    if value.is_Rational:
        return mpmath.mpf(int(value.p)) / int(value.q)
    return mpmath.mpf(value.evalf(dps + 10))


def relative_close(a: Any, b: Any, tol: float) -> bool:
    """Equal up to ``tol`` relative to the larger magnitude, with no absolute floor.

    ``1e-30`` and ``2e-30`` are not close; only exactly equal zeros are.
    Floats or mpmath numbers alike.
    """
    return abs(a - b) <= tol * max(abs(a), abs(b))


def float_close(a: float, b: float, tol: float) -> bool:
    """Equal up to ``tol`` relative to the larger magnitude, at least 1 (float screening near 0 only)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def as_number(value: Value) -> float | int:
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


def float_point(point: Sequence[sympy.Expr]) -> list[float] | None:
    """A sample point in Python floats (``None`` when a value has no float)."""
    out = []
    for v in point:
        try:
            out.append(v.p / v.q if v.is_Rational else float(v))
        except (TypeError, ValueError, OverflowError, AttributeError):
            return None
    return out
