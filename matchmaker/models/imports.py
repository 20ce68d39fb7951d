"""A bulk import of postings from a spreadsheet: checked (dry run), then imported, then matched.

The uploaded bytes wait in the row between the dry run and the confirmation, so any worker (or host)
can finish the import; they are dropped once it is committed. Matching after the commit writes its
progress here for the import page to poll.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.organisations import Organisation
from matchmaker.models.users import User


class JobState(StrEnum):
    CHECKED = "checked"  # dry run passed; waiting for the user to confirm
    MATCHING = "matching"  # committed; suggestions being computed
    DONE = "done"
    FAILED = "failed"  # matching stopped; the imported postings are kept


class ImportJob(db.Model):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    encoding: Mapped[str] = mapped_column(sa.String(20), default="")
    payload: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(sa.String(20), default=JobState.CHECKED)
    posting_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    matched: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def to_match(self) -> int:
        return len(self.posting_ids or [])

    def __repr__(self) -> str:
        return f"<ImportJob {self.id} {self.kind} {self.state}>"
