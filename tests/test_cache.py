"""The result cache of ``derivcheck verify``: it saves time and never changes a verdict.

Ground truth for the verdicts these tests expect comes from outside derivcheck:
mpmath at 60 digits at a stated point (:func:`differ_at`), or a short proof in a
comment.  Fixtures are in ``tests/data/cache/``.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath
import pytest
from click.testing import CliRunner

from derivcheck import cache as cache_mod
from derivcheck.batch import collect, verify_files
from derivcheck.cache import ResultCache, VerdictOptions, codec, keys, reusable
from derivcheck.cache.store import TAG_SIGNATURE, CacheUnavailable, Store, load_secret
from derivcheck.cli import display_path, main
from derivcheck.formats.concise import render_concise, render_statistics
from derivcheck.report import render_github, render_json, render_text
from derivcheck.results import (
    ChainResult,
    ClaimResult,
    CoverageResult,
    FileError,
    FileResult,
    StepResult,
)
from derivcheck.sarif import render_sarif

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "cache"
SQUARE = "title: A square\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
#: (x + 1)**2 and x**2 + 1 differ wherever 2*x != 0: at x = 1/3 by 2/3 (see test_ground_truth_points).
SQUARE_WRONG = "title: A square\nsteps:\n  - (x + 1)**2\n  - x**2 + 1\n"


@pytest.fixture(autouse=True)
def cache_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache on (conftest turns it off for every other test), its secret and folder in this test's tmp_path."""
    monkeypatch.delenv("DERIVCHECK_NO_CACHE", raising=False)
    monkeypatch.delenv("DERIVCHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def differ_at(left: str, right: str, **point: str) -> bool:
    """Whether two expressions (Python syntax over mpmath) differ at an exact point, at 60 digits."""
    with mpmath.workdps(60):
        env = {name: mpmath.mpf(mpmath.fraction(*map(int, v.split("/"))) if "/" in v else v) for name, v in point.items()}
        env.update(exp=mpmath.exp, log=mpmath.log)
        a, b = (eval(e, {"__builtins__": {}}, env) for e in (left, right))
        return abs(a - b) > mpmath.mpf(10) ** -50 * max(1, abs(a), abs(b))


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """The CLI in this process; returns exit code, standard output and standard error."""
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def entries(root: Path) -> list[Path]:
    return sorted((root / f"v{keys.FORMAT}").glob("*.json"))


def renders(results: list[FileResult], html: bool = False) -> dict[str, str]:
    """Every format (and its quiet form) of a list of results."""
    out = {"json": render_json(results), "github": render_github(results)}
    for quiet in (False, True):
        buf = io.StringIO()
        render_text(results, file=buf, quiet=quiet, color=False)
        out[f"text-{quiet}"] = buf.getvalue()
        out[f"sarif-{quiet}"] = render_sarif(results, quiet=quiet)
        out[f"concise-{quiet}"] = render_concise(results, quiet=quiet)
        out[f"statistics-{quiet}"] = render_statistics(results, quiet=quiet) + render_statistics(results, quiet=quiet, as_json=True)
    if html:
        from derivcheck.formats.html import render_verify

        out["html"] = render_verify(results)
    return out


# -- ground truth ---------------------------------------------------------------------------


def test_ground_truth_points() -> None:
    """The points the verdicts below rest on, at 60 digits, independently of derivcheck."""
    assert not differ_at("(x + 1)**2", "x**2 + 2*x + 1", x="1/3")
    assert differ_at("(x + 1)**2", "x**2 + 1", x="1/3")  # 16/9 against 10/9
    assert differ_at("(x + 1)**3", "x**2 + 2*x + 1", x="1/3")  # 64/27 against 16/9
    assert differ_at("x1 + x2 + x3", "x1 + x2", x1="1", x2="1", x3="1")  # K = 3 adds x[3]


# -- the cache never changes a verdict ------------------------------------------------------

COMPACT = [DATA, ROOT / "examples" / "mistakes", ROOT / "tests" / "data" / "cli"] + [
    ROOT / "tests" / "data" / "hostile" / name
    for name in ("alias_bomb.yaml", "unknown_function.yaml", "invalid_utf8.yaml", "nul_byte.yaml", "duplicate_keys.yaml", "lambda.yaml")
]


def timeless(results: list[FileResult]) -> list[FileResult]:
    """The results with their run time zeroed: a file checked again (a timeout) takes another time."""
    import dataclasses

    return [dataclasses.replace(r, seconds=0.0) for r in results]


def three_ways(paths: list[Path], tmp: Path, seed: int = 0, **kw: object) -> tuple[list[FileResult], list[FileResult], list[FileResult], ResultCache]:
    """The results without the cache, with an empty one (filling it), and from the filled one."""
    files = collect(paths).files
    options = VerdictOptions(seed, 30.0, None, ResultCache.context_digest(kw.get("context_path")), kw.get("question"))  # type: ignore[arg-type]
    fresh = verify_files(files, display_path, seed=seed, timeout=30.0, **kw)  # type: ignore[arg-type]
    cold_cache = ResultCache.open(tmp / "cache", options, kw.get("context_path"))  # type: ignore[arg-type]
    cold = verify_files(files, display_path, seed=seed, timeout=30.0, cache=cold_cache, **kw)  # type: ignore[arg-type]
    warm_cache = ResultCache.open(tmp / "cache", options, kw.get("context_path"))  # type: ignore[arg-type]
    warm = verify_files(files, display_path, seed=seed, timeout=30.0, cache=warm_cache, **kw)  # type: ignore[arg-type]
    return fresh, cold, warm, warm_cache


@pytest.mark.parametrize(("seed", "paths"), [(0, COMPACT), (3, [DATA, ROOT / "examples" / "mistakes"]), (11, [DATA])])
def test_cold_warm_and_uncached_reports_are_identical(cache_env: Path, seed: int, paths: list[Path]) -> None:
    fresh, cold, warm, warm_cache = three_ways(paths, cache_env, seed=seed)
    # every valid or invalid file comes from the cache (an error may not: a time limit may have caused it)
    assert warm_cache.hits >= sum(r.status in ("valid", "invalid") for r in cold) >= 5
    assert timeless(cold) == timeless(warm)  # every field: the warm run is the cold one, replayed
    assert renders(fresh, html=True) == renders(cold, html=True) == renders(warm, html=True)
    statuses = {r.path.rsplit("/", 1)[-1]: r.status for r in warm}
    # (x+1)**2 = x**2 + 2x + 1 by expansion; x**2 + 1 differs at x = 1/3 (test_ground_truth_points)
    assert statuses["square.yaml"] == "valid" and statuses["square_wrong.yaml"] == "invalid"
    assert statuses["broken.yaml"] == "error" and statuses["teaching_sign.yaml"] == "invalid"


def test_a_document_over_a_context_is_cached_with_it(cache_env: Path) -> None:
    doc, ctx = ROOT / "examples" / "latex" / "int305-assignment1-answer.md", ROOT / "examples" / "latex" / "int305_context.yaml"
    fresh, cold, warm, warm_cache = three_ways([doc], cache_env, context_path=ctx)
    assert warm_cache.hits == 1
    assert renders(fresh) == renders(cold) == renders(warm)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_every_shipped_derivation_and_example_is_the_same_from_the_cache(cache_env: Path, seed: int) -> None:
    paths = [ROOT / "derivations", ROOT / "examples", ROOT / "tests" / "data" / "soundness", ROOT / "tests" / "data" / "hostile"]
    fresh, cold, warm, _ = three_ways(paths, cache_env, seed=seed)
    assert timeless(cold) == timeless(warm)
    assert renders(fresh) == renders(cold) == renders(warm)


FORMATS = ["text", "json", "github", "sarif", "concise", "html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_outputs_and_exit_codes_match_for_every_format(cache_env: Path, fmt: str) -> None:
    work = cache_env / "work"
    work.mkdir()
    for name in ("square.yaml", "square_wrong.yaml", "broken.yaml", "teaching_sign.yaml"):
        shutil.copy(DATA / name, work / name)
    out_file = ["--output-file", str(cache_env / f"report.{fmt}")] if fmt == "html" else []

    def once(*extra: str) -> tuple[int, str]:
        code, out, _ = run("verify", "--format", fmt, *out_file, *extra, ".", cwd=work)
        return code, (cache_env / f"report.{fmt}").read_text() if out_file else out

    uncached = once("--no-cache")
    assert not (work / ".derivcheck_cache").exists()  # --no-cache neither reads nor writes
    cold = once()
    assert len(entries(work / ".derivcheck_cache")) == 4
    warm = once()
    assert uncached == cold == warm
    assert cold[0] == 2  # broken.yaml is in error


# -- a warm run imports no SymPy --------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import sys
    from derivcheck.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
    heavy = sorted(m for m in ("sympy", "mpmath", "jinja2", "ruamel.yaml") if m in sys.modules)
    print("HEAVY=" + ",".join(heavy) + " CODE=" + str(code), file=sys.stderr)
    """
)


def probe(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[list[str], int, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr
    heavy, code = line[-1][len("HEAVY="):].split(" CODE=")
    return [h for h in heavy.split(",") if h], int(code), proc.stdout


def probe_light(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[list[str], int, str]:
    """Like :func:`probe`; the YAML reader counts as light (a folder walk reads a context file to leave it out)."""
    heavy, code, out = probe(args, cwd, env)
    return [h for h in heavy if h != "ruamel.yaml"], code, out


def test_a_warm_run_imports_neither_sympy_nor_mpmath(cache_env: Path) -> None:
    work = cache_env / "work"
    shutil.copytree(DATA, work)
    env = {k: v for k, v in os.environ.items() if k != "DERIVCHECK_NO_CACHE"}
    heavy, code, _ = probe(["verify", "."], work, env)
    assert "sympy" in heavy and code == 2  # the cold run checks, with SymPy
    for fmt in ("text", "json", "github", "sarif", "concise"):
        heavy, code, out = probe_light(["verify", "--format", fmt, "."], work, env)
        assert heavy == [], (fmt, heavy)
        assert code == 2 and out
        heavy, code, _ = probe(["verify", "--format", fmt, "--statistics", "square.yaml", "square_wrong.yaml"], work, env)
        assert heavy == [] and code == 1  # not even the YAML reader
    # a file checked over a context: the context is not even read when everything is cached
    args = ["verify", "over_context.yaml", "--context", "context_square.yaml"]
    assert probe(args, work, env)[1] == 0
    heavy, code, _ = probe(args, work, env)
    assert heavy == [] and code == 0


# -- what invalidates an entry --------------------------------------------------------------


def test_editing_a_valid_file_into_a_wrong_one_is_checked_again(cache_env: Path) -> None:
    f = cache_env / "d.yaml"
    f.write_text(SQUARE)
    assert run("verify", str(f), cwd=cache_env)[0] == 0
    f.write_text(SQUARE_WRONG)  # differs at x = 1/3 (test_ground_truth_points)
    code, out, _ = run("verify", "--format", "json", str(f), cwd=cache_env)
    assert code == 1 and json.loads(out)["files"][0]["status"] == "invalid"
    f.write_text(SQUARE)
    assert run("verify", str(f), cwd=cache_env)[0] == 0


def test_editing_the_context_file_is_checked_again(cache_env: Path) -> None:
    shutil.copy(DATA / "over_context.yaml", cache_env / "d.yaml")
    ctx = cache_env / "ctx.yaml"
    ctx.write_text((DATA / "context_square.yaml").read_text())
    assert run("verify", "d.yaml", "--context", "ctx.yaml", cwd=cache_env)[0] == 0
    ctx.write_text((DATA / "context_cube.yaml").read_text())  # (x+1)**3 differs at x = 1/3 (test_ground_truth_points)
    assert run("verify", "d.yaml", "--context", "ctx.yaml", cwd=cache_env)[0] == 1
    ctx.write_text("define:\n  f: [\n")  # a broken context is an error, never a stale verdict
    code, _, err = run("verify", "d.yaml", "--context", "ctx.yaml", cwd=cache_env)
    assert code == 2 and "ctx.yaml" in err
    ctx.unlink()
    assert run("verify", "d.yaml", "--context", "ctx.yaml", cwd=cache_env)[0] == 2


def test_changing_the_sizes_is_checked_again(cache_env: Path) -> None:
    # Sum(x[k], k=1..K) = x[1] + x[2] holds for K = 2 only; at K = 3 the sides differ by x[3]
    shutil.copy(DATA / "sum_two.yaml", cache_env / "d.yaml")
    config = cache_env / "pyproject.toml"
    config.write_text("[tool.derivcheck]\nsizes = [2]\n")
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 0
    config.write_text("[tool.derivcheck]\nsizes = [2, 3]\n")
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 1
    config.write_text("[tool.derivcheck]\nsizes = {K = [2]}\n")
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 0


@pytest.mark.parametrize("flag", [("--seed", "1"), ("--seed", "2"), ("--timeout", "12")])
def test_an_option_that_can_change_a_verdict_gets_its_own_entry(cache_env: Path, flag: tuple[str, str]) -> None:
    (cache_env / "d.yaml").write_text(SQUARE_WRONG)
    root = cache_env / ".derivcheck_cache"
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 1
    first = entries(root)[0].read_bytes()
    code, out, _ = run("verify", "--format", "json", *flag, "d.yaml", cwd=cache_env)
    assert code == 1 and json.loads(out)["files"][0]["status"] == "invalid"
    assert entries(root)[0].read_bytes().split(b"\n")[0] != first.split(b"\n")[0]  # a new key
    # output options are not part of the key: same entry, read back
    before = entries(root)[0].read_bytes()
    for extra in (["--format", "sarif"], ["--quiet"], ["--format", "concise", "--exit-zero"]):
        run("verify", *extra, *flag, "d.yaml", cwd=cache_env)
        assert entries(root)[0].read_bytes() == before


def test_keys_take_in_everything_that_can_change_a_verdict() -> None:
    base = VerdictOptions(0, 10.0)
    key = keys.entry_key("d.yaml", b"steps: []", base)
    changed = [
        keys.entry_key("e.yaml", b"steps: []", base),
        keys.entry_key("d.yaml", b"steps: [] ", base),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(1, 10.0)),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10.5)),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10.0, (2, 3))),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10.0, {"K": (2, 3)})),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10.0, None, keys.digest(b"define: {}"))),
        keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10.0, None, keys.digest(b"define: {}"), "q1")),
    ]
    assert len({key, *changed}) == len(changed) + 1
    assert keys.entry_key("d.yaml", b"steps: []", VerdictOptions(0, 10)) == key  # 10 and 10.0 are one timeout


def test_the_package_hash_follows_every_edit_of_the_package(tmp_path: Path) -> None:
    copy = tmp_path / "derivcheck"
    shutil.copytree(Path(keys.__file__).resolve().parent.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = keys.package_digest(copy)
    os.utime(copy / "engine.py", (1, 1))
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"junk")
    assert keys.package_digest.__wrapped__(copy) == first  # times and bytecode do not matter
    (copy / "engine.py").write_text((copy / "engine.py").read_text() + "\n# an edit\n")
    second = keys.package_digest.__wrapped__(copy)
    (copy / "new_rule.py").write_text("")
    third = keys.package_digest.__wrapped__(copy)
    assert len({first, second, third}) == 3


def test_an_entry_from_another_build_of_derivcheck_is_not_used(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache_env / "d.yaml").write_text(SQUARE_WRONG)
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 1
    calls: list[Path] = []
    from derivcheck import batch

    real = batch.verify_one
    monkeypatch.setattr(batch, "verify_one", lambda path, *a, **k: calls.append(path) or real(path, *a, **k))
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 1 and calls == []
    keys.checker_digest.cache_clear()
    monkeypatch.setattr(keys, "package_digest", lambda package=None: "an edited engine")
    try:
        assert run("verify", "d.yaml", cwd=cache_env)[0] == 1 and len(calls) == 1
    finally:
        keys.checker_digest.cache_clear()


def test_a_file_changed_while_it_is_checked_is_not_stored(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = cache_env / "d.yaml"
    f.write_text(SQUARE_WRONG)
    from derivcheck import batch

    real = batch.verify_one

    def edit_meanwhile(path: Path, *a: object, **k: object) -> FileResult:
        result = real(path, *a, **k)  # type: ignore[arg-type]
        f.write_text(SQUARE)  # saved by an editor while the old text was checked
        return result

    monkeypatch.setattr(batch, "verify_one", edit_meanwhile)
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 1
    monkeypatch.setattr(batch, "verify_one", real)
    assert entries(cache_env / ".derivcheck_cache") == []
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 0  # the new text, checked: (x+1)**2 = x**2 + 2x + 1


def test_the_same_file_named_another_way_gets_its_own_report_path(cache_env: Path) -> None:
    (cache_env / "d.yaml").write_text(SQUARE_WRONG)
    code, out, _ = run("verify", "--format", "json", "d.yaml", cwd=cache_env)
    assert json.loads(out)["files"][0]["path"] == "d.yaml"
    code, out, _ = run("verify", "--format", "json", str(cache_env / "d.yaml"), cwd=ROOT)
    assert code == 1 and json.loads(out)["files"][0]["path"] == str(cache_env / "d.yaml")


# -- what is never stored ---------------------------------------------------------------------


def step(status: str) -> StepResult:
    return StepResult(2, 3, "x", status)


def file_with(status: str, steps: list[str], **kw: object) -> FileResult:
    return FileResult("d.yaml", status=status, chains=[ChainResult([], [StepResult(1, 2, "x", "start"), *map(step, steps)])], **kw)  # type: ignore[arg-type]


def test_what_depends_on_the_machine_is_never_stored() -> None:
    assert reusable(file_with("valid", ["proved", "tested"]))
    assert reusable(file_with("invalid", ["proved", "invalid"]))
    assert reusable(file_with("error", ["error"]))
    assert not reusable(file_with("unknown", ["timeout"]))
    assert not reusable(file_with("error", ["timeout", "error"]))  # a timeout beside an error
    assert not reusable(file_with("invalid", ["invalid", "timeout"]))
    assert not reusable(file_with("valid", ["proved"], claim=ClaimResult("timeout", "no proof in time")))
    assert not reusable(file_with("unknown", ["proved"], claim=ClaimResult("proved", ""), coverage=CoverageResult(False, [], decided=False)))
    # coverage left undecided beside a step in error: the error decides the file whatever the coverage
    assert reusable(file_with("error", ["error"], claim=ClaimResult("proved", ""), coverage=CoverageResult(False, [], decided=False)))
    # a time limit fired during the check: valid and invalid stand (a proof given up leaves `tested`,
    # a certified counterexample stays one), an error may be the time limit's doing
    assert reusable(file_with("valid", ["tested"]), limits_fired=True)
    assert reusable(file_with("invalid", ["invalid"]), limits_fired=True)
    assert not reusable(file_with("error", ["error"]), limits_fired=True)
    assert not reusable(FileResult("d.yaml", status="error", error=FileError("reading took too long", 3)), limits_fired=True)


def test_a_timeout_is_checked_again_on_every_run(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from derivcheck import batch

    calls: list[Path] = []
    monkeypatch.setattr(batch, "verify_one", lambda path, shown, *a, **k: calls.append(path) or file_with("unknown", ["timeout"]))
    (cache_env / "d.yaml").write_text(SQUARE)
    for _ in range(3):
        assert run("verify", "d.yaml", cwd=cache_env)[0] == 1
    assert len(calls) == 3 and entries(cache_env / ".derivcheck_cache") == []


def test_an_error_while_a_time_limit_fired_is_not_stored(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from derivcheck import batch
    from derivcheck.budget import Timeout

    def slow_read(path: Path, shown: str, *a: object, **k: object) -> FileResult:
        try:
            raise Timeout()  # what a time limit inside the reader does
        except Timeout:
            return FileResult(shown, status="error", error=FileError("reading this expression took more than 5 s", 3))

    monkeypatch.setattr(batch, "verify_one", slow_read)
    (cache_env / "d.yaml").write_text(SQUARE)
    assert run("verify", "d.yaml", cwd=cache_env)[0] == 2
    assert entries(cache_env / ".derivcheck_cache") == []


def test_a_memory_failure_is_not_stored(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from derivcheck import api

    def no_memory(*a: object, **k: object) -> object:
        raise MemoryError()

    monkeypatch.setattr(api, "context_for", no_memory)
    (cache_env / "d.yaml").write_text(SQUARE)
    code, out, _ = run("verify", "d.yaml", cwd=cache_env)
    assert code == 2 and "memory" in out
    assert entries(cache_env / ".derivcheck_cache") == []


def test_a_result_with_state_beyond_its_fields_is_not_stored() -> None:
    r = file_with("valid", ["proved"])
    r.chains[0].steps[1].extra = "read by some renderer"  # type: ignore[attr-defined]
    with pytest.raises(codec.Unserializable):
        codec.dumps(r)
    r2 = file_with("valid", ["proved"])
    r2.chains[0].steps[1].detail = object()
    with pytest.raises(codec.Unserializable):
        codec.dumps(r2)


# -- damaged, foreign and forged entries ------------------------------------------------------


def cold_entry(cache_env: Path, text: str = SQUARE_WRONG) -> Path:
    (cache_env / "d.yaml").write_text(text)
    run("verify", "d.yaml", cwd=cache_env)
    (entry,) = entries(cache_env / ".derivcheck_cache")
    return entry


def forge(entry: Path, payload: bytes, key: str | None = None, secret: bytes | None = None, fmt: int = keys.FORMAT) -> None:
    """Write an entry as another program (or another machine, with another secret) would."""
    import hashlib
    import hmac

    header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
    key = key or header["key"]
    secret = secret if secret is not None else load_secret()
    mac = hmac.new(secret, key.encode() + b"\n" + payload, hashlib.sha256).hexdigest()
    entry.write_bytes(json.dumps({"format": fmt, "key": key, "mac": mac}).encode() + b"\n" + payload)


def assert_checked_and_rewritten(cache_env: Path, entry: Path, expect_code: int = 1) -> None:
    code, out, _ = run("verify", "--format", "json", "d.yaml", cwd=cache_env)
    assert code == expect_code
    status = json.loads(out)["files"][0]["status"]
    # (x+1)**2 against x**2 + 1: 16/9 against 10/9 at x = 1/3, so invalid whatever the entry said
    assert status == "invalid"
    cache = ResultCache.open(cache_env / ".derivcheck_cache", VerdictOptions(0, 10.0))
    found = cache.lookup(cache_env / "d.yaml", "d.yaml")
    assert found.result is not None and found.result.status == "invalid"  # rewritten, and whole


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x00\xff garbage \x80",
        b"{",
        b'{"format": 1, "key": "abc"',
        b"[1, 2, 3]\n{}",
        b"null\nnull",
    ],
)
def test_a_damaged_entry_is_ignored_and_rewritten(cache_env: Path, damage: bytes) -> None:
    entry = cold_entry(cache_env)
    entry.write_bytes(damage)
    assert_checked_and_rewritten(cache_env, entry)


def test_a_truncated_entry_is_ignored_and_rewritten(cache_env: Path) -> None:
    entry = cold_entry(cache_env)
    whole = entry.read_bytes()
    for cut in (1, len(whole) // 3, len(whole) // 2, len(whole) - 1):
        entry.write_bytes(whole[:cut])
        assert_checked_and_rewritten(cache_env, entry)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"class": "FileResult", "fields": {"path": "d.yaml"}}',
        b'{"class": "Popen", "fields": {}}',
        b'{"dict": {"path": "d.yaml", "status": "valid"}}',
        (
            b'{"class": "FileResult", "fields": {"path": "d.yaml", "title": null, "status": "valid", "error": null, "claim": null, '
            b'"coverage": null, "chains": "not a list", "seconds": 0.0, "expect": null}}'
        ),
        b"[]",
        b'"valid"',
        b"NaN",
    ],
)
def test_an_authentic_entry_of_the_wrong_shape_is_ignored_and_rewritten(cache_env: Path, payload: bytes) -> None:
    entry = cold_entry(cache_env)
    forge(entry, payload)  # a right key and a right MAC: only the codec's strictness stands between
    assert_checked_and_rewritten(cache_env, entry)


def test_an_entry_for_another_key_or_format_is_ignored_and_rewritten(cache_env: Path) -> None:
    entry = cold_entry(cache_env)
    payload = entry.read_bytes().split(b"\n", 1)[1]
    forge(entry, payload, key="0" * 64)
    assert_checked_and_rewritten(cache_env, entry)
    forge(entry, payload, fmt=keys.FORMAT + 1)
    assert_checked_and_rewritten(cache_env, entry)


def test_a_forged_valid_entry_never_makes_a_wrong_step_valid(cache_env: Path) -> None:
    """A student commits a .derivcheck_cache saying "valid": the key is public, the secret is not."""
    right = cold_entry(cache_env, SQUARE)  # an honest entry for a valid file, to copy the result from
    valid_payload = right.read_bytes().split(b"\n", 1)[1]
    (cache_env / "d.yaml").write_text(SQUARE_WRONG)  # differs at x = 1/3 (test_ground_truth_points)
    options = VerdictOptions(0, 10.0)
    key = keys.entry_key("d.yaml", SQUARE_WRONG.encode(), options)
    forge(right, valid_payload, key=key, secret=b"f" * 64)  # the attacker's own secret
    assert_checked_and_rewritten(cache_env, right)
    forge(right, valid_payload, key=key, secret=b"")  # no secret at all
    assert_checked_and_rewritten(cache_env, right)


def test_a_fifo_or_a_link_in_place_of_an_entry_neither_hangs_nor_is_trusted(cache_env: Path) -> None:
    entry = cold_entry(cache_env)
    entry.unlink()
    os.mkfifo(entry)
    assert_checked_and_rewritten(cache_env, entry)
    entry.unlink()
    os.symlink("/dev/zero", entry)
    assert_checked_and_rewritten(cache_env, entry)


# -- the folder -------------------------------------------------------------------------------


def test_the_folder_is_tagged_and_ignored_by_git(cache_env: Path) -> None:
    cold_entry(cache_env)
    root = cache_env / ".derivcheck_cache"
    assert (root / "CACHEDIR.TAG").read_text().splitlines()[0] == "Signature: 8a477f597d28d172789f06886806bc55" == TAG_SIGNATURE
    assert "*" in (root / ".gitignore").read_text().splitlines()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(cache_env)], check=True)
        listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=cache_env, capture_output=True, text=True, check=True).stdout
        assert ".derivcheck_cache" not in listed and "d.yaml" in listed


def test_where_the_folder_is(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache_env / "d.yaml").write_text(SQUARE)
    monkeypatch.setenv("DERIVCHECK_CACHE_DIR", str(cache_env / "from-env"))
    run("verify", "d.yaml", cwd=cache_env)
    assert entries(cache_env / "from-env") and not (cache_env / ".derivcheck_cache").exists()
    run("verify", "--cache-dir", str(cache_env / "from-flag"), "d.yaml", cwd=cache_env)  # the flag wins
    assert entries(cache_env / "from-flag")
    monkeypatch.delenv("DERIVCHECK_CACHE_DIR")
    (cache_env / "pyproject.toml").write_text('[tool.derivcheck]\ncache-dir = "build/dc"\n')
    sub = cache_env / "sub"
    sub.mkdir()
    run("verify", "../d.yaml", cwd=sub)  # relative to the configuration's folder, not the current one
    assert entries(cache_env / "build" / "dc")
    (cache_env / "pyproject.toml").write_text("[tool.derivcheck]\ncache = false\n")
    shutil.rmtree(cache_env / "build")
    run("verify", "../d.yaml", cwd=sub)
    assert not (cache_env / "build").exists() and not (sub / ".derivcheck_cache").exists()
    monkeypatch.setenv("DERIVCHECK_NO_CACHE", "1")
    (cache_env / "pyproject.toml").unlink()
    run("verify", "d.yaml", cwd=sub.parent / "sub")
    assert not (sub / ".derivcheck_cache").exists()


# -- hostile places degrade to no cache ----------------------------------------------------------


def hostile(cache_env: Path, *args: str) -> str:
    (cache_env / "d.yaml").write_text(SQUARE_WRONG)
    code, out, err = run("verify", "--format", "json", *args, "d.yaml", cwd=cache_env)
    assert code == 1 and json.loads(out)["files"][0]["status"] == "invalid"  # 16/9 against 10/9 at x = 1/3
    assert "Traceback" not in err + out
    return err


def test_a_cache_path_that_is_a_file_turns_the_cache_off_with_a_warning(cache_env: Path) -> None:
    (cache_env / ".derivcheck_cache").write_text("not a folder")
    err = hostile(cache_env)
    assert "warning" in err and "not a folder" in err
    assert (cache_env / ".derivcheck_cache").read_text() == "not a folder"


def test_a_cache_below_a_file_or_in_proc_turns_the_cache_off(cache_env: Path) -> None:
    (cache_env / "plain").write_text("")
    assert "not a folder" in hostile(cache_env, "--cache-dir", str(cache_env / "plain"))
    assert "cache is off" in hostile(cache_env, "--cache-dir", str(cache_env / "plain" / "cache"))
    assert "cache is off" in hostile(cache_env, "--cache-dir", "/proc/derivcheck-cache")


def test_a_foreign_folder_is_never_written_into(cache_env: Path) -> None:
    home = cache_env / "home"
    home.mkdir()
    (home / ".gitignore").write_text("mine\n")
    (home / "notes.txt").write_text("mine\n")
    err = hostile(cache_env, "--cache-dir", str(home))
    assert "not a derivcheck cache" in err
    assert sorted(p.name for p in home.iterdir()) == [".gitignore", "notes.txt"]
    assert (home / ".gitignore").read_text() == "mine\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_turns_the_cache_off(cache_env: Path) -> None:
    ro = cache_env / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert "cache is off" in hostile(cache_env, "--cache-dir", str(ro / "cache"))
    finally:
        ro.chmod(0o755)


def test_a_cache_that_cannot_be_written_any_more_warns_once(cache_env: Path) -> None:
    cold_entry(cache_env)
    root = cache_env / ".derivcheck_cache"
    shutil.rmtree(root / f"v{keys.FORMAT}")
    (root / f"v{keys.FORMAT}").write_text("a file where the entries go")
    (cache_env / "e.yaml").write_text(SQUARE)
    code, _, err = run("verify", "d.yaml", "e.yaml", cwd=cache_env)
    assert code == 1 and err.count("warning") == 1


def test_no_place_for_the_secret_turns_the_cache_off(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache_env / "xdg-file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_env / "xdg-file"))
    err = hostile(cache_env)
    assert "cache is off" in err and "secret" in err


def test_the_secret_is_private_and_shared_by_racing_processes(cache_env: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        made = pool.map(_secret_worker, [str(cache_env / "racing")] * 16)
    assert len(set(made)) == 1
    path = cache_env / "racing" / "derivcheck" / "secret"
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == ["secret"]


def _secret_worker(xdg: str) -> bytes:
    os.environ["XDG_CACHE_HOME"] = xdg
    return load_secret()


# -- writers at once ----------------------------------------------------------------------------


def _storm_worker(args: tuple[str, bytes, list[tuple[str, str, bytes]], int]) -> int:
    """Write and read the same entries many times; count reads that were neither absent nor whole."""
    root, secret, items, seed = args
    store = Store(Path(root), secret)
    rng = random.Random(seed)
    bad = 0
    for _ in range(60):
        name, key, payload = rng.choice(items)
        if rng.random() < 0.5:
            store.write(name, key, payload)
        got = store.read(name, key)
        if got is not None:
            try:
                codec.loads(got)
            except codec.CorruptEntry:
                bad += 1
            if got not in {p for n, k, p in items if n == name and k == key}:
                bad += 1
    return bad


def test_many_processes_writing_the_same_entries_leave_only_whole_ones(cache_env: Path) -> None:
    store = Store.open(cache_env / "storm")
    big = file_with("invalid", ["proved"] * 150 + ["invalid"])
    small = file_with("valid", ["proved"])
    items = []
    for i in range(4):
        name = f"entry{i}"
        for j, r in enumerate((big, small)):  # one name, two keys of very different sizes
            items.append((name, f"{i}{j}" * 32, codec.dumps(r)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        bad = pool.map(_storm_worker, [(str(store.root), load_secret(), items, s) for s in range(12)])
    assert sum(bad) == 0
    names = sorted(p.name for p in store.entries.iterdir())
    assert names == [f"entry{i}.json" for i in range(4)]  # no temporary files left behind
    for i in range(4):
        assert any(store.read(f"entry{i}", k) is not None for n, k, _ in items if n == f"entry{i}")


def test_cli_processes_at_once_leave_valid_entries_and_agree(cache_env: Path) -> None:
    work = cache_env / "work"
    work.mkdir()
    for name in ("square.yaml", "square_wrong.yaml", "broken.yaml"):
        shutil.copy(DATA / name, work / name)
    env = {k: v for k, v in os.environ.items() if k != "DERIVCHECK_NO_CACHE"}
    outputs = set()
    for _ in range(2):
        procs = [
            subprocess.Popen([sys.executable, "-m", "derivcheck", "verify", "--format", "json", "."], cwd=work, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 2 and "Traceback" not in err, err
            doc = json.loads(out)
            outputs.add(json.dumps([(f["path"], f["status"], f["chains"]) for f in doc["files"]]))
    assert len(outputs) == 1
    store = Store.open(work / ".derivcheck_cache")
    statuses = []
    for entry in entries(work / ".derivcheck_cache"):  # each whole, authentic and readable
        key = json.loads(entry.read_bytes().split(b"\n", 1)[0])["key"]
        payload = store.read(entry.stem, key)
        assert payload is not None
        statuses.append(codec.loads(payload).status)
    assert sorted(statuses) == ["error", "invalid", "valid"]
    keys.package_digest.cache_clear()  # the package may have been edited since this process hashed it
    keys.checker_digest.cache_clear()
    cache = ResultCache.open(work / ".derivcheck_cache", VerdictOptions(0, 10.0))
    found = [cache.lookup(work / n, n) for n in ("broken.yaml", "square.yaml", "square_wrong.yaml")]
    assert [f.result.status for f in found if f.result] == ["error", "valid", "invalid"]


# -- the codec ------------------------------------------------------------------------------------


def test_the_codec_gives_back_exactly_what_it_was_given(cache_env: Path) -> None:
    results = verify_files(collect([DATA]).files, display_path)
    for r in results:
        again = codec.loads(codec.dumps(r))
        assert again == r and type(again.chains[0].steps[-1].counterexample) is type(r.chains[0].steps[-1].counterexample) if r.chains else True
    odd = file_with("valid", ["proved"])
    odd.error = FileError("m", None, [("a", 1), ("b", None)])
    odd.seconds = float("inf")
    again = codec.loads(codec.dumps(odd))
    assert again == odd and isinstance(again.error.more[0], tuple)  # type: ignore[union-attr]


def test_opening_a_store_that_is_unusable_says_why(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(CacheUnavailable, match="not a folder"):
        Store.open(tmp_path / "f")
    assert cache_mod.cache_dir(None, None) == Path(".derivcheck_cache")


def _open_worker(root: str) -> str:
    try:
        Store.open(Path(root))
        return "ok"
    except CacheUnavailable as err:
        return str(err)


def test_processes_making_the_folder_at_once_all_get_it(cache_env: Path) -> None:
    """pre-commit's first run: several processes find no folder and make it together."""
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        root = cache_env / f"fresh{round_}"
        with ctx.Pool(4) as pool:
            assert pool.map(_open_worker, [str(root)] * 8) == ["ok"] * 8
        assert sorted(p.name for p in root.iterdir()) == [".gitignore", "CACHEDIR.TAG", f"v{keys.FORMAT}"]


def test_a_link_in_place_of_the_entries_folder_is_refused(cache_env: Path) -> None:
    """A repository ships .derivcheck_cache with v1 linked to a folder of the reader's: nothing is written there."""
    elsewhere = cache_env / "elsewhere"
    elsewhere.mkdir()
    root = cache_env / ".derivcheck_cache"
    root.mkdir()
    (root / "CACHEDIR.TAG").write_text(TAG_SIGNATURE + "\n")
    os.symlink(elsewhere, root / f"v{keys.FORMAT}")
    err = hostile(cache_env)
    assert "cache is off" in err and "not a plain folder" in err
    assert list(elsewhere.iterdir()) == []


def test_no_home_folder_turns_the_cache_off(cache_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError("no home"))))
    err = hostile(cache_env)
    assert "cache is off" in err and "home folder" in err
    assert not (cache_env / "relative").exists()
