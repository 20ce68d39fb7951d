"""Research results (technology offers) and enterprise needs (technology requests).

Both share the `Posting` columns: who owns it, its life cycle and a normalised `search_text` that lets a
Simplified query find a Traditional posting with a plain LIKE on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from matchmaker.extensions import db
from matchmaker.models.base import today_hk, utcnow
from matchmaker.models.organisations import Organisation
from matchmaker.models.users import User


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    EXPIRED = "expired"  # derived for needs past their deadline; never stored


class Posting:
    """Columns and behaviour common to both kinds of posting."""

    KIND: str
    TEXT_FIELDS: tuple[str, ...]

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    sector: Mapped[str] = mapped_column(sa.String(30), index=True)
    cooperation_modes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default=Status.DRAFT, index=True)
    languages: Mapped[str] = mapped_column(sa.String(40), default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    external_ref: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow,
                                                 index=True)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("users.id"), index=True)

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("organisations.id"), index=True)

    @declared_attr
    def owner(cls) -> Mapped[User]:
        return relationship()

    @declared_attr
    def organisation(cls) -> Mapped[Organisation]:
        return relationship()

    @property
    def effective_status(self) -> str:
        return self.status

    @property
    def past_deadline(self) -> bool:
        """Its deadline (Hong Kong time) has passed; only needs have one."""
        return False

    @property
    def is_live(self) -> bool:
        """Published and not expired: visible to the public and eligible for matching."""
        return self.effective_status == Status.PUBLISHED

    def is_owned_by(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.owner_id)

    def text_fields(self) -> dict[str, str]:
        """The texts the matching engine and the search read, keyed by field name."""
        fields = {name: getattr(self, name) or "" for name in self.TEXT_FIELDS}
        fields["keywords"] = ", ".join(self.keywords or [])
        return fields


class ResearchResult(Posting, db.Model):
    __tablename__ = "research_results"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "external_ref"),)
    KIND = "result"
    TEXT_FIELDS = ("title", "summary", "details")

    summary: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[str] = mapped_column(sa.Text, default="")
    trl: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ip_status: Mapped[str] = mapped_column(sa.String(30), default="none")
    patent_numbers: Mapped[str] = mapped_column(sa.String(500), default="")
    jurisdictions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    inventors: Mapped[str] = mapped_column(sa.String(500), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")

    def __repr__(self) -> str:
        return f"<ResearchResult {self.id} {self.title[:30]!r}>"


class EnterpriseNeed(Posting, db.Model):
    __tablename__ = "enterprise_needs"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "external_ref"),)
    KIND = "need"
    TEXT_FIELDS = ("title", "description")

    description: Mapped[str] = mapped_column(sa.Text, default="")
    budget_min: Mapped[int | None] = mapped_column(sa.BigInteger)
    budget_max: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="HKD")
    min_trl: Mapped[int | None] = mapped_column(sa.SmallInteger)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    region: Mapped[str] = mapped_column(sa.String(20), index=True)
    confidential: Mapped[bool] = mapped_column(default=False)

    @property
    def past_deadline(self) -> bool:
        return bool(self.deadline and self.deadline < today_hk())

    @property
    def effective_status(self) -> str:
        return Status.EXPIRED if self.status == Status.PUBLISHED and self.past_deadline else self.status

    def __repr__(self) -> str:
        return f"<EnterpriseNeed {self.id} {self.title[:30]!r}>"
