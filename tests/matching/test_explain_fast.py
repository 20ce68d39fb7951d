"""Explained candidates are analysed for a few features only: exactly what the full analysis gives for them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.matching import EngineConfig
from matchmaker.matching.explain import QueryFeatures, normalized_term
from matchmaker.matching.glossary import CONCEPT_PREFIX
from matchmaker.matching.text import analyze_with_surface, normalize
from tests.matching.strategies import analyzer_options

# Pieces of postings in English, Traditional and Simplified Chinese: glossary headwords in both
# scripts (some folded to another length: 演算法 → 算法, 厄瓜多 is special), English concept words
# and phrases, non-ASCII Latin, and words that recur so that one feature has several surfaces.
han_piece = st.one_of(
    st.text(
        alphabet="演算法綫線厄瓜多尔机器学习機器學習石墨烯电池電池神经网络神經網絡太阳能太陽能的一水膜\ufa0c\ufa11",
        max_size=10,
    ),
    st.sampled_from(
        [
            "演算法",
            "厄瓜多",
            "石墨烯",
            "電池",
            "电池",
            "机器学习",
            "機器學習",
            "太陽能電池",
            "海水淡化",
            "奈米",
            "感測器",
        ]
    ),
)
latin_piece = st.sampled_from(
    [
        "graphene",
        "Graphene",
        "GRAPHENE",
        "batteries",
        "battery",
        "machine learning",
        "Machine Learning",
        "neural networks",
        "solar cells",
        "the of",
        "deep_learning",
        "Ｍachine",
        "naïve",
        "İstanbul",
        "ﬁlm",
        "desalination membrane",
        "CO2",
    ]
)
separator = st.sampled_from(["", " ", "，", "、", "。", "\n", "-", "\x00", "\u200b", "(", ")"])
mixed_text = st.lists(st.tuples(st.one_of(han_piece, latin_piece), separator), max_size=12).map(
    lambda parts: "".join(piece + sep for piece, sep in parts)
)
# ASCII text takes a path of its own: any ASCII characters, and English words among punctuation and controls.
ascii_text = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
    st.lists(st.tuples(latin_piece.filter(str.isascii), separator.filter(str.isascii)), max_size=12).map(
        lambda parts: "".join(piece + sep for piece, sep in parts)
    ),
)
# Features no text here yields, or that no analysis yields at all (spanning two runs, empty).
strangers = st.frozensets(st.sampled_from(["≈abbr", "zzz", "石\n墨", "\n", "", "墨烯电", "machin learn"]), max_size=2)


def _own_features(data, features) -> frozenset[str]:
    """A random few of ``features`` (as an explanation picks them: up to 15), with a stranger or two."""
    mine = data.draw(st.frozensets(st.sampled_from(sorted(set(features))), max_size=15)) if features else frozenset()
    return mine | data.draw(strangers)


@settings(max_examples=500, deadline=None)
@given(st.one_of(mixed_text, ascii_text), analyzer_options, st.data())
def test_only_gives_the_full_pairs_of_those_features_in_order(text, options, data):
    full = analyze_with_surface(text, **options)
    only = _own_features(data, [feature for feature, _ in full])
    assert analyze_with_surface(text, **options, only=only) == [pair for pair in full if pair[0] in only]


@settings(max_examples=100, deadline=None)
@given(st.one_of(mixed_text, ascii_text), analyzer_options)
def test_only_everything_is_the_full_analysis(text, options):
    full = analyze_with_surface(text, **options)
    assert analyze_with_surface(text, **options, only=frozenset(f for f, _ in full)) == full
    assert analyze_with_surface(text, **options, only=frozenset()) == []


def test_a_concept_keeps_its_english_and_chinese_words_in_text_order():
    text = "石墨烯 graphene，石墨烯、Graphene 電池"
    only = frozenset({CONCEPT_PREFIX + "graphen", "石墨"})
    pairs = analyze_with_surface(text, only=only)
    assert pairs == [pair for pair in analyze_with_surface(text) if pair[0] in only]
    concept = [surface for feature, surface in pairs if feature == CONCEPT_PREFIX + "graphen"]
    assert concept == ["石墨烯"] + ["graphene"] * 4 + ["石墨烯"] + ["Graphene"] * 4


# Weights that are not sums of powers of two, so that any change in the order of additions would show.
configs = st.sampled_from(
    [
        EngineConfig(),
        EngineConfig(concept_weight=0.3, field_weights=(("title", 2.7), ("summary", 1.1))),
        EngineConfig(word_bigrams=True, cjk_ngrams=(1, 3), concept_weight=0.1),
    ]
)


def _tally(config: EngineConfig, fields: dict[str, str]) -> QueryFeatures:
    """QueryFeatures.of as the plain loop over every (feature, surface) occurrence."""
    out = QueryFeatures({}, {}, {})
    for name, text in fields.items():
        per_field: dict[str, float] = {}
        for feature, surface in analyze_with_surface(text, **config.analyzer_options()):
            w = config.weight(name, feature)
            per_field[feature] = per_field.get(feature, 0.0) + w
            words = out.surfaces.setdefault(feature, {})
            words[surface] = words.get(surface, 0.0) + w
        for feature, w in per_field.items():
            out.counts[feature] = out.counts.get(feature, 0.0) + w
            if w > out.fields.get(feature, ("", 0.0))[1]:
                out.fields[feature] = (name, w)
    return out


def _ordered(features: QueryFeatures, only=None) -> tuple:
    """Everything explanations read, insertion order included (it breaks ties between words)."""
    keep = features.counts.keys() if only is None else only
    return (
        {f: w for f, w in features.counts.items() if f in keep},
        {f: list(words.items()) for f, words in features.surfaces.items() if f in keep},
        {f: v for f, v in features.fields.items() if f in keep},
    )


@settings(max_examples=200, deadline=None)
@given(configs, mixed_text, mixed_text, mixed_text, st.data())
def test_candidate_features_are_the_full_ones_restricted(config, title, summary, details, data):
    fields = {"title": title, "summary": summary, "details": details}
    full = QueryFeatures.of(config, fields)
    assert _ordered(full) == _ordered(_tally(config, fields))
    only = _own_features(data, list(full.counts))
    assert _ordered(QueryFeatures.of(config, fields, only=only)) == _ordered(full, only)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), mixed_text, st.text()))
def test_a_term_is_normalised_as_normalize_does(term):
    # Bridging compares normalised words; printable ASCII takes a shortcut that must agree.
    assert normalized_term(term) == normalize(term)
