"""Ranking many queries at once (rematching everything), across worker processes.

Workers are forked so that they share the parent's index pages instead of loading a copy.
Forking a process that runs threads can deadlock, so call this from a CLI command or a job,
not from inside a threaded web worker; ``n_jobs=1`` runs in the calling process.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence

BATCH = 100  # queries per task

_shared: tuple | None = None  # (engine, kind, top_n, explain_top), inherited by forked workers


def _rank_batch(queries: Sequence) -> list:
    engine, kind, top_n, explain_top = _shared
    engine.search_threads = 1  # this forked copy's own: the processes already use every core
    return [engine.rank(q, kind, top_n, explain_top=explain_top) for q in queries]


def rank_many(engine, queries: Sequence, kind: str, top_n: int, explain_top: int, n_jobs: int) -> list[list]:
    """``[engine.rank(q, kind, top_n) for q in queries]``, computed by ``n_jobs`` processes."""
    global _shared
    if n_jobs <= 1 or len(queries) < 2 * BATCH:
        return [engine.rank(q, kind, top_n, explain_top=explain_top) for q in queries]
    _shared = (engine, kind, top_n, explain_top)
    try:
        with mp.get_context("fork").Pool(n_jobs) as pool:
            batches = [queries[i : i + BATCH] for i in range(0, len(queries), BATCH)]
            return [result for batch in pool.map(_rank_batch, batches) for result in batch]
    finally:
        _shared = None
