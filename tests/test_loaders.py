"""Each loader on real files written by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.loaders import LoadError, load_report
from tests.conftest import SAMPLE


def test_sample_report_paragraphs_boilerplate_and_byline() -> None:
    report = load_report(SAMPLE, "kim-bang-2023.txt")
    texts = [p.text for p in report.paragraphs if p.kind == "text"]
    assert len(texts) == 5
    assert [p.number for p in report.paragraphs] == [1, 2, 3, 4, 5, 6]
    # The byline stays, as a paragraph of its own (cited by "who wrote it"), never searched.
    assert (report.paragraphs[-1].kind, report.paragraphs[-1].text) == ("byline", "Huong Giang")
    assert "powielono 109 modeli" in texts[3]
    assert report.byline == "Huong Giang"
    assert report.title.startswith("Komitet Dystryktu Partii Kim Bang")
    joined = "\n".join(texts)
    for boilerplate in ("Źródło", "Komentarz", "Huong Giang"):
        assert boilerplate not in joined


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text(
        "---\ntitle: Front matter title\n---\n"
        "# Phu Ly reviews democracy\n\n"
        "The city resolved **312 petitions** from [residents](http://x).\n\n"
        "- first item\n- second item\n\n"
        "| district | models |\n|---|---|\n| Kim Bang | 109 |\n",
        encoding="utf-8",
    )
    report = load_report(path, "r.md")
    assert report.title == "Front matter title"
    assert [(p.kind, p.text) for p in report.paragraphs] == [
        ("heading", "Phu Ly reviews democracy"),
        ("text", "The city resolved 312 petitions from residents."),
        ("text", "first item"),
        ("text", "second item"),
        ("text", "district | models"),
        ("text", "Kim Bang | 109"),
    ]


def test_html_drops_scripts_navigation_and_keeps_blocks(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    path.write_text(
        """<html><head><title>Site | News</title><meta name="author" content="Minh Anh">
        <script>alert('x')</script></head><body><nav>Home | About</nav>
        <h1>Ly Nhan sums up 2023</h1>
        <p>The district recognised
           64 new models.</p><div>Residents gave<br>2.3 billion VND.</div>
        <footer>Copyright 2024</footer><script>var x = 999;</script></body></html>""",
        encoding="utf-8",
    )
    report = load_report(path, "r.html")
    assert report.title == "Ly Nhan sums up 2023"
    assert report.byline == "Minh Anh"
    texts = [p.text for p in report.paragraphs]
    assert texts == [
        "Ly Nhan sums up 2023",
        "The district recognised 64 new models.",
        "Residents gave",
        "2.3 billion VND.",
    ]
    assert report.paragraphs[0].kind == "heading"


def test_pdf_made_in_the_test(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Duy Tien report 2023")
    pdf.set_author("Tran Van B")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    first = (
        "In 2023 the district of Duy Tien replicated 87 models of skilled mass mobilization "
        "in agriculture, industry and services, with good results across communes."
    )
    pdf.multi_cell(0, 6, first)
    pdf.ln(6)
    pdf.multi_cell(0, 6, "Residents contributed 1.2 billion VND to rural roads.")
    path = tmp_path / "r.pdf"
    pdf.output(str(path))
    report = load_report(path, "r.pdf")
    assert report.title == "Duy Tien report 2023"
    assert report.byline == "Tran Van B"
    texts = [p.text for p in report.paragraphs]
    assert texts == [first, "Residents contributed 1.2 billion VND to rural roads."]


def test_docx_made_in_the_test(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.author = "Huong Giang"
    document.add_heading("Sprawozdanie Kim Bang", level=1)
    document.add_paragraph("Powielono 109 modeli mobilizacji masowej.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Kim Bang"
    table.rows[0].cells[1].text = "109"
    document.add_paragraph("Życie mieszkańców uległo poprawie.")
    path = tmp_path / "r.docx"
    document.save(str(path))
    report = load_report(path, "r.docx")
    assert report.title == "Sprawozdanie Kim Bang"
    assert report.byline == "Huong Giang"
    assert [(p.kind, p.text) for p in report.paragraphs] == [
        ("heading", "Sprawozdanie Kim Bang"),
        ("text", "Powielono 109 modeli mobilizacji masowej."),
        ("text", "Kim Bang | 109"),
        ("text", "Życie mieszkańców uległo poprawie."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage", "PDF"),
        ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
        ("binary.txt", bytes(range(256)) * 64, "binary"),
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"   \n\n  \n", "empty file"),
        ("zip.docx", b"PK\x03\x04 not really a zip", "not a valid DOCX"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type"),
    ],
)
def test_bad_files_give_one_line_reasons(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        load_report(path, name)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
