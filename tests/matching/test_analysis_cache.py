"""Analyses the engine remembers: a text's features, and an indexed row's counts for the backward direction."""

from __future__ import annotations

import pytest

from matchmaker.matching import EngineConfig, MatchingEngine, Record
from matchmaker.matching.explain import QueryFeatures

FIELDS = {"title": "石墨烯 graphene battery", "summary": "Fast-charging graphene cells for phones."}


def test_cached_features_are_the_features_of_the_text():
    config = EngineConfig()
    cached = QueryFeatures.cached(config, dict(FIELDS))
    fresh = QueryFeatures.of(config, FIELDS)
    assert (cached.counts, cached.surfaces, cached.fields) == (fresh.counts, fresh.surfaces, fresh.fields)
    assert QueryFeatures.cached(config, dict(FIELDS)) is cached  # a second publish step reuses it
    other = QueryFeatures.cached(config, {**FIELDS, "summary": "Desalination membranes."})
    assert other.counts != cached.counts


def test_the_config_is_part_of_what_is_remembered():
    plain = QueryFeatures.cached(EngineConfig(glossary=False), FIELDS)
    bridged = QueryFeatures.cached(EngineConfig(), FIELDS)
    assert any(f.startswith("≈") for f in bridged.counts)  # concepts only with the glossary
    assert not any(f.startswith("≈") for f in plain.counts)


def test_an_updated_record_needs_no_analysis_for_the_backward_direction():
    engine = MatchingEngine().fit([Record("result", "a", FIELDS), Record("need", 1, {"title": "solar"})])
    need = Record("need", 2, {"title": "graphene battery", "summary": "cells"})
    engine.update([need])
    row = engine.indexes_["need"].rows[2]
    assert ("need", row) in engine._row_queries  # filled from the counts update() made anyway
    found = engine.reverse_similarities("result", "a", "need", [2])[2]
    expected = engine.similarities(need, "result", ["a"])
    assert found == pytest.approx(expected["a"], rel=1e-12) and found > 0
