"""Single words as evidence: content words, their vectors, how clearly a sentence's word
stands out as a question word's match, and names as hard evidence."""

from __future__ import annotations

import numpy as np
import pytest

from bot.facts.features import CandidateParagraph, analyse
from bot.facts.names import unmentioned_names
from indexing.words import WordVectors, content_words, sentence_units, stand_out


def test_content_words_drop_stop_words_figures_and_names() -> None:
    assert content_words("How many hospitals were opened in Ly Nhan in 2023?", "en", True) == [
        "hospitals"
    ]
    assert content_words("Ile szpitali otwarto w Ly Nhan?", "pl", True) == ["szpitali", "otwarto"]
    # Vietnamese writes a word as syllables: a run of content syllables is one unit, and
    # "bao nhiêu" (how many) is a stop phrase. (A name that opens the question is not told
    # from a capitalised first word.)
    assert content_words("Huyện Lý Nhân đã mở bao nhiêu bệnh viện?", "vi", True) == [
        "huyện",
        "mở",
        "bệnh viện",
    ]


def test_sentence_units_pair_vietnamese_syllables() -> None:
    units = sentence_units("Năm 2023, huyện đã nhân rộng 56 mô hình dân vận khéo.", "vi")
    assert "mô hình" in units and "mô" in units and "dân vận" in units
    assert not any(ch.isdigit() for unit in units for ch in unit)


def test_stand_out_measures_the_best_word_against_the_rest() -> None:
    sentence = np.eye(4, dtype=np.float32)
    question = np.array([[1.0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]], dtype=np.float32)
    found = stand_out(question, sentence)
    assert found[0] == pytest.approx(0.75)  # one word matches, the rest do not
    assert found[1] == pytest.approx(0.0)  # nothing stands out


def test_a_translation_stands_out_where_another_thing_does_not() -> None:
    from indexing.embeddings import get_embedder

    e5 = get_embedder("e5-small-q4")
    words = WordVectors(e5.embed_queries, e5.embed_passages)
    sentence = sentence_units(
        "W ciągu roku w dystrykcie Ly Nhan wdrożono i powielono 64 modele, z czego 22 "
        "dotyczyły rolnictwa ekologicznego.",
        "pl",
    )
    found = stand_out(words.vectors(["models", "hospitals"], "q"), words.vectors(sentence, "p"))
    assert found[0] > found[1] + 0.03


def test_word_vectors_embed_each_word_once() -> None:
    embedded: list[str] = []

    def embed(items):  # noqa: ANN001, ANN202
        embedded.extend(items)
        return np.ones((len(items), 3), dtype=np.float32)

    words = WordVectors(embed, embed)
    vectors = words.vectors(["modele", "rolnictwa", "modele"], "p")
    assert embedded == ["modele", "rolnictwa"]
    assert vectors.shape == (3, 3)
    words.vectors(["rolnictwa"], "p")
    assert embedded == ["modele", "rolnictwa"]  # kept for the process
    words.vectors(["rolnictwa"], "q")  # a query is embedded apart
    assert embedded == ["modele", "rolnictwa", "rolnictwa"]


def _candidates(*texts: str, title: str = "") -> list[CandidateParagraph]:
    out = [
        CandidateParagraph(text=t, sentences=[t], similarities=[0.0], title=title) for t in texts
    ]
    for c in out:
        c.prepare()
    return out


def test_a_name_no_candidate_mentions_is_missing() -> None:
    reports = _candidates(
        "In 2023 the district replicated forty-two models of skilled mass mobilization.",
        title="Thanh Liem district reviews mass mobilization work in 2023",
    )
    info = analyse("How many models were replicated in Ba Dinh district?")
    assert unmentioned_names(info, reports) == ["Ba Dinh"]
    assert unmentioned_names(analyse("How many models did Thanh Liem replicate?"), reports) == []


def test_names_meet_their_other_forms_and_near_spellings() -> None:
    reports = _candidates("Komitet w Kim Bảng i w Warszawie, oraz Carlsbad.")
    for question in (
        "Ile modeli w Kim Bang?",  # accents
        "Co zbudowano w Warszawie?",  # the same form
        "Ile osób mieszka w Carslbad?",  # a typo
    ):
        assert unmentioned_names(analyse(question), reports) == [], question


def test_across_languages_only_names_written_alike_are_checked() -> None:
    polish = _candidates("W dystrykcie Ly Nhan powielono 64 modele. Warszawa i Polska.")
    # No Polish candidate for an English question: not ruled, only weighed (across=True).
    assert unmentioned_names(analyse("How many models in Ba Dinh?"), polish) == []
    assert unmentioned_names(analyse("How many models in Ba Dinh?"), polish, across=True) == [
        "Ba Dinh"
    ]
    # "Poland" is an English word: translations write it their own way.
    assert unmentioned_names(analyse("How big is Poland?"), polish, across=True) == []
