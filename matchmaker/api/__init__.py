"""The JSON API under /api/v1: the site's services behind bearer tokens, described by an OpenAPI spec.

`bp` carries every API route; the modules imported at the bottom add them. Registering the blueprint
also sets up what the API needs of the app (see `_setup`): its error format, the spec's settings, and
a 401 instead of the site's redirect to the sign-in page.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify

from matchmaker.api import auth
from matchmaker.extensions import csrf, db, limiter, login_manager
from matchmaker.services.errors import DomainError

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(auth.authenticate)
bp.after_request(auth.add_authenticate_header)
csrf.exempt(bp)  # `auth.authenticate` checks CSRF itself, for cookie-authenticated calls only
limiter.limit(auth.rate_limit, key_func=auth.rate_key)(bp)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "message": {"type": "string", "description": "What went wrong, for a person to read."},
        "field": {"type": "string", "description": "The input field at fault, when there is one."},
        "errors": {"type": "object", "description": "Every field at fault with its messages."},
        "duplicates": {"type": "array", "items": {"type": "object"},
                       "description": "On a 409 from publishing: the live postings of the same organisation "
                                      "it reads like (`id`, `title`, `url` of its page, `similarity` from 0 to 1)."},
    },
}

DESCRIPTION = """\
The Matchmaker JSON API. It calls the same services as the site, so the same people may see and do the
same things.

**Authentication.** `POST /api/v1/tokens` with your email and password returns a bearer token (it expires
after 30 days); you can also make personal tokens, which last until revoked, on your account page. Send
`Authorization: Bearer <token>`. Calls carrying a token need no CSRF token. A browser calling with the
site's session cookie must send the page's CSRF token in an `X-CSRFToken` header on every POST, PATCH and
DELETE (400 without it).

**Errors** are JSON objects with `status` and `message`; when one input field is at fault, `field` names
it and `errors` lists every field's messages. Text is returned as UTF-8, Chinese unescaped.

**Pagination.** Lists take `page` (from 1) and `per_page` (1–100, 20 by default) and return `items`,
`page`, `per_page`, `total` and `pages`.

**Limits.** 300 calls a minute per account (per address when anonymous); 20 new postings an hour; token
sign-in as the site's sign-in (5 failures per account per 15 minutes). Over a limit: 429 with
`Retry-After`.
"""


def domain_error(error: DomainError):
    """A service refused: its message and field, with the status its kind of error carries."""
    db.session.rollback()
    body = {"status": error.status, "message": error.message}
    if error.field:
        body["field"] = error.field
        body["errors"] = {error.field: [error.message]}
    body.update(error.extra)
    return jsonify(body), error.status


def validation_error(error):
    """APIFlask's input errors: {location: {field: [messages]}} becomes one message naming the field."""
    body = {"status": error.status_code, "message": error.message}
    fields: dict = {}
    for location, messages in (error.detail or {}).items():
        fields.update(messages if isinstance(messages, dict) else {location: messages})
    if fields:
        field, messages = next(iter(fields.items()))
        body["message"] = f"{field}: {_first(messages)}"
        if field != "_schema":
            body["field"] = str(field)
        body["errors"] = {str(key): value for key, value in fields.items()}
    return body, error.status_code, error.headers


def _first(messages) -> str:
    while isinstance(messages, (list, dict)) and messages:
        messages = next(iter(messages.values())) if isinstance(messages, dict) else messages[0]
    return str(messages)


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.error_callback = validation_error
    app.config.update(OPENAPI_VERSION="3.0.3", DESCRIPTION=DESCRIPTION, AUTO_SERVERS=False,
                      HTTP_ERROR_SCHEMA=ERROR_SCHEMA, VALIDATION_ERROR_SCHEMA=ERROR_SCHEMA,
                      SECURITY_SCHEMES={
                          "bearerAuth": {"type": "http", "scheme": "bearer"},
                          "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"}})
    login_manager.blueprint_login_views[bp.name] = None  # anonymous API calls get 401, not a redirect
    app.spec_processor(_declare_security)


def _declare_security(spec: dict) -> dict:
    """A token or the session cookie; `{}`: some reads are open to anonymous callers too."""
    spec["security"] = [{"bearerAuth": []}, {"cookieAuth": []}, {}]
    return spec


bp.register_error_handler(DomainError, domain_error)


from matchmaker.api import matches, meta, postings  # noqa: E402,F401  (they add the routes to bp)
