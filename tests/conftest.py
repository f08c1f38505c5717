"""Shared fixtures. Every test runs offline, with telemetry off and a private index dir."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpus" / "kim-bang-2023.txt"
DATA = REPO / "tests" / "data"
SHARED_EVAL_FILE = REPO.parent / "shared" / "eval" / "questions.jsonl"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's .env or REPORTQA_* variables must not leak into tests.
    for key in list(os.environ):
        if key.startswith("REPORTQA_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus dir holding the sample report."""
    path = tmp_path / "corpus"
    path.mkdir()
    shutil.copy(SAMPLE, path / SAMPLE.name)
    return path


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., object]:
    """Settings for a corpus, with a private index dir; embedding defaults to `hash`."""
    from indexing.settings import Settings

    def make(corpus_dir: Path, embedding: str = "hash", **kw: object) -> Settings:
        return Settings(
            corpus_dir=corpus_dir,
            index_dir=kw.pop("index_dir", tmp_path / "index"),
            embedding=embedding,
            **kw,
        )

    return make


@pytest.fixture(scope="session")
def answer_settings(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """An e5 index of tests/data/corpus (six reports, three languages), built once."""
    from indexing.indexer import Indexer
    from indexing.settings import Settings

    root = tmp_path_factory.mktemp("answering")
    settings = Settings(corpus_dir=DATA / "corpus", index_dir=root / "index")
    Indexer(settings).run()
    return settings


@pytest.fixture(scope="session")
def qa(answer_settings):  # noqa: ANN001, ANN201
    """A QA over the shared test index."""
    from bot.qa import QA

    return QA(answer_settings)
