"""The first save and publish in a freshly started development server, against the second ones.

Starts the site as `./dev serve` does — `flask db upgrade`, `flask demo load`, then `flask run` — in a
temporary instance directory (its own SQLite database and matching index), waits until the server says
it is running, signs in as the demo researcher and times, through HTTP, saving a new research result and
publishing it, twice. Each time counts the POST and the page its redirect shows: the reader waits for
both. A server that warms up before it says it is ready answers the first save about as fast as the
second. Prints one JSON object:

    {"ready_s": ..., "first_save_s": ..., "first_publish_s": ..., "second_save_s": ..., "second_publish_s": ...}

`ready_s` runs from starting `flask run` to its "Running on" line. `--prepared DIR` reuses an instance
directory made by an earlier run with `--keep` (the demo load takes a minute); it is copied, never changed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RESEARCHER, PASSWORD = "researcher@demo.test", "matchmaker-demo"  # noqa: S105 - the demo's published login


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def environment(instance: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "MATCHMAKER_"))}
    env.pop("DATABASE_URL", None)
    env.update(FLASK_APP="wsgi.py", MATCHMAKER_CONFIG="development", PORT=str(port),
               DATABASE_URL=f"sqlite:///{instance / 'matchmaker.db'}",
               MATCHMAKER_INDEX_PATH=str(instance / "index"))
    return env


def prepare(instance: Path, env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["demo", "load"]):
        started = time.perf_counter()
        subprocess.run([str(FLASK), *args], cwd=ROOT, env=env, check=True, capture_output=True)
        say(f"flask {' '.join(args)}: {time.perf_counter() - started:.1f} s")


def start_server(env: dict[str, str], port: int, timeout: float) -> tuple[subprocess.Popen, float]:
    """`flask run` as ./dev serve starts it; returns once it prints its "Running on" line."""
    started = time.perf_counter()
    server = subprocess.Popen([str(FLASK), "run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in server.stdout:
        say(f"  server: {line.rstrip()}")
        if "Running on" in line:
            ready = time.perf_counter() - started
            # keep draining its output, or the server blocks once the pipe is full
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
            return server, ready
        if time.perf_counter() - started > timeout:
            break
    server.kill()
    raise SystemExit("the development server never said it was running")


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them; redirects are not followed (their Location is read)."""

    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, float]:
        """POST `fields` with the CSRF token of the page at `path`'s form; returns status, Location, seconds."""
        data = urllib.parse.urlencode(fields).encode()
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=data) as response:
                status, location = response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as answer:
            status, location = answer.code, answer.headers.get("Location", "")
        return status, location, time.perf_counter() - started

    def token(self, page: str) -> str:
        return CSRF.search(self.get(page)).group(1)


def _result_fields(token: str, n: int) -> list[tuple[str, str]]:
    return [("csrf_token", token), ("title", f"Printable perovskite coating {n}"),
            ("summary", "A printable perovskite coating for solar cells that lasts 2000 hours outdoors."),
            ("details", "Tested in Hong Kong humidity. 鈣鈦礦塗層，可印刷。"),
            ("keywords", "perovskite, 鈣鈦礦, solar"),
            ("sector", "energy"), ("trl", "4"), ("ip_status", "pending_patent"), ("patent_numbers", ""),
            ("cooperation_modes", "licence"), ("inventors", "Dr Wong"), ("contact_email", "wong@example.com")]


def _followed(browser: Browser, path: str) -> float:
    started = time.perf_counter()
    browser.get(path)
    return time.perf_counter() - started


def save_and_publish(browser: Browser, n: int) -> tuple[float, float]:
    """Seconds until the reader sees the page after pressing Save, then Publish (the POST and its redirect)."""
    status, location, post_s = browser.post("/results/new", _result_fields(browser.token("/results/new"), n))
    if status != 302 or not re.search(r"/results/\d+$", location):
        raise SystemExit(f"saving answered {status} (Location {location!r}); the form may have changed")
    detail = urllib.parse.urlsplit(location).path
    save_s = post_s + _followed(browser, detail)
    status, _, post_s = browser.post(detail + "/publish", [("csrf_token", browser.token(detail))])
    if status != 302:
        raise SystemExit(f"publishing answered {status}")
    return save_s, post_s + _followed(browser, detail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5057)
    parser.add_argument("--prepared", type=Path, help="an instance directory kept by an earlier --keep run")
    parser.add_argument("--keep", type=Path, help="copy the prepared instance directory here for later runs")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="first-save-") as scratch:
        instance = Path(scratch) / "instance"
        env = environment(instance, args.port)
        if args.prepared:
            shutil.copytree(args.prepared, instance)
        else:
            instance.mkdir()
            prepare(instance, env)
            if args.keep:
                shutil.copytree(instance, args.keep, dirs_exist_ok=True)
        server, ready_s = start_server(env, args.port, args.timeout)
        try:
            browser = Browser(f"http://127.0.0.1:{args.port}")
            status, _, _ = browser.post("/login", [("csrf_token", browser.token("/login")),
                                                   ("email", RESEARCHER), ("password", PASSWORD)])
            if status != 302:
                raise SystemExit(f"signing in answered {status}")
            first = save_and_publish(browser, 1)
            second = save_and_publish(browser, 2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps({"ready_s": round(ready_s, 2), "first_save_s": round(first[0], 3),
                      "first_publish_s": round(first[1], 3), "second_save_s": round(second[0], 3),
                      "second_publish_s": round(second[1], 3)}))


if __name__ == "__main__":
    main()
