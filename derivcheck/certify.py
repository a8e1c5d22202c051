"""Rigorous interval evaluation at exact points: the certificate behind ``invalid``.

A counterexample is believed only when interval arithmetic (mpmath's ``iv``
context, outward rounding) shows, at an exact point, that both sides are defined
there and that their value intervals are disjoint.  Two floating-point precisions
that agree prove nothing (deep cancellation and 0/0 reproduce the same wrong
value at every precision); an interval, by contrast, always contains the true
value, so two disjoint intervals are two different numbers.

Each expression is compiled once into a tree of closures over the SymPy nodes of
a whitelist; anything outside it is evaluated exactly by SymPy when that gives a
rational number, and is otherwise *uncertain*.  Every evaluation has three
outcomes:

* an interval that contains the exact value;
* :class:`Undefined`: the side is certainly not a finite real number at the point
  (a zero denominator, the log of a negative number, a ``Piecewise`` where no
  branch holds: the kink of a derivative of ``Abs``);
* :class:`Uncertain`: this precision cannot decide (a denominator interval that
  straddles 0, a ``Piecewise`` condition that cannot be decided).

Functions that mpmath's ``iv`` context lacks (``atan``, ``sinh``, ``erf``, ...)
are monotone pieces evaluated at the interval's endpoints with 40 guard bits and
widened outward by one unit of the working precision: rigorous as long as
mpmath's point functions are accurate to 2**-40 relative, which they are by a wide
margin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy
from mpmath import iv, mp
from mpmath.libmp import from_int, mpi_div, round_ceiling, round_floor
from sympy import Symbol

#: Precisions (decimal digits) tried in turn before a point is given up.
PRECISIONS = (30, 80, 200, 500)
#: Largest argument magnitude of exp/sinh/cosh evaluated (exp(10**40) has an
#: exponent mpmath can still hold; beyond it the point is uncertain).
MAX_EXP_ARG = 10**40
#: Largest factorial/binomial/gamma argument SymPy may evaluate exactly.
MAX_EXACT_FACTORIAL = 1000

Interval = Any  # an mpmath ivmpf


class Undefined(Exception):
    """The expression is certainly not a finite real number at this point."""


class Uncertain(Exception):
    """Interval arithmetic at this precision cannot decide."""


# -- outcomes -------------------------------------------------------------------------

DIFFER, AGREE, UNDEFINED, UNCERTAIN = "differ", "agree", "undefined", "uncertain"


@dataclass
class Outcome:
    """The comparison of two sides at one exact point.

    ``status``: ``differ`` (both defined, intervals disjoint: certified),
    ``agree`` (intervals overlap at the highest precision tried), ``undefined``
    (a side is certainly undefined there), ``uncertain`` (no precision decided).
    """

    status: str
    left: Interval | None = None
    right: Interval | None = None
    dps: int = 0
    undefined_side: str | None = None

    def midpoints(self) -> tuple[float, float]:
        return _float_mid(self.left), _float_mid(self.right)


def _float_mid(x: Interval | None) -> float:
    if x is None:
        return math.nan
    try:
        return float(mp.make_mpf(x._mpi_[0]) / 2 + mp.make_mpf(x._mpi_[1]) / 2)
    except (OverflowError, ValueError):
        return math.inf if mp.make_mpf(x._mpi_[0]) > 0 else -math.inf


def compare_at(
    left: IntervalProgram,
    right: IntervalProgram,
    point: Sequence[sympy.Expr],
    precisions: Sequence[int] = PRECISIONS,
    share: bool = True,
) -> Outcome:
    """Both sides at ``point``, at each precision in turn, until one decides.

    Disjoint intervals stop at once (``differ``); overlapping ones go on to the
    next precision and are ``agree`` after the last; a certainly undefined side
    stops at once.  The right side reuses the values of the subexpressions it has
    in common with the left one at this point and precision (the same intervals
    it would compute itself): two steps of a derivation share most of their parts.
    ``share=False`` evaluates each side on its own, the outcome sharing must equal.
    """
    last: Outcome = Outcome(UNCERTAIN)
    for dps in precisions:
        with _iv_dps(dps):
            env = left._env(point, dps)
            try:
                a = left._run(env)
            except Undefined:
                return Outcome(UNDEFINED, dps=dps, undefined_side="left")
            except Uncertain:
                a = None
            try:
                b = right._run(right._env_after(left, env, point, dps) if share else right._env(point, dps))
            except Undefined:
                return Outcome(UNDEFINED, dps=dps, undefined_side="right")
            except Uncertain:
                b = None
        if a is None or b is None:
            last = Outcome(UNCERTAIN, a, b, dps)
            continue
        if disjoint(a, b):
            return Outcome(DIFFER, a, b, dps)
        last = Outcome(AGREE, a, b, dps)
    if last.status == AGREE and last.dps != precisions[-1]:
        # a higher precision was uncertain after a lower one overlapped
        return Outcome(UNCERTAIN, last.left, last.right, last.dps)
    return last


def disjoint(a: Interval, b: Interval) -> bool:
    alo, ahi = a._mpi_
    blo, bhi = b._mpi_
    return bool(mp.make_mpf(ahi) < mp.make_mpf(blo) or mp.make_mpf(bhi) < mp.make_mpf(alo))


def quotient(a: Interval, b: Interval, dps: int) -> Interval:
    """An interval holding every x/y for x in ``a``, y in ``b`` (``b`` must exclude 0)."""
    if not disjoint(b, iv.mpf(0)):
        raise Uncertain()
    with _iv_dps(dps):
        return a / b


def decide(op: str, left: IntervalProgram, right: IntervalProgram, point: Sequence[sympy.Expr]) -> bool | None:
    """Whether ``left op right`` holds at ``point`` (None: undefined or undecidable).

    No tolerance: ``!=`` and ``==`` hold only when certified (exactly, or by
    disjoint intervals).
    """
    for dps in PRECISIONS[:3]:
        try:
            a = left.evaluate(point, dps)
            b = right.evaluate(point, dps)
        except Undefined:
            return None
        except Uncertain:
            continue
        result = _relate(op, a, b)
        if result is not None:
            return result
        exact = _exact_difference(left, right, point)
        if exact is not None:
            return _sign_holds(op, exact)
    exact = _exact_difference(left, right, point)
    return _sign_holds(op, exact) if exact is not None else None


def _relate(op: str, a: Interval, b: Interval) -> bool | None:
    alo, ahi = (mp.make_mpf(v) for v in a._mpi_)
    blo, bhi = (mp.make_mpf(v) for v in b._mpi_)
    if op in ("<", "<="):
        if ahi < blo:
            return True
        if alo > bhi:
            return False
        if op == "<=" and ahi <= blo:
            return True
        if op == "<" and alo >= bhi:
            return False
        return None
    if op in (">", ">="):
        flipped = _relate("<" if op == ">" else "<=", b, a)
        return flipped
    if op in ("==", "!="):
        if ahi < blo or bhi < alo:
            return op == "!="
        if alo == ahi == blo == bhi:
            return op == "=="
        return None
    raise ValueError(op)


def _sign_holds(op: str, sign: int) -> bool:
    return {"<": sign < 0, "<=": sign <= 0, ">": sign > 0, ">=": sign >= 0, "==": sign == 0, "!=": sign != 0}[op]


def _exact_difference(left: IntervalProgram, right: IntervalProgram, point: Sequence[sympy.Expr]) -> int | None:
    """The sign of ``left - right`` at ``point`` when SymPy gives a rational number exactly."""
    try:
        a = left.exact(point)
        b = right.exact(point)
    except (Undefined, Uncertain):
        return None
    d = a - b
    return int(bool(d > 0)) - int(bool(d < 0))  # SymPy booleans do not subtract


# -- interval evaluation -----------------------------------------------------------------

_point_cache: dict[tuple[sympy.Expr, int], Interval] = {}


def point_interval(value: sympy.Expr, dps: int) -> Interval:
    """An interval holding the exact number ``value`` (rational, or closed form such as sqrt(2))."""
    rational = value.is_Rational
    key: tuple = (int(value.p), int(value.q), dps) if rational else (value, dps)
    cached = _point_cache.get(key)
    if cached is not None:
        return cached
    if rational:
        out = _rational_interval(key[0], key[1], dps)
    else:
        out = IntervalProgram(value, ()).evaluate((), dps)
    if len(_point_cache) > 20_000:
        _point_cache.clear()
    _point_cache[key] = out
    return out


def _rational_interval(p: int, q: int, dps: int) -> Interval:
    """``iv.mpf(p) / iv.mpf(q)`` at ``dps`` digits, the same interval, built from mpmath's own parts.

    Every sample point's coordinates are new rationals, so this runs for each of
    them at each precision: mpmath's conversions around the same two roundings
    and one interval division cost half the time.
    """
    with _iv_dps(dps):
        prec = iv.prec
        top = (from_int(p, prec, round_floor), from_int(p, prec, round_ceiling))
        if q == 1:
            return iv.make_mpf(top)
        bottom = (from_int(q, prec, round_floor), from_int(q, prec, round_ceiling))
        return iv.make_mpf(mpi_div(top, bottom, prec))


class _iv_dps:
    """Set ``iv.dps`` for a block (mpmath's iv context has no workdps of its own)."""

    def __init__(self, dps: int) -> None:
        self.dps = dps

    def __enter__(self) -> None:
        self.saved = iv.prec
        iv.dps = self.dps

    def __exit__(self, *exc: object) -> None:
        iv.prec = self.saved


class _Env:
    __slots__ = ("cache", "ivals", "point", "subs")

    def __init__(self, ivals: list[Interval], point: Sequence[sympy.Expr], subs: dict[Symbol, sympy.Expr]) -> None:
        self.ivals = ivals
        self.point = point
        self.cache: dict[int, Any] = {}
        self.subs = subs


Node = Callable[[_Env], Any]
_MISSING = object()


class IntervalProgram:
    """One expression (already :func:`numeric.prepare`-d) compiled for interval evaluation."""

    def __init__(self, expr: sympy.Expr, leaves: Sequence[Symbol]) -> None:
        self.expr = expr
        self.leaves = tuple(leaves)
        self._index = {s: i for i, s in enumerate(self.leaves)}
        self._nodes: dict[sympy.Basic, Node] = {}
        #: the cache slot of each subexpression that has one (every node with arguments)
        self._slots: dict[sympy.Basic, int] = {}
        #: per other program (by id, the program kept so that the id stays its own): the
        #: pairs (its slot, this program's slot) of the subexpressions both compute
        self._shared: dict[int, tuple[IntervalProgram, tuple[tuple[int, int], ...]]] = {}
        self._root = self._build(expr)

    # public ---------------------------------------------------------------------------
    def evaluate(self, point: Sequence[sympy.Expr], dps: int) -> Interval:
        """An interval holding the value at ``point``; raises Undefined or Uncertain."""
        with _iv_dps(dps):
            return self._run(self._env(point, dps))

    def _env(self, point: Sequence[sympy.Expr], dps: int) -> _Env:
        ivals = [point_interval(v, dps) for v in point]
        return _Env(ivals, point, dict(zip(self.leaves, point)))

    def _env_after(self, other: IntervalProgram, done: _Env, point: Sequence[sympy.Expr], dps: int) -> _Env:
        """An environment at the point ``other`` was just evaluated at (``done``), same precision.

        It starts with ``other``'s values (and certain failures) of the
        subexpressions both programs compute: at the same point, leaves and
        precision each is the very interval this program would compute, so the
        result is the same, only cheaper.
        """
        if other.leaves != self.leaves or done.point is not point:
            return self._env(point, dps)
        env = _Env(done.ivals, point, done.subs)
        cache = done.cache
        if cache:
            pairs = self._shared_with(other)
            env.cache = {mine: cache[theirs] for theirs, mine in pairs if theirs in cache}
        return env

    def _shared_with(self, other: IntervalProgram) -> tuple[tuple[int, int], ...]:
        found = self._shared.get(id(other))
        if found is not None and found[0] is other:
            return found[1]
        if len(self._shared) >= 16:
            self._shared.clear()
        slots = other._slots
        pairs = tuple((slots[e], mine) for e, mine in self._slots.items() if e in slots)
        self._shared[id(other)] = (other, pairs)
        return pairs

    def _run(self, env: _Env) -> Interval:
        """The value in ``env`` (the caller has set the precision)."""
        try:
            value = self._root(env)
        except (Undefined, Uncertain):
            raise
        except RecursionError:
            raise Uncertain() from None
        except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError, TypeError, MemoryError):
            raise Uncertain() from None
        _check_finite(value)
        return value

    def exact(self, point: Sequence[sympy.Expr]) -> sympy.Rational:
        """The value as an exact rational number by SymPy, when it is one."""
        return _exact_value(self.expr, dict(zip(self.leaves, point)))

    # compilation ------------------------------------------------------------------------
    def _build(self, e: sympy.Basic) -> Node:
        node = self._nodes.get(e)
        if node is not None:
            return node
        raw = self._raw(e)
        if not e.args:
            node = raw
        else:
            slot = len(self._nodes)
            self._slots[e] = slot

            def node(env: _Env, raw: Node = raw, slot: int = slot) -> Any:
                cached = env.cache.get(slot, _MISSING)
                if cached is _MISSING:
                    try:
                        cached = raw(env)
                    except (Undefined, Uncertain) as err:
                        env.cache[slot] = err
                        raise
                    env.cache[slot] = cached
                    return cached
                if isinstance(cached, Exception):
                    raise cached
                return cached

        self._nodes[e] = node
        return node

    def _raw(self, e: sympy.Basic) -> Node:
        if isinstance(e, Symbol):
            i = self._index.get(e)
            if i is None:
                return _raise_uncertain
            return lambda env, i=i: env.ivals[i]
        if e.is_Number:
            if e.is_Rational:
                return lambda env, v=e: point_interval(v, iv.dps)
            if e.is_Float:
                value = mpmath.mpf(e._mpf_) if hasattr(e, "_mpf_") else mpmath.mpf(str(e))
                return lambda env, v=value: iv.mpf(v)
            return _raise_undefined  # zoo, nan, oo
        if e is sympy.pi:
            # iv.pi is a lazy constant, not an interval: unary plus evaluates it at the
            # working precision (an enclosure, as every other node gives)
            return lambda env: +iv.pi
        if e is sympy.E:
            return lambda env: +iv.e
        if e is sympy.S.true:
            return lambda env: True
        if e is sympy.S.false:
            return lambda env: False
        if e is sympy.S.ImaginaryUnit:
            return _raise_undefined
        builder = _BUILDERS.get(type(e).__name__)
        if builder is not None:
            try:
                return builder(self, e)
            except _NotCompiled:
                pass
        return self._fallback(e)

    def _fallback(self, e: sympy.Basic) -> Node:
        """A node outside the whitelist: exact by SymPy when rational, else uncertain."""
        def run(env: _Env) -> Interval:
            return point_interval(_exact_value(e, env.subs), iv.dps)

        return run

    def _sign(self, e: sympy.Basic, env: _Env, x: Interval) -> int:
        """The sign of the value ``x`` of node ``e``: from the interval, else exactly."""
        lo, hi = (mp.make_mpf(v) for v in x._mpi_)
        if lo > 0:
            return 1
        if hi < 0:
            return -1
        if lo == hi == 0:
            return 0
        value = _exact_value(e, env.subs)
        return _sign_of(value)


