"""What a cached result depends on, as one hash: the key of a cache entry.

A result is reused only when everything that could change it is the same: the
file's bytes, the bytes of the context file it is read with, the options that can
change a verdict, and the checker itself. "The checker" is derivcheck's version,
*a hash of every file of the package* (a developer's edit to the engine
invalidates every entry, with no version bump), the versions of SymPy and mpmath
and whether gmpy2 is there (read from their files, never imported: a cache hit
must not import SymPy), the Python version and the ``SYMPY_*``/``MPMATH_*``
environment variables, which change how SymPy computes.

Formats and output options are not part of the key: an entry holds the result,
and every format renders from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from .. import __version__, limits

#: Bumped when the entry layout or the key's ingredients change.
FORMAT = 1
#: Larger files are not cached (the loader refuses them anyway, and hashing them costs time).
MAX_HASHED_BYTES = limits.MAX_FILE_BYTES
_PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class VerdictOptions:
    """Every setting that can change a verdict; anything else (format, --quiet, output file) is left out."""

    seed: int
    timeout: float
    #: the configuration's default sizes (a list, or a table per size name), as given
    sizes: tuple[int, ...] | dict[str, tuple[int, ...]] | None = None
    #: the ``--context`` file's bytes hashed (None: no context), and ``--question``
    context_digest: str | None = None
    question: str | None = None

    def material(self) -> dict[str, object]:
        sizes: object = self.sizes
        if isinstance(self.sizes, dict):
            sizes = sorted((k, list(v)) for k, v in self.sizes.items())
        elif self.sizes is not None:
            sizes = list(self.sizes)
        return {
            "seed": self.seed,
            "timeout": repr(float(self.timeout)),
            "sizes": sizes,
            "context": self.context_digest,
            "question": self.question,
        }


def read_bytes(path: Path, limit: int = MAX_HASHED_BYTES, follow_links: bool = True) -> bytes | None:
    """The bytes of a regular file of at most ``limit`` bytes; None for anything else.

    A FIFO, a device or a huge file is never read here: the file is then checked
    without the cache, and the loader reports what is wrong with it. The cache's
    own files are read with ``follow_links=False``: a link there is not an entry.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=4)
def package_digest(package: Path = _PACKAGE) -> str:
    """A hash of every file of the installed package (its sources, templates and data), by path and content.

    Content, not modification times: a checkout, a copy or ``touch`` keeps the entries;
    any edit, a new file or a removed one drops them all.  (Plain ``os`` calls: this
    runs on every cached run, and pathlib would double its cost.)
    """
    h = hashlib.sha256()
    top = os.fspath(package)
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        rel = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
            except OSError:
                data = b"<unreadable>"
            h.update(f"{rel}/{name}".encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


_VERSION_RE = re.compile(rb"""^__version__\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", re.MULTILINE)


def _package_folder(name: str) -> Path | None:
    """Where the package ``name`` would be imported from, without importing it.

    A plain folder on ``sys.path`` is found with a few ``stat`` calls; anything else
    (a zip, a custom finder) through :func:`importlib.util.find_spec`, which lists
    whole folders and costs more.
    """
    for entry in sys.path:
        candidate = os.path.join(entry or ".", name, "__init__.py")
        if os.path.isfile(candidate):
            return Path(candidate).parent
        if os.path.isfile(os.path.join(entry or ".", f"{name}.py")):
            break  # a module of that name comes first: let the import system say what it is
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not os.path.isfile(spec.origin):
        return None
    return Path(spec.origin).parent


def _dependency(name: str, version_file: str) -> str:
    """A dependency's version, read from its files without importing it."""
    folder = _package_folder(name)
    if folder is None:
        return "absent"
    for candidate in (folder / version_file, folder / "__init__.py"):
        data = read_bytes(candidate) or b""
        m = _VERSION_RE.search(data)
        if m:
            return m.group(1).decode("ascii", "replace")
    return "sha256:" + digest(read_bytes(folder / "__init__.py") or b"")


@lru_cache(maxsize=1)
def checker_digest() -> str:
    """derivcheck itself: version, package files, dependencies, interpreter and SymPy's environment."""
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(("SYMPY_", "MPMATH_")))
    material = {
        "format": FORMAT,
        "derivcheck": __version__,
        "package": package_digest(),
        "sympy": _dependency("sympy", "release.py"),
        "mpmath": _dependency("mpmath", "__init__.py"),
        "gmpy2": _dependency("gmpy2", "__init__.py"),
        "python": list(sys.version_info[:3]) + [sys.implementation.name],
        "env": env,
    }
    return digest(json.dumps(material, sort_keys=True).encode())


def entry_key(shown: str, file_bytes: bytes, options: VerdictOptions) -> str:
    """The key of one file's entry: the checker, the file (its name as reports show it, and its bytes), the options."""
    material = {
        "checker": checker_digest(),
        "path": shown,
        "file": digest(file_bytes),
        "options": options.material(),
    }
    return digest(json.dumps(material, sort_keys=True, ensure_ascii=True).encode())
