"""`reportqa index` and `reportqa stats` as a user runs them (subprocesses, the real e5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def reportqa(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "REPORTQA_INDEX_DIR": str(cwd / "idx"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_index_json_then_rerun_then_stats(corpus: Path, tmp_path: Path) -> None:
    first = reportqa("index", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("files", "paragraphs", "embedded", "unchanged", "deleted")} == {
        "files": 1,
        "paragraphs": 6,  # five paragraphs and the byline
        "embedded": 6,
        "unchanged": 0,
        "deleted": 0,
    }
    assert summary["errors"] == []
    assert summary["embedding"] == "e5-small-q4"

    again = json.loads(reportqa("index", "--json", cwd=tmp_path).stdout.strip().splitlines()[-1])
    assert (again["embedded"], again["unchanged"]) == (0, 6)

    stats = reportqa("stats", "--json", cwd=tmp_path)
    data = json.loads(stats.stdout)
    assert (data["reports"], data["paragraphs"], data["embedding"]) == (1, 6, "e5-small-q4")


def test_human_summary_lists_skipped_files(corpus: Path, tmp_path: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    result = reportqa("index", "--embedding", "hash", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "paragraphs in index" in result.stdout
    assert "skipped broken.pdf" in result.stdout


def test_nothing_indexable_exits_non_zero(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.pdf").write_bytes(b"nope")
    result = reportqa("index", "--json", "--embedding", "hash", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"][0]["path"] == "bad.pdf"


def test_model_mismatch_exits_with_one_line(corpus: Path, tmp_path: Path) -> None:
    assert reportqa("index", "--embedding", "hash", cwd=tmp_path).returncode == 0
    result = reportqa("index", "--embedding", "hash:64", cwd=tmp_path)
    assert result.returncode == 2
    assert "reportqa index --rebuild" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_file_is_read(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REPORTQA_EMBEDDING=hash:32\n", encoding="utf-8")
    result = reportqa("index", "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["embedding"] == "hash-32"


def test_missing_corpus_dir(tmp_path: Path) -> None:
    result = reportqa("index", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_ask_json_and_stdin_batch(corpus: Path, tmp_path: Path) -> None:
    assert reportqa("index", cwd=tmp_path).returncode == 0
    one = reportqa(
        "ask", "How many skilled mass mobilization models were replicated?", "--json", cwd=tmp_path
    )
    assert one.returncode == 0, one.stderr
    answer = json.loads(one.stdout)
    assert answer["answered"] and "109" in answer["answer"]
    assert answer["citations"][0]["paragraph"] == 4

    batch = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        cwd=tmp_path,
        env={**os.environ, "REPORTQA_INDEX_DIR": str(tmp_path / "idx")},
        input="How many skilled mass mobilization models were replicated?\n\n"
        "What will the weather be in Hanoi tomorrow?\n",
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False]


def test_ask_prints_answer_then_citations(corpus: Path, tmp_path: Path) -> None:
    assert reportqa("index", cwd=tmp_path).returncode == 0
    shown = reportqa(
        "ask",
        "How many skilled mass mobilization models were replicated?",
        cwd=tmp_path,
        env={"COLUMNS": "200"},
    )
    assert shown.stdout.startswith("109 — Do tej pory")
    citation = [line for line in shown.stdout.splitlines() if line.strip().startswith("[1]")]
    assert citation[0].strip().startswith("[1] kim-bang-2023.txt ¶4")


def test_ask_without_an_index(tmp_path: Path) -> None:
    result = reportqa("ask", "anything", cwd=tmp_path)
    assert result.returncode == 2
    assert "reportqa index" in result.stderr
