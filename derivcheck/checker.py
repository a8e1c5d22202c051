"""Whole derivations (SPEC §5, §6): every chain, the claim and the coverage of the cases.

The :class:`DerivationChecker` parses each chain's steps and conditions, asks the
:class:`~derivcheck.engine.Engine` for a verdict on every transition, checks that
the chains begin and end as claimed, and that the cases cover the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy

from . import limits
from .context import Condition, Context, ContextError
from .coverage import Reasoner, describe_box, describe_gap
from .engine import Engine, SideError, Transition
from .general import coverage_for_every_size
from .model import Chain, Derivation, Step, Text
from .results import (
    ERROR,
    INVALID,
    PROVED,
    START,
    TESTED,
    TIMEOUT,
    ChainResult,
    ClaimResult,
    CoverageResult,
    FileResult,
    Note,
    StepResult,
)


@dataclass
class ClaimSide:
    """One end of one chain checked against the claim: ``what`` is "start" or "end"."""

    chain: int
    what: str
    status: str
    message: str


@dataclass
class ParsedStep:
    step: Step
    index: int
    expr: sympy.Expr | None
    error: str | None
    conditions: list[Condition]


@dataclass
class ChainPlan:
    """One chain, parsed: the conditions it starts under and where step ``given`` narrowed it."""

    conditions: list[Condition]
    parsed: list[ParsedStep]
    readable: bool = True  # false when the case's own condition is unreadable or can never hold
    narrowed_by: list[Condition] = field(default_factory=list)

    @property
    def shown_under(self) -> list[Condition]:
        """The conditions under which the chain shows its first step equals its last."""
        return self.parsed[-1].conditions if self.parsed else self.conditions


class DerivationChecker:
    """Checks every chain, the claim and the coverage of one derivation."""

    def __init__(self, deriv: Derivation, ctx: Context, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT) -> None:
        self.deriv = deriv
        self.ctx = ctx
        self.engine = Engine(ctx, seed=seed, timeout=timeout)
        self.reasoner = Reasoner(ctx)
        self.transitions: dict[tuple[int, int], Transition] = {}
        self.claim_sides: list[ClaimSide] = []
        self.plans: list[ChainPlan] = []

    def run(self, result: FileResult) -> FileResult:
        file_conditions = [self.ctx.condition(t) for t in self.deriv.scope.given]
        problem = self.unsatisfiable([], file_conditions)
        if problem is not None:
            raise ContextError(problem[0], problem[1])
        claim = None
        if self.deriv.claim is not None:
            claim = self.parse_claim(self.deriv.claim)
        self.plans = []
        for ci, chain in enumerate(self.deriv.chains):
            plan = self.plan_chain(chain, file_conditions)
            self.plans.append(plan)
            result.chains.append(
                ChainResult([t.text for t in chain.given], self.check_chain(ci, plan.parsed), chain.title)
            )
        chains_parsed = [(p.conditions, p.parsed) for p in self.plans]
        if claim is not None:
            result.claim = self.check_claim(claim, chains_parsed)
        if self.deriv.has_cases or any(p.narrowed_by for p in self.plans):
            result.coverage = self.coverage(claim, chains_parsed, file_conditions)
            if result.claim is not None:
                result.claim = _claim_with_coverage(result.claim, result.coverage)
        return result

    def plan_chain(self, chain: Chain, file_conditions: list[Condition]) -> ChainPlan:
        """Parse a chain's case condition and steps; a case condition that cannot hold errs its steps."""
        try:
            case_conditions = [self.ctx.condition(t) for t in chain.given]
        except ContextError as err:
            # a case whose condition cannot be read: its steps cannot be checked, the others can
            problem = f"the case's condition (line {err.line or chain.line}): {err.message}"
            return self._dead_chain(chain, file_conditions, problem)
        conditions = file_conditions + case_conditions
        bad = self.unsatisfiable(file_conditions, case_conditions)
        if bad is not None:
            return self._dead_chain(chain, conditions, f"the case's condition (line {bad[1] or chain.line}): {bad[0]}")
        plan = ChainPlan(conditions, [])
        plan.parsed = self.parse_steps(chain.steps, conditions, plan)
        return plan

    @staticmethod
    def _dead_chain(chain: Chain, conditions: list[Condition], problem: str) -> ChainPlan:
        parsed = [ParsedStep(s, i, None, problem, conditions) for i, s in enumerate(chain.steps, start=1)]
        return ChainPlan(list(conditions), parsed, readable=False)

    def unsatisfiable(self, before: list[Condition], new: list[Condition]) -> tuple[str, int | None] | None:
        """The first of ``new`` that no instance and point satisfies with ``before``: (message, line)."""
        if not new or self.reasoner.satisfiable(before + new):
            return None  # the usual case, in one pass
        for i, c in enumerate(new):
            earlier = before + new[:i]
            if self.reasoner.satisfiable(earlier + [c]):
                continue
            message = f"the condition {c.text!r} can never hold"
            if earlier and self.reasoner.satisfiable([c]):
                message += " together with " + ", ".join(repr(e.text) for e in earlier[-3:])
            return message + self._why_empty(c), c.line
        return None

    def _why_empty(self, c: Condition) -> str:
        names = c.relation.left.free_symbols | c.relation.right.free_symbols
        parts = []
        for s in sorted(names, key=lambda s: s.name):
            if s.name in self.ctx.index_size:
                parts.append(f"{s} ranges over 1..{self.ctx.index_size[s.name]}")
            elif s.name in self.ctx.sizes:
                parts.append(f"{s} is checked at {', '.join(map(str, self.ctx.sizes[s.name]))}")
            elif s.name not in self.ctx.sizes and self.ctx.domain_of(s).kind != "real":
                parts.append(f"{s} is declared {self.ctx.domain_of(s).describe()}")
        return f" ({'; '.join(parts)})" if parts else ""

    def parse_claim(self, text: Text) -> tuple[sympy.Expr, sympy.Expr]:
        from .parse import ExpressionError, parse_relation

        try:
            rel = parse_relation(text.text, self.ctx.names)
        except ExpressionError as err:
            raise ContextError(f"claim: {err.message}", text.line) from None
        if rel.op != "==":
            raise ContextError("the claim must be an equation LEFT = RIGHT", text.line)
        return rel.left, rel.right

    def parse_steps(self, steps: Sequence[Step], base: list[Condition], plan: ChainPlan | None = None) -> list[ParsedStep]:
        """Parse each step; a step's ``given`` holds from that step on (SPEC §5).

        A step condition that can never hold errs that step and every later one; one
        the conditions before it do not imply narrows the chain (``plan.narrowed_by``).
        """
        out = []
        conditions = list(base)
        dead: str | None = None
        for i, step in enumerate(steps, start=1):
            error = None
            expr = None
            try:
                new = [self.ctx.condition(t) for t in step.given]
                if dead is None and new:
                    bad = self.unsatisfiable(conditions, new)
                    if bad is not None:
                        error = f"the given on line {bad[1] or step.line}: {bad[0]}"
                        dead = f"cannot be checked: {error}"
                    elif plan is not None:
                        plan.narrowed_by += [c for c in new if not self.implied(conditions, c)]
                conditions = conditions + new
                if dead is None:
                    expr = self.ctx.parse(step.text, step.line, latex=step.latex)
                elif error is None:
                    error = dead
            except ContextError as err:
                error = err.message
            out.append(ParsedStep(step, i, expr, error, list(conditions)))
        return out

    def implied(self, before: list[Condition], c: Condition) -> bool:
        """Does every instance and point satisfying ``before`` satisfy ``c``? (Unsure: no.)"""
        return self.reasoner.uncovered(before, [before + [c]], strict=True).empty

    def check_chain(self, ci: int, parsed: list[ParsedStep]) -> list[StepResult]:
        results: list[StepResult] = []
        previous: ParsedStep | None = None
        for ps in parsed:
            sr = StepResult(ps.index, ps.step.line, ps.step.text, START, why=ps.step.why)
            results.append(sr)
            if ps.error is not None:
                sr.status, sr.message = ERROR, f"line {ps.step.line}: {ps.error}"
                continue
            if ps.index == 1:
                previous = ps
                continue
            if previous is None:
                sr.status, sr.message = ERROR, "cannot be checked: every step before it is in error"
                continue
            assert ps.expr is not None and previous.expr is not None
            try:
                verdict = self.engine.compare(
                    previous.expr, ps.expr, ps.conditions, label=f"{ci}:{ps.index}"
                )
            except SideError as err:
                bad = ps if err.side == "right" else previous
                sr.status, sr.message = ERROR, f"line {bad.step.line}: {err.message}"
                if bad is not ps:
                    previous = None  # the steps after it cannot be compared with it either
                continue
            except ContextError as err:
                sr.status, sr.message = ERROR, f"line {err.line or ps.step.line}: {err.message}"
                continue
            sr.status, sr.message, sr.points = verdict.status, verdict.message, verdict.points
            sr.general = verdict.general
            sr.counterexample, sr.notes = verdict.counterexample, list(verdict.notes)
            for st, where in ((previous.step, f"step {previous.index} (line {previous.step.line}): "), (ps.step, "")):
                sr.notes += [Note("plain-e", where + m) for m in self.ctx.reading_notes(st.line, st.text)]
            self.transitions[(ci, ps.index)] = Transition(
                previous.expr, ps.expr, ps.conditions, verdict, previous.step.text, ps.step.text
            )
            previous = ps
        return results

    def check_claim(
        self, claim: tuple[sympy.Expr, sympy.Expr], chains: list[tuple[list[Condition], list[ParsedStep]]]
    ) -> ClaimResult:
        """Does every chain begin with the claim's left side and end with its right?

        Each side of each chain is recorded in :attr:`claim_sides` (the grader
        deducts for a wrong start and a wrong result separately).
        """
        left, right = claim
        self.claim_sides = []
        statuses, problems = [], []
        for ci, (conditions, parsed) in enumerate(chains):
            if not any(p.expr is not None for p in parsed):
                return ClaimResult(ERROR, "no step of the chain can be evaluated")
            first, last = parsed[0], parsed[-1]
            where = f" (case {', '.join(c.text for c in conditions) or ci + 1})" if len(chains) > 1 else ""
            # each end under the conditions in force at that step: a step-level given
            # narrows what the last step is known to equal
            for what, a, b, under in (
                ("start", left, first.expr, first.conditions),
                ("end", last.expr, right, last.conditions),
            ):
                status, msg = self.claim_side(what, a, b, under, f"claim:{ci}:{what}", where)
                self.claim_sides.append(ClaimSide(ci, what, status, msg))
                statuses.append(status)
                if status == INVALID:
                    side = "left side" if what == "start" else "right side"
                    verb = "begin with" if what == "start" else "end with"
                    problems.append(f"the chain does not {verb} the claim's {side}{where}: {msg}")
                elif status == TIMEOUT:
                    problems.append(f"the claim's {what}{where} could not be decided: {msg}")
                elif status == ERROR:
                    problems.append(msg)
        for status in (ERROR, INVALID, TIMEOUT, TESTED):
            if status in statuses:
                msg = "; ".join(problems) if problems else "the chain starts and ends as claimed, tested numerically"
                return ClaimResult(status, msg)
        return ClaimResult(PROVED, "the chain starts with the claim's left side and ends with its right side")

    def claim_side(
        self, what: str, a: sympy.Expr | None, b: sympy.Expr | None, conditions: list[Condition], label: str, where: str
    ) -> tuple[str, str]:
        """The status of one side of the claim, and what to say about it."""
        if a is None or b is None:
            return ERROR, f"the chain's {what} is in error{where}"
        try:
            v = self.engine.compare(a, b, conditions, label=label)
        except (SideError, ContextError) as err:
            return ERROR, f"claim {what}{where}: {err}"
        cex = v.counterexample
        if v.status == INVALID and cex is not None:
            point = ", ".join(f"{k} = {x}" for k, x in cex.values.items())
            names = ("the claim's left side", "the first step") if what == "start" else ("the last step", "the claim's right side")
            instantiation = getattr(cex, "instantiation", "")  # declared functions made concrete
            with_functions = f"with {instantiation}: " if instantiation else ""
            return INVALID, f"{with_functions}at {point}: {names[0]} = {cex.left:.6g}, {names[1]} = {cex.right:.6g}"
        return v.status, v.message

    def coverage(
        self,
        claim: tuple[sympy.Expr, sympy.Expr] | None,
        chains: list[tuple[list[Condition], list[ParsedStep]]],
        file_conditions: Sequence[Condition] = (),
    ) -> CoverageResult:
        """Do the chains, each under the conditions its last step is shown under, cover the claim?

        The universe is every index combination and every point of the declared
        domains that the file's own conditions allow (SPEC §5).
        """
        exprs: list[sympy.Expr] = list(claim) if claim else [p.expr for _, ps in chains for p in ps[:1] if p.expr is not None]
        plans = self.plans or [ChainPlan(conds, parsed) for conds, parsed in chains]
        if not all(p.readable for p in plans):
            # the file is in error: what such a case would cover is unknown
            note = Note("coverage-undecided", "coverage not checked: the condition of a case is in error")
            return CoverageResult(False, [], [note], decided=False)
        regions = [p.shown_under for p in plans]
        found = self.reasoner.uncovered(list(file_conditions), regions, exprs)
        notes = [
            Note("narrowed", f"{_chain_name(ci, p)} shows the claim only where {_texts(p.narrowed_by)} (the given on line {p.narrowed_by[0].line})")
            for ci, p in enumerate(plans)
            if p.narrowed_by
        ]
        if found.significant:
            uncovered = [describe_box(b, found, self.ctx) for b in found.significant]
            return CoverageResult(False, list(dict.fromkeys(uncovered))[:10], notes)
        if found.reason is not None or found.undecided:
            why = found.reason or (
                "the cases use conditions relating several symbols (or ones that cannot be solved exactly), "
                "and whether they leave out "
                + describe_box(found.undecided[0], found, self.ctx)
                + " could not be decided"
            )
            notes.append(Note("coverage-undecided", f"coverage of the claim is not established: {why}"))
            return CoverageResult(False, [], notes, decided=False)
        gaps = list(dict.fromkeys(describe_gap(b, self.ctx) for b in found.gaps))
        if gaps:
            shown = "; ".join(gaps[:5]) + (f" and {len(gaps) - 5} more" if len(gaps) > 5 else "")
            notes.append(Note("coverage-gap", f"no case covers {shown}: isolated points only, so the coverage counts as complete"))
        indexed = any(self.ctx.free_sizes(e) for e in exprs)
        every = indexed and coverage_for_every_size(
            self.ctx, [*file_conditions, *(c for r in regions for c in r)], exprs
        )
        return CoverageResult(True, [], notes, general=every if indexed else None)


def _chain_name(ci: int, plan: ChainPlan) -> str:
    case = [c for c in plan.conditions if c not in plan.narrowed_by]
    return f"the chain ({_texts(case)})" if plan.conditions and len(case) else f"chain {ci + 1}"


def _texts(conditions: Sequence[Condition]) -> str:
    return ", ".join(c.text for c in conditions)


def _claim_with_coverage(claim: ClaimResult, coverage: CoverageResult) -> ClaimResult:
    """A claim whose ends check out is still not shown where no chain covers it."""
    if claim.status not in (PROVED, TESTED) or coverage.complete:
        return claim
    if coverage.decided:
        example = coverage.uncovered[0] if coverage.uncovered else "part of the claim"
        return ClaimResult(INVALID, f"the chains show the claim only in part; not covered: {example}", cause="coverage")
    return ClaimResult(claim.status, claim.message + "; but it is not established that the chains cover the claim", claim.cause)
