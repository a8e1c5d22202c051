"""``--format concise`` and ``--statistics``: one line per finding, as ruff prints them.

A finding is what the SARIF log holds (same rule, level, message and line), so
the formats never disagree; this module only flattens it to
``path:line:col: DC103 message``. Findings in a file whose ``expect:`` was met
end in ``[expected]``: they are the mistakes the example is meant to show.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from ..results import FileResult


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    kind: str
    level: str  # error | warning | note
    message: str
    expected: bool = False

    def concise(self) -> str:
        tail = " [expected]" if self.expected else ""
        return f"{printable(self.path)}:{self.line}:{self.column}: {self.code} {printable(self.message)}{tail}"


def printable(text: str) -> str:
    """One line whatever a file name or message holds: control characters spelled out (``\\n``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def findings(results: list[FileResult], quiet: bool = False) -> list[Finding]:
    """Every finding of every file, in file order (``quiet``: no notes)."""
    from ..sarif import RULES, file_results

    out: list[Finding] = []
    for r in results:
        expected = r.expect is not None and r.expect == r.status
        for res in file_results(r, quiet=quiet):
            region = res["locations"][0]["physicalLocation"]["region"]
            rule = RULES[res["ruleIndex"]]
            message = " ".join(res["message"]["text"].split())
            out.append(Finding(r.path, region["startLine"], region.get("startColumn", 1), rule.id, rule.kind,
                               res["level"], message, expected and rule.kind != "expectation"))
    return out


def render_concise(results: list[FileResult], quiet: bool = False) -> str:
    """The lines, then a count of them (``All checks passed!`` when there are none)."""
    found = findings(results, quiet=quiet)
    lines = [f.concise() for f in found]
    lines.append(_count_line(found, len(results)))
    return "\n".join(lines)


def _count_line(found: list[Finding], files: int) -> str:
    noun = "file" if files == 1 else "files"
    if not found:
        return f"All checks passed! ({files} {noun})"
    expected = sum(f.expected for f in found)
    shown = f"Found {len(found)} finding{'s' if len(found) != 1 else ''} in {files} {noun}"
    return shown + (f" ({expected} expected by `expect:`)." if expected else ".")


def statistics(results: list[FileResult], quiet: bool = False) -> list[tuple[str, str, int]]:
    """(code, kind, count) per code, most frequent first, then by code."""
    counts = Counter((f.code, f.kind) for f in findings(results, quiet=quiet))
    return [(code, kind, n) for (code, kind), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))]


def render_statistics(results: list[FileResult], quiet: bool = False, as_json: bool = False) -> str:
    """ruff's ``--statistics``: ``count  code  kind`` per line, or a JSON list."""
    rows = statistics(results, quiet=quiet)
    if as_json:
        return json.dumps([{"code": c, "name": k, "count": n} for c, k, n in rows], indent=2)
    if not rows:
        return "All checks passed!"
    width = max(len(str(n)) for _, _, n in rows)
    return "\n".join(f"{n:>{width}}\t{code}\t{kind}" for code, kind, n in rows)
