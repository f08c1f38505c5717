"""Figures: finding them in text, normalising them, and spotting questions that ask for one."""

from __future__ import annotations

import re

from indexing.figures import NUMBER, Figure, figures_in, normalise_number, numbers_in

__all__ = [
    "NUMBER",
    "Figure",
    "asks_for_quantity",
    "asks_for_year",
    "figures_in",
    "normalise_number",
    "numbers_in",
    "quantity_target",
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
