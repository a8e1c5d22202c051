"""JSON Schemas (draft 2020-12) of the derivation format (SPEC §1-§5) and of the grading key (SPEC §9).

``derivcheck schema`` prints the first, ``derivcheck schema --key`` the second;
``derivcheck schema --context`` prints the schema of a context file (SPEC §11:
a derivation file whose ``steps``/``cases`` may be absent).
Editors use them to complete keys and flag typos as you type, e.g. VS Code
with the YAML extension and a first line

    # yaml-language-server: $schema=derivation.schema.json

The derivation schema follows :mod:`derivcheck.loader` exactly on the shape of
a file: the same keys, the same value types, the same limits that the loader
enforces (steps per chain, cases, definitions, sizes).  What the loader checks
across keys (an index used in ``z[k]`` must be declared in ``indices``; the
same name twice as ``z[k]`` and ``z[ k ]``) and what the expressions mean are
beyond a schema: ``derivcheck verify`` reports those.

YAML scalars: the loader keeps every scalar's text, so a number such as
``0.10`` is accepted wherever an expression is; the schema says
``"type": ["string", "number"]`` there.
"""

from __future__ import annotations

import json
from typing import Any

from . import __version__, limits

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://github.com/derivcheck/derivcheck/schema"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: as loader._DECL_RE: a name, or an indexed name such as z[k] or W[i, j]
DECLARED_NAME = rf"^\s*{_NAME}\s*(\[\s*{_NAME}(\s*,\s*{_NAME})*\s*\])?\s*$"
#: a plain name (indices' keys may carry blanks around it, as the loader strips them)
PLAIN_NAME = rf"^{_NAME}$"
PADDED_NAME = rf"^\s*{_NAME}\s*$"


def _size_string_pattern(largest: int) -> str:
    """A string of at most 6 digits whose value is 1..largest, as loader._sizes reads it."""
    alternatives = []
    for n in range(1, largest + 1):
        digits = str(n)
        alternatives.append(f"0{{0,{6 - len(digits)}}}{digits}")
    return r"^\s*(" + "|".join(alternatives) + r")\s*$"


