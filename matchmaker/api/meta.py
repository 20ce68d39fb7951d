"""Tokens, the caller's account, the taxonomy, and the API's own description (spec and docs page)."""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _

from matchmaker import taxonomy
from matchmaker.access import public, signed_in
from matchmaker.api import bp, docs_page, schemas, serialize
from matchmaker.api.common import require_user, statuses
from matchmaker.extensions import limiter
from matchmaker.services import accounts, tokens
from matchmaker.services.errors import DomainError


def _login_account_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "login-account:" + (email.strip().lower() if isinstance(email, str) else "")


def _failed(response) -> bool:
    return response.status_code == 401


class WrongCredentials(DomainError):
    status = 401


@bp.post("/tokens", endpoint="create_token")
@public
@limiter.limit("5 per 15 minutes", key_func=_login_account_key, deduct_when=_failed)
@limiter.limit("20 per 15 minutes", deduct_when=_failed)
@bp.input(schemas.TokenIn, arg_name="data")
@bp.output(schemas.TokenOut, status_code=201)
@bp.doc(tags=["Tokens"], summary="Sign in: trade email and password for a bearer token", security=[],
        responses=statuses(unsafe=True),
        description="401 for a wrong email or password (the same answer for both). Limited like the site's "
                    "sign-in: 5 failures per account and 20 per address in 15 minutes, then 429. The token "
                    "expires after 30 days; only its SHA-256 is stored.")
def create_token(data):
    user = accounts.authenticate(data["email"], data["password"])
    if user is None:
        raise WrongCredentials(_("Wrong email or password."))
    token, plain = tokens.issue_for_login(user)
    return {"token": plain, "id": token.id, "expires_at": serialize.utc(token.expires_at)}, 201


@bp.delete("/tokens/current", endpoint="revoke_current_token")
@signed_in
@bp.output({}, status_code=204)
@bp.doc(tags=["Tokens"], summary="Revoke the token this call is made with (sign out)",
        responses=statuses(404, unsafe=True), description="404 when the call was not made with a token.")
def revoke_current_token():
    token = g.get("api_token")
    if token is None:
        abort(404)
    tokens.revoke(require_user(), token.id)
    return "", 204


@bp.get("/me", endpoint="me")
@signed_in
@bp.output(schemas.MeOut)
@bp.doc(tags=["Tokens"], summary="Who am I", responses=statuses())
def me():
    user = require_user()
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
            "locale": user.locale, "organisation": serialize.organisation(user.organisation)}


@bp.get("/taxonomy", endpoint="taxonomy")
@public
@bp.output(schemas.TaxonomyOut)
@bp.doc(tags=["Taxonomy"], summary="The codes the API uses, with labels in three languages",
        responses=statuses(),
        description="Sectors, TRL, IP status, cooperation modes, regions, currencies, jurisdictions, "
                    "rejection reasons, deal kinds and match states; labels in `en`, `zh_Hant_HK` and "
                    "`zh_Hans_CN`.")
def get_taxonomy():
    return {vocabulary.name: [{"code": term.code, "labels": term.labels()} for term in vocabulary]
            for vocabulary in taxonomy.ALL}


@bp.get("/openapi.json", endpoint="openapi")
@public
@bp.doc(hide=True)
def openapi():
    return jsonify(current_app.spec)


@bp.get("/docs", endpoint="docs")
@public
@bp.doc(hide=True)
def docs():
    """The reference, rendered on the server from the spec: no script, no CDN, the site's stylesheet."""
    return render_template("api/docs.html", api=docs_page.describe(current_app.spec))