def _exact_value(e: sympy.Basic, subs: dict[Symbol, sympy.Expr]) -> sympy.Rational:
    """``e`` at the point, exactly; Undefined for a certain 1/0, Uncertain unless rational."""
    for f in e.atoms(sympy.factorial, sympy.binomial, sympy.gamma):
        for arg in f.args:
            v = arg.xreplace(subs)
            if not v.is_number or abs(v) > MAX_EXACT_FACTORIAL:
                raise Uncertain()
    if isinstance(e, sympy.Expr) and any(s not in subs for s in e.free_symbols):
        raise Uncertain()
    try:
        value = e.xreplace(subs)
        if value.has(sympy.Derivative, sympy.Sum, sympy.Product, sympy.Integral):
            value = value.doit()
    except (ZeroDivisionError, ValueError, TypeError, ArithmeticError, RecursionError):
        raise Uncertain() from None
    if value is sympy.S.true or value is sympy.S.false:
        raise Uncertain()
    if value.is_Rational:
        return value
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise Undefined()
    raise Uncertain()


def _sign_of(value: sympy.Rational) -> int:
    """-1, 0 or 1 (SymPy's comparisons give SymPy booleans, which do not subtract)."""
    return 1 if value > 0 else -1 if value < 0 else 0


def _raise_uncertain(env: _Env) -> Any:
    raise Uncertain()


