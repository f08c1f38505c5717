"""Questions about the reports themselves: what one is about (its title and lead, the way news
summaries are built), who wrote it, when and where it is from, and which reports there are.

Everything comes from what the indexer stored (the manifest, the lead and byline paragraphs)
and is cited to the paragraph it stands in; what no paragraph holds is not asserted.
"""

from __future__ import annotations

import functools
import re

from bot.facts.features import QuestionInfo
from bot.models import Answer, Citation
from bot.question.kinds import Reading
from indexing import lexical
from indexing.store import ReportEntry, Store, StoredParagraph
from indexing.text import split_sentences

#: At most this many reports are listed in one answer (`reportqa stats` lists them all).
MAX_LINES = 50
#: A summary quotes the lead's first sentences up to about this many characters.
SUMMARY_CHARS = 400

_TEXT = {
    "en": {
        "none": "not stated",
        "no_author": "The report does not name its author.",
        "no_date": "The report gives no date.",
        "have": "{n} reports are indexed:",
        "have_one": "1 report is indexed:",
        "more": "… and {n} more (`reportqa stats` lists them all)",
        "properties": "(from the file's properties)",
        "dated": "Dated in its lead:",
    },
    "pl": {
        "none": "brak danych",
        "no_author": "Raport nie podaje autora.",
        "no_date": "Raport nie podaje daty.",
        "have": "Zaindeksowane raporty ({n}):",
        "have_one": "Zaindeksowany raport (1):",
        "more": "… i {n} więcej (pełna lista: `reportqa stats`)",
        "properties": "(z właściwości pliku)",
        "dated": "Data we wstępie:",
    },
    "vi": {
        "none": "không nêu",
        "no_author": "Báo cáo không nêu tác giả.",
        "no_date": "Báo cáo không nêu ngày.",
        "have": "Có {n} báo cáo đã được lập chỉ mục:",
        "have_one": "Có 1 báo cáo đã được lập chỉ mục:",
        "more": "… và {n} báo cáo khác (`reportqa stats` liệt kê tất cả)",
        "properties": "(từ thuộc tính của tệp)",
        "dated": "Ngày ghi ở phần mở đầu:",
    },
}
# A date as reports write it: "9 January 2024", "w styczniu 2024 r.", "ngày 9/1/2024".
_DATE = re.compile(
    r"\b(?:\d{1,2}\.? )?(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December|stycz\w+|lut\w+|marc\w+|kwie\w+|maj\w*|czerw\w+|lip\w+|"
    r"sierp\w+|wrze\w+|październik\w*|listopad\w*|grud\w+) (?:\d{1,2}, )?(?:19|20)\d\d\b"
    r"|\b(?:ngày )?\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d\d\b"
    r"|\btháng \d{1,2}(?:/| năm )(?:19|20)\d\d\b",
    re.IGNORECASE,
)


def named_reports(info: QuestionInfo, entries: dict[str, ReportEntry]) -> list[str]:
    """The reports the question names by their place (or file name), in source order."""
    named = []
    asked = frozenset().union(*info.terms)
    for source, entry in entries.items():
        label = entry.place or re.sub(r"[-_]+", " ", re.sub(r"\.\w+$", "", source))
        words = _label_words(label, info.language)
        if words and all(forms & asked for forms in words):
            named.append(source)
    return sorted(named)


@functools.lru_cache(maxsize=100_000)
def _label_words(label: str, language: str) -> tuple[frozenset[str], ...]:
    """A report's place as word forms, read in the question's language: the place is
    written there too, and identifying each report's title would load a dictionary for
    every language it guesses. Cached: every question is matched against every report."""
    return tuple(
        forms
        for forms in lexical.terms(label, language)
        if not any(ch.isdigit() for f in forms for ch in f)
    )


