"""The Telegram frontend (python-telegram-bot 22).

Handlers are small async functions that parse the update and reply; what they decide is
in `BotCore` (access, rate limits, answering, feedback), and the `Application` is built in
one place, `build_application`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import re
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PersistenceInput,
    PicklePersistence,
    filters,
)

from bot.admin import Added, Rejected, add_report, check, recover, remove_report
from bot.models import Answer, Turn
from bot.qa import MAX_QUESTION_CHARS, QA
from bot.rendering import citation_label, render_answer, render_paragraph, split_blocks
from indexing.indexer import IndexProgress
from indexing.settings import Settings

log = logging.getLogger(__name__)
# PTB warns on every 429 that `retry_after` will become a timedelta; both forms are handled.
warnings.filterwarnings("ignore", message=r".*`retry_after` will be of type", module="telegram")
T = TypeVar("T")

HISTORY_TURNS = 5
KEPT_ANSWERS = 30
EXAMPLES = (
    "How many skilled mass mobilization models were replicated?",
    "Ile modeli mobilizacji masowej powielono w Kim Bang?",
    "Công tác dân chủ ở Kim Bảng được thực hiện như thế nào?",
)
COMMANDS = [
    BotCommand("ask", "Ask a question about the reports"),
    BotCommand("sources", "List the indexed reports"),
    BotCommand("new", "Forget this conversation"),
    BotCommand("remove", "Admins: remove a report (send a file to add one)"),
    BotCommand("help", "How to ask, with examples"),
]


class ConfigError(RuntimeError):
    """The bot cannot start with these settings (the message says what to set)."""


# --- policy: who may ask, how often, what is recorded ---------------------------------


class Access:
    """The allowlist: numeric user ids and @usernames, or everyone when public."""

    def __init__(self, allowed: str, public: bool, required: bool = True) -> None:
        entries = [e.strip() for e in allowed.replace(";", ",").split(",") if e.strip()]
        self.ids = {int(e) for e in entries if e.lstrip("-").isdigit()}
        self.usernames = {e.lstrip("@").lower() for e in entries if not e.lstrip("-").isdigit()}
        self.public = public
        if required and not public and not self.ids and not self.usernames:
            raise ConfigError(
                "nobody may use the bot: set REPORTQA_ALLOWED_USERS to Telegram user ids or "
                "@usernames (comma-separated), or REPORTQA_PUBLIC=1 to let anyone ask"
            )

    def allows(self, user: User | None) -> bool:
        """Whether this user may get answers."""
        if user is None:
            return False
        if self.public or user.id in self.ids:
            return True
        return bool(user.username) and user.username.lower() in self.usernames


class RateLimit:
    """At most `per_minute` questions per user in any 60 seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._asked: dict[int, deque[float]] = {}

    def allow(self, user_id: int, now: float | None = None) -> bool:
        """Record a question and say whether it is within the limit."""
        now = time.monotonic() if now is None else now
        times = self._asked.setdefault(user_id, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True


class FeedbackLog:
    """👍/👎 votes as JSON lines (question, answer, citations, vote), to grow eval sets."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: dict[str, Any], vote: str, user_id: int) -> None:
        """Append one vote."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "user": hashlib.sha256(str(user_id).encode()).hexdigest()[:12],
            "vote": vote,
            **entry,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


class BotCore:
    """What the bot decides: kept out of the handlers so it can be read and tested alone."""

    def __init__(self, settings: Settings, qa: QA) -> None:
        self.settings = settings
        self.qa = qa
        self.access = Access(settings.allowed_users, settings.public)
        #: Who may add, replace and remove reports (REPORTQA_TELEGRAM_ADMINS; nobody when unset).
        self.admins = Access(settings.telegram_admins, public=False, required=False)
        self.limit = RateLimit(settings.telegram_rate_limit)
        self.feedback = FeedbackLog(settings.index_dir / "feedback.jsonl")
        self.refused: set[int] = set()

    def answer(self, question: str, history: list[Turn]) -> Answer:
        """Answer (blocking: run it off the event loop)."""
        return self.qa.answer(question, history=history)

    def add_report(self, name: str, data: bytes, progress: IndexProgress) -> Added:
        """Store and index an admin's upload into the QA's index (blocking)."""
        return add_report(
            self.qa.settings, name, data, progress=progress, embedder=self.qa.embedder
        )

    def remove_report(self, source: str) -> int:
        """Remove a report from the corpus folder and the index (blocking)."""
        return remove_report(self.qa.settings, source, embedder=self.qa.embedder)

    def recover(self) -> list[str]:
        """Bring reports a killed upload or removal left half done in line with their files
        (blocking); return their names."""
        return recover(self.qa.settings, embedder=self.qa.embedder)

    def sources(self) -> list[str]:
        """Lines describing the indexed reports."""
        reports = sorted(self.qa.store.reports().values(), key=lambda r: r.source)
        return [
            f"{r.source} ({', '.join(str(x) for x in (r.place, r.year) if x) or 'place unknown'}; "
            f"{r.paragraphs} paragraphs): {r.title[:80]}"
            for r in reports
        ]


# --- helpers shared by the handlers -----------------------------------------------------


def core_of(context: ContextTypes.DEFAULT_TYPE) -> BotCore:
    """The BotCore stored in bot_data by build_application."""
    return context.application.bot_data["core"]


def _transient(error: TelegramError) -> bool:
    # 5xx, timeouts and lost connections are NetworkError; a body that is not JSON (a proxy's
    # error page) is a plain TelegramError with this message.
    return isinstance(error, NetworkError) or "Invalid server response" in str(error)


async def send_retrying(make: Callable[[], Awaitable[T]], attempts: int = 6) -> T:
    """Call the Bot API, retrying flood waits (429) and transient failures with backoff."""
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await make()
        except RetryAfter as exc:
            if attempt == attempts:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)
        except TelegramError as exc:
            if attempt == attempts or not _transient(exc):
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8)
    raise AssertionError("unreachable")


