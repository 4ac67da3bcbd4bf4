"""Train the bot's intent classifier on the starter examples, classify messages, save and reload.

Run: PYTHONPATH=src python examples/bot_intents.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from helpdesk_kit.bot import IntentClassifier, load_starter_examples

# 1. Train: the shipped starter examples plus a few of your own.
examples = load_starter_examples()  # [(text, intent), ...] in Chinese and English
examples += [
    ("花呗分期可以吗", "payment_failed"),  # your shop's own phrasing
    ("能用花呗付款吗", "payment_failed"),
]
clf = IntentClassifier().fit(examples)
print(f"threshold {clf.threshold:.2f}, temperature {clf.temperature:.3f}")

# 2. Classify.
for text in ["我的快递到哪了？订单号 2024061100123", "my coupon code doesn't work", "讲个笑话"]:
    p = clf.predict(text)
    print(f"{text!r:45} -> {p.intent} ({p.confidence:.2f}); alternatives {p.alternatives[:2]}")

# 3. An agent relabels a message the bot got wrong: append it and fit again (later labels win).
examples.append(("东西还没到，帮我催一下", "order_status"))
clf = IntentClassifier().fit(examples)

# 4. Save and reload (JSON).
path = Path(tempfile.mkdtemp()) / "intents.json"
path.write_text(json.dumps(clf.to_dict(), ensure_ascii=False), encoding="utf-8")
loaded = IntentClassifier.from_dict(json.loads(path.read_text(encoding="utf-8")))
assert loaded.predict("我要开发票").intent == "invoice"
print(f"saved to {path} ({path.stat().st_size // 1024} KiB) and reloaded")
