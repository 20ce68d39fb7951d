"""Figures for the reviewer and admin dashboards: the match funnel, the review backlog, time to decision.

Definitions (the dashboard's help text says the same):

- Funnel: a match counts at a stage if its history ever reached that stage *or a later one*: a
  match introduced and then declined still counts as introduced. History means the MatchEvent log
  (invariant 2: every change of state writes one), with the match's current state as a fallback for
  rows that predate the log. Every match starts as a suggestion.
- Breakdowns: per sector and institution of the research result, per month of the match's creation
  (Hong Kong time). The month filter selects matches created in those months.
- Backlog: matches in `suggested` now, by age since creation. The month filter does not apply.
- Time to decision: from the match's creation to the reviewer's first approve (→ introduced) or
  reject (→ rejected), per month of that decision (Hong Kong time). The month filter selects decisions
  made in those months.

The database does the grouping. Hong Kong months and day differences are the two things SQLite and
PostgreSQL spell differently, so each is a small construct compiled per dialect (`hk_month`,
`days_between`); the rest is plain SQLAlchemy. Medians are taken in Python (SQLite has no
percentile function) over one number per decision.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent, MatchState, Organisation, ResearchResult
from matchmaker.models.base import utcnow
from matchmaker.services import matches
from matchmaker.services.errors import InvalidInput

HK = ZoneInfo("Asia/Hong_Kong")
STAGES = (MatchState.SUGGESTED, MatchState.INTRODUCED, MatchState.CONNECTED, MatchState.AGREED)
STAGE_RANK = {str(stage): rank for rank, stage in enumerate(STAGES)}
AGE_BANDS = ("under_7", "7_to_30", "over_30")  # days since the suggestion; 7 and 30 fall in the middle band
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Filters:
    """Months are ``YYYY-MM`` in Hong Kong time, both ends included; empty means unbounded."""

    month_from: str = ""
    month_to: str = ""
    sector: str = ""

    def as_args(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value}


@dataclass
class FunnelReport:
    """Counts per stage (in `STAGES` order), overall and split three ways."""

    overall: list[int] = field(default_factory=lambda: [0] * len(STAGES))
    by_month: dict[str, list[int]] = field(default_factory=dict)
    by_sector: dict[str, list[int]] = field(default_factory=dict)
    by_institution: dict[int, list[int]] = field(default_factory=dict)
    institution_names: dict[int, Organisation] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionTimes:
    """Median days from suggestion to decision, overall and per month of the decision."""

    count: int
    median_days: float | None
    by_month: dict[str, tuple[int, float | None]]


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Read the dashboard's query string.

    :raise InvalidInput: a month not written YYYY-MM, a range that ends before it starts, an unknown sector.
    """
    month_from, month_to = (args.get(name, "").strip() for name in ("month_from", "month_to"))
    for name, value in (("month_from", month_from), ("month_to", month_to)):
        if value and not _MONTH.match(value):
            raise InvalidInput(_("Enter the month as YYYY-MM, for example 2025-03."), field=name)
    if month_from and month_to and month_from > month_to:
        raise InvalidInput(_("The last month comes before the first one."), field="month_to")
    sector = args.get("sector", "").strip()
    if sector and sector not in taxonomy.SECTORS:
        raise InvalidInput(_("Choose a sector from the list."), field="sector")
    return Filters(month_from, month_to, sector)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; we store UTC, so naive means UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class hk_month(FunctionElement):  # noqa: N801 -- named like the SQL functions it stands for
    """The ``YYYY-MM`` month of a stored timestamp in Hong Kong time, worked out by the database."""

    type = sa.String()
    name = "hk_month"
    inherit_cache = True


@compiles(hk_month, "postgresql")
def _hk_month_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Hong_Kong', 'YYYY-MM')"


@compiles(hk_month, "sqlite")
def _hk_month_sqlite(element, compiler, **kw) -> str:
    # SQLite knows no time zones; Hong Kong has kept UTC+8 without daylight saving since 1979. The
    # substr drops the microseconds, which SQLite would round up across a month boundary.
    return f"strftime('%Y-%m', substr({compiler.process(element.clauses, **kw)}, 1, 19), '+8 hours')"


class days_between(FunctionElement):  # noqa: N801
    """``later - earlier`` in days (a float), worked out by the database."""

    type = sa.Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


