"""Shared helpers for the API tests (no tests here): a client that speaks with a bearer token, and a cast.

`ApiClient` never sends a CSRF token: token calls must not need one. The cast holds one account per role,
plus a researcher of another university.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.factories import Made

RESULT = dict(title="Graphene thermal film for smartphones", sector="materials", trl=6,
              summary="A graphene film that spreads heat in 5G phones three times better than graphite.",
              keywords=["graphene", "thermal film", "石墨烯"], cooperation_modes=["licence"])
NEED = dict(title="Heat spreading film for 5G phones", sector="materials", region="shenzhen",
            description="Our phones overheat; we need a thin graphene thermal film to spread the heat.",
            keywords=["graphene", "heat spreader"], cooperation_modes=["licence"], min_trl=4)


class ApiClient:
    """A test client that authenticates with `Authorization: Bearer` (or not at all, for anonymous)."""

    def __init__(self, app, token: str | None = None):
        self.client = FlaskClient(app, app.response_class, use_cookies=False)
        self.token = token

    def _headers(self, headers=None) -> dict:
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def open(self, method: str, path: str, **kwargs):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.open("/api/v1" + path, method=method, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)


def sign_in(app, email: str, password: str = PASSWORD) -> str:
    response = ApiClient(app).post("/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]


@dataclass
class Cast:
    users: dict[str, Made]
    clients: dict[str, ApiClient]

    def __getitem__(self, role: str) -> ApiClient:
        return self.clients[role]


def build_cast(app, make) -> Cast:
    """researcher (HKU), other (a CUHK researcher), enterprise, reviewer, admin, anonymous."""
    users = {"researcher": make.user("researcher"),
             "other": make.user("researcher", organisation_id=make.university("CUHK")),
             "enterprise": make.user("enterprise"), "reviewer": make.user("reviewer"),
             "admin": make.user("admin")}
    clients = {role: ApiClient(app, sign_in(app, user.email)) for role, user in users.items()}
    clients["anonymous"] = ApiClient(app)
    return Cast(users, clients)