async def reply(message: Message, text: str, **kwargs: Any) -> Message:
    """Reply with HTML, retrying transient failures."""
    return await send_retrying(
        lambda: message.reply_text(text, parse_mode=ParseMode.HTML, **kwargs)
    )


@contextlib.asynccontextmanager
async def typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" until the block ends (Telegram clears it after ~5 s, so repeat)."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(4)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Check access; a stranger gets one polite refusal and nothing else."""
    core = core_of(context)
    user = update.effective_user
    if core.access.allows(user):
        return True
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer("Sorry, this bot is private.")
        return False
    message = update.effective_message
    if user is not None and user.id not in core.refused and message is not None:
        core.refused.add(user.id)
        await reply(
            message,
            "Sorry, this bot is private. Ask its owner to add your Telegram user id "
            f"(<code>{user.id}</code>) to REPORTQA_ALLOWED_USERS.",
        )
    return False


def keyboard(aid: str, answer: Answer, with_feedback: bool = True) -> InlineKeyboardMarkup | None:
    """One button per citation (shows the full paragraph), then 👍/👎."""
    rows = [
        [InlineKeyboardButton(citation_label(c)[:60], callback_data=f"c:{aid}:{c.n}")]
        for c in answer.citations
    ]
    if with_feedback:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"f:{aid}:up"),
                InlineKeyboardButton("👎", callback_data=f"f:{aid}:down"),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


async def answer_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    """The one path every question takes: checks, answer off the loop, reply with buttons."""
    core = core_of(context)
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    if message is None or chat is None or user is None:
        return
    question = question.strip()
    if not question:
        await reply(
            message,
            f"Ask me a question about the reports, for example:\n<i>{html.escape(EXAMPLES[0])}</i>",
        )
        return
    if len(question) > MAX_QUESTION_CHARS:
        await reply(
            message,
            f"That is too long for a question: please keep it under "
            f"{MAX_QUESTION_CHARS} characters.",
        )
        return
    if not core.limit.allow(user.id):
        await reply(
            message, "You are asking faster than I can keep up: please wait a minute and ask again."
        )
        return
    chat_data = context.chat_data if context.chat_data is not None else {}
    history = [Turn.model_validate(t) for t in chat_data.get("history", [])]
    try:
        async with typing(context, chat.id):
            result = await asyncio.to_thread(core.answer, question, history)
    except Exception:
        log.exception("answering failed")
        await reply(message, "The reports are unavailable right now; please try again in a minute.")
        return
    turn = Turn(question=result.resolved_question or question, answer=result.answer)
    chat_data["history"] = [t.model_dump() for t in [*history, turn][-HISTORY_TURNS:]]
    aid = f"{chat_data.get('next_aid', 0):x}"
    chat_data["next_aid"] = chat_data.get("next_aid", 0) + 1
    answers = chat_data.setdefault("answers", {})
    answers[aid] = {
        "question": question,
        "answer": result.answer,
        "answered": result.answered,
        "citations": [c.model_dump() for c in result.citations],
    }
    for old in list(answers)[:-KEPT_ANSWERS]:
        del answers[old]
    messages = split_blocks(render_answer(result))
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        await reply(message, text, reply_markup=keyboard(aid, result) if last else None)


# --- handlers ---------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and how to ask."""
    if not await allowed(update, context) or update.effective_message is None:
        return
    core = core_of(context)
    try:
        count = len(await asyncio.to_thread(core.sources))
    except Exception:
        count = 0
    examples = "\n".join(f"• <i>{html.escape(e)}</i>" for e in EXAMPLES)
    await reply(
        update.effective_message,
        f"I answer questions about <b>{count}</b> indexed reports, with citations you can "
        "check. Write your question in English, Polish or Vietnamese; in groups, mention me "
        "or use /ask.\n\n"
        f"Examples:\n{examples}\n\n"
        "/sources lists the reports, /new starts a fresh conversation. Tap a citation to "
        "read the whole paragraph; 👍/👎 tell us how the answer was."
        + (_ADMIN_HELP if core.admins.allows(update.effective_user) else ""),
    )


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sources: the indexed reports."""
    if not await allowed(update, context) or update.effective_message is None:
        return
    try:
        lines = await asyncio.to_thread(core_of(context).sources)
    except Exception:
        log.exception("listing sources failed")
        await reply(update.effective_message, "The reports are unavailable right now.")
        return
    blocks = ["<b>Indexed reports</b>"] + [html.escape(line) for line in lines or ["(none)"]]
    for text in split_blocks(["\n".join(blocks)]):
        await reply(update.effective_message, text)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION (private chats and groups)."""
    if not await allowed(update, context):
        return
    await answer_question(update, context, " ".join(context.args or []))


