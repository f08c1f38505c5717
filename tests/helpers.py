"""Test helpers: snapshots of the whole store, to compare runs exactly."""

from __future__ import annotations

import json
from typing import Any

from indexing.embeddings import get_embedder
from indexing.settings import Settings
from indexing.store import Store


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything stored (ids, texts, metadata, manifest), without timestamps or vectors."""
    store = Store(settings)
    store.open(get_embedder(settings.embedding).name, create=False)
    units = store.units.get(include=["documents", "metadatas"])
    paragraphs = store.paragraphs.get(include=["documents", "metadatas"])
    reports = store.reports_collection.get(include=["documents"])
    manifest = {}
    for doc in reports["documents"]:
        entry = json.loads(doc)
        entry.pop("indexed_at")
        manifest[entry["source"]] = entry
    return {
        "units": sorted(
            zip(units["ids"], units["documents"], map(_items, units["metadatas"]), strict=True)
        ),
        "paragraphs": sorted(
            zip(
                paragraphs["ids"],
                paragraphs["documents"],
                map(_items, paragraphs["metadatas"]),
                strict=True,
            )
        ),
        "manifest": manifest,
    }


def _items(meta: dict[str, Any] | None) -> tuple:
    return tuple(sorted((meta or {}).items()))


def check_consistent(snap: dict[str, Any]) -> None:
    """No orphans, no duplicates, every paragraph complete, every report done."""
    unit_ids = [u[0] for u in snap["units"]]
    assert len(unit_ids) == len(set(unit_ids))
    paragraph_units: dict[str, int] = {}
    for _, _, meta in snap["units"]:
        pid = dict(meta)["pid"]
        paragraph_units[pid] = paragraph_units.get(pid, 0) + 1
    stored = {p[0]: dict(p[2]) for p in snap["paragraphs"]}
    searched = {pid for pid, meta in stored.items() if meta["kind"] != "byline"}
    assert set(paragraph_units) == searched, "units without paragraphs or the reverse"
    for pid, meta in stored.items():
        assert paragraph_units.get(pid, 0) == meta["units"]
    per_source: dict[str, list[int]] = {}
    for meta in stored.values():
        per_source.setdefault(meta["source"], []).append(meta["paragraph"])
    assert set(per_source) == set(snap["manifest"])
    for source, numbers in per_source.items():
        entry = snap["manifest"][source]
        assert entry["status"] == "done"
        assert sorted(numbers) == list(range(1, entry["paragraphs"] + 1))
