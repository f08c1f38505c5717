"""Reports added, replaced and removed from a chat by its admins (issue 19), as a colleague
would hand them over: the file is checked and read before anything changes, written into
the corpus folder atomically, and indexed as `reportqa index <file>` would index it, so a
later `reportqa index` from the shell finds the same state and embeds nothing twice.

The order of the steps is what makes a kill at any point converge:
- add: the bytes go to a hidden file beside the report (the indexer skips hidden files),
  are read as a report, then renamed onto the report's name; the index run follows. Killed
  before the rename, nothing changed (the hidden file is swept by the next upload or start).
- remove: the file is deleted first, then its index records.
- Both leave a hidden marker, `.pending-<pid>-<name>`, from before the file changes until
  the index agrees with it. A bot that starts (`recover`) brings every report a dead
  process marked in line with its file, present or gone, so neither a half-indexed upload
  nor the paragraphs of a removed report outlive a kill. A shell `reportqa index` run
  converges the same files; the marker left then costs one no-change run at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from indexing.indexer import IndexProgress
from indexing.settings import Settings
from indexing.store import ReportEntry

#: The most a bot may download through the Bot API (getFile).
MAX_BYTES = 20 * 1024 * 1024
#: Hidden, so that neither the indexer nor `discover` ever reads a file being written.
_PART_PREFIX = ".upload-"
#: Hidden markers of reports whose file changed before their index run ended.
_PENDING_PREFIX = ".pending-"
#: One upload or removal at a time in this process: two admins sending the same file get
#: the second told that nothing changed, never two index runs racing on one file.
_writing = threading.Lock()

_MESSAGES: dict[str, dict[str, str]] = {
    "too_big": {
        "en": "{name} is {size} MB: Telegram lets a bot download at most 20 MB. "
        "Split it, or index it from the server.",
        "pl": "{name} ma {size} MB: bot może pobrać z Telegrama najwyżej 20 MB. "
        "Podziel plik albo zaindeksuj go na serwerze.",
        "vi": "{name} nặng {size} MB: bot chỉ tải được tối đa 20 MB từ Telegram. "
        "Hãy tách tệp hoặc lập chỉ mục trên máy chủ.",
    },
    "empty": {
        "en": "{name} holds no text I can index.",
        "pl": "{name} nie zawiera tekstu, który mogę zaindeksować.",
        "vi": "{name} không có văn bản nào để lập chỉ mục.",
    },
    "archive": {
        "en": "{name} is an archive: send the reports in it one by one.",
        "pl": "{name} to archiwum: wyślij raporty z niego pojedynczo.",
        "vi": "{name} là tệp nén: hãy gửi từng báo cáo một.",
    },
    "unsupported": {
        "en": "{name}: I read PDF, DOCX, HTML, Markdown and text files.",
        "pl": "{name}: czytam pliki PDF, DOCX, HTML, Markdown i tekstowe.",
        "vi": "{name}: tôi đọc được tệp PDF, DOCX, HTML, Markdown và văn bản.",
    },
    "broken": {
        "en": "{name} could not be read ({why}); nothing was changed.",
        "pl": "Nie udało się odczytać {name} ({why}); nic nie zmieniono.",
        "vi": "Không đọc được {name} ({why}); không có gì thay đổi.",
    },
    "name": {
        "en": "A report's file name must be a plain name, not {name}.",
        "pl": "Nazwa pliku raportu musi być zwykłą nazwą, nie {name}.",
        "vi": "Tên tệp báo cáo phải là một tên đơn giản, không phải {name}.",
    },
    "unknown": {
        "en": "There is no report {name}: /sources lists them.",
        "pl": "Nie ma raportu {name}: /sources pokazuje listę.",
        "vi": "Không có báo cáo {name}: /sources liệt kê các báo cáo.",
    },
    "busy": {
        "en": "The index is being updated from the server; send {name} again in a minute.",
        "pl": "Indeks jest właśnie aktualizowany na serwerze; wyślij {name} za minutę.",
        "vi": "Chỉ mục đang được cập nhật trên máy chủ; hãy gửi lại {name} sau một phút.",
    },
}


class Rejected(ValueError):
    """An upload or removal refused before anything changed; `message(language)` says why
    in the sender's language."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

    def message(self, language: str) -> str:
        """The one-line reply, in en, pl or vi."""
        texts = _MESSAGES[self.reason]
        return texts.get(language, texts["en"]).format(**self.details)


