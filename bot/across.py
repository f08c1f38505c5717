"""Questions across reports: compare, rank and total one figure over every report, each
figure cited, and "not stated" for a report that does not give it.

Each report is asked the question on its own, by the machinery of single answers: its
paragraphs that hold figures (the figures table the indexer stored, `Store.figure_rows`) are
its candidates, the fitted sentence model picks the answering sentence, the fitted refusal
model decides whether that sentence answers (else: "not stated"), and the fitted figure model
picks the figure in it, among figures of the kind asked: money for "how much money", an area
for "how much land", a percentage, else counts. Everything a question needs is kept in memory
per state of the index, so a question over 100 reports reads only the manifest from the store.
Figures are added or ranked only within one unit; a different unit is shown, never added.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from bot.extractive import ExtractiveAnswerer
from bot.features import (
    FIGURE_FEATURES,
    FOCUS_FEATURES,
    OPTIONAL_FEATURES,
    SENTENCE_FEATURES,
    CandidateParagraph,
    QuestionInfo,
    analyse,
    figure_rows,
    figures_of,
    sentence_table,
)
from bot.figures import asked_unit, unit_kind
from bot.kinds import Reading, single_report_question
from bot.models import Answer, Citation, TableRow
from bot.overview import named_reports
from bot.retrieval import Retrieval
from bot.selection import AnswerModels
from indexing import lexical
from indexing.embeddings import Embedder
from indexing.figures import Mention
from indexing.store import ReportEntry, Store, StoredParagraph

#: Paragraphs of each report given to the sentence model: the best-matching ones that
#: hold figures.
PER_REPORT = 8
#: At most this many rows in an answer (Telegram's 4,096 characters hold about 60).
MAX_ROWS = 50

_LABELS = {
    "en": {"none": "not stated", "most": "most", "least": "least", "total": "total"},
    "pl": {"none": "brak danych", "most": "najwięcej", "least": "najmniej", "total": "łącznie"},
    "vi": {"none": "không nêu", "most": "nhiều nhất", "least": "ít nhất", "total": "tổng"},
}
_WHERE_STATED = {
    "en": "where stated, {n} of {m} reports",
    "pl": "tam, gdzie podano: {n} z {m} raportów",
    "vi": "ở nơi có nêu: {n}/{m} báo cáo",
}
_WHAT = {
    "en": 'Which figure? Name it, e.g. "Which district replicated the most models?"',
    "pl": 'Jaką liczbę porównać? Np. "W którym dystrykcie powielono najwięcej modeli?"',
    "vi": 'So sánh số liệu nào? Ví dụ: "Huyện nào nhân rộng nhiều mô hình nhất?"',
}
_OTHER_UNITS = {
    "en": "other units, not added: {units}",
    "pl": "inne jednostki, nie dodano: {units}",
    "vi": "đơn vị khác, không cộng: {units}",
}


@dataclass
class _Paragraph:
    """A figure-holding paragraph, ready for the sentence model."""

    stored: StoredParagraph
    template: CandidateParagraph
    vectors: np.ndarray
    mentions: list[list[Mention]]


@dataclass
class _Cache:
    key: tuple
    by_source: dict[str, list[_Paragraph]]


@dataclass
class _Candidate:
    """One report's answering sentence and figure, before the refusal model's verdict."""

    retrieval: Retrieval
    row: int
    paragraph: StoredParagraph
    sentence: str
    mention: Mention


@dataclass
class Stated:
    """One report's figure: the paragraph, the sentence and the figure in it."""

    source: str
    paragraph: StoredParagraph
    sentence: str
    mention: Mention
    evidence: float
    #: The evidence over the single answer's threshold, and over the table's.
    single: float = 0.0
    table: float = 0.0


