"""The diagnosis kinds of SPEC §7: stable names, in the order the rules run, with their docs.

This table is the single source of ``derivcheck explain`` and of the kinds the
diagnose layer may emit; ``docs/diagnoses.md`` describes the same rules at length.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleDoc:
    kind: str
    summary: str
    detail: str
    example: str


RULES: tuple[RuleDoc, ...] = (
    RuleDoc(
        "sign-error",
        "the step equals minus the previous one, or exactly one term's sign is flipped",
        "Tested: this step == -(previous step); otherwise, for each top-level term U of this "
        "step, previous == this step - 2*U (U should be -U), then for each term T of the "
        "previous step, this step == previous - 2*T. The message names the term.",
        "- -(1 - sigma(z))\n- 1 - sigma(z)        # sign-error: this step is minus the previous one",
    ),
    RuleDoc(
        "constant-factor",
        "the step equals c times the previous one, for a constant c other than 1 and -1",
        "The ratio of the two steps is estimated at a few sample points, turned into an exact "
        "number (nsimplify of the computed ratio), and then tested: this step == c*previous. "
        "The message names c and how to remove it.",
        "- Derivative((w*x - t)**2/2, w)\n- 2*(w*x - t)*x       # constant-factor: remove the factor 2",
    ),
    RuleDoc(
        "reciprocal",
        "the step equals 1 over the previous one",
        "Tested: this step == 1/(previous step).",
        "- 1 - tanh(z)**2\n- cosh(z)**2           # reciprocal: it should be 1/cosh(z)**2",
    ),
    RuleDoc(
        "dropped-term",
        "the previous step minus this one is exactly one of the previous step's terms",
        "For each top-level term T of the previous step as written (or, when the previous step "
        "is a single term, of its expansion), tested: this step == previous - T. The message "
        "prints the term to add back.",
        "- (y - t)*x + lam*w\n- (y - t)*x            # dropped-term: the term lam*w was dropped",
    ),
    RuleDoc(
        "extra-term",
        "this step minus the previous one is exactly one of this step's terms",
        "For each top-level term U of this step as written, tested: previous == this step - U. "
        "The message prints the term to remove.",
        "- (y - t)*x\n- (y - t)*x + lam*w     # extra-term: remove lam*w",
    ),
    RuleDoc(
        "wrong-factor",
        "the previous step is a product and exactly one factor of this step is wrong",
        "Both steps are split into their factors as written (top-level `*`); the longer list is "
        "grouped into as many consecutive groups as the shorter one has factors, and the "
        "factors are compared pairwise, in order. When exactly one pair differs, the message "
        "names the factor of the previous step, its correct value (expanded, written with the "
        "file's defined names where possible, in the form closest to what was written) and the "
        "wrong factor of this step.",
        "- Derivative(L, y) * Derivative(y, z) * Derivative(z, w_j)\n"
        "- (-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j\n"
        "  # wrong-factor: the factor Derivative(L, y) should be -t/y + (1 - t)/(1 - y)",
    ),
    RuleDoc(
        "case-only",
        "the step holds only under an index relation that is not given (T == k or T != k)",
        "For each pair of free indices of the transition, the step is re-tested with the "
        "condition `I == J` added, then with `I != J`. When it holds under one of them, the "
        "message says which `given` is missing and that the other case needs its own chain.",
        "- Derivative(y[T], z[k])\n- y_k*(1 - y_k)        # case-only: holds only when T = k",
    ),
    RuleDoc(
        "special-case",
        "the step holds only when one symbol takes one value (t = 1)",
        "At the failing index combination, each symbol is given, in turn, each value of its "
        "finite set (t in {0, 1}) or the values 0, 1 and -1, in both steps. When exactly one "
        "value makes the steps equal (and it does not simply make both steps zero), the rule "
        "fires. When the difference of the steps is proportional to (t - 1), a factor t is "
        "likely missing; proportional to t, a term in t is likely missing or extra. For a "
        "symbol that is not a finite set only three values were tried: the message says "
        "'holds when a = 1 but not in general', and it is given only with a likely cause and "
        "when no earlier rule explained the step.",
        "- (-t/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j\n"
        "- (-1/y + (1 - t)/(1 - y)) * y*(1 - y) * x_j  # special-case: holds only when t = 1",
    ),
    RuleDoc(
        "slip",
        "this step is invalid, but the next step follows from the step before it",
        "Tested: the step after this one == the step before this one. The mistake was made in "
        "writing this step down, and the derivation continued correctly: a copying slip rather "
        "than a wrong idea.",
        "- a\n- b   # slip: wrong, but the next step is right again\n- a'",
    ),
    RuleDoc(
        "after-slip",
        "on the transition right after a slip: it fails only because the step before it was the slip",
        "Given instead of every other diagnosis on the step after a `slip`: this step follows "
        "from the step before the slip, so nothing here needs fixing.",
        "- a\n- b\n- a'  # after-slip",
    ),
)

BY_KIND: dict[str, RuleDoc] = {r.kind: r for r in RULES}
KINDS: tuple[str, ...] = tuple(r.kind for r in RULES)


def explain(kind: str | None = None) -> str:
    """The doc of one kind, or the list of every kind."""
    if kind is None:
        width = max(len(k) for k in KINDS)
        lines = ["Diagnoses of invalid steps (derivcheck explain KIND for one):", ""]
        lines += [f"  {r.kind:<{width}}  {r.summary}" for r in RULES]
        return "\n".join(lines)
    r = BY_KIND[kind]
    example = "\n".join("    " + line for line in r.example.splitlines())
    return f"{r.kind}: {r.summary}\n\n{textwrap.fill(r.detail, 88)}\n\nExample:\n{example}"