def _raise_undefined(env: _Env) -> Any:
    raise Undefined()


def _ends(x: Interval) -> tuple[Any, Any]:
    return mp.make_mpf(x._mpi_[0]), mp.make_mpf(x._mpi_[1])


def _check_finite(x: Any) -> None:
    if not isinstance(x, iv.mpf):
        raise Uncertain()
    lo, hi = _ends(x)
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        raise Uncertain()


def _is_exact_zero(x: Interval) -> bool:
    lo, hi = _ends(x)
    return lo == 0 and hi == 0


# -- builders ---------------------------------------------------------------------------


def _b_add(p: IntervalProgram, e: sympy.Basic) -> Node:
    kids = [p._build(a) for a in e.args]

    def run(env: _Env) -> Interval:
        total = kids[0](env)
        for k in kids[1:]:
            total = total + k(env)
        return total

    return run


def _b_mul(p: IntervalProgram, e: sympy.Basic) -> Node:
    kids = [p._build(a) for a in e.args]

    def run(env: _Env) -> Interval:
        total = kids[0](env)
        for k in kids[1:]:
            total = total * k(env)
        return total

    return run


def _b_pow(p: IntervalProgram, e: sympy.Basic) -> Node:
    base_e, exp_e = e.args
    base = p._build(base_e)
    exponent = p._build(exp_e)
    if exp_e.is_Integer:
        n = int(exp_e)

        def run_int(env: _Env) -> Interval:
            b = base(env)
            if n < 0 and p._sign(base_e, env, b) == 0:
                raise Undefined()
            if n < 0:
                _check_finite(b)
                lo, hi = _ends(b)
                if lo <= 0 <= hi:
                    raise Uncertain()  # the exact sign was not 0: more precision will tell
            return b**n

        return run_int
    if exp_e.is_Rational:
        q = exp_e

        def run_rat(env: _Env) -> Interval:
            b = base(env)
            s = p._sign(base_e, env, b)
            if s < 0:
                raise Undefined()  # a fractional power of a negative number is not real
            if s == 0:
                if q > 0:
                    return iv.mpf(0)
                raise Undefined()
            lo, _ = _ends(b)
            if lo <= 0:
                raise Uncertain()
            if q == sympy.Rational(1, 2):
                return iv.sqrt(b)
            return iv.exp(iv.log(b) * point_interval(q, iv.dps))

        return run_rat

    def run_gen(env: _Env) -> Interval:
        b = base(env)
        s = p._sign(base_e, env, b)
        if s < 0:
            # a negative base needs an integer exponent to be real
            n = _exact_value(exp_e, env.subs)
            if n.is_Integer:
                if n < 0:
                    _check_finite(b)
                return b ** int(n)
            raise Undefined()
        x = exponent(env)
        if s == 0:
            xs = p._sign(exp_e, env, x)
            if xs > 0:
                return iv.mpf(0)
            raise Undefined()
        lo, _ = _ends(b)
        if lo <= 0:
            raise Uncertain()
        return _exp(iv.log(b) * x)

    return run_gen


