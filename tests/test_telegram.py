"""The real python-telegram-bot application, over HTTP, against a loopback Bot API stand-in."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.qa import QA
from bot.telegram import Access, ConfigError, RateLimit, build_application
from tests.botapi_standin import BotAPIStandIn

TOKEN = "123456:TEST-token-that-must-never-be-logged"
ALICE = 111
BOB = 222  # allowed by @username
STRANGER = 999
EXAMPLE = "How many skilled mass mobilization models were replicated in Kim Bang?"


class RunningBot:
    """The application polling the stand-in on its own event loop thread."""

    def __init__(self, settings, qa: QA) -> None:  # noqa: ANN001
        self.application = build_application(settings, qa)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = self.application
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        webhook = getattr(self, "start_webhook", None)
        if webhook:
            options = {k: v for k, v in webhook.items() if k != "webhook_url"}
            await app.updater.start_webhook(webhook_url=webhook["webhook_url"], **options)
        else:
            await app.updater.start_polling(
                poll_interval=0.0, timeout=1, drop_pending_updates=False
            )
        self._ready.set()
        await self._stop.wait()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    def __enter__(self) -> RunningBot:
        self._thread.start()
        assert self._ready.wait(30), "bot did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def telegram(answer_settings, tmp_path_factory) -> Iterator[tuple[BotAPIStandIn, RunningBot]]:  # noqa: ANN001
    state = tmp_path_factory.mktemp("bot-state")
    with BotAPIStandIn(TOKEN) as api:
        settings = answer_settings.model_copy(
            update={
                "telegram_api_url": api.base_url,
                "allowed_users": f"{ALICE}, @bob",
                "telegram_rate_limit": 1000,  # the rate-limit test sets its own
                "index_dir": state,
            }
        )
        from pydantic import SecretStr

        settings = settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN)})
        qa = QA(answer_settings)
        with RunningBot(settings, qa) as running:
            yield api, running


def bot_settings(base, api: BotAPIStandIn, state: Path, allowed: str = str(ALICE)):  # noqa: ANN001, ANN201
    """Settings for a bot talking to `api`, keeping its state in `state`."""
    from pydantic import SecretStr

    return base.model_copy(
        update={
            "telegram_api_url": api.base_url,
            "allowed_users": allowed,
            "index_dir": state,
            "telegram_bot_token": SecretStr(TOKEN),
        }
    )


def last_reply(api: BotAPIStandIn, chat_id: int, needle: str, timeout: float = 60) -> dict:
    return api.wait_for(
        "sendMessage",
        lambda p: int(p["chat_id"]) == chat_id and needle in str(p.get("text")),
        timeout=timeout,
    )[-1]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)


def test_commands_registered_at_start(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    commands = api.wait_for("setMyCommands")[0]["commands"]
    assert {c["command"] for c in commands} >= {"ask", "sources", "new", "help"}


def test_example_question_with_citation_and_buttons(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(ALICE, EXAMPLE)
    sent = last_reply(api, ALICE, "<b>109</b>")
    assert "kim-bang-2023.txt ¶4" in sent["text"]
    assert sent["parse_mode"] == "HTML"
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["text"].startswith("[1] kim-bang-2023.txt")
    assert {b["text"] for b in buttons} >= {"👍", "👎"}
    assert api.wait_for("sendChatAction", lambda p: int(p["chat_id"]) == ALICE)


def test_citation_button_shows_the_paragraph_and_feedback_is_recorded(telegram) -> None:  # noqa: ANN001
    api, running = telegram
    api.text(ALICE, EXAMPLE)
    sent = last_reply(api, ALICE, "<b>109</b>")
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    message = {
        "message_id": 5000,
        "date": int(time.time()),
        "chat": {"id": ALICE, "type": "private"},
        "text": "answer",
    }
    api.push(
        {
            "callback_query": {
                "id": "cb-1",
                "from": api.user(ALICE),
                "chat_instance": "x",
                "message": message,
                "data": buttons[0]["callback_data"],
            }
        }
    )
    paragraph = last_reply(api, ALICE, "Do tej pory w całym regionie")
    assert "kim-bang-2023.txt ¶4" in paragraph["text"]
    assert api.wait_for("answerCallbackQuery", lambda p: p["callback_query_id"] == "cb-1")

    thumbs_up = next(b for b in buttons if b["text"] == "👍")
    api.push(
        {
            "callback_query": {
                "id": "cb-2",
                "from": api.user(ALICE),
                "chat_instance": "x",
                "message": message,
                "data": thumbs_up["callback_data"],
            }
        }
    )
    api.wait_for("answerCallbackQuery", lambda p: p["callback_query_id"] == "cb-2")
    feedback = running.application.bot_data["core"].feedback.path
    deadline = time.monotonic() + 10
    while not feedback.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    vote = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert vote["vote"] == "up" and "109" in vote["answer"]
    assert vote["citations"][0]["paragraph"] == 4


def test_follow_up_in_the_same_chat(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(BOB, EXAMPLE, username="bob")
    last_reply(api, BOB, "<b>109</b>")
    api.text(BOB, "And in Duy Tien?", username="bob")
    sent = last_reply(api, BOB, "<b>87</b>")
    assert "duy-tien-2023.txt" in sent["text"]


def test_comparison_is_monospaced_rows_then_the_total(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(
        BOB, "Which district replicated the most skilled mass mobilization models?", username="bob"
    )
    sent = last_reply(api, BOB, "<pre>")
    assert sent.get("parse_mode") == "HTML"
    rows = sent["text"].split("<pre>", 1)[1].split("</pre>", 1)[0].splitlines()
    assert any(row.startswith("Kim Bang") and "109 [" in row for row in rows)
    assert "→ most: Kim Bang (109)" in sent["text"]
    api.text(BOB, "And the total?", username="bob")
    total = last_reply(api, BOB, "→ total:")
    assert "where stated" in total["text"]


def test_stranger_gets_one_polite_refusal_and_no_content(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(STRANGER, EXAMPLE)
    refusal = last_reply(api, STRANGER, "private")
    assert str(STRANGER) in refusal["text"]
    api.text(STRANGER, "Ile modeli powielono w Kim Bang?")
    api.text(ALICE, "/sources")
    listing = last_reply(api, ALICE, "Indexed reports")  # later than the stranger's message
    assert "kim-bang-2023.txt (Kim Bang, 2023; 6 paragraphs)" in listing["text"]
    assert len(api.sent(STRANGER)) == 1
    assert not any("109" in text for text in api.sent(STRANGER))


def test_group_answers_only_when_mentioned(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    group = -1001
    api.text(ALICE, "How many petitions did Phu Ly resolve in 2023?", chat_id=group)
    mention = "@reportqa_bot " + EXAMPLE
    api.text(
        ALICE,
        mention,
        chat_id=group,
        entities=[{"type": "mention", "offset": 0, "length": len("@reportqa_bot")}],
    )
    last_reply(api, group, "<b>109</b>")
    api.text(
        ALICE,
        "/ask How many petitions did Phu Ly resolve in 2023?",
        chat_id=group,
        entities=[{"type": "bot_command", "offset": 0, "length": 4}],
    )
    last_reply(api, group, "<b>312</b>")
    assert sum("312" in t for t in api.sent(group)) == 1  # the unmentioned one was ignored


def test_sticker_edit_and_huge_message_get_polite_replies(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.push(
        {
            "message": {
                "message_id": 9001,
                "date": int(time.time()),
                "chat": {"id": ALICE, "type": "private"},
                "from": api.user(ALICE),
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    last_reply(api, ALICE, "only read text")
    api.text(ALICE, "x" * 10_000)
    last_reply(api, ALICE, "too long")
    api.text(ALICE, "How many models?", edited=True)
    last_reply(api, ALICE, "new messages only")
    # ...and the bot still answers:
    api.text(ALICE, "Ile modeli wykwalifikowanej mobilizacji masowej powielono w Kim Bang?")
    last_reply(api, ALICE, "<b>109</b>")


def test_html_in_questions_is_escaped_everywhere(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(ALICE, "<b>How</b> many <script>alert(1)</script> models in Kim Bang & co?")
    api.text(ALICE, "What about <i>religious</i> activity?")
    last_reply(api, ALICE, "religi", timeout=60)  # the reply has arrived
    for method, params in list(api.calls):
        if method == "sendMessage":
            parser = _Tags()
            parser.feed(str(params["text"]))
            assert set(parser.tags) <= {"b", "i", "code", "pre"}, params["text"]


def test_429_then_success(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.fail_next("sendMessage", 429)
    api.text(ALICE, "How many petitions did Phu Ly resolve in 2023?")
    last_reply(api, ALICE, "<b>312</b>")


def test_500_then_success(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.fail_next("sendMessage", 500, 502)
    api.text(ALICE, "Bình Lục có bao nhiêu mô hình dân vận khéo năm 2023?")
    last_reply(api, ALICE, "<b>56</b>")


def test_garbage_from_the_api_does_not_stop_the_bot(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.fail_next("getUpdates", "garbage", 500)
    api.text(ALICE, "How many houses were built for poor households in Thanh Liem?")
    last_reply(api, ALICE, "<b>230</b>")


def test_rate_limit_window() -> None:
    limit = RateLimit(3)
    assert [limit.allow(7, now=t) for t in (0, 1, 2, 3, 61)] == [True, True, True, False, True]


def test_rate_limit_per_user(telegram) -> None:  # noqa: ANN001
    api, running = telegram
    core = running.application.bot_data["core"]
    saved, core.limit = core.limit, RateLimit(2)
    try:
        for _ in range(3):
            api.text(BOB, "How many petitions did Phu Ly resolve in 2023?", username="bob")
        last_reply(api, BOB, "faster than I can keep up")
        api.text(ALICE, "How many petitions did Phu Ly resolve in 2023?")  # others unaffected
        last_reply(api, ALICE, "<b>312</b>")
    finally:
        core.limit = saved


def test_new_forgets_the_conversation(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(BOB, EXAMPLE, username="bob")
    last_reply(api, BOB, "<b>109</b>")
    api.text(
        BOB, "/new", username="bob", entities=[{"type": "bot_command", "offset": 0, "length": 4}]
    )
    last_reply(api, BOB, "forgotten")
    before = len(api.sent(BOB))
    api.text(BOB, "And in Duy Tien?", username="bob")
    api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == BOB, count=before + 1)
    # Without history the question is not rewritten into the Kim Bang question.
    assert "replicated in Duy Tien" not in api.sent(BOB)[-1]


def test_token_never_logged(telegram, caplog) -> None:  # noqa: ANN001
    api, _ = telegram
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # a user who turned logging all the way up
    try:
        api.text(ALICE, "/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])
        last_reply(api, ALICE, "Examples")
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    assert caplog.records, "nothing was logged at all"
    assert TOKEN not in caplog.text
    assert "123456:" not in caplog.text


def test_bot_refuses_to_start_without_an_allowlist(answer_settings) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="REPORTQA_ALLOWED_USERS"):
        Access("", public=False)
    assert Access("", public=True).public


def test_missing_token_is_a_clear_error(answer_settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings = answer_settings.model_copy(update={"public": True, "index_dir": tmp_path})
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings)


def test_history_survives_a_restart(answer_settings, tmp_path: Path) -> None:  # noqa: ANN001

    with BotAPIStandIn(TOKEN) as api:
        settings = bot_settings(answer_settings, api, tmp_path)
        qa = QA(answer_settings)
        with RunningBot(settings, qa):
            api.text(ALICE, EXAMPLE)
            last_reply(api, ALICE, "<b>109</b>")
        with RunningBot(settings, qa):
            api.text(ALICE, "And in Duy Tien?")
            last_reply(api, ALICE, "<b>87</b>")
    assert re.search(r"telegram-chats\.pickle", " ".join(p.name for p in tmp_path.iterdir()))


def test_webhook_mode(answer_settings, tmp_path: Path) -> None:  # noqa: ANN001
    import socket
    import urllib.request

    from bot.telegram import webhook_options

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BotAPIStandIn(TOKEN) as api:
        settings = bot_settings(answer_settings, api, tmp_path)
        options = webhook_options(settings, f"http://127.0.0.1:{port}/hook", f"127.0.0.1:{port}")
        assert options["url_path"] == "hook" and TOKEN not in options["secret_token"]
        bot = RunningBot(settings, QA(answer_settings))
        bot.start_webhook = options  # type: ignore[attr-defined]
        with bot:
            api.wait_for("setWebhook", lambda p: p["url"].endswith("/hook"))
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": ALICE, "type": "private"},
                    "from": api.user(ALICE),
                    "text": EXAMPLE,
                },
            }
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/hook",
                data=json.dumps(update).encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": options["secret_token"],
                },
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            last_reply(api, ALICE, "<b>109</b>")
            forged = urllib.request.Request(
                f"http://127.0.0.1:{port}/hook",
                data=json.dumps(update).encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": "wrong",
                },
            )
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(forged, timeout=10)


def test_a_burst_of_api_failures_is_ridden_out(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.fail_next("sendMessage", 429, 500, "garbage", 502, 503)
    api.fail_next("sendChatAction", 500, "garbage")
    api.fail_next("getUpdates", 502, "garbage")
    api.text(ALICE, "How many new skilled mass mobilization models did Ly Nhan recognise in 2023?")
    last_reply(api, ALICE, "<b>64</b>", timeout=90)


def test_strangers_cannot_use_buttons_or_read_other_chats(telegram) -> None:  # noqa: ANN001
    api, _ = telegram
    api.text(ALICE, EXAMPLE)
    sent = last_reply(api, ALICE, "<b>109</b>")
    data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    def shown_paragraphs() -> dict[int, int]:
        # Citation-button replies start with the bold "source ¶n" header.
        return {
            chat: sum(t.startswith("<b>kim-bang-2023.txt ¶") for t in api.sent(chat))
            for chat in (ALICE, STRANGER, BOB, -4343)
        }

    before = shown_paragraphs()
    message = {
        "message_id": 7000,
        "date": int(time.time()),
        "chat": {"id": -4343, "type": "group", "title": "Other"},  # no answers were sent here
        "text": "x",
    }
    # A stranger pressing a copied button, and an allowed user replaying it in another chat.
    api.push(
        {
            "callback_query": {
                "id": "cb-s",
                "from": api.user(STRANGER),
                "chat_instance": "y",
                "message": message,
                "data": data,
            }
        }
    )
    api.push(
        {
            "callback_query": {
                "id": "cb-b",
                "from": api.user(BOB, "bob"),
                "chat_instance": "y",
                "message": message,
                "data": data,
            }
        }
    )
    api.push(
        {
            "callback_query": {
                "id": "cb-x",
                "from": api.user(ALICE),
                "chat_instance": "y",
                "message": {**message, "chat": {"id": ALICE, "type": "private"}},
                "data": "c:../../etc/passwd:1",
            }
        }
    )
    for query_id in ("cb-s", "cb-b", "cb-x"):
        api.wait_for("answerCallbackQuery", lambda p, q=query_id: p["callback_query_id"] == q)
    time.sleep(0.3)
    assert shown_paragraphs() == before  # no paragraph was shown to anyone
    refusals = [
        p
        for m, p in api.calls
        if m == "answerCallbackQuery" and p["callback_query_id"] in ("cb-s", "cb-b", "cb-x")
    ]
    assert all("text" in p for p in refusals)  # each got a short explanation instead
