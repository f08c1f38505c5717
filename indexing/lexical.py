"""Words as evidence: language, lemmas, names and number words, from maintained libraries.

- Language: py3langid (ships its model). Replies are in en, pl or vi; lemmas in whatever
  language a text is in, where simplemma has data for it.
- Lemmas: simplemma (ships its dictionaries), so "Warszawy" meets "Warszawa" and "modeli"
  meets "model". Vietnamese does not inflect and simplemma has no data for it: folded
  tokens stand as they are.
- Stems: Snowball (snowballstemmer, pure Python) beside the lemma, so that words outside
  simplemma's dictionaries (names, rare and technical words) still meet their other forms.
  Measured on the public sets (README, "Libraries"): lemma and stem together beat the lemma.
- Number words: num2words written out for 0-100 and the scales, then inverted, so "two",
  "trzy" and "hai" are figures like "2".
Everything is accent-folded ("Kim Bảng" -> "kim bang") after lemmatising.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

from indexing.text import fold

REPLY_LANGUAGES = ("en", "pl", "vi")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_lock = threading.Lock()


@functools.cache
def _identifier():  # noqa: ANN202 - py3langid identifier
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with _lock:
        return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


@functools.lru_cache(maxsize=20_000)
def identify(text: str) -> str:
    """The language of a text (ISO 639-1), among all py3langid knows."""
    return str(_identifier().classify(text)[0])


def reply_language(text: str) -> str:
    """The language to reply in: en, pl or vi, English when unsure.

    The full model's ranking renormalised over the three, which is what a model restricted
    to them gives, without loading a second one (a cold `reportqa ask` pays for each load).
    """
    ranked = {str(lang): float(p) for lang, p in _identifier().rank(text)}
    total = sum(ranked.get(lang, 0.0) for lang in REPLY_LANGUAGES) or 1.0
    best = max(REPLY_LANGUAGES, key=lambda lang: ranked.get(lang, 0.0))
    return best if ranked.get(best, 0.0) / total >= 0.5 else "en"


@functools.cache
def _simplemma_languages() -> frozenset[str]:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return frozenset(SUPPORTED_LANGUAGES)


@functools.lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """The folded lemma of one word (the folded word where there is no dictionary)."""
    word = _POSSESSIVE.sub("", word) or word
    if language in _simplemma_languages() and not word.isdigit():
        from simplemma import lemmatize

        # low_memory: the same dictionaries, loaded in 2 s instead of 3.3 s (Polish).
        word = lemmatize(word, lang=language, low_memory=True)
    return fold(word)


def known_word(word: str, language: str) -> bool | None:
    """Whether simplemma's dictionary of the language knows the word (lower-cased); None
    for a language without one."""
    if language not in _simplemma_languages():
        return None
    from simplemma import is_known

    return bool(is_known(word.lower(), lang=language))


#: Whether word forms include stems (`train_answerer.py --no-stems` measures them off).
STEMS = True
#: ISO 639-1 codes of the languages Snowball has a stemmer for.
_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish",
}  # fmt: skip


@functools.cache
def _stemmer(language: str):  # noqa: ANN202 - snowballstemmer stemmer, or None
    if language not in _SNOWBALL:
        return None
    import snowballstemmer

    return snowballstemmer.stemmer(_SNOWBALL[language])


@functools.lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str | None:
    """The folded Snowball stem of one word, marked so it never equals a whole word; None
    for figures and languages without a stemmer (Vietnamese does not inflect)."""
    stemmer = _stemmer(language)
    if stemmer is None or not word.isalpha():
        return None
    with _lock:  # a Snowball stemmer object keeps state between calls
        return fold(stemmer.stemWord(word.lower())) + "~"


def words(text: str) -> list[str]:
    """Word tokens as written."""
    return _WORD.findall(text)


def terms(text: str, language: str) -> list[frozenset[str]]:
    """Each word of a text as the set of forms it may match by: folded surface, lemma and
    stem.

    Both, because a dictionary lemma can be wrong for a name ("Kim" is also a form of
    Polish "kto"). Figures are one term each, normalised ("15,000" -> "15000").
    """
    from indexing.figures import NUMBER, normalise_number

    out: list[frozenset[str]] = []
    last = 0
    for match in NUMBER.finditer(text):
        out.extend(_word_forms(text[last : match.start()], language))
        out.append(frozenset([normalise_number(match.group(0))]))
        last = match.end()
    out.extend(_word_forms(text[last:], language))
    return out


def _word_forms(text: str, language: str) -> list[frozenset[str]]:
    found = []
    for word in words(text):
        bare = _POSSESSIVE.sub("", word) or word
        forms = {fold(bare), lemma(word, language)}
        stemmed = stem(bare, language) if STEMS else None
        if stemmed:
            forms.add(stemmed)
        found.append(frozenset(forms))
    return found


def vocabulary(text: str, language: str) -> frozenset[str]:
    """Every form of every word of a text, for matching question terms against it."""
    return _vocabulary(text, language, STEMS)


@functools.lru_cache(maxsize=50_000)
def _vocabulary(text: str, language: str, stems: bool) -> frozenset[str]:
    # Cached: the same candidate sentences come up question after question; `stems` is in
    # the key because the training script can switch stems off.
    return frozenset().union(*terms(text, language))


@dataclass(frozen=True)
class NameSpan:
    """A name in a question: its folded (here lemmatised) form and where it stands."""

    name: str
    start: int
    end: int


def names(question: str, language: str) -> list[NameSpan]:
    """Capitalised word runs that do not start the question ("Warsaw", "Nikola Tesla").

    No lists of generic words: whether a capitalised word says which report is meant is
    left to the fitted weights (see bot/selection.py).
    """
    tokens = list(_WORD.finditer(question))
    spans: list[NameSpan] = []
    run: list[re.Match[str]] = []
    for i, match in enumerate(tokens + [None]):  # type: ignore[operator]
        token = match.group(0) if match is not None else ""
        if match is not None and i > 0 and token[:1].isupper():
            run.append(match)
            continue
        if run:
            name = " ".join(lemma(m.group(0), language) for m in run)
            spans.append(NameSpan(name=name, start=run[0].start(), end=run[-1].end()))
            run = []
    return spans


_SCALES = {1000: "thousand", 1_000_000: "million", 1_000_000_000: "billion"}


@functools.cache
def number_words(language: str) -> dict[str, int]:
    """Written-out numbers of a language, folded: {"two": 2, "dwadziescia": 20, ...}."""
    try:
        from num2words import num2words
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    table: dict[str, int] = {}
    for n in [*range(0, 101), 1000, 1_000_000, 1_000_000_000]:
        try:
            written = num2words(n, lang=language)
        except (NotImplementedError, OverflowError, ValueError, TypeError):
            return table
        folded = _number_key(written, language)
        # "one thousand" -> also "thousand"; "mot trieu" -> also "trieu"
        table.setdefault(folded, n)
        if n in _SCALES and " " in folded:
            table.setdefault(folded.split()[-1], n)
    return table


def _number_key(text: str, language: str) -> str:
    """A number word as the table keys it: folded, but for Vietnamese only lowercased, whose
    tones tell numbers from words ("tỷ" is a billion, "công ty" a company)."""
    return text.lower() if language == "vi" else fold(text)


@functools.cache
def _number_starts(language: str) -> frozenset[str]:
    """The words a written number can start with ("forty" of "forty-two")."""
    return frozenset(re.split(r"[ -]", key)[0] for key in number_words(language))


@functools.lru_cache(maxsize=50_000)
def written_numbers(text: str, language: str) -> tuple[tuple[int, int, int], ...]:
    """Numbers written as words in a text: (start, end, value), longest match first.

    Cached: answering asks it of the same candidate sentences question after question."""
    table = number_words(language)
    if not table:
        return ()
    starts = _number_starts(language)
    tokens = list(_WORD.finditer(text))
    lemmas = [
        _number_key(m.group(0), language) if language == "vi" else lemma(m.group(0), language)
        for m in tokens
    ]
    found: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        if lemmas[i] not in starts and _number_key(tokens[i].group(0), language) not in starts:
            i += 1
            continue
        for size in (3, 2, 1):
            if i + size > len(tokens):
                continue
            group = tokens[i : i + size]
            key = " ".join(lemmas[i : i + size])
            if size == 2 and text[group[0].end() : group[1].start()] == "-":
                key = "-".join(_number_key(m.group(0), language) for m in group)  # "forty-two"
            if key in table:
                found.append((group[0].start(), group[-1].end(), table[key]))
                i += size
                break
        else:
            i += 1
    return tuple(found)