def _exp(x: Interval) -> Interval:
    lo, hi = _ends(x)
    if abs(lo) > MAX_EXP_ARG or abs(hi) > MAX_EXP_ARG:
        raise Uncertain()
    return iv.exp(x)


def _unary(p: IntervalProgram, e: sympy.Basic) -> tuple[sympy.Basic, Node]:
    if len(e.args) != 1:
        raise _NotCompiled()
    return e.args[0], p._build(e.args[0])


class _NotCompiled(Exception):
    pass


def _b_exp(p: IntervalProgram, e: sympy.Basic) -> Node:
    _, arg = _unary(p, e)
    return lambda env: _exp(arg(env))


def _positive_arg(p: IntervalProgram, arg_e: sympy.Basic, env: _Env, x: Interval, zero_ok: bool = False) -> None:
    """Undefined when the argument is certainly outside (0, oo) (or [0, oo) when ``zero_ok``)."""
    s = p._sign(arg_e, env, x)
    if s < 0 or (s == 0 and not zero_ok):
        raise Undefined()
    lo, _ = _ends(x)
    if lo < 0 or (lo == 0 and not zero_ok):
        raise Uncertain()


def _b_log(p: IntervalProgram, e: sympy.Basic) -> Node:
    if len(e.args) != 1:
        return p._fallback(e)
    arg_e, arg = _unary(p, e)

    def run(env: _Env) -> Interval:
        x = arg(env)
        _positive_arg(p, arg_e, env, x)
        return iv.log(x)

    return run


