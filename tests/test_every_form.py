"""Every HTML form of the site is submitted through the form helper by a test here (issue 14, "why the tests
missed them"): a hand-built POST dict passes even when the rendered form cannot send it.

Two halves, and each checks the other:
- `FORM_TESTS` maps each form's (method, endpoint), posts and the GET filters alike, to a test that opens
  the page, fills the rendered form with valid data through tests/forms.py and asserts what it did (the row
  stored, the state changed, the list filtered). The parametrised `test_the_form_works_when_submitted_as_rendered`
  runs each one and checks, from the helper's own record, that it really submitted that form.
- `test_every_form_the_site_renders_has_a_test_here` walks every page each role reaches by links, parses
  every `<form>`, and fails naming any form endpoint (and the page it is on) that `FORM_TESTS` lacks, or any
  entry of `FORM_TESTS` whose form no page shows any more.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import (
    ApiToken,
    EnterpriseNeed,
    ImportJob,
    Match,
    Notification,
    Organisation,
    ResearchResult,
    User,
)
from matchmaker.services import import_jobs, matching, pipeline, tokens
from tests.conftest import PASSWORD
from tests.factories import Factories, Made
from tests.forms import endpoint_of, open_page, parse_forms, submit
from tests.test_links import _HREF, SKIP, _shape

ROLES = ("anonymous", "researcher", "enterprise", "reviewer", "admin")
PER_SHAPE = 6  # pages of one shape (/results/N) visited per role: enough to meet drafts and published ones
PAGE_LIMIT = 250

# A family of postings that match one another, so the engine suggests pairs between them.
RESULT = dict(summary="A graphene film that spreads heat in 5G phones three times better than graphite.",
              keywords=["graphene", "thermal film"])
NEED = dict(description="Our phones overheat; we need a thin graphene thermal film to spread heat.",
            keywords=["graphene", "heat spreader"])
# Drafts unlike every other posting, so publishing one asks no duplicate question.
DRAFT_RESULT = dict(title="Seaweed-based biodegradable packaging foam", summary="Foam from kelp that "
                    "composts in six weeks.", keywords=["seaweed", "packaging"], sector="materials")
DRAFT_NEED = dict(title="Low-noise ceiling fans for classrooms", description="Fans under 30 dB that move "
                  "enough air for forty pupils.", keywords=["fan", "acoustics"], sector="manufacturing")


@dataclass
class Site:
    """Every role with something on each of its pages, so each form the site has is rendered somewhere."""

    app: object
    make: Factories
    people: dict[str, Made]
    published_result: int
    draft_result: int
    published_need: int
    draft_need: int
    suggested: int  # a match waiting for a reviewer
    introduced: int  # introduced, nobody has answered
    connected: int  # both sides said yes
    token: int  # the researcher's API token
    job: int  # the reviewer's checked import, waiting for confirmation

    def entries(self, role: str) -> list[str]:
        """Where a role's walk starts. The import job page is reached by uploading, not by a link."""
        return ["/", f"/transfer/import/{self.job}"] if role in ("reviewer", "admin") else ["/"]

    def row(self, model, **where):
        with self.app.app_context():
            found = db.session.scalar(sa.select(model).filter_by(**where))
            return None if found is None else {c.key: getattr(found, c.key) for c in sa.inspect(model).columns}

    def count(self, model, **where) -> int:
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def _csv(ref: str, title: str) -> bytes:
    return ("external_ref,title,summary,keywords,sector,trl,cooperation_modes\r\n"
            f"{ref},{title},Kelp foam that composts.,seaweed; foam,materials,5,licence\r\n").encode("utf-8-sig")


def _user(made: Made) -> User:
    return db.session.get(User, made.id)


