"""The text report into a pipe or a file, without importing Rich.

Into a pipe, Rich prints the report's :class:`rich.text.Text` lines as they are: no
colour, no wrapping (``soft_wrap``), only a few control characters stripped and tabs
expanded.  Importing Rich costs about as much as everything else a cached run does,
so for output that Rich would not treat as a terminal, :func:`report.render_text
<derivcheck.report.render_text>` is given a :class:`PlainConsole` instead: the same
code builds the same lines from :class:`PlainText` pieces, and the console writes
them as they are.

Where Rich would change a line (a control character, a tab, a lone surrogate: see
:data:`UNSAFE`), :class:`PlainConsole` refuses it with :class:`NeedsRich` before it
has written anything, and the caller renders with Rich after all.  The output is
byte for byte Rich's (``tests/test_cli.py`` compares them).
"""

from __future__ import annotations

import os
import re
from typing import IO

#: Characters Rich strips (BEL, BS, VT, FF, CR) or expands (TAB), and anything else
#: outside plain printable text (C0, DEL, C1, surrogates): such a report goes to Rich.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class NeedsRich(Exception):
    """A line that Rich would print differently: render the report with Rich."""


class PlainText:
    """The part of :class:`rich.text.Text` the text report uses when nothing wraps: strings, styles dropped."""

    __slots__ = ("_parts",)

    def __init__(self, text: str = "", style: str | None = None) -> None:
        self._parts = [text] if text else []

    def append(self, text: str, style: str | None = None) -> PlainText:
        self._parts.append(text)
        return self

    def append_text(self, text: PlainText) -> PlainText:
        self._parts.extend(text._parts)
        return self

    @property
    def plain(self) -> str:
        return "".join(self._parts)


class PlainConsole:
    """A console that never wraps and never colours: what Rich is into a pipe, minus the import."""

    Text = PlainText
    soft_wrap = True
    is_terminal = False
    width = 80

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self._lines: list[str] = []

    @staticmethod
    def escape(text: str) -> str:
        return text

    def print(self, text: object) -> None:
        if not isinstance(text, PlainText):  # a markup string: Rich's to read
            raise NeedsRich("not a plain text")
        line = text.plain
        if UNSAFE.search(line):
            raise NeedsRich("a character Rich would change")
        self._lines.append(line)

    def flush(self) -> None:
        """Write every line, once the whole report is known to be plain."""
        self.file.write("".join(line + "\n" for line in self._lines))
        self.file.flush()


def plain_console(file: IO[str]) -> PlainConsole | None:
    """A :class:`PlainConsole` for ``file`` when Rich would not treat it as a terminal; None otherwise.

    Rich's own rule (``Console.is_terminal``): ``TTY_COMPATIBLE=1`` or a non-empty
    ``FORCE_COLOR`` make any output a terminal, ``TTY_COMPATIBLE=0`` none; else the
    file's ``isatty()``.
    """
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible == "1":
        return None
    if tty_compatible != "0":
        force_color = os.environ.get("FORCE_COLOR")
        if force_color is not None and force_color != "":
            return None
        isatty = getattr(file, "isatty", None)
        try:
            if isatty is None or isatty():
                return None
        except ValueError:  # a closed file: let Rich say so
            return None
    return PlainConsole(file)
