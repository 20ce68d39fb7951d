"""The review pipeline: every change of a match's state, its rules, its event and its notifications.

Each function checks who may act, checks the state and the version the actor saw, changes the match,
writes a MatchEvent and notifications in the same transaction, and commits. A concurrent change is
reported as a Conflict naming who got there first; nothing half-done is left behind.

Two kinds of text go with an event: a `note` is internal (reviewers and admins only, so only they write
one), a `message` is said to the two sides and shown to both.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent, MatchState, User
from matchmaker.models.base import utcnow
from matchmaker.services import notifications
from matchmaker.services.errors import Conflict, Forbidden, InvalidInput
from matchmaker.services.transactions import commit_and_keep


def record(match: Match, actor: User | None, to_state: str, action: str, note: str = "",
           message: str = "") -> None:
    """Move `match` to `to_state` and append the event for it (the caller commits)."""
    db.session.add(MatchEvent(match=match, actor_id=actor.id if actor else None, from_state=match.state,
                              to_state=to_state, action=action, note=note or "", message=message or None))
    match.state = to_state


def _conflict(match: Match) -> Conflict:
    db.session.rollback()
    db.session.refresh(match)
    who = match.reviewer.display_name if match.reviewer else _("someone else")
    return Conflict(_("This match was already handled by %(who)s (now %(state)s).", who=who,
                      state=taxonomy.MATCH_STATES.label(match.state, None)))


@contextmanager
def _committed(match: Match):
    """Commit what the block did; a concurrent change (seen at any flush) becomes a Conflict."""
    try:
        yield
        commit_and_keep()  # the caller shows the match next
    except StaleDataError:
        raise _conflict(match) from None


def _expect(match: Match, version: int | None, *states: str) -> None:
    if (version is not None and version != match.version) or match.state not in states:
        raise _conflict(match)


def _require_reviewer(user: User) -> None:
    if not user.is_reviewer:
        raise Forbidden(_("Only reviewers decide on suggestions."))


def _internal_note(user: User, note: str) -> str:
    """A side's words are for the other side too: only reviewers keep notes the sides never see."""
    if note and not user.is_reviewer:
        raise InvalidInput(_("Only reviewers and admins write internal notes."), field="note")
    return note or ""


def approve(match: Match, reviewer: User, version: int | None, note: str = "", message: str = "") -> Match:
    """Introduce the two sides (suggested → introduced), with an internal note and a message to both."""
    _require_reviewer(reviewer)
    _expect(match, version, MatchState.SUGGESTED)
    with _committed(match):
        record(match, reviewer, MatchState.INTRODUCED, "approve", note, message)
        match.reviewer_id, match.decided_at, match.decision_note = reviewer.id, utcnow(), note or ""
        notifications.match_introduced(match, message)
    return match


def reject(match: Match, reviewer: User, version: int | None, reason: str, note: str = "",
           message: str = "") -> Match:
    """Turn a suggestion down with a reason code (suggested → rejected). The posters never see it."""
    _require_reviewer(reviewer)
    if reason not in taxonomy.REJECTION_REASONS:
        raise InvalidInput(_("Choose a reason."), field="reason")
    if message:  # refused rather than dropped: nobody would ever read it
        raise InvalidInput(_("The two sides never see a rejected suggestion: write this as an internal note."),
                           field="message")
    _expect(match, version, MatchState.SUGGESTED)
    with _committed(match):
        record(match, reviewer, MatchState.REJECTED, "reject", note)
        match.reviewer_id, match.decided_at = reviewer.id, utcnow()
        match.reason_code, match.decision_note = reason, note or ""
    return match


def respond(match: Match, user: User, answer: str, message: str = "") -> Match:
    """One side answers an introduction; both interested → connected, a decline closes the match."""
    side = match.side_of(user)
    if side is None:
        raise Forbidden(_("Only the two sides of a match answer it."))
    if answer not in ("interested", "declined"):
        raise InvalidInput(_("Answer interested or declined."), field="answer")
    _expect(match, None, MatchState.INTRODUCED)
    if getattr(match, f"{side}_response"):
        raise Conflict(_("You have already answered."))
    with _committed(match):
        _record_answer(match, user, side, answer, message or "")
    return match


def _record_answer(match: Match, user: User, side: str, answer: str, message: str) -> None:
    setattr(match, f"{side}_response", answer)
    setattr(match, f"{side}_message", message)
    other = "need" if side == "result" else "result"
    notifications.match_answered(match, side, answer)
    if answer == "declined":
        record(match, user, MatchState.CLOSED, f"{side}_declined", message=message)
    elif getattr(match, f"{other}_response") == "interested":
        record(match, user, MatchState.CONNECTED, f"{side}_interested", message=message)
    else:  # the first "interested": an event, no change of state
        record(match, user, match.state, f"{side}_interested", message=message)


def _require_party_or_reviewer(match: Match, user: User) -> None:
    if not (user.is_reviewer or match.side_of(user)):
        raise Forbidden(_("Only the two sides or a reviewer can record the outcome."))


def agree(match: Match, user: User, deal_kind: str, message: str = "", note: str = "") -> Match:
    """Record the deal (connected → agreed)."""
    _require_party_or_reviewer(match, user)
    note = _internal_note(user, note)
    if deal_kind not in taxonomy.DEAL_KINDS:
        raise InvalidInput(_("Choose the kind of deal."), field="deal_kind")
    _expect(match, None, MatchState.CONNECTED)
    with _committed(match):
        record(match, user, MatchState.AGREED, "agree", note, message)
        match.deal_kind, match.outcome_note = deal_kind, message or note or ""
        notifications.match_agreed(match, user)
    return match


def close(match: Match, user: User, message: str, note: str = "") -> Match:
    """End a connected match without a deal, saying why (connected → closed)."""
    _require_party_or_reviewer(match, user)
    note = _internal_note(user, note)
    if not (message or "").strip() and not note.strip():
        raise InvalidInput(_("Say why the match is closed."), field="message")
    _expect(match, None, MatchState.CONNECTED)
    with _committed(match):
        record(match, user, MatchState.CLOSED, "close", note, message)
        match.outcome_note = message or note
        notifications.match_closed(match, user)
    return match
