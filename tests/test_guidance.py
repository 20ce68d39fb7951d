"""Writing good postings: the completeness meter and its hints, and the duplicate warning."""

from __future__ import annotations

import re

from tests.forms import submit
from tests.test_pipeline import RESULT


def _meter(page: str) -> int:
    return int(re.search(r'<meter id="completeness-meter"[^>]*value="(\d+)"', page).group(1))


def test_a_thin_draft_gets_concrete_hints_and_a_low_meter(client, auth, make):
    owner = make.user("researcher")
    draft = make.result(owner, status="draft", title="Sensor", summary="A sensor.", details="", keywords=[],
                        trl=None, ip_status="none", cooperation_modes=[])
    auth.login(owner.email)
    page = client.get(f"/results/{draft}").get_data(as_text=True)
    assert _meter(page) == 0
    for hint in ("three keywords", "summary", "technology readiness level", "IP protection", "cooperation modes"):
        assert hint in page


def test_the_meter_rises_as_the_posting_is_completed(client, auth, make):
    owner = make.user("enterprise")
    draft = make.need(owner, status="draft", keywords=["battery"], budget_min=None, budget_max=None,
                      deadline=None, min_trl=None)
    auth.login(owner.email)
    before = _meter(client.get(f"/needs/{draft}").get_data(as_text=True))
    saved = submit(client, f"/needs/{draft}/edit", {
        "title": "Fast-charging battery", "description": "word " * 60, "keywords": "battery, 电池, fast charge",
        "sector": "energy", "region": "shenzhen", "currency": "CNY", "budget_min": "100000",
        "budget_max": "200000", "min_trl": "4", "deadline": "2099-01-01", "cooperation_modes": ["licence"]},
        button="Save")
    assert saved.status_code == 302
    page = client.get(f"/needs/{draft}").get_data(as_text=True)
    assert _meter(page) == 100 > before
    assert "Everything a good match needs is there." in page


def test_the_meter_is_only_for_the_owner_before_publishing(client, auth, make):
    owner = make.user("researcher")
    published = make.result(owner)
    auth.login(owner.email)
    assert "completeness-meter" not in client.get(f"/results/{published}").get_data(as_text=True)


def test_a_draft_much_like_a_published_posting_is_flagged(client, auth, make):
    owner, other = make.user("researcher"), make.user("researcher")
    original = make.result(other, **RESULT)
    copy = make.result(owner, status="draft", **RESULT)
    different = make.result(owner, status="draft", title="Seawater desalination membrane",
                            summary="Solar membrane distillation for islands.", keywords=["desalination"])
    auth.login(owner.email)
    page = client.get(f"/results/{copy}").get_data(as_text=True)
    assert "looks much like an existing posting" in page and f"/results/{original}" in page
    assert "looks much like" not in client.get(f"/results/{different}").get_data(as_text=True)
