"""``[tool.derivcheck]`` in ``pyproject.toml``, or ``--config FILE``: defaults for ``verify``.

As ruff does, the configuration is the closest ``pyproject.toml`` with a
``[tool.derivcheck]`` table, found by walking up from the current directory;
``--config FILE`` names one instead (a ``pyproject.toml``, or a TOML file whose
top level holds the same keys). Command-line flags override it. Unknown keys and
bad values are errors with ``file:line``, like a derivation file's.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import limits

FORMATS = ("text", "json", "github", "sarif", "auto", "concise", "html")
KEYS = ("timeout", "seed", "exclude", "format", "sizes", "cache", "cache-dir")
#: a configuration file larger than this is refused (it is read before anything else)
MAX_BYTES = 1_000_000


class ConfigError(ValueError):
    """A configuration that cannot be used; ``str()`` is one ``file:line: message`` per problem."""

    def __init__(self, message: str, path: Path, line: int | None = None, more: tuple[tuple[int | None, str], ...] = ()) -> None:
        super().__init__(message)
        self.message, self.path, self.line = message, path, line
        self.problems = ((line, message), *more)

    def __str__(self) -> str:
        return "\n".join((f"{self.path}:{line}" if line else str(self.path)) + f": {message}" for line, message in self.problems)


@dataclass
class Config:
    """The settings of ``[tool.derivcheck]``; None means "not set" (the built-in default applies)."""

    path: Path | None = None
    timeout: float | None = None
    seed: int | None = None
    exclude: tuple[str, ...] = ()
    format: str | None = None
    #: a list is the default for every index range a file leaves out of `sizes`;
    #: a table gives it per size name
    sizes: tuple[int, ...] | dict[str, tuple[int, ...]] | None = None
    #: ``cache = false`` turns the result cache off; ``cache-dir`` moves it (relative to the file's folder)
    cache: bool | None = None
    cache_dir: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """Where ``exclude`` globs are relative to: the configuration file's folder."""
        return self.path.parent if self.path else Path.cwd()

    def excluded(self, path: Path) -> bool:
        """Whether ``path`` matches an ``exclude`` glob, as a path below the root, a folder on it, or a name."""
        if not self.exclude:
            return False
        try:
            rel = PurePosixPath(*path.resolve().relative_to(self.root.resolve()).parts)
        except (OSError, ValueError):
            rel = PurePosixPath(*path.parts)
        # the path below the root, every folder on it, and every name on it (as ruff: "drafts" excludes any drafts/)
        candidates = [str(rel), *rel.parts] + [str(p) for p in rel.parents if str(p) != "."]
        return any(fnmatch.fnmatchcase(c, pat.rstrip("/")) for pat in self.exclude for c in candidates)

    def sizes_for(self, name: str) -> tuple[int, ...] | None:
        if isinstance(self.sizes, dict):
            return self.sizes.get(name)
        return self.sizes


