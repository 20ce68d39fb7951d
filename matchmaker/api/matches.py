"""Matches (the review pipeline) and notifications.

Reviewers and admins see every match; posters see only the introduced-or-later matches of their own
postings, never a raw suggestion (ARCHITECTURE.md invariant 4) — the rule `services.matches` applies.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from matchmaker.access import roles, signed_in
from matchmaker.api import bp, schemas, serialize
from matchmaker.api.common import require_user, statuses
from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, Notification, ResearchResult
from matchmaker.models.matches import VISIBLE_TO_POSTERS
from matchmaker.services import matches, notifications, pipeline

TAG = "Matches"


def _load(match_id: int, user) -> Match:
    """The match if `user` may see it (ids past the database's range never reach here: see routing.py)."""
    return matches.get_match(match_id, user)


def _visible_matches(user, query: dict) -> sa.Select:
    # Each item names both postings: taken from the join, not one lazy load per posting.
    stmt = (sa.select(Match).join(Match.result).join(Match.need)
            .options(contains_eager(Match.result), contains_eager(Match.need)))
    if not user.is_reviewer:
        stmt = stmt.where(Match.state.in_(VISIBLE_TO_POSTERS),
                          sa.or_(ResearchResult.owner_id == user.id, EnterpriseNeed.owner_id == user.id))
    if query.get("state"):
        stmt = stmt.where(Match.state == query["state"])
    for name in ("need_id", "result_id"):
        if query.get(name):
            stmt = stmt.where(getattr(Match, name) == query[name])
    return stmt.order_by(Match.score.desc(), Match.id)


@bp.get("/matches", endpoint="match_list")
@signed_in
@bp.input(schemas.MatchQuery, location="query", arg_name="query")
@bp.output(schemas.MatchPage)
@bp.doc(tags=[TAG], summary="List matches", responses=statuses(),
        description="Reviewers see every match (filter the queue with `state=suggested`); posters see the "
                    "introduced, connected, agreed and closed matches of their own postings. Best score "
                    "first.")
def list_matches(query):
    user = require_user()
    pagination = db.paginate(_visible_matches(user, query), page=query["page"],
                             per_page=query["per_page"], error_out=False, max_per_page=100)
    ranks = matches.side_ranks(pagination.items) if user.is_reviewer else {}
    return serialize.page(pagination, [serialize.match(item, ranks.get(item.id)) for item in pagination.items])


@bp.get("/matches/<int:match_id>", endpoint="match_get")
@signed_in
@bp.output(schemas.MatchDetailOut)
@bp.doc(tags=[TAG], summary="Read a match", responses=statuses(),
        description="Adds the explanation (the shared terms behind the score), the history and, once both "
                    "sides said interested, the contacts. 404 for a match the caller may not know about.")
def get_match(match_id: int):
    user = require_user()
    return serialize.match_detail(_load(match_id, user), user)


@bp.post("/matches/<int:match_id>/decision", endpoint="match_decide")
@roles("reviewer", "admin")
@bp.input(schemas.DecisionIn, arg_name="data")
@bp.output(schemas.MatchDetailOut)
@bp.doc(tags=[TAG], summary="Approve (introduce) or reject a suggestion",
        responses=statuses(403, 409, unsafe=True),
        description="Reviewers only. Send the `version` you saw: if someone decided meanwhile, 409 says who "
                    "and the match's state now. Rejecting needs a `reason` code (see the taxonomy). A "
                    "`message` goes to both sides with an introduction; a `note` stays internal.")
def decide(match_id: int, data):
    user = require_user()
    match = _load(match_id, user)
    if data["decision"] == "approve":
        pipeline.approve(match, user, data["version"], data["note"], data["message"])
    else:
        pipeline.reject(match, user, data["version"], data.get("reason") or "", data["note"], data["message"])
    return serialize.match_detail(match, user)


@bp.post("/matches/<int:match_id>/response", endpoint="match_respond")
@signed_in
@bp.input(schemas.ResponseIn, arg_name="data")
@bp.output(schemas.MatchDetailOut)
@bp.doc(tags=[TAG], summary="Answer an introduction", responses=statuses(403, 409, unsafe=True),
        description="Each side of an introduced match answers once: both `interested` → connected (contacts "
                    "revealed); `declined` closes the match. 409 when already answered or no longer open.")
def respond(match_id: int, data):
    user = require_user()
    match = _load(match_id, user)
    pipeline.respond(match, user, data["answer"], data["message"])
    return serialize.match_detail(match, user)


@bp.get("/notifications", endpoint="notification_list")
@signed_in
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.NotificationPage)
@bp.doc(tags=["Notifications"], summary="List my notifications", responses=statuses(),
        description="Newest first; `text` is in the caller's language.")
def list_notifications(query):
    user = require_user()
    stmt = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    pagination = db.paginate(stmt, page=query["page"], per_page=query["per_page"], error_out=False,
                             max_per_page=100)
    return serialize.page(pagination, [serialize.notification(item) for item in pagination.items],
                          unread=notifications.unread_count(user))


@bp.post("/notifications/read", endpoint="notification_read")
@signed_in
@bp.output({}, status_code=204)
@bp.doc(tags=["Notifications"], summary="Mark all my notifications read", responses=statuses(unsafe=True))
def read_notifications():
    notifications.mark_all_read(require_user())
    return "", 204
