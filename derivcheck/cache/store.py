"""The cache folder on disk: its tag, its entries, atomic writes and a machine key.

Layout (as ruff's ``.ruff_cache``)::

    .derivcheck_cache/
        CACHEDIR.TAG          the standard tag: backup tools skip the folder
        .gitignore            "*": git never sees it
        v1/<hash of the file's path>.json
                              one entry per checked file: a header line
                              {"key": ..., "mac": ...} and the result

**Writes are atomic**: an entry is written to a fresh temporary file in the same
folder and moved over the old one with :func:`os.replace`, so processes that write at
once (pre-commit runs several) leave whole entries only, never a mixture.

**Entries are authenticated.** A repository can hold a ``.derivcheck_cache`` that
someone else wrote (a student can commit one that says "valid"), and the key
is public: anyone can compute it.  So every entry carries an HMAC of its key and
result under a secret kept outside the cache folder, in the user's cache folder
(``$XDG_CACHE_HOME/derivcheck/secret``, mode 0600).  An entry this machine did not
write fails the check and is ignored and rewritten, like a corrupt one.

**Hostile folders degrade to no cache**, with a warning: a cache path that is a
file, a folder that cannot be written, a non-empty folder without the tag (the cache
never writes into a folder it did not make), or no place for the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from .keys import FORMAT, read_bytes

#: The signature line of the Cache Directory Tagging Specification (https://bford.info/cachedir/).
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
TAG_TEXT = (
    f"{TAG_SIGNATURE}\n"
    "# This file is a cache directory tag created by derivcheck.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)
#: An entry larger than this is neither written nor read (a result is a few kB).
MAX_ENTRY_BYTES = 16_000_000
SECRET_BYTES = 32


class CacheUnavailable(Exception):
    """The cache cannot be used here; ``str()`` says why, for a one-line warning."""


def secret_path() -> Path:
    """Where this user's cache secret lives: outside every project's cache folder.

    :class:`CacheUnavailable` when there is no home folder to keep it in (never a
    relative path, which would put the secret inside whatever folder is current).
    """
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    except (RuntimeError, KeyError, OSError):
        root = Path("~")
    if not root.is_absolute():
        raise CacheUnavailable("no home folder to keep the cache's secret in (set XDG_CACHE_HOME to an absolute path)")
    return root / "derivcheck" / "secret"


def load_secret(path: Path | None = None) -> bytes:
    """This user's secret, made on first use; every process that races to make it ends up with the same one."""
    path = path or secret_path()
    existing = read_bytes(path, 4096, follow_links=False)
    if existing is not None and len(existing) >= SECRET_BYTES:
        return existing
    import secrets
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".secret-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_hex(SECRET_BYTES).encode("ascii"))
            os.chmod(tmp, 0o600)
            if existing is None:
                try:
                    os.link(tmp, path)  # fails if another process made it first: then use theirs
                except FileExistsError:
                    pass
                except OSError:  # a file system without hard links
                    os.replace(tmp, path)
            else:  # a damaged secret (too short): replace it
                os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as err:
        raise CacheUnavailable(f"cannot keep the cache's secret in {path.parent}: {err.strerror or err}") from None
    made = read_bytes(path, 4096, follow_links=False)
    if made is None or len(made) < SECRET_BYTES:
        raise CacheUnavailable(f"cannot read the cache's secret {path}")
    return made


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and :func:`os.replace`."""
    import tempfile  # only a run that writes needs it

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _ours(name: str) -> bool:
    """A name the cache itself puts in its folder (a process making it at the same time may be halfway)."""
    return name in (".gitignore", "CACHEDIR.TAG", f"v{FORMAT}") or (name.startswith(".tmp-") and name.endswith(".part"))


class Store:
    """One cache folder: entries by name, each checked against its key and this machine's secret."""

    def __init__(self, root: Path, secret: bytes) -> None:
        self.root = root
        self.entries = root / f"v{FORMAT}"
        self._secret = secret

    @classmethod
    def open(cls, root: Path, secret: bytes | None = None) -> Store:
        """The cache folder ``root``, made (with its tag and .gitignore) when absent; :class:`CacheUnavailable` when unusable."""
        try:
            info = os.lstat(root)
        except FileNotFoundError:
            info = None
        except OSError as err:
            raise CacheUnavailable(f"{root}: {err.strerror or err}") from None
        if info is not None and not root.is_dir():
            raise CacheUnavailable(f"{root} is not a folder")
        try:
            if info is None:
                root.mkdir(parents=True, exist_ok=True)
            tag = root / "CACHEDIR.TAG"
            if not tag.is_file():
                if not all(_ours(p.name) for p in root.iterdir()):  # never write into someone else's folder
                    raise CacheUnavailable(f"{root} is a folder that is not a derivcheck cache (no CACHEDIR.TAG); choose another with --cache-dir")
                _write_atomic(tag, TAG_TEXT.encode("ascii"))
            if not (root / ".gitignore").exists():
                _write_atomic(root / ".gitignore", b"# Automatically created by derivcheck.\n*\n")
            entries = root / f"v{FORMAT}"
            entries.mkdir(exist_ok=True)
            if entries.is_symlink() or not entries.is_dir():  # a link planted to send entries elsewhere
                raise CacheUnavailable(f"{entries} is not a plain folder")
        except OSError as err:
            raise CacheUnavailable(f"cannot write the cache folder {root}: {err.strerror or err}") from None
        return cls(root, secret if secret is not None else load_secret())

    def entry_path(self, name: str) -> Path:
        return self.entries / f"{name}.json"

    def _mac(self, key: str, payload: bytes) -> str:
        return hmac.new(self._secret, key.encode("ascii") + b"\n" + payload, hashlib.sha256).hexdigest()

    def read(self, name: str, key: str) -> bytes | None:
        """The payload stored under ``name`` for ``key``; None when absent, for another key, damaged or not ours."""
        data = read_bytes(self.entry_path(name), MAX_ENTRY_BYTES, follow_links=False)
        if not data:
            return None
        head, sep, payload = data.partition(b"\n")
        if not sep:
            return None
        try:
            header = json.loads(head.decode("ascii"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
            return None
        mac = header.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(key, payload)):
            return None
        return payload

    def write(self, name: str, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``name`` for ``key``, atomically (:class:`OSError` when the folder refuses)."""
        if len(payload) > MAX_ENTRY_BYTES - 1000:
            return
        header = json.dumps({"format": FORMAT, "key": key, "mac": self._mac(key, payload)}, separators=(",", ":"))
        self.entries.mkdir(exist_ok=True)
        _write_atomic(self.entry_path(name), header.encode("ascii") + b"\n" + payload)
