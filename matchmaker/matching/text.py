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
from bisect import bisect_right
from functools import lru_cache
from importlib import resources
from itertools import accumulate, chain, compress, repeat
from operator import add, itemgetter, not_

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
_flatten = chain.from_iterable
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_MAX = 500_000

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_HAN_SPLIT = re.compile(f"([{_HAN}]+)")  # captured: split() keeps the runs between the stretches
# A word is a run of letters/digits that are not Han (underscore is punctuation).
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
    # An ASCII token is letters and digits, which normalize() only lowercases.
    words = [raw.lower()] if raw.isascii() else _LATIN_WORD.findall(normalize(raw))
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


@lru_cache(maxsize=1)
def _headword_stems() -> frozenset[str]:
    """The entries of :func:`_headword_table` that begin a longer entry: where a substring walk goes on."""
    table = _headword_table()
    return frozenset(table.keys() & {z[:n] for z in table for n in range(2, len(z))})


@lru_cache(maxsize=1)
def _phrase_table() -> dict[str, str]:
    """Every prefix (2+ words, joined by ``_``) of a multi-word concept key → that key's feature, or
    ``""`` when the prefix is no key itself: a miss means no longer phrase starts there either."""
    keys = default_glossary().keys
    table: dict[str, str] = {}
    for key in keys:
        parts = key.split("_")
        for n in range(2, len(parts) + 1):
            prefix = "_".join(parts[:n])
            table[prefix] = CONCEPT_PREFIX + prefix if prefix in keys else ""
    return table


def _is_plain_han(text: str) -> bool:
    """True when NFKC, lowercasing and control stripping leave ``text`` as it is (and it is Han only)."""
    return text.isprintable() and unicodedata.is_normalized("NFKC", text) and _HAN_RUN.fullmatch(text) is not None


def _all_plain_han(runs: list[str]) -> bool:
    """``all(_is_plain_han(r) for r in runs)``, in a few C calls: being printable and Han are
    properties of each character, so they are checked on all the runs at once."""
    whole = "".join(runs)
    return (
        all(runs)
        and whole.isprintable()
        and _HAN_RUN.fullmatch(whole) is not None
        and all(map(unicodedata.is_normalized, repeat("NFKC"), runs))
    )


def _normalize_runs(runs: list[str]) -> list[str]:
    """``[normalize(r) for r in runs]`` for Han runs, folding them all in one pair of converter calls.

    A run ``normalize`` would only fold is handled here: its fold is computed in a batch (no
    converter phrase spans a newline, so folding joined runs folds each alike) and accepted when
    folding it again changes nothing, exactly the case in which ``normalize`` stops after folding.
    Any other run goes through ``normalize`` itself.
    """
    if not runs:
        return []
    if _all_plain_han(runs):
        plain = [True] * len(runs)
        joined = "\n".join(runs)
        folded = _fold(joined)
        if folded == joined:
            return list(runs)  # Simplified already: each run is as the loop below would leave it
    else:
        plain = [_is_plain_han(r) for r in runs]
        joined = "\n".join(r for r, ok in zip(runs, plain, strict=True) if ok)
        folded = _fold(joined) if joined else ""
    once = folded.split("\n") if joined else []
    # Folding is a function: when it left the text as it was (Simplified input), folding again would too.
    twice = (folded if folded == joined else _fold(folded)).split("\n") if once else []
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


def _ngrams(run: str, n: int) -> list[str]:
    """The ``n``-character substrings of ``run``, left to right (``[]`` when it is shorter)."""
    if n == 1:
        return list(run)
    if n == 2:
        return list(map(add, run, run[1:]))  # pairs built in C: bigrams are most of a Chinese text
    return [run[i : i + n] for i in range(len(run) - n + 1)]


