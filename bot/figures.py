"""Figures: finding them in text, normalising them, and spotting questions that ask for one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexing.text import fold

_CORE = r"(?<![\w.,])\d+(?:[ \u00a0.,]\d{3})*(?:[.,]\d+)?"
NUMBER = re.compile(_CORE + r"(?!\w)")
_SCALE = (
    r"(?:\s+(?:tys\.|tysięcy|tysiące|mln|mld|milion\w*|miliard\w*|thousand|million|billion|"
    r"trillion|nghìn|ngàn|triệu|tỷ|tỉ))?"
)
_UNIT = r"(?:\s*(?:%|procent\w*|percent|VND|đồng|zł|złotych|USD|EUR|ha|km|m2|m²))?"
FIGURE = re.compile(f"(?:{_CORE})(?!\\w){_SCALE}{_UNIT}", re.IGNORECASE)
_MONTH = re.compile(
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|styczni\w*|lut\w*|marc\w*|"
    r"kwietni\w*|maj\w?|czerwc\w*|lipc\w*|sierpni\w*|wrzesni\w*|pazdziernik\w*|"
    r"listopad\w*|grudni\w*|thang)\W*"
)
_YEAR = re.compile(r"(?:19|20)\d\d")

QUANTITY = re.compile(
    r"\b(?:how many|how much|what (?:was|is|were|are) the (?:number|amount|total|rate|share|"
    r"percentage|budget|cost|value|population)|number of|percentage|percent|rate|budget|"
    r"amount|population|ile|ilu|ilość|liczba|liczbę|jaki procent|jaka kwota|kwot\w*|"
    r"budżet\w*|odsetek|bao nhiêu|mấy|số lượng|tỷ lệ|dân số|ngân sách)\b",
    re.IGNORECASE,
)
_AUX = (
    r"(?:did|do|does|were|was|are|is|have|has|had|will|would|can|could|in|of|for|w|we|na|"
    r"przez|dla|został\w*|było|były|jest|są|trong|năm|ở|tại|của|được|đã|là)"
)
_TARGETS = [
    re.compile(r"^(.+?) (?:là|bằng) bao nhiêu", re.IGNORECASE),  # "Dân số X là bao nhiêu"
    re.compile(r"how (?:many|much) (.+?)(?= " + _AUX + r"\b|\?|$)", re.IGNORECASE),
    re.compile(r"\bil(?:e|u) (.+?)(?= " + _AUX + r"\b|\?|$)", re.IGNORECASE),
    re.compile(r"bao nhiêu (.+?)(?= " + _AUX + r"\b|\?|$)", re.IGNORECASE),
    re.compile(r"\bwhat (?:was |is |were |are )?(?:the )?(.+?)(?= " + _AUX + r"\b|\?|$)", re.I),
]


def normalise_number(text: str) -> str:
    """'15,000' / '15 000' / '15.000' -> '15000'; '2,3' -> '2.3'; '97%' -> '97'."""
    text = text.strip().replace("\u00a0", " ").rstrip("%")
    if re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})+", text):
        return re.sub(r"[ .,]", "", text)
    return text.replace(",", ".").replace(" ", "")


def numbers_in(text: str) -> set[str]:
    """Every figure in a text, normalised."""
    return {normalise_number(m.group(0)) for m in NUMBER.finditer(text)}


def asks_for_quantity(question: str) -> bool:
    """Whether the question wants a figure (how many, ile, bao nhiêu, what budget, ...)."""
    return bool(QUANTITY.search(question))


def asks_for_year(question: str) -> bool:
    """Whether the question wants a year or date (then years are candidate answers)."""
    return bool(
        re.search(
            r"\b(?:when|which year|what year|kiedy|w którym roku|khi nào|năm nào)\b",
            question,
            re.IGNORECASE,
        )
    )


def quantity_target(question: str) -> str | None:
    """What is being counted ('skilled mass mobilization models' in 'How many ... were ...')."""
    for pattern in _TARGETS:
        match = pattern.search(question)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return None


@dataclass(frozen=True)
class Figure:
    """A figure in a sentence: the display text, its normalised value and its context."""

    text: str
    value: str
    context: str


def figures_in(sentence: str, exclude: set[str], years_ok: bool = False) -> list[Figure]:
    """Candidate answer figures of a sentence: no years or dates unless asked, none that the
    question itself contains."""
    found: list[Figure] = []
    for match in FIGURE.finditer(sentence):
        number = NUMBER.match(sentence, match.start())
        if number is None:
            continue
        value = normalise_number(number.group(0))
        if value in exclude:
            continue
        if not years_ok:
            if _YEAR.fullmatch(value):
                continue
            after = fold(sentence[number.end() : number.end() + 12]).split()
            before = fold(sentence[max(0, match.start() - 12) : match.start()]).split()
            if (after and _MONTH.fullmatch(after[0])) or (before and _MONTH.fullmatch(before[-1])):
                continue
        context = " ".join(sentence[match.start() :].split()[:5])
        found.append(Figure(text=match.group(0).strip(), value=value, context=context))
    return found
