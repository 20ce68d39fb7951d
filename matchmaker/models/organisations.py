"""Universities, companies and other organisations that own postings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db
from matchmaker.models.base import utcnow


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    short_name: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    region: Mapped[str] = mapped_column(sa.String(20))
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @property
    def is_university(self) -> bool:
        return self.kind == "university"

    def display_name(self, locale: str | None = None) -> str:
        """The name in the reader's script when we have it, else the other one."""
        if locale and locale.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en or self.name_zh

    def __repr__(self) -> str:
        return f"<Organisation {self.short_name or self.name_en}>"
