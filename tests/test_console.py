"""The console script (``cli.run``): ``verify`` ends its process at once, losing nothing.

Ending with ``os._exit`` skips the interpreter's tear-down, so these tests check
what the tear-down would otherwise have done for us: every byte of every output
flushed, every exit status kept, cache entries whole, and other commands exiting
normally.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from derivcheck import cli
from derivcheck.batch import verify_files
from derivcheck.cache import ResultCache, VerdictOptions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "cache"


class Exited(Exception):
    """Raised by the stand-in for ``os._exit``."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def console(*args: str, cwd: Path | None = None, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """``python -m derivcheck ARGS``: the console script's path, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "derivcheck", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=300, check=False)


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``run`` in this process: ``os._exit`` raises :class:`Exited`, the checker import is recorded, not done."""
    calls: list[str] = []

    def fake_exit(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    monkeypatch.setattr(cli, "_load_checker", lambda: calls.append("load"))
    monkeypatch.setattr(cli._Console, "active", False)  # restored afterwards, so other tests see a library caller
    monkeypatch.setattr(cli._Console, "ends_at_once", False)
    monkeypatch.setenv("DERIVCHECK_NO_CACHE", "1")
    return calls


@pytest.mark.parametrize(("name", "status"), [("square.yaml", 0), ("square_wrong.yaml", 1), ("broken.yaml", 2), ("missing.yaml", 2)])
def test_every_exit_status_survives_the_quick_exit(name: str, status: int) -> None:
    proc = console("verify", "--no-cache", str(DATA / name))
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.rstrip().splitlines()[-1].startswith("derivcheck: 1 file checked")


def test_output_held_in_a_buffer_is_written_before_the_process_ends(tmp_path: Path) -> None:
    # Into a pipe: the whole JSON document (a few kB, less than one buffer, so only a flush writes it).
    proc = console("verify", "--no-cache", "--format", "json", str(DATA / "square.yaml"), str(DATA / "square_wrong.yaml"))
    doc = json.loads(proc.stdout)
    assert [f["status"] for f in doc["files"]] == ["valid", "invalid"] and proc.returncode == 1
    # Into a file (fully buffered): the text report down to its summary line.
    out = tmp_path / "report.txt"
    with out.open("w") as handle:
        proc = subprocess.run([sys.executable, "-m", "derivcheck", "verify", "--no-cache", str(DATA / "square.yaml")],
                              stdout=handle, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert proc.returncode == 0
    assert out.read_text().rstrip().endswith("1 transition: 1 proved")
    # A report written with --output-file is closed, whole, before the exit.
    page = tmp_path / "report.html"
    proc = console("verify", "--no-cache", "--format", "html", "--output-file", str(page), str(DATA / "square_wrong.yaml"))
    assert proc.returncode == 1 and page.read_text().rstrip().endswith("</html>")


def test_entries_written_by_a_quickly_ended_process_are_whole_and_used(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DERIVCHECK_NO_CACHE", "DERIVCHECK_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("square.yaml", "square_wrong.yaml"):
        (work / name).write_bytes((DATA / name).read_bytes())

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", PROBE, "verify", "--format", "json", "."], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300, check=False)

    cold, warm = verify(), verify()
    assert cold.returncode == warm.returncode == 1
    assert cold.stdout == warm.stdout
    assert "SYMPY=True" in cold.stderr and "SYMPY=False" in warm.stderr  # the second run was served by the entries
    assert len([p for p in (work / ".derivcheck_cache").rglob("*.json") if p.parent.name.startswith("v")]) == 2


#: The console script, reporting on its way out whether SymPy was imported and what the collector was left doing.
PROBE = textwrap.dedent(
    """
    import gc, os, sys
    from derivcheck import cli
    real_exit = os._exit
    def report_and_exit(code):
        print(f"SYMPY={'sympy' in sys.modules} FROZEN={gc.get_freeze_count()} ENABLED={gc.isenabled()} CODE={code}", file=sys.stderr)
        sys.stderr.flush()
        real_exit(code)
    os._exit = report_and_exit
    sys.argv[0] = "derivcheck"
    cli.run()
    """
)


def test_a_console_verify_imports_the_checker_with_the_collector_paused_then_frozen(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, "verify", "--no-cache", str(DATA / "square.yaml")],
                          capture_output=True, text=True, timeout=300, check=False)
    line = [x for x in proc.stderr.splitlines() if x.startswith("SYMPY=")]
    assert line, proc.stderr
    fields = dict(part.split("=") for part in line[-1].split())
    assert fields["SYMPY"] == "True" and fields["ENABLED"] == "True" and fields["CODE"] == "0"
    assert int(fields["FROZEN"]) > 100_000  # SymPy's classes and functions are out of every later collection


def test_run_ends_a_verify_at_once_with_its_status(in_process: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["derivcheck", "verify", str(DATA / "square_wrong.yaml")])
    with pytest.raises(Exited) as ended:
        cli.run()
    assert ended.value.code == 1
    assert in_process == ["load"]  # one file to check: the checker was imported once, the console's way


def test_other_commands_exit_normally(in_process: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["derivcheck", "--version"])
    with pytest.raises(SystemExit) as ended:
        cli.run()
    assert ended.value.code == 0
    monkeypatch.setattr(sys, "argv", ["derivcheck", "verify", "--format", "bogus", "x.yaml"])
    with pytest.raises(SystemExit) as ended:  # a usage error ends before verify has written anything
        cli.run()
    assert ended.value.code == 2
    assert in_process == []


def test_a_message_given_to_sys_exit_is_printed_with_status_1(in_process: list[str], monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    def fails() -> None:
        cli._Console.ends_at_once = True
        sys.exit("derivcheck: stopped")

    monkeypatch.setattr(cli, "main", fails)
    with pytest.raises(Exited) as ended:
        cli.run()
    assert ended.value.code == 1
    assert "derivcheck: stopped" in capsys.readouterr().err


def test_prepare_is_called_once_and_only_when_a_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    files = [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    for f in files:
        f.write_bytes((DATA / "square.yaml").read_bytes())
    calls: list[int] = []

    def prepare() -> None:
        calls.append(1)

    def run() -> list[str]:
        cache = ResultCache.open(tmp_path / "cache", VerdictOptions(0, 10.0))
        return [r.status for r in verify_files(files, str, cache=cache, prepare=prepare)]

    assert run() == ["valid", "valid"] and calls == [1]  # two misses, one call
    assert run() == ["valid", "valid"] and calls == [1]  # all from the cache: nothing to import
    files[1].write_text((DATA / "square_wrong.yaml").read_text())
    assert run() == ["valid", "invalid"] and calls == [1, 1]
    assert verify_files([], str, prepare=prepare) == [] and calls == [1, 1]  # nothing to check, nothing imported


class _ClosedAtTheEnd:
    """Standard output whose reader is gone by the time the report's last flush comes."""

    def __init__(self) -> None:
        import io

        self.text = io.StringIO()

    def write(self, s: str) -> int:
        return self.text.write(s)

    def flush(self) -> None:
        if cli._Console.ends_at_once:  # verify is done: only run's final flush gets here
            raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self.text, name)


@pytest.mark.parametrize(("name", "status"), [("square.yaml", 120), ("square_wrong.yaml", 1)])
def test_a_failed_last_flush_exits_as_python_would_keeping_a_failing_status(
        in_process: list[str], monkeypatch: pytest.MonkeyPatch, name: str, status: int) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedAtTheEnd())
    monkeypatch.setattr(sys, "argv", ["derivcheck", "verify", "--format", "json", str(DATA / name)])
    with pytest.raises(Exited) as ended:
        cli.run()
    assert ended.value.code == status  # 120 is Python's own status for a failed flush at exit; an invalid file stays 1
