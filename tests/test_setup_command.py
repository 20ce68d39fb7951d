"""The README's first command, `./dev serve`, on a clean copy of the repository: no .venv, no instance/.

It creates the virtualenv, installs the requirements (pip uses this machine's own caches and indexes,
through the inherited environment), migrates, loads the demo data and serves the site.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300  # seconds: a fresh .venv installs scikit-learn, numpy, scipy…

pytestmark = [
    pytest.mark.slow,
    # It never uses TEST_DATABASE_URL (./dev serve runs on its own SQLite file): the PostgreSQL pass of
    # ./dev test would only repeat it.
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="database-independent; runs in the SQLite pass"),
    pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                       reason="needs git and a git checkout"),
]


def copy_checkout(destination: Path) -> None:
    """Copy what a clone would hold: tracked files plus new, not ignored ones (work not yet committed)."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
                             cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not part of the copy
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local http URL)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def stop(process: subprocess.Popen) -> None:
    """Stop the server and everything ./dev started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_served(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if status_of(url) == 200:
            return
        if process.poll() is not None:
            pytest.fail(f"./dev serve exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(1)
    pytest.fail(f"no 200 from {url} within {START_TIMEOUT} s:\n{log.read_text()}")


def assert_demo_logins_printed(output: str) -> None:
    """Once the demo loader exists, its logins (and their password) must be on the screen."""
    if importlib.util.find_spec("matchmaker.services.demo") is None:
        return
    from matchmaker.services.demo import DEMO_LOGINS, PASSWORD

    assert PASSWORD in output
    for email, _role in DEMO_LOGINS:
        assert email in output
    assert output.index(PASSWORD) < output.index("Running on"), "logins must be shown before the server"


def test_dev_serve_on_a_clean_copy_serves_the_site(tmp_path):
    checkout = tmp_path / "checkout"
    copy_checkout(checkout)
    assert not (checkout / ".venv").exists()
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "TEST_DATABASE_URL", "DATABASE_URL", "MATCHMAKER_CONFIG",
                          "SECRET_KEY", "FLASK_APP", "FLASK_DEBUG", "PYTHONPATH")}
    env["PORT"] = str(port)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(["./dev", "serve"], cwd=checkout, env=env, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_served(f"http://127.0.0.1:{port}/", process, log)
    finally:
        stop(process)
    printed = log.read_text()
    assert "Running on http://127.0.0.1:" in printed
    assert_demo_logins_printed(printed)
    # Warmed before it says it is ready (issue 14, fault 13): the first save must not build the engine.
    assert "Matching engine ready" in printed
    assert printed.index("Matching engine ready") < printed.index("Running on")
    assert (checkout / "instance" / "matchmaker.db").is_file()
