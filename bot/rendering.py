"""Answers as Telegram HTML, and splitting long messages without breaking tags.

Everything that comes from reports or users is escaped; the only markup is ours (<b>, <i>,
and <pre> for the rows of a comparison or total).
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


#: A table's rows per <pre> block: each block stays well under Telegram's limit.
_ROWS_PER_BLOCK = 40
_PLACE_WIDTH = 24


def aligned_table(answer: Answer) -> tuple[list[str], list[str]]:
    """A comparison or total as (rows with the places padded to one width, the lines under
    the table); ([], all lines) for an answer without a table."""
    lines = answer.answer.split("\n")
    if not answer.table:
        return [], lines
    rows = [line for line in lines if not line.startswith(("→", "…"))]
    rest = [line for line in lines if line.startswith(("→", "…"))]
    split = [row.partition(": ") for row in rows]
    width = min(_PLACE_WIDTH, max((len(place) for place, _, _ in split), default=0))
    return [f"{place:<{width}}  {value}" for place, _, value in split], rest


def render_answer(answer: Answer) -> list[str]:
    """The answer as HTML blocks (each balanced): the answer, then one line per citation.
    A comparison's or total's rows are monospaced, in blocks that each fit a message."""
    rows, rest = aligned_table(answer)
    if rows:
        blocks = [
            "<pre>" + html.escape("\n".join(rows[i : i + _ROWS_PER_BLOCK]), quote=False) + "</pre>"
            for i in range(0, len(rows), _ROWS_PER_BLOCK)
        ]
        blocks += [_inline(line) for line in rest]
    else:
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
    return re.sub(r"</?(?:b|i|pre)>", "", block)


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
