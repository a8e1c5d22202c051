"""Whole derivations (SPEC §5, §6): every chain, the claim and the coverage of the cases.

The :class:`DerivationChecker` parses each chain's steps and conditions, asks the
:class:`~derivcheck.engine.Engine` for a verdict on every transition, checks that
the chains begin and end as claimed, and that the cases cover the claim.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import sympy
from sympy import Symbol

from . import limits
from .context import Condition, Context, ContextError, condition_holds
from .engine import Engine, SideError, Transition
from .model import Derivation, Step, Text
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


class DerivationChecker:
    """Checks every chain, the claim and the coverage of one derivation."""

    def __init__(self, deriv: Derivation, ctx: Context, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT) -> None:
        self.deriv = deriv
        self.ctx = ctx
        self.engine = Engine(ctx, seed=seed, timeout=timeout)
        self.transitions: dict[tuple[int, int], Transition] = {}
        self.claim_sides: list[ClaimSide] = []

    def run(self, result: FileResult) -> FileResult:
        file_conditions = [self.ctx.condition(t) for t in self.deriv.scope.given]
        claim = None
        if self.deriv.claim is not None:
            claim = self.parse_claim(self.deriv.claim)
        chains_parsed: list[tuple[list[Condition], list[ParsedStep]]] = []
        for ci, chain in enumerate(self.deriv.chains):
            try:
                chain_conditions = file_conditions + [self.ctx.condition(t) for t in chain.given]
                parsed = self.parse_steps(chain.steps, chain_conditions)
            except ContextError as err:
                # a case whose condition cannot be read: its steps cannot be checked, the others can
                chain_conditions = list(file_conditions)
                problem = f"the case's condition (line {err.line or chain.line}): {err.message}"
                parsed = [ParsedStep(s, i, None, problem, chain_conditions) for i, s in enumerate(chain.steps, start=1)]
            chains_parsed.append((chain_conditions, parsed))
            result.chains.append(
                ChainResult([t.text for t in chain.given], self.check_chain(ci, parsed), chain.title)
            )
        if claim is not None:
            result.claim = self.check_claim(claim, chains_parsed)
        if self.deriv.has_cases:
            result.coverage = self.coverage(claim, chains_parsed)
        return result

    def parse_claim(self, text: Text) -> tuple[sympy.Expr, sympy.Expr]:
        from .parse import ExpressionError, parse_relation

        try:
            rel = parse_relation(text.text, self.ctx.names)
        except ExpressionError as err:
            raise ContextError(f"claim: {err.message}", text.line) from None
        if rel.op != "==":
            raise ContextError("the claim must be an equation LEFT = RIGHT", text.line)
        return rel.left, rel.right

    def parse_steps(self, steps: Sequence[Step], base: list[Condition]) -> list[ParsedStep]:
        out = []
        conditions = list(base)
        for i, step in enumerate(steps, start=1):
            error = None
            expr = None
            try:
                conditions = conditions + [self.ctx.condition(t) for t in step.given]
                expr = self.ctx.parse(step.text, step.line, latex=step.latex)
            except ContextError as err:
                error = err.message
            out.append(ParsedStep(step, i, expr, error, list(conditions)))
        return out

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
            sr.counterexample, sr.notes = verdict.counterexample, list(verdict.notes)
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
            for what, a, b in (("start", left, first.expr), ("end", last.expr, right)):
                status, msg = self.claim_side(what, a, b, conditions, f"claim:{ci}:{what}", where)
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
            return INVALID, f"at {point}: {names[0]} = {cex.left:.6g}, {names[1]} = {cex.right:.6g}"
        return v.status, v.message

    def coverage(
        self, claim: tuple[sympy.Expr, sympy.Expr] | None, chains: list[tuple[list[Condition], list[ParsedStep]]]
    ) -> CoverageResult:
        """Do the cases together cover every index combination and finite-set value?"""
        exprs: list[sympy.Expr] = list(claim) if claim else [p.expr for _, ps in chains for p in ps[:1] if p.expr is not None]
        case_conditions = [[c for c in conds if c.kind in ("index", "subst")] for conds, _ in chains]
        finite: set[Symbol] = set()
        for conds in case_conditions:
            for c in conds:
                for s in c.relation.left.free_symbols | c.relation.right.free_symbols:
                    if c.kind == "subst" and self.ctx.domain_of(s).is_finite:
                        finite.add(s)
        index_conditions = [c for conds in case_conditions for c in conds if c.kind == "index"]
        try:
            instances = self.ctx.instances(exprs)
            extra = self.ctx.instances([c.relation.left - c.relation.right for c in index_conditions])
        except ContextError as err:
            return CoverageResult(False, [err.message])
        merged = _merge_instances(instances, extra)
        finite_list = sorted(finite, key=str)
        total = len(merged)
        for s in finite_list:
            total *= len(self.ctx.domain_of(s).values)
        if total > limits.MAX_COVERAGE_POINTS:  # hostile input: 50 values ** many symbols
            return CoverageResult(
                False, [f"too many combinations to check coverage ({total} > {limits.MAX_COVERAGE_POINTS})"]
            )
        uncovered: list[str] = []
        for inst in merged:
            for values in itertools.product(*(self.ctx.domain_of(s).values for s in finite_list)):
                point = dict(inst)
                point.update(zip(finite_list, values))
                if not any(all(condition_holds(c.relation, point) for c in conds) for conds in case_conditions):
                    uncovered.append(_describe_uncovered(point, self.ctx))
        return CoverageResult(not uncovered, uncovered[:10])


def _merge_instances(a: list[dict], b: list[dict]) -> list[dict]:
    """Every combination of two instance lists that agree on shared sizes."""
    out = []
    seen = set()
    for x in a or [{}]:
        for y in b or [{}]:
            if all(x[k] == y[k] for k in x.keys() & y.keys()):
                merged = {**x, **y}
                key = frozenset(merged.items())
                if key not in seen:
                    seen.add(key)
                    out.append(merged)
    return out


def _describe_uncovered(point: dict, ctx: Context) -> str:
    indices = sorted((s for s in point if s.name in ctx.index_size), key=lambda s: s.name)
    rel = ""
    if len(indices) == 2:
        a, b = indices
        rel = f"{a} {'==' if point[a] == point[b] else '!='} {b}: "
    return rel + ", ".join(f"{s} = {v}" for s, v in sorted(point.items(), key=lambda kv: (kv[0].name not in ctx.sizes, kv[0].name)))
