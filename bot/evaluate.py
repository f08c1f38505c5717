"""`reportqa eval`: score the whole pipeline on a question file.

The file format is that of `../shared/eval/questions.jsonl`. Each line's `corpus` says what
to index: `seed` = the project's own corpus (REPORTQA_CORPUS_DIR), `all` = every report in
the eval corpus dir (default: `corpus/` beside the question file), or a list of file names
from it. Each corpus gets its own local index under `<index dir>/eval/`, reused (and updated
incrementally) across runs; the main index is never touched.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from bot.models import Turn
from bot.qa import QA
from indexing.embeddings import get_embedder
from indexing.indexer import Indexer, IndexProgress
from indexing.settings import Settings


class EvalItem(BaseModel):
    """One question of an eval file."""

    id: str
    question: str
    lang: str = "en"
    answerable: bool = True
    expect_any: list[str] = Field(default_factory=list)
    reject_any: list[str] = Field(default_factory=list)
    source: str | None = None
    para_has: str | None = None
    corpus: str | list[str] = "all"
    history: list[Turn] = Field(default_factory=list, description="Earlier turns (follow-ups).")


class EvalResult(BaseModel):
    """How the pipeline did on one question."""

    id: str
    lang: str
    question: str
    answerable: bool
    answered: bool
    answer: str
    cited: list[str]
    answer_ok: bool
    citation_ok: bool | None = None
    latency_ms: float
    why: str = ""


class EvalReport(BaseModel):
    """Scores over a question file."""

    questions: int
    answer_accuracy: float
    citation_accuracy: float | None
    refusal_accuracy: float | None
    false_refusals: int
    latency_p50_ms: float
    latency_p95_ms: float
    by_language: dict[str, float]
    results: list[EvalResult]

    @property
    def misses(self) -> list[EvalResult]:
        """Questions with a wrong answer or a wrong citation."""
        return [r for r in self.results if not r.answer_ok or r.citation_ok is False]


def load_items(path: Path) -> list[EvalItem]:
    """Read a question file; a bad line is an error naming its line number."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            raise ValueError(f"{path}:{number}: not a valid question line ({first})") from None
    return items


def score(item: EvalItem, answered: bool, answer: str, citations: list[Any]) -> EvalResult:
    """Judge one answer against its item (expect_any / reject_any / para_has)."""
    text = answer.casefold()
    why = ""
    if item.answerable:
        expected = not item.expect_any or any(e.casefold() in text for e in item.expect_any)
        rejected = [r for r in item.reject_any if r.casefold() in text]
        answer_ok = answered and expected and not rejected
        if not answered:
            why = "refused an answerable question"
        elif not expected:
            why = f"none of {item.expect_any} in the answer"
        elif rejected:
            why = f"contains {rejected}"
        citation_ok = None
        if item.source and item.para_has:
            citation_ok = any(
                c.source == item.source and item.para_has in c.text for c in citations
            )
            if not citation_ok and not why:
                why = f"no citation of the paragraph of {item.source} with '{item.para_has}'"
    else:
        answer_ok = not answered
        citation_ok = None
        why = "" if answer_ok else "answered a question the reports do not answer"
    return EvalResult(
        id=item.id,
        lang=item.lang,
        question=item.question,
        answerable=item.answerable,
        answered=answered,
        answer=answer,
        cited=[f"{c.source}:{c.paragraph}" for c in citations],
        answer_ok=answer_ok,
        citation_ok=citation_ok,
        latency_ms=0.0,
        why=why,
    )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _corpus_files(spec: str | list[str], eval_corpus: Path, settings: Settings) -> list[Path]:
    if spec == "seed":
        return [settings.corpus_dir]
    if spec == "all":
        return [eval_corpus]
    names = [spec] if isinstance(spec, str) else spec
    return [eval_corpus / name for name in names]


def run_eval(
    path: Path,
    settings: Settings,
    corpus_dir: Path | None = None,
    progress: Callable[[], IndexProgress] | None = None,
    on_result: Callable[[EvalResult], None] | None = None,
) -> EvalReport:
    """Index each corpus the file asks for, ask every question, and score the answers."""
    items = load_items(path)
    eval_corpus = corpus_dir or (path.parent / "corpus")
    if not eval_corpus.is_dir():
        eval_corpus = settings.corpus_dir
    local = settings.model_copy(update={"chroma_url": None})
    embedding = get_embedder(settings.embedding, settings.device, settings.embed_batch_size).name
    qas: dict[str, QA] = {}
    results: list[EvalResult] = []
    for item in items:
        paths = _corpus_files(item.corpus, eval_corpus, settings)
        key = json.dumps([str(p.resolve()) for p in paths] + [embedding])
        if key not in qas:
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            name = item.corpus if isinstance(item.corpus, str) else "files"
            corpus_settings = local.model_copy(
                update={
                    "index_dir": settings.index_dir / "eval" / f"{name}-{digest}",
                    "corpus_dir": paths[0]
                    if len(paths) == 1 and paths[0].is_dir()
                    else eval_corpus,
                }
            )
            Indexer(corpus_settings, progress=progress() if progress else None).run(paths)
            qas[key] = QA(corpus_settings)
        started = time.perf_counter()
        answer = qas[key].answer(item.question, history=item.history)
        latency = (time.perf_counter() - started) * 1000
        result = score(item, answer.answered, answer.answer, answer.citations)
        result.latency_ms = round(latency, 1)
        results.append(result)
        if on_result:
            on_result(result)
    return summarise(results)


def summarise(results: list[EvalResult]) -> EvalReport:
    """Aggregate per-question results into the report's scores."""
    cited = [r.citation_ok for r in results if r.citation_ok is not None]
    absent = [r for r in results if not r.answerable]
    latencies = sorted(r.latency_ms for r in results)
    by_language: dict[str, list[bool]] = {}
    for r in results:
        by_language.setdefault(r.lang, []).append(r.answer_ok)
    return EvalReport(
        questions=len(results),
        answer_accuracy=round(sum(r.answer_ok for r in results) / max(1, len(results)), 3),
        citation_accuracy=round(sum(cited) / len(cited), 3) if cited else None,
        refusal_accuracy=round(sum(not r.answered for r in absent) / len(absent), 3)
        if absent
        else None,
        false_refusals=sum(1 for r in results if r.answerable and not r.answered),
        latency_p50_ms=round(_percentile(latencies, 50), 1),
        latency_p95_ms=round(_percentile(latencies, 95), 1),
        by_language={k: round(sum(v) / len(v), 3) for k, v in sorted(by_language.items())},
        results=results,
    )
