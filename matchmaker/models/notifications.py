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

    `status` says what became of it: queued (waiting, or retrying after an SMTP error), sent (accepted by the
    SMTP server, at `sent_at`), logged (only printed on the console, as in development without MAIL_SERVER:
    nobody received it), failed (gave up after MAX_ATTEMPTS tries).
    """

    __tablename__ = "outbox_mail"
    MAX_ATTEMPTS = 5
    QUEUED, SENT, LOGGED, FAILED = "queued", "sent", "logged", "failed"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default=QUEUED, server_default=QUEUED, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    def mark_logged(self) -> None:
        """Printed on the console: out of the queue, but not sent (an earlier SMTP error stays in last_error)."""
        self.status = self.LOGGED

    def mark_sent(self) -> None:
        self.status, self.sent_at = self.SENT, utcnow()

    def mark_attempt_failed(self, error: str) -> None:
        """Stays queued for a retry, until MAX_ATTEMPTS tries have failed."""
        self.last_error = error[:500]
        if self.attempts >= self.MAX_ATTEMPTS:
            self.status = self.FAILED