@dataclass
class Figure:
    """One figure the new report states, to show what was understood (cited)."""

    paragraph: int
    text: str
    quote: str


@dataclass
class Added:
    """What an upload did: the report as the index now knows it, and what changed."""

    source: str
    entry: ReportEntry
    replaced: bool
    embedded: int
    deleted: int
    unchanged: int
    figures: list[Figure] = field(default_factory=list)


def report_name(name: str) -> str:
    """The file name a report is stored under, or Rejected("name"): no folders, no hidden
    or special names, nothing Telegram's client would not show as one plain name."""
    cleaned = "".join(ch for ch in name if ch.isprintable()).strip()
    if (
        not cleaned
        or cleaned != name.strip()
        or "/" in cleaned
        or "\\" in cleaned
        or cleaned in (".", "..")
        or cleaned.startswith((".", "~"))
        or len(cleaned.encode("utf-8")) > 200
    ):
        raise Rejected("name", name=name)
    return cleaned


def check(name: str, data: bytes, size: int | None = None) -> str:
    """The stored name of an upload, after every check that needs no parsing; raises
    Rejected. `size` is the size Telegram announces, checked before downloading."""
    from indexing.loaders import supported

    stored = report_name(name)
    measured = size or len(data)
    if measured > MAX_BYTES:
        raise Rejected("too_big", name=stored, size=f"{measured / (1024 * 1024):.1f}")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") and not stored.lower().endswith(".docx"):
        raise Rejected("archive", name=stored)
    if stored.lower().endswith((".zip", ".7z", ".rar", ".tar", ".gz", ".tgz")):
        raise Rejected("archive", name=stored)
    if not supported(Path(stored)):
        raise Rejected("unsupported", name=stored)
    if size is None and not data.strip():
        raise Rejected("empty", name=stored)
    return stored


def add_report(
    settings: Settings,
    name: str,
    data: bytes,
    *,
    progress: IndexProgress | None = None,
    embedder=None,  # noqa: ANN001 - indexing.embeddings.Embedder
) -> Added:
    """Check, read, store and index one uploaded report (a file of that name is replaced).

    Nothing changes when it is refused: the file is read as a report before it replaces
    anything. Raises Rejected."""
    from indexing.indexer import Indexer, IndexLockedError
    from indexing.loaders import LoadError, load_report

    stored = check(name, data)
    corpus = settings.corpus_dir
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / stored
    with _writing:
        sweep(corpus)
        part = corpus / f"{_PART_PREFIX}{os.getpid()}-{stored}"
        try:
            _write(part, data)
            try:
                report = load_report(part, stored)
            except LoadError as exc:
                raise Rejected("broken", name=stored, why=str(exc)) from None
            if not any(p.kind == "text" for p in report.paragraphs):
                raise Rejected("empty", name=stored)
            replaced = target.exists()
            backup = _keep(target) if replaced else None
            marker = _mark(corpus, stored)
            os.replace(part, target)
            _sync_dir(corpus)
        finally:
            part.unlink(missing_ok=True)
        indexer = Indexer(settings, embedder=embedder, progress=progress)
        try:
            summary = indexer.run([target])
            failed = next((e.reason for e in summary.errors if e.path == stored), None)
            if failed is not None:
                raise Rejected("broken", name=stored, why=failed)
        except IndexLockedError:
            _restore(target, backup)
            marker.unlink(missing_ok=True)
            raise Rejected("busy", name=stored) from None
        except Exception:
            # Told it failed, the admin expects the reports as they were: the old file back,
            # and the index brought back in line with it (or, failing that, by `recover`).
            _restore(target, backup)
            with contextlib.suppress(Exception):
                Indexer(settings, embedder=embedder).run([target])
                marker.unlink(missing_ok=True)
            raise
        finally:
            if backup is not None:
                backup.unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    return _added(settings, stored, replaced, summary, embedder)


def remove_report(settings: Settings, source: str, embedder=None) -> int:  # noqa: ANN001
    """Delete a report's file from the corpus folder, then its records from the index;
    return how many paragraphs went. Raises Rejected("unknown")."""
    from indexing.store import Store

    store = Store(settings)
    store.open(_embedding_name(settings, embedder), create=False)
    if source not in store.reports():
        raise Rejected("unknown", name=source)
    with _writing:
        corpus = Path(os.path.abspath(settings.corpus_dir))
        path = Path(os.path.abspath(corpus / source))
        marker = _mark(corpus, source) if path.is_relative_to(corpus) else None
        if marker is not None:
            path.unlink(missing_ok=True)
            _sync_dir(path.parent)
        removed = store.delete_source(source)
        store.delete_report(source)
        if marker is not None:
            marker.unlink(missing_ok=True)
    return removed


