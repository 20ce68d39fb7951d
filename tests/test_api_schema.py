"""Schemathesis over the API's own OpenAPI spec, in-process against the WSGI app (SECURITY.md items 12, 19).

Every operation is called with generated valid and invalid input, by the role that may call it (so calls
get past the access check and reach validation and the services). Checks: no 500, every status and
content type documented, bodies match their schemas, 405 with `Allow` for undeclared methods. The seed
is fixed (`derandomize`) and the number of examples small, so a run is repeatable and takes under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services import tokens
from tests.test_api_support import NEED, RESULT, build_cast

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          unsupported_method]
schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(app, make):
    """The spec served by the app, with a little data behind it: postings and a suggested match."""
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # the fuzzer is one busy account
    cast = build_cast(app, make)
    for role, path, body in (("researcher", "/results", RESULT), ("enterprise", "/needs", NEED)):
        posting_id = cast[role].post(path, json=body).get_json()["id"]
        assert cast[role].post(f"{path}/{posting_id}/publish").status_code == 200
    app.extensions["api_fuzz_tokens"] = {role: client.token for role, client in cast.clients.items()}
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _role_for(path: str, method: str) -> str:
    if path.startswith("/api/v1/needs") and method != "GET":
        return "enterprise"
    if path.startswith("/api/v1/matches") and not path.endswith("/response"):
        return "reviewer"
    return "researcher"


def _fresh_token(app) -> str:
    """`DELETE /tokens/current` revokes the token it is called with: give it a throwaway one."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.role == "researcher"))
        return tokens.issue(user, "fuzz")[1]


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case, app):
    role_tokens = app.extensions["api_fuzz_tokens"]
    token = (_fresh_token(app) if case.path == "/api/v1/tokens/current"
             else role_tokens[_role_for(case.path, case.method)])
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