def find_pyproject(start: Path | None = None) -> Path | None:
    """The closest ``pyproject.toml`` at or above ``start`` that has a ``[tool.derivcheck]`` table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                text = _read(candidate)
            except ConfigError:
                continue
            if re.search(r"^\s*\[\s*tool\s*\.\s*derivcheck\s*[\].]", text, re.MULTILINE) or re.search(r"^\s*tool\s*\.\s*derivcheck\s*\.", text, re.MULTILINE):
                return candidate
    return None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The configuration: ``explicit`` (``--config``), else the closest pyproject.toml, else none."""
    path = explicit if explicit is not None else find_pyproject(start)
    if path is None:
        return Config()
    try:  # Python 3.11+; imported here: most runs find no configuration to read
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    text = _read(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise ConfigError(f"not valid TOML: {err}", path, int(m.group(1)) if m else None) from None
    tool = doc.get("tool", {}).get("derivcheck") if isinstance(doc.get("tool"), dict) else None
    if tool is not None:
        table, header = tool, "tool.derivcheck"
    elif explicit is not None and path.name != "pyproject.toml":
        table, header = doc, None  # a derivcheck.toml: the keys at the top level
    else:
        raise ConfigError("no [tool.derivcheck] table in this file", path)
    if not isinstance(table, dict):
        raise ConfigError("[tool.derivcheck] must be a table", path, _line_of(text, header, None))
    return parse_table(table, path, text, header)


def parse_table(table: dict[str, Any], path: Path, text: str = "", header: str | None = "tool.derivcheck") -> Config:
    cfg = Config(path=path)
    problems: list[tuple[int | None, str]] = []

    def fail(key: str, message: str) -> None:
        problems.append((_line_of(text, header, key), message))

    for key, value in table.items():
        cfg.lines[key] = _line_of(text, header, key) or 0
        if key not in KEYS:
            import difflib

            hint = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            fail(key, f"unknown key {key!r} in [tool.derivcheck]" + (f"; did you mean {hint[0]!r}?" if hint else "")
                 + f" (allowed: {', '.join(KEYS)})")
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.1 <= value <= 3600:
                fail(key, f"timeout must be a number of seconds from 0.1 to 3600, got {value!r}")
            else:
                cfg.timeout = float(value)
        elif key == "seed":
            if isinstance(value, bool) or not isinstance(value, int):
                fail(key, f"seed must be a whole number, got {value!r}")
            else:
                cfg.seed = value
        elif key == "exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                fail(key, f"exclude must be a list of globs such as [\"drafts/*\"], got {value!r}")
            else:
                cfg.exclude = tuple(value)
        elif key == "format":
            if value not in FORMATS:
                fail(key, f"format must be one of {', '.join(FORMATS)}, got {value!r}")
            else:
                cfg.format = value
        elif key == "sizes":
            sizes = _sizes(value)
            if isinstance(sizes, str):
                fail(key, sizes)
            else:
                cfg.sizes = sizes
        elif key == "cache":
            if not isinstance(value, bool):
                fail(key, f"cache must be true or false, got {value!r}")
            else:
                cfg.cache = value
        elif key == "cache-dir":
            if not isinstance(value, str) or not value.strip() or "\0" in value:
                fail(key, f"cache-dir must be a folder name such as \".derivcheck_cache\", got {value!r}")
            else:
                cfg.cache_dir = path.parent / Path(value).expanduser()
    if problems:  # every problem of the file in one run
        (line, message), *more = problems
        raise ConfigError(message, path, line, tuple(more))
    return cfg


def _size_list(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= limits.MAX_SIZE for v in value):
        return None
    return tuple(dict.fromkeys(value))


def _sizes(value: Any) -> tuple[int, ...] | dict[str, tuple[int, ...]] | str:
    """A list of sizes, or a table of them per name; a message when neither."""
    bad = f"sizes must be a list of whole numbers from 1 to {limits.MAX_SIZE} (sizes = [2, 3, 4]) or a table of them (sizes = {{K = [2, 3]}}), got {value!r}"
    if isinstance(value, dict):
        out = {}
        for name, v in value.items():
            values = _size_list(v)
            if values is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                return bad
            out[name] = values
        return out
    values = _size_list(value)
    return bad if values is None else values


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"the file is larger than {MAX_BYTES // 1000} kB", path)
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read the configuration: {err.strerror or err}", path) from None
    except UnicodeDecodeError:
        raise ConfigError("the file is not UTF-8 text", path) from None


def _line_of(text: str, header: str | None, key: str | None) -> int | None:
    """The 1-based line of ``key`` inside the table ``header`` (or of the header itself)."""
    lines = text.splitlines()
    start, inside = 0, header is None
    if header is not None:
        pattern = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, header.split("."))) + r"\s*\]")
        for i, line in enumerate(lines):
            if pattern.match(line):
                start, inside = i, True
                if key is None:
                    return i + 1
                break
    if not inside:
        return None
    key_re = re.compile(r"^\s*[\"']?" + re.escape(key or "") + r"[\"']?\s*[=.]")
    for i in range(start + (1 if header else 0), len(lines)):
        if header is not None and re.match(r"^\s*\[", lines[i]):
            break
        if key is not None and key_re.match(lines[i]):
            return i + 1
    return start + 1 if header else None