def interrupted(corpus: Path) -> list[str]:
    """The reports a process that no longer runs was adding or removing when it died."""
    return sorted(set(_interrupted(corpus).values()))


def _interrupted(corpus: Path) -> dict[Path, str]:
    found = {}
    for marker in sorted(corpus.glob(f"{_PENDING_PREFIX}*")):
        if _owner_runs(marker, _PENDING_PREFIX):
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError):
            source = marker.read_text(encoding="utf-8").strip()
            found[marker] = source
    return found


def recover(
    settings: Settings,
    *,
    embedder=None,  # noqa: ANN001 - indexing.embeddings.Embedder
    progress: IndexProgress | None = None,
) -> list[str]:
    """Bring the reports a killed upload or removal left behind in line with their files
    (a bot calls this as it starts); return their names. What a dead process was writing
    is swept. Raises IndexLockedError while a shell `reportqa index` holds the index (that
    run converges the same files; the markers stay for the next start)."""
    from indexing.indexer import Indexer

    corpus = settings.corpus_dir
    if not corpus.is_dir():
        return []
    with _writing:
        sweep(corpus)
        markers = _interrupted(corpus)
        sources = sorted({s for s in markers.values() if s})
        if sources:
            # A file that is gone is named to drop its report (indexing.corpus.discover).
            Indexer(settings, embedder=embedder, progress=progress).run(
                [corpus / source for source in sources]
            )
        for marker in markers:
            marker.unlink(missing_ok=True)
    return sources


def _added(
    settings: Settings,
    source: str,
    replaced: bool,
    summary,  # noqa: ANN001 - indexing.models.IndexSummary
    embedder,  # noqa: ANN001
) -> Added:
    from indexing.store import Store

    store = Store(settings)
    store.open(_embedding_name(settings, embedder), create=False)
    entry = store.reports().get(source) or ReportEntry(source=source)
    figures: list[Figure] = []
    found = sorted(store.figure_paragraphs([source]), key=lambda f: f.paragraph.number)
    for paragraph in found:
        for sentence, mentions in zip(paragraph.sentences, paragraph.mentions, strict=True):
            figures += [Figure(paragraph.paragraph.number, m.text, sentence) for m in mentions]
    return Added(
        source=source,
        entry=entry,
        replaced=replaced,
        embedded=summary.embedded,
        deleted=summary.deleted,
        unchanged=summary.unchanged,
        figures=figures,
    )


def _embedding_name(settings: Settings, embedder) -> str:  # noqa: ANN001
    if embedder is not None:
        return embedder.name
    from indexing.embeddings import get_embedder

    return get_embedder(settings.embedding, settings.device, settings.embed_batch_size).name


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _mark(corpus: Path, source: str) -> Path:
    """The marker holds the report's name: a name may have folders, a file name may not."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    marker = corpus / f"{_PENDING_PREFIX}{os.getpid()}-{digest}"
    _write(marker, source.encode("utf-8"))
    _sync_dir(corpus)
    return marker


def _sync_dir(folder: Path) -> None:
    """A rename or an unlink is durable once its folder is synced."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _keep(target: Path) -> Path:
    """A hidden copy of the report an upload replaces, until its index run succeeds."""
    backup = target.with_name(f"{_PART_PREFIX}{os.getpid()}-old-{target.name}")
    _write(backup, target.read_bytes())
    return backup


def _restore(target: Path, backup: Path | None) -> None:
    if backup is None:
        target.unlink(missing_ok=True)
    else:
        os.replace(backup, target)


def sweep(corpus: Path) -> None:
    """Remove what killed uploads left (hidden, so never indexed): the files of processes
    that no longer run, so another bot process's upload in progress is left alone."""
    for leftover in corpus.glob(f"{_PART_PREFIX}*"):
        if _owner_runs(leftover, _PART_PREFIX):
            continue
        with contextlib.suppress(OSError):
            leftover.unlink()


def _owner_runs(hidden: Path, prefix: str) -> bool:
    """Whether another process that still runs wrote this `<prefix><pid>-…` file."""
    pid = hidden.name[len(prefix) :].partition("-")[0]
    return pid.isdigit() and int(pid) != os.getpid() and _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True