def _monotone(f: Callable[[Any], Any], x: Interval, increasing: bool = True) -> Interval:
    """``f`` over ``x`` for a monotone ``f``: endpoints with guard bits, widened outward."""
    prec = iv.prec
    lo, hi = _ends(x)
    with mp.workprec(prec + 40):
        a, b = f(lo), f(hi)
        if not increasing:
            a, b = b, a
        eps = mp.ldexp(1, -prec)
        a = a - abs(a) * eps
        b = b + abs(b) * eps
    if mpmath.isnan(a) or mpmath.isnan(b):
        raise Uncertain()
    return iv.mpf([a, b])


def _b_trig(name: str) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        arg_e, arg = _unary(p, e)
        fn = getattr(iv, name)

        def run(env: _Env) -> Interval:
            x = arg(env)
            lo, hi = _ends(x)
            if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
                raise Uncertain()
            value = fn(x)
            vlo, vhi = _ends(value)
            if not (mpmath.isfinite(vlo) and mpmath.isfinite(vhi)):
                # a pole inside the interval, or at the point itself
                if name in ("tan", "sec"):
                    pole = sympy.cos(arg_e)
                elif name in ("cot", "csc"):
                    pole = sympy.sin(arg_e)
                else:
                    raise Uncertain()
                if _exact_value(pole, env.subs) == 0:
                    raise Undefined()
                raise Uncertain()
            return value

        return run

    return build


