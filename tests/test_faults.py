"""Faults: the database away, the index file unwritable or the disk full — clean answers, nothing lost,
recovery by itself."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.services.seed import ensure_universities
from tests.test_pipeline import NEED, RESULT

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"


def test_database_down_gives_a_clean_503_page_without_traceback():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=UNREACHABLE)
    for path, kind in (("/", "text/html"), ("/results/", "text/html"), ("/needs/", "application/json")):
        response = app.test_client().get(path, headers={"Accept": kind})
        body = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert response.mimetype == kind
        assert "Traceback" not in body and "psycopg" not in body and "OperationalError" not in body
        assert response.headers["Retry-After"] == "5"


def test_index_kept_in_memory_when_the_file_cannot_be_written(app, make, tmp_path, caplog):
    """A full disk (here: the index path is a directory we cannot replace) must not stop matching."""
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher, **RESULT)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "keep").write_text("x")
    app.config["MATCHMAKER_INDEX_PATH"] = str(blocked)  # os.replace onto a non-empty directory fails
    with app.app_context():
        from matchmaker.models import EnterpriseNeed
        from matchmaker.services.matching import candidates_for

        need_id = make.need(enterprise, **NEED)
        found = [s.id for s in candidates_for(db.session.get(EnterpriseNeed, need_id))]
    assert result_id in found
    assert "Could not save the index" in caplog.text
    assert (blocked / "keep").read_text() == "x"


def _file_app(make, tmp_path, index_path):
    """An app on its own SQLite file (another process can open it) with the index at ``index_path``."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MATCHMAKER_INDEX_PATH=str(index_path))
    with app.app_context():
        db.create_all()
        ensure_universities()
        db.session.commit()
    return app, url, type(make)(app)


REBUILD_FOREVER = """
import sys
from matchmaker import create_app
from matchmaker.services import index
app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1], MATCHMAKER_INDEX_PATH=sys.argv[2])
with app.app_context():
    while True:
        index.rebuild()
        print("rebuilt", flush=True)
"""


def test_a_process_killed_during_rebuild_leaves_a_usable_index(make, tmp_path):
    """Kill -9 a process that rebuilds the index over and over: the file is always old or new, never torn."""
    path = tmp_path / "index"
    app, url, factory = _file_app(make, tmp_path, path)
    owner = factory.user("researcher")
    for number in range(150):
        factory.result(owner, title=f"Result {number} graphene sensor", summary=f"Variant {number} " * 40)
    from matchmaker.matching import MatchingEngine

    for delay in (0.2, 0.9):
        child = subprocess.Popen([sys.executable, "-c", REBUILD_FOREVER, url, str(path)],
                                 stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
        assert child.stdout.readline().strip() == "rebuilt"  # a complete index exists
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert len(MatchingEngine.load(path)) == 150
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KiB tmpfs: a real filesystem that really fills up (needs root, as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not mount or not umount:
        pytest.skip("mount/umount not installed")
    mounted = subprocess.run([mount, "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    yield mount_point
    subprocess.run([umount, "-l", str(mount_point)], check=False)


def _fill(disk) -> None:
    with open(disk / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC


def test_a_full_disk_keeps_the_old_index_file_and_matching_goes_on(make, tmp_path, tiny_disk, caplog):
    path = tiny_disk / "index"
    app, _url, factory = _file_app(make, tmp_path, path)
    owner, company = factory.user("researcher"), factory.user("enterprise")
    for number in range(5):
        factory.result(owner, title=f"Result {number} graphene sensor", summary=f"Variant {number} " * 20)
    from matchmaker.matching import MatchingEngine
    from matchmaker.models import EnterpriseNeed
    from matchmaker.services import index
    from matchmaker.services.matching import candidates_for

    with app.app_context():
        index.rebuild()
    before = len(MatchingEngine.load(path))
    _fill(tiny_disk)
    new_result = factory.result(owner, title="Perovskite solar cell coating", summary="Tandem cells. " * 200)
    with app.app_context():
        index.rebuild()  # the new index does not fit
        need = db.session.get(EnterpriseNeed, factory.need(company, title="Perovskite solar coating"))
        assert new_result in [s.id for s in candidates_for(need)]  # served from memory
    assert "Could not save the index" in caplog.text and "No space left on device" in caplog.text
    assert len(MatchingEngine.load(path)) == before  # the old file, whole
    assert sorted(p.name for p in tiny_disk.iterdir() if p.name.endswith(".tmp")) == []
    (tiny_disk / "filler").unlink()
    with app.app_context():
        index.rebuild()  # space again: the next rebuild writes the file
        db.engine.dispose()
    assert len(MatchingEngine.load(path)) > before
