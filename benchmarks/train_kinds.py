"""Fit the question-kind reading and measure it on requests it never saw.

    .venv/bin/python benchmarks/train_kinds.py     # -> bot/data/kinds.json, results/train_kinds.md

Training data:
- `benchmarks/data/kind_questions.txt`: paraphrase families written for reportqa, one request
  said three ways in each of English, Polish and Vietnamese (a family = every language);
- the public sets' questions as single facts (XQuAD en, vi, ru; PoQuAD pl): those of the
  even-numbered articles train, those of the odd-numbered ones measure "read as another
  kind" (an article's translations stay on one side).

Features: the question's e5 query vector and the cue lists' verdicts (`bot.question.kinds.CUES`).
One-vs-rest logistic models, the class with the highest log-odds wins. Confusion is
cross-validated by family (FOLDS folds, whole families held out in every language), beside
the cue lists alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.qa_data import EXTERNAL, load_poquad, load_xquad  # noqa: E402
from benchmarks.qa_runs import WORK, shared_embedder  # noqa: E402

FAMILIES = Path(__file__).parent / "data" / "kind_questions.txt"
RESULTS = Path(__file__).parent / "results"
FOLDS = 10
#: The L2 penalty on the standardised weights (384 e5 dimensions against a few hundred
#: paraphrases: chosen among 1, 10, 100 and 1000 on the held-out families; README).
L2 = 10.0
#: Each public question weighs this much against a family paraphrase: there are three times
#: as many, and they are one kind.
PUBLIC_WEIGHT = 0.25


@dataclass
class Labelled:
    """One question with its kind, its family (or public article) and its language."""

    text: str
    kind: str
    group: str
    language: str
    public: bool = False


def families(path: Path = FAMILIES) -> list[Labelled]:
    """The paraphrase families, one row per question."""
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        kind, *languages = [part.strip() for part in line.split("|")]
        kind = "single" if kind in ("fact", "figure") else kind
        for language, part in zip(("en", "pl", "vi"), languages, strict=True):
            for text in part.split(" ; "):
                rows.append(Labelled(text.strip(), kind, f"f{n:03d}", language))
    return rows


def public(root: Path = EXTERNAL) -> list[Labelled]:
    """The public sets' questions, all single facts, grouped by article."""
    rows = []
    for language in ("en", "vi", "ru"):
        for article in load_xquad(language, root):
            for q in article.questions:
                rows.append(Labelled(q.text, "single", article.id, language, public=True))
    for article in load_poquad(root):
        for q in article.questions:
            rows.append(Labelled(q.text, "single", article.id, "pl", public=True))
    return rows


def _held_out_public(row: Labelled) -> bool:
    """Odd-numbered articles measure; even-numbered ones train."""
    return int(row.group[1:]) % 2 == 1


def features(rows: list[Labelled], embedder) -> np.ndarray:  # noqa: ANN001
    """The learned reading's features of every row."""
    from bot.question.kinds import kind_row

    vectors = embedder.embed_queries([r.text for r in rows])
    return np.stack([kind_row(r.text, v) for r, v in zip(rows, vectors, strict=True)])


def fit(x: np.ndarray, rows: list[Labelled], embedder_name: str, l2: float = 1.0):  # noqa: ANN201
    """One logistic model per class (KindModel)."""
    from bot.facts.selection import LogisticModel
    from bot.question.kinds import CLASSES, CUES, KindModel

    names = (*(f"e5_{i}" for i in range(x.shape[1] - len(CUES))), *CUES)
    weight = np.asarray([PUBLIC_WEIGHT if r.public else 1.0 for r in rows])
    models = {
        kind: LogisticModel.fit(
            x, np.asarray([r.kind == kind for r in rows], dtype=float), names, l2, weight
        )
        for kind in CLASSES
    }
    return KindModel(embedder_name, models)


def confusion(truth: list[str], said: list[str]) -> dict[str, dict[str, int]]:
    """Counts of (true kind -> kind read)."""
    table: dict[str, Counter] = {}
    for t, s in zip(truth, said, strict=True):
        table.setdefault(t, Counter())[s] += 1
    return {t: dict(c) for t, c in table.items()}


