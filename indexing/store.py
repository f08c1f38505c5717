"""The Chroma store: embedded (`PersistentClient`) or a server (`HttpClient`).

Four collections hold *all* index state, so a machine with only the server URL can answer:
- units: one record per embedded sentence (vector, sentence text, paragraph id, and its
  figures: the figures table of questions across reports);
- things: one vector per figure of the figures table, of the words at it
  (`indexing.figures.thing_text`), so a comparison embeds none of them;
- paragraphs: one record per paragraph (verbatim text, number, the mean unit vector);
- reports: the manifest, one record per report (file hash, status, title, byline, place,
  year);
- state: the manifest's generation, changed by every manifest write, so that a reader
  re-reads the manifest only when it has changed.
Our own vectors are always passed in; Chroma's default embedding function is never used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from indexing.figures import Mention
from indexing.settings import Settings

UNITS = "reportqa-units"
PARAGRAPHS = "reportqa-paragraphs"
REPORTS = "reportqa-reports"
THINGS = "reportqa-things"
STATE = "reportqa-state"
_GENERATION = "manifest"
SCHEMA = 1
# `$in` filters and id lists are chunked well below Chroma's batch limit.
_ID_CHUNK = 500


class StoreError(RuntimeError):
    """The store cannot be used (unreachable server, corrupt directory, ...)."""


class ModelMismatchError(StoreError):
    """The index was built with another embedding model than the one configured."""


class ReportEntry(BaseModel):
    """The manifest record of one report."""

    source: str
    title: str = ""
    byline: str | None = None
    place: str | None = None
    year: int | None = None
    file_hash: str = ""
    version: int = 0
    status: Literal["pending", "done"] = "pending"
    paragraphs: int = 0
    indexed_at: str = ""


class StoredParagraph(BaseModel):
    """A paragraph as read back from the store."""

    id: str
    source: str
    number: int
    text: str
    kind: str = "text"
    title: str = ""
    lead: bool = False


@dataclass
class FigureParagraph:
    """A paragraph of the figures table: its sentences, their vectors and figures, and the
    vector of the words at each figure (None where the index has none)."""

    paragraph: StoredParagraph
    sentences: list[str]
    vectors: np.ndarray
    mentions: list[list[Mention]]
    things: list[list[np.ndarray | None]]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _quiet_chroma_env() -> None:
    # Telemetry must stay off even in code paths that read the environment directly.
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class Store:
    """Reads and writes the index; one instance per process is enough."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = settings.store_location
        _quiet_chroma_env()
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise StoreError(f"chromadb is not installed ({exc})") from None
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.chroma_url:
                from urllib.parse import urlparse

                url = urlparse(settings.chroma_url)
                if url.scheme not in ("http", "https") or not url.hostname:
                    raise StoreError(
                        f"REPORTQA_CHROMA_URL must look like http://host:port, "
                        f"got '{settings.chroma_url}'"
                    )
                self.client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                self.client.heartbeat()
            else:
                settings.index_dir.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(
                    path=str(settings.index_dir), settings=chroma_settings
                )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma store at {self.location}: {exc}") from None
        try:
            self.max_batch = max(1, int(self.client.get_max_batch_size()))
        except Exception:
            self.max_batch = 1000
        self._units = None
        self._paragraphs = None
        self._reports = None
        self._things = None
        self._state = None
        #: The manifest as last read, with its generation.
        self._manifest: tuple[str, dict[str, ReportEntry]] | None = None

    # --- collections -------------------------------------------------------------------

    def _get(self, name: str, create: bool, metadata: dict | None = None, space: str = "cosine"):  # noqa: ANN202
        if create:
            return self.client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": space}},
                metadata=metadata,
            )
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception:
            return None

    def exists(self) -> bool:
        """Whether an index has been created in this store."""
        return self._get(UNITS, create=False) is not None

    def model_info(self) -> dict[str, Any]:
        """The embedding model and schema recorded with the index (empty when none)."""
        col = self._get(UNITS, create=False)
        return dict(col.metadata or {}) if col is not None else {}

    def open(self, embedding: str, create: bool = True) -> None:
        """Open (or create) the collections for an embedding model; refuse a different one."""
        info = self.model_info()
        if info:
            built_with = info.get("embedding")
            if built_with != embedding or info.get("schema") != SCHEMA:
                why = (
                    f"was built with embedding '{built_with}'"
                    if built_with != embedding
                    else f"has an older layout (schema {info.get('schema')}, now {SCHEMA})"
                )
                raise ModelMismatchError(
                    f"the index at {self.location} {why}, but this run uses '{embedding}': "
                    "run `reportqa index --rebuild` to re-embed everything"
                    + (
                        f" (or set REPORTQA_EMBEDDING={built_with})"
                        if built_with != embedding
                        else ""
                    )
                )
        elif not create:
            raise StoreError(f"no index at {self.location}: run `reportqa index` first")
        meta = {"embedding": embedding, "schema": SCHEMA}
        self._units = self._get(UNITS, True, meta)
        self._paragraphs = self._get(PARAGRAPHS, True, meta)
        self._reports = self._get(REPORTS, True, {"schema": SCHEMA}, space="l2")
        # An index from before this collection gets it empty: its figures' words are
        # embedded when a comparison needs them, and stored by the next index of the report.
        self._things = self._get(THINGS, True, meta)
        self._state = self._get(STATE, True, {"schema": SCHEMA}, space="l2")

    def reset(self) -> None:
        """Delete every reportqa collection (for `--rebuild`)."""
        for name in (UNITS, PARAGRAPHS, REPORTS, THINGS, STATE):
            with contextlib.suppress(Exception):  # absent already
                self.client.delete_collection(name)
        self._units = self._paragraphs = self._reports = self._things = self._state = None
        self._manifest = None

    def _need(self, col):  # noqa: ANN001, ANN202
        if col is None:
            raise StoreError("store not opened: call Store.open() first")
        return col

    @property
    def units(self):  # noqa: ANN201 - chromadb Collection
        """The sentence-unit collection."""
        return self._need(self._units)

    @property
    def paragraphs(self):  # noqa: ANN201
        """The paragraph collection."""
        return self._need(self._paragraphs)

    @property
    def things(self):  # noqa: ANN201
        """The figure-words collection."""
        return self._need(self._things)

    @property
    def reports_collection(self):  # noqa: ANN201
        """The manifest collection."""
        return self._need(self._reports)

    # --- manifest ----------------------------------------------------------------------

    def reports(self) -> dict[str, ReportEntry]:
        """Every report in the manifest, by source (read again only when it has changed:
        every question reads it, and it holds a record per report). Do not modify."""
        generation = self._generation()
        cached = self._manifest
        if generation is not None and cached is not None and cached[0] == generation:
            return dict(cached[1])
        out: dict[str, ReportEntry] = {}
        for got in self._pages(self.reports_collection, ["documents"]):
            for doc in got["documents"] or []:
                entry = ReportEntry.model_validate_json(doc)
                out[entry.source] = entry
        # Read before the records: a write in between leaves a newer manifest under an older
        # generation, which the next call reads again; never an older one kept.
        if generation is not None:
            self._manifest = (generation, out)
        return dict(out)

    def _generation(self) -> str | None:
        """The manifest's generation (None for an index written before it was kept)."""
        if self._state is None:
            return None
        got = self._state.get(ids=[_GENERATION], include=["documents"])
        return str(got["documents"][0]) if got["ids"] else None

    def _changed(self) -> None:
        """Mark the manifest changed (after writing it)."""
        import uuid

        self._manifest = None
        if self._state is not None:
            self._state.upsert(ids=[_GENERATION], embeddings=[[1.0]], documents=[uuid.uuid4().hex])

    def put_reports(self, entries: Sequence[ReportEntry]) -> None:
        """Write (or overwrite) manifest records."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for chunk in _chunks(list(entries), self.max_batch):
            for entry in chunk:
                entry.indexed_at = now
            self.reports_collection.upsert(
                ids=[_report_id(e.source) for e in chunk],
                embeddings=[[1.0]] * len(chunk),
                documents=[e.model_dump_json() for e in chunk],
                metadatas=[
                    {"source": e.source, "status": e.status, "file_hash": e.file_hash}
                    for e in chunk
                ],
            )
        self._changed()

    def delete_report(self, source: str) -> None:
        """Remove one manifest record."""
        self.reports_collection.delete(ids=[_report_id(source)])
        self._changed()

    # --- paragraphs and units ----------------------------------------------------------

    def paragraph_numbers(self, source: str) -> dict[str, int]:
        """Stored paragraph ids of a report and their numbers."""
        got = self.paragraphs.get(where={"source": source}, include=["metadatas"])
        return {
            i: int(m["paragraph"]) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def unit_paragraph_ids(self, source: str) -> set[str]:
        """Paragraph ids that have at least one stored unit (orphans included)."""
        got = self.units.get(where={"source": source}, include=["metadatas"])
        return {m["pid"] for m in got["metadatas"] or []}

    def _upsert(
        self,
        collection: Any,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            collection.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    def add_units(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Upsert sentence units (idempotent: same id, same record)."""
        self._upsert(self.units, ids, vectors, texts, metadatas)

    def add_things(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Upsert the vectors of figures' words (id: the unit's id and the figure's place
        among the unit's figures)."""
        self._upsert(self.things, ids, vectors, texts, metadatas)

    def add_paragraphs(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Upsert paragraph records (written after their units: the commit marker)."""
        self._upsert(self.paragraphs, ids, vectors, texts, metadatas)

    def renumber(self, numbers: dict[str, tuple[int, bool]]) -> None:
        """Change paragraph numbers (and which one leads its report) in place."""
        items = list(numbers.items())
        for chunk in _chunks(items, _ID_CHUNK):
            self.paragraphs.update(
                ids=[i for i, _ in chunk],
                metadatas=[{"paragraph": n, "lead": lead} for _, (n, lead) in chunk],
            )

    def delete_paragraphs(self, ids: Iterable[str]) -> None:
        """Delete paragraph records and every unit that belongs to them."""
        ids = list(ids)
        for chunk in _chunks(ids, _ID_CHUNK):
            self.paragraphs.delete(ids=list(chunk))
        self.delete_units_of(ids)

    def delete_units_of(self, paragraph_ids: Iterable[str]) -> None:
        """Delete the units of the given paragraphs."""
        ids = list(paragraph_ids)
        for chunk in _chunks(ids, _ID_CHUNK):
            self.units.delete(where={"pid": {"$in": list(chunk)}})
            self.things.delete(where={"pid": {"$in": list(chunk)}})

    def delete_source(self, source: str) -> int:
        """Delete everything of one report except its manifest record; return paragraphs."""
        count = len(self.paragraph_numbers(source))
        self.paragraphs.delete(where={"source": source})
        self.units.delete(where={"source": source})
        self.things.delete(where={"source": source})
        return count

    # --- reads for answering -----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Numbers of reports, paragraphs and units in the index."""
        return {
            "reports": self.reports_collection.count(),
            "paragraphs": self.paragraphs.count(),
            "units": self.units.count(),
        }

    def find_paragraphs(self, where: dict[str, Any]) -> list[StoredParagraph]:
        """Paragraph records matching a metadata filter, by source and number."""
        found: list[StoredParagraph] = []
        for got in self._pages(self.paragraphs, ["documents", "metadatas"], where):
            found += [
                _stored(pid, doc, meta)
                for pid, doc, meta in zip(
                    got["ids"], got["documents"], got["metadatas"], strict=True
                )
            ]
        return sorted(found, key=lambda p: (p.source, p.number))

    def get_paragraphs(self, ids: Sequence[str]) -> list[StoredParagraph]:
        """Paragraph records by id, in the order asked (missing ids are skipped)."""
        found: dict[str, StoredParagraph] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _ID_CHUNK):
            got = self.paragraphs.get(ids=list(chunk), include=["documents", "metadatas"])
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                found[pid] = _stored(pid, doc, meta)
        return [found[i] for i in ids if i in found]

    def figure_paragraphs(self, sources: Sequence[str]) -> list[FigureParagraph]:
        """The figures table of some reports: each paragraph that holds a figure, with its
        sentences, their vectors, their figures and the vectors of the words at them.

        Read by report (an indexed filter), never by scanning the table: a comparison reads
        the reports it is about, whatever the size of the index."""
        from indexing.figures import decode

        out: list[FigureParagraph] = []
        for chunk in _chunks(list(dict.fromkeys(sources)), _ID_CHUNK):
            where: dict[str, Any] = (
                {"source": chunk[0]} if len(chunk) == 1 else {"source": {"$in": list(chunk)}}
            )
            units: dict[str, list[tuple[int, str, np.ndarray, dict[str, Any]]]] = {}
            thing_ids: list[str] = []
            for got in self._pages(self.units, ["documents", "metadatas", "embeddings"], where):
                for unit_id, doc, meta, vector in zip(
                    got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
                ):
                    units.setdefault(str(meta["pid"]), []).append(
                        (int(meta["i"]), doc, np.asarray(vector, dtype=np.float32), meta)
                    )
                    thing_ids += [f"{unit_id}:{k}" for k in range(int(meta.get("nfig", 0)))]
            pids = [pid for pid, found in units.items() if any(m.get("nfig", 0) for *_, m in found)]
            things = self.thing_vectors(thing_ids)
            for paragraph in self.get_paragraphs(pids):
                found = sorted(units[paragraph.id], key=lambda u: u[0])
                mentions = [decode(str(m.get("figures", ""))) for *_, m in found]
                out.append(
                    FigureParagraph(
                        paragraph=paragraph,
                        sentences=[doc for _, doc, _, _ in found],
                        vectors=np.stack([v for _, _, v, _ in found]),
                        mentions=mentions,
                        things=[
                            [things.get(f"{paragraph.id}:{i}:{k}") for k in range(len(held))]
                            for (i, *_), held in zip(found, mentions, strict=True)
                        ],
                    )
                )
        return out

    def _pages(
        self, collection: Any, include: list[str], where: dict[str, Any] | None = None
    ) -> Iterator[Any]:
        """A collection's records (matching `where`), a batch at a time."""
        offset = 0
        while True:
            got = collection.get(where=where, include=include, limit=self.max_batch, offset=offset)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    def nearest_sources(self, vector: np.ndarray, k: int) -> list[str]:
        """The reports of the figure-holding sentences among the `k` sentences nearest a
        query vector, nearest first (each report once). Not a filtered query: at 100k
        sentences Chroma's filter costs ten times the search."""
        total = self.units.count()
        if total == 0:
            return []
        got = self.units.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, total),
            include=["metadatas"],
        )
        return list(
            dict.fromkeys(
                str(meta["source"]) for meta in got["metadatas"][0] if meta.get("nfig", 0)
            )
        )

    def thing_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of figures' words by id (`<unit id>:<figure>`); read by id,
        so no filter is evaluated (missing ids are skipped)."""
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), _ID_CHUNK):
            got = self.things.get(ids=list(chunk), include=["embeddings"])
            for thing_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[thing_id] = np.asarray(vector, dtype=np.float32)
        return found

    def units_of(self, paragraph_ids: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Every unit of the given paragraphs, in order: (text, vector) lists by paragraph id."""
        found: dict[str, list[tuple[int, str, np.ndarray]]] = {}
        for chunk in _chunks(list(dict.fromkeys(paragraph_ids)), _ID_CHUNK):
            got = self.units.get(
                where={"pid": {"$in": list(chunk)}},
                include=["documents", "metadatas", "embeddings"],
            )
            for doc, meta, vector in zip(
                got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                found.setdefault(meta["pid"], []).append(
                    (int(meta["i"]), doc, np.asarray(vector, dtype=np.float32))
                )
        return {
            pid: [(text, vector) for _, text, vector in sorted(units, key=lambda u: u[0])]
            for pid, units in found.items()
        }

    def query_units(
        self, vector: np.ndarray, k: int, where: dict | None = None
    ) -> list[tuple[str, str, str, float]]:
        """Nearest units: (unit id, paragraph id, sentence, cosine similarity)."""
        total = self.units.count()
        if total == 0:
            return []
        got = self.units.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, total),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (uid, meta["pid"], doc, 1.0 - float(dist))
            for uid, doc, meta, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=True,
            )
        ]


def _stored(pid: str, text: str, meta: dict[str, Any]) -> StoredParagraph:
    return StoredParagraph(
        id=pid,
        source=meta["source"],
        number=int(meta["paragraph"]),
        text=text,
        kind=str(meta.get("kind", "text")),
        title=str(meta.get("title", "")),
        lead=bool(meta.get("lead", False)),
    )


def _report_id(source: str) -> str:
    from indexing.models import content_hash

    return "r-" + content_hash(source)
