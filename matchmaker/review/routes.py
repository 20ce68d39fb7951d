"""The reviewer queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker import taxonomy
from matchmaker.access import roles
from matchmaker.extensions import db
from matchmaker.forms import is_safe_next
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
                           ranks=matches.side_ranks(page.items),
                           institutions=postings.institutions())


def _back_to_queue(form: BulkDecisionForm):
    """The queue page the reviewer acted on, filters and page kept; only a path inside the queue."""
    target = form.next.data or ""
    if is_safe_next(target) and target.startswith(url_for("review.queue")):
        return redirect(target)
    return redirect(url_for("review.queue"))


def _pair(match: Match) -> str:
    return f"{match.result.title} ↔ {match.need.title}"


def _decide_one(match: Match, form: BulkDecisionForm, version: int | None) -> str:
    if form.decision.data == "approve":
        pipeline.approve(match, current_user, version)
        return _("Introduced: %(pair)s", pair=_pair(match))
    pipeline.reject(match, current_user, version, form.reason.data or "")
    return _("Rejected: %(pair)s", pair=_pair(match))


@bp.route("/bulk", methods=["POST"])
@roles("reviewer", "admin")
def bulk():
    """Approve or reject the ticked suggestions; each checks its own version, so a stale one is skipped and
    said to be, and the reviewer lands back on the same filtered page of the queue."""
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve or reject."), "error")
        return _back_to_queue(form)
    if form.decision.data == "reject" and form.reason.data not in taxonomy.REJECTION_REASONS:
        flash(_("Choose a reason for rejecting."), "error")
        return _back_to_queue(form)
    picked = [int(raw) for raw in request.form.getlist("match_id") if raw.isdigit()]
    if not picked:
        flash(_("Tick the suggestions to decide first."), "error")
    for match_id in picked:
        match = db.session.get(Match, match_id)
        if match is None:
            continue
        try:
            flash(_decide_one(match, form, request.form.get(f"version-{match_id}", type=int)), "success")
        except DomainError as error:
            flash(_("Skipped: %(pair)s. %(why)s", pair=_pair(match), why=error.message), "error")
    notifications.drain_outbox()
    return _back_to_queue(form)
