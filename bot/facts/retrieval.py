"""Retrieval: dense search over sentence units, then a learned rerank of the candidates.

Measured on public QA sets (README, "Retrieval"): a paragraph's best sentence matches a
question better than the whole paragraph's vector does, in every language pair tried, so
paragraphs are found through their sentences. The candidates' every sentence is then scored
by the fitted sentence model (`bot.facts.selection`), and paragraphs are ranked by their best
sentence: lexical evidence (names, figures, lemmas) enters there, as fitted weights rather
than hand-set boosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.facts.features import (
    SENTENCE_FEATURES,
    CandidateParagraph,
    QuestionInfo,
    SentenceTable,
    analyse,
    sentence_table,
)
from bot.facts.selection import AnswerModels, shipped_models
from bot.models import Context, Sentence
from indexing.embeddings import Embedder
from indexing.store import Store, StoredParagraph

#: Nearest sentence units asked of the store, and candidate paragraphs kept from them.
UNITS_PER_QUERY = 64
CANDIDATES = 8


@dataclass
class Retrieval:
    """What retrieval found for one question: candidates best first, with their evidence."""

    question: str
    info: QuestionInfo
    contexts: list[Context]
    candidates: list[CandidateParagraph] = field(default_factory=list)
    table: SentenceTable | None = None
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def empty(self) -> bool:
        """Whether nothing at all was found."""
        return not self.contexts


class Retriever:
    """Finds the paragraphs, and the sentences in them, that answer a question."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        models: AnswerModels | None = None,
        title_filter: bool = True,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self._models = models
        self.title_filter = title_filter

    @property
    def models(self) -> AnswerModels:
        """The fitted models (the shipped ones unless others were given)."""
        return self._models or shipped_models()

    def retrieve(self, question: str, k: int = CANDIDATES) -> Retrieval:
        """Up to k candidate paragraphs for a question, best first under the sentence model."""
        found = self.candidates(question, k)
        if found.table is None:
            return found
        model = self.models.sentence
        scores = model.logits(model.select(found.table.rows, SENTENCE_FEATURES))
        # Paragraphs in the order of their best sentence under the fitted model.
        best_score = np.full(len(found.candidates), -np.inf)
        for score, (i, _) in zip(scores, found.table.index, strict=True):
            best_score[i] = max(best_score[i], score)
        order = [int(i) for i in np.argsort(-best_score, kind="stable")]
        position = {old: new for new, old in enumerate(order)}
        found.table.index = [(position[i], j) for i, j in found.table.index]
        found.contexts = [found.contexts[i] for i in order]
        found.candidates = [found.candidates[i] for i in order]
        found.scores = scores
        return found

    def candidates(self, question: str, k: int = CANDIDATES) -> Retrieval:
        """Up to k candidate paragraphs by dense similarity, with their features (no model)."""
        info = analyse(question)
        vector = self.embedder.embed_query(question)
        best: dict[str, float] = {}
        for _, pid, _, score in self.store.query_units(vector, UNITS_PER_QUERY):
            best[pid] = max(score, best.get(pid, -1.0))
        ranked = sorted(best, key=lambda pid: -best[pid])
        # Headings (report titles) are never an answer on their own.
        paragraphs = [p for p in self.store.get_paragraphs(ranked) if p.kind != "heading"]
        if self.title_filter:
            paragraphs = self._named_reports(info, paragraphs, vector, k)
        paragraphs = paragraphs[:k]
        units = self.store.units_of([p.id for p in paragraphs])
        contexts: list[Context] = []
        candidates: list[CandidateParagraph] = []
        for paragraph in paragraphs:
            found = units.get(paragraph.id)
            if not found:  # written by an index run still in progress
                continue
            texts = [text for text, _ in found]
            similarities = [float(v @ vector) for _, v in found]
            candidates.append(
                CandidateParagraph(
                    text=paragraph.text,
                    sentences=texts,
                    similarities=similarities,
                    lead=paragraph.lead,
                    title=paragraph.title,
                )
            )
            dense = max(similarities)
            contexts.append(
                Context(
                    id=paragraph.id,
                    source=paragraph.source,
                    paragraph=paragraph.number,
                    text=paragraph.text,
                    title=paragraph.title,
                    score=round(dense, 4),
                    dense=round(dense, 4),
                    sentences=[
                        Sentence(text=t, score=round(s, 4))
                        for t, s in sorted(
                            zip(texts, similarities, strict=True), key=lambda x: -x[1]
                        )
                    ],
                )
            )
        if not candidates:
            return Retrieval(question=question, info=info, contexts=[])
        return Retrieval(
            question=question,
            info=info,
            contexts=contexts,
            candidates=candidates,
            table=sentence_table(info, candidates),
        )

    def _named_reports(
        self, info: QuestionInfo, paragraphs: list[StoredParagraph], vector: np.ndarray, k: int
    ) -> list[StoredParagraph]:
        """Only the reports whose title names everything the question names, when some do
        and some do not: several districts report the same kind of figures, and "in Kim
        Bang" says which report is meant even when the answering paragraph does not repeat
        it. Mixed on the public sets, where each article has its own subject (README:
        `benchmarks/train_answerer.py --no-title-filter` measures it off)."""
        if not info.names or not paragraphs:
            return paragraphs
        from indexing.lexical import identify, vocabulary

        # A title is read in its report's language: identified on its own, a few words get
        # a random one, and each new language costs a dictionary load (seconds, cold).
        language: dict[str, str] = {}
        for p in paragraphs:
            if p.title not in language:  # once per report, not per candidate paragraph
                language[p.title] = identify(p.text)
        named = {
            title
            for title in language
            if all(forms & vocabulary(title, language[title]) for forms in info.names)
        }
        titles = set(language)
        if not named or named == titles:
            return paragraphs
        kept = [p for p in paragraphs if p.title in named]
        if len(kept) < k:  # look further into the named reports
            sources = sorted({p.source for p in kept})
            where = {"source": {"$in": sources}}
            seen = {p.id for p in kept}
            extra = [
                pid
                for _, pid, _, _ in self.store.query_units(vector, UNITS_PER_QUERY, where=where)
                if pid not in seen
            ]
            more = self.store.get_paragraphs(list(dict.fromkeys(extra)))
            kept += [p for p in more if p.kind != "heading"]
        return kept