class AcrossReports:
    """Answers compare and total questions from the stored figures table."""

    def __init__(self, store: Store, embedder: Embedder, models: AnswerModels) -> None:
        self.store = store
        self.embedder = embedder
        self.extractive = ExtractiveAnswerer(embedder, models)
        self._cache: _Cache | None = None
        self._lock = threading.Lock()

    @property
    def models(self) -> AnswerModels:
        """The fitted models."""
        return self.extractive.models

    @property
    def _average_match(self) -> float:
        """How well the counted thing matches a figure's words, at its training average.

        The refusal model's weight on it is near zero (-0.02, standardised), while measuring
        it embeds the words at each report's figures: seconds per question over a thousand
        reports. At its average it moves no report's evidence."""
        return self._averages(("target_match",))[0]

    def _averages(self, features: tuple[str, ...]) -> tuple[float, ...]:
        """Costly refusal features at their training averages, for the same reason: the
        focus words embed every report's figure sentence's words, the second model encodes
        each (milliseconds a report, seconds over a thousand)."""
        model = self.models.refusal
        return tuple(
            float(model.mean[model.features.index(f)]) if f in model.features else 0.0
            for f in features
        )

    def _paragraphs(self, entries: dict[str, ReportEntry]) -> _Cache:
        """Every figure-holding paragraph with its sentences and their vectors, read once per
        state of the index (a changed, added or removed report rereads it)."""
        key = (
            self.store.units.count(),
            tuple(sorted((s, e.file_hash, e.indexed_at) for s, e in entries.items())),
        )
        with self._lock:
            if self._cache is not None and self._cache.key == key:
                return self._cache
            figure_rows = self.store.figure_rows()
            pids = list(dict.fromkeys(r.pid for r in figure_rows))
            stored = {p.id: p for p in self.store.get_paragraphs(pids)}
            units = self.store.units_of(pids)
            mentions: dict[tuple[str, str], list[Mention]] = {
                (r.pid, r.sentence): r.mentions for r in figure_rows
            }
            by_source: dict[str, list[_Paragraph]] = {}
            for pid in pids:
                if pid not in stored or pid not in units:
                    continue
                paragraph = stored[pid]
                texts = [text for text, _ in units[pid]]
                template = CandidateParagraph(
                    text=paragraph.text,
                    sentences=texts,
                    similarities=[0.0] * len(texts),
                    lead=paragraph.lead,
                    title=paragraph.title,
                )
                template.prepare()
                by_source.setdefault(paragraph.source, []).append(
                    _Paragraph(
                        stored=paragraph,
                        template=template,
                        vectors=np.stack([v for _, v in units[pid]]),
                        mentions=[mentions.get((pid, t), []) for t in texts],
                    )
                )
            self._cache = _Cache(key, by_source)
            return self._cache

    def answer(self, question: str, reading: Reading) -> Answer:
        """The table of each report's figure, and the most/least or the total."""
        entries = {s: e for s, e in self.store.reports().items() if e.status == "done"}
        cache = self._paragraphs(entries)
        language = lexical.reply_language(question)
        labels = _LABELS.get(language, _LABELS["en"])
        named = named_reports(analyse(question), entries)
        sources = named if len(named) >= 2 else sorted(entries)
        core = single_report_question(question)
        if len(named) >= 2:  # "Compare Kim Bang and Duy Tien: how many models ...?"
            core = _without_places(core, [entries[s].place or "" for s in named])
        if len(re.findall(r"[^\W\d_]{2,}", core)) < 2:  # "Compare", "Which has the most?"
            return Answer(
                question=question,
                answer=_WHAT.get(language, _WHAT["en"]),
                answered=False,
                answerer="none",
                kind=reading.kind,
            )
        # Every report is asked for a figure, whatever words the question uses.
        info = replace(analyse(core), wants_figure=True, wants_date=False, wants_name=False)
        vector = self.embedder.embed_query(core)
        # Place names are no unit words ("Duy Tien" folds to "tien", Vietnamese for money).
        wanted = asked_unit(_without_places(core, [e.place or "" for e in entries.values()]))
        picked = {
            source: answer
            for source in sources
            if (answer := self._candidate(info, vector, cache.by_source.get(source, []), wanted))
        }
        found = {source: self._stated(info, f) for source, f in picked.items()}
        # The report that answers best is held to the single answer's threshold, the others
        # to the table's stricter one: a table is never less willing than a single answer.
        seed = max(
            (f for f in found.values() if f.single >= 0), key=lambda f: f.table, default=None
        )
        stated = {source: f for source, f in found.items() if f.table >= 0 or f is seed}
        units = Counter(s.mention.unit for s in stated.values()).most_common()
        main_unit = units[0][0] if units else ""
        order = sorted(
            sources,
            key=lambda s: (
                s not in stated,
                -stated[s].mention.value if s in stated and reading.kind == "compare" else 0.0,
                s,
            ),
        )
        citations: list[Citation] = []
        rows: list[TableRow] = []
        lines: list[str] = []
        # Every report gets its row (and every stated figure its citation), so the most and
        # the total cover them all; only the first MAX_ROWS are written out.
        for shown, source in enumerate(order):
            entry = entries[source]
            place = entry.place or source
            found = stated.get(source)
            if found is None:
                rows.append(TableRow(source=source, place=entry.place))
                if shown < MAX_ROWS:
                    lines.append(f"{place}: {labels['none']}")
                continue
            n = len(citations) + 1
            paragraph = found.paragraph
            citations.append(
                Citation(
                    n=n,
                    source=source,
                    paragraph=paragraph.number,
                    quote=found.sentence,
                    text=paragraph.text,
                    score=round(found.evidence, 4),
                )
            )
            mention = found.mention
            rows.append(
                TableRow(
                    source=source,
                    place=entry.place,
                    value=mention.value,
                    unit=mention.unit,
                    n=n,
                    text=mention.text,
                )
            )
            if shown < MAX_ROWS:
                lines.append(f"{place}: {mention.text} [{n}]")
        if len(order) > MAX_ROWS:
            lines.append(f"… +{len(order) - MAX_ROWS}")
        if not citations:
            from bot.language import not_in_reports

            return Answer(
                question=question,
                answer=not_in_reports(language),
                answered=False,
                answerer="none",
                kind=reading.kind,
                table=rows,
            )
        summary = _result(reading, rows, main_unit, labels, language, len(sources))
        if summary:
            lines.append(f"→ {summary}")
        return Answer(
            question=question,
            answer="\n".join(lines),
            answered=True,
            citations=citations,
            kind=reading.kind,
            table=rows,
        )

    def _candidate(
        self, info: QuestionInfo, vector: np.ndarray, paragraphs: list[_Paragraph], wanted: str
    ) -> _Candidate | None:
        """One report's answer to the question, as a single answer from its figure-holding
        paragraphs would pick it (None when no sentence holds a figure of the asked kind)."""
        if not paragraphs:
            return None
        similarities = [p.vectors @ vector for p in paragraphs]
        top = sorted(range(len(paragraphs)), key=lambda i: -float(similarities[i].max()))
        chosen = [paragraphs[i] for i in top[:PER_REPORT]]
        candidates = [
            replace(p.template, similarities=[float(x) for x in similarities[i]])
            for p, i in zip(chosen, top, strict=False)
        ]
        table = sentence_table(info, candidates)
        model = self.models.sentence
        scores = model.logits(model.select(table.rows, SENTENCE_FEATURES))
        # Only sentences holding a figure of the asked kind can answer.
        usable = [
            r
            for r, (p, j) in enumerate(table.index)
            if any(unit_kind(m.unit) == wanted for m in chosen[p].mentions[j])
        ]
        if not usable:
            return None
        best = max(usable, key=lambda r: scores[r])
        p, j = table.index[best]
        mention = self._figure(info, chosen[p], j, candidates[p].language, wanted)
        if mention is None:
            return None
        retrieval = Retrieval(
            question=info.text, info=info, contexts=[], candidates=candidates, table=table
        )
        retrieval.scores = scores
        return _Candidate(retrieval, best, chosen[p].stored, candidates[p].sentences[j], mention)

    def _stated(self, info: QuestionInfo, found: _Candidate) -> Stated:
        """A report's answer with the refusal model's evidence over both thresholds."""
        evidence = self.extractive.evidence(
            found.retrieval,
            found.row,
            self._average_match,
            self._averages(FOCUS_FEATURES),  # type: ignore[arg-type]
            self._averages(OPTIONAL_FEATURES),  # type: ignore[arg-type]
        )
        p, _ = found.retrieval.table.index[found.row]  # type: ignore[union-attr]
        language = found.retrieval.candidates[p].language
        return Stated(
            found.paragraph.source,
            found.paragraph,
            found.sentence,
            found.mention,
            evidence,
            single=evidence - self.models.threshold(info.language, language),
            table=evidence - self.models.table_threshold(info.language, language),
        )

    def _figure(
        self, info: QuestionInfo, paragraph: _Paragraph, j: int, language: str, wanted: str
    ) -> Mention | None:
        """The figure of a sentence that answers: the fitted figure model's pick among the
        figures of the asked kind."""
        sentence = paragraph.template.sentences[j]
        kinds = [m for m in paragraph.mentions[j] if unit_kind(m.unit) == wanted]
        if len(kinds) <= 1:
            return kinds[0] if kinds else None
        candidates = [
            f
            for f in figures_of(sentence, info, language)
            if any(m.start == f.start for m in kinds)
        ]
        if not candidates:
            return kinds[0]
        model = self.models.figure
        scores = model.logits(
            model.select(figure_rows(sentence, candidates, info, language), FIGURE_FEATURES)
        )
        start = candidates[int(np.argmax(scores))].start
        return next(m for m in kinds if m.start == start)


