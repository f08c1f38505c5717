"""Records that cross the answering side's boundaries: retrieved context, citations, answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Sentence(BaseModel):
    """A sentence of a retrieved paragraph with its similarity to the question."""

    text: str
    score: float


class Context(BaseModel):
    """One retrieved paragraph, as the answerers see it."""

    id: str
    source: str
    paragraph: int
    text: str
    title: str = ""
    score: float = Field(description="Final retrieval score (dense + lexical evidence).")
    dense: float = Field(description="Best sentence similarity to the question.")
    sentences: list[Sentence] = Field(default_factory=list, description="Matched, best first.")

    def cite(self, n: int, quote: str) -> Citation:
        """A citation numbered `n` of this paragraph, quoting `quote` (verbatim from it)."""
        return Citation(
            n=n,
            source=self.source,
            paragraph=self.paragraph,
            quote=quote,
            text=self.text,
            score=self.score,
        )


class Citation(BaseModel):
    """A numbered pointer from an answer to a real paragraph (CONTRACT.md)."""

    n: int
    source: str
    paragraph: int
    quote: str = Field(description="The sentence(s) that support the answer, verbatim.")
    text: str = Field(description="The whole cited paragraph, verbatim.")
    score: float


class Turn(BaseModel):
    """One earlier exchange of a conversation, for follow-up questions."""

    question: str
    answer: str = ""


class TableRow(BaseModel):
    """One report's row of a comparison or total (CONTRACT.md): its figure and citation."""

    source: str
    place: str | None = None
    value: float | None = Field(None, description="In base units; null where not stated.")
    unit: str | None = Field(None, description='"" for a count, else VND, m2, ha, %, ...')
    n: int | None = Field(None, description="The citation of the figure.")
    text: str | None = Field(None, description="The figure as the report writes it.")


class Answer(BaseModel):
    """The answer to one question (CONTRACT.md), plus how it was produced."""

    question: str
    answer: str
    answered: bool
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    answerer: Literal["extractive", "generative", "extractive-fallback", "none"] = "extractive"
    kind: Literal[
        "fact", "figure", "summary", "metadata", "list", "compare", "total", "reports"
    ] = "fact"
    table: list[TableRow] | None = Field(
        None, description="For compare and total: one row per report."
    )
    resolved_question: str | None = Field(
        None, description="The standalone question actually answered, when history changed it."
    )
