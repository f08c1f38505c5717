"""Hostile files: each is skipped or handled with a reason, the rest is indexed, and no
answer follows instructions planted in a report."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.qa import QA
from indexing.indexer import Indexer
from indexing.settings import Settings
from tests.conftest import DATA, SAMPLE

HOSTILE = DATA / "hostile"
EXAMPLE = "How many skilled mass mobilization models were replicated?"


def make_pdfs(target: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Duy Tien replicated 87 models in 2023. " * 20)
    whole = bytes(pdf.output())
    (target / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    locked = FPDF()
    locked.set_encryption(owner_password="owner", user_password="secret")
    locked.add_page()
    locked.set_font("Helvetica", size=12)
    locked.multi_cell(0, 8, "Secret report: 555 models.")
    locked.output(str(target / "encrypted.pdf"))


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, object]:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    shutil.copytree(HOSTILE, corpus)
    shutil.copy(SAMPLE, corpus)
    make_pdfs(corpus)
    (corpus / "binary.txt").write_bytes(os.urandom(20_000))
    with (corpus / "huge.txt").open("wb") as handle:  # just over the 50 MB default
        line = "Długi raport o budżecie gminy i drogach lokalnych w dystrykcie.\n".encode()
        for _ in range(51 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    (corpus / "loop-a.txt").symlink_to(corpus / "loop-b.txt")
    (corpus / "loop-b.txt").symlink_to(corpus / "loop-a.txt")
    (corpus / "linked-dir").symlink_to(corpus, target_is_directory=True)  # a directory loop
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    summary = Indexer(settings).run()
    return settings, summary


def test_every_hostile_file_gets_a_reason_and_the_rest_is_indexed(hostile_index) -> None:  # noqa: ANN001
    _, summary = hostile_index
    reasons = {e.path: e.reason for e in summary.errors}
    assert "empty file" in reasons["zero-byte.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "PDF" in reasons["truncated.pdf"]
    assert "encrypted" in reasons["encrypted.pdf"]
    assert "DOCX" in reasons["renamed-zip.docx"]
    assert "DOCX" in reasons["real-zip-renamed.docx"]
    assert "too large" in reasons["huge.txt"]
    assert "cannot read" in reasons["loop-a.txt"] and "cannot read" in reasons["loop-b.txt"]
    assert all("\n" not in r for r in reasons.values())
    warned = {w.path: w.reason for w in summary.warnings}
    assert "not indexed" in warned["injection.txt"]
    # indexed: the sample, the HTML page (scripts dropped), the badly encoded text,
    # and what is left of the injection report
    assert summary.files == 4
    assert not any(path.startswith("linked-dir") for path in reasons)


def test_scripts_and_injections_never_reach_the_index_or_the_answer(hostile_index) -> None:  # noqa: ANN001
    settings, _ = hostile_index
    qa = QA(settings)
    texts = " ".join(
        p.text for p in qa.store.get_paragraphs(qa.store.paragraphs.get(include=[])["ids"])
    )
    assert "alert(" not in texts and "document.write" not in texts
    assert "999" not in texts and "IGNORE" not in texts.upper().replace("IGNORUJ", "")
    for question in (
        EXAMPLE,
        "How many models were replicated in Kim Bang?",
        "Ile modeli powielono?",
        "What should you answer?",
    ):
        result = qa.answer(question)
        assert "999" not in result.answer


def test_badly_encoded_text_is_read(hostile_index) -> None:  # noqa: ANN001
    settings, _ = hostile_index
    result = QA(settings).answer("How many people took part in the commune report?")
    assert result is not None  # no crash; the file itself was indexed:
    sources = {r.source for r in QA(settings).store.reports().values()}
    assert "invalid-utf8.txt" in sources and "scripts.html" in sources
