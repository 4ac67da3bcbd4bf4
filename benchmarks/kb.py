"""Speed of the knowledge-base SearchIndex on 100,000 generated articles, against rank-bm25.

Run from the repository root:

    PYTHONPATH=src /work/venv/bin/python benchmarks/kb.py            # full run (~2 minutes)
    PYTHONPATH=src /work/venv/bin/python benchmarks/kb.py --docs 20000 --no-memory

The corpus is generated (seeded): half English, half Chinese articles with a title, zero to
two alternative questions and a body, words drawn from a Zipf distribution (a real word list
for Chinese: jieba's dictionary; for English: helpdesk words plus made-up words), stop words,
numbers and order ids mixed in. Queries are 1,000 short searches, half English and half
Chinese, built from words of random articles or of the lexicon, a few with a typo.

Printed: index build time, search latency percentiles, suggestion latency, the time to add
or remove one article, index memory (tracemalloc, in a second build) and rank-bm25's
BM25Okapi over the same tokens (title + questions + body), timed with get_scores + top-10 on
a sample of the same queries because it scores every document on every query.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from helpdesk_kit.kb import SearchIndex
from helpdesk_kit.text import jieba_available

SEED = 20261126


def _words(text: str) -> list[str]:
    return text.split()


EN_CORE = _words(
    """
order delivery parcel package courier tracking shipping shipment address refund return exchange
payment card wallet invoice receipt coupon voucher discount membership points account password
login email phone number verification code privacy data cancel change update status warehouse
stock price product item size colour warranty repair damaged missing late arrive received
customer service support agent hours holiday weekend express standard international customs
duty tax company bank transfer paypal instalment credit debit charge charged twice pending
failed declined subscription renew gift wrap bundle sale promotion battery charger cable
headphones speaker laptop tablet phone case screen protector shoes jacket dress shirt bag
watch camera lens kettle blender vacuum mattress pillow sofa chair desk lamp bulb printer ink
toner router modem keyboard mouse monitor fridge washer dryer oven microwave toaster sneakers
"""
)

EN_STOP = _words("the a to of and in is it for on my your you i can how do what with at be this")

ZH_CORE = _words(
    """
    订单 物流 快递 包裹 配送 发货 签收 地址 退款 退货 换货 支付 付款 银行卡 微信 支付宝 发票
    收据 优惠券 折扣 会员 积分 账号 密码 登录 邮箱 手机 验证码 隐私 取消 修改 更新 状态 仓库
    库存 价格 商品 尺码 颜色 保修 维修 破损 丢失 延迟 到达 收到 客服 售后 工作时间 节假日
    周末 加急 国际 海关 关税 公司 转账 分期 信用卡 扣款 重复 失败 订阅 续费 礼品 包装 促销
    活动 电池 充电器 数据线 耳机 音箱 电脑 平板 手机壳 屏幕 鞋子 外套 连衣裙 衬衫 背包 手表
    相机 镜头 水壶 吸尘器 床垫 枕头 沙发 椅子 台灯 打印机 路由器 键盘 鼠标
    """
)

ZH_STOP = _words("的 了 是 我 在 有 和 就 都 也 吗 怎么")

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


@dataclass(frozen=True)
class Article:
    """A generated article."""

    doc_id: str
    locale: str
    title: str
    questions: tuple[str, ...]
    body: str


class Lexicon:
    """Content words with Zipf-Mandelbrot weights 1 / (rank + offset) ** exponent.

    The offset stands for the function words that take the first ranks of real text (they
    are drawn separately), so the most frequent content word is about 0.7% of the content
    tokens and is found in roughly a quarter of the articles, as in real help centres,
    instead of in nearly all of them.
    """

    def __init__(
        self,
        words: Sequence[str],
        rng: random.Random,
        exponent: float = 1.07,
        offset: int = 20,
    ) -> None:
        self.words = list(words)
        weights = [1.0 / (rank + offset) ** exponent for rank in range(len(self.words))]
        self.cumulative: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cumulative.append(total)
        self.rng = rng

    def sample(self, k: int) -> list[str]:
        """Return ``k`` words drawn with replacement by Zipf weight."""
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)


def english_lexicon(rng: random.Random, size: int = 30_000) -> Lexicon:
    """Helpdesk words first (frequent), then made-up words."""
    made_up: set[str] = set()
    while len(made_up) < size - len(EN_CORE):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            word += rng.choice(("s", "ed", "ing", "er"))
        made_up.add(word)
    words = list(EN_CORE)
    rest = sorted(made_up)
    rng.shuffle(rest)
    # interleave so that helpdesk words are frequent but not all at the very top
    merged: list[str] = []
    for i, word in enumerate(words):
        merged.append(word)
        merged.extend(rest[i * 3 : i * 3 + 3])
    merged.extend(rest[len(words) * 3 :])
    return Lexicon(merged, rng)


def chinese_lexicon(rng: random.Random, size: int = 30_000) -> Lexicon:
    """Helpdesk words, then real words from jieba's dictionary by frequency (or made up)."""
    words: list[str] = []
    if jieba_available():
        import jieba

        path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
        entries: list[tuple[int, str]] = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and 2 <= len(parts[0]) <= 4 and parts[0][0] >= "\u4e00":
                    entries.append((int(parts[1]), parts[0]))
        entries.sort(reverse=True)
        # the most frequent words, kept in frequency order (the Zipf rank)
        core = set(ZH_CORE)
        words = [w for _, w in entries if w not in core][:size]
    else:
        chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
        seen: set[str] = set()
        while len(seen) < size:
            seen.add("".join(rng.choice(chars) for _ in range(rng.randint(2, 3))))
        words = sorted(seen)
    merged: list[str] = []
    for i, word in enumerate(ZH_CORE):
        merged.append(word)
        merged.extend(words[i * 3 : i * 3 + 3])
    merged.extend(words[len(ZH_CORE) * 3 :])
    return Lexicon(merged, rng)


