"""Shared helpers: every test builds its own derivations inline or reads the repo's files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from derivcheck.api import verify_text
from derivcheck.results import FileResult

ROOT = Path(__file__).resolve().parent.parent


def check(yaml_text: str, path: str = "test.yaml", timeout: float = 30.0, seed: int = 0) -> FileResult:
    """Verify a derivation written inline (dedented)."""
    return verify_text(textwrap.dedent(yaml_text), path, seed=seed, timeout=timeout)


def statuses(result: FileResult) -> list[list[str]]:
    return [[s.status for s in c.steps] for c in result.chains]


@pytest.fixture
def root() -> Path:
    return ROOT


# Every CLI run in the tests, subprocesses and module-scoped fixtures included, checks its
# files anew; tests/test_cache.py turns the cache on (monkeypatch.delenv) where it is the subject.
os.environ["DERIVCHECK_NO_CACHE"] = "1"


class CorpusRun:
    """A folder of derivations through the command line, as a teacher runs them.

    One ``derivcheck verify --format json`` over every file per seed (CPU is scarce),
    results by file name; a file the folder run lost is run alone.
    """

    def __init__(self, files: list[Path], timeout: float) -> None:
        self.files = files
        self.timeout = timeout
        self._runs: dict[int, tuple[dict[str, dict[str, Any]], str]] = {}

    def run(self, paths: list[Path], seed: int) -> tuple[dict[str, Any] | None, str]:
        """``derivcheck verify --format json --no-cache --seed SEED PATHS``: (document, stderr)."""
        proc = subprocess.run(
            [sys.executable, "-m", "derivcheck", "verify", "--format", "json", "--no-cache", "--seed", str(seed),
             *map(str, paths)],
            capture_output=True, text=True, timeout=self.timeout, check=False,
        )
        try:
            return json.loads(proc.stdout), proc.stderr
        except json.JSONDecodeError:
            return None, proc.stderr + proc.stdout[-2000:]

    def folder(self, seed: int) -> tuple[dict[str, dict[str, Any]], str]:
        if seed not in self._runs:
            doc, stderr = self.run(self.files, seed)
            self._runs[seed] = ({Path(f["path"]).name: f for f in (doc or {}).get("files", [])}, stderr)
        return self._runs[seed]

    def result(self, path: Path, seed: int) -> dict[str, Any]:
        """The JSON result of one file, from the folder run, or alone when the folder run lost it."""
        by_name, _ = self.folder(seed)
        if path.name in by_name:
            return by_name[path.name]
        doc, stderr = self.run([path], seed)
        assert doc is not None, f"{path.name} seed {seed}: no JSON report; output:\n{stderr}"
        assert "Traceback" not in stderr, f"{path.name} seed {seed}: traceback:\n{stderr}"
        (only,) = doc["files"]
        return only
