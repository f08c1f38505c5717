"""Answer latency: warm `answer()` p50/p95 at 1k and 10k indexed paragraphs, the wall
time of a cold `reportqa ask` (a new process: imports, model load, store open, answer), and
warm compare/total questions over 100 district reports (tests/data/districts varied).

Corpora are report variants (as in index_speed.py), embedded with the real default model;
the indexes are kept in benchmarks/.work so a second run only re-measures. Questions are
the dev questions with the district names varied, 100 per corpus size, extractive answerer.

Usage: python benchmarks/answer_latency.py [--sizes 1000 10000] [--questions 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.index_speed import DISTRICTS, make_corpus, write_results  # noqa: E402
from benchmarks.qa_runs import shared_embedder  # noqa: E402
from bot.qa import QA  # noqa: E402
from indexing.indexer import Indexer  # noqa: E402
from indexing.settings import Settings  # noqa: E402

QUESTION_FILES = [REPO / "tests" / "data" / "questions.jsonl"]
KNOWN = ("Kim Bang", "Ly Nhan", "Phu Ly", "Duy Tien", "Thanh Liem", "Binh Luc")


def questions(count: int) -> list[str]:
    """Dev questions with their district swapped round-robin."""
    base = [json.loads(line)["question"] for f in QUESTION_FILES for line in f.open()]
    out: list[str] = []
    i = 0
    while len(out) < count:
        question = base[i % len(base)]
        district = DISTRICTS[i % len(DISTRICTS)]
        for name in KNOWN:
            question = question.replace(name, district)
        out.append(question)
        i += 1
    return out


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def build(work: Path, size: int) -> Settings:
    """An e5 index of about `size` paragraphs (reused if already built)."""
    corpus = work / f"corpus-{size}"
    if not corpus.exists():
        make_corpus(corpus, size, seed=size)
    settings = Settings(corpus_dir=corpus, index_dir=work / f"index-{size}")
    # Variants repeat most sentences: the disk cache embeds each distinct one once (the same
    # e5 vectors under the same name); answers below embed their questions live.
    summary = Indexer(settings, embedder=shared_embedder()).run()
    print(
        f"{size}: {summary.paragraphs} paragraphs ({summary.embedded} embedded now, "
        f"{summary.seconds:.0f} s)",
        file=sys.stderr,
    )
    return settings


def warm(settings: Settings, asked: list[str]) -> dict[str, float]:
    """p50/p95 of answer() after one warm-up question."""
    qa = QA(settings)
    qa.answer(asked[0])
    times = []
    for question in asked:
        started = time.perf_counter()
        qa.answer(question)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "paragraphs": qa.store.counts()["paragraphs"],
    }


def cold(settings: Settings, runs: int = 3) -> float:
    """Best wall time of a fresh `reportqa ask` process."""
    env = {**os.environ, "REPORTQA_INDEX_DIR": str(settings.index_dir)}
    cmd = [
        sys.executable,
        "-m",
        "bot.cli",
        "ask",
        "--json",
        "How many skilled mass mobilization models were replicated in Kim Bang?",
    ]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


ACROSS_QUESTIONS = [
    "Which district replicated the most skilled mass mobilization models?",
    "How many skilled mass mobilization models were replicated in all districts together?",
    "W którym dystrykcie mieszkańcy przekazali najwięcej pieniędzy?",
    "Ile metrów kwadratowych gruntu oddano łącznie we wszystkich dystryktach?",
    "Huyện nào nhân rộng nhiều mô hình dân vận khéo nhất?",
    "Tổng cộng các huyện đã đóng góp bao nhiêu tiền?",
]


def build_districts(work: Path, reports: int) -> Settings:
    """An e5 index of `reports` district reports: the seven of tests/data/districts with
    their places renamed and their figures varied (reused if already built)."""
    import random
    import re

    corpus = work / f"districts-{reports}"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        rng = random.Random(reports)
        sources = sorted((REPO / "tests" / "data" / "districts").iterdir())
        places = ("Kim Bang", "Ly Nhan", "Duy Tien", "Bình Lục", "Lam Hạ", "Thanh Liem", "Phu Ly")
        for i in range(reports):
            source = sources[i % len(sources)]
            place = f"{DISTRICTS[i % len(DISTRICTS)]} {chr(65 + i // len(DISTRICTS))}"
            text = source.read_text(encoding="utf-8")
            for name in places:
                text = text.replace(name, place)
            text = re.sub(
                r"(?<![\d.,])\d{2,3}(?![\d.,])", lambda m: str(rng.randint(10, 999)), text
            )
            slug = place.lower().replace(" ", "-")
            (corpus / f"{slug}-2023{source.suffix}").write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=work / f"districts-index-{reports}")
    Indexer(settings, embedder=shared_embedder()).run()
    return settings


def across(settings: Settings, rounds: int = 5) -> dict[str, float]:
    """p50/p95 of compare and total questions after one warm-up question."""
    qa = QA(settings)
    qa.answer(ACROSS_QUESTIONS[0])
    times = []
    for _ in range(rounds):
        for question in ACROSS_QUESTIONS:
            started = time.perf_counter()
            result = qa.answer(question)
            times.append((time.perf_counter() - started) * 1000)
            assert result.kind in ("compare", "total"), (question, result.kind)
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "reports": qa.store.counts()["reports"],
        "questions": len(times),
    }


def main() -> None:
    """Measure and write benchmarks/results/answer_latency.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--reports", type=int, default=100, help="for compare/total")
    args = parser.parse_args()
    work = REPO / "benchmarks" / ".work" / "answer_latency"
    work.mkdir(parents=True, exist_ok=True)
    asked = questions(args.questions)
    rows = []
    cold_seconds = None
    for size in args.sizes:
        settings = build(work, size)
        result = warm(settings, asked)
        rows.append(
            f"| {result['paragraphs']:,} | {len(asked)} | {result['p50']:.0f} ms | "
            f"{result['p95']:.0f} ms |"
        )
        if cold_seconds is None:
            cold_seconds = cold(settings)
    districts = across(build_districts(work, args.reports))
    lines = [
        f"### Answer latency (e5-small-q4, extractive, {os.cpu_count()} cores)",
        "",
        "| indexed paragraphs | questions | warm p50 (goal <= 150 ms) | warm p95 |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Cold `reportqa ask` (new process, {args.sizes[0]:,}-paragraph index): "
        f"**{cold_seconds:.2f} s** (goal <= 6 s).",
        "",
        f"Compare and total questions over {districts['reports']} district reports "
        f"({districts['questions']} questions, en/pl/vi): warm p50 **{districts['p50']:.0f} ms**"
        f" (goal <= 300 ms), p95 {districts['p95']:.0f} ms.",
        "",
    ]
    write_results(args.out, "answer_latency", lines)


if __name__ == "__main__":
    main()
