"""What a cold answer opens instead of computing (indexing/cache.py): prepared simplemma
tries, py3langid's decompressed model and fixed texts' vectors must give exactly what the
shipped data gives, and a missing or unwritable cache must only make things slower."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "tests" / "data" / "districts" / "kim-bang-2023.txt"
ENGLISH = REPO / "tests" / "data" / "districts" / "thanh-liem-2023.md"

#: Lemmas, known words and language ranks of the words of two reports, printed as JSON.
_READ = """
import json, sys
from indexing.lemmas import known_word, lemma, opened_languages
from indexing.lexical import _identifier, words
out = {"lemmas": [], "known": [], "ranks": []}
for path, language in ((sys.argv[1], "pl"), (sys.argv[2], "en")):
    text = open(path, encoding="utf-8").read()
    for word in words(text):
        out["lemmas"].append(lemma(word, language))
        out["known"].append(known_word(word, language))
    for line in text.splitlines()[:20]:
        out["ranks"].append([[l, round(float(p), 12)] for l, p in _identifier().rank(line)[:3]])
out["opened"] = sorted(opened_languages())
print(json.dumps(out))
"""


def _python(code: str, cache: Path, *args: str) -> str:
    """What a new process prints, with the given cache directory."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def _read(cache: Path) -> dict:
    return json.loads(_python(_READ, cache, str(REPORT), str(ENGLISH)))


def test_prepared_dictionaries_and_language_model_read_the_same(tmp_path: Path) -> None:
    shipped = _read(tmp_path / "empty")
    assert shipped["opened"] == ["en", "pl"]
    cache = tmp_path / "prepared"
    prepare = (
        "from indexing.lemmas import prepare_dictionaries\n"
        "from indexing.lexical import prepare_language_model\n"
        "print(prepare_dictionaries(['pl', 'en', 'vi']), prepare_language_model())\n"
    )
    assert _python(prepare, cache) == "['pl', 'en'] True"  # Vietnamese has no dictionary
    assert sorted(p.name for p in (cache / "reportqa").glob("*/*.dic")) == ["en.dic", "pl.dic"]
    assert _read(cache) == shipped


def test_an_unwritable_cache_costs_only_time(tmp_path: Path) -> None:
    from indexing.cache import write_atomic

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert write_atomic(blocked / "reportqa" / "x.dic", lambda path: None) is False
    code = (
        "from indexing.lemmas import lemma, prepare_dictionaries\n"
        "print(prepare_dictionaries(['pl']), lemma('modeli', 'pl'))\n"
    )
    assert _python(code, blocked) == "[] model"


def test_fixed_vectors_are_read_back_unchanged(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from indexing.embeddings import HashEmbedder, fixed_vectors

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    embedder = HashEmbedder()
    texts = ("12 osób wzięło udział", "7 hectares of rice")
    first = fixed_vectors(embedder, texts)
    assert len(list((tmp_path / "reportqa" / "vectors").glob("*.npy"))) == 1

    def no_model(texts):  # noqa: ANN001, ANN202
        raise AssertionError("embedded again")

    monkeypatch.setattr(embedder, "embed_passages", no_model)
    np.testing.assert_array_equal(fixed_vectors(embedder, texts), first)


def test_a_query_is_embedded_once() -> None:
    from indexing.embeddings import HashEmbedder

    embedder = HashEmbedder()
    calls = []
    embed = embedder.embed_queries

    def counted(texts):  # noqa: ANN001, ANN202
        calls.append(list(texts))
        return embed(texts)

    embedder.embed_queries = counted  # type: ignore[method-assign]
    first = embedder.embed_query("How many models?")
    again = embedder.embed_query("How many models?")
    assert again is first and calls == [["How many models?"]]
    with pytest.raises(ValueError):
        first[0] = 1.0  # shared between callers: nobody may change it


def test_the_manifest_is_read_again_when_another_process_changes_it(tmp_path: Path) -> None:
    from indexing.settings import Settings
    from indexing.store import ReportEntry, Store

    settings = Settings(index_dir=tmp_path / "index")
    reader, writer = Store(settings), Store(settings)
    reader.open("hash-256")
    writer.open("hash-256")
    writer.put_reports([ReportEntry(source="a.txt", status="done")])
    assert set(reader.reports()) == {"a.txt"}
    reads = []
    get = reader.reports_collection.get

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        reads.append(1)
        return get(*args, **kwargs)

    reader._reports.get = counted  # type: ignore[union-attr]
    assert set(reader.reports()) == {"a.txt"} and reads == []  # unchanged: not read again
    writer.put_reports([ReportEntry(source="b.txt", status="done")])
    assert set(reader.reports()) == {"a.txt", "b.txt"}
    writer.delete_report("a.txt")
    assert set(reader.reports()) == {"b.txt"}
    assert reader.counts()["reports"] == 1
