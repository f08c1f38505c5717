"""Answers as Telegram HTML, and splitting long messages without breaking tags.

Everything that comes from reports or users is escaped; the only markup is ours (<b>, <i>).
"""

from __future__ import annotations

import html
import re

from bot.models import Answer, Citation

TELEGRAM_LIMIT = 4096
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    """Escape text, then turn our own **figure** markers into <b>."""
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", html.escape(text, quote=False))


def citation_label(citation: Citation) -> str:
    """Short label for a citation: '[1] kim-bang-2023.txt ¶4'."""
    return f"[{citation.n}] {citation.source} ¶{citation.paragraph}"


def render_answer(answer: Answer) -> list[str]:
    """The answer as HTML blocks (each balanced): the answer, then one line per citation."""
    blocks = [_inline(answer.answer)]
    if answer.resolved_question:
        blocks.insert(0, f"<i>{html.escape(answer.resolved_question, quote=False)}</i>")
    for c in answer.citations:
        quote = c.quote if len(c.quote) <= 200 else c.quote[:197].rstrip() + "…"
        blocks.append(
            f"<b>{html.escape(citation_label(c), quote=False)}</b> "
            f"<i>“{html.escape(quote, quote=False)}”</i>"
        )
    return blocks


def render_paragraph(source: str, number: int, text: str) -> list[str]:
    """A whole cited paragraph, for the citation buttons."""
    return [
        f"<b>{html.escape(f'{source} ¶{number}', quote=False)}</b>",
        html.escape(text, quote=False),
    ]


def split_blocks(blocks: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack balanced HTML blocks into messages of at most `limit` characters.

    Blocks are joined with blank lines; a block longer than the limit is cut on line, then
    sentence, then word boundaries, with its markup dropped so no tag is ever cut in two.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        pieces = [block] if len(block) <= limit else _cut(_plain(block), limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _plain(block: str) -> str:
    """A block without our tags, still escaped (so it stays valid HTML text)."""
    return re.sub(r"</?(?:b|i)>", "", block)


def _cut(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(". "), window.rfind(" "))
        if cut <= limit // 2:
            cut = limit
        else:
            cut += 1
        # Never cut inside an entity such as &amp;.
        amp = text.rfind("&", 0, cut)
        if amp != -1 and ";" not in text[amp:cut] and cut - amp < 10:
            cut = amp
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces
