"""Reports of verification results: ``text`` (Rich), ``json`` (SPEC §8), ``github``.

Each format is a function from results to output; the CLI only picks one.
"""

from __future__ import annotations

import json
from typing import IO, Any, Callable

from .formats.locate import column
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

def code_of(kind: str) -> str | None:
    """The rule code of a diagnosis or note kind (the code table is read only when a report has one)."""
    from .codes import code_of as lookup

    return lookup(kind)


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
    lines: list[str] = []
    starts: list[tuple[FileResult, int]] = []
    for r in results:
        starts.append((r, len(lines)))
        path = escape_property(r.path)
        if r.error:
            for message, at in r.error.problems():
                line = f",line={at},col={column(r.path, at)}" if at else ""
                lines.append(f"::error file={path}{line}::{escape_data(message)}")
            lines += _expectation_lines(r, path)
            continue
        for chain in r.chains:
            for s in chain.steps:
                if not is_problem(s) and s.status != ERROR:
                    continue
                level = "warning" if s.status == TIMEOUT else "error"
                message = f"step {s.index} {s.status}: {s.message or ''}"
                if s.diagnoses:
                    message = f"step {s.index} {s.status} [{s.diagnoses[0].kind}]: {s.diagnoses[0].message}"
                lines.append(f"::{level} file={path},line={s.line},col={column(r.path, s.line)}::{escape_data(message)}")
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
        lines += _expectation_lines(r, path)
    # a teaching example with the status its `expect:` names: its problems are its point,
    # shown as notices rather than errors on the pull request
    ends = [start for _, start in starts[1:]] + [len(lines)]
    for (r, start), end in zip(starts, ends):
        if r.expect is not None and r.expect == r.status:
            for i in range(start, end):
                lines[i] = "::notice " + lines[i].split(" ", 1)[1]
    return lines


def _expectation_lines(r: FileResult, path: str) -> list[str]:
    """An ``expect:`` that was not met is a problem of its own (met, the steps' problems are the example's point)."""
    if r.expect is None or r.expect == r.status:
        return []
    from .sarif import key_line

    line = key_line(r.path, "expect")
    return [f"::error file={path},line={line},col={column(r.path, line)}::{escape_data(f'expected {r.expect}, got {r.status}')}"]


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
    line = f"derivcheck: {len(results)} {noun} checked: {files or 'none'}; {counts['transitions']} {t_noun}: {steps or 'none'}"
    expecting = [r for r in results if r.expect is not None]
    if expecting:  # teaching examples with `expect:`
        met = sum(r.expect == r.status for r in expecting)
        line += f"; {met} of {len(expecting)} expected statuses met"
    return line


_ORDER = [VALID, INVALID, UNKNOWN, ERROR]


