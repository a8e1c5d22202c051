"""The typed model of a derivation file, as the loader hands it on.

Everything that came from the file keeps its 1-based line, so every later error
and every report can point back at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Text:
    """A piece of source text (an expression, a domain, a condition) and its line."""

    text: str
    line: int


@dataclass(frozen=True)
class Step:
    """One item of a chain: the expression, or LaTeX, written on ``line``."""

    text: str
    line: int
    latex: bool = False
    why: str | None = None
    given: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Chain:
    """A list of steps checked under the conditions ``given``."""

    steps: tuple[Step, ...]
    given: tuple[Text, ...] = ()
    title: str | None = None
    line: int = 1


@dataclass(frozen=True)
class Size:
    """The sizes an index range is checked at: ``K: [2, 3, 4]``."""

    values: tuple[int, ...]
    line: int


@dataclass(frozen=True)
class FunctionDecl:
    """An unknown smooth function of ``arity`` real arguments, declared under ``functions``."""

    name: str
    arity: int
    line: int


@dataclass
class Scope:
    """Symbols, indices, sizes, definitions and conditions: the context of a chain.

    A derivation file has one; a grading key has a shared one and one per question.
    """

    symbols: dict[str, Text] = field(default_factory=dict)
    indices: dict[str, Text] = field(default_factory=dict)
    sizes: dict[str, Size] = field(default_factory=dict)
    define: dict[str, Text] = field(default_factory=dict)
    given: tuple[Text, ...] = ()
    #: ``functions: [f, g]`` or ``{f: 1, h: 2}``: abstract functions, name -> declaration
    functions: dict[str, FunctionDecl] = field(default_factory=dict)

    def merged(self, over: "Scope") -> "Scope":
        """This scope with ``over`` layered on top (the question's over the key's)."""
        return Scope(
            symbols={**self.symbols, **over.symbols},
            indices={**self.indices, **over.indices},
            sizes={**self.sizes, **over.sizes},
            define={**self.define, **over.define},
            given=self.given + over.given,
            functions={**self.functions, **over.functions},
        )


@dataclass
class Derivation:
    """One derivation file: its scope, an optional claim, and its chains."""

    path: str
    scope: Scope
    chains: list[Chain]
    title: str | None = None
    claim: Text | None = None
    has_cases: bool = False
    line: int = 1
    #: ``expect:``: the status a deliberately wrong teaching example should get
    expect: str | None = None
