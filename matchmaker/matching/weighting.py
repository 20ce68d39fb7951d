"""Term weighting whose score is a plain sparse dot product.

BM25's per-document part (idf, tf saturation, length normalisation) is folded into the document
vector once, at indexing time; the query vector carries the query's own term counts, saturated
the same way (BM25's k3 = k1), so a word repeated in a long query does not swamp the others.
``score = query_vec · doc_vec`` and the index can be term-first (inverted).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class TermWeighting:
    """BM25-style weighting expressed as document and query vectors.

    Parameters
    ----------
    k1 : term-frequency saturation; 0 makes tf binary, large values approach raw tf.
    b : length normalisation, 0 (none) to 1 (full).

    Attributes
    ----------
    idf_ : ndarray of shape (n_features,), ``log(1 + (N - df + 0.5) / (df + 0.5))``.
    avgdl_ : mean document length (sum of weighted counts) at fit time.
    n_docs_ : number of documents seen by ``fit``.
    """

    def __init__(self, k1: float = 1.6, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, counts: sp.spmatrix) -> TermWeighting:
        """Learn idf and the mean document length from raw (field-weighted) counts."""
        counts = sp.csr_matrix(counts)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        return self.fit_statistics(counts.shape[0], df, self.row_lengths(counts))

    @staticmethod
    def row_lengths(counts: sp.csr_matrix) -> np.ndarray:
        """Document lengths (sums of raw counts) as :meth:`fit` takes them, row by row.

        Each row's sum depends on that row alone, so the lengths of a matrix cut into row blocks
        are the concatenated lengths of its blocks.
        """
        return np.asarray(counts.sum(axis=1)).ravel()

    def fit_statistics(self, n_docs: int, df: np.ndarray, lengths: np.ndarray) -> TermWeighting:
        """Learn from corpus statistics gathered elsewhere (e.g. while streaming row blocks).

        Parameters
        ----------
        n_docs : number of documents.
        df : documents containing each feature (shape (n_features,)).
        lengths : every document's length, from :meth:`row_lengths`, in document order (the
            mean is taken over the one array, so that it is the mean :meth:`fit` takes).
        """
        self.n_docs_ = n_docs
        self.idf_ = self._idf(np.asarray(df).astype(np.float64))
        self.avgdl_ = float(lengths.mean()) if lengths.size and lengths.mean() > 0 else 1.0
        return self

    def _idf(self, df: np.ndarray) -> np.ndarray:
        n = self.n_docs_
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            raise RuntimeError("TermWeighting is not fitted yet; call fit() first")

    def idf_of(self, columns: np.ndarray) -> np.ndarray:
        """idf of the given columns; columns unseen at fit time get the idf of df = 0.

        Reads only those columns: adding one posting to a million-posting index must not copy the
        whole idf array (5M entries) because its vocabulary grew.
        """
        self._check_fitted()
        columns = np.asarray(columns, dtype=np.int64)
        known = columns < self.idf_.size
        if known.all():
            return self.idf_[columns]
        out = np.full(columns.size, self._idf(np.zeros(1))[0])
        out[known] = self.idf_[columns[known]]
        return out

    def transform(self, counts: sp.spmatrix, *, query: bool = False) -> sp.csr_matrix:
        """Document vectors (default) or query vectors whose dot product is the BM25 score."""
        self._check_fitted()
        counts = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        if counts.nnz == 0:
            return counts
        if query:
            counts.data = counts.data * (self.k1 + 1.0) / (counts.data + self.k1)
            return counts
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        norm = self.k1 * (1.0 - self.b + self.b * lengths / self.avgdl_)
        row_norm = np.repeat(norm, np.diff(counts.indptr))
        tf = counts.data
        idf = self.idf_of(counts.indices)
        counts.data = idf * tf * (self.k1 + 1.0) / (tf + row_norm)
        return counts
