"""Records that cross module boundaries on the write side: reports, paragraphs, run summaries."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field


def content_hash(*parts: str) -> str:
    """A short, stable hash of the given strings (used for ids and change detection)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:24]


class Paragraph(BaseModel):
    """One paragraph of a report as the indexer split it; the unit of citation."""

    source: str = Field(description="Report path relative to the corpus dir.")
    number: int = Field(ge=1, description="1-based position in the report.")
    text: str
    kind: Literal["text", "heading", "byline"] = "text"


class Report(BaseModel):
    """A loaded report: its paragraphs in order plus what we know about it."""

    source: str
    title: str
    byline: str | None = None
    paragraphs: list[Paragraph]
    file_hash: str = Field(description="Hash of the file's bytes, to skip unchanged files.")
    warnings: list[str] = Field(default_factory=list, description="What was left out, and why.")


class Unit(BaseModel):
    """What is actually embedded: one sentence, or a window of a long one."""

    id: str
    paragraph_key: str
    text: str = Field(description="The sentence itself, verbatim.")
    embed_text: str = Field(description="What the embedder sees.")
    figures: str = Field("", description="Its figures (indexing.figures.encode), for the table.")


class FileError(BaseModel):
    """A file that could not be indexed, and why (one line)."""

    path: str
    reason: str


class IndexSummary(BaseModel):
    """The outcome of one `reportqa index` run; the shape of `--json` (CONTRACT.md)."""

    files: int = 0
    paragraphs: int = 0
    embedded: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[FileError] = Field(default_factory=list)
    # Files indexed with something left out (e.g. paragraphs addressed to an AI model).
    warnings: list[FileError] = Field(default_factory=list)
    # Extra detail beyond the contract's fields; harmless to JSON consumers.
    reports: int = 0
    units_embedded: int = 0
    seconds: float = 0.0
    embedding: str = ""
