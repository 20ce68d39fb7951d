"""Matchmaker's matching engine: a pure library (no Flask, no database).

Text → weighted sparse vectors → ranked ids with explanations.
"""

from .config import EngineConfig
from .text import analyze, analyze_with_surface, normalize
from .weighting import TermWeighting

__all__ = ["EngineConfig", "TermWeighting", "analyze", "analyze_with_surface", "normalize"]
