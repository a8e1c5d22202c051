"""Mistake diagnoses (SPEC §7): why an ``invalid`` step is wrong, and the concrete fix.

Every rule is a hypothesis about the mistake ("this step is minus the previous
one", "one factor is wrong", ...) that is *tested* with the engine's own numeric
machinery at every index combination the transition was checked at
(``Engine.compare(..., prove=False)``, or the engine's sampler and certified
counterexamples instance by instance), never guessed.  A diagnosis must be true
of the step, not only at the counterexample.  A rule that cannot decide within
the transition's time budget says nothing.

One module per rule family, as the rule table :data:`derivcheck.rules.RULES`
lists them: :mod:`.sign`, :mod:`.factors`, :mod:`.terms`, :mod:`.derivatives`,
:mod:`.cases`, :mod:`.slips`; :mod:`.probe` is what they share.

Rules run only on ``invalid`` transitions, in the order of :data:`RULE_FUNCTIONS`
(the most specific first); several may apply.  ``slip``/``after-slip`` look at
the chain: the step after a slip gets ``after-slip`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..budget import Budget
from ..results import INVALID, ChainResult, Note
from .cases import case_only, special_case
from .derivatives import extra_derivative
from .factors import constant_factor, missing_factor, reciprocal, wrong_factor
from .probe import Probe
from .sign import sign_error
from .slips import after_slip, previous_index, slip
from .terms import dropped_term, extra_term
from .text import split_latex_product, split_top, strip_parens

__all__ = ["RULE_FUNCTIONS", "diagnose_chain", "split_latex_product", "split_top", "strip_parens"]

#: The rules in the order they run (rules.RULES documents the same order).
RULE_FUNCTIONS: tuple[Callable[[Probe], list[Note]], ...] = (
    sign_error,
    constant_factor,
    reciprocal,
    extra_derivative,
    missing_factor,
    dropped_term,
    extra_term,
    wrong_factor,
    case_only,
    special_case,
)


def diagnose_chain(checker: Any, chain_index: int, chain: ChainResult) -> None:
    """Attach diagnoses to every ``invalid`` transition of one checked chain."""
    engine = checker.engine
    transitions = checker.transitions
    slips: set[int] = set()
    for sr in chain.steps:
        if sr.status != INVALID:
            continue
        tr = transitions.get((chain_index, sr.index))
        if tr is None:
            continue
        if sr.index - 1 in slips and previous_index(chain, sr.index) == sr.index - 1:
            sr.diagnoses = [after_slip(sr.index, previous_index(chain, sr.index - 1))]
            continue
        total = Budget(engine.timeout)
        try:
            probe = Probe(checker, chain_index, sr.index, tr, total)
        except Exception:  # noqa: BLE001 - a diagnosis never breaks a check
            continue
        # the slip test first: the next transition's diagnosis depends on it
        found_slip = probe.run(lambda p: slip(p, chain))
        if found_slip:
            slips.add(sr.index)
        notes: list[Note] = []
        for rule in RULE_FUNCTIONS:
            if total.remaining() <= 0.05:
                break
            probe.found = list(notes)
            notes.extend(probe.run(rule))
        sr.diagnoses = notes + found_slip
