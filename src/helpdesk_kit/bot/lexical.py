"""The default intent backend: TF-IDF lexical features and an averaged passive-aggressive model.

Pure Python, no third-party dependencies. Training is a multiclass
passive-aggressive (PA-I) learner on L2-normalised sublinear TF-IDF vectors,
with weight averaging (the averaged-perceptron trick) for stability; the
example order is shuffled by a seeded ``random.Random`` so training is
deterministic. Weights are stored sparsely (feature → {class index: weight}),
which keeps both scoring and the saved model small.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from helpdesk_kit.bot.features import FeatureExtractor
from helpdesk_kit.errors import InvalidInput, NotFitted

__all__ = ["LexicalBackend"]

_FORMAT_VERSION = 1


class LexicalBackend:
    """Sparse lexical features + averaged passive-aggressive linear model (the default backend)."""

    name = "lexical"

    def __init__(
        self,
        *,
        epochs: int = 10,
        aggressiveness: float = 1.0,
        margin: float = 1.0,
        seed: int = 0,
        extra_tokens: Callable[[str], Iterable[str]] | None = None,
    ) -> None:
        """Configure training; ``extra_tokens`` adds a further token source to the features."""
        if epochs < 1:
            raise InvalidInput(f"epochs must be at least 1, got {epochs}")
        if aggressiveness <= 0 or margin <= 0:
            raise InvalidInput("aggressiveness and margin must be positive")
        self.epochs = epochs
        self.aggressiveness = aggressiveness
        self.margin = margin
        self.seed = seed
        self.features = FeatureExtractor(extra_tokens)
        self.labels: list[str] = []
        self.idf: dict[str, float] = {}
        self.weights: dict[str, dict[int, float]] = {}
        self.bias: list[float] = []

    @property
    def fitted(self) -> bool:
        """True once ``fit`` has run."""
        return bool(self.labels)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train from scratch on ``texts`` and their ``labels``, discarding earlier training."""
        if len(texts) != len(labels):
            raise InvalidInput(f"got {len(texts)} texts but {len(labels)} labels")
        if not texts:
            raise InvalidInput("cannot fit on no examples")
        label_list = sorted(set(labels))
        index = {label: i for i, label in enumerate(label_list)}
        counts = [self.features.counts(t) for t in texts]

        df: dict[str, int] = {}
        for c in counts:
            for key in c:
                df[key] = df.get(key, 0) + 1
        n_docs = len(texts)
        idf = {k: math.log((1 + n_docs) / (1 + d)) + 1.0 for k, d in df.items()}

        # Features become integer ids so the inner loop indexes lists instead of hashing strings.
        feature_names = sorted(idf)
        feature_id = {name: i for i, name in enumerate(feature_names)}
        vectors: list[list[tuple[int, float]]] = []
        for c in counts:
            weighted = {k: (1.0 + math.log(v)) * idf[k] for k, v in c.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            vectors.append([(feature_id[k], w / norm) for k, w in weighted.items()])
        targets = [index[label] for label in labels]

        n_classes = len(label_list)
        classes = range(n_classes)
        weights: list[dict[int, float]] = [{} for _ in feature_names]
        accumulated: list[dict[int, float]] = [{} for _ in feature_names]
        bias = [0.0] * n_classes
        bias_acc = [0.0] * n_classes
        rng = random.Random(self.seed)
        order = list(range(n_docs))
        margin = self.margin
        cap = self.aggressiveness
        step_count = 1
        for _ in range(self.epochs):
            rng.shuffle(order)
            for i in order:
                x = vectors[i]
                y = targets[i]
                scores = bias[:]
                for fid, value in x:
                    for cls, w in weights[fid].items():
                        scores[cls] += w * value
                true_score = scores[y]
                scores[y] = -math.inf
                rival = max(classes, key=scores.__getitem__)
                loss = margin - (true_score - scores[rival])
                if loss > 0:
                    # PA-I step; the update touches two classes, ||x||^2 = 1 (+1 for the bias).
                    tau = min(cap, loss / 4.0)
                    scaled = tau * step_count
                    for fid, value in x:
                        row = weights[fid]
                        acc = accumulated[fid]
                        delta = tau * value
                        row[y] = row.get(y, 0.0) + delta
                        row[rival] = row.get(rival, 0.0) - delta
                        delta = scaled * value
                        acc[y] = acc.get(y, 0.0) + delta
                        acc[rival] = acc.get(rival, 0.0) - delta
                    bias[y] += tau
                    bias[rival] -= tau
                    bias_acc[y] += scaled
                    bias_acc[rival] -= scaled
                step_count += 1

        averaged: dict[str, dict[int, float]] = {}
        for fid, row in enumerate(weights):
            acc = accumulated[fid]
            avg_row = {}
            for cls, w in row.items():
                value = w - acc[cls] / step_count
                if abs(value) > 1e-9:
                    avg_row[cls] = value
            if avg_row:
                averaged[feature_names[fid]] = avg_row
        self.labels = label_list
        self.idf = {k: v for k, v in idf.items() if k in averaged}
        self.weights = averaged
        self.bias = [b - a / step_count for b, a in zip(bias, bias_acc, strict=True)]

    def predict_scores(self, text: str) -> dict[str, float]:
        """Return the linear score of every label for ``text`` (higher is more likely)."""
        if not self.labels:
            raise NotFitted("the lexical backend is not fitted; call fit() first")
        scores = list(self.bias)
        weights = self.weights
        for key, value in self.features.vector(text, self.idf).items():
            row = weights.get(key)
            if row:
                for cls, w in row.items():
                    scores[cls] += w * value
        return dict(zip(self.labels, scores, strict=True))

    def predict_scores_many(self, texts: Iterable[str]) -> list[dict[str, float]]:
        """Return ``predict_scores`` for each text."""
        return [self.predict_scores(t) for t in texts]

    def to_dict(self) -> dict[str, Any]:
        """Return the trained model as JSON-serialisable data."""
        if not self.labels:
            raise NotFitted("the lexical backend is not fitted; nothing to save")
        return {
            "version": _FORMAT_VERSION,
            "params": {
                "epochs": self.epochs,
                "aggressiveness": self.aggressiveness,
                "margin": self.margin,
                "seed": self.seed,
            },
            "labels": list(self.labels),
            "bias": [round(b, 7) for b in self.bias],
            "idf": {k: round(v, 6) for k, v in self.idf.items()},
            "weights": {
                k: {str(c): round(w, 7) for c, w in row.items()} for k, row in self.weights.items()
            },
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        extra_tokens: Callable[[str], Iterable[str]] | None = None,
    ) -> LexicalBackend:
        """Rebuild a trained backend from ``to_dict`` output."""
        try:
            if data["version"] != _FORMAT_VERSION:
                raise InvalidInput(
                    f"lexical model format version {data['version']!r} is not supported "
                    f"(expected {_FORMAT_VERSION})"
                )
            params = data["params"]
            backend = cls(
                epochs=int(params["epochs"]),
                aggressiveness=float(params["aggressiveness"]),
                margin=float(params["margin"]),
                seed=int(params["seed"]),
                extra_tokens=extra_tokens,
            )
            labels = [str(label) for label in data["labels"]]
            n = len(labels)
            bias = [float(b) for b in data["bias"]]
            weights: dict[str, dict[int, float]] = {}
            for key, row in data["weights"].items():
                parsed = {int(c): float(w) for c, w in row.items()}
                if any(not 0 <= c < n for c in parsed):
                    raise InvalidInput(f"lexical model weight for {key!r} names an unknown class")
                weights[str(key)] = parsed
            idf = {str(k): float(v) for k, v in data["idf"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"not a saved lexical intent model: {exc!r}") from exc
        if len(bias) != n or n < 2:
            raise InvalidInput("saved lexical model has inconsistent labels and biases")
        backend.labels = labels
        backend.bias = bias
        backend.weights = weights
        backend.idf = idf
        return backend
