"""Matchmaker's matching engine: a pure library (no Flask, no database).

Text → weighted sparse vectors → ranked ids with explanations.
"""

from .config import EngineConfig
from .engine import ENGINE_VERSION, MatchingEngine, NotFittedError, Record, Suggestion
from .store import IndexFileError
from .text import analyze, analyze_with_surface, normalize
from .weighting import TermWeighting

__all__ = [
    "ENGINE_VERSION",
    "IndexFileError",
    "MatchingEngine",
    "NotFittedError",
    "Record",
    "Suggestion",
    "EngineConfig", "TermWeighting", "analyze", "analyze_with_surface", "normalize"]