def _headword_hits(
    run: str, bigrams: list[str]
) -> tuple[list[tuple[str, ...]], list[tuple[int, int, tuple[str, ...]]]]:
    """Glossary headwords in ``run``: ``(at_two, longer)``.

    ``at_two[i]`` holds the concept features of the 2-character headword ``bigrams[i]`` (``()`` when
    it is none); ``longer`` holds ``(start, end, concept features)`` of each longer one, by length
    then start (so each start's are by length).  Candidates grow one character at a time, all of a
    length at once (lookups in C), and only while they spell the beginning of a longer headword:
    most starts stop at their bigram.  Call it on a whole text's joined runs, not run by run: a
    length's pass costs a few calls whatever the number of candidates.
    """
    table = _headword_table()
    at_two = list(map(table.get, bigrams, repeat(())))
    extends = _headword_stems()
    longer: list[tuple[int, int, tuple[str, ...]]] = []
    size, longest = len(run), default_glossary().max_zh_len
    # One length at a time, over every start still spelling the beginning of a longer headword.
    live = list(compress(range(len(bigrams)), map(extends.__contains__, bigrams)))
    length = 2
    while live and length < longest:
        length += 1
        live = live[: bisect_right(live, size - length)]  # the candidate must fit in the run
        grams = [run[i : i + length] for i in live]
        found = list(map(table.get, grams, repeat(())))
        longer.extend([(live[k], live[k] + length, found[k]) for k in compress(range(len(found)), found)])
        live = list(compress(live, map(extends.__contains__, grams)))
    return at_two, longer


def _han_parts(runs: list[str], ngrams: tuple[int, int], concepts: bool) -> list[tuple[int, bool, list]]:
    """The Han features of all of a text's runs at once, as ``(shrink, nested, items)`` parts.

    The runs are joined by a newline and each part is computed over the whole join in a few C
    passes (so a text of many short runs costs little more than one long run): the n-grams of
    each length (``shrink = n - 1``), then, if asked, the concept features of the headwords
    starting at each position (``nested``: one tuple per position, ``shrink = 1``).  Nothing that
    spans the newline is a feature: a run's own features are the items from its offset in the
    join to its end minus ``shrink`` (see :func:`_han_run_features`).  No glossary headword holds a
    newline (normalized runs hold none either), so no headword walk crosses from one run to the next.
    """
    joined = "\n".join(runs)
    lo, hi = ngrams
    parts = [(n - 1, False, _ngrams(joined, n)) for n in range(lo, hi + 1)]
    if concepts:
        at_two, longer = _headword_hits(joined, parts[2 - lo][2] if lo <= 2 <= hi else _ngrams(joined, 2))
        for i, _, keys in longer:  # each start's headwords by length, after its 2-character one
            at_two[i] += keys
        parts.append((1, True, at_two))
    return parts


def _han_run_features(parts: list[tuple[int, bool, list]], start: int, end: int, features: list[str]) -> None:
    """Append the features of the run at ``joined[start:end]`` (see :func:`_han_parts`)."""
    for shrink, nested, items in parts:
        mine = items[start : max(start, end - shrink)]
        features.extend(_flatten(mine) if nested else mine)


def _han_features_with_surface(
    raw: str, run: str, ngrams: tuple[int, int], concepts: bool, features: list[str], surfaces: list[str]
) -> None:
    """Append the character n-grams and dictionary concepts of one Han run (normalized: ``run``),
    each with the characters of ``raw`` it came from, in the order :func:`analyze` gives them."""
    # When folding changed the length (演算法 → 算法) positions no longer align: show the whole run.
    aligned = len(run) == len(raw)
    lo, hi = ngrams
    bigrams = None
    for n in range(lo, hi + 1):
        grams = _ngrams(run, n)
        features.extend(grams)
        surfaces.extend(_ngrams(raw, n) if aligned else [raw] * len(grams))
        if n == 2:
            bigrams = grams
    if concepts:
        at_two, longer = _headword_hits(run, _ngrams(run, 2) if bigrams is None else bigrams)
        spans = [(i, i + 2, keys) for i, keys in enumerate(at_two) if keys] + longer
        for i, j, keys in sorted(spans):  # by start, then end: no two spans share both
            features.extend(keys)
            surfaces.extend([raw[i:j] if aligned else raw] * len(keys))


def _phrase_spans(stems: list[str]) -> list[tuple[int, int, str]]:
    """``(start, end, concept feature)`` of the multi-word concepts spelled by adjacent stems (``machin_learn``).

    Stems that begin no phrase are skipped in C; a walk stops where no longer key begins.
    """
    firsts = default_glossary().phrase_starts
    starts = list(compress(range(len(stems) - 1), map(firsts.__contains__, stems)))
    if not starts:
        return []
    table = _phrase_table()
    probe = table.get
    size, longest = len(stems), default_glossary().max_key_words
    pairs = [f"{stems[i]}_{stems[i + 1]}" for i in starts]
    spans = []
    # Few pairs begin a phrase: only those are walked.
    for i, key in compress(zip(starts, pairs, strict=True), map(table.__contains__, pairs)):
        feature = table[key]
        if feature:
            spans.append((i, i + 2, feature))
        for j in range(i + 2, min(size, i + longest)):
            key = f"{key}_{stems[j]}"
            feature = probe(key)
            if feature is None:
                break  # no key starts with these stems: no longer one will either
            if feature:
                spans.append((i, j + 1, feature))
    return spans


