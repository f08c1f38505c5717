"""The bundled e5 engine is called from several threads at once (bot, answer latency):
its results must not depend on what other threads are doing."""

from __future__ import annotations

import threading

import numpy as np

from indexing.embeddings import get_embedder


def test_concurrent_e5_calls_give_the_same_vectors() -> None:
    e5 = get_embedder("e5-small-q4")
    texts = [
        f"Raport {i}: powielono {i * 7} modeli w dystrykcie numer {i % 5}. " * (1 + i % 4)
        for i in range(24)
    ]
    passages = e5.embed_passages(texts)
    queries = e5.embed_queries(texts)
    mismatches: list[int] = []

    def work(offset: int) -> None:
        for i in range(offset, len(texts), 3):
            if not np.allclose(e5.embed_passages([texts[i]])[0], passages[i], atol=1e-4):
                mismatches.append(i)
            if not np.allclose(e5.embed_query(texts[i]), queries[i], atol=1e-4):
                mismatches.append(-i)
            batch = e5.embed_passages(texts[offset : offset + 4])
            if not np.allclose(batch, passages[offset : offset + 4], atol=1e-4):
                mismatches.append(1000 + offset)

    threads = [threading.Thread(target=work, args=(k % 3,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []
