"""Text pipeline: normalization and feature extraction for English, Traditional and Simplified Chinese.

One pass over mixed-language text yields

* Latin words: lowercased, stop-words removed, Snowball-stemmed (``"graphen"``);
* optional word bigrams of those stems, joined by a space (``"machin learn"``);
* CJK runs: character n-grams after folding Traditional/HK forms to Simplified (``"石墨"``);
* bilingual glossary concepts, prefixed with :data:`CONCEPT_PREFIX` (``"≈graphen"``).  An English
  word that is a glossary concept is emitted as that concept (in place of its stem); a Chinese
  dictionary word adds the concepts of its first glosses beside its n-grams; adjacent English
  stems spelling a multi-word gloss add that phrase concept (``"≈machin_learn"``).

Plain features never contain the prefix, so the engine can tell a bridged concept from a term.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

import opencc
import Stemmer

from .glossary import CONCEPT_PREFIX, default_glossary

__all__ = [
    "CONCEPT_PREFIX",
    "STOP_WORDS",
    "analyze",
    "analyze_with_surface",
    "normalize",
    "normalize_many",
    "stem_words",
]


def _load_stop_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("data/stopwords_en.txt").read_text("utf-8")
    words = (line.strip() for line in text.splitlines() if not line.startswith("#"))
    return frozenset(w for w in words if w) | frozenset("abcdefghijklmnopqrstuvwxyz")


STOP_WORDS: frozenset[str] = _load_stop_words()

# Converters are cheap to call but not to build; hk2t first fixes HK variants (綫→線), tw2sp then maps
# characters and Taiwan/HK vocabulary (演算法→算法).
_HK2T = opencc.OpenCC("hk2t")
_TW2SP = opencc.OpenCC("tw2sp")
_T2S = opencc.OpenCC("t2s")
_LOCAL = threading.local()
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_MAX = 500_000

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN_RUN = re.compile(f"[{_HAN}]+")
# A token is a run of Han characters or a run of other letters/digits (underscore is punctuation).
_TOKEN = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")
_LATIN_WORD = re.compile(f"[^\\W_{_HAN}]+")
# Control (Cc) characters become spaces so words on either side stay apart; format characters
# (Cf: zero-width, BOM, bidi marks), surrogates and unassigned code points are dropped.
_DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})


def _strip_controls(text: str) -> str:
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in _DROP_CATEGORIES:
            continue
        out.append(" ")  # Cc, Zl, Zp, and non-space separators
    return "".join(out)


def _fold(text: str) -> str:
    return _TW2SP.convert(_HK2T.convert(text))


def _char_fold(text: str) -> str:
    return _T2S.convert(_HK2T.convert(text))


@lru_cache(maxsize=100_000)
def _fold_run(run: str) -> str:
    """Simplified form of one Han run, stable under a second folding.

    ``tw2sp`` is not idempotent for a few phrases (厄瓜多 → 厄瓜多尔 → 厄瓜多尔尔): for those runs
    only characters are converted, so ``normalize`` stays idempotent.
    """
    folded = _fold(run)
    return folded if _fold(folded) == folded else _char_fold(run)


def _fold_han(text: str) -> str:
    return _HAN_RUN.sub(lambda m: _fold_run(m.group()), text) if _HAN_RUN.search(text) else text


def normalize(text: str) -> str:
    """Return the canonical form of ``text``; never raises and ``normalize(normalize(x)) == normalize(x)``.

    NFKC, control characters replaced by spaces (so nothing after a NUL is lost), invisible format
    characters dropped, Traditional and HK forms folded to Simplified, lowercase.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    for _ in range(3):  # each step is idempotent; repeat until the composition settles too
        folded = _strip_controls(unicodedata.normalize("NFKC", text))
        folded = unicodedata.normalize("NFKC", _fold_han(folded).lower())
        folded = _strip_controls(folded)
        if folded == text:
            break
        text = folded
    return text


def normalize_many(texts: list[str]) -> list[str]:
    """``[normalize(t) for t in texts]`` for short texts, folding Chinese in batched converter calls."""
    cleaned = [_strip_controls(unicodedata.normalize("NFKC", t)) for t in texts]
    joined = "\n".join(cleaned)  # controls, newlines included, are gone: "\n" only separates
    once = _fold(joined)
    lines, twice = once.split("\n"), _fold(once).split("\n")
    if not len(lines) == len(twice) == len(cleaned):  # never seen; keeps the contract regardless
        return [normalize(t) for t in texts]
    out = [a if a == b else _fold_han(c) for a, b, c in zip(lines, twice, cleaned, strict=True)]
    # What normalize() does after folding; one pass settles dictionary headwords and the like.
    return [_strip_controls(unicodedata.normalize("NFKC", t.lower())) for t in out]


