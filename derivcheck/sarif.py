"""SARIF 2.1.0 output (``verify --format sarif``), for GitHub code scanning and other SARIF viewers.

One rule per diagnosis kind (SPEC §7) and per verdict problem (an invalid
transition with no diagnosis, an error, a timeout, a failed claim, incomplete
coverage), with ids that never change once published:

- ``DC101``–``DC110``: the diagnosis kinds, in SPEC order; ``DC111``
  ``missing-factor`` and ``DC112`` ``extra-derivative``, added later;
- ``DC201``–``DC205``: invalid, error, timeout, claim, coverage; ``DC206`` a file
  whose status is not the one its ``expect:`` names;
- ``DC301``: the ``domain-change`` note on a valid transition; ``DC302``
  ``coverage-gap`` and ``DC303`` ``narrowed``, notes about coverage (in the rule
  table so that ``derivcheck explain`` knows them; no result uses them yet).

Regions carry ``startColumn`` where the step's text can be found on its line
(1 otherwise).

Locations are relative to the current directory (``uriBaseId: %SRCROOT%``,
which is left for the viewer to resolve, so the log does not depend on where
it was made); a file outside the current directory gets an absolute ``file:`` URI.

A problem step gives one result; its rule is that of its first diagnosis, or
the verdict rule when it has none, and the message lists every diagnosis.
Levels: ``error`` for invalid steps, errors, failed claims and incomplete
coverage; ``warning`` for timeouts and for ``after-slip`` (the cause is the slip
reported on the step before); ``note`` for domain-change notes, which
``--quiet`` leaves out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .formats.locate import column
from .results import ERROR, INVALID, START, TIMEOUT, FileResult, StepResult

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/derivcheck/derivcheck"
SRCROOT = "%SRCROOT%"
LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    name: str
    short: str
    full: str
    help: str
    level: str = "error"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "shortDescription": {"text": self.short},
            "fullDescription": {"text": self.full},
            "help": {"text": self.help, "markdown": self.help},
            "defaultConfiguration": {"level": self.level},
            "properties": {"kind": self.kind, "tags": ["derivation", "correctness"]},
        }


RULES: tuple[Rule, ...] = (
    Rule(
        "DC101", "special-case", "SpecialCase",
        "The step holds only for one value of a symbol.",
        "The step equals the previous one only when a symbol takes one particular value "
        "(for example t = 1): a factor or term depending on that symbol was likely dropped.",
        "Restore the factor or term that involves the named symbol, or add the condition with `given:` "
        "if the step really is only meant for that value.",
    ),
    Rule(
        "DC102", "case-only", "CaseOnly",
        "The step holds only under an index relation that is not given.",
        "The step is right only when two indices are related (for example T = k), and that relation "
        "is not among the conditions in force.",
        "Split the derivation into `cases:` with `given: T == k` and `given: T != k`, "
        "or add the relation with `given:` if it holds.",
    ),
    Rule(
        "DC103", "sign-error", "SignError",
        "The step flips a sign.",
        "The step equals minus the previous step, or one of its terms has the opposite sign.",
        "Check the sign of the term named in the message (derivatives of 1 - y, of -log, of exp(-z)).",
    ),
    Rule(
        "DC104", "constant-factor", "ConstantFactor",
        "The step is off by a constant factor.",
        "The step equals c times the previous step for a constant c other than 1 "
        "(a lost 1/2, a doubled term, a forgotten exponent).",
        "Multiply by the factor named in the message, or find where it was introduced.",
    ),
    Rule(
        "DC105", "dropped-term", "DroppedTerm",
        "A term of the previous step is missing.",
        "The previous step minus this one is exactly one of the previous step's terms.",
        "Put back the term named in the message.",
    ),
    Rule(
        "DC106", "extra-term", "ExtraTerm",
        "The step adds a term.",
        "This step minus the previous one is exactly one of this step's terms: a term appeared from nowhere.",
        "Remove the term named in the message, or justify it in an earlier step.",
    ),
    Rule(
        "DC107", "reciprocal", "Reciprocal",
        "The step is the reciprocal of the previous one.",
        "The step equals 1 over the previous step: a fraction was turned upside down.",
        "Invert the step back, and check the derivative of the quotient or of log.",
    ),
    Rule(
        "DC108", "wrong-factor", "WrongFactor",
        "One factor of a product is wrong.",
        "The previous step is a product (for example chain-rule factors) and exactly one factor of "
        "this step is wrong; the message names the factor and its correct value.",
        "Replace the factor named in the message with its correct value.",
    ),
    Rule(
        "DC109", "slip", "Slip",
        "A copying slip.",
        "This step is invalid, but the next step follows from the step before this one: "
        "the idea is right and the step was copied wrongly.",
        "Correct this step so that it matches the steps around it.",
    ),
    Rule(
        "DC110", "after-slip", "AfterSlip",
        "The step fails only because of the slip before it.",
        "The transition right after a slip: it fails only because the step before it was the slip.",
        "Fix the slip on the previous step; this step then follows.",
        level="warning",
    ),
    Rule(
        "DC111", "missing-factor", "MissingFactor",
        "A simple factor of the previous step is missing.",
        "The previous step equals this step times a simple factor of the symbols in play "
        "(tau, 1/tau, x_j, 2*x, beta**2): the factor was left out.",
        "Multiply the step by the factor named in the message, or find where it was lost.",
    ),
    Rule(
        "DC112", "extra-derivative", "ExtraDerivative",
        "A derivative is applied twice.",
        "The step, or one of its terms, is the derivative of the previous step (or of the "
        "corresponding term) with respect to a symbol the chain differentiates by: the derivative "
        "was taken a second time.",
        "Keep the term named in the message as it was in the previous step.",
    ),
    Rule(
        "DC201", "invalid", "InvalidStep",
        "The step is not equal to the previous one.",
        "A counterexample was found and verified at high precision: a point where both steps are "
        "defined and differ.",
        "Evaluate both steps at the counterexample in the message to find where they part.",
    ),
    Rule(
        "DC202", "error", "StepError",
        "The file or the step could not be checked.",
        "The file could not be read as a derivation (bad YAML, an unknown key, a cycle in `define`), "
        "or a step could not be evaluated (parse error, unknown function, ambiguous derivative).",
        "Fix the problem named in the message; `derivcheck schema` describes the file format.",
    ),
    Rule(
        "DC203", "timeout", "Timeout",
        "Neither a proof nor a counterexample within the time budget.",
        "The transition was neither proved nor refuted within the time budget, so the derivation is unknown.",
        "Split the step into smaller steps, or raise `--timeout`.",
        level="warning",
    ),
    Rule(
        "DC204", "claim", "ClaimNotShown",
        "The chain does not show the claim.",
        "The first step is not the claim's left side, or the last step is not its right side.",
        "Start the chain with the left side of `claim:` and end it with the right side.",
    ),
    Rule(
        "DC205", "coverage", "CasesDoNotCover",
        "The cases do not cover the claim.",
        "Some index combination or value of a finite-set symbol falls under no case; the message names one.",
        "Add a case for the uncovered combination (for example `given: T != k`).",
    ),
    Rule(
        "DC206", "expectation", "ExpectationNotMet",
        "The file's status is not the one its `expect:` names.",
        "A teaching example marked `expect: invalid` (or valid, error, unknown) passes only when it gets "
        "that status; this one got another (\"expected invalid, got valid\").",
        "Fix the example so that it shows the intended mistake, or change `expect:` to the status it gets.",
    ),
    Rule(
        "DC301", "domain-change", "DomainChange",
        "The two steps are defined on different sets of points.",
        "A valid transition where the steps are defined on different sets of points, for example "
        "after cancelling a factor that can be zero; the message gives an example point.",
        "Nothing to fix if the cancellation is intended; otherwise state the condition with `given:`.",
        level="note",
    ),
    Rule(
        "DC302", "coverage-gap", "CoverageGap",
        "The cases leave isolated points uncovered.",
        "No case covers some isolated points (for example x = 0 between `given: x > 0` and `given: x < 0`); "
        "a set of measure zero, so the coverage still counts as complete. The note names the points.",
        "Nothing to fix if the points do not matter; otherwise add a case for them or widen a condition (`x >= 0`).",
        level="note",
    ),
    Rule(
        "DC303", "narrowed", "NarrowedChain",
        "A step-level `given` narrows what the chain shows.",
        "A `given` on a step that the file's and the case's conditions do not imply holds from that step on, "
        "so the chain shows the claim only under it and counts for coverage as a case with that condition.",
        "Move the condition to a case of its own (`cases:` with `given:`), and add the cases that cover the rest.",
        level="note",
    ),
)

RULE_BY_KIND: dict[str, Rule] = {r.kind: r for r in RULES}
RULE_INDEX: dict[str, int] = {r.id: i for i, r in enumerate(RULES)}


def artifact_location(path: str) -> dict[str, Any]:
    """``uri`` relative to the current directory with forward slashes, or a ``file:`` URI outside it."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except (OSError, ValueError):
            return {"uri": p.as_uri()}
    posix = PurePosixPath(*p.parts).as_posix() if p.parts else "."
    return {"uri": _uri_escape(posix), "uriBaseId": SRCROOT}


