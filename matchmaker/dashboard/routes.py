"""Dashboard pages and their CSV downloads; reviewers and admins only."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request

from matchmaker import taxonomy
from matchmaker.access import roles
from matchmaker.dashboard.tables import BUILDERS, Figures, Table
from matchmaker.errors import render_error
from matchmaker.services import dashboard
from matchmaker.services.errors import InvalidInput

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


@bp.route("/")
@roles("reviewer", "admin")
def index():
    try:
        filters = dashboard.parse_filters(request.args)
    except InvalidInput as error:
        typed = _raw_filters()
        return render_template("dashboard/index.html", error=error, filters=typed, shown=vars(typed), tables=[],
                               figures=None), error.status
    figures = Figures(filters)
    tables = [build(figures) for build in BUILDERS.values()]
    return render_template("dashboard/index.html", error=None, filters=filters, tables=tables,
                           figures=figures, shown=dashboard.shown_months(filters))


@bp.route("/<name>.csv")
@roles("reviewer", "admin")
def download(name: str):
    """One table as CSV (UTF-8 with a BOM so that Excel reads the Chinese labels right)."""
    if name not in BUILDERS:
        abort(404)
    try:
        filters = dashboard.parse_filters(request.args)
    except InvalidInput as error:
        return render_error(error.status, error.message)
    table = BUILDERS[name](Figures(filters))
    return Response(_csv_text(table).encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(name, filters)}"'})


def _raw_filters() -> dashboard.Filters:
    """What the visitor typed, echoed back into the form (escaped by Jinja) when it was refused."""
    typed = (request.args.get(key, "")[:20] for key in ("month_from", "month_to", "sector"))
    return dashboard.Filters(*typed)


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def _csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_cell(value) for value in row] for row in table.rows)
    return "\ufeff" + buffer.getvalue()


def _filename(name: str, filters: dashboard.Filters) -> str:
    """ASCII only: every part comes from validated filters (months, a sector code)."""
    parts = ["matchmaker", name, filters.month_from or "start", filters.month_to or "now"]
    if filters.sector in taxonomy.SECTORS:
        parts.append(filters.sector)
    return "-".join(parts) + ".csv"