def _b_mono(f: Callable[[Any], Any], increasing: bool = True, low: Any = None, high: Any = None,
            low_open: bool = False, high_open: bool = False) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    """A monotone function on [low, high] (open ends as given); outside it, undefined."""

    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        arg_e, arg = _unary(p, e)

        def run(env: _Env) -> Interval:
            x = arg(env)
            lo, hi = _ends(x)
            if low is not None:
                if hi < low or (low_open and hi <= low):
                    raise Undefined()
                if lo < low or (low_open and lo <= low):
                    v = _exact_value(arg_e, env.subs)
                    if v < low or (low_open and v == low):
                        raise Undefined()
                    if v == low:
                        x = point_interval(v, iv.dps)
                    else:
                        raise Uncertain()
            if high is not None:
                lo, hi = _ends(x)
                if lo > high or (high_open and lo >= high):
                    raise Undefined()
                if hi > high or (high_open and hi >= high):
                    v = _exact_value(arg_e, env.subs)
                    if v > high or (high_open and v == high):
                        raise Undefined()
                    if v == high:
                        x = point_interval(v, iv.dps)
                    else:
                        raise Uncertain()
            return _monotone(f, x, increasing)

        return run

    return build


def _b_cosh(p: IntervalProgram, e: sympy.Basic) -> Node:
    _, arg = _unary(p, e)

    def run(env: _Env) -> Interval:
        x = arg(env)
        lo, hi = _ends(x)
        if max(abs(lo), abs(hi)) > MAX_EXP_ARG:
            raise Uncertain()
        if lo >= 0:
            return _monotone(mp.cosh, x, True)
        if hi <= 0:
            return _monotone(mp.cosh, x, False)
        top = _monotone(mp.cosh, iv.mpf([0, max(-lo, hi)]), True)
        return iv.mpf([1, _ends(top)[1]])

    return run