def _uri_escape(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/-._~!$&'()*+,;=:@")


_KEY_RE = {key: re.compile(rf"^{key}\s*:", re.M) for key in ("claim", "cases", "steps", "expect")}


def key_line(path: str, key: str) -> int:
    """The 1-based line of a top-level key in the file, or 1 when it cannot be found."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(1_000_000)
    except OSError:
        return 1
    m = _KEY_RE[key].search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def _step_message(s: StepResult) -> str:
    head = f"Step {s.index} `{_short(s.expr)}` is {s.status}"
    parts = []
    for d in s.diagnoses:
        text = f"{d.kind}: {d.message}"
        if d.fix:
            text += f" (fix: {d.fix})"
        parts.append(text)
    if s.counterexample is not None:
        parts.append("counterexample " + s.counterexample.describe())
    elif s.message:
        parts.append(s.message)
    return head + (": " + "; ".join(parts) if parts else ".")


def _short(expr: str, limit: int = 120) -> str:
    expr = " ".join(expr.split())
    return expr if len(expr) <= limit else expr[: limit - 1] + "…"


def _result(rule: Rule, level: str, message: str, path: str, line: int | None) -> dict[str, Any]:
    return {
        "ruleId": rule.id,
        "ruleIndex": RULE_INDEX[rule.id],
        "level": level,
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(path),
                    "region": {"startLine": max(1, int(line or 1)), "startColumn": column(path, line)},
                }
            }
        ],
    }


def file_results(r: FileResult, quiet: bool = False) -> list[dict[str, Any]]:
    """The SARIF results for one file."""
    out: list[dict[str, Any]] = []
    if r.error:
        for message, at in r.error.problems():
            out.append(_result(RULE_BY_KIND["error"], "error", message, r.path, at))
        if r.expect is not None and r.status != r.expect:
            out.append(_result(RULE_BY_KIND["expectation"], "error", f"expected {r.expect}, got {r.status}", r.path, key_line(r.path, "expect")))
        return out
    for chain in r.chains:
        where = f" (case {chain.title or ', '.join(chain.given)})" if len(r.chains) > 1 or chain.given else ""
        for s in chain.steps:
            if s.status == START:
                continue
            if s.status in (INVALID, ERROR, TIMEOUT):
                rule = RULE_BY_KIND[s.diagnoses[0].kind] if s.diagnoses and s.diagnoses[0].kind in RULE_BY_KIND else RULE_BY_KIND[s.status]
                level = "warning" if s.status == TIMEOUT else rule.level if s.status == INVALID else "error"
                out.append(_result(rule, level, _step_message(s) + where, r.path, s.line))
            elif not quiet:
                for n in s.notes:
                    rule = RULE_BY_KIND.get(n.kind)
                    if rule is not None:
                        out.append(_result(rule, "note", f"Step {s.index}: {n.message}{where}", r.path, s.line))
    # a claim that fails only for want of coverage is reported once, as coverage
    if r.claim and r.claim.status in (INVALID, ERROR, TIMEOUT) and r.claim.cause != "coverage":
        level = "warning" if r.claim.status == TIMEOUT else "error"
        out.append(_result(RULE_BY_KIND["claim"], level, f"claim {r.claim.status}: {r.claim.message}", r.path, key_line(r.path, "claim")))
    if r.claim and r.coverage and not r.coverage.complete:
        shown = r.coverage.uncovered[:3]
        more = f" and {len(r.coverage.uncovered) - 3} more" if len(r.coverage.uncovered) > 3 else ""
        # at `cases:`, or at `steps:` for a chain narrowed by a step-level given
        line = key_line(r.path, "cases")
        line = line if line > 1 else key_line(r.path, "steps")
        if r.coverage.decided:
            message = "The chains do not cover the claim; not covered: " + "; ".join(shown) + more
            out.append(_result(RULE_BY_KIND["coverage"], "error", message, r.path, line))
        else:  # neither shown nor refuted
            message = "; ".join(n.message for n in r.coverage.notes if n.kind == "coverage-undecided")
            out.append(_result(RULE_BY_KIND["coverage"], "warning", message or "coverage of the claim is not established", r.path, line))
    if r.expect is not None and r.status != r.expect:
        out.append(_result(RULE_BY_KIND["expectation"], "error", f"expected {r.expect}, got {r.status}", r.path, key_line(r.path, "expect")))
    return out


def _as_expected(r: FileResult, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A teaching example with the status its ``expect:`` names: its results are notes, not errors."""
    if r.expect is not None and r.expect == r.status:
        for res in found:
            res["level"] = "note"
    return found


def sarif_log(results: list[FileResult], quiet: bool = False) -> dict[str, Any]:
    """The SARIF 2.1.0 log for a run of ``verify``."""
    sarif_results = [res for r in results for res in _as_expected(r, file_results(r, quiet=quiet))]
    failed = [r for r in results if r.status == ERROR]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "derivcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule.to_json() for rule in RULES],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{r.path}: {r.error.message}"}}
                            for r in failed
                            if r.error
                        ],
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }


def render_sarif(results: list[FileResult], quiet: bool = False) -> str:
    return json.dumps(sarif_log(results, quiet=quiet), indent=2, ensure_ascii=False)


__all__ = ["RULES", "RULE_BY_KIND", "LEVELS", "render_sarif", "sarif_log", "file_results", "artifact_location", "key_line"]
