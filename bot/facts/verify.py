"""Verification of generated answers: markers must point at real sources, figures must stand
in the paragraphs they cite. What fails is removed or sent back to the extractive answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Citation, Context
from indexing.numbers import numbers_in

MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Verified:
    """A generated answer after checking: text with renumbered markers and its citations."""

    text: str
    citations: list[Citation]
    removed_markers: list[int]
    unsupported_figures: list[str]

    @property
    def ok(self) -> bool:
        """Usable as is: it cites something and every figure is backed by a citation."""
        return bool(self.citations) and not self.unsupported_figures


def verify(text: str, contexts: list[Context]) -> Verified:
    """Drop markers that point at no source, renumber the rest 1..k, and check figures."""
    removed: list[int] = []
    order: dict[int, int] = {}

    def renumber(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(contexts):
            removed.append(n)
            return ""
        order.setdefault(n, len(order) + 1)
        return f"[{order[n]}]"

    cleaned = MARKER.sub(renumber, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    citations = []
    for original, n in sorted(order.items(), key=lambda item: item[1]):
        context = contexts[original - 1]
        quote = context.sentences[0].text if context.sentences else context.text
        citations.append(context.cite(n, quote))
    backed = set().union(*(numbers_in(c.text) for c in citations)) if citations else set()
    figures = numbers_in(MARKER.sub("", cleaned))
    unsupported = sorted(f for f in figures if f not in backed)
    return Verified(cleaned, citations, removed, unsupported)
