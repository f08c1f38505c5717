"""The answering chain on a real e5 index of six reports (Polish, English, Vietnamese)."""

from __future__ import annotations

import re

import pytest

from bot.facts.chain import ReportRetriever
from bot.models import Turn
from indexing.numbers import numbers_in

EXAMPLE = "How many skilled mass mobilization models were replicated in Kim Bang?"

# Near misses the fitted models do not handle (README, "Answer quality", known limits): the
# public sets they were fitted on hold few same-topic absences of this kind. Strict, so a
# fix shows up as a failure to be turned back into a plain test.
NEAR_MISS = pytest.mark.xfail(strict=True, reason="near-miss absence; see README known limits")


def assert_honest(result, store) -> None:  # noqa: ANN001
    """Every [n] is a citation, every citation a real paragraph, every figure cited."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.answer)}
    assert markers == {c.n for c in result.citations}
    stored = {
        (p.source, p.number): p.text
        for p in store.get_paragraphs(store.paragraphs.get(include=[])["ids"])
    }
    for c in result.citations:
        assert stored[(c.source, c.paragraph)] == c.text
        assert c.quote in c.text
    cited = (
        set().union(*(numbers_in(c.text) for c in result.citations)) if result.citations else set()
    )
    assert numbers_in(re.sub(r"\[\d+\]", "", result.answer)) <= cited


def test_the_example_question(qa) -> None:  # noqa: ANN001
    result = qa.answer(EXAMPLE)
    assert result.answered
    assert result.answer.startswith("**109**")
    first = result.citations[0]
    assert (first.source, first.paragraph) == ("kim-bang-2023.txt", 4)
    assert "powielono 109 modeli" in first.quote
    assert set(result.timings_ms) >= {"retrieve", "answer"}
    assert_honest(result, qa.store)


@pytest.mark.parametrize(
    ("question", "figure", "source"),
    [
        (
            "Ile modeli wykwalifikowanej mobilizacji masowej powielono w Kim Bang?",
            "109",
            "kim-bang-2023.txt",
        ),
        ("Bình Lục có bao nhiêu mô hình dân vận khéo năm 2023?", "56", "binh-luc-2023.txt"),
        (
            "How many new skilled mass mobilization models did Ly Nhan recognise in 2023?",
            "64",
            "ly-nhan-2023.txt",
        ),
        ("How many petitions did Phu Ly resolve in 2023?", "312", "phu-ly-2023.md"),
        pytest.param(
            "Ile drzew posadzono w dystrykcie Thanh Liem?",
            "15,000",
            "thanh-liem-2023.md",
            marks=pytest.mark.xfail(
                strict=True, reason="Polish question, English report: refused (README limits)"
            ),
        ),
    ],
)
def test_figures_across_languages_and_districts(qa, question, figure, source) -> None:  # noqa: ANN001
    result = qa.answer(question)
    assert result.answered, result.answer
    assert result.answer.startswith(f"**{figure}")
    assert result.citations[0].source == source
    assert_honest(result, qa.store)


@pytest.mark.parametrize(
    "question",
    [
        "How much land did residents of Duy Tien give up for widening commune roads?",
        "Ile gruntu oddali mieszkańcy Duy Tien pod poszerzenie dróg?",
        "Người dân Duy Tiên hiến bao nhiêu đất để mở rộng đường?",
    ],
)
def test_the_asked_kind_of_figure_leads(qa, question) -> None:  # noqa: ANN001
    """Land is answered with the square metres, not the money or the models beside them."""
    result = qa.answer(question)
    assert result.answer.startswith("**4200**"), result.answer
    assert result.citations[0].source == "duy-tien-2023.txt"
    assert_honest(result, qa.store)


def test_non_numeric_answer_is_verbatim(qa) -> None:  # noqa: ANN001
    result = qa.answer("How was the work on democracy carried out in Kim Bang?")
    assert result.answered
    assert result.citations[0].source == "kim-bang-2023.txt"
    assert_honest(result, qa.store)


@pytest.mark.parametrize(
    "question",
    [
        "What was the GDP growth rate of Kim Bang in 2023?",
        "What will the weather be in Hanoi tomorrow?",
        "Who won the 2018 World Cup?",
        pytest.param("How many petitions did Kim Bang resolve in 2023?", marks=NEAR_MISS),
        pytest.param("Ile wyniósł budżet gmin Phu Ly na 2024 rok?", marks=NEAR_MISS),
        "Dân số huyện Kim Bảng là bao nhiêu người?",
        pytest.param("What is the population of Ly Nhan?", marks=NEAR_MISS),
        pytest.param("How many trees did Ly Nhan plant in 2023?", marks=NEAR_MISS),
    ],
)
def test_refusals_cite_nothing(qa, question) -> None:  # noqa: ANN001
    result = qa.answer(question)
    assert not result.answered
    assert result.citations == []
    assert not numbers_in(result.answer)


def test_refusal_speaks_the_question_language(qa) -> None:  # noqa: ANN001
    polish = "Kto wygrał mistrzostwa świata w piłce nożnej w 2018 roku?"
    assert qa.answer(polish).answer.startswith("Raporty")
    assert qa.answer("Ai đã vô địch World Cup 2018?").answer.startswith("Các báo cáo")
    assert qa.answer("What will the weather be in Hanoi tomorrow?").answer.startswith(
        "The reports don't say: they do not mention Hanoi"
    )


def test_follow_up_replaces_the_place(qa) -> None:  # noqa: ANN001
    history = [Turn(question=EXAMPLE, answer="**109** ...")]
    result = qa.answer("And in Duy Tien?", history=history)
    assert result.resolved_question == (
        "How many skilled mass mobilization models were replicated in Duy Tien?"
    )
    assert result.answer.startswith("**87**")
    assert result.citations[0].source == "duy-tien-2023.txt"


def test_follow_up_history_as_dicts_and_in_vietnamese(qa) -> None:  # noqa: ANN001
    history = [{"question": "Huyện Kim Bảng đã nhân rộng bao nhiêu mô hình dân vận khéo?"}]
    result = qa.answer("Còn Bình Lục?", history=history)
    assert result.answer.startswith("**56**")


def test_follow_up_to_a_place_the_reports_lack(qa) -> None:  # noqa: ANN001
    # A place no report mentions: the name rule (bot/facts/names.py) refuses and says which.
    result = qa.answer("And in Hanoi?", history=[Turn(question=EXAMPLE)])
    assert not result.answered
    assert "Hanoi" in result.answer


def test_empty_and_huge_questions(qa) -> None:  # noqa: ANN001
    assert not qa.answer("   ").answered
    result = qa.answer("models " * 5000)
    assert len(result.question) <= 1000


def test_langchain_retriever(qa) -> None:  # noqa: ANN001
    retriever = qa.retriever(k=3)
    assert isinstance(retriever, ReportRetriever)
    documents = retriever.invoke(EXAMPLE)
    assert len(documents) == 3
    assert documents[0].metadata["source"] == "kim-bang-2023.txt"
    assert documents[0].metadata["paragraph"] == 4
    assert "109 modeli" in documents[0].page_content


def test_public_answer_function(answer_settings) -> None:  # noqa: ANN001
    from bot import answer

    result = answer(EXAMPLE, settings=answer_settings)
    assert result.answered and "109" in result.answer
    payload = result.model_dump()
    assert set(payload) >= {"question", "answer", "answered", "citations", "timings_ms"}
    assert set(payload["citations"][0]) >= {"n", "source", "paragraph", "quote", "text", "score"}
