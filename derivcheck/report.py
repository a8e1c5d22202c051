"""Reports of verification results: ``text`` (Rich), ``json`` (SPEC §8), ``github``.

Each format is a function from results to output; the CLI only picks one.
"""

from __future__ import annotations

import json
from typing import IO, Callable

from .results import (
    ERROR,
    INVALID,
    PROVED,
    START,
    TESTED,
    TIMEOUT,
    UNKNOWN,
    VALID,
    FileResult,
    StepResult,
    report_json,
    summary,
)

#: status -> (symbol, Rich style)
STYLES: dict[str, tuple[str, str]] = {
    START: ("•", "dim"),
    PROVED: ("✓", "green"),
    TESTED: ("≈", "cyan"),
    INVALID: ("✗", "bold red"),
    ERROR: ("!", "bold magenta"),
    TIMEOUT: ("⏱", "yellow"),
    VALID: ("✓", "bold green"),
    UNKNOWN: ("?", "bold yellow"),
}


def is_problem(step: StepResult) -> bool:
    return step.status in (INVALID, ERROR, TIMEOUT)


# -- json ---------------------------------------------------------------------------------


def render_json(results: list[FileResult]) -> str:
    return json.dumps(report_json(results), indent=2, ensure_ascii=False, default=str)


# -- github -------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow-command message as GitHub Actions requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (file=..., title=...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(results: list[FileResult]) -> list[str]:
    lines = []
    for r in results:
        path = escape_property(r.path)
        if r.error:
            line = f",line={r.error.line}" if r.error.line else ""
            lines.append(f"::error file={path}{line}::{escape_data(r.error.message)}")
            continue
        for chain in r.chains:
            for s in chain.steps:
                if not is_problem(s) and s.status != ERROR:
                    continue
                level = "warning" if s.status == TIMEOUT else "error"
                message = f"step {s.index} {s.status}: {s.message or ''}"
                if s.diagnoses:
                    message = f"step {s.index} {s.status} [{s.diagnoses[0].kind}]: {s.diagnoses[0].message}"
                lines.append(f"::{level} file={path},line={s.line}::{escape_data(message)}")
        # a claim that fails only for want of coverage is reported once, as coverage
        if r.claim and r.claim.status in (INVALID, ERROR) and r.claim.cause != "coverage":
            lines.append(f"::error file={path},line=1::{escape_data('claim: ' + r.claim.message)}")
        if r.claim and r.coverage and not r.coverage.complete:
            if r.coverage.decided:
                msg = "the chains do not cover the claim: uncovered " + "; ".join(r.coverage.uncovered[:3])
                lines.append(f"::error file={path},line=1::{escape_data(msg)}")
            else:
                msg = "; ".join(n.message for n in r.coverage.notes if n.kind == "coverage-undecided")
                lines.append(f"::warning file={path},line=1::{escape_data(msg or 'coverage of the claim is not established')}")
    return lines


def render_github(results: list[FileResult]) -> str:
    lines = github_lines(results)
    lines.append(summary_line(results))
    return "\n".join(lines)


# -- text ---------------------------------------------------------------------------------


def summary_line(results: list[FileResult]) -> str:
    counts = summary(results)
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    files = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items(), key=lambda kv: _ORDER.index(kv[0])))
    steps = ", ".join(f"{counts[s]} {s}" for s in (PROVED, TESTED, INVALID, ERROR, TIMEOUT) if counts[s])
    noun = "file" if len(results) == 1 else "files"
    t_noun = "transition" if counts["transitions"] == 1 else "transitions"
    # one line per run: pre-commit splits the file list, so each batch says what it covered
    return f"derivcheck: {len(results)} {noun} checked: {files or 'none'}; {counts['transitions']} {t_noun}: {steps or 'none'}"


_ORDER = [VALID, INVALID, UNKNOWN, ERROR]


def render_text(results: list[FileResult], file: IO[str] | None = None, quiet: bool = False, color: bool | None = None) -> None:
    """Print the annotated report with Rich (colour only on a terminal, never with NO_COLOR)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.text import Text

    console = Console(file=file, highlight=False, soft_wrap=True, no_color=(color is False) or None, emoji=False)

    def status_text(status: str) -> Text:
        symbol, style = STYLES.get(status, ("?", ""))
        return Text(f"{symbol} {status}", style=style)

    for r in results:
        if quiet and r.status == VALID:
            continue
        head = Text()
        head.append(r.path, style="bold")
        if r.title:
            head.append(f" — {r.title}")
        head.append("  ")
        head.append_text(status_text(r.status))
        console.print(head)
        if r.error:
            where = f"{r.path}:{r.error.line}" if r.error.line else r.path
            console.print(Text(f"  {where}: {r.error.message}", style="magenta"))
            continue
        for chain in r.chains:
            if len(r.chains) > 1 or chain.given:
                label = chain.title or ("given " + ", ".join(chain.given) if chain.given else "chain")
                console.print(Text(f"  case: {label}", style="bold"))
            for s in chain.steps:
                if quiet and not is_problem(s):
                    continue
                line = Text("  ")
                line.append(f"{s.index:>2} ", style="dim")
                line.append(f"line {s.line:<4}", style="dim")
                line.append(" ")
                line.append_text(status_text(s.status))
                line.append("  ")
                line.append(s.expr)
                if s.why:
                    line.append(f"   ({s.why})", style="italic dim")
                console.print(line)
                _print_details(console, s, escape)
        if r.claim:
            t = Text("  claim: ")
            t.append_text(status_text(r.claim.status))
            t.append(f" — {r.claim.message}")
            console.print(t)
        if r.coverage:
            t = Text("  coverage: ")
            if r.coverage.complete:
                t.append("complete", style="green")
                t.append(" — the chains cover the claim")
            elif not r.coverage.decided:
                t.append("not established", style="bold yellow")
            else:
                t.append("incomplete", style="bold red")
                t.append(" — not covered: " + "; ".join(r.coverage.uncovered[:4]))
                if len(r.coverage.uncovered) > 4:
                    t.append(" ...")
            console.print(t)
            for n in r.coverage.notes:  # coverage-gap, narrowed, coverage-undecided
                console.print(Text(f"    note [{n.kind}]: {n.message}", style="dim" if n.kind != "coverage-undecided" else "yellow"))
    console.print(Text(summary_line(results), style="bold"))


def _print_details(console: object, s: StepResult, escape: Callable[[str], str]) -> None:
    from rich.text import Text

    pad = " " * 17
    if s.status == START:
        return
    if s.status in (PROVED, TESTED):
        if s.status == TESTED and s.message:
            console.print(Text(pad + s.message, style="cyan dim"))  # type: ignore[attr-defined]
    elif s.counterexample is not None:
        console.print(Text(pad + "counterexample " + s.counterexample.describe(), style="red"))  # type: ignore[attr-defined]
    elif s.message:
        console.print(Text(pad + s.message, style="magenta" if s.status == ERROR else "yellow"))  # type: ignore[attr-defined]
    for d in s.diagnoses:
        t = Text(pad + "→ ")
        t.append(d.kind, style="bold")
        t.append(": " + d.message)
        if d.fix:
            t.append("  fix: ", style="bold")
            t.append(d.fix, style="bold green")
        console.print(t)  # type: ignore[attr-defined]
    for n in s.notes:
        console.print(Text(pad + f"note {n.kind}: {n.message}", style="dim"))  # type: ignore[attr-defined]


FORMATS = ("text", "json", "github")
