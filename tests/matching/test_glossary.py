"""Glossary bridging: English and Chinese text meet on shared concept features."""

from __future__ import annotations

import pytest

from matchmaker.matching import MatchingEngine, Record
from matchmaker.matching.glossary import CONCEPT_PREFIX, build_glossary, default_glossary, gloss_key
from matchmaker.matching.text import STOP_WORDS, analyze, normalize_many, stem_words


def concepts(text: str) -> set[str]:
    return {f for f in analyze(text) if f.startswith(CONCEPT_PREFIX)}


@pytest.mark.parametrize(
    "english,chinese",
    [
        ("graphene", "石墨烯"),
        ("machine learning", "机器学习"),  # a phrase: only in the curated supplement
        ("machine learning", "機器學習"),  # Traditional spelling of the same
        ("sensor", "感測器"),  # Taiwan vocabulary, folded by tw2sp first
        ("battery", "电池"),
    ],
)
def test_english_and_chinese_share_a_concept(english, chinese):
    assert concepts(english) & concepts(chinese)


def test_multi_word_phrase_gets_its_own_concept():
    assert CONCEPT_PREFIX + "machin_learn" in concepts("machine learning")
    assert CONCEPT_PREFIX + "machin_learn" in concepts("机器学习")
    assert CONCEPT_PREFIX + "machin_learn" not in concepts("learning machine")


def test_unrelated_words_share_no_concept():
    assert not concepts("graphene") & concepts("电池")


def test_an_english_need_finds_a_chinese_result():
    engine = MatchingEngine().fit(
        [
            Record("result", "zh-graphene", {"title": "石墨烯导热膜", "summary": "高导热石墨烯薄膜的制备"}),
            Record("result", "zh-radar", {"title": "毫米波雷达跌倒检测", "summary": "用于养老院的雷达"}),
            Record("result", "en-solar", {"title": "Perovskite solar cell", "summary": "Tandem cells."}),
        ]
    )
    best = engine.rank("graphene film with high thermal conductivity", kind="result")
    assert best and best[0].id == "zh-graphene"
    best = engine.rank("使用机器学习的雷达", kind="result")
    assert best[0].id == "zh-radar"


@pytest.mark.parametrize(
    "gloss,key",
    [
        ("graphene", "graphen"),
        ("to study", "studi"),
        ("machine learning", "machin_learn"),
        ("CL:個|个[ge4]", ""),  # classifier note, not a concept
        ("surname Li", ""),
        ("variant of 線|线[xian4]", ""),
        ("the", ""),  # nothing left after stop-words
        ("long explanatory definition naming several content words", ""),  # a definition, not a name
    ],
)
def test_gloss_keys(gloss, key):
    assert gloss_key(gloss, stem_words, STOP_WORDS) == key


def test_build_glossary_limits_dictionary_senses_but_keeps_curated_synonyms():
    glossary = build_glossary(
        [("电池", ["battery", "cell", "accumulator"]), ("的", ["of"])],
        [("石墨烯", ["graphene", "single-layer graphite", "2d carbon"])],
        normalize=normalize_many,
        stem=stem_words,
        stop=STOP_WORDS,
        max_senses=2,
    )
    assert glossary.zh_to_keys["电池"] == ("batteri", "cell")
    assert len(glossary.zh_to_keys["石墨烯"]) == 3
    assert "的" not in glossary.zh_to_keys  # single characters are too ambiguous to bridge


def test_default_glossary_is_built_once():
    assert default_glossary() is default_glossary()
    assert "石墨烯" in default_glossary().zh_to_keys