async def new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/new: forget the conversation of this chat."""
    if not await allowed(update, context) or update.effective_message is None:
        return
    if context.chat_data is not None:
        context.chat_data.pop("history", None)
    await reply(update.effective_message, "Done: I have forgotten our conversation.")


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    if not await allowed(update, context) or update.effective_message is None:
        return
    await answer_question(update, context, update.effective_message.text or "")


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups: answer when mentioned or replied to; otherwise stay quiet."""
    message = update.effective_message
    if message is None or not message.text:
        return
    username = (context.bot.username or "").lower()
    mentioned = any(
        entity.type == MessageEntityType.MENTION
        and message.parse_entity(entity).lstrip("@").lower() == username
        for entity in message.entities
    )
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == context.bot.id
    )
    if not (mentioned or replied):
        return
    if not await allowed(update, context):
        return
    question = re.sub(
        rf"@{re.escape(context.bot.username or '')}\b", "", message.text, flags=re.IGNORECASE
    )
    await answer_question(update, context, question)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice...: a short polite reply in private chats."""
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        return
    if not await allowed(update, context) or update.effective_message is None:
        return
    await reply(update.effective_message, "I can only read text: please type your question.")


# --- reports from the chat (admins) ------------------------------------------------------

_ADMIN_TEXT = {
    "en": {
        "not_admin": "Thanks, but only the bot's admins can add reports. Ask one to send it.",
        "indexing": "Indexing {name}…",
        "progress": "Indexing {name}… {done}/{total} paragraphs",
        "added": "✅ {name} indexed",
        "replaced": "✅ {name} replaced: {embedded} paragraphs new or changed, {deleted} gone, "
        "{unchanged} unchanged",
        "about": "{place}, {year} · {paragraphs} paragraphs",
        "figures": "First figures:",
        "confirm": "Remove {name} from the reports?",
        "yes": "Remove",
        "no": "Cancel",
        "removed": "Removed {name} ({paragraphs} paragraphs).",
        "kept": "Nothing removed.",
        "usage": "Usage: /remove <report file>, as /sources lists it.",
        "failed": "Indexing {name} failed; nothing was changed. Please try again.",
    },
    "pl": {
        "not_admin": "Dziękuję, ale raporty mogą dodawać tylko administratorzy bota.",
        "indexing": "Indeksuję {name}…",
        "progress": "Indeksuję {name}… {done}/{total} akapitów",
        "added": "✅ Zaindeksowano {name}",
        "replaced": "✅ Zastąpiono {name}: {embedded} akapitów nowych lub zmienionych, "
        "{deleted} usuniętych, {unchanged} bez zmian",
        "about": "{place}, {year} · {paragraphs} akapitów",
        "figures": "Pierwsze liczby:",
        "confirm": "Usunąć {name} z raportów?",
        "yes": "Usuń",
        "no": "Anuluj",
        "removed": "Usunięto {name} ({paragraphs} akapitów).",
        "kept": "Nic nie usunięto.",
        "usage": "Użycie: /remove <plik raportu>, tak jak pokazuje /sources.",
        "failed": "Indeksowanie {name} nie powiodło się; nic nie zmieniono. Spróbuj ponownie.",
    },
    "vi": {
        "not_admin": "Cảm ơn, nhưng chỉ quản trị viên của bot mới thêm được báo cáo.",
        "indexing": "Đang lập chỉ mục {name}…",
        "progress": "Đang lập chỉ mục {name}… {done}/{total} đoạn",
        "added": "✅ Đã lập chỉ mục {name}",
        "replaced": "✅ Đã thay {name}: {embedded} đoạn mới hoặc đổi, {deleted} đoạn bỏ, "
        "{unchanged} đoạn giữ nguyên",
        "about": "{place}, {year} · {paragraphs} đoạn",
        "figures": "Những số liệu đầu tiên:",
        "confirm": "Xóa {name} khỏi các báo cáo?",
        "yes": "Xóa",
        "no": "Hủy",
        "removed": "Đã xóa {name} ({paragraphs} đoạn).",
        "kept": "Không xóa gì.",
        "usage": "Cách dùng: /remove <tệp báo cáo>, như /sources liệt kê.",
        "failed": "Lập chỉ mục {name} thất bại; không có gì thay đổi. Hãy thử lại.",
    },
}
_ADMIN_HELP = (
    "\n\nYou are an admin: send a report as a file (PDF, DOCX, HTML, Markdown, text; up to "
    "20 MB) to add it, or to replace the report of that name; /remove &lt;file&gt; removes one."
)
#: Figures shown in an upload's summary, each cited.
SUMMARY_FIGURES = 3
#: Seconds between edits of an upload's status message (Telegram rate-limits edits).
PROGRESS_EVERY = 2.0


def _language(update: Update) -> str:
    user = update.effective_user
    code = (user.language_code or "en")[:2] if user is not None else "en"
    return code if code in _ADMIN_TEXT else "en"


class ChatProgress:
    """Index progress as edits of one status message, from the indexing thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, status: Message, text: str) -> None:
        self.loop, self.status, self.text = loop, status, text
        self.total = self.done = 0
        self._last = 0.0

    def _edit(self) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY or not self.total:
            return
        self._last = now
        text = self.text.format(done=self.done, total=self.total)
        asyncio.run_coroutine_threadsafe(_quiet_edit(self.status, text), self.loop)

    def scanning(self, total_files: int) -> None:
        """Ignore: one file."""

    def scanned(self, source: str) -> None:
        """Ignore: one file."""

    def planned(self, paragraphs: int, units: int) -> None:
        """More paragraphs to embed."""
        self.total += paragraphs

    def advance(self, paragraphs: int, units: int) -> None:
        """Paragraphs embedded."""
        self.done += paragraphs
        self._edit()

    def preparing(self, languages: list[str]) -> None:
        """Ignore: a few seconds, once per machine."""

    def finish(self) -> None:
        """Ignore: the summary replaces the status."""


