"""What a signed-in user should do next, by role: the first thing the home page shows them.

Posters: post a new entry, finish their drafts, answer the matches introduced to them. Reviewers: the
open suggestions waiting in the queue. Admins: the same, plus the dashboard and imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, MatchState, ResearchResult, Role, User
from matchmaker.models.postings import Status
from matchmaker.services import matches, postings

KIND_OF_ROLE = {Role.RESEARCHER: "result", Role.ENTERPRISE: "need"}


@dataclass(frozen=True)
class NextSteps:
    kind: str | None = None  # "result" or "need" for posters
    may_post: bool = False
    drafts: list = field(default_factory=list)
    awaiting_answer: list[Match] = field(default_factory=list)
    open_suggestions: int | None = None  # staff only


def drafts_of(user: User, kind: str) -> list:
    model = postings.model_for(kind)
    return list(db.session.scalars(sa.select(model).where(model.owner_id == user.id, model.status == Status.DRAFT)
                                   .order_by(model.updated_at.desc(), model.id.desc())))


def awaiting_answer(user: User) -> list[Match]:
    """Introduced matches on the user's own postings where the user's side has not answered yet."""
    on_result = sa.and_(ResearchResult.owner_id == user.id, Match.result_response.is_(None))
    on_need = sa.and_(EnterpriseNeed.owner_id == user.id, Match.need_response.is_(None))
    return list(db.session.scalars(
        sa.select(Match).join(Match.result).join(Match.need)
        .where(Match.state == MatchState.INTRODUCED, sa.or_(on_result, on_need))
        .order_by(Match.decided_at.desc(), Match.id.desc())))


def for_user(user: User) -> NextSteps:
    if user.is_reviewer:
        return NextSteps(open_suggestions=matches.count_open_suggestions())
    kind = KIND_OF_ROLE.get(user.role)
    if kind is None:
        return NextSteps()
    return NextSteps(kind=kind, may_post=postings.may_post(kind, user), drafts=drafts_of(user, kind),
                     awaiting_answer=awaiting_answer(user))
