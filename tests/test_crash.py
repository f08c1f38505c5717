"""SIGKILL the indexer mid-run; the next run must end exactly where a clean run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexing.settings import Settings
from indexing.store import Store
from tests.helpers import check_consistent, snapshot

EMBEDDING = "e5-small-q4"  # the real model: slow enough to be killed mid-write


def write_corpus(root: Path, reports: int, paragraphs: int, tag: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    for r in range(reports):
        lines = [f"Sprawozdanie dystryktu numer {r} za rok 2023{tag}."]
        for p in range(paragraphs):
            lines.append(
                f"W gminie {p} raportu {r} powielono {r * 10 + p} modeli mobilizacji{tag}. "
                f"Mieszkańcy przekazali {p + 1},{r} miliarda VND na drogi."
            )
        (root / f"report-{r}.txt").write_text("\n".join(lines), encoding="utf-8")


def index_process(corpus: Path, index_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "REPORTQA_CORPUS_DIR": str(corpus),
        "REPORTQA_INDEX_DIR": str(index_dir),
        "REPORTQA_EMBEDDING": EMBEDDING,
        "REPORTQA_EMBED_BATCH_SIZE": "4",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_to_end(corpus: Path, index_dir: Path) -> float:
    started = time.perf_counter()
    assert index_process(corpus, index_dir).wait(timeout=300) == 0
    return time.perf_counter() - started


def kill_after(corpus: Path, index_dir: Path, seconds: float) -> None:
    process = index_process(corpus, index_dir)
    time.sleep(seconds)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def settings_for(corpus: Path, index_dir: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index_dir, embedding=EMBEDDING)


def paragraph_count(settings: Settings) -> int:
    store = Store(settings)
    if not store.exists():
        return 0
    store.open(EMBEDDING)
    return store.counts()["paragraphs"]


@pytest.mark.slow
def test_kill_during_first_index_and_during_an_update(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    # Enough paragraphs that embedding, not start-up, is most of a run.
    write_corpus(corpus, reports=5, paragraphs=20)
    clean_dir = tmp_path / "clean"
    # Kill points are fractions of a clean run, so they land mid-run on slow and fast machines.
    seconds = run_to_end(corpus, clean_dir)
    clean = snapshot(settings_for(corpus, clean_dir))
    check_consistent(clean)
    total = len(clean["paragraphs"])

    partial_kills = 0
    # A run first loads the model and the language libraries (seconds, varying with the
    # machine's load): when none of the first three kills lands mid-write, try more moments.
    for i, fraction in enumerate((0.45, 0.65, 0.85, 0.75, 0.55, 0.92, 0.35)):
        if i >= 3 and partial_kills:
            break
        delay = seconds * fraction
        index_dir = tmp_path / f"killed-{i}"
        kill_after(corpus, index_dir, delay)
        done = paragraph_count(settings_for(corpus, index_dir))
        print(f"killed after {delay:.1f}s with {done}/{total} paragraphs")
        if 0 < done < total:
            partial_kills += 1
        run_to_end(corpus, index_dir)
        assert snapshot(settings_for(corpus, index_dir)) == clean
    assert partial_kills >= 1, "no kill landed mid-run; the delays need adjusting"

    # Now an update (edits, a removal, an addition) killed midway, from a complete index.
    index_dir = tmp_path / "killed-0"
    (corpus / "report-3.txt").unlink()
    write_corpus(corpus / "new", reports=2, paragraphs=6, tag=" (nowe)")
    edited = corpus / "report-1.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("modeli", "wzorów"), encoding="utf-8"
    )
    kill_after(corpus, index_dir, seconds * 0.5)
    run_to_end(corpus, index_dir)
    fresh_dir = tmp_path / "clean-after-update"
    run_to_end(corpus, fresh_dir)
    expected = snapshot(settings_for(corpus, fresh_dir))
    check_consistent(expected)
    assert snapshot(settings_for(corpus, index_dir)) == expected


@pytest.mark.soak
def test_twenty_random_kills_converge(tmp_path: Path) -> None:
    """`make soak`: SIGKILL at 20 random points, each followed by a full run."""
    import random

    corpus = tmp_path / "corpus"
    # Twice the paragraphs of the test above: a run first spends seconds loading the model and
    # the language libraries, and with 20 a report only 8 of 20 random kills landed mid-write.
    write_corpus(corpus, reports=5, paragraphs=40)
    seconds = run_to_end(corpus, tmp_path / "clean")
    clean = snapshot(settings_for(corpus, tmp_path / "clean"))
    rng = random.Random(20)
    landed = 0
    for round_ in range(20):
        # A new store each round, so every kill hits a run with work to do. (Not the same
        # path wiped: this test process keeps Chroma clients open on paths it has read.)
        index_dir = tmp_path / f"killed-{round_}"
        kill_after(corpus, index_dir, rng.uniform(0.05, 1.0) * seconds)
        landed += 0 < paragraph_count(settings_for(corpus, index_dir)) < len(clean["paragraphs"])
        run_to_end(corpus, index_dir)
        assert snapshot(settings_for(corpus, index_dir)) == clean, f"round {round_}"
    print(f"soak: {landed} of 20 kills landed mid-run; all 20 converged")
    assert landed >= 10, f"only {landed} of 20 kills landed mid-run"
