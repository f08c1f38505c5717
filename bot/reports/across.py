"""Questions across reports: compare, rank and total one figure over every report, each
figure cited, and "not stated" for a report that does not give it.

Each report is asked the question on its own, by the machinery of single answers: its
paragraphs that hold figures (the figures table the indexer stored,
`Store.figure_paragraphs`) are its candidates, the fitted sentence model picks the answering
sentence, the fitted refusal model decides whether that sentence answers (else: "not
stated"), and the fitted figure model picks the figure in it, among figures of the kind
asked: money for "how much money", an area for "how much land", a percentage, else counts.
Only the reports a question is about are read (over MAX_READ, the nearest to the question),
each once per state of the report, with the vectors of the words at its figures as the
indexer stored them: a comparison costs the same over a hundred reports or a hundred
thousand paragraphs.
Figures are added or ranked only within one unit; a different unit is shown, never added.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.facts.extractive import ExtractiveAnswerer
from bot.facts.features import (
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
from bot.facts.retrieval import Retrieval
from bot.facts.selection import AnswerModels, LogisticModel
from bot.models import Answer, Citation, TableRow
from bot.question.figures import asked_unit, quantity_target, unit_kind
from bot.question.kinds import ACROSS, Reading, classify, single_report_question
from bot.reports.overview import named_reports
from indexing import lexical
from indexing.embeddings import Embedder
from indexing.figures import Mention, thing_text
from indexing.store import ReportEntry, Store, StoredParagraph
from indexing.text import fold

#: Paragraphs of each report given to the sentence model: the best-matching ones that
#: hold figures.
PER_REPORT = 8
#: At most this many rows in an answer (Telegram's 4,096 characters hold about 60).
MAX_ROWS = 50
#: Reports a comparison reads at most: over more, those whose figure sentences are nearest
#: the question (the reply says how many were not read).
MAX_READ = 100
#: Nearest figure sentences asked of the store per report to be read.
NEAREST_UNITS_PER_REPORT = 10
#: Figure words kept embedded in memory (those the index has no vector for).
THING_CACHE = 50_000
#: Within a sentence, pick the figure whose words match the counted thing asked (the
#: alternative, the fitted figure model, reads the question's own words only; ablation in
#: benchmarks/results/train_rows.md).
FIGURE_BY_THING = True
#: The row model (`benchmarks/train_rows.py`).
ROWS = Path(__file__).parent.parent / "data" / "rows.json"
#: The pick model (`benchmarks/train_rows.py`): which sentence and figure of a report answer.
PICKS = Path(__file__).parent.parent / "data" / "picks.json"
#: Sentences of a report the pick model chooses among (the sentence model's best).
PICK_SENTENCES = 3
#: What the pick model reads about a (sentence, figure) pair.
PICK_FEATURES = (
    "score_gap",
    "rank",
    "similarity",
    "thing",
    "thing_in_sentence",
    "thing_gap",
    "counted",
    "order",
    "figures",
)
#: What the row model reads about one report's candidate figure.
#: Not whether the figure is written in words: the public sets' figure questions are chosen
#: by a gold answer in digits, so a model would learn that words are never right.
ROW_FEATURES = ("similarity", "similarity_gap", "thing", "thing_gap", "evidence")

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
_UNREAD = {
    "en": "{read} reports nearest the question read, {unread} others not",
    "pl": "przeczytano {read} raportów najbliższych pytaniu, pozostałych {unread} nie",
    "vi": "đã đọc {read} báo cáo gần câu hỏi nhất, {unread} báo cáo khác chưa đọc",
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
    #: The stored vector of the words at each figure (None: embedded when needed).
    things: list[list[np.ndarray | None]]


@dataclass
class _Plan:
    """A question across reports as each report is asked it."""

    entries: dict[str, ReportEntry]
    sources: list[str]
    core: str
    info: QuestionInfo
    wanted: str
    language: str
    condition: Condition | None = None
    #: The rows are one place's reports of several years, in year order.
    over_years: bool = False
    #: Reports asked about but not read (over MAX_READ, the farthest from the question).
    unread: int = 0


@dataclass(frozen=True)
class Condition:
    """A condition on the figures ("fewer than 50", "between 50 and 70", "the top 3"), and
    where it stands in the question."""

    op: str  # "<", "<=", ">", ">=", "between", "top", "bottom"
    value: float
    upper: float = 0.0
    start: int = 0
    end: int = 0
    text: str = ""

    def holds(self, value: float) -> bool:
        """Whether a figure meets the condition (top and bottom are chosen by rank)."""
        return {
            "<": value < self.value,
            "<=": value <= self.value,
            ">": value > self.value,
            ">=": value >= self.value,
            "between": self.value <= value <= self.upper,
        }.get(self.op, True)


@dataclass
class _Candidate:
    """One report's answering sentence and figure, before the row model's verdict."""

    retrieval: Retrieval
    row: int
    paragraph: StoredParagraph
    sentence: str
    mention: Mention
    #: e5 similarity of the question and the sentence.
    similarity: float = 0.0
    #: e5 similarity of the counted thing asked and the words at the figure.
    thing: float = 0.0


@dataclass
class Pair:
    """A sentence of a report and a figure in it, one of the candidates of its row."""

    row: int
    mention: Mention
    features: dict[str, float]


@dataclass
class Row:
    """One report's candidate row with the row model's features (the training script reads
    these too, so the model meets the rows it was fitted on)."""

    source: str
    candidate: _Candidate
    stated: Stated
    features: dict[str, float]


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
    #: The row model's log-odds that this figure is the report's answer.
    row: float = 0.0


class AcrossReports:
    """Answers compare and total questions from the stored figures table."""

    def __init__(self, store: Store, embedder: Embedder, models: AnswerModels) -> None:
        self.store = store
        self.embedder = embedder
        self.extractive = ExtractiveAnswerer(embedder, models)
        #: Each report read so far: its state when read and its figure-holding paragraphs.
        self._read: dict[str, tuple[tuple, list[_Paragraph]]] = {}
        self._lock = threading.Lock()
        self._thing_cache: dict[str, np.ndarray] = {}
        self.row_model: LogisticModel | None = row_model()
        self.pick_model: LogisticModel | None = row_model(PICKS)

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

    def _paragraphs(
        self, entries: dict[str, ReportEntry], sources: list[str]
    ) -> dict[str, list[_Paragraph]]:
        """The figure-holding paragraphs of the given reports, with their sentences and
        vectors: read from the figures table the indexer stored, only for the reports asked
        about, and once per state of each report (a changed report is read again)."""
        keys = {s: _state(entries[s]) for s in sources if s in entries}
        with self._lock:
            stale = [s for s, key in keys.items() if self._read.get(s, (None, []))[0] != key]
            if stale:
                loaded = self._load(stale)
                for source in stale:
                    self._read[source] = (keys[source], loaded.get(source, []))
                for gone in [s for s in self._read if s not in entries]:
                    del self._read[gone]
            return {s: self._read[s][1] for s in keys}

    def _load(self, sources: list[str]) -> dict[str, list[_Paragraph]]:
        """Read the figure-holding paragraphs of some reports from the store."""
        by_source: dict[str, list[_Paragraph]] = {}
        for found in self.store.figure_paragraphs(sources):
            paragraph = found.paragraph
            # Prepared (language, word forms) only when the sentence model reads it.
            template = CandidateParagraph(
                text=paragraph.text,
                sentences=found.sentences,
                similarities=[0.0] * len(found.sentences),
                lead=paragraph.lead,
                title=paragraph.title,
            )
            by_source.setdefault(paragraph.source, []).append(
                _Paragraph(
                    stored=paragraph,
                    template=template,
                    vectors=found.vectors,
                    mentions=found.mentions,
                    things=found.things,
                )
            )
        return by_source

    def _read_sources(self, plan: _Plan, vector: np.ndarray) -> list[str]:
        """The reports whose figures are read: all those asked about, or over MAX_READ of
        them, the MAX_READ whose figure sentences are nearest the question (one query of
        the store's index, so a corpus of any size costs the same)."""
        if len(plan.sources) <= MAX_READ:
            return plan.sources
        asked = set(plan.sources)
        nearest = [
            s
            for s in self.store.nearest_sources(vector, MAX_READ * NEAREST_UNITS_PER_REPORT)
            if s in asked
        ][:MAX_READ]
        plan.unread = len(plan.sources) - len(nearest)
        return nearest

    def plan(self, question: str) -> _Plan:
        """What each report is asked, of which reports, for which kind of figure."""
        entries = {s: e for s, e in self.store.reports().items() if e.status == "done"}
        language = lexical.reply_language(question)
        named = named_reports(analyse(question), entries)
        sources = named if len(named) >= 2 else sorted(entries)
        years = [int(y) for y in _YEAR.findall(question)]
        over_years = self.over_years(question, entries, named)
        asked = question
        if over_years:  # one place's reports of several years: a row per year
            kept = [s for s in sources if entries[s].year in years]
            sources = sorted(kept if len(kept) >= 2 else sources, key=lambda s: entries[s].year)
            asked = _CHANGE_WORDS.sub(" ", _YEARS_ASKED.sub(" ", question))
        elif years:  # "in 2023": the reports about that year, when others are about others
            kept = [s for s in sources if entries[s].year in years]
            if kept and len(kept) < len(sources):
                sources = kept
                asked = _YEAR_IN.sub(" ", question)
        condition = read_condition(asked)
        if condition is not None:  # "fewer than 50" is no part of what each report is asked
            asked = (question[: condition.start] + question[condition.end :]).strip()
        core = single_report_question(_after_instruction(asked))
        places = list(dict.fromkeys(entries[s].place or "" for s in named))
        # "Compare Kim Bang and Duy Tien: how many models ...?", and one place over years: the
        # places chose the reports, and each report is asked only for its figure.
        if over_years or len({_place_key(p) for p in places}) >= 2:
            core = _without_places(core, places)
        # Every report is asked for a figure, whatever words the question uses.
        info = replace(analyse(core), wants_figure=True, wants_date=False, wants_name=False)
        # Place names are no unit words ("Duy Tien" folds to "tien", Vietnamese for money).
        wanted = asked_unit(_without_places(core, [e.place or "" for e in entries.values()]))
        return _Plan(entries, sources, core, info, wanted, language, condition, over_years)

    def names_several(self, question: str) -> bool:
        """Whether a question names two or more places that reports are about ("How many
        models did Ly Nhan and Kim Bang replicate?": a row for each, not one figure), or one
        place over two of its reports' years (`over_years`)."""
        entries = {s: e for s, e in self.store.reports().items() if e.status == "done"}
        named = named_reports(analyse(question), entries)
        if len({_place_key(entries[s].place or s) for s in named}) >= 2:
            return True
        return self.over_years(question, entries, named)

    def over_years(
        self,
        question: str,
        entries: dict[str, ReportEntry] | None = None,
        named: list[str] | None = None,
    ) -> bool:
        """Whether a question names one place and two of the years its reports are about
        ("How did Kim Bang's count change from 2022 to 2023?")."""
        if entries is None:
            entries = {s: e for s, e in self.store.reports().items() if e.status == "done"}
        if named is None:
            named = named_reports(analyse(question), entries)
        if len({_place_key(entries[s].place or s) for s in named}) != 1:
            return False
        years = {int(y) for y in _YEAR.findall(question)}
        return len(years & {entries[s].year for s in named}) >= 2

    def rows(self, plan: _Plan) -> list[Row]:
        """Each report's candidate row with the row model's features."""
        vector = self.embedder.embed_query(plan.core)
        by_source = self._paragraphs(plan.entries, self._read_sources(plan, vector))
        target = self._target_vector(plan.core)
        picked = {
            source: found
            for source in plan.sources
            if source in by_source
            and (
                found := self._candidate(
                    plan.info, vector, target, by_source.get(source, []), plan.wanted
                )
            )
        }
        if not picked:
            return []
        top_similarity = max(c.similarity for c in picked.values())
        top_thing = max(c.thing for c in picked.values())
        rows = []
        for source, found in picked.items():
            stated = self._stated(plan.info, found)
            features = {
                "similarity": found.similarity,
                "similarity_gap": found.similarity - top_similarity,
                "thing": found.thing,
                "thing_gap": found.thing - top_thing,
                "evidence": stated.evidence,
            }
            rows.append(Row(source, found, stated, features))
        return rows

    def decide(self, rows: list[Row]) -> dict[str, Stated]:
        """The rows a table states: those the row model finds more likely right than not or
        the refusal model puts over the table threshold, and always the report that answers
        best when it passes the single answer's threshold (a table is never less willing
        than a single answer)."""
        model = self.row_model
        stated: dict[str, Stated] = {}
        for row in rows:
            if model is not None:
                values = np.asarray([[row.features[f] for f in ROW_FEATURES]])
                row.stated.row = float(model.logits(model.select(values, ROW_FEATURES))[0])
            else:  # no row model: the refusal model's table threshold
                row.stated.row = row.stated.table
        seed = max(
            (r for r in rows if r.stated.single >= 0), key=lambda r: r.stated.row, default=None
        )
        for row in rows:
            # Either the row model or the table threshold states a row: measured together
            # they keep the recall of both (benchmarks/results/train_rows.md).
            if row.stated.row >= 0 or row.stated.table >= 0 or row is seed:
                stated[row.source] = row.stated
        return stated

    def answer(self, question: str, reading: Reading) -> Answer:
        """The table of each report's figure, and the most/least or the total."""
        plan = self.plan(question)
        entries, sources, language = plan.entries, plan.sources, plan.language
        labels = _LABELS.get(language, _LABELS["en"])
        if len(re.findall(r"[^\W\d_]{2,}", plan.core)) < 2:  # "Compare", "Which has most?"
            return Answer(
                question=question,
                answer=_WHAT.get(language, _WHAT["en"]),
                answered=False,
                answerer="none",
                kind=reading.kind,
            )
        stated = self.decide(self.rows(plan))
        units = Counter(base_unit(s.mention.unit) for s in stated.values()).most_common()
        main_unit = units[0][0] if units else ""
        order = sorted(
            sources,
            key=lambda s: (
                (entries[s].year or 0, s)
                if plan.over_years
                else (
                    s not in stated,
                    -in_base(stated[s].mention.value, stated[s].mention.unit)[0]
                    if s in stated and reading.kind == "compare"
                    else 0.0,
                    s,
                )
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
            if plan.over_years:
                place = f"{place} {entry.year}"
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
        if plan.condition is not None:
            summary = _meeting(plan.condition, rows, main_unit, language)
        elif plan.over_years:
            summary = _change(rows, [entries[s].year or 0 for s in order], main_unit, language)
        if summary:
            lines.append(f"→ {summary}")
        if plan.unread:
            unread = _UNREAD.get(language, _UNREAD["en"])
            lines.append(f"({unread.format(read=len(sources) - plan.unread, unread=plan.unread)})")
        return Answer(
            question=question,
            answer="\n".join(lines),
            answered=True,
            citations=citations,
            kind=reading.kind,
            table=rows,
        )

    def _candidate(
        self,
        info: QuestionInfo,
        vector: np.ndarray,
        target: tuple[np.ndarray | None, bool],
        paragraphs: list[_Paragraph],
        wanted: str,
    ) -> _Candidate | None:
        """One report's answer to the question, as a single answer from its figure-holding
        paragraphs would pick it (None when no sentence holds a figure of the asked kind)."""
        found = self._sentences(info, vector, paragraphs, wanted)
        if found is None:
            return None
        chosen, candidates, table, scores, usable = found
        pairs = []
        if self.pick_model is not None:
            pairs = self.pairs(chosen, table.index, scores, candidates, usable, wanted, target)
        if pairs:
            assert self.pick_model is not None
            model = self.pick_model
            values = np.asarray([[pair.features[f] for f in PICK_FEATURES] for pair in pairs])
            pair = pairs[int(np.argmax(model.logits(model.select(values, PICK_FEATURES))))]
            best, mention, thing = pair.row, pair.mention, pair.features["thing"]
            p, j = table.index[best]
        else:
            best = max(usable, key=lambda r: scores[r])
            p, j = table.index[best]
            picked = self._figure(info, chosen[p], j, candidates[p].language, wanted, *target)
            if picked is None:
                return None
            mention, thing = picked
        retrieval = Retrieval(
            question=info.text, info=info, contexts=[], candidates=candidates, table=table
        )
        retrieval.scores = scores
        return _Candidate(
            retrieval,
            best,
            chosen[p].stored,
            candidates[p].sentences[j],
            mention,
            similarity=float(candidates[p].similarities[j]),
            thing=thing,
        )

    def _sentences(
        self, info: QuestionInfo, vector: np.ndarray, paragraphs: list[_Paragraph], wanted: str
    ) -> tuple | None:
        """A report's best figure-holding paragraphs, their sentence table and scores, and
        the sentences holding a figure of the asked kind (None when none does)."""
        if not paragraphs:
            return None
        similarities = [p.vectors @ vector for p in paragraphs]
        top = sorted(range(len(paragraphs)), key=lambda i: -float(similarities[i].max()))
        chosen = [paragraphs[i] for i in top[:PER_REPORT]]
        for paragraph in chosen:
            paragraph.template.prepare()
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
        return chosen, candidates, table, scores, usable

    def pairs_of(self, plan: _Plan, source: str) -> list[Pair]:
        """A report's (sentence, figure) candidates for a question (the training script
        fits the pick model on these)."""
        vector = self.embedder.embed_query(plan.core)
        paragraphs = self._paragraphs(plan.entries, [source]).get(source, [])
        found = self._sentences(plan.info, vector, paragraphs, plan.wanted)
        if found is None:
            return []
        chosen, candidates, table, scores, usable = found
        target = self._target_vector(plan.core)
        return self.pairs(chosen, table.index, scores, candidates, usable, plan.wanted, target)

    def pairs(
        self,
        chosen: list[_Paragraph],
        index: list[tuple[int, int]],
        scores: np.ndarray,
        candidates: list[CandidateParagraph],
        usable: list[int],
        wanted: str,
        target: tuple[np.ndarray | None, bool],
    ) -> list[Pair]:
        """The (sentence, figure) pairs a report's answer is picked from: every figure of the
        asked kind in the PICK_SENTENCES sentences the sentence model scores best, with the
        pick model's features."""
        vector, counted = target
        order = sorted(usable, key=lambda r: -scores[r])[:PICK_SENTENCES]
        top = float(scores[order[0]])
        pairs: list[Pair] = []
        for rank, row in enumerate(order):
            p, j = index[row]
            sentence = chosen[p].template.sentences[j]
            kinds = [m for m in chosen[p].mentions[j] if unit_kind(m.unit) == wanted]
            kinds = [m for m in kinds if not _RANGE_END.search(sentence[: m.start])] or kinds
            things = np.zeros(len(kinds))
            if vector is not None and kinds:
                things = self._thing_vectors(chosen[p], j, kinds) @ vector
            for k, mention in enumerate(kinds):
                features = {
                    "score_gap": float(scores[row]) - top,
                    "rank": float(rank),
                    "similarity": float(candidates[p].similarities[j]),
                    "thing": float(things[k]),
                    "thing_in_sentence": float(things[k] - things.max()),
                    "counted": float(counted),
                    "order": float(k),
                    "figures": float(len(kinds)),
                }
                pairs.append(Pair(row, mention, features))
        if pairs:
            best_thing = max(pair.features["thing"] for pair in pairs)
            for pair in pairs:
                pair.features["thing_gap"] = pair.features["thing"] - best_thing
        return pairs

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

    def _target_vector(self, core: str) -> tuple[np.ndarray | None, bool]:
        """The counted thing the question asks about, embedded as a query, and whether the
        question names one ("how many cylinders"); else the question itself stands in."""
        counted = quantity_target(core) or _RU_COUNTED.search(core)
        target = counted if isinstance(counted, str) else counted.group(1) if counted else core
        if not re.search(r"[^\W\d_]{2,}", target):
            return None, False
        return self.embedder.embed_query(target), bool(counted)

    def _thing_vectors(self, paragraph: _Paragraph, j: int, kinds: list[Mention]) -> np.ndarray:
        """The vectors of the words at some figures of a paragraph's sentence j: as the
        indexer stored them, else embedded now (an index from before they were stored)."""
        held = paragraph.mentions[j]
        stored = [paragraph.things[j][next(k for k, m in enumerate(held) if m is x)] for x in kinds]
        if all(v is not None for v in stored):
            return np.stack(stored)  # type: ignore[arg-type]
        sentence = paragraph.template.sentences[j]
        return self._things([thing_text(sentence, m) for m in kinds])

    def _things(self, texts: list[str]) -> np.ndarray:
        """The words at figures, embedded as passages once per process (the same figures come
        up question after question)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._thing_cache]
        if missing:
            for text, v in zip(missing, self.embedder.embed_passages(missing), strict=True):
                self._thing_cache[text] = np.asarray(v, dtype=np.float32)
            while len(self._thing_cache) > THING_CACHE:
                self._thing_cache.pop(next(iter(self._thing_cache)))
        return np.stack([self._thing_cache[t] for t in texts])

    def _figure(
        self,
        info: QuestionInfo,
        paragraph: _Paragraph,
        j: int,
        language: str,
        wanted: str,
        target: np.ndarray | None,
        counted: bool,
    ) -> tuple[Mention, float] | None:
        """The figure of a sentence that answers, and how well its words match the counted
        thing asked: among the figures of the asked kind, the one whose words match best
        (across languages: "cylinders" and "5 xy-lanh"), else the fitted figure model's pick."""
        sentence = paragraph.template.sentences[j]
        kinds = [m for m in paragraph.mentions[j] if unit_kind(m.unit) == wanted]
        # A range ("100–150 species") is read as its first figure.
        kinds = [m for m in kinds if not _RANGE_END.search(sentence[: m.start])] or kinds
        if not kinds:
            return None
        things = None
        if target is not None:
            things = self._thing_vectors(paragraph, j, kinds) @ target
        if len(kinds) == 1:
            return kinds[0], float(things[0]) if things is not None else 0.0
        if things is not None and counted and FIGURE_BY_THING:
            best = int(np.argmax(things))
            return kinds[best], float(things[best])
        candidates = [
            f
            for f in figures_of(sentence, info, language)
            if any(m.start == f.start for m in kinds)
        ]
        pick = kinds[0]
        if candidates:
            model = self.models.figure
            scores = model.logits(
                model.select(figure_rows(sentence, candidates, info, language), FIGURE_FEATURES)
            )
            start = candidates[int(np.argmax(scores))].start
            pick = next(m for m in kinds if m.start == start)
        thing = float(things[kinds.index(pick)]) if things is not None else 0.0
        return pick, thing


def _after_instruction(question: str) -> str:
    """The question after an instruction to compare or total ("Compare all reports: how
    many …?" -> "how many …?"): the part each report is asked."""
    head, colon, rest = question.partition(":")
    if colon and rest.strip() and classify(head).kind in ACROSS:
        return rest.strip()
    return question


# "Сколько цилиндров имеет…": the counted thing of a Russian question (the answer models'
# cue lists know en, pl and vi).
_RU_COUNTED = re.compile(r"сколько\s+(\w+(?:\s+\w+)?)", re.IGNORECASE)
_RANGE_END = re.compile(r"\d\s*(?:[-–—]|to|do|đến|tới|до)\s*$", re.IGNORECASE)


@functools.cache
def row_model(path: Path = ROWS) -> LogisticModel | None:
    """A shipped model of tables: the row model, or the pick model (None before it is
    fitted: the table threshold decides, the sentence model picks)."""
    if not path.exists():
        return None
    return LogisticModel.from_dict(json.loads(path.read_text("utf-8")))


def _without_places(question: str, places: list[str]) -> str:
    """A comparison's question without the places it names: what each report is asked."""
    if ":" in question:
        return question.split(":", 1)[1].strip()
    text = question
    for place in places:
        if place:
            text = _place_pattern(place).sub(" ", text)
    text = re.sub(r"^\W*(?:compare|porównaj|so sánh)\b", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?:^|\s)(?:and|i|oraz|và|with|z|với)(?=\s|\W|$)", " ", text)
    text = " ".join(text.split())
    return re.sub(r"^(?:pod względem|in terms of|by|on|về|theo)\s+", "", text, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=100_000)
def _place_pattern(place: str) -> re.Pattern[str]:
    # Kept compiled: every question is read against every report's place, more than the
    # few hundred patterns `re` itself keeps.
    return re.compile(re.escape(place), re.IGNORECASE)


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


#: Units converted into one base unit before figures are added or ranked (with pint).
_PINT_NAMES = {"m2": "meter ** 2", "ha": "hectare", "km": "kilometer"}
_BASE = {"ha": "m2"}


def base_unit(unit: str) -> str:
    """The unit figures of this unit are added in ("ha" -> "m2")."""
    return _BASE.get(unit, unit)


@functools.lru_cache(maxsize=64)
def _factor(unit: str, base: str) -> float:
    """How many base units one unit is, by pint (imported only when units differ)."""

    registry = _registry()
    return float(registry.Quantity(1.0, _PINT_NAMES[unit]).to(_PINT_NAMES[base]).magnitude)


@functools.cache
def _registry():  # noqa: ANN202 - pint.UnitRegistry
    import pint

    return pint.UnitRegistry()


def in_base(value: float, unit: str) -> tuple[float, str]:
    """A figure in its base unit (1.5 ha -> 15,000 m2); other units as they are."""
    base = base_unit(unit)
    if base == unit:
        return value, unit
    return value * _factor(unit, base), base


_NUMBER_WORD = r"(\d+(?:[ \u00a0.,]\d{3})*(?:[.,]\d+)?)"
#: Conditions in the three languages, folded: (pattern, operator). Checked in order.
_CONDITIONS = [
    (r"\bbetween " + _NUMBER_WORD + r" and " + _NUMBER_WORD, "between"),
    (r"\bmiedzy " + _NUMBER_WORD + r" a " + _NUMBER_WORD, "between"),
    (r"\b(?:tu|trong khoang) " + _NUMBER_WORD + r" (?:den|toi) " + _NUMBER_WORD, "between"),
    (r"\b(?:fewer|less) than " + _NUMBER_WORD, "<"),
    (r"\b(?:below|under) " + _NUMBER_WORD, "<"),
    (r"\bmniej niz " + _NUMBER_WORD, "<"),
    (r"\bponizej " + _NUMBER_WORD, "<"),
    (r"\b(?:it hon|duoi) " + _NUMBER_WORD, "<"),
    (r"\b(?:more|greater) than " + _NUMBER_WORD, ">"),
    (r"\b(?:above|over|exceeding) " + _NUMBER_WORD, ">"),
    (r"\bwiecej niz " + _NUMBER_WORD, ">"),
    (r"\bpowyzej " + _NUMBER_WORD, ">"),
    (r"\b(?:nhieu hon|hon|tren|vuot) " + _NUMBER_WORD, ">"),
    (r"\bat least " + _NUMBER_WORD, ">="),
    (r"\bco najmniej " + _NUMBER_WORD, ">="),
    (r"\b(?:it nhat|toi thieu) " + _NUMBER_WORD, ">="),
    (r"\bat most " + _NUMBER_WORD, "<="),
    (r"\bco najwyzej " + _NUMBER_WORD, "<="),
    (r"\b(?:nhieu nhat|toi da) " + _NUMBER_WORD, "<="),
    (r"\b(?:the )?(?:top|first) " + _NUMBER_WORD + r"\b", "top"),
    (r"\b(?:the )?bottom " + _NUMBER_WORD + r"\b", "bottom"),
    (r"\b(?:pierwsz\w*|czolow\w*) " + _NUMBER_WORD + r"\b", "top"),
    (r"\btop " + _NUMBER_WORD + r"\b", "top"),
]
_CONDITION_PATTERNS = [(re.compile(p), op) for p, op in _CONDITIONS]


def read_condition(question: str) -> Condition | None:
    """The condition a question puts on the figures, if any ("fewer than 50 models",
    "mniej niż 50", "ít hơn 50", "between 50 and 70", "the top 3")."""
    from indexing.numbers import normalise_number

    folded = fold(question)
    if len(folded) != len(question):  # folding changed the length: spans would not map
        return None
    for pattern, op in _CONDITION_PATTERNS:
        match = pattern.search(folded)
        if match is None:
            continue
        values = [float(normalise_number(g)) for g in match.groups()]
        if all(_YEAR.fullmatch(g) for g in match.groups()):  # "from 2022 to 2023": years
            continue
        return Condition(
            op,
            values[0],
            values[1] if len(values) > 1 else 0.0,
            match.start(),
            match.end(),
            question[match.start() : match.end()],
        )
    return None


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# The span of years a change is asked over: "from 2022 to 2023", "między 2022 a 2023",
# "từ 2022 đến 2023", "in 2022 and 2023".
_YEARS_ASKED = re.compile(
    r"\b(?:from|between|in|od|między|w latach|từ|giữa|năm)?\s*(?:19|20)\d\d\s*"
    r"(?:to|and|-|–|do|a|i|đến|tới|và)\s*(?:năm\s*)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_YEAR_IN = re.compile(
    r"\b(?:in|for|w|za|trong|năm|vào năm)?\s*(?:(?:19|20)\d\d)(?:\s*(?:r\.|roku|year))?",
    re.IGNORECASE,
)
# "How did … change", "jak zmieniła się", "thay đổi thế nào": the change is computed from
# the rows; each report is asked only for its figure.
_CHANGE_WORDS = re.compile(
    r"\b(?:how (?:did|has|have)|change[ds]?|jak\s+(?:\w+\s+)?zmieni\w*(?:\s+się)?|zmian\w*|"
    r"rokiem|latach|thay đổi(?: thế nào| ra sao)?|biến động)\b",
    re.IGNORECASE,
)


def _place_key(place: str) -> str:
    """A place as compared between reports: "Lý Nhân" and "Ly Nhan" are one place."""
    return " ".join(fold(place).lower().split())


_CHANGE = {
    "en": "change {first}→{last}: {delta} ({a} → {b})",
    "pl": "zmiana {first}→{last}: {delta} ({a} → {b})",
    "vi": "thay đổi {first}→{last}: {delta} ({a} → {b})",
}


def _change(rows: list[TableRow], years: list[int], unit: str, language: str) -> str:
    """The line under one place's rows over years: the change from the first stated year
    to the last, in one base unit."""
    stated = [
        (year, row)
        for year, row in zip(years, rows, strict=True)
        if row.value is not None and base_unit(row.unit or "") == unit
    ]
    if len(stated) < 2:
        return ""
    (first, a), (last, b) = stated[0], stated[-1]
    delta = in_base(b.value or 0.0, b.unit or "")[0] - in_base(a.value or 0.0, a.unit or "")[0]
    sign = "+" if delta >= 0 else "−"
    return _CHANGE.get(language, _CHANGE["en"]).format(
        first=first,
        last=last,
        delta=sign + format_value(abs(delta), unit, language),
        a=f"{a.text} [{a.n}]",
        b=f"{b.text} [{b.n}]",
    )


_MEETING = {
    "en": ("{condition}: {rows}", "none"),
    "pl": ("{condition}: {rows}", "żaden"),
    "vi": ("{condition}: {rows}", "không có"),
}


def _meeting(condition: Condition, rows: list[TableRow], unit: str, language: str) -> str:
    """The line under a table with a condition: the reports meeting it, each cited."""
    same = [r for r in rows if r.value is not None and base_unit(r.unit or "") == unit]
    if condition.op in ("top", "bottom"):
        ranked = sorted(
            same,
            key=lambda r: in_base(r.value or 0.0, r.unit or "")[0],
            reverse=condition.op == "top",
        )
        chosen = ranked[: int(condition.value)]
    else:
        chosen = [r for r in same if condition.holds(in_base(r.value or 0.0, r.unit or "")[0])]
    text, none = _MEETING.get(language, _MEETING["en"])
    listed = ", ".join(f"{r.place or r.source} ({r.text}) [{r.n}]" for r in chosen) or none
    return text.format(condition=condition.text, rows=listed)


def _result(
    reading: Reading,
    rows: list[TableRow],
    unit: str,
    labels: dict[str, str],
    language: str,
    reports: int,
) -> str:
    """The line under the table: the most (or least), or the total, within one unit."""
    same = [r for r in rows if r.value is not None and base_unit(r.unit or "") == unit]
    if not same:
        return ""
    other = sorted(
        {r.unit or "" for r in rows if r.value is not None and base_unit(r.unit or "") != unit}
    )
    note = ""
    if other:
        note = "; " + _OTHER_UNITS.get(language, _OTHER_UNITS["en"]).format(
            units=", ".join(u or "count" for u in other)
        )
    if reading.kind == "total":
        total = sum(in_base(r.value or 0.0, r.unit or "")[0] for r in same)
        where = _WHERE_STATED.get(language, _WHERE_STATED["en"]).format(n=len(same), m=reports)
        if reports == 1:
            where = where.replace("reports", "report")
        return f"{labels['total']}: {format_value(total, unit, language)} — {where}{note}"
    pick = min if reading.least else max
    best = pick(same, key=lambda r: in_base(r.value or 0.0, r.unit or "")[0])
    label = labels["least"] if reading.least else labels["most"]
    return f"{label}: {best.place or best.source} ({best.text}) [{best.n}]{note}"


def _state(entry: ReportEntry) -> tuple:
    """What changes when a report is indexed again."""
    return (entry.file_hash, entry.indexed_at, entry.version)