async def _quiet_edit(message: Message, text: str) -> None:
    with contextlib.suppress(TelegramError):
        await message.edit_text(text, parse_mode=ParseMode.HTML)


def render_added(added: Added, language: str) -> str:
    """An upload's summary: what the bot understood, the first figures cited."""
    text = _ADMIN_TEXT[language]
    name = html.escape(added.source)
    head = (
        text["replaced"].format(
            name=name, embedded=added.embedded, deleted=added.deleted, unchanged=added.unchanged
        )
        if added.replaced
        else text["added"].format(name=name)
    )
    entry = added.entry
    lines = [head]
    if entry.title:
        lines.append(f"<b>{html.escape(entry.title)}</b>")
    lines.append(
        text["about"].format(
            place=html.escape(entry.place or "?"),
            year=entry.year or "?",
            paragraphs=entry.paragraphs,
        )
    )
    if added.figures:
        lines.append(text["figures"])
        for figure in added.figures[:SUMMARY_FIGURES]:
            quote = figure.quote if len(figure.quote) <= 120 else figure.quote[:119] + "…"
            lines.append(
                f"• <b>{html.escape(figure.text)}</b> — “{html.escape(quote)}” "
                f"[{name} ¶{figure.paragraph}]"
            )
    return "\n".join(lines)


