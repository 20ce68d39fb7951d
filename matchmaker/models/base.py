"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now, called per row (never evaluated once at import)."""
    return datetime.now(UTC)


def today_hk():
    """The calendar date in the Greater Bay Area, where deadlines are set and read."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Hong_Kong")).date()


MAX_ID = 2**31 - 1  # primary keys are 32-bit integers on PostgreSQL
