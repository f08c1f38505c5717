"""Scaling: our pipeline against the LangChain tutorial pipeline, query latency up to 100k
paragraphs in the embedded store and a Chroma server, and the bot's memory at 100k.

1. Indexing, same reports, same embedder (e5-small-q4), same process: raw embedder, our
   `reportqa index`, and the tutorial (RecursiveCharacterTextSplitter 1000/200 +
   `Chroma.from_documents`); then a re-index of the unchanged reports (the tutorial has no
   incremental mode, so it embeds everything again).
2. Retrieval quality on ../shared/eval (hit@1, hit@4: the right paragraph among the top
   results; for the tutorial, a chunk that contains the paragraph's key text).
3. Query latency (warm `Retriever.retrieve`: query embedding, store, features and the
   sentence model) at 1k, 10k and 100k paragraphs, embedded vs server. The 10k/100k stores
   hold SYNTHETIC vectors (random unit vectors, one unit per paragraph, generated text)
   written straight into the store: embedding 100k paragraphs with e5 would take ~3 h on 2 cores.
4. Peak memory (max RSS) of a process answering from the 100k store.

Usage: python benchmarks/scaling.py [--sizes 1000 10000 100000] [--skip-quality]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks.index_speed import DISTRICTS, make_corpus, write_results  # noqa: E402
from bot.facts.retrieval import Retriever  # noqa: E402
from indexing.embeddings import as_langchain, get_embedder  # noqa: E402
from indexing.indexer import Indexer, paragraph_units  # noqa: E402
from indexing.loaders import load_report  # noqa: E402
from indexing.settings import Settings  # noqa: E402
from indexing.store import ReportEntry, Store  # noqa: E402
from tests.chroma_server import ChromaServer  # noqa: E402

SHARED_EVAL = REPO.parent / "shared" / "eval"
WORK = REPO / "benchmarks" / ".work" / "scaling"
E5 = "e5-small-q4"


def tutorial_index(corpus: Path, target: Path, embedder) -> tuple[float, object]:  # noqa: ANN001
    """The LangChain tutorial: load, split 1000/200, Chroma.from_documents."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    documents = [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": path.name})
        for path in sorted(corpus.iterdir())
    ]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        documents
    )
    store = Chroma.from_documents(
        chunks,
        as_langchain(embedder),
        persist_directory=str(target),
        client_settings=ChromaSettings(
            anonymized_telemetry=False, is_persistent=True, persist_directory=str(target)
        ),
    )
    return time.perf_counter() - started, store


def indexing(paragraphs: int) -> dict[str, float]:
    """Throughput of raw embedder, ours and the tutorial on the same corpus."""
    work = WORK / "indexing"
    shutil.rmtree(work, ignore_errors=True)
    corpus = work / "corpus"
    total = make_corpus(corpus, paragraphs)
    embedder = get_embedder(E5)
    embedder.embed_passages(["warm-up"])
    texts = [
        u.embed_text
        for p in sorted(corpus.iterdir())
        for _, _, units in paragraph_units(load_report(p, p.name), embedder)
        for u in units
    ]
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        embedder.embed_passages(texts[i : i + 32])
    raw = time.perf_counter() - started
    settings = Settings(corpus_dir=corpus, index_dir=work / "ours")
    started = time.perf_counter()
    Indexer(settings, embedder=embedder).run()
    ours = time.perf_counter() - started
    started = time.perf_counter()
    Indexer(settings, embedder=embedder).run()
    ours_again = time.perf_counter() - started
    tutorial, _ = tutorial_index(corpus, work / "tutorial", embedder)
    tutorial_again, _ = tutorial_index(corpus, work / "tutorial-again", embedder)
    return {
        "paragraphs": total,
        "raw": total / raw,
        "ours": total / ours,
        "tutorial": total / tutorial,
        "ours_again": ours_again,
        "tutorial_again": tutorial_again,
    }


