"""Follow-up questions without an LLM: "And in Duy Tien?" after a question about Kim Bang
becomes the earlier question with the place replaced."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.language import detect_language
from bot.models import Turn
from indexing.lexical import NameSpan
from indexing.numbers import NUMBER
from indexing.text import fold

_ELLIPTICAL = re.compile(
    r"^\s*(?:and|what about|how about|and what about|also|same for|a co z|a jak|a w|a ile|"
    r"oraz|a|còn|thế còn|và|vậy còn)\b",
    re.IGNORECASE,
)
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


_IN = {"en": "in", "pl": "w", "vi": "ở"}
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def is_elliptical(question: str) -> bool:
    """A question that leans on the previous one ("And in Duy Tien?", "A w 2024?")."""
    words = re.findall(r"\w+", question)
    return bool(_ELLIPTICAL.match(question)) or 0 < len(words) <= 3


def resolve_followup(question: str, history: Sequence[Turn] | None) -> str:
    """The standalone question to answer, given the conversation so far."""
    if not history or not is_elliptical(question):
        return question
    base = history[-1].question.strip()
    switched = _switch_kind(question, base)
    if switched:
        return switched
    new_names = name_spans(question)
    if new_names:
        new = question[new_names[0].start : new_names[0].end]
        old = name_spans(base)
        if old:
            return base[: old[0].start] + new + base[old[0].end :]
        return _append(base, f"{_IN.get(detect_language(base), 'in')} {new}")
    new_years = _YEAR.findall(question)
    if new_years:
        if _YEAR.search(base):
            return _YEAR.sub(new_years[0], base, count=1)
        return _append(base, f"{_IN.get(detect_language(base), 'in')} {new_years[0]}")
    old = name_spans(base)
    if old and not NUMBER.search(question):
        # "What about religious activity?" keeps the place the conversation is about.
        places = ", ".join(base[s.start : s.end] for s in old)
        return _append(question.strip(), f"({places})")
    return question


def _switch_kind(question: str, base: str) -> str | None:
    """ "And the total?" after a comparison (or "And which has the most?" after a total):
    the earlier question, asked as the new kind, so the counted thing carries over."""
    from bot.question.kinds import ACROSS, classify, followup_reading, marked

    new = followup_reading(question)
    if new is None or len(re.findall(r"\w+", question)) > 6:
        return None
    old = classify(base)
    if old.kind not in (*ACROSS, "figure") or old == new:
        return None
    return marked(base, new, detect_language(base))


def _append(question: str, tail: str) -> str:
    stripped = question.rstrip(" ?.!")
    end = question[len(stripped) :].strip() or "?"
    return f"{stripped} {tail}{end}"
