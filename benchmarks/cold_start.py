"""Cold start: a new `reportqa ask` process against the floor, side by side in one run.

The floor is what no answer can avoid: a Python process that imports chromadb, loads the
bundled embedder (e5-small-q4) and embeds one query. Each round runs, in turn:
- the floor;
- `reportqa ask` on a one-report index (../shared/corpus/kim-bang-2023.txt), the
  dictionaries prepared by the index run (the state after `reportqa index`);
- the same ask with nothing prepared (an empty cache directory each time: a machine that
  only has a Chroma server's URL and never ran the indexer);
- `reportqa --help`.
The table gives medians over the rounds and the ratio to the floor of the same rounds.

Then how long the first lemma of a language takes in a new process, from simplemma's own
reader and from the prepared trie: what a cold answer would still pay for the question's
language if only the reports' lemmas were stored at index time.

Usage: python benchmarks/cold_start.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.index_speed import write_results  # noqa: E402

WORK = REPO / "benchmarks" / ".work" / "cold_start"
REPORT = REPO.parent / "shared" / "corpus" / "kim-bang-2023.txt"
QUESTION = "How many skilled mass mobilization models were replicated?"
FLOOR = (
    "import chromadb\n"
    "from indexing.embeddings import get_embedder\n"
    f"get_embedder('e5-small-q4').embed_query({QUESTION!r})\n"
)
FIRST_LEMMA = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "from indexing.lemmas import lemma\n"
    "lemma(sys.argv[1], sys.argv[2])\n"
    "print(time.perf_counter() - started)\n"
)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "REPORTQA_INDEX_DIR": str(WORK / "index"), **extra}


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def prepare() -> None:
    """A one-report index, built by `reportqa index` (which prepares the dictionaries)."""
    corpus = WORK / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    shutil.copy(REPORT, corpus / REPORT.name)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "index"],
        env=_env(REPORTQA_CORPUS_DIR=str(corpus)),
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def main() -> None:
    """Measure and write benchmarks/results/cold_start.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    prepare()
    empty_cache = WORK / "empty-cache"
    ask = [sys.executable, "-m", "bot.cli", "ask", QUESTION]
    runs: dict[str, list[float]] = {"floor": [], "ask": [], "bare": [], "help": []}
    for _ in range(args.rounds):
        runs["floor"].append(_timed([sys.executable, "-c", FLOOR], _env()))
        runs["ask"].append(_timed(ask, _env()))
        shutil.rmtree(empty_cache, ignore_errors=True)
        empty_cache.mkdir(parents=True)
        runs["bare"].append(_timed(ask, _env(XDG_CACHE_HOME=str(empty_cache))))
        runs["help"].append(_timed([sys.executable, "-m", "bot.cli", "--help"], _env()))
    median = {name: statistics.median(times) for name, times in runs.items()}
    floor = median["floor"]

    def row(label: str, name: str, goal: str) -> str:
        return (
            f"| {label} | {median[name]:.2f} s | {min(runs[name]):.2f} s | "
            f"**{median[name] / floor:.2f}** | {goal} |"
        )

    lemma_rows = []
    for language, word in (("pl", "modeli"), ("en", "models")):
        seconds = {}
        shutil.rmtree(empty_cache, ignore_errors=True)
        for label, cache in (("reader", str(empty_cache)), ("trie", None)):
            env = _env() if cache is None else _env(XDG_CACHE_HOME=cache)
            done = subprocess.run(
                [sys.executable, "-c", FIRST_LEMMA, word, language],
                env=env,
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
            seconds[label] = float(done.stdout.strip().splitlines()[-1])
        lemma_rows.append(f"| {language} | {seconds['reader']:.2f} s | {seconds['trie']:.3f} s |")
    lines = [
        f"### Cold start ({os.cpu_count()} cores, one-report index, {args.rounds} rounds)",
        "",
        "| process | median | best | vs floor (same rounds) | goal |",
        "|---|---|---|---|---|",
        row("floor: import chromadb + load e5 + embed one query", "floor", ""),
        row("`reportqa ask` (dictionaries prepared by `reportqa index`)", "ask", "<= 1.5x"),
        row("`reportqa ask`, nothing prepared (empty cache)", "bare", ""),
        row("`reportqa --help`", "help", "<= 0.5 s"),
        "",
        "First lemma of a language in a new process (import included):",
        "",
        "| language | simplemma's reader | prepared trie |",
        "|---|---|---|",
        *lemma_rows,
    ]
    write_results(args.out, "cold_start", lines)


if __name__ == "__main__":
    main()
