"""Incremental, crash-safe indexing: reports -> paragraphs -> sentence units -> Chroma.

Why it converges after a SIGKILL at any point:
- ids are derived from content, and every write is an upsert or a delete, so repeating a
  step never duplicates anything;
- a report is marked `pending` in the manifest before any of its writes and `done` after
  the last, and only `done` reports with an unchanged file hash are skipped;
- a paragraph's units are written before its paragraph record, so a paragraph record means
  "complete"; units without one are orphans, cleared before their paragraph is redone;
- a deleted report keeps its manifest record until its paragraphs and units are gone.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexing.about import report_place, report_year
from indexing.corpus import Discovery, FoundFile, discover
from indexing.embeddings import Embedder, get_embedder
from indexing.loaders import LoadError, file_hash, load_report
from indexing.models import FileError, IndexSummary, Paragraph, Report, Unit, content_hash
from indexing.settings import Settings
from indexing.store import ReportEntry, Store
from indexing.text import split_sentences, token_windows

#: Bump when splitting or unit construction changes, so stored reports are re-checked.
#: 4: the figures table in unit metadata, the byline paragraph, place and year.
INDEX_VERSION = 5


class IndexProgress(Protocol):
    """What the indexer reports while it works (the CLI draws it as progress bars)."""

    def scanning(self, total_files: int) -> None: ...
    def scanned(self, source: str) -> None: ...
    def planned(self, paragraphs: int, units: int) -> None: ...
    def advance(self, paragraphs: int, units: int) -> None: ...
    def preparing(self, languages: list[str]) -> None: ...
    def finish(self) -> None: ...


class NullProgress:
    """Progress that shows nothing (library use, tests)."""

    def scanning(self, total_files: int) -> None:
        """Ignore."""

    def scanned(self, source: str) -> None:
        """Ignore."""

    def planned(self, paragraphs: int, units: int) -> None:
        """Ignore."""

    def advance(self, paragraphs: int, units: int) -> None:
        """Ignore."""

    def preparing(self, languages: list[str]) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""


class IndexLockedError(RuntimeError):
    """Another indexer is writing to the same local index."""


def paragraph_units(
    report: Report, embedder: Embedder | None = None
) -> list[tuple[str, Paragraph, list[Unit]]]:
    """The stored id and embedded units of every paragraph of a report.

    A unit is one sentence as written, or a window of one when the sentence is longer than
    the embedder reads. The title is not prefixed: measured on the public QA sets (README,
    "Retrieval"), sentences alone retrieve better, and embed 40% less text. The id hashes the
    index version, source, title and text, so a paragraph that merely moved keeps its id.
    """
    from indexing.figures import encode, mentions
    from indexing.lexical import identify

    out: list[tuple[str, Paragraph, list[Unit]]] = []
    seen: dict[str, int] = {}
    limit = embedder.max_tokens if embedder is not None else None
    for paragraph in report.paragraphs:
        pid = content_hash(str(INDEX_VERSION), report.source, report.title, paragraph.text)
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:  # the same paragraph twice in one report
            pid = f"{pid}-{seen[pid]}"
        texts: list[str] = []
        for sentence in split_sentences(paragraph.text) or [paragraph.text]:
            if limit is None or embedder is None:
                texts.append(sentence)
            else:
                spans = token_windows(sentence, embedder.count_tokens, limit)
                texts.extend(sentence[w.start : w.end] for w in spans)
        language = identify(paragraph.text) if paragraph.kind == "text" else ""
        units = [
            Unit(
                id=f"{pid}:{i}",
                paragraph_key=pid,
                text=text,
                embed_text=text,
                figures=encode(mentions(text, language)) if language else "",
            )
            for i, text in enumerate(texts)
        ]
        out.append((pid, paragraph, units))
    return out


@dataclass
class _Planned:
    """What planning one file found (computed on a worker thread, applied on the main one)."""

    source: str
    job: _Job | None = None
    unchanged: int = 0
    error: FileError | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Job:
    """The writes one changed report needs."""

    report: Report
    new: list[tuple[str, Paragraph, list[Unit]]]
    stale: list[str]
    renumber: dict[str, tuple[int, bool]]
    orphans: list[str]
    unchanged: int
    sizes: dict[str, int]
    pending: int = 0
    vectors: dict[str, list[np.ndarray]] = field(default_factory=dict)


class _Writer:
    """Runs store writes in order on one background thread, overlapping with embedding."""

    def __init__(self, max_pending: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reportqa-writer")
        self._futures: list[Future] = []
        self._max_pending = max_pending

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._futures = [f for f in self._futures if not self._done(f)]
        while len(self._futures) >= self._max_pending:  # back-pressure
            self._futures.pop(0).result()
        self._futures.append(self._pool.submit(fn, *args))

    @staticmethod
    def _done(future: Future) -> bool:
        if future.done():
            future.result()  # re-raise a failed write here, on the main thread
            return True
        return False

    def drain(self) -> None:
        for future in self._futures:
            future.result()
        self._futures.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@contextlib.contextmanager
def _local_lock(settings: Settings) -> Iterator[None]:
    if settings.chroma_url:
        yield
        return
    import fcntl

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / "index.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise IndexLockedError(
                f"another `reportqa index` is writing to {settings.index_dir}; wait for it to end"
            ) from None
        yield  # the kernel drops the lock if we are killed


class Indexer:
    """Brings the index in line with the reports on disk, embedding only what changed."""

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        embedder: Embedder | None = None,
        progress: IndexProgress | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder(
            settings.embedding, settings.device, settings.embed_batch_size
        )
        self._store = store
        self.progress = progress or NullProgress()
        self.batch_size = settings.embed_batch_size
        self.max_file_bytes = int(settings.max_file_mb * 1024 * 1024)
        self.max_paragraph_chars = settings.max_paragraph_chars
        self.workers = settings.index_workers

    @property
    def store(self) -> Store:
        """The store, opened on first use."""
        if self._store is None:
            self._store = Store(self.settings)
        return self._store

    def run(self, paths: list[Path] | None = None, rebuild: bool = False) -> IndexSummary:
        """Index the reports under `paths` (default: the corpus dir); see the module doc."""
        started = time.perf_counter()
        with _local_lock(self.settings):
            store = self.store
            if rebuild:
                store.reset()
            store.open(self.embedder.name)
            summary = IndexSummary(embedding=self.embedder.name)
            found = discover(paths, self.settings.corpus_dir)
            summary.errors.extend(found.errors)
            manifest = store.reports()
            self._remove_missing(found, manifest, summary)
            self._stream(found, manifest, summary)
            self._prepare_dictionaries()
            counts = store.counts()
        summary.paragraphs = counts["paragraphs"]
        summary.reports = counts["reports"]
        summary.seconds = round(time.perf_counter() - started, 3)
        self.progress.finish()
        return summary

    def _prepare_dictionaries(self) -> None:
        """The lemma dictionaries of the reply languages and of every language this run
        read, and the language identifier's model, prepared once per machine, so that a
        cold answer opens them at once (`indexing.cache`, benchmarks/cold_start.py)."""
        from indexing.lemmas import opened_languages
        from indexing.lexical import prepare_for_answers

        prepare_for_answers(opened_languages(), self.progress.preparing)

    # --- planning (worker threads: reads only) -----------------------------------------

    def _plan_file(self, item: FoundFile, entry: ReportEntry | None) -> _Planned:
        """Load one file and diff it against the store; runs on a planning thread."""
        if entry is not None and entry.status == "done" and entry.version == INDEX_VERSION:
            try:
                unchanged = file_hash(item.path.read_bytes()) == entry.file_hash
            except OSError:
                unchanged = False  # load_report below reports the error
            if unchanged:
                return _Planned(item.source, unchanged=entry.paragraphs)
        try:
            report = load_report(
                item.path, item.source, self.max_file_bytes, self.max_paragraph_chars
            )
        except LoadError as exc:
            return _Planned(item.source, error=FileError(path=item.source, reason=str(exc)))
        except Exception as exc:  # a loader bug must not stop the other files
            reason = f"failed to load ({type(exc).__name__}: {exc})"
            return _Planned(item.source, error=FileError(path=item.source, reason=reason))
        planned = paragraph_units(report, self.embedder)
        stored = self.store.paragraph_numbers(report.source) if entry is not None else {}
        with_units = self.store.unit_paragraph_ids(report.source) if entry is not None else set()
        wanted = {pid for pid, _, _ in planned}
        new = [p for p in planned if p[0] not in stored]
        lead = next((p.number for p in report.paragraphs if p.kind == "text"), 0)
        renumber = {
            pid: (paragraph.number, paragraph.number == lead)
            for pid, paragraph, _ in planned
            if pid in stored and stored[pid] != paragraph.number
        }
        job = _Job(
            report=report,
            new=new,
            stale=[pid for pid in stored if pid not in wanted],
            renumber=renumber,
            orphans=[pid for pid in with_units if pid not in stored],
            unchanged=len(planned) - len(new),
            sizes={pid: len(units) for pid, _, units in planned},
        )
        return _Planned(item.source, job=job, warnings=report.warnings)

    def _remove_missing(
        self, found: Discovery, manifest: dict[str, ReportEntry], summary: IndexSummary
    ) -> None:
        present = {f.source for f in found.files}
        for source in sorted(manifest):
            if source not in present and found.in_scope(source):
                summary.deleted += self.store.delete_source(source)
                self.store.delete_report(source)

    # --- the stream: plan on workers, embed here, write on the writer thread ------------

    def _stream(
        self, found: Discovery, manifest: dict[str, ReportEntry], summary: IndexSummary
    ) -> None:
        """Files are loaded and diffed on worker threads while earlier ones are embedded;
        the embedder never waits for the whole corpus to be read."""
        self.progress.scanning(len(found.files))
        queue: deque[tuple[_Job, str, Paragraph, Unit]] = deque()
        admitted: list[_Job] = []
        writer = _Writer()
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="reportqa-plan") as pool:
                plans = pool.map(
                    lambda item: self._plan_file(item, manifest.get(item.source)), found.files
                )
                for plan in plans:
                    self.progress.scanned(plan.source)
                    if plan.error is not None:
                        summary.errors.append(plan.error)
                        continue
                    summary.files += 1
                    summary.unchanged += plan.unchanged
                    summary.warnings.extend(
                        FileError(path=plan.source, reason=w) for w in plan.warnings
                    )
                    if plan.job is not None:
                        admitted.append(plan.job)
                        self._admit(plan.job, queue)
                    while len(queue) >= self.batch_size:
                        self._flush_admitted(admitted, writer, summary)
                        self._embed_batch(queue, writer, summary)
            self._flush_admitted(admitted, writer, summary)
            while queue:
                self._embed_batch(queue, writer, summary)
            writer.drain()
        finally:
            writer.close()

    def _admit(self, job: _Job, queue: deque[tuple[_Job, str, Paragraph, Unit]]) -> None:
        job.pending = len(job.new)
        units = 0
        for pid, paragraph, paragraph_units_ in job.new:
            job.vectors[pid] = []
            queue.extend((job, pid, paragraph, unit) for unit in paragraph_units_)
            units += len(paragraph_units_)
        self.progress.planned(len(job.new), units)

    def _flush_admitted(self, admitted: list[_Job], writer: _Writer, summary: IndexSummary) -> None:
        """Mark newly planned reports pending (before any of their units are written)."""
        if not admitted:
            return
        # Pending first: a crash from here on leaves these reports marked for a redo.
        writer.submit(self.store.put_reports, [self._entry(j.report, "pending") for j in admitted])
        orphans = [pid for job in admitted for pid in job.orphans]
        if orphans:
            writer.submit(self.store.delete_units_of, orphans)
        ready = [job for job in admitted if job.pending == 0]
        if ready:
            writer.submit(self._finish_jobs, ready)
            for job in ready:
                summary.unchanged += job.unchanged
                summary.deleted += len(job.stale)
        admitted.clear()

    def _embed_batch(
        self,
        queue: deque[tuple[_Job, str, Paragraph, Unit]],
        writer: _Writer,
        summary: IndexSummary,
    ) -> None:
        batch = [queue.popleft() for _ in range(min(self.batch_size, len(queue)))]
        vectors = self.embedder.embed_passages([u.embed_text for *_, u in batch])
        # A byline is embedded (its paragraph record needs a vector) but never searched:
        # a reporter's name is no answer to a question about the report's content.
        searched = [k for k, (_, _, p, _) in enumerate(batch) if p.kind != "byline"]
        if searched:
            writer.submit(
                self.store.add_units,
                [batch[k][3].id for k in searched],
                vectors[searched],
                [batch[k][3].text for k in searched],
                [_unit_meta(*batch[k]) for k in searched],
            )
            self._embed_things([batch[k] for k in searched], writer)
        done = self._collect(batch, vectors, writer, summary)
        summary.units_embedded += len(batch)
        self.progress.advance(done, len(batch))

    def _embed_things(
        self, batch: list[tuple[_Job, str, Paragraph, Unit]], writer: _Writer
    ) -> None:
        """Embed the words at each figure of the batch's units (the figures table's things),
        written before the paragraphs that hold them, like the units."""
        from indexing.figures import decode, thing_text

        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        for job, pid, _, unit in batch:
            for k, mention in enumerate(decode(unit.figures)):
                ids.append(f"{unit.id}:{k}")
                texts.append(thing_text(unit.text, mention))
                metas.append({"source": job.report.source, "pid": pid})
        if ids:
            writer.submit(
                self.store.add_things, ids, self.embedder.embed_passages(texts), texts, metas
            )

    def _collect(
        self,
        batch: list[tuple[_Job, str, Paragraph, Unit]],
        vectors: np.ndarray,
        writer: _Writer,
        summary: IndexSummary,
    ) -> int:
        """Record unit vectors; write the paragraphs (and reports) this batch completed.

        Completed paragraphs and reports are written in one call each per batch: Chroma's
        per-call overhead, not its per-record cost, dominates small writes.
        """
        ids: list[str] = []
        means: list[np.ndarray] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        finished: list[_Job] = []
        for (job, pid, paragraph, _), vector in zip(batch, vectors, strict=True):
            job.vectors[pid].append(vector)
            expected = job.sizes[pid]
            if len(job.vectors[pid]) < expected:
                continue
            mean = np.mean(job.vectors.pop(pid), axis=0)
            means.append(mean / (np.linalg.norm(mean) or 1.0))
            ids.append(pid)
            texts.append(paragraph.text)
            metas.append(self._paragraph_meta(job.report, paragraph, expected))
            job.pending -= 1
            if job.pending == 0:
                finished.append(job)
        if ids:
            writer.submit(
                self.store.add_paragraphs, ids, np.stack(means).astype(np.float32), texts, metas
            )
            summary.embedded += len(ids)
        if finished:
            writer.submit(self._finish_jobs, finished)
            for job in finished:
                summary.unchanged += job.unchanged
                summary.deleted += len(job.stale)
        return len(ids)

    def _finish_jobs(self, jobs: list[_Job]) -> None:
        for job in jobs:
            if job.stale:
                self.store.delete_paragraphs(job.stale)
            if job.renumber:
                self.store.renumber(job.renumber)
        self.store.put_reports([self._entry(job.report, "done") for job in jobs])

    @staticmethod
    def _paragraph_meta(report: Report, paragraph: Paragraph, units: int) -> dict[str, Any]:
        lead = next((p.number for p in report.paragraphs if p.kind == "text"), 0)
        return {
            "source": report.source,
            "paragraph": paragraph.number,
            "kind": paragraph.kind,
            "title": report.title,
            "units": 0 if paragraph.kind == "byline" else units,  # a byline is not searched
            "lead": paragraph.number == lead,
        }

    def _entry(self, report: Report, status: str) -> ReportEntry:
        return ReportEntry(
            source=report.source,
            title=report.title,
            byline=report.byline,
            place=report_place(report),
            year=report_year(report),
            file_hash=report.file_hash,
            version=INDEX_VERSION,
            status=status,  # type: ignore[arg-type]
            paragraphs=len(report.paragraphs),
        )


def _unit_meta(job: _Job, pid: str, paragraph: Paragraph, unit: Unit) -> dict[str, Any]:
    """A unit's metadata; its figures, when it has any, are its rows of the figures table."""
    figures = json.loads(unit.figures) if unit.figures else []
    meta: dict[str, Any] = {
        "source": job.report.source,
        "pid": pid,
        "i": int(unit.id.rsplit(":", 1)[1]),
        "nfig": len(figures),
    }
    if figures:
        meta["figures"] = unit.figures
    return meta


def index(
    settings: Settings, paths: list[Path] | None = None, rebuild: bool = False
) -> IndexSummary:
    """Index reports with the given settings; the library form of `reportqa index`."""
    return Indexer(settings).run(paths, rebuild=rebuild)
