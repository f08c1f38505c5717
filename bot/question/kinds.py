"""How a question is read: a single fact or figure, or one of the kinds answered another way
(a summary, the report's metadata, a list, a comparison or total across reports, the list of
reports), in English, Polish and Vietnamese.

The cues are phrases of each language, matched accent-folded. They are kept narrow on
purpose: a single-fact question read as another kind loses its answer, so the public QA sets
(README, "Question kinds") measure how many of their questions each cue catches, and a cue
that catches ordinary questions there is narrowed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bot.facts.selection import LogisticModel
from indexing.text import fold

Kind = Literal["fact", "figure", "summary", "metadata", "list", "compare", "total", "reports"]
#: Kinds answered from one paragraph by the extractive answerer.
SINGLE = ("fact", "figure")
#: Kinds answered from the figures table of every report.
ACROSS = ("compare", "total")
#: What a follow-up appends to the earlier question to ask it as another kind ("And the
#: total?"); `classify` reads these first, so the earlier question's own cues do not win.
_MARKERS = {
    ("total", False): {
        "en": "(in total, across all reports)",
        "pl": "(łącznie, we wszystkich raportach)",
        "vi": "(tổng cộng, tất cả các báo cáo)",
    },
    ("compare", False): {
        "en": "(compare the reports: which has the most?)",
        "pl": "(porównaj raporty: który ma najwięcej?)",
        "vi": "(so sánh các báo cáo: báo cáo nào nhiều nhất?)",
    },
    ("compare", True): {
        "en": "(compare the reports: which has the least?)",
        "pl": "(porównaj raporty: który ma najmniej?)",
        "vi": "(so sánh các báo cáo: báo cáo nào ít nhất?)",
    },
}


@dataclass(frozen=True)
class Reading:
    """What kind of answer a question wants; `field` names the metadata asked for (author,
    date, source), `least` says a comparison asks for the smallest."""

    kind: Kind
    field: str | None = None
    least: bool = False


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# What a report is called, and the places reports are about (singular and plural).
_DOC = (
    r"(?:report|reports|article|articles|document|documents|text|file|files|story|news|"
    r"raport\w*|artykul\w*|dokument\w*|tekst\w*|sprawozdani\w*|plik\w*|"
    r"bao cao|bai viet|bai bao|ban tin|van ban|tai lieu)"
)
#: A question about the report itself names it, or points at it ("it", "this", "to", "này").
_ABOUT_REPORT = re.compile(r"\b(?:" + _DOC + r"|it|this|to|ten|ta|tego|tej|go|nay)\b")
_PLACES = (
    r"(?:districts?|reports|cities|city|provinces?|communes?|towns?|regions?|localities|"
    r"counties|places|dystryk\w*|powia\w*|powiec\w*|rapor\w*|miast\w*|miesc\w*|gmin\w*|"
    r"prowincj\w*|rejon\w*|"
    r"huyen|thanh pho|tinh|dia phuong|bao cao)"
)

_REPORTS = _any(
    r"\b(?:which|what) (?:reports|documents|files|sources)\b.*\b(?:have|there|indexed|"
    r"available|know)\b",
    r"\blist (?:the |all |your |of )*(?:reports|documents|sources)\b",
    r"\b(?:jakie|ktore) (?:raporty|dokumenty|pliki|zrodla)\b.*\b(?:masz|sa|posiadasz|"
    r"zaindeksowan\w*|dostepn\w*|znasz)\b",
    r"\b(?:wymien|pokaz) (?:wszystkie )?(?:raporty|dokumenty)\b",
    r"\bco (?:nhung |cac )?(?:bao cao|tai lieu) nao\b",
    r"\b(?:nhung|cac) (?:bao cao|tai lieu) nao\b.*\b(?:co|san co|duoc luu)\b",
    r"\bdanh sach (?:cac )?(?:bao cao|tai lieu)\b",
)
_AUTHOR = _any(
    r"\bwho (?:wrote|authored|prepared|is the author of|was the author of)\b.*(?:\b"
    + _DOC
    + r"\b|\bit\b|\bthis\b)",
    r"\b(?:author|byline|reporter|writer) of (?:the |this |that )?\w*\s?" + _DOC,
    r"\bwho is (?:the )?(?:author|reporter)\b",
    r"\bkto (?:napisal|jest autorem|przygotowal|sporzadzil) (?:ten |tego |te |tej |to )?(?:"
    + _DOC
    + r"|to|go)\b",
    r"\bkto (?:to|go) (?:napisal|przygotowal)\b",
    r"\bautor\w* (?:tego |tej )?" + _DOC + r"\b",
    r"\bai (?:viet|la tac gia|soan)\b",
    r"\btac gia (?:cua )?(?:bai|bao cao|ban tin|van ban)\b",
)
_DATE = _any(
    r"\bwhen (?:was|is|were) (?:the |this |that )?(?:\w+ ){0,3}?(?:" + _DOC + r"|it)\b.*"
    r"\b(?:published|written|released|issued|dated|posted)\b",
    r"\b(?:publication|release) date\b",
    r"\bdate of (?:the |this )?" + _DOC,
    r"\bkiedy (?:\w+ ){0,4}?(?:opublikowan|napisan|wydan|sporzadzon)\w*",
    r"\bdata (?:publikacji|wydania)\b",
    r"\b(?:bai|bao cao|ban tin)\b.*\b(?:dang|xuat ban|cong bo|viet) (?:khi nao|luc nao|"
    r"ngay nao|vao ngay nao)\b",
    r"\bngay (?:dang|xuat ban|cong bo)\b",
)
_SOURCE = _any(
    r"\bwhere (?:is|does|did) (?:this|the|that) (?:\w+ ){0,3}?" + _DOC + r" (?:come )?from\b",
    r"\bwhere (?:is|does|did) (?:this|it|that) (?:come )?from\b",
    r"\b(?:what|which) is the source of (?:the |this )?(?:" + _DOC + r"|information)",
    r"\bwhich file\b",
    r"\bskad (?:pochodzi|jest|sa)\b",
    r"\bzrodlo (?:tego |tej )?(?:" + _DOC + r"|informacji)",
    r"\bz jakiego (?:pliku|zrodla)\b",
    r"\bnguon (?:tin|cua (?:bai|bao cao|ban tin|thong tin))\b",
    r"\b(?:lay|den) tu dau\b",
)
_SUMMARY = _any(
    r"\bwhat(?:'s| is| are| was| were)? (?:(?:this|the|that|these|those) (?:\w+ ){0,3}?"
    + _DOC
    + r"|it|this|they) (?:\w+ )?about(?: in [^?]+)?\s*\??$",
    r"\bsummar(?:y|ise|ize|ising|izing)\b",
    r"\b(?:main|key) (?:points|topics|findings|takeaways)\b",
    r"\boverview of\b",
    r"\bo czym (?:jest|sa|mowi|mowia|traktuje|traktuja|byl|opowiada) (?:\w+ ){0,2}?(?:"
    + _DOC
    + r"|to|ten|ta)\b",
    r"\bo czym (?:to )?(?:jest|mowi|traktuje)\s*\??$",
    r"\bstresc\w*",
    r"\bpodsumuj\w*",
    r"\bstreszczeni\w*",
    r"\bczego dotycz\w* (?:ten |te |ta )?" + _DOC,
    r"\bglowne (?:punkty|tematy|wnioski)\b",
    r"\bnoi ve (?:gi|dieu gi|van de gi|chuyen gi|nhung gi)\b",
    r"\btom tat\b",
    r"\bnoi dung (?:chinh|chu yeu)\b",
)
_TOTAL = _any(
    r"\b(?:in|across|for|of|by|from) (?:all|every|each) (?:the |of the )?" + _PLACES + r"\b",
    r"\ball (?:the )?" + _PLACES + r" (?:together|combined)\b",
    r"\b(?:total|altogether|combined|together|sum|overall)\b.*\b(?:all|every)\b.*\b"
    + _PLACES
    + r"\b",
    r"\b(?:lacznie|razem|w sumie|ogolem|sumarycznie)\b.*\b" + _PLACES + r"\b",
    r"\b" + _PLACES + r"\b.*\b(?:lacznie|razem|w sumie|ogolem|sumarycznie)\b",
    r"\bwe? wszystkich " + _PLACES + r"\b",
    r"\b(?:tong cong|tong so|cong lai)\b",
    r"\b(?:tat ca|ca) (?:cac |nhung )?" + _PLACES + r"\b",
)
_COMPARE = _any(
    r"\b(?:which|what) " + _PLACES + r"\b.*\b(?:most|least|highest|lowest|largest|smallest|"
    r"biggest|more|fewer|fewest|less|best|worst|top)\b",
    r"^(?:please )?(?:compare|rank)\b",
    r"\b(?:top|bottom) \d+ " + _PLACES + r"\b",
    r"\b(?:compare|comparison of|rank|ranking of) (?:the |all )?" + _PLACES + r"\b",
    r"\b(?:ktory|ktora|ktore|ktorym|ktorej|ktorych|jaki|jakie)\b.*\b" + _PLACES + r"\b.*"
    r"\b(?:najwiecej|najmniej|najwyzs\w*|najnizs\w*|najwieks\w*|najmniejs\w*|wiecej|mniej)\b",
    r"\b(?:najwiecej|najmniej|najwyzs\w*|najnizs\w*|najwieks\w*|najmniejs\w*)\b.*\b"
    r"(?:ktory|ktora|ktore|ktorym|ktorej|ktorych)\b.*\b" + _PLACES + r"\b",
    r"^(?:prosze )?porownaj\w*",
    r"\bporownani\w* (?:\w+ )?" + _PLACES + r"\b",
    r"\b(?:huyen|bao cao|thanh pho|tinh|dia phuong) nao\b.*\b(?:nhat|hon)\b",
    r"^(?:hay )?(?:so sanh|xep hang)\b",
    r"\b(?:so sanh|xep hang) (?:cac |giua )?" + _PLACES + r"\b",
)
# "Which city has the largest population in Poland?" compares within one named place: a
# single fact, not a comparison of the reports.
_NAMED_SCOPE = re.compile(r"\b(?:in|within|w|we|ở|tại|trong)\s+(?:the\s+)?[A-ZÀ-ỸĐŁŚŻŹĆ]\w")
# A question that opens by asking to compare compares, whatever places it names ("Compare
# the number of models in Ly Nhan and Thanh Liem.").
_ASKS_TO_COMPARE = re.compile(
    r"^(?:please |prosze |hay )?(?:compare|rank|porownaj|so sanh|сравни|сопостав|ранжируй)"
)
_LEAST = re.compile(
    r"\b(?:least|fewest|lowest|smallest|fewer|less|worst|najmniej|najnizs\w*|najmniejs\w*|"
    r"mniej|it (?:\w+ ){0,3}?nhat|thap nhat|nho nhat|it hon)\b"
)
_LIST = _any(
    r"^(?:please )?(?:list|enumerate)\b",
    r"\bwhat (?:are|were|will be) (?:the |its |their )?(?:\w+ ){0,2}?(?:tasks|goals|targets|"
    r"priorities|measures|steps|activities|solutions|objectives|organi[sz]ations|directions)\b",
    r"\bwhich organi[sz]ations\b",
    r"^(?:prosze )?(?:wymien|wylicz)\w*",
    r"\bjakie (?:sa |byly |beda )?(?:\w+ ){0,2}?(?:zadania|cele|priorytety|dzialania|kroki|"
    r"rozwiazania|organizacje|kierunki)\b",
    r"\bktore organizacje\b",
    r"\bliet ke\b",
    r"\b(?:nhung|cac) (?:nhiem vu|muc tieu|giai phap|hoat dong|to chuc|bien phap|"
    r"phuong huong)\b(?: \w+){0,6} (?:la gi|nao|gom nhung gi)\s*\??$",
)


_BARE_TOTAL = _any(
    r"^(?:and |so )?(?:what (?:is|about) )?(?:the |in )?(?:total|sum|overall|altogether)\s*\??$",
    r"^(?:a )?(?:ile )?(?:lacznie|razem|w sumie|suma|ogolem)\s*\??$",
    r"^(?:con )?(?:tong|tong cong|tong so)(?: thi sao| la bao nhieu)?\s*\??$",
)
_SUPERLATIVE = re.compile(
    r"\b(?:most|least|highest|lowest|largest|smallest|biggest|najwiecej|najmniej|najwyzs\w*|"
    r"najnizs\w*|najwieks\w*|najmniejs\w*|nhieu nhat|it nhat|cao nhat|thap nhat|lon nhat)\b"
)


def followup_reading(question: str) -> Reading | None:
    """The kind a short follow-up switches to: "And the total?", "And which has the most?",
    "A łącznie?", "Còn tổng cộng?" (None when it asks no such thing)."""
    reading = classify(question)
    if reading.kind in ACROSS:
        return reading
    text = " ".join(fold(question).split())
    if _BARE_TOTAL.search(text):
        return Reading("total")
    if _SUPERLATIVE.search(text):
        return Reading("compare", least=bool(_LEAST.search(text)))
    return None


# What makes a question one across reports rather than about one: removed before each
# report is asked it on its own ("How many models were replicated in all districts?" is
# "How many models were replicated?" asked of every report).
_SCOPE = _any(
    r"\((?:in total|compare the reports|lacznie|porownaj raporty|tong cong|so sanh)[^)]*\)",
    r"\b(?:in|across|for|of|by|from) (?:all|every|each) (?:the |of the )?" + _PLACES + r"\b",
    r"\ball (?:the )?" + _PLACES + r"(?: together| combined)?\b",
    r"\b(?:in total|altogether|combined|together|overall|in all|(?:the )?total)\b",
    r"\b(?:which|what) " + _PLACES + r"\b",
    r"\b(?:the )?(?:most|least|highest|lowest|largest|smallest|biggest|fewest)\b",
    r"^(?:please )?(?:compare|rank) (?:the )?" + _PLACES + r"(?: by| on)?\b",
    r"\b(?:lacznie|razem|w sumie|ogolem|sumarycznie)\b",
    r"\bwe? wszystkich " + _PLACES + r"\b",
    r"\b(?:w )?(?:ktory|ktora|ktore|ktorym|ktorej|ktorych) " + _PLACES + r"\b",
    r"\b(?:najwiecej|najmniej|najwyzs\w*|najnizs\w*|najwieks\w*|najmniejs\w*)\b",
    r"^(?:prosze )?porownaj\w* (?:\w+ )?" + _PLACES + r"(?: pod wzgledem)?\b",
    r"\b(?:tong cong|tong so|cong lai)\b",
    r"\b(?:o |cua )?(?:tat ca|ca) (?:cac |nhung )?" + _PLACES + r"\b",
    r"\b" + _PLACES + r" nao\b",
    r"\b(?:nhieu nhat|it nhat|cao nhat|thap nhat|lon nhat|nhat)\b",
    r"^(?:hay )?(?:so sanh|xep hang) (?:cac |giua )?" + _PLACES + r"(?: ve)?\b",
)


def single_report_question(question: str) -> str:
    """The question as asked of one report: its across-reports words removed."""
    folded, origin = [], []
    for i, ch in enumerate(question):
        for f in fold(ch):
            folded.append(f)
            origin.append(i)
    text = "".join(folded)
    keep = [True] * len(question)
    for match in _SCOPE.finditer(text):
        if match.end() > match.start():
            for i in range(origin[match.start()], origin[match.end() - 1] + 1):
                keep[i] = False
    core = "".join(ch for ch, k in zip(question, keep, strict=True) if k)
    core = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(core.split()))
    core = re.sub(r"^[\s,;:]+|[\s,;:]+(?=[?.!]?$)", "", core)
    return core[:1].upper() + core[1:] if core else question


def marked(question: str, reading: Reading, language: str) -> str:
    """`question` asked as the kind of `reading` (for follow-ups across kinds)."""
    markers = _MARKERS[(reading.kind, reading.least)]
    return f"{question.rstrip()} {markers.get(language, markers['en'])}"


def classify(question: str, wants_figure: bool = False) -> Reading:
    """How to read `question`; `wants_figure` tells a figure question from a fact one."""
    text = " ".join(fold(question).replace("’", "'").split())
    for (kind, least), markers in _MARKERS.items():
        if any(text.endswith(fold(m)) for m in markers.values()):
            return Reading(kind, least=least)  # type: ignore[arg-type]
    if _REPORTS.search(text):
        return Reading("reports")
    if _ABOUT_REPORT.search(text):
        for field, pattern in (("author", _AUTHOR), ("date", _DATE), ("source", _SOURCE)):
            if pattern.search(text):
                return Reading("metadata", field=field)
    if _SUMMARY.search(text):
        return Reading("summary")
    # An instruction to compare compares, whatever else it names ("So sánh tất cả các báo
    # cáo: …" names all the reports, as totals do).
    if _ASKS_TO_COMPARE.search(text):
        return Reading("compare", least=bool(_LEAST.search(text)))
    if _TOTAL.search(text) or _BARE_TOTAL.search(text):
        return Reading("total")
    if _COMPARE.search(text) and (
        _ASKS_TO_COMPARE.search(text) or not _NAMED_SCOPE.search(question)
    ):
        return Reading("compare", least=bool(_LEAST.search(text)))
    if _LIST.search(text):
        return Reading("list")
    return Reading("figure" if wants_figure else "fact")


#: The learned reading (`benchmarks/train_kinds.py`): one-vs-rest logistic models over the
#: question's e5 vector and the cue features below.
KIND_MODEL = Path(__file__).parent.parent / "data" / "kinds.json"
#: The classes it tells apart: fact and figure are one class, "single", split afterwards by
#: the figure cue the answer models use too (`asks_for_quantity`).
CLASSES = ("single", "summary", "metadata", "reports", "list", "compare", "total")
CUES = (
    "marker",
    "reports",
    "about_report",
    "author",
    "date",
    "source",
    "summary",
    "total",
    "bare_total",
    "compare",
    "asks_to_compare",
    "named_scope",
    "list",
    "least",
    "quantity",
    "condition",
    *(f"cue_{kind}" for kind in CLASSES),
)


def cue_features(question: str) -> np.ndarray:
    """What the hand-written cue lists say of a question, as numbers (features of the
    learned reading; they do not decide alone)."""
    from bot.question.figures import asks_for_quantity

    text = " ".join(fold(question).replace("’", "'").split())
    marker = any(text.endswith(fold(m)) for markers in _MARKERS.values() for m in markers.values())
    cue = classify(question).kind
    cue = "single" if cue in SINGLE else cue
    values = [
        marker,
        _REPORTS.search(text),
        _ABOUT_REPORT.search(text),
        _AUTHOR.search(text),
        _DATE.search(text),
        _SOURCE.search(text),
        _SUMMARY.search(text),
        _TOTAL.search(text),
        _BARE_TOTAL.search(text),
        _COMPARE.search(text),
        _ASKS_TO_COMPARE.search(text),
        _NAMED_SCOPE.search(question),
        _LIST.search(text),
        _LEAST.search(text),
        asks_for_quantity(question),
        _CONDITION.search(text),
        *(cue == kind for kind in CLASSES),
    ]
    return np.asarray([float(bool(v)) for v in values])


# A condition on figures ("fewer than 50", "mniej niż 50", "ít hơn 50"): a cue of tables.
_CONDITION = re.compile(
    r"\b(?:fewer|less|more|greater) than \d|\b(?:at least|at most|between) \d|"
    r"\b(?:mniej|wiecej) niz \d|\bco (?:najmniej|najwyzej) \d|\b(?:it hon|nhieu hon|duoi|tren) \d"
    r"|\btop \d"
)


@dataclass
class KindModel:
    """The learned reading: a logistic model per class over one standardisation."""

    embedder: str
    models: dict[str, LogisticModel]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of each class (columns in CLASSES order) for each row."""
        return np.stack([self.models[k].logits(rows) for k in CLASSES], axis=1)

    def to_dict(self) -> dict:
        """The shipped JSON form."""
        return {
            "embedder": self.embedder,
            "models": {k: m.to_dict() for k, m in self.models.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> KindModel:
        """Read the form `to_dict` writes."""
        models = {k: LogisticModel.from_dict(m) for k, m in data["models"].items()}
        return cls(str(data["embedder"]), models)


@functools.cache
def kind_model(path: Path = KIND_MODEL) -> KindModel | None:
    """The shipped kind model (None before it is fitted)."""
    if not path.exists():
        return None
    return KindModel.from_dict(json.loads(path.read_text("utf-8")))


def kind_row(question: str, vector: np.ndarray) -> np.ndarray:
    """The learned reading's features: the e5 query vector, then the cue features."""
    return np.concatenate([np.asarray(vector, dtype=np.float64), cue_features(question)])


def read(question: str, vector: np.ndarray | None, embedder: str, wants_figure: bool) -> Reading:
    """How to read `question`, by the learned model when it was fitted with this embedder
    (else by the cues alone): its kind, the metadata field asked and whether a comparison
    asks for the least."""
    model = kind_model()
    text = " ".join(fold(question).replace("’", "'").split())
    for (kind, least), markers in _MARKERS.items():  # a follow-up's own marker, appended by us
        if any(text.endswith(fold(m)) for m in markers.values()):
            return Reading(kind, least=least)  # type: ignore[arg-type]
    head, colon, rest = text.partition(":")
    if colon and rest.strip() and _ASKS_TO_COMPARE.search(head):
        # An instruction before a colon ("Compare all reports: …", "Сравните все отчёты: …")
        # says the kind in words, like a follow-up's marker; the model knows no Russian.
        return Reading("compare", least=bool(_LEAST.search(text)))
    if model is None or vector is None or model.embedder != embedder:
        return classify(question, wants_figure)
    scores = model.scores(kind_row(question, vector)[None, :])[0]
    kind = CLASSES[int(np.argmax(scores))]
    if kind == "single":
        return Reading("figure" if wants_figure else "fact")
    if kind == "metadata":
        return Reading("metadata", field=_field(text))
    return Reading(kind, least=kind == "compare" and bool(_LEAST.search(text)))  # type: ignore[arg-type]


def _field(text: str) -> str:
    """The metadata a question asks for: the author, the date or the source."""
    for field, pattern in (("author", _AUTHOR), ("date", _DATE), ("source", _SOURCE)):
        if pattern.search(text):
            return field
    if re.search(r"\b(?:who|whose|kto|czyj\w*|ai)\b", text):
        return "author"
    if re.search(r"\b(?:when|date|kiedy|dat\w+|ngay|khi nao|luc nao)\b", text):
        return "date"
    return "source"
