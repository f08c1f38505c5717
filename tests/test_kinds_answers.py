"""Every question kind answered over a real e5 index of seven district reports in three
languages (tests/data/districts): figures in digits and in words, one report without the
figure asked about, one with the land in hectares instead of square metres."""

from __future__ import annotations

import re

import pytest

from bot.models import Answer
from indexing.figures import mentions
from tests.conftest import DATA

#: The models each report states (Phu Ly's report gives none).
MODELS = {
    "kim-bang-2023.txt": 109,
    "ly-nhan-2023.txt": 64,
    "duy-tien-2023.txt": 87,  # "osiemdziesiąt siedem"
    "binh-luc-2023.txt": 56,
    "lam-ha-2023.txt": 61,  # "sáu mươi mốt"
    "thanh-liem-2023.md": 42,  # "forty-two"
}


@pytest.fixture(scope="module")
def districts(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A QA over an e5 index of the district reports, built once."""
    from bot.qa import QA
    from indexing.indexer import Indexer
    from indexing.settings import Settings

    root = tmp_path_factory.mktemp("districts")
    settings = Settings(corpus_dir=DATA / "districts", index_dir=root / "index")
    Indexer(settings).run()
    return QA(settings)


def _checked(answer: Answer) -> Answer:
    """The answer, after checking what every answer must hold: each [n] is a citation, each
    quote stands verbatim in its paragraph, and each figure of a table row stands in the
    paragraph its row cites."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers <= {c.n for c in answer.citations}
    for citation in answer.citations:
        assert citation.quote in citation.text
    by_n = {c.n: c for c in answer.citations}
    for row in answer.table or []:
        if row.value is None:
            assert row.n is None
            continue
        cited = by_n[row.n]
        assert row.source == cited.source
        assert row.text and row.text in cited.quote
        found = {
            (round(m.value, 6), m.unit)
            for lang in ("en", "pl", "vi")
            for m in mentions(cited.quote, lang)
        }
        assert (round(row.value, 6), row.unit) in found
    return answer


@pytest.mark.parametrize(
    "question",
    [
        "Which district replicated the most skilled mass mobilization models?",
        "W którym dystrykcie powielono najwięcej modeli wykwalifikowanej mobilizacji masowej?",
        "Huyện nào nhân rộng nhiều mô hình dân vận khéo nhất?",
    ],
)
def test_compare_in_three_languages(districts, question: str) -> None:  # noqa: ANN001
    answer = _checked(districts.answer(question))
    assert answer.kind == "compare" and answer.answered
    rows = {r.source: r for r in answer.table}
    assert set(rows) == set(MODELS) | {"phu-ly-2023.md"}  # every report listed
    assert rows["phu-ly-2023.md"].value is None  # no figure: "not stated", never skipped
    stated = {s: r.value for s, r in rows.items() if r.value is not None}
    assert stated["kim-bang-2023.txt"] == 109
    assert all(MODELS[s] == v for s, v in stated.items())  # no figure of something else
    assert len(stated) >= 4
    assert re.search(r"→ .*Kim Bang \(109\) \[\d\]", answer.answer)


def test_total_adds_what_is_stated_and_says_where(districts) -> None:  # noqa: ANN001
    answer = _checked(
        districts.answer(
            "How many skilled mass mobilization models were replicated in all districts together?"
        )
    )
    assert answer.kind == "total"
    stated = [r for r in answer.table if r.value is not None]
    total = sum(r.value for r in stated)
    assert all(MODELS[r.source] == r.value for r in stated)
    shown = answer.answer.split("→")[-1]
    assert f"{int(total):,}" in shown and f"{len(stated)} of 7" in shown


def test_total_adds_area_in_one_base_unit(districts) -> None:  # noqa: ANN001
    """Thanh Liem's 1.5 hectares is 15,000 m2: added after conversion, never left out."""
    from bot.reports.across import in_base

    answer = _checked(
        districts.answer("How much land did residents donate in all districts together?")
    )
    assert answer.kind == "total"
    units = {r.source: r.unit for r in answer.table if r.value is not None}
    assert units.get("thanh-liem-2023.md") == "ha"
    assert {u for s, u in units.items() if s != "thanh-liem-2023.md"} == {"m2"}
    total = sum(in_base(r.value, r.unit)[0] for r in answer.table if r.value is not None)
    result = answer.answer.split("→")[-1]
    assert f"{int(total):,} m2" in result and "not added" not in result


def test_money_total_in_polish(districts) -> None:  # noqa: ANN001
    answer = _checked(
        districts.answer("Ile pieniędzy mieszkańcy przekazali łącznie we wszystkich dystryktach?")
    )
    assert answer.kind == "total"
    units = {r.unit for r in answer.table if r.value is not None}
    assert units == {"VND"}
    assert "łącznie" in answer.answer and "VND" in answer.answer.split("→")[-1]


def test_compare_two_named_reports(districts) -> None:  # noqa: ANN001
    answer = _checked(
        districts.answer("Compare Kim Bang and Ly Nhan: how many models were replicated?")
    )
    assert answer.kind == "compare"
    assert {r.source for r in answer.table} == {"kim-bang-2023.txt", "ly-nhan-2023.txt"}
    assert {r.value for r in answer.table} == {109, 64}


def test_follow_up_total_after_comparison(districts) -> None:  # noqa: ANN001
    first = "Which district replicated the most skilled mass mobilization models?"
    answer = _checked(districts.answer("And the total?", history=[{"question": first}]))
    assert answer.kind == "total"
    assert answer.resolved_question and answer.resolved_question.startswith(first)
    assert all(r.value in (None, MODELS.get(r.source)) for r in answer.table)


def test_follow_up_other_place_after_summary(districts) -> None:  # noqa: ANN001
    answer = _checked(
        districts.answer("And Duy Tien?", history=[{"question": "Summarize the Kim Bang report"}])
    )
    assert answer.kind == "summary"
    assert {c.source for c in answer.citations} == {"duy-tien-2023.txt"}


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("Summarize the Kim Bang report", "kim-bang-2023.txt"),
        ("O czym jest raport o Ly Nhan?", "ly-nhan-2023.txt"),
        ("Báo cáo Bình Lục nói về gì?", "binh-luc-2023.txt"),
    ],
)
def test_summary_is_title_and_lead(districts, question: str, source: str) -> None:  # noqa: ANN001
    answer = _checked(districts.answer(question))
    assert answer.kind == "summary" and answer.answered
    assert {c.source for c in answer.citations} == {source}
    assert answer.citations[0].paragraph == 1


