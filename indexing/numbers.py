"""The number vocabulary that figures and word matching share: figures written in digits
("15,000", "2,3") and numbers written as words (num2words for 0-100 and the scales, then
inverted, so "two", "trzy" and "hai" are figures like "2")."""

from __future__ import annotations

import functools
import re

from indexing.lemmas import lemma
from indexing.text import WORD, fold

DIGITS = r"(?<![\w.,])\d+(?:[ \u00a0.,]\d{3})*(?:[.,]\d+)?"
NUMBER = re.compile(DIGITS + r"(?!\w)")


def normalise_number(text: str) -> str:
    """'15,000' / '15 000' / '15.000' -> '15000'; '2,3' -> '2.3'; '97%' -> '97'."""
    text = text.strip().replace("\u00a0", " ").rstrip("%")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", text):
        return re.sub(r"[ .,]", "", text)
    return text.replace(",", ".").replace(" ", "")


def numbers_in(text: str) -> set[str]:
    """Every figure in a text, normalised."""
    return {normalise_number(m.group(0)) for m in NUMBER.finditer(text)}


_SCALES = {1000: "thousand", 1_000_000: "million", 1_000_000_000: "billion"}


@functools.cache
def number_words(language: str) -> dict[str, int]:
    """Written-out numbers of a language, folded: {"two": 2, "dwadziescia": 20, ...}."""
    try:
        from num2words import num2words
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    table: dict[str, int] = {}
    for n in [*range(0, 101), 1000, 1_000_000, 1_000_000_000]:
        try:
            written = num2words(n, lang=language)
        except (NotImplementedError, OverflowError, ValueError, TypeError):
            return table
        folded = _number_key(written, language)
        # "one thousand" -> also "thousand"; "mot trieu" -> also "trieu"
        table.setdefault(folded, n)
        if n in _SCALES and " " in folded:
            table.setdefault(folded.split()[-1], n)
    return table


def _number_key(text: str, language: str) -> str:
    """A number word as the table keys it: folded, but for Vietnamese only lowercased, whose
    tones tell numbers from words ("tỷ" is a billion, "công ty" a company)."""
    return text.lower() if language == "vi" else fold(text)


@functools.cache
def _number_starts(language: str) -> frozenset[str]:
    """The words a written number can start with ("forty" of "forty-two")."""
    return frozenset(re.split(r"[ -]", key)[0] for key in number_words(language))


@functools.lru_cache(maxsize=50_000)
def written_numbers(text: str, language: str) -> tuple[tuple[int, int, int], ...]:
    """Numbers written as words in a text: (start, end, value), longest match first.

    Cached: answering asks it of the same candidate sentences question after question."""
    table = number_words(language)
    if not table:
        return ()
    starts = _number_starts(language)
    tokens = list(WORD.finditer(text))
    lemmas = [
        _number_key(m.group(0), language) if language == "vi" else lemma(m.group(0), language)
        for m in tokens
    ]
    found: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        if lemmas[i] not in starts and _number_key(tokens[i].group(0), language) not in starts:
            i += 1
            continue
        for size in (3, 2, 1):
            if i + size > len(tokens):
                continue
            group = tokens[i : i + size]
            key = " ".join(lemmas[i : i + size])
            if size == 2 and text[group[0].end() : group[1].start()] == "-":
                key = "-".join(_number_key(m.group(0), language) for m in group)  # "forty-two"
            if key in table:
                found.append((group[0].start(), group[-1].end(), table[key]))
                i += size
                break
        else:
            i += 1
    return tuple(found)
