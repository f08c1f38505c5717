"""Plain-text handling shared by the loaders: decoding, paragraphs, boilerplate, sentences."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

#: A word token as written ("Kim", "Bảng's").
WORD = re.compile(r"\w+(?:['’]\w+)*")
#: An English possessive ending, stripped before lemmatising.
POSSESSIVE = re.compile(r"['’]s?$")


class NotTextError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# C0/C1 controls other than tab and newlines: their presence means binary, not prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_bytes(data: bytes) -> str:
    """Decode a report's bytes: BOM, then UTF-8, then a detected encoding.

    Raises NotTextError with a one-line reason when the bytes are not text.
    """
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise NotTextError(f"invalid {encoding} text ({exc.reason})") from None
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if b"\x00" in data[:65536]:
                raise NotTextError("binary content, not a text file") from None
            text = _decode_legacy(data)
    controls = len(_CONTROL.findall(text[:200_000]))
    if controls and controls > max(2, len(text[:200_000]) // 200):
        raise NotTextError("binary content, not a text file")
    return _CONTROL.sub("", text)


# Legacy encodings our reports come in (Central European, Western, Vietnamese, Cyrillic).
_LEGACY = ("cp1250", "iso8859_2", "cp1252", "cp1258", "cp1251", "koi8_r")


def _oddness(text: str) -> int:
    """How many characters look like mojibake (symbols where letters should be)."""
    odd = 0
    for ch in text:
        if ord(ch) > 127 and unicodedata.category(ch)[0] in "SNC" and ch not in "€„”“‘’–—…«»°§":
            odd += 1
    return odd


def _decode_legacy(data: bytes) -> str:
    """Pick the legacy decoding that reads most like prose.

    charset-normalizer alone often calls cp1250 Polish "latin-1" ("uleg³o"); scoring the
    plausible candidates by mojibake symbols picks the right one.
    """
    from charset_normalizer import from_bytes

    candidates = [m.encoding for m in from_bytes(data[:200_000])][:4]
    best: tuple[int, int, str] | None = None
    sample = data[:200_000]
    for rank, encoding in enumerate(dict.fromkeys([*_LEGACY, *candidates])):
        try:
            decoded = sample.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        score = (_oddness(decoded), rank, encoding)
        if best is None or score < best:
            best = score
    if best is None:
        raise NotTextError("not text in any recognised encoding")
    return data.decode(best[2], errors="replace")


def clean_inline(text: str) -> str:
    """Normalise one paragraph: NFC, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return " ".join(text.split())


_TERMINAL = tuple(".!?…:;。！？\"'”’»)")


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith(_TERMINAL)