def _defs() -> dict[str, Any]:
    scalar = ["string", "number", "boolean"]
    return {
        "expression": {
            "description": "An expression, e.g. 'Derivative(L, w_j)' or '(y - t)*x_j'. "
            "Numbers are read exactly as written: 0.1 is 1/10.",
            "type": ["string", "number"],
        },
        "text": {"description": "Free text.", "type": [*scalar, "null"]},
        "condition": {
            "description": "A condition 'A == B', 'A != B', 'A < B', 'A <= B', 'A > B' or 'A >= B'.",
            "type": scalar,
        },
        "given": {
            "description": "Conditions that hold from here on: one string or a list of strings.",
            "anyOf": [
                {"type": "null"},
                {"$ref": "#/$defs/condition"},
                {"type": "array", "items": {"$ref": "#/$defs/condition"}},
            ],
        },
        "symbols": {
            "description": "Name (or indexed name such as z[k]) -> domain: real, positive, negative, nonnegative, "
            "integer, positive integer (a size such as the n of Sum(k, (k, 1, n))), nonnegative integer, "
            "an interval \"(a, b]\" or a finite set \"{0, 1}\". Undeclared names are real.",
            "type": ["object", "null"],
            "propertyNames": {"pattern": DECLARED_NAME},
            "additionalProperties": {"type": scalar},
        },
        "indices": {
            "description": "Index -> the size it ranges over (k: K means k in 1..K).",
            "type": ["object", "null"],
            "propertyNames": {"pattern": PADDED_NAME},
            "additionalProperties": {"type": "string", "pattern": PADDED_NAME},
        },
        "size": {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": limits.MAX_SIZE},
                {"type": "string", "pattern": _size_string_pattern(limits.MAX_SIZE)},
            ]
        },
        "sizes": {
            "description": f"Size -> the values at which indexed statements are checked (default [2, 3]); "
            f"each 1..{limits.MAX_SIZE}.",
            "type": ["object", "null"],
            "propertyNames": {"pattern": PLAIN_NAME},
            "additionalProperties": {
                "anyOf": [
                    {"$ref": "#/$defs/size"},
                    {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/size"}},
                ]
            },
        },
        "define": {
            "description": "Name (or indexed name such as y[k]) -> expression; any order, no cycles.",
            "type": ["object", "null"],
            "maxProperties": limits.MAX_DEFINITIONS,
            "propertyNames": {"pattern": DECLARED_NAME},
            "additionalProperties": {"type": scalar},
        },
        "functions": {
            "description": "Unknown smooth functions: a list of names (each of one argument), or name -> number "
            "of arguments. Called as f(x); derivatives written f'(x), D(f)(x), D(h, 1)(x, y).",
            "anyOf": [
                {"type": "null"},
                {"type": "string", "pattern": PADDED_NAME},
                {"type": "array", "maxItems": 16, "uniqueItems": True, "items": {"type": "string", "pattern": PADDED_NAME}},
                {
                    "type": "object",
                    "maxProperties": 16,
                    "propertyNames": {"pattern": PADDED_NAME},
                    "additionalProperties": {
                        "anyOf": [
                            {"type": "integer", "minimum": 1, "maximum": 4},
                            {"type": "string", "pattern": r"^\s*0?[1-4]\s*$"},
                        ]
                    },
                },
            ],
        },
        "step": {
            "description": "An expression, or a mapping with exactly one of 'expr' or 'latex', "
            "and optionally 'why' and 'given'.",
            "anyOf": [
                {"$ref": "#/$defs/expression"},
                {
                    "type": "object",
                    "properties": {
                        "expr": {"$ref": "#/$defs/expression"},
                        "latex": {"description": "The step in LaTeX, e.g. '\\frac{\\partial L}{\\partial w_j}'.", "$ref": "#/$defs/expression"},
                        "why": {"description": "Why this step follows; shown in reports.", "$ref": "#/$defs/text"},
                        "given": {"$ref": "#/$defs/given"},
                    },
                    "additionalProperties": False,
                    "oneOf": [{"required": ["expr"]}, {"required": ["latex"]}],
                },
            ],
        },
        "steps": {
            "description": "The chain: the first item is the starting expression, each later item "
            "claims to equal the one before it; a chain of one step checks nothing.",
            "type": "array",
            "minItems": 2,
            "maxItems": limits.MAX_STEPS,
            "items": {"$ref": "#/$defs/step"},
        },
        "case": {
            "type": "object",
            "properties": {
                "title": {"$ref": "#/$defs/text"},
                "given": {"$ref": "#/$defs/given"},
                "steps": {"$ref": "#/$defs/steps"},
            },
            "required": ["steps"],
            "additionalProperties": False,
        },
        "cases": {
            "description": "Instead of 'steps': one chain per case, each checked under its condition.",
            "type": "array",
            "minItems": 1,
            "maxItems": limits.MAX_CHAINS,
            "items": {"$ref": "#/$defs/case"},
        },
    }


def _scope_properties() -> dict[str, Any]:
    return {
        "symbols": {"$ref": "#/$defs/symbols"},
        "indices": {"$ref": "#/$defs/indices"},
        "sizes": {"$ref": "#/$defs/sizes"},
        "define": {"$ref": "#/$defs/define"},
        "given": {"$ref": "#/$defs/given"},
        "functions": {"$ref": "#/$defs/functions"},
    }


def derivation_schema(context: bool = False) -> dict[str, Any]:
    """The JSON Schema of a derivation file; ``context=True``: of a context file (SPEC §11),
    a derivation file whose ``steps``/``cases`` may be absent."""
    body: dict[str, Any] = (
        {"not": {"required": ["steps", "cases"]}} if context else {"oneOf": [{"required": ["steps"]}, {"required": ["cases"]}]}
    )
    name = "context" if context else "derivation"
    return {
        "$schema": DRAFT,
        "$id": f"{BASE_ID}/{name}.schema.json",
        "title": f"derivcheck {name}",
        "description": (
            f"The context of a LaTeX/Markdown derivation for derivcheck {__version__} (derivcheck import FILE --context CONTEXT)."
            if context
            else f"A step-by-step derivation checked by derivcheck {__version__} (derivcheck verify FILE)."
        ),
        "type": "object",
        "properties": {
            "title": {"$ref": "#/$defs/text"},
            "expect": {
                "description": "A deliberately wrong teaching example: the file passes when its status is this one "
                "(\"expected invalid, got valid\" otherwise).",
                "enum": ["valid", "invalid", "error", "unknown"],
            },
            **_scope_properties(),
            "claim": {
                "description": "'LEFT = RIGHT': the first step must equal LEFT and the last step RIGHT.",
                "$ref": "#/$defs/expression",
            },
            "steps": {"$ref": "#/$defs/steps"},
            "cases": {"$ref": "#/$defs/cases"},
        },
        "additionalProperties": False,
        **body,
        "$defs": _defs(),
    }


