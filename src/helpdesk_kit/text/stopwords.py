"""Curated stop words for English and Chinese customer-service text.

These are words that carry no topic on their own in a customer's question ("how do I ...",
"请问...怎么办"). Search and hot-word counting drop them; the bot's intent classifier may keep
them (negations such as "not"/"没" matter there), which is why tokenization keeps them
unless asked (``drop_stopwords=True``).

The English list holds raw (unstemmed) lowercase words; the Chinese list holds words as jieba
segments them and the single characters the n-gram fallback produces.
"""

from __future__ import annotations

__all__ = ["CHINESE_STOP_WORDS", "ENGLISH_STOP_WORDS", "STOP_WORDS", "is_stop_word"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH_STOP_WORDS: frozenset[str] = _words(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can cannot could couldn d did didn do does doesn doing don
    down during each few for from further had hadn has hasn have haven having he her here hers
    herself him himself his how i if in into is isn it its itself just ll m me might more most
    must mustn my myself no nor not now o of off on once only or other our ours ourselves out
    over own re s same shall shan she should shouldn so some such t than that the their theirs
    them themselves then there these they this those through to too under until up ve very was
    wasn we were weren what when where which while who whom why will with won would wouldn y you
    your yours yourself yourselves
    also get got hi hello hey please pls plz thanks thank thx u ur im ive dont cant wont doesnt
    didnt isnt whats wheres hows yet still may let us want wanna need
    """
)

CHINESE_STOP_WORDS: frozenset[str] = _words(
    """
    的 了 吗 呢 吧 啊 呀 哦 嗯 哈 么 嘛 啦 哇 喔 呗 之 着 过 得 地 和 与 及 或 跟 同 而 且
    并 也 都 就 还 又 再 才 只 很 太 挺 更 最 是 在 有 个 这 那 些 把 被 给 让 向 从 对 于
    为 以 将 把 吧 您 你 我 他 她 它 咱 我们 你们 他们 她们 它们 咱们 自己 大家 这个 那个
    这些 那些 这样 那样 这里 那里 这儿 那儿 什么 怎么 怎样 怎么样 怎么办 如何 为什么 为何
    哪 哪里 哪儿 哪个 多少 几 是否 是不是 能否 能不能 可不可以 可以 可否 能 会 要 想 想要
    需要 请 请问 麻烦 一下 一个 一些 已经 现在 然后 但是 可是 不过 因为 所以 如果 的话 还是
    或者 就是 就 而且 并且 以及 关于 对于 谢谢 您好 你好 亲 在吗 我的 你的 您的 了吗 呢吗
    啥 咋 咋办 咋样
    """
)

STOP_WORDS: frozenset[str] = ENGLISH_STOP_WORDS | CHINESE_STOP_WORDS


def is_stop_word(token: str) -> bool:
    """Return True when ``token`` (normalized, unstemmed) is an English or Chinese stop word."""
    return token in STOP_WORDS
