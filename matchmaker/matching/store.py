"""Saving and loading a fitted engine: one ``.npz`` file, versioned, replaced atomically.

The file is a zip of plain arrays (read with ``allow_pickle=False``: loading never runs code) and
a JSON header holding the format version, the engine version, the configuration, the weighting's
scalar statistics and the caller's ids (``int`` or ``str``).  A file of another format version, a
truncated or corrupt file, is refused with :class:`IndexFileError`; the index is derived data,
so the remedy is always to rebuild it from the database.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from os import PathLike
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .collection import KindIndex
from .config import EngineConfig
from .features import Vocabulary
from .index import Segment
from .weighting import TermWeighting

FORMAT = "matchmaker-engine-index"
FORMAT_VERSION = 1
SEPARATOR = "\x00"  # features never contain NUL: normalisation strips control characters


class IndexFileError(ValueError):
    """The index file cannot be used by this engine (corrupt, truncated or another version)."""


def save(engine, path: str | PathLike) -> None:
    """Write ``engine`` to ``path`` via a temporary file and ``os.replace``."""
    from .engine import ENGINE_VERSION

    arrays, kinds = {}, []
    for i, (kind, index) in enumerate(engine.indexes_.items()):
        kinds.append({"kind": kind, "ids": _json_ids(index.ids), "segments": len(index.segments)})
        arrays.update(_kind_arrays(f"k{i}", index))
    features = SEPARATOR.join(engine.vocabulary_.features)
    if features.count(SEPARATOR) != max(len(engine.vocabulary_) - 1, 0):
        raise ValueError("a feature contains NUL; cannot save the vocabulary")
    arrays["vocabulary"] = np.frombuffer(features.encode("utf-8"), dtype=np.uint8)
    scalars = {}
    for name, value in vars(engine.weighting_).items():
        if name.endswith("_") and isinstance(value, np.ndarray):
            arrays[f"weighting/{name}"] = value
        elif name.endswith("_"):
            scalars[name] = value
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine_version": ENGINE_VERSION,
        "config": dataclasses.asdict(engine.config),
        "weighting": scalars,
        "n_fitted": engine.n_fitted_,
        "n_changed": engine.n_changed_,
        "kinds": kinds,
    }
    arrays["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    _write_atomically(Path(path), arrays)


def _json_ids(ids: list) -> list:
    for record_id in ids:
        if isinstance(record_id, bool) or not isinstance(record_id, int | str):
            raise TypeError(f"save() supports int and str record ids, not {type(record_id).__name__}")
    return ids


def _kind_arrays(prefix: str, index: KindIndex) -> dict[str, np.ndarray]:
    out = {f"{prefix}/alive": index.alive}
    lengths = np.array([len(b) for b in index.blobs], dtype=np.int64)
    out[f"{prefix}/blob_offsets"] = np.concatenate([[0], np.cumsum(lengths)])
    out[f"{prefix}/blobs"] = np.frombuffer(b"".join(index.blobs), dtype=np.uint8)
    for j, seg in enumerate(index.segments):
        for name in ("indptr", "indices", "data", "maxw"):
            out[f"{prefix}/s{j}/{name}"] = getattr(seg, name)
        out[f"{prefix}/s{j}/range"] = np.array([seg.start, seg.n], dtype=np.int64)
    if index.side:
        width = max(r.shape[1] for r in index.side)
        side = sp.vstack([sp.csr_matrix(r, shape=(1, width)) for r in index.side], format="csr")
        out.update({f"{prefix}/side/{n}": getattr(side, n) for n in ("indptr", "indices", "data")})
        out[f"{prefix}/side/shape"] = np.array(side.shape, dtype=np.int64)
    return out


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | PathLike):
    """Read an engine saved by :func:`save`.

    Raises
    ------
    FileNotFoundError : no such file.
    IndexFileError : the file is not a readable index of this format version.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no index file at {path}")
    try:
        # Our own handle: np.load leaks the one it opens when the zip turns out to be damaged.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:
            header = json.loads(bytes(npz["header"]).decode("utf-8"))
            _check_header(path, header)
            return _engine(header, npz)
    except IndexFileError:
        raise
    except Exception as exc:  # zip, CRC, JSON, missing member, wrong shape: all mean "rebuild"
        raise IndexFileError(f"{path} is not a readable Matchmaker index ({exc}); rebuild the index") from exc


def _check_header(path: Path, header: dict) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise IndexFileError(f"{path} is not a Matchmaker index file; rebuild the index")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFileError(
            f"{path} has index format version {version} (engine {header.get('engine_version')}); "
            f"this engine reads version {FORMAT_VERSION}: rebuild the index"
        )


def _engine(header: dict, npz):
    from .engine import MatchingEngine

    engine = MatchingEngine(_config(header["config"]))
    engine.vocabulary_ = Vocabulary(_features(bytes(npz["vocabulary"]).decode("utf-8")))
    weighting = TermWeighting(k1=engine.config.k1, b=engine.config.b)
    for name, value in header["weighting"].items():
        setattr(weighting, name, value)
    for key in npz.files:
        if key.startswith("weighting/"):
            setattr(weighting, key.removeprefix("weighting/"), npz[key])
    engine.weighting_ = weighting
    engine.indexes_ = {k["kind"]: _kind(f"k{i}", k, npz) for i, k in enumerate(header["kinds"])}
    engine.n_fitted_, engine.n_changed_ = header["n_fitted"], header["n_changed"]
    return engine


def _features(blob: str) -> list[str]:
    return blob.split(SEPARATOR) if blob else []


def _config(saved: dict) -> EngineConfig:
    known = {f.name for f in dataclasses.fields(EngineConfig)}
    if set(saved) - known:
        raise IndexFileError(
            f"index was built with unknown settings {sorted(set(saved) - known)}; rebuild the index"
        )
    return EngineConfig(**{k: _tuples(v) for k, v in saved.items()})


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _kind(prefix: str, meta: dict, npz) -> KindIndex:
    index = KindIndex()
    index.ids = list(meta["ids"])
    index.alive = npz[f"{prefix}/alive"]
    index.rows = {index.ids[r]: r for r in np.flatnonzero(index.alive).tolist()}
    offsets, blobs = npz[f"{prefix}/blob_offsets"], bytes(npz[f"{prefix}/blobs"])
    index.blobs = [blobs[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    for j in range(meta["segments"]):
        start, n = npz[f"{prefix}/s{j}/range"].tolist()
        arrays = [npz[f"{prefix}/s{j}/{name}"] for name in ("indptr", "indices", "data", "maxw")]
        index.segments.append(Segment(start, n, *arrays))
    if f"{prefix}/side/shape" in npz.files:
        side = sp.csr_matrix(
            tuple(npz[f"{prefix}/side/{n}"] for n in ("data", "indices", "indptr")),
            shape=tuple(npz[f"{prefix}/side/shape"].tolist()),
        )
        index.side = [side[i] for i in range(side.shape[0])]
    if len(index.ids) != index.alive.size or len(index.blobs) != index.alive.size:
        raise IndexFileError(f"inconsistent index for kind {meta['kind']!r}; rebuild the index")
    index.prepare()
    return index
