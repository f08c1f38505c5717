"""Fit the row model of tables across reports on XQuAD's parallel articles, cross-validated
by article (every language version of an article, and its questions in every language, stay
in one fold), with an ablation against the rules it replaces.

    .venv/bin/python benchmarks/train_rows.py   # -> bot/data/rows.json, results/train_rows.md

For every question of `parallel_reports.py`, asked in en, vi and ru, each report's candidate
row (its answering sentence and the figure in it; see `bot.reports.across`) is one
example: right when the report is a version of the question's article and the figure is
that version's gold figure. A row the model finds more likely right than not is stated; the
others are "not stated". Scored as `parallel_reports.py` scores a table.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.parallel_reports import (  # noqa: E402
    ASKED,
    FORMS,
    LANGUAGES,
    SCORED,
    Asked,
    build,
    close,
)
from benchmarks.qa_data import EXTERNAL  # noqa: E402
from benchmarks.qa_runs import WORK, index_set, shared_embedder  # noqa: E402

RESULTS = Path(__file__).parent / "results"


@dataclass
class Example:
    """One report's candidate row for one question."""

    article: str
    question: str
    language: str
    source: str
    features: np.ndarray
    right: bool
    #: The rules before the row model: the refusal model over the table threshold, and the
    #: single answer's threshold for the best report.
    table: float
    single: float


def collect(qa, reports, asked: list[Asked], languages=ASKED) -> list[Example]:  # noqa: ANN001
    """Every candidate row of every question, with its features and whether it is right."""
    from bot.reports import across

    qa.answer("warm-up")
    engine = qa._across  # noqa: SLF001 - the training script reads the product's own rows
    filename = {a.id: a.filename for a in reports}
    examples = []
    for a in asked:
        mine = {filename[f"{a.article}-{lang}"]: lang for lang in LANGUAGES}
        for language in languages:
            if language not in a.text:
                continue
            plan = engine.plan(FORMS[language].format(q=a.text[language]))
            for row in engine.rows(plan):
                lang = mine.get(row.source)
                value = row.stated.mention.value
                right = lang is not None and lang in a.gold and close(value, a.gold[lang])
                examples.append(
                    Example(
                        a.article,
                        a.id,
                        language,
                        row.source,
                        np.asarray([row.features[f] for f in across.ROW_FEATURES]),
                        right,
                        row.stated.table,
                        row.stated.single,
                    )
                )
    return examples


@dataclass
class PickGroup:
    """One report version's (sentence, figure) candidates for one question."""

    article: str
    language: str
    version: str
    rows: np.ndarray
    right: np.ndarray
    #: Whether the pick before the pick model (the sentence model's best sentence, its
    #: figure by the counted thing) was right.
    before: bool


def collect_picks(qa, reports, asked: list[Asked], languages=ASKED) -> list[PickGroup]:  # noqa: ANN001
    """The pick model's training groups: every version of the article that states the gold
    figure in digits, with its candidate pairs."""
    from bot.reports import across

    engine = qa._across  # noqa: SLF001
    filename = {a.id: a.filename for a in reports}
    groups = []
    for a in asked:
        for language in languages:
            if language not in a.text:
                continue
            plan = engine.plan(FORMS[language].format(q=a.text[language]))
            model, engine.pick_model = engine.pick_model, None
            before = {r.source: r.stated.mention.value for r in engine.rows(plan)}
            engine.pick_model = model
            for version, gold in a.gold.items():
                source = filename[f"{a.article}-{version}"]
                pairs = engine.pairs_of(plan, source)
                rows = np.asarray(
                    [[p.features[f] for f in across.PICK_FEATURES] for p in pairs]
                ).reshape(-1, len(across.PICK_FEATURES))
                right = np.asarray([close(p.mention.value, gold) for p in pairs], dtype=float)
                was = source in before and close(before[source], gold)
                groups.append(PickGroup(a.article, language, version, rows, right, was))
    return groups


