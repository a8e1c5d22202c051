"""Verdicts (SPEC §6): is each step equal to the one before it?

For every transition the engine instantiates both steps (§5), then

1. looks for a counterexample at sampled points of the declared domains, each
   candidate re-checked at two higher precisions before it is believed;
2. tries a symbolic proof, cheapest canonical forms first, ``simplify`` last,
   splitting finite-set symbols into their values.

Both run under the transition's time budget.  ``invalid`` needs a verified
counterexample, ``proved`` a proof; equal at every sampled point but unproved is
``tested``; and nothing decided in time is ``timeout``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import sympy
from sympy import Symbol

from . import limits
from .budget import Budget, Timeout
from .context import Condition, Context, ContextError, Resolver, substitutions
from .domains import Domain
from .numeric import Compiled, as_number, close, float_close
from .proof import _ATTEMPTS, prove_equal
from .results import (
    INVALID,
    PROVED,
    TESTED,
    TIMEOUT,
    Counterexample,
    Note,
)

SCREEN_DPS, CHECK_DPS, CONFIRM_DPS = 30, 80, 150
SCREEN_TOL, CHECK_TOL = 1e-18, 1e-45
SPECIAL_VALUES = (0, 1, -1)
#: Python floats that differ by more than this (relative) make a candidate
#: counterexample, which is then re-checked at CHECK_DPS and CONFIRM_DPS digits.
FLOAT_TOL = 1e-9
#: Share of a transition's remaining budget the symbolic proof may use; the rest
#: is kept for the precise re-check that an unproved transition needs.
PROOF_SHARE = 0.8


class SideError(Exception):
    """One side of a comparison could not be evaluated."""

    def __init__(self, side: str, message: str) -> None:
        super().__init__(message)
        self.side = side
        self.message = message


@dataclass
class Verdict:
    """The outcome of comparing two expressions over every instance."""

    status: str
    message: str
    points: int = 0
    counterexample: Counterexample | None = None
    notes: list[Note] = field(default_factory=list)
    instance: dict[Symbol, sympy.Integer] | None = None
    left: sympy.Expr | None = None
    right: sympy.Expr | None = None


@dataclass
class Transition:
    """What diagnoses need to know about a checked transition."""

    previous: sympy.Expr
    current: sympy.Expr
    conditions: list[Condition]
    verdict: Verdict
    previous_text: str
    current_text: str


class Engine:
    """Compares expressions of one context; caches expansions across transitions."""

    def __init__(self, ctx: Context, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT) -> None:
        self.ctx = ctx
        self.seed = seed
        self.timeout = timeout
        self._resolvers: dict[frozenset, Resolver] = {}
        self._concrete: dict[tuple[sympy.Expr, frozenset], sympy.Expr] = {}
        self._compiled: dict[tuple[sympy.Expr, tuple[Symbol, ...]], Compiled] = {}
        self._special_values: dict[Domain, tuple[sympy.Integer, ...]] = {}

    # -- expansion ---------------------------------------------------------------------
    def resolver(self, instance: dict[Symbol, sympy.Integer]) -> Resolver:
        key = frozenset(instance.items())
        if key not in self._resolvers:
            self._resolvers[key] = self.ctx.resolver(instance)
        return self._resolvers[key]

    def concrete(self, expr: sympy.Expr, instance: dict[Symbol, sympy.Integer]) -> sympy.Expr:
        """``expr`` expanded at one instance (cached: consecutive transitions share a step)."""
        key = (expr, frozenset(instance.items()))
        if key not in self._concrete:
            self._concrete[key] = self.resolver(instance).full(expr)
        return self._concrete[key]

    def compiled(self, expr: sympy.Expr, leaves: tuple[Symbol, ...]) -> Compiled:
        key = (expr, leaves)
        if key not in self._compiled:
            self._compiled[key] = Compiled(expr, leaves)
        return self._compiled[key]

    # -- comparison --------------------------------------------------------------------
    def compare(
        self,
        left: sympy.Expr,
        right: sympy.Expr,
        conditions: Sequence[Condition] = (),
        label: str = "",
        prove: bool = True,
        budget: Budget | None = None,
    ) -> Verdict:
        """Compare two parsed expressions under conditions, within the time budget."""
        budget = budget or Budget(self.timeout)
        checked: list[tuple[dict, sympy.Expr, sympy.Expr]] = []
        pending: list[tuple[dict, sympy.Expr, sympy.Expr, Callable[[], Counterexample | None]]] = []
        points = 0
        notes: list[Note] = []
        try:
            with budget.enforce():
                instances = self.ctx.instances([left, right], conditions)
                if not instances:
                    return Verdict(PROVED, "no index combination satisfies the conditions", 0)
                for n, inst in enumerate(instances):
                    a, b, filters = self.sides(left, right, conditions, inst)
                    rng = random.Random(f"{self.seed}|{label}|{n}")
                    # the 30-digit re-check of float-agreeing points waits until a proof fails
                    defined, cex, note, precise = self.screen(a, b, filters, rng, inst)
                    pending.append((inst, a, b, precise))
                    points += defined
                    if note and not notes:
                        notes.append(note)
                    if cex is not None:
                        return Verdict(
                            INVALID,
                            "not equal to the previous step " + cex.describe(),
                            points,
                            cex,
                            notes,
                            inst,
                            a,
                            b,
                        )
                    checked.append((inst, a, b))
        except Timeout:
            return Verdict(TIMEOUT, f"no proof or counterexample within {self.timeout:g} s", points, notes=notes)
        sizes = self.size_phrase([inst for inst, _, _ in checked])
        if prove:
            try:
                with budget.enforce(PROOF_SHARE):
                    order = list(range(len(_ATTEMPTS)))
                    for inst, a, b in checked:
                        if not prove_equal(a, b, self.ctx, budget, order):
                            break
                    else:
                        return Verdict(PROVED, "shown equal symbolically" + sizes, points, notes=notes)
            except Timeout:
                pass
        # No proof: the floats agreed at the sampled points, but before calling the
        # pair equal, check those points at SCREEN_DPS digits as well.
        try:
            with budget.enforce():
                for inst, a, b, precise in pending:
                    cex = precise()
                    if cex is not None:
                        return Verdict(
                            INVALID, "not equal to the previous step " + cex.describe(), points, cex, notes, inst, a, b
                        )
        except Timeout:
            return Verdict(TIMEOUT, f"no proof or counterexample within {self.timeout:g} s", points, notes=notes)
        if not prove:
            return Verdict(TESTED, f"equal at {points} sampled points", points, notes=notes)
        if points == 0:
            return Verdict(
                TIMEOUT,
                "no proof, and no sample point where both sides are defined",
                0,
                notes=notes,
            )
        return Verdict(TESTED, f"equal at {points} sampled points{sizes}; no symbolic proof found", points, notes=notes)

    def size_phrase(self, instances: list[dict[Symbol, sympy.Integer]]) -> str:
        sizes: dict[str, set[int]] = {}
        for inst in instances:
            for sym, value in inst.items():
                if sym.name in self.ctx.sizes:
                    sizes.setdefault(sym.name, set()).add(int(value))
        if not sizes:
            return ""
        parts = [f"{name} in {{{', '.join(map(str, sorted(v)))}}}" for name, v in sorted(sizes.items())]
        return " (holds for " + " and ".join(parts) + ")"

    def sides(
        self, left: sympy.Expr, right: sympy.Expr, conditions: Sequence[Condition], inst: dict
    ) -> tuple[sympy.Expr, sympy.Expr, list[tuple[str, sympy.Expr, sympy.Expr]]]:
        """Both sides and the filter conditions, concrete at one instance."""
        values = []
        for side, expr in (("left", left), ("right", right)):
            try:
                values.append(self.concrete(expr, inst))
            except ContextError as err:
                raise SideError(side, err.message) from None
        resolver = self.resolver(inst)
        subst = substitutions(conditions, resolver)
        a, b = (v.xreplace(subst) if subst else v for v in values)
        filters = []
        for c in conditions:
            if c.kind == "filter":
                fl = resolver.full(c.relation.left).xreplace(subst)
                fr = resolver.full(c.relation.right).xreplace(subst)
                filters.append((c.relation.op, fl, fr))
        return a, b, filters

    def sample(
        self,
        a: sympy.Expr,
        b: sympy.Expr,
        filters: list[tuple[str, sympy.Expr, sympy.Expr]],
        rng: random.Random,
        inst: dict,
    ) -> tuple[int, Counterexample | None, Note | None]:
        """Evaluate both sides at sample points; return (#defined points, counterexample, note).

        Every point where both sides are defined is checked at ``SCREEN_DPS``
        digits (after the float screen of :meth:`screen`).
        """
        defined, cex, note, precise = self.screen(a, b, filters, rng, inst)
        return defined, cex if cex is not None else precise(), note

    def screen(
        self,
        a: sympy.Expr,
        b: sympy.Expr,
        filters: list[tuple[str, sympy.Expr, sympy.Expr]],
        rng: random.Random,
        inst: dict,
    ) -> tuple[int, Counterexample | None, Note | None, Callable[[], Counterexample | None]]:
        """The sampling of :meth:`sample`, with Python floats first.

        Returns (#defined points, counterexample, note, precise): ``precise()``
        re-checks at ``SCREEN_DPS`` digits the points where the floats agreed
        (a difference below float resolution), and returns a verified
        counterexample or ``None``.  A float disagreement is only a candidate:
        :meth:`verify` confirms it at high precision (catastrophic cancellation
        such as ``exp(40) + 1 - exp(40)`` is rejected there).  Where floats cannot
        tell (domain error, overflow, complex), the point is evaluated with mpmath.
        """
        leaves_set: set[Symbol] = set(a.free_symbols) | set(b.free_symbols)
        for _, fl, fr in filters:
            leaves_set |= fl.free_symbols | fr.free_symbols
        leaves = tuple(sorted(leaves_set, key=lambda s: s.name))
        domains = [self.ctx.domain_of(s) for s in leaves]
        samplers = [d.sample for d in domains]
        fa, fb = self.compiled(a, leaves), self.compiled(b, leaves)
        compiled_filters = [
            (op, self.compiled(fl, leaves), self.compiled(fr, leaves)) for op, fl, fr in filters
        ]
        wanted = limits.SAMPLE_POINTS if leaves else 1
        defined = 0
        note: Note | None = None
        first_good: list[sympy.Rational] | None = None
        agreeing: list[list[sympy.Rational]] = []

        def points() -> Iterable[list[sympy.Rational]]:
            for _ in range(wanted * 6):
                if defined >= wanted:
                    # enough defined points: drawing more (exact SymPy rationals,
                    # domain checks) was most of the run time and never used
                    break
                yield [sample(rng) for sample in samplers]
            # special values, one leaf at a time, from an ordinary point
            if first_good is not None:
                for i, d in enumerate(domains):
                    for value in self._specials(d):
                        if first_good[i] != value:
                            p = list(first_good)
                            p[i] = value
                            yield p

        def precise() -> Counterexample | None:
            for point in agreeing:
                va, vb = fa(point, SCREEN_DPS), fb(point, SCREEN_DPS)
                if va is None or vb is None:
                    continue
                if not close(va, vb, SCREEN_TOL):
                    found = self.verify(fa, fb, leaves, point, inst)
                    if found is not None:
                        return found
            return None

        for point in points():
            if not self.filters_hold(compiled_filters, point):
                continue
            fpoint = _floats(point)
            fva = fa.fast(fpoint) if fpoint is not None else None
            fvb = fb.fast(fpoint) if fva is not None else None
            if fva is not None and fvb is not None:
                if first_good is None:
                    first_good = point
                defined += 1
                if float_close(fva, fvb, FLOAT_TOL):
                    agreeing.append(point)
                    continue
                cex = self.verify(fa, fb, leaves, point, inst)
                if cex is not None:
                    return defined, cex, note, lambda: None
                continue
            va, vb = fa(point, SCREEN_DPS), fb(point, SCREEN_DPS)
            if va is None and vb is None:
                continue
            if (va is None) != (vb is None):
                if note is None:
                    where = self.describe_point(leaves, point, inst)
                    which = "the previous step" if va is not None else "this step"
                    other = "this step is not" if va is not None else "the previous step is not"
                    note = Note(
                        "domain-change",
                        f"the steps are defined on different points: at {where} {which} is defined and {other}",
                    )
                continue
            if first_good is None:
                first_good = point
            defined += 1
            if not close(va, vb, SCREEN_TOL):
                cex = self.verify(fa, fb, leaves, point, inst)
                if cex is not None:
                    return defined, cex, note, lambda: None
        return defined, None, note, precise

    def _specials(self, domain: Domain) -> tuple[sympy.Integer, ...]:
        if domain not in self._special_values:
            self._special_values[domain] = tuple(
                sympy.Integer(v) for v in SPECIAL_VALUES if domain.contains(sympy.Integer(v))
            )
        return self._special_values[domain]

    @staticmethod
    def filters_hold(filters: list[tuple[str, Compiled, Compiled]], point: list[sympy.Rational]) -> bool:
        for op, fl, fr in filters:
            l, r = fl(point, SCREEN_DPS), fr(point, SCREEN_DPS)
            if l is None or r is None:
                return False
            ok = {"<": l < r, "<=": l <= r, ">": l > r, ">=": l >= r, "!=": not close(l, r, SCREEN_TOL), "==": close(l, r, SCREEN_TOL)}[op]
            if not ok:
                return False
        return True

    def verify(
        self, fa: Compiled, fb: Compiled, leaves: tuple[Symbol, ...], point: list[sympy.Rational], inst: dict
    ) -> Counterexample | None:
        """Re-check a candidate at two higher precisions; only a stable difference counts."""
        a1, b1 = fa(point, CHECK_DPS), fb(point, CHECK_DPS)
        a2, b2 = fa(point, CONFIRM_DPS), fb(point, CONFIRM_DPS)
        if None in (a1, b1, a2, b2):
            return None
        if close(a1, b1, CHECK_TOL) or close(a2, b2, CHECK_TOL):
            return None
        d1, d2 = a1 - b1, a2 - b2
        if not close(d1, d2, 1e-30):
            return None
        values = {s.name: as_number(v) for s, v in zip(leaves, point)}
        for sym, v in sorted(inst.items(), key=lambda kv: kv[0].name):
            values.setdefault(sym.name, int(v))
        return Counterexample(values, float(a2), float(b2))

    def describe_point(self, leaves: tuple[Symbol, ...], point: list[sympy.Rational], inst: dict) -> str:
        parts = [f"{s.name} = {v}" for s, v in zip(leaves, point)]
        parts += [f"{s.name} = {v}" for s, v in sorted(inst.items(), key=lambda kv: kv[0].name)]
        return ", ".join(parts) if parts else "every point"


# -- sampling helpers --------------------------------------------------------------------


def _floats(point: Sequence[sympy.Expr]) -> list[float] | None:
    """A sample point in Python floats (``None`` when a value has no float)."""
    out = []
    for v in point:
        try:
            out.append(v.p / v.q if v.is_Rational else float(v))
        except (TypeError, ValueError, OverflowError, AttributeError):
            return None
    return out
