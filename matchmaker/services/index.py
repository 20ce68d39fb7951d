"""The matching engine's index for this process: loaded from `instance/`, kept in step with the database.

The database is the truth; the index file only saves start-up time. Each process holds one engine and a
watermark: before each use it re-reads the postings changed since then (any process may have changed
them) and applies them, so a posting published through one gunicorn worker is found by all. A missing or
unreadable file is rebuilt from the database; a newer file written by `flask matching rebuild` is picked up.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.matching import MatchingEngine, Record
from matchmaker.models import EnterpriseNeed, ResearchResult
from matchmaker.models.base import today_hk, utcnow
from matchmaker.models.postings import Status

MODELS = (ResearchResult, EnterpriseNeed)
# Commits of other processes can land with a slightly older updated_at than ours: re-read a margin.
CLOCK_MARGIN = timedelta(seconds=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class IndexHolder:
    engine: MatchingEngine | None = None
    synced_at: datetime = EPOCH
    file_mtime: float = 0.0
    # (kind, id) → updated_at already applied inside the re-read margin, so a re-read costs nothing.
    applied: dict = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)


def record_for(posting) -> Record:
    return Record(posting.KIND, posting.id, posting.text_fields())


def is_live(posting) -> bool:
    return posting.status == Status.PUBLISHED and not (
        getattr(posting, "deadline", None) and posting.deadline < today_hk())


def _paths() -> tuple[str, str]:
    path = current_app.config["MATCHMAKER_INDEX_PATH"]
    return path, path + ".meta.json"


def _holder() -> IndexHolder:
    return current_app.extensions.setdefault("matchmaker_index", IndexHolder())


def _live_postings():
    for model in MODELS:
        yield from db.session.scalars(sa.select(model).where(model.status == Status.PUBLISHED))


def build_engine() -> tuple[MatchingEngine, datetime]:
    """Fit a fresh engine on every live posting; returns it with the time the read started."""
    started = utcnow()
    records = [record_for(p) for p in _live_postings() if is_live(p)]
    return MatchingEngine().fit(records), started


def save(engine: MatchingEngine, synced_at: datetime) -> None:
    """Write the index and then its watermark, each atomically (a crash leaves the old pair usable)."""
    path, meta_path = _paths()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    engine.save(path)
    tmp = meta_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"synced_at": synced_at.isoformat()}, handle)
    os.replace(tmp, meta_path)


def _load_from_disk(holder: IndexHolder) -> bool:
    path, meta_path = _paths()
    try:
        engine = MatchingEngine.load(path)
        with open(meta_path, encoding="utf-8") as handle:
            synced_at = datetime.fromisoformat(json.load(handle)["synced_at"])
        mtime = os.stat(path).st_mtime
    except (OSError, ValueError, KeyError, EOFError) as error:
        current_app.logger.warning("Index at %s not usable (%s); rebuilding from the database", path, error)
        return False
    holder.engine, holder.synced_at, holder.file_mtime = engine, synced_at, mtime
    return True


def _rebuild_into(holder: IndexHolder) -> None:
    engine, started = build_engine()
    try:
        save(engine, started)
        holder.file_mtime = os.stat(_paths()[0]).st_mtime
    except OSError as error:  # a full disk must not stop matching: keep serving from memory
        current_app.logger.error("Could not save the index: %s", error)
    holder.engine, holder.synced_at = engine, started


def _file_is_newer(holder: IndexHolder) -> bool:
    try:
        return os.stat(_paths()[0]).st_mtime > holder.file_mtime
    except OSError:
        return False


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sync(holder: IndexHolder) -> None:
    """Apply the postings changed since the watermark (published → indexed, anything else → removed)."""
    since = holder.synced_at - CLOCK_MARGIN
    started = utcnow()
    for model in MODELS:
        changed = [p for p in db.session.scalars(sa.select(model).where(model.updated_at >= since))
                   if holder.applied.get((model.KIND, p.id)) != p.updated_at]
        live = [p for p in changed if is_live(p)]
        if live:
            holder.engine.update(record_for(p) for p in live)
        gone = [p.id for p in changed if not is_live(p)]
        if gone:
            holder.engine.remove(model.KIND, gone)
        holder.applied.update(((model.KIND, p.id), p.updated_at) for p in changed)
    holder.applied = {key: at for key, at in holder.applied.items() if _aware(at) >= started - CLOCK_MARGIN}
    holder.synced_at = started


def current_engine() -> MatchingEngine:
    """This process's engine, up to date with the database. Hold `lock()` while using it."""
    holder = _holder()
    if (holder.engine is None or _file_is_newer(holder)) and not _load_from_disk(holder):
        _rebuild_into(holder)
    _sync(holder)
    if holder.engine.needs_refit:
        # Postings added since the fit are weighted with the fit's statistics: on a site that started
        # small (or empty) every word would keep the weight of a word never seen, and pair scores would
        # follow the order postings arrived in rather than what they say.
        _rebuild_into(holder)
    return holder.engine


def lock() -> threading.RLock:
    return _holder().lock


def rebuild() -> int:
    """Refit from the database, replace the file atomically and use it here; returns postings indexed."""
    holder = _holder()
    with holder.lock:
        _rebuild_into(holder)
        return len(holder.engine)


def warm_up() -> int:
    """Load (or rebuild) this process's engine and rank one live posting of each kind against the other.

    Run when a server process starts, so that its first publish does not also pay for reading the
    index file and for whatever the engine builds or compiles on its first ranking. Returns how many
    postings are indexed.
    """
    with lock():
        engine = current_engine()
        for model, other in zip(MODELS, reversed(MODELS), strict=True):
            posting = db.session.scalar(sa.select(model).where(model.status == Status.PUBLISHED).limit(1))
            if posting is not None:
                engine.rank(record_for(posting), kind=other.KIND, top_n=1, explain_top=1)
        return len(engine)
