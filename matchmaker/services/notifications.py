"""Telling people what happened: in-app notifications, and mail through the outbox.

One message per event a person cares about. The pipeline says what happened (`match_introduced`,
`match_answered`, `match_agreed`, `match_closed`); the rules here decide who is told and with what
words: the person who acted is never told of their own act, and a second "interested" that connects the
match tells both sides once that they are connected, not also that the other side is interested.

Mail is queued in the same transaction as the change that caused it and drained after commit: through
SMTP when MAIL_SERVER is set, else printed on the console (the development mailbox) and marked "logged",
never "sent".
"""

from __future__ import annotations

import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Match, Notification, OutboxMail, User
from matchmaker.models.base import utcnow

TITLE_IN_SUBJECT = 60  # characters of each posting's title in a subject; the column holds 200


def describe(kind: str, params: dict) -> str:
    """The sentence for a notification, in the current locale."""
    texts = {
        "introduced": lambda: _("A reviewer introduced “%(mine)s” to “%(theirs)s”.", **params),
        "answered_interested": lambda: _("The other side is interested in “%(mine)s” ↔ “%(theirs)s”.",
                                         **params),
        "answered_declined": lambda: _("The other side declined “%(mine)s” ↔ “%(theirs)s”.", **params),
        "connected": lambda: _("You are connected: both sides want to talk about “%(mine)s” ↔ “%(theirs)s”.",
                               **params),
        "agreed": lambda: _("%(who)s marked “%(mine)s” ↔ “%(theirs)s” as agreed.", **params),
        "closed": lambda: _("%(who)s closed “%(mine)s” ↔ “%(theirs)s” without an agreement.", **params),
    }
    text = texts.get(kind)
    return text() if text else kind


def _subject(kind: str, params: dict, other_organisation: str) -> str:
    """What happened and to which match, short enough for a subject line (current locale)."""
    short = {key: _shorten(params[key]) for key in ("mine", "theirs")}
    subjects = {
        "introduced": lambda: _("Introduced: %(mine)s ↔ %(theirs)s", **short),
        "answered_interested": lambda: _("The other side is interested: %(mine)s ↔ %(theirs)s", **short),
        "answered_declined": lambda: _("The other side declined: %(mine)s ↔ %(theirs)s", **short),
        "connected": lambda: _("You are connected with %(organisation)s: %(mine)s ↔ %(theirs)s",
                               organisation=_shorten(other_organisation), **short),
        "agreed": lambda: _("Match marked agreed: %(mine)s ↔ %(theirs)s", **short),
        "closed": lambda: _("Match closed without an agreement: %(mine)s ↔ %(theirs)s", **short),
    }
    return subjects[kind]()[:200]


def _shorten(text: str) -> str:
    return text if len(text) <= TITLE_IN_SUBJECT else text[: TITLE_IN_SUBJECT - 1].rstrip() + "…"


def public_url(endpoint: str, **values) -> str:
    """An absolute link for mail, from PUBLIC_BASE_URL: mail is read outside any request."""
    path = current_app.url_map.bind("matchmaker").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


@dataclass(frozen=True)
class _Recipient:
    user: User
    params: dict  # "mine" is the recipient's own posting (the result, for a reviewer)
    other_organisation: str  # the organisation of the other side, for a party


def _party(match: Match, side: str) -> _Recipient:
    mine, theirs = (match.result, match.need) if side == "result" else (match.need, match.result)
    organisation = theirs.organisation.display_name(mine.owner.locale) if theirs.organisation else ""
    return _Recipient(mine.owner, {"mine": mine.title, "theirs": theirs.title}, organisation)


def _tell(recipient: _Recipient, kind: str, match: Match, message: str = "", **extra) -> None:
    notify(recipient.user, kind, match.id, {**recipient.params, **extra}, recipient.other_organisation, message)


