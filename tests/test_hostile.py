"""Hostile input (SPEC §10, SECURITY.md): every file of tests/data/hostile/ is refused cleanly.

Each file runs through the real command in a subprocess whose working directory
is an empty temporary folder: the exit status is 1 or 2, the output names the
problem with ``file:line`` (or a ``timeout``), there is no traceback, it ends
within a generous time bound, and nothing appears in the folder.  A second test
verifies every file in-process and checks that no module outside an allow-list
was imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from derivcheck import limits
from derivcheck.api import verify_file, verify_text

DATA = Path(__file__).resolve().parent / "data"
HOSTILE = sorted((DATA / "hostile").glob("*.yaml"))
VALID = DATA / "valid"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"
TIMEOUT = 2  # seconds per transition, as the fuzz tests use
WALL = 30  # seconds per file, measured generously (a cold SymPy import included)

#: What each file must be refused with: (exit statuses accepted, words the output must contain).
EXPECTED: dict[str, tuple[set[int], tuple[str, ...]]] = {
    "alias_bomb.yaml": ({2}, ("aliases",)),
    "attribute_access.yaml": ({2}, ("attribute access",)),
    "big_sizes.yaml": ({2}, ("outside 1..",)),
    "comprehension.yaml": ({2}, ("unknown function 'sum'",)),
    "coverage_bomb.yaml": ({1}, ("uncovered a = 1, b = 1",)),  # decided at once: cells are walked with pruning
    "custom_tag.yaml": ({2}, ("tag '!expr' is not allowed",)),
    "deep_derivatives.yaml": ({1, 2}, ()),
    "deep_yaml.yaml": ({2}, ("nested more than",)),
    "deep_yaml_block.yaml": ({2}, ("nested more than",)),
    "define_cycle_indexed.yaml": ({2}, ("cycle",)),
    "dunder_import.yaml": ({2}, ("not part of the expression language",)),
    "duplicate_keys.yaml": ({2}, ("duplicate key 'steps'",)),
    "eval_call.yaml": ({2}, ("unknown function 'eval'",)),
    "exp_tower.yaml": ({1}, ("timeout",)),
    "factorial_factorial.yaml": ({2}, ("too large",)),
    "fstring.yaml": ({2}, ("string is not part",)),
    "homoglyph.yaml": ({2}, ("U+0445", "CYRILLIC")),
    "homoglyph_key.yaml": ({2}, ("unknown key", "did you mean 'steps'")),
    "huge_integer.yaml": ({2}, ("more than 200 digits",)),
    "invalid_utf8.yaml": ({2}, ("not UTF-8",)),
    "keyword_args.yaml": ({2}, ("keyword arguments",)),
    "lambda.yaml": ({2}, ("unknown key",)),
    "lambda_quoted.yaml": ({2}, ("lambda is not part",)),
    "latex_injection.yaml": ({2}, ("\\input",)),
    "long_expression.yaml": ({2}, ("characters long",)),
    "many_indices.yaml": ({2}, ("index combinations",)),
    "max_arity.yaml": ({2}, ("Max of 64 values",)),
    "nested_parentheses.yaml": ({2}, ("characters long",)),
    "nested_parentheses_short.yaml": ({2}, ("nested more than",)),
    "nested_sums.yaml": ({1, 2}, ()),  # the term limit, or the budget first on a loaded machine
    "nul_byte.yaml": ({2}, ("U+0000",)),
    "open_file_name.yaml": ({2}, ("cannot read the expression",)),
    "power_tower.yaml": ({2}, ("too large",)),
    "power_tower_caret.yaml": ({2}, ("too large",)),
    "python_tag_key.yaml": ({2}, ("plain name",)),
    "python_tag_root.yaml": ({2}, ("python/object/apply:os.system' is not allowed",)),
    "python_tag_step.yaml": ({2}, ("python/object/apply:os.system' is not allowed",)),
    "sum_million_terms.yaml": ({2}, ("more than 1000 terms",)),
    "sympify_string.yaml": ({2}, ("unknown function 'S'",)),
    "two_documents.yaml": ({2}, ("one YAML document",)),
    "unknown_function.yaml": ({2}, ("unknown function 'open'",)),
    "x_to_googol.yaml": ({2}, ("too large",)),
    "ten_megabytes.yaml": ({2}, ("the limit is",)),
}

#: Hostile examples of the shared contract, when the checkout sits beside it.
SHARED_HOSTILE = ("injection.yaml", "implicit_multiplication.yaml", "sympy_names.yaml", "unknown_key.yaml",
                  "definition_cycle.yaml", "ambiguous_derivative.yaml")


def _ten_megabytes(folder: Path) -> Path:
    """A 10 MB derivation, made at test time (never committed)."""
    path = folder / "ten_megabytes.yaml"
    line = "  - x + 1 - 1\n"
    with path.open("w") as f:
        f.write("steps:\n")
        f.write(line * (10_000_000 // len(line) + 1))
    return path


def _run_cli(path: Path, workdir: Path) -> tuple[int, str, float, list[str]]:
    workdir.mkdir(parents=True, exist_ok=True)
    # the result cache is derivcheck's own folder: kept outside the folder watched for new files
    cache = workdir.parent / f"{workdir.name}-cache"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", "DERIVCHECK_CACHE_DIR": str(cache)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--format", "github", "--timeout", str(TIMEOUT), str(path)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=WALL * 4,
    )
    elapsed = time.monotonic() - started
    return proc.returncode, proc.stdout + proc.stderr, elapsed, sorted(p.name for p in workdir.iterdir())


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, float, list[str]]]:
    """Every hostile file through the CLI, two at a time (each in its own empty folder)."""
    base = tmp_path_factory.mktemp("hostile")
    big = _ten_megabytes(tmp_path_factory.mktemp("big"))
    paths = list(HOSTILE) + [big]
    if SHARED.is_dir():
        paths += [SHARED / name for name in SHARED_HOSTILE if (SHARED / name).exists()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            p: pool.submit(_run_cli, p, base / f"{i}-{p.stem}") for i, p in enumerate(paths)
        }
        return {f"{'shared/' if p.parent == SHARED else ''}{p.name}": f.result() for p, f in futures.items()}


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 15
    assert {p.name for p in HOSTILE} <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused_cleanly(name: str, cli_runs: dict) -> None:
    code, output, elapsed, created = cli_runs[name]
    accepted, words = EXPECTED[name]
    assert code in accepted, output
    assert "Traceback" not in output and "Error:" not in output.split("::")[0], output
    for word in words:
        assert word in output, output
    # a clear message with file:line, or a timeout warning for the step
    assert "::error file=" in output or "timeout" in output, output
    if name != "ten_megabytes.yaml" and "timeout" not in output and "too many combinations" not in output:
        assert ",line=" in output, output
    assert elapsed < WALL, f"{name} took {elapsed:.1f} s"
    assert created == [], f"{name} created {created}"


@pytest.mark.parametrize("name", SHARED_HOSTILE)
def test_shared_hostile_examples(name: str, cli_runs: dict) -> None:
    key = f"shared/{name}"
    if key not in cli_runs:
        pytest.skip("the shared examples are not beside this checkout")
    code, output, elapsed, created = cli_runs[key]
    assert code in (0, 1, 2) and "Traceback" not in output, output
    if name != "sympy_names.yaml":  # the one example here that is valid: S, I, O, Q are plain symbols
        assert code == 2 and "::error file=" in output and ",line=" in output, output
    assert elapsed < WALL and created == []


def test_hostile_files_import_nothing_unexpected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No hostile file makes derivcheck import a module outside sympy/mpmath/derivcheck/rich, or write a file."""
    monkeypatch.chdir(tmp_path)
    # warm up: a valid file, one with LaTeX steps, and one with every error path's imports
    verify_file(VALID / "logistic_gradient.yaml", timeout=TIMEOUT)
    verify_text("steps:\n  - latex: '\\frac{1}{2} x'\n  - x/2\n", "warm.yaml", timeout=TIMEOUT)
    verify_text("steps:\n  - x\n  - x +\n", "warm.yaml", timeout=TIMEOUT)
    allowed = ("sympy", "mpmath", "derivcheck", "rich")
    for path in HOSTILE:
        before = set(sys.modules)
        result = verify_file(path, timeout=TIMEOUT)
        new = set(sys.modules) - before
        unexpected = sorted(m for m in new if m.split(".")[0] not in allowed)
        assert not unexpected, f"{path.name} imported {unexpected}"
        assert result.status in ("error", "invalid", "unknown"), path.name
        assert list(tmp_path.iterdir()) == [], f"{path.name} created a file"
    assert not Path("pwned").exists()