def picks_cross_validated(groups: list[PickGroup]) -> dict[str, dict[str, float]]:
    """The share of versions whose gold figure is picked: before, and by a pick model fitted
    without the version's article (listwise)."""
    from bot.facts.selection import LogisticModel
    from bot.reports import across

    out: dict[str, dict[str, float]] = {}
    picked = {}
    for article in sorted({g.article for g in groups}):
        train = [(g.rows, g.right) for g in groups if g.article != article and len(g.rows)]
        model = LogisticModel.fit_listwise(train, across.PICK_FEATURES)
        for i, g in enumerate(groups):
            if g.article == article:
                picked[i] = bool(len(g.rows)) and bool(
                    g.right[int(np.argmax(model.logits(g.rows)))]
                )
    for language in ASKED:
        mine = [i for i, g in enumerate(groups) if g.language == language]
        scored = [i for i in mine if groups[i].version in SCORED]
        out[language] = {
            "before": round(float(np.mean([groups[i].before for i in scored])), 3),
            "pick model": round(float(np.mean([picked[i] for i in scored])), 3),
            "any candidate": round(float(np.mean([groups[i].right.any() for i in scored])), 3),
        }
    return out


def score(
    examples: list[Example], decisions: np.ndarray, asked: list[Asked], reports
) -> dict[str, dict[str, float]]:  # noqa: ANN001
    """tables, row recall and row precision per question language, as parallel_reports.py
    scores them (a report with no candidate row is "not stated")."""
    filename = {r.id: r.filename for r in reports}
    out: dict[str, dict[str, float]] = {}
    for language in ASKED:
        tables = questions = hit = of = precise = stated = 0
        for a in asked:
            if language not in a.text:
                continue
            questions += 1
            mine = {filename[f"{a.article}-{lang}"]: lang for lang in LANGUAGES}
            rows = [
                (e, d)
                for e, d in zip(examples, decisions, strict=True)
                if e.question == a.id and e.language == language
            ]
            said = [e for e, d in rows if d]
            tables += bool(said)
            stated += len(said)
            precise += sum(e.right for e in said)
            for source, lang in mine.items():
                if lang in SCORED and lang in a.gold:
                    of += 1
                    hit += any(e.right and e.source == source for e in said)
        out[language] = {
            "tables": round(tables / questions, 3) if questions else 0.0,
            "row recall": round(hit / of, 3) if of else 0.0,
            "row precision": round(precise / stated, 3) if stated else 0.0,
        }
    return out


def cross_validated(
    examples: list[Example], features: tuple[str, ...], all_features: tuple[str, ...]
) -> np.ndarray:
    """Decisions for every example by a row model fitted without the example's article."""
    from bot.facts.selection import LogisticModel

    columns = [all_features.index(f) for f in features]
    x = np.stack([e.features for e in examples])[:, columns]
    y = np.asarray([e.right for e in examples], dtype=float)
    articles = np.asarray([e.article for e in examples])
    decisions = np.zeros(len(examples), dtype=bool)
    for article in sorted(set(articles)):
        held = articles == article
        model = LogisticModel.fit(x[~held], y[~held], features)
        cut = best_cut(model.logits(x[~held]), y[~held])
        decisions[held] = _decide(examples, np.where(held)[0], model.logits(x[held]) - cut)
    return decisions


def best_cut(logits: np.ndarray, right: np.ndarray) -> float:
    """The log-odds over which a row is stated: the one with the best F1 of right rows on
    the rows it is fitted on (right rows are few, so 0 would state too few)."""
    best, cut = -1.0, 0.0
    for candidate in np.unique(np.round(logits, 3)):
        said = logits >= candidate
        hit = float((said & (right > 0)).sum())
        f1 = 2 * hit / (said.sum() + right.sum()) if said.any() else 0.0
        if f1 > best:
            best, cut = f1, float(candidate)
    return cut


