"""In-app notifications and the outbox that mail is sent from.

A notification stores a kind and parameters, not text, so it reads in the language of whoever opens it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.users import User


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("matches.id"))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()


class OutboxMail(db.Model):
    """Mail waiting to be delivered; written in the transaction that caused it, drained after commit.

    Without a status column the state reads from two: `sent_at` is when the mail left the outbox, and
    `attempts` counts tries by SMTP. A mail that left with no SMTP try was only printed on the console
    (no MAIL_SERVER, as in development): it is "logged", and nobody received it.
    """

    __tablename__ = "outbox_mail"
    MAX_ATTEMPTS = 5

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def status(self) -> str:
        """queued, failed (no more retries), sent (accepted by the SMTP server) or logged (printed only)."""
        if self.sent_at is None:
            return "failed" if (self.attempts or 0) >= self.MAX_ATTEMPTS else "queued"
        return "sent" if self.attempts else "logged"

    def mark_logged(self) -> None:
        """Printed on the console: out of the queue, but not sent (an earlier SMTP failure stays in
        last_error)."""
        self.sent_at, self.attempts = utcnow(), 0
