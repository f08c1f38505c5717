"""The answering chain: question (+ history) -> retrieval -> answer -> verified citations."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.facts.extractive import ExtractiveAnswerer
from bot.facts.features import analyse
from bot.facts.retrieval import Retriever
from bot.facts.selection import shipped_models
from bot.language import EMPTY_INDEX, detect_language
from bot.models import Answer, Turn
from bot.question.figures import asks_for_quantity
from bot.question.followup import resolve_followup
from bot.question.kinds import ACROSS, SINGLE, Reading, kind_model, read
from bot.reports.across import AcrossReports
from bot.reports.overview import Overview
from indexing.embeddings import Embedder, get_embedder
from indexing.settings import Settings
from indexing.store import Store, StoreError

if TYPE_CHECKING:
    from bot.facts.chain import ReportRetriever

MAX_QUESTION_CHARS = 1000
#: Paragraphs shown to an LLM, best first.
GENERATIVE_CONTEXTS = 4


class NotIndexedError(StoreError):
    """Nothing has been indexed in the configured store."""


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class QA:
    """Answers questions over the index described by `settings`; safe to share across threads.

    The store, the embedder and the answer models are opened on first use and kept.
    """

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._embedder: Embedder | None = embedder
        self._retriever: Retriever | None = None
        self._extractive: ExtractiveAnswerer | None = None
        self._generative = None
        self._overview: Overview | None = None
        self._across: AcrossReports | None = None

    def _open(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                embedder = self._embedder_unlocked()
                store = Store(self.settings)
                if not store.exists():
                    raise NotIndexedError(
                        f"no index at {self.settings.store_location}: run `reportqa index` first"
                    )
                store.open(embedder.name, create=False)
                self._store = store
                self._extractive = ExtractiveAnswerer(embedder)
                if self.settings.llm:
                    from bot.facts.generative import GenerativeAnswerer

                    self._generative = GenerativeAnswerer(self.settings.llm)
                self._retriever = Retriever(store, embedder)
                self._overview = Overview(store)
                self._across = AcrossReports(store, embedder, shipped_models())
            return self._retriever

    @property
    def store(self) -> Store:
        """The opened store."""
        self._open()
        assert self._store is not None
        return self._store

    def _embedder_unlocked(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(
                self.settings.embedding, self.settings.device, self.settings.embed_batch_size
            )
        return self._embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder answers use; an upload from the chat indexes with it, so it is there
        before any index is (the first report of a new bot may come from the chat)."""
        with self._lock:
            return self._embedder_unlocked()

    def retriever(self, k: int = 4) -> ReportRetriever:
        """The retrieval step as a LangChain retriever."""
        from bot.facts.chain import ReportRetriever

        return ReportRetriever(retriever=self._open(), k=k)

    def answer(self, question: str, history: Sequence[Turn | dict] | None = None) -> Answer:
        """Answer one question; `history` holds earlier turns for follow-ups."""
        started = time.perf_counter()
        question = " ".join(str(question).split())[:MAX_QUESTION_CHARS]
        turns = [t if isinstance(t, Turn) else Turn.model_validate(t) for t in history or []]
        self._open()
        timings: dict[str, float] = {}
        if not question:
            return Answer(
                question="", answer="Please ask a question.", answered=False, answerer="none"
            )
        if self.store.paragraphs.count() == 0:
            return Answer(
                question=question,
                answer=EMPTY_INDEX[detect_language(question)],
                answered=False,
                answerer="none",
            )

        resolved = resolve_followup(question, turns)
        if turns and self._generative is not None and resolved == question:
            t = time.perf_counter()
            try:
                resolved = self._generative.condense(question, turns)
            except Exception:  # the offline resolution above still stands
                resolved = question
            timings["condense"] = _ms(time.perf_counter() - t)

        reading = self._read(resolved)
        across = self._across
        if across is not None and (
            (reading.kind == "figure" and across.names_several(resolved))
            or (reading.kind in SINGLE and across.over_years(resolved))
        ):
            reading = Reading("compare")  # a figure of each place (or year) named, a row each
        if reading.kind not in (*SINGLE, "list"):
            result = self._answer_about_reports(resolved, reading, timings)
        else:
            result = self._answer_from_paragraphs(resolved, reading, timings)

        timings["total"] = _ms(time.perf_counter() - started)
        return result.model_copy(
            update={
                "question": question,
                "resolved_question": resolved if resolved != question else None,
                "timings_ms": timings,
            }
        )

    def _read(self, question: str) -> Reading:
        """The question's kind, by the learned reading over its e5 vector and the cues."""
        assert self._embedder is not None
        embedder = self._embedder
        vector = None
        model = kind_model()
        if model is not None and model.embedder == embedder.name:
            vector = embedder.embed_query(question)
        return read(question, vector, embedder.name, wants_figure=asks_for_quantity(question))

    def _answer_about_reports(
        self, question: str, reading: Reading, timings: dict[str, float]
    ) -> Answer:
        """Summary, metadata, "which reports", compare and total: from what the indexer
        stored about every report. An LLM, when configured, is not asked: these answers are
        tables and quotes, nothing for it to phrase."""
        self._open()
        t = time.perf_counter()
        if reading.kind in ACROSS:
            assert self._across is not None
            result = self._across.answer(question, reading)
        else:
            assert self._overview is not None
            result = self._overview.answer(question, reading, analyse(question))
        timings["answer"] = _ms(time.perf_counter() - t)
        return result

    def _answer_from_paragraphs(
        self, resolved: str, reading: Reading, timings: dict[str, float]
    ) -> Answer:
        """Facts, figures and lists: from the paragraphs retrieval finds."""
        retriever = self._open()
        t = time.perf_counter()
        retrieval = retriever.retrieve(resolved)
        timings["retrieve"] = _ms(time.perf_counter() - t)

        t = time.perf_counter()
        assert self._extractive is not None
        if reading.kind == "list":
            result = self._extractive.answer_list(resolved, retrieval)
        else:
            result = self._extractive.answer(resolved, retrieval)
            result = result.model_copy(update={"kind": reading.kind})
        timings["answer"] = _ms(time.perf_counter() - t)
        if self._generative is not None:
            t = time.perf_counter()
            result = self._generative.answer(
                resolved, retrieval.contexts[:GENERATIVE_CONTEXTS], fallback=result
            )
            timings["generate"] = _ms(time.perf_counter() - t)
            result = result.model_copy(update={"kind": reading.kind})
        return result


_default: QA | None = None
_default_lock = threading.Lock()


def default_qa() -> QA:
    """The process-wide QA built from the environment (and `.env`)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = QA()
        return _default
