"""Bot load: 50 chats x 10 questions at once against the loopback Bot API stand-in.

The real application (polling, concurrent updates, rate limiter, answering off the event
loop) answers from an e5 index of the test reports. Latency is measured per question from
the moment its update is queued to the moment the answer's sendMessage reaches the stand-in.

Usage: python benchmarks/bot_load.py [--chats 50] [--questions 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pydantic import SecretStr  # noqa: E402

from benchmarks.index_speed import write_results  # noqa: E402
from bot.qa import QA  # noqa: E402
from indexing.indexer import Indexer  # noqa: E402
from indexing.settings import Settings  # noqa: E402
from tests.botapi_standin import BotAPIStandIn  # noqa: E402
from tests.test_telegram import RunningBot  # noqa: E402

TOKEN = "1:load-test"
QUESTIONS = [
    "How many skilled mass mobilization models were replicated in Kim Bang?",
    "Ile modeli wykwalifikowanej mobilizacji masowej powielono w Kim Bang?",
    "How many petitions did Phu Ly resolve in 2023?",
    "Bình Lục có bao nhiêu mô hình dân vận khéo năm 2023?",
    "How was the work on democracy carried out in Kim Bang?",
    "How many houses were built for poor households in Thanh Liem?",
    "What will the weather be in Hanoi tomorrow?",
    "How much money did Ly Nhan residents donate for village cultural houses?",
    "Ile gmin w Duy Tien zorganizowało dialogi z mieszkańcami?",
    "Was religious activity in Kim Bang stable?",
]


def main() -> None:
    """Run the load and write benchmarks/results/bot_load.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reportqa-load-"))
    settings = Settings(corpus_dir=REPO / "tests" / "data" / "corpus", index_dir=work / "index")
    Indexer(settings).run()
    chats = [10_000 + i for i in range(args.chats)]
    with BotAPIStandIn(TOKEN) as api:
        bot_settings = settings.model_copy(
            update={
                "telegram_api_url": api.base_url,
                "telegram_bot_token": SecretStr(TOKEN),
                "allowed_users": ",".join(map(str, chats)),
                "telegram_rate_limit": 1000,
                "index_dir": work / "bot",
            }
        )
        qa = QA(settings)
        qa.answer(QUESTIONS[0])  # warm: models loaded
        with RunningBot(bot_settings, qa):
            queued: dict[tuple[int, int], float] = {}
            answered: dict[tuple[int, int], float] = {}
            lock = threading.Lock()
            started = time.perf_counter()
            for round_ in range(args.questions):
                for chat in chats:
                    text = QUESTIONS[(round_ + chat) % len(QUESTIONS)]
                    with lock:
                        queued[(chat, round_)] = time.perf_counter()
                    api.text(chat, text)
            total = args.chats * args.questions
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                replies: dict[int, list[float]] = {}
                with api._cond:  # noqa: SLF001 - reading the stand-in's own record
                    calls = [
                        (p, t)
                        for (m, p), t in zip(api.calls, api.call_times, strict=True)
                        if m == "sendMessage"
                    ]
                for params, at in calls:
                    replies.setdefault(int(params["chat_id"]), []).append(at)
                for chat, times in replies.items():
                    for round_, at in enumerate(sorted(times)[: args.questions]):
                        answered[(chat, round_)] = at
                if len(answered) >= total:
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - started
    latencies = sorted((answered[k] - queued[k]) * 1000 for k in answered if k in queued)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=100, method="inclusive")[94]
    lines = [
        f"### Bot load ({args.chats} chats x {args.questions} questions at once, "
        f"{os.cpu_count()} cores)",
        "",
        "| answered | wall time | throughput | latency p50 | latency p95 |",
        "|---|---|---|---|---|",
        f"| {len(latencies)}/{total} | {wall:.1f} s | {len(latencies) / wall:.1f} answers/s | "
        f"{p50 / 1000:.1f} s | {p95 / 1000:.1f} s |",
        "",
    ]
    write_results(args.out, "bot_load", lines)


if __name__ == "__main__":
    main()
