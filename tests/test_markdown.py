"""Reading display math out of Markdown/LaTeX answers (SPEC §11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from derivcheck.latex import parse_latex
from derivcheck.markdown import (
    ChainDraft,
    MathBlock,
    StepDraft,
    document_drafts,
    extract_blocks,
    import_document,
    sections,
    split_chains,
    to_yaml,
)
from derivcheck.parse import Names, parse_expression

SEED = Path("/work/shared/seed/int305-assignment1-answer.md")


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip("the seed answer is not available")
    return SEED.read_text(encoding="utf-8")


def load(text: str) -> object:
    return YAML(typ="safe", pure=True).load(text)


# --- blocks ---------------------------------------------------------------------------------


def test_seed_blocks_are_found_with_their_lines(seed_text: str) -> None:
    blocks = extract_blocks(seed_text)
    assert len(blocks) == 10
    assert blocks[0].line == 11
    assert blocks[0].text.lstrip().startswith(r"\begin{aligned}")
    assert r"\frac{\partial L_{CE}}{\partial w_j}" in blocks[0].text
    lines = [b.line for b in blocks]
    assert lines == sorted(lines)
    assert all(seed_text.splitlines()[b.line - 1].startswith("$$") for b in blocks)


def test_seed_first_block_title_is_the_list_item(seed_text: str) -> None:
    block = extract_blocks(seed_text)[0]
    assert block.title is not None and "logistic regression" in block.title


def test_seed_question_one_chain(seed_text: str) -> None:
    drafts = split_chains(extract_blocks(seed_text)[0])
    chains = [d for d in drafts if d.defines is None]
    assert len(chains) == 1
    steps = [s.latex for s in chains[0].steps]
    assert steps[0] == r"\frac{\partial L_{CE}}{\partial w_j}"
    assert steps[1].startswith(r"\frac{\partial L_{CE}}{\partial y} \cdot")
    assert steps[-1] == "(y - t) x_j"
    assert len(steps) == 6
    assert all(s.line == 11 for s in chains[0].steps)


def test_seed_question_one_steps_all_parse(seed_text: str) -> None:
    chain = next(d for d in split_chains(extract_blocks(seed_text)[0]) if d.defines is None)
    values = [parse_latex(s.latex, Names()) for s in chain.steps]
    assert values[0] == parse_expression("Derivative(L_CE, w_j)")
    assert values[-1] == parse_expression("(y - t)*x_j")
    # the student's slip (-1/y for -t/y) is read as written
    assert values[2] == parse_expression("(-1/y + (1 - t)/(1 - y))*y*(1 - y)*x_j")


def test_seed_question_one_definitions(seed_text: str) -> None:
    drafts = split_chains(extract_blocks(seed_text)[0])
    defs = {d.defines: [s.latex for s in d.steps] for d in drafts if d.defines}
    assert defs["z"] == ["w^T x"]
    assert defs["y"] == [r"\sigma(z)", r"\frac{1}{1+e^{-z}}"]
    assert defs["L_CE"] == [r"-t \log y - (1-t) \log(1-y)"]
    assert "Therefore" not in str(drafts)


def test_seed_cases_and_continuations(seed_text: str) -> None:
    drafts = [d for d in document_drafts(seed_text) if d.defines is None]
    by_given = {tuple(d.given): d for d in drafts if d.given}
    assert ("T == k",) in by_given and ("T != k",) in by_given
    assert by_given[("T == k",)].steps[0].latex == r"\frac{\partial y_T}{\partial z_k}"
    assert by_given[("T == k",)].steps[-1].latex == "y_k (1 - y_k)"
    assert by_given[("T != k",)].steps[-1].latex == r"-y_T \cdot y_k"
    # the '&=' block after it continues the chain of \partial L_CE / \partial z_k
    joined = by_given[("t_k == 1", "t_T == 0")]
    assert [s.latex for s in joined.steps][-1] == "y_k - t_k"
    assert joined.steps[0].line == 25 and joined.steps[-1].line == 27
    # labels are dropped from the steps
    assert not any(r"\textcircled" in s.latex for d in drafts for s in d.steps)


def test_seed_update_rule_chain(seed_text: str) -> None:
    drafts = document_drafts(seed_text)
    update = next(d for d in drafts if d.steps and d.steps[0].latex.startswith("w_j -"))
    assert [s.latex for s in update.steps] == [
        r"w_j - \frac{\partial J}{\partial w_j}",
        r"w_j - \frac{\partial}{\partial w_j} \sum_{i=1}^N (y^{(i)} - t^{(i)}) x_j^{(i)}",
    ]
    for step in update.steps:
        parse_latex(step.latex, Names())


def test_delimiters() -> None:
    text = "\n".join(
        [
            "# Title",
            r"Inline $a = b$ is not display math.",
            r"\[ a = b \]",
            r"\begin{equation} c = d \end{equation}",
            r"\begin{align*}",
            r"e &= f \\",
            r"\end{align*}",
            "$$",
            r"\begin{aligned} g &= h \end{aligned}",
            "$$",
            "```",
            "$$ not = math $$",
            "```",
            r"\begin{align} i = j \end{align}",
        ]
    )
    blocks = extract_blocks(text)
    assert [b.line for b in blocks] == [3, 4, 5, 8, 14]
    assert "g &= h" in blocks[3].text
    assert all("not" not in b.text for b in blocks)
    assert blocks[0].title == "Title"


def test_unclosed_block_is_not_a_block() -> None:
    assert extract_blocks("$$ a = b") == []


def test_multiline_block_lines() -> None:
    text = "intro\n$$\n\\begin{aligned}\n\\frac{dL}{dw} &= a \\\\\n&= b\n\\end{aligned}\n$$\n"
    (block,) = extract_blocks(text)
    (chain,) = split_chains(block)
    assert [(s.latex, s.line) for s in chain.steps] == [(r"\frac{dL}{dw}", 4), ("a", 4), ("b", 5)]


def test_split_ignores_equals_inside_braces_and_text_lines() -> None:
    block = MathBlock(r"\text{Therefore} \\ S &= \sum_{i=1}^{N} x_i + 0 = \sum_{i=1}^{N} x_i \\ \textcircled{2} a + 1 &= 1 + a", 1)
    drafts = split_chains(block)
    assert drafts[0].defines == "S"
    assert [s.latex for s in drafts[0].steps] == [r"\sum_{i=1}^{N} x_i + 0", r"\sum_{i=1}^{N} x_i"]
    assert [s.latex for s in drafts[1].steps] == ["a + 1", "1 + a"]


def test_derivative_on_the_left_is_a_chain_not_a_definition() -> None:
    (draft,) = split_chains(MathBlock(r"\frac{\partial L}{\partial w} = x", 1))
    assert draft.defines is None and len(draft.steps) == 2


def test_case_heads() -> None:
    block = MathBlock(r"T = k: \\ a + 0 &= a \\ T \neq k: \\ 2c &= c + c \\ \text{if } t_k = 1, t_T = 0 \\ e + 1 &= f", 3)
    drafts = [d for d in split_chains(block) if d.steps]
    assert [d.given for d in drafts] == [["T == k"], ["T != k"], ["t_k == 1", "t_T == 0"]]
    assert [d.steps[0].latex for d in drafts] == ["a + 0", "2c", "e + 1"]


def test_a_case_head_alone_applies_to_the_next_block() -> None:
    text = "$$\\text{ if } y > 0$$\n\n$$ \\frac{d}{dy} y^2 = 2y $$\n"
    (draft,) = document_drafts(text)
    assert draft.given == ["y > 0"]


def test_unreadable_case_head_is_kept_for_the_reader() -> None:
    drafts = split_chains(MathBlock(r"\text{if } \nabla = 0: \\ \frac{d}{dx} x = 1", 1))
    assert drafts[0].is_head and drafts[0].unread == [r"\nabla = 0"]
    yaml_text = to_yaml(drafts + [ChainDraft([StepDraft("a", 1), StepDraft("a", 1)], 1, unread=["q"])], "a.md", None)
    load(yaml_text)
    assert "case condition not read" in yaml_text


# --- sections --------------------------------------------------------------------------------


def test_sections_by_question_heading() -> None:
    text = "# Answers\nintro\n## q1\n$$a = b$$\n# Q2\nsecond\n### q1: more on one\n$$c = d$$\n## Notes\nstill q1\n"
    parts = sections(text)
    assert set(parts) == {"q1", "q2"}
    assert "second" in parts["q2"] and "intro" not in parts["q1"]
    assert "still q1" in parts["q1"]
    # lines of a section are lines of the whole document
    blocks = extract_blocks(parts["q2"])
    assert blocks == []
    assert [b.line for b in extract_blocks(sections("x\n\n## q3\n$$ y = z $$\n")["q3"])] == [4]


def test_sections_without_question_headings() -> None:
    assert sections("# Intro\n$$ a = b $$\n") == {}


# --- YAML ------------------------------------------------------------------------------------


def test_seed_yaml_loads_and_keeps_lines(seed_text: str) -> None:
    text = import_document(seed_text, "int305-assignment1-answer.md", "key.yaml")
    data = load(text)
    assert isinstance(data, dict) and "cases" in data
    assert data["title"].startswith("Please write down")
    first = data["cases"][0]["steps"]
    assert first[0] == {"latex": r"\frac{\partial L_{CE}}{\partial w_j}"}
    step_lines = [line for line in text.splitlines() if "- latex:" in line]
    assert step_lines and all(line.rstrip().split("# source line ")[-1].isdigit() for line in step_lines)
    assert {"given": ["T == k"]}.items() <= next(c for c in data["cases"] if c.get("given") == ["T == k"]).items()
    assert "#   z: (not read" in text  # w^T x: transpose
    assert "#   L_CE: -t*log(y) - (1 - t)*log(1 - y)" in text
    assert "key.yaml" in text


def test_single_chain_yaml_uses_steps() -> None:
    drafts = [ChainDraft([StepDraft(r"f'(x)", 2), StepDraft("it's", 3)], 2, title="Q1's part")]
    text = to_yaml(drafts, "a.md", None)
    data = load(text)
    assert data == {"title": "Q1's part", "steps": [{"latex": "f'(x)"}, {"latex": "it's"}]}
    assert "- latex: 'f''(x)'  # source line 2" in text


def test_yaml_with_no_chain() -> None:
    data = load(to_yaml([], "empty.md", None))
    assert data == {"steps": []}


def test_yaml_escapes_control_characters_and_newlines() -> None:
    drafts = [ChainDraft([StepDraft("a\nb", 1), StepDraft("c\x07", 1)], 1)]
    data = load(to_yaml(drafts, "odd\npath.md", None))
    assert data == {"steps": [{"latex": "a b"}, {"latex": "c "}]}


def test_yaml_from_a_case_document() -> None:
    text = "## Case\n$$\\begin{aligned} T = k: \\\\ a b &= b a \\end{aligned}$$\n$$\\begin{aligned} T \\neq k: \\\\ 2c &= c + c \\end{aligned}$$"
    data = load(import_document(text, "c.md"))
    assert data == {
        "title": "Case",
        "cases": [
            {"title": "Case", "given": ["T == k"], "steps": [{"latex": "a b"}, {"latex": "b a"}]},
            {"title": "Case", "given": ["T != k"], "steps": [{"latex": "2c"}, {"latex": "c + c"}]},
        ],
    }


def test_lone_formula_is_a_comment() -> None:
    text = to_yaml(document_drafts("$$ x^2 $$\n$$ 2a = a + a $$"), "l.md", None)
    assert "# A lone formula" in text
    assert load(text) == {"steps": [{"latex": "2a"}, {"latex": "a + a"}]}


def test_name_equals_expression_is_a_definition_candidate() -> None:
    (draft,) = document_drafts("$$ a = b $$")
    assert draft.defines == "a" and [s.latex for s in draft.steps] == ["b"]
    text = to_yaml([draft], "d.md", None)
    assert "#   a: b" in text and load(text) == {"steps": []}


def test_every_seed_step_reads_or_is_a_latex_error(seed_text: str) -> None:
    from derivcheck.latex import LatexError

    context = Names(
        indexed=frozenset({"z", "y", "t"}),
        indices=frozenset({"k", "T", "m"}),
        sizes=frozenset({"K"}),
        ranges=(("k", "K"), ("T", "K"), ("m", "K")),
    )
    unread = []
    for draft in document_drafts(seed_text):
        for step in draft.steps:
            try:
                parse_latex(step.latex, context)
            except LatexError:
                unread.append(step.latex)
    assert unread == ["w^T x", r"-\frac{1}{y_T} (t_T = 1)_{t_m \neq T = 0}"]
