"""Hybrid retrieval: dense search over sentence units, plus lexical evidence where it is
strong (names in the question, figures), ranking paragraphs.

Measured on the dev set (see README): dense sentence search alone ranks the right paragraph
first most of the time on one report; across several districts' reports the confusions go
away only when reports naming the question's places are preferred. Plain BM25 fusion over
all words made things worse, so words other than names and figures are left to the
embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.figures import asks_for_quantity
from bot.lexicon import LexiconCache, name_spans, question_numbers
from bot.models import Context, Sentence
from indexing.embeddings import Embedder
from indexing.store import Store

#: Weights chosen on the dev sets (../shared/eval and tests/data): see README "Retrieval".
NAME_WEIGHT = 0.08
NUMBER_WEIGHT = 0.02
#: Every sentence unit carries the report's title, so the lead paragraph (often the title
#: itself) has nothing extra to match with and ranks last among equals. A small prior puts it
#: back for questions about what happened; figure questions are answered further down.
LEDE_WEIGHT = 0.006
UNITS_PER_QUERY = 48
#: A filtered query is added for named reports unless the name is everywhere.
MAX_FILTER_SOURCES = 200


@dataclass
class Retrieval:
    """What retrieval found for one question, and the evidence behind it."""

    question: str
    contexts: list[Context]
    names: list[str] = field(default_factory=list)
    # As written in the question, for telling the user what the reports do not mention.
    unknown_names: list[str] = field(default_factory=list)
    named_sources: set[str] = field(default_factory=set)


class Retriever:
    """Finds the paragraphs that answer a question."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self.lexicon = LexiconCache(store)

    def retrieve(self, question: str, k: int = 4) -> Retrieval:
        """Top-k paragraphs for a question, best first."""
        lexicon = self.lexicon.get()
        spans = name_spans(question)
        names = list(dict.fromkeys(span.name for span in spans))
        named: dict[str, set[str]] = {name: lexicon.reports_naming(name) for name in names}
        shown = {span.name: question[span.start : span.end] for span in spans}
        unknown = [shown[name] for name, sources in named.items() if not sources]
        known = {name: sources for name, sources in named.items() if sources}
        numbers = set(question_numbers(question))
        lede = 0.0 if asks_for_quantity(question) else LEDE_WEIGHT

        vector = self.embedder.embed_query(question)
        hits = self.store.query_units(vector, UNITS_PER_QUERY)
        named_sources = set().union(*known.values()) if known else set()
        if named_sources and len(named_sources) <= MAX_FILTER_SOURCES:
            where = {"source": {"$in": sorted(named_sources)}}
            hits += self.store.query_units(vector, UNITS_PER_QUERY // 2, where=where)

        by_paragraph: dict[str, dict[str, float]] = {}
        for _, pid, sentence, score in hits:
            sentences = by_paragraph.setdefault(pid, {})
            sentences[sentence] = max(score, sentences.get(sentence, -1.0))
        paragraphs = {p.id: p for p in self.store.get_paragraphs(list(by_paragraph))}

        contexts: list[Context] = []
        for pid, sentences in by_paragraph.items():
            paragraph = paragraphs.get(pid)
            if paragraph is None:  # written by an index run still in progress
                continue
            ranked = sorted(sentences.items(), key=lambda item: -item[1])
            dense = ranked[0][1]
            score = dense
            if known:
                matched = sum(1 for sources in known.values() if paragraph.source in sources)
                score += NAME_WEIGHT * matched / len(known)
            if numbers and numbers & lexicon.paragraph_numbers.get(pid, set()):
                score += NUMBER_WEIGHT
            if paragraph.number == 1:
                score += lede
            contexts.append(
                Context(
                    id=pid,
                    source=paragraph.source,
                    paragraph=paragraph.number,
                    text=paragraph.text,
                    title=paragraph.title,
                    score=round(score, 4),
                    dense=round(dense, 4),
                    sentences=[Sentence(text=t, score=round(s, 4)) for t, s in ranked],
                )
            )
        contexts.sort(key=lambda c: -c.score)
        return Retrieval(
            question=question,
            contexts=contexts[:k],
            names=names,
            unknown_names=unknown,
            named_sources=named_sources,
        )


class ReportRetriever(BaseRetriever):
    """The retriever as a LangChain `BaseRetriever`, for composing chains.

    Each Document is one paragraph; metadata carries source, paragraph number and scores.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        found = self.retriever.retrieve(query, k=self.k)
        return [
            Document(
                page_content=c.text,
                id=c.id,
                metadata={
                    "source": c.source,
                    "paragraph": c.paragraph,
                    "title": c.title,
                    "score": c.score,
                    "dense": c.dense,
                    "best_sentence": c.sentences[0].text if c.sentences else "",
                },
            )
            for c in found.contexts
        ]
