"""A :class:`~derivcheck.results.FileResult` to JSON and back, exactly, without SymPy.

The codec walks the result dataclasses field by field (every dataclass defined in
:mod:`derivcheck.results`), so a field added there is cached without a change here.
Anything it does not know (a SymPy object, an attribute set outside the fields) makes
the result *uncacheable* rather than approximated: a cached result either renders
exactly as the fresh one did, or is not cached at all.  Decoding is strict for the
same reason: an entry of the wrong shape is :class:`CorruptEntry`, never half-read.
"""

from __future__ import annotations

import dataclasses
import json
import math
from functools import lru_cache
from typing import Any

from .. import results


class Unserializable(ValueError):
    """The result holds something the cache cannot store exactly: check it again next time."""


class CorruptEntry(ValueError):
    """A stored entry that is not a result this codec wrote: ignored and rewritten."""


@lru_cache(maxsize=1)
def classes() -> dict[str, type]:
    """Every result dataclass by name: the only classes an entry may name."""
    out: dict[str, type] = {}
    for name, value in vars(results).items():
        if (
            isinstance(value, type)
            and dataclasses.is_dataclass(value)
            and value.__module__ == results.__name__
            and all(f.init for f in dataclasses.fields(value))
        ):
            out[name] = value
    return out


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def encode(value: Any) -> Any:
    """A JSON-ready form of ``value``; tuples and dictionaries are tagged so they come back as they were."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unserializable("a mapping with keys that are not strings")
        return {"dict": {k: encode(v) for k, v in value.items()}}
    cls = type(value)
    if dataclasses.is_dataclass(value) and classes().get(cls.__name__) is cls:
        names = _field_names(cls)
        extra = set(vars(value)) - set(names)
        if extra:  # state a renderer might read that the fields do not carry
            raise Unserializable(f"{cls.__name__} has attributes beyond its fields: {sorted(extra)}")
        return {"class": cls.__name__, "fields": {n: encode(getattr(value, n)) for n in names}}
    raise Unserializable(f"a {cls.__module__}.{cls.__qualname__} cannot be cached")


def decode(data: Any, depth: int = 0) -> Any:
    """The value :func:`encode` made ``data`` from; :class:`CorruptEntry` for anything else."""
    if depth > 64:
        raise CorruptEntry("nested too deeply")
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise CorruptEntry("a bare non-finite number")
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise CorruptEntry(f"unexpected {type(data).__name__}")
    if set(data) == {"float"}:
        text = data["float"]
        if text not in ("inf", "-inf", "nan"):
            raise CorruptEntry(f"not a non-finite number: {text!r}")
        return float(text)
    if set(data) == {"tuple"} and isinstance(data["tuple"], list):
        return tuple(decode(v, depth + 1) for v in data["tuple"])
    if set(data) == {"dict"} and isinstance(data["dict"], dict):
        return {k: decode(v, depth + 1) for k, v in data["dict"].items()}
    if set(data) == {"class", "fields"} and isinstance(data["fields"], dict):
        cls = classes().get(data["class"]) if isinstance(data["class"], str) else None
        if cls is None:
            raise CorruptEntry(f"unknown class {data['class']!r}")
        fields = data["fields"]
        if set(fields) != set(_field_names(cls)):
            raise CorruptEntry(f"{cls.__name__} with fields {sorted(fields)}")
        return cls(**{k: decode(v, depth + 1) for k, v in fields.items()})
    raise CorruptEntry(f"unexpected keys {sorted(data)}")


def dumps(result: results.FileResult) -> bytes:
    """The stored bytes of a result (:class:`Unserializable` when it cannot be stored exactly)."""
    return json.dumps(encode(result), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> results.FileResult:
    """The result stored in ``data``; :class:`CorruptEntry` for anything but a whole, well-formed result."""
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_refuse)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise CorruptEntry(f"not JSON: {err}") from None
    try:
        result = decode(doc)
    except (TypeError, RecursionError) as err:  # a field of the wrong kind for its class
        raise CorruptEntry(str(err)) from None
    if not isinstance(result, results.FileResult):
        raise CorruptEntry("not a file result")
    _check_types(result)
    return result


def _refuse(name: str) -> Any:
    raise CorruptEntry(f"{name} is not JSON")


def _check_types(result: results.FileResult) -> None:
    """The fields reports rely on have the types the checker gives them (a wrong shape is corrupt)."""

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise CorruptEntry(what)

    need(isinstance(result.path, str) and isinstance(result.status, str), "file path or status")
    need(isinstance(result.chains, list), "chains")
    for chain in result.chains:
        need(isinstance(chain, results.ChainResult) and isinstance(chain.steps, list), "a chain")
        need(isinstance(chain.given, list) and all(isinstance(g, str) for g in chain.given), "a chain's given")
        for step in chain.steps:
            need(isinstance(step, results.StepResult), "a step")
            need(isinstance(step.index, int) and isinstance(step.line, int) and isinstance(step.status, str), "a step's index, line or status")
            need(isinstance(step.expr, str), "a step's text")
            need(all(isinstance(n, results.Note) for n in (*step.diagnoses, *step.notes)), "a step's notes")
            need(step.counterexample is None or isinstance(step.counterexample, results.Counterexample), "a counterexample")
    need(result.error is None or isinstance(result.error, results.FileError), "the file error")
    need(result.claim is None or isinstance(result.claim, results.ClaimResult), "the claim")
    need(result.coverage is None or isinstance(result.coverage, results.CoverageResult), "the coverage")