def quality() -> dict[str, dict[str, dict[str, float]]]:
    """hit@1 / hit@4 of ours vs the tutorial, on the shared dev set and on ours."""
    embedder = get_embedder(E5)
    sets = {
        "../shared/eval": (SHARED_EVAL / "questions.jsonl", SHARED_EVAL / "corpus"),
        "tests/data": (
            REPO / "tests" / "data" / "questions.jsonl",
            REPO / "tests" / "data" / "corpus",
        ),
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, (path, eval_corpus) in sets.items():
        if not path.exists():
            continue
        questions = [json.loads(line) for line in path.open()]
        questions = [q for q in questions if q["answerable"] and not q.get("history")]
        corpora = {
            "seed": [REPO / "corpus" / "kim-bang-2023.txt"],
            "all": sorted(eval_corpus.iterdir()),
        }
        hits = {"ours": [0, 0], "tutorial": [0, 0]}
        for name, files in corpora.items():
            corpus = WORK / f"quality-{label.strip('./').replace('/', '-')}-{name}"
            shutil.rmtree(corpus, ignore_errors=True)
            (corpus / "reports").mkdir(parents=True)
            for f in files:
                shutil.copy(f, corpus / "reports")
            settings = Settings(corpus_dir=corpus / "reports", index_dir=corpus / "ours")
            Indexer(settings, embedder=embedder).run()
            store = Store(settings)
            store.open(E5, create=False)
            ours = Retriever(store, embedder)
            _, tutorial = tutorial_index(corpus / "reports", corpus / "tutorial", embedder)
            for q in (q for q in questions if q["corpus"] == name):
                found = ours.retrieve(q["question"], k=4).contexts
                right = [c.source == q["source"] and q["para_has"] in c.text for c in found]
                hits["ours"][0] += bool(right[:1] and right[0])
                hits["ours"][1] += any(right)
                docs = tutorial.similarity_search(q["question"], k=4)  # type: ignore[attr-defined]
                right = [
                    d.metadata["source"] == q["source"] and q["para_has"] in d.page_content
                    for d in docs
                ]
                hits["tutorial"][0] += bool(right[:1] and right[0])
                hits["tutorial"][1] += any(right)
        results[label] = {
            name: {"hit@1": a / len(questions), "hit@4": b / len(questions), "n": len(questions)}
            for name, (a, b) in hits.items()
        }
    return results


#: Syllables of the synthetic reports' place names: 80 x 80 distinct two-word places.
SYLLABLES = [
    "an",
    "bac",
    "binh",
    "cam",
    "chau",
    "chi",
    "dai",
    "dan",
    "dien",
    "dinh",
    "dong",
    "duc",
    "duong",
    "gia",
    "giang",
    "ha",
    "hai",
    "ham",
    "hoa",
    "hoang",
    "hong",
    "hung",
    "huong",
    "khanh",
    "kim",
    "lac",
    "lam",
    "lang",
    "lien",
    "linh",
    "loc",
    "long",
    "luc",
    "ly",
    "mai",
    "minh",
    "my",
    "nam",
    "ngoc",
    "nhan",
    "nghia",
    "ninh",
    "phong",
    "phu",
    "phuc",
    "quang",
    "que",
    "son",
    "tam",
    "tan",
    "tay",
    "thach",
    "thai",
    "thang",
    "thanh",
    "thien",
    "thinh",
    "thuan",
    "thuy",
    "tien",
    "tinh",
    "trung",
    "truong",
    "tuan",
    "tuong",
    "van",
    "vinh",
    "xuan",
    "yen",
    "bao",
    "cuong",
    "dao",
    "hau",
    "khe",
    "lai",
    "le",
    "mo",
    "na",
]


def place_name(i: int) -> str:
    """A distinct two-syllable place for report i ("Kim Bao")."""
    first, second = SYLLABLES[i % len(SYLLABLES)], SYLLABLES[(i // len(SYLLABLES)) % 80]
    return f"{first.title()} {second.title()}"


def synthetic_store(settings: Settings, paragraphs: int, dim: int = 384) -> None:
    """Fill a store with `paragraphs` generated paragraphs (20 a report, each report about
    its own place) and random unit vectors; each paragraph holds a figure (models, money or
    land), written into the figures table as the indexer writes it."""
    from indexing.figures import encode, mentions, thing_text

    store = Store(settings)
    store.reset()
    store.open(E5)
    rng = np.random.default_rng(paragraphs)
    pyrng = random.Random(paragraphs)
    per_report = 20
    batch = 5000
    entries = []
    for start in range(0, paragraphs, batch):
        count = min(batch, paragraphs - start)
        vectors = rng.standard_normal((count, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids, texts, unit_meta, para_meta = [], [], [], []
        thing_ids, thing_texts, thing_meta = [], [], []
        for i in range(start, start + count):
            report = f"synthetic/report-{i // per_report:05d}.txt"
            place = place_name(i // per_report)
            pid = f"s{i:07d}"
            text = (
                f"W dystrykcie {place} powielono {pyrng.randint(1, 999)} modeli "
                f"mobilizacji masowej w roku {2000 + i % 25}.",
                f"Mieszkańcy {place} przekazali {pyrng.randint(1, 999)} mln VND na drogi.",
                f"W {place} oddano {pyrng.randint(100, 9999)} m2 gruntu pod nowe drogi.",
            )[i % 3]
            found = mentions(text, "pl")
            ids.append(pid)
            texts.append(text)
            meta = {"source": report, "pid": pid, "i": 0, "nfig": len(found)}
            if found:
                meta["figures"] = encode(found)
            for k, mention in enumerate(found):
                thing_ids.append(f"{pid}:0:{k}")
                thing_texts.append(thing_text(text, mention))
                thing_meta.append({"source": report, "pid": pid})
            unit_meta.append(meta)
            para_meta.append(
                {
                    "source": report,
                    "paragraph": i % per_report + 1,
                    "kind": "text",
                    "title": f"Raport {place}",
                    "units": 1,
                }
            )
            if i % per_report == 0:
                entries.append(
                    ReportEntry(
                        source=report,
                        title=f"Raport {place}",
                        place=place,
                        year=2023,
                        file_hash=f"h{i}",
                        status="done",
                        paragraphs=per_report,
                    )
                )
        store.add_units([f"{p}:0" for p in ids], vectors, texts, unit_meta)
        things = rng.standard_normal((len(thing_ids), dim)).astype(np.float32)
        things /= np.linalg.norm(things, axis=1, keepdims=True)
        store.add_things(thing_ids, things, thing_texts, thing_meta)
        store.add_paragraphs(ids, vectors, texts, para_meta)
    store.put_reports(entries)


def comparison_questions(reports: int, count: int = 30) -> list[str]:
    """Compare and total questions: two or three places named, or every report."""
    rng = random.Random(reports)
    out = []
    for i in range(count):
        a, b, c = (place_name(rng.randrange(reports)) for _ in range(3))
        out.append(
            (
                f"Compare {a} and {b}: how many models were replicated?",
                f"How many models did {a}, {b} and {c} replicate?",
                f"Ile pieniędzy przekazali mieszkańcy {a} i {b}?",
                "Which district replicated the most models?",
                "How much land was given in all districts together?",
            )[i % 5]
        )
    return out


def comparisons(settings: Settings, reports: int) -> dict[str, float]:
    """The first comparison in a process whose model is loaded (one single question asked
    before), then p50/p95 of 30 more, and the process's peak memory; in a new process."""
    code = (
        "import json, resource, statistics, sys, time\n"
        "from bot.qa import QA\nfrom indexing.settings import Settings\n"
        f"qa = QA(Settings(index_dir={str(settings.index_dir)!r}, "
        f"chroma_url={settings.chroma_url!r}))\n"
        "qa.answer('How many models were replicated in Kim Bao?')\n"
        "asked = json.loads(sys.argv[1])\n"
        "started = time.perf_counter()\n"
        "first = qa.answer(asked[0])\n"
        "first_ms = (time.perf_counter() - started) * 1000\n"
        "times = []\n"
        "for question in asked[1:]:\n"
        "    started = time.perf_counter()\n"
        "    result = qa.answer(question)\n"
        "    times.append((time.perf_counter() - started) * 1000)\n"
        "    assert result.kind in ('compare', 'total'), (question, result.kind)\n"
        "print(json.dumps({'first': first_ms, 'p50': statistics.median(times),\n"
        "    'p95': statistics.quantiles(times, n=100, method='inclusive')[94],\n"
        "    'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    asked = json.dumps(comparison_questions(reports))
    done = subprocess.run(
        [sys.executable, "-c", code, asked], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def latency(settings: Settings, questions: list[str]) -> dict[str, float]:
    """Warm p50/p95 of retrieve() (query embedding + store + features + sentence model)."""
    store = Store(settings)
    store.open(E5, create=False)
    retriever = Retriever(store, get_embedder(E5))
    retriever.retrieve(questions[0])  # warm: model, lemmatiser, language model
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.retrieve(question)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50": statistics.median(times),
        "p95": statistics.quantiles(times, n=100, method="inclusive")[94],
    }


def memory(settings: Settings) -> float:
    """Max RSS (MB) of a fresh process that answers 20 questions from the store."""
    code = (
        "import resource, sys\n"
        "from bot.qa import QA\nfrom indexing.settings import Settings\n"
        f"qa = QA(Settings(index_dir={str(settings.index_dir)!r}))\n"
        "for i in range(20):\n"
        "    qa.answer(f'How many models were replicated in Kim Bang in {2000 + i}?')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    """Run everything and write benchmarks/results/scaling.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--paragraphs", type=int, default=240)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--compare-from", type=int, default=10000, help="sizes to compare at")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    lines = [f"### Scaling ({os.cpu_count()} cores, e5-small-q4)", ""]

    speed = indexing(args.paragraphs)
    lines += [
        f"Indexing {speed['paragraphs']} paragraphs of report variants, same run:",
        "",
        "| pipeline | paragraphs/s | vs raw embedder | re-index unchanged |",
        "|---|---|---|---|",
        f"| raw embedder (our units) | {speed['raw']:.1f} | 1.00 | |",
        f"| **reportqa index** | {speed['ours']:.1f} | **{speed['ours'] / speed['raw']:.2f}** | "
        f"**{speed['ours_again']:.2f} s** (embeds nothing) |",
        f"| LangChain tutorial (split 1000/200 + Chroma.from_documents) | "
        f"{speed['tutorial']:.1f} | {speed['tutorial'] / speed['raw']:.2f} | "
        f"{speed['tutorial_again']:.1f} s (embeds everything again) |",
        "",
    ]
    if not args.skip_quality:
        lines += [
            "Retrieval quality, same run (hit@k: the right paragraph, or for the tutorial a "
            "chunk containing its key text, among the top k):",
            "",
            "| question set | answerable questions | reportqa hit@1 / hit@4 | "
            "tutorial hit@1 / hit@4 |",
            "|---|---|---|---|",
        ]
        for label, q in quality().items():
            lines.append(
                f"| {label} | {q['ours']['n']} | **{q['ours']['hit@1']:.2f} / "
                f"{q['ours']['hit@4']:.2f}** | {q['tutorial']['hit@1']:.2f} / "
                f"{q['tutorial']['hit@4']:.2f} |"
            )
        lines.append("")
    questions = [
        f"How many models were replicated in {DISTRICTS[i % len(DISTRICTS)]} in {2000 + i % 25}?"
        for i in range(100)
    ]
    rows = []
    compared = []
    peak = None
    with ChromaServer(WORK / "server-data") as server:
        for size in args.sizes:
            local = Settings(index_dir=WORK / f"store-{size}")
            remote = Settings(chroma_url=server.url)
            synthetic_store(local, size)
            embedded = latency(local, questions)
            synthetic_store(remote, size)
            served = latency(remote, questions)
            if size >= args.compare_from:
                reports = size // 20
                local_cmp = comparisons(local, reports)
                remote_cmp = comparisons(remote, reports)
                compared.append(
                    f"| {size:,} | {reports:,} | {local_cmp['first']:.0f} ms | "
                    f"{local_cmp['p50']:.0f} / {local_cmp['p95']:.0f} ms | "
                    f"{local_cmp['rss']:.0f} MB | {remote_cmp['first']:.0f} ms | "
                    f"{remote_cmp['p50']:.0f} / {remote_cmp['p95']:.0f} ms |"
                )
            rows.append(
                f"| {size:,} | {embedded['p50']:.0f} / {embedded['p95']:.0f} ms | "
                f"{served['p50']:.0f} / {served['p95']:.0f} ms |"
            )
            if size == max(args.sizes):
                peak = memory(local)
    lines += [
        "Query latency, warm `retrieve()` (query embedding + store + features + sentence model), "
        "100 questions; synthetic vectors:",
        "",
        "| paragraphs | embedded p50 / p95 | Chroma server p50 / p95 |",
        "|---|---|---|",
        *rows,
        "",
        f"Peak memory (max RSS) of a process answering from the {max(args.sizes):,}-paragraph "
        f"store: **{peak:.0f} MB**.",
        "",
        "Compare and total questions (two or three places named, or every report; 30 "
        "questions after the first), each in a new process whose model is loaded; synthetic "
        "reports of 20 paragraphs, every paragraph holding a figure:",
        "",
        "| paragraphs | reports | first comparison (goal <= 2 s) | p50 / p95 after "
        "(goal p50 <= 300 ms) | max RSS (goal <= 1.5 GB) | server: first | server: p50 / p95 |",
        "|---|---|---|---|---|---|---|",
        *compared,
        "",
    ]
    write_results(args.out, "scaling", lines)


if __name__ == "__main__":
    main()
