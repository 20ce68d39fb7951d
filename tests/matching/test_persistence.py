"""Saving and loading the engine: identical rankings, refusal of bad files, atomic replacement."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matchmaker.matching import IndexFileError, MatchingEngine, Record, collection, store

RECORDS = [
    Record("result", 1, {"title": "Graphene battery electrodes", "summary": "Fast charging cells."}),
    Record("result", "r-2", {"title": "石墨烯 涂層", "summary": "石墨烯防腐塗層技術"}),
    Record("result", 3, {"title": "Desalination membrane", "summary": "Low energy water treatment."}),
    Record("need", "n-1", {"title": "Need graphene for battery cells"}),
    Record("need", 5, {"title": "Water treatment membrane supplier"}),
]
QUERIES = [*RECORDS, "graphene 石墨烯 water", "電池"]


def _rankings(engine: MatchingEngine) -> list:
    return [engine.rank(q, kind, explain_top=3) for q in QUERIES for kind in ("result", "need")]


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine().fit(RECORDS)


@pytest.mark.parametrize("changes", ["none", "added", "added and removed", "flushed side buffer"])
def test_round_trip_gives_identical_rankings(engine, tmp_path, monkeypatch, changes):
    if changes == "flushed side buffer":
        monkeypatch.setattr(collection, "SIDE_MAX", 1)
    if changes != "none":
        engine.add([Record("result", 10, {"title": "graphene water filter"})])
        engine.update([Record("need", 11, {"title": "battery recycling"})])
    if changes == "added and removed":
        engine.remove("result", [1])
    engine.save(tmp_path / "index.npz")
    loaded = MatchingEngine.load(tmp_path / "index.npz")
    assert _rankings(loaded) == _rankings(engine)
    assert loaded.config == engine.config and loaded.drift == engine.drift
    # The loaded engine keeps working incrementally.
    for e in (engine, loaded):
        e.add([Record("result", 12, {"title": "graphene membrane"})])
    assert _rankings(loaded) == _rankings(engine)


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "corrupted":
        middle = len(data) // 2
        path.write_bytes(
            data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]
        )
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "not an index":
        np.savez(path, something=np.arange(3))


@pytest.mark.parametrize("how", ["truncated", "corrupted", "empty", "not an index"])
def test_damaged_file_is_refused_with_a_clear_message(engine, tmp_path, how):
    path = tmp_path / "index.npz"
    engine.save(path)
    _damage(path, how)
    with pytest.raises(IndexFileError, match="rebuild the index"):
        MatchingEngine.load(path)


def _rewrite_header(path, **changes) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    header = json.loads(bytes(arrays["header"]).decode())
    header.update(changes)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


@pytest.mark.parametrize("version", [0, store.FORMAT_VERSION + 1, "1"])
def test_other_format_version_is_refused(engine, tmp_path, version):
    path = tmp_path / "index.npz"
    engine.save(path)
    _rewrite_header(path, format_version=version)
    with pytest.raises(IndexFileError, match=f"version {version}.*reads version {store.FORMAT_VERSION}"):
        MatchingEngine.load(path)


def test_unknown_setting_is_refused(engine, tmp_path):
    path = tmp_path / "index.npz"
    engine.save(path)
    _rewrite_header(path, config={"title_boost": 3})
    with pytest.raises(IndexFileError, match="title_boost"):
        MatchingEngine.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MatchingEngine.load(tmp_path / "nothing.npz")


def test_failed_save_leaves_the_old_file_loadable(engine, tmp_path, monkeypatch):
    path = tmp_path / "index.npz"
    engine.save(path)
    before = _rankings(engine)
    engine.remove("result", [1, 3])

    def disk_full(file, **arrays):  # numpy's writer dying half-way through the file
        file.write(b"PK\x03\x04 partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(store.np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        engine.save(path)
    monkeypatch.undo()
    assert _rankings(MatchingEngine.load(path)) == before
    assert [p.name for p in tmp_path.iterdir()] == ["index.npz"]  # no temporary file left behind


def test_ids_that_json_cannot_keep_are_refused(tmp_path):
    engine = MatchingEngine().fit([Record("result", ("tuple", 1), {"title": "graphene"})])
    with pytest.raises(TypeError, match="int and str"):
        engine.save(tmp_path / "index.npz")
    assert not (tmp_path / "index.npz").exists()