_join_pair = "{} {}".format


def _word_bigrams(items: list[str]) -> list[str]:
    """``"a b"`` for every adjacent pair of ``items``."""
    return list(map(_join_pair, items, items[1:]))


class _TokenCache(dict):
    """raw non-Han token → ``compute(raw)``, filled on a miss and emptied when it grows too big.

    Looked up with ``map(cache.__getitem__, tokens)``: a hit stays in C.  Thread-safe under the GIL:
    a miss in any thread (even right after another thread emptied it) recomputes the value.
    """

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, raw: str) -> tuple[str, ...]:
        value = self.compute(raw)
        if len(self) > _TOKEN_CACHE_MAX:
            self.clear()
        self[raw] = value
        return value


_TOKEN_CACHE_MAX = 200_000
_TOKEN_STEMS = _TokenCache(lambda raw: tuple(stem for stem, _ in _latin_tokens(raw)))
_TOKEN_FEATURES: dict[tuple[bool, int], _TokenCache] = {}
_TOKEN_PAIRS: dict[tuple[bool, int], _TokenCache] = {}


def _options_cache(caches: dict[tuple[bool, int], _TokenCache], key: tuple[bool, int], compute) -> _TokenCache:
    """The token cache of ``caches`` for one pair of analyzer options, made on first use."""
    cache = caches.get(key)
    if cache is None:  # two threads may both make one: either is correct
        cache = caches.setdefault(key, _TokenCache(compute))
    return cache


def _token_features(concepts: bool, repeat: int) -> _TokenCache:
    """The cache of word features of raw tokens under one pair of options."""
    key = (bool(concepts), repeat)
    return _options_cache(_TOKEN_FEATURES, key, lambda raw: _latin_features(raw, *key)[0])


def _token_pairs(concepts: bool, repeat: int) -> _TokenCache:
    """The cache of (word feature, surface) pairs of raw tokens under one pair of options."""
    key = (bool(concepts), repeat)
    return _options_cache(_TOKEN_PAIRS, key, lambda raw: tuple(zip(*_latin_features(raw, *key)[:2], strict=True)))


def _split(text: str) -> tuple[list[str], list[str], list[str]]:
    """``(stretches, raw Han runs, normalized Han runs)`` of ``text``.

    Stretches and runs alternate, starting and ending with a (possibly empty) stretch of non-Han text.
    """
    if text.isascii():
        return [text], [], []  # nothing to fold; a control character only separates words, as a space does
    pieces = _HAN_SPLIT.split(_strip_controls(text))
    raw_runs = pieces[1::2]
    return pieces[::2], raw_runs, _normalize_runs(raw_runs)


# Every ASCII character that is not a letter or digit (spaces, punctuation, controls) → a space.
_ASCII_SEPARATORS = str.maketrans(dict.fromkeys((c for c in map(chr, range(128)) if not c.isalnum()), " "))


def _ascii_words(text: str) -> list[str]:
    """What ``_LATIN_WORD.findall`` gives for an ASCII ``text`` (its letters and digits), in half the
    time: every separator becomes a space, then one split."""
    return text.translate(_ASCII_SEPARATORS).split()


def _word_finder(text: str):
    """The function listing the non-Han words of ``text``'s stretches (a faster one for ASCII text)."""
    return _ascii_words if text.isascii() else _LATIN_WORD.findall


# -- the pairs of a few wanted features -------------------------------------------------------
# analyze_with_surface(text, only=...) looks for the wanted features instead of listing every pair:
# Han n-grams and headwords are searched for in the joined runs, words are kept when one of their
# features is wanted.  As in the full pass, Han run k - 1 comes before the words of stretch k.

_first = itemgetter(0)


