"""``sign-error``: the step is minus the previous one, or one term's sign is flipped."""

from __future__ import annotations

from ..results import Note
from .probe import Probe
from .text import negate_signed, negate_text


def sign_error(p: Probe) -> list[Note]:
    prev, cur = p.tr.previous, p.tr.current
    _, cur_text = p.texts()
    if p.holds(-prev, cur, "sign"):
        fix = p.fix_ok(negate_text(cur_text))
        return [Note("sign-error", "this step is minus the previous one: the sign of the whole step is flipped", fix)]
    cur_terms = p.pieces("current", "+-")
    if len(cur_terms) > 1:
        for term in p.screen(cur_terms, -2):
            if p.holds(prev, cur - 2 * term.expr, "sign-term"):
                flipped = str(-term.expr)
                fix = None
                if term.span is not None:
                    fix = p.fix_ok(negate_signed(cur_text, term.span))
                return [Note("sign-error", f"the term {term.text} has the wrong sign: it should be {flipped}", fix)]
    prev_terms = p.pieces("previous", "+-")
    if len(prev_terms) > 1:
        for term in p.screen(prev_terms, 2):
            if p.holds(prev - 2 * term.expr, cur, "sign-prev-term"):
                return [
                    Note(
                        "sign-error",
                        f"the term {term.text} of the previous step has the opposite sign here: keep it as {term.text}",
                    )
                ]
    return []
