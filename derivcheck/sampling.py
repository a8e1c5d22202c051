"""Sample points that reach far (SPEC §6): where the engine looks for counterexamples.

A pair that differs only at x > 400, only below 1e-20, only for n beyond 6, or
only on one side of the kink of ``Max(g, 7.5)`` must still be caught, whatever
the seed.  A :class:`Plan` therefore draws, for one transition at one instance:

* *ordinary* points (values around 0.001-12, small integers, which most
  derivations need and which give readable counterexamples);
* every combination of finite-set values when there are at most 64 (more:
  cycled so that every value appears);
* special values 0, 1, -1;
* points just below, at and just above every *threshold*, and far on each side:
  the constants inside ``Max``, ``Min``, ``Abs``, ``Heaviside``, ``sign``,
  ``floor``, ``ceiling``, ``Piecewise`` conditions and the bounds of ``given``
  inequalities; a kink in several symbols (``Max(0, 1 - t*w*x)``) is reached by
  solving for one of them at an ordinary point;
* *wide* points: magnitudes from 1e-30 to 1e30, both signs, integers up to 1e9.

Single-symbol inequalities (``x > 500``, ``0 < x``) are intersected with the
declared domain first, so points are drawn inside the region rather than found
by rejection; an empty intersection is reported as such.  Every value is an
exact rational (or an exact finite-set value such as ``sqrt(2)``).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from fractions import Fraction

import sympy
from sympy import Symbol, oo

from .domains import Domain

#: Points with wide magnitudes per instance.
WIDE_POINTS = 8
#: Most combinations of finite-set values enumerated in full.
MAX_COMBINATIONS = 64
#: Most kink expressions in several symbols that get targeted points.
MAX_TARGETED = 6
#: Largest value drawn for a symbol that bounds a Sum or Product (each term is evaluated).
MAX_BOUND_VALUE = 40
SPECIAL_VALUES = (0, 1, -1)


class EmptyRegion(ValueError):
    """The declared domain and the single-symbol conditions leave no value."""

    def __init__(self, leaf: Symbol, conditions: list[str]) -> None:
        super().__init__(f"no value of {leaf} satisfies {' and '.join(conditions)}")
        self.leaf = leaf
        self.conditions = conditions


@dataclass(frozen=True)
class Range:
    """Where one leaf is drawn: its domain narrowed by single-symbol conditions."""

    integer: bool = False
    lo: sympy.Expr = -oo
    hi: sympy.Expr = oo
    lo_open: bool = True
    hi_open: bool = True
    values: tuple[sympy.Expr, ...] | None = None  # a finite set
    small: bool = False  # bounds a Sum/Product: keep values small

    @staticmethod
    def of(domain: Domain) -> Range:
        if domain.kind == "set":
            return Range(values=tuple(domain.values))
        if domain.kind == "integer":
            return Range(integer=True)
        lo, hi, lo_open, hi_open = domain.bounds()
        return Range(domain.kind.endswith("integer"), lo, hi, lo_open, hi_open)

    @cached_property
    def fractions(self) -> tuple[Fraction | None, Fraction | None, bool]:
        """The bounds as Fractions (None: infinite), and whether they are exact (computed once)."""
        exact = all(b.is_Rational or not b.is_finite for b in (self.lo, self.hi))
        return _fraction(self.lo), _fraction(self.hi), exact

    def narrowed(self, op: str, bound: sympy.Expr) -> Range:
        """This range intersected with ``leaf op bound``."""
        if self.values is not None:
            kept = tuple(v for v in self.values if _holds(v, op, bound))
            return replace(self, values=kept)
        if op in (">", ">="):
            if bound > self.lo or (bound == self.lo and op == ">"):
                return replace(self, lo=bound, lo_open=op == ">")
            return self
        if op in ("<", "<="):
            if bound < self.hi or (bound == self.hi and op == "<"):
                return replace(self, hi=bound, hi_open=op == "<")
            return self
        return self

    def is_empty(self) -> bool:
        if self.values is not None:
            return not self.values
        lo, hi = self.int_bounds() if self.integer else (self.lo, self.hi)
        if not (lo.is_finite and hi.is_finite):
            return False
        if self.integer:
            return bool(lo > hi)
        return bool(lo > hi or (lo == hi and (self.lo_open or self.hi_open)))

    def int_bounds(self) -> tuple[sympy.Expr, sympy.Expr]:
        lo, hi = self.lo, self.hi
        if lo.is_finite:
            c = sympy.ceiling(lo)
            lo = c + 1 if (self.lo_open and c == lo) else c
        if hi.is_finite:
            f = sympy.floor(hi)
            hi = f - 1 if (self.hi_open and f == hi) else f
        return lo, hi

    def contains(self, v: sympy.Expr) -> bool:
        if self.values is not None:
            return any(v == w for w in self.values)
        if self.integer and not v.is_integer:
            return False
        if self.lo.is_finite and not (v > self.lo if self.lo_open else v >= self.lo):
            return False
        if self.hi.is_finite and not (v < self.hi if self.hi_open else v <= self.hi):
            return False
        return True


def _holds(v: sympy.Expr, op: str, bound: sympy.Expr) -> bool:
    return bool({"<": v < bound, "<=": v <= bound, ">": v > bound, ">=": v >= bound}.get(op, True))


# -- drawing one value ---------------------------------------------------------------------


def ordinary_magnitude(rng: random.Random) -> Fraction:
    """A positive value most derivations are about: (0, 12], mostly below 4."""
    r = rng.random()
    if r < 0.6:
        return Fraction(rng.randint(1, 4000), 1000)
    if r < 0.85:
        return Fraction(rng.randint(1, 999), 1000)
    return Fraction(rng.randint(4000, 12000), 1000)


def wide_magnitude(rng: random.Random, stratum: int | None = None) -> Fraction:
    """A positive value anywhere from 1e-30 to 1e30 (log-uniform exponent).

    ``stratum`` (0 to WIDE_POINTS - 1) picks one of equal bands of exponents, so
    that the wide points of a plan cover every band whatever the seed.
    """
    mantissa = Fraction(rng.randint(1000, 9999), 1000)
    if stratum is None:
        return mantissa * Fraction(10) ** rng.randint(-30, 30)
    bands = WIDE_POINTS // 2  # each band once with each sign (see _positive)
    width = 60 // bands
    low = -30 + ((stratum % WIDE_POINTS) // 2) * width
    return mantissa * Fraction(10) ** rng.randint(low, low + width - 1)


def integer_magnitude(rng: random.Random, wide: bool, stratum: int | None = None) -> int:
    """A nonnegative integer: mostly small, sometimes tens or thousands; wide: up to 1e9."""
    if wide:
        k = rng.randint(2, 8) if stratum is None else 2 + (stratum % WIDE_POINTS) * 7 // WIDE_POINTS
        return rng.randint(10**k, 10 ** (k + 1))
    r = rng.random()
    if r < 0.7:
        return rng.randint(0, 6)
    if r < 0.9:
        return rng.randint(7, 99)
    return rng.randint(100, 9999)


def _fraction(bound: sympy.Expr) -> Fraction | None:
    if not bound.is_finite:
        return None
    if bound.is_Rational:
        return Fraction(int(bound.p), int(bound.q))
    return Fraction(float(bound)).limit_denominator(10**12)


def draw(r: Range, rng: random.Random, wide: bool = False, stratum: int | None = None) -> sympy.Expr:
    """One exact value of ``r``; ``wide`` reaches magnitudes across many orders.

    ``stratum``: for wide draws, the band of magnitudes and the sign (even
    strata positive, odd negative, where the range allows both).
    """
    if r.values is not None:
        return rng.choice(r.values)
    if r.integer:
        return sympy.Integer(_draw_int(r, rng, wide, stratum))
    lo, hi, exact = r.fractions
    for _ in range(50):
        f = _draw_real(rng, lo, hi, wide, stratum)
        if r.small and f > MAX_BOUND_VALUE:
            f = Fraction(rng.randint(1, MAX_BOUND_VALUE))
        value = sympy.Rational(f.numerator, f.denominator)
        if exact and _inside(f, lo, hi, r.lo_open, r.hi_open):
            return value
        if not exact and r.contains(value):
            return value
    return _midpoint(r)


def _draw_int(r: Range, rng: random.Random, wide: bool, stratum: int | None = None) -> int:
    lo, hi = r.int_bounds()
    ilo = int(lo) if lo.is_finite else None
    ihi = int(hi) if hi.is_finite else None
    if r.small:
        wide = False
        if ihi is None or ihi > (ilo or 0) + MAX_BOUND_VALUE:
            ihi = (ilo if ilo is not None else 0) + MAX_BOUND_VALUE
    if ilo is not None and ihi is not None:
        if wide and ihi - ilo > 20:
            m = integer_magnitude(rng, False)
            return min(ilo + m, ihi) if rng.random() < 0.5 else max(ihi - m, ilo)
        if ihi - ilo > 200 and not wide and rng.random() < 0.6:
            return min(ilo + integer_magnitude(rng, False), ihi)
        return rng.randint(ilo, ihi)
    m = integer_magnitude(rng, wide, stratum)
    if ilo is not None:
        return ilo + m
    if ihi is not None:
        return ihi - m
    return m if _positive(rng, stratum) else -m


def _positive(rng: random.Random, stratum: int | None) -> bool:
    return rng.random() < 0.5 if stratum is None else stratum % 2 == 0


def _draw_real(
    rng: random.Random, lo: Fraction | None, hi: Fraction | None, wide: bool, stratum: int | None = None
) -> Fraction:
    if lo is not None and hi is not None:
        width = hi - lo
        if wide:
            # close to an end: 10**-1 to 10**-30 of the width away from it
            k = rng.randint(1, 30) if stratum is None else 1 + (stratum * 4 + rng.randint(0, 3)) % 30
            near = width * Fraction(rng.randint(1, 9), 10) * Fraction(10) ** -k
            return lo + near if _positive(rng, stratum) else hi - near
        return lo + width * Fraction(rng.randint(1, 9999), 10000)
    mag = wide_magnitude(rng, stratum) if wide else ordinary_magnitude(rng)
    if lo is not None:
        return lo + mag
    if hi is not None:
        return hi - mag
    return mag if _positive(rng, stratum) else -mag


def _inside(v: Fraction, lo: Fraction | None, hi: Fraction | None, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and not (v > lo if lo_open else v >= lo):
        return False
    if hi is not None and not (v < hi if hi_open else v <= hi):
        return False
    return True


def _midpoint(r: Range) -> sympy.Expr:
    lo, hi = r.lo, r.hi
    if lo.is_finite and hi.is_finite:
        return (lo + hi) / 2
    if lo.is_finite:
        return lo + 1
    if hi.is_finite:
        return hi - 1
    return sympy.Integer(0)


# -- thresholds ------------------------------------------------------------------------------

_KINK_FUNCTIONS = (sympy.Abs, sympy.Heaviside, sympy.sign, sympy.floor, sympy.ceiling, sympy.DiracDelta)


def kink_expressions(expr: sympy.Basic) -> list[sympy.Expr]:
    """Expressions whose zeros are kinks, branch points or singular points of ``expr``.

    Sampling at a singular point (x = 2 in ``(x**3 - 8)/(x - 2)``) is what shows
    that two steps are defined on different points.
    """
    out: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _KINK_FUNCTIONS):
            out.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)):
            args = node.args[:6]
            out.extend(a - b for a, b in itertools.combinations(args, 2))
        elif isinstance(node, sympy.core.relational.Relational):
            out.append(node.lhs - node.rhs)
        elif isinstance(node, sympy.Pow) and node.exp.is_number and (node.exp.is_negative or not node.exp.is_integer):
            out.append(node.base)  # a zero denominator, or the edge of a root's domain
        elif isinstance(node, sympy.log):
            out.append(node.args[0])
        if len(out) > 60:
            break
    return [d for d in dict.fromkeys(out) if d.free_symbols and sympy.count_ops(d) <= 60]


def _linear_root(d: sympy.Expr, s: Symbol) -> sympy.Expr | None:
    """The root of ``d`` in ``s`` when ``d`` is linear in ``s`` with constant coefficients."""
    try:
        c = d.diff(s)
    except Exception:  # noqa: BLE001
        return None
    if c.free_symbols or c == 0 or not c.is_number:
        return None
    root = sympy.expand(s - d / c)
    return root if not root.free_symbols and root.is_real else None


def _roots(d: sympy.Expr, s: Symbol) -> list[sympy.Expr]:
    root = _linear_root(d, s)
    if root is not None:
        return [root]
    try:
        if d.is_polynomial(s):
            poly = sympy.Poly(d, s)
            if poly.degree() == 2 and all(c.is_Rational for c in poly.all_coeffs()):
                return [r for r in sympy.roots(poly, filter="R")]
    except Exception:  # noqa: BLE001 - a threshold we cannot find is only a missed hint
        return []
    return []


def threshold_values(root: sympy.Expr, r: Range) -> list[sympy.Expr]:
    """Values just below, at and just above ``root``, and far on each side, inside ``r``."""
    if r.values is not None:
        return []
    approx = _fraction(root)
    if approx is None:
        return []
    scale = max(abs(approx), Fraction(1))
    out: list[sympy.Expr] = []
    if r.integer:
        base = math.floor(approx)
        cands = [base - 10, base - 1, base, base + 1, base + 2, base + 11]
        if r.small:
            cands = [c for c in cands if c >= 0]
        out = [sympy.Integer(c) for c in cands]
    else:
        at = root if (root.is_Rational or len(str(root)) < 40) else sympy.Rational(approx.numerator, approx.denominator)
        out.append(at)
        for delta in (scale * Fraction(1, 10**6), scale * Fraction(1, 100), scale * 10):
            for sign in (-1, 1):
                v = approx + sign * delta
                out.append(sympy.Rational(v.numerator, v.denominator))
    return [v for v in dict.fromkeys(out) if r.contains(v)]


# -- the plan ----------------------------------------------------------------------------------


Filter = tuple[str, sympy.Expr, sympy.Expr]


class Plan:
    """Every point worth trying for one transition at one instance."""

    def __init__(
        self,
        leaves: Sequence[Symbol],
        domains: Sequence[Domain],
        exprs: Sequence[sympy.Expr],
        filters: Sequence[Filter] = (),
        filter_texts: Sequence[str] = (),
    ) -> None:
        self.leaves = tuple(leaves)
        index = {s: i for i, s in enumerate(self.leaves)}
        ranges = [Range.of(d) for d in domains]
        bounding: set[Symbol] = set()
        for e in exprs:
            for big in e.atoms(sympy.Sum, sympy.Product):
                for limit in big.limits:
                    for bound in limit[1:]:
                        bounding |= bound.free_symbols
        ranges = [replace(r, small=True) if s in bounding else r for s, r in zip(self.leaves, ranges)]
        kinks: list[sympy.Expr] = []
        used: dict[int, list[str]] = {}
        for (op, fl, fr), text in itertools.zip_longest(filters, filter_texts, fillvalue=""):
            d = fl - fr
            kinks.append(d)
            free = d.free_symbols
            if len(free) != 1 or op in ("==", "!="):
                continue
            (s,) = free
            root = _linear_root(d, s)
            if root is None or s not in index:
                continue
            c = d.diff(s)
            op_s = op if c > 0 else {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            i = index[s]
            ranges[i] = ranges[i].narrowed(op_s, root)
            used.setdefault(i, []).append(text or f"{fl} {op} {fr}")
        for i, r in enumerate(ranges):
            if r.is_empty():
                raise EmptyRegion(self.leaves[i], used.get(i, []))
        self.ranges = ranges
        for e in exprs:
            kinks.extend(kink_expressions(e))
        kinks = list(dict.fromkeys(kinks))
        self.thresholds: list[tuple[int, sympy.Expr]] = []
        self.targeted: list[sympy.Expr] = []
        roots: dict[int, list[Fraction]] = {}
        for d in kinks:
            free = [s for s in d.free_symbols if s in index]
            if len(free) == 1:
                i = index[free[0]]
                for root in _roots(d, free[0]):
                    for v in threshold_values(root, ranges[i]):
                        self.thresholds.append((i, v))
                    approx = _fraction(root) if root.is_finite else None
                    if approx is not None:
                        roots.setdefault(i, []).append(approx)
            elif len(free) > 1 and len(self.targeted) < MAX_TARGETED:
                self.targeted.append(d)
        # between two thresholds, however close (the only witnesses of a narrow bump)
        for i, found in roots.items():
            ordered = sorted(set(found))
            for lo, hi in zip(ordered, ordered[1:]):
                mid = (lo + hi) / 2
                v = sympy.Rational(mid.numerator, mid.denominator)
                if ranges[i].contains(v):
                    self.thresholds.append((i, v))
        self.thresholds = list(dict.fromkeys(self.thresholds))
        finite = [i for i, r in enumerate(ranges) if r.values is not None]
        self.finite = finite
        options = [ranges[i].values or () for i in finite]
        total = math.prod(len(o) for o in options) if finite else 1
        if finite and total <= MAX_COMBINATIONS:
            self.combos: list[tuple[sympy.Expr, ...]] = list(itertools.product(*options))
        elif finite:
            longest = max(len(o) for o in options)
            self.combos = [tuple(o[(k * (j + 1)) % len(o)] for j, o in enumerate(options)) for k in range(longest)]
        else:
            self.combos = [()]

    # --------------------------------------------------------------------------------------
    def ordinary(
        self, rng: random.Random, k: int, wide: Callable[[int], bool] = lambda i: False, stratum: int | None = None
    ) -> list[sympy.Expr]:
        """An ordinary point whose finite-set values are the ``k``-th combination.

        ``wide(i)``: leaf ``i`` is drawn wide instead, in band ``stratum``.
        """
        point = [draw(r, rng, True, stratum) if wide(i) else draw(r, rng) for i, r in enumerate(self.ranges)]
        for i, v in zip(self.finite, self.combos[k % len(self.combos)]):
            point[i] = v
        return point

    def points(
        self, rng: random.Random, wanted: int, enough: Callable[[], bool], instance: int = 0
    ) -> Iterator[list[sympy.Expr]]:
        """Ordinary points until ``enough()`` (and every combination), then the reaching ones.

        ``instance``: the number of the index instance; the first gets every band of
        wide magnitudes, later ones half of them in turn (the transition as a whole
        still covers every band, at less cost when there are many instances).
        """
        if not self.leaves:
            yield []
            return
        n = len(self.combos)
        k = 0
        first: list[sympy.Expr] | None = None
        while k < max(wanted * 6, n):
            if k >= n and enough():
                break
            p = self.ordinary(rng, k)
            if first is None:
                first = p
            yield p
            k += 1
        base = first or self.ordinary(rng, 0)
        for i, r in enumerate(self.ranges):
            if r.values is not None:
                continue
            for value in SPECIAL_VALUES:
                v = sympy.Integer(value)
                if base[i] != v and r.contains(v):
                    p = list(base)
                    p[i] = v
                    yield p
        for j, (i, v) in enumerate(self.thresholds):
            p = self.ordinary(rng, k + j)
            p[i] = v
            yield p
        k += len(self.thresholds)
        yield from self._targeted(rng, k)
        # every band of magnitudes, both signs: all leaves wide, then one leaf at a time
        strata = range(WIDE_POINTS) if instance == 0 else [
            (instance * (WIDE_POINTS // 2) + j) % WIDE_POINTS for j in range(WIDE_POINTS // 2)
        ]
        for j in strata:
            yield self.ordinary(rng, k + j, lambda i: True, j)
        if len(self.leaves) > 1:
            # one leaf far out, the others ordinary: the tiny and the huge bands, both signs
            for j in (0, 1, WIDE_POINTS - 2, WIDE_POINTS - 1):
                one = (j + rng.randrange(len(self.leaves))) % len(self.leaves)
                yield self.ordinary(rng, k + j, lambda i, one=one: i == one, j)

    def _targeted(self, rng: random.Random, k: int) -> Iterator[list[sympy.Expr]]:
        """Points on and beside a kink in several symbols, solving for one of them."""
        index = {s: i for i, s in enumerate(self.leaves)}
        for j, d in enumerate(self.targeted):
            symbols = sorted((s for s in d.free_symbols if s in index), key=lambda s: s.name)
            for s in symbols[:1] + symbols[-1:] if len(symbols) > 1 else symbols:
                i = index[s]
                if self.ranges[i].values is not None:
                    continue
                base = self.ordinary(rng, k + j)
                subs = {t: base[index[t]] for t in symbols if t != s}
                try:
                    coeff = d.diff(s).xreplace(subs)
                    if coeff.free_symbols or coeff == 0:
                        continue
                    root = sympy.expand(s - d.xreplace(subs) / coeff)
                except Exception:  # noqa: BLE001 - only a missed hint
                    continue
                if root.free_symbols or not root.is_Rational:
                    continue
                for v in threshold_values(root, self.ranges[i])[:5]:
                    p = list(base)
                    p[i] = v
                    yield p


def domain_sampler(domain: Domain) -> Callable[[random.Random], sympy.Expr]:
    """Draws for one domain alone (mostly ordinary, one in eight wide)."""
    r = Range.of(domain)

    def sample(rng: random.Random) -> sympy.Expr:
        return draw(r, rng, rng.random() < 0.125)

    return sample
