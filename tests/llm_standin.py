"""A loopback stand-in for an OpenAI-compatible chat completions API, for tests.

It answers POST /v1/chat/completions with whatever `reply(request_json)` returns (a string,
or an int HTTP status to fail with), and records every request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import LoopbackServer


class LLMStandIn(LoopbackServer):
    """Start with `with LLMStandIn(reply) as server:`; `server.base_url` is the /v1 URL."""

    def __init__(self, reply: Callable[[dict[str, Any]], str | int]) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append(body)
                result = stand_in.reply(body)
                if isinstance(result, int):
                    payload = json.dumps({"error": {"message": "stand-in failure"}}).encode()
                    self.send_response(result)
                else:
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-standin",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": body.get("model", "stand-in"),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": result},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(Handler)
        self.base_url = f"{self.root}/v1"

    def prompts(self) -> list[str]:
        """The user messages received, in order."""
        return [m["content"] for r in self.requests for m in r["messages"] if m["role"] == "user"]