def join_lines(lines: list[str]) -> list[str]:
    """Group consecutive non-blank lines into paragraphs.

    Reports come both with one paragraph per line (the scraped sample) and hard-wrapped at
    ~70 columns. A line ending a sentence ends its paragraph; a long line that stops
    mid-sentence, or one followed by a lowercase start, is a wrapped line and continues.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(clean_inline(" ".join(current)))
                current = []
            continue
        current.append(line)
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        wrapped = bool(nxt) and not _ends_sentence(line) and (len(line) >= 50 or nxt[0].islower())
        if not wrapped:
            paragraphs.append(clean_inline(" ".join(current)))
            current = []
    if current:
        paragraphs.append(clean_inline(" ".join(current)))
    return [p for p in paragraphs if p]


# Lines that web scrapes leave at the end of an article: source links, comment counters,
# share buttons. Matched only in the tail, so the same words inside an article are kept.
_BOILERPLATE = re.compile(
    r"^(?:"
    r"(?:źródło|zrodlo|source|sources|nguồn|nguon)\s*:?.{0,80}"
    r"|(?:komentarz[ey]?|comments?|bình luận|binh luan)\s*(?:\(\d+\)|:?\s*\d+)?"
    r"|(?:udostępnij|share|chia sẻ|tagi|tags?|czytaj (?:także|też)|read more|related|"
    r"powiązane|xem thêm|tin liên quan)\b.{0,80}"
    r"|(?:©|copyright\b).{0,120}"
    r")$",
    re.IGNORECASE,
)
_BYLINE_PREFIX = re.compile(
    r"^(?:by|autor|author|tác giả|tekst|text|oprac\.?)\s*:?\s+", re.IGNORECASE
)
_CONNECTORS = {"i", "and", "và", "oraz", "de", "van", "von"}


def _looks_like_byline(line: str) -> bool:
    line = _BYLINE_PREFIX.sub("", line).strip()
    line = re.sub(r"\s*\([^)]{1,30}\)$", "", line)  # "Huong Giang (VNA)"
    if not line or len(line) > 50 or any(ch.isdigit() for ch in line):
        return False
    if _ends_sentence(line) and not line.endswith(")"):
        return False
    words = re.split(r"[\s,]+", line)
    if not 1 <= len(words) <= 5:
        return False
    return all(w[:1].isupper() or w.lower() in _CONNECTORS for w in words if w)


def strip_tail(paragraphs: list[str]) -> tuple[list[str], str | None]:
    """Drop scraped boilerplate from the end of a report; return (content, byline)."""
    end = len(paragraphs)
    byline: str | None = None
    while end > 1:
        line = paragraphs[end - 1]
        if _BOILERPLATE.match(line):
            end -= 1
        elif (
            byline is None
            and _looks_like_byline(line)
            and (end < len(paragraphs) or _BYLINE_PREFIX.match(line))
        ):
            # A lone name counts as a byline only when boilerplate follows it (or it says
            # "By ..."), so a short last line of a real report is not thrown away.
            byline = _BYLINE_PREFIX.sub("", line).strip()
            end -= 1
        else:
            break
    return paragraphs[:end], byline


# --- sentences -------------------------------------------------------------------------

# Abbreviations after which a period almost never ends a sentence (lower-cased, no dot).
_ABBREVIATIONS = {
    # Polish
    "np",
    "m.in",
    "tzw",
    "ul",
    "al",
    "prof",
    "dr",
    "mgr",
    "inż",
    "św",
    "nr",
    "godz",
    "ok",
    "ds",
    "tj",
    "wg",
    "pt",
    "pn",
    "por",
    "zob",
    "red",
    "tys",
    "mln",
    "mld",
    "im",
    "gen",
    "płk",
    "ks",
    "woj",
    "pow",
    "gm",
    # English
    "mr",
    "mrs",
    "ms",
    "st",
    "jr",
    "sr",
    "vs",
    "e.g",
    "i.e",
    "no",
    "fig",
    "approx",
    "dept",
    "gov",
    "inc",
    "ltd",
    "co",
    # Vietnamese
    "tp",
    "th",
    "ts",
    "ths",
    "gs",
    "pgs",
}
_BOUNDARY = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*(?=\s+)")
_OPENERS = "„\"“«‘'([¿¡"


@dataclass(frozen=True)
class Span:
    """A sentence as a [start, end) slice of its paragraph, so quotes stay verbatim."""

    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Split a paragraph into sentences; each span slices `text` exactly (no rewriting)."""
    spans: list[Span] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        rest = text[end:].lstrip()
        if not rest:
            break
        nxt = rest[0]
        if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
            continue
        if m.group(0)[0] == ".":
            before = text[start : m.start()].split()
            word = before[-1].lower().lstrip(_OPENERS) if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        if text[start:end].strip():
            spans.append(_trimmed(text, start, end))
        start = end
    if text[start:].strip():
        spans.append(_trimmed(text, start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def token_windows(text: str, count: Callable[[str], int], limit: int) -> list[Span]:
    """Slices of `text` of at most `limit` tokens each (by `count`), cut between words.

    The embedder reads at most `limit` tokens and its cost grows with the text's length, so
    a longer sentence is embedded as several windows, each at the embedder's normal rate.
    """
    if len(text) <= limit - 2:  # a token is at least a character
        return [Span(0, len(text))]
    total = count(text)
    if total <= limit:
        return [Span(0, len(text))]
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    pieces: list[tuple[int, int]] = []
    for start, end in words:  # a "word" longer than the limit (no spaces) is cut by length
        pieces.extend((i, min(end, i + limit)) for i in range(start, end, limit))
    per_piece = total / max(1, len(pieces))
    size = max(1, int(limit * 0.9 / max(per_piece, 1e-9)))
    spans: list[Span] = []
    i = 0
    while i < len(pieces):
        j = min(len(pieces), i + size)
        while j > i + 1 and count(text[pieces[i][0] : pieces[j - 1][1]]) > limit:
            j = i + max(1, (j - i) * 3 // 4)
        spans.append(Span(pieces[i][0], pieces[j - 1][1]))
        i = j
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, verbatim."""
    return [text[s.start : s.end] for s in sentence_spans(text)]


# Text addressed to an AI assistant rather than to readers of a report. Such paragraphs are
# not indexed: in a report they can only be an attempt to steer the answers.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding)\s+(?:instructions?|prompts?|messages?|rules)"
    r"|\bzignoruj\s+(?:wszystkie\s+)?(?:poprzednie|wczesniejsze|powyzsze)\s+"
    r"(?:instrukcje|polecenia)"
    r"|\bbo qua\s+(?:cac\s+|moi\s+|tat ca\s+)?(?:huong dan|chi dan|lenh)"
    r"|\byou are now\b|\bdeveloper mode\b|\bnew instructions\b|\bsystem prompt\b"
    r"|\bas an ai(?: language)? model\b|^\s*(?:system|assistant)\s*:",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """Whether a paragraph speaks to an AI model ("ignore previous instructions ...")."""
    return bool(_INJECTION.search(fold(text)))


def fold(text: str) -> str:
    """Lower-case and strip accents ("Kim Bảng" -> "kim bang"), for lexical matching."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