async def _admin_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The sender's reply language when an admin sends this; None (after a polite no to an
    allowed user who is no admin) otherwise."""
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return None
    language = _language(update)
    if not core_of(context).admins.allows(update.effective_user):
        await reply(message, _ADMIN_TEXT[language]["not_admin"])
        return None
    return language


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document from an admin is a report to add (or replace); from anyone else, a polite
    no. Questions keep being answered while it is indexed (the handlers run concurrently)."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    language = await _admin_language(update, context)
    if language is None:
        return
    core = core_of(context)
    text = _ADMIN_TEXT[language]
    sent = message.document
    name = sent.file_name or "report"
    try:
        check(name, b"", size=sent.file_size or 0)
    except Rejected as refused:
        await reply(message, html.escape(refused.message(language)))
        return
    shown = html.escape(name)
    status = await reply(message, text["indexing"].format(name=shown))
    try:
        remote = await send_retrying(lambda: context.bot.get_file(sent.file_id))
        data = bytes(await remote.download_as_bytearray())
        progress = ChatProgress(
            asyncio.get_running_loop(), status, text["progress"].replace("{name}", shown)
        )
        added = await asyncio.to_thread(core.add_report, name, data, progress)
    except Rejected as refused:
        await _quiet_edit(status, html.escape(refused.message(language)))
        return
    except Exception:
        log.exception("indexing an upload failed")
        await _quiet_edit(status, text["failed"].format(name=shown))
        return
    await _quiet_edit(status, render_added(added, language))


async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove <report> (admins): asks for confirmation with two buttons."""
    message = update.effective_message
    language = await _admin_language(update, context)
    if message is None or language is None:
        return
    core = core_of(context)
    text = _ADMIN_TEXT[language]
    source = " ".join(context.args or []).strip()
    if not source:
        await reply(message, text["usage"])
        return
    known = await asyncio.to_thread(lambda: set(core.qa.store.reports()))
    if source not in known:
        await reply(message, html.escape(Rejected("unknown", name=source).message(language)))
        return
    token = hashlib.sha256(f"{source}{time.time()}".encode()).hexdigest()[:12]
    if context.chat_data is not None:
        context.chat_data.setdefault("removals", {})[token] = source
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text["yes"], callback_data=f"r:{token}:yes"),
                InlineKeyboardButton(text["no"], callback_data=f"r:{token}:no"),
            ]
        ]
    )
    await reply(message, text["confirm"].format(name=html.escape(source)), reply_markup=buttons)


