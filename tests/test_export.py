"""Exports through HTTP: the list filters apply, anonymous readers get the public list only; Excel-safe."""

from __future__ import annotations

import html

import pytest
from openpyxl import load_workbook

from matchmaker.services.spreadsheets import read_table
from tests.test_import import read_back

SECRET = "Our confidential cooling process"


@pytest.fixture
def postings(make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    company = make.company("Hidden Robotics Ltd")
    insider = make.user("enterprise", organisation_id=company)
    return {
        "energy": make.result(researcher, title="Solid-state battery 固態電池", sector="energy"),
        "materials": make.result(researcher, title="Graphene film", sector="materials"),
        "draft": make.result(researcher, status="draft", title="Unpublished draft result"),
        "formula": make.result(researcher, title='=HYPERLINK("http://evil.example")', sector="chips"),
        "open_need": make.need(enterprise, title="Open need", description="Public description"),
        "secret_need": make.need(insider, title="Cooling for robots", description=SECRET, confidential=True),
        "insider": insider,
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_export_of_needs_hides_confidential_details(client, postings, fmt):
    response = client.get(f"/transfer/export/needs.{fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = {row["title"]: row for row in read_back(response.data, fmt)}
    assert set(rows) == {"Open need", "Cooling for robots"}
    assert rows["Open need"]["description"] == "Public description"
    secret = rows["Cooling for robots"]
    assert secret["description"] == "" and secret["keywords"] == ""
    assert "Hidden Robotics" not in str(secret) and "Confidential" in secret["organisation"]
    assert not {"owner_email", "budget_min", "confidential", "external_ref"} & set(secret)


def test_staff_and_the_needs_own_company_see_the_confidential_details(client, auth, make, postings):
    auth.login(make.user("reviewer").email)
    staff = {row["title"]: row for row in read_back(client.get("/transfer/export/needs.csv").data, "csv")}
    assert (
        staff["Cooling for robots"]["description"] == SECRET
        and staff["Cooling for robots"]["confidential"] == "true"
    )
    auth.logout()
    auth.login(postings["insider"].email)
    own = {row["title"]: row for row in read_back(client.get("/transfer/export/needs.csv").data, "csv")}
    assert own["Cooling for robots"]["description"] == SECRET


def test_the_list_filters_apply_to_the_export(client, postings):
    titles = {
        row["title"]
        for row in read_back(client.get("/transfer/export/results.csv?sector=energy").data, "csv")
    }
    assert titles == {"Solid-state battery 固態電池"}
    titles = {
        row["title"] for row in read_back(client.get("/transfer/export/results.csv?q=固态电池").data, "csv")
    }
    assert titles == {"Solid-state battery 固態電池"}
    everything = {row["title"] for row in read_back(client.get("/transfer/export/results.csv").data, "csv")}
    assert "Graphene film" in everything and "Unpublished draft result" not in everything


def test_drafts_are_exported_to_staff_only(client, auth, make, postings):
    anonymous = read_back(client.get("/transfer/export/results.csv?status=draft").data, "csv")
    assert "Unpublished draft result" not in {row["title"] for row in anonymous}
    auth.login(make.user("admin").email)
    staff = read_back(client.get("/transfer/export/results.csv?status=draft").data, "csv")
    assert {row["title"] for row in staff} == {"Unpublished draft result"}


def test_csv_has_a_byte_order_mark_for_excel_and_defuses_formulas(client, postings):
    response = client.get("/transfer/export/results.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode()) and "固態電池".encode() in response.data
    assert b"'=HYPERLINK" in response.data
    table = read_table(response.data)
    assert '=HYPERLINK("http://evil.example")' in [cells[1] for _n, cells in table.rows]


def test_xlsx_cells_are_text_never_formulas(client, postings):
    sheet = load_workbook(
        __import__("io").BytesIO(client.get("/transfer/export/results.xlsx").data)
    ).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if str(cell.value).startswith("=")]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_match_export_follows_the_queue_filters(app, client, auth, make):
    from matchmaker.extensions import db
    from matchmaker.models import Match

    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher)
    energy, robotics = make.need(enterprise, sector="energy"), make.need(enterprise, sector="robotics")
    with app.app_context():
        for need_id, score in ((energy, 3.0), (robotics, 2.0)):
            db.session.add(
                Match(result_id=result_id, need_id=need_id, score=score, rank=1, engine_version="t")
            )
        db.session.commit()
    auth.login(make.user("reviewer").email)
    everything = read_back(client.get("/transfer/export/matches.csv").data, "csv")
    assert [int(row["need_id"]) for row in everything] == [energy, robotics]
    filtered = read_back(client.get("/transfer/export/matches.xlsx?sector=energy").data, "xlsx")
    assert [row["need_id"] for row in filtered] == [str(energy)]


@pytest.mark.parametrize(
    "page,export",
    [
        ("/results/?sector=energy", "/transfer/export/results.csv?sector=energy"),
        ("/needs/?region=dongguan", "/transfer/export/needs.xlsx?region=dongguan"),
    ],
)
def test_list_pages_link_to_the_export_with_their_filters(client, page, export):
    assert export in html.unescape(client.get(page).get_data(as_text=True))


def test_review_queue_links_to_the_match_export(client, auth, make):
    auth.login(make.user("reviewer").email)
    page = html.unescape(client.get("/review/?state=rejected").get_data(as_text=True))
    assert "/transfer/export/matches.csv?state=rejected" in page
