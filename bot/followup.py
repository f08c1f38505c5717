"""Follow-up questions without an LLM: "And in Duy Tien?" after a question about Kim Bang
becomes the earlier question with the place replaced."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.figures import NUMBER
from bot.language import detect_language
from bot.lexicon import name_spans
from bot.models import Turn

_ELLIPTICAL = re.compile(
    r"^\s*(?:and|what about|how about|and what about|also|same for|a co z|a jak|a w|a ile|"
    r"oraz|a|còn|thế còn|và|vậy còn)\b",
    re.IGNORECASE,
)
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


def _append(question: str, tail: str) -> str:
    stripped = question.rstrip(" ?.!")
    end = question[len(stripped) :].strip() or "?"
    return f"{stripped} {tail}{end}"