async def confirm_removal(
    update: Update, context: ContextTypes.DEFAULT_TYPE, token: str, value: str
) -> None:
    """The answer to /remove's buttons."""
    query = update.callback_query
    assert query is not None
    core = core_of(context)
    language = _language(update)
    text = _ADMIN_TEXT[language]
    source = (context.chat_data or {}).get("removals", {}).pop(token, None)
    if source is None or not core.admins.allows(update.effective_user):
        await send_retrying(lambda: query.answer())
        return
    await send_retrying(lambda: query.answer())
    if value != "yes":
        with contextlib.suppress(TelegramError):
            await query.edit_message_text(text["kept"])
        return
    try:
        paragraphs = await asyncio.to_thread(core.remove_report, source)
    except Rejected as refused:
        result = html.escape(refused.message(language))
    else:
        result = text["removed"].format(name=html.escape(source), paragraphs=paragraphs)
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(result, parse_mode=ParseMode.HTML)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edits are not re-answered; say so in private chats."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or update.edited_message is None:
        return
    if not await allowed(update, context):
        return
    await reply(
        update.edited_message,
        "I answer new messages only: send the corrected question as a new message.",
    )


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Citation buttons show the cited paragraph; 👍/👎 record feedback."""
    query = update.callback_query
    if query is None or not await allowed(update, context):
        return
    parts = (query.data or "").split(":", 2)
    if len(parts) != 3:
        await send_retrying(lambda: query.answer())
        return
    kind, aid, value = parts
    if kind == "r":
        await confirm_removal(update, context, aid, value)
        return
    answers = (context.chat_data or {}).get("answers", {})
    entry = answers.get(aid)
    if entry is None:
        await send_retrying(lambda: query.answer("That answer is too old; please ask again."))
        return
    if kind == "c":
        cited = next((c for c in entry["citations"] if str(c["n"]) == value), None)
        if cited is None or query.message is None:
            await send_retrying(lambda: query.answer())
            return
        await send_retrying(lambda: query.answer())
        for text in split_blocks(
            render_paragraph(cited["source"], cited["paragraph"], cited["text"])
        ):
            await send_retrying(
                lambda text=text: query.message.reply_text(text, parse_mode=ParseMode.HTML)
            )
    elif kind == "f" and value in ("up", "down"):
        user_id = update.effective_user.id if update.effective_user else 0
        await asyncio.to_thread(core_of(context).feedback.record, entry, value, user_id)
        await send_retrying(lambda: query.answer("Thanks for the feedback!"))
        answer = Answer.model_validate(entry)
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(keyboard(aid, answer, with_feedback=False))
    else:
        await send_retrying(lambda: query.answer())


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error (without secrets) and tell the user, when there is one to tell."""
    error = context.error
    if isinstance(error, Forbidden):  # blocked by the user: nothing to say to anyone
        log.info("cannot message a chat: %s", error)
        return
    log.error("error while handling an update: %s: %s", type(error).__name__, error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(Exception):
            await update.effective_message.reply_text(
                "Sorry, something went wrong; please try again."
            )


async def post_init(application: Application) -> None:
    """Register the command list shown by Telegram clients; off the event loop, finish what
    a killed upload left half done and prepare what a first answer opens (a machine that
    only has a Chroma server's URL never ran the indexer). Questions are answered meanwhile."""
    with contextlib.suppress(TelegramError):
        await application.bot.set_my_commands(COMMANDS)
    core = application.bot_data["core"]
    asyncio.get_running_loop().run_in_executor(None, _start_up, core)


def _start_up(core: BotCore) -> None:
    from indexing.indexer import IndexLockedError
    from indexing.lexical import prepare_for_answers

    try:
        recovered = core.recover()
    except IndexLockedError:
        log.warning("reports an interrupted upload left are converged by the running index")
    except Exception:
        log.exception("could not finish an interrupted upload; the next start tries again")
    else:
        if recovered:
            log.info("finished interrupted uploads or removals: %s", ", ".join(recovered))
    with contextlib.suppress(Exception):  # only a first answer's speed depends on it
        prepare_for_answers()


# --- the application --------------------------------------------------------------------


def check_settings(settings: Settings) -> str:
    """The bot token, after checking that the bot may start at all (ConfigError if not)."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather")
    Access(settings.allowed_users, settings.public)
    return settings.telegram_bot_token.get_secret_value()


def build_application(settings: Settings, qa: QA | None = None) -> Application:
    """The python-telegram-bot Application with every handler, built in one place."""
    token = check_settings(settings)
    core = BotCore(settings, qa or QA(settings))
    hide_token_in_logs(token)
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(post_init)
        .persistence(
            PicklePersistence(
                filepath=settings.index_dir / "telegram-chats.pickle",
                store_data=PersistenceInput(
                    bot_data=False, chat_data=True, user_data=False, callback_data=False
                ),
                update_interval=5,
            )
        )
    )
    if settings.telegram_api_url:
        base = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(base if base.endswith("/bot") else f"{base}/bot")
        builder = builder.base_file_url(base.rsplit("/bot", 1)[0] + "/file/bot")
    application = builder.build()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    application.bot_data["core"] = core

    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["start", "help"], start))
    application.add_handler(CommandHandler("sources", sources))
    application.add_handler(CommandHandler("ask", ask))
    application.add_handler(CommandHandler("new", new))
    application.add_handler(CommandHandler("remove", remove))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, edited))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, private_text))
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text)
    )
    application.add_handler(MessageHandler(private & filters.Document.ALL, document))
    application.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
    application.add_error_handler(on_error)
    return application


_REDACTED: set[str] = set()


def hide_token_in_logs(token: str) -> None:
    """Redact the bot token from every log record (httpx logs URLs that contain it)."""
    if not token or token in _REDACTED:
        return
    _REDACTED.add(token)
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:
            return record
        if token in text:
            record.msg = text.replace(token, "<token>")
            record.args = ()
        return record

    logging.setLogRecordFactory(factory)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def webhook_options(settings: Settings, webhook: str, listen: str) -> dict[str, Any]:
    """Arguments for PTB's webhook server: where to listen, which path, the shared secret.

    The secret is derived from the token, so every bot process behind one URL agrees on it
    and Telegram's requests can be told from anyone else's.
    """
    from urllib.parse import urlparse

    url = urlparse(webhook)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(
            f"--webhook must be a URL such as https://example.org/bot, got {webhook!r}"
        )
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"--listen must be HOST:PORT, got {listen!r}")
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    return {
        "listen": host or "0.0.0.0",
        "port": int(port),
        "url_path": url.path.strip("/"),
        "webhook_url": webhook,
        "secret_token": hashlib.sha256(f"webhook:{token}".encode()).hexdigest()[:32],
        "allowed_updates": Update.ALL_TYPES,
    }


def run(settings: Settings, webhook: str | None = None, listen: str = "0.0.0.0:8443") -> None:
    """Run the bot until interrupted: long polling, or a webhook server when `webhook`."""
    options = webhook_options(settings, webhook, listen) if webhook else None
    application = build_application(settings)
    if options:
        application.run_webhook(**options)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
