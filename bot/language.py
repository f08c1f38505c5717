"""The fixed replies in each reply language (en, pl, vi), and which one to use."""

from __future__ import annotations


def detect_language(text: str) -> str:
    """The reply language of a text: en, pl or vi (py3langid; English when unsure)."""
    from indexing.lexical import reply_language

    return reply_language(text)


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
