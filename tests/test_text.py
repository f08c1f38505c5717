"""Splitting, boilerplate, sentences and decoding."""

from __future__ import annotations

import pytest

from indexing.text import (
    NotTextError,
    decode_bytes,
    fold,
    join_lines,
    sentence_spans,
    split_sentences,
    strip_tail,
)


def test_one_paragraph_per_line_and_per_block() -> None:
    lines = ["Pierwszy akapit.", "Drugi akapit.", "", "Trzeci akapit."]
    assert join_lines(lines) == ["Pierwszy akapit.", "Drugi akapit.", "Trzeci akapit."]


def test_hard_wrapped_lines_are_rejoined() -> None:
    lines = [
        "The committee reviewed the implementation of grassroots democracy and",
        "resolved 312 petitions from residents during the year.",
        "",
        "A second paragraph.",
    ]
    assert join_lines(lines) == [
        "The committee reviewed the implementation of grassroots democracy and resolved "
        "312 petitions from residents during the year.",
        "A second paragraph.",
    ]


def test_tail_boilerplate_removed_and_byline_kept() -> None:
    paragraphs = ["Tekst raportu.", "Huong Giang", "Źródło", "Komentarz (0)"]
    assert strip_tail(paragraphs) == (["Tekst raportu."], "Huong Giang")


def test_short_last_line_without_boilerplate_is_content() -> None:
    assert strip_tail(["Raport.", "Ha Nam Province"]) == (["Raport.", "Ha Nam Province"], None)


def test_boilerplate_words_inside_the_article_are_kept() -> None:
    paragraphs = ["Źródło wody zostało oczyszczone.", "Drugi akapit."]
    assert strip_tail(paragraphs) == (paragraphs, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Komitet podsumował rok 2023 r. oraz wyznaczył zadania. Drugie zdanie.",
            ["Komitet podsumował rok 2023 r. oraz wyznaczył zadania.", "Drugie zdanie."],
        ),
        ("Mr. Smith met Dr. Jones. They agreed.", ["Mr. Smith met Dr. Jones.", "They agreed."]),
        (
            "Wydano 2,3 mln zł. Kolejne 1.5 mln czeka.",
            ["Wydano 2,3 mln zł.", "Kolejne 1.5 mln czeka."],
        ),
        (
            "Ông Nguyễn Văn A phát biểu. Đại hội kết thúc!",
            ["Ông Nguyễn Văn A phát biểu.", "Đại hội kết thúc!"],
        ),
        (
            "Powielono 109 modeli „mobilizacji”. Życie uległo poprawie.",
            ["Powielono 109 modeli „mobilizacji”.", "Życie uległo poprawie."],
        ),
        ("no terminal punctuation", ["no terminal punctuation"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentence_spans_are_verbatim_slices() -> None:
    text = "  One.   Two!  Three?  "
    assert [text[s.start : s.end] for s in sentence_spans(text)] == ["One.", "Two!", "Three?"]


def test_decoding_utf8_cp1250_utf16() -> None:
    polish = "Życie materialne i duchowe mieszkańców uległo poprawie. " * 3
    assert decode_bytes(polish.encode("utf-8")) == polish
    assert decode_bytes(polish.encode("utf-16")) == polish
    assert "mieszkańców" in decode_bytes(polish.encode("cp1250"))


def test_binary_is_not_text() -> None:
    with pytest.raises(NotTextError, match="binary"):
        decode_bytes(bytes(range(256)) * 20)


def test_fold_strips_accents() -> None:
    assert fold("Kim Bảng") == "kim bang"
    assert fold("Đồng Văn, Łódź") == "dong van, lodz"


def test_token_windows_cut_long_sentences_between_words() -> None:
    from indexing.text import token_windows

    def count(text: str) -> int:  # one token per word, plus two specials
        return len(text.split()) + 2

    text = " ".join(f"w{i}" for i in range(1000))
    spans = token_windows(text, count, 100)
    pieces = [text[s.start : s.end] for s in spans]
    assert all(count(p) <= 100 for p in pieces)
    assert " ".join(pieces) == text
    assert token_windows("short text", count, 100)[0].end == len("short text")


def test_a_word_longer_than_the_window_is_cut_by_length() -> None:
    from indexing.text import token_windows

    text = "x" * 5000
    spans = token_windows(text, len, 512)
    assert all(s.end - s.start <= 512 for s in spans)
    assert "".join(text[s.start : s.end] for s in spans) == text
