"""Term rules: ``dropped-term`` and ``extra-term``.

A term named in a message is a term as written, or a term of the expansion put
back in the file's general notation (``z[K]``, ``y[k]``) and tested at every
instance: never ``z[2]`` when that is only the term dropped at K = 2.
"""

from __future__ import annotations

import itertools
import re

import sympy

from ..results import Note
from .probe import MAX_PIECES, Probe
from .text import plus, tidy_term

#: Most general forms tried for one term of an expansion.
MAX_FORMS = 16

_SUBSCRIPT = re.compile(r"(\w+)\[([^\]]+)\]")


def dropped_term(p: Probe) -> list[Note]:
    _, cur_text = p.texts()
    terms = p.pieces("previous", "+-")
    if len(terms) > 1:
        for term in p.screen(terms, 1):
            if p.holds(p.tr.previous - term.expr, p.tr.current, "dropped"):
                return [_dropped_note(p, term.text, cur_text)]
        return []
    # one term as written: try the terms of its expansion at the failing instance,
    # then the general forms of the one that fits, at every instance
    expanded = sympy.Add.make_args(p.a)
    if not 1 < len(expanded) <= MAX_PIECES:
        return []
    for term in expanded:
        if p.equal_here(p.a - term, p.b, "dropped-expanded"):
            for text in general_forms(p, term):
                try:
                    raw = p.ctx.parse(text, 0)
                except Exception:  # noqa: BLE001 - a form the reader refuses is not a candidate
                    continue
                if p.holds_raw(p.tr.previous - raw, p.tr.current, "dropped-general"):
                    return [_dropped_note(p, text, cur_text)]
            return []
    return []


def general_forms(p: Probe, term: sympy.Expr) -> list[str]:
    """Ways to write a concrete term of the failing instance for every instance.

    Each literal subscript may stand for itself, for a free index with that value
    here, or for a size with that value here (the last term: ``z[K]``), or one
    less (``z[K - 1]``).  The caller tests each form at every instance.
    """
    text = str(p.fold(term))
    options: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    indices = {s.name: int(v) for s, v in p.inst.items() if s.name in p.ctx.index_size}
    sizes = {s.name: int(v) for s, v in p.inst.items() if s.name in p.ctx.sizes}
    for m in _SUBSCRIPT.finditer(text):
        for arg in re.finditer(r"[^,\s][^,]*", m.group(2)):
            value = arg.group(0).strip()
            spans.append((m.start(2) + arg.start(), m.start(2) + arg.start() + len(arg.group(0).rstrip())))
            if not value.isdigit():
                options.append([value])
                continue
            n = int(value)
            choices = [name for name, v in sorted(indices.items()) if v == n]
            choices.append(value)
            choices += [name for name, v in sorted(sizes.items()) if v == n]
            choices += [f"{name} - 1" for name, v in sorted(sizes.items()) if v - 1 == n and n > 1]
            options.append(choices)
    forms = []
    for combo in itertools.islice(itertools.product(*options), MAX_FORMS):
        out = text
        for (a, b), new in sorted(zip(spans, combo), reverse=True):
            out = out[:a] + new + out[b:]
        forms.append(out)
    return forms or [text]


def _dropped_note(p: Probe, term: str, cur_text: str) -> Note:
    return Note(
        "dropped-term",
        f"the term {term} of the previous step was dropped: add it back",
        p.fix_ok(plus(cur_text.strip(), term)),
    )


def extra_term(p: Probe) -> list[Note]:
    _, cur_text = p.texts()
    terms = p.pieces("current", "+-")
    if len(terms) < 2:
        return []
    candidates = p.screen(terms, -1)
    for i, term in enumerate(terms):
        if term not in candidates:
            continue
        if p.holds(p.tr.previous, p.tr.current - term.expr, "extra"):
            fix = None
            if term.span is not None:
                rest = "".join(cur_text[t.span[0] : t.span[1]] for j, t in enumerate(terms) if j != i)  # type: ignore[index]
                fix = p.fix_ok(tidy_term(rest))
            return [Note("extra-term", f"the term {term.text} does not come from the previous step: remove it", fix)]
    return []
