"""An import's life: upload and dry run → confirm (one commit, all or nothing) → suggestions with progress.

Who may import: a reviewer into their own organisation, an admin into any. Suggestions for the imported
postings are computed after the commit, in a background thread that writes its progress to the job row
(any worker can report it). With an in-memory SQLite database (tests) a thread cannot have a connection
of its own, so the work runs in the request instead.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import ImportJob, JobState, Organisation, User
from matchmaker.models.base import utcnow
from matchmaker.models.postings import Status
from matchmaker.services import imports, postings
from matchmaker.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from matchmaker.services.spreadsheets import read_table

KINDS = ("result", "need")


def check_may_import(user: User, organisation: Organisation | None) -> None:
    """:raise Forbidden: not an admin, nor a reviewer of `organisation`."""
    if organisation is None:
        raise Forbidden(_("Choose the organisation to import into."))
    if user.is_admin:
        return
    if user.role != "reviewer" or user.organisation_id != organisation.id:
        raise Forbidden(_("Only the organisation's reviewers and administrators can import its postings."))


def max_rows() -> int:
    return current_app.config.get("IMPORT_MAX_ROWS", 20_000)


def dry_run(user: User, organisation: Organisation, kind: str, data: bytes, filename: str,
            encoding: str = "auto") -> tuple[imports.Plan, ImportJob | None]:
    """Check a file; when it has no problem, keep it in a job waiting for confirmation (commits).

    :raise InvalidInput: the file cannot be read at all (the message names the problem).
    :raise Forbidden: see `check_may_import`.
    """
    check_may_import(user, organisation)
    if kind not in KINDS:
        raise InvalidInput(_("Choose a value from the list."), field="kind")
    plan = imports.check(read_table(data, encoding, max_rows()), kind, organisation, user)
    db.session.rollback()  # the check only read; keep the session clean for the job row
    if plan.problems:
        return plan, None
    _drop_waiting_jobs(user)
    job = ImportJob(user_id=user.id, organisation_id=organisation.id, kind=kind, filename=filename[:200],
                    encoding=encoding if plan.encoding != "xlsx" else "auto", payload=data,
                    rows=len(plan.rows), created=plan.created, updated=plan.updated)
    db.session.add(job)
    db.session.commit()
    return plan, job


def _drop_waiting_jobs(user: User) -> None:
    """A user has at most one file waiting: an older unconfirmed upload is forgotten."""
    db.session.execute(sa.update(ImportJob).where(ImportJob.user_id == user.id,
                                                  ImportJob.state == JobState.CHECKED)
                       .values(payload=None, state=JobState.FAILED, error="superseded"))


def get_job(job_id: int, user: User) -> ImportJob:
    """:raise NotFound: no such job, or another user's (admins see all)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or not (user.is_admin or job.user_id == user.id):
        raise NotFound(_("We could not find that import."))
    return job


def confirm(job: ImportJob, user: User) -> imports.Plan:
    """Check the waiting file again (the database may have changed) and import it in one commit.

    :returns: the plan; if it has problems nothing was written and the job still waits.
    :raise InvalidInput: the job is not waiting for confirmation.
    :raise Conflict: a concurrent import took some of the same references first (nothing written).
    """
    if job.state != JobState.CHECKED or job.payload is None:
        raise InvalidInput(_("This import has already been done."), field="file")
    check_may_import(user, job.organisation)
    plan = imports.check(read_table(job.payload, job.encoding or "auto", max_rows()), job.kind,
                         job.organisation, user)
    if plan.problems:
        db.session.rollback()
        return plan
    try:
        _apply(job, plan, user)
    except sa.exc.IntegrityError:  # another import created the same references meanwhile
        db.session.rollback()
        raise Conflict(_("Another import changed these postings at the same time. Nothing was imported "
                         "from this file; confirm again to check it anew.")) from None
    return plan


def _apply(job: ImportJob, plan: imports.Plan, user: User) -> None:
    imported = imports.apply(plan, user)
    # New drafts have nothing to match; an updated posting may have gained or lost suggestions.
    job.posting_ids = [posting.id for posting, row in zip(imported, plan.rows, strict=True)
                       if posting.status == Status.PUBLISHED or row.existing is not None]
    job.rows, job.created, job.updated = len(plan.rows), plan.created, plan.updated
    job.payload, job.state, job.matched = None, JobState.MATCHING, 0
    db.session.commit()


def start_matching(job_id: int) -> None:
    """Compute the suggestions of an imported job's postings, in a thread when the database allows."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        run_matching(job_id)
        return
    app = current_app._get_current_object()
    threading.Thread(target=_run_with_app, args=(app, job_id), name=f"import-job-{job_id}",
                     daemon=True).start()


def _run_with_app(app, job_id: int) -> None:
    with app.app_context():
        run_matching(job_id)


def run_matching(job_id: int, on_progress=None) -> None:
    """Refresh the suggestions of each posting of the job, recording progress; the job ends done or failed."""
    from matchmaker.services import matching

    job = db.session.get(ImportJob, job_id)
    model = postings.model_for(job.kind)
    try:
        for done, posting_id in enumerate(list(job.posting_ids), start=1):
            posting = db.session.get(model, posting_id)
            job.matched = done  # committed with the posting's suggestions
            if posting is not None:
                matching.refresh_suggestions(posting)
            if on_progress:
                on_progress(done)
        job.state, job.finished_at = JobState.DONE, utcnow()
        db.session.commit()
    except Exception as error:  # the postings are committed; say what stopped and keep going
        db.session.rollback()
        current_app.logger.exception("Matching for import job %s failed", job_id)
        job = db.session.get(ImportJob, job_id)
        job.state, job.error, job.finished_at = JobState.FAILED, str(error)[:500], utcnow()
        db.session.commit()


def progress(job: ImportJob) -> dict:
    return {"id": job.id, "state": job.state, "rows": job.rows, "created": job.created,
            "updated": job.updated, "matched": job.matched, "to_match": job.to_match,
            "done": job.state in (JobState.DONE, JobState.FAILED)}


def organisations_for(user: User) -> list[Organisation]:
    """Where `user` may import: their own organisation, or any for an admin."""
    if user.is_admin:
        return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.kind,
                                                                         Organisation.name_en)))
    return [user.organisation] if user.organisation is not None else []
