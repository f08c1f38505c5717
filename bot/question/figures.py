"""The figure a question asks for: whether it asks for one, of which kind (money, area,
percentage, count) and the thing it counts."""

from __future__ import annotations

import re

from indexing.text import fold

__all__ = [
    "asks_for_quantity",
    "asked_unit",
    "asks_for_year",
    "quantity_target",
    "unit_kind",
]

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


_CURRENCIES = {"VND", "PLN", "USD", "EUR"}
_AREAS = {"m2", "ha"}
_ASKS = [
    (
        "money",
        r"\b(?:money|funds?|fund|budget|cost|spent|spend|vnd|dong|pieniadz\w*|pieniedzy|"
        r"kwot\w*|budzet\w*|srodk\w*|zlot\w*|tien|kinh phi|ngan sach|von)\b",
    ),
    (
        "area",
        r"\b(?:land|area|square|m2|hectares?|grunt\w*|ziemi\w*|powierzchni\w*|hektar\w*|dat|"
        r"dien tich|met vuong)\b",
    ),
    ("percent", r"(?:%|\bpercent\w*|\bprocent\w*|\bodset\w*|\bphan tram|\bty le)"),
    # Giving verbs name money only when no kind is named ("donated land" is land).
    ("money", r"\b(?:contribut\w*|donat\w*|przekazal\w*|dong gop)\b"),
]


def asked_unit(question: str) -> str:
    """What kind of figure a question asks for: money, area, percent or count (word lists
    of each language: the answer-type cue, as "how many" is for single answers)."""
    folded = fold(question)
    return next((kind for kind, p in _ASKS if re.search(p, folded)), "count")


def unit_kind(unit: str) -> str:
    """The kind of a stored unit: money, area, percent, length or count."""
    if unit in _CURRENCIES:
        return "money"
    if unit in _AREAS:
        return "area"
    if unit == "%":
        return "percent"
    return "length" if unit == "km" else "count"