#: as gradekey: question ids, numbers written as plain decimals, manual: true/false/yes/no
QUESTION_ID = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
_DECIMAL = r"^\s*\d+(\.\d+)?\s*$"
_FRACTION = r"^\s*(0+(\.\d+)?|0*1(\.0+)?)\s*$"
_YES = r"^\s*([Tt][Rr][Uu][Ee]|[Yy][Ee][Ss])\s*$"
_NO = r"^\s*([Ff][Aa][Ll][Ss][Ee]|[Nn][Oo])\s*$"

_DEDUCTIONS = (
    ("invalid_step", "each invalid transition (default 0.25)"),
    ("slip", "an invalid transition diagnosed as slip (default 0.10)"),
    ("wrong_start", "the chain does not begin with the claim's left side (default 0.5)"),
    ("wrong_result", "the chain does not end with the claim's right side (default 0.5)"),
    ("missing_case", "the cases do not cover the claim (default 0.5)"),
)


def key_schema() -> dict[str, Any]:
    """The JSON Schema of a grading key (SPEC §9), as :mod:`derivcheck.grading.key` reads it."""
    defs = _defs()
    defs["points"] = {
        "description": "Points of the question, a plain decimal such as 30 or 7.5.",
        "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DECIMAL}],
    }
    defs["fraction"] = {
        "description": "A fraction of the question's points, 0..1.",
        "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string", "pattern": _FRACTION}],
    }
    defs["deductions"] = {
        "description": "Fractions of a question's points taken off per mistake.",
        "type": ["object", "null"],
        "properties": {name: {"description": text, "$ref": "#/$defs/fraction"} for name, text in _DEDUCTIONS},
        "additionalProperties": False,
    }
    yes = {"anyOf": [{"const": True}, {"type": "string", "pattern": _YES}]}
    defs["question"] = {
        "type": "object",
        "properties": {
            "title": {"$ref": "#/$defs/text"},
            "points": {"$ref": "#/$defs/points"},
            "claim": {"description": "'LEFT = RIGHT', what the answer must derive.", "$ref": "#/$defs/expression"},
            "manual": {
                "description": "Not auto-graded: reported as pending, 0 points until entered by hand.",
                "anyOf": [{"type": "boolean"}, {"type": "string", "pattern": _YES}, {"type": "string", "pattern": _NO}],
            },
            **_scope_properties(),
            "deductions": {"$ref": "#/$defs/deductions"},
        },
        "required": ["points"],
        "additionalProperties": False,
        "if": {"properties": {"manual": yes}, "required": ["manual"]},
        "else": {"required": ["claim"]},
    }
    return {
        "$schema": DRAFT,
        "$id": f"{BASE_ID}/key.schema.json",
        "title": "derivcheck grading key",
        "description": "The answer key of derivcheck grade KEY SUBMISSIONS.",
        "type": "object",
        "properties": {
            "assignment": {"$ref": "#/$defs/text"},
            "title": {"description": "Same as 'assignment'.", "$ref": "#/$defs/text"},
            **_scope_properties(),
            "questions": {
                "description": "Question id -> question.",
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": QUESTION_ID, "not": {"enum": ["student", "total"]}},
                "additionalProperties": {"$ref": "#/$defs/question"},
            },
            "deductions": {"$ref": "#/$defs/deductions"},
        },
        "required": ["questions"],
        "additionalProperties": False,
        "$defs": defs,
    }


def render_schema(key: bool = False, context: bool = False) -> str:
    schema = key_schema() if key else derivation_schema(context=context)
    return json.dumps(schema, indent=2, ensure_ascii=False)
