"""The ``derivcheck`` command: a thin layer over :mod:`derivcheck.api`.

SymPy and Rich are imported inside the commands, so ``--version`` and ``--help``
start instantly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .limits import DEFAULT_TIMEOUT

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github", "sarif", "auto", "html"]), default="text", show_default=True,
    help="auto: github when GITHUB_ACTIONS is set, else text; html: one self-contained page (use with --output-file).",
)
@click.option("--output-file", "-o", "output_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of standard output.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per transition.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed; the same seed gives the same report.")
@click.option("--quiet", "-q", is_flag=True, help="Only problems: text shows problem steps and the summary; sarif leaves out notes; github already prints only problems.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when a derivation is invalid or in error (usage errors still exit 2).")
@click.option("--context", "context_path", type=click.Path(path_type=Path), help="Symbols, indices and definitions for every file: a derivation file (steps optional) or a grading key with --question.")
@click.option("--question", help="With a grading key as --context: the question whose context to use.")
def verify(
    paths: tuple[Path, ...], fmt: str, timeout: float, seed: int, quiet: bool, exit_zero: bool,
    context_path: Path | None, question: str | None, output_file: Path | None = None,
) -> None:
    """Verify derivation files (.yaml/.yml, or Markdown/LaTeX .md/.tex), or every .yaml/.yml below folders."""
    from .api import collect_paths
    from .documents import load_context, verify_any
    from .report import render_github, render_json, render_text
    from .yamltree import LoadError

    context = None
    if context_path is not None:
        try:
            context = load_context(context_path, question)
        except LoadError as err:
            where = f"{context_path}:{err.line}" if err.line else str(context_path)
            click.echo(f"derivcheck: context {where}: {err.message}", err=True)
            sys.exit(EXIT_ERROR)
    files = collect_paths(paths)
    if not files:
        click.echo("derivcheck: no .yaml or .yml files found in " + ", ".join(map(str, paths)), err=True)
        sys.exit(EXIT_ERROR)
    results = [verify_any(f, context, seed=seed, timeout=timeout, display_path=display_path(f)) for f in files]
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS", "").strip().lower() not in ("", "false", "0") else "text"
    if output_file is not None or fmt == "html":
        _write_report(results, fmt, quiet, output_file)
    elif fmt == "json":
        click.echo(render_json(results))
    elif fmt == "github":
        click.echo(render_github(results))
    elif fmt == "sarif":
        from .sarif import render_sarif

        click.echo(render_sarif(results, quiet=quiet))
    else:
        render_text(results, quiet=quiet, color=False if os.environ.get("NO_COLOR") else None)
    sys.exit(EXIT_OK if exit_zero else exit_status([r.status for r in results]))


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
    else:
        buffer = io.StringIO()
        render_text(results, file=buffer, quiet=quiet, color=False)
        text = buffer.getvalue()
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as e:
        click.echo(f"derivcheck: {output_file}: cannot write the report: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"derivcheck: wrote {output_file}", err=True)


@main.command(name="import")
@click.argument("document", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--context", "context_path", type=click.Path(path_type=Path), help="The context file the draft will be verified with (named in its header).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the YAML here instead of standard output.")
def import_(document: Path, context_path: Path | None, output: Path | None) -> None:
    """Turn the display math of a Markdown/LaTeX DOCUMENT into a derivation YAML with latex: steps."""
    from .documents import import_to_yaml
    from .yamltree import LoadError

    try:
        text = import_to_yaml(document, str(context_path) if context_path else None)
    except LoadError as err:
        click.echo(f"derivcheck: {document}: {err.message}", err=True)
        sys.exit(EXIT_ERROR)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
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
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per transition.")
@click.option("--submission-timeout", type=click.FloatRange(min=1, max=86400), default=120.0, show_default=True, help="Wall-clock seconds per submission; past it the submission is graded 0.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=0), default=3072, show_default=True, help="Address-space limit per worker in MB (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--gradescope", is_flag=True, help="Also write gradescope/STUDENT_ID/results.json.")
@click.option("--no-cache", is_flag=True, help="Check every transition anew (for benchmarks).")
def grade(key: Path, submissions: Path, out: Path, jobs: int, timeout: float, submission_timeout: float, memory_mb: int, seed: int, gradescope: bool, no_cache: bool) -> None:
    """Grade every submission in SUBMISSIONS against the answer KEY."""
    from .gradeout import run_grade

    sys.exit(run_grade(key, submissions, out, jobs=jobs, timeout=timeout, seed=seed, submission_timeout=submission_timeout,
                       memory_mb=memory_mb, cache=not no_cache, gradescope=gradescope))


@main.command()
@click.argument("kind", required=False)
def explain(kind: str | None) -> None:
    """Explain a diagnosis KIND (sign-error, wrong-factor, ...); with no KIND, list them all."""
    from .rules import BY_KIND, KINDS, explain as explain_text

    if kind is not None and kind not in BY_KIND:
        click.echo(f"derivcheck: unknown diagnosis {kind!r}; the kinds are: {', '.join(KINDS)}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(explain_text(kind))


if __name__ == "__main__":  # pragma: no cover
    main()