class Overview:
    """Answers summary, metadata and "which reports" questions from the stored manifest."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def answer(self, question: str, reading: Reading, info: QuestionInfo) -> Answer:
        """The answer to a question of kind summary, metadata or reports."""
        language = lexical.reply_language(question)
        text = _TEXT.get(language, _TEXT["en"])
        entries = {s: e for s, e in self.store.reports().items() if e.status == "done"}
        if reading.kind == "reports":
            sources = sorted(entries)
        else:
            sources = named_reports(info, entries) or sorted(entries)
        heads = self._heads(sources)
        lines: list[str] = []
        citations: list[Citation] = []

        def cite(paragraph: StoredParagraph, quote: str) -> str:
            citations.append(
                Citation(
                    n=len(citations) + 1,
                    source=paragraph.source,
                    paragraph=paragraph.number,
                    quote=quote,
                    text=paragraph.text,
                    score=1.0,
                )
            )
            return f"[{len(citations)}]"

        several = len(sources) > 1
        if reading.kind == "reports":
            lines.append(text["have_one" if len(sources) == 1 else "have"].format(n=len(sources)))
        for source in sources[:MAX_LINES]:
            entry, found = entries[source], heads.get(source, [])
            label = f"{entry.place or source}: " if several else ""
            if reading.kind == "reports":
                lines.append(f"- {source}{self._title(entry, found, cite)}")
            elif reading.kind == "summary":
                lines.append(label + self._summary(found, cite, short=several))
            elif reading.field == "author":
                lines.append(label + self._author(entry, found, cite, text))
            elif reading.field == "date":
                lines.append(label + self._date(found, cite, text))
            else:
                lines.append(f"{label}{source}{self._title(entry, found, cite)}")
        if len(sources) > MAX_LINES:
            lines.append(text["more"].format(n=len(sources) - MAX_LINES))
        answered = bool(sources)
        if not answered:
            from bot.language import EMPTY_INDEX

            lines = [EMPTY_INDEX.get(language, EMPTY_INDEX["en"])]
        return Answer(
            question=question,
            answer="\n".join(lines),
            answered=answered,
            citations=citations,
            kind=reading.kind,
            answerer="extractive" if answered else "none",
        )

    def _heads(self, sources: list[str]) -> dict[str, list[StoredParagraph]]:
        """The heading, lead, second and byline paragraphs of each report (one read)."""
        out: dict[str, list[StoredParagraph]] = {}
        if not sources:
            return out
        where: dict = {"source": {"$in": sources}} if len(sources) > 1 else {"source": sources[0]}
        for p in self.store.find_paragraphs(
            {"$and": [where, {"$or": [{"paragraph": {"$lte": 3}}, {"kind": "byline"}]}]}
        ):
            out.setdefault(p.source, []).append(p)
        return out

    @staticmethod
    def _title(entry: ReportEntry, found: list[StoredParagraph], cite) -> str:  # noqa: ANN001
        """' — title [n]' when a stored paragraph holds the title (else nothing: uncited)."""
        for p in found:
            if entry.title and entry.title in p.text and p.kind != "byline":
                return f" — {entry.title} {cite(p, entry.title)}"
        return ""

    @staticmethod
    def _summary(found: list[StoredParagraph], cite, short: bool) -> str:  # noqa: ANN001
        """The title (a heading) and the lead's first sentences, each cited."""
        parts = []
        heading = next((p for p in found if p.kind == "heading"), None)
        texts = [p for p in found if p.kind == "text"]
        if heading is not None and not short:
            parts.append(f"**{heading.text}** {cite(heading, heading.text)}")
        budget = SUMMARY_CHARS // (3 if short else 1)
        for paragraph in texts[: 1 if short else 2]:
            sentences = split_sentences(paragraph.text) or [paragraph.text]
            chosen = [sentences[0]]
            for sentence in sentences[1:]:
                if sum(map(len, chosen)) + len(sentence) > budget:
                    break
                chosen.append(sentence)
            start = paragraph.text.find(chosen[0])
            end = paragraph.text.find(chosen[-1], max(start, 0)) + len(chosen[-1])
            quote = paragraph.text[start:end] if 0 <= start < end else chosen[0]
            if len(quote) > 2 * SUMMARY_CHARS:  # one endless sentence: its start, verbatim
                cut = quote.rfind(" ", SUMMARY_CHARS, 2 * SUMMARY_CHARS)
                quote = quote[: cut if cut > 0 else 2 * SUMMARY_CHARS].rstrip(" ,;:")
            parts.append(f"{quote} {cite(paragraph, quote)}")
            budget -= len(quote)
            if budget < 80:
                break
        return " ".join(parts) if parts else ""

    @staticmethod
    def _author(entry: ReportEntry, found: list[StoredParagraph], cite, text) -> str:  # noqa: ANN001
        """The byline, cited to its paragraph; from the file's properties when only they
        name one."""
        byline = next((p for p in found if p.kind == "byline"), None)
        if byline is not None and entry.byline:
            return f"**{entry.byline}** {cite(byline, byline.text)}"
        if entry.byline:
            return f"**{entry.byline}** {text['properties']}"
        return text["no_author"]

    @staticmethod
    def _date(found: list[StoredParagraph], cite, text) -> str:  # noqa: ANN001
        """The first date the title or lead gives, with the sentence it stands in: reports
        carry no publication date of their own, so the answer says where the date is from."""
        for paragraph in found:
            if paragraph.kind == "byline":
                continue
            match = _DATE.search(paragraph.text)
            if match:
                sentence = next(
                    (s for s in split_sentences(paragraph.text) if match.group(0) in s),
                    paragraph.text,
                )
                return (
                    f"{text['dated']} **{match.group(0)}** — {sentence} {cite(paragraph, sentence)}"
                )
        return text["no_date"]
