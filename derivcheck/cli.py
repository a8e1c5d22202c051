"""The ``derivcheck`` command: a thin layer over :mod:`derivcheck.api`.

SymPy and Rich are imported inside the commands, so ``--version`` and ``--help``
start instantly. The console script is :func:`run`, which ends a ``verify``
process at once instead of tearing it down.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .limits import DEFAULT_TIMEOUT

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


class _Console:
    """How the process was started: set by :func:`run`, never by a library caller or a test runner."""

    #: started as the ``derivcheck`` command (process-wide settings are then ours to choose)
    active = False
    #: the command has written and flushed all it shows and holds no pool, thread or temporary file
    ends_at_once = False


def run() -> None:
    """The ``derivcheck`` console script: :func:`main`, then, after ``verify``, an immediate exit.

    Tearing the interpreter down frees SymPy's hundreds of thousands of objects one
    by one: a quarter of a one-file ``verify``'s time, spent after every report is
    written. ``verify`` flushes its output and ends the process there (as mypy's
    command does); other commands, which may hold worker pools, exit normally.
    """
    _Console.active, _Console.ends_at_once = True, False
    code: Any = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    if not _Console.ends_at_once:
        sys.exit(code)
    if code is None:
        code = EXIT_OK
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1, as Python does
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that closed the pipe (`| head`): nothing left to show
            code = code or 120  # what Python's own shutdown exits with when its last flush fails
    os._exit(code)


def _load_checker() -> None:
    """Import the checker (and SymPy) with the cyclic garbage collector paused, then freeze.

    The import builds some 300,000 objects that live as long as the process; the
    collector would walk them again and again while they are built, and at every
    full collection after. Frozen, they are left out of every later collection.
    A process-wide setting, so only the console script makes it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        from . import checker  # noqa: F401
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def display_path(path: Path) -> str:
    """A path relative to the current directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def exit_status(statuses: list[str]) -> int:
    if "error" in statuses:
        return EXIT_ERROR
    if "invalid" in statuses or "unknown" in statuses:
        return EXIT_INVALID
    return EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="derivcheck")
def main() -> None:
    """Check step-by-step derivations: every step proved, or refuted with a counterexample."""


FORMATS = ["text", "json", "github", "sarif", "auto", "concise", "html"]


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None,
    help="text (default), json, github, sarif, concise (one line per finding: path:line:col: CODE message), "
    "html (one self-contained page, with --output-file) or auto (github when GITHUB_ACTIONS is set, else text).",
)
@click.option("--output-file", "-o", "output_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of standard output.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=None, help=f"CPU seconds per transition (so a busy machine gives the same verdicts).  [default: {DEFAULT_TIMEOUT:g}]")
@click.option("--seed", type=int, default=None, help="Sampling seed; the same seed gives the same report.  [default: 0]")
@click.option("--quiet", "-q", is_flag=True, help="Only problems: text shows problem steps and the summary; sarif and concise leave out notes; github already prints only problems.")
@click.option("--statistics", is_flag=True, help="Print how many findings there are of each code instead of the findings (JSON with --format json).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when a derivation is invalid or in error (usage errors still exit 2).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Settings from this TOML file instead of the closest pyproject.toml with [tool.derivcheck].")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--context", "context_path", type=click.Path(path_type=Path), help="Symbols, indices and definitions for every file: a derivation file (steps optional) or a grading key with --question.")
@click.option("--question", help="With a grading key as --context: the question whose context to use.")
@click.option("--no-cache", is_flag=True, help="Check every file anew, neither reading nor writing the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="The result cache's folder.  [default: $DERIVCHECK_CACHE_DIR, else cache-dir in [tool.derivcheck], else .derivcheck_cache]")
def verify(
    paths: tuple[Path, ...], fmt: str | None, timeout: float | None, seed: int | None, quiet: bool, exit_zero: bool,
    context_path: Path | None, question: str | None, output_file: Path | None = None, statistics: bool = False,
    config_path: Path | None = None, isolated: bool = False, no_cache: bool = False, cache_dir: Path | None = None,
) -> None:
    """Verify derivation files (.yaml/.yml, or Markdown/LaTeX .md/.tex), or every .yaml/.yml below folders.

    Settings come from [tool.derivcheck] in the closest pyproject.toml (or --config FILE);
    flags given here override them. A file with `expect: invalid` passes when it gets that
    status. The file format is described in docs/format.md.

    Results are kept in a cache folder (.derivcheck_cache, as ruff and mypy keep theirs):
    an unchanged file, checked with the same options, is not checked again.
    """
    # Light imports only: a run whose files are all in the cache never imports SymPy.
    from .api import outcome
    from .batch import ContextProblem, collect, verify_files
    from .config import Config, ConfigError, load_config

    if isolated and config_path is not None:
        raise click.UsageError("give --config or --isolated, not both")
    try:
        config = Config() if isolated else load_config(config_path)
    except ConfigError as err:
        click.echo(f"derivcheck: {err}", err=True)
        sys.exit(EXIT_ERROR)
    fmt = fmt or config.format or "text"
    timeout = timeout if timeout is not None else config.timeout or DEFAULT_TIMEOUT
    seed = seed if seed is not None else config.seed or 0
    found = collect(paths, config)
    _say_left_out(found)
    cache = None if no_cache else _open_cache(config, cache_dir, seed, timeout, context_path, question)
    try:
        if not found.files:
            if context_path is not None:
                verify_files([], display_path, context_path, question)  # a bad context is the first problem
            what = "no derivation files" if found.grading or found.contexts or found.excluded else "no .yaml or .yml files"
            click.echo(f"derivcheck: {what} found in " + ", ".join(map(str, paths)), err=True)
            sys.exit(EXIT_ERROR)
        results = verify_files(found.files, display_path, context_path, question, seed=seed, timeout=timeout, config=config,
                               cache=cache, prepare=_load_checker if _Console.active else None)
    except ContextProblem as err:
        click.echo(f"derivcheck: context {err.where}: {err.message}", err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS", "").strip().lower() not in ("", "false", "0") else "text"
    if statistics:
        from .formats.concise import render_statistics

        _emit(render_statistics(results, quiet=quiet, as_json=fmt == "json") + "\n", output_file)
    elif output_file is not None or fmt == "html":
        _write_report(results, fmt, quiet, output_file)
    elif fmt == "json":
        from .report import render_json

        click.echo(render_json(results))
    elif fmt == "github":
        from .report import render_github

        click.echo(render_github(results))
    elif fmt == "sarif":
        from .sarif import render_sarif

        click.echo(render_sarif(results, quiet=quiet))
    elif fmt == "concise":
        from .formats.concise import render_concise

        click.echo(render_concise(results, quiet=quiet))
    else:
        _print_text(results, quiet)
    _Console.ends_at_once = True
    sys.exit(EXIT_OK if exit_zero else exit_status([outcome(r) for r in results]))


def _print_text(results: list, quiet: bool) -> None:  # type: ignore[type-arg]
    """The text report: into a pipe or a file without importing Rich (the same bytes), else with Rich."""
    from .formats.plaintext import NeedsRich, plain_console
    from .report import render_text

    console = plain_console(sys.stdout)  # where Rich would write
    if console is not None:
        try:
            render_text(results, quiet=quiet, console=console)
        except NeedsRich:
            pass
        else:
            console.flush()
            return
    render_text(results, quiet=quiet, color=False if os.environ.get("NO_COLOR") else None)


def _open_cache(
    config: Any, flag_dir: Path | None, seed: int, timeout: float, context_path: Path | None, question: str | None
) -> Any:
    """The result cache of this run, or None when it is off or cannot be used (then with a warning)."""
    from .cache import (
        CacheUnavailable,
        ResultCache,
        VerdictOptions,
        cache_dir,
        env_says_off,
    )

    if config.cache is False or env_says_off():
        return None
    options = VerdictOptions(seed, timeout, config.sizes, ResultCache.context_digest(context_path), question)

    def warn(message: str) -> None:
        click.echo(f"derivcheck: warning: {message}", err=True)

    try:
        return ResultCache.open(cache_dir(flag_dir, config.cache_dir), options, context_path, warn=warn)
    except CacheUnavailable as err:
        warn(f"the result cache is off: {err}")
    except (OSError, ValueError) as err:  # a path the system refuses outright (a NUL byte, too long)
        warn(f"the result cache is off: {err}")
    return None


def _say_left_out(found: Any) -> None:
    """Name what a folder walk did not verify (on standard error, so reports stay clean)."""

    def names(paths: list[Path], limit: int = 5) -> str:
        shown = ", ".join(display_path(p) for p in paths[:limit])
        return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")

    if found.grading:
        click.echo(f"derivcheck: left {len(found.grading)} grading file(s) to `derivcheck grade`: {names(found.grading)}", err=True)
    if found.contexts:
        click.echo(f"derivcheck: left out {len(found.contexts)} context file(s) (names, no steps; use with --context): {names(found.contexts)}", err=True)
    if found.excluded:
        click.echo(f"derivcheck: excluded by the configuration: {names(found.excluded)}", err=True)


def _emit(text: str, output_file: Path | None) -> None:
    """Write ``text`` to ``output_file``, or to standard output."""
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        output_file.write_text(text, encoding="utf-8", errors="backslashreplace")  # a non-UTF-8 file name in a report
    except OSError as e:
        click.echo(f"derivcheck: {output_file}: cannot write the report: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"derivcheck: wrote {output_file}", err=True)


def _write_report(results: list, fmt: str, quiet: bool, output_file: Path | None) -> None:  # type: ignore[type-arg]
    """Render a report as text and write it to ``output_file`` (or standard output)."""
    import io

    from .report import render_github, render_json, render_text

    if fmt == "html":
        try:
            from .formats.html import render_verify
        except ImportError as e:
            click.echo(f"derivcheck: --format html needs the Python package {e.name!r}: pip install --upgrade derivcheck-cli", err=True)
            sys.exit(EXIT_ERROR)
        text = render_verify(results)
    elif fmt == "json":
        text = render_json(results) + "\n"
    elif fmt == "github":
        text = render_github(results) + "\n"
    elif fmt == "sarif":
        from .sarif import render_sarif

        text = render_sarif(results, quiet=quiet) + "\n"
    elif fmt == "concise":
        from .formats.concise import render_concise

        text = render_concise(results, quiet=quiet) + "\n"
    else:
        buffer = io.StringIO()
        render_text(results, file=buffer, quiet=quiet, color=False)
        text = buffer.getvalue()
    _emit(text, output_file)


@main.command(name="import")
@click.argument("document", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--context", "context_path", type=click.Path(path_type=Path), help="The context file the draft will be verified with (named in its header).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the YAML here instead of standard output.")
def import_(document: Path, context_path: Path | None, output: Path | None) -> None:
    """Turn the display math of a Markdown/LaTeX DOCUMENT (.md or .tex) into a derivation YAML with latex: steps."""
    from .documents import import_to_yaml
    from .yamltree import LoadError

    if document.suffix.lower() not in (".md", ".tex"):
        click.echo(f"derivcheck: {document}: import reads Markdown (.md) or LaTeX (.tex) documents; "
                   "a .yaml derivation needs no import: derivcheck verify it", err=True)
        sys.exit(EXIT_ERROR)

    try:
        text = import_to_yaml(document, str(context_path) if context_path else None)
    except LoadError as err:
        click.echo(f"derivcheck: {document}: {err.message}", err=True)
        sys.exit(EXIT_ERROR)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        click.echo(f"derivcheck: {output}: cannot write the draft: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.option("--key", is_flag=True, help="The schema of a grading key instead of a derivation file.")
@click.option("--context", is_flag=True, help="The schema of a context file (a derivation file whose steps/cases may be absent).")
def schema(key: bool, context: bool) -> None:
    """Print the JSON Schema (draft 2020-12) of the derivation format, for editors and CI."""
    from .schema import render_schema

    if key and context:
        raise click.UsageError("give --key or --context, not both")
    click.echo(render_schema(key=key, context=context))


@main.command()
@click.argument("key", type=click.Path(path_type=Path))
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Folder for grades.csv, grades.json, feedback/, summary.md.")
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=256), default=0, help="Worker processes (default: the number of cores).")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=DEFAULT_TIMEOUT, show_default=True, help="CPU seconds per transition (so a busy machine gives the same verdicts).")
@click.option("--submission-timeout", type=click.FloatRange(min=1, max=86400), default=120.0, show_default=True, help="Wall-clock seconds per submission; past it the submission is graded 0.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=0), default=3072, show_default=True, help="Address-space limit per worker in MB (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--gradescope", is_flag=True, help="Also write gradescope/STUDENT_ID/results.json (for one submission on Gradescope itself: derivcheck gradescope).")
@click.option("--no-cache", is_flag=True, help="Check every transition anew (for benchmarks).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where to grade: worker processes on this machine, or a Dask cluster (needs derivcheck-cli[dask]).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="With --executor dask: the scheduler's address (tcp://host:8786); without it, a local cluster of --jobs workers.")
def grade(key: Path, submissions: Path, out: Path, jobs: int, timeout: float, submission_timeout: float, memory_mb: int, seed: int, gradescope: bool, no_cache: bool,
          executor: str, scheduler: str | None) -> None:
    """Grade every submission in SUBMISSIONS against the answer KEY."""
    from .grading.outputs import run_grade

    if scheduler is not None and executor != "dask":
        raise click.UsageError("--scheduler is for --executor dask")
    sys.exit(run_grade(key, submissions, out, jobs=jobs, timeout=timeout, seed=seed, submission_timeout=submission_timeout,
                       memory_mb=memory_mb, cache=not no_cache, gradescope=gradescope, executor=executor, scheduler=scheduler))


@main.command()
@click.argument("key", type=click.Path(path_type=Path))
@click.option("--submission", "submission", type=click.Path(path_type=Path), default=Path("/autograder/submission"), show_default=True,
              help="The folder holding the student's one file (.yaml, .yml or .md).")
@click.option("--results", "results", type=click.Path(path_type=Path, dir_okay=False), default=Path("/autograder/results/results.json"), show_default=True,
              help="Where to write Gradescope's results.json.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=DEFAULT_TIMEOUT, show_default=True, help="CPU seconds per transition (so a busy machine gives the same verdicts).")
@click.option("--submission-timeout", type=click.FloatRange(min=1, max=86400), default=120.0, show_default=True, help="Wall-clock seconds for the submission; past it, it scores 0.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=0), default=3072, show_default=True, help="Address-space limit in MB (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--visibility", type=click.Choice(["visible", "hidden", "after_due_date", "after_published"]), default="visible", show_default=True,
              help="When students see the results (Gradescope's visibility).")
def gradescope(key: Path, submission: Path, results: Path, timeout: float, submission_timeout: float, memory_mb: int, seed: int, visibility: str) -> None:
    """Grade one submission for Gradescope's autograder against the answer KEY and write results.json.

    Run it from the autograder's run_autograder script (docs/grading.md has a template).
    results.json is written even when the submission cannot be read, with the reason.
    """
    from .grading.gradescope import run_gradescope

    sys.exit(run_gradescope(key, submission, results, timeout=timeout, seed=seed, submission_timeout=submission_timeout,
                            memory_mb=memory_mb, visibility=visibility))


@main.command()
@click.argument("topic", required=False, metavar="[CODE|KIND]")
def explain(topic: str | None) -> None:
    """Explain a code (DC103), a diagnosis (sign-error) or a note kind (domain-change, coverage-gap); with none, list them all."""
    from .codes import explain_topic, suggestions

    text = explain_topic(topic)
    if text is None:
        click.echo(f"derivcheck: {topic!r} is neither a code nor a kind; they are: {suggestions()}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(text)


if __name__ == "__main__":  # pragma: no cover
    main()
