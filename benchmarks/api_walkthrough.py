"""Walk the match pipeline through the JSON API of a running server, as an API client would.

    python benchmarks/api_walkthrough.py [BASE_URL]        (default http://127.0.0.1:5000)

Uses only HTTP (the standard library's urllib) and the demo logins (`flask demo load`): the researcher posts
and publishes a result, the enterprise user a need, the reviewer finds the suggestion between them and
introduces it, both sides answer interested, and the match is connected. Each step is printed; the last
line is a JSON object with the time each step took (milliseconds) and the outcome.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any

PASSWORD = "matchmaker-demo"  # noqa: S105  (the documented demo password)
LOGINS = {"researcher": "researcher@demo.test", "enterprise": "enterprise@demo.test",
          "reviewer": "reviewer@demo.test"}


class Api:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.tokens: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    def call(self, method: str, path: str, who: str | None = None, body: Any = None,
             expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        # The base URL is the operator's own argument (a server they run).
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if who:
            request.add_header("Authorization", f"Bearer {self.tokens[who]}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if status != expect:
            raise SystemExit(f"{method} {path} as {who}: {status} (expected {expect}): {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def step(self, name: str, action):
        started = time.perf_counter()
        result = action()
        self.timings[name] = round((time.perf_counter() - started) * 1000, 1)
        return result


def say(text: str) -> None:
    print(text, flush=True)


def main(base_url: str) -> dict:
    api, stamp = Api(base_url), time.strftime("%H%M%S")
    for role, email in LOGINS.items():
        reply = api.step(f"sign_in_{role}", lambda e=email: api.call(
            "POST", "/tokens", body={"email": e, "password": PASSWORD}, expect=201))
        api.tokens[role] = reply["token"]
        say(f"1. {role} signed in: token {reply['token'][:10]}… (expires {reply['expires_at']})")

    result = api.step("post_result", lambda: api.call("POST", "/results", "researcher", expect=201, body={
        "title": f"Graphene thermal film for 5G smartphones ({stamp})", "sector": "materials", "trl": 6,
        "summary": "A printed graphene film that spreads the heat of 5G phone chips three times better than "
                   "graphite sheets. 石墨烯導熱膜.",
        "keywords": ["graphene", "thermal film", "石墨烯", "散热"],
        "cooperation_modes": ["licence", "joint_development"], "ip_status": "pending_patent"}))
    api.step("publish_result", lambda: api.call("POST", f"/results/{result['id']}/publish", "researcher"))
    say(f"2. researcher posted and published result #{result['id']}: {result['title']}")

    need = api.step("post_need", lambda: api.call("POST", "/needs", "enterprise", expect=201, body={
        # No run stamp here: a token shared by both titles would top the explanation.
        "title": "Heat-spreading graphene film for 5G phones", "sector": "materials",
        "region": "shenzhen", "description": "Our 5G phones overheat; we need a thin graphene thermal film "
        "to spread the chip's heat. 需要石墨烯散热膜.", "keywords": ["graphene", "heat spreader", "散热膜"],
        "cooperation_modes": ["licence"], "min_trl": 5, "budget_min": 200000, "budget_max": 800000,
        "currency": "CNY"}))
    api.step("publish_need", lambda: api.call("POST", f"/needs/{need['id']}/publish", "enterprise"))
    say(f"3. enterprise posted and published need #{need['id']}: {need['title']}")

    listed = api.step("reviewer_queue", lambda: api.call(
        "GET", f"/matches?state=suggested&need_id={need['id']}&per_page=100", "reviewer"))
    pair = [m for m in listed["items"] if m["result_id"] == result["id"]]
    if not pair:
        raise SystemExit(f"no suggestion between result #{result['id']} and need #{need['id']}: {listed}")
    match = pair[0]
    say(f"4. reviewer sees suggestion #{match['id']} (score {match['score']:.2f}, rank {match['rank']}, "
        f"{listed['total']} suggestion(s) for this need)")

    detail = api.step("match_detail", lambda: api.call("GET", f"/matches/{match['id']}", "reviewer"))
    terms = [item["feature"] for item in detail["explanation"][:5]]
    say(f"5. explanation: {', '.join(terms)}; gaps: {detail['gaps'] or 'none'}")

    decision = {"decision": "approve", "version": match["version"], "note": "Same material, same problem."}
    decided = api.step("approve", lambda: api.call("POST", f"/matches/{match['id']}/decision", "reviewer",
                                                   body=decision))
    say(f"6. reviewer approved: state {decided['state']}, version {decided['version']}")
    stale = api.call("POST", f"/matches/{match['id']}/decision", "reviewer", expect=409,
                     body={"decision": "approve", "version": match["version"]})
    say(f"   the same decision on the stale version: 409 {stale['message']}")

    for role in ("researcher", "enterprise"):
        answered = api.step(f"answer_{role}", lambda r=role: api.call(
            "POST", f"/matches/{match['id']}/response", r, body={"answer": "interested",
                                                                 "message": f"Happy to talk ({r})."}))
        say(f"7. {role} answered interested: state {answered['state']}")

    final = api.step("final_read", lambda: api.call("GET", f"/matches/{match['id']}", "researcher"))
    contacts = final["contacts"] or {}
    say(f"8. match #{match['id']} is {final['state']}; contacts revealed: "
        f"{', '.join(c['email'] for c in contacts.values())}")
    notes = api.call("GET", "/notifications?per_page=5", "researcher")
    say(f"9. researcher's notifications ({notes['unread']} unread): "
        + " | ".join(n["text"] for n in notes["items"][:3]))
    for role in LOGINS:
        api.call("DELETE", "/tokens/current", role, expect=204)
    say("10. tokens revoked")
    return {"base_url": base_url, "match_id": match["id"], "state": final["state"],
            "connected": final["state"] == "connected", "timings_ms": api.timings}


if __name__ == "__main__":
    summary = main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
    print(json.dumps(summary, ensure_ascii=False))
    sys.exit(0 if summary["connected"] else 1)
