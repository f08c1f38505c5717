"""Property-based tests: arbitrary Unicode (RTL, combining marks, emoji, NUL), huge and
empty inputs, against the invariants the rest of the system relies on."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.facts.verify import verify
from bot.models import Answer, Citation, Context, Sentence
from bot.rendering import TELEGRAM_LIMIT, render_answer, split_blocks
from indexing.loaders import LoadError, parse_html, parse_markdown, parse_text
from indexing.numbers import numbers_in
from indexing.text import NotTextError, decode_bytes, join_lines, sentence_spans

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
SPICE = st.sampled_from(
    [
        "\u200f",
        "\u0301",
        "😀",
        "\x00",
        "שלום",
        "Kim Bảng",
        "109",
        "\n",
        "\n\n",
        ".",
        " ",
        "„",
        "&",
        "<b>",
        "ﷺ",
        "\u2028",
        "r.",
        "Mr.",
    ]
)
TEXT = st.lists(st.one_of(st.text(ALPHABET, max_size=40), SPICE), max_size=60).map("".join)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def canon(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(CONTROL.sub("", text).split()))


@SETTINGS
@given(TEXT)
def test_splitting_and_joining_loses_no_text(text: str) -> None:
    paragraphs = join_lines(text.splitlines())
    assert all(p and p == p.strip() for p in paragraphs)
    assert canon("".join(paragraphs)) == canon(text)


@SETTINGS
@given(TEXT)
def test_sentences_are_ordered_verbatim_slices_covering_the_paragraph(text: str) -> None:
    spans = sentence_spans(text)
    end = 0
    for span in spans:
        assert end <= span.start < span.end <= len(text)
        end = span.end
    assert "".join("".join(text[s.start : s.end].split()) for s in spans) == "".join(text.split())


@SETTINGS
@given(st.binary(max_size=3000))
def test_decoding_arbitrary_bytes_gives_text_or_a_reason(data: bytes) -> None:
    try:
        assert isinstance(decode_bytes(data), str)
    except NotTextError as exc:
        assert str(exc) and "\n" not in str(exc)


@SETTINGS
@given(st.one_of(st.binary(max_size=2000), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_loaders_never_fail_with_anything_but_a_load_error(data: bytes) -> None:
    for parser in (parse_text, parse_markdown, parse_html):
        try:
            parsed = parser(data)
        except LoadError:
            continue
        assert all(block.text.strip() for block in parsed.blocks)


class _Balanced(HTMLParser):
    allowed = {"b", "i", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.ok = self.ok and tag in self.allowed
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag


@SETTINGS
@given(TEXT, st.lists(TEXT, max_size=5), st.integers(min_value=0, max_value=20_000))
def test_no_message_exceeds_the_limit_or_carries_tags_telegram_rejects(
    text: str, quotes: list[str], padding: int
) -> None:
    citations = [
        Citation(n=i + 1, source=q[:30] or "r.txt", paragraph=i + 1, quote=q, text=q, score=0.5)
        for i, q in enumerate(quotes)
    ]
    answer = Answer(
        question=text,
        answer=f"**{text[:10]}** " + text + "x" * padding,
        answered=True,
        citations=citations,
        resolved_question=text or None,
    )
    for message in split_blocks(render_answer(answer)):
        assert 0 < len(message) <= TELEGRAM_LIMIT
        parser = _Balanced()
        parser.feed(message)
        parser.close()
        assert parser.ok and not parser.stack


PARAGRAPHS = [
    "Powielono 109 modeli.",
    "Przekazano 2,3 miliarda VND i 4200 m2.",
    "Resolved 312 petitions, 97 percent.",
    "Bez liczb w tym akapicie.",
]
CONTEXTS = [
    Context(
        id=f"p{i}",
        source="r.txt",
        paragraph=i + 1,
        text=t,
        score=0.8,
        dense=0.8,
        sentences=[Sentence(text=t, score=0.8)],
    )
    for i, t in enumerate(PARAGRAPHS)
]
PIECES = st.sampled_from(
    [
        "109",
        "110",
        "2,3",
        "4200",
        "312",
        "97",
        "999",
        " models",
        " and ",
        "[1]",
        "[2]",
        "[3]",
        "[4]",
        "[9]",
        "[0]",
        ". ",
        "2.3",
        "15,000",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_every_figure_in_a_verified_answer_stands_in_a_cited_paragraph(reply: str) -> None:
    checked = verify(reply, CONTEXTS)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", checked.text)}
    assert markers == {c.n for c in checked.citations}
    if checked.ok:
        cited = set().union(*(numbers_in(c.text) for c in checked.citations))
        assert numbers_in(re.sub(r"\[\d+\]", "", checked.text)) <= cited