def markdown(title: str, table: dict[str, dict[str, int]]) -> str:
    """A confusion table with each kind's share read right."""
    from bot.question.kinds import CLASSES

    lines = [
        f"#### {title}",
        "",
        "| kind \\ read as | " + " | ".join(CLASSES) + " | right |",
        "|---|" + "---|" * (len(CLASSES) + 1),
    ]
    for kind in CLASSES:
        counts = table.get(kind, {})
        total = sum(counts.values())
        right = counts.get(kind, 0) / total if total else 0.0
        cells = " | ".join(str(counts.get(k, 0)) for k in CLASSES)
        lines.append(f"| {kind} | {cells} | {right:.3f} |")
    return "\n".join(lines) + "\n"


def _cue(text: str) -> str:
    from bot.question.kinds import SINGLE, classify

    kind = classify(text).kind
    return "single" if kind in SINGLE else kind


def main(argv: list[str] | None = None) -> int:
    """Cross-validate by family, measure the public questions held out, fit and write."""
    from bot.question.kinds import CLASSES, KIND_MODEL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=KIND_MODEL)
    parser.add_argument("--report", type=Path, default=RESULTS / "train_kinds.md")
    parser.add_argument("--l2", type=float, default=L2)
    args = parser.parse_args(argv)
    embedder = shared_embedder(WORK / "kinds.sqlite")
    written = families()
    asked = public()
    train_public = [r for r in asked if not _held_out_public(r)]
    test_public = [r for r in asked if _held_out_public(r)]
    x_written = features(written, embedder)
    x_train_public = features(train_public, embedder)
    x_test_public = features(test_public, embedder)

    groups = sorted({r.group for r in written})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    predicted = [""] * len(written)
    for fold in range(FOLDS):
        held = np.asarray([fold_of[r.group] == fold for r in written])
        rows = [r for r, h in zip(written, held, strict=True) if not h] + train_public
        x = np.vstack([x_written[~held], x_train_public])
        model = fit(x, rows, embedder.name, args.l2)
        scores = model.scores(x_written[held])
        for i, s in zip(np.where(held)[0], scores, strict=True):
            predicted[i] = CLASSES[int(np.argmax(s))]
    truth = [r.kind for r in written]
    learned = confusion(truth, predicted)
    cues = confusion(truth, [_cue(r.text) for r in written])

    model = fit(
        np.vstack([x_written, x_train_public]), written + train_public, embedder.name, args.l2
    )
    read = [CLASSES[int(np.argmax(s))] for s in model.scores(x_test_public)]
    other = {}
    for language in ("en", "vi", "ru", "pl"):
        mine = [k for k, r in zip(read, test_public, strict=True) if r.language == language]
        cue = [_cue(r.text) for r in test_public if r.language == language]
        other[language] = (
            sum(k != "single" for k in mine),
            sum(k != "single" for k in cue),
            len(mine),
        )
    per_language = {
        language: confusion(
            [r.kind for r in written if r.language == language],
            [p for p, r in zip(predicted, written, strict=True) if r.language == language],
        )
        for language in ("en", "pl", "vi")
    }
    right = {
        language: {
            kind: round(
                table.get(kind, {}).get(kind, 0) / max(1, sum(table.get(kind, {}).values())), 3
            )
            for kind in CLASSES
        }
        for language, table in per_language.items()
    }
    counts = Counter(r.language for r in written)
    text = "\n".join(
        [
            f"Question kinds: {len(written)} paraphrases in {len(groups)} families "
            f"(en {counts['en']}, pl {counts['pl']}, vi {counts['vi']}), "
            f"{len(train_public)} public questions training as single facts.",
            "",
            markdown(f"Learned, held-out families ({FOLDS} folds by family)", learned),
            markdown("The cue lists alone, same questions", cues),
            "#### Share read right on held-out families, per language",
            "",
            "| language | " + " | ".join(CLASSES) + " |",
            "|---|" + "---|" * len(CLASSES),
            *(
                f"| {lang} | " + " | ".join(str(v[k]) for k in CLASSES) + " |"
                for lang, v in right.items()
            ),
            "",
            "#### Public questions of the held-out articles read as another kind (goal <= 2%)",
            "",
            "| language | learned | cue lists | questions |",
            "|---|---|---|---|",
            *(
                f"| {lang} | {a} ({a / n:.1%}) | {c} ({c / n:.1%}) | {n} |"
                for lang, (a, c, n) in other.items()
            ),
            "",
        ]
    )
    print(text)
    args.out.write_text(json.dumps(model.to_dict()) + "\n", "utf-8")
    args.report.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
