"""Verdicts (SPEC §6): is each step equal to the one before it?

For every transition the engine instantiates both steps (§5), then

1. screens sampled points (:mod:`sampling`: ordinary values, thresholds, wide
   magnitudes, every finite-set combination) with Python floats, falling back
   to mpmath; a clear disagreement is certified at once by interval arithmetic
   (:mod:`certify`) and is then a counterexample;
2. tries a symbolic proof, cheapest canonical forms first, ``simplify`` last,
   splitting finite-set symbols into their values;
3. only when there is no proof, checks every defined point rigorously at
   escalating precision: float agreement is never evidence of equality.

Both run under the transition's time budget.  ``invalid`` needs a certified
counterexample, ``proved`` a proof; certified agreement at every checkable point
but no proof is ``tested``; a difference that was seen but could not be
certified, or nothing decided in time, is ``timeout``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import mpmath
import sympy
from sympy import Symbol

from . import limits
from .abstract import instantiate_sides
from .budget import Budget, Timeout, time_limit
from .certify import (
    AGREE,
    DIFFER,
    PRECISIONS,
    UNCERTAIN,
    IntervalProgram,
    Outcome,
    Uncertain,
    Undefined,
    compare_at,
    decide,
)
from .context import Condition, Context, ContextError, Resolver, substitutions
from .domains import Domain
from .general import prove_general
from .numeric import Compiled, as_number, float_close, float_point, relative_close
from .proof import _ATTEMPTS, _CHEAP, prove_equal, prove_zero
from .results import (  # CertifiedCounterexample lives with the results: a cached result is read without SymPy
    INVALID,
    PROVED,
    TESTED,
    TIMEOUT,
    CertifiedCounterexample,
    Counterexample,
    Note,
)
from .sampling import EmptyRegion, Plan, Range, domain_sampler

#: Digits of the mpmath screen where floats cannot tell (and of diagnoses' screens).
SCREEN_DPS = 30
#: Python floats that differ by more than this (relative, no floor) make a candidate.
FLOAT_TOL = 1e-9
#: 30-digit values this close (relative) are treated as float noise: their point
#: waits for the rigorous check, which runs only when no proof is found.
NOISE_TOL = 1e-20
#: Digits at which a difference that cannot be certified is re-checked before it
#: counts as "seen" (a 30-digit difference can be cancellation noise).
UNSURE_DPS = 200
#: Seconds allowed to expand the difference of two sides that agree to the
#: highest precision (looking for a difference below it, such as 10**-600).
DIFFERENCE_SECONDS = 1.0
#: Digits of that difference at one point per transition.
DIFFERENCE_DPS = 1000
#: A certified difference this small (relative), or one that needed more than
#: the first precision, looks like cancellation: a cheap proof is tried first.
CANCELLATION_TOL = 1e-9
#: Points per instance whose float agreement is checked up to the highest
#: precision; the others at the second only (the floats agreed to 1e-9, so the
#: first adds nothing; a difference below 1e-75 relative is then sought at these
#: points only: a constant offset is everywhere).
DEEP_POINTS = 3
#: Share of a transition's remaining budget the symbolic proof may use; the rest
#: is kept for the rigorous check that an unproved transition needs.
PROOF_SHARE = 0.8
#: The share of what is left of the budget that the proof for every size may take.
GENERAL_SHARE = 0.4


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
    #: for an indexed statement: proved for every size (True) or shown at the listed ones (False)
    general: bool | None = None


@dataclass
class Transition:
    """What diagnoses need to know about a checked transition."""

    previous: sympy.Expr
    current: sympy.Expr
    conditions: list[Condition]
    verdict: Verdict
    previous_text: str
    current_text: str


def _distinct_texts(outcome: Outcome) -> tuple[str, str]:
    """The two certified values with the fewest digits (at least 6) that tell them apart."""
    top = max(outcome.dps, 6)
    with mpmath.workdps(top + 10):
        a, b = (
            (mpmath.mpf(x._mpi_[0]) + mpmath.mpf(x._mpi_[1])) / 2 if x is not None else mpmath.nan
            for x in (outcome.left, outcome.right)
        )
        digits = 6
        while True:
            ta = mpmath.nstr(a, digits, min_fixed=-5, max_fixed=8)
            tb = mpmath.nstr(b, digits, min_fixed=-5, max_fixed=8)
            if ta != tb or digits >= top:
                return ta, tb
            digits = min(digits * 2, top)


@dataclass
class Screen:
    """The sampled points of one transition at one instance, and what they showed."""

    fa: Compiled
    fb: Compiled
    leaves: tuple[Symbol, ...]
    inst: dict
    a: sympy.Expr
    b: sympy.Expr
    defined: int = 0
    passed: int = 0
    cex: Counterexample | None = None
    note: Note | None = None
    #: points where the floats agreed: certified only if no proof is found
    pending: list[list[sympy.Expr]] = field(default_factory=list)
    #: points where the two sides were certified to agree
    agreed: int = 0
    #: points where a difference was seen but could not be certified
    unsure: list[list[sympy.Expr]] = field(default_factory=list)
    #: pending points checked up to the highest precision so far
    deep: int = 0
    #: the number of the index instance (0 for the first)
    instance: int = 0
    #: the expanded difference of the two sides (None: not computed yet; False: unavailable)
    difference: IntervalProgram | None | bool = None
    #: the declared functions' instantiation these sides use (abstract.py), or ""
    instantiation: str = ""


class Engine:
    """Compares expressions of one context; caches expansions across transitions."""

    def __init__(self, ctx: Context, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT) -> None:
        self.ctx = ctx
        self.seed = seed
        self.timeout = timeout
        self._resolvers: dict[frozenset, Resolver] = {}
        self._concrete: dict[tuple[sympy.Expr, frozenset], sympy.Expr] = {}
        self._compiled: dict[tuple[sympy.Expr, tuple[Symbol, ...]], Compiled] = {}
        self._plans: dict[tuple, Plan] = {}
        self._samplers: dict[Domain, object] = {}

    def _sampler(self, domain: Domain):  # type: ignore[no-untyped-def]
        """A draw function for one domain (the diagnoses sample leaves one at a time)."""
        if domain not in self._samplers:
            self._samplers[domain] = domain_sampler(domain)
        return self._samplers[domain]

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
        screens: list[Screen] = []
        pairs: list[tuple[sympy.Expr, sympy.Expr, list]] = []
        notes: list[Note] = []
        texts = [c.text for c in conditions if c.kind == "filter"]

        def invalid(sc: Screen, cex: Counterexample) -> Verdict:
            if sc.instantiation and isinstance(cex, CertifiedCounterexample):
                cex.instantiation = sc.instantiation
            points = sum(s.defined for s in screens)
            return Verdict(
                INVALID, "not equal to the previous step " + cex.describe(), points, cex, notes, sc.inst, sc.a, sc.b,
                general=False if self._size_names(sc.inst) else None,
            )

        def timeout() -> Verdict:
            return Verdict(
                TIMEOUT, f"no proof or counterexample within {self.timeout:g} s", sum(s.defined for s in screens), notes=notes
            )

        def screen_instance(n: int, inst: dict, a: sympy.Expr, b: sympy.Expr, filters: list) -> Verdict | None:
            # sampled once per instantiation of the declared functions (once without any)
            for m, (ca, cb, cf, how) in enumerate(instantiate_sides(a, b, filters, self.seed, n)):
                rng = random.Random(f"{self.seed}|{label}|{n}" + (f"|{m}" if m else ""))
                sc = self.screen(ca, cb, cf, rng, inst, texts, budget, n)
                sc.instantiation = how
                screens.append(sc)
                if sc.note and not notes:
                    note = sc.note  # a point of the instantiation, not of generic functions
                    notes.append(replace(note, message=f"with {how}: {note.message}") if how else note)
                if sc.cex is not None:
                    return invalid(sc, sc.cex)
            return None

        def proved_for_every_size() -> Verdict | None:
            try:
                with budget.enforce(GENERAL_SHARE):
                    if prove_general(self.ctx, left, right, conditions, budget):
                        every = " and ".join(sorted({n for inst in instances for n in self._size_names(inst)}))
                        points = sum(s.defined for s in screens)
                        return Verdict(PROVED, f"proved for every {every}", points, notes=notes, general=True)
            except Timeout:
                pass
            return None

        try:
            with budget.enforce():
                instances = self.ctx.instances([left, right], conditions)
                if not instances:
                    index = [c for c in conditions if c.kind == "index"]
                    raise ContextError(
                        "no index combination satisfies the conditions "
                        + (", ".join(repr(c.text) for c in index) or "of this step"),
                        index[0].line if index else None,
                    )
                # Both sides at every instance first: a side in error is an error whatever is proved.
                failure: SideError | None = None
                for inst in instances:
                    try:
                        pairs.append(self.sides(left, right, conditions, inst))  # proofs keep functions abstract
                    except SideError as err:
                        failure = err
                        break
                sizes = self.size_phrase(instances)  # every instance, sampled or not (identical sides are not)
                indexed = bool(sizes)
                # An indexed step is sampled at its first instance (where most slips show, and
                # the domain-change note is found), then proved for every size if it can be;
                # only when that fails are the other instances sampled.
                general_first = prove and indexed and failure is None
                first = min(1, len(pairs)) if general_first else len(pairs)
                for n in range(first):
                    found = screen_instance(n, instances[n], *pairs[n])
                    if found is not None:
                        return found
        except Timeout:
            return timeout()
        if general_first:
            found = proved_for_every_size()
            if found is not None:
                return found
            try:
                with budget.enforce():
                    for n in range(first, len(pairs)):
                        found = screen_instance(n, instances[n], *pairs[n])
                        if found is not None:
                            return found
            except Timeout:
                return timeout()
        if failure is not None:
            raise failure
        points = sum(s.defined for s in screens)
        if texts and not any(s.passed for s in screens):
            return Verdict(
                TIMEOUT,
                "no sample point satisfies the conditions " + ", ".join(repr(t) for t in texts)
                + ": nothing was checked",
                0,
                notes=notes,
            )
        if prove:
            try:
                with budget.enforce(PROOF_SHARE):
                    order = list(range(len(_ATTEMPTS)))
                    for a, b, filters in pairs:
                        if not prove_equal(a, b, self.ctx, budget, order, domain_of=self.narrowed(filters)):
                            break
                    else:
                        return Verdict(
                            PROVED,
                            "shown equal symbolically" + sizes + ("; no proof for every size found" if indexed else ""),
                            points,
                            notes=notes,
                            general=False if indexed else None,
                        )
            except Timeout:
                pass
        # No proof: float agreement is no evidence, so every point is checked rigorously.
        try:
            with budget.enforce():
                for sc in screens:
                    cex = self.rigorous(sc, budget)
                    if cex is not None:
                        return invalid(sc, cex)
        except Timeout:
            return timeout()
        agreed = sum(s.agreed for s in screens)
        unsure = next((s for s in screens if s.unsure), None)
        if unsure is not None:
            where = self.describe_point(unsure.leaves, unsure.unsure[0], unsure.inst)
            return Verdict(
                TIMEOUT,
                f"the steps seem to differ at {where}, but the difference could not be certified"
                + ("" if not prove else "; no symbolic proof found"),
                agreed,
                notes=notes,
            )
        if agreed == 0:
            return Verdict(
                TIMEOUT,
                "no proof, and no sample point where both sides are defined and could be checked",
                0,
                notes=notes,
            )
        if not prove:
            return Verdict(TESTED, f"equal at {agreed} sampled points", agreed, notes=notes)
        return Verdict(
            TESTED, f"equal at {agreed} sampled points{sizes}; no symbolic proof found", agreed, notes=notes,
            general=False if sizes else None,
        )

    def narrowed(self, filters: list[tuple[str, sympy.Expr, sympy.Expr]]) -> Callable[[Symbol], Domain]:
        """Domains narrowed by the conditions in force, so that a proof may use them.

        ``given: x > 0`` makes x positive for the proof of that transition (the
        step claims equality only there): ``Abs(x) = x`` is then proved, not tested.
        Only a plain symbol against a number counts; other conditions leave the
        domains as declared, which proves more than needed and is still sound.
        """
        bounds: dict[Symbol, list[tuple[str, sympy.Expr]]] = {}
        for op, left, right in filters:
            if op not in ("<", "<=", ">", ">="):
                continue
            if isinstance(right, Symbol) and left.is_number:
                left, right, op = right, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            if isinstance(left, Symbol) and right.is_number and right.is_extended_real:
                bounds.setdefault(left, []).append((op, right))
        if not bounds:
            return self.ctx.domain_of
        ctx = self.ctx

        def domain_of(leaf: Symbol) -> Domain:
            base = ctx.domain_of(leaf)
            found = bounds.get(leaf) or next((b for s, b in bounds.items() if s.name == leaf.name), None)
            if not found or base.kind not in ("real", "positive", "negative", "nonnegative", "interval"):
                return base
            region = Range.of(base)  # narrowed as the sampler narrows it
            for op, value in found:
                region = region.narrowed(op, value)
            if not region.lo < region.hi:
                return base  # an empty region is reported elsewhere; never prove from it
            return Domain("interval", region.lo, region.hi, region.lo_open, region.hi_open)

        return domain_of

    def _size_names(self, inst: dict[Symbol, sympy.Integer]) -> list[str]:
        return [sym.name for sym in inst if sym.name in self.ctx.sizes]

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

        The counterexample, if any, is certified; points where the floats agreed
        are checked rigorously too.
        """
        sc = self.screen(a, b, filters, rng, inst)
        cex = sc.cex if sc.cex is not None else self.rigorous(sc)
        return sc.defined, cex, sc.note

    def plan(self, a: sympy.Expr, b: sympy.Expr, filters: list, leaves: tuple[Symbol, ...], texts: Sequence[str]) -> Plan:
        key = (a, b, tuple(filters), leaves)
        if key not in self._plans:
            domains = [self.ctx.domain_of(s) for s in leaves]
            try:
                self._plans[key] = Plan(leaves, domains, [a, b], filters, texts)
            except EmptyRegion as err:
                raise ContextError(
                    f"no value of {err.leaf} in its domain ({self.ctx.domain_of(err.leaf).describe()}) satisfies "
                    + " and ".join(repr(t) for t in err.conditions)
                ) from None
        return self._plans[key]

    def screen(
        self,
        a: sympy.Expr,
        b: sympy.Expr,
        filters: list[tuple[str, sympy.Expr, sympy.Expr]],
        rng: random.Random,
        inst: dict,
        texts: Sequence[str] = (),
        budget: Budget | None = None,
        instance: int = 0,
    ) -> Screen:
        """Sample both sides with Python floats first (mpmath where floats cannot tell).

        A clear disagreement is certified at once (:meth:`certify`); points where
        the numbers agree wait in ``pending`` for :meth:`rigorous`, which runs only
        when no proof is found.
        """
        leaves_set: set[Symbol] = set(a.free_symbols) | set(b.free_symbols)
        for _, fl, fr in filters:
            leaves_set |= fl.free_symbols | fr.free_symbols
        leaves = tuple(sorted(leaves_set, key=lambda s: s.name))
        plan = self.plan(a, b, filters, leaves, texts)
        fa, fb = self.compiled(a, leaves), self.compiled(b, leaves)
        compiled_filters = [
            (op, self.compiled(fl, leaves), self.compiled(fr, leaves)) for op, fl, fr in filters
        ]
        sc = Screen(fa, fb, leaves, inst, a, b, instance=instance)
        wanted = limits.SAMPLE_POINTS if leaves else 1

        for point in plan.points(rng, wanted, lambda: sc.defined >= wanted, instance):
            if compiled_filters and not self.filters_hold(compiled_filters, point):
                continue
            sc.passed += 1
            fpoint = float_point(point)
            fva = fa.fast(fpoint) if fpoint is not None else None
            fvb = fb.fast(fpoint) if fva is not None else None
            if fva is not None and fvb is not None:
                sc.defined += 1
                if float_close(fva, fvb, FLOAT_TOL) if fva == 0 or fvb == 0 else relative_close(fva, fvb, FLOAT_TOL):
                    sc.pending.append(point)
                    continue
                va, vb = fa.approx(point, SCREEN_DPS), fb.approx(point, SCREEN_DPS)
            else:
                va, vb = fa.approx(point, SCREEN_DPS), fb.approx(point, SCREEN_DPS)
                if va is None and vb is None:
                    continue
                if (va is None) != (vb is None):
                    if sc.note is None and _certainly_undefined(fa if va is None else fb, point):
                        where = self.describe_point(leaves, point, inst)
                        which = "the previous step" if va is not None else "this step"
                        other = "this step is not" if va is not None else "the previous step is not"
                        sc.note = Note(
                            "domain-change",
                            f"the steps are defined on different points: at {where} {which} is defined and {other}",
                        )
                    continue
                sc.defined += 1
            if va is not None and vb is not None and (
                relative_close(va, vb, NOISE_TOL) or self._noise(fa, fb, point)
            ):
                sc.pending.append(point)  # float noise, or a difference only a proof failure makes worth certifying
                continue
            cex = self.certify(sc, point, budget, seen=True, precisions=PRECISIONS[:2], defer=True)
            if cex is not None:
                sc.cex = cex
                return sc
        return sc

    def rigorous(self, sc: Screen, budget: Budget | None = None) -> Counterexample | None:
        """Certify every pending point; a certified difference is a counterexample."""
        while sc.pending:
            point = sc.pending.pop(0)
            deep = sc.deep < DEEP_POINTS
            sc.deep += deep
            cex = self.certify(sc, point, budget, seen=False, precisions=PRECISIONS[1:] if deep else PRECISIONS[1:2])
            if cex is not None:
                return cex
        return None

    def certify(
        self,
        sc: Screen,
        point: list[sympy.Expr],
        budget: Budget | None,
        seen: bool,
        precisions: Sequence[int] = PRECISIONS,
        defer: bool = False,
    ) -> Counterexample | None:
        """Interval arithmetic at escalating precision decides the point.

        ``seen``: the sampled numbers already differed here, so a point that cannot
        be certified is recorded as an uncertified difference.  ``defer``: a point
        whose intervals still overlap (cancellation the numbers could not see
        through) waits in ``pending`` for the check that runs only without a proof.
        """
        outcome = compare_at(sc.fa.interval, sc.fb.interval, point, precisions)
        if outcome.status == AGREE:
            if defer:
                sc.pending.append(point)
                return None
            if precisions[-1] == PRECISIONS[-1]:
                found = self._below_precision(sc, point, outcome, budget)
                if found is not None:
                    return found
            sc.agreed += 1
            return None
        if outcome.status == UNCERTAIN:
            if seen and self._still_differs(sc, point):
                sc.unsure.append(point)
            return None
        if outcome.status != DIFFER:
            return None
        if _looks_like_cancellation(outcome) and self._cheap_proof(sc.fa, sc.fb, budget):
            return None
        return self._counterexample(sc.leaves, point, sc.inst, outcome)

    def _below_precision(
        self, sc: Screen, point: list[sympy.Expr], outcome: Outcome, budget: Budget | None
    ) -> Counterexample | None:
        """Both sides agree to the highest precision: is their expanded difference nonzero here?

        ``x + 10**-600`` and ``x`` agree to 500 digits, but ``expand`` of their
        difference is the number 10**-600, whose interval excludes 0: where both
        sides are certified defined, that is a certified difference too.
        """
        if sc.difference is None:
            sc.difference = False
            remaining = budget.remaining() if budget is not None else self.timeout
            try:
                with time_limit(max(min(DIFFERENCE_SECONDS, remaining * 0.5), 0.001)):
                    d = sympy.expand(sc.fa.expr - sc.fb.expr)
                if d != 0:
                    sc.difference = IntervalProgram(d, sc.leaves)
            except Timeout:
                if budget is not None and budget.remaining() <= 0:
                    raise
            except Exception:  # noqa: BLE001 - no difference form: nothing more to learn
                pass
        if not isinstance(sc.difference, IntervalProgram):
            return None
        # at the deep points of the first instance only, also far beyond the highest
        # precision: a constant offset such as 10**-900 is the same at every instance
        extra = (DIFFERENCE_DPS,) if sc.instance == 0 else ()
        for dps in (*PRECISIONS[:2], *extra):
            try:
                d = sc.difference.evaluate(point, dps)
            except (Undefined, Uncertain):
                continue
            lo, hi = (mpmath.mp.make_mpf(v) for v in d._mpi_)
            if lo > 0 or hi < 0:
                if self._cheap_proof(sc.fa, sc.fb, budget):
                    return None
                cex = self._counterexample(sc.leaves, point, sc.inst, outcome)
                with mpmath.workdps(dps):
                    cex.difference_text = mpmath.nstr((lo + hi) / 2, 6)  # type: ignore[attr-defined]
                    for attr, x in (("left_text", outcome.left), ("right_text", outcome.right)):
                        mid = (mpmath.mp.make_mpf(x._mpi_[0]) + mpmath.mp.make_mpf(x._mpi_[1])) / 2
                        setattr(cex, attr, mpmath.nstr(mid, 10, min_fixed=-5, max_fixed=8))
                return cex
        return None

    @staticmethod
    def _noise(fa: Compiled, fb: Compiled, point: list[sympy.Expr]) -> bool:
        """A 30-digit difference that vanishes at the second precision: it can wait for the proof."""
        va, vb = fa.approx(point, PRECISIONS[1]), fb.approx(point, PRECISIONS[1])
        return va is not None and vb is not None and relative_close(va, vb, NOISE_TOL)

    @staticmethod
    def _still_differs(sc: Screen, point: list[sympy.Expr]) -> bool:
        """An uncertifiable point whose difference survives at high precision (not 30-digit noise)."""
        va, vb = sc.fa.approx(point, UNSURE_DPS), sc.fb.approx(point, UNSURE_DPS)
        return va is not None and vb is not None and not relative_close(va, vb, NOISE_TOL)

    def _cheap_proof(self, fa: Compiled, fb: Compiled, budget: Budget | None) -> bool:
        """A cheap symbolic proof that two sides are equal (a guard against an evaluator bug)."""
        try:
            return prove_zero(fa.expr - fb.expr, budget or Budget(self.timeout), attempts=_CHEAP)
        except Timeout:
            raise
        except Exception:  # noqa: BLE001 - a failed attempt proves nothing
            return False

    @staticmethod
    def filters_hold(filters: list[tuple[str, Compiled, Compiled]], point: list[sympy.Expr]) -> bool:
        """Every filter condition holds at ``point``: decided rigorously, no tolerance.

        Floats may only *reject* a point quickly (a clear margin the wrong way);
        every point kept is certified inside by interval arithmetic (exact
        rationals when needed), so a counterexample never comes from outside the
        region.  Undecidable is "no".
        """
        fpoint = None
        for op, fl, fr in filters:
            if op in ("<", "<=", ">", ">="):
                if fpoint is None:
                    fpoint = float_point(point) or []
                l = fl.fast(fpoint) if fpoint else None
                r = fr.fast(fpoint) if l is not None else None
                if l is not None and r is not None and not relative_close(l, r, 1e-6):
                    if not {"<": l < r, "<=": l <= r, ">": l > r, ">=": l >= r}[op]:
                        return False
        for op, fl, fr in filters:
            if decide(op, fl.interval, fr.interval, point) is not True:
                return False
        return True

    def verify(
        self, fa: Compiled, fb: Compiled, leaves: tuple[Symbol, ...], point: list[sympy.Expr], inst: dict
    ) -> Counterexample | None:
        """A certified counterexample at ``point``, or ``None`` (agree, undefined or uncertain)."""
        outcome = compare_at(fa.interval, fb.interval, point)
        if outcome.status != DIFFER:
            return None
        if _looks_like_cancellation(outcome) and self._cheap_proof(fa, fb, None):
            return None
        return self._counterexample(leaves, point, inst, outcome)

    @staticmethod
    def _counterexample(leaves: tuple[Symbol, ...], point: list[sympy.Expr], inst: dict, outcome: Outcome) -> Counterexample:
        values = {s.name: _exactish(v) for s, v in zip(leaves, point)}
        for sym, v in sorted(inst.items(), key=lambda kv: kv[0].name):
            values.setdefault(sym.name, int(v))
        left, right = outcome.midpoints()
        left_text, right_text = _distinct_texts(outcome)
        return CertifiedCounterexample(values, left, right, left_text, right_text)

    def describe_point(self, leaves: tuple[Symbol, ...], point: list[sympy.Expr], inst: dict) -> str:
        parts = [f"{s.name} = {v}" for s, v in zip(leaves, point)]
        parts += [f"{s.name} = {v}" for s, v in sorted(inst.items(), key=lambda kv: kv[0].name)]
        return ", ".join(parts) if parts else "every point"


# -- sampling helpers --------------------------------------------------------------------


def _certainly_undefined(side: Compiled, point: list[sympy.Expr]) -> bool:
    """The side is certified undefined at ``point`` (not only beyond 30 digits' reach)."""
    try:
        side.interval.evaluate(point, PRECISIONS[0])
    except Undefined:
        return True
    except Uncertain:
        return False
    return False


def _looks_like_cancellation(outcome: Outcome) -> bool:
    """A difference that needed more than the first precision, or is tiny relative to the values."""
    if outcome.dps > PRECISIONS[0]:
        return True
    left, right = outcome.midpoints()
    try:
        return abs(left - right) <= CANCELLATION_TOL * max(abs(left), abs(right))
    except (OverflowError, ValueError):
        return True


def _exactish(v: sympy.Expr) -> object:
    """A point value for reports: a number when it is rational, else its exact form (sqrt(2))."""
    if v.is_Rational:
        return as_number(mpmath.mpf(int(v.p)) / int(v.q))
    return str(v)


