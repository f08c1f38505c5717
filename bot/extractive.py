"""The offline answerer: verbatim sentences from the reports, the figure pulled out, and an
honest "the reports don't say" when the evidence is not there.

Calibration (see README "Answering"): e5 similarities are compressed (most sentences score
0.75-0.85 against any question about the same district), so a bare similarity threshold
cannot tell "answered" from "close but absent". What separates them on the dev sets:
- a name in the question that no report mentions;
- for questions asking for a figure, how well the *counted thing* in the question matches
  the words right after a figure in the candidate sentences ("trees" vs "64 nowe modele"),
  measured against how well it matches figures about unrelated things: a short target such
  as "population" is ~0.80 similar to almost any figure, so only the excess counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.figures import (
    Figure,
    asks_for_quantity,
    asks_for_year,
    figures_in,
    numbers_in,
    quantity_target,
)
from bot.language import detect_language, not_in_reports
from bot.models import Answer, Citation, Context
from bot.retrieval import Retrieval
from indexing.embeddings import Embedder

#: A figure is accepted when its context matches the counted thing by this much more than
#: unrelated figures do (dev sets: right figures +0.028..+0.104, wrong ones up to +0.026).
FIGURE_EXCESS = 0.027
#: Unrelated figures in the three languages: the baseline for FIGURE_EXCESS.
CONTRAST_FIGURES = (
    "12 osób wzięło udział",
    "5 km nowych dróg",
    "30 lat doświadczenia",
    "8 godzin pracy",
    "100 students enrolled",
    "7 hectares of rice",
    "40 percent of the vote",
    "60 tons of fish",
    "250 triệu đồng",
    "15 ngôi nhà",
    "3 cây cầu mới",
    "2 trận bóng đá",
)
#: Below this best-sentence similarity a non-numeric question is not answered.
SENTENCE_MIN = 0.77
#: Sentences of the same report scoring this close to the best one are cited too (at most
#: MAX_SENTENCES in all): near-ties are where e5 cannot tell which one answers.
NEAR_TIE = 0.01
MAX_SENTENCES = 3
CANDIDATE_SENTENCES = 8


@dataclass
class _Candidate:
    context: Context
    sentence: str
    score: float


def refusal(question: str, names: list[str] | None = None) -> Answer:
    """An answer that says the reports do not hold it; cites nothing."""
    return Answer(
        question=question,
        answer=not_in_reports(detect_language(question), names),
        answered=False,
        answerer="none",
    )


class ExtractiveAnswerer:
    """Answers from retrieved paragraphs without an LLM."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._contrast: np.ndarray | None = None

    def _baseline(self, query: np.ndarray) -> float:
        if self._contrast is None:
            self._contrast = self.embedder.embed_passages(list(CONTRAST_FIGURES))
        return float(np.mean(self._contrast @ query))

    def answer(self, question: str, retrieval: Retrieval) -> Answer:
        """Answer `question` from `retrieval`, or refuse."""
        if retrieval.unknown_names:
            return refusal(question, retrieval.unknown_names)
        candidates = self._candidates(retrieval.contexts)
        if not candidates:
            return refusal(question)
        if asks_for_quantity(question):
            return self._figure_answer(question, retrieval, candidates)
        best = candidates[0]
        if best.score < SENTENCE_MIN:
            return refusal(question)
        chosen = [best]
        for other in candidates[1:]:
            if best.score - other.score > NEAR_TIE or len(chosen) == MAX_SENTENCES:
                break
            # Another report's sentence is never mixed into the answer.
            if other.context.id not in {c.context.id for c in chosen} and (
                other.context.source == best.context.source
            ):
                chosen.append(other)
        parts: list[str] = []
        citations: list[Citation] = []
        for n, c in enumerate(chosen, start=1):
            quote = _with_lead_in(c.context, c.sentence)
            parts.append(f"{quote} [{n}]")
            citations.append(c.context.cite(n, quote))
        return Answer(question=question, answer=" ".join(parts), answered=True, citations=citations)

    @staticmethod
    def _candidates(contexts: list[Context]) -> list[_Candidate]:
        """Sentences of the retrieved paragraphs, ranked by similarity plus lexical evidence."""
        found: list[_Candidate] = []
        for context in contexts:
            boost = context.score - context.dense
            for sentence in context.sentences:
                if sentence.text in context.text:  # quotes must be verbatim
                    found.append(_Candidate(context, sentence.text, sentence.score + boost))
        found.sort(key=lambda c: -c.score)
        return found

    def _figure_answer(
        self, question: str, retrieval: Retrieval, candidates: list[_Candidate]
    ) -> Answer:
        exclude = numbers_in(question)
        years_ok = asks_for_year(question)
        options: list[tuple[_Candidate, Figure]] = []
        for candidate in candidates[:CANDIDATE_SENTENCES]:
            for figure in figures_in(candidate.sentence, exclude, years_ok):
                options.append((candidate, figure))
        if not options:
            return refusal(question)
        target = _without_names(quantity_target(question) or question, retrieval.names)
        query = self.embedder.embed_query(target)
        contexts = self.embedder.embed_passages([figure.context for _, figure in options])
        excess = contexts @ query - self._baseline(query)
        order = np.argsort(-excess)
        if float(excess[order[0]]) < FIGURE_EXCESS:
            return refusal(question)
        candidate, figure = options[order[0]]
        return Answer(
            question=question,
            answer=f"**{figure.text}** — {candidate.sentence} [1]",
            answered=True,
            citations=[candidate.context.cite(1, candidate.sentence)],
        )


def _without_names(text: str, names: list[str]) -> str:
    """Drop the question's names: they say which report, not what is counted."""
    from indexing.text import fold

    drop = {word for name in names for word in name.split()}
    kept = [w for w in text.split() if fold(w).strip("?!.,:;") not in drop]
    return " ".join(kept) or text


def _with_lead_in(context: Context, sentence: str) -> str:
    """A list item is quoted with the sentence that introduces the list ("... ustalił: ...")."""
    from indexing.text import split_sentences

    sentences = split_sentences(context.text)
    if not sentences or sentences[0] == sentence or sentence not in sentences:
        return sentence
    lead = sentences[0]
    if ":" not in lead:
        return sentence
    start = context.text.find(lead)
    end = context.text.find(sentence, start) + len(sentence)
    between = context.text[start:end]
    # Only when the list is short enough to quote whole; else the lead-in plus the item.
    return between if len(between) <= 600 else f"{lead} … {sentence}"
