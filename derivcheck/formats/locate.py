"""Columns for findings: where on its line a step's expression (or a key's value) starts.

Results carry lines only; the column is read back from the file's text, as linters
report ``path:line:col``. Anything that cannot be located is column 1.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: files larger than this are not re-read for columns (the loader refuses them anyway)
MAX_BYTES = 1_000_000

_LIST_ITEM = re.compile(r"-\s+")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*:(\s+|$)")


@lru_cache(maxsize=16)
def _lines(path: str) -> tuple[str, ...]:
    if not path.endswith((".yaml", ".yml")):
        return ()  # documents (.md/.tex) map steps to lines loosely: no columns
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return tuple(f.read(MAX_BYTES).splitlines())
    except OSError:
        return ()


def column_in(text: str) -> int:
    """The 1-based column of what a YAML line holds: past ``- ``, ``key:`` and an opening quote.

    ``  - expr: (x + 1)**2`` gives the column of ``(``; ``stepz:`` (a key with no
    value on its line) gives the key's own column.
    """
    i = len(text) - len(text.lstrip(" "))
    while True:
        m = _LIST_ITEM.match(text, i)
        if not m:
            break
        i = m.end()
    m = _KEY.match(text, i)
    if m and text[m.end():].strip():
        i = m.end()
    if text[i:i + 1] in ("'", '"') and len(text) > i + 1:
        i += 1
    return i + 1 if i < len(text) else 1


def column(path: str, line: int | None) -> int:
    """The column of ``line`` (1-based) in the file at ``path``; 1 when unknown."""
    if not line or line < 1:
        return 1
    lines = _lines(path)
    if line > len(lines):
        return 1
    return column_in(lines[line - 1])


def forget() -> None:
    """Drop cached file text (a long-running process that sees files change)."""
    _lines.cache_clear()
