"""`reportqa`: the command line. Heavy imports happen inside commands, not at start-up."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="reportqa",
    help="Ask questions about a folder of reports; get short answers with citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

# Exit codes: 1 = the run did nothing useful (e.g. no report could be indexed);
# 2 = configuration or environment problem (bad setting, model mismatch, store unreachable).
EXIT_NOTHING = 1
EXIT_CONFIG = 2


def _fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


CorpusDir = Annotated[
    Path | None, typer.Option("--corpus-dir", help="Reports folder (env REPORTQA_CORPUS_DIR).")
]
IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="Local index folder (env REPORTQA_INDEX_DIR).")
]
ChromaUrl = Annotated[
    str | None, typer.Option("--chroma-url", help="Chroma server URL (env REPORTQA_CHROMA_URL).")
]
Embedding = Annotated[
    str | None,
    typer.Option(
        "--embedding",
        help="e5-small-q4 or sentence-transformers:<model> (env REPORTQA_EMBEDDING).",
    ),
]


@app.callback()
def main_options() -> None:
    """Settings come from REPORTQA_* variables and a .env file; command flags override them."""


def _settings(**overrides: object):  # noqa: ANN202 - indexing.settings.Settings
    from pydantic import ValidationError

    from indexing.settings import Settings

    try:
        return Settings().with_overrides(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise _fail(f"bad setting {where.upper()}: {first.get('msg')}") from None


def _quiet_libraries() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("chromadb", "httpx", "urllib3", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


@app.command("index")
def index_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Report files or folders (default: the corpus dir).", show_default=False
        ),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the index and re-embed all.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary last.")] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(help="Texts per embedding call (env REPORTQA_EMBED_BATCH_SIZE)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Threads reading reports while others embed (env REPORTQA_INDEX_WORKERS)."
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="Torch device for sentence-transformers: auto, cpu, cuda, mps."),
    ] = None,
    corpus_dir: CorpusDir = None,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    embedding: Embedding = None,
) -> None:
    """Index reports (incremental: only new or changed paragraphs are embedded)."""
    _quiet_libraries()
    settings = _settings(
        index_workers=workers,
        device=device,
        embed_batch_size=batch_size,
        corpus_dir=corpus_dir,
        index_dir=index_dir,
        chroma_url=chroma_url,
        embedding=embedding,
    )
    from bot.progress import RichIndexProgress
    from indexing.embeddings import EmbedderError
    from indexing.indexer import Indexer, IndexLockedError
    from indexing.store import StoreError

    if not paths and not settings.corpus_dir.is_dir():
        raise _fail(
            f"corpus folder '{settings.corpus_dir}' does not exist: create it, set "
            "REPORTQA_CORPUS_DIR, or name files to index"
        )
    progress = RichIndexProgress(err)
    try:
        summary = Indexer(settings, progress=progress).run(paths, rebuild=rebuild)
    except (StoreError, EmbedderError, IndexLockedError) as exc:
        progress.finish()
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        progress.finish()
        err.print("interrupted: the index is consistent; run again to finish")
        raise typer.Exit(130) from None

    if as_json:
        sys.stdout.write(json.dumps(summary.model_dump(), ensure_ascii=False) + "\n")
    else:
        _print_summary(summary, settings)
    if summary.files == 0:
        if not summary.errors:
            err.print("[yellow]no reports found[/] (supported: .txt .md .html .pdf .docx)")
        raise typer.Exit(EXIT_NOTHING)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _print_summary(summary, settings) -> None:  # noqa: ANN001
    table = Table(title="Index run", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rate = summary.embedded / summary.seconds if summary.seconds else 0.0
    for label, value in (
        ("report files seen", summary.files),
        ("paragraphs embedded", f"{summary.embedded} ({summary.units_embedded} sentences)"),
        ("paragraphs unchanged", summary.unchanged),
        ("paragraphs deleted", summary.deleted),
        ("skipped files", len(summary.errors)),
        ("paragraphs in index", f"{summary.paragraphs} in {_plural(summary.reports, 'report')}"),
        ("embedding", summary.embedding),
        ("store", settings.store_location),
        ("time", f"{summary.seconds:.1f} s ({rate:.1f} paragraphs/s)"),
    ):
        table.add_row(label, str(value))
    out.print(table)
    for error in summary.errors:
        out.print(f"[yellow]skipped[/] {error.path}: {error.reason}", highlight=False)
    for warning in summary.warnings:
        out.print(f"[yellow]note[/] {warning.path}: {warning.reason}", highlight=False)


Llm = Annotated[
    str | None,
    typer.Option("--llm", help="provider:model for generative answers (env REPORTQA_LLM)."),
]


def _open_qa(settings):  # noqa: ANN001, ANN202 - bot.qa.QA
    from bot.qa import QA
    from indexing.embeddings import EmbedderError
    from indexing.store import StoreError

    qa = QA(settings)
    try:
        qa.store  # noqa: B018 - opens the index now, so a missing one is a clean error
    except (StoreError, EmbedderError) as exc:
        raise _fail(str(exc)) from None
    return qa


@app.command("ask")
def ask_command(
    question: Annotated[
        str | None, typer.Argument(help="The question (omit with --json to read stdin).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    embedding: Embedding = None,
    llm: Llm = None,
) -> None:
    """Answer a question from the indexed reports, with citations."""
    _quiet_libraries()
    settings = _settings(index_dir=index_dir, chroma_url=chroma_url, embedding=embedding, llm=llm)
    if question is None and not as_json:
        raise _fail("give a QUESTION, or use --json to read one question per line from stdin")
    qa = _open_qa(settings)
    if question is None:
        for line in sys.stdin:
            if line.strip():
                result = qa.answer(line.strip())
                sys.stdout.write(result.model_dump_json() + "\n")
                sys.stdout.flush()
        return
    result = qa.answer(question)
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
        return
    _print_answer(result)


def _print_answer(result) -> None:  # noqa: ANN001 - bot.models.Answer
    import re

    from rich.markup import escape

    if result.resolved_question:
        out.print(f"[dim]({escape(result.resolved_question)})[/]")
    from bot.rendering import aligned_table

    rows, rest = aligned_table(result)
    for row in rows:
        out.print(escape(row), highlight=False)
    body = "\n".join(rest)
    text = re.sub(r"\*\*(.+?)\*\*", lambda m: f"[bold]{m.group(1)}[/bold]", escape(body))
    out.print(text if result.answered else f"[yellow]{text}[/]", highlight=False)
    for c in result.citations:
        # The answer already quotes in full; the citation line is for finding the paragraph.
        quote = c.quote if len(c.quote) <= 120 else c.quote[:117].rstrip() + "…"
        out.print(
            f"  [bold cyan][{c.n}][/] {escape(c.source)} ¶{c.paragraph}: [italic]"
            f"“{escape(quote)}”[/]",
            highlight=False,
        )


@app.command("eval")
def eval_command(
    file: Annotated[
        Path, typer.Argument(help="Question file (.jsonl).", exists=True, dir_okay=False)
    ],
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Eval reports dir (default: corpus/ beside FILE)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    index_dir: IndexDir = None,
    embedding: Embedding = None,
    llm: Llm = None,
) -> None:
    """Score the pipeline on a question file (answers, citations, refusals, latency)."""
    _quiet_libraries()
    settings = _settings(index_dir=index_dir, embedding=embedding, llm=llm)
    from bot.evaluate import run_eval
    from bot.progress import RichIndexProgress
    from indexing.embeddings import EmbedderError
    from indexing.store import StoreError

    def shown(result) -> None:  # noqa: ANN001
        mark = (
            "[green]ok[/]"
            if result.answer_ok and result.citation_ok is not False
            else "[red]miss[/]"
        )
        err.print(f"{mark} {result.id} ({result.latency_ms:.0f} ms)", highlight=False)

    try:
        report = run_eval(
            file, settings, corpus, progress=lambda: RichIndexProgress(err), on_result=shown
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except (StoreError, EmbedderError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        return
    table = Table(title=f"Eval: {file}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    for label, value in (
        ("questions", str(report.questions)),
        ("answer accuracy", fmt(report.answer_accuracy)),
        ("citation accuracy", fmt(report.citation_accuracy)),
        ("refusal accuracy", fmt(report.refusal_accuracy)),
        ("false refusals", str(report.false_refusals)),
        ("latency p50 / p95", f"{report.latency_p50_ms:.0f} / {report.latency_p95_ms:.0f} ms"),
        *((f"answers ({lang})", fmt(v)) for lang, v in report.by_language.items()),
    ):
        table.add_row(label, value)
    out.print(table)
    for miss in report.misses:
        out.print(
            f"[red]miss[/] {miss.id}: {miss.why}\n     Q: {miss.question}\n"
            f"     A: {miss.answer[:200]}  {miss.cited}",
            highlight=False,
        )


@app.command("telegram")
def telegram_command(
    webhook: Annotated[
        str | None,
        typer.Option(help="Public HTTPS URL for webhook mode (default: long polling)."),
    ] = None,
    listen: Annotated[
        str, typer.Option(help="HOST:PORT the webhook server listens on.")
    ] = "0.0.0.0:8443",
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    llm: Llm = None,
) -> None:
    """Run the Telegram bot (long polling, or a webhook server with --webhook)."""
    _quiet_libraries()
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    settings = _settings(index_dir=index_dir, chroma_url=chroma_url, llm=llm)
    from bot.telegram import ConfigError, check_settings, run

    _open_qa(settings)  # a missing index or model mismatch stops us before Telegram does
    try:
        check_settings(settings)
        err.print(
            f"reportqa bot: {'webhook ' + webhook if webhook else 'long polling'}; "
            f"index {settings.store_location}; Ctrl-C to stop"
        )
        run(settings, webhook=webhook, listen=listen)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Show what is indexed: reports, paragraphs, embedding model, store."""
    _quiet_libraries()
    settings = _settings(index_dir=index_dir, chroma_url=chroma_url)
    from indexing.store import Store, StoreError

    try:
        store = Store(settings)
        info = store.model_info()
        if not info:
            raise StoreError(f"no index at {settings.store_location}: run `reportqa index` first")
        store.open(str(info.get("embedding")), create=False)
        counts = store.counts()
        reports = sorted(store.reports().values(), key=lambda r: r.source)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    data = {
        "store": settings.store_location,
        "embedding": info.get("embedding"),
        "configured_embedding": settings.embedding,
        **counts,
        "reports_list": [
            {
                k: getattr(r, k)
                for k in (
                    "source",
                    "title",
                    "byline",
                    "place",
                    "year",
                    "paragraphs",
                    "status",
                    "indexed_at",
                )
            }
            for r in reports
        ],
    }
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    out.print(
        f"[bold]{_plural(counts['reports'], 'report')}[/], "
        f"[bold]{_plural(counts['paragraphs'], 'paragraph')}[/], "
        f"{_plural(counts['units'], 'sentence')} embedded with [bold]{info.get('embedding')}[/] "
        f"in {settings.store_location}",
        highlight=False,
    )
    if info.get("embedding") != settings.embedding:
        out.print(
            f"[yellow]note:[/] REPORTQA_EMBEDDING is '{settings.embedding}': "
            "run `reportqa index --rebuild` before asking",
            highlight=False,
        )
    table = Table(expand=True)
    table.add_column("report", no_wrap=True, overflow="fold")
    table.add_column("paras", justify="right", no_wrap=True)
    table.add_column("place, year", no_wrap=True)
    table.add_column("byline", no_wrap=True)
    table.add_column("indexed (UTC)", no_wrap=True)
    # The title gets what width is left; the other columns must stay readable.
    table.add_column("title", overflow="ellipsis", no_wrap=True, ratio=1, min_width=8)
    for r in reports:
        status = r.indexed_at[:16].replace("T", " ") if r.status == "done" else "[yellow]pending[/]"
        about = ", ".join(str(x) for x in (r.place, r.year) if x)
        table.add_row(r.source, str(r.paragraphs), about, r.byline or "", status, r.title)
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
