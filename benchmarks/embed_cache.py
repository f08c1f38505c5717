"""An embedder wrapper that keeps vectors on disk, so repeated benchmark runs embed nothing.

It keeps the wrapped embedder's name: an index built through it is the same as one built
without it, and the answering path cannot tell the difference.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexing.embeddings import Embedder


class CachedEmbedder(Embedder):
    """Delegates to `inner`, remembering every vector by (model, role, text)."""

    def __init__(self, inner: Embedder, path: Path, queries: bool = True) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_tokens = inner.max_tokens
        self.count_tokens = inner.count_tokens  # type: ignore[method-assign]
        # Without caching queries, answer latencies measure the real query embedding.
        self.cache_queries = queries
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, x BLOB)")
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _key(self, role: str, text: str) -> str:
        return hashlib.sha1(f"{self.name}\x00{role}\x00{text}".encode()).hexdigest()

    def _embed(self, texts: Sequence[str], role: str) -> np.ndarray:
        keys = [self._key(role, t) for t in texts]
        with self._lock:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for k, blob in self._db.execute(f"SELECT k, x FROM v WHERE k IN ({marks})", chunk):
                    found[k] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            todo = [texts[i] for i in missing]
            fn = self.inner.embed_queries if role == "q" else self.inner.embed_passages
            vectors = fn(todo)
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO v VALUES (?, ?)",
                    [
                        (keys[i], v.astype(np.float32).tobytes())
                        for i, v in zip(missing, vectors, strict=True)
                    ],
                )
                self._db.commit()
            for i, v in zip(missing, vectors, strict=True):
                found[keys[i]] = np.asarray(v, dtype=np.float32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "p")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not self.cache_queries:
            return self.inner.embed_queries(texts)
        return self._embed(texts, "q")
