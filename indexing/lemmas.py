"""Lemmas: simplemma (ships its dictionaries), so "Warszawy" meets "Warszawa" and "modeli"
meets "model". Vietnamese does not inflect and simplemma has no data for it: folded tokens
stand as they are.

simplemma parses a language's dictionary on first use: 1.6 s for Polish, as long again for
English, paid by every cold `reportqa ask`. `prepare_dictionaries` (the indexer calls it)
stores each language's dictionary once per machine as a MARISA trie, which then opens in
milliseconds (memory-mapped, shared between processes); the lemmas are the same, from the
same data. A language without a prepared trie falls back to simplemma's own reader.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from indexing.cache import cache_dir, write_atomic
from indexing.text import POSSESSIVE, fold

_build_lock = threading.Lock()
#: Languages whose dictionary this process has opened.
_opened: set[str] = set()


def dictionary_dir() -> Path:
    """Where prepared dictionaries live: the user's cache, by simplemma version."""
    from simplemma.__metadata__ import __version__

    return cache_dir() / f"simplemma-{__version__}"


@functools.cache
def _simplemma_languages() -> frozenset[str]:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return frozenset(SUPPORTED_LANGUAGES)


def opened_languages() -> set[str]:
    """The languages whose dictionary this process has opened (to prepare after indexing)."""
    return set(_opened)


def missing_dictionaries(languages: Iterable[str]) -> list[str]:
    """Those of the languages simplemma has a dictionary for that are not prepared yet."""
    return [
        language
        for language in dict.fromkeys(languages)
        if language in _simplemma_languages()
        and not (dictionary_dir() / f"{language}.dic").exists()
    ]


def prepare_dictionaries(languages: Iterable[str]) -> list[str]:
    """Store the tries of the languages that have none yet; return those built.

    Building takes a few seconds a language, once per machine.
    """
    built = []
    for language in dict.fromkeys(languages):
        if language not in _simplemma_languages():
            continue
        target = dictionary_dir() / f"{language}.dic"
        with _build_lock:
            if not target.exists() and write_atomic(target, _trie(language).save):
                built.append(language)
    return built


def _trie(language: str):  # noqa: ANN202 - marisa_trie.BytesTrie
    from marisa_trie import BytesTrie
    from simplemma.strategies.dictionaries.dictionary_factory import (
        _load_dictionary_from_disk,
    )

    raw = _load_dictionary_from_disk(language)
    return BytesTrie((key.decode(), value) for key, value in raw.items())


@functools.cache
def _dictionaries():  # noqa: ANN202 - a simplemma DictionaryFactory
    from simplemma.strategies.dictionaries.dictionary_factory import CachingDictionaryFactory
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    stream = StreamDictionaryFactory()

    class Dictionaries(CachingDictionaryFactory):
        """The prepared trie of a language when there is one, else simplemma's reader."""

        def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
            _opened.add(lang)
            path = dictionary_dir() / f"{lang}.dic"
            if path.exists():
                try:
                    from marisa_trie import BytesTrie
                    from simplemma.strategies.dictionaries.trie_dictionary_factory import (
                        TrieWrapDict,
                    )

                    return TrieWrapDict(BytesTrie().mmap(str(path)))
                except Exception:  # unreadable: the reader below gives the same lemmas
                    pass
            return stream.get_dictionary(lang)

    return Dictionaries()


@functools.cache
def _lemmatizer():  # noqa: ANN202 - simplemma Lemmatizer
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_dictionaries()))


@functools.cache
def _lookup():  # noqa: ANN202 - simplemma DictionaryLookupStrategy
    from simplemma.strategies import DictionaryLookupStrategy

    return DictionaryLookupStrategy(_dictionaries())


@functools.lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """The folded lemma of one word (the folded word where there is no dictionary)."""
    word = POSSESSIVE.sub("", word) or word
    if language in _simplemma_languages() and not word.isdigit():
        word = _lemmatizer().lemmatize(word, language)
    return fold(word)


def known_word(word: str, language: str) -> bool | None:
    """Whether simplemma's dictionary of the language knows the word (lower-cased); None
    for a language without one."""
    if language not in _simplemma_languages():
        return None
    from simplemma.utils import normalize_token

    return _lookup().get_lemma(normalize_token(word.lower()), language) is not None
