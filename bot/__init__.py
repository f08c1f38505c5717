"""reportqa's answering side: `answer()` for code, plus the CLI and Telegram frontends.

Heavy modules load on first use, so `import bot` stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Answer, Turn
    from indexing.settings import Settings

__all__ = ["answer"]


def answer(
    question: str,
    history: Sequence[Turn | dict] | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question from the indexed reports (CONTRACT.md).

    `history` is a list of earlier turns (`{"question": ..., "answer": ...}`), oldest first,
    so that "And in Duy Tien?" follows a question about Kim Bang. Settings default to the
    environment; pass `settings` to use another index.
    """
    from bot.qa import QA, default_qa

    qa = QA(settings) if settings is not None else default_qa()
    return qa.answer(question, history=history)
