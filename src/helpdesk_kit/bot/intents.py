"""The bot's intent classifier: a backend scores intents; calibration turns scores into confidence.

``IntentClassifier`` owns everything that is the same for every backend:
validating training data, cross-validated calibration (a temperature for the
softmax and the out-of-scope threshold), predictions with alternatives, and
persistence. A backend only has to ``fit(texts, labels)`` from scratch and
return ``predict_scores(text)`` — one real-valued score per label, higher
meaning more likely (logits, log-probabilities or similarities all work).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

from helpdesk_kit.bot.calibration import (
    ThresholdExample,
    choose_threshold,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from helpdesk_kit.bot.features import normalize_text
from helpdesk_kit.bot.lexical import LexicalBackend
from helpdesk_kit.errors import ConfigurationError, InvalidInput, NotFitted

__all__ = [
    "OUT_OF_SCOPE",
    "Calibration",
    "IntentBackend",
    "IntentClassifier",
    "Prediction",
    "SavableBackend",
]

#: Label for training examples the bot should not handle (chit-chat, other topics).
#: They are learnt as a class of their own; a prediction never returns it as an intent.
OUT_OF_SCOPE = "out_of_scope"

_FORMAT = "helpdesk_kit.bot.intents"
_FORMAT_VERSION = 1


@runtime_checkable
class IntentBackend(Protocol):
    """What a scoring backend must do: train from scratch, then score every label for a text."""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train from scratch on ``texts`` and their ``labels``, discarding earlier training."""
        ...

    def predict_scores(self, text: str) -> Mapping[str, float]:
        """Return a score for every label seen in ``fit`` (higher is more likely)."""
        ...


@runtime_checkable
class SavableBackend(Protocol):
    """A backend that can be saved: a ``name`` and ``to_dict()``; loaded by a registered factory."""

    name: str

    def to_dict(self) -> dict[str, Any]:
        """Return the trained backend as JSON-serialisable data."""
        ...


@attrs.frozen
class Prediction:
    """The classifier's answer for one message.

    ``intent`` is ``None`` when the message is out of scope (the out-of-scope
    class won, or the best intent's confidence is below the threshold).
    ``confidence`` is the calibrated probability of the best in-scope intent,
    ``alternatives`` the best in-scope intents with their probabilities, best
    first (the first one is the best intent even when ``intent`` is ``None``).
    """

    intent: str | None
    confidence: float
    alternatives: list[tuple[str, float]] = attrs.field(factory=list)


@attrs.frozen
class Calibration:
    """What calibration found on held-out folds of the training data."""

    temperature: float
    threshold: float
    threshold_source: str  # "calibrated" or "fixed"
    folds: int
    examples: int
    out_of_scope_examples: int
    nll_uncalibrated: float
    nll_calibrated: float
    heldout_accuracy: float  # in-scope examples whose best intent was right, before the threshold


def _default_loaders() -> dict[str, Callable[[Mapping[str, Any]], IntentBackend]]:
    """Return the factories that rebuild the built-in backends from saved data."""

    def load_embedding(data: Mapping[str, Any]) -> IntentBackend:
        from helpdesk_kit.bot.embedding import EmbeddingBackend

        return EmbeddingBackend.from_dict(data)

    return {"lexical": LexicalBackend.from_dict, "embedding": load_embedding}


def _dedupe_key(text: str) -> str:
    """Return the key under which two training texts are the same (case, width, punctuation)."""
    norm = normalize_text(text)
    return " ".join(re.sub(r"[\W_]+", " ", norm).split()) or norm.strip()


