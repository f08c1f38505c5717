"""Lemmas: simplemma (ships its dictionaries), so "Warszawy" meets "Warszawa" and "modeli"
meets "model". Vietnamese does not inflect and simplemma has no data for it: folded tokens
stand as they are."""

from __future__ import annotations

import functools

from indexing.text import POSSESSIVE, fold


@functools.cache
def _simplemma_languages() -> frozenset[str]:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return frozenset(SUPPORTED_LANGUAGES)


@functools.lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """The folded lemma of one word (the folded word where there is no dictionary)."""
    word = POSSESSIVE.sub("", word) or word
    if language in _simplemma_languages() and not word.isdigit():
        from simplemma import lemmatize

        # low_memory: the same dictionaries, loaded in 2 s instead of 3.3 s (Polish).
        word = lemmatize(word, lang=language, low_memory=True)
    return fold(word)


def known_word(word: str, language: str) -> bool | None:
    """Whether simplemma's dictionary of the language knows the word (lower-cased); None
    for a language without one."""
    if language not in _simplemma_languages():
        return None
    from simplemma import is_known

    return bool(is_known(word.lower(), lang=language))
