"""Relevance of SearchIndex on the starter FAQ pack, against plain BM25 from rank-bm25.

Run from the repository root:

    PYTHONPATH=src /work/venv/bin/python benchmarks/kb_relevance.py

The corpus is the starter FAQ pack (26 FAQs x 2 locales) plus about 2,000 generated
distractor articles (seeded): product set-up guides, care instructions, store and delivery
notes, sale rules... in both languages, written from templates that reuse the FAQs'
vocabulary (order, refund, 退货, 发票, ...) without answering their questions.

The queries (benchmarks/data/kb_relevance_queries.tsv, 318 of them, half Chinese, half
English) are paraphrases of the FAQs as customers type them: short, colloquial, misspelt,
some mixing Chinese and English. The relevant article of a query is its FAQ in the query's
language. No locale filter is used, so the other language's articles compete too.

Reported per language: MRR@10, recall@1 and recall@5 of
- SearchIndex with its defaults (BM25F: title and questions weigh 3, body 1; typo tolerance;
  Chinese as unigrams + bigrams),
- SearchIndex with jieba words for Chinese (what made us choose n-grams by default),
- SearchIndex without typo tolerance, and with all field weights 1 (plain BM25 in our engine),
- rank-bm25's BM25Okapi over the same tokens (title + questions + body concatenated).
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpdesk_kit.kb import FieldWeights, SearchIndex, load_starter_faqs
from helpdesk_kit.text import Tokenizer, jieba_available

SEED = 7
DATA = Path(__file__).with_name("data") / "kb_relevance_queries.tsv"
N_DISTRACTORS = 2000


def _split(text: str) -> list[str]:
    return text.split("|")


EN_PRODUCTS = _split(
    "wireless earbuds|robot vacuum|air fryer|standing desk|office chair|rice cooker|smart watch|"
    "running shoes|down jacket|yoga mat|coffee grinder|electric kettle|bluetooth speaker|"
    "phone case|laptop sleeve|power bank|baby stroller|camping tent|water bottle|desk lamp|"
    "mechanical keyboard|gaming mouse|hair dryer|air purifier|suitcase|backpack|sofa|mattress"
)
ZH_PRODUCTS = _split(
    "无线耳机|扫地机器人|空气炸锅|升降桌|办公椅|电饭煲|智能手表|跑步鞋|羽绒服|瑜伽垫|磨豆机|电水壶|"
    "蓝牙音箱|手机壳|电脑内胆包|充电宝|婴儿推车|露营帐篷|保温杯|台灯|机械键盘|游戏鼠标|吹风机|"
    "空气净化器|行李箱|双肩包|沙发|床垫"
)
EN_CITIES = _split("Shanghai|Beijing|Shenzhen|Chengdu|Hangzhou|Wuhan|Xi'an|Nanjing|Suzhou|Tianjin")
ZH_CITIES = _split("上海|北京|深圳|成都|杭州|武汉|西安|南京|苏州|天津")
EN_EVENTS = _split("Spring|Summer|Singles' Day|Black Friday|New Year|Back to School|Anniversary")
ZH_EVENTS = _split("春季|夏日|双十一|黑色星期五|新年|开学季|周年庆")

EN_TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "How to set up your {p}",
        "Unpack the {p} and keep the box until you are sure you want to keep it. Charge it "
        "for {n} hours before first use. The quick start guide in the box shows each step; "
        "the warranty card is inside the manual.",
    ),
    (
        "{p} size and fit guide",
        "Measure before you order: our {p} runs true to size. If you are between two sizes "
        "choose the larger one. Colours may look slightly different on screen.",
    ),
    (
        "Caring for your {p}",
        "Clean the {p} with a soft dry cloth. Do not use strong detergents. Store it in a dry "
        "place away from sunlight; damage caused by misuse is not covered.",
    ),
    (
        "Store pick-up in {c}",
        "You can collect online orders at our {c} store from 10:00 to 21:00. Bring your order "
        "confirmation and an ID. Parcels are kept for {n} days.",
    ),
    (
        "Installation service for {p} in {c}",
        "For large items such as the {p} we offer installation in {c}. Book a time slot after "
        "delivery; the technician calls you one day before the visit.",
    ),
    (
        "{e} sale: how it works",
        "During the {e} sale prices are shown on product pages. Sale items ship in the order "
        "they were paid and stock is limited. Prices are valid while the event runs.",
    ),
    (
        "Which accessories fit the {p}?",
        "Most accessories of the same brand fit the {p}. Check the model number on the label "
        "under the product and compare it with the accessory's product page.",
    ),
    (
        "Gift ideas: {p} bundles",
        "Bundle the {p} with matching accessories and save. Add a message card at checkout; "
        "prices are not printed on the packing slip.",
    ),
    (
        "{p} battery and charging tips",
        "Use the original cable to charge the {p}. A full charge takes about {n} hours. "
        "Batteries slowly lose capacity over the years; this is normal.",
    ),
    (
        "Opening hours of our {c} showroom",
        "Our {c} showroom is open every day. Try the {p} and other products in person; staff "
        "can help you place an order for home delivery.",
    ),
)
ZH_TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "{p}使用说明",
        "拆开{p}的包装后，请先充电{n}小时再使用。包装盒里有快速入门指南，保修卡在说明书里。"
        "确定要留下商品之前请保留好包装盒。",
    ),
    (
        "{p}尺码选择指南",
        "下单前请先测量：我们的{p}尺码标准。如果介于两个尺码之间，建议选大一号。"
        "屏幕显示的颜色可能与实物略有差异。",
    ),
    (
        "{p}的清洁与保养",
        "请用柔软的干布清洁{p}，不要使用强力清洁剂。存放在干燥避光的地方；人为使用不当造成的损坏不在保障范围内。",
    ),
    (
        "{c}门店自提说明",
        "网上订单可以到{c}门店自提，营业时间 10:00–21:00。"
        "请携带订单确认信息和身份证件。包裹保留{n}天。",
    ),
    (
        "{c}地区{p}安装服务",
        "{p}等大件商品在{c}提供上门安装服务。收货后预约时间，安装师傅会提前一天电话联系您。",
    ),
    (
        "{e}活动规则",
        "{e}活动期间，活动价格以商品页为准。活动商品按付款先后顺序发货，库存有限，活动结束后恢复原价。",
    ),
    (
        "{p}配件选购",
        "同品牌的大部分配件都适用于{p}。请查看商品底部标签上的型号，并与配件商品页上的型号核对。",
    ),
    (
        "{p}礼盒套装",
        "{p}搭配配件组合购买更划算。结算时可以添加贺卡留言，发货单上不会打印价格。",
    ),
    (
        "{p}电池与充电小贴士",
        "请使用原装数据线给{p}充电，充满大约需要{n}小时。电池容量会随着使用年限缓慢下降，属于正常现象。",
    ),
    (
        "{c}体验店营业时间",
        "{c}体验店每天营业。您可以到店体验{p}等商品，店员可以帮您下单并送货上门。",
    ),
)


@dataclass(frozen=True)
class Doc:
    """An article of the benchmark corpus."""

    doc_id: str
    locale: str
    title: str
    questions: tuple[str, ...]
    body: str


def distractors(n: int, seed: int = SEED) -> list[Doc]:
    """Return ``n`` generated articles, half English, half Chinese."""
    rng = random.Random(seed)
    docs: list[Doc] = []
    for i in range(n):
        english = i % 2 == 0
        templates = EN_TEMPLATES if english else ZH_TEMPLATES
        title_t, body_t = rng.choice(templates)
        slots = {
            "p": rng.choice(EN_PRODUCTS if english else ZH_PRODUCTS),
            "c": rng.choice(EN_CITIES if english else ZH_CITIES),
            "e": rng.choice(EN_EVENTS if english else ZH_EVENTS),
            "n": rng.randint(2, 14),
        }
        docs.append(
            Doc(
                doc_id=f"gen-{i:05d}",
                locale="en" if english else "zh-CN",
                title=title_t.format(**slots),
                questions=(),
                body=body_t.format(**slots),
            )
        )
    return docs


def corpus() -> list[Doc]:
    """The starter FAQs and the distractors."""
    faqs = [
        Doc(f.doc_id, f.locale, f.title, f.questions, f.body) for f in load_starter_faqs()
    ]
    return faqs + distractors(N_DISTRACTORS)


def load_queries() -> list[tuple[str, str, str]]:
    """Return (language, relevant doc id, query) rows."""
    rows: list[tuple[str, str, str]] = []
    with DATA.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            lang, key, query = row
            rows.append((lang, f"{key}:{'en' if lang == 'en' else 'zh-CN'}", query))
    return rows


Ranker = Callable[[str], list[str]]


def our_ranker(docs: Sequence[Doc], **options: object) -> Ranker:
    """Rank with a SearchIndex built with ``options``."""
    idx = SearchIndex(**options)  # type: ignore[arg-type]
    for d in docs:
        idx.add(d.doc_id, d.title, d.body, locale=d.locale, questions=d.questions)
    return lambda q: [h.doc_id for h in idx.search(q, limit=10)]


def rank_bm25_ranker(docs: Sequence[Doc]) -> Ranker | None:
    """Rank with rank-bm25's BM25Okapi over our tokens (None when it is not installed)."""
    try:
        import numpy as np
        from rank_bm25 import BM25Okapi
    except ImportError:
        return None
    tokenizer = SearchIndex().tokenizer
    bm25 = BM25Okapi([tokenizer.tokens(" ".join((d.title, *d.questions, d.body))) for d in docs])
    ids = [d.doc_id for d in docs]

    def rank(query: str) -> list[str]:
        tokens = tokenizer.tokens(query)
        if not tokens:
            return []
        scores = bm25.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[:10]
        return [ids[i] for i in top if scores[i] > 0]

    return rank