def _decide(examples: list[Example], index: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Stated rows: log-odds over 0, and each question's best row when it passes the single
    answer's threshold (as `AcrossReports.decide` does)."""
    decided = logits >= 0
    best: dict[tuple[str, str], int] = {}
    for k, i in enumerate(index):
        e = examples[i]
        key = (e.question, e.language)
        if e.single >= 0 and (key not in best or logits[k] > logits[best[key]]):
            best[key] = k
    for k in best.values():
        decided[k] = True
    return decided


def _rule(examples: list[Example]) -> np.ndarray:
    """The rule before the row model: the table threshold, and the best single answer."""
    index = np.arange(len(examples))
    return _decide(examples, index, np.asarray([e.table for e in examples]))


def table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    """The ablation as Markdown: one line per variant, a column per language and figure."""
    head = "| variant | " + " | ".join(
        f"{lang} tables | {lang} recall | {lang} precision" for lang in ASKED
    )
    lines = [head + " |", "|---|" + "---|" * (3 * len(ASKED))]
    for name, result in rows.items():
        cells = [
            f"{result[lang]['tables']} | {result[lang]['row recall']} | "
            f"{result[lang]['row precision']}"
            for lang in ASKED
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Collect rows, cross-validate the variants, fit the shipped model."""
    from bot.facts.selection import LogisticModel
    from bot.reports import across

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--distractors", type=int, default=None)
    parser.add_argument("--out", type=Path, default=across.ROWS)
    parser.add_argument("--report", type=Path, default=RESULTS / "train_rows.md")
    args = parser.parse_args(argv)
    reports, asked = build(EXTERNAL, args.articles, args.distractors)
    indexed = index_set(reports, WORK / "parallel-train", shared_embedder())
    qa = indexed.qa
    qa.answer("warm-up")
    qa._across.row_model = None  # noqa: SLF001 - the rows are collected without a model
    qa._across.pick_model = None  # noqa: SLF001
    groups = collect_picks(qa, reports, asked)
    picks = picks_cross_validated(groups)
    # Measured, not shipped (README): the rows are picked as the product picks them.
    features = across.ROW_FEATURES
    examples = collect(qa, reports, asked)
    results: dict[str, dict[str, dict[str, float]]] = {}
    results["dense: every report's best figure sentence, first figure, all stated"] = score(
        examples, np.ones(len(examples), dtype=bool), asked, reports
    )
    results["rule before: refusal model over the table threshold"] = score(
        examples, _rule(examples), asked, reports
    )
    results["row model (all features)"] = score(
        examples, cross_validated(examples, features, features), asked, reports
    )
    results["row model or the rule before (either states)"] = score(
        examples,
        cross_validated(examples, features, features) | _rule(examples),
        asked,
        reports,
    )
    for left_out in features:
        kept = tuple(f for f in features if f != left_out)
        results[f"row model without {left_out}"] = score(
            examples, cross_validated(examples, kept, features), asked, reports
        )
    across.FIGURE_BY_THING = False
    qa._across._thing_cache.clear()  # noqa: SLF001
    by_model = collect(qa, reports, asked)
    across.FIGURE_BY_THING = True
    results["figure picked by the figure model instead of the counted thing"] = score(
        by_model, cross_validated(by_model, features, features) | _rule(by_model), asked, reports
    )
    pick_lines = [
        "Gold figure picked for a report version (scored languages), cross-validated by "
        "article: before (the sentence model's best sentence, its figure by the counted "
        f"thing), the pick model over the {across.PICK_SENTENCES} best sentences' figures, "
        "and whether any of those candidates holds it.",
        "",
        "| asked in | before | pick model | any candidate |",
        "|---|---|---|---|",
        *(
            f"| {lang} | {v['before']} | {v['pick model']} | {v['any candidate']} |"
            for lang, v in picks.items()
        ),
        "",
    ]
    text = (
        "\n".join(pick_lines)
        + f"\nRow model, cross-validated by article across its translations ({len(reports)} "
        f"reports, {len(asked)} questions x {len(ASKED)} languages, {len(examples)} rows; "
        "the rows picked as the product picks them).\n\n" + table(results)
    )
    print(text)
    if args.articles is None:
        x = np.stack([e.features for e in examples])
        y = np.asarray([e.right for e in examples], dtype=float)
        model = LogisticModel.fit(x, y, features)
        # The cut is folded into the bias, so the product states rows with log-odds over 0.
        model.bias -= best_cut(model.logits(x), y)
        data = model.to_dict()
        data["meta"] = {
            "fitted_on": "XQuAD development half, parallel reports (benchmarks/train_rows.py)",
            "rows": len(examples),
            "right": int(y.sum()),
        }
        args.out.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
        args.report.write_text(text, "utf-8")
        (args.report.with_suffix(".json")).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
