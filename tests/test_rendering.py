"""Telegram HTML rendering and message splitting."""

from __future__ import annotations

import random
from html.parser import HTMLParser

from bot.models import Answer, Citation
from bot.rendering import TELEGRAM_LIMIT, render_answer, split_blocks


class Balanced(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag


def balanced(text: str) -> bool:
    parser = Balanced()
    parser.feed(text)
    parser.close()
    return parser.ok and not parser.stack


def test_everything_from_reports_and_users_is_escaped() -> None:
    citation = Citation(
        n=1,
        source="a<b>.txt",
        paragraph=2,
        quote="x < y & <script>",
        text="x < y & <script>",
        score=0.9,
    )
    answer = Answer(
        question="<i>q</i>",
        answer="**12** — x < y & <script> [1]",
        answered=True,
        citations=[citation],
        resolved_question="<b>q</b>?",
    )
    html = "\n\n".join(render_answer(answer))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>12</b>" in html
    assert "&lt;b&gt;q&lt;/b&gt;?" in html
    assert balanced(html)


def test_long_answers_split_under_the_limit_without_breaking_tags() -> None:
    rng = random.Random(3)
    words = ["raport", "<b>", "&", "109", "modeli", "Życie", "đồng", "😀", "\n"]
    for _ in range(30):
        blocks = []
        for _ in range(rng.randint(1, 12)):
            size = rng.choice([10, 500, 3000, 5000, 12000])
            text = " ".join(rng.choice(words) for _ in range(size // 5))
            answer = Answer(question="q", answer=f"**{size}** {text}", answered=True)
            blocks.extend(render_answer(answer))
        messages = split_blocks(blocks)
        assert all(0 < len(m) <= TELEGRAM_LIMIT for m in messages)
        assert all(balanced(m) for m in messages)
        assert all(
            "&" not in m.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
            for m in messages
        )


def test_short_answers_stay_one_message() -> None:
    assert len(split_blocks(["a", "b", "c"])) == 1
