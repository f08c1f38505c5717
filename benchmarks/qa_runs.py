"""Runs over the public QA sets through the real index and answer path, shared by the
benchmark (`qa_sets.py`) and the training script (`train_answerer.py`).

A pair "q/r" asks questions in language q over reports in language r (XQuAD is parallel, so
English questions can be asked over the Vietnamese reports); "pl/pl" is PoQuAD.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.qa_data import (
    EXTERNAL,
    Article,
    Question,
    load_poquad,
    load_xquad,
    with_questions_from,
    write_reports,
)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

WORK = Path(__file__).resolve().parent / ".work"
#: The pairs measured: the three languages of the mission, and three across languages.
PAIRS = ("en/en", "vi/vi", "pl/pl", "en/vi", "vi/en", "en/ru")
#: Articles whose questions are asked with the article left out of the index: every
#: FOLDS-th article, each fold in turn.
FOLDS = 4


def articles_for(pair: str, root: Path = EXTERNAL, limit: int | None = None) -> list[Article]:
    """The reports of a pair, carrying the questions in the pair's question language."""
    asked, reports = pair.split("/")
    if reports == "pl":
        articles = load_poquad(root)
    else:
        articles = load_xquad(reports, root)
        if asked != reports:
            articles = with_questions_from(articles, load_xquad(asked, root))
    return articles[:limit] if limit else articles


def shared_embedder(cache: Path | None = WORK / "embeddings.sqlite", queries: bool = True):  # noqa: ANN201
    """The bundled e5, with vectors kept on disk between runs (same vectors, same name);
    `queries=False` embeds every question afresh, so answer latencies are real."""
    from indexing.embeddings import get_embedder

    inner = get_embedder("e5-small-q4")
    if cache is None:
        return inner
    from benchmarks.embed_cache import CachedEmbedder

    return CachedEmbedder(inner, cache, queries=queries)


@dataclass
class IndexedSet:
    """Articles indexed as reports in a scratch folder, and the QA over them."""

    articles: list[Article]
    folder: Path
    qa: object  # bot.qa.QA

    def gold(self, question: Question) -> tuple[str, int] | None:
        """(source, paragraph number) of the paragraph holding the answer."""
        if question.paragraph is None:
            return None
        article = next(a for a in self.articles if a.id == question.article)
        # Paragraph 1 is the report's `# title` heading.
        return article.filename, question.paragraph + 2


def index_set(
    articles: list[Article],
    folder: Path,
    embedder,  # noqa: ANN001
    exact: bool = False,
) -> IndexedSet:
    """Write the articles as Markdown reports and index them with the real indexer.

    `exact` answers the store's unit search exhaustively (`ExactSearch`): Chroma builds its
    HNSW graph on several threads, so two builds of the same index can return different
    near neighbours, and the training script must reproduce its weights bit for bit.
    """
    from bot.qa import QA
    from indexing.indexer import Indexer
    from indexing.settings import Settings

    shutil.rmtree(folder, ignore_errors=True)
    corpus = folder / "corpus"
    write_reports(articles, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=folder / "index", llm=None, chroma_url=None)
    summary = Indexer(settings, embedder=embedder).run()
    if summary.errors:
        raise RuntimeError(f"indexing failed: {summary.errors[:3]}")
    qa = QA(settings, embedder=embedder)
    if exact:
        # An instance attribute shadows the method: only this QA's store searches exactly.
        qa.store.query_units = ExactSearch(qa.store)
    return IndexedSet(articles, folder, qa)


class ExactSearch:
    """`Store.query_units` by exhaustive search over every unit vector, ties broken by id:
    the same neighbours for the same vectors, whatever the HNSW graph came out as."""

    def __init__(self, store) -> None:  # noqa: ANN001 - indexing.store.Store
        got = store.units.get(include=["documents", "metadatas", "embeddings"])
        order = np.argsort(np.asarray(got["ids"]), kind="stable")
        self.ids = [got["ids"][i] for i in order]
        self.texts = [got["documents"][i] for i in order]
        self.pids = [got["metadatas"][i]["pid"] for i in order]
        self.sources = np.asarray([got["metadatas"][i].get("source", "") for i in order])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = vectors / np.where(norms > 0, norms, 1.0)

    def __call__(
        self, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, str, str, float]]:
        """Nearest units: (unit id, paragraph id, sentence, cosine similarity)."""
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        scores = self.vectors @ query
        if where:  # the retriever's one filter: {"source": {"$in": [...]}}
            scores = np.where(np.isin(self.sources, where["source"]["$in"]), scores, -np.inf)
        # Ids are sorted, so a stable sort on the score breaks ties by id.
        best = np.argsort(-scores, kind="stable")[:k]
        return [
            (self.ids[i], self.pids[i], self.texts[i], float(scores[i]))
            for i in best
            if np.isfinite(scores[i])
        ]


def without_answers(articles: list[Article]) -> tuple[list[Article], list[Question]]:
    """Every article with its odd-numbered paragraphs removed, and the questions whose
    answer stood in one of them: same topic, same report, the fact absent."""
    kept, asked = [], []
    for article in articles:
        paragraphs = [p for i, p in enumerate(article.paragraphs) if i % 2 == 0]
        kept.append(Article(article.id, article.title, paragraphs, []))
        asked += [q for q in article.questions if q.paragraph is not None and q.paragraph % 2]
    return kept, asked


