"""Browser tests: the app served from a thread, driven by Debian's Chromium through Playwright.

Chromium comes from the system package (`.ci/run` installs `chromium` and `fonts-noto-cjk`); Playwright's
own browser download is never used. Screenshots go to `test-artefacts/screenshots/`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.services.seed import ensure_universities
from tests.factories import Factories

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The site on a free port over a SQLite file (a real server: threads, real CSRF, real cookies)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    folder = tmp_path_factory.mktemp("live")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'site.db'}",
                     MATCHMAKER_INDEX_PATH=str(folder / "index"))
    with app.app_context():
        db.create_all()
        ensure_universities()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def make_live(live_app) -> Factories:
    return Factories(live_app)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Every JavaScript dialog any page opened (an XSS payload that runs would land here)."""
    return []


@pytest.fixture
def new_page(browser, live_app, dialogs):
    """Pages in fresh contexts (one per user), each recording dialogs and failing on them."""
    contexts = []

    def open_page(locale: str = "en-GB"):
        context = browser.new_context(base_url=live_app.config["LIVE_URL"], locale=locale,
                                      viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, language: str, name: str) -> None:
    target = ARTEFACTS / language
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)
