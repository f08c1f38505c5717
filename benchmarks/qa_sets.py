"""Answer quality on public QA sets, through the product's own index and answer path.

    .venv/bin/python benchmarks/qa_sets.py                  # all pairs -> results/qa_sets.md
    .venv/bin/python benchmarks/qa_sets.py --pairs en/en --limit 8

Per pair "q/r" (questions in q over reports in r; see qa_runs.py), as a user would see it:
each article of ../shared/eval/external is a Markdown report; the set is indexed by the real
indexer; every question is answered by `QA.answer` (extractive, offline).
- answer: a gold answer stands in the answer's lead (its text before the first "[1]");
- cite@1: the first citation is the gold paragraph;
- false refusals: answerable questions refused;
- out-of-index refused: questions whose article (a quarter of the set) is left out of the
  index, answered "the reports don't say";
- answer-removed refused: every article re-indexed without its odd-numbered paragraphs,
  the questions those paragraphs answered (same report, same topic, the fact absent);
- sentence-removed refused: the near miss. For one question per paragraph whose gold
  answer stands in exactly one sentence of its article, that sentence deleted and the rest
  of the paragraph kept; the whole set indexed; the question asked;
- solo: a few articles each indexed alone, asked their own questions (answer) and 24
  questions of other articles (off-topic refused);
- named elsewhere refused: questions whose name stands in their gold paragraph, the name
  swapped for one from a left-out article that no indexed report contains;
- unanswerable refused: PoQuAD's questions that its text does not answer;
- dense hit@1: the baseline of the same run, plain dense retrieval over whole paragraphs
  with the same e5-small-q4 (passage/query prefixes, no title, no heuristics);
- read as another kind: questions of the set (all single facts) that the product read as a
  summary, list, comparison, total or metadata question instead (goal: at most 2%);
- length: characters of the answer's lead; p50: warm answer latency (queries embedded
  afresh; report vectors come from the disk cache, which changes nothing but the time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.index_speed import write_results  # noqa: E402
from benchmarks.qa_runs import (  # noqa: E402
    FOLDS,
    PAIRS,
    WORK,
    answer_in,
    articles_for,
    index_set,
    named_elsewhere,
    shared_embedder,
    solo_sets,
    without_answer_sentences,
    without_answers,
)
from bot.question.kinds import SINGLE  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def lead_of(answer: str) -> str:
    """The answer's text before its first citation marker."""
    return answer.split("[1]", 1)[0]


def dense_baseline(articles, embedder) -> float:  # noqa: ANN001
    """hit@1 of plain dense retrieval over whole paragraphs (same model, no heuristics)."""
    paragraphs = [(a.id, i, p) for a in articles for i, p in enumerate(a.paragraphs)]
    vectors = embedder.embed_passages([p for _, _, p in paragraphs])
    questions = [q for a in articles for q in a.questions if q.paragraph is not None]
    queries = (
        embedder.inner.embed_queries([q.text for q in questions])
        if hasattr(embedder, "inner")
        else embedder.embed_queries([q.text for q in questions])
    )
    best = np.argmax(queries @ vectors.T, axis=1)
    return float(
        np.mean(
            [
                paragraphs[b][:2] == (q.article, q.paragraph)
                for b, q in zip(best, questions, strict=True)
            ]
        )
    )


