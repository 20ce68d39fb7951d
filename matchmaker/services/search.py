"""Listing and searching postings with filters and pagination.

Search is a LIKE over `search_text`, which holds the posting's public text folded the same way as the
query (NFKC, Traditional → Simplified, lower case): a Simplified query finds a Traditional posting
without a search server, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Organisation, ResearchResult
from matchmaker.models.base import today_hk
from matchmaker.models.postings import Status


def fold(text: str) -> str:
    from matchmaker.matching.text import normalize

    return normalize(text)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Filters:
    query: str = ""
    sector: str = ""
    region: str = ""
    institution: int | None = None
    trl: int | None = None
    status: str = Status.PUBLISHED


def _status_condition(model, status: str, staff: bool):
    today = today_hk()
    if model is EnterpriseNeed and status == Status.EXPIRED:
        return (model.status == Status.PUBLISHED) & (model.deadline < today)
    if status in (Status.DRAFT, Status.ARCHIVED) and staff:
        return model.status == status
    condition = model.status == Status.PUBLISHED
    if model is EnterpriseNeed:
        condition &= sa.or_(model.deadline.is_(None), model.deadline >= today)
    return condition


def build_query(model, filters: Filters, *, staff: bool = False) -> sa.Select:
    """The SELECT for a public list; drafts and archived postings only for staff."""
    # Each card names the posting's organisation: joined here, not one lazy load per card.
    stmt = (sa.select(model).options(joinedload(model.organisation))
            .where(_status_condition(model, filters.status, staff)))
    for term in fold(filters.query).split():
        stmt = stmt.where(model.search_text.like(f"%{_escape_like(term)}%", escape="\\"))
    if filters.sector:
        stmt = stmt.where(model.sector == filters.sector)
    if filters.institution:
        stmt = stmt.where(model.organisation_id == filters.institution)
        if model is EnterpriseNeed and not staff:
            # Filtering by owner would name a confidential need's company to anyone who asks.
            stmt = stmt.where(model.confidential.is_(False))
    if filters.region:
        stmt = stmt.where(_region_condition(model, filters.region))
    if filters.trl:
        column = model.trl if model is ResearchResult else model.min_trl
        stmt = stmt.where(column >= filters.trl if model is ResearchResult else
                          sa.or_(column.is_(None), column <= filters.trl))
    return stmt.order_by(model.published_at.desc().nulls_last(), model.id.desc())


def _region_condition(model, region: str):
    if model is EnterpriseNeed:
        return model.region == region
    return model.organisation_id.in_(sa.select(Organisation.id).where(Organisation.region == region))


def paginate(model, filters: Filters, page: int, per_page: int, *, staff: bool = False):
    return db.paginate(build_query(model, filters, staff=staff), page=page, per_page=per_page,
                       error_out=False, max_per_page=100)


def counts_by_sector() -> list[tuple[str, dict[str, int]]]:
    """Live postings per sector, results and needs apart (each count is what its list shows), busiest first.

    Each entry is ``(sector, {"result": n, "need": m})``; the counts are those of the public lists
    filtered by that sector alone.
    """
    counts: dict[str, dict[str, int]] = {}
    for kind, model in (("result", ResearchResult), ("need", EnterpriseNeed)):
        live = _status_condition(model, Status.PUBLISHED, False)
        rows = db.session.execute(sa.select(model.sector, sa.func.count()).where(live).group_by(model.sector))
        for sector, count in rows:
            counts.setdefault(sector, {"result": 0, "need": 0})[kind] = count
    return sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))


def latest(model, limit: int = 6) -> list:
    return list(db.session.scalars(build_query(model, Filters()).limit(limit)))
