"""The generative path over real HTTP to a loopback OpenAI-compatible stand-in."""

from __future__ import annotations

import re

import pytest

from bot.models import Turn
from bot.qa import QA
from tests.llm_standin import LLMStandIn

EXAMPLE = "How many skilled mass mobilization models were replicated in Kim Bang?"


@pytest.fixture
def llm_qa(answer_settings, monkeypatch):  # noqa: ANN001, ANN201
    def make(reply):  # noqa: ANN001, ANN202
        server = LLMStandIn(reply).__enter__()
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        settings = answer_settings.model_copy(update={"llm": "openai:gpt-4o-mini"})
        made.append(server)
        return QA(settings), server

    made: list[LLMStandIn] = []
    yield make
    for server in made:
        server.__exit__()


def source_number(request: dict, needle: str) -> int:
    """Which numbered source in the prompt holds `needle`."""
    prompt = request["messages"][-1]["content"]
    for match in re.finditer(r"^\[(\d+)\][^\n]*\n([^\n]*)", prompt, re.MULTILINE):
        if needle in match.group(2):
            return int(match.group(1))
    raise AssertionError(f"{needle!r} not among the sources")


def test_faithful_reply_is_used_with_its_citation(llm_qa) -> None:  # noqa: ANN001
    qa, server = llm_qa(
        lambda req: f"Kim Bang replicated 109 models [{source_number(req, '109 modeli')}]."
    )
    result = qa.answer(EXAMPLE)
    assert result.answerer == "generative"
    assert result.answer == "Kim Bang replicated 109 models [1]."
    assert (result.citations[0].source, result.citations[0].paragraph) == ("kim-bang-2023.txt", 4)
    assert "Sources:" in server.prompts()[0] and EXAMPLE in server.prompts()[0]


def test_changed_figure_never_reaches_the_user(llm_qa) -> None:  # noqa: ANN001
    qa, _ = llm_qa(lambda req: f"Kim Bang replicated 110 models [{source_number(req, '109')}].")
    result = qa.answer(EXAMPLE)
    assert "110" not in result.answer
    assert result.answer.startswith("**109**")
    assert result.answerer == "extractive-fallback"


def test_marker_pointing_at_no_source_is_removed(llm_qa) -> None:  # noqa: ANN001
    qa, _ = llm_qa(lambda req: f"Kim Bang replicated 109 models [{source_number(req, '109')}][9].")
    result = qa.answer(EXAMPLE)
    assert result.answerer == "generative"
    assert "[9]" not in result.answer
    assert [c.n for c in result.citations] == [1]


def test_uncited_reply_falls_back(llm_qa) -> None:  # noqa: ANN001
    qa, _ = llm_qa(lambda req: "Kim Bang replicated many models.")
    assert qa.answer(EXAMPLE).answerer == "extractive-fallback"


def test_model_says_not_in_reports(llm_qa) -> None:  # noqa: ANN001
    qa, _ = llm_qa(lambda req: "NOT_IN_REPORTS")
    result = qa.answer("What was the unemployment rate in Kim Bang district in 2023?")
    assert not result.answered and result.citations == []


def test_server_errors_fall_back_to_extractive(llm_qa) -> None:  # noqa: ANN001
    qa, _ = llm_qa(lambda req: 500)
    result = qa.answer(EXAMPLE)
    assert result.answerer == "extractive-fallback"
    assert result.answer.startswith("**109**")


def test_follow_up_is_condensed_by_the_model(llm_qa) -> None:  # noqa: ANN001
    def reply(req: dict) -> str:
        system = req["messages"][0]["content"]
        if "standalone question" in system:
            return "How many skilled mass mobilization models were replicated in Duy Tien?"
        return f"Duy Tien replicated 87 models [{source_number(req, '87 modeli')}]."

    qa, server = llm_qa(reply)
    result = qa.answer("What about the other district, Duy Tien?", history=[Turn(question=EXAMPLE)])
    assert result.resolved_question.endswith("in Duy Tien?")
    assert "87" in result.answer and result.citations[0].source == "duy-tien-2023.txt"


def test_tables_and_summaries_are_not_sent_to_the_model(llm_qa) -> None:  # noqa: ANN001
    # An LLM may only phrase what the steps found; a table or a quoted lead leaves it
    # nothing to phrase, and it must not invent a total.
    qa, server = llm_qa(lambda req: "The total is 999 [1].")
    total = qa.answer("How many skilled mass mobilization models were replicated in all districts?")
    summary = qa.answer("Summarize the Kim Bang report")
    assert (total.kind, summary.kind) == ("total", "summary")
    assert "999" not in total.answer and "999" not in summary.answer
    assert server.prompts() == []
