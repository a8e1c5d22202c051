"""Every problem that can be found without checking steps is reported in one run.

A file with three key typos gets three messages, each with its line, in every
format; bad domains and unreadable definitions likewise.  The lines below are
those of the fixture files (counted by hand).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from derivcheck.cli import main

DATA = Path(__file__).parent / "data" / "cli"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", *args])
    return result.exit_code, result.output


def test_three_key_typos_give_three_messages_with_their_lines() -> None:
    code, out = run("--format", "json", str(DATA / "three_key_typos.yaml"))
    assert code == 2
    error = json.loads(out)["files"][0]["error"]
    problems = [(p["line"], p["message"].split(";")[0]) for p in error["problems"]]
    assert problems == [
        (1, "unknown key 'titel' in the derivation"),
        (2, "unknown key 'symbol' in the derivation"),
        (4, "unknown key 'step' in the derivation"),
    ]
    # the first problem is also the file's error, as before
    assert (error["line"], error["message"]) == (1, error["problems"][0]["message"])


def test_bad_domains_and_an_unreadable_definition_are_all_reported() -> None:
    code, out = run("--format", "github", str(DATA / "three_context_problems.yaml"))
    assert code == 2
    lines = [l for l in out.splitlines() if l.startswith("::error")]
    assert [l.split("line=")[1].split(",")[0] for l in lines] == ["3", "4", "6"]
    assert "(1, 0) is empty" in lines[0] and "'{0, 1'" in lines[1] and "never closed" in lines[2]


def test_text_and_concise_reports_list_every_problem() -> None:
    path = str(DATA / "three_key_typos.yaml")
    _, text = run(path)
    assert text.count("unknown key") == 3
    _, concise = run("--format", "concise", path)
    assert sorted(l.split(":")[1] for l in concise.splitlines() if "unknown key" in l) == ["1", "2", "4"]


def test_a_misspelt_steps_key_does_not_also_say_steps_are_missing() -> None:
    _, out = run(str(DATA / "three_key_typos.yaml"))
    assert "needs 'steps'" not in out


def test_a_file_with_one_problem_has_no_problems_list() -> None:
    code, out = run("--format", "json", str(Path(__file__).parent.parent / "examples" / "mistakes"))
    for f in json.loads(out)["files"]:
        if f["error"] is not None:
            assert "problems" not in f["error"] or len(f["error"]["problems"]) > 1
