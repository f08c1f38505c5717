"""Server mode: a real `chroma run` on loopback holds all index state."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexing.settings import Settings
from indexing.store import Store
from tests.chroma_server import ChromaServer
from tests.conftest import SAMPLE
from tests.helpers import check_consistent, snapshot
from tests.test_crash import write_corpus

EXAMPLE = "How many skilled mass mobilization models were replicated?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path_factory.mktemp("chroma") / "data") as running:
        yield running


@pytest.fixture
def url(server: ChromaServer) -> str:
    Store(Settings(chroma_url=server.url)).reset()  # each test starts from an empty server
    return server.url


def cli(*args: str, cwd: Path, url: str, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "REPORTQA_CHROMA_URL": url, **env}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def summary(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_index_through_the_server_then_answer_from_a_second_process(
    url: str, tmp_path: Path
) -> None:
    writer = tmp_path / "writer"
    (writer / "corpus").mkdir(parents=True)
    shutil.copy(SAMPLE, writer / "corpus")
    first = summary(cli("index", "--json", cwd=writer, url=url))
    assert (first["paragraphs"], first["embedded"]) == (6, 6)  # five and the byline
    assert not (writer / ".reportqa").exists(), "server mode must keep no local state"

    reader = tmp_path / "reader"  # nothing local: no corpus, no index, only the URL
    reader.mkdir()
    answer = json.loads(cli("ask", "--json", EXAMPLE, cwd=reader, url=url).stdout)
    assert answer["answered"] and answer["answer"].startswith("**109**")
    assert (answer["citations"][0]["source"], answer["citations"][0]["paragraph"]) == (
        "kim-bang-2023.txt",
        4,
    )
    # The figures table and the bylines live in the server too.
    total = json.loads(
        cli(
            "ask",
            "--json",
            "How many models were replicated in all districts?",
            cwd=reader,
            url=url,
        ).stdout
    )
    assert total["kind"] == "total" and total["table"][0]["value"] == 109
    author = json.loads(cli("ask", "--json", "Who wrote the report?", cwd=reader, url=url).stdout)
    assert author["kind"] == "metadata" and "Huong Giang" in author["answer"]
    stats = json.loads(cli("stats", "--json", cwd=reader, url=url).stdout)
    assert (stats["reports"], stats["paragraphs"]) == (1, 6)
    assert list(reader.iterdir()) == []


def test_incremental_against_the_server(url: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE, corpus)
    shutil.copy(SAMPLE.parent.parent / "tests" / "data" / "corpus" / "ly-nhan-2023.txt", corpus)
    assert summary(cli("index", "--json", cwd=tmp_path, url=url))["embedded"] == 11
    assert summary(cli("index", "--json", cwd=tmp_path, url=url))["embedded"] == 0
    path = corpus / SAMPLE.name
    path.write_text(
        path.read_text(encoding="utf-8").replace("109 modeli", "110 modeli"), encoding="utf-8"
    )
    (corpus / "ly-nhan-2023.txt").unlink()
    edited = summary(cli("index", "--json", cwd=tmp_path, url=url))
    assert (edited["embedded"], edited["deleted"], edited["paragraphs"]) == (1, 6, 6)
    check_consistent(snapshot(Settings(chroma_url=url, corpus_dir=corpus)))


@pytest.mark.slow
def test_kill_midway_against_the_server(url: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, reports=5, paragraphs=10)
    env = {"REPORTQA_CORPUS_DIR": str(corpus), "REPORTQA_EMBED_BATCH_SIZE": "4"}
    started = time.perf_counter()
    summary(cli("index", "--json", cwd=tmp_path, url=url, **env))
    seconds = time.perf_counter() - started
    settings = Settings(chroma_url=url, corpus_dir=corpus)
    clean = snapshot(settings)
    check_consistent(clean)
    partial = 0
    # A run spends its first seconds loading models; kill at later and later moments until
    # one has landed mid-write (every kill must still converge to the clean state).
    for kills, fraction in enumerate((0.5, 0.8, 0.65, 0.9, 0.35), start=1):
        if partial and kills > 2:
            break
        Store(settings).reset()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "index", "--json"],
            cwd=tmp_path,
            env={**os.environ, "REPORTQA_CHROMA_URL": url, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(seconds * fraction)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        store = Store(settings)
        if store.exists():
            store.open("e5-small-q4")
            partial += 0 < store.counts()["paragraphs"] < len(clean["paragraphs"])
        summary(cli("index", "--json", cwd=tmp_path, url=url, **env))
        assert snapshot(settings) == clean
    assert partial >= 1, "no kill landed mid-run"


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    from tests.chroma_server import free_port

    done = cli("ask", EXAMPLE, cwd=tmp_path, url=f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 2
    assert "cannot open the Chroma store" in done.stderr and "Traceback" not in done.stderr


def test_an_upload_from_the_chat_reaches_every_process_of_the_server(
    url: str, tmp_path: Path
) -> None:
    """Issue 19 in server mode: an admin's upload is indexed into the server, and another
    process that has only the URL answers from it at once; a removal reaches it too."""
    from bot.qa import QA
    from indexing.indexer import Indexer
    from tests.botapi_standin import BotAPIStandIn
    from tests.conftest import DATA
    from tests.test_telegram import ALICE, TOKEN, RunningBot, bot_settings, last_reply

    corpus = tmp_path / "bot" / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(DATA / "districts" / "ly-nhan-2023.txt", corpus)
    settings = Settings(chroma_url=url, corpus_dir=corpus, index_dir=tmp_path / "bot" / "state")
    Indexer(settings).run()
    reader = tmp_path / "reader"
    reader.mkdir()

    def ask() -> dict:
        return json.loads(cli("ask", "--json", EXAMPLE, cwd=reader, url=url).stdout)

    assert "kim-bang" not in json.dumps(ask()["citations"])  # not there before the upload
    with BotAPIStandIn(TOKEN) as api:
        chat = bot_settings(settings, api, settings.index_dir)
        chat = chat.model_copy(update={"telegram_admins": str(ALICE)})
        with RunningBot(chat, QA(settings)):
            api.document(ALICE, "kim-bang-2023.txt", SAMPLE.read_bytes())
            api.wait_for(
                "editMessageText",
                lambda p: "✅ kim-bang-2023.txt indexed" in str(p.get("text")),
                timeout=120,
            )
            answer = ask()
            assert answer["answered"] and answer["answer"].startswith("**109**")
            assert answer["citations"][0]["source"] == "kim-bang-2023.txt"
            stats = json.loads(cli("stats", "--json", cwd=reader, url=url).stdout)
            assert stats["reports"] == 2

            api.text(ALICE, "/remove kim-bang-2023.txt")
            asked = last_reply(api, ALICE, "Remove kim-bang-2023.txt from the reports?")
            token = asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            api.push(
                {
                    "callback_query": {
                        "id": "rm-server",
                        "from": api.user(ALICE),
                        "chat_instance": "x",
                        "message": {
                            "message_id": 7001,
                            "date": 0,
                            "chat": {"id": ALICE, "type": "private"},
                            "text": "confirm",
                        },
                        "data": token,
                    }
                }
            )
            api.wait_for(
                "editMessageText", lambda p: "Removed kim-bang-2023.txt" in str(p.get("text"))
            )
    stats = json.loads(cli("stats", "--json", cwd=reader, url=url).stdout)
    assert stats["reports"] == 1 and not (corpus / "kim-bang-2023.txt").exists()
    assert list(reader.iterdir()) == []
