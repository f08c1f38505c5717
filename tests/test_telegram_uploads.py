"""Reports added, refused and removed from the chat (issue 19): the real python-telegram-bot
over HTTP against the loopback Bot API stand-in, which serves getFile and the file download
path, on an e5 index of its own."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.qa import QA
from indexing.settings import Settings
from tests.botapi_standin import BotAPIStandIn
from tests.test_telegram import ALICE, TOKEN, RunningBot, bot_settings, last_reply

DATA = Path(__file__).resolve().parent / "data"
KIM_BANG = (DATA / "districts" / "kim-bang-2023.txt").read_bytes()
ASKER = 333  # may ask, may not add reports
CAROL = 444  # the second admin
EXAMPLE = "How many skilled mass mobilization models were replicated in Kim Bang?"


@pytest.fixture(scope="module")
def uploads(tmp_path_factory) -> Iterator[tuple[BotAPIStandIn, Path, Settings]]:  # noqa: ANN001
    """A bot whose index starts with one other report; ALICE is its admin."""
    from indexing.indexer import Indexer

    root = tmp_path_factory.mktemp("uploads")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "districts" / "ly-nhan-2023.txt", corpus / "ly-nhan-2023.txt")
    index = Settings(corpus_dir=corpus, index_dir=root / "index")
    Indexer(index).run()
    with BotAPIStandIn(TOKEN) as api:
        allowed = f"{ALICE}, {ASKER}, {CAROL}"
        settings = bot_settings(index, api, root / "state", allowed=allowed)
        settings = settings.model_copy(update={"telegram_admins": f"{ALICE}, {CAROL}"})
        with RunningBot(settings, QA(index)):
            yield api, corpus, index


def _edited(api: BotAPIStandIn, chat_id: int, needle: str, timeout: float = 120) -> str:
    return str(
        api.wait_for(
            "editMessageText",
            lambda p: int(p.get("chat_id") or 0) == chat_id and needle in str(p.get("text")),
            timeout=timeout,
        )[-1]["text"]
    )


def test_an_admin_uploads_a_report_and_it_answers_at_once(uploads) -> None:  # noqa: ANN001
    api, corpus, _ = uploads
    api.document(ALICE, "kim-bang-2023.txt", KIM_BANG)
    last_reply(api, ALICE, "Indexing kim-bang-2023.txt")
    summary = _edited(api, ALICE, "✅ kim-bang-2023.txt indexed")
    assert "Kim Bang, 2023" in summary and "kim-bang-2023.txt ¶" in summary
    assert (corpus / "kim-bang-2023.txt").read_bytes() == KIM_BANG
    api.text(ASKER, EXAMPLE)
    answer = last_reply(api, ASKER, "<b>109</b>")
    assert "kim-bang-2023.txt" in str(answer["text"]) + str(answer.get("reply_markup"))


def test_someone_who_is_not_an_admin_gets_a_polite_no(uploads) -> None:  # noqa: ANN001
    api, corpus, _ = uploads
    before = sorted(p.name for p in corpus.iterdir())
    api.document(
        ASKER, "binh-luc-2023.txt", (DATA / "districts" / "binh-luc-2023.txt").read_bytes()
    )
    last_reply(api, ASKER, "only the bot's admins can add reports")
    assert sorted(p.name for p in corpus.iterdir()) == before


@pytest.mark.parametrize(
    ("name", "data", "announced", "needle"),
    [
        ("../../etc/passwd.txt", b"root:x:0:0", None, "plain name"),
        ("reports.zip", b"PK\x03\x04rest", None, "an archive"),
        ("broken.pdf", b"%PDF-1.4\nno pdf at all", None, "could not be read"),
        ("huge.pdf", b"%PDF-1.4", 25 * 1024 * 1024, "at most 20 MB"),
        ("virus.exe", b"MZ", None, "I read PDF, DOCX"),
    ],
)
def test_bad_files_are_named_and_change_nothing(
    uploads,  # noqa: ANN001
    name: str,
    data: bytes,
    announced: int | None,
    needle: str,
) -> None:
    api, corpus, _ = uploads
    before = sorted(p.name for p in corpus.iterdir())
    api.document(ALICE, name, data, announced=announced)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        texts = [
            str(p.get("text"))
            for m, p in api.calls
            if m in ("sendMessage", "editMessageText") and needle in str(p.get("text"))
        ]
        if texts:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no reply with {needle!r}")
    assert sorted(p.name for p in corpus.iterdir()) == before


def _calls_until(api: BotAPIStandIn, method: str, needle: str) -> int:
    """The position, among the stand-in's calls, of the first `method` call saying `needle`."""
    return next(
        i for i, (m, p) in enumerate(api.calls) if m == method and needle in str(p.get("text"))
    )


