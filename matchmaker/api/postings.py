"""Research results and enterprise needs: list, read, create, change, publish and archive.

`register(kind, ...)` adds one kind's routes, so both kinds share one implementation, as on the site.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from matchmaker.access import public, roles, signed_in
from matchmaker.api import bp, schemas, serialize
from matchmaker.api.auth import caller
from matchmaker.api.common import require_user, statuses, user_or_none
from matchmaker.extensions import db, limiter
from matchmaker.models.postings import Status
from matchmaker.services import postings, search

ARCHIVE_NOTE = ("Archives the posting: the row is kept (its owner and staff still see it, and it can be "
                "published again) and its open matches (suggested or introduced) are withdrawn. Nothing "
                "is deleted.")


def _posting_key() -> str:
    user = caller()
    return f"api-new-posting:{user.id if user else 'anonymous'}"


def _filters(query: dict) -> search.Filters:
    return search.Filters(query=query.get("q", ""), sector=query.get("sector", ""),
                          region=query.get("region", ""), institution=query.get("institution"),
                          trl=query.get("trl"), status=query.get("status") or Status.PUBLISHED)


def _list(kind: str, query: dict) -> dict:
    model, user = postings.model_for(kind), user_or_none()
    page, per_page = query["page"], query["per_page"]
    if query["mine"]:
        stmt = (sa.select(model).where(model.owner_id == require_user().id)
                .order_by(model.updated_at.desc(), model.id.desc()))
        pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=100)
    else:
        staff = bool(user and user.is_reviewer)
        pagination = search.paginate(model, _filters(query), page, per_page, staff=staff)
    return serialize.page(pagination, [serialize.posting(item, user) for item in pagination.items])


def _with_budget_pair(data: dict, posting) -> dict:
    """A PATCH of one budget bound is checked against the stored other bound."""
    if posting is not None and ("budget_min" in data or "budget_max" in data):
        data.setdefault("budget_min", posting.budget_min)
        data.setdefault("budget_max", posting.budget_max)
    return data


def _save(kind: str, data: dict, posting=None):
    saved = postings.save_posting(kind, require_user(), _with_budget_pair(data, posting), posting)
    return serialize.posting(saved, user_or_none())


def register(kind: str, path: str, schema_in, schema_out, page_out, tag: str) -> None:
    poster_role = postings.POSTER_ROLE[kind]
    noun = "research result" if kind == "result" else "technical need"

    @bp.get(f"/{path}", endpoint=f"{kind}_list")
    @public
    @bp.input(schemas.PostingQuery, location="query", arg_name="query")
    @bp.output(page_out)
    @bp.doc(tags=[tag], summary=f"List {noun}s", responses=statuses(),
            description=f"Published {noun}s, newest first, filtered and paginated. Staff may ask for drafts "
                        "or archived ones with `status`; `mine=true` lists the caller's own.")
    def list_postings(query):
        return _list(kind, query)

    @bp.post(f"/{path}", endpoint=f"{kind}_create")
    @roles(poster_role)
    @limiter.limit("20 per hour", key_func=_posting_key)
    @bp.input(schema_in, arg_name="data")
    @bp.output(schema_out, status_code=201)
    @bp.doc(tags=[tag], summary=f"Create a {noun} (a draft)", responses=statuses(403, unsafe=True),
            description=f"Only {poster_role} accounts post {noun}s. The new posting is a draft until "
                        "published. 20 new postings an hour per account.")
    def create(data):
        body = _save(kind, data)
        return body, 201, {"Location": url_for(f"api.{kind}_get", posting_id=body["id"])}

    @bp.get(f"/{path}/<int:posting_id>", endpoint=f"{kind}_get")
    @public
    @bp.output(schema_out)
    @bp.doc(tags=[tag], summary=f"Read a {noun}", responses=statuses(),
            description="Drafts and archived postings only for their owner and staff (404 for others)."
                        + (" A confidential need omits its company and details for those who may not "
                           "see them (`details_hidden`)." if kind == "need" else ""))
    def get(posting_id: int):
        return serialize.posting(postings.get_posting(kind, posting_id, user_or_none()), user_or_none())

    @bp.patch(f"/{path}/<int:posting_id>", endpoint=f"{kind}_update")
    @signed_in
    @bp.input(schema_in(partial=True), arg_name="data")
    @bp.output(schema_out)
    @bp.doc(tags=[tag], summary=f"Change a {noun}", responses=statuses(403, unsafe=True),
            description="Send only the fields to change. Owners and admins only.")
    def update(posting_id: int, data):
        return _save(kind, data, postings.get_posting(kind, posting_id, user_or_none(), for_edit=True))

    @bp.delete(f"/{path}/<int:posting_id>", endpoint=f"{kind}_archive")
    @signed_in
    @bp.output(schema_out)
    @bp.doc(tags=[tag], summary=f"Archive a {noun}", description=ARCHIVE_NOTE,
            responses=statuses(403, unsafe=True))
    def archive(posting_id: int):
        return _set_status(posting_id, Status.ARCHIVED)

    @bp.post(f"/{path}/<int:posting_id>/publish", endpoint=f"{kind}_publish")
    @signed_in
    @bp.input(schemas.PublishIn, arg_name="data")
    @bp.output(schema_out)
    @bp.doc(tags=[tag], summary=f"Publish a {noun}", responses=statuses(403, 409, unsafe=True),
            description="Makes it public and computes its suggestions (reviewers see them at once). "
                        "An archived posting can be published again. The body is optional. Refused with 422 "
                        "(`field`: `deadline`) once its deadline has passed, and with 409 (`field`: "
                        "`confirm_duplicate`, and `duplicates`) when it reads at least 90% like a live "
                        "posting of the same organisation, unless `confirm_duplicate` is true.")
    def publish(posting_id: int, data):
        return _set_status(posting_id, Status.PUBLISHED, confirm_duplicate=data["confirm_duplicate"])

    def _set_status(posting_id: int, status: Status, confirm_duplicate: bool = False) -> dict:
        user = require_user()
        posting = postings.get_posting(kind, posting_id, user, for_edit=True)
        try:
            changed = postings.set_status(posting, user, status, confirm_duplicate=confirm_duplicate)
        except postings.LooksLikeDuplicate as error:
            error.extra = {"duplicates": [
                {"id": other.id, "title": other.title, "similarity": round(share, 3),
                 "url": url_for(f"{kind}s.detail", posting_id=other.id)}
                for other, share in error.duplicates]}
            raise
        return serialize.posting(changed, user)


register("result", "results", schemas.ResultIn, schemas.ResultOut, schemas.ResultPage, "Research results")
register("need", "needs", schemas.NeedIn, schemas.NeedOut, schemas.NeedPage, "Technical needs")