def _month_start(month: str) -> datetime:
    """The UTC instant a Hong Kong month begins (bound values stay UTC: SQLite drops the offset)."""
    year, number = int(month[:4]), int(month[5:])
    return datetime(year, number, 1, tzinfo=HK).astimezone(UTC)


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (a chart needs the empty months too)."""
    months = []
    while first <= last:
        months.append(first)
        first = _next_month(first)
    return months


def shown_months(filters: Filters, now: datetime | None = None) -> dict[str, str]:
    """The months the pickers show: the chosen ones, else the span an empty bound stands for (the month
    of the first suggestion, this month in Hong Kong). An empty month input renders as "------ ----" in
    Chromium, and sending the shown span selects exactly what the empty bounds did."""
    this_month = (now or utcnow()).astimezone(HK).strftime("%Y-%m")
    first = filters.month_from or db.session.scalar(sa.select(hk_month(sa.func.min(Match.created_at))))
    last = filters.month_to or this_month
    return {"month_from": min(first or this_month, last), "month_to": last}


def _in_months(column, filters: Filters) -> list:
    conditions = []
    if filters.month_from:
        conditions.append(column >= _month_start(filters.month_from))
    if filters.month_to:
        conditions.append(column < _month_start(_next_month(filters.month_to)))
    return conditions


def _sector(filters: Filters) -> list:
    return [ResearchResult.sector == filters.sector] if filters.sector else []


def _reached_rank(filters: Filters) -> sa.Subquery:
    """Per match past the first stage, the furthest funnel stage any of its events moved it to.

    Only events into a later stage are read (every match has a `suggested` one, which tells nothing),
    and only for the matches the month filter keeps.
    """
    later = STAGES[1:]
    rank = sa.case({str(stage): STAGE_RANK[stage] for stage in later}, value=MatchEvent.to_state, else_=0)
    stmt = (sa.select(MatchEvent.match_id, sa.func.max(rank).label("reached"))
            .where(MatchEvent.to_state.in_(later)))
    if filters.month_from or filters.month_to:
        stmt = (stmt.join(Match, Match.id == MatchEvent.match_id)
                .where(*_in_months(Match.created_at, filters)))
    return stmt.group_by(MatchEvent.match_id).subquery()


def funnel(filters: Filters) -> FunnelReport:
    """The funnel overall and per month, sector and institution.

    The database groups the matches by month, sector, institution and the furthest stage reached
    (by its events or, failing those, its current state), so Python adds up groups, not matches.
    """
    reached = _reached_rank(filters)
    by_event = sa.func.coalesce(reached.c.reached, 0)
    by_state = sa.case(STAGE_RANK, value=Match.state, else_=0)
    keys = (hk_month(Match.created_at).label("match_month"), ResearchResult.sector.label("result_sector"),
            ResearchResult.organisation_id.label("result_organisation"),
            sa.case((by_event > by_state, by_event), else_=by_state).label("furthest_stage"))
    # grouped by the output names: PostgreSQL would not match the CASE's bound values twice over
    groups = db.session.execute(
        sa.select(*keys, sa.func.count()).join(Match.result)
        .outerjoin(reached, reached.c.match_id == Match.id)
        .where(*_in_months(Match.created_at, filters), *_sector(filters))
        .group_by(*(sa.literal_column(key.name) for key in keys)))
    furthest = defaultdict(lambda: [0] * len(STAGES))  # per split key: how many matches stopped at each stage
    for month, sector, organisation_id, rank, n in groups:
        for key in (("all",), ("month", month), ("sector", sector), ("institution", organisation_id)):
            furthest[key][rank] += n
    # a match that got to stage k counts at every stage up to k
    splits = {key: list(accumulate(reversed(stopped)))[::-1] for key, stopped in furthest.items()}
    return _report(splits)


def _report(splits: dict[tuple, list[int]]) -> FunnelReport:
    report = FunnelReport()
    report.overall = splits.pop(("all",), report.overall)
    for (kind, key), counts in splits.items():
        getattr(report, f"by_{kind}")[key] = counts
    if report.by_month:
        months = months_between(min(report.by_month), max(report.by_month))
        report.by_month = {month: report.by_month.get(month, [0] * len(STAGES)) for month in months}
    report.institution_names = {org.id: org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_(list(report.by_institution))))}
    return report


def backlog(filters: Filters, now: datetime | None = None) -> dict[str, int]:
    """Open suggestions now: ``total`` and one count per `AGE_BANDS` entry (the sector filter applies)."""
    now = as_utc(now or utcnow())
    week_ago, month_ago = now - timedelta(days=7), now - timedelta(days=30)
    young = sa.func.sum(sa.case((Match.created_at > week_ago, 1), else_=0))
    old = sa.func.sum(sa.case((Match.created_at < month_ago, 1), else_=0))
    total, under_7, over_30 = db.session.execute(
        sa.select(sa.func.count(Match.id), young, old).join(Match.result)
        .where(matches.is_open_suggestion(), *_sector(filters))).one()
    under_7, over_30 = under_7 or 0, over_30 or 0
    return {"total": total, "under_7": under_7, "7_to_30": total - under_7 - over_30, "over_30": over_30}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def decision_times(filters: Filters) -> DecisionTimes:
    """Median days from suggestion to the reviewer's decision, overall and per month of the decision."""
    decided = (sa.select(MatchEvent.match_id, sa.func.min(MatchEvent.created_at).label("decided_at"))
               .where(MatchEvent.from_state == MatchState.SUGGESTED,
                      MatchEvent.to_state.in_((MatchState.INTRODUCED, MatchState.REJECTED)))
               .group_by(MatchEvent.match_id).subquery())
    rows = db.session.execute(
        sa.select(hk_month(decided.c.decided_at), days_between(decided.c.decided_at, Match.created_at))
        .join(decided, decided.c.match_id == Match.id).join(Match.result)
        .where(*_in_months(decided.c.decided_at, filters), *_sector(filters)))
    per_month: dict[str, list[float]] = defaultdict(list)
    for month, days in rows:
        per_month[month].append(max(days, 0.0))
    every = [days for values in per_month.values() for days in values]
    months = months_between(min(per_month), max(per_month)) if per_month else []
    by_month = {month: (len(per_month.get(month, [])), _median(per_month.get(month, []))) for month in months}
    return DecisionTimes(len(every), _median(every), by_month)
