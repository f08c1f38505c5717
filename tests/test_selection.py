"""The fitted models: deterministic fits, the shipped weights file, its operating points."""

from __future__ import annotations

import numpy as np

from bot.facts.features import FIGURE_FEATURES, QUESTION_FEATURES, SENTENCE_FEATURES
from bot.facts.selection import AnswerModels, LogisticModel, shipped_models


def _data(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(400, 3))
    labels = (rows[:, 0] - 0.5 * rows[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(float)
    return rows, labels


def test_logistic_fit_is_deterministic_and_finds_the_signal() -> None:
    rows, labels = _data()
    a = LogisticModel.fit(rows, labels, ("a", "b", "c"))
    b = LogisticModel.fit(rows, labels, ("a", "b", "c"))
    assert np.array_equal(a.weights, b.weights)
    assert a.weights[0] > 1 and a.weights[1] < 0 and abs(a.weights[2]) < 0.3


def test_listwise_fit_ranks_the_positive_first() -> None:
    rng = np.random.default_rng(5)
    groups = []
    for _ in range(200):
        rows = rng.normal(size=(6, 2))
        labels = np.zeros(6)
        labels[int(np.argmax(rows[:, 0] + 0.3 * rng.normal(size=6)))] = 1
        groups.append((rows, labels))
    model = LogisticModel.fit_listwise(groups, ("signal", "noise"))
    hits = [labels[int(np.argmax(model.logits(rows)))] for rows, labels in groups]
    assert np.mean(hits) > 0.8
    assert model.weights[0] > 5 * abs(model.weights[1])


def test_round_trip_keeps_the_scores() -> None:
    rows, labels = _data()
    model = LogisticModel.fit(rows, labels, ("a", "b", "c"))
    again = LogisticModel.from_dict(model.to_dict())
    assert np.allclose(model.logits(rows), again.logits(rows), atol=1e-6)


def test_shipped_weights_name_the_features_the_code_computes() -> None:
    models = shipped_models()
    assert isinstance(models, AnswerModels)
    assert set(models.sentence.features) <= set(SENTENCE_FEATURES)
    assert set(models.refusal.features) <= set(QUESTION_FEATURES)
    assert models.figure.features == FIGURE_FEATURES
    assert {"same", "cross"} <= set(models.thresholds)
    assert 0 < models.second_sentence <= 1
    # Unseen language combinations fall back to the general operating points.
    assert models.threshold("de", "de") == models.thresholds["same"]
    assert models.threshold("de", "pl") == models.thresholds["cross"]
