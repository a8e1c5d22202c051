"""Safe YAML reading that keeps the line of every value.

ruamel.yaml composes the document into nodes without constructing any Python
object, so a ``!!python/object`` tag can do nothing but be refused here.  Aliases
are refused outright (they are how "billion laughs" bombs work and no derivation
needs them), as are duplicate keys, custom tags and deep nesting.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Union

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, CollectionEndEvent, DocumentStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import limits


class LoadError(ValueError):
    """A file that cannot be read as a derivation; ``line`` is 1-based (or None)."""

    def __init__(self, message: str, line: int | None = None, more: list["LoadError"] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        #: further problems of the same file, found in the same reading (reported together)
        self.more: list[LoadError] = list(more or [])

    @property
    def problems(self) -> list["LoadError"]:
        """This problem and every further one, in file order."""
        return [self, *self.more]

    def __str__(self) -> str:
        return self.message


_STD = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")}


@dataclass(frozen=True)
class Scalar:
    """A scalar with its raw text: ``0.10`` stays the text "0.10", never a float."""

    text: str
    line: int
    tag: str
    #: the last line the scalar's source spans (a plain scalar folds continuation lines)
    end_line: int = 0

    @property
    def is_null(self) -> bool:
        return self.tag == _STD + "null"

    @property
    def is_str(self) -> bool:
        return self.tag == _STD + "str"


@dataclass(frozen=True)
class Seq:
    items: list["Value"]
    line: int


@dataclass(frozen=True)
class Map:
    """A mapping with string keys, in file order; ``key_lines`` gives each key's line."""

    items: dict[str, "Value"]
    key_lines: dict[str, int]
    line: int


Value = Union[Scalar, Seq, Map]


def read_yaml(text: str) -> Value | None:
    """Parse one YAML document into :class:`Scalar`/:class:`Seq`/:class:`Map` nodes."""
    if len(text.encode("utf-8", "replace")) > limits.MAX_FILE_BYTES:
        raise LoadError(f"file is larger than {limits.MAX_FILE_BYTES // 1000} kB", None)
    yaml = YAML(typ="safe", pure=True)
    try:
        _check_events(yaml, text)
        node = yaml.compose(io.StringIO(text))
    except LoadError:
        raise
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "invalid YAML"
        if "'\\t'" in problem or "\t" in problem:
            # YAML forbids tabs for indentation; say so plainly rather than quote the scanner
            raise LoadError("a tab character indents this line: YAML allows only spaces for indentation", line) from None
        raise LoadError(f"invalid YAML: {problem}", line) from None
    except ReaderError as err:  # a control character (NUL, ...) that YAML does not allow
        line = text.count("\n", 0, max(err.position, 0)) + 1
        char = err.character if isinstance(err.character, str) else chr(err.character)
        raise LoadError(f"invalid YAML: the character U+{ord(char):04X} is not allowed in a YAML file", line) from None
    except YAMLError as err:
        raise LoadError(f"invalid YAML: {err}", None) from None
    except (RecursionError, MemoryError):
        raise LoadError("invalid YAML: too deeply nested", None) from None
    if node is None:
        return None
    return _convert(node, 0)


def _check_events(yaml: YAML, text: str) -> None:
    depth = 0
    documents = 0
    for event in yaml.parse(io.StringIO(text)):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, AliasEvent):
            raise LoadError("YAML aliases (*name) are not allowed in derivation files", line)
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise LoadError("a file holds one YAML document; remove the second '---'", line)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > limits.MAX_YAML_DEPTH:
                raise LoadError(f"YAML nested more than {limits.MAX_YAML_DEPTH} levels deep", line)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _convert(node: Node, depth: int) -> Value:
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise LoadError(f"YAML tag {node.tag.replace(_STD, '!!')!r} is not allowed", line)
    if isinstance(node, ScalarNode):
        end = node.end_mark.line + 1 if node.end_mark is not None else line
        return Scalar(str(node.value), line, node.tag, end_line=max(end, line))
    if isinstance(node, SequenceNode):
        return Seq([_convert(item, depth + 1) for item in node.value], line)
    if isinstance(node, MappingNode):
        items: dict[str, Value] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag == _STD + "null":
                raise LoadError("a mapping key must be a plain name", key_line)
            if key_node.tag not in _PLAIN_TAGS:
                raise LoadError(f"YAML tag {key_node.tag.replace(_STD, '!!')!r} is not allowed", key_line)
            key = str(key_node.value)
            if key in items:
                raise LoadError(f"duplicate key {key!r} (first at line {key_lines[key]})", key_line)
            items[key] = _convert(value_node, depth + 1)
            key_lines[key] = key_line
        return Map(items, key_lines, line)
    raise LoadError("unsupported YAML node", line)  # pragma: no cover


def kind_name(value: Value | None) -> str:
    """How a value reads to a user, for 'expected X, got Y' messages."""
    if value is None:
        return "nothing"
    if isinstance(value, Map):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if value.is_null:
        return "nothing"
    return f"{value.text!r}"
