"""The rules for research results and enterprise needs: who sees and edits what, saving, publishing,
archiving and searching. Views call these; these commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Organisation, ResearchResult, Role, User
from matchmaker.models.base import today_hk, utcnow
from matchmaker.models.postings import Status
from matchmaker.services import guidance
from matchmaker.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.services.language import detect_languages
from matchmaker.services.search import fold
from matchmaker.services.transactions import commit_and_keep

MODELS: dict[str, type] = {"result": ResearchResult, "need": EnterpriseNeed}
POSTER_ROLE = {"result": Role.RESEARCHER, "need": Role.ENTERPRISE}


def model_for(kind: str):
    return MODELS[kind]


def _is_staff(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_reviewer)


def can_edit(posting, user: User | None) -> bool:
    return posting.is_owned_by(user) or bool(user and user.is_authenticated and user.is_admin)


def can_view(posting, user: User | None) -> bool:
    """Published (or expired) postings are public; drafts and archived ones only for owners and staff."""
    if posting.status == Status.PUBLISHED:
        return True
    return can_edit(posting, user) or _is_staff(user)


def can_see_confidential(need: EnterpriseNeed, user: User | None) -> bool:
    """A confidential need's company and details: its company's users, reviewers and admins."""
    if not need.confidential or _is_staff(user):
        return True
    if not (user and user.is_authenticated):
        return False
    if user.organisation_id == need.organisation_id:
        return True
    from matchmaker.services.matches import connected_with_need

    return connected_with_need(need, user)


def get_posting(kind: str, posting_id: int, user: User | None, *, for_edit: bool = False):
    """The posting if `user` may see it (or edit it, with `for_edit`).

    :raise NotFound: no such posting, or one the user may not know exists.
    :raise Forbidden: visible, but not the user's to edit.
    """
    model = model_for(kind)
    posting = db.session.get(model, posting_id, options=[joinedload(model.organisation)])  # every page shows it
    if posting is None or not can_view(posting, user):
        raise NotFound(_("We could not find that posting."))
    if for_edit and not can_edit(posting, user):
        raise Forbidden(_("Only the owner can change this posting."))
    return posting


def check_may_post(kind: str, user: User) -> None:
    if user.role != POSTER_ROLE[kind] or user.organisation_id is None:
        raise Forbidden(_("Your account cannot post this kind of entry."))


def may_post(kind: str, user: User | None) -> bool:
    """Whether `check_may_post` would let `user` post a `kind`: pages offer the form exactly then."""
    if not (user and user.is_authenticated):
        return False
    try:
        check_may_post(kind, user)
    except Forbidden:
        return False
    return True


def check_codes(data: Mapping[str, Any]) -> None:
    single = {"sector": taxonomy.SECTORS, "ip_status": taxonomy.IP_STATUSES,
              "currency": taxonomy.CURRENCIES, "region": taxonomy.REGIONS}
    for field, vocabulary in single.items():
        if field in data and data[field] not in vocabulary:
            raise InvalidInput(_("Choose a value from the list."), field=field)
    multiple = {"cooperation_modes": taxonomy.COOPERATION_MODES, "jurisdictions": taxonomy.JURISDICTIONS}
    for field, vocabulary in multiple.items():
        if any(code not in vocabulary for code in data.get(field) or []):
            raise InvalidInput(_("Choose values from the list."), field=field)


def check_rules(data: Mapping[str, Any], kept_deadline=None) -> None:
    """The rules a form cannot check alone. `kept_deadline` is the stored deadline, which an edit may
    keep unchanged even once it has passed (the posting is expired, and cannot be published so)."""
    deadline = data.get("deadline")
    if deadline is not None and deadline < today_hk() and deadline != kept_deadline:
        raise InvalidInput(_("This date has passed. Choose today or a later date, or leave the deadline "
                             "empty."), field="deadline")
    for field in ("trl", "min_trl"):
        value = data.get(field)
        if value is not None and not 1 <= int(value) <= 9:
            raise InvalidInput(_("TRL runs from 1 to 9."), field=field)
    low, high = data.get("budget_min"), data.get("budget_max")
    if low is not None and high is not None and low > high:
        raise InvalidInput(_("The maximum budget must not be below the minimum."), field="budget_max")
    if any(value is not None and value < 0 for value in (low, high)):
        raise InvalidInput(_("A budget cannot be negative."), field="budget_min")


def refresh_derived(posting) -> None:
    fields = posting.text_fields()
    posting.languages = ",".join(detect_languages(" ".join(fields.values())))
    public = {"title": fields["title"]} if getattr(posting, "confidential", False) else fields
    posting.search_text = fold(" ".join(public.values()))


def save_posting(kind: str, user: User, data: Mapping[str, Any], posting=None):
    """Create (posting=None) or update a posting from validated form or API data; commits.

    :raise InvalidInput: a code outside the taxonomy or a broken rule, naming the field.
    :raise Forbidden: the user may not post this kind or edit this posting.
    """
    if posting is None:
        check_may_post(kind, user)
    elif not can_edit(posting, user):
        raise Forbidden(_("Only the owner can change this posting."))
    # Check before a new row joins the session: a refused half-made row would be autoflushed by the
    # next query (the error page's) and fail on its NOT NULL columns.
    check_codes(data)
    check_rules(data, getattr(posting, "deadline", None))
    if posting is None:
        posting = model_for(kind)(owner=user, organisation_id=user.organisation_id, status=Status.DRAFT)
        db.session.add(posting)
    for name, value in data.items():
        setattr(posting, name, value)
    refresh_derived(posting)
    commit_and_keep()  # matching and the response read the posting next
    if posting.status == Status.PUBLISHED:
        _refresh_matches(posting)
    return posting


class LooksLikeDuplicate(Conflict):
    """Publishing would put a near copy of a live posting of the same organisation on the market."""

    def __init__(self, message: str, duplicates: list[tuple[Any, float]]):
        super().__init__(message, field="confirm_duplicate")
        self.duplicates = duplicates


def check_publishable(posting, *, confirm_duplicate: bool = False) -> None:
    """:raise InvalidInput: the deadline has passed (it would go straight to "Expired").
    :raise LooksLikeDuplicate: it reads like a live posting of its organisation, and the user has not
        confirmed that it is a different one."""
    if posting.past_deadline:
        raise InvalidInput(_("The deadline has passed, so this posting cannot be published. Set a new "
                             "deadline (today or later) or clear it, then publish."), field="deadline")
    if confirm_duplicate or posting.status == Status.PUBLISHED:  # already on the market: nothing new
        return
    duplicates = guidance.organisation_duplicates(posting)
    if duplicates:
        other, share = duplicates[0]
        raise LooksLikeDuplicate(_("Not published: this reads %(percent)d%% like “%(title)s”, which your "
                                   "organisation has already published. Publish it anyway only if it is a "
                                   "different offer.", percent=round(share * 100), title=other.title),
                                 duplicates)


def set_status(posting, user: User, status: Status, *, confirm_duplicate: bool = False):
    """Publish or archive; commits. An archived posting can be republished.

    :raise InvalidInput, LooksLikeDuplicate: see `check_publishable`; nothing is changed.
    """
    if not can_edit(posting, user):
        raise Forbidden(_("Only the owner can change this posting."))
    if status == Status.PUBLISHED:
        check_publishable(posting, confirm_duplicate=confirm_duplicate)
    if status == Status.PUBLISHED and posting.published_at is None:
        posting.published_at = utcnow()
    posting.status = status
    commit_and_keep()
    _refresh_matches(posting)
    return posting


@dataclass(frozen=True)
class ArchiveEffects:
    """What archiving a posting does to its matches, by what its owner can see of them."""

    withdrawn_introductions: int  # introduced, waiting for answers: withdrawn with the suggestions
    connected: int  # left as they are
    agreed: int
    closed: int


def archive_effects(posting) -> ArchiveEffects:
    """Counted under the rule `matching.withdraw_open` applies: open matches are withdrawn, the rest kept."""
    from matchmaker.models import Match
    from matchmaker.models.matches import MatchState

    column = Match.result_id if posting.KIND == "result" else Match.need_id
    counts = dict(db.session.execute(sa.select(Match.state, sa.func.count()).where(column == posting.id)
                                     .group_by(Match.state)).all())
    # Open = suggested or introduced; suggestions are the reviewers' business, so only introductions are
    # counted for the owner.
    return ArchiveEffects(withdrawn_introductions=counts.get(MatchState.INTRODUCED, 0),
                          connected=counts.get(MatchState.CONNECTED, 0),
                          agreed=counts.get(MatchState.AGREED, 0), closed=counts.get(MatchState.CLOSED, 0))


def _refresh_matches(posting) -> None:
    """Suggestions follow the posting in the same request; the posting is saved whatever happens here."""
    from matchmaker.services import matching

    matching.refresh_suggestions(posting)


def home_overview() -> dict:
    from matchmaker.services import search

    return {"results": search.latest(ResearchResult), "needs": search.latest(EnterpriseNeed),
            "sectors": search.counts_by_sector()}


def institutions() -> list[Organisation]:
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == "university")
                                   .order_by(Organisation.name_en)))


def owned_by(user: User) -> list:
    model = model_for("result" if user.role == Role.RESEARCHER else "need")
    return list(db.session.scalars(sa.select(model).where(model.owner_id == user.id)
                                   .order_by(model.updated_at.desc(), model.id.desc())))