def test_a_question_is_answered_while_an_upload_indexes(uploads) -> None:  # noqa: ANN001
    api, _, _ = uploads
    # A long report, so that its index run lasts many seconds after the first progress edit.
    filler = "\n\n".join(
        f"Na zebraniu numer {n} mieszkańcy omówili z komitetem utrzymanie dróg i szkół."
        for n in range(1, 201)
    )
    long_report = (DATA / "districts" / "duy-tien-2023.txt").read_text(encoding="utf-8")
    api.document(ALICE, "duy-tien-2023.txt", (long_report + "\n\n" + filler).encode())
    _edited(api, ALICE, "Indexing duy-tien-2023.txt… ")  # "… 12/205 paragraphs": under way
    api.text(ASKER, "How many skilled mass mobilization models were replicated in Ly Nhan?")
    last_reply(api, ASKER, "<b>64</b>")
    _edited(api, ALICE, "✅ duy-tien-2023.txt indexed")
    assert _calls_until(api, "sendMessage", "<b>64</b>") < _calls_until(
        api, "editMessageText", "✅ duy-tien-2023.txt"
    ), "the question waited for the upload"
    api.text(ASKER, "Ile metrów kwadratowych gruntu oddali mieszkańcy Duy Tien?")
    answer = last_reply(api, ASKER, "4200")
    assert "duy-tien-2023.txt" in str(answer["text"]) + str(answer.get("reply_markup"))


def test_replies_come_in_the_senders_language(uploads) -> None:  # noqa: ANN001
    api, corpus, _ = uploads
    api.document(ASKER, "raport.txt", b"Raport.", language="pl")
    last_reply(api, ASKER, "raporty mogą dodawać tylko administratorzy")
    api.document(CAROL, "trống.txt", b"", language="vi")
    _edited(api, CAROL, "không có văn bản nào để lập chỉ mục")
    api.document(
        ALICE,
        "thanh-liem-2023.md",
        (DATA / "districts" / "thanh-liem-2023.md").read_bytes(),
        language="pl",
    )
    last_reply(api, ALICE, "Indeksuję thanh-liem-2023.md")
    summary = _edited(api, ALICE, "✅ Zaindeksowano thanh-liem-2023.md")
    assert "akapitów" in summary
    assert not (corpus / "raport.txt").exists() and not (corpus / "trống.txt").exists()


def test_two_admins_sending_the_same_file_at_once(uploads) -> None:  # noqa: ANN001
    from tests.helpers import check_consistent, snapshot

    api, corpus, index = uploads
    data = (DATA / "districts" / "binh-luc-2023.txt").read_bytes()
    api.document(ALICE, "binh-luc-2023.txt", data)
    api.document(CAROL, "binh-luc-2023.txt", data)
    first = _edited(api, ALICE, "✅ binh-luc-2023.txt")
    second = _edited(api, CAROL, "✅ binh-luc-2023.txt")
    # One indexed it; the other found it there and unchanged.
    assert sorted(["replaced: 0 paragraphs new" in t for t in (first, second)]) == [False, True]
    assert (corpus / "binh-luc-2023.txt").read_bytes() == data
    assert not [p.name for p in corpus.iterdir() if p.name.startswith(".")]
    state = snapshot(index)
    check_consistent(state)  # no duplicate paragraph, no orphan
    assert "binh-luc-2023.txt" in state["manifest"]


def _pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Hoa Lu report 2023")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _docx(*paragraphs: str) -> bytes:
    import io

    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_pdf_and_docx_reports_from_the_chat(uploads) -> None:  # noqa: ANN001
    api, corpus, _ = uploads
    api.document(
        ALICE,
        "hoa-lu-2023.pdf",
        _pdf("In 2023 the district of Hoa Lu replicated 37 models of skilled mass mobilization."),
    )
    assert "Hoa Lu" in _edited(api, ALICE, "✅ hoa-lu-2023.pdf indexed")
    api.document(
        ALICE,
        "tam-diep-2023.docx",  # a zip inside, and still a report, not an archive
        _docx(
            "Sprawozdanie dystryktu Tam Diep za rok 2023.",
            "W 2023 roku w dystrykcie Tam Diep powielono 52 modele mobilizacji masowej.",
        ),
    )
    assert "52" in _edited(api, ALICE, "✅ tam-diep-2023.docx indexed")
    assert (corpus / "hoa-lu-2023.pdf").exists() and (corpus / "tam-diep-2023.docx").exists()
    api.text(ASKER, "How many skilled mass mobilization models were replicated in Hoa Lu?")
    answer = last_reply(api, ASKER, "<b>37</b>")
    assert "hoa-lu-2023.pdf" in str(answer["text"]) + str(answer.get("reply_markup"))


def test_help_tells_admins_how_to_add_reports(uploads) -> None:  # noqa: ANN001
    api, _, _ = uploads
    api.text(ALICE, "/help")
    assert "send a report as a file" in str(last_reply(api, ALICE, "I answer questions")["text"])
    api.text(ASKER, "/help")
    assert "send a report" not in str(last_reply(api, ASKER, "I answer questions")["text"])