def render_text(
    results: list[FileResult], file: IO[str] | None = None, quiet: bool = False, color: bool | None = None, width: int | None = None,
    console: Any = None,
) -> None:
    """Print the annotated report with Rich (colour only on a terminal, never with NO_COLOR).

    On a terminal (or with ``width``) long lines wrap at word boundaries with a
    hanging indent; into a pipe or a file every item stays on one line, for grep.
    """
    if console is None:  # else a stand-in such as formats.plaintext.PlainConsole (into a pipe, without Rich)
        from rich.console import Console

        console = Console(file=file, highlight=False, soft_wrap=True, no_color=(color is False) or None, emoji=False, width=width)
        console.soft_wrap = not (width or console.is_terminal)
    Text = _text_class(console)
    escape = getattr(console, "escape", None) or _rich_escape()

    def status_text(status: str) -> Text:
        symbol, style = STYLES.get(status, ("?", ""))
        return Text(f"{symbol} {status}", style=style)

    for r in results:
        if quiet and (r.expect == r.status if r.expect is not None else r.status == VALID):
            continue  # nothing to fix: valid, or exactly the status its `expect:` names
        head = Text()
        head.append(r.path, style="bold")
        if r.title:
            head.append(f" — {r.title}")
        head.append("  ")
        head.append_text(status_text(r.status))
        console.print(head)
        if r.expect is not None:
            met = r.expect == r.status
            console.print(Text(f"  expect: expected {r.expect}, got {r.status}" + (": as expected" if met else ""),
                               style="green" if met else "bold red"))
        if r.error:
            for message, at in r.error.problems():
                where = f"{r.path}:{at}" if at else r.path
                console.print(Text(f"  {where}: {message}", style="magenta"))
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
                indent = len(line.plain)
                line.append(s.expr)
                if s.why:
                    line.append(f"   ({s.why})", style="italic dim")
                hang(console, line, indent)
                _print_details(console, s, escape)
        if r.claim:
            t = Text("  claim: ")
            t.append_text(status_text(r.claim.status))
            t.append(f" — {r.claim.message}")
            hang(console, t, len("  claim: "))
        if r.coverage:
            t = Text("  coverage: ")
            if r.coverage.complete:
                t.append("complete", style="green")
                t.append(" — the chains cover the claim")
                if r.coverage.general is not None:
                    t.append(" for every size" if r.coverage.general else " at the listed sizes")
            elif not r.coverage.decided:
                t.append("not established", style="bold yellow")
            else:
                t.append("incomplete", style="bold red")
                t.append(" — not covered: " + "; ".join(r.coverage.uncovered[:4]))
                if len(r.coverage.uncovered) > 4:
                    t.append(" ...")
            console.print(t)
            for n in r.coverage.notes:  # coverage-gap, narrowed, coverage-undecided
                code = code_of(n.kind)
                console.print(Text(f"    note [{code + ' ' if code else ''}{n.kind}]: {n.message}", style="dim" if n.kind != "coverage-undecided" else "yellow"))
    console.print(Text(summary_line(results), style="bold"))


def _text_class(console: object) -> Any:
    """The Text class of ``console``: its own (a stand-in's), else Rich's."""
    own = getattr(console, "Text", None)
    if own is not None:
        return own
    from rich.text import Text

    return Text


def _rich_escape() -> Callable[[str], str]:
    from rich.markup import escape

    return escape


def hang(console: object, text: object, indent: int) -> None:
    """Print ``text``; when the console wraps, continuation lines start at column ``indent``.

    The first ``indent`` characters are a fixed column and the rest wraps at word
    boundaries beside it (a word longer than the line is folded), so nothing
    breaks mid-word and the message stays readable under its own start.
    """
    Text = _text_class(console)
    if console.soft_wrap or indent > console.width // 2:  # type: ignore[attr-defined]
        console.print(text)  # type: ignore[attr-defined]
        return
    head, rest = text[:indent], text[indent:]  # type: ignore[index]
    for i, part in enumerate(rest.wrap(console, console.width - indent, overflow="fold")):  # type: ignore[attr-defined]
        part.rstrip()
        console.print(Text.assemble(head if i == 0 else " " * indent, part))  # type: ignore[attr-defined]


def _print_details(console: object, s: StepResult, escape: Callable[[str], str]) -> None:
    Text = _text_class(console)

    pad = " " * 17
    if s.status == START:
        return
    if s.status in (PROVED, TESTED):
        if (s.status == TESTED or s.general is not None) and s.message:
            hang(console, Text(pad + s.message, style="cyan dim"), len(pad))
    elif s.counterexample is not None:
        hang(console, Text(pad + "counterexample " + s.counterexample.describe(), style="red"), len(pad))
    elif s.message:
        hang(console, Text(pad + s.message, style="magenta" if s.status == ERROR else "yellow"), len(pad))
    for d in s.diagnoses:
        t = Text(pad + "→ ")
        code = code_of(d.kind)
        t.append(f"{code} {d.kind}" if code else d.kind, style="bold")
        t.append(": " + d.message)
        if d.fix:
            t.append("  fix: ", style="bold")
            t.append(d.fix, style="bold green")
        hang(console, t, len(pad) + 2)
    for n in s.notes:
        code = code_of(n.kind)
        hang(console, Text(pad + f"note {code + ' ' if code else ''}{n.kind}: {n.message}", style="dim"), len(pad))


FORMATS = ("text", "json", "github")