def test_summary_of_all_reports_is_one_line_each(districts) -> None:  # noqa: ANN001
    answer = _checked(districts.answer("What is this report about?"))
    assert answer.kind == "summary"
    assert len(answer.answer.splitlines()) == 7
    assert len({c.source for c in answer.citations}) == 7


@pytest.mark.parametrize(
    ("question", "byline", "source"),
    [
        ("Who wrote the report about Kim Bang?", "Huong Giang", "kim-bang-2023.txt"),
        ("Kto napisał raport o Duy Tien?", "Thu Ha", "duy-tien-2023.txt"),
        ("Ai viết báo cáo Lam Hạ?", "Phạm Thu", "lam-ha-2023.txt"),
    ],
)
def test_author_is_the_byline_cited(districts, question: str, byline: str, source: str) -> None:  # noqa: ANN001
    answer = _checked(districts.answer(question))
    assert answer.kind == "metadata"
    assert byline in answer.answer
    assert [(c.source, c.text) for c in answer.citations] == [(source, byline)]


def test_date_and_reports(districts) -> None:  # noqa: ANN001
    date = _checked(districts.answer("When was the Phu Ly report published?"))
    assert date.kind == "metadata" and "9 January 2024" in date.answer
    listing = _checked(districts.answer("Which reports do you have?"))
    assert listing.kind == "reports"
    assert all(source in listing.answer for source in [*MODELS, "phu-ly-2023.md"])


@pytest.mark.parametrize(
    ("question", "items"),
    [
        ("What are the tasks for 2024 in Kim Bang?", ["Ściśle wdrażać", "Koordynować działania"]),
        ("Jakie są zadania na 2024 rok w Kim Bang?", ["Promować rolę", "Sprawnie wykonywać"]),
        (
            "Các nhiệm vụ năm 2024 của huyện Lam Hạ là gì?",
            ["Đẩy mạnh đối thoại", "Nâng cao chất lượng"],
        ),
    ],
)
def test_list_gives_every_item(districts, question: str, items: list[str]) -> None:  # noqa: ANN001
    answer = _checked(districts.answer(question))
    assert answer.kind == "list" and answer.answered
    for item in items:
        assert f"- {item}" in answer.answer


def test_single_facts_keep_their_kind(districts) -> None:  # noqa: ANN001
    answer = _checked(
        districts.answer("How many skilled mass mobilization models were replicated in Kim Bang?")
    )
    assert answer.kind == "figure"
    assert answer.answer.startswith("**109**")


@pytest.mark.parametrize(
    "question",
    ["Compare", "Which district has the most?", "Total?", "Compare Kim Bang and Ly Nhan"],
)
def test_comparison_without_a_figure_asks_which(districts, question: str) -> None:  # noqa: ANN001
    answer = districts.answer(question)
    assert answer.kind in ("compare", "total")
    assert not answer.answered and not answer.citations
    assert "?" in answer.answer