def without_answer_sentences(articles: list[Article]) -> tuple[list[Article], list[Question]]:
    """The near miss: for one question per paragraph whose gold answer stands in exactly one
    sentence of its article (and nowhere else in it), that sentence deleted and the rest of
    the paragraph kept; every article is kept, and those questions are asked."""
    from indexing.text import split_sentences

    kept, asked = [], []
    for article in articles:
        paragraphs = list(article.paragraphs)
        whole = _folded(" ".join(article.paragraphs))
        done: set[int] = set()
        for q in article.questions:
            if q.paragraph is None or q.paragraph in done or not q.answers:
                continue
            sentences = split_sentences(paragraphs[q.paragraph])
            answers = {_folded(a) for a in q.answers if a.strip()}
            holding = [s for s in sentences if any(a in _folded(s) for a in answers)]
            if len(holding) != 1:
                continue
            inside = _folded(holding[0])
            if any(whole.count(a) != inside.count(a) for a in answers if a in whole):
                continue  # the answer stands elsewhere in the article too
            rest = " ".join(s for s in sentences if s is not holding[0]).strip()
            if not rest:
                continue  # a one-sentence paragraph: that is "absent", not a near miss
            paragraphs[q.paragraph] = rest
            done.add(q.paragraph)
            asked.append(q)
        kept.append(Article(article.id, article.title, paragraphs, []))
    return kept, asked


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


#: Articles indexed alone in the one-report corpora, and the questions of other articles
#: asked of each.
SOLO_ARTICLES = 4
SOLO_OFF_TOPIC = 24


def solo_sets(articles: list[Article]) -> list[tuple[Article, list[Question]]]:
    """One-report corpora: a few articles spread over the set, each with SOLO_OFF_TOPIC
    questions of other articles (spread over them), all of which must be refused."""
    step = max(1, len(articles) // SOLO_ARTICLES)
    chosen = articles[step // 2 :: step][:SOLO_ARTICLES]
    out = []
    for article in chosen:
        others = [q for a in articles if a.id != article.id for q in a.questions]
        stride = max(1, len(others) // SOLO_OFF_TOPIC)
        out.append((article, others[::stride][:SOLO_OFF_TOPIC]))
    return out


def named_elsewhere(articles: list[Article], left_out: set[str], language: str) -> list[Question]:
    """Questions of indexed articles whose name (a capitalised run) stands in their gold
    paragraph, with that name swapped for a name from a left-out article's questions that
    no indexed report contains: asked over the index without the left-out articles, the
    reports do not say."""
    from indexing.lexical import names

    indexed = [a for a in articles if a.id not in left_out]
    corpus = _folded(" ".join(p for a in indexed for p in [a.title, *a.paragraphs]))
    foreign: list[str] = []
    for article in articles:
        if article.id in left_out:
            for q in article.questions:
                for span in names(q.text, language):
                    name = q.text[span.start : span.end]
                    if len(name) > 2 and _folded(name) not in corpus and name not in foreign:
                        foreign.append(name)
    if not foreign:
        return []
    out: list[Question] = []
    for article in indexed:
        for q in article.questions:
            if q.paragraph is None:
                continue
            gold = _folded(article.paragraphs[q.paragraph])
            spans = [s for s in names(q.text, language) if _folded(q.text[s.start : s.end]) in gold]
            if not spans:
                continue
            span = spans[0]
            swapped = foreign[len(out) % len(foreign)]
            text = q.text[: span.start] + swapped + q.text[span.end :]
            out.append(Question(f"{q.id}-named", q.article, text, q.answers, None, None))
    return out


def configurations(
    articles: list[Article],
    folder: Path,
    embedder,  # noqa: ANN001
    exact: bool = False,
    language: str = "en",
) -> Iterator[tuple[str, IndexedSet, list[Question]]]:
    """("full", everything indexed, every question); ("out:f", fold f left out, the
    questions of fold f) for each fold, and after fold 0 ("named", the same index, indexed
    articles' questions with their name swapped for one no report has); ("absent",
    answering paragraphs removed, the questions they answered); ("removed", answering
    sentences removed, their questions); ("solo:k", one article indexed alone, its own
    questions and off-topic ones). `language` is the questions' language."""
    indexed = index_set(articles, folder / "full", embedder, exact)
    yield "full", indexed, [q for a in articles for q in a.questions]
    for fold in range(FOLDS):
        kept = [a for i, a in enumerate(articles) if i % FOLDS != fold]
        left = [q for i, a in enumerate(articles) if i % FOLDS == fold for q in a.questions]
        out_set = index_set(kept, folder / f"out{fold}", embedder, exact)
        yield f"out:{fold}", out_set, left
        if fold == 0:
            missing = {a.id for i, a in enumerate(articles) if i % FOLDS == fold}
            yield "named", out_set, named_elsewhere(articles, missing, language)
    reduced, asked = without_answers(articles)
    yield "absent", index_set(reduced, folder / "absent", embedder, exact), asked
    near, asked = without_answer_sentences(articles)
    yield "removed", index_set(near, folder / "removed", embedder, exact), asked
    for k, (article, off_topic) in enumerate(solo_sets(articles)):
        alone = index_set([article], folder / f"solo{k}", embedder, exact)
        yield f"solo:{k}", alone, [*article.questions, *off_topic]


def answer_in(text: str, question: Question) -> bool:
    """Whether one of the gold answers stands in a text (case-insensitive)."""
    folded = " ".join(text.split()).casefold()
    return any(" ".join(a.split()).casefold() in folded for a in question.answers)