def _stemmer() -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe: one per thread.
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = Stemmer.Stemmer("english")
    return stemmer


def stem_words(words: list[str]) -> list[str]:
    """Snowball (Porter2) stems of lowercase words, cached because vocabularies repeat."""
    cache = _STEM_CACHE
    out = [cache.get(w) for w in words]
    missing = [w for w, s in zip(words, out, strict=True) if s is None]
    if not missing:
        return out
    stems = dict(zip(missing, _stemmer().stemWords(missing), strict=True))
    if len(cache) > _STEM_CACHE_MAX:
        cache.clear()  # another thread may be reading: it only ever reads through .get()
    cache.update(stems)
    return [s if s is not None else stems[w] for w, s in zip(words, out, strict=True)]


@lru_cache(maxsize=200_000)
def _latin_tokens(raw: str) -> tuple[tuple[str, str], ...]:
    """(stem, surface) for the words of one non-Han raw token, stop-words removed."""
    words = _LATIN_WORD.findall(normalize(raw))
    kept = [w for w in words if w not in STOP_WORDS and len(w) < 64]
    if not kept:
        return ()
    surface = raw if len(kept) == 1 else None
    return tuple((s, surface or w) for s, w in zip(stem_words(kept), kept, strict=True))


@lru_cache(maxsize=200_000)
def _latin_features(raw: str, concepts: bool, repeat: int) -> tuple[tuple[str, ...], ...]:
    """(features, surfaces, stems, words) of one raw non-Han token.

    ``features`` and ``surfaces`` are its word features (phrases and bigrams come later, from the
    whole stretch); ``stems`` and ``words`` feed those.  Cached per token: a vocabulary is
    Zipf-distributed, so most tokens have been seen before.
    """
    features: list[str] = []
    surfaces: list[str] = []
    keys = default_glossary().keys if concepts else frozenset()
    tokens = _latin_tokens(raw)
    for stem, surface in tokens:
        if stem in keys:
            features.extend([CONCEPT_PREFIX + stem] * repeat)
            surfaces.extend([surface] * repeat)
        else:
            features.append(stem)
            surfaces.append(surface)
    return tuple(features), tuple(surfaces), tuple(s for s, _ in tokens), tuple(w for _, w in tokens)


@lru_cache(maxsize=1)
def _headword_table() -> dict[str, tuple[str, ...]]:
    """Every prefix (2+ characters) of a glossary headword → the concept features of that exact
    headword (empty when the prefix is not a headword itself): one dict probe per step of the
    substring walk, and a miss means no longer headword starts there either."""
    gl = default_glossary()
    table: dict[str, tuple[str, ...]] = dict.fromkeys(gl.zh_prefixes, ())
    for head, keys in gl.zh_to_keys.items():
        table[head] = tuple(CONCEPT_PREFIX + key for key in keys)
    return table


def _is_plain_han(text: str) -> bool:
    """True when NFKC, lowercasing and control stripping leave ``text`` as it is (and it is Han only)."""
    return text.isprintable() and unicodedata.is_normalized("NFKC", text) and _HAN_RUN.fullmatch(text) is not None


def _normalize_runs(runs: list[str]) -> list[str]:
    """``[normalize(r) for r in runs]`` for Han runs, folding them all in one pair of converter calls.

    A run ``normalize`` would only fold is handled here: its fold is computed in a batch (no
    converter phrase spans a newline, so folding joined runs folds each alike) and accepted when
    folding it again changes nothing, exactly the case in which ``normalize`` stops after folding.
    Any other run goes through ``normalize`` itself.
    """
    if not runs:
        return []
    plain = [_is_plain_han(r) for r in runs]
    joined = "\n".join(r for r, ok in zip(runs, plain, strict=True) if ok)
    once = _fold(joined).split("\n") if joined else []
    twice = _fold("\n".join(once)).split("\n") if once else []
    if len(once) != sum(plain) or len(twice) != len(once):  # never seen; keeps the contract regardless
        return [normalize(r) for r in runs]
    folded = iter(zip(once, twice, strict=True))
    out = []
    for run, ok in zip(runs, plain, strict=True):
        if ok:
            a, b = next(folded)
            if a == b and (a == run or _is_plain_han(a)):
                out.append(a)
                continue
        out.append(normalize(run))
    return out


