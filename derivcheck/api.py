"""The library API: verify derivation files and get :class:`~derivcheck.results.FileResult` objects.

This is what the CLI, the pre-commit hook and the grader call.  It never raises
for bad input: every problem becomes a result with a message and a line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import limits
from .budget import Timeout
from .results import ERROR, INVALID, VALID, FileError, FileResult, file_status

if TYPE_CHECKING:  # the checker (and SymPy with it) is imported when a file is checked, not before
    from .context import Context
    from .model import Derivation

#: Failures that may depend on this machine or process rather than on the file (memory
#: or the stack ran out, an internal error), counted like :attr:`Timeout.raised`: see
#: :func:`machine_events`.
_failures = [0]


def machine_events() -> tuple[int, int]:
    """How many time limits fired, and how many machine-dependent failures happened, in this process so far.

    A result during whose check these numbers moved depends on the machine's load
    or limits: the result cache keeps it only when that cannot have made it wrong.
    """
    return Timeout.raised, _failures[0]


def latex_reader():  # type: ignore[no-untyped-def]
    """The LaTeX reader, imported only when a file has LaTeX steps."""
    from .latex import parse_latex

    return parse_latex


_GRADING_KEY_RE = re.compile(r"^questions\s*:", re.MULTILINE)
_GRADING_FILE_RE = re.compile(r"^(questions|answers|assignment)\s*:", re.MULTILINE)


def is_grading_file(path: Path) -> bool:
    """A grading key or a submission: checked by ``derivcheck grade``, not ``verify``."""
    try:
        with path.open("rb") as f:
            head = f.read(64_000).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(_GRADING_FILE_RE.search(head))


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders expanded to every derivation .yaml/.yml below them, sorted.

    Inside folders, grading keys and submissions (top-level ``questions``,
    ``answers`` or ``assignment``) are left to ``derivcheck grade``.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
            grading = [f for f in found if is_grading_file(f)]
            # a folder that holds a grading key is a grading example: its expected
            # grades and submissions are not derivations either
            roots = {f.parent for f in grading if _GRADING_KEY_RE.search(f.read_text("utf-8", "replace")[:64_000])}
            out.extend(
                q for q in found if q not in grading and not any(r == q.parent or r in q.parents for r in roots)
            )
        else:
            out.append(p)
    return out


_EXPECT_RE = re.compile(r"^expect\s*:\s*[\"']?(valid|invalid|error|unknown)[\"']?\s*(?:#.*)?$", re.MULTILINE)


def declared_expect(path: str | Path) -> str | None:
    """The ``expect:`` of a file that could not be loaded (a teaching example of a file-level error).

    Read from the text, top-level lines only, since the YAML itself may be what is broken.
    """
    try:
        with Path(path).open("rb") as f:
            head = f.read(64_000).decode("utf-8", "replace")
    except OSError:
        return None
    found = _EXPECT_RE.findall(head)
    return found[0] if len(found) == 1 else None


def outcome(result: FileResult) -> str:
    """The status that decides the exit code: ``valid`` for a met expectation.

    An unmet expectation keeps the real status, except that a valid file
    expected to be something else counts as invalid (a check that failed).
    """
    if result.expect is None:
        return result.status
    if result.expect == result.status:
        return VALID
    return INVALID if result.status == VALID else result.status


def expectation_message(result: FileResult) -> str | None:
    """``expected invalid, got valid`` (or that the expectation was met), for reports."""
    if result.expect is None:
        return None
    if result.expect == result.status:
        return f"expected {result.expect}, got {result.status}: as expected"
    return f"expected {result.expect}, got {result.status}"


def context_for(deriv: Derivation) -> Context:
    from .context import Context

    texts = [s.text for c in deriv.chains for s in c.steps]
    if deriv.claim:
        texts.append(deriv.claim.text)
    uses_latex = any(s.latex for c in deriv.chains for s in c.steps)
    return Context(deriv.scope, texts, latex_reader=latex_reader() if uses_latex else None)


@contextmanager
def errors_as_result(result: FileResult, what: str = "file") -> Iterator[None]:
    """Turn whatever checking the body raises into the result's error: never a traceback."""
    from .context import ContextError

    problem: str | None = None
    line: int | None = None
    more: list[tuple[str, int | None]] = []
    try:
        yield
    except ContextError as err:
        problem, line = err.message, err.line
        more = [(p.message, p.line) for p in err.more]
    except RecursionError:  # how deep the stack gets can depend on what this process computed before
        _failures[0] += 1
        problem = f"the {what} is too deeply nested to check"
    except MemoryError:
        _failures[0] += 1
        problem = f"checking this {what} ran out of memory (an expression too large to expand?)"
    except Timeout:  # a budget that fired outside any transition (SECURITY.md)
        problem = f"checking this {what} ran out of time outside any single step"
    except Exception as err:  # noqa: BLE001 - hostile input never ends in a traceback (SPEC §10)
        _failures[0] += 1
        problem = f"internal error while checking this {what} ({type(err).__name__}: {err})"
    if problem is not None:
        result.error = FileError(problem, line, more)
        result.chains = []


def verify_derivation(
    deriv: Derivation, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT, display_path: str | None = None
) -> FileResult:
    """Check a loaded derivation: verdicts, claim, coverage and diagnoses."""
    from .checker import DerivationChecker

    started = time.monotonic()
    result = FileResult(display_path or deriv.path, title=deriv.title, expect=deriv.expect)
    with errors_as_result(result):
        ctx = context_for(deriv)
        checker = DerivationChecker(deriv, ctx, seed=seed, timeout=timeout)
        checker.run(result)
        for ci, chain in enumerate(result.chains):
            if any(s.status == INVALID for s in chain.steps):  # the rules run on invalid steps only
                from .diagnose import diagnose_chain

                diagnose_chain(checker, ci, chain)
    result.status = file_status(result)
    result.seconds = time.monotonic() - started
    return result


def verify_text(text: str, path: str = "<string>", seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT) -> FileResult:
    """Load and verify YAML text."""
    from .loader import load_text
    from .yamltree import LoadError

    try:
        deriv = load_text(text, path)
    except LoadError as err:
        return FileResult(path, status=ERROR, error=FileError(err.message, err.line, [(p.message, p.line) for p in getattr(err, "more", [])]))
    except (RecursionError, MemoryError):
        _failures[0] += 1
        return FileResult(path, status=ERROR, error=FileError("the file is too deeply nested or too large to read", None))
    return verify_derivation(deriv, seed=seed, timeout=timeout, display_path=path)


def verify_file(path: str | Path, seed: int = 0, timeout: float = limits.DEFAULT_TIMEOUT, display_path: str | None = None) -> FileResult:
    """Read, load and verify one file; ``display_path`` is how reports name it."""
    from .loader import read_text
    from .yamltree import LoadError

    shown = display_path or str(path)
    try:
        text = read_text(path)
    except LoadError as err:
        return FileResult(shown, status=ERROR, error=FileError(err.message, err.line, [(p.message, p.line) for p in getattr(err, "more", [])]))
    return verify_text(text, shown, seed=seed, timeout=timeout)