def notify(user: User, kind: str, match_id: int, params: dict, other_organisation: str = "",
           message: str = "") -> None:
    """Add an in-app notification and, if the user wants mail, queue one in their language, quoting the
    `message` written to the sides with the event (the reviewer's, or the other side's). The caller commits."""
    db.session.add(Notification(user_id=user.id, kind=kind, match_id=match_id, params=params))
    if not (user.email_notifications and user.active):
        return
    with force_locale(user.locale or "en"):
        subject = _subject(kind, params, other_organisation)
        body = "\n\n".join(part for part in (
            describe(kind, params),
            f"{_('Message:')} “{message}”" if message else "",
            _("Open the match: %(url)s", url=public_url("matches.detail", match_id=match_id)),
            "-- \n" + _("You get this mail because of your match on Matchmaker. Turn such mail off in your "
                        "account: %(url)s", url=public_url("auth.account")),
        ) if part)
    db.session.add(OutboxMail(to_email=user.email, subject=subject, body=body))


def match_introduced(match: Match, message: str = "") -> None:
    for side in ("result", "need"):
        _tell(_party(match, side), "introduced", match, message)


def match_answered(match: Match, side: str, answer: str) -> None:
    """After `side` answered: a decline or a first "interested" tells the other side; the answer that
    connects the match tells both sides, once each, that they are connected."""
    other = "need" if side == "result" else "result"
    words = getattr(match, f"{side}_message") or ""  # the answer's message goes to the side that waited
    if answer == "interested" and getattr(match, f"{other}_response") == "interested":
        _tell(_party(match, other), "connected", match, words)
        _tell(_party(match, side), "connected", match)
    else:
        _tell(_party(match, other), f"answered_{answer}", match, words)


def match_agreed(match: Match, actor: User) -> None:
    _tell_outcome(match, actor, "agreed")


def match_closed(match: Match, actor: User) -> None:
    _tell_outcome(match, actor, "closed")


def _tell_outcome(match: Match, actor: User, kind: str) -> None:
    """An outcome concerns both sides and the reviewer who introduced them; whoever recorded it knows."""
    recipients = [_party(match, side) for side in ("result", "need")]
    if match.reviewer is not None:
        recipients.append(_Recipient(match.reviewer, {"mine": match.result.title, "theirs": match.need.title},
                                     ""))
    for recipient in recipients:
        if recipient.user.id != actor.id:
            _tell(recipient, kind, match, who=actor.display_name)


def unread_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_all_read(user: User) -> None:
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()


def mark_match_read(user: User, match_id: int) -> None:
    """Opening a match is reading what was said about it."""
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == user.id, Notification.match_id == match_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()


def _message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = current_app.config["MAIL_FROM"], mail.to_email
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


def _print_on_console(mail: OutboxMail) -> None:
    """The development mailbox, as Django's console backend: readable text on stdout, not MIME."""
    rule = "-" * 79
    sys.stdout.write(f"{rule}\nMail (MAIL_SERVER is not set: printed here, not sent)\n"
                     f"From: {current_app.config['MAIL_FROM']}\nTo: {mail.to_email}\nSubject: {mail.subject}\n\n"
                     f"{mail.body}\n{rule}\n")
    sys.stdout.flush()


def _send_by_smtp(mail: OutboxMail) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(_message(mail))


@dataclass
class Drained:
    sent: int = 0  # handed to the SMTP server
    logged: int = 0  # only printed on the console
    failed: int = 0  # still queued with the error, retried next time

    def __str__(self) -> str:
        """For the operator (English, like the rest of the CLI)."""
        report = [f"Sent {self.sent} mails."]
        if self.logged:
            report.append(f"Logged {self.logged} on the console, not sent: MAIL_SERVER is not set.")
        if self.failed:
            report.append(f"{self.failed} failed and stay queued for a retry.")
        return " ".join(report)


def drain_outbox(limit: int = 100) -> Drained:
    """Deliver queued mail: by SMTP when MAIL_SERVER is set, else print it on the console. An SMTP failure
    is recorded on the row and retried next time."""
    pending = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.status == OutboxMail.QUEUED)
                                 .order_by(OutboxMail.id).limit(limit)).all()
    drained = Drained()
    for mail in pending:
        if not current_app.config.get("MAIL_SERVER"):
            _print_on_console(mail)
            mail.mark_logged()
            drained.logged += 1
        else:
            mail.attempts += 1
            try:
                _send_by_smtp(mail)
            except (OSError, smtplib.SMTPException) as error:
                mail.mark_attempt_failed(str(error))
                drained.failed += 1
            else:
                mail.mark_sent()
                drained.sent += 1
        db.session.commit()
    return drained