def _han_features(
    raw: str, run: str, ngrams: tuple[int, int], concepts: bool, features: list[str], surfaces: list[str]
) -> None:
    """Append the character n-grams and dictionary concepts of one Han run (normalized: ``run``)."""
    # When folding changed the length (演算法 → 算法) positions no longer align: show the whole run.
    aligned = len(run) == len(raw)
    lo, hi = ngrams
    for n in range(lo, hi + 1):
        count = len(run) - n + 1
        if count <= 0:
            continue
        if n == 1:
            features.extend(run)
            surfaces.extend(raw if aligned else [raw] * count)
            continue
        features.extend([run[i : i + n] for i in range(count)])
        surfaces.extend([raw[i : i + n] for i in range(count)] if aligned else [raw] * count)
    if not concepts:
        return
    table = _headword_table()
    probe = table.get
    size, longest = len(run), default_glossary().max_zh_len
    for i in [i for i in range(size - 1) if run[i : i + 2] in table]:
        for j in range(i + 2, min(size, i + longest) + 1):
            keys = probe(run[i:j])
            if keys is None:
                break  # no headword starts with this: no longer one will either
            if keys:
                features.extend(keys)
                surfaces.extend([raw[i:j] if aligned else raw] * len(keys))


def _english_phrases(stems: list[str], words: list[str], features: list[str], surfaces: list[str]) -> None:
    """Append the multi-word concepts spelled by adjacent stems (``machin_learn``)."""
    gl = default_glossary()
    starts = gl.phrase_starts
    if starts.isdisjoint(stems):
        return
    keys, longest = gl.keys, gl.max_key_words
    for i in [i for i, stem in enumerate(stems) if stem in starts]:
        key = stems[i]
        for j in range(i + 1, min(len(stems), i + longest)):
            key = f"{key}_{stems[j]}"
            if key in keys:
                features.append(CONCEPT_PREFIX + key)
                surfaces.append(" ".join(words[i : j + 1]))


def analyze_with_surface(
    text: str,
    *,
    ngrams: tuple[int, int] = (1, 2),
    word_bigrams: bool = False,
    concepts: bool = True,
    word_concept_repeat: int = 4,
) -> list[tuple[str, str]]:
    """Features of one field's text, each paired with the original words that produced it.

    Parameters
    ----------
    text : any mix of English, Simplified, Traditional and HK Chinese.
    ngrams : (min, max) length of Han character n-grams.
    word_bigrams : also emit adjacent stem pairs ``"a b"`` within a Latin stretch.
    concepts : emit bilingual glossary concepts (``CONCEPT_PREFIX + key``).
    word_concept_repeat : how many times an English word that *is* a glossary concept emits that
        concept instead of its stem.  The engine counts every concept occurrence at the config's
        ``concept_weight``; repeating ``1 / concept_weight`` times gives such a word exactly the
        weight of a plain stem, so English-to-English matching is unchanged while Chinese words
        (which add concepts on top of their character n-grams) bridge at the lower weight.
    """
    features, surfaces = _analyze(text, ngrams, word_bigrams, concepts, word_concept_repeat)
    return list(zip(features, surfaces, strict=True))


def _analyze(
    text: str, ngrams: tuple[int, int], word_bigrams: bool, concepts: bool, repeat: int
) -> tuple[list[str], list[str]]:
    """Features and their surfaces as two parallel lists (cheaper to build than pairs)."""
    features: list[str] = []
    surfaces: list[str] = []
    if not isinstance(text, str) or not text:
        return features, surfaces
    tokens = _TOKEN.findall(_strip_controls(text))
    normalized = iter(_normalize_runs([han for han, _ in tokens if han]))
    stems: list[str] = []  # the current stretch of consecutive Latin words, for phrases and bigrams
    words: list[str] = []
    for han, latin in tokens:
        if latin:
            word_features, word_surfaces, word_stems, word_words = _latin_features(latin, concepts, repeat)
            features.extend(word_features)
            surfaces.extend(word_surfaces)
            stems.extend(word_stems)
            words.extend(word_words)
            continue
        if stems:
            _end_stretch(stems, words, word_bigrams, concepts, features, surfaces)
        _han_features(han, next(normalized), ngrams, concepts, features, surfaces)
    if stems:
        _end_stretch(stems, words, word_bigrams, concepts, features, surfaces)
    return features, surfaces


def _end_stretch(
    stems: list[str], words: list[str], word_bigrams: bool, concepts: bool, features: list[str], surfaces: list[str]
) -> None:
    """Append a Latin stretch's phrase concepts and word bigrams, then empty it."""
    if concepts:
        _english_phrases(stems, words, features, surfaces)
    if word_bigrams:
        features.extend([f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)])
        surfaces.extend([f"{a} {b}" for a, b in zip(words, words[1:], strict=False)])
    stems.clear()
    words.clear()


def analyze(
    text: str,
    *,
    ngrams: tuple[int, int] = (1, 2),
    word_bigrams: bool = False,
    concepts: bool = True,
    word_concept_repeat: int = 4,
) -> list[str]:
    """Features of one field's text (see :func:`analyze_with_surface` for the options)."""
    return _analyze(text, ngrams, word_bigrams, concepts, word_concept_repeat)[0]
