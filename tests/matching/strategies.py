"""Hypothesis strategies the text-analysis property tests share."""

from hypothesis import strategies as st

# Every analyzer option the product or a test configuration sets, alone and combined.
analyzer_options = st.sampled_from(
    [
        {},
        {"word_bigrams": True},
        {"concepts": False},
        {"word_concept_repeat": 1},
        {"ngrams": (1, 3)},
        {"ngrams": (2, 2)},
        {"ngrams": (1, 3), "word_bigrams": True},
    ]
)
