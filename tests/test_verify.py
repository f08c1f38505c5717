"""Citation verification on hand-made contexts."""

from __future__ import annotations

from bot.facts.verify import verify
from bot.models import Context, Sentence


def ctx(n: int, text: str) -> Context:
    return Context(
        id=f"p{n}",
        source="r.txt",
        paragraph=n,
        text=text,
        score=0.8,
        dense=0.8,
        sentences=[Sentence(text=text, score=0.8)],
    )


CONTEXTS = [
    ctx(1, "Powielono 109 modeli."),
    ctx(2, "Przekazano 2,3 miliarda VND."),
    ctx(3, "Zorganizowano 15 000 spotkań."),
    ctx(4, "Bez liczb."),
]


def test_markers_renumbered_and_invalid_removed() -> None:
    checked = verify("Money: 2.3 billion [2]. Models: 109 [1] [9].", CONTEXTS)
    assert checked.text == "Money: 2.3 billion [1]. Models: 109 [2]."
    assert [c.paragraph for c in checked.citations] == [2, 1]
    assert checked.removed_markers == [9]
    assert checked.ok


def test_figure_not_in_cited_text_is_flagged() -> None:
    checked = verify("Models: 110 [1].", CONTEXTS)
    assert checked.unsupported_figures == ["110"]
    assert not checked.ok


def test_figure_cited_from_the_wrong_paragraph_is_flagged() -> None:
    assert not verify("Models: 109 [2].", CONTEXTS).ok


def test_thousands_separators_match() -> None:
    assert verify("15,000 meetings [3].", CONTEXTS).ok


def test_no_citation_is_not_ok() -> None:
    assert not verify("Nothing cited here.", CONTEXTS).ok