@pytest.fixture
def site(app, make) -> Site:
    hku = make.university("HKU")
    people = {"researcher": make.user("researcher"), "enterprise": make.user("enterprise"),
              "reviewer": make.user("reviewer", organisation_id=hku), "admin": make.user("admin")}
    results = [make.result(people["researcher"], title=f"Graphene thermal film {n}", **RESULT) for n in (1, 2, 3)]
    needs = [make.need(people["enterprise"], title=f"Heat spreading film {n}", **NEED) for n in (1, 2, 3)]
    draft_result = make.result(people["researcher"], status="draft", **DRAFT_RESULT)
    draft_need = make.need(people["enterprise"], status="draft", **DRAFT_NEED)
    with app.app_context():
        for result_id in results:
            matching.refresh_suggestions(db.session.get(ResearchResult, result_id))
        pairs = {(m.result_id, m.need_id): m for m in db.session.scalars(sa.select(Match))}
        suggested, introduced, connected = (pairs[(results[n], needs[n])] for n in range(3))
        reviewer = _user(people["reviewer"])
        pipeline.approve(introduced, reviewer, introduced.version)
        pipeline.approve(connected, reviewer, connected.version)
        pipeline.respond(connected, _user(people["researcher"]), "interested")
        pipeline.respond(connected, _user(people["enterprise"]), "interested")
        token, _ = tokens.issue(_user(people["researcher"]), "laptop script")
        _, job = import_jobs.dry_run(reviewer, db.session.get(Organisation, hku), "result",
                                     _csv("SEA-1", "Kelp foam"), "results.csv")
        ids = dict(suggested=suggested.id, introduced=introduced.id, connected=connected.id, token=token.id,
                   job=job.id)
    return Site(app, make, people, results[0], draft_result, needs[0], draft_need, **ids)


# --- the walk ------------------------------------------------------------------------------------------


def walk_forms(client, entries: list[str]) -> dict[tuple[str, str], str]:
    """Breadth-first over same-site links from `entries`; (method, endpoint) of each form met → first page."""
    app = client.application
    found: dict[tuple[str, str], str] = {}
    queued: set[str] = set(entries)
    shapes: dict[str, int] = {}
    queue = list(entries)
    visited = 0
    while queue and visited < PAGE_LIMIT:
        path = queue.pop(0)
        visited += 1
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        for form in parse_forms(client, "http://localhost" + response.request.path, html):
            found.setdefault((form.method, endpoint_of(app, urlsplit(form.action).path, form.method)), path)
        for href in _HREF.findall(html):
            href = href.replace("&amp;", "&")
            if not href.startswith("/") or href.startswith("//") or href.startswith(SKIP) or href in queued:
                continue
            shape = _shape(href)
            if shapes.get(shape, 0) < PER_SHAPE:
                shapes[shape] = shapes.get(shape, 0) + 1
                queued.add(href)
                queue.append(href)
    return found



# --- one test per form ---------------------------------------------------------------------------------

FORM_TESTS: dict[tuple[str, str], Callable] = {}  # (method, endpoint) → the test that submits that form


def covers(endpoint: str, method: str = "POST"):
    def register(body: Callable) -> Callable:
        assert (method, endpoint) not in FORM_TESTS, endpoint
        FORM_TESTS[(method, endpoint)] = body
        return body
    return register


def _flashes(response) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', response.get_data(as_text=True), re.S))


def _follow(client, response, expect_path: str | None = None):
    """The page a browser lands on after a redirect (the flash shows there)."""
    errors = re.findall(r'<p class="error" id="([^"]+)">([^<]*)', response.get_data(as_text=True))
    assert response.status_code == 302, f"{response.status_code} {errors} {_flashes(response)}"
    location = response.headers["Location"]
    if expect_path is not None:
        assert urlsplit(location).path == expect_path, location
    return client.get(location)


@covers("auth.login")
def _login(site: Site, client, auth):
    landing = _follow(client, submit(client, "/login", {"email": site.people["researcher"].email,
                                                        "password": PASSWORD}, button="Sign in"), "/")
    assert "Welcome back" in _flashes(landing)
    assert client.get("/account").status_code == 200


@covers("auth.signup")
def _signup(site: Site, client, auth):
    hku = site.make.university("HKU")
    response = submit(client, "/signup", {"role": "researcher", "display_name": "Dr Chan",
                                          "email": "chan@example.com", "password": "a long enough secret",
                                          "university_id": str(hku)}, button="Create account")
    assert "Your account is ready." in _flashes(_follow(client, response, "/"))
    user = site.row(User, email="chan@example.com")
    assert user["role"] == "researcher" and user["organisation_id"] == hku


