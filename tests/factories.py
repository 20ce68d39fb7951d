"""Test data builders. Each call opens its own app context and returns plain ids and values, so tests
never hold ORM objects across requests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Organisation, ResearchResult, User
from matchmaker.models.base import utcnow
from matchmaker.services.postings import refresh_derived

_counter = itertools.count(1)


@dataclass(frozen=True)
class Made:
    id: int
    email: str = ""
    organisation_id: int | None = None


class Factories:
    def __init__(self, app):
        self.app = app

    def university(self, short_name: str = "HKU") -> int:
        with self.app.app_context():
            return db.session.scalar(sa.select(Organisation.id).where(Organisation.short_name == short_name))

    def company(self, name: str | None = None, region: str = "shenzhen") -> int:
        with self.app.app_context():
            company = Organisation(kind="enterprise", name_en=name or f"Company {next(_counter)}",
                                   name_zh="", region=region)
            db.session.add(company)
            db.session.commit()
            return company.id

    def user(self, role: str = "researcher", email: str | None = None, organisation_id: int | None = None,
             password: str | None = None) -> Made:
        from tests.conftest import PASSWORD

        if organisation_id is None and role == "researcher":
            organisation_id = self.university()
        if organisation_id is None and role == "enterprise":
            organisation_id = self.company()
        with self.app.app_context():
            user = User(email=email or f"{role}{next(_counter)}@example.test", display_name=f"{role} user",
                        role=role, organisation_id=organisation_id)
            user.set_password(password or PASSWORD)
            db.session.add(user)
            db.session.commit()
            return Made(user.id, user.email, organisation_id)

    def _posting(self, model, owner: Made, status: str, **fields) -> int:
        with self.app.app_context():
            posting = model(owner_id=owner.id, organisation_id=owner.organisation_id, status=status, **fields)
            if status == "published":
                posting.published_at = utcnow()
            refresh_derived(posting)
            db.session.add(posting)
            db.session.commit()
            return posting.id

    def result(self, owner: Made, status: str = "published", **fields) -> int:
        defaults = dict(title="Graphene supercapacitor electrodes", summary="High power density electrodes.",
                        details="", keywords=["graphene", "supercapacitor"], sector="materials", trl=5,
                        ip_status="granted_patent", cooperation_modes=["licence"])
        return self._posting(ResearchResult, owner, status, **{**defaults, **fields})

    def need(self, owner: Made, status: str = "published", **fields) -> int:
        defaults = dict(title="Fast-charging battery for delivery robots",
                        description="We need batteries that charge in ten minutes.",
                        keywords=["battery"], sector="energy", region="shenzhen", currency="CNY",
                        budget_min=100000, budget_max=500000, min_trl=4, cooperation_modes=["licence"],
                        deadline=date.today() + timedelta(days=90), confidential=False)
        return self._posting(EnterpriseNeed, owner, status, **{**defaults, **fields})

    def get(self, model, posting_id: int):
        """A detached snapshot of a row's columns, for assertions."""
        with self.app.app_context():
            row = db.session.get(model, posting_id)
            return None if row is None else {c.key: getattr(row, c.key) for c in sa.inspect(model).columns}


def result_form(**fields) -> dict:
    """Form data a researcher's browser posts for a valid research result; `fields` override."""
    data = {"title": "Perovskite solar cell coating", "summary": "A printable coating that lasts.",
            "details": "Tested for 2000 hours.", "keywords": "perovskite, 鈣鈦礦, solar", "sector": "energy",
            "trl": "4", "ip_status": "pending_patent", "patent_numbers": "HK1234567",
            "jurisdictions": ["HK", "CN"], "cooperation_modes": ["licence", "joint_development"],
            "inventors": "Dr Wong", "contact_email": "wong@example.com"}
    data.update(fields)
    return data


def need_form(**fields) -> dict:
    """Form data an enterprise user's browser posts for a valid technical need; `fields` override."""
    data = {"title": "Battery pack cooling", "description": "Our packs overheat when charged fast.",
            "keywords": "battery, thermal", "sector": "energy", "region": "dongguan", "budget_min": "100000",
            "budget_max": "300000", "currency": "HKD", "min_trl": "5",
            "deadline": (date.today() + timedelta(days=60)).isoformat(), "cooperation_modes": ["licence"]}
    data.update(fields)
    return data
