"""A loopback stand-in for the Telegram Bot API, for end-to-end tests of the real bot.

It serves POST /bot<token>/<method> (form-encoded, as python-telegram-bot sends), keeps a
queue of updates for getUpdates (long polling), records every call, and can be told to
fail the next calls of a method (429 with retry_after, 500, garbage, slowness).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.loopback import LoopbackServer

BOT = {
    "id": 4242,
    "is_bot": True,
    "first_name": "ReportQA",
    "username": "reportqa_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class BotAPIStandIn(LoopbackServer):
    """Use as a context manager; `base_url` goes to REPORTQA_TELEGRAM_API_URL."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []  # perf_counter() of each call, for load tests
        self.updates: list[dict[str, Any]] = []
        self.faults: dict[str, list[Any]] = {}
        self._next_update = 1
        self._next_message = 100
        #: Documents users "sent", by file_id, served by getFile and the file download path.
        self.files: dict[str, bytes] = {}
        self._cond = threading.Condition()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                params = stand_in._parse(self.headers.get("Content-Type", ""), raw)
                prefix = f"/bot{stand_in.token}/"
                if not self.path.startswith(prefix):
                    return self._send(
                        404, {"ok": False, "error_code": 404, "description": "Not Found"}
                    )
                method = self.path[len(prefix) :]
                status, body = stand_in._handle(method, params)
                self._send(status, body)

            def do_GET(self) -> None:  # noqa: N802 - the Bot API's file download path
                prefix = f"/file/bot{stand_in.token}/documents/"
                path = unquote(self.path)  # the client percent-encodes the token's ":"
                data = stand_in.files.get(path[len(prefix) :]) if path.startswith(prefix) else None
                if data is None:
                    return self._send(404, {"ok": False, "error_code": 404})
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send(self, status: int, body: Any) -> None:
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(Handler)
        self.base_url = f"{self.root}/bot"

    def __exit__(self, *exc: object) -> None:
        with self._cond:  # wake long polls so shutdown does not wait for them
            self._cond.notify_all()
        super().__exit__(*exc)

    # --- requests -----------------------------------------------------------------------

    @staticmethod
    def _parse(content_type: str, raw: str) -> dict[str, Any]:
        if "json" in content_type:
            return json.loads(raw or "{}")
        params: dict[str, Any] = {}
        for key, values in parse_qs(raw, keep_blank_values=True).items():
            value: Any = values[0]
            with contextlib.suppress(ValueError):  # plain strings stay strings
                value = json.loads(value)
            params[key] = value
        return params

    def _handle(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            self.calls.append((method, params))
            self.call_times.append(time.perf_counter())
            self._cond.notify_all()
            queued = self.faults.get(method)
            fault = queued.pop(0) if queued else None
        if fault is not None:
            return self._fault(fault)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "file not found"}
            return 200, {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                },
            }
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return 200, {"ok": True, "result": self._message(params)}
        return 200, {"ok": True, "result": True}

    def _fault(self, fault: Any) -> tuple[int, Any]:
        if fault == 429:
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
        if fault == "garbage":
            return 200, b"<html>not json</html>"
        if isinstance(fault, (int,)):
            return fault, {"ok": False, "error_code": fault, "description": "Internal Error"}
        if isinstance(fault, float):  # slowness
            time.sleep(fault)
            return 200, {"ok": True, "result": True}
        raise ValueError(fault)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        with self._cond:  # as Telegram does: an offset confirms, and forgets, what is before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        with self._cond:
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready or time.monotonic() >= deadline:
                    return ready[:100]
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()))

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self._next_message += 1
            message_id = self._next_message
        chat_id = int(params.get("chat_id") or 0)
        return {
            "message_id": int(params.get("message_id") or message_id),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private" if chat_id > 0 else "group",
                "title": None if chat_id > 0 else "Group",
            },
            "from": BOT,
            "text": str(params.get("text", "")),
        }

    # --- test helpers -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update; returns its update_id."""
        with self._cond:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            self.updates.append(update)
            self._cond.notify_all()
            return update["update_id"]

    def user(
        self, user_id: int, username: str | None = None, language: str | None = None
    ) -> dict[str, Any]:
        """A user object (`language`: the client's language_code)."""
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            **({"username": username} if username else {}),
            **({"language_code": language} if language else {}),
        }

    def text(self, user_id: int, text: str, chat_id: int | None = None, **extra: Any) -> int:
        """Queue a text message (private chat unless chat_id < 0)."""
        chat_id = user_id if chat_id is None else chat_id
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        if chat_id < 0:
            chat["title"] = "Group"
        with self._cond:
            self._next_message += 1
            message_id = self._next_message
        if text.startswith("/") and "entities" not in extra:
            command = text.split()[0]
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, extra.pop("username", None), extra.pop("language", None)),
            "text": text,
            **extra,
        }
        key = "edited_message" if extra.pop("edited", False) else "message"
        if key == "edited_message":
            message["edit_date"] = int(time.time())
        return self.push({key: message})

    def document(
        self,
        user_id: int,
        name: str,
        data: bytes,
        announced: int | None = None,
        language: str | None = None,
    ) -> int:
        """Queue a private message carrying a document (`announced`: the size Telegram
        reports, when it should differ from the bytes served)."""
        with self._cond:
            self._next_message += 1
            message_id = self._next_message
            file_id = f"doc{message_id}"
            self.files[file_id] = data
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": self.user(user_id, language=language),
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": name,
                "file_size": len(data) if announced is None else announced,
            },
        }
        return self.push({"message": message})

    def fail_next(self, method: str, *faults: Any) -> None:
        """Make the next calls of `method` fail with these faults, in order."""
        with self._cond:
            self.faults.setdefault(method, []).extend(faults)

    def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda p: True,
        timeout: float = 60.0,
        count: int = 1,
    ) -> list[dict[str, Any]]:
        """Block until `count` calls of `method` match; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [p for m, p in self.calls if m == method and predicate(p)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m, str(p)[:120]) for m, p in self.calls if m != "getUpdates"]
                    raise TimeoutError(f"no {method} matching after {timeout}s; calls: {seen}")
                self._cond.wait(timeout=remaining)

    def sent(self, chat_id: int) -> list[str]:
        """Texts sent to a chat so far."""
        return [
            str(p.get("text"))
            for m, p in self.calls
            if m == "sendMessage" and int(p.get("chat_id", 0)) == chat_id
        ]
