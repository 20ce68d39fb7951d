"""Telling people what happened: in-app notifications, and mail through the outbox.

Mail is queued in the same transaction as the change that caused it and sent after commit: through SMTP
when MAIL_SERVER is set, else written to the log (development and tests).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Notification, OutboxMail, User
from matchmaker.models.base import utcnow


def describe(kind: str, params: dict) -> str:
    """The sentence for a notification, in the current locale."""
    texts = {
        "introduced": _("A reviewer introduced “%(mine)s” to “%(theirs)s”.", **params),
        "answered_interested": _("The other side is interested in “%(mine)s” ↔ “%(theirs)s”.", **params),
        "answered_declined": _("The other side declined “%(mine)s” ↔ “%(theirs)s”.", **params),
        "connected": _("You are connected: both sides want to talk about “%(mine)s” ↔ “%(theirs)s”.",
                       **params),
    }
    return texts.get(kind, kind)


def notify(user: User, kind: str, match_id: int | None, params: dict) -> None:
    """Add an in-app notification and, if the user wants mail, queue one. The caller commits."""
    db.session.add(Notification(user_id=user.id, kind=kind, match_id=match_id, params=params))
    if user.email_notifications and user.active:
        with force_locale(user.locale or "en"):
            body = describe(kind, params) + "\n\n" + _("Open Matchmaker to see the match.")
            subject = _("Matchmaker: news about your match")
        db.session.add(OutboxMail(to_email=user.email, subject=subject, body=body))


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


def _send(mail: OutboxMail) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("Mail to %s: %s\n%s", mail.to_email, mail.subject, mail.body)
        return
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], mail.to_email, mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def drain_outbox(limit: int = 100) -> int:
    """Send queued mail; a failure is recorded on the row and retried next time. Returns mails sent."""
    pending = db.session.scalars(sa.select(OutboxMail).where(
        OutboxMail.sent_at.is_(None), OutboxMail.attempts < 5).order_by(OutboxMail.id).limit(limit)).all()
    sent = 0
    for mail in pending:
        mail.attempts += 1
        try:
            _send(mail)
        except (OSError, smtplib.SMTPException) as error:
            mail.last_error = str(error)[:500]
        else:
            mail.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent
