"""What a report is about: the place and the year it reports on, for questions across reports
("Kim Bang: 109 [1], Ly Nhan: 64 [2]") and for picking the report a question names.

Read from the file name first (reports are usually saved as "kim-bang-2023.txt"), then from
the title and the lead, where the place stands next to a word for an administrative unit.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePosixPath

from indexing.figures import YEAR
from indexing.models import Report
from indexing.text import fold

#: Words for an administrative unit, folded, that stand next to a place's name.
_UNIT_BEFORE = re.compile(
    r"\b(?:dystrykt\w*|powiat\w*|rejon\w*|gmin\w*|miast\w*|prowincj\w*|wojewodztw\w*|"
    r"huyen|thanh pho|thi xa|tinh|xa|quan|phuong|district of|city of|province of)\s+$"
)
_UNIT_AFTER = re.compile(r"^\s+(?:district|city|province|town|commune|county)\b")


def _runs(text: str) -> list[list[str]]:
    """Runs of capitalised words, each a list of words as written."""
    runs: list[list[str]] = []
    run: list[str] = []
    for match in re.finditer(r"[^\W\d_][\w'’]*|\S", text):
        word = match.group(0)
        if word[:1].isupper() and word[:1].isalpha():
            run.append(word)
            continue
        if run:
            runs.append(run)
        run = []
    if run:
        runs.append(run)
    return runs


def _ngrams(run: list[str]) -> list[str]:
    return [" ".join(run[i:j]) for i in range(len(run)) for j in range(i + 1, len(run) + 1)]


def report_place(report: Report) -> str | None:
    """The place a report is about, as written in it (None when nothing says)."""
    head = [p.text for p in report.paragraphs[:3] if p.kind != "byline"]
    text = "\n".join([report.title, *head])
    candidates = Counter(g for run in _runs(text) for g in _ngrams(run))
    if not candidates:
        return None
    stem = " ".join(re.findall(r"[^\W\d_]+", fold(PurePosixPath(report.source).stem)))
    in_name = [g for g in candidates if len(fold(g)) > 2 and f" {fold(g)} " in f" {stem} "]
    if in_name:
        return max(in_name, key=lambda g: (len(g.split()), candidates[g]))
    folded = fold(text)
    beside = []
    for g in candidates:
        for match in re.finditer(re.escape(fold(g)), folded):
            if _UNIT_BEFORE.search(folded[: match.start()]) or _UNIT_AFTER.match(
                folded[match.end() :]
            ):
                beside.append(g)
                break
    if beside:
        # The whole name, not a part of it: "Kim Bang", not "Bang".
        return max(beside, key=lambda g: (len(g.split()), candidates[g]))
    return None


def report_year(report: Report) -> int | None:
    """The year a report is about: the file name's, else the earliest of the most frequent
    years of its title and lead (a January 2024 review of 2023 says both)."""
    named = YEAR.findall(PurePosixPath(report.source).stem)
    if named:
        return int(named[0])
    head = [p.text for p in report.paragraphs[:3] if p.kind != "byline"]
    years = Counter(int(y) for y in re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", " ".join(head)))
    if not years:
        return None
    top = max(years.values())
    return min(y for y, n in years.items() if n == top)