def test_big_text_refused_before_parsing() -> None:
    text = "steps:\n" + "  - x\n" * (limits.MAX_FILE_BYTES // 6 + 10)
    started = time.monotonic()
    result = verify_text(text, "big.yaml")
    assert result.status == "error" and "kB" in result.error.message
    assert time.monotonic() - started < 2


def test_parse_time_is_bounded() -> None:
    """Many small Max() each cost SymPy a little: reading one expression still ends in bounded time."""
    many = " + ".join("Max(" + ", ".join(f"x{k}_{i}" for i in range(16)) + ")" for k in range(60))
    many = many[: limits.MAX_EXPR_CHARS - 10].rsplit(" + ", 1)[0]
    started = time.monotonic()
    result = verify_text(f"steps:\n  - {many}\n  - x\n", "many_max.yaml", timeout=TIMEOUT)
    assert time.monotonic() - started < limits.PARSE_SECONDS * 2 + 10
    assert result.status in ("error", "invalid", "unknown")


def test_nested_sums_expand() -> None:
    """SymPy merges nested Sums into one with several limits; each limit is expanded."""
    text = (
        "indices:\n  i: N\n  j: N\nsizes:\n  N: [2, 3]\n"
        "steps:\n  - Sum(Sum(x[i]*y[j], (i, 1, N)), (j, 1, N))\n  - Sum(x[i], (i, 1, N)) * Sum(y[j], (j, 1, N))\n"
    )
    result = verify_text(text, "sums.yaml", timeout=10)
    assert result.status == "valid", result.chains[0].steps[-1].message if result.chains else result.error


def test_json_report_stays_json_with_huge_values() -> None:
    import json

    from derivcheck.report import render_json

    result = verify_text("steps:\n  - x**1000\n  - x\n", "huge.yaml", timeout=TIMEOUT)
    text = render_json([result])

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    data = json.loads(text, parse_constant=refuse)
    assert data["files"][0]["status"] == "invalid"


def test_memory_limit_helper() -> None:
    """limit_memory lowers RLIMIT_AS in a child process; an allocation past it is a MemoryError."""
    code = (
        "from derivcheck.grading.sandbox import limit_memory, memory_limit\n"
        "ok = limit_memory(1024**3)\n"
        "print(ok, memory_limit())\n"
        "try:\n"
        "    b = bytearray(3 * 1024**3)\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if sys.platform.startswith("win"):
        assert proc.stdout.startswith("False")
        return
    assert proc.stdout.split()[0] == "True", proc.stdout + proc.stderr
    assert int(proc.stdout.split()[1]) <= 1024**3
    assert "MemoryError" in proc.stdout


def test_timeout_outside_main_thread_is_cooperative() -> None:
    """In a non-main thread a timer signal cannot interrupt SymPy: the budget is checked between phases only."""
    import threading

    from derivcheck.budget import Timeout, time_limit

    outcome: list[str] = []

    def body() -> None:
        try:
            with time_limit(0.05):
                # 0.2 s of CPU (budgets count CPU time): not interrupted...
                started = time.process_time()
                while time.process_time() - started < 0.2:
                    sum(range(1000))
            outcome.append("finished")
        except Timeout:
            outcome.append("timeout")  # ...but reported as over budget afterwards

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert outcome == ["timeout"]
