"""The view set of a posting kind: list, detail, new, edit, publish, archive.

`register(bp, kind, form_class)` adds the routes to a blueprint, so research results and enterprise
needs share one implementation and differ only in their form and templates.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker import taxonomy
from matchmaker.access import public, roles, signed_in
from matchmaker.extensions import limiter
from matchmaker.models.base import MAX_ID
from matchmaker.models.postings import Status
from matchmaker.services import guidance, postings, search
from matchmaker.services.errors import DomainError, InvalidInput


def _user_key() -> str:
    # The account id, not get_id(): that is the session token, which a fresh sign-in rotates.
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


def _created(response) -> bool:
    """Only a saved posting counts towards the hourly limit, not a form sent back with errors."""
    return response.status_code == 302


MAX_PAGE = 100_000


def _int_arg(name: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """An ASCII-digit argument within [low, high], else None: `²` or 10**30 must not reach int() or SQL."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _page_arg() -> int:
    value = request.args.get("page", "")
    if value.isascii() and value.isdigit() and int(value) > MAX_PAGE:
        return MAX_PAGE  # far past the end: an empty page, as any page past the end
    return _int_arg("page", high=MAX_PAGE) or 1


def _code_arg(name: str, vocabulary) -> str:
    value = request.args.get(name, "")
    return value if value in vocabulary else ""


def read_filters() -> search.Filters:
    """The list filters from the query string; unknown codes are ignored rather than sent to SQL."""
    args = request.args
    status = args.get("status", "")
    return search.Filters(query=args.get("q", "")[:200], sector=_code_arg("sector", taxonomy.SECTORS),
                          region=_code_arg("region", taxonomy.REGIONS), institution=_int_arg("institution"),
                          trl=_int_arg("trl", 1, 9),
                          status=status if status in set(Status) else Status.PUBLISHED)


def load_or_abort(kind: str, posting_id: int, for_edit: bool = False):
    try:
        return postings.get_posting(kind, posting_id, current_user, for_edit=for_edit)
    except DomainError as error:
        abort(error.status)


def _form_page(bp_name: str, kind: str, form, posting, status: int | None = None):
    code = status or (400 if form.errors else 200)
    return render_template(f"{bp_name}/form.html", form=form, posting=posting, kind=kind), code


def _save(bp_name: str, kind: str, form, posting):
    """Save a validated form; a rule the service enforces comes back as an error on its field."""
    try:
        posting_after = postings.save_posting(kind, current_user, form.to_data(), posting)
    except InvalidInput as error:
        form[error.field].errors.append(error.message)
        return _form_page(bp_name, kind, form, posting, 400)
    except DomainError as error:
        abort(error.status)
    flash(_("Saved."), "success")
    return redirect(url_for(f"{bp_name}.detail", posting_id=posting_after.id))


def _detail(bp_name: str, posting):
    return redirect(url_for(f"{bp_name}.detail", posting_id=posting.id))


def _publish(bp_name: str, kind: str, posting_id: int):
    """GET: the confirmation page (why it cannot, or may not, be published as it is). POST: publish, unless
    a rule refuses; a near copy of a live posting of the same organisation goes to the confirmation page
    first, and is published only from there ("Publish anyway")."""
    posting = load_or_abort(kind, posting_id, for_edit=True)
    if request.method == "GET":
        return render_template("postings/confirm_publish.html", posting=posting, bp=bp_name,
                               expired=posting.past_deadline,
                               duplicates=guidance.organisation_duplicates(posting))
    confirmed = request.form.get("confirm_duplicate") == "yes"
    try:
        postings.set_status(posting, current_user, Status.PUBLISHED, confirm_duplicate=confirmed)
    except postings.LooksLikeDuplicate:
        return redirect(url_for(f"{bp_name}.publish", posting_id=posting.id))
    except DomainError as error:
        flash(error.message, "error")
        return _detail(bp_name, posting)
    flash(_("Published."), "success")
    return _detail(bp_name, posting)


def _archive(bp_name: str, kind: str, posting_id: int):
    """GET: what archiving will do to the matches, and the button that does it. POST from that page
    (`confirm`) archives; any other POST is sent to the page."""
    posting = load_or_abort(kind, posting_id, for_edit=True)
    if request.method == "GET":
        return render_template("postings/confirm_archive.html", posting=posting, bp=bp_name,
                               effects=postings.archive_effects(posting))
    if request.form.get("confirm") != "yes":
        return redirect(url_for(f"{bp_name}.archive", posting_id=posting.id))
    postings.set_status(posting, current_user, Status.ARCHIVED)
    flash(_("Archived."), "success")
    return _detail(bp_name, posting)


def _may_see_confidential(kind: str, posting) -> bool:
    return kind != "need" or postings.can_see_confidential(posting, current_user)


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_reviewer


def register(bp: Blueprint, kind: str, form_class) -> None:
    poster_role = postings.POSTER_ROLE[kind]
    model = postings.model_for(kind)

    @bp.route("/")
    @public
    def index():
        staff = _is_staff()
        page = search.paginate(model, read_filters(), _page_arg(),
                               current_app.config["POSTINGS_PER_PAGE"], staff=staff)
        return render_template(f"{bp.name}/index.html", page=page, filters=read_filters(), kind=kind,
                               taxonomy=taxonomy, institutions=postings.institutions(), staff=staff)

    @bp.route("/<int:posting_id>")
    @public
    def detail(posting_id: int):
        posting = load_or_abort(kind, posting_id)
        return render_template(f"{bp.name}/detail.html", posting=posting, kind=kind, taxonomy=taxonomy,
                               can_edit=postings.can_edit(posting, current_user),
                               can_see_confidential=_may_see_confidential(kind, posting))

    @bp.route("/new", methods=["GET", "POST"])
    @roles(poster_role)
    @limiter.limit("20 per hour", key_func=_user_key, methods=["POST"], deduct_when=_created)
    def new():
        form = form_class()
        if form.validate_on_submit():
            return _save(bp.name, kind, form, None)
        return _form_page(bp.name, kind, form, None)

    @bp.route("/<int:posting_id>/edit", methods=["GET", "POST"])
    @signed_in
    def edit(posting_id: int):
        posting = load_or_abort(kind, posting_id, for_edit=True)
        form = form_class(obj=posting)
        if form.validate_on_submit():
            return _save(bp.name, kind, form, posting)
        return _form_page(bp.name, kind, form, posting)

    @bp.route("/<int:posting_id>/publish", methods=["GET", "POST"])
    @signed_in
    def publish(posting_id: int):
        return _publish(bp.name, kind, posting_id)

    @bp.route("/<int:posting_id>/archive", methods=["GET", "POST"])
    @signed_in
    def archive(posting_id: int):
        return _archive(bp.name, kind, posting_id)
