"""The text pipeline: normalization properties, Chinese folding, mixed text, stemming, surfaces."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.matching.glossary import CONCEPT_PREFIX
from matchmaker.matching.text import STOP_WORDS, analyze, analyze_with_surface, normalize
from tests.matching.strategies import analyzer_options

# Text that mixes the scripts a posting may use, plus controls, NULs and odd code points.
mixed_text = st.text(
    alphabet=st.one_of(
        st.characters(),  # anything, surrogates and unassigned code points included
        st.sampled_from("綫線演算法奈米感測器機器學習石墨烯电池 \x00\x07\t\n\u200b\ufeffＡＢﬁİ½"),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(mixed_text)
def test_normalize_never_raises_and_is_idempotent(text):
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(mixed_text)
def test_normalize_leaves_no_control_or_format_characters(text):
    out = normalize(text)
    assert not [ch for ch in out if unicodedata.category(ch) in {"Cc", "Cf", "Cs"}]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abc 綫算", max_size=10), st.text(alphabet="xyz 線法", max_size=10))
def test_everything_after_a_nul_is_kept(before, after):
    out = normalize(f"{before}\x00{after}")
    assert out == normalize(f"{before} {after}")
    assert "\x00" not in out


@pytest.mark.parametrize(
    "text,expected",
    [
        ("綫", "线"),  # HK variant, needs hk2t before tw2sp
        ("演算法", "算法"),  # Taiwan vocabulary
        ("奈米感測器", "纳米传感器"),
        ("機器學習", "机器学习"),
        ("ＧＲＡＰＨＥＮＥ", "graphene"),  # full-width Latin (NFKC) and lowercase
        ("a\x00b\tc", "a b c"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_normalize_folds_scripts_and_cleans(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["厄瓜多", "厄瓜多尔", "塔吉克", "并行程序", "幺麽小丑", "綫厄瓜多"])
def test_normalize_is_idempotent_where_tw2sp_is_not(text):
    # tw2sp maps 厄瓜多 → 厄瓜多尔 and again → 厄瓜多尔尔: applying it blindly never settles.
    once = normalize(text)
    assert normalize(once) == once
    assert len(once) <= len(text) + 1


def test_normalize_tolerates_none_and_non_strings():
    assert normalize(None) == ""
    assert normalize(42) == "42"


def test_traditional_hk_and_simplified_give_the_same_features():
    assert analyze("演算法 綫路") == analyze("算法 线路")
    assert analyze("機器學習") == analyze("机器学习")


def test_english_words_are_stemmed_and_stop_words_dropped():
    features = analyze("The batteries were charging", concepts=False)
    assert features == ["batteri", "charg"]
    assert not STOP_WORDS & set(features)


def test_cjk_runs_give_unigrams_and_bigrams():
    assert analyze("电池", concepts=False) == ["电", "池", "电池"]
    assert analyze("电池", concepts=False, ngrams=(2, 2)) == ["电池"]


def test_mixed_text_keeps_latin_inside_chinese():
    features = analyze("基于Lyapunov函数的控制", concepts=False)
    assert "lyapunov" in features
    assert {"函数", "控制"} <= set(features)


def test_an_english_concept_word_keeps_the_weight_of_a_plain_stem():
    # The word becomes its concept, emitted word_concept_repeat times (each counts concept_weight).
    features = analyze("graphene", word_concept_repeat=4)
    assert features == [CONCEPT_PREFIX + "graphen"] * 4
    assert analyze("graphene", concepts=False) == ["graphen"]


def test_word_bigrams_are_optional():
    assert "solar cell" in analyze("solar cells", concepts=False, word_bigrams=True)
    assert not [f for f in analyze("solar cells", concepts=False) if " " in f]


def test_surfaces_are_the_original_words():
    pairs = analyze_with_surface("Batteries 演算法 綫路", concepts=False)
    surfaces = dict(pairs)
    assert surfaces["batteri"] == "Batteries"
    assert surfaces["线路"] == "綫路"  # same length after folding: the exact original characters
    assert surfaces["算法"] == "演算法"  # length changed by folding: the whole original run


@pytest.mark.parametrize("text", ["", "   ", "\x00\x00", "!!! ...", None])
def test_empty_or_wordless_text_has_no_features(text):
    assert analyze(text) == []


def test_plain_features_never_carry_the_concept_prefix():
    features = analyze("graphene 石墨烯 ≈graphene ≈", concepts=False)
    assert features and not [f for f in features if f.startswith(CONCEPT_PREFIX)]


# Han runs the converters treat specially: phrases (演算法), HK variants, a non-idempotent phrase
# (厄瓜多), compatibility ideographs NFKC rewrites (﨑 U+FA11 stays, 兀 U+FA0C folds).
han_runs = st.lists(
    st.text(alphabet="演算法綫線厄瓜多尔塔吉克并行程序機器學習石墨烯电池的一\ufa0c\ufa11", min_size=1, max_size=8),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(han_runs)
def test_each_han_run_is_analysed_as_if_alone(runs):
    # A field's runs are folded together in one converter call: no run may change another.
    together = analyze_with_surface("，".join(runs))
    alone = [pair for run in runs for pair in analyze_with_surface(run)]
    assert together == alone
    assert [f for f, _ in together] == analyze("，".join(runs))


# Runs and stretches of both scripts, separated the ways postings separate them.
mixed_pieces = st.lists(
    st.one_of(
        st.text(alphabet="演算法綫線厄瓜多尔机器学习石墨烯电池神经网络的一\ufa0c", min_size=1, max_size=8),
        st.sampled_from(["machine learning", "neural networks", "graphene", "the of", "deep_learning", "Ｍachine"]),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(mixed_pieces, st.sampled_from(["", " ", "，", "、", "\n", "-"]), analyzer_options)
def test_features_are_those_of_the_surface_path(pieces, separator, options):
    # analyze() batches a text's Han runs and skips surfaces; it must still give exactly these features.
    text = separator.join(pieces)
    assert analyze(text, **options) == [f for f, _ in analyze_with_surface(text, **options)]


ascii_words = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=12),
        st.sampled_from(["machine learning", "Graphene", "the", "CO2", "deep_learning", "solar-cells", "a\x00b"]),
    ),
    max_size=8,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(ascii_words, analyzer_options)
def test_ascii_text_takes_a_shortcut_to_the_same_features(text, options):
    # An ideographic space (not ASCII, not a word) sends the same words down the general path.
    assert analyze(text, **options) == analyze(text + "\u3000", **options)
    assert analyze_with_surface(text, **options) == analyze_with_surface(text + "\u3000", **options)
