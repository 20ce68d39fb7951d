"""Exports of the lists under their current filters, and the import templates.

Staff (reviewers, admins) get every column, as codes, in the import's own layout: an exported file
imports again. Everyone else gets what the public list shows, with labels in their language, and a
confidential need keeps its company and details hidden unless the reader may see them.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.models import Match, User
from matchmaker.services import imports, postings, search
from matchmaker.services.matches import QueueFilters, queue_query

MAX_ROWS = 100_000
PUBLIC_COLUMNS = {
    "result": ("id", "title", "organisation", "sector", "trl", "summary", "keywords", "url"),
    "need": ("id", "title", "organisation", "sector", "region", "deadline", "description", "keywords",
             "url"),
}
MATCH_COLUMNS = ("id", "state", "score", "rank", "result_id", "result_title", "result_organisation",
                 "need_id", "need_title", "need_organisation", "need_region", "created_at", "decided_at",
                 "reviewer", "reason_code", "url")


def _is_staff(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_reviewer)


def posting_table(kind: str, filters: search.Filters, user: User | None, locale: str):
    """Header and rows of the postings the list shows for these filters (all pages)."""
    model = postings.model_for(kind)
    staff = _is_staff(user)
    stmt = search.build_query(model, filters, staff=staff).options(
        joinedload(model.organisation), joinedload(model.owner)).limit(MAX_ROWS)
    items = db.session.scalars(stmt).unique()
    if staff:
        header = list(imports.COLUMNS[kind]) + list(imports.EXPORT_ONLY)
        return header, [_staff_row(kind, posting, header) for posting in items]
    header = list(PUBLIC_COLUMNS[kind])
    return header, [_public_row(kind, posting, header, user, locale) for posting in items]


def _url(kind: str, posting_id: int) -> str:
    endpoint = "results.detail" if kind == "result" else "needs.detail"
    return url_for(endpoint, posting_id=posting_id, _external=True)


def _staff_row(kind: str, posting, header: list[str]) -> list:
    extra = {"owner_email": posting.owner.email if posting.owner else "", "organisation": _org(posting, None),
             "url": _url(kind, posting.id)}
    return [extra[name] if name in extra else getattr(posting, name) for name in header]


def _org(posting, locale: str | None) -> str:
    organisation = posting.organisation
    return organisation.short_name or organisation.display_name(locale) if organisation else ""


def _public_row(kind: str, posting, header: list[str], user: User | None, locale: str) -> list:
    hidden = kind == "need" and not postings.can_see_confidential(posting, user)
    values = {"id": posting.id, "title": posting.title, "url": _url(kind, posting.id),
              "organisation": _("Confidential company") if hidden else _org(posting, locale),
              "sector": taxonomy.SECTORS.label(posting.sector, locale),
              "keywords": [] if hidden else posting.keywords, "trl": getattr(posting, "trl", None),
              "summary": getattr(posting, "summary", ""), "deadline": getattr(posting, "deadline", None),
              "region": taxonomy.REGIONS.label(getattr(posting, "region", ""), locale),
              "description": "" if hidden else getattr(posting, "description", "")}
    return [values[name] for name in header]


def match_table(filters: QueueFilters):
    """Header and rows of the review queue under its filters (reviewers and admins only: the view checks)."""
    stmt = queue_query(filters).options(joinedload(Match.reviewer)).limit(MAX_ROWS)
    rows = [[match.id, match.state, match.score, match.rank, match.result_id, match.result.title,
             _org(match.result, None), match.need_id, match.need.title, _org(match.need, None),
             match.need.region, match.created_at, match.decided_at,
             match.reviewer.email if match.reviewer else "", match.reason_code or "",
             url_for("matches.detail", match_id=match.id, _external=True)]
            for match in db.session.scalars(stmt).unique()]
    return list(MATCH_COLUMNS), rows


EXAMPLES = {
    "result": {"external_ref": "TTO-2026-001", "owner_email": "", "status": "published",
               "title": "Graphene supercapacitor electrodes 石墨烯超級電容電極",
               "summary": "Printable graphene electrodes with three times the power density.",
               "details": "", "keywords": "graphene; supercapacitor; 石墨烯", "sector": "materials", "trl": 5,
               "ip_status": "granted_patent", "patent_numbers": "HK1234567", "jurisdictions": "HK; CN",
               "cooperation_modes": "licence; joint_development", "inventors": "Dr Chan",
               "contact_email": "tto@example.edu.hk"},
    "need": {"external_ref": "NEED-2026-001", "owner_email": "", "status": "published",
             "title": "Fast-charging battery for delivery robots 配送機械人快充電池",
             "description": "Batteries that charge in ten minutes and last 2000 cycles.",
             "keywords": "battery; fast charging; 快充", "sector": "energy", "region": "shenzhen",
             "budget_min": 100000, "budget_max": 500000, "currency": "CNY", "min_trl": 4,
             "deadline": None, "cooperation_modes": "licence", "confidential": "no"},
}


def template_table(kind: str) -> tuple[list[str], list[list]]:
    """The import template: the field names and one example row."""
    header = list(imports.COLUMNS[kind])
    example = dict(EXAMPLES[kind])
    if kind == "need":
        example["deadline"] = (date.today() + timedelta(days=180)).isoformat()
    return header, [[example[name] for name in header]]


def codes_table() -> tuple[list[str], list[list]]:
    """Every code a template cell may hold, with its labels (the workbook's second sheet)."""
    rows = []
    for column, vocabulary in imports.CODED.items():
        rows.extend([column, term.code, term.en, term.zh_hant, term.zh_hans] for term in vocabulary)
    rows.extend(["status", status, "", "", ""] for status in imports.IMPORTABLE_STATUSES)
    return ["column", "code", "English", "繁體中文", "简体中文"], rows

