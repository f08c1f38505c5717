"""Public SQuAD-style sets (../shared/eval/external) turned into reports and questions.

One report per article, as a user would have it: a Markdown file `# <title>` followed by the
article's paragraphs separated by blank lines (PoQuAD: the summary's paragraphs, then the
context). Each question knows the paragraph (0-based among the article's text paragraphs)
that holds its answer, and the answer's character span there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "external"


@dataclass
class Question:
    """One question of a set, with where its answer stands."""

    id: str
    article: str
    text: str
    answers: list[str]
    paragraph: int | None  # index into Article.paragraphs; None when unanswerable
    start: int | None = None  # answer offset in that paragraph


@dataclass
class Article:
    """One article: becomes one report."""

    id: str
    title: str
    paragraphs: list[str]
    questions: list[Question] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """The report's file name (stable, safe)."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:40] or "article"
        return f"{slug}-{self.id}.md"

    def markdown(self) -> str:
        """The report as a user would save it."""
        return "\n\n".join([f"# {self.title}", *self.paragraphs]) + "\n"


def load_xquad(lang: str, root: Path = EXTERNAL) -> list[Article]:
    """XQuAD in one language; question ids are shared across languages."""
    data = json.loads((root / f"xquad.{lang}.json").read_text("utf-8"))["data"]
    articles = []
    for a, item in enumerate(data):
        article = Article(id=f"x{a:02d}", title=item["title"], paragraphs=[])
        for paragraph in item["paragraphs"]:
            index = len(article.paragraphs)
            article.paragraphs.append(" ".join(paragraph["context"].split()))
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                article.questions.append(
                    Question(
                        id=qa["id"],
                        article=article.id,
                        text=qa["question"].strip(),
                        answers=[x["text"] for x in qa["answers"]],
                        paragraph=index,
                        start=_start(paragraph["context"], first["text"], first["answer_start"]),
                    )
                )
        articles.append(article)
    return articles


def load_poquad(root: Path = EXTERNAL) -> list[Article]:
    """PoQuAD's development part: summary paragraphs, then the context; 2.0-style."""
    data = json.loads((root / "poquad-dev-part.json").read_text("utf-8"))["data"]
    articles = []
    for a, item in enumerate(data):
        summary = [" ".join(p.split()) for p in str(item.get("summary", "")).split("\n")]
        paragraphs = [p for p in summary if p]
        context = item["paragraphs"][0]["context"]
        index = len(paragraphs)
        paragraphs.append(" ".join(context.split()))
        article = Article(id=f"p{a:03d}", title=item["title"], paragraphs=paragraphs)
        for n, qa in enumerate(item["paragraphs"][0]["qas"]):
            impossible = bool(qa.get("is_impossible"))
            answers = [] if impossible else [x["text"] for x in qa["answers"]]
            start = None
            if answers:
                start = _start(context, answers[0], qa["answers"][0]["answer_start"])
            article.questions.append(
                Question(
                    id=f"{article.id}-{n}",
                    article=article.id,
                    text=qa["question"].strip(),
                    answers=answers,
                    paragraph=None if impossible else index,
                    start=start,
                )
            )
        articles.append(article)
    return articles


def _start(context: str, answer: str, offset: int) -> int | None:
    """The answer's offset in the whitespace-normalised paragraph."""
    normalised = " ".join(context.split())
    prefix = " ".join(context[:offset].split())
    guess = len(prefix) + (1 if prefix and context[offset - 1 : offset].isspace() else 0)
    answer = " ".join(answer.split())
    if normalised[guess : guess + len(answer)] == answer:
        return guess
    found = normalised.find(answer)
    return found if found >= 0 else None


def with_questions_from(reports: list[Article], questions: list[Article]) -> list[Article]:
    """Reports of one language with the (parallel) questions of another, matched by id."""
    asked = {q.id: q for article in questions for q in article.questions}
    out = []
    for article in reports:
        qs = []
        for q in article.questions:
            other = asked.get(q.id)
            if other is not None:
                qs.append(Question(q.id, q.article, other.text, q.answers, q.paragraph, q.start))
        out.append(Article(article.id, article.title, article.paragraphs, qs))
    return out


def write_reports(articles: list[Article], folder: Path) -> None:
    """Write each article as a Markdown report."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / article.filename).write_text(article.markdown(), "utf-8")