def _clean_examples(examples: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Validate examples; a later example overrides an earlier one with the same ``_dedupe_key``."""
    problems: list[str] = []
    latest: dict[str, tuple[str, str]] = {}
    try:
        items = list(examples)
    except TypeError as exc:
        raise InvalidInput(f"examples must be an iterable of (text, intent) pairs: {exc}") from exc
    for i, item in enumerate(items):
        if not isinstance(item, tuple | list) or len(item) != 2:
            problems.append(f"example {i}: expected a (text, intent) pair, got {item!r}")
            continue
        text, intent = item
        if not isinstance(text, str) or not text.strip():
            problems.append(f"example {i}: text must be a non-empty string, got {text!r}")
            continue
        if not isinstance(intent, str) or not intent.strip():
            problems.append(f"example {i}: intent must be a non-empty string, got {intent!r}")
            continue
        key = _dedupe_key(text)
        latest.pop(key, None)  # re-insert so the dict keeps the latest position
        latest[key] = (text, intent.strip())
    if problems:
        raise InvalidInput("training examples are not usable:", problems)
    texts = [t for t, _ in latest.values()]
    labels = [label for _, label in latest.values()]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    intents = sorted(label for label in counts if label != OUT_OF_SCOPE)
    if len(intents) < 2:
        problems.append(
            f"need at least 2 intents (not counting {OUT_OF_SCOPE!r}), got {len(intents)}: "
            f"{intents}"
        )
    problems.extend(
        f"intent {label!r} has {n} example(s); give at least 2"
        for label, n in sorted(counts.items())
        if n < 2
    )
    if problems:
        raise InvalidInput("too little training data:", problems)
    return texts, labels


def _stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[int]:
    """Assign each example a fold so every label is spread evenly (deterministic for a seed)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    assignment = [0] * len(labels)
    offset = 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for j, i in enumerate(members):
            assignment[i] = (offset + j) % folds
        offset += len(members)
    return assignment


def _score_many(backend: IntentBackend, texts: Sequence[str]) -> list[Mapping[str, float]]:
    """Score texts, in one batch when the backend offers ``predict_scores_many``."""
    many = getattr(backend, "predict_scores_many", None)
    if callable(many):
        result = list(many(texts))
        if len(result) != len(texts):
            raise ConfigurationError(
                "backend.predict_scores_many returned the wrong number of rows"
            )
        return result
    return [backend.predict_scores(t) for t in texts]


class IntentClassifier:
    """Classifies customer messages into intents, with calibrated confidence and out-of-scope."""

    def __init__(
        self,
        backend: IntentBackend | None = None,
        *,
        threshold: float | None = None,
        calibration_folds: int = 3,
        oos_weight: float = 0.25,
        max_alternatives: int = 3,
        seed: int = 0,
    ) -> None:
        """Create an untrained classifier.

        ``backend`` defaults to :class:`LexicalBackend`. ``threshold`` fixes
        the out-of-scope threshold; by default it is chosen by calibration.
        ``oos_weight`` weighs out-of-scope recall against in-scope accuracy
        when the threshold is chosen (0.5 = equal weight).
        """
        if backend is not None and not isinstance(backend, IntentBackend):
            raise ConfigurationError(
                f"backend {backend!r} must have fit(texts, labels) and predict_scores(text)"
            )
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise InvalidInput(f"threshold must be within [0, 1], got {threshold}")
        if calibration_folds < 2:
            raise InvalidInput(f"calibration_folds must be at least 2, got {calibration_folds}")
        if not 0.0 <= oos_weight <= 1.0:
            raise InvalidInput(f"oos_weight must be within [0, 1], got {oos_weight}")
        if max_alternatives < 1:
            raise InvalidInput(f"max_alternatives must be at least 1, got {max_alternatives}")
        self.backend: IntentBackend = backend if backend is not None else LexicalBackend(seed=seed)
        self.fixed_threshold = threshold
        self.calibration_folds = calibration_folds
        self.oos_weight = oos_weight
        self.max_alternatives = max_alternatives
        self.seed = seed
        self.labels: list[str] = []
        self.calibration: Calibration | None = None

    # -- training -----------------------------------------------------------------------------

    @property
    def fitted(self) -> bool:
        """True once the classifier has been trained (or loaded)."""
        return self.calibration is not None

    @property
    def intents(self) -> list[str]:
        """The in-scope intents the classifier knows, sorted."""
        return [label for label in self.labels if label != OUT_OF_SCOPE]

    @property
    def threshold(self) -> float:
        """The confidence below which a prediction is out of scope."""
        if self.calibration is None:
            raise NotFitted("the intent classifier is not fitted; call fit() first")
        return self.calibration.threshold

    @property
    def temperature(self) -> float:
        """The softmax temperature found by calibration."""
        if self.calibration is None:
            raise NotFitted("the intent classifier is not fitted; call fit() first")
        return self.calibration.temperature

    def fit(self, examples: Iterable[tuple[str, str]]) -> IntentClassifier:
        """Train on ``(text, intent)`` pairs and calibrate; returns ``self``.

        Examples labelled ``OUT_OF_SCOPE`` teach what to reject. When the same
        text (after normalisation) occurs twice, the later label wins, so
        relabelled examples can simply be appended.
        """
        texts, labels = _clean_examples(examples)
        label_list = sorted(set(labels))
        index = {label: i for i, label in enumerate(label_list)}
        counts = [labels.count(label) for label in label_list]
        folds = max(2, min(self.calibration_folds, max(counts)))
        assignment = _stratified_folds(labels, folds, self.seed)

        rows: list[list[float]] = []
        targets: list[int] = []
        for fold in range(folds):
            train = [i for i, f in enumerate(assignment) if f != fold]
            held = [i for i, f in enumerate(assignment) if f == fold]
            if not held:
                continue
            self.backend.fit([texts[i] for i in train], [labels[i] for i in train])
            for i, scores in zip(
                held, _score_many(self.backend, [texts[i] for i in held]), strict=True
            ):
                rows.append(self._row(scores, label_list))
                targets.append(index[labels[i]])

        # A label missing from a fold's training gets -inf; keep rows where the truth is scorable.
        usable = [(r, t) for r, t in zip(rows, targets, strict=True) if r[t] != float("-inf")]
        if not usable:
            raise InvalidInput("too little training data: no held-out example could be scored")
        finite_rows = [self._finite(r) for r, _ in usable]
        finite_targets = [t for _, t in usable]
        temperature = fit_temperature(finite_rows, finite_targets)
        nll_before = negative_log_likelihood(finite_rows, finite_targets, 1.0)
        nll_after = negative_log_likelihood(finite_rows, finite_targets, temperature)

        oos_index = index.get(OUT_OF_SCOPE)
        decisions: list[ThresholdExample] = []
        in_scope_right = 0
        for row, target in zip(rows, targets, strict=True):
            probs = softmax(self._finite(row), temperature)
            best = max((i for i in range(len(label_list)) if i != oos_index), key=probs.__getitem__)
            argmax = max(range(len(label_list)), key=probs.__getitem__)
            in_scope = target != oos_index
            decisions.append(
                ThresholdExample(
                    probs[best],
                    in_scope=in_scope,
                    top_correct=in_scope and best == target,
                    rejected_anyway=argmax == oos_index,
                )
            )
            in_scope_right += in_scope and best == target
        if self.fixed_threshold is not None:
            threshold, source = self.fixed_threshold, "fixed"
        else:
            threshold = choose_threshold(decisions, oos_weight=self.oos_weight)
            source = "calibrated"

        self.backend.fit(texts, labels)
        n_oos = counts[oos_index] if oos_index is not None else 0
        n_in_held = sum(1 for d in decisions if d.in_scope)
        self.labels = label_list
        self.calibration = Calibration(
            temperature=temperature,
            threshold=threshold,
            threshold_source=source,
            folds=folds,
            examples=len(texts),
            out_of_scope_examples=n_oos,
            nll_uncalibrated=nll_before,
            nll_calibrated=nll_after,
            heldout_accuracy=in_scope_right / n_in_held if n_in_held else 0.0,
        )
        return self

    @staticmethod
    def _row(scores: Mapping[str, float], label_list: Sequence[str]) -> list[float]:
        """Order a backend's scores by ``label_list``; labels it did not score get -inf."""
        row: list[float] = []
        for label in label_list:
            value = scores.get(label)
            if value is None:
                row.append(float("-inf"))
                continue
            try:
                row.append(float(value))
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(
                    f"backend returned a non-numeric score for {label!r}: {value!r}"
                ) from exc
        return row

    @staticmethod
    def _finite(row: list[float]) -> list[float]:
        """Replace -inf (label unknown to the backend) with a score far below the rest."""
        finite = [v for v in row if v != float("-inf")]
        floor = (min(finite) if finite else 0.0) - 1e4
        return [v if v != float("-inf") else floor for v in row]

    # -- prediction ---------------------------------------------------------------------------

    def _predict_from_scores(self, scores: Mapping[str, float]) -> Prediction:
        """Turn one row of backend scores into a calibrated prediction."""
        assert self.calibration is not None
        probs = softmax(self._finite(self._row(scores, self.labels)), self.calibration.temperature)
        ranked = sorted(
            (
                (label, p)
                for label, p in zip(self.labels, probs, strict=True)
                if label != OUT_OF_SCOPE
            ),
            key=lambda item: (-item[1], item[0]),
        )
        best_label, best_p = ranked[0]
        oos_p = probs[self.labels.index(OUT_OF_SCOPE)] if OUT_OF_SCOPE in self.labels else 0.0
        accepted = best_p >= self.calibration.threshold and best_p >= oos_p
        return Prediction(
            intent=best_label if accepted else None,
            confidence=best_p,
            alternatives=ranked[: self.max_alternatives],
        )

    def _check_ready(self) -> None:
        """Raise NotFitted unless the classifier has been trained or loaded."""
        if self.calibration is None:
            raise NotFitted("the intent classifier is not fitted; call fit(examples) first")

    def predict(self, text: str) -> Prediction:
        """Classify one message; an empty or blank message is out of scope with confidence 0."""
        self._check_ready()
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        if not text.strip():
            return Prediction(intent=None, confidence=0.0, alternatives=[])
        return self._predict_from_scores(self.backend.predict_scores(text))

    def predict_many(self, texts: Iterable[str]) -> list[Prediction]:
        """Classify several messages (in one batch when the backend supports it)."""
        self._check_ready()
        items = list(texts)
        for i, text in enumerate(items):
            if not isinstance(text, str):
                raise InvalidInput(f"texts[{i}] must be a string, got {type(text).__name__}")
        blank = [not t.strip() for t in items]
        scored = _score_many(self.backend, [t for t, b in zip(items, blank, strict=True) if not b])
        out: list[Prediction] = []
        it = iter(scored)
        for is_blank in blank:
            if is_blank:
                out.append(Prediction(intent=None, confidence=0.0, alternatives=[]))
            else:
                out.append(self._predict_from_scores(next(it)))
        return out

    # -- persistence --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the trained classifier as JSON-serialisable data (see ``from_dict``)."""
        self._check_ready()
        assert self.calibration is not None
        if not isinstance(self.backend, SavableBackend):
            raise ConfigurationError(
                f"backend {type(self.backend).__name__} cannot be saved: it needs a 'name' "
                "attribute and a to_dict() method"
            )
        return {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "labels": list(self.labels),
            "settings": {
                "calibration_folds": self.calibration_folds,
                "oos_weight": self.oos_weight,
                "max_alternatives": self.max_alternatives,
                "seed": self.seed,
                "fixed_threshold": self.fixed_threshold,
            },
            "calibration": attrs.asdict(self.calibration),
            "backend": {"name": self.backend.name, "state": self.backend.to_dict()},
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        loaders: Mapping[str, Callable[[Mapping[str, Any]], IntentBackend]] | None = None,
    ) -> IntentClassifier:
        """Rebuild a trained classifier from ``to_dict`` output.

        Built-in backends ("lexical", "embedding") load themselves; for another
        backend pass ``loaders={name: factory}`` where ``factory(state)``
        returns the trained backend.
        """
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise InvalidInput(f"not a saved intent classifier (expected format {_FORMAT!r})")
        if data.get("version") != _FORMAT_VERSION:
            raise InvalidInput(
                f"saved intent classifier version {data.get('version')!r} is not supported "
                f"(expected {_FORMAT_VERSION})"
            )
        known = _default_loaders()
        if loaders:
            known.update(loaders)
        try:
            backend_data = data["backend"]
            name = backend_data["name"]
            settings = data["settings"]
            calibration = Calibration(**data["calibration"])
            labels = [str(label) for label in data["labels"]]
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"saved intent classifier is incomplete: {exc!r}") from exc
        loader = known.get(name)
        if loader is None:
            raise ConfigurationError(
                f"no loader for intent backend {name!r}; pass loaders={{{name!r}: factory}}"
            )
        backend = loader(backend_data["state"])
        clf = cls(
            backend,
            threshold=settings["fixed_threshold"],
            calibration_folds=settings["calibration_folds"],
            oos_weight=settings["oos_weight"],
            max_alternatives=settings["max_alternatives"],
            seed=settings["seed"],
        )
        clf.labels = labels
        clf.calibration = calibration
        return clf
