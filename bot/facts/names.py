"""Names as hard evidence: a question about a place or person that the reports do not
mention is not answered from a report about another one ("How many models were replicated in
Ba Dinh?" is not Thanh Liem's forty-two).

A name counts as mentioned when every word of it stands in a candidate paragraph or its
report's title: by lemma, stem or accent-folded form ("Kim Bảng" is "Kim Bang", "Warszawy"
is "Warszawa"), or spelt nearly alike (a typo: "Carslbad"). Across languages a name is only
checked where it would be written the same: its words that are no word of the question's
language (simplemma's dictionary knows "Poland" and "Warsaw", which translations change, but
not "Dinh" or "Ekstraklasa"), when both sides are written in the Latin alphabet. Acronyms are
not checked ("UN" is as often "United Nations"). Measured on the
public sets in the README ("Answer quality": the name rule's rows).
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING

from indexing.lexical import names, terms, words
from indexing.text import fold

if TYPE_CHECKING:
    from bot.facts.features import CandidateParagraph, QuestionInfo

#: Two spellings of a word of at least `_FUZZY_LENGTH` letters are one name at this
#: similarity (difflib's ratio): one or two letters apart in a word of eight.
_FUZZY = 0.8
_FUZZY_LENGTH = 5


def unmentioned_names(
    info: QuestionInfo, candidates: list[CandidateParagraph], across: bool = False
) -> list[str]:
    """The question's names, as written, that no candidate paragraph or report title
    mentions. When a candidate is in the question's language, every name is checked (the
    name rule refuses then); else only with `across`, and only the words written alike in
    every language (the refusal model weighs that as evidence: measured on the public
    sets, translations spell too many such names their own way for a rule)."""
    spans = names(info.text, info.language)
    same_language = any(c.language == info.language for c in candidates)
    if not spans or not candidates or not (same_language or across):
        return []
    seen = frozenset().union(*(c.vocabulary | c.title_vocabulary for c in candidates))
    texts = tuple(c.text for c in candidates) + tuple(c.title for c in candidates)
    latin = not same_language and _latin(" ".join(c.text for c in candidates[:3]))
    missing = []
    for span in spans:
        written = info.text[span.start : span.end]
        forms = terms(written, info.language)
        unmatched = [
            word
            for word, word_forms in zip(words(written), forms, strict=False)
            # Acronyms and Roman numerals ("UN", "XIX") are spelt out as often as not.
            if not word.isupper()
            and not word_forms & seen
            and not _near(fold(word), _spellings(texts))
        ]
        if not same_language:
            # Across languages only a word written alike in every language says anything.
            unmatched = [w for w in unmatched if latin and _latin(w) and _foreign(w, info.language)]
        if unmatched:
            missing.append(written)
    return missing


@functools.lru_cache(maxsize=2048)
def _spellings(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({fold(w) for t in texts for w in words(t) if len(w) >= _FUZZY_LENGTH}))


def _near(word: str, spelt: tuple[str, ...]) -> bool:
    if len(word) < _FUZZY_LENGTH:
        return False
    return bool(difflib.get_close_matches(word, spelt, n=1, cutoff=_FUZZY))


def _latin(text: str) -> bool:
    """Whether a text's letters are mostly Latin (accents aside)."""
    letters = [ch for ch in fold(text) if ch.isalpha()]
    return bool(letters) and sum(ch.isascii() for ch in letters) >= 0.8 * len(letters)


def _foreign(word: str, language: str) -> bool:
    """Whether a word of a name is no word of its question's language (written alike in
    every language), where that language has a dictionary to ask."""
    from indexing.lemmas import known_word

    return known_word(word, language) is False
