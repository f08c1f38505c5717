"""Answer quality on samples of the public QA sets (../shared/eval/external), through the
real index and answer path, so quality cannot silently regress; and the training script.

Thresholds sit just under what the shipped models reach on these samples (README, "Answer
quality" has the full sets). The samples are the first articles of each set.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.qa_data import EXTERNAL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not EXTERNAL.exists(), reason="../shared/eval/external not beside the repo"),
]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The real e5, its report vectors kept for the module (questions embedded afresh)."""
    from benchmarks.qa_runs import shared_embedder

    return shared_embedder(tmp_path_factory.mktemp("vectors") / "e5.sqlite", queries=False)


@pytest.mark.parametrize(
    ("pair", "articles", "floor"),
    [
        # pair, articles, (answer, cite@1, out-of-index refused) floors
        ("en/en", 6, (0.80, 0.90, 0.60)),
        ("en/vi", 6, (0.60, 0.75, 0.20)),
        ("pl/pl", 40, (0.55, 0.70, 0.20)),
    ],
)
def test_sample_quality(pair: str, articles: int, floor, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from benchmarks.qa_sets import run_pair

    result = run_pair(pair, tmp_path, embedder, limit=articles)
    answer, cite, out = floor
    assert result["answer"] >= answer, result
    assert result["cite1"] >= cite, result
    # On a few articles one question moves cite@1 by 0.7 points: the strict "above the dense
    # baseline" comparison is made on the full sets (README, "Answer quality").
    assert result["cite1"] >= result["dense_hit1"] - 0.02, result
    assert result["false_refusals"] <= 0.08, result
    assert result["out_refused"] >= out, result
    assert result["other_kind"] <= 0.02, result  # single facts read as another kind
    # The near-miss sets ran: the answer sentence removed, one-report corpora, names no
    # report has (the README's tables hold the full sets' figures).
    for column in ("removed_refused", "solo_answer", "solo_refused", "named_refused"):
        assert result[column] is not None, column


def test_training_script_runs_and_is_deterministic(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    from benchmarks.train_answerer import main

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    cache = str(tmp_path / "vectors.sqlite")
    args = ["--pairs", "en/en,en/vi", "--limit", "3", "--cache", cache]
    assert main([*args, "--out", str(first)]) == 0
    assert main([*args, "--out", str(second)]) == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a == b
    for part in ("sentence", "refusal", "figure"):
        assert np.all(np.isfinite(a[part]["weights"]))
    assert a["meta"]["pairs"] == ["en/en", "en/vi"]


def test_exact_search_finds_what_chroma_finds(answer_settings) -> None:  # noqa: ANN001
    # The training script's exhaustive search stands in for Chroma's: same neighbours, same
    # scores, and the retriever's source filter honoured.
    from benchmarks.qa_runs import ExactSearch
    from bot.qa import QA

    store = QA(answer_settings).store
    exact = ExactSearch(store)
    vector = store.units.get(limit=1, include=["embeddings"])["embeddings"][0]
    ours, chroma = exact(vector, 10), store.query_units(vector, 10)
    assert [pid for _, pid, _, _ in ours][:3] == [pid for _, pid, _, _ in chroma][:3]
    assert np.allclose([s for *_, s in ours], [s for *_, s in chroma], atol=1e-4)
    where = {"source": {"$in": ["ly-nhan-2023.txt"]}}
    filtered = exact(vector, 50, where=where)
    assert filtered
    assert {p for _, p, _, _ in filtered} == {
        p for _, p, _, _ in store.query_units(vector, 50, where=where)
    }


def test_parallel_reports_reduced_run(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    """Tables across XQuAD's parallel versions: one article in 12 languages beside two
    English distractors, asked in en, vi and ru (README, "Tables across reports", holds the
    full run's figures)."""
    from benchmarks.parallel_reports import run

    results = run(articles=1, distractors=2, folder=tmp_path / "parallel", embedder=embedder)
    assert set(results) == {"en", "vi", "ru"}
    for language, row in results.items():
        assert row["questions"] >= 1, language
        assert row["tables"] >= 0.95, (language, row)  # every comparison answers with a table
        assert row["row recall"] >= 0.5, (language, row)
        assert row["row precision"] >= 0.5, (language, row)
