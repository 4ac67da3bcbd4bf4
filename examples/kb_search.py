"""Search the starter FAQ pack in Chinese and English, suggest as you type, count gaps.

Run from the repository root:  PYTHONPATH=src python examples/kb_search.py
"""

from __future__ import annotations

from helpdesk_kit.kb import SearchIndex, UnansweredQueries, index_starter_faqs

index = SearchIndex()
index_starter_faqs(index)  # 26 FAQs x (en, zh-CN), doc ids like "refund-time:zh-CN"
print(f"{len(index)} articles indexed")

for query in ["退款多久到账", "my parcel never arrived", "忘记password了", "pasword reset"]:
    best = index.search(query, limit=1)[0]
    print(f"{query!r:28} -> {best.doc_id} ({best.score:.1f})")

# Only Chinese articles, whatever language the words are in:
print([hit.doc_id for hit in index.search("invoice 发票", locale="zh", limit=2)])

# Search-as-you-type: the last word is still being typed.
for prefix in ["退", "change my addr", "passw"]:
    print(f"suggest {prefix!r:18} -> {[hit.doc_id for hit in index.suggest(prefix, limit=2)]}")

# Count what the help centre cannot answer, to write the missing articles.
gaps = UnansweredQueries(min_score=5.0)  # calibrated on this pack: answers score higher
for query in ["gift wrapping?", "Gift wrapping", "refund time", "能开专票吗", "礼品包装"]:
    gaps.record(query, index.search(query))
print(gaps.most_common(3))

# Articles change: add() replaces, remove() drops; nothing is rebuilt.
index.add("gift-wrap:en", "Do you offer gift wrapping?", "Yes, for ¥5 at checkout.", locale="en")
print(index.search("gift wrapping", limit=1)[0].doc_id)
index.remove("gift-wrap:en")
