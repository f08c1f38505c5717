"""Reports added, replaced and removed by an admin (bot/admin.py), on a real Chroma index:
what the upload understood, that the shell's `reportqa index` then finds nothing to do,
and that every refused input leaves the corpus folder and the index as they were."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.admin import (
    MAX_BYTES,
    Rejected,
    add_report,
    interrupted,
    recover,
    remove_report,
    sweep,
)
from indexing.embeddings import HashEmbedder
from indexing.indexer import Indexer
from indexing.settings import Settings
from indexing.store import Store

DATA = Path(__file__).resolve().parent / "data"
KIM_BANG = (DATA / "districts" / "kim-bang-2023.txt").read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", embedding="hash")


def _state(settings: Settings) -> tuple[dict[str, bytes], dict[str, str]]:
    """The corpus folder's files and the index's reports (with their file hashes)."""
    files = {p.name: p.read_bytes() for p in sorted(settings.corpus_dir.iterdir()) if p.is_file()}
    store = Store(settings)
    if not store.exists():
        return files, {}
    store.open(HashEmbedder().name, create=False)
    return files, {s: e.file_hash for s, e in store.reports().items()}


def test_an_upload_is_stored_indexed_and_understood(settings: Settings) -> None:
    added = add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    assert not added.replaced and added.embedded > 0
    assert added.entry.place == "Kim Bang" and added.entry.year == 2023
    assert added.entry.paragraphs > 3
    assert any(f.text.startswith("109") and "109" in f.quote for f in added.figures)
    assert (settings.corpus_dir / "kim-bang-2023.txt").read_bytes() == KIM_BANG
    assert [p.name for p in settings.corpus_dir.iterdir()] == ["kim-bang-2023.txt"]
    # The shell's `reportqa index` sees the same state: nothing to embed, nothing to drop.
    again = Indexer(settings, embedder=HashEmbedder()).run()
    assert again.embedded == 0 and again.deleted == 0 and again.reports == 1


def test_a_file_of_the_same_name_replaces_the_report(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    changed = KIM_BANG.replace(b"109", b"111")
    assert changed != KIM_BANG
    added = add_report(settings, "kim-bang-2023.txt", changed, embedder=HashEmbedder())
    assert added.replaced
    assert added.embedded == 1 and added.deleted == 1 and added.unchanged > 0
    assert any(f.text.startswith("111") for f in added.figures)
    files, reports = _state(settings)
    assert files == {"kim-bang-2023.txt": changed} and list(reports) == ["kim-bang-2023.txt"]


def test_remove_deletes_the_file_then_the_records(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    assert remove_report(settings, "kim-bang-2023.txt", embedder=HashEmbedder()) > 3
    assert _state(settings) == ({}, {})
    with pytest.raises(Rejected) as refused:
        remove_report(settings, "kim-bang-2023.txt", embedder=HashEmbedder())
    assert refused.value.reason == "unknown"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("../../etc/passwd.txt", b"root:x:0:0", "name"),
        ("reports/kim-bang.txt", KIM_BANG, "name"),
        (".hidden.txt", KIM_BANG, "name"),
        ("kim-bang.zip", b"PK\x03\x04rest", "archive"),
        ("kim-bang.txt", b"PK\x03\x04rest", "archive"),
        ("kim-bang.exe", b"MZ\x90\x00", "unsupported"),
        ("empty.txt", b"  \n\n ", "empty"),
        ("broken.pdf", b"%PDF-1.4\nthis is no pdf at all", "broken"),
        ("broken.docx", b"PK\x03\x04not a docx", "broken"),
    ],
)
def test_bad_input_changes_nothing(settings: Settings, name: str, data: bytes, reason: str) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    before = _state(settings)
    with pytest.raises(Rejected) as refused:
        add_report(settings, name, data, embedder=HashEmbedder())
    assert refused.value.reason == reason
    assert _state(settings) == before
    for language in ("en", "pl", "vi"):
        message = refused.value.message(language)
        assert message and "\n" not in message


def test_a_file_over_the_download_limit_is_refused_before_it_is_fetched() -> None:
    from bot.admin import check

    with pytest.raises(Rejected) as refused:
        check("big.pdf", b"", size=MAX_BYTES + 1)
    assert refused.value.reason == "too_big"
    assert "20 MB" in refused.value.message("en") and "20 MB" in refused.value.message("pl")


def test_two_admins_sending_the_same_file_at_once(settings: Settings) -> None:
    results, errors = [], []

    def upload() -> None:
        try:
            added = add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
            results.append(added)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.embedded > 0 for r in results) == [False, True]  # the second: unchanged
    files, reports = _state(settings)
    assert list(files) == ["kim-bang-2023.txt"] and list(reports) == ["kim-bang-2023.txt"]


def test_what_a_killed_upload_left_is_swept(settings: Settings) -> None:
    settings.corpus_dir.mkdir(parents=True)
    left = settings.corpus_dir / ".upload-999999999-kim-bang-2023.txt"
    left.write_bytes(KIM_BANG[:100])
    assert Indexer(settings, embedder=HashEmbedder()).run().files == 0  # hidden: never read
    sweep(settings.corpus_dir)
    assert not left.exists()


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _marker(settings: Settings, source: str, pid: int) -> Path:
    marker = settings.corpus_dir / f".pending-{pid}-{abs(hash(source))}"
    marker.write_text(source, encoding="utf-8")
    return marker


def test_recover_indexes_a_report_whose_upload_was_killed_mid_index(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    clean = _state(settings)
    # Killed after the rename, before its index run ended: the file is whole, the index
    # holds part of it (here: the report's records dropped, as at the start of a run).
    store = Store(settings)
    store.open(HashEmbedder().name, create=False)
    store.delete_source("kim-bang-2023.txt")
    store.delete_report("kim-bang-2023.txt")
    marker = _marker(settings, "kim-bang-2023.txt", _dead_pid())
    assert interrupted(settings.corpus_dir) == ["kim-bang-2023.txt"]
    assert recover(settings, embedder=HashEmbedder()) == ["kim-bang-2023.txt"]
    assert not marker.exists() and _state(settings) == clean
    assert recover(settings, embedder=HashEmbedder()) == []  # nothing left to do


def test_recover_drops_a_report_whose_removal_was_killed(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    # Killed after the file was deleted, before its records were.
    _marker(settings, "kim-bang-2023.txt", _dead_pid())
    (settings.corpus_dir / "kim-bang-2023.txt").unlink()
    assert recover(settings, embedder=HashEmbedder()) == ["kim-bang-2023.txt"]
    assert _state(settings) == ({}, {})


def test_recover_leaves_a_running_process_alone(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as other:
        try:
            marker = _marker(settings, "kim-bang-2023.txt", other.pid)
            (settings.corpus_dir / f".upload-{other.pid}-x.txt").write_bytes(b"part")
            assert interrupted(settings.corpus_dir) == []
            assert recover(settings, embedder=HashEmbedder()) == []
            assert marker.exists() and (settings.corpus_dir / f".upload-{other.pid}-x.txt").exists()
        finally:
            other.kill()


class _Failing(HashEmbedder):
    """Embeds nothing with figures in it: an index run that fails midway."""

    def embed_passages(self, texts):  # noqa: ANN001, ANN201
        if any("109" in t or "111" in t for t in texts):
            raise RuntimeError("the embedder died")
        return super().embed_passages(texts)


def test_a_failed_index_run_puts_the_old_report_back(settings: Settings) -> None:
    add_report(settings, "kim-bang-2023.txt", KIM_BANG, embedder=HashEmbedder())
    before = _state(settings)
    failing = _Failing()
    failing.name = HashEmbedder().name
    with pytest.raises(RuntimeError):
        add_report(
            settings, "kim-bang-2023.txt", KIM_BANG.replace(b"109", b"111"), embedder=failing
        )
    assert _state(settings) == before
    assert interrupted(settings.corpus_dir) == []
    assert [p.name for p in settings.corpus_dir.iterdir()] == ["kim-bang-2023.txt"]
