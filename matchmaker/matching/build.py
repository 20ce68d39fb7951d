"""From a fit's raw count blocks to each kind's index segment, without ever holding both in full.

At a million postings the counts and the index are GBs each.  So the statistics are gathered from
the blocks, each block is weighted in place, and the segments are written one band of columns at a
time, each band's entries dropped from the blocks (and their pages given back) once written.
"""

from __future__ import annotations

import numpy as np

from .features import CountBlock
from .index import Segment, SegmentFiller, drop_columns
from .weighting import TermWeighting

TRANSFORM_ROWS = 4096  # rows weighted at a time: bounds the float64 temporaries of transform
# Bands of columns the index is written in: writing a block's rows touches postings all over the
# index, so the pages of a band are touched only while the blocks give back that band's entries.
FILL_BANDS = 16


def statistics(
    blocks: list[CountBlock], kind_codes: np.ndarray, n_kinds: int, n_cols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each kind holding each column (kinds × columns), and every row's length."""
    column_counts = np.zeros((n_kinds, n_cols), dtype=np.int64)
    lengths, first = [np.zeros(0, dtype=np.float32)], 0
    for block in blocks:
        lengths.append(TermWeighting.row_lengths(block.rows(0, block.n_rows, n_cols)))
        codes = kind_codes[first : first + block.n_rows]
        first += block.n_rows
        if n_kinds == 1:
            column_counts[0] += np.bincount(block.indices, minlength=n_cols)
            continue
        entry_codes = np.repeat(codes, np.diff(block.indptr))
        for code in range(n_kinds):
            column_counts[code] += np.bincount(block.indices[entry_codes == code], minlength=n_cols)
    return column_counts, np.concatenate(lengths)


def segments(
    blocks: list[CountBlock], kind_codes: np.ndarray, column_counts: np.ndarray, weighting: TermWeighting
) -> list[Segment]:
    """Each kind's segment (kinds numbered as in ``kind_codes``) from the raw count blocks.

    ``column_counts`` is :func:`statistics`'s.  The blocks are consumed: weighted in place, then
    emptied band by band, and the list is cleared.
    """
    n_cols = column_counts.shape[1]
    fillers = [
        SegmentFiller(0, int(np.count_nonzero(kind_codes == code)), counts) for code, counts in enumerate(column_counts)
    ]
    bands = _bands(column_counts.sum(axis=0), FILL_BANDS)
    for block in blocks:
        _weigh_in_place(block, weighting, n_cols)
    _fill_by_bands(blocks, fillers, kind_codes, bands)
    blocks.clear()
    return [filler.segment() for filler in fillers]


def _weigh_in_place(block: CountBlock, weighting: TermWeighting, n_cols: int) -> None:
    """Turn a block's raw counts into document vectors, a slice of rows at a time."""
    for start in range(0, block.n_rows, TRANSFORM_ROWS):
        stop = min(start + TRANSFORM_ROWS, block.n_rows)
        chunk = block.rows(start, stop, n_cols)
        out = weighting.transform(chunk)
        if out.nnz != chunk.nnz or not np.array_equal(out.indices, chunk.indices):
            raise RuntimeError("TermWeighting.transform must keep the sparsity pattern")
        block.data[block.indptr[start] : block.indptr[stop]] = out.data


def _bands(df: np.ndarray, n_bands: int) -> list[tuple[int, int]]:
    """Up to ``n_bands`` consecutive column ranges holding about equal numbers of entries."""
    if df.size == 0:
        return []
    ends = np.cumsum(df)
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, n_bands) / n_bands, side="right")
    edges = np.unique(np.concatenate([[0], cuts, [df.size]]))
    return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


def _fill_by_bands(
    blocks: list[CountBlock], fillers: list[SegmentFiller], kind_codes: np.ndarray, bands: list[tuple[int, int]]
) -> None:
    """Write the weighted blocks into each kind's filler a band of columns at a time, dropping each
    band's entries from the blocks (and their pages) once written."""
    local = np.zeros(kind_codes.size, dtype=np.int64)  # each row's number among its kind's rows
    for code in range(len(fillers)):
        rows = np.flatnonzero(kind_codes == code)
        local[rows] = np.arange(rows.size)
    for lo, hi in bands:
        first = 0
        for block in blocks:
            rows = slice(first, first + block.n_rows)
            first += block.n_rows
            for code, filler in enumerate(fillers):
                mine = np.where(kind_codes[rows] == code, local[rows], -1)
                filler.add(block.indptr, block.indices, block.data, mine, (lo, hi))
            block.keep(drop_columns(block.indptr, block.indices, block.data, lo, hi))
