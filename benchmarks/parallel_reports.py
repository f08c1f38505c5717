"""Tables across reports, scored on data nobody here wrote: XQuAD's parallel articles.

    .venv/bin/python benchmarks/parallel_reports.py            # -> results/parallel_reports.md
    .venv/bin/python benchmarks/parallel_reports.py --articles 2 --distractors 4

XQuAD is parallel: one article exists in 12 languages. Every article with a "How many…" or
"How much…" question whose English answer holds a figure becomes 12 reports, one per language
version; every other article is a distractor, in English. Each such question is asked across
the corpus as a comparison, in one language ("Compare all reports: <question>", "So sánh tất
cả các báo cáo: …", "Сравните все отчёты: …"). The right table has a row for every language
version of the article holding the gold figure, and no figure for any other report.

- tables: the share of questions answered with a table at all;
- row recall: the versions whose row holds the gold value, out of the versions whose gold
  answer states it in digits, over en, vi, ru, de, es, ro, tr and el ("other scripts": ar,
  hi, th and zh, reported apart);
- row precision: stated rows that are the article's versions with the right value, out of
  all stated rows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.qa_data import EXTERNAL, Article, load_xquad  # noqa: E402
from benchmarks.qa_runs import WORK, index_set, shared_embedder  # noqa: E402

LANGUAGES = ("en", "vi", "ru", "de", "es", "ro", "tr", "el", "ar", "hi", "th", "zh")
#: Versions scored in row recall; the others are reported apart.
SCORED = ("en", "vi", "ru", "de", "es", "ro", "tr", "el")
ASKED = ("en", "vi", "ru")
#: The question forms, exactly as the held-back half is asked.
FORMS = {
    "en": "Compare all reports: {q}",
    "vi": "So sánh tất cả các báo cáo: {q}",
    "ru": "Сравните все отчёты: {q}",
}
_ASKS_FIGURE = re.compile(r"^how (?:many|much)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[ \u00a0.,]\d{3})*(?:[.,]\d+)?")


@dataclass
class Asked:
    """One figure question of an article, in every language, with each version's gold."""

    id: str
    article: str
    text: dict[str, str]
    #: The gold figure of each language version that states it in digits.
    gold: dict[str, float] = field(default_factory=dict)


def gold_value(answer: str) -> float | None:
    """The first figure an answer states in digits ("120 m" -> 120, "8,8" -> 8.8)."""
    from indexing.numbers import normalise_number

    match = _NUMBER.search(answer)
    if match is None:
        return None
    try:
        return float(normalise_number(match.group(0)))
    except ValueError:
        return None


def build(
    root: Path = EXTERNAL, articles: int | None = None, distractors: int | None = None
) -> tuple[list[Article], list[Asked]]:
    """The parallel corpus (every version of each figure article, English distractors) and
    the questions asked across it."""
    versions = {lang: load_xquad(lang, root) for lang in LANGUAGES}
    english = versions["en"]
    figure_articles: list[str] = []
    asked: list[Asked] = []
    for article in english:
        found = [
            q
            for q in article.questions
            if _ASKS_FIGURE.match(q.text) and any(ch.isdigit() for ch in q.answers[0])
        ]
        if found:
            figure_articles.append(article.id)
        for q in found:
            asked.append(Asked(q.id, article.id, {}))
    if articles is not None:
        figure_articles = figure_articles[:articles]
        asked = [a for a in asked if a.article in figure_articles]
    by_id = {lang: {q.id: q for a in arts for q in a.questions} for lang, arts in versions.items()}
    for a in asked:
        for lang in LANGUAGES:
            question = by_id[lang].get(a.id)
            if question is None:
                continue
            if lang in ASKED:
                a.text[lang] = question.text
            value = gold_value(question.answers[0])
            if value is not None:
                a.gold[lang] = value
    reports: list[Article] = []
    for lang in LANGUAGES:
        for article in versions[lang]:
            if article.id in figure_articles:
                reports.append(_version(article, lang))
    others = [a for a in english if a.id not in figure_articles and a.id[0] == "x"]
    if articles is not None:  # a reduced run keeps only the figure articles' neighbours
        others = [a for a in others if a.id not in {q.article for q in asked}]
    reports.extend(_version(a, "en", distractor=True) for a in others[:distractors])
    return reports, asked


