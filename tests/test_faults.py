"""Faults while running: a Chroma server that goes away and comes back under a live bot,
and questions asked while an index run is writing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.qa import QA
from indexing.indexer import Indexer
from indexing.settings import Settings
from tests.botapi_standin import BotAPIStandIn
from tests.chroma_server import ChromaServer, free_port
from tests.conftest import SAMPLE
from tests.test_crash import write_corpus
from tests.test_telegram import TOKEN, RunningBot, last_reply

EXAMPLE = "How many skilled mass mobilization models were replicated?"
ALICE = 111


def test_bot_survives_the_chroma_server_going_away(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE, corpus)
    server = ChromaServer(tmp_path / "chroma", port=free_port()).start()
    try:
        settings = Settings(chroma_url=server.url, corpus_dir=corpus, index_dir=tmp_path / "state")
        Indexer(settings).run()
        qa = QA(settings)
        with BotAPIStandIn(TOKEN) as api:
            bot_settings = settings.model_copy(
                update={
                    "telegram_api_url": api.base_url,
                    "allowed_users": str(ALICE),
                    "telegram_bot_token": SecretStr(TOKEN),
                }
            )
            with RunningBot(bot_settings, qa):
                api.text(ALICE, EXAMPLE)
                last_reply(api, ALICE, "<b>109</b>")
                server.stop()
                api.text(ALICE, EXAMPLE)
                last_reply(api, ALICE, "unavailable right now", timeout=120)
                server.start()
                api.text(ALICE, EXAMPLE)
                replies = last_reply(api, ALICE, "<b>109</b>", timeout=120)
                assert replies
    finally:
        server.stop()


@pytest.mark.slow
def test_questions_while_an_index_run_is_writing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, reports=6, paragraphs=10)
    shutil.copy(SAMPLE, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    Indexer(settings.model_copy(update={"embedding": "e5-small-q4"})).run([corpus / SAMPLE.name])
    (corpus / "report-0.txt").unlink()  # so the next full run also deletes, not only adds
    write_corpus(corpus / "more", reports=3, paragraphs=10, tag=" (nowe)")
    env = {
        **os.environ,
        "REPORTQA_CORPUS_DIR": str(corpus),
        "REPORTQA_INDEX_DIR": str(settings.index_dir),
        "REPORTQA_EMBED_BATCH_SIZE": "4",
    }
    writer = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "index", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    qa = QA(settings)
    answers = 0
    try:
        while writer.poll() is None:
            result = qa.answer(EXAMPLE)
            assert result.answered and result.answer.startswith("**109**"), result.answer
            answers += 1
            time.sleep(0.05)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.wait() == 0, writer.stderr.read()[-2000:] if writer.stderr else ""
    assert answers >= 5
