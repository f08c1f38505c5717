"""The offline answerer: verbatim sentences from the reports, the figure pulled out, and an
honest "the reports don't say" when the evidence is weak.

Every decision here is a fitted model of `bot.facts.selection` (README, "Answering"):
- which sentence answers: the sentence model's best, among the candidates' sentences;
- whether to quote the runner-up of the same paragraph too: when its probability is close;
- whether to answer at all: the refusal model's score against the fitted threshold;
- which figure, for "how many" questions: the figure model, among the quote's figures.
"""

from __future__ import annotations

import numpy as np

from bot.facts.features import (
    FIGURE_FEATURES,
    FOCUS_FEATURES,
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    CandidateParagraph,
    QuestionInfo,
    figure_rows,
    figure_target_match,
    figures_of,
    focus_match,
    question_row,
    second_opinion,
    word_vectors,
)
from bot.facts.names import unmentioned_names
from bot.facts.retrieval import Retrieval
from bot.facts.selection import AnswerModels, shipped_models
from bot.language import not_in_reports
from bot.models import Answer
from indexing.embeddings import Embedder
from indexing.lexical import reply_language

#: A sentence of the answering paragraph is a list item too when the sentence model finds it
#: at least this likely relative to the best (the runner-up curve of README, "Answering").
LIST_RATIO = 0.15
#: A paragraph announcing a list answers a list question when its best sentence's log-odds
#: are within this of the best sentence's (hand-set: no public set asks for lists).
LIST_PARAGRAPH = 3.0


def refusal(question: str, names: list[str] | None = None) -> Answer:
    """An answer that says the reports do not hold it; cites nothing."""
    return Answer(
        question=question,
        answer=not_in_reports(reply_language(question), names),
        answered=False,
        answerer="none",
    )


