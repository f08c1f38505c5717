"""Language, lemmas, names and number words (the libraries behind the answer features)."""

from __future__ import annotations

import pytest

from bot.facts.features import analyse
from indexing.lexical import names, reply_language, terms, vocabulary
from indexing.numbers import written_numbers


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How many models were replicated?", "en"),
        ("Ile modeli powielono w Kim Bang?", "pl"),
        ("Kto napisał raport?", "pl"),
        ("Huyện Kim Bảng đã nhân rộng bao nhiêu mô hình?", "vi"),
        ("Còn Duy Tiên?", "vi"),
    ],
)
def test_reply_language(text: str, language: str) -> None:
    assert reply_language(text) == language


def test_inflected_polish_meets_its_lemma() -> None:
    modeli, powielono, dystryktach = terms("modeli powielono dystryktach", "pl")
    text = vocabulary("Powielono 109 modeli w dystrykcie.", "pl")
    assert modeli & text and powielono & text and dystryktach & text


def test_a_word_outside_the_dictionary_meets_its_other_forms_by_stem() -> None:
    # A made-up noun: no dictionary knows it, its Snowball stem still joins the forms.
    (question,) = terms("bulwarzynami", "pl")
    assert question & vocabulary("Przy bulwarzynach stoją domy.", "pl")
    assert not {"bulwarzyn"} & question  # a stem is marked, never mistaken for a word


def test_a_name_is_matched_as_written_even_when_the_dictionary_disagrees() -> None:
    # simplemma reads Polish "Kim" as a form of "kto"; the folded surface form still matches.
    assert {"kim"} <= set().union(*terms("Ile modeli powielono w Kim Bang?", "pl"))


def test_figures_stay_whole() -> None:
    assert frozenset({"15000"}) in terms("Posadzono 15,000 drzew.", "pl")


def test_names_skip_the_first_word_and_drop_possessives() -> None:
    found = names("What was Warsaw's population according to the Nobel Prize?", "en")
    assert [n.name for n in found] == ["warsaw", "nobel prize"]


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("There are two extended metropolitan areas", "en", 2),
        ("Posadzono trzech ludzi", "pl", 3),
        ("Có hai mươi mốt người", "vi", 21),
        ("five million people", "en", 5),
    ],
)
def test_written_numbers(text: str, language: str, value: int) -> None:
    assert written_numbers(text, language)[0][2] == value


@pytest.mark.parametrize(
    ("question", "figure", "date", "name"),
    [
        ("How many models were replicated?", True, False, False),
        ("Ile drzew posadzono?", True, False, False),
        ("Bao nhiêu mô hình?", True, False, False),
        ("When was the bridge built?", False, True, False),
        ("W którym roku zbudowano most?", False, True, False),
        ("Who wrote the report?", False, False, True),
        ("Kto napisał raport?", False, False, True),
    ],
)
def test_what_a_question_asks_for(question: str, figure: bool, date: bool, name: bool) -> None:
    info = analyse(question)
    assert (info.wants_figure, info.wants_date, info.wants_name) == (figure, date, name)


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("Who wrote the report?", True),
        ("Kto napisał raport?", True),
        ("Z kim rozmawiał przewodniczący?", True),
        ("Ai là chủ tịch huyện?", True),
        ("Báo cáo được viết ở đâu?", True),
        # A place named Kim Bang is not Polish "kim" (whom), nor in another language's question.
        ("Ile modeli powielono w Kim Bang?", False),
        ("How many models were replicated in Kim Bang?", False),
        ("Công tác dân chủ ở Kim Bảng được thực hiện như thế nào?", False),
    ],
)
def test_asking_for_a_name_is_read_in_the_question_language(question: str, wants: bool) -> None:
    assert analyse(question).wants_name is wants
