"""Figures in report text: finding them, normalising them to a value and a unit, and the
counted thing they stand with ("109 modeli" -> 109, count, "modeli ...").

The write side stores these per sentence (the figures table, `indexing.store`), so a question
across reports reads every report's figures without re-reading the reports; the answering
side uses the same finder for single answers.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass

from indexing.numbers import DIGITS, NUMBER, normalise_number, written_numbers
from indexing.text import fold

_SCALE = (
    r"(?:\s+(?:tys\.|tysięcy|tysiące|mln|mld|milion\w*|miliard\w*|thousand|million|billion|"
    r"trillion|nghìn|ngàn|triệu|tỷ|tỉ))?"
)
_UNIT = r"(?:\s*(?:%|procent\w*|percent|VND|đồng|zł|złotych|USD|EUR|ha|km|m2|m²)(?!\w))?"
FIGURE = re.compile(f"(?:{DIGITS})(?!\\w){_SCALE}{_UNIT}", re.IGNORECASE)
_MONTH = re.compile(
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|styczni\w*|lut\w*|marc\w*|"
    r"kwietni\w*|maj\w?|czerwc\w*|lipc\w*|sierpni\w*|wrzesni\w*|pazdziernik\w*|"
    r"listopad\w*|grudni\w*|thang)\W*"
)
YEAR = re.compile(r"(?:19|20)\d\d")

#: Scale words, folded (a prefix for inflected Polish forms), and what they multiply by.
_SCALES = [
    (re.compile(r"^(?:tys|tysi\w*|thousands?|nghin|ngan)$"), 1e3),
    (re.compile(r"^(?:mln|milion\w*|millions?|trieu)$"), 1e6),
    (re.compile(r"^(?:mld|miliard\w*|billions?|ty|ti)$"), 1e9),
    (re.compile(r"^(?:trillions?|bilion\w*)$"), 1e12),
]
#: Unit words, folded (a prefix for inflected Polish forms), and the unit they stand for.
#: Everything else is a count of the thing named after the figure.
_UNITS = [
    (re.compile(r"^(?:%|percent|procent\w*|phan tram)"), "%"),
    (re.compile(r"^(?:vnd|dong\b|vnđ)"), "VND"),
    (re.compile(r"^(?:zl\b|zlot\w*|pln)"), "PLN"),
    (re.compile(r"^(?:usd|dolar\w*|dollars?)"), "USD"),
    (re.compile(r"^(?:eur|euro)"), "EUR"),
    (re.compile(r"^(?:m2|m²|square met\w*|sq\.? ?m|metr\w* kwadrat\w*|met vuong)"), "m2"),
    (re.compile(r"^(?:ha\b|hektar\w*|hectares?)"), "ha"),
    (re.compile(r"^(?:km\b|kilomet\w*|kilometr\w*)"), "km"),
]
#: Words after a figure that name the thing it counts (`Mention.thing`, `thing_text`).
THING_WORDS = 4


@dataclass(frozen=True)
class Figure:
    """A figure in a sentence: the display text, its normalised value and its context."""

    text: str
    value: str
    context: str


def is_date_part(sentence: str, start: int, end: int, value: str) -> bool:
    """Whether a number is a year or part of a date ("9 January", "tháng 1")."""
    if YEAR.fullmatch(value):
        return True
    after = fold(sentence[end : end + 12]).split()
    before = fold(sentence[max(0, start - 12) : start]).split()
    return bool((after and _MONTH.fullmatch(after[0])) or (before and _MONTH.fullmatch(before[-1])))


def figures_in(sentence: str, exclude: set[str], years_ok: bool = False) -> list[Figure]:
    """Candidate answer figures of a sentence: no years or dates unless asked, none that the
    question itself contains."""
    return list(_figures_in(sentence, frozenset(exclude), years_ok))


@functools.lru_cache(maxsize=50_000)
def _figures_in(sentence: str, exclude: frozenset[str], years_ok: bool) -> tuple[Figure, ...]:
    # Cached: the same candidate sentences come up question after question.
    found: list[Figure] = []
    for match in FIGURE.finditer(sentence):
        number = NUMBER.match(sentence, match.start())
        if number is None:
            continue
        value = normalise_number(number.group(0))
        if value in exclude:
            continue
        if not years_ok and is_date_part(sentence, match.start(), number.end(), value):
            continue
        context = " ".join(sentence[match.start() :].split()[:5])
        found.append(Figure(text=match.group(0).strip(), value=value, context=context))
    return tuple(found)


@dataclass(frozen=True)
class Mention:
    """A figure of the figures table: where it stands, its value in base units (scale words
    applied), its unit ("" for a count) and the words it counts or qualifies."""

    start: int
    end: int
    text: str
    value: float
    unit: str
    thing: str


#: The rest of a range after its first number ("27-30%", "100–150 species", "5 do 7"): the
#: first number has the unit and the thing that follow the second.
_RANGE = re.compile(r"\s*(?:[-–—]|to|do|đến|tới|до)\s*\d+(?:[.,]\d+)?(?!\d)", re.IGNORECASE)


def _unit_and_thing(after: str) -> tuple[str, str, float, int]:
    """The unit, the counted thing, the scale and how many characters of `after` the scale
    and unit words take, from the words after a figure."""
    scale, used = 1.0, 0
    span = _RANGE.match(after)
    if span:
        unit, thing, scale, _ = _unit_and_thing(after[span.end() :])
        return unit, thing, scale, 0
    word = re.match(r"\s*([^\W\d_]+)\.?", after)
    if word:
        scale = next((m for pattern, m in _SCALES if pattern.match(fold(word.group(1)))), 1.0)
        if scale > 1:
            used = word.end()
    rest = after[used:]
    folded = fold(rest)
    unit = ""
    for pattern, name in _UNITS:
        match = pattern.match(folded.lstrip())
        if match:
            unit = name
            if len(folded) == len(rest):  # folding kept the length: the span maps back
                used += len(folded) - len(folded.lstrip()) + len(match.group(0))
            break
    clause = re.split(r"[,.;:()!?]", after, maxsplit=1)[0]
    thing = " ".join(re.findall(r"[^\W\d_]+", clause)[:THING_WORDS])
    return unit, thing, scale, used


def unit_after(sentence: str, end: int) -> str:
    """The unit of the figure whose number ends at `end` ("" for a count), read from the
    words after it as `mentions` reads them ("1,5 miliarda VND" -> "VND", "2,1%" -> "%")."""
    return _unit_and_thing(sentence[end : end + 80])[0]


def mentions(sentence: str, language: str) -> list[Mention]:
    """Every figure of a sentence that is not a year or a date, digits and number words,
    with its normalised value and unit."""
    found: list[Mention] = []
    for match in NUMBER.finditer(sentence):
        raw = normalise_number(match.group(0))
        if is_date_part(sentence, match.start(), match.end(), raw):
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        unit, thing, scale, used = _unit_and_thing(sentence[match.end() : match.end() + 80])
        full = FIGURE.match(sentence, match.start())
        end = max(full.end() if full else match.end(), match.end() + used)
        found.append(
            Mention(match.start(), end, sentence[match.start() : end], value * scale, unit, thing)
        )
    for start, end, value in written_numbers(sentence, language):
        if any(m.start <= start < m.end for m in found) or value in (0, 1):
            continue  # "one of", "a" and "zero" are words far more often than figures
        unit, thing, scale, used = _unit_and_thing(sentence[end : end + 80])
        if not thing or re.match(r"\s*\d", sentence[end:]):
            continue  # a number word that counts nothing is a word: Vietnamese "năm 2023"
        end += used
        found.append(Mention(start, end, sentence[start:end], value * scale, unit, thing))
    return sorted(found, key=lambda m: m.start)


def encode(found: list[Mention]) -> str:
    """The figures of one sentence as stored (JSON in the unit's metadata)."""
    return json.dumps([asdict(m) for m in found], ensure_ascii=False, separators=(",", ":"))


def decode(stored: str) -> list[Mention]:
    """The figures of one sentence as read back from the store."""
    return [Mention(**m) for m in json.loads(stored)] if stored else []


def thing_text(sentence: str, mention: Mention) -> str:
    """The words at a figure, as its thing is embedded: the figure and the words after it in
    its clause ("5 xy-lanh (không kết hợp)"). The indexer stores these vectors, so that a
    comparison matches the thing asked against every report's figures without embedding."""
    clause = re.split(r"[,;:()!?]|\.(?!\d)", sentence[mention.end :], maxsplit=1)[0]
    return " ".join([mention.text, *clause.split()[:THING_WORDS]])
