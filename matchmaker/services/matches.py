"""Reading matches: the reviewer queue, a poster's matches, one match with what its viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.i18n import current_locale, format_day
from matchmaker.models import EnterpriseNeed, Match, MatchEvent, MatchState, ResearchResult, User
from matchmaker.models.base import today_hk, utcnow
from matchmaker.models.matches import OPEN_STATES, VISIBLE_TO_POSTERS
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


@dataclass(frozen=True)
class SideRanks:
    """A match's place among the open matches of its result and among those of its need (1 = best)."""

    result: int
    need: int


def side_ranks(matches) -> dict[int, SideRanks]:
    """The side ranks of the open matches among `matches` (one query), by score, then the older first.

    Read when shown rather than stored: a stored rank is its publishing side's at that moment, so one
    posting would show the other side's ranks (several "#1") and ranks gone stale as partners arrive.
    """
    open_matches = [m for m in matches if m.state in OPEN_STATES]
    if not open_matches:
        return {}
    order = (Match.score.desc(), Match.id)
    ranked = (sa.select(Match.id,
                        sa.func.row_number().over(partition_by=Match.result_id, order_by=order).label("result_rank"),
                        sa.func.row_number().over(partition_by=Match.need_id, order_by=order).label("need_rank"))
              .where(Match.state.in_(OPEN_STATES),
                     sa.or_(Match.result_id.in_({m.result_id for m in open_matches}),
                            Match.need_id.in_({m.need_id for m in open_matches})))
              .subquery())
    rows = db.session.execute(sa.select(ranked).where(ranked.c.id.in_([m.id for m in open_matches])))
    return {row.id: SideRanks(result=row.result_rank, need=row.need_rank) for row in rows}


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
        found.append(_("The need's deadline is soon: %(date)s.", date=format_day(need.deadline)))
    return found



def need_revealed(match: Match, user: User | None) -> bool:
    """Whether `user` may know the company behind the need (a confidential one stays hidden until connected)."""
    return bool(user and user.is_authenticated and (
        user.is_reviewer or match.side_of(user) == "need" or contacts_revealed(match, user)
        or not match.need.confidential))


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a match as its viewer may see it: what happened and who did it, in the viewer's words."""

    at: datetime
    action: str
    from_state: str | None
    to_state: str
    label: str
    state_label: str | None  # the state the event moved the match to; None when it stayed where it was
    actor_side: str | None  # "result", "need", "reviewer", or None for the system
    actor_name: str | None  # the person, when the viewer may know who
    message: str | None  # what the actor said to the two sides
    note: str | None  # internal: reviewers and admins only


def history(match: Match, viewer: User) -> list[HistoryEntry]:
    """The events `viewer` may see, oldest first. Posters never see the suggestion stage; only reviewers and
    admins read internal notes; both sides read every message, their own and the other side's."""
    staff = bool(viewer.is_reviewer)
    return [_entry(match, event, viewer, staff) for event in match.events
            if staff or event.to_state != MatchState.SUGGESTED]


def _entry(match: Match, event: MatchEvent, viewer: User, staff: bool) -> HistoryEntry:
    locale = current_locale()
    side = _actor_side(match, event)
    own = event.actor_id is not None and event.actor_id == viewer.id
    name_known = event.actor is not None and (staff or own or contacts_revealed(match, viewer))
    moved = event.to_state != event.from_state
    return HistoryEntry(
        at=event.created_at, action=event.action, from_state=event.from_state, to_state=event.to_state,
        label=_label(match, event, viewer, staff, side, own, locale),
        state_label=taxonomy.MATCH_STATES.label(event.to_state, locale) if moved else None,
        actor_side=side, actor_name=event.actor.display_name if name_known else None,
        message=event.message or None, note=(event.note or None) if staff and event.action != "withdraw" else None)


def _actor_side(match: Match, event: MatchEvent) -> str | None:
    if event.actor_id is None:
        return None
    if event.actor_id == match.result.owner_id:
        return "result"
    if event.actor_id == match.need.owner_id:
        return "need"
    return "reviewer"


def _who(match: Match, event: MatchEvent, viewer: User, staff: bool, side: str | None, locale: str) -> str:
    """The actor as the viewer may know them: their organisation, or the reviewer; the person for staff."""
    if event.actor is None:
        return _("the system")
    if side == "reviewer":
        return event.actor.display_name if staff else _("the reviewer")
    posting = match.result if side == "result" else match.need
    if side == "need" and not need_revealed(match, viewer):
        return _("the company")
    organisation = posting.organisation.display_name(locale) if posting.organisation else ""
    if staff and organisation:
        return _("%(person)s, %(organisation)s", person=event.actor.display_name, organisation=organisation)
    return organisation or event.actor.display_name


def _label(match: Match, event: MatchEvent, viewer: User, staff: bool, side: str | None, own: bool,
           locale: str) -> str:
    action = event.action
    if action == "suggest":
        return _("Suggested by the matching engine")
    if action == "withdraw":
        return _withdrawn(event.note)
    if action in ("result_interested", "need_interested", "result_declined", "need_declined"):
        return _answer(match, event, viewer, staff, side, own, locale)
    who = _("you") if own else _who(match, event, viewer, staff, side, locale)
    if action == "approve":
        return _("Introduced by %(who)s", who=who)
    if action == "reject":
        reason = taxonomy.REJECTION_REASONS.label(match.reason_code, locale)
        return _("Rejected by %(who)s: %(reason)s", who=who, reason=reason) if reason else _(
            "Rejected by %(who)s", who=who)
    if action == "agree":
        deal = taxonomy.DEAL_KINDS.label(match.deal_kind, locale)
        return _("Marked agreed by %(who)s: %(deal)s", who=who, deal=deal) if deal else _(
            "Marked agreed by %(who)s", who=who)
    if action == "close":
        return _("Closed without an agreement by %(who)s", who=who)
    return taxonomy.MATCH_STATES.label(event.to_state, locale)  # an action this code does not know yet


def _answer(match: Match, event: MatchEvent, viewer: User, staff: bool, side: str | None, own: bool,
            locale: str) -> str:
    interested = event.action.endswith("_interested")
    if own:
        return _("You answered: interested") if interested else _("You answered: not interested")
    if side == "need" and not need_revealed(match, viewer):
        return _("The company answered: interested") if interested else _(
            "The company answered: not interested")
    who = _who(match, event, viewer, staff, side, locale)
    return _("%(who)s answered: interested", who=who) if interested else _(
        "%(who)s answered: not interested", who=who)


def _withdrawn(posting_status: str) -> str:
    """A withdrawal's note is the status its posting left the market for (see matching.withdraw_open)."""
    if posting_status == "archived":
        return _("Withdrawn: a posting was archived")
    if posting_status == "expired":
        return _("Withdrawn: the need's deadline passed")
    if posting_status == "draft":
        return _("Withdrawn: a posting went back to draft")
    return _("Withdrawn: a posting left the market")
