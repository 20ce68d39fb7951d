"""Suggested pairs of a research result and an enterprise need, and their audit trail.

A match moves suggested → rejected | introduced → (each side interested / declined) → connected →
agreed | closed; archiving or expiry withdraws open ones. `version` is SQLAlchemy's optimistic lock:
two reviewers deciding at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.models.postings import EnterpriseNeed, ResearchResult
from matchmaker.models.users import User


class MatchState(StrEnum):
    SUGGESTED = "suggested"
    REJECTED = "rejected"
    INTRODUCED = "introduced"
    CONNECTED = "connected"
    AGREED = "agreed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_STATES = (MatchState.SUGGESTED, MatchState.INTRODUCED)
VISIBLE_TO_POSTERS = (MatchState.INTRODUCED, MatchState.CONNECTED, MatchState.AGREED, MatchState.CLOSED)


class Match(db.Model):
    __tablename__ = "matches"
    __table_args__ = (sa.UniqueConstraint("result_id", "need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("research_results.id"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise_needs.id"), index=True)
    score: Mapped[float] = mapped_column(sa.Float, index=True)
    rank: Mapped[int] = mapped_column(sa.SmallInteger)
    explanation: Mapped[list] = mapped_column(sa.JSON, default=list)
    engine_version: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(20), default=MatchState.SUGGESTED, index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reason_code: Mapped[str | None] = mapped_column(sa.String(30))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    result_response: Mapped[str | None] = mapped_column(sa.String(20))
    result_message: Mapped[str] = mapped_column(sa.Text, default="")
    need_response: Mapped[str | None] = mapped_column(sa.String(20))
    need_message: Mapped[str] = mapped_column(sa.Text, default="")
    deal_kind: Mapped[str | None] = mapped_column(sa.String(30))
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    result: Mapped[ResearchResult] = relationship()
    need: Mapped[EnterpriseNeed] = relationship()
    reviewer: Mapped[User | None] = relationship()
    events: Mapped[list[MatchEvent]] = relationship(back_populates="match", order_by="MatchEvent.id",
                                                    cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def side_of(self, user) -> str | None:
        """'result' or 'need' when `user` speaks for that side of the match, else None."""
        if not (user and user.is_authenticated):
            return None
        if user.id == self.result.owner_id:
            return "result"
        if user.id == self.need.owner_id:
            return "need"
        return None

    def __repr__(self) -> str:
        return f"<Match {self.id} r{self.result_id}–n{self.need_id} {self.state}>"


class MatchEvent(db.Model):
    """Append-only: one row per change of a match's state, written in the same transaction.

    `note` is internal, for reviewers and admins alone; `message` is what the actor says to the two sides
    (a reviewer's word with an introduction, a side's answer), shown to both once they see the match.
    """

    __tablename__ = "match_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("matches.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    match: Mapped[Match] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
