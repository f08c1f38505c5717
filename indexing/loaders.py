"""Loaders: one function per file format, each turning bytes into ordered paragraphs.

A loader returns a `Parsed` (title, byline, blocks); `load_report` adds what every format
shares: hashing, boilerplate removal at the tail, numbering, and one-line errors.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexing.models import Paragraph, Report
from indexing.text import (
    NotTextError,
    clean_inline,
    decode_bytes,
    join_lines,
    looks_like_injection,
    sentence_spans,
    split_sentences,
    strip_tail,
)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class LoadError(Exception):
    """A report could not be loaded; the message is the one-line reason shown to users."""


@dataclass
class Block:
    """A paragraph as a loader found it, before numbering."""

    text: str
    kind: str = "text"


@dataclass
class Parsed:
    """What a format-specific loader extracted from one file."""

    blocks: list[Block]
    title: str | None = None
    byline: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


# --- plain text ------------------------------------------------------------------------


def parse_text(data: bytes) -> Parsed:
    """Plain text: a paragraph per line or per blank-line block (hard wraps rejoined)."""
    paragraphs = join_lines(_decode(data).splitlines())
    blocks = [Block(p) for p in paragraphs]
    if blocks and _is_heading_line(blocks[0].text) and len(blocks) > 1:
        blocks[0].kind = "heading"
    return Parsed(blocks)


def _is_heading_line(text: str) -> bool:
    return len(text) <= 120 and not text.rstrip().endswith((".", "!", "?", ":", ";", ","))


def _decode(data: bytes) -> str:
    try:
        return decode_bytes(data)
    except NotTextError as exc:
        raise LoadError(str(exc)) from None


# --- markdown --------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_SETEXT = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<[^>\n]{1,200}>"), ""),  # inline html
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # italic
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),  # escapes
]


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def parse_markdown(data: bytes) -> Parsed:
    """Markdown: headings, list items and table rows are paragraphs; markup is removed."""
    lines = _decode(data).splitlines()
    title = None
    if lines and lines[0].strip() == "---":  # YAML front matter
        for i in range(1, min(len(lines), 200)):
            if lines[i].strip() in ("---", "..."):
                for meta_line in lines[1:i]:
                    key, _, value = meta_line.partition(":")
                    if key.strip().lower() == "title" and value.strip():
                        title = value.strip().strip("\"'")
                lines = lines[i + 1 :]
                break
    blocks: list[Block] = []
    pending: list[str] = []
    in_fence = False

    def flush() -> None:
        blocks.extend(Block(p) for p in join_lines(pending))
        pending.clear()

    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            flush()
            continue
        if in_fence:
            pending.append(raw)
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if heading := _MD_HEADING.match(raw):
            flush()
            blocks.append(Block(clean_inline(_md_inline(heading.group(2))), "heading"))
        elif stripped and pending == [] and nxt.strip() and _MD_SETEXT.match(nxt):
            blocks.append(Block(clean_inline(_md_inline(stripped)), "heading"))
        elif _MD_SETEXT.match(raw) and blocks and blocks[-1].kind == "heading" and not pending:
            continue  # the underline of a setext heading
        elif _MD_RULE.match(raw) or _MD_TABLE_SEP.match(raw):
            flush()
        elif stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            blocks.append(Block(clean_inline(_md_inline(" | ".join(c for c in cells if c)))))
        elif _MD_LIST.match(raw):
            flush()
            pending.append(_md_inline(_MD_LIST.sub("", raw, count=1)))
        else:
            pending.append(_md_inline(re.sub(r"^\s*>\s?", "", raw)))
    flush()
    blocks = [b for b in blocks if b.text]
    if title is None:
        title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Parsed(blocks, title=title)


# --- HTML ------------------------------------------------------------------------------

_HTML_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
    "body",
    "center",
}
_HTML_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "iframe",
    "button",
    "select",
    "head",
    "object",
    "canvas",
]


def parse_html(data: bytes) -> Parsed:
    """HTML: block elements are paragraphs; scripts, navigation and footers are dropped."""
    from bs4 import BeautifulSoup, NavigableString
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    soup = BeautifulSoup(_decode(data), "html.parser")
    meta = {}
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or tag.get("property") or "").lower()
        if name in ("author", "og:title", "article:author") and tag.get("content"):
            meta[name] = str(tag["content"]).strip()
    page_title = clean_inline(soup.title.get_text()) if soup.title else ""
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()

    blocks: list[Block] = []
    buffer: list[str] = []

    def flush(kind: str = "text") -> None:
        lines = "".join(buffer).split("\n")
        buffer.clear()
        for text in join_lines(lines):
            blocks.append(Block(text, kind))

    def walk(node) -> None:  # noqa: ANN001 - bs4 node
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                buffer.append(" ".join(str(child).split(" ")).replace("\n", " "))
            elif child.name == "br":
                buffer.append("\n")
            elif child.name in _HTML_BLOCKS:
                flush()
                walk(child)
                flush("heading" if re.fullmatch(r"h[1-6]", child.name) else "text")
            else:
                walk(child)

    walk(soup)
    flush()
    h1 = next((b.text for b in blocks if b.kind == "heading"), None)
    title = meta.get("og:title") or h1 or page_title or None
    byline = meta.get("author") or meta.get("article:author")
    return Parsed(blocks, title=title, byline=byline)


# --- PDF -------------------------------------------------------------------------------


def parse_pdf(data: bytes) -> Parsed:
    """PDF (text layer via pypdf): wrapped lines are rejoined into paragraphs."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files warn per object
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise LoadError("not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # e.g. AES without the crypto extra
                raise LoadError(f"encrypted PDF that cannot be opened ({exc})") from None
            if not ok:
                raise LoadError("encrypted PDF (a password is required)")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoadError(f"unreadable PDF ({_short(exc)})") from None
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(f"unreadable PDF ({type(exc).__name__}: {_short(exc)})") from None
    lines: list[str] = []
    for page in pages:
        page_lines = [ln for ln in page.splitlines() if not re.fullmatch(r"\s*\d{1,4}\s*", ln)]
        lines.extend(page_lines)
        lines.append("")
    blocks = [Block(p) for p in join_lines(lines)]
    if not blocks:
        raise LoadError("PDF has no extractable text (a scan without OCR?)")
    title = _info(info, "/Title")
    return Parsed(blocks, title=title, byline=_info(info, "/Author"))


def _info(info: object, key: str) -> str | None:
    try:
        value = info.get(key)  # type: ignore[attr-defined]
    except Exception:
        return None
    value = clean_inline(str(value)) if value else ""
    return value or None


# --- DOCX ------------------------------------------------------------------------------


def parse_docx(data: bytes) -> Parsed:
    """DOCX: paragraphs in order (Heading/Title styles as headings), table rows as text."""
    import zipfile

    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise LoadError("not a valid DOCX (not a zip archive)") from None
    except KeyError as exc:
        raise LoadError(f"not a valid DOCX (missing part {exc})") from None
    except Exception as exc:
        raise LoadError(f"not a valid DOCX ({type(exc).__name__}: {_short(exc)})") from None
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = clean_inline(cell.text)
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    blocks.append(Block(" | ".join(cells)))
            continue
        style = (item.style.name if item.style is not None else "") or ""
        kind = "heading" if style.startswith(("Heading", "Title")) else "text"
        for text in join_lines(item.text.splitlines()):
            blocks.append(Block(text, kind))
    props = document.core_properties
    title = clean_inline(props.title or "") or next(
        (b.text for b in blocks if b.kind == "heading"), None
    )
    return Parsed(blocks, title=title or None, byline=clean_inline(props.author or "") or None)


# --- dispatch --------------------------------------------------------------------------

LOADERS: dict[str, Callable[[bytes], Parsed]] = {
    ".txt": parse_text,
    ".text": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


def supported(path: Path) -> bool:
    """Whether a file's extension has a loader."""
    return path.suffix.lower() in LOADERS


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def make_title(blocks: list[Block], found: str | None) -> str:
    """The report's title: the format's own, else its first line (cut to one sentence)."""
    if found:
        return found[:300]
    if not blocks:
        return ""
    first = blocks[0].text
    if len(first) > 200:
        first = (split_sentences(first) or [first])[0][:300]
    return first


DEFAULT_MAX_PARAGRAPH_CHARS = 20_000


def cap_paragraph(text: str, limit: int) -> str:
    """A paragraph cut to at most `limit` characters, at a sentence end where there is one."""
    if len(text) <= limit:
        return text
    ends = [s.end for s in sentence_spans(text[: limit + 1]) if s.end <= limit]
    return text[: ends[-1]] if ends and ends[-1] >= limit // 2 else text[:limit]


def load_report(
    path: Path,
    source: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_paragraph_chars: int = DEFAULT_MAX_PARAGRAPH_CHARS,
) -> Report:
    """Load one report file into numbered paragraphs.

    A paragraph longer than `max_paragraph_chars` is cut, with a warning: a report that is
    one 5 MB line would otherwise be one citation nobody can read, and slow to embed.
    Raises LoadError with a one-line reason for anything that cannot be indexed.
    """
    parser = LOADERS.get(path.suffix.lower())
    if parser is None:
        raise LoadError(f"unsupported file type '{path.suffix or path.name}'")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                f"file too large ({size / 1e6:.0f} MB > {max_bytes / 1e6:.0f} MB limit; "
                "set REPORTQA_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise LoadError("empty file")
    digest = file_hash(data)
    parsed = parser(data)
    texts, byline = strip_tail([b.text for b in parsed.blocks])
    # The byline line stays a paragraph (never searched, see indexing.indexer) so an answer
    # to "who wrote it" can cite where it stands.
    byline_line = next(
        (b.text for b in parsed.blocks[len(texts) :] if byline and byline in b.text), None
    )
    blocks = [b for b in parsed.blocks[: len(texts)] if b.text.strip()]
    warnings: list[str] = []
    injected = [b for b in blocks if looks_like_injection(b.text)]
    if injected:
        blocks = [b for b in blocks if b not in injected]
        warnings.append(
            f"{len(injected)} paragraph(s) addressing an AI model (e.g. 'ignore previous "
            "instructions') were not indexed"
        )
    if not blocks:
        raise LoadError("no text content" if not injected else warnings[0])
    for number, block in enumerate(blocks, start=1):
        if len(block.text) > max_paragraph_chars:
            warnings.append(
                f"paragraph {number} has {len(block.text):,} characters: only the first "
                f"{max_paragraph_chars:,} were indexed (REPORTQA_MAX_PARAGRAPH_CHARS)"
            )
            block.text = cap_paragraph(block.text, max_paragraph_chars)
    paragraphs = [
        Paragraph(source=source, number=i, text=b.text, kind=b.kind)  # type: ignore[arg-type]
        for i, b in enumerate(blocks, start=1)
    ]
    if byline_line:
        paragraphs.append(
            Paragraph(source=source, number=len(blocks) + 1, text=byline_line, kind="byline")
        )
    return Report(
        source=source,
        title=make_title(blocks, parsed.title),
        byline=parsed.byline or byline,
        paragraphs=paragraphs,
        file_hash=digest,
        warnings=warnings,
    )


def file_hash(data: bytes) -> str:
    """Hash of a file's bytes, to skip unchanged files without parsing them."""
    import hashlib

    return hashlib.sha256(data).hexdigest()[:24]
