"""Postings, matches and notifications as plain dicts, showing each caller what the site would show them.

The visibility rules come from the services (`can_see_confidential`, `contacts_revealed`, …); this module
only decides which keys to leave out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for

from matchmaker.models import EnterpriseNeed, Match, Notification, ResearchResult
from matchmaker.services import matches, notifications, postings

COMMON = ("id", "title", "keywords", "sector", "cooperation_modes", "created_at", "updated_at",
          "published_at")
RESULT_FIELDS = ("summary", "details", "trl", "ip_status", "patent_numbers", "jurisdictions", "inventors")
NEED_PUBLIC = ("deadline", "region", "confidential")
NEED_PRIVATE = ("description", "budget_min", "budget_max", "currency", "min_trl")
HIDDEN_WHEN_CONFIDENTIAL = ("keywords", "cooperation_modes")  # the site hides them with the description


def utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def organisation(org) -> dict | None:
    if org is None:
        return None
    return {"id": org.id, "kind": org.kind, "name_en": org.name_en, "name_zh": org.name_zh,
            "region": org.region}


def _staff(user) -> bool:
    return bool(user is not None and user.is_reviewer)


def posting(item, user) -> dict:
    """A result or a need as `user` (None: anonymous) may see it."""
    data = {name: getattr(item, name) for name in COMMON}
    for name in ("created_at", "updated_at", "published_at"):
        data[name] = utc(data[name])
    data.update(kind=item.KIND, status=item.effective_status,
                languages=[code for code in item.languages.split(",") if code],
                can_edit=postings.can_edit(item, user), organisation=organisation(item.organisation),
                url=url_for(f"{item.KIND}s.detail", posting_id=item.id))
    if isinstance(item, ResearchResult):
        data.update({name: getattr(item, name) for name in RESULT_FIELDS})
        if data["can_edit"] or _staff(user):
            data["contact_email"] = item.contact_email
        return data
    return _need(item, user, data)


def _need(item: EnterpriseNeed, user, data: dict) -> dict:
    data.update({name: getattr(item, name) for name in NEED_PUBLIC})
    hidden = not postings.can_see_confidential(item, user)
    data["details_hidden"] = hidden
    if hidden:
        for name in ("organisation", *HIDDEN_WHEN_CONFIDENTIAL):
            data.pop(name)
    else:
        data.update({name: getattr(item, name) for name in NEED_PRIVATE})
    return data


def match(item: Match, ranks: matches.SideRanks | None = None) -> dict:
    """`ranks`: the match's place on each side (reviewers only: a poster would learn of hidden suggestions)."""
    return {"id": item.id, "result_id": item.result_id, "need_id": item.need_id, "score": item.score,
            "rank": item.rank, "result_rank": ranks.result if ranks else None,
            "need_rank": ranks.need if ranks else None, "state": item.state, "version": item.version,
            "result": {"id": item.result.id, "title": item.result.title},
            "need": {"id": item.need.id, "title": item.need.title},
            "result_response": item.result_response, "need_response": item.need_response,
            "created_at": utc(item.created_at), "updated_at": utc(item.updated_at),
            "decided_at": utc(item.decided_at)}


def match_detail(item: Match, user) -> dict:
    """One match with its explanation and history, trimmed as the match page trims it."""
    reviewer, side = _staff(user), item.side_of(user)
    contacts = matches.contacts_revealed(item, user)
    show_need = reviewer or side == "need" or contacts or not item.need.confidential
    data = match(item, matches.side_ranks([item]).get(item.id) if reviewer else None)
    data.update(explanation=item.explanation if show_need else None,
                gaps=matches.gaps(item) if reviewer else [],
                reason_code=item.reason_code if reviewer else None,
                decision_note=item.decision_note if reviewer else None,  # internal, as every note
                contacts=_contacts(item) if contacts else None,
                events=[_event(entry) for entry in matches.history(item, user)])
    return data


def _contacts(item: Match) -> dict:
    result, need = item.result, item.need
    return {"result": {"name": result.inventors or result.owner.display_name,
                       "email": result.contact_email or result.owner.email},
            "need": {"name": need.owner.display_name, "email": need.owner.email}}


def _event(entry: matches.HistoryEntry) -> dict:
    return {"at": utc(entry.at), "from_state": entry.from_state, "to_state": entry.to_state,
            "action": entry.action, "label": entry.label, "actor": entry.actor_name,
            "actor_side": entry.actor_side, "message": entry.message, "note": entry.note}


def notification(item: Notification) -> dict:
    return {"id": item.id, "kind": item.kind, "text": notifications.describe(item.kind, item.params or {}),
            "match_id": item.match_id, "params": item.params or {}, "created_at": utc(item.created_at),
            "read_at": utc(item.read_at)}


def page(pagination, items: list[dict], **extra) -> dict:
    return {"items": items, "page": pagination.page, "per_page": pagination.per_page,
            "total": pagination.total or 0, "pages": pagination.pages, **extra}
