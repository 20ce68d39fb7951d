"""`flask demo load`: demo accounts and trilingual postings from `matchmaker/demo/postings.json`.

Idempotent: organisations are found by name, users by email, postings by their demo key kept in
`external_ref`, so loading twice changes nothing. The demo pairs listed in the file are what the
matching engine should find; a test checks it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Organisation, ResearchResult, User
from matchmaker.models.base import today_hk, utcnow
from matchmaker.services import accounts, index, matches, matching
from matchmaker.services.seed import ensure_universities

DATA_FILE = Path(__file__).resolve().parent.parent / "demo" / "postings.json"
PASSWORD = "matchmaker-demo"  # noqa: S105 - the published demo password, printed at start-up
DEMO_RESEARCHER_UNIVERSITY = "HKU"
DEMO_COMPANY = "fs-guangyao"  # owner of a need paired with one of HKU's results
DEMO_LOGINS = (("researcher@demo.test", "researcher"), ("enterprise@demo.test", "enterprise"),
               ("reviewer@demo.test", "reviewer"), ("admin@demo.test", "admin"))


@dataclass
class Summary:
    results: int
    needs: int
    suggestions: int


def load_data() -> dict:
    with open(DATA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def _user(email: str, name: str, role: str, organisation: Organisation | None) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.create_user(email, PASSWORD, name, role, organisation, locale=None)
    return user


def _companies(data: dict) -> dict[str, Organisation]:
    found = {}
    for item in data["companies"]:
        company = db.session.scalar(sa.select(Organisation).where(
            Organisation.kind == "enterprise", Organisation.name_en == item["name_en"]))
        if company is None:
            company = Organisation(kind="enterprise", name_en=item["name_en"], name_zh=item["name_zh"],
                                   region=item["region"], website=item.get("website", ""))
            db.session.add(company)
        found[item["key"]] = company
    db.session.flush()
    return found


def _owners(data: dict, companies: dict[str, Organisation]) -> dict[str, User]:
    """One poster per organisation; HKU's and one company's are the printed demo logins."""
    universities = {org.short_name: org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.kind == "university"))}
    owners = {}
    for short_name in sorted({r["institution"] for r in data["results"]}):
        email = ("researcher@demo.test" if short_name == DEMO_RESEARCHER_UNIVERSITY
                 else f"{short_name.lower()}.researcher@demo.test")
        owners[short_name] = _user(email, f"{short_name} researcher", "researcher", universities[short_name])
    for key, company in companies.items():
        email = "enterprise@demo.test" if key == DEMO_COMPANY else f"{key}@demo.test"
        owners[key] = _user(email, company.name_en.split(" Co")[0], "enterprise", company)
    _user("reviewer@demo.test", "Demo reviewer", "reviewer", None)
    _user("admin@demo.test", "Demo admin", "admin", None)
    return owners


def _posting(model, item: dict, owner: User, fields: dict):
    ref = f"demo:{item['key']}"
    posting = db.session.scalar(sa.select(model).where(model.external_ref == ref,
                                                       model.organisation_id == owner.organisation_id))
    if posting is not None:
        return posting
    posting = model(owner=owner, organisation_id=owner.organisation_id, external_ref=ref,
                    status=item.get("status", "published"), **fields)
    if posting.status != "draft":
        posting.published_at = utcnow()
    from matchmaker.services.postings import refresh_derived

    refresh_derived(posting)
    db.session.add(posting)
    return posting


RESULT_FIELDS = ("title", "summary", "details", "keywords", "sector", "trl", "ip_status", "patent_numbers",
                 "jurisdictions", "cooperation_modes", "inventors", "contact_email")
NEED_FIELDS = ("title", "description", "keywords", "sector", "budget_min", "budget_max", "currency",
               "min_trl", "cooperation_modes", "region", "confidential")


def _postings(data: dict, owners: dict[str, User]) -> tuple[int, int]:
    for item in data["results"]:
        fields = {name: item.get(name) for name in RESULT_FIELDS if name in item}
        _posting(ResearchResult, item, owners[item["institution"]], fields)
    for item in data["needs"]:
        fields = {name: item.get(name) for name in NEED_FIELDS if name in item}
        fields["deadline"] = today_hk() + timedelta(days=int(item.get("deadline_days", 180)))
        _posting(EnterpriseNeed, item, owners[item["company"]], fields)
    db.session.flush()
    return len(data["results"]), len(data["needs"])


def load() -> Summary:
    """Load (or top up) the demo; commits, then indexes and suggests for every live posting."""
    ensure_universities()
    data = load_data()
    owners = _owners(data, _companies(data))
    results, needs = _postings(data, owners)
    db.session.commit()
    index.rebuild()
    for posting in matching.live_postings():
        matching.refresh_suggestions(posting)
    return Summary(results, needs, matches.count_open_suggestions())


def describe(summary: Summary) -> str:
    lines = [f"Demo data: {summary.results} research results, {summary.needs} technical needs, "
             f"{summary.suggestions} open suggestions.", "Demo logins (password: matchmaker-demo):"]
    lines += [f"  {role:<10} {email}" for email, role in DEMO_LOGINS]
    return "\n".join(lines)
