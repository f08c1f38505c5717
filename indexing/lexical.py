"""Words as evidence: language, lemmas, names and number words, from maintained libraries.

- Language: py3langid (ships its model). Replies are in en, pl or vi; lemmas in whatever
  language a text is in, where simplemma has data for it.
- Lemmas: simplemma, in `indexing.lemmas`.
- Stems: Snowball (snowballstemmer, pure Python) beside the lemma, so that words outside
  simplemma's dictionaries (names, rare and technical words) still meet their other forms.
  Measured on the public sets (README, "Libraries"): lemma and stem together beat the lemma.
- Figures and number words are one term each, from `indexing.numbers`.
Everything is accent-folded ("Kim Bảng" -> "kim bang") after lemmatising.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from indexing.cache import cache_dir, prepared_marker, write_atomic
from indexing.lemmas import lemma, missing_dictionaries, prepare_dictionaries
from indexing.numbers import NUMBER, normalise_number
from indexing.text import POSSESSIVE, WORD, fold

REPLY_LANGUAGES = ("en", "pl", "vi")
_lock = threading.Lock()


_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _prepared_model():  # noqa: ANN202 - Path
    from py3langid import __version__

    return cache_dir() / f"py3langid-{__version__}"


def prepare_for_answers(
    languages: Iterable[str] = (), announce: Callable[[list[str]], None] | None = None
) -> None:
    """Prepare, once per machine, what a cold answer opens (`indexing.cache`): the lemma
    dictionaries of the reply languages and of `languages`, and this module's language
    model. `announce` is told which dictionaries are about to be built (seconds each). A
    marker remembers that all is there, so a call with no new language costs one stat."""
    marker = prepared_marker()
    extra = sorted(set(languages))
    if marker.exists() and not extra:
        return
    wanted = [*REPLY_LANGUAGES, *extra]
    missing = missing_dictionaries(wanted)
    if missing:
        if announce is not None:
            announce(missing)
        prepare_dictionaries(missing)
    prepare_language_model()
    if not missing_dictionaries(wanted) and language_model_prepared():
        with contextlib.suppress(OSError):
            marker.touch()


def language_model_prepared() -> bool:
    """Whether py3langid's model is stored as plain arrays on this machine."""
    target = _prepared_model()
    return all((target / f"{name}.npy").exists() for name in _MODEL_ARRAYS)


def prepare_language_model() -> bool:
    """Store py3langid's model as plain arrays, once per machine: memory-mapped, it then
    loads in milliseconds instead of 0.8 s (the model ships LZMA-compressed). True when
    written now."""
    import lzma
    import tempfile

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    if language_model_prepared():
        return False
    target = _prepared_model()
    with tempfile.TemporaryFile(suffix=".npz") as unpacked:
        with lzma.open(MODEL_DIR / MODEL_FILE) as source:
            while chunk := source.read(1 << 20):
                unpacked.write(chunk)
        unpacked.seek(0)
        with np.load(unpacked, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _MODEL_ARRAYS}

    def save(array: np.ndarray) -> Callable[[str], None]:
        def write(path: str) -> None:
            with open(path, "wb") as out:  # a file object: np.save would add ".npy" to a path
                np.save(out, array, allow_pickle=False)

        return write

    return all([write_atomic(target / f"{n}.npy", save(a)) for n, a in arrays.items()])


@functools.cache
def _identifier():  # noqa: ANN202 - py3langid identifier
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with _lock:
        if language_model_prepared():
            try:
                return _from_prepared(_prepared_model(), LanguageIdentifier)
            except (OSError, ValueError, EOFError):  # unreadable: the shipped model below
                pass
        return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _from_prepared(path, identifier_class):  # noqa: ANN001, ANN202
    """The identifier from the prepared arrays, as py3langid's `load_model` builds it."""
    import numpy as np
    from py3langid.modelio import _to_array

    def load(name: str):  # noqa: ANN202
        return np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    return identifier_class(
        np.asarray(load("ptc")),
        np.asarray(load("pc")),
        load("classes").tolist(),
        _to_array(load("nextmove")),
        load("out_feat").tolist(),
        norm_probs=True,
        tk_row=_to_array(load("nextmove_row")),
    )


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
    return WORD.findall(text)


def terms(text: str, language: str) -> list[frozenset[str]]:
    """Each word of a text as the set of forms it may match by: folded surface, lemma and
    stem.

    Both, because a dictionary lemma can be wrong for a name ("Kim" is also a form of
    Polish "kto"). Figures are one term each, normalised ("15,000" -> "15000").
    """
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
        bare = POSSESSIVE.sub("", word) or word
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
    left to the fitted weights (see bot/facts/selection.py).
    """
    tokens = list(WORD.finditer(question))
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
