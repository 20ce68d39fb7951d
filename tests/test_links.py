"""No page offers a link its viewer may not follow (issue 14, fault 17): each role walks the pages it reaches
from the home page and every same-site link on them answers 200."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.forms import open_page

_HREF = re.compile(r'<a\s[^>]*href="([^"#]+)"')
SKIP = ("/static/", "/export", "/template/", "/api/openapi")
PER_ENDPOINT = 3  # /results/1, /results/2, /results/3 say as much as all of them


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def walk(client, start: str = "/", limit: int = 120) -> dict[str, int]:
    """Breadth-first over same-site links; returns path → status of every link followed.

    Each shape gets PER_ENDPOINT distinct URLs: a link is queued once, so the same /results/1 linked from
    five places takes one place of its shape's quota, not five (which left an owner's drafts unvisited)."""
    seen: dict[str, int] = {}
    queued: set[str] = {start}
    shapes: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        response = client.get(path, follow_redirects=True)
        seen[path] = response.status_code
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for href in _HREF.findall(response.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            if not href.startswith("/") or href.startswith("//") or href.startswith(SKIP) or href in queued:
                continue
            shape = _shape(href)
            if shapes.get(shape, 0) < PER_ENDPOINT:
                shapes[shape] = shapes.get(shape, 0) + 1
                queued.add(href)
                queue.append(href)
    return seen


@pytest.fixture
def site(app, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    make.result(researcher)
    draft_result = make.result(researcher, status="draft", title="A draft result")
    make.need(enterprise)
    make.need(enterprise, confidential=True, title="A confidential need")
    draft_need = make.need(enterprise, status="draft", title="A draft need")
    return {"researcher": researcher, "enterprise": enterprise, "reviewer": make.user("reviewer"),
            "admin": make.user("admin"), "drafts": {"researcher": f"/results/{draft_result}",
                                                   "enterprise": f"/needs/{draft_need}"}}


@pytest.mark.parametrize("role", ["anonymous", "researcher", "enterprise", "reviewer", "admin"])
def test_every_link_on_every_page_answers_200_for_every_role(client, auth, site, role):
    if role != "anonymous":
        auth.login(site[role].email)
    statuses = walk(client)
    assert len(statuses) > 5
    broken = {path: status for path, status in statuses.items() if status != 200}
    assert not broken, broken


@pytest.mark.parametrize("role", ["researcher", "enterprise"])
def test_the_walk_reaches_the_owners_drafts_and_their_pages(client, auth, site, role):
    """Links repeated on a page (a posting named on the home page, its list and the dashboard) must not use up
    the quota of their shape, or the walk never opens a draft only its owner is offered."""
    auth.login(site[role].email)
    statuses = walk(client)
    draft = site["drafts"][role]
    assert statuses.get(draft) == 200, sorted(statuses)
    assert statuses.get(f"{draft}/edit") == 200, sorted(statuses)


def test_a_reviewer_without_an_organisation_is_offered_no_import_link(client, auth, site):
    auth.login(site["reviewer"].email)
    assert "/transfer/import" not in open_page(client, "/review/").html


def test_a_reviewer_of_an_organisation_gets_the_import_link_and_its_page(client, auth, make):
    reviewer = make.user("reviewer", organisation_id=make.university("CUHK"))
    auth.login(reviewer.email)
    page = open_page(client, "/review/").html
    link = re.search(r'href="(/[^"]*import)"', page).group(1)
    assert client.get(link).status_code == 200