@lru_cache(maxsize=1)
def _concept_headwords() -> dict[str, tuple[str, ...]]:
    """Concept feature → the glossary headwords that add it (every headword has 2+ characters)."""
    heads: dict[str, list[str]] = {}
    for head, keys in default_glossary().zh_to_keys.items():
        for key in keys:
            heads.setdefault(CONCEPT_PREFIX + key, []).append(head)
    return {feature: tuple(found) for feature, found in heads.items()}


@lru_cache(maxsize=1)
def _phrase_features() -> frozenset[str]:
    return frozenset(feature for feature in _phrase_table().values() if feature)


def _wanted_han(
    raw_runs: list[str], runs: list[str], wanted: frozenset[str], ngrams: tuple[int, int], concepts: bool
) -> list[tuple[tuple, str, str]]:
    """``(order key, feature, surface)`` of the wanted n-grams and concepts of the Han runs.

    Each wanted n-gram and each headword of a wanted concept is searched for in the joined runs; an
    occurrence counts only inside one run, as :func:`_han_features_with_surface` sees them.  The key
    orders them as that function does: a run's n-grams by length then start, then its headwords by
    start then end.
    """
    joined = "\n".join(runs)
    starts = [0, *accumulate(len(run) + 1 for run in runs)]  # of each run in ``joined``
    aligned = [len(raw) == len(run) for raw, run in zip(raw_runs, runs, strict=True)]
    lo, hi = ngrams
    searches = [(n, gram, (gram,)) for gram in wanted if lo <= (n := len(gram)) <= hi]
    if concepts:
        headwords, table = _concept_headwords(), _headword_table()
        # A concept may have dozens of headwords: most are absent, and one scan of the text says so.
        heads = {head for feature in wanted for head in headwords.get(feature, ()) if head in joined}
        searches += [(hi + 1, head, tuple(f for f in table[head] if f in wanted)) for head in heads]
    found = []
    for part, needle, features in searches:
        size = len(needle)
        at = joined.find(needle)
        while at >= 0:
            r = bisect_right(starts, at) - 1
            i = at - starts[r]
            if at + size < starts[r + 1]:  # else it reaches the newline after run r: not inside one run
                surface = raw_runs[r][i : i + size] if aligned[r] else raw_runs[r]
                for n, feature in enumerate(features):
                    found.append(((r + 1, 0, part, at, size, n), feature, surface))
            at = joined.find(needle, at + 1)
    return found


def _wanted_words(
    text: str, stretches: list[str], wanted: frozenset[str], word_bigrams: bool, concepts: bool, repeat: int
) -> list[tuple[int, list[tuple[str, str]]]]:
    """``(k, pairs)``: the wanted word features, phrases and word bigrams of each stretch ``k`` holding any."""
    # Chinese text: stretches are mostly punctuation; one search tells whether any holds a word.
    if len(stretches) > 1 and _LATIN_WORD.search("".join(stretches)) is None:
        return []
    token_features = _token_features(concepts, repeat).__getitem__
    token_pairs = _token_pairs(concepts, repeat).__getitem__
    find_words = _word_finder(text)
    phrases = concepts and not wanted.isdisjoint(_phrase_features())
    bigrams = word_bigrams and any(" " in feature for feature in wanted)
    out = []
    for k, stretch in enumerate(stretches):
        tokens = find_words(stretch) if stretch else []
        if not tokens:
            continue
        # In C: the pairs of the tokens with a wanted feature, then the wanted ones among them.
        hits = compress(tokens, map(not_, map(wanted.isdisjoint, map(token_features, tokens))))
        pairs = list(_flatten(map(token_pairs, hits)))
        pairs = list(compress(pairs, map(wanted.__contains__, map(_first, pairs))))
        if phrases or bigrams:
            pairs += _wanted_across_words(tokens, wanted, phrases, bigrams, concepts, repeat)
        if pairs:
            out.append((k, pairs))
    return out


def _wanted_across_words(
    tokens: list[str], wanted: frozenset[str], phrases: bool, bigrams: bool, concepts: bool, repeat: int
) -> list[tuple[str, str]]:
    """The wanted phrases, then word bigrams, of one stretch's ``tokens``."""
    stems: list[str] = []
    words: list[str] = []
    for raw in tokens:
        _, _, word_stems, word_words = _latin_features(raw, concepts, repeat)
        stems.extend(word_stems)
        words.extend(word_words)
    pairs = []
    if phrases:
        pairs += [(feature, " ".join(words[i:j])) for i, j, feature in _phrase_spans(stems) if feature in wanted]
    if bigrams:
        pairs += [pair for pair in zip(_word_bigrams(stems), _word_bigrams(words), strict=True) if pair[0] in wanted]
    return pairs


