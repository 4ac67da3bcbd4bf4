"""Tests for IntentClassifier: training data checks, predictions, calibration, persistence."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.bot import (
    OUT_OF_SCOPE,
    IntentClassifier,
    LexicalBackend,
    Prediction,
    load_starter_examples,
)
from helpdesk_kit.errors import ConfigurationError, InvalidInput, NotFitted

SMALL = [
    ("where is my order", "order_status"),
    ("has my parcel shipped yet", "order_status"),
    ("tracking number for order 123456", "order_status"),
    ("我的快递到哪了", "order_status"),
    ("I want a refund", "return_refund"),
    ("return these shoes please", "return_refund"),
    ("the item is broken, money back", "return_refund"),
    ("我要退货退款", "return_refund"),
    ("hello", "greeting"),
    ("hi there", "greeting"),
    ("good morning", "greeting"),
    ("你好", "greeting"),
    ("tell me a joke", OUT_OF_SCOPE),
    ("what is the weather", OUT_OF_SCOPE),
    ("今天天气怎么样", OUT_OF_SCOPE),
]


def test_predict_before_fit_is_a_clear_error() -> None:
    clf = IntentClassifier()
    with pytest.raises(NotFitted, match="fit"):
        clf.predict("hello")
    with pytest.raises(NotFitted):
        clf.predict_many(["hello"])
    with pytest.raises(NotFitted):
        clf.to_dict()
    with pytest.raises(NotFitted):
        _ = clf.threshold


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ([], "at least 2 intents"),
        ([("a", "x"), ("b", "x"), ("c", "x")], "at least 2 intents"),
        ([("a", "x"), ("b", "x"), ("c", OUT_OF_SCOPE), ("d", OUT_OF_SCOPE)], "at least 2 intents"),
        ([("a", "x"), ("b", "x"), ("c", "y")], "'y' has 1 example"),
        ([("", "x"), ("b", "x"), ("c", "y"), ("d", "y")], "example 0: text must be"),
        ([("a", "x"), ("   ", "x"), ("c", "y"), ("d", "y")], "example 1: text must be"),
        ([("a", "x"), ("b", ""), ("c", "y")], "intent must be"),
        ([("a", "x"), ("b", None), ("c", "y")], "intent must be"),
        ([("a", "x", "extra"), ("b", "x")], "expected a \\(text, intent\\) pair"),
        ([(1, "x"), ("b", "x")], "text must be"),
    ],
)
def test_fit_rejects_unusable_training_data(examples: list[Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        IntentClassifier().fit(examples)


def test_fit_lists_every_problem() -> None:
    with pytest.raises(InvalidInput) as info:
        IntentClassifier().fit([("", "x"), ("ok", ""), ("fine", "y")])
    assert len(info.value.problems) == 2


def test_fit_rejects_a_non_iterable() -> None:
    with pytest.raises(InvalidInput, match="iterable"):
        IntentClassifier().fit(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 1.5},
        {"threshold": -0.1},
        {"calibration_folds": 1},
        {"oos_weight": 2.0},
        {"max_alternatives": 0},
    ],
)
def test_constructor_validates_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        IntentClassifier(**kwargs)


def test_backend_must_follow_the_protocol() -> None:
    with pytest.raises(ConfigurationError, match="predict_scores"):
        IntentClassifier(backend=object())  # type: ignore[arg-type]


def test_model_predicts_its_intents_and_rejects_chit_chat() -> None:
    picked = {"order_status", "return_refund", "greeting", OUT_OF_SCOPE}
    examples = [(t, i) for t, i in load_starter_examples() if i in picked]
    clf = IntentClassifier().fit(examples)
    assert clf.intents == ["greeting", "order_status", "return_refund"]
    assert clf.predict("where is my parcel").intent == "order_status"
    assert clf.predict("我要退款").intent == "return_refund"
    assert clf.predict("今天天气如何").intent is None
    cal = clf.calibration
    assert cal is not None
    assert cal.threshold_source == "calibrated"
    assert cal.out_of_scope_examples == 160
    assert cal.examples == len(examples)
    assert cal.nll_calibrated <= cal.nll_uncalibrated


def test_too_few_examples_calibrate_to_rejecting_everything() -> None:
    # 4-5 examples per intent: held-out predictions are no better than chance, so the
    # calibrated probabilities are flat and every message is out of scope.
    clf = IntentClassifier().fit(SMALL)
    assert clf.temperature > 100
    p = clf.predict("where is my order")
    assert p.intent is None
    assert p.alternatives[0][0] == "order_status"  # the ranking is still there


def test_blank_text_is_out_of_scope_and_non_text_is_rejected() -> None:
    clf = IntentClassifier().fit(SMALL)
    assert clf.predict("   ") == Prediction(intent=None, confidence=0.0, alternatives=[])
    with pytest.raises(InvalidInput):
        clf.predict(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"texts\[1\]"):
        clf.predict_many(["ok", 3])  # type: ignore[list-item]


def test_fixed_threshold_is_used() -> None:
    clf = IntentClassifier(threshold=1.0).fit(SMALL)
    assert clf.threshold == 1.0
    assert clf.calibration is not None
    assert clf.calibration.threshold_source == "fixed"
    assert clf.predict("where is my order").intent is None


def test_later_example_with_the_same_text_wins() -> None:
    relabelled = [*SMALL, ("Where is my order?", "return_refund")]
    clf = IntentClassifier().fit(relabelled)
    assert clf.calibration is not None
    assert clf.calibration.examples == len(SMALL)  # the old label was replaced, not added
    assert clf.predict("where is my order").alternatives[0][0] == "return_refund"


def test_training_is_deterministic() -> None:
    a = IntentClassifier().fit(SMALL)
    b = IntentClassifier().fit(SMALL)
    assert a.to_dict() == b.to_dict()


def test_starter_model_handles_typical_messages(starter_classifier: IntentClassifier) -> None:
    expected = {
        "我的包裹到哪里了": "order_status",
        "快递几天能到上海": "delivery_time",
        "my discount code is not valid": "coupon",
        "能开发票吗": "invoice",
        "I want to speak to a human": "talk_to_human",
        "账号被冻结了怎么办": "account_locked",
        "forgot my password": "password_reset",
    }
    for text, intent in expected.items():
        assert starter_classifier.predict(text).intent == intent, text
    assert starter_classifier.predict("谁是世界首富").intent is None


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_prediction_invariants(starter_classifier: IntentClassifier, text: str) -> None:
    p = starter_classifier.predict(text)
    assert 0.0 <= p.confidence <= 1.0
    assert len(p.alternatives) <= starter_classifier.max_alternatives
    probabilities = [prob for _, prob in p.alternatives]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(label != OUT_OF_SCOPE for label, _ in p.alternatives)
    assert sum(probabilities) <= 1.0 + 1e-9
    if p.alternatives:
        assert p.confidence == p.alternatives[0][1]
    if p.intent is not None:
        assert p.intent == p.alternatives[0][0]
        assert p.confidence >= starter_classifier.threshold
    assert starter_classifier.predict_many([text]) == [p]


def test_predict_many_matches_predict(starter_classifier: IntentClassifier) -> None:
    texts = ["退款什么时候到", "", "cancel my order", "what's 2+2"]
    assert starter_classifier.predict_many(texts) == [starter_classifier.predict(t) for t in texts]


def test_json_round_trip_keeps_predictions(starter_classifier: IntentClassifier) -> None:
    data = json.loads(json.dumps(starter_classifier.to_dict()))
    loaded = IntentClassifier.from_dict(data)
    assert loaded.labels == starter_classifier.labels
    assert loaded.calibration == starter_classifier.calibration
    for text in ["我的订单到哪了", "refund status?", "hello", "how tall is a giraffe", "发票"]:
        a, b = starter_classifier.predict(text), loaded.predict(text)
        assert a.intent == b.intent
        assert b.confidence == pytest.approx(a.confidence, abs=1e-5)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda d: d.update(format="other"), InvalidInput),
        (lambda d: d.update(version=99), InvalidInput),
        (lambda d: d.pop("calibration"), InvalidInput),
        (lambda d: d["backend"].update(name="mystery"), ConfigurationError),
        (lambda d: d["backend"]["state"].update(version=42), InvalidInput),
        (lambda d: d["backend"]["state"].pop("weights"), InvalidInput),
        (lambda d: d["backend"]["state"]["weights"].update({"c:x": {"99": 1.0}}), InvalidInput),
    ],
)
def test_from_dict_rejects_bad_data(mutate: Any, error: type[Exception]) -> None:
    data = json.loads(json.dumps(IntentClassifier().fit(SMALL).to_dict()))
    mutate(data)
    with pytest.raises(error):
        IntentClassifier.from_dict(data)


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(InvalidInput):
        IntentClassifier.from_dict([])  # type: ignore[arg-type]


class KeywordBackend:
    """A tiny custom backend: counts keyword hits per label."""

    name = "keywords"

    def __init__(self) -> None:
        self.keywords: dict[str, set[str]] = {}

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.keywords = {}
        for text, label in zip(texts, labels, strict=True):
            self.keywords.setdefault(label, set()).update(text.lower().split())

    def predict_scores(self, text: str) -> Mapping[str, float]:
        words = set(text.lower().split())
        return {label: float(len(words & kws)) for label, kws in self.keywords.items()}

    def to_dict(self) -> dict[str, Any]:
        return {label: sorted(kws) for label, kws in self.keywords.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeywordBackend:
        backend = cls()
        backend.keywords = {label: set(kws) for label, kws in data.items()}
        return backend


def test_custom_backend_plugs_in_and_saves_with_a_loader() -> None:
    clf = IntentClassifier(KeywordBackend()).fit(SMALL)
    assert clf.predict("where is my order").alternatives[0][0] == "order_status"
    data = json.loads(json.dumps(clf.to_dict()))
    with pytest.raises(ConfigurationError, match="keywords"):
        IntentClassifier.from_dict(data)
    loaded = IntentClassifier.from_dict(data, loaders={"keywords": KeywordBackend.from_dict})
    assert loaded.predict("where is my order") == clf.predict("where is my order")


def test_backend_without_to_dict_cannot_be_saved() -> None:
    class Unsaveable:
        def __init__(self) -> None:
            self.inner = KeywordBackend()

        def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
            self.inner.fit(texts, labels)

        def predict_scores(self, text: str) -> Mapping[str, float]:
            return self.inner.predict_scores(text)

    clf = IntentClassifier(Unsaveable()).fit(SMALL)
    with pytest.raises(ConfigurationError, match="cannot be saved"):
        clf.to_dict()


def test_backend_returning_garbage_is_reported() -> None:
    class Broken(KeywordBackend):
        def predict_scores(self, text: str) -> Mapping[str, float]:
            return dict.fromkeys(self.keywords, "high")  # type: ignore[misc]

    with pytest.raises(ConfigurationError, match="non-numeric"):
        IntentClassifier(Broken()).fit(SMALL)


def test_lexical_backend_validates_and_needs_fit() -> None:
    with pytest.raises(InvalidInput):
        LexicalBackend(epochs=0)
    with pytest.raises(InvalidInput):
        LexicalBackend(margin=0)
    backend = LexicalBackend()
    with pytest.raises(NotFitted):
        backend.predict_scores("x")
    with pytest.raises(NotFitted):
        backend.to_dict()
    with pytest.raises(InvalidInput):
        backend.fit(["a"], ["x", "y"])
    with pytest.raises(InvalidInput):
        backend.fit([], [])


def test_lexical_round_trip_is_exact_up_to_rounding() -> None:
    backend = LexicalBackend()
    backend.fit([t for t, _ in SMALL], [label for _, label in SMALL])
    loaded = LexicalBackend.from_dict(json.loads(json.dumps(backend.to_dict())))
    for text in ["where is my order", "退款", "zzz"]:
        a, b = backend.predict_scores(text), loaded.predict_scores(text)
        assert a.keys() == b.keys()
        assert all(b[k] == pytest.approx(a[k], abs=1e-5) for k in a)