@covers("auth.logout")
def _logout(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    landing = _follow(client, open_page(client, "/").form(action="/logout").submit("Sign out"), "/")
    assert "You are signed out." in _flashes(landing)
    assert client.get("/account").status_code == 302


@covers("auth.set_language")
def _set_language(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    response = open_page(client, "/needs/").form(action="/language").submit("繁體中文")
    page = _follow(client, response, "/needs/").get_data(as_text=True)
    assert 'lang="zh-Hant-HK"' in page
    assert site.row(User, id=site.people["researcher"].id)["locale"] == "zh_Hant_HK"


@covers("auth.preferences")
def _preferences(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    response = submit(client, "/account", {"locale": "zh_Hans_CN", "email_notifications": False},
                      action="/account/preferences")
    assert _follow(client, response, "/account").status_code == 200
    user = site.row(User, id=site.people["enterprise"].id)
    assert user["locale"] == "zh_Hans_CN" and user["email_notifications"] is False


@covers("auth.change_password")
def _change_password(site: Site, client, auth):
    who = site.people["reviewer"]
    auth.login(who.email)
    response = submit(client, "/account", {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
                      action="/account/password")
    assert "Your password is changed." in _flashes(_follow(client, response, "/account"))
    auth.logout()
    assert auth.login(who.email).status_code == 401
    assert auth.login(who.email, "a brand new passphrase").status_code == 302


@covers("tokens.create")
def _token_create(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    response = submit(client, "/account", {"name": "nightly sync"}, action="/account/tokens")
    assert response.status_code == 201 and "nightly sync" in response.get_data(as_text=True)
    assert site.count(ApiToken, user_id=site.people["enterprise"].id, name="nightly sync") == 1


@covers("tokens.revoke")
def _token_revoke(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    form = open_page(client, "/account").form(action=f"/account/tokens/{site.token}/revoke")
    assert _follow(client, form.submit("Revoke laptop script")).status_code == 200
    assert site.count(ApiToken, id=site.token) == 0


@covers("results.new")
def _result_new(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    form = open_page(client, "/results/new").form(button="Save")
    form.fill(title="Printable perovskite coating", summary="A coating that lasts 2000 hours.",
              keywords="perovskite, solar", details="Tested outdoors.")
    form.set("sector", "energy").set("ip_status", "pending_patent").set("trl", "4")
    form.check("cooperation_modes", "licence")
    response = form.submit("Save")
    assert "Saved." in _flashes(_follow(client, response))
    row = site.row(ResearchResult, title="Printable perovskite coating")
    assert row["status"] == "draft" and row["ip_status"] == "pending_patent" and row["trl"] == 4


@covers("needs.new")
def _need_new(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    form = open_page(client, "/needs/new").form(button="Save")
    form.fill(title="Battery pack cooling", description="Our packs overheat when charged fast.",
              keywords="battery, thermal", budget_min="100000", budget_max="300000",
              deadline=(date.today() + timedelta(days=60)).isoformat())
    form.set("sector", "energy").set("region", "dongguan").set("currency", "HKD").set("min_trl", "5")
    form.check("cooperation_modes", "licence")
    assert "Saved." in _flashes(_follow(client, form.submit("Save")))
    row = site.row(EnterpriseNeed, title="Battery pack cooling")
    assert row["status"] == "draft" and row["region"] == "dongguan" and row["budget_max"] == 300000


@covers("results.edit")
def _result_edit(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    form = open_page(client, f"/results/{site.draft_result}/edit").form(button="Save")
    form.set("title", "Kelp packaging foam, second recipe")
    assert "Saved." in _flashes(_follow(client, form.submit("Save"), f"/results/{site.draft_result}"))
    assert site.row(ResearchResult, id=site.draft_result)["title"] == "Kelp packaging foam, second recipe"


@covers("needs.edit")
def _need_edit(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    form = open_page(client, f"/needs/{site.draft_need}/edit").form(button="Save")
    form.set("title", "Quiet ceiling fans for classrooms")
    assert "Saved." in _flashes(_follow(client, form.submit("Save"), f"/needs/{site.draft_need}"))
    assert site.row(EnterpriseNeed, id=site.draft_need)["title"] == "Quiet ceiling fans for classrooms"


def _press_on_detail(site, client, kind: str, posting_id: int, what: str, button: str):
    page = open_page(client, f"/{kind}/{posting_id}")
    return _follow(client, page.form(action=f"/{kind}/{posting_id}/{what}").submit(button), f"/{kind}/{posting_id}")


@covers("results.publish")
def _result_publish(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    landing = _press_on_detail(site, client, "results", site.draft_result, "publish", "Publish")
    assert "Published." in _flashes(landing)
    assert site.row(ResearchResult, id=site.draft_result)["status"] == "published"


@covers("needs.publish")
def _need_publish(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    landing = _press_on_detail(site, client, "needs", site.draft_need, "publish", "Publish")
    assert "Published." in _flashes(landing)
    assert site.row(EnterpriseNeed, id=site.draft_need)["status"] == "published"


def _archive_after_asking(client, kind: str, posting_id: int):
    """The posting page links to a page that asks first; only its Archive button archives."""
    path = f"/{kind}/{posting_id}"
    assert f'href="{path}/archive"' in open_page(client, path).html
    asking = open_page(client, f"{path}/archive")
    assert "Archive" in asking.html
    return _follow(client, asking.form(action=f"{path}/archive").submit("Archive"), path)


@covers("results.archive")
def _result_archive(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    _archive_after_asking(client, "results", site.published_result)
    assert site.row(ResearchResult, id=site.published_result)["status"] == "archived"


@covers("needs.archive")
def _need_archive(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    _archive_after_asking(client, "needs", site.published_need)
    assert site.row(EnterpriseNeed, id=site.published_need)["status"] == "archived"


@covers("review.bulk")
def _review_bulk(site: Site, client, auth):
    auth.login(site.people["reviewer"].email)
    form = open_page(client, "/review/").form(action="/review/bulk")
    form.check("match_id", str(site.suggested))
    landing = _follow(client, form.submit("Introduce selected"), "/review/")
    assert "Introduced:" in _flashes(landing)
    assert site.row(Match, id=site.suggested)["state"] == "introduced"


@covers("matches.decide")
def _match_decide(site: Site, client, auth):
    auth.login(site.people["admin"].email)
    form = open_page(client, f"/matches/{site.suggested}").form(action=f"/matches/{site.suggested}/decision")
    form.choose("decision", "reject").set("reason", "off_topic")
    landing = _follow(client, form.submit("Save decision"), f"/matches/{site.suggested}")
    assert "Saved." in _flashes(landing)
    assert site.row(Match, id=site.suggested)["state"] == "rejected"


@covers("matches.respond")
def _match_respond(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    form = open_page(client, f"/matches/{site.introduced}").form(action=f"/matches/{site.introduced}/response")
    form.choose("answer", "interested").set("message", "Happy to talk next week.")
    _follow(client, form.submit("Send answer"), f"/matches/{site.introduced}")
    match = site.row(Match, id=site.introduced)
    assert match["result_response"] == "interested" and match["state"] == "introduced"


@covers("matches.outcome")
def _match_outcome(site: Site, client, auth):
    auth.login(site.people["enterprise"].email)
    form = open_page(client, f"/matches/{site.connected}").form(action=f"/matches/{site.connected}/outcome")
    form.choose("outcome", "agree").set("deal_kind", "licence")
    _follow(client, form.submit("Record the outcome"), f"/matches/{site.connected}")
    assert site.row(Match, id=site.connected)["state"] == "agreed"


@covers("matches.notifications_read")
def _notifications_read(site: Site, client, auth):
    who = site.people["researcher"].id
    assert site.count(Notification, user_id=who, read_at=None) > 0
    auth.login(site.people["researcher"].email)
    form = open_page(client, "/notifications").form(action="/notifications/read")
    _follow(client, form.submit("Mark all as read"), "/notifications")
    assert site.count(Notification, user_id=who, read_at=None) == 0


@covers("transfer.upload")
def _import_upload(site: Site, client, auth):
    auth.login(site.people["reviewer"].email)
    form = open_page(client, "/transfer/import").form(button="Check the file")
    form.choose("kind", "result").set("file", (io.BytesIO(_csv("SEA-2", "Kelp insulation board")), "kelp.csv"))
    response = form.submit("Check the file")
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1])
    job = site.row(ImportJob, id=job_id)
    assert job["state"] == "checked" and job["rows"] == 1 and job["filename"] == "kelp.csv"


@covers("transfer.confirm")
def _import_confirm(site: Site, client, auth):
    auth.login(site.people["reviewer"].email)
    form = open_page(client, f"/transfer/import/{site.job}").form(action=f"/transfer/import/{site.job}/confirm")
    landing = _follow(client, form.submit("Import now"), f"/transfer/import/{site.job}")
    assert "Imported: 1 new, 0 updated." in _flashes(landing)
    assert site.row(ResearchResult, external_ref="SEA-1")["title"] == "Kelp foam"


@covers("results.index", "GET")
def _search_results(site: Site, client, auth):
    form = open_page(client, "/").form(action="/results/")
    page = form.fill(q="graphene").submit("Search").get_data(as_text=True)
    assert f'href="/results/{site.published_result}"' in page and "Graphene thermal film 1" in page


@covers("needs.index", "GET")
def _filter_needs(site: Site, client, auth):
    auth.login(site.people["researcher"].email)
    form = open_page(client, "/needs/").form(action="/needs/")
    page = form.fill(q="heat spreading").set("sector", "energy").submit().get_data(as_text=True)
    assert f'href="/needs/{site.published_need}"' in page
    form = open_page(client, "/needs/").form(action="/needs/")
    page = form.set("sector", "robotics").submit().get_data(as_text=True)
    assert f'href="/needs/{site.published_need}"' not in page


@covers("review.queue", "GET")
def _filter_the_queue(site: Site, client, auth):
    auth.login(site.people["reviewer"].email)
    form = open_page(client, "/review/").form(action="/review/")
    page = form.set("state", "introduced").submit().get_data(as_text=True)
    assert f'href="/matches/{site.introduced}"' in page and f'href="/matches/{site.suggested}"' not in page


@covers("dashboard.index", "GET")
def _filter_the_dashboard(site: Site, client, auth):
    auth.login(site.people["admin"].email)
    month = date.today().strftime("%Y-%m")
    form = open_page(client, "/dashboard/").form(action="/dashboard/")
    response = form.fill(month_from=month, month_to=month).set("sector", "materials").submit()
    assert response.status_code == 200 and 'id="filter-error"' not in response.get_data(as_text=True)
    assert f'value="{month}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("form", sorted(FORM_TESTS), ids=" ".join)
def test_the_form_works_when_submitted_as_rendered(site, client, auth, submitted_forms, form):
    FORM_TESTS[form](site, client, auth)
    assert form in submitted_forms, (
        f"the test of {' '.join(form)} submitted {submitted_forms}, never that form, through tests/forms.py")


def test_every_form_the_site_renders_has_a_test_here(site, client, auth):
    """The walk of every role's pages meets each form of the site; each needs its entry in FORM_TESTS."""
    found: dict[tuple[str, str], tuple[str, str]] = {}  # (method, endpoint) → (role, page it is on)
    for role in ROLES:
        if role != "anonymous":
            auth.login(site.people[role].email)
        for key, page in walk_forms(client, site.entries(role)).items():
            found.setdefault(key, (role, page))
        if role != "anonymous":
            auth.logout()
    untested = {f"{method} {endpoint} (the form on {page}, seen as {role})"
                for (method, endpoint), (role, page) in found.items() if (method, endpoint) not in FORM_TESTS}
    assert not untested, ("forms without a test that submits them through tests/forms.py; add one to FORM_TESTS "
                          "in tests/test_every_form.py: " + "; ".join(sorted(untested)))
    unseen = set(FORM_TESTS) - set(found)
    assert not unseen, f"FORM_TESTS has tests for forms no page of the walk shows: {sorted(unseen)}"
