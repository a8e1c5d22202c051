"""Shared helpers: every test builds its own derivations inline or reads the repo's files."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

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
