"""Reading matches: the reviewer queue, a poster's matches, one match with what its viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, MatchEvent, MatchState, ResearchResult, User
from matchmaker.models.base import today_hk, utcnow
from matchmaker.models.matches import VISIBLE_TO_POSTERS
from matchmaker.services.errors import NotFound

DEADLINE_SOON_DAYS = 30
# What a match page and the API's match read show: both postings with organisation and owner, the history
# with its actors. One query (a match has a handful of events) rather than a lazy load each (seven or more).
MATCH_PAGE = (joinedload(Match.result).joinedload(ResearchResult.organisation),
              joinedload(Match.result).joinedload(ResearchResult.owner),
              joinedload(Match.need).joinedload(EnterpriseNeed.organisation),
              joinedload(Match.need).joinedload(EnterpriseNeed.owner),
              joinedload(Match.events).joinedload(MatchEvent.actor))


@dataclass(frozen=True)
class QueueFilters:
    sector: str = ""
    institution: int | None = None
    region: str = ""
    min_score: float | None = None
    max_age_days: int | None = None
    state: str = MatchState.SUGGESTED


def is_open_suggestion():
    """The condition for a pair waiting for a reviewer. A pair is one `Match` row, so each counts once
    (not once from each posting's side, as summing per-posting suggestion lists would)."""
    return Match.state == MatchState.SUGGESTED


def count_open_suggestions() -> int:
    """What the review queue lists by default; the start-up line, the home page and the dashboard say it."""
    return db.session.scalar(sa.select(sa.func.count(Match.id)).where(is_open_suggestion()))


def queue_query(filters: QueueFilters) -> sa.Select:
    """Matches in `filters.state` (open suggestions by default), best first."""
    stmt = (sa.select(Match).join(Match.result).join(Match.need)
            .options(joinedload(Match.result).joinedload(ResearchResult.organisation),
                     joinedload(Match.need).joinedload(EnterpriseNeed.organisation))
            .where(Match.state == filters.state))
    if filters.sector:
        stmt = stmt.where(sa.or_(ResearchResult.sector == filters.sector, EnterpriseNeed.sector == filters.sector))
    if filters.institution:
        stmt = stmt.where(ResearchResult.organisation_id == filters.institution)
    if filters.region:
        stmt = stmt.where(EnterpriseNeed.region == filters.region)
    if filters.min_score is not None:
        stmt = stmt.where(Match.score >= filters.min_score)
    if filters.max_age_days is not None:
        stmt = stmt.where(Match.created_at >= utcnow() - timedelta(days=filters.max_age_days))
    return stmt.order_by(Match.score.desc(), Match.id)


def queue_page(filters: QueueFilters, page: int, per_page: int = 25):
    return db.paginate(queue_query(filters), page=page, per_page=per_page, error_out=False)


def for_poster(user: User) -> list[Match]:
    """Introduced (or later) matches on the user's own postings — never raw suggestions."""
    return list(db.session.scalars(
        sa.select(Match).join(Match.result).join(Match.need)
        .where(Match.state.in_(VISIBLE_TO_POSTERS),
               sa.or_(ResearchResult.owner_id == user.id, EnterpriseNeed.owner_id == user.id))
        .order_by(Match.updated_at.desc())))


def can_view(match: Match, user: User | None) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.is_reviewer:
        return True
    return match.state in VISIBLE_TO_POSTERS and match.side_of(user) is not None


def get_match(match_id: int, user: User | None) -> Match:
    """:raise NotFound: no such match, or not one this user may know about."""
    match = db.session.get(Match, match_id, options=MATCH_PAGE)
    if match is None or not can_view(match, user):
        raise NotFound(_("We could not find that match."))
    return match


def contacts_revealed(match: Match, user: User | None) -> bool:
    return bool(user and user.is_authenticated and (
        user.is_reviewer or match.state in (MatchState.CONNECTED, MatchState.AGREED)))


def connected_with_need(need: EnterpriseNeed, user: User) -> bool:
    """True when `user` owns a result connected with `need` (both sides said interested)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Match).join(Match.result).where(
        Match.need_id == need.id, ResearchResult.owner_id == user.id,
        Match.state.in_((MatchState.CONNECTED, MatchState.AGREED)))) > 0


def gaps(match: Match) -> list[str]:
    """What stands between the two sides, in words for the reviewer."""
    result, need = match.result, match.need
    found = []
    if need.min_trl and (result.trl or 0) < need.min_trl:
        found.append(_("TRL %(trl)s is below the %(min)s the company needs.", trl=result.trl or "?",
                       min=need.min_trl))
    if need.cooperation_modes and not set(need.cooperation_modes) & set(result.cooperation_modes or []):
        found.append(_("No cooperation mode in common."))
    if need.deadline and (need.deadline - today_hk()).days <= DEADLINE_SOON_DAYS:
        found.append(_("The need's deadline is soon: %(date)s.", date=need.deadline.isoformat()))
    return found

