"""Matchmaker: technology-transfer matchmaking for the Greater Bay Area.

The application factory lives in `matchmaker.app`; it is imported only when an app is built, so the
pure matching library (`matchmaker.matching`) loads without Flask.
"""

from __future__ import annotations


def create_app(config_name: str | None = None, **overrides):
    """Build the application (see :func:`matchmaker.app.create_app`)."""
    from matchmaker.app import create_app as build

    return build(config_name, **overrides)