def _version(article: Article, lang: str, distractor: bool = False) -> Article:
    """One language version of an article as its own report ("x05-vi")."""
    suffix = "" if distractor else f"-{lang}"
    return Article(f"{article.id}{suffix}", f"{article.title}{suffix}", article.paragraphs)


@dataclass
class Score:
    """Counts behind the three figures of one question language."""

    questions: int = 0
    tables: int = 0
    recall_hit: int = 0
    recall_of: int = 0
    other_hit: int = 0
    other_of: int = 0
    precise: int = 0
    stated: int = 0
    ms: list[float] = field(default_factory=list)

    def row(self) -> dict[str, float | int]:
        """The figures, as the results table writes them."""

        def share(a: int, b: int) -> float:
            return round(a / b, 3) if b else 0.0

        return {
            "questions": self.questions,
            "tables": share(self.tables, self.questions),
            "row recall": share(self.recall_hit, self.recall_of),
            "other scripts": share(self.other_hit, self.other_of),
            "row precision": share(self.precise, self.stated),
            "stated rows": self.stated,
            "p50 ms": round(sorted(self.ms)[len(self.ms) // 2], 1) if self.ms else 0.0,
        }


def close(a: float, b: float) -> bool:
    """Whether a table's value is the gold figure (up to float rounding)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def score(qa, reports: list[Article], asked: list[Asked], language: str) -> Score:  # noqa: ANN001
    """Ask every question across the corpus in one language and count the table's rows."""
    filename = {a.id: a.filename for a in reports}
    result = Score()
    for a in asked:
        if language not in a.text:
            continue
        question = FORMS[language].format(q=a.text[language])
        started = time.perf_counter()
        answer = qa.answer(question)
        result.ms.append((time.perf_counter() - started) * 1000)
        result.questions += 1
        rows = {r.source: r for r in answer.table or []}
        if answer.answered and any(r.value is not None for r in rows.values()):
            result.tables += 1
        mine = {filename[f"{a.article}-{lang}"]: lang for lang in LANGUAGES}
        for source, row in rows.items():
            if row.value is None:
                continue
            result.stated += 1
            lang = mine.get(source)
            if lang is not None and lang in a.gold and close(row.value, a.gold[lang]):
                result.precise += 1
        for source, lang in mine.items():
            if lang not in a.gold:
                continue
            row = rows.get(source)
            hit = row is not None and row.value is not None and close(row.value, a.gold[lang])
            if lang in SCORED:
                result.recall_of += 1
                result.recall_hit += hit
            else:
                result.other_of += 1
                result.other_hit += hit
    return result


def run(
    root: Path = EXTERNAL,
    articles: int | None = None,
    distractors: int | None = None,
    folder: Path = WORK / "parallel",
    embedder=None,  # noqa: ANN001
    languages: tuple[str, ...] = ASKED,
) -> dict[str, dict[str, float | int]]:
    """Index the parallel corpus and score each question language."""
    reports, asked = build(root, articles, distractors)
    embedder = embedder or shared_embedder()
    indexed = index_set(reports, folder, embedder)
    return {lang: score(indexed.qa, reports, asked, lang).row() for lang in languages}


def markdown(results: dict[str, dict[str, float | int]], reports: int) -> str:
    """The results as the README's table."""
    columns = list(next(iter(results.values())))
    lines = [
        f"Parallel reports ({reports} reports), `benchmarks/parallel_reports.py`.",
        "",
        "| asked in | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for lang, row in results.items():
        lines.append(f"| {lang} | " + " | ".join(str(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write results/parallel_reports.{md,json}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--distractors", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    reports, _ = build(EXTERNAL, args.articles, args.distractors)
    results = run(EXTERNAL, args.articles, args.distractors)
    text = markdown(results, len(reports))
    print(text)
    if args.articles is None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "parallel_reports.md").write_text(text, "utf-8")
        (args.out / "parallel_reports.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