def run_pair(pair: str, folder: Path, embedder, limit: int | None = None) -> dict:  # noqa: ANN001
    """All figures of one pair."""
    articles = articles_for(pair, limit=limit)
    started = time.perf_counter()
    indexed = index_set(articles, folder / "full", embedder)
    index_seconds = time.perf_counter() - started
    answers, cites, refused, lengths, latencies, impossible = [], [], [], [], [], []
    misread = []
    for article in articles:
        for q in article.questions:
            t = time.perf_counter()
            result = indexed.qa.answer(q.text)
            latencies.append((time.perf_counter() - t) * 1000)
            misread.append(result.kind not in SINGLE)
            if q.paragraph is None:
                impossible.append(not result.answered)
                continue
            refused.append(not result.answered)
            lead = lead_of(result.answer) if result.answered else ""
            answers.append(answer_in(lead, q))
            lengths.append(len(lead))
            first = result.citations[0] if result.citations else None
            cites.append(first is not None and (first.source, first.paragraph) == indexed.gold(q))
    kept = [a for i, a in enumerate(articles) if i % FOLDS != 0]
    left = [q for i, a in enumerate(articles) if i % FOLDS == 0 for q in a.questions]
    out_set = index_set(kept, folder / "out", embedder)
    out_refused = [not out_set.qa.answer(q.text).answered for q in left]
    missing = {a.id for i, a in enumerate(articles) if i % FOLDS == 0}
    swapped = named_elsewhere(articles, missing, pair.split("/")[0])
    named_refused = [not out_set.qa.answer(q.text).answered for q in swapped]
    reduced, removed = without_answers(articles)
    absent_set = index_set(reduced, folder / "absent", embedder)
    absent_refused = [not absent_set.qa.answer(q.text).answered for q in removed]
    near, asked = without_answer_sentences(articles)
    near_set = index_set(near, folder / "removed", embedder)
    removed_refused = [not near_set.qa.answer(q.text).answered for q in asked]
    solo_answers, solo_refused = [], []
    for k, (article, off_topic) in enumerate(solo_sets(articles)):
        alone = index_set([article], folder / f"solo{k}", embedder)
        for q in article.questions:
            if q.paragraph is not None:
                result = alone.qa.answer(q.text)
                solo_answers.append(result.answered and answer_in(lead_of(result.answer), q))
        solo_refused += [not alone.qa.answer(q.text).answered for q in off_topic]
    figures = {
        "questions": len(answers),
        "answer": np.mean(answers),
        "cite1": np.mean(cites),
        "false_refusals": np.mean(refused),
        "out_refused": np.mean(out_refused),
        "absent_refused": np.mean(absent_refused),
        "removed_refused": np.mean(removed_refused) if removed_refused else None,
        "solo_answer": np.mean(solo_answers) if solo_answers else None,
        "solo_refused": np.mean(solo_refused) if solo_refused else None,
        "named_refused": np.mean(named_refused) if named_refused else None,
        "impossible_refused": np.mean(impossible) if impossible else None,
        "dense_hit1": dense_baseline(articles, embedder),
        "other_kind": np.mean(misread),
        "length": statistics.median(lengths) if lengths else 0,
        "p50_ms": statistics.median(latencies),
        "index_s": index_seconds,
    }
    return {
        k: (round(float(v), 3) if isinstance(v, float | np.floating) else v)
        for k, v in figures.items()
    }


def table(results: dict[str, dict]) -> list[str]:
    """The README's table."""
    lines = [
        "| pair (questions/reports) | questions | answer | cite@1 | dense hit@1 (baseline) "
        "| false refusals | out-of-index refused | answer-removed refused "
        "| sentence-removed refused | solo: answer | solo: off-topic refused "
        "| named elsewhere refused | unanswerable refused "
        "| read as another kind | median length | p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    for pair, r in results.items():
        lines.append(
            f"| {pair} | {r['questions']} | **{r['answer']:.3f}** | **{r['cite1']:.3f}** | "
            f"{r['dense_hit1']:.3f} | {r['false_refusals']:.3f} | {r['out_refused']:.2f} | "
            f"{r['absent_refused']:.2f} | {cell(r.get('removed_refused'))} | "
            f"{cell(r.get('solo_answer'))} | {cell(r.get('solo_refused'))} | "
            f"{cell(r.get('named_refused'))} | {cell(r['impossible_refused'])} | "
            f"{r.get('other_kind', 0.0):.3f} | {r['length']:.0f} | {r['p50_ms']:.0f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the pairs, print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=",".join(PAIRS))
    parser.add_argument("--limit", type=int, default=None, help="articles per set")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    embedder = shared_embedder(None if args.no_cache else WORK / "embeddings.sqlite", queries=False)
    results = {}
    with tempfile.TemporaryDirectory(prefix="reportqa-qa-sets-") as scratch:
        for pair in [p.strip() for p in args.pairs.split(",") if p.strip()]:
            results[pair] = run_pair(
                pair, Path(scratch) / pair.replace("/", "-"), embedder, args.limit
            )
            print(pair, results[pair], file=sys.stderr)
    write_results(RESULTS, "qa_sets" if args.limit is None else "qa_sets_sample", table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
