"""Which language a question is in (en, pl, vi), and the fixed replies in each."""

from __future__ import annotations

import re

_VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
_POLISH = re.compile(r"[ąćęłńśźż]", re.I)
_POLISH_WORDS = {
    "ile",
    "ilu",
    "jak",
    "jaki",
    "jaka",
    "jakie",
    "czy",
    "kto",
    "co",
    "gdzie",
    "kiedy",
    "się",
    "w",
    "na",
    "został",
    "zostało",
    "oraz",
    "dlaczego",
    "który",
    "która",
    "które",
    "rok",
    "roku",
}


def detect_language(text: str) -> str:
    """A best guess among en, pl and vi, from letters and function words."""
    if _VIETNAMESE.search(text):
        return "vi"
    if _POLISH.search(text):
        return "pl"
    words = set(re.findall(r"\w+", text.lower()))
    if len(words & _POLISH_WORDS) >= 1 and not words & {"the", "how", "what", "did", "is", "was"}:
        return "pl"
    return "en"


NOT_IN_REPORTS = {
    "en": "The reports don't say.",
    "pl": "Raporty tego nie podają.",
    "vi": "Các báo cáo không nêu thông tin này.",
}
NOT_MENTIONED = {
    "en": "The reports don't say: they do not mention {names}.",
    "pl": "Raporty tego nie podają: nie wspominają o {names}.",
    "vi": "Các báo cáo không nêu thông tin này: không đề cập đến {names}.",
}
EMPTY_INDEX = {
    "en": "Nothing is indexed yet: run `reportqa index` first.",
    "pl": "Nic nie jest jeszcze zaindeksowane: uruchom najpierw `reportqa index`.",
    "vi": "Chưa có gì được lập chỉ mục: hãy chạy `reportqa index` trước.",
}


def not_in_reports(language: str, names: list[str] | None = None) -> str:
    """The honest reply when the reports do not hold the answer."""
    if names:
        return NOT_MENTIONED.get(language, NOT_MENTIONED["en"]).format(names=", ".join(names))
    return NOT_IN_REPORTS.get(language, NOT_IN_REPORTS["en"])
