"""The indexer against a real Chroma on disk: incremental, deletions, errors, mismatches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexing.indexer import Indexer
from indexing.store import ModelMismatchError, Store
from tests.conftest import DATA, SAMPLE
from tests.helpers import check_consistent, snapshot


def run(settings, paths=None, rebuild=False):  # noqa: ANN001, ANN201
    return Indexer(settings).run(paths, rebuild=rebuild)


def test_first_run_then_no_change_rerun_embeds_nothing(corpus: Path, make_settings) -> None:  # noqa: ANN001
    settings = make_settings(corpus)
    first = run(settings)
    assert (first.files, first.paragraphs, first.embedded, first.unchanged) == (1, 6, 6, 0)
    assert first.errors == []
    again = run(settings)
    assert (again.files, again.paragraphs, again.embedded, again.unchanged) == (1, 6, 0, 6)
    assert again.units_embedded == 0
    check_consistent(snapshot(settings))


def test_stored_paragraphs_are_verbatim_with_numbers(corpus: Path, make_settings) -> None:  # noqa: ANN001
    settings = make_settings(corpus)
    run(settings)
    snap = snapshot(settings)
    fourth = [p for p in snap["paragraphs"] if dict(p[2])["paragraph"] == 4]
    assert len(fourth) == 1
    assert "powielono 109 modeli" in fourth[0][1]
    assert dict(fourth[0][2])["source"] == "kim-bang-2023.txt"
    assert all("Komentarz" not in p[1] and "Źródło" not in p[1] for p in snap["paragraphs"])
    assert snap["manifest"]["kim-bang-2023.txt"]["byline"] == "Huong Giang"


def test_edit_reembeds_only_the_changed_paragraph(corpus: Path, make_settings) -> None:  # noqa: ANN001
    settings = make_settings(corpus)
    run(settings)
    path = corpus / SAMPLE.name
    path.write_text(
        path.read_text(encoding="utf-8").replace("109 modeli", "110 modeli"), encoding="utf-8"
    )
    summary = run(settings)
    assert (summary.embedded, summary.unchanged, summary.deleted, summary.paragraphs) == (
        1,
        5,
        1,
        6,
    )
    snap = snapshot(settings)
    check_consistent(snap)
    texts = " ".join(p[1] for p in snap["paragraphs"])
    assert "110 modeli" in texts and "109 modeli" not in texts
    assert not any("109 modeli" in u[1] for u in snap["units"])


def test_inserted_paragraph_renumbers_without_reembedding(corpus: Path, make_settings) -> None:  # noqa: ANN001
    settings = make_settings(corpus)
    run(settings)
    path = corpus / SAMPLE.name
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(2, "Nowy akapit wstawiony na początku raportu.")
    path.write_text("\n".join(lines), encoding="utf-8")
    summary = run(settings)
    assert (summary.embedded, summary.unchanged, summary.paragraphs) == (1, 6, 7)
    snap = snapshot(settings)
    check_consistent(snap)
    numbers = {dict(p[2])["paragraph"]: p[1] for p in snap["paragraphs"]}
    assert "powielono 109 modeli" in numbers[5]


def test_removed_report_leaves_the_index(corpus: Path, make_settings) -> None:  # noqa: ANN001
    shutil.copy(DATA / "corpus" / "ly-nhan-2023.txt", corpus)
    settings = make_settings(corpus)
    assert run(settings).paragraphs == 11  # with their bylines
    (corpus / "ly-nhan-2023.txt").unlink()
    summary = run(settings)
    assert (summary.deleted, summary.paragraphs, summary.embedded) == (5, 6, 0)
    snap = snapshot(settings)
    check_consistent(snap)
    assert set(snap["manifest"]) == {"kim-bang-2023.txt"}


def test_naming_a_subfolder_only_touches_that_subfolder(corpus: Path, make_settings) -> None:  # noqa: ANN001
    sub = corpus / "2024"
    sub.mkdir()
    shutil.copy(DATA / "corpus" / "phu-ly-2023.md", sub)
    settings = make_settings(corpus)
    run(settings)
    (sub / "phu-ly-2023.md").unlink()
    summary = run(settings, [sub])
    assert summary.deleted == 4
    assert set(snapshot(settings)["manifest"]) == {"kim-bang-2023.txt"}


def test_bad_files_are_skipped_and_the_rest_indexed(corpus: Path, make_settings) -> None:  # noqa: ANN001
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n%garbage that is not a pdf body")
    (corpus / "noise.txt").write_bytes(bytes(range(256)) * 100)
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    settings = make_settings(corpus)
    summary = run(settings)
    reasons = {e.path: e.reason for e in summary.errors}
    assert set(reasons) == {"broken.pdf", "noise.txt", "photo.jpg"}
    assert "binary" in reasons["noise.txt"]
    assert "unsupported" in reasons["photo.jpg"]
    assert (summary.files, summary.paragraphs) == (1, 6)


def test_a_report_that_breaks_keeps_its_old_paragraphs(corpus: Path, make_settings) -> None:  # noqa: ANN001
    settings = make_settings(corpus)
    run(settings)
    (corpus / SAMPLE.name).write_bytes(bytes(range(256)) * 100)
    summary = run(settings)
    assert [e.path for e in summary.errors] == ["kim-bang-2023.txt"]
    assert summary.paragraphs == 6


def test_model_mismatch_is_a_clear_error_and_rebuild_fixes_it(corpus: Path, make_settings) -> None:  # noqa: ANN001
    run(make_settings(corpus, embedding="hash"))
    other = make_settings(corpus, embedding="hash:64")
    with pytest.raises(ModelMismatchError, match=r"reportqa index --rebuild"):
        run(other)
    summary = run(other, rebuild=True)
    assert (summary.embedded, summary.paragraphs) == (6, 6)
    assert Store(other).model_info()["embedding"] == "hash-64"


def test_duplicate_paragraphs_in_one_report_are_both_kept(tmp_path: Path, make_settings) -> None:  # noqa: ANN001
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "r.txt").write_text(
        "Tytuł.\nTen sam akapit.\nInny.\nTen sam akapit.\n", encoding="utf-8"
    )
    settings = make_settings(corpus)
    assert run(settings).paragraphs == 4
    check_consistent(snapshot(settings))


def test_small_batches_across_many_files(tmp_path: Path, make_settings) -> None:  # noqa: ANN001
    corpus = tmp_path / "c"
    corpus.mkdir()
    for i in range(7):
        body = "\n".join(f"Raport {i}, akapit {j}. Zdanie drugie {j}." for j in range(9))
        (corpus / f"r{i}.txt").write_text(body, encoding="utf-8")
    settings = make_settings(corpus, embed_batch_size=5)
    summary = run(settings)
    assert (summary.files, summary.embedded, summary.paragraphs) == (7, 63, 63)
    check_consistent(snapshot(settings))


def test_oversized_file_is_skipped_with_the_setting_named(corpus: Path, make_settings) -> None:  # noqa: ANN001
    (corpus / "huge.txt").write_text("Długi raport o budżecie.\n" * 50_000, encoding="utf-8")
    summary = run(make_settings(corpus, max_file_mb=1))
    assert [(e.path, "REPORTQA_MAX_FILE_MB" in e.reason) for e in summary.errors] == [
        ("huge.txt", True)
    ]
    assert summary.paragraphs == 6


def test_long_paragraph_is_cut_with_a_warning(tmp_path: Path, make_settings) -> None:  # noqa: ANN001
    corpus = tmp_path / "reports"
    corpus.mkdir()
    (corpus / "one-line.txt").write_text("Raport o budżecie gminy. " * 40_000, encoding="utf-8")
    summary = run(make_settings(corpus, max_paragraph_chars=5000))
    assert summary.errors == []
    assert [w.path for w in summary.warnings] == ["one-line.txt"]
    assert "REPORTQA_MAX_PARAGRAPH_CHARS" in summary.warnings[0].reason
    store = Store(make_settings(corpus, max_paragraph_chars=5000))
    store.open("hash-256", create=False)
    (text,) = store.paragraphs.get(include=["documents"])["documents"]
    assert len(text) <= 5000 and text.endswith(".")


def test_e5_units_never_exceed_what_the_model_reads(tmp_path: Path) -> None:
    from indexing.embeddings import get_embedder
    from indexing.indexer import paragraph_units
    from indexing.models import Paragraph, Report

    embedder = get_embedder("e5-small-q4")
    sentence = "słowo " * 3000  # one 18,000-character sentence
    report = Report(
        source="long.txt",
        title="Long",
        paragraphs=[Paragraph(source="long.txt", number=1, text=sentence.strip())],
        file_hash="x",
    )
    ((_, _, units),) = paragraph_units(report, embedder)
    assert len(units) > 1
    assert all(embedder.count_tokens(u.embed_text) <= embedder.max_tokens for u in units)
    assert " ".join(u.text for u in units) == sentence.strip()
