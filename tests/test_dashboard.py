"""The reviewer and admin dashboards through HTTP: funnel, backlog, time to decision, charts and CSV.

The scenario writes matches and their event history directly, with known timestamps, so that every
expected figure follows from the definitions in `services/dashboard.py` rather than from a past run.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, MatchEvent, Organisation
from matchmaker.models.base import utcnow
from matchmaker.services import charts as charts_module
from tests.conftest import AuthActions
from tests.forms import submit

SVG = "{http://www.w3.org/2000/svg}"
JAN_10 = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
# (name, result key, created at (UTC), path: (to_state, days after creation) after the suggestion)
SCENARIO = [
    ("A", "hku_materials", JAN_10, [("introduced", 2), ("introduced", 3), ("connected", 5), ("agreed", 9)]),
    # 17:00 UTC on 31 January is 01:00 on 1 February in Hong Kong: a February match
    ("B", "hku_materials", datetime(2026, 1, 31, 17, 0, tzinfo=UTC), [("rejected", 4)]),
    ("C", "cuhk_energy", datetime(2026, 2, 5, 3, 0, tzinfo=UTC), [("introduced", 6), ("closed", 8)]),
    ("D", "cuhk_energy", datetime(2026, 2, 20, 3, 0, tzinfo=UTC), []),
    ("D2", "cuhk_energy", datetime(2026, 2, 25, 3, 0, tzinfo=UTC), []),
    ("G", "hku_materials", datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
     [("introduced", 1), ("withdrawn", 3)]),
]
RECENT = [("E", "hku_materials", 3), ("F", "hku_energy", 10)]  # open suggestions, days old


def _login(client, email: str) -> None:
    assert AuthActions(client).login(email).status_code == 302


def _insert_match(result_id: int, need_id: int, created: datetime, path) -> int:
    match = Match(result_id=result_id, need_id=need_id, score=0.5, rank=1, engine_version="test",
                  created_at=created, state="suggested")
    db.session.add(match)
    db.session.flush()
    events = [MatchEvent(match_id=match.id, from_state=None, to_state="suggested", action="suggest",
                         created_at=created)]
    for to_state, days in path:
        events.append(MatchEvent(match_id=match.id, from_state=match.state, to_state=to_state, action="test",
                                 created_at=created + timedelta(days=days)))
        match.state = to_state
    db.session.add_all(events)
    return match.id


@pytest.fixture
def scenario(app, make):
    """Three results (HKU materials, HKU energy, CUHK energy), one need per match, matches A–G."""
    hku, cuhk = make.university("HKU"), make.university("CUHK")
    researcher = make.user("researcher", organisation_id=hku)
    colleague = make.user("researcher", organisation_id=cuhk)
    enterprise = make.user("enterprise")
    results = {"hku_materials": make.result(researcher, sector="materials"),
               "hku_energy": make.result(researcher, sector="energy", title="Sodium battery"),
               "cuhk_energy": make.result(colleague, sector="energy", title="Solid-state battery")}
    now = utcnow()
    plan = SCENARIO + [(name, key, now - timedelta(days=days), []) for name, key, days in RECENT]
    ids = {}
    for name, key, created, path in plan:
        need_id = make.need(enterprise, title=f"Need {name}")
        with app.app_context():
            ids[name] = _insert_match(results[key], need_id, created, path)
            db.session.commit()
    return dict(ids=ids, results=results, hku=hku, cuhk=cuhk, reviewer=make.user("reviewer"),
                admin=make.user("admin"), researcher=researcher, enterprise=enterprise)


def _csv(client, name: str, **args) -> list[dict]:
    response = client.get(f"/dashboard/{name}.csv", query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _stages(row: dict) -> list[int]:
    return [int(row[stage]) for stage in ("suggested", "introduced", "connected", "agreed")]


def test_funnel_counts_a_match_at_every_stage_it_ever_reached(client, scenario):
    _login(client, scenario["reviewer"].email)
    rows = {row["stage"]: row for row in _csv(client, "funnel")}
    # A reached agreed; C was introduced then closed; G introduced then withdrawn; B rejected; the rest open
    assert {stage: int(row["matches"]) for stage, row in rows.items()} == {
        "suggested": 8, "introduced": 3, "connected": 1, "agreed": 1}
    assert rows["introduced"]["percent_of_suggested"] == "37.5"
    assert rows["connected"]["percent_of_previous_stage"] == "33.3"
    assert rows["suggested"]["stage_label"] == "Suggested"


def test_a_match_without_history_counts_by_its_current_state(app, client, make, scenario):
    need_id = make.need(scenario["enterprise"], title="Need from before the event log")
    with app.app_context():
        db.session.add(Match(result_id=scenario["results"]["hku_energy"], need_id=need_id, score=0.4, rank=2,
                             engine_version="old", state="connected",
                             created_at=datetime(2025, 6, 3, tzinfo=UTC)))
        db.session.commit()
    _login(client, scenario["reviewer"].email)
    rows = _csv(client, "funnel", month_from="2025-06", month_to="2025-06")
    assert [int(row["matches"]) for row in rows] == [1, 1, 1, 0]


def test_funnel_by_month_uses_hong_kong_time_and_fills_empty_months(client, scenario):
    _login(client, scenario["reviewer"].email)
    rows = _csv(client, "funnel-by-month", month_from="2026-01", month_to="2026-03")
    assert [row["month"] for row in rows] == ["2026-01", "2026-02"]  # no match was created in March
    by_month = {row["month"]: _stages(row) for row in rows}
    assert by_month == {"2026-01": [2, 2, 1, 1], "2026-02": [4, 1, 0, 0]}  # B counts in February

    months = [row["month"] for row in _csv(client, "funnel-by-month")]
    assert months[0] == "2026-01" and len(months) == len(set(months)) and months == sorted(months)
    assert "2026-05" in months  # an empty month between January and today's still has its row


def test_funnel_by_sector_and_institution_follow_the_research_result(client, scenario):
    _login(client, scenario["admin"].email)
    sectors = {row["sector"]: _stages(row) for row in _csv(client, "funnel-by-sector")}
    assert sectors == {"materials": [4, 2, 1, 1], "energy": [4, 1, 0, 0]}
    institutions = {int(row["institution_id"]): (row["institution"], _stages(row))
                    for row in _csv(client, "funnel-by-institution")}
    assert institutions == {scenario["hku"]: ("The University of Hong Kong", [5, 2, 1, 1]),
                            scenario["cuhk"]: ("The Chinese University of Hong Kong", [3, 1, 0, 0])}


def test_filters_select_months_of_creation_and_a_sector(client, scenario):
    _login(client, scenario["reviewer"].email)
    february = {row["stage"]: int(row["matches"]) for row in _csv(client, "funnel", month_from="2026-02",
                                                                    month_to="2026-02")}
    assert february == {"suggested": 4, "introduced": 1, "connected": 0, "agreed": 0}
    energy = {row["stage"]: int(row["matches"]) for row in _csv(client, "funnel", sector="energy")}
    assert energy == {"suggested": 4, "introduced": 1, "connected": 0, "agreed": 0}
    rows = _csv(client, "backlog", sector="energy")
    backlog = {row["age_band"]: int(row["open_suggestions"]) for row in rows}
    assert backlog == {"under_7": 0, "7_to_30": 1, "over_30": 2}


def test_backlog_bands_count_open_suggestions_by_age(client, scenario):
    _login(client, scenario["reviewer"].email)
    rows = {row["age_band"]: int(row["open_suggestions"]) for row in _csv(client, "backlog")}
    assert rows == {"under_7": 1, "7_to_30": 1, "over_30": 2}
    page = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'id="summary-backlog">(<a href="/review/">)?\s*4\s*<', page)


def test_median_time_to_decision_overall_and_by_month_of_decision(client, scenario):
    _login(client, scenario["reviewer"].email)
    rows = _csv(client, "decision-time")
    # decisions: G after 1 day and A after 2 (January), B after 4 and C after 6 (February)
    assert [(row["month"], int(row["decisions"]), float(row["median_days"])) for row in rows] == [
        ("2026-01", 2, 1.5), ("2026-02", 2, 5.0)]
    page = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r'id="summary-median">\s*3\.0\s*<', page)  # the median of 1, 2, 4 and 6 days

    february = _csv(client, "decision-time", month_from="2026-02")
    assert [(row["month"], row["median_days"]) for row in february] == [("2026-02", "5.0")]


def _charts(page: str) -> dict[str, ET.Element]:
    """Every inline SVG of the page, parsed as XML (a malformed one fails the test here)."""
    charts = {}
    for source in re.findall(r"<svg\b.*?</svg>", page, flags=re.S):
        root = ET.fromstring(source)  # noqa: S314 -- our own output, parsed to prove it is well-formed
        charts[root.get("id")] = root
    return charts


def _texts(root: ET.Element, css_class: str) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")
            if css_class in node.get("class", "").split()]


def test_charts_are_accessible_svg_with_a_bar_and_a_number_per_value(client, scenario):
    _login(client, scenario["reviewer"].email)
    response = client.get("/dashboard/?month_from=2026-01&month_to=2026-02")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    charts = _charts(page)
    assert set(charts) == {"chart-funnel", "chart-funnel-by-month", "chart-funnel-by-sector",
                           "chart-funnel-by-institution", "chart-backlog", "chart-decision-time"}
    for chart_id, root in charts.items():
        assert root.get("role") == "img" and root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert " style=" not in page and "<script" not in page  # the CSP would block both

    funnel = charts["chart-funnel"]
    assert len([r for r in funnel.iter(f"{SVG}rect") if "bar" in r.get("class").split()]) == 4
    assert _texts(funnel, "label") == ["Suggested", "Introduced", "Connected", "Agreed"]
    assert _texts(funnel, "value") == ["6", "3", "1", "1"]  # January and February only

    by_month = charts["chart-funnel-by-month"]
    assert _texts(by_month, "label") == ["2026-01", "2026-02"]
    assert len([r for r in by_month.iter(f"{SVG}rect") if "bar" in r.get("class").split()]) == 2 * 4
    assert _texts(charts["chart-funnel-by-sector"], "label") == ["New energy & storage", "Advanced materials"]
    by_sector = charts["chart-funnel-by-sector"]  # nested bars: each row lists its stages' numbers in order
    assert _texts(by_sector, "value") == ["3 · 1 · 0 · 0", "3 · 2 · 1 · 1"]
    assert len([r for r in by_sector.iter(f"{SVG}rect") if "bar" in r.get("class").split()]) == 2 * 4
    assert len(list(charts["chart-decision-time"].iter(f"{SVG}circle"))) == 2


def test_every_chart_links_its_csv_with_the_filters(client, scenario):
    _login(client, scenario["reviewer"].email)
    page = client.get("/dashboard/?month_from=2026-02&sector=energy").get_data(as_text=True)
    links = re.findall(r'href="(/dashboard/[a-z-]+\.csv[^"]*)"', page)
    assert len(links) == 6 and all("month_from=2026-02" in link and "sector=energy" in link for link in links)
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_hostile_names_stay_text_in_svg_and_csv(app, client, make, scenario):
    hostile = '=1+2<b>&"x'
    with app.app_context():
        org = Organisation(kind="university", name_en=hostile, region="macao")
        db.session.add(org)
        db.session.commit()
        org_id = org.id
    result_id = make.result(make.user("researcher", organisation_id=org_id))
    need_id = make.need(scenario["enterprise"], title="Need H")
    with app.app_context():
        _insert_match(result_id, need_id, JAN_10, [])
        db.session.commit()
    _login(client, scenario["reviewer"].email)
    charts = _charts(client.get("/dashboard/").get_data(as_text=True))
    assert hostile in _texts(charts["chart-funnel-by-institution"], "label")
    names = [row["institution"] for row in _csv(client, "funnel-by-institution")]
    assert "'" + hostile in names  # a spreadsheet must not run it as a formula


def test_labels_follow_the_interface_language(client, scenario):
    _login(client, scenario["reviewer"].email)
    rows = _csv(client, "funnel-by-sector", lang="zh-HK")
    labels = {row["sector"]: row["sector_label"] for row in rows}
    assert labels == {"materials": "先進材料", "energy": "新能源與儲能"}


def test_a_decision_through_the_review_pipeline_moves_the_figures(client, scenario):
    _login(client, scenario["reviewer"].email)
    match_id = scenario["ids"]["E"]
    response = submit(client, f"/matches/{match_id}", {"decision": "approve"}, button="Save decision")
    assert response.status_code == 302
    funnel = {row["stage"]: int(row["matches"]) for row in _csv(client, "funnel")}
    assert funnel["introduced"] == 4
    backlog = {row["age_band"]: int(row["open_suggestions"]) for row in _csv(client, "backlog")}
    assert backlog == {"under_7": 0, "7_to_30": 1, "over_30": 2}
    decisions = _csv(client, "decision-time")
    assert sum(int(row["decisions"]) for row in decisions) == 5


@pytest.mark.parametrize("args, field, message", [
    ({"month_from": "2026-13"}, "month_from", "Enter the month as YYYY-MM"),
    ({"month_to": "March"}, "month_to", "Enter the month as YYYY-MM"),
    ({"month_from": "2026-03", "month_to": "2026-01"}, "month_to", "comes before the first one"),
    ({"sector": "bogus"}, "sector", "Choose a sector from the list")])
def test_bad_filters_are_refused_with_a_message_on_the_field(client, scenario, args, field, message):
    _login(client, scenario["reviewer"].email)
    response = client.get("/dashboard/", query_string=args)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "<svg" not in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    response = client.get("/dashboard/funnel.csv", query_string=args)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [("researcher", 403), ("enterprise", 403), ("reviewer", 200),
                                            ("admin", 200), (None, 302)])
@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/funnel.csv", "/dashboard/backlog.csv"])
def test_only_reviewers_and_admins_see_the_dashboard(client, make, role, expected, path):
    if role:
        _login(client, make.user(role).email)
    response = client.get(path)
    assert response.status_code == expected
    if role is None:
        assert "/login" in response.headers["Location"]
    if role in ("reviewer", "admin"):
        assert ('href="/dashboard/"' in client.get("/").get_data(as_text=True))
    elif role:
        assert 'href="/dashboard/"' not in client.get("/").get_data(as_text=True)


def _statements(app, client, path: str) -> int:
    seen = []

    def count(*event_args) -> None:
        seen.append(event_args[2])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_page_issues_as_many_queries_for_many_matches_as_for_few(app, client, make, scenario):
    _login(client, scenario["reviewer"].email)
    before = _statements(app, client, "/dashboard/")
    owner = make.user("researcher", organisation_id=make.university("HKUST"))
    results = [make.result(owner, sector=sector) for sector in ("chips", "biomed", "robotics")]
    with app.app_context():
        for index, result_id in enumerate(results * 3):
            created = JAN_10 + timedelta(days=40 * index)
            need_id = make.need(scenario["enterprise"], title=f"Extra {index}")
            _insert_match(result_id, need_id, created, [("introduced", 1), ("connected", 2)][: index % 3])
        db.session.commit()
    assert _statements(app, client, "/dashboard/") == before
    assert _statements(app, client, "/dashboard/funnel-by-institution.csv") < before


def test_an_unknown_table_is_404(client, make):
    _login(client, make.user("reviewer").email)
    assert client.get("/dashboard/secrets.csv").status_code == 404


def test_an_empty_database_gives_zeros_not_errors(client, make):
    _login(client, make.user("admin").email)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert [int(row["matches"]) for row in _csv(client, "funnel")] == [0, 0, 0, 0]
    assert _csv(client, "decision-time") == [] and _csv(client, "funnel-by-month") == []
    assert set(_charts(page.get_data(as_text=True))) == {"chart-funnel", "chart-backlog"}


def test_month_pickers_are_labelled_and_show_the_span_the_figures_cover(client, scenario):
    """Empty month inputs render as "------ ----" in Chromium: the pickers show the months the figures
    cover (first suggestion to this month, Hong Kong time), each tied to a visible label, and say what
    to type in a browser that offers a plain text box instead."""
    _login(client, scenario["reviewer"].email)
    page = client.get("/dashboard/").get_data(as_text=True)
    this_month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Hong_Kong")).strftime("%Y-%m")
    shown = {}
    for name, label in (("month_from", "From month"), ("month_to", "To month")):
        assert re.search(rf'<label for="{name}">{label}</label>', page)
        tag = re.search(rf'<input type="month" id="{name}" name="{name}"[^>]*>', page).group(0)
        assert 'placeholder="YYYY-MM"' in tag and 'pattern="[0-9]{4}-(0[1-9]|1[0-2])"' in tag
        assert 'title="Year and month, for example 2025-03"' in tag
        shown[name] = re.search(r'value="([^"]*)"', tag).group(1)
    assert shown == {"month_from": "2026-01", "month_to": this_month}
    # Sending the shown span back selects exactly what the empty bounds did.
    assert _csv(client, "funnel", **shown) == _csv(client, "funnel")

    chosen = client.get("/dashboard/?month_from=2026-02&month_to=2026-03").get_data(as_text=True)
    assert re.search(r'id="month_from" name="month_from" value="2026-02"', chosen)
    assert re.search(r'id="month_to" name="month_to" value="2026-03"', chosen)
    assert 'title="年份和月份，例如 2025-03"' in client.get("/dashboard/?lang=zh-HK").get_data(as_text=True)


def test_small_bars_stay_visible_with_their_number_beside_a_big_one(app, client, make, scenario):
    """Open suggestions: 300 more under a week old beside the scenario's 1 (E) of 7 to 30 days (F) and 2
    older ones (D, D2). At scale the 1 and the 2 would be about a pixel wide; they get a floor width."""
    researcher = make.user("researcher")
    result_id = make.result(researcher, title="Popular result")
    enterprise = make.user("enterprise")
    now = utcnow()
    with app.app_context():
        needs = [EnterpriseNeed(owner_id=enterprise.id, organisation_id=enterprise.organisation_id,
                                status="published", title=f"Bulk need {i}", description="x", sector="energy",
                                region="shenzhen")
                 for i in range(300)]
        db.session.add_all(needs)
        db.session.flush()
        for need in needs:
            _insert_match(result_id, need.id, now - timedelta(days=1), [])
        db.session.commit()
    _login(client, scenario["reviewer"].email)
    charts = _charts(client.get("/dashboard/").get_data(as_text=True))

    backlog = charts["chart-backlog"]
    bars = [r for r in backlog.iter(f"{SVG}rect") if "bar" in r.get("class").split()]
    widths = [float(bar.get("width")) for bar in bars]
    assert [bar.get("data-value") for bar in bars] == ["301", "1", "2"]
    assert _texts(backlog, "value") == ["301", "1", "2"]  # each bar's number is written after it
    assert widths[0] > 400 and widths[1] == widths[2] == charts_module.MIN_BAR
    assert ["bar-floor" in bar.get("class").split() for bar in bars] == [False, True, True]
    values = [node for node in backlog.iter(f"{SVG}text") if "value" in node.get("class", "").split()]
    for bar, value in zip(bars, values, strict=True):  # the number sits just right of its bar
        assert float(value.get("x")) == pytest.approx(float(bar.get("x")) + float(bar.get("width")) + 5)

    # Nested funnel rows: a small stage in front never hides a small stage behind it; zero draws nothing.
    by_sector = charts["chart-funnel-by-sector"]
    for group in by_sector.iter(f"{SVG}g"):
        rects = [r for r in group.iter(f"{SVG}rect") if "bar" in r.get("class").split()]
        if not rects:
            continue
        drawn = [(int(r.get("data-value")), float(r.get("width"))) for r in rects]
        nonzero = [width for value, width in drawn if value]
        assert all(width == 0 for value, width in drawn if not value)
        assert nonzero == sorted(nonzero, reverse=True) and len(set(nonzero)) == len(nonzero)
        assert min(nonzero) >= charts_module.MIN_BAR