def _guarded(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def g(v: Any) -> Any:
        if abs(v) > MAX_EXP_ARG:
            raise Uncertain()
        return f(v)

    return g


def _b_gamma(p: IntervalProgram, e: sympy.Basic) -> Node:
    arg_e, arg = _unary(p, e)
    turn = mpmath.mpf("1.4616321449683623412626595423257213")

    def run(env: _Env) -> Interval:
        x = arg(env)
        lo, hi = _ends(x)
        if hi > 10**6:
            raise Uncertain()
        if lo > turn + mpmath.mpf("1e-10"):
            return _monotone(mp.gamma, x, True)
        if lo > 0 and hi < turn - mpmath.mpf("1e-10"):
            return _monotone(mp.gamma, x, False)
        return point_interval(_exact_value(e, env.subs), iv.dps)

    return run


def _b_polygamma(p: IntervalProgram, e: sympy.Basic) -> Node:
    """polygamma(n, x) for an integer n >= 0 and x > 0, where it is monotone in x.

    (It appears in derivatives of gamma.)  psi(0, x) increases on (0, oo); for
    n >= 1, psi(n, x) = (-1)**(n+1) n! sum 1/(x+k)**(n+1) is monotone in x, its
    magnitude decreasing: decreasing for odd n, increasing for even n.
    """
    order_e, arg_e = e.args
    if not (order_e.is_Integer and order_e >= 0):
        return p._fallback(e)
    n = int(order_e)
    arg = p._build(arg_e)

    def run(env: _Env) -> Interval:
        x = arg(env)
        lo, hi = _ends(x)
        if lo <= 0 or hi > 10**12:
            return point_interval(_exact_value(e, env.subs), iv.dps)
        return _monotone(lambda v: mp.polygamma(n, v), x, n == 0 or n % 2 == 0)

    return run


def _b_abs(p: IntervalProgram, e: sympy.Basic) -> Node:
    _, arg = _unary(p, e)

    def run(env: _Env) -> Interval:
        x = arg(env)
        lo, hi = _ends(x)
        if lo >= 0:
            return x
        if hi <= 0:
            return -x
        return iv.mpf([0, max(-lo, hi)])

    return run


def _b_sign(p: IntervalProgram, e: sympy.Basic) -> Node:
    arg_e, arg = _unary(p, e)
    return lambda env: iv.mpf(p._sign(arg_e, env, arg(env)))


def _b_heaviside(p: IntervalProgram, e: sympy.Basic) -> Node:
    arg_e = e.args[0]
    arg = p._build(arg_e)
    at_zero = p._build(e.args[1]) if len(e.args) > 1 else (lambda env: point_interval(sympy.Rational(1, 2), iv.dps))

    def run(env: _Env) -> Interval:
        s = p._sign(arg_e, env, arg(env))
        return iv.mpf(0) if s < 0 else iv.mpf(1) if s > 0 else at_zero(env)

    return run


def _b_dirac(p: IntervalProgram, e: sympy.Basic) -> Node:
    if len(e.args) != 1:
        return p._fallback(e)
    arg_e, arg = _unary(p, e)

    def run(env: _Env) -> Interval:
        if p._sign(arg_e, env, arg(env)) == 0:
            raise Undefined()
        return iv.mpf(0)

    return run


def _b_minmax(take_max: bool) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        kids = [p._build(a) for a in e.args]

        def run(env: _Env) -> Interval:
            ends = [_ends(k(env)) for k in kids]
            if take_max:
                return iv.mpf([max(a for a, _ in ends), max(b for _, b in ends)])
            return iv.mpf([min(a for a, _ in ends), min(b for _, b in ends)])

        return run

    return build


def _b_round(up: bool) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        arg_e, arg = _unary(p, e)
        f = mp.ceil if up else mp.floor

        def run(env: _Env) -> Interval:
            lo, hi = _ends(arg(env))
            if f(lo) == f(hi):
                return point_interval(sympy.Integer(int(f(lo))), iv.dps)
            return point_interval(_exact_value(e, env.subs), iv.dps)

        return run

    return build


def _b_re(p: IntervalProgram, e: sympy.Basic) -> Node:
    _, arg = _unary(p, e)
    return arg  # every leaf is real: so is every defined value


def _b_im(p: IntervalProgram, e: sympy.Basic) -> Node:
    _, arg = _unary(p, e)

    def run(env: _Env) -> Interval:
        arg(env)  # still undefined where the argument is
        return iv.mpf(0)

    return run


# relations and logic: nodes return True / False, or raise


def _b_relational(op: str) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        lhs_e, rhs_e = e.args
        lhs, rhs = p._build(lhs_e), p._build(rhs_e)
        diff_e = lhs_e - rhs_e

        def run(env: _Env) -> bool:
            a, b = lhs(env), rhs(env)
            result = _relate(op, a, b)
            if result is not None:
                return result
            value = _exact_value(diff_e, env.subs)
            return _sign_holds(op, _sign_of(value))

        return run

    return build


def _b_junction(decisive: bool) -> Callable[[IntervalProgram, sympy.Basic], Node]:
    """``And`` (``decisive=False``) or ``Or`` (``True``): one certain decisive kid decides,
    even beside uncertain ones; otherwise any uncertain kid makes the whole uncertain."""

    def build(p: IntervalProgram, e: sympy.Basic) -> Node:
        kids = [p._build(a) for a in e.args]

        def run(env: _Env) -> bool:
            unknown = False
            for k in kids:
                try:
                    if bool(k(env)) == decisive:
                        return decisive
                except Uncertain:
                    unknown = True
            if unknown:
                raise Uncertain()
            return not decisive

        return run

    return build


_b_and, _b_or = _b_junction(False), _b_junction(True)


def _b_not(p: IntervalProgram, e: sympy.Basic) -> Node:
    kid = p._build(e.args[0])
    return lambda env: not kid(env)


def _b_piecewise(p: IntervalProgram, e: sympy.Basic) -> Node:
    pieces = [(p._build(expr), p._build(cond)) for expr, cond in e.args]

    def run(env: _Env) -> Interval:
        for value, cond in pieces:
            if cond(env) is True:
                return value(env)
        raise Undefined()  # no branch holds: the kink of a derivative

    return run


def _b_kronecker(p: IntervalProgram, e: sympy.Basic) -> Node:
    a_e, b_e = e.args[:2]
    eq = _b_relational("==")(p, sympy.Eq(a_e, b_e, evaluate=False))
    return lambda env: iv.mpf(1) if eq(env) else iv.mpf(0)


def _atanh(v: Any) -> Any:
    return mp.atanh(v)


_BUILDERS: dict[str, Callable[[IntervalProgram, sympy.Basic], Node]] = {
    "Add": _b_add,
    "Mul": _b_mul,
    "Pow": _b_pow,
    "exp": _b_exp,
    "log": _b_log,
    "sin": _b_trig("sin"),
    "cos": _b_trig("cos"),
    "tan": _b_trig("tan"),
    "cot": _b_trig("cot"),
    "sec": _b_trig("sec"),
    "csc": _b_trig("csc"),
    "asin": _b_mono(mp.asin, True, -1, 1),
    "acos": _b_mono(mp.acos, False, -1, 1),
    "atan": _b_mono(mp.atan, True),
    "sinh": _b_mono(_guarded(mp.sinh), True),
    "cosh": _b_cosh,
    "tanh": _b_mono(mp.tanh, True),
    "asinh": _b_mono(mp.asinh, True),
    "acosh": _b_mono(mp.acosh, True, 1, None),
    "atanh": _b_mono(_atanh, True, -1, 1, True, True),
    "erf": _b_mono(mp.erf, True),
    "gamma": _b_gamma,
    "polygamma": _b_polygamma,
    "Abs": _b_abs,
    "sign": _b_sign,
    "Heaviside": _b_heaviside,
    "DiracDelta": _b_dirac,
    "Max": _b_minmax(True),
    "Min": _b_minmax(False),
    "floor": _b_round(False),
    "ceiling": _b_round(True),
    "re": _b_re,
    "im": _b_im,
    "StrictLessThan": _b_relational("<"),
    "LessThan": _b_relational("<="),
    "StrictGreaterThan": _b_relational(">"),
    "GreaterThan": _b_relational(">="),
    "Equality": _b_relational("=="),
    "Unequality": _b_relational("!="),
    "And": _b_and,
    "Or": _b_or,
    "Not": _b_not,
    "Piecewise": _b_piecewise,
    "KroneckerDelta": _b_kronecker,
}
