"""Lexical evidence where it is strong: names of places and people, and figures.

Dense retrieval confuses districts that report similar things; the names in a question
settle which report it is about. Built from the store's own contents (so it works with
a Chroma server and nothing local), accent-folded so "Kim Bảng" matches "Kim Bang".
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from dataclasses import dataclass, field

from bot.figures import numbers_in
from indexing.store import Store
from indexing.text import fold

_TOKEN = re.compile(r"\w+(?:['’]\w+)*")

# Words that start a question, or are capitalised without naming anything specific.
_QUESTION_WORDS = {
    "how",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "will",
    "would",
    "has",
    "have",
    "had",
    "and",
    "in",
    "for",
    "tell",
    "list",
    "give",
    "show",
    "please",
    "the",
    "a",
    "an",
    "ile",
    "ilu",
    "jak",
    "jaki",
    "jaka",
    "jakie",
    "jakich",
    "jakiej",
    "co",
    "kto",
    "kiedy",
    "gdzie",
    "czy",
    "dlaczego",
    "ktory",
    "ktora",
    "ktore",
    "oraz",
    "i",
    "w",
    "we",
    "na",
    "podaj",
    "va",
    "con",
    "bao",
    "ai",
    "khi",
    "nao",
    "tai",
    "sao",
    "o",
    "nhu",
    "nam",
    "ngay",
}
# Administrative and organisational words: capitalised in names like "Kim Bang District
# Party Committee" but shared by every report, so they say nothing about which one.
_GENERIC = {
    "district",
    "districts",
    "city",
    "province",
    "provincial",
    "commune",
    "communes",
    "town",
    "township",
    "ward",
    "village",
    "party",
    "committee",
    "committees",
    "people",
    "people's",
    "council",
    "department",
    "office",
    "union",
    "front",
    "fatherland",
    "state",
    "government",
    "national",
    "standing",
    "secretary",
    "chairman",
    "chair",
    "president",
    "mr",
    "mrs",
    "ms",
    "dystrykt",
    "dystryktu",
    "dystrykcie",
    "rejon",
    "rejonu",
    "rejonowej",
    "rejonowy",
    "komitet",
    "komitetu",
    "komitecie",
    "partii",
    "partia",
    "miasto",
    "miasta",
    "miescie",
    "gmina",
    "gminy",
    "gminie",
    "prowincja",
    "prowincji",
    "wojewodztwo",
    "ojczyzny",
    "ludowy",
    "ludowego",
    "ludowej",
    "pan",
    "pani",
    "huyen",
    "tinh",
    "xa",
    "quan",
    "phuong",
    "thi",
    "tran",
    "uy",
    "ban",
    "dang",
    "bo",
    "ong",
    "ba",
}


@dataclass(frozen=True)
class NameSpan:
    """A name in a question: its folded form and where it stands in the original text."""

    name: str
    start: int
    end: int


def name_spans(question: str) -> list[NameSpan]:
    """Names in a question: runs of capitalised words, trimmed of generic words."""
    tokens = list(_TOKEN.finditer(question))
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for i, match in enumerate(tokens):
        token = match.group(0)
        capitalised = token[:1].isupper() and not token.isdigit()
        if capitalised and not (i == 0 and fold(token) in _QUESTION_WORDS):
            current.append(match)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    spans: list[NameSpan] = []
    for run in runs:
        if run[0] is tokens[0] and len(run) == 1:
            continue  # a capitalised first word is usually just the sentence start
        while run and fold(run[0].group(0)) in _GENERIC | _QUESTION_WORDS:
            run = run[1:]
        while run and fold(run[-1].group(0)) in _GENERIC:
            run = run[:-1]
        if not run or (len(run) == 1 and len(run[0].group(0)) < 2):
            continue
        name = " ".join(fold(m.group(0)) for m in run)
        spans.append(NameSpan(name=name, start=run[0].start(), end=run[-1].end()))
    return spans


def question_names(question: str) -> list[str]:
    """Folded name phrases in a question ("Kim Bảng" -> "kim bang"), in order, unique."""
    return list(dict.fromkeys(span.name for span in name_spans(question)))


def question_numbers(question: str) -> list[str]:
    """Figures and years mentioned in a question, normalised (no separators)."""
    return sorted(numbers_in(question))


def _stem(token: str) -> str:
    # Polish inflects names ("w Kim Bangu"); a prefix match tolerates that.
    return token if len(token) <= 4 else token[: max(4, len(token) - 2)]


@dataclass
class Lexicon:
    """Which reports contain which words; built once from the store, refreshed on change."""

    report_tokens: dict[str, set[str]] = field(default_factory=dict)
    report_text: dict[str, str] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    postings: dict[str, set[str]] = field(default_factory=dict)
    paragraph_numbers: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store) -> Lexicon:
        """Read every paragraph (and report title) from the store."""
        lexicon = cls()
        texts: dict[str, list[str]] = {}
        col = store.paragraphs
        total = col.count()
        step = max(1, min(store.max_batch, 5000))
        for offset in range(0, total, step):
            got = col.get(include=["documents", "metadatas"], limit=step, offset=offset)
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                source = meta["source"]
                if source not in texts:
                    texts[source] = [str(meta.get("title", ""))]
                texts[source].append(doc)
                lexicon.paragraph_numbers[pid] = numbers_in(doc)
        for source, parts in texts.items():
            folded = fold(" \n ".join(parts))
            lexicon.report_text[source] = folded
            tokens = set(_TOKEN.findall(folded))
            lexicon.report_tokens[source] = tokens
            for token in tokens:
                lexicon.postings.setdefault(token, set()).add(source)
        lexicon.vocabulary = sorted(lexicon.postings)
        return lexicon

    def _reports_with_prefix(self, prefix: str) -> set[str]:
        found: set[str] = set()
        i = bisect.bisect_left(self.vocabulary, prefix)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(prefix):
            found |= self.postings[self.vocabulary[i]]
            i += 1
        return found

    def reports_naming(self, name: str) -> set[str]:
        """Reports whose text contains the (folded) name phrase, inflections allowed."""
        words = name.split()
        if not words:
            return set()
        candidates: set[str] | None = None
        for word in words:
            hits = self._reports_with_prefix(_stem(word))
            candidates = hits if candidates is None else candidates & hits
            if not candidates:
                return set()
        if len(words) == 1:
            return candidates or set()
        pattern = re.compile(
            r"\b" + r"\W+".join(re.escape(_stem(w)) + r"\w*" for w in words) + r"\b"
        )
        return {s for s in candidates or () if pattern.search(self.report_text[s])}


class LexiconCache:
    """Keeps one Lexicon per store, rebuilt when the index changes (checked cheaply)."""

    def __init__(self, store: Store, max_age: float = 30.0) -> None:
        self.store = store
        self.max_age = max_age
        self._lexicon: Lexicon | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> Lexicon:
        """The current lexicon."""
        with self._lock:
            now = time.monotonic()
            if self._lexicon is not None and now - self._checked < self.max_age:
                return self._lexicon
            signature = (self.store.paragraphs.count(), self._manifest_stamp())
            if self._lexicon is None or signature != self._signature:
                self._lexicon = Lexicon.build(self.store)
                self._signature = signature
            self._checked = now
            return self._lexicon

    def _manifest_stamp(self) -> int:
        # Report count plus a hash of the manifest's ids/statuses catches edits that keep
        # the paragraph count, without reading any paragraph.
        got = self.store.reports_collection.get(include=["metadatas"])
        return hash(tuple(sorted(zip(got["ids"], (str(m) for m in got["metadatas"]), strict=True))))
