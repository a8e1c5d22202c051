"""What a check finds, as plain data: the engine fills it, diagnoses annotate it, reports print it.

The shape follows the JSON report of SPEC §8, so :func:`file_to_json` is a
straight translation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Transition statuses, and the first step's.
START, PROVED, TESTED, INVALID, ERROR, TIMEOUT = "start", "proved", "tested", "invalid", "error", "timeout"
#: File statuses.
VALID, UNKNOWN = "valid", "unknown"


@dataclass
class Note:
    """A diagnosis or a note: a stable ``kind`` and a message for people."""

    kind: str
    message: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass
class Counterexample:
    """A point where both sides are defined and differ, checked at high precision."""

    values: dict[str, Any]
    left: float
    right: float

    def to_json(self) -> dict[str, Any]:
        return {"values": {k: _json_num(v) for k, v in self.values.items()}, "left": _json_num(self.left), "right": _json_num(self.right)}

    def describe(self) -> str:
        point = ", ".join(f"{k} = {v}" for k, v in self.values.items())
        return f"at {point}: previous step = {_num(self.left)}, this step = {_num(self.right)}"


@dataclass
class CertifiedCounterexample(Counterexample):
    """A counterexample whose two values print with enough digits to tell them apart.

    ``40`` and ``40.00004``, or two values near ``6.46e36`` that differ by 2, would
    print alike at six digits; values beyond a double print from the certificate.
    """

    left_text: str = ""
    right_text: str = ""
    #: the certified difference, when it had to be computed symbolically (below 1e-500 relative)
    difference_text: str = ""
    #: the declared functions' instantiation the point refutes (abstract.py), or ""
    instantiation: str = ""

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        if self.instantiation:
            out["instantiation"] = self.instantiation
        return out

    def describe(self) -> str:
        point = ", ".join(f"{k} = {v}" for k, v in self.values.items())
        where = f"at {point}: " if point else "everywhere: "
        if self.instantiation:
            where = f"with {self.instantiation}: {where}"
        by = f" (they differ by {self.difference_text})" if self.difference_text else ""
        return f"{where}previous step = {self.left_text}, this step = {self.right_text}{by}"


def _num(x: float) -> str:
    return f"{x:.6g}"


def _json_num(x: Any) -> Any:
    """JSON has no Infinity/NaN: a value beyond a double (x**1000 at x = 3) becomes the string "inf"."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


@dataclass
class StepResult:
    index: int
    line: int
    expr: str
    status: str
    message: str | None = None
    why: str | None = None
    counterexample: Counterexample | None = None
    diagnoses: list[Note] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    points: int = 0
    #: the instance (sizes, index values) of the counterexample, for diagnoses
    detail: Any = None
    #: an indexed step: proved for every size (True) or checked at the listed sizes (False)
    general: bool | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "line": self.line, "expr": self.expr, "status": self.status}
        if self.status != START or self.message:
            out["message"] = self.message
        if self.why:
            out["why"] = self.why
        if self.status != START:
            out["counterexample"] = self.counterexample.to_json() if self.counterexample else None
            out["diagnoses"] = [d.to_json() for d in self.diagnoses]
            out["notes"] = [n.to_json() for n in self.notes]
            if self.status == TESTED:
                out["points"] = self.points
            if self.general is not None:
                out["general"] = self.general
        return out


@dataclass
class ChainResult:
    given: list[str]
    steps: list[StepResult]
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"given": self.given, "steps": [s.to_json() for s in self.steps]}
        if self.title:
            out["title"] = self.title
        return out


@dataclass
class ClaimResult:
    status: str
    message: str
    #: "coverage" when the chains start and end as claimed but cover only part of it
    #: (reports then show the coverage problem, not a second claim problem)
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message}


@dataclass
class CoverageResult:
    """Whether the chains cover the claim; ``decided`` is false when that could not be shown either way."""

    complete: bool
    uncovered: list[str]
    notes: list[Note] = field(default_factory=list)
    decided: bool = True
    #: an indexed claim: complete for every size (True) or at the listed sizes only (False)
    general: bool | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"complete": self.complete, "uncovered": self.uncovered, "notes": [n.to_json() for n in self.notes]}
        if self.general is not None:
            out["general"] = self.general
        return out


@dataclass
class FileError:
    message: str
    line: int | None
    #: further problems found in the same reading, as (message, line)
    more: list[tuple[str, int | None]] = field(default_factory=list)

    def problems(self) -> list[tuple[str, int | None]]:
        return [(self.message, self.line), *self.more]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "line": self.line}
        if self.more:
            out["problems"] = [{"message": m, "line": n} for m, n in self.problems()]
        return out


@dataclass
class FileResult:
    path: str
    title: str | None = None
    status: str = VALID
    error: FileError | None = None
    claim: ClaimResult | None = None
    coverage: CoverageResult | None = None
    chains: list[ChainResult] = field(default_factory=list)
    seconds: float = 0.0
    #: the file's ``expect:`` (a teaching example meant to be invalid), or None
    expect: str | None = None

    @property
    def expectation_met(self) -> bool | None:
        return None if self.expect is None else self.status == self.expect

    def transitions(self) -> list[StepResult]:
        return [s for c in self.chains for s in c.steps if s.status != START]

    def to_json(self) -> dict[str, Any]:
        out = {
            "path": self.path,
            "title": self.title,
            "status": self.status,
            "error": self.error.to_json() if self.error else None,
            "claim": self.claim.to_json() if self.claim else None,
            "coverage": self.coverage.to_json() if self.coverage else None,
            "chains": [c.to_json() for c in self.chains],
        }
        if self.expect is not None:
            out["expect"] = self.expect
            out["expectation_met"] = self.expectation_met
        return out


def summary(results: list[FileResult]) -> dict[str, int]:
    counts = {"files": len(results), "transitions": 0, PROVED: 0, TESTED: 0, INVALID: 0, ERROR: 0, TIMEOUT: 0}
    for r in results:
        for s in r.transitions():
            counts["transitions"] += 1
            if s.status in counts:
                counts[s.status] += 1
    return counts


def file_status(result: FileResult) -> str:
    """SPEC §6: error beats invalid beats unknown beats valid."""
    if result.error:
        return ERROR
    statuses = {s.status for c in result.chains for s in c.steps}
    if ERROR in statuses:
        return ERROR
    if result.claim and result.claim.status == ERROR:
        return ERROR
    if INVALID in statuses:
        return INVALID
    if result.claim and result.claim.status == INVALID:
        return INVALID
    if result.coverage and result.claim and not result.coverage.complete and result.coverage.decided:
        return INVALID
    if TIMEOUT in statuses or (result.claim and result.claim.status == TIMEOUT):
        return UNKNOWN
    if result.coverage and result.claim and not result.coverage.complete:
        return UNKNOWN  # coverage neither shown nor refuted
    return VALID


def report_json(results: list[FileResult]) -> dict[str, Any]:
    by_status = {s: sum(1 for r in results if r.status == s) for s in (VALID, INVALID, ERROR, UNKNOWN)}
    return {"version": 1, "files": [r.to_json() for r in results], "summary": {**summary(results), "file_status": by_status}}
