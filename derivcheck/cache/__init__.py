"""The result cache of ``derivcheck verify``: a re-run on unchanged files checks nothing and imports no SymPy.

As ruff and mypy keep theirs, the cache is a folder, ``.derivcheck_cache`` in the
current directory unless told otherwise.  Where (the first that is set wins):

1. ``--cache-dir DIR``;
2. the environment variable ``DERIVCHECK_CACHE_DIR``;
3. ``cache-dir = "DIR"`` in ``[tool.derivcheck]`` (relative to the configuration file's folder);
4. ``.derivcheck_cache`` in the current directory.

Off with ``--no-cache``, ``DERIVCHECK_NO_CACHE=1`` or ``cache = false`` in ``[tool.derivcheck]``.

**Benchmarks** (``bench/bench.py``) point the cache at a temporary folder with
``DERIVCHECK_CACHE_DIR=/tmp/some-dir`` (or ``--cache-dir``), and keep the secret
there too with ``XDG_CACHE_HOME=/tmp/some-dir``; a cold run is ``--no-cache`` or an
empty folder, a warm run is the same command again.

Keys are in :mod:`.keys`, the folder in :mod:`.store`, the stored form of a
result in :mod:`.codec`.  What is never stored (so that the cache cannot change a
verdict, only save the time of reaching it again) is decided by :func:`reusable`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..results import INVALID, TIMEOUT, UNKNOWN, VALID, FileResult
from . import codec
from .keys import VerdictOptions, digest, entry_key, read_bytes
from .store import CacheUnavailable, Store

ENV_DIR = "DERIVCHECK_CACHE_DIR"
ENV_OFF = "DERIVCHECK_NO_CACHE"
DEFAULT_DIR = ".derivcheck_cache"

__all__ = ["DEFAULT_DIR", "ENV_DIR", "ENV_OFF", "CacheUnavailable", "ResultCache", "VerdictOptions", "cache_dir", "reusable"]


def env_says_off() -> bool:
    return os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no")


def cache_dir(flag: Path | None = None, configured: Path | None = None) -> Path:
    """The cache folder: ``--cache-dir``, else ``DERIVCHECK_CACHE_DIR``, else the configuration's, else the default."""
    if flag is not None:
        return flag
    env = os.environ.get(ENV_DIR, "").strip()
    if env:
        return Path(env)
    if configured is not None:
        return configured
    return Path(DEFAULT_DIR)


def reusable(result: FileResult, limits_fired: bool = False) -> bool:
    """Whether a fresh result may be stored: never when this machine's load may have made it what it is.

    Never stored: a timeout anywhere (a step, the claim), a file whose status is
    ``unknown`` (a timeout, or coverage neither shown nor refuted in its time;
    coverage left undecided beside an ``invalid`` or ``error`` that decides the
    file is stored as it is).
    When a time limit fired anywhere during the check (``limits_fired``), only a
    ``valid`` or ``invalid`` file is stored: a time limit can leave a step
    ``tested`` that an idle machine would prove, or a diagnosis unsaid, but it
    cannot make a step equal or a certified counterexample wrong; an ``error``
    may be one (an expression that took too long to read), so it is not stored.
    The caller never stores a result whose check ran out of memory or stack, or
    failed inside derivcheck.
    """
    if result.status == UNKNOWN:
        return False
    if result.claim is not None and result.claim.status == TIMEOUT:
        return False
    if any(s.status == TIMEOUT for c in result.chains for s in c.steps):
        return False
    return not limits_fired or result.status in (VALID, INVALID)


@dataclass
class Lookup:
    """One file's place in the cache: its key (None: not cacheable) and the stored result, if any."""

    path: Path
    shown: str
    key: str | None
    result: FileResult | None = None


@dataclass
class ResultCache:
    """The cache of one run: the folder and the options every key of this run shares."""

    store: Store
    options: VerdictOptions
    #: the context file whose bytes ``options.context_digest`` hashes (checked again before each write)
    context_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    #: where warnings go as they happen (the CLI prints them on standard error)
    warn: Callable[[str], None] | None = None
    hits: int = 0
    misses: int = 0
    _writable: bool = True

    @classmethod
    def open(
        cls, root: Path, options: VerdictOptions, context_path: Path | None = None, warn: Callable[[str], None] | None = None
    ) -> ResultCache:
        """The cache in ``root`` (:class:`CacheUnavailable` when it cannot be used there)."""
        return cls(Store.open(root), options, context_path, warn=warn)

    @staticmethod
    def context_digest(context_path: Path | None) -> str | None:
        """The hash of the context file's bytes; ``"unreadable"`` keeps every entry of such a run out of the cache."""
        if context_path is None:
            return None
        data = read_bytes(context_path)
        return "unreadable" if data is None else digest(data)

    def _say(self, message: str) -> None:
        self.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    @staticmethod
    def _name(path: Path) -> str:
        return digest(os.path.abspath(path).encode("utf-8", "surrogateescape"))[:40]

    def lookup(self, path: Path, shown: str) -> Lookup:
        """The stored result of ``path`` for this run's options, when there is a valid one."""
        if self.options.context_digest == "unreadable":
            return Lookup(path, shown, None)
        data = read_bytes(path)
        if data is None:
            return Lookup(path, shown, None)
        key = entry_key(shown, data, self.options)
        result = None
        try:
            payload = self.store.read(self._name(path), key)
            if payload is not None:
                result = codec.loads(payload)
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, whatever is wrong with it
            result = None
            if result is not None and result.path != shown:
                result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return Lookup(path, shown, key, result)

    def save(self, found: Lookup, result: FileResult, limits_fired: bool = False) -> bool:
        """Store a fresh result when it may be reused and nothing it was read from changed meanwhile."""
        if found.key is None or not self._writable or not reusable(result, limits_fired):
            return False
        data = read_bytes(found.path)
        if data is None or entry_key(found.shown, data, self.options) != found.key:
            return False  # the file changed while it was checked: the result may be of either version
        if self.context_digest(self.context_path) != self.options.context_digest:
            return False
        try:
            payload = codec.dumps(result)
        except (codec.Unserializable, ValueError, RecursionError):
            return False
        try:
            self.store.write(self._name(found.path), found.key, payload)
        except OSError as err:
            self._writable = False
            self._say(f"cannot write to the cache folder {self.store.root} ({err.strerror or err}): results are not cached")
            return False
        return True