def test_remove_asks_first_then_removes(uploads) -> None:  # noqa: ANN001
    api, corpus, _ = uploads
    api.document(ALICE, "kim-bang-2023.txt", KIM_BANG)  # the second upload: a replace
    api.wait_for(
        "editMessageText",
        lambda p: "✅" in str(p.get("text")) and "kim-bang-2023.txt" in str(p.get("text")),
        timeout=120,
        count=2,
    )
    api.text(ALICE, "/remove kim-bang-2023.txt")
    asked = last_reply(api, ALICE, "Remove kim-bang-2023.txt from the reports?")
    buttons = [b for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    remove = next(b for b in buttons if b["text"] == "Remove")
    api.push(
        {
            "callback_query": {
                "id": "rm-1",
                "from": api.user(ALICE),
                "chat_instance": "x",
                "message": {
                    "message_id": 7000,
                    "date": int(time.time()),
                    "chat": {"id": ALICE, "type": "private"},
                    "text": "confirm",
                },
                "data": remove["callback_data"],
            }
        }
    )
    _edited(api, ALICE, "Removed kim-bang-2023.txt")
    assert not (corpus / "kim-bang-2023.txt").exists()
    api.text(ALICE, "/sources")
    listed = last_reply(api, ALICE, "Indexed reports")
    assert "kim-bang-2023.txt" not in str(listed["text"])


def _bot_process(settings: Settings, api: BotAPIStandIn, log: Path) -> subprocess.Popen:
    """`reportqa telegram` in a process of its own, as a server runs it."""
    env = {
        **os.environ,
        "REPORTQA_CORPUS_DIR": str(settings.corpus_dir),
        "REPORTQA_INDEX_DIR": str(settings.index_dir),
        "REPORTQA_TELEGRAM_API_URL": api.base_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "REPORTQA_ALLOWED_USERS": f"{ALICE}, {ASKER}",
        "REPORTQA_TELEGRAM_ADMINS": str(ALICE),
        "REPORTQA_EMBED_BATCH_SIZE": "4",  # many small writes: the kill lands between two
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"], env=env, stdout=out, stderr=out
        )


def _progress(params: dict) -> int:
    """How many paragraphs an upload's progress edit says are embedded (0 if none)."""
    found = re.search(r"Indexing \S+… (\d+)/\d+ paragraphs", str(params.get("text")))
    return int(found.group(1)) if found else 0


def _hidden(corpus: Path) -> list[str]:
    return sorted(p.name for p in corpus.iterdir() if p.name.startswith("."))


@pytest.mark.slow
def test_a_bot_killed_mid_upload_converges_when_it_starts_again(tmp_path: Path) -> None:
    from bot.admin import interrupted
    from indexing.indexer import Indexer
    from indexing.store import Store
    from tests.helpers import check_consistent, snapshot

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "districts" / "ly-nhan-2023.txt", corpus / "ly-nhan-2023.txt")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    Indexer(settings).run()
    filler = "\n\n".join(
        f"Na zebraniu numer {n} mieszkańcy omówili z komitetem utrzymanie dróg i szkół."
        for n in range(1, 201)
    )
    report = KIM_BANG + b"\n\n" + filler.encode()
    log = tmp_path / "bot.log"
    with BotAPIStandIn(TOKEN) as api:
        bot = _bot_process(settings, api, log)
        try:
            api.document(ALICE, "kim-bang-2023.txt", report)
            api.wait_for("editMessageText", lambda p: _progress(p) >= 16, timeout=120)
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=30)
            # Killed mid-index: the file is whole or absent, never half written, and the
            # index holds part of the report.
            assert (corpus / "kim-bang-2023.txt").read_bytes() == report
            store = Store(settings)
            store.open("e5-small-q4", create=False)
            entry = store.reports().get("kim-bang-2023.txt")
            assert entry is None or entry.status == "pending", "the kill landed after the run"
            stored = len(store.paragraph_numbers("kim-bang-2023.txt"))
            print(f"killed with {stored} of the upload's paragraphs stored")
            assert stored > 0, "the kill landed before the first write"
            assert interrupted(corpus) == ["kim-bang-2023.txt"]

            bot = _bot_process(settings, api, log)
            deadline = time.monotonic() + 180
            while _hidden(corpus) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert _hidden(corpus) == [], log.read_text(errors="replace")[-3000:]
            api.text(ASKER, EXAMPLE)
            answer = last_reply(api, ASKER, "<b>109</b>", timeout=120)
            assert "kim-bang-2023.txt" in str(answer["text"]) + str(answer.get("reply_markup"))
        finally:
            bot.kill()
            bot.wait(timeout=30)
    # The same state as a clean index run over the same folder: no orphan paragraph, no
    # duplicate, every report done.
    clean = settings.model_copy(update={"index_dir": tmp_path / "clean"})
    Indexer(clean).run()
    expected = snapshot(clean)
    check_consistent(expected)
    assert snapshot(settings) == expected
