"""What ``verify`` checks: the files below the given paths, under a configuration.

Folders are walked for derivation files; what is not a derivation is left out
*and named* (grading keys and submissions are for ``derivcheck grade``, context
files for ``--context``), so nothing is skipped silently. A file given by name is
always checked: a grading key given by name is an error that says to use
``derivcheck grade``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import limits
from .api import declared_expect, machine_events
from .config import Config
from .results import ERROR, FileError, FileResult

if TYPE_CHECKING:  # the loader (ruamel) and the checker (SymPy) are imported when a file is read
    from .cache import ResultCache
    from .documents import ContextFile
    from .model import Derivation

_TOP_KEY = {key: re.compile(rf"^{key}\s*:", re.MULTILINE) for key in ("questions", "answers", "assignment")}
HEAD_BYTES = 64_000


@dataclass
class Collected:
    """The files to verify, and those a folder walk left out, with why."""

    files: list[Path] = field(default_factory=list)
    grading: list[Path] = field(default_factory=list)
    contexts: list[Path] = field(default_factory=list)
    excluded: list[Path] = field(default_factory=list)


def _head(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def grading_role(path: Path) -> str | None:
    """``"grading key"`` or ``"submission"`` for the files ``derivcheck grade`` reads; None otherwise."""
    head = _head(path)
    if _TOP_KEY["questions"].search(head):
        return "grading key"
    if _TOP_KEY["answers"].search(head):
        return "submission"
    if _TOP_KEY["assignment"].search(head):
        return "grading key"
    return None


def is_context_file(path: Path) -> bool:
    """A derivation file with names but no steps or cases (what ``--context`` reads), loaded in full to be sure.

    A file with a typo (``step:``) fails to load and so is not a context: it is
    verified, and reported in error.
    """
    head = _head(path)
    if re.search(r"^(steps|cases)\s*:", head, re.MULTILINE) or not re.search(r"^(symbols|define|indices)\s*:", head, re.MULTILINE):
        return False
    from .loader import load_text
    from .yamltree import LoadError

    try:
        if path.stat().st_size > limits.MAX_FILE_BYTES:
            return False
        deriv = load_text(path.read_text("utf-8"), str(path), require_steps=False)
    except (LoadError, OSError, UnicodeDecodeError, RecursionError, MemoryError):
        return False
    return not deriv.chains and deriv.claim is None and deriv.expect is None


def collect(paths: Iterable[str | Path], config: Config | None = None) -> Collected:
    """Files as given; folders expanded to every derivation .yaml/.yml below them, sorted.

    Inside folders, grading keys, submissions, every file of a folder holding a
    grading key (its expected grades, its submissions), context files and files
    matching ``exclude`` are left out and listed.
    """
    out = Collected()
    for p in map(Path, paths):
        if not p.is_dir():
            out.files.append(p)
            continue
        found = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
        if config is not None:
            out.excluded += [q for q in found if config.excluded(q)]
            found = [q for q in found if not config.excluded(q)]
        roles = {q: grading_role(q) for q in found}
        roots = {q.parent for q, role in roles.items() if role == "grading key"}
        for q in found:
            if roles[q] or any(r == q.parent or r in q.parents for r in roots):
                out.grading.append(q)
            elif is_context_file(q):
                out.contexts.append(q)
            else:
                out.files.append(q)
    return out


def apply_default_sizes(deriv: Derivation, config: Config | None) -> None:
    """The configuration's ``sizes`` for every index range the file leaves out of its own ``sizes``."""
    if config is None or config.sizes is None:
        return
    from .model import Size

    for size_name in {t.text.strip() for t in deriv.scope.indices.values()}:
        values = config.sizes_for(size_name)
        if values and size_name not in deriv.scope.sizes:
            deriv.scope.sizes[size_name] = Size(values, deriv.line)


def verify_one(
    path: Path,
    shown: str,
    context: ContextFile | None = None,
    seed: int = 0,
    timeout: float = limits.DEFAULT_TIMEOUT,
    config: Config | None = None,
) -> FileResult:
    """Verify one file; never raises for bad input."""
    from .api import verify_derivation
    from .documents import load_any
    from .yamltree import LoadError

    role = grading_role(path) if path.suffix in (".yaml", ".yml") else None
    if role is not None:
        key = "questions" if role == "grading key" else "answers"
        m = _TOP_KEY[key].search(_head(path)) or _TOP_KEY["assignment"].search(_head(path))
        line = _head(path).count("\n", 0, m.start()) + 1 if m else None
        return FileResult(shown, status=ERROR, error=FileError(
            f"this is a {role}, not a derivation: use derivcheck grade KEY SUBMISSIONS --out DIR", line))
    try:
        deriv = load_any(path, shown, context)
    except LoadError as err:
        message = err.message
        if path.suffix in (".yaml", ".yml") and is_context_file(path):
            message = ("this is a context file (names, no steps): give it with --context FILE when verifying "
                       "a Markdown/LaTeX document, or add 'steps' to make it a derivation")
        result = FileResult(shown, status=ERROR, error=FileError(message, err.line, [(p.message, p.line) for p in err.more]))
        result.expect = declared_expect(path)
        return result
    except (RecursionError, MemoryError):
        from . import api

        api._failures[0] += 1  # never cached: see api.machine_events
        return FileResult(shown, status=ERROR, error=FileError("the file is too deeply nested or too large to read", None))
    apply_default_sizes(deriv, config)
    return verify_derivation(deriv, seed=seed, timeout=timeout, display_path=shown)


class ContextProblem(Exception):
    """The ``--context`` file cannot be used: ``where`` is ``path:line`` (or the path), ``message`` why."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


def read_context(path: Path, question: str | None) -> ContextFile:
    """The ``--context`` file, loaded (:class:`ContextProblem` when it cannot be)."""
    from .documents import load_context
    from .yamltree import LoadError

    try:
        return load_context(path, question)
    except LoadError as err:
        raise ContextProblem(f"{path}:{err.line}" if err.line else str(path), err.message) from None


def verify_files(
    files: list[Path],
    shown: Callable[[Path], str],
    context_path: Path | None = None,
    question: str | None = None,
    seed: int = 0,
    timeout: float = limits.DEFAULT_TIMEOUT,
    config: Config | None = None,
    cache: ResultCache | None = None,
    prepare: Callable[[], None] | None = None,
) -> list[FileResult]:
    """Verify ``files`` in order, taking unchanged ones from ``cache`` when given.

    Only a miss loads the context file and the checker: a run where every file is
    in the cache imports neither ruamel nor SymPy. ``prepare`` is called once
    before the first file is read, only when one will be (the command line uses it
    to import the checker its own way). A bad context raises
    :class:`ContextProblem` before any file is checked.
    """
    if cache is None:
        if prepare is not None and (files or context_path is not None):
            prepare()
        context = read_context(context_path, question) if context_path is not None else None
        return [verify_one(f, shown(f), context, seed=seed, timeout=timeout, config=config) for f in files]
    found = [cache.lookup(f, shown(f)) for f in files]
    misses = [x for x in found if x.result is None]
    if prepare is not None and (misses or (context_path is not None and not files)):
        prepare()
    context = read_context(context_path, question) if context_path is not None and (misses or not files) else None
    results: list[FileResult] = []
    for x in found:
        if x.result is not None:
            results.append(x.result)
            continue
        timeouts, failures = machine_events()
        result = verify_one(x.path, x.shown, context, seed=seed, timeout=timeout, config=config)
        after = machine_events()
        if after[1] == failures:  # memory ran out or an internal error: never kept
            cache.save(x, result, limits_fired=after[0] != timeouts)
        results.append(result)
    return results
