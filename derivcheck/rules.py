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
        "extra-derivative",
        "the step, or one of its terms, is the derivative of the previous step (or term): a derivative applied twice",
        "For each symbol v that a derivative of the chain (up to this step) or of the claim is taken "
        "with respect to, tested in turn: this step == "
        "Derivative(previous, v); for each top-level term T of the previous step, this step == "
        "previous - T + Derivative(T, v); for each factor F of such a term (the other factors kept), "
        "this step == previous - T + (T/F)*Derivative(F, v). The message names the symbol, the term "
        "of this step that holds the derivative, and the term to keep instead.",
        "- w - eta*(w*x - t)*x\n- w - eta*Derivative((w*x - t)*x, w)\n"
        "  # extra-derivative: the term -eta*Derivative((w*x - t)*x, w) is the derivative with respect to w\n"
        "  # of the previous step's term -eta*(w*x - t)*x: the derivative was applied twice",
    ),
    RuleDoc(
        "missing-factor",
        "the step equals the previous one times a simple factor of the symbols in play, left out",
        "The ratio previous/this step is simplified at the failing index combination and kept "
        "only when it is a simple monomial or the reciprocal of one: a rational coefficient times "
        "powers of at most three symbols, all positive or all negative (tau, 1/tau, x_j, 2*x, "
        "beta**2; not x/w, which is a factor replaced), written with the file's general names (x[k], "
        "never x[2]). It is then tested at every index combination: previous == factor * this "
        "step. Not given when sign-error, constant-factor, reciprocal or extra-derivative already explain the step.",
        "- (y - t)*x/beta\n- (y - t)*x            # missing-factor: a factor 1/beta is missing",
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
        "At every index combination that was checked, each symbol in play is given, in turn, "
        "each value of its finite set (t in {0, 1}) or the values 0, 1 and -1, in both steps. "
        "'Holds only when t = 1' is said only when t = 1 makes the steps equal at every index "
        "combination and no other value of any symbol does; values that merely make both steps "
        "0 are named as such ('apart from x_j = 0, where both steps are 0'). When several values "
        "make the step hold, the message lists them ('holds when t = 1 or u = 1') without 'only'; "
        "a value that makes it hold at some index combinations only, or an element of a sum "
        "(which has no general name), silences the rule. When the difference of the steps is "
        "proportional to (t - 1), a factor t is likely missing; proportional to t, a term in t is "
        "likely missing or extra. For a symbol that is not a finite set only three values were "
        "tried: the message says 'holds when a = 1 but not in general', and it is given only "
        "with a likely cause and when no earlier rule explained the step.",
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