class ExtractiveAnswerer:
    """Answers from retrieved paragraphs without an LLM."""

    def __init__(self, embedder: Embedder, models: AnswerModels | None = None) -> None:
        self.embedder = embedder
        self._models = models

    @property
    def models(self) -> AnswerModels:
        """The fitted models (the shipped ones unless others were given)."""
        return self._models or shipped_models()

    def evidence(
        self,
        retrieval: Retrieval,
        row: int | None = None,
        match: float | None = None,
        focus: tuple[float, float, float] | None = None,
        optional: tuple[float, float, float] | None = None,
    ) -> float:
        """How strongly the answering sentence answers (the refusal model's log-odds);
        `match`, `focus` and `optional` stand in for `figure_target_match`, `focus_match`
        and `optional_evidence` when given."""
        assert retrieval.table is not None
        row = evidence_row_of(retrieval, row)
        paragraph = retrieval.table.index[row][0]
        model = self.models.refusal_model(
            retrieval.info.language, retrieval.candidates[paragraph].language
        )
        evidence = evidence_row(
            retrieval, self.embedder, row, match, focus, model.features, optional
        )
        return float(model.logits(model.select(evidence[None, :], QUESTION_FEATURES))[0])

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        """Answer `question` from `retrieval`, or refuse."""
        if retrieval.empty or retrieval.table is None:
            return refusal(question)
        table, scores = retrieval.table, retrieval.scores
        best = answering_row(retrieval)
        if best is None:  # a "how many" question, and no candidate sentence holds a figure
            return refusal(question, self._unmentioned(retrieval))
        if NAME_RULE:
            missing = unmentioned_names(retrieval.info, retrieval.candidates)
            if missing:  # the question is about a place or person no candidate report names
                return refusal(question, missing)
        paragraph_at, sentence_at = table.index[best]
        candidate = retrieval.candidates[paragraph_at]
        threshold = self.models.threshold(retrieval.info.language, candidate.language)
        if self.evidence(retrieval, best) < threshold:
            return refusal(question, self._unmentioned(retrieval))
        chosen = [sentence_at]
        runner_up = max(
            (r for r, (p, j) in enumerate(table.index) if p == paragraph_at and j != sentence_at),
            key=lambda r: scores[r],
            default=None,
        )
        if (
            runner_up is not None
            and np.exp(scores[runner_up] - scores[best]) >= self.models.second_sentence
        ):
            chosen.append(table.index[runner_up][1])
        context = retrieval.contexts[paragraph_at]
        quotes = _quotes(context.text, [candidate.sentences[j] for j in sorted(chosen)])
        citations = [context.cite(n, quote) for n, quote in enumerate(quotes, start=1)]
        # Two separate quotes of one paragraph read as one answer, their markers after both.
        markers = "".join(f"[{n}]" for n in range(1, len(quotes) + 1))
        body = f"{' … '.join(quotes)} {markers}"
        figure = self._figure(retrieval, candidate.sentences[sentence_at], candidate.language)
        if figure:
            body = f"**{figure}** — {body}"
        return Answer(question=question, answer=body, answered=True, citations=citations)

    def answer_list(self, question: str, retrieval: Retrieval) -> Answer:
        """Every item of the answering paragraph that belongs: the best sentence, the items
        an introducing colon announces after it, and the paragraph's other sentences the
        sentence model finds nearly as likely (`LIST_RATIO`)."""
        single = self.answer(question, retrieval)
        if not single.answered or retrieval.table is None:
            return single.model_copy(update={"kind": "list"})
        table, scores = retrieval.table, retrieval.scores
        best = answering_row(retrieval)
        assert best is not None
        best = _announced_list(retrieval, best)
        paragraph_at, sentence_at = table.index[best]
        candidate = retrieval.candidates[paragraph_at]
        sentences = candidate.sentences
        chosen = {sentence_at}
        if ":" in sentences[sentence_at]:
            chosen |= set(range(sentence_at, len(sentences)))
        for row, (p, j) in enumerate(table.index):
            if p == paragraph_at and np.exp(scores[row] - scores[best]) >= LIST_RATIO:
                chosen.add(j)
        items = [sentences[j] for j in sorted(chosen)]
        if ":" in items[0] and sentence_at == min(chosen):  # the announcing words are no item
            head, _, first = items[0].partition(":")
            items = [head.strip() + ":", first.strip(), *items[1:]]
        context = retrieval.contexts[paragraph_at]
        order = sorted(chosen)
        quotes = _quotes(context.text, [sentences[j] for j in order])
        start = context.text.find(sentences[order[0]])
        end = context.text.rfind(sentences[order[-1]])
        if order == list(range(order[0], order[-1] + 1)) and 0 <= start <= end:
            quotes = [context.text[start : end + len(sentences[order[-1]])]]  # one run
        citations = [context.cite(n, quote) for n, quote in enumerate(quotes, start=1)]
        markers = "".join(f"[{n}]" for n in range(1, len(quotes) + 1))
        lines = [f"- {item}" for item in items if item and not item.endswith(":")]
        intro = [item for item in items if item.endswith(":")]
        body = "\n".join([*intro, *lines]) + f" {markers}"
        return Answer(
            question=question, answer=body, answered=True, citations=citations, kind="list"
        )

    def _figure(self, retrieval: Retrieval, sentence: str, language: str) -> str | None:
        """The figure that answers a "how many" question, from the best sentence."""
        info = retrieval.info
        if not info.wants_figure:
            return None
        figures = figures_of(sentence, info, language)
        if not figures:
            return None
        model = self.models.figure
        rows = figure_rows(sentence, figures, info, language)
        scores = model.logits(model.select(rows, FIGURE_FEATURES))
        return figures[int(np.argmax(scores))].text

    @staticmethod
    def _unmentioned(retrieval: Retrieval) -> list[str]:
        """Names of the question that no candidate paragraph contains, as written (across
        languages too, for the reply: "… do not mention Ba Dinh")."""
        return unmentioned_names(retrieval.info, retrieval.candidates, across=True)


#: Refuse when the question names something (a capitalised run past its start: a place, a
#: person) that neither the candidate paragraphs nor their reports' titles contain, when
#: some candidate is in the question's language (`bot.facts.names`; across languages the refusal
#: model weighs it instead). Measured on the public sets in the README ("Answer quality",
#: the name rule's row of the ablation).
NAME_RULE = True


def answering_row(retrieval: Retrieval) -> int | None:
    """The row of the sentence that answers: the sentence model's best, except that a "how
    many" question is answered only by a sentence holding a figure (None when none does)."""
    assert retrieval.table is not None
    scores = retrieval.scores
    if not retrieval.info.wants_figure:
        return int(np.argmax(scores))
    column = SENTENCE_FEATURES.index("figure_for_quantity")
    holding = np.flatnonzero(retrieval.table.rows[:, column] > 0)
    return int(holding[np.argmax(scores[holding])]) if len(holding) else None


