"""``derivcheck schema``: the JSON Schema agrees with the loader, and every shipped file validates."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

jsonschema = pytest.importorskip("jsonschema")
from ruamel.yaml import YAML  # noqa: E402

from derivcheck.cli import main  # noqa: E402
from derivcheck.loader import load_text  # noqa: E402
from derivcheck.schema import derivation_schema, key_schema  # noqa: E402
from derivcheck.yamltree import LoadError  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = Path("/work/shared/examples")
#: shared examples that are not derivation files (expected.yaml) or are wrong on purpose
NOT_DERIVATIONS = {"expected.yaml"}
BROKEN_ON_PURPOSE = {"unknown_key.yaml"}


def _validator(schema: dict[str, Any]) -> Any:
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


DERIVATION = _validator(derivation_schema())
CONTEXT = _validator(derivation_schema(context=True))
KEY = _validator(key_schema())


def load_yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def schema_errors(text: str, validator: Any = DERIVATION) -> list[str]:
    return [e.message for e in validator.iter_errors(load_yaml(text))]


def loader_accepts(text: str, require_steps: bool = True) -> bool:
    try:
        load_text(text, "t.yaml", require_steps=require_steps)
    except LoadError:
        return False
    return True


def _in_submissions(path: Path) -> bool:
    """Submissions follow the submission format (SPEC §9), not the derivation format."""
    return "submissions" in path.parts


def _is_grading_folder(folder: Path) -> bool:
    """A grading example: a key next to a submissions/ folder (and an expected-grades file)."""
    return (folder / "submissions").is_dir()


def _is_grading_key(path: Path) -> bool:
    return path.stem == "key" and _is_grading_folder(path.parent)


def shipped_files() -> list[Path]:
    """Every *.yaml/*.yml of derivations/ and examples/ in this checkout, and the shared examples.

    In a grading folder (one with submissions/), only the key is taken: it is
    checked against the key schema; submissions and the expected grades are not
    derivation files.
    """
    files: list[Path] = []
    for folder in ("derivations", "examples"):
        root = REPO_ROOT / folder
        if root.is_dir():
            files += sorted(
                p for p in root.rglob("*")
                if p.suffix in (".yaml", ".yml") and p.is_file() and not _in_submissions(p.relative_to(root))
                and not (_is_grading_folder(p.parent) and p.stem != "key")
            )
    if SHARED_EXAMPLES.is_dir():
        files += sorted(p for p in SHARED_EXAMPLES.glob("*.yaml") if p.name not in NOT_DERIVATIONS | BROKEN_ON_PURPOSE)
    return files


# -- the schemas themselves ---------------------------------------------------------------


def test_schemas_are_valid_draft_2020_12() -> None:
    for schema in (derivation_schema(), key_schema()):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


def test_cli_prints_the_schemas() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["schema", "--context"], catch_exceptions=False)
    assert out.exit_code == 0
    assert json.loads(out.output) == derivation_schema(context=True)
    assert runner.invoke(main, ["schema", "--key", "--context"]).exit_code == 2
    out = runner.invoke(main, ["schema"], catch_exceptions=False)
    assert out.exit_code == 0
    assert json.loads(out.output) == derivation_schema()
    out = runner.invoke(main, ["schema", "--key"], catch_exceptions=False)
    assert out.exit_code == 0
    assert json.loads(out.output) == key_schema()


def test_top_level_keys_match_the_loader() -> None:
    from derivcheck.loader import CASE_KEYS, DERIVATION_KEYS, STEP_KEYS

    schema = derivation_schema()
    assert set(schema["properties"]) == set(DERIVATION_KEYS)
    assert schema["additionalProperties"] is False
    step_object = schema["$defs"]["step"]["anyOf"][1]
    assert set(step_object["properties"]) == set(STEP_KEYS)
    assert set(schema["$defs"]["case"]["properties"]) == set(CASE_KEYS)


# -- every shipped file validates ----------------------------------------------------------


def _file_id(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return "shared/" + path.name


@pytest.mark.parametrize("path", shipped_files(), ids=_file_id)
def test_shipped_file_validates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if _is_grading_key(path):
        assert schema_errors(text, KEY) == [], path
    elif _is_context_file(text):
        # a context file (SPEC §11) for `import --context`: no steps or cases
        assert schema_errors(text, CONTEXT) == [], path
        assert schema_errors(text), "the derivation schema must want steps"
        assert loader_accepts(text, require_steps=False)
    else:
        assert schema_errors(text) == [], path
        assert loader_accepts(text), "the schema accepts a file the loader rejects"


def _is_context_file(text: str) -> bool:
    data = load_yaml(text)
    return isinstance(data, dict) and "steps" not in data and "cases" not in data


def test_there_are_files_to_validate() -> None:
    assert shipped_files(), "no derivations/, examples/ or shared examples found"


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="shared examples not present")
def test_unknown_key_example_is_rejected() -> None:
    errors = schema_errors((SHARED_EXAMPLES / "unknown_key.yaml").read_text())
    assert any("step" in e for e in errors)


@pytest.mark.skipif(not (SHARED_EXAMPLES / "grading" / "key.yaml").is_file(), reason="shared grading key not present")
def test_shared_grading_key_validates() -> None:
    assert schema_errors((SHARED_EXAMPLES / "grading" / "key.yaml").read_text(), KEY) == []


# -- the schema agrees with the loader, both ways -------------------------------------------

ACCEPTED = {
    "minimal": "steps: [x, x]",
    "numbers as steps": "steps:\n  - 0.10\n  - 1/10\n",
    "all keys": """
        title: t
        symbols: {x: real, "z[k]": positive, t: "{0, 1}", "W[i, j]": "(0, 1]"}
        indices: {k: K, i: K, j: K}
        sizes: {K: [2, 3, 4]}
        define: {y: sigma(x), "q[k]": "z[k]**2"}
        given: [x > 0]
        claim: Derivative(y, x) = y*(1 - y)
        steps:
          - Derivative(y, x)
          - expr: y*(1 - y)
            why: sigmoid derivative
            given: x != 1
          - latex: 'y(1-y)'
        """,
    "cases": """
        claim: a = b
        cases:
          - title: one
            given: T == k
            steps: [a, b]
          - steps: [a, b]
        """,
    "empty scope keys": "symbols:\ndefine:\nindices:\nsizes:\ngiven:\ntitle:\nsteps: [x, x]",
    "single size and quoted size": "sizes: {K: 3, M: '4'}\nsteps: [x, x]",
    "why null": "steps:\n  - expr: x\n    why:\n  - x\n",
    "given empty list": "given: []\nsteps: [x, x]",
}

REJECTED = {
    "typo key": "step: [x]",
    "no steps": "title: t",
    "both steps and cases": "steps: [x]\ncases:\n  - steps: [x]",
    "empty steps": "steps: []",
    "one step": "steps: [x]",
    "steps not a list": "steps: x",
    "step with both expr and latex": "steps:\n  - expr: x\n    latex: x",
    "step with neither": "steps:\n  - why: because",
    "unknown step key": "steps:\n  - expr: x\n    because: y",
    "step is a list": "steps:\n  - [x, y]",
    "boolean step": "steps: [true]",
    "null step": "steps:\n  -\n  - x",
    "claim null": "claim:\nsteps: [x]",
    "case without steps": "cases:\n  - given: T == k",
    "unknown case key": "cases:\n  - steps: [x]\n    when: T == k",
    "empty cases": "cases: []",
    "symbols a list": "symbols: [x]\nsteps: [x]",
    "bad symbol name": "symbols: {'x y': real}\nsteps: [x]",
    "symbol without domain": "symbols: {x: }\nsteps: [x]",
    "indexed index": "indices: {'k[m]': K}\nsteps: [x]",
    "index over a number": "indices: {k: 3}\nsteps: [x]",
    "size zero": "sizes: {K: [0, 2]}\nsteps: [x]",
    "size too large": "sizes: {K: [13]}\nsteps: [x]",
    "size empty list": "sizes: {K: []}\nsteps: [x]",
    "size not a number": "sizes: {K: [two]}\nsteps: [x]",
    "given a mapping": "given: {x: 1}\nsteps: [x]",
    "title a list": "title: [a]\nsteps: [x]",
    "root a list": "- x",
    "too many steps": "steps: [" + ", ".join(["x"] * 201) + "]",
}


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_both(name: str) -> None:
    text = _dedent(ACCEPTED[name])
    assert loader_accepts(text), "the loader should accept this"
    assert schema_errors(text) == []


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_by_both(name: str) -> None:
    text = _dedent(REJECTED[name])
    assert not loader_accepts(text), "the loader should reject this"
    assert schema_errors(text), "the schema should reject this"


def test_context_schema() -> None:
    assert schema_errors("symbols: {x: real}\ndefine: {y: x**2}\n", CONTEXT) == []
    assert schema_errors("steps: [x, x]\n", CONTEXT) == []
    assert schema_errors("steps: [x]\ncases: [{steps: [x]}]\n", CONTEXT)
    assert schema_errors("symbols: {x: real}\nstep: [x]\n", CONTEXT)


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="shared examples not present")
@pytest.mark.parametrize("name", sorted(p.name for p in SHARED_EXAMPLES.glob("*.yaml") if p.name not in NOT_DERIVATIONS) if SHARED_EXAMPLES.is_dir() else [])
def test_schema_agrees_with_loader_on_shared_examples(name: str) -> None:
    text = (SHARED_EXAMPLES / name).read_text(encoding="utf-8")
    assert (schema_errors(text) == []) == loader_accepts(text)


# -- the grading key schema ----------------------------------------------------------------


KEY_ACCEPTED = {
    "full": """
        assignment: A1
        symbols: {x: real}
        define: {a: x}
        questions:
          q1: {title: one, points: 30, claim: a = x, define: {b: 2*x}, deductions: {slip: 0.2}}
          q-2.b: {points: "7.5", claim: x = x}
          q3: {points: 30, manual: true}
          q4: {points: 5, manual: yes}
        deductions: {invalid_step: 0.25, slip: 0.1, wrong_start: 1, missing_case: "0.5"}
        """,
    "title instead of assignment": "title: A1\nquestions: {q1: {points: 1, claim: x = x}}",
}

KEY_REJECTED = {
    "no questions": "assignment: A1",
    "empty questions": "questions: {}",
    "graded question without claim": "questions: {q1: {points: 3}}",
    "manual false without claim": "questions: {q1: {points: 3, manual: false}}",
    "question without points": "questions: {q1: {claim: x = x}}",
    "steps in a key": "questions: {q1: {points: 1, claim: x = x, steps: [x]}}",
    "unknown deduction": "questions: {q1: {points: 1, claim: x = x}}\ndeductions: {typo: 0.1}",
    "deduction above 1": "questions: {q1: {points: 1, claim: x = x}}\ndeductions: {slip: 2}",
    "negative points": "questions: {q1: {points: -1, claim: x = x}}",
    "reserved question id": "questions: {total: {points: 1, claim: x = x}}",
    "bad question id": "questions: {'q 1': {points: 1, claim: x = x}}",
    "unknown key": "questions: {q1: {points: 1, claim: x = x}}\nanswers: {}",
    "manual maybe": "questions: {q1: {points: 1, claim: x = x, manual: maybe}}",
}


def key_loader_accepts(text: str, tmp_path: Path) -> bool:
    gradekey = pytest.importorskip("derivcheck.grading.key")
    path = tmp_path / "key.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        gradekey.load_key(path)
    except LoadError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(KEY_ACCEPTED))
def test_key_accepted_by_both(name: str, tmp_path: Path) -> None:
    text = _dedent(KEY_ACCEPTED[name])
    assert schema_errors(text, KEY) == []
    assert key_loader_accepts(text, tmp_path)


@pytest.mark.parametrize("name", sorted(KEY_REJECTED))
def test_key_rejected_by_both(name: str, tmp_path: Path) -> None:
    text = _dedent(KEY_REJECTED[name])
    assert schema_errors(text, KEY), "the schema should reject this"
    assert not key_loader_accepts(text, tmp_path), "the key loader should reject this"
