"""A fit streamed through row blocks gives the index the whole-matrix path gives, array for array.

The reference below is the fit as it was before blocks: every record counted into one matrix,
``TermWeighting.fit`` on it, ``transform`` of all rows, then ``Segment.from_rows`` per kind.
"""

from __future__ import annotations

import mmap
import random

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.matching import MatchingEngine, Record, build, features
from matchmaker.matching.collection import KindIndex
from matchmaker.matching.features import Vocabulary, count_records
from matchmaker.matching.index import Segment, SegmentFiller, drop_columns
from matchmaker.matching.weighting import TermWeighting

_TEXT = """graphene battery electrode membrane water treatment robot gripper sensor coating ship
corrosion catalyst hydrogen solar cell polymer textile fibre laser welding drone 石墨烯 涂层 电池 膜 水处理 机器人"""
WORDS = _TEXT.split()


def _records(n: int, seed: int = 3) -> list[Record]:
    """Results and needs interleaved, some fields empty, one record with no text at all."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = "need" if rng.random() < 0.3 else "result"
        fields = {
            "title": " ".join(rng.choices(WORDS, k=rng.randint(1, 6))),
            "summary": " ".join(rng.choices(WORDS, k=rng.randint(0, 25))),
        }
        out.append(Record(kind, f"{kind}-{i}", fields))
    out.append(Record("result", "empty", {"title": "", "summary": ""}))
    return out


def _reference_engine(records: list[Record]) -> MatchingEngine:
    """The fit through one counts matrix, transform and ``Segment.from_rows``."""
    engine = MatchingEngine()
    engine.vocabulary_ = Vocabulary()
    counts, blobs = count_records(engine.config, (r.fields for r in records), engine.vocabulary_)
    engine.weighting_ = TermWeighting(k1=engine.config.k1, b=engine.config.b).fit(counts)
    vectors = sp.csr_matrix(engine.weighting_.transform(counts), dtype=np.float32)
    engine.indexes_ = {}
    for kind in dict.fromkeys(r.kind for r in records):
        rows = [i for i, r in enumerate(records) if r.kind == kind]
        index = engine.indexes_[kind] = KindIndex()
        index.extend_bulk([records[i].id for i in rows], vectors[rows], [blobs[i] for i in rows])
    engine.n_fitted_, engine.n_changed_ = len(records), 0
    return engine


@pytest.fixture(params=[None, 40], ids=["one-block", "many-blocks"])
def block_entries(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(features, "CHUNK", 7)
        monkeypatch.setattr(features, "BLOCK_ENTRIES", request.param)
        monkeypatch.setattr(build, "TRANSFORM_ROWS", 3)
        monkeypatch.setattr(build, "FILL_BANDS", 5)
    return request.param


def _assert_same_segment(got: Segment, want: Segment) -> None:
    assert (got.start, got.n) == (want.start, want.n)
    for name in ("indptr", "indices", "data", "maxw"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_blocked_fit_builds_the_same_index(block_entries):
    records = _records(300)
    blocks = list(features.count_blocks(MatchingEngine().config, (r.fields for r in records), Vocabulary(), []))
    assert len(blocks) == 1 if block_entries is None else len(blocks) > 20
    got = MatchingEngine().fit(iter(records))  # a stream, as the service gives it
    want = _reference_engine(records)
    assert got.vocabulary_.features == want.vocabulary_.features
    assert got.weighting_.n_docs_ == want.weighting_.n_docs_
    assert got.weighting_.avgdl_ == want.weighting_.avgdl_
    np.testing.assert_array_equal(got.weighting_.idf_, want.weighting_.idf_)
    assert list(got.indexes_) == list(want.indexes_)
    for kind, index in got.indexes_.items():
        other = want.indexes_[kind]
        assert index.ids == other.ids and index.rows == other.rows and index.blobs == other.blobs
        np.testing.assert_array_equal(index.alive, other.alive)
        assert len(index.segments) == len(other.segments) == 1 and not index.side
        _assert_same_segment(index.segments[0], other.segments[0])


def test_blocked_fit_ranks_and_saves_the_same(block_entries, tmp_path):
    records = _records(200, seed=5)
    got = MatchingEngine().fit(records)
    want = _reference_engine(records)
    for query in [records[0], records[7], "graphene coating for ship corrosion", "石墨烯 电池"]:
        for kind in ("result", "need"):
            assert got.rank(query, kind, top_n=15) == want.rank(query, kind, top_n=15)
    got.save(tmp_path / "got.npz")
    want.save(tmp_path / "want.npz")
    with np.load(tmp_path / "got.npz") as a, np.load(tmp_path / "want.npz") as b:
        assert a.files == b.files
        for name in a.files:
            assert a[name].dtype == b[name].dtype, name
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_fit_of_nothing_matches_the_reference():
    got, want = MatchingEngine().fit([]), _reference_engine([])
    assert got.indexes_ == {} and got.weighting_.avgdl_ == want.weighting_.avgdl_ == 1.0
    np.testing.assert_array_equal(got.weighting_.idf_, want.weighting_.idf_)


@pytest.mark.parametrize("bands", [None, [(0, 9), (9, 10), (10, 31), (31, 50)]])
def test_filler_equals_from_rows_with_kinds_interleaved(bands):
    rng = np.random.default_rng(0)
    matrix = sp.random(120, 50, density=0.2, format="csr", dtype=np.float32, random_state=rng)
    matrix.data[::7] = 0.0  # explicit zeros are kept, as the transpose keeps them
    kind = rng.integers(0, 2, size=120)
    blocks = [matrix[lo : lo + 17] for lo in range(0, 120, 17)]  # blocks of 17 rows, both kinds in each
    fillers, local = [], np.zeros(120, dtype=np.int64)
    for code in (0, 1):
        rows = np.flatnonzero(kind == code)
        local[rows] = np.arange(rows.size)
        fillers.append(SegmentFiller(0, rows.size, np.bincount(matrix[rows].indices, minlength=50)))
    for columns in bands or [None]:
        for number, block in enumerate(blocks):
            rows = slice(17 * number, 17 * number + block.shape[0])
            for code, filler in enumerate(fillers):
                mine = np.where(kind[rows] == code, local[rows], -1)
                filler.add(block.indptr, block.indices, block.data, mine, columns)
            if columns is not None:  # as a fit does: the band's entries leave the block
                block.indptr = block.indptr.astype(np.int64)
                n = drop_columns(block.indptr, block.indices, block.data, *columns)
                block.indices, block.data = block.indices[:n], block.data[:n]
    for code, filler in enumerate(fillers):
        _assert_same_segment(filler.segment(), Segment.from_rows(matrix[kind == code], 0))


def test_filler_refuses_rows_its_counts_do_not_describe():
    matrix = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 2.0]], dtype=np.float32))
    filler = SegmentFiller(0, 2, np.array([1, 1]))
    with pytest.raises(RuntimeError):
        filler.add(matrix.indptr, matrix.indices, matrix.data, np.array([0, 1]))
    narrow = SegmentFiller(0, 2, np.array([2]))  # one feature: column 1 is not the segment's
    with pytest.raises(ValueError, match="column outside"):
        narrow.add(matrix.indptr, matrix.indices, matrix.data, np.array([0, 1]), columns=(0, 1))
    short = SegmentFiller(0, 2, np.array([2, 1]))
    short.add(matrix.indptr[:2], matrix.indices[:1], matrix.data[:1], np.array([0]))
    with pytest.raises(RuntimeError):
        short.segment()


def test_releasing_a_blocks_pages_keeps_its_first_entries():
    parts = [np.arange(1, 5001, dtype=np.int32), np.arange(5001, 8001, dtype=np.int32)]
    joined = features._mapped(parts, np.int32)
    assert parts == [] and joined.size == 8000
    kept = features._release_after(joined, 1500)
    np.testing.assert_array_equal(kept, np.arange(1, 1501, dtype=np.int32))
    # Pages given back to the system read as zeros again: from the first whole page after the kept part.
    first_free = -(-1500 * 4 // mmap.PAGESIZE) * mmap.PAGESIZE // 4
    np.testing.assert_array_equal(joined[1500:first_free], np.arange(1501, first_free + 1, dtype=np.int32))
    assert first_free < 8000 and not joined[first_free:].any()
    np.testing.assert_array_equal(features._release_after(np.arange(10), 3), [0, 1, 2])  # not mapped: a slice