def _announced_list(retrieval: Retrieval, best: int) -> int:
    """For a list question: the best sentence of a paragraph that announces a list ("the
    committee set out: ...", then the items), when one is nearly as likely as the best
    sentence (`LIST_PARAGRAPH`); else `best`. A lead that mentions "the tasks for 2024" is
    likelier under the sentence model than the paragraph listing them."""
    assert retrieval.table is not None
    table, scores = retrieval.table, retrieval.scores
    for row in np.argsort(-scores, kind="stable"):
        if scores[row] < scores[best] - LIST_PARAGRAPH:
            break
        p, j = table.index[row]
        sentences = retrieval.candidates[p].sentences
        if ":" in sentences[j] and len(sentences) - j >= 3:
            return int(row)
    return best


def evidence_row(
    retrieval: Retrieval,
    embedder: Embedder,
    row: int | None = None,
    match: float | None = None,
    focus: tuple[float, float, float] | None = None,
    needed: tuple[str, ...] | None = None,
    optional: tuple[float, float, float] | None = None,
) -> np.ndarray:
    """Question-level evidence for the refusal model about the answering sentence: `row`,
    by default `answering_row`'s choice, or the best-scored sentence when it has none. The
    training script calls this too, so the model meets the rows it was fitted on. `match`
    and `focus`, when given, are used instead of embedding the figure's words
    (`figure_target_match`) and the sentence's words (`focus_match`); of the
    `OPTIONAL_FEATURES` only those `needed` names are computed (all when None), unless
    `optional` gives them."""
    assert retrieval.table is not None
    paragraph, sentence = retrieval.table.index[evidence_row_of(retrieval, row)]
    candidate = retrieval.candidates[paragraph]
    if match is None:
        match = figure_target_match(
            retrieval.info, candidate.sentences[sentence], candidate.language, embedder
        )
    if focus is None and (needed is None or set(FOCUS_FEATURES) & set(needed)):
        focus = focus_match(
            retrieval.info,
            candidate.sentences[sentence],
            candidate.language,
            word_vectors(embedder),
        )
    if optional is None:
        optional = optional_evidence(
            retrieval.info,
            retrieval.candidates,
            candidate.sentences[sentence],
            candidate.language,
            needed,
        )
    return question_row(
        retrieval.info,
        retrieval.candidates,
        retrieval.table,
        retrieval.scores,
        match,
        focus or (0.0, 0.0, 0.0),
        optional,
    )


def evidence_row_of(retrieval: Retrieval, row: int | None = None) -> int:
    """The sentence the refusal evidence is about: `row`, by default `answering_row`'s
    choice, or the best-scored sentence when it has none."""
    if row is None:
        row = answering_row(retrieval)
    return int(np.argmax(retrieval.scores)) if row is None else row


def _quotes(text: str, sentences: list[str]) -> list[str]:
    """Verbatim quotes of the chosen sentences: one when they stand together, else one each."""
    spans = []
    position = 0
    for sentence in sentences:
        start = text.find(sentence, position)
        if start < 0:
            start = text.find(sentence)
        spans.append((start, start + len(sentence)))
        position = max(position, start + len(sentence))
    if len(spans) == 2 and 0 <= spans[0][1] <= spans[1][0]:
        between = text[spans[0][1] : spans[1][0]]
        if not between.strip():
            return [text[spans[0][0] : spans[1][1]]]
    return [text[a:b] if a >= 0 else s for (a, b), s in zip(spans, sentences, strict=True)]


def optional_evidence(
    question: QuestionInfo,
    paragraphs: list[CandidateParagraph],
    sentence: str,
    language: str,
    needed: tuple[str, ...] | None = None,
) -> tuple[float, float, float]:
    """The `OPTIONAL_FEATURES` that `needed` names (all when None; 0 for the others)."""

    def wanted(name: str) -> bool:
        return needed is None or name in needed

    missing = 0.0
    if wanted("name_missing_across"):
        missing = float(bool(unmentioned_names(question, paragraphs, across=True)))
    use = (0.0, 0.0)
    if wanted("use_sim") or wanted("use_known"):
        use = second_opinion(question.text, question.language, sentence, language)
    return (missing, *use)
