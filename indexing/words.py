"""Single words as evidence across languages: which words of a question carry what it asks
about, and e5 vectors of single words, so "hospitals" can be checked against "szpitali" and
"bệnh viện" where lemmas only meet within one language. Measured as refusal features on the
public sets and not shipped (README, "How each part earned its place"): the training script
computes them, the product only when a model uses them.

Measured with the bundled e5 (`query:` word against `passage:` word): a translation scores
0.82-0.94, and an unrelated word 0.77-0.86, so a raw similarity says little. What says more is
how far the best word of a sentence stands out from the sentence's other words: the
target-side half of CSLS (Conneau et al. 2018), with the sentence as the neighbourhood.

Stop words come from stopwordsiso (ships its lists); Vietnamese ones span syllables
("bao nhiêu"), so they are removed as phrases.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from itertools import groupby
from operator import itemgetter

import numpy as np

from indexing.lexical import words

#: Longest stop-word phrase matched, in words (Vietnamese "biết bao nhiêu").
_LONGEST = 4


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop words, lower-cased (empty for a language without a list)."""
    try:
        import stopwordsiso
    except ImportError:  # pragma: no cover - a declared dependency
        return frozenset()
    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(w.lower() for w in stopwordsiso.stopwords(language))


def _content_runs(text: str, language: str, skip_names: bool) -> list[list[str]]:
    """Runs of adjacent content words (not stop words, figures or, with `skip_names`,
    capitalised words past the start), lower-cased."""
    stops = stop_words(language)
    tokens = words(text)
    lowered = [t.lower() for t in tokens]
    keep = [True] * len(tokens)
    i = 0
    while i < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            if " ".join(lowered[i : i + n]) in stops:
                keep[i : i + n] = [False] * n
                i += n - 1
                break
        i += 1
    for i, token in enumerate(tokens):
        figure = any(ch.isdigit() for ch in token) or len(token) < 2
        if figure or (skip_names and i > 0 and token[:1].isupper()):
            keep[i] = False
    pairs = zip(lowered, keep, strict=True)
    return [[w for w, _ in run] for kept, run in groupby(pairs, key=itemgetter(1)) if kept]


def content_words(text: str, language: str, skip_names: bool = False) -> list[str]:
    """What a question asks about, as units to embed: its content words (not stop words,
    figures or, with `skip_names`, capitalised words past the start), each once. Vietnamese
    writes a word as several syllables ("bệnh viện", hospital), so there each run of content
    syllables is one unit."""
    runs = _content_runs(text, language, skip_names)
    units = [" ".join(run) for run in runs] if language == "vi" else [w for r in runs for w in r]
    return list(dict.fromkeys(units))


def sentence_units(text: str, language: str) -> list[str]:
    """A sentence's content words to match question units against; in Vietnamese also each
    pair of adjacent syllables (most Vietnamese words have two)."""
    runs = _content_runs(text, language, skip_names=False)
    units = [w for run in runs for w in run]
    if language == "vi":
        units += [f"{a} {b}" for run in runs for a, b in zip(run, run[1:], strict=False)]
    return list(dict.fromkeys(units))


class WordVectors:
    """e5 vectors of single words, embedded once per process and kept (a word's vector is a
    function of the word and the model alone, so nothing here can go stale)."""

    def __init__(
        self,
        embed_queries: Callable[[Sequence[str]], np.ndarray],
        embed_passages: Callable[[Sequence[str]], np.ndarray],
        limit: int = 200_000,
    ) -> None:
        self._embed = {"q": embed_queries, "p": embed_passages}
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def vectors(self, items: Sequence[str], role: str) -> np.ndarray:
        """Vectors of words, as queries (`role` "q") or passages ("p"); (len(items), dim)."""
        if not items:
            return np.zeros((0, 1), dtype=np.float32)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for word in dict.fromkeys(items):
                if (role, word) in self._cache:
                    found[word] = self._cache[(role, word)]
        missing = [w for w in dict.fromkeys(items) if w not in found]
        if missing:
            embedded = self._embed[role](missing)
            new = {
                w: np.asarray(v, dtype=np.float32) for w, v in zip(missing, embedded, strict=True)
            }
            with self._lock:
                if len(self._cache) + len(new) > self._limit:
                    self._cache.clear()
                self._cache.update({(role, w): v for w, v in new.items()})
            found |= new
        return np.stack([found[w] for w in items])


def stand_out(question_words: np.ndarray, sentence_words: np.ndarray) -> np.ndarray:
    """For each question word: its best similarity to a sentence word minus its mean
    similarity to the sentence's words (how clearly one word of the sentence is its match)."""
    if not len(question_words) or not len(sentence_words):
        return np.zeros(len(question_words))
    similarity = question_words @ sentence_words.T
    return similarity.max(axis=1) - similarity.mean(axis=1)
