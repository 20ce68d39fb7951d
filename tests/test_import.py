"""Bulk import through HTTP: templates, dry run, all-or-nothing commit, idempotence, encodings, access."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import sqlalchemy as sa
from babel.support import Translations
from openpyxl import Workbook, load_workbook

from matchmaker.extensions import db
from matchmaker.models import ImportJob, Match, ResearchResult
from matchmaker.services import imports
from tests.forms import open_page

RESULT_HEADER = ["external_ref", "title", "summary", "keywords", "sector", "trl", "cooperation_modes"]


def result_row(ref: str, title: str = "Graphene thermal film", **fields) -> dict:
    row = {
        "external_ref": ref,
        "title": title,
        "summary": "Spreads heat in 5G phones.",
        "keywords": "graphene; thermal film",
        "sector": "materials",
        "trl": "5",
        "cooperation_modes": "licence; joint_development",
    }
    row.update(fields)
    return row


def csv_bytes(rows: list[dict], header=None, encoding: str = "utf-8-sig") -> bytes:
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[row.get(name, "") for name in header] for row in rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], header=None) -> bytes:
    header = header or list(rows[0])
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name, "") for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_back(data: bytes, fmt: str) -> list[dict]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    lines = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def multipart(fields: dict[str, str], data: bytes, filename: str) -> tuple[bytes, str]:
    """A multipart body built in memory: the test client spools large ones to a temporary file that
    it never closes (an unraisable ResourceWarning under filterwarnings=error)."""
    boundary = "matchmaker-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(
    client,
    data: bytes,
    filename: str = "results.csv",
    kind: str = "result",
    organisation=None,
    encoding: str = "auto",
    lang: str = "",
):
    """Fill the import page's form as a browser does: choose the kind (and, for an admin, the
    organisation), attach the file and press the button."""
    form = open_page(client, f"/transfer/import{'?lang=' + lang if lang else ''}").form(action="/transfer/import")
    form.choose("kind", kind).set("encoding", encoding).set("file", (data, filename))
    if organisation is not None:
        form.set("organisation", str(organisation))
    return form.submit()


def confirm(client, job_url: str):
    """Press "Import now" on the job page."""
    return open_page(client, job_url).form(action=job_url + "/confirm").submit()


def forged_upload(
    client,
    data: bytes,
    filename: str = "results.csv",
    kind: str = "result",
    organisation=None,
    encoding: str = "auto",
    csrf: bool = True,
):
    """An upload no rendered form sends: no CSRF token, a field the page lacks, or a page refused."""
    fields = {"kind": kind, "encoding": encoding}
    if organisation is not None:
        fields["organisation"] = str(organisation)
    if csrf:
        fields["csrf_token"] = client.csrf_token()
    body, content_type = multipart(fields, data, filename)
    return client.post(
        "/transfer/import",
        data=body,
        content_type=content_type,
        no_csrf=True,
    )


def wait_done(client, job_url: str) -> dict:
    """Poll the progress endpoint as the import page does (the matching may run in a thread)."""
    deadline = time.monotonic() + 120
    while True:
        progress = client.get(job_url + "/progress").get_json()
        if progress["done"] or time.monotonic() > deadline:
            return progress
        time.sleep(0.2)


def import_file(client, data: bytes, filename: str = "results.csv", **kwargs) -> dict:
    response = upload(client, data, filename, **kwargs)
    assert response.status_code == 302, problems(response)
    job_url = response.headers["Location"]
    assert confirm(client, job_url).status_code == 302
    return wait_done(client, job_url)


def problems(response) -> list[tuple[str, str, str]]:
    """(row, column, message) of each problem the dry-run page lists."""
    page = response.get_data(as_text=True)
    found = re.findall(
        r'<tr class="problem"><td>(\d+)</td><td><code>([^<]*)</code>[^<]*</td><td>([^<]*)</td>', page
    )
    return [(row, column, message) for row, column, message in found]


@pytest.fixture
def hku(make):
    return make.university("HKU")


@pytest.fixture
def reviewer(make, hku):
    return make.user("reviewer", organisation_id=hku)


@pytest.fixture
def signed_in(client, auth, reviewer):
    auth.login(reviewer.email)
    return client


def results_of(app, organisation_id: int) -> dict[str, dict]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(ResearchResult).where(ResearchResult.organisation_id == organisation_id)
        )
        return {
            r.external_ref: {
                "id": r.id,
                "title": r.title,
                "status": r.status,
                "owner_id": r.owner_id,
                "keywords": r.keywords,
                "cooperation_modes": r.cooperation_modes,
                "trl": r.trl,
            }
            for r in rows
            if r.external_ref
        }


def job_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob))


@pytest.mark.parametrize("list_name,kind", [("results", "result"), ("needs", "need")])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_has_the_field_names_and_an_example_that_imports(app, signed_in, hku, list_name, kind, fmt):
    response = signed_in.get(f"/transfer/template/{list_name}.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_back(response.data, fmt)
    assert list(rows[0]) == list(imports.COLUMNS[kind]) and len(rows) == 1
    progress = import_file(signed_in, response.data, f"template.{fmt}", kind=kind)
    assert progress["state"] == "done" and progress["created"] == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_import_export_import(app, signed_in, hku, reviewer, fmt):
    rows = [
        result_row("R-1"),
        result_row("R-2", "石墨烯導熱膜", summary="用於5G手機的散熱。"),
        result_row("R-3", "石墨烯导热膜", summary="用于5G手机的散热。", trl=""),
    ]
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    progress = import_file(signed_in, data, f"results.{fmt}")
    assert (progress["created"], progress["updated"], progress["state"]) == (3, 0, "done")
    stored = results_of(app, hku)
    assert {ref: v["title"] for ref, v in stored.items()} == {r["external_ref"]: r["title"] for r in rows}
    assert stored["R-1"]["cooperation_modes"] == ["licence", "joint_development"]
    assert stored["R-3"]["trl"] is None and stored["R-1"]["owner_id"] == reviewer.id

    exported = signed_in.get(f"/transfer/export/results.{fmt}?institution={hku}")
    assert exported.status_code == 200
    back = {row["external_ref"]: row for row in read_back(exported.data, fmt)}
    for row in rows:
        for name in RESULT_HEADER:
            assert str(back[row["external_ref"]][name]) == row[name], name

    again = import_file(signed_in, exported.data, f"export.{fmt}")
    assert (again["created"], again["updated"]) == (0, 3)
    assert results_of(app, hku) == stored


def test_reimport_updates_instead_of_duplicating(app, signed_in, hku):
    import_file(signed_in, csv_bytes([result_row("R-1"), result_row("R-2")]))
    before = results_of(app, hku)
    progress = import_file(
        signed_in, csv_bytes([result_row("R-1", "New title"), result_row("R-2"), result_row("R-3")])
    )
    after = results_of(app, hku)
    assert (progress["created"], progress["updated"]) == (1, 2)
    assert after["R-1"]["id"] == before["R-1"]["id"] and after["R-1"]["title"] == "New title"
    assert len(after) == 3


def test_dry_run_lists_every_problem_by_row_and_field_and_stores_nothing(app, signed_in, hku):
    rows = [
        result_row("R-1"),
        result_row("R-2", title=""),
        result_row("R-3", sector="no-such-sector"),
        result_row("R-4", title="Bell\x07inside"),
        result_row("R-1"),
        result_row("R-5", trl="12"),
        result_row("R-6", title="x" * 201),
    ]
    response = upload(signed_in, csv_bytes(rows))
    assert response.status_code == 422
    found = {(row, column) for row, column, _message in problems(response)}
    assert found == {
        ("3", "title"),
        ("4", "sector"),
        ("5", "title"),
        ("6", "external_ref"),
        ("7", "trl"),
        ("8", "title"),
    }
    assert all(message.strip() for *_rest, message in problems(response))
    assert results_of(app, hku) == {} and job_count(app) == 0


def test_dry_run_speaks_the_users_language(app, client, auth, make):
    company = make.company()
    admin = make.user("admin")
    auth.login(admin.email)
    header = ["external_ref", "title", "description", "sector", "region", "budget_min", "budget_max"]
    row = {
        "external_ref": "N-1",
        "title": "電池冷卻",
        "description": "快充時過熱。",
        "sector": "energy",
        "region": "dongguan",
        "budget_min": "500000",
        "budget_max": "100000",
    }
    english = problems(upload(client, csv_bytes([row], header), kind="need", organisation=company))
    chinese = problems(
        upload(client, csv_bytes([row], header), kind="need", organisation=company, lang="zh-HK")
    )
    catalogue = Translations.load(app.config["BABEL_TRANSLATION_DIRECTORIES"], ["zh_Hant_HK"])
    message = "The maximum budget must not be below the minimum."
    assert english == [("2", "budget_max", message)]
    assert (
        chinese == [("2", "budget_max", catalogue.gettext(message))] and catalogue.gettext(message) != message
    )


def test_wrong_columns_are_named_and_nothing_is_read(app, signed_in, hku):
    data = csv_bytes([{"external_ref": "R-1", "title": "t", "colour": "red"}])
    response = upload(signed_in, data)
    assert response.status_code == 422
    assert {(row, column) for row, column, _m in problems(response)} == {
        ("1", "colour"),
        ("1", "summary"),
        ("1", "sector"),
    }
    assert results_of(app, hku) == {}


@pytest.mark.parametrize(
    "encoding,title,summary",
    [
        ("gb18030", "石墨烯导热膜", "用于手机散热的石墨烯薄膜，导热系数高。"),
        ("big5", "石墨烯導熱膜", "用於手機散熱的石墨烯薄膜，導熱係數高。"),
        ("big5hkscs", "邨屋綫路", "香港屋邨的綫路改善。"),
        ("utf-8", "石墨烯導熱膜", "沒有位元組順序記號的 UTF-8。"),
        ("utf-8-sig", "石墨烯导热膜", "带字节顺序标记的 UTF-8。"),
    ],
)
@pytest.mark.parametrize("chosen", ["auto", "explicit"])
def test_the_encodings_offices_have_are_read_right(app, signed_in, hku, encoding, title, summary, chosen):
    data = csv_bytes([result_row("R-1", title, summary=summary)], encoding=encoding)
    if not encoding.startswith("utf"):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    explicit = {"big5": "big5", "big5hkscs": "big5", "gb18030": "gb18030", "utf-8": "utf-8", "utf-8-sig": "utf-8"}
    choice = "auto" if chosen == "auto" else explicit[encoding]
    import_file(signed_in, data, encoding=choice)
    with app.app_context():
        stored = db.session.scalar(sa.select(ResearchResult).where(ResearchResult.external_ref == "R-1"))
        assert (stored.title, stored.summary) == (title, summary)


def test_bad_encoding_is_refused_with_a_message(app, signed_in, hku):
    response = upload(signed_in, b"external_ref,title\n\x80\xff\xfe\x81,\xff\n")
    assert response.status_code == 422 and "could not read" in response.get_data(as_text=True)
    gb_file = csv_bytes([result_row("R-1", "石墨烯导热膜")], encoding="gb18030")
    response = upload(signed_in, gb_file, encoding="utf-8")
    assert response.status_code == 422 and "line 2" in response.get_data(as_text=True)
    assert results_of(app, hku) == {} and job_count(app) == 0


def test_not_a_spreadsheet_is_refused(app, signed_in, hku):
    response = upload(signed_in, b"PK\x03\x04 broken zip", "results.xlsx")
    assert response.status_code == 422 and "xlsx" in response.get_data(as_text=True)
    assert job_count(app) == 0


def test_a_file_over_the_size_limit_gets_413(app, signed_in, hku):
    response = upload(signed_in, b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert job_count(app) == 0 and results_of(app, hku) == {}


def test_nothing_is_half_imported_when_the_database_changed_after_the_dry_run(app, signed_in, hku, make):
    researcher = make.user("researcher", organisation_id=hku)
    data = csv_bytes([result_row("R-1", owner_email=researcher.email), result_row("R-2")])
    response = upload(signed_in, data)
    job_url = response.headers["Location"]
    with app.app_context():
        from matchmaker.models import User

        db.session.get(User, researcher.id).active = False
        db.session.commit()
    response = confirm(signed_in, job_url)
    assert response.status_code == 409 and ("2", "owner_email") in {(r, c) for r, c, _m in problems(response)}
    assert results_of(app, hku) == {}


def test_owner_email_names_a_researcher_of_the_organisation(app, signed_in, hku, make):
    colleague = make.user("researcher", organisation_id=hku)
    outsider = make.user("researcher", organisation_id=make.university("CUHK"))
    response = upload(signed_in, csv_bytes([result_row("R-1", owner_email=outsider.email)]))
    assert [(r, c) for r, c, _m in problems(response)] == [("2", "owner_email")]
    import_file(signed_in, csv_bytes([result_row("R-1", owner_email=colleague.email.upper())]))
    assert results_of(app, hku)["R-1"]["owner_id"] == colleague.id


def test_suggestions_are_computed_after_the_commit(app, signed_in, hku, make):
    enterprise = make.user("enterprise")
    need_id = make.need(
        enterprise,
        title="Graphene heat spreader film for 5G phones",
        description="We need a graphene thermal film to cool phone chips.",
        keywords=["graphene", "thermal film"],
        sector="materials",
    )
    progress = import_file(signed_in, csv_bytes([result_row("R-1")]))
    assert progress == {**progress, "state": "done", "matched": 1, "to_match": 1}
    with app.app_context():
        result_id = db.session.scalar(
            sa.select(ResearchResult.id).where(ResearchResult.external_ref == "R-1")
        )
        assert (
            db.session.scalar(
                sa.select(Match.state).where(Match.result_id == result_id, Match.need_id == need_id)
            )
            == "suggested"
        )


def test_ten_thousand_rows_import_in_one_commit(app, signed_in, hku):
    rows = [result_row(f"R-{n}", f"Result number {n}", status="draft") for n in range(10_000)]
    progress = import_file(signed_in, csv_bytes(rows, RESULT_HEADER + ["status"]))
    assert (progress["created"], progress["state"]) == (10_000, "done")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResearchResult)) == 10_000


def test_upload_and_confirm_refuse_a_missing_csrf_token(app, signed_in, hku):
    assert forged_upload(signed_in, csv_bytes([result_row("R-1")]), csrf=False).status_code == 400
    assert job_count(app) == 0
    job_url = upload(signed_in, csv_bytes([result_row("R-1")])).headers["Location"]
    assert signed_in.post(job_url + "/confirm", no_csrf=True).status_code == 400
    assert results_of(app, hku) == {}


ROUTES = [
    "/transfer/import",
    "/transfer/template/results.csv",
    "/transfer/template/needs.xlsx",
    "/transfer/export/matches.csv",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "actor,expected",
    [("anonymous", 302), ("researcher", 403), ("enterprise", 403), ("reviewer", 200), ("admin", 200)],
)
def test_import_routes_by_role(client, auth, make, route, actor, expected):
    if actor != "anonymous":
        organisation = make.university("HKU") if actor == "reviewer" else None
        auth.login(make.user(actor, organisation_id=organisation).email)
    assert client.get(route).status_code == expected


def test_a_reviewer_of_no_organisation_cannot_import(client, auth, make):
    auth.login(make.user("reviewer").email)
    assert client.get("/transfer/import").status_code == 403
    assert forged_upload(client, csv_bytes([result_row("R-1")])).status_code == 403


def test_an_import_belongs_to_its_reviewer(app, client, auth, make, hku):
    owner, other = make.user("reviewer", organisation_id=hku), make.user("reviewer", organisation_id=hku)
    auth.login(owner.email)
    job_url = upload(client, csv_bytes([result_row("R-1")])).headers["Location"]
    auth.logout()
    auth.login(other.email)
    for response in (
        client.get(job_url),
        client.get(job_url + "/progress"),
        client.post(job_url + "/confirm"),
    ):
        assert response.status_code == 404
    assert results_of(app, hku) == {}
    auth.logout()
    auth.login(make.user("admin").email)
    assert client.get(job_url).status_code == 200


def test_a_reviewer_imports_into_their_own_organisation_only(app, signed_in, hku, make):
    cuhk = make.university("CUHK")
    response = forged_upload(signed_in, csv_bytes([result_row("R-1")]), organisation=cuhk)  # the page has no such field
    assert response.status_code == 302
    confirm(signed_in, response.headers["Location"])
    wait_done(signed_in, response.headers["Location"])
    assert list(results_of(app, hku)) == ["R-1"] and results_of(app, cuhk) == {}


def test_an_admin_chooses_the_organisation(app, client, auth, make):
    cuhk = make.university("CUHK")
    auth.login(make.user("admin").email)
    page = open_page(client, "/transfer/import")
    [(_, select)] = page.form(action="/transfer/import")._named("organisation")
    assert select.options[0][:2] == ("", "Choose…") and "required" in select.attrs
    # Left at "Choose…", the rows are filed under no one: the page says so and imports nothing.
    refused = upload(client, csv_bytes([result_row("R-1")]))
    assert refused.status_code == 400 and "Choose the organisation to import into." in refused.get_data(as_text=True)
    refused = upload(client, csv_bytes([result_row("R-1")]), lang="zh-HK")
    assert "請選擇要匯入資料的機構。" in refused.get_data(as_text=True) and results_of(app, cuhk) == {}
    import_file(client, csv_bytes([result_row("R-1")]), organisation=cuhk)
    assert list(results_of(app, cuhk)) == ["R-1"]


def test_two_waiting_imports_of_the_same_reference_never_duplicate(app, client, auth, make, hku):
    first, second = make.user("reviewer", organisation_id=hku), make.user("reviewer", organisation_id=hku)
    jobs = {}
    for reviewer, title in ((first, "First title"), (second, "Second title")):
        auth.login(reviewer.email)
        jobs[reviewer.id] = upload(client, csv_bytes([result_row("R-1", title)])).headers["Location"]
        auth.logout()
    for reviewer in (first, second):
        auth.login(reviewer.email)
        assert confirm(client, jobs[reviewer.id]).status_code == 302
        wait_done(client, jobs[reviewer.id])
        auth.logout()
    stored = results_of(app, hku)
    assert list(stored) == ["R-1"] and stored["R-1"]["title"] == "Second title"
