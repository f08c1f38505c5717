"""The fitted answer models: which sentence answers, and whether to answer at all.

- The sentence model is a linear scorer fitted listwise (softmax over one question's
  candidate sentences), because choosing one sentence among candidates is the task.
- The refusal model is a logistic regression over question-level evidence; the thresholds
  are the operating point (false refusals at most a few percent on every public dev pair).
Both are fitted on public QA sets by `benchmarks/train_answerer.py` (cross-validated by
article) and shipped as a small JSON file (`bot/data/answerer.json`). Only numpy is needed to
use or to fit them: Newton's method with a line search on standardised features and an L2
penalty, deterministic, so the training script reproduces the shipped weights.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).parent.parent / "data" / "answerer.json"


@dataclass
class LogisticModel:
    """A standardised logistic regression over named features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds for each row (rows hold the model's features, in order)."""
        return ((rows - self.mean) / self.scale) @ self.weights + self.bias

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Probabilities for each row."""
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    @classmethod
    def fit(
        cls,
        rows: np.ndarray,
        labels: np.ndarray,
        features: tuple[str, ...],
        l2: float = 1.0,
        sample_weight: np.ndarray | None = None,
    ) -> LogisticModel:
        """Fit by Newton's method (L2 on the weights, not the bias)."""
        rows = np.asarray(rows, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.float64)
        weight = np.ones(len(rows)) if sample_weight is None else np.asarray(sample_weight, float)
        mean = rows.mean(axis=0)
        scale = rows.std(axis=0)
        scale[scale < 1e-9] = 1.0
        x = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
        penalty = np.full(x.shape[1], l2)
        penalty[-1] = 0.0
        beta = np.zeros(x.shape[1])
        for _ in range(100):
            p = 1.0 / (1.0 + np.exp(-(x @ beta)))
            gradient = x.T @ (weight * (p - labels)) + penalty * beta
            hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
            step = np.linalg.solve(hessian, gradient)
            beta -= step
            if np.max(np.abs(step)) < 1e-10:
                break
        return cls(tuple(features), mean, scale, beta[:-1], float(beta[-1]))

    @classmethod
    def fit_listwise(
        cls,
        groups: list[tuple[np.ndarray, np.ndarray]],
        features: tuple[str, ...],
        l2: float = 1.0,
    ) -> LogisticModel:
        """Fit a scorer whose softmax over each group's rows puts mass on the positive rows.

        `groups` holds (rows, labels) per question; groups without a positive are skipped.
        """
        stacked = np.vstack([rows for rows, _ in groups])
        mean = stacked.mean(axis=0)
        scale = stacked.std(axis=0)
        scale[scale < 1e-9] = 1.0
        data = [
            ((np.asarray(rows, float) - mean) / scale, labels / labels.sum())
            for rows, labels in groups
            if labels.sum() > 0
        ]

        def loss(w: np.ndarray) -> float:
            total = 0.5 * l2 * float(w @ w)
            for x, target in data:
                s = x @ w
                top = s.max()
                total -= float(target @ (s - top - np.log(np.exp(s - top).sum())))
            return total

        w = np.zeros(stacked.shape[1])
        current = loss(w)
        for _ in range(100):
            gradient = l2 * w
            hessian = l2 * np.eye(len(w))
            for x, target in data:
                e = np.exp(x @ w - (x @ w).max())
                p = e / e.sum()
                gradient = gradient + x.T @ (p - target)
                mean_x = p @ x
                hessian = hessian + (x * p[:, None]).T @ x - np.outer(mean_x, mean_x)
            step = np.linalg.solve(hessian, gradient)
            rate = 1.0
            while rate > 1e-6:  # plain Newton overshoots on these losses: back off
                candidate = loss(w - rate * step)
                if candidate <= current:
                    break
                rate /= 2
            w = w - rate * step
            improved = current - candidate
            current = candidate
            if improved < 1e-10:
                break
        return cls(tuple(features), mean, scale, w, 0.0)

    def to_dict(self) -> dict:
        """A JSON-ready form, rounded so the file is stable across platforms."""
        return {
            "features": list(self.features),
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "weights": [round(float(v), 8) for v in self.weights],
            "bias": round(self.bias, 8),
        }

    @classmethod
    def from_dict(cls, data: dict) -> LogisticModel:
        """Read the form written by `to_dict`."""
        return cls(
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
        )

    def select(self, rows: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """The columns of `rows` (named `names`) that this model uses."""
        return rows[:, [names.index(f) for f in self.features]]


@dataclass
class AnswerModels:
    """The sentence, refusal and figure models, and their operating points."""

    sentence: LogisticModel
    refusal: LogisticModel
    figure: LogisticModel
    #: Refusal thresholds: "same:<lang>" when the answer is in the question's language,
    #: "cross:<question lang>><answer lang>" across languages; "same" and "cross" serve
    #: languages the public sets do not cover.
    thresholds: dict[str, float]
    #: A runner-up sentence of the same paragraph is quoted too when its probability is at
    #: least this share of the best one's (the README shows the answer/length curve).
    second_sentence: float
    meta: dict
    #: Stricter thresholds for one report's figure in a table across reports, keyed as
    #: `thresholds` (fitted to tell answers from near misses; see the training script).
    table_thresholds: dict[str, float] = field(default_factory=dict)
    #: The refusal model of questions answered from a paragraph in another language (None:
    #: `refusal` serves both): evidence weighs differently across languages.
    refusal_cross: LogisticModel | None = None

    def refusal_model(self, question_language: str, answer_language: str) -> LogisticModel:
        """The refusal model for a question answered from a paragraph."""
        if question_language != answer_language and self.refusal_cross is not None:
            return self.refusal_cross
        return self.refusal

    def threshold(self, question_language: str, answer_language: str) -> float:
        """The refusal threshold for a question answered from a paragraph."""
        if question_language != answer_language:
            key = f"cross:{question_language}>{answer_language}"
            return self.thresholds.get(key, self.thresholds["cross"])
        return self.thresholds.get(f"same:{question_language}", self.thresholds["same"])

    def table_threshold(self, question_language: str, answer_language: str) -> float:
        """The threshold for a report's figure in a table across reports."""
        if not self.table_thresholds:
            return self.threshold(question_language, answer_language)
        table = self.table_thresholds
        if question_language != answer_language:
            return table.get(f"cross:{question_language}>{answer_language}", table["cross"])
        return table.get(f"same:{question_language}", table["same"])

    def to_dict(self) -> dict:
        """The shipped JSON form."""
        return {
            "sentence": self.sentence.to_dict(),
            "refusal": self.refusal.to_dict(),
            **({"refusal_cross": self.refusal_cross.to_dict()} if self.refusal_cross else {}),
            "figure": self.figure.to_dict(),
            "thresholds": {k: round(v, 8) for k, v in sorted(self.thresholds.items())},
            "table_thresholds": {k: round(v, 8) for k, v in sorted(self.table_thresholds.items())},
            "second_sentence": self.second_sentence,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict) -> AnswerModels:
        """Read the shipped JSON form."""
        return cls(
            sentence=LogisticModel.from_dict(data["sentence"]),
            refusal=LogisticModel.from_dict(data["refusal"]),
            figure=LogisticModel.from_dict(data["figure"]),
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            second_sentence=float(data["second_sentence"]),
            meta=dict(data.get("meta", {})),
            table_thresholds={k: float(v) for k, v in data.get("table_thresholds", {}).items()},
            refusal_cross=(
                LogisticModel.from_dict(data["refusal_cross"]) if "refusal_cross" in data else None
            ),
        )


@functools.cache
def shipped_models(path: Path = WEIGHTS) -> AnswerModels:
    """The models shipped with reportqa (read once per process)."""
    return AnswerModels.from_dict(json.loads(path.read_text("utf-8")))