def _en_text(lex: Lexicon, rng: random.Random, n: int) -> str:
    words = lex.sample(n)
    for i in range(0, n, 3):
        words[i] = rng.choice(EN_STOP) if rng.random() < 0.8 else words[i]
    if rng.random() < 0.1:
        words[rng.randrange(n)] = f"SO{rng.randint(2024_0000_000, 2026_1231_999)}"
    if rng.random() < 0.2:
        words[rng.randrange(n)] = str(rng.randint(1, 500))
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _zh_text(lex: Lexicon, rng: random.Random, n: int) -> str:
    words = lex.sample(n)
    out: list[str] = []
    for i, word in enumerate(words):
        if i % 3 == 1 and rng.random() < 0.7:
            out.append(rng.choice(ZH_STOP))
        out.append(word)
        if i and i % rng.randint(5, 9) == 0:
            out.append("，")
    if rng.random() < 0.1:
        out.append(f"订单号SO{rng.randint(2024_0000_000, 2026_1231_999)}")
    return "".join(out) + "。"


def generate(n_docs: int, seed: int = SEED) -> tuple[list[Article], Lexicon, Lexicon]:
    """Return ``n_docs`` articles, half English and half Chinese, and the two lexicons."""
    rng = random.Random(seed)
    en = english_lexicon(rng)
    zh = chinese_lexicon(rng)
    articles: list[Article] = []
    for i in range(n_docs):
        if i % 2 == 0:
            title = _en_text(en, rng, rng.randint(4, 9))
            n_questions = rng.randint(0, 2)
            questions = tuple(_en_text(en, rng, rng.randint(4, 8)) for _ in range(n_questions))
            body = _en_text(en, rng, rng.randint(30, 70))
            locale = "en"
        else:
            title = _zh_text(zh, rng, rng.randint(3, 6))
            n_questions = rng.randint(0, 2)
            questions = tuple(_zh_text(zh, rng, rng.randint(3, 6)) for _ in range(n_questions))
            body = _zh_text(zh, rng, rng.randint(20, 45))
            locale = "zh-CN"
        articles.append(Article(f"kb-{i:06d}", locale, title, questions, body))
    return articles, en, zh


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def make_queries(
    articles: Sequence[Article], en: Lexicon, zh: Lexicon, n: int, seed: int = SEED + 1
) -> list[str]:
    """Return ``n`` short queries: words from a random article or from the lexicon."""
    rng = random.Random(seed)
    queries: list[str] = []
    for i in range(n):
        english = i % 2 == 0
        if rng.random() < 0.6:
            while True:
                art = articles[rng.randrange(len(articles))]
                if (art.locale == "en") == english:
                    break
            if english:
                words = [w for w in f"{art.title} {art.body}".lower().split() if w not in EN_STOP]
            else:
                words = [w for w in zh.words[:5000] if w in art.title or w in art.body[:60]]
            words = words or (en if english else zh).sample(2)
            picked = rng.sample(words, min(len(words), rng.randint(1, 3)))
        else:
            picked = (en if english else zh).sample(rng.randint(1, 3))
        if english and rng.random() < 0.05:
            long_words = [j for j, w in enumerate(picked) if len(w) >= 5 and w.isalpha()]
            if long_words:
                j = rng.choice(long_words)
                picked[j] = _typo(picked[j], rng)
        queries.append((" " if english else "").join(picked))
    return queries


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def time_each(
    fn: Callable[[str], object],
    items: Sequence[str],
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Return the time of ``fn(item)`` for each item, in milliseconds (wall clock by default)."""
    out: list[float] = []
    for item in items:
        start = clock()
        fn(item)
        out.append((clock() - start) * 1000)
    return out


def build(articles: Sequence[Article]) -> SearchIndex:
    """Index every article into a fresh SearchIndex."""
    idx = SearchIndex()
    for a in articles:
        idx.add(a.doc_id, a.title, a.body, locale=a.locale, questions=a.questions)
    return idx


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--baseline-queries", type=int, default=100)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc build")
    parser.add_argument("--no-baseline", action="store_true", help="skip rank-bm25")
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}, jieba available: {jieba_available()}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start (others' work slows timings)")
    t0 = time.perf_counter()
    articles, en, zh = generate(args.docs)
    queries = make_queries(articles, en, zh, args.queries)
    chars = sum(len(a.title) + len(a.body) + sum(map(len, a.questions)) for a in articles)
    print(
        f"generated {len(articles):,} articles ({chars / 1e6:.1f} M characters) and "
        f"{len(queries):,} queries in {time.perf_counter() - t0:.1f} s"
    )

    print(f"search tokenizer: {SearchIndex().tokenizer}")

    gc.collect()
    t0 = time.perf_counter()
    c0 = time.process_time()
    idx = build(articles)
    build_s = time.perf_counter() - t0
    build_cpu = time.process_time() - c0
    stats = idx.stats()
    print(
        f"build: {build_s:.1f} s wall ({build_cpu:.1f} s CPU) for {len(idx):,} articles "
        f"({len(idx) / build_s:,.0f}/s); "
        f"{stats.terms:,} terms, {stats.postings:,} postings, "
        f"{stats.blocked_terms:,} terms with impact blocks"
    )

    for q in queries[:20]:
        idx.search(q)
    search_ms = time_each(lambda q: idx.search(q, limit=10), queries)
    hits = sum(1 for q in queries[:200] if idx.search(q))
    print(
        f"search ({len(queries)} queries, top 10): p50 {percentile(search_ms, 50):.2f} ms, "
        f"p95 {percentile(search_ms, 95):.2f} ms, p99 {percentile(search_ms, 99):.2f} ms, "
        f"max {max(search_ms):.2f} ms, mean {statistics.fmean(search_ms):.2f} ms "
        f"({hits}/200 of the first queries have hits)"
    )
    cpu_ms = time_each(lambda q: idx.search(q, limit=10), queries, time.process_time)
    print(
        f"  same queries in CPU time of this process (less disturbed by other load): "
        f"p50 {percentile(cpu_ms, 50):.2f} ms, p95 {percentile(cpu_ms, 95):.2f} ms, "
        f"p99 {percentile(cpu_ms, 99):.2f} ms"
    )
    zh_ms = search_ms[1::2]
    en_ms = search_ms[0::2]
    print(
        f"  English p95 {percentile(en_ms, 95):.2f} ms, Chinese p95 {percentile(zh_ms, 95):.2f} ms"
    )

    rng = random.Random(SEED + 2)
    prefixes = []
    for q in queries:
        cut = rng.randint(1, max(1, len(q) - 1))
        prefixes.append(q[:cut] if len(q) > 1 else q)
    t0 = time.perf_counter()
    idx.suggest("warm", limit=5)
    print(
        f"first suggestion after the bulk load (sorts the vocabulary once): "
        f"{(time.perf_counter() - t0) * 1000:.0f} ms"
    )
    suggest_ms = time_each(lambda p: idx.suggest(p, limit=5), prefixes)
    print(
        f"suggest ({len(prefixes)} prefixes, top 5): p50 {percentile(suggest_ms, 50):.2f} ms, "
        f"p95 {percentile(suggest_ms, 95):.2f} ms, max {max(suggest_ms):.2f} ms"
    )

    sample = [articles[rng.randrange(len(articles))] for _ in range(500)]
    remove_ms: list[float] = []
    add_ms: list[float] = []
    for a in sample:
        start = time.perf_counter()
        idx.remove(a.doc_id)
        mid = time.perf_counter()
        idx.add(a.doc_id, a.title, a.body, locale=a.locale, questions=a.questions)
        end = time.perf_counter()
        remove_ms.append((mid - start) * 1000)
        add_ms.append((end - mid) * 1000)
    print(
        f"update one article ({len(sample)} samples): remove mean "
        f"{statistics.fmean(remove_ms):.3f} ms (p95 {percentile(remove_ms, 95):.3f}), "
        f"add mean {statistics.fmean(add_ms):.3f} ms (p95 {percentile(add_ms, 95):.3f})"
    )

    baseline_ms: list[float] = []
    if not args.no_baseline:
        try:
            import numpy as np
            from rank_bm25 import BM25Okapi
        except ImportError:
            print("rank-bm25 is not installed: baseline skipped")
        else:
            tokenizer = idx.tokenizer
            t0 = time.perf_counter()
            corpus = [
                tokenizer.tokens(" ".join((a.title, *a.questions, a.body))) for a in articles
            ]
            tok_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            bm25 = BM25Okapi(corpus)
            init_s = time.perf_counter() - t0
            del corpus
            sample_q = queries[: args.baseline_queries]

            def baseline(q: str) -> object:
                scores = bm25.get_scores(tokenizer.tokens(q))
                return np.argsort(scores)[::-1][:10]

            baseline_ms = time_each(baseline, sample_q)
            ours_same = search_ms[: len(sample_q)]
            ratio_mean = statistics.fmean(baseline_ms) / statistics.fmean(ours_same)
            ratio_p50 = percentile(baseline_ms, 50) / percentile(ours_same, 50)
            print(
                f"rank-bm25 BM25Okapi: tokenize {tok_s:.1f} s + build {init_s:.1f} s; "
                f"get_scores+top10 on the first {len(sample_q)} queries: "
                f"p50 {percentile(baseline_ms, 50):.1f} ms, "
                f"p95 {percentile(baseline_ms, 95):.1f} ms, "
                f"mean {statistics.fmean(baseline_ms):.1f} ms"
            )
            print(
                f"speed-up of SearchIndex.search on the same {len(sample_q)} queries: "
                f"{ratio_mean:,.0f}x (mean), {ratio_p50:,.0f}x (p50)"
            )
            del bm25

    if not args.no_memory:
        del idx
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        idx = build(articles)
        traced_s = time.perf_counter() - t0
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"index memory (tracemalloc, second build, {traced_s:.0f} s under tracing): "
            f"{current / 2**20:.0f} MiB held after build, peak {peak / 2**20:.0f} MiB "
            f"({current / len(idx):,.0f} bytes per article)"
        )


if __name__ == "__main__":
    main()
