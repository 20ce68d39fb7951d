"""The reviewer queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker import taxonomy
from matchmaker.access import roles
from matchmaker.extensions import db
from matchmaker.matches.forms import BulkDecisionForm
from matchmaker.models import Match
from matchmaker.services import matches, notifications, pipeline, postings
from matchmaker.services.errors import DomainError

bp = Blueprint("review", __name__, url_prefix="/review")


def _number(name: str, cast):
    try:
        return cast(request.args[name]) if request.args.get(name) else None
    except ValueError:
        return None


def _percent(name: str) -> float | None:
    value = _number(name, float)
    return None if value is None else value / 100


def read_filters() -> matches.QueueFilters:
    state = request.args.get("state", "suggested")
    return matches.QueueFilters(
        sector=request.args.get("sector", ""), institution=_number("institution", int),
        region=request.args.get("region", ""), min_score=_percent("min_score"),
        max_age_days=_number("max_age_days", int),
        state=state if state in taxonomy.MATCH_STATES else "suggested")


@bp.route("/")
@roles("reviewer", "admin")
def queue():
    filters = read_filters()
    page = matches.queue_page(filters, _number("page", int) or 1)
    return render_template("review/queue.html", page=page, filters=filters, form=BulkDecisionForm(),
                           institutions=postings.institutions())


@bp.route("/bulk", methods=["POST"])
@roles("reviewer", "admin")
def bulk():
    """Approve or reject the ticked suggestions; each checks its own version, so a stale one is skipped."""
    form = BulkDecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        flash(_("Choose approve or reject."), "error")
        return redirect(url_for("review.queue"))
    done, failed = 0, []
    for raw_id in request.form.getlist("match_id"):
        match = db.session.get(Match, int(raw_id)) if raw_id.isdigit() else None
        version = request.form.get(f"version-{raw_id}", type=int)
        if match is None:
            continue
        try:
            if form.decision.data == "approve":
                pipeline.approve(match, current_user, version)
            else:
                pipeline.reject(match, current_user, version, form.reason.data or "")
            done += 1
        except DomainError as error:
            failed.append(error.message)
    notifications.drain_outbox()
    flash(_("%(n)d decided.", n=done), "success")
    for message in dict.fromkeys(failed):
        flash(message, "error")
    return redirect(url_for("review.queue"))
