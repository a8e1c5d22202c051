"""Rule codes (``DC103``) and what ``derivcheck explain`` says about a code, a diagnosis or a note kind.

The codes are those of the SARIF rule table (:mod:`derivcheck.sarif`), which
never change once published; the long texts of diagnoses come from
:mod:`derivcheck.rules`. Reports print the code beside the kind so that a user
can paste either into ``derivcheck explain``.
"""

from __future__ import annotations

import textwrap

from . import rules
from .sarif import RULE_BY_KIND, RULES, Rule

RULE_BY_CODE: dict[str, Rule] = {r.id: r for r in RULES}
#: note kinds that are reported under another kind's rule
ALIASES: dict[str, str] = {"coverage-undecided": "coverage"}
#: what an alias means on its own: (short, full, what to do, level)
ALIAS_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "coverage-undecided": (
        "Whether the cases cover the claim was neither shown nor refuted.",
        "The conditions of the cases are beyond what the coverage reasoning can decide (or it ran out of "
        "time), so the file is unknown rather than valid or invalid; the note says why.",
        "Write the cases with simpler conditions (index relations, one inequality per symbol), or raise `--timeout`.",
        "warning",
    ),
}


def code_of(kind: str) -> str | None:
    """``sign-error`` -> ``DC103``; None for a kind with no rule."""
    rule = RULE_BY_KIND.get(ALIASES.get(kind, kind))
    return rule.id if rule else None


def find_rule(topic: str) -> Rule | None:
    """The rule named by a code (``DC103``, ``dc103``) or a kind (``sign-error``)."""
    topic = topic.strip()
    return RULE_BY_CODE.get(topic.upper()) or RULE_BY_KIND.get(ALIASES.get(topic, topic))


def explain_topic(topic: str | None) -> str | None:
    """The text of ``derivcheck explain TOPIC``; None when TOPIC names nothing."""
    if topic is None:
        return explain_all()
    rule = find_rule(topic)
    if rule is None:
        return None
    if rule.kind in rules.BY_KIND:  # a diagnosis: the long description
        return f"{rules.explain(rule.kind)}\n\nCode: {rule.id}"
    if topic in ALIAS_TEXTS:
        short, full, what, level = ALIAS_TEXTS[topic]
        kind = topic
    else:
        kind, short, full, what, level = rule.kind, rule.short, rule.full, rule.help, rule.level
    body = "\n\n".join(textwrap.fill(t, 88) for t in (full, "What to do: " + what))
    return f"{kind}: {short[0].lower() + short[1:]}\n\n{body}\n\nCode: {rule.id} ({level})"


def explain_all() -> str:
    """Every code with its kind and one line, diagnoses first."""
    width = max(len(r.kind) for r in RULES)
    lines = ["Codes (derivcheck explain CODE or KIND for one):", ""]
    for r in RULES:
        summary = rules.BY_KIND[r.kind].summary if r.kind in rules.BY_KIND else r.short.rstrip(".")
        lines.append(f"  {r.id}  {r.kind:<{width}}  {summary}")
    return "\n".join(lines)


def suggestions() -> str:
    return ", ".join(f"{r.id} ({r.kind})" for r in RULES)
