"""Import postings from a spreadsheet (dry run, confirm, progress), download templates, export lists.

Views stay thin: the rules (who may import where, what a row may hold) live in `services/import_jobs.py`
and `services/imports.py`; the tables come from `services/exports.py`.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.access import public, roles
from matchmaker.extensions import db, limiter
from matchmaker.i18n import current_locale
from matchmaker.models import Organisation
from matchmaker.services import exports, import_jobs, imports
from matchmaker.services.errors import DomainError, InvalidInput
from matchmaker.services.spreadsheets import write_csv, write_xlsx
from matchmaker.transfer.forms import ConfirmForm, ImportForm

bp = Blueprint("transfer", __name__, url_prefix="/transfer")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = {"results": "result", "needs": "need"}


@bp.route("/import", methods=["GET", "POST"])
@roles("reviewer", "admin")
@limiter.limit("30 per hour", methods=["POST"])
def upload():
    """Upload a file: its dry run lists every problem (422) or keeps it waiting for confirmation."""
    form = ImportForm(import_jobs.organisations_for(current_user))
    if len(form.organisation.choices) == 1:  # only "Choose…"
        abort(403)  # a reviewer attached to no organisation has nothing to import into (no link shows)
    if not current_user.is_admin:
        del form.organisation  # a reviewer imports into their own organisation, never another
    if not form.validate_on_submit():
        return _upload_page(form, None, 400 if form.errors else 200)
    organisation = (db.session.get(Organisation, form.organisation.data) if current_user.is_admin
                    else current_user.organisation)
    data = form.file.data.read()
    try:
        plan, job = import_jobs.dry_run(current_user, organisation, form.kind.data, data,
                                        form.file.data.filename or "", form.encoding.data)
    except InvalidInput as error:
        form[error.field if error.field in form else "file"].errors.append(error.message)
        return _upload_page(form, None, 422)
    except DomainError as error:
        abort(error.status)
    if job is None:
        return _upload_page(form, plan, 422)
    return redirect(url_for(".job", job_id=job.id))


def _upload_page(form, plan, status: int):
    return render_template("transfer/import.html", form=form, plan=plan, columns=imports.COLUMNS,
                           required=imports.REQUIRED), status


def _job_or_404(job_id: int):
    try:
        return import_jobs.get_job(job_id, current_user)
    except DomainError as error:
        abort(error.status)


@bp.route("/import/<int:job_id>")
@roles("reviewer", "admin")
def job(job_id: int):
    job = _job_or_404(job_id)
    return render_template("transfer/job.html", job=job, form=ConfirmForm(), plan=None,
                           progress=import_jobs.progress(job))


@bp.route("/import/<int:job_id>/confirm", methods=["POST"])
@roles("reviewer", "admin")
def confirm(job_id: int):
    """Import the checked file in one transaction, then compute its suggestions with progress."""
    job = _job_or_404(job_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plan = import_jobs.confirm(job, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".job", job_id=job_id))
    if plan.problems:
        return render_template("transfer/job.html", job=job, form=form, plan=plan,
                               progress=import_jobs.progress(job)), 409
    flash(_("Imported: %(created)d new, %(updated)d updated.", created=plan.created, updated=plan.updated),
          "success")
    import_jobs.start_matching(job_id)
    return redirect(url_for(".job", job_id=job_id))


@bp.route("/import/<int:job_id>/progress")
@roles("reviewer", "admin")
def job_progress(job_id: int):
    return jsonify(import_jobs.progress(_job_or_404(job_id)))


@bp.route("/template/<any(results,needs):list_name>.<any(csv,xlsx):fmt>")
@roles("reviewer", "admin")
def template(list_name: str, fmt: str):
    header, rows = exports.template_table(LISTS[list_name])
    return _download(f"{list_name}-template", fmt, header, rows, {"codes": exports.codes_table()},
                     dated=False)


@bp.route("/export/<any(results,needs):list_name>.<any(csv,xlsx):fmt>")
@public
@limiter.limit("30 per minute")
def export_postings(list_name: str, fmt: str):
    """The list under the filters of its page (same query string), as the reader may see it."""
    from matchmaker.postings.views import read_filters

    header, rows = exports.posting_table(LISTS[list_name], read_filters(), current_user, current_locale())
    return _download(list_name, fmt, header, rows)


@bp.route("/export/matches.<any(csv,xlsx):fmt>")
@roles("reviewer", "admin")
@limiter.limit("30 per minute")
def export_matches(fmt: str):
    """The review queue under its filters."""
    from matchmaker.review.routes import read_filters

    header, rows = exports.match_table(read_filters())
    return _download("matches", fmt, header, rows)


def _download(name: str, fmt: str, header, rows, extra_sheets=None, dated: bool = True) -> Response:
    filename = f"{name}-{date.today().isoformat()}.{fmt}" if dated else f"{name}.{fmt}"
    if fmt == "csv":
        response = Response(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = Response(write_xlsx({name: (header, rows), **(extra_sheets or {})}), content_type=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
