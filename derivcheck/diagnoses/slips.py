"""``slip`` and ``after-slip``: a copying slip, seen from the chain around the step."""

from __future__ import annotations

from ..results import ERROR, INVALID, PROVED, TESTED, ChainResult, Note
from .probe import Probe


def previous_index(chain: ChainResult, index: int) -> int:
    """The step a transition was compared with: the last one before it not in error."""
    for s in reversed(chain.steps[: index - 1]):
        if s.status != ERROR:
            return s.index
    return index - 1


def after_slip(index: int, before: int) -> Note:
    return Note("after-slip", f"fails only because step {index - 1} is a slip: this step follows from step {before}")


def slip(p: Probe, chain: ChainResult) -> list[Note]:
    nxt = p.checker.transitions.get((p.ci, p.index + 1))
    if nxt is None or nxt.verdict.status != INVALID or nxt.previous is not p.tr.current:
        return []
    before = previous_index(chain, p.index)
    v = p.engine.compare(
        p.tr.previous, nxt.current, list(nxt.conditions), label=p.label("slip"), prove=False, budget=p.budget
    )
    if v.status in (TESTED, PROVED) and v.points > 0:
        return [
            Note(
                "slip",
                f"step {p.index + 1} follows from step {before}: this step is a slip in writing it down, "
                "not a wrong idea; correct this step and the rest stands",
            )
        ]
    return []