def _wanted_with_surface(
    text: str, wanted: frozenset[str], ngrams: tuple[int, int], word_bigrams: bool, concepts: bool, repeat: int
) -> list[tuple[str, str]]:
    """``[p for p in analyze_with_surface(text, ...) if p[0] in wanted]``, for a small ``wanted``."""
    if not wanted:
        return []
    stretches, raw_runs, runs = _split(text)
    words = _wanted_words(text, stretches, wanted, word_bigrams, concepts, repeat)
    han = _wanted_han(raw_runs, runs, wanted, ngrams, concepts) if runs else []
    if not han:
        return list(_flatten(pairs for _, pairs in words))
    # Han run k - 1 (key (k, 0, ...)) before the words of stretch k (key (k, 1)).
    blocks = [(key, ((feature, surface),)) for key, feature, surface in han]
    blocks += [((k, 1), pairs) for k, pairs in words]
    blocks.sort(key=_first)
    return list(_flatten(pairs for _, pairs in blocks))


def analyze_with_surface(
    text: str,
    *,
    ngrams: tuple[int, int] = (1, 2),
    word_bigrams: bool = False,
    concepts: bool = True,
    word_concept_repeat: int = 4,
    only: frozenset[str] | None = None,
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
    only : keep just these features (the pairs of the others left out, order unchanged).  An
        explanation needs the words of a handful of features: they are looked for directly, which
        costs a fraction of producing every pair.
    """
    features: list[str] = []
    surfaces: list[str] = []
    if not isinstance(text, str) or not text:
        return []
    if only is not None:
        return _wanted_with_surface(text, only, ngrams, word_bigrams, concepts, word_concept_repeat)
    stretches, raw_runs, runs = _split(text)
    find_words = _word_finder(text)
    for k, stretch in enumerate(stretches):
        if k:
            _han_features_with_surface(raw_runs[k - 1], runs[k - 1], ngrams, concepts, features, surfaces)
        stems: list[str] = []
        words: list[str] = []
        for raw in find_words(stretch):
            word_features, word_surfaces, word_stems, word_words = _latin_features(raw, concepts, word_concept_repeat)
            features.extend(word_features)
            surfaces.extend(word_surfaces)
            stems.extend(word_stems)
            words.extend(word_words)
        if concepts:
            for i, j, feature in _phrase_spans(stems):
                features.append(feature)
                surfaces.append(" ".join(words[i:j]))
        if word_bigrams:
            features.extend(_word_bigrams(stems))
            surfaces.extend(_word_bigrams(words))
    return list(zip(features, surfaces, strict=True))


def analyze(
    text: str,
    *,
    ngrams: tuple[int, int] = (1, 2),
    word_bigrams: bool = False,
    concepts: bool = True,
    word_concept_repeat: int = 4,
) -> list[str]:
    """Features of one field's text (see :func:`analyze_with_surface` for the options).

    The features of ``analyze_with_surface`` without building their surfaces: this is the path
    that indexes a corpus, so per-token work runs in C where it can (cached tuples, flattened once).
    """
    features: list[str] = []
    if not isinstance(text, str) or not text:
        return features
    token_features = _token_features(concepts, word_concept_repeat).__getitem__
    token_stems = _TOKEN_STEMS.__getitem__
    stretches, _, runs = _split(text)
    find_words = _word_finder(text)
    parts = _han_parts(runs, ngrams, concepts) if runs else []
    # Chinese text: stretches are mostly punctuation; one search tells whether any holds a word.
    has_words = len(stretches) == 1 or _LATIN_WORD.search("".join(stretches)) is not None
    start = 0  # of the current run in the newline-joined runs
    for k, stretch in enumerate(stretches):
        if k:
            end = start + len(runs[k - 1])
            _han_run_features(parts, start, end, features)
            start = end + 1
        if not stretch or not has_words:
            continue
        tokens = find_words(stretch)
        if not tokens:
            continue
        features.extend(_flatten(map(token_features, tokens)))
        if concepts or word_bigrams:
            stems = list(_flatten(map(token_stems, tokens)))
            if concepts:
                features.extend([feature for _, _, feature in _phrase_spans(stems)])
            if word_bigrams:
                features.extend(_word_bigrams(stems))
    return features
