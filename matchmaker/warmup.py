"""Warming a server process before it takes requests, so that no reader pays for what is built on first use.

The matching glossary (CC-CEDICT plus the supplement, ~4 s of CPU), the OpenCC converters and the
process's matching index are all built lazily. Left to the first request, a fresh `./dev serve` made
the first save wait ~10 s for the page after it (the owner's duplicate check ranks the posting),
while later saves took 0.1 s (benchmarks/first_save.py). gunicorn.conf.py warms its master and
workers with these functions; `flask run` (what ./dev serve runs) warms in `init_app` below, before
the server binds its port and prints that it is running. Every other command and the tests skip it.
"""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import get_debug_flag
from werkzeug.serving import is_running_from_reloader


def warm_text() -> None:
    """Build the glossary and the OpenCC converters in this process (pure data: safe before a fork)."""
    from matchmaker.matching.text import analyze
    from matchmaker.services.language import detect_languages

    analyze("warm up 石墨烯")
    detect_languages("warm up the 繁體中文 converter")


def warm_index(app: Flask) -> int:
    """Load this process's matching index and rank once; returns how many postings it holds."""
    from matchmaker.services import index

    with app.app_context():
        return index.warm_up()


def serving_with_flask_run() -> bool:
    """True inside `flask run` in the process that serves (not the reloader's watcher, which only restarts)."""
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()


def init_app(app: Flask) -> None:
    if app.testing or not serving_with_flask_run():
        return
    started = time.perf_counter()
    warm_text()
    try:
        postings = warm_index(app)
    except Exception:  # a database not migrated yet must not stop the server: the first use loads it
        app.logger.exception("Could not load the matching index at start; the first use will")
        return
    click.echo(f" * Matching engine ready: {postings} postings indexed, "
               f"warmed in {time.perf_counter() - started:.1f} s", err=True)