def evaluate(
    ranker: Ranker, queries: Sequence[tuple[str, str, str]]
) -> dict[str, dict[str, float]]:
    """Return MRR@10, recall@1 and recall@5 per language."""
    per_lang: dict[str, list[int | None]] = {}
    for lang, relevant, query in queries:
        ranked = ranker(query)
        rank = ranked.index(relevant) + 1 if relevant in ranked[:10] else None
        per_lang.setdefault(lang, []).append(rank)
    out: dict[str, dict[str, float]] = {}
    for lang, ranks in per_lang.items():
        out[lang] = {
            "n": len(ranks),
            "mrr@10": statistics.fmean(1 / r if r else 0.0 for r in ranks),
            "recall@1": statistics.fmean(1.0 if r == 1 else 0.0 for r in ranks),
            "recall@5": statistics.fmean(1.0 if r and r <= 5 else 0.0 for r in ranks),
        }
    return out


def main() -> int:
    """Run every ranker and print the table; exit 1 if ours is worse than rank-bm25."""
    docs = corpus()
    queries = load_queries()
    langs = sorted({q[0] for q in queries})
    print(
        f"corpus: {len(docs)} articles ({len(docs) - N_DISTRACTORS} starter FAQs + "
        f"{N_DISTRACTORS} distractors); {len(queries)} labelled queries "
        + ", ".join(f"{lang}: {sum(1 for q in queries if q[0] == lang)}" for lang in langs)
    )
    rankers: list[tuple[str, Ranker | None]] = [
        ("SearchIndex (defaults: BM25F 3/3/1, typos)", our_ranker(docs)),
        (
            "SearchIndex, jieba words instead of n-grams",
            our_ranker(docs, tokenizer=Tokenizer(mode="jieba", drop_stopwords=True))
            if jieba_available()
            else None,
        ),
        ("SearchIndex, no typo tolerance", our_ranker(docs, fuzzy=False)),
        (
            "SearchIndex, field weights 1/1/1, no typos",
            our_ranker(docs, fuzzy=False, weights=FieldWeights(1, 1, 1)),
        ),
        ("rank-bm25 BM25Okapi, same tokens", rank_bm25_ranker(docs)),
    ]
    results: dict[str, dict[str, dict[str, float]]] = {}
    header = f"{'ranker':44} {'lang':4} {'MRR@10':>7} {'R@1':>6} {'R@5':>6}"
    print(header)
    print("-" * len(header))
    for name, ranker in rankers:
        if ranker is None:
            print(f"{name:44} (not installed: skipped)")
            continue
        results[name] = evaluate(ranker, queries)
        for lang in langs:
            m = results[name][lang]
            print(
                f"{name:44} {lang:4} {m['mrr@10']:7.3f} {m['recall@1']:6.3f} {m['recall@5']:6.3f}"
            )
    ours = results[rankers[0][0]]
    baseline = results.get(rankers[-1][0])
    if baseline is None:
        return 0
    worse = [
        lang
        for lang in langs
        if any(ours[lang][k] < baseline[lang][k] for k in ("mrr@10", "recall@1", "recall@5"))
    ]
    if worse:
        print(f"SearchIndex is worse than rank-bm25 on: {', '.join(worse)}")
        return 1
    print("SearchIndex is at least as good as rank-bm25 on every language and metric.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