def _without_places(question: str, places: list[str]) -> str:
    """A comparison's question without the places it names: what each report is asked."""
    if ":" in question:
        return question.split(":", 1)[1].strip()
    text = question
    for place in places:
        if place:
            text = re.sub(re.escape(place), " ", text, flags=re.IGNORECASE)
    text = re.sub(r"^\W*(?:compare|porównaj|so sánh)\b", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?:^|\s)(?:and|i|oraz|và|with|z|với)(?=\s|\W|$)", " ", text)
    text = " ".join(text.split())
    return re.sub(r"^(?:pod względem|in terms of|by|on|về|theo)\s+", "", text, flags=re.IGNORECASE)


def format_value(value: float, unit: str, language: str) -> str:
    """A computed total, written for the reply language ("3.8 billion VND", "3,8 mld VND")."""
    scales = {
        "pl": [(1e9, "mld"), (1e6, "mln")],
        "vi": [(1e9, "tỷ"), (1e6, "triệu")],
    }.get(language, [(1e9, "billion"), (1e6, "million")])
    word = ""
    for size, name in scales:
        if abs(value) >= size:
            value, word = value / size, name
            break
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if language == "pl":  # 1 234,5
        text = text.replace(",", "\u00a0").replace(".", ",")
    elif language == "vi":  # 1.234,5
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return " ".join(p for p in (text, word, unit) if p)


def _result(
    reading: Reading,
    rows: list[TableRow],
    unit: str,
    labels: dict[str, str],
    language: str,
    reports: int,
) -> str:
    """The line under the table: the most (or least), or the total, within one unit."""
    same = [r for r in rows if r.value is not None and r.unit == unit]
    if not same:
        return ""
    other = sorted({r.unit or "" for r in rows if r.value is not None and r.unit != unit})
    note = ""
    if other:
        note = "; " + _OTHER_UNITS.get(language, _OTHER_UNITS["en"]).format(
            units=", ".join(u or "count" for u in other)
        )
    if reading.kind == "total":
        total = sum(r.value for r in same if r.value is not None)
        where = _WHERE_STATED.get(language, _WHERE_STATED["en"]).format(n=len(same), m=reports)
        if reports == 1:
            where = where.replace("reports", "report")
        return f"{labels['total']}: {format_value(total, unit, language)} — {where}{note}"
    pick = min if reading.least else max
    best = pick(same, key=lambda r: r.value or 0.0)
    label = labels["least"] if reading.least else labels["most"]
    return f"{label}: {best.place or best.source} ({best.text}) [{best.n}]{note}"
