"""MTQ Paths from Python: cluster the activations of every hidden layer of a classifier, give each
sample its path (its cluster in every layer), and ask which paths each class takes, whether a
layer is redundant, where classes never seen in training go and how well path and distance scores
flag them, with the Rust core of the ``mtq`` command.

    import mtq_paths
    s = mtq_paths.study(reference=mtq_paths.Set({"h1": h1, "h2": h2}, labels=y, probs=p),
                        test=mtq_paths.Set({"h1": t1, "h2": t2}, labels=yt, probs=pt),
                        unseen={"4": mtq_paths.Set({"h1": f1, "h2": f2}, probs=pf)},
                        classes=["1", "7"], seed=0)
    s.k            # {"h1": 2, "h2": 2, ...}: the K each layer chose by silhouette
    s.samples      # one row per sample of every set (a pandas DataFrame when pandas is installed)
    s.report("mtq-report")   # report.html, report.json, samples.csv, ... as `mtq npy` writes them

A study of these arrays is the study ``mtq npy`` makes of the same arrays saved as ``.npy`` files:
the same numbers in ``report.json``. The arrays are read once into the Rust core (float32), the
study runs with the GIL released, and every error is a ``ValueError`` (``MtqError`` for one the
core raises, with its whole cause chain).
"""
from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from . import _core
from ._core import MtqError

__all__ = ["Set", "Study", "study", "compare", "silhouette_score", "MtqError", "__version__"]
__version__: str = _core.__version__


_F32_MAX = float(np.finfo(np.float32).max)


def _float32(a: np.ndarray, what: str) -> np.ndarray:
    """`a` as an aligned C-contiguous float32 array (no copy when it is one already); a finite
    value beyond float32's range is refused, as `mtq npy` refuses it."""
    if a.dtype.kind == "f" and a.dtype.itemsize > 4:
        big = np.isfinite(a) & (np.abs(a) > _F32_MAX)
        if big.any():
            where = np.unravel_index(int(np.argmax(big)), a.shape)
            raise ValueError(f"{what}: {a[where]} at {tuple(int(i) for i in where)} is beyond "
                             f"float32's range")
    return np.require(a, dtype=np.float32, requirements=["C", "A"])


def _matrix(a: Any, what: str, n: Optional[int] = None) -> np.ndarray:
    """`a` as a C-contiguous float32 samples x units array (no copy when it is one already)."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{what}: expected numbers, got an array of dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{what}: expected samples x units (2 axes), got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{what}: {a.shape[0]} rows, but the set has {n} samples")
    return _float32(a, what)


def _indices(a: Any, what: str, n: int) -> Optional[np.ndarray]:
    """`a` as int64 indices (labels, ids), one per sample: integers, or floats that are whole
    numbers (as `mtq npy` reads them)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected integers, got an array of dtype {a.dtype}")
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"{what}: expected one value per sample ({n}), got shape {a.shape}")
    if a.size and a.min() < 0:
        row = int(np.argmax(a < 0))
        raise ValueError(f"{what}: row {row} holds {a[row]}; expected non-negative integers")
    return np.ascontiguousarray(a, dtype=np.int64)


class Set:
    """One set of samples as a network saw them.

    Args:
        layers: layer name -> ``n x d`` array (samples x units), in network order; every set of a
            study has the same layers. float32 C-contiguous arrays are taken as they are, others
            converted once.
        labels: ``n`` integer class indices (required for the reference set).
        probs: ``n x classes`` class probabilities (the max-softmax baseline, predictions).
        ids: ``n`` non-negative sample ids (into ``samples``; default: the row).
        images: ``n x H x W`` or ``n x C x H x W`` images, for the report's thumbnails.

    Raises:
        TypeError: an array of non-numeric values, or labels that are not integers.
        ValueError: a layer that is not 2-D, or arrays of different numbers of samples.
    """

    def __init__(self, layers: Mapping[str, Any], labels: Any = None, probs: Any = None,
                 ids: Any = None, images: Any = None) -> None:
        if not isinstance(layers, Mapping) or not layers:
            raise TypeError("layers: expected a dict of layer name -> samples x units array")
        first = None
        self.layers: dict[str, np.ndarray] = {}
        for name, a in layers.items():
            if str(name) in self.layers:
                raise ValueError(f"layers: two layers are named {str(name)!r}")
            m = _matrix(a, f"layer {name}", first)
            first = m.shape[0] if first is None else first
            self.layers[str(name)] = m
        self.n: int = int(first)
        self.labels = _indices(labels, "labels", self.n)
        self.probs = None if probs is None else _matrix(probs, "probs", self.n)
        self.ids = _indices(ids, "ids", self.n)
        self.images = None
        if images is not None:
            im = np.asarray(images)
            if im.ndim not in (3, 4) or im.shape[0] != self.n or 0 in im.shape:
                raise ValueError(f"images: expected {self.n} x H x W or {self.n} x C x H x W, "
                                 f"none of them 0, got shape {im.shape}")
            if im.dtype.kind not in "fiu":
                raise TypeError(f"images: expected numbers, got an array of dtype {im.dtype}")
            im = _float32(im, "images")
            if not np.isfinite(im).all():
                raise ValueError("images: a value is NaN or infinite")
            self.images = im

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        widths = ", ".join(f"{k}: {v.shape[1]}" for k, v in self.layers.items())
        return f"Set({self.n} samples; {widths})"

    def _payload(self, names: Sequence[str], role: str) -> dict:
        if list(self.layers) != list(names):
            raise ValueError(f"the {role} set's layers {list(self.layers)} are not the "
                             f"reference's {list(names)} (same names, same order)")
        return {"layers": [self.layers[n] for n in names], "labels": self.labels,
                "probs": self.probs, "ids": self.ids, "images": self.images}


class Study:
    """A finished study: the numbers of its ``report.json`` (``data``), read as Python values."""

    def __init__(self, raw: "_core.Study") -> None:
        self._raw = raw
        self.data: dict = json.loads(raw.report_json())

    @property
    def k(self) -> dict:
        """Layer -> the K its K-means chose by silhouette (first seed)."""
        return {c["layer"]: c["chosen_k"] for c in self.data["silhouette_curves"]}

    @property
    def redundancy(self) -> list:
        """Per layer after the first: its linear CKA and ARI with the one before, and whether it
        is redundant (CKA at or above the threshold)."""
        return [{"layer": p["second"], "previous": p["first"], "cka": p["cka"], "ari": p["ari"],
                 "redundant": p["redundant"]} for p in self.data["redundancy"]["pairs"]]

    @property
    def strangers(self) -> list:
        """Per unseen set: where its samples go, layer by layer, and what they are predicted."""
        return self.data["strangers"]

    @property
    def trusted(self) -> str:
        """The name of the anomaly score the study trusts (fixed before any task)."""
        return self.data["anomaly"]["trusted"]

    @property
    def auroc(self) -> Any:
        """AUROC of every score (rows) on every task (columns: test vs each unseen set); a pandas
        DataFrame when pandas is installed, else a dict of dicts."""
        table = {s["name"]: {r["task"]: r["auroc"] for r in s["results"]}
                 for s in self.data["anomaly"]["scores"]}
        try:
            import pandas as pd
        except ImportError:
            return table
        return pd.DataFrame.from_dict(table, orient="index")

    @property
    def samples(self) -> Any:
        """One row per sample of every set, the columns of ``samples.csv``: a pandas DataFrame
        when pandas is installed, else a dict of numpy arrays (numbers where a column holds only
        numbers)."""
        text = self._raw.samples_csv()
        try:
            import pandas as pd
        except ImportError:
            rows = list(csv.reader(io.StringIO(text)))
            out = {}
            for j, name in enumerate(rows[0]):
                col = [r[j] for r in rows[1:]]
                try:
                    out[name] = np.array([float(v) if v != "" else np.nan for v in col])
                except ValueError:
                    out[name] = np.array(col, dtype=object)
            return out
        # only an empty cell is missing: a class or set named "NA" or "None" stays a name
        return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])

    def report(self, dir: Any = "mtq-report") -> str:
        """Writes report.html, report.json, sankey.svg, samples.csv and samples.json into
        ``dir`` (created if missing), as ``mtq npy --out dir`` does; gives report.html's path."""
        paths = self._raw.write(str(dir))
        return next(p for p in paths if p.endswith("report.html"))

    def to_json(self) -> str:
        """``report.json``'s text."""
        return self._raw.report_json()

    def _repr_html_(self) -> str:
        page = html.escape(self._raw.html(), quote=True)
        return (f'<iframe srcdoc="{page}" style="width:100%;height:900px;border:0" '
                f'title="{html.escape(self.data["title"])}"></iframe>')

    def __repr__(self) -> str:
        ks = ", ".join(f"{k} {v}" for k, v in self.k.items())
        return f"<mtq_paths.Study: K {ks}; trusted score {self.trusted!r}>"


def study(reference: Set, test: Optional[Set] = None, unseen: Optional[Mapping[str, Set]] = None,
          classes: Optional[Iterable[str]] = None, k: tuple = (2, 10), seed: Optional[int] = None,
          seeds: Optional[Iterable[int]] = None, calibration: Optional[Set] = None,
          silhouette_sample: Optional[int] = None, alpha: float = 0.05,
          class_conditional: bool = False) -> Study:
    """Runs a whole study of a network's activations: per layer K-means with K chosen by
    silhouette in ``k``, every sample's path, the layers' redundancy, where each unseen set goes,
    and every anomaly score on every task (the test set against each unseen set), the path
    monitor calibrated on ``calibration`` (default: a seeded half of the test set, left out of
    every evaluation). The study ``mtq npy`` makes of the same arrays.

    Args:
        reference: the set the network was trained on (labels required).
        test: in-distribution samples it never trained on (the negatives of every task).
        unseen: name -> set of a class the network never saw.
        classes: class names, one per label index; default: the reference's label values.
        k: the smallest and largest K tried per layer.
        seed: the seed of the study (K-means, samples, the calibration share; default 0);
            ``seeds`` runs several instead and adds their stability (the numbers are the first
            seed's).
        silhouette_sample: estimate each K's silhouette on this many seeded reference rows.
        alpha: the path monitor's false-alarm rate; ``class_conditional``: per predicted class.

    Raises:
        TypeError, ValueError: arrays of the wrong kind or shape, sets whose layers differ from
            the reference's, labels out of range; ``MtqError`` (a ValueError) for what the study
            itself refuses (e.g. a NaN, naming its layer and row).
    """
    if not isinstance(reference, Set):
        raise TypeError("reference: expected a mtq_paths.Set")
    if reference.labels is None:
        raise ValueError("the reference set needs labels (one class index per sample)")
    names = list(reference.layers)
    unseen = dict(unseen or {})
    sets = [("test", test), ("calibration", calibration)] + [(f"unseen {n}", s)
                                                             for n, s in unseen.items()]
    for role, s in sets:
        if s is not None and not isinstance(s, Set):
            raise TypeError(f"{role}: expected a mtq_paths.Set")
    class_names = None if classes is None else [str(c) for c in classes]
    if class_names is not None:
        for role, s in [("reference", reference), ("test", test), ("calibration", calibration)]:
            if s is not None and s.labels is not None and s.labels.size and \
                    s.labels.max() >= len(class_names):
                row = int(np.argmax(s.labels >= len(class_names)))
                raise ValueError(f"the {role} set's labels: row {row} holds {s.labels[row]}, "
                                 f"but there are {len(class_names)} classes")
    try:
        k_min, k_max = (int(v) for v in k)
    except (TypeError, ValueError):
        raise ValueError(f"k: expected (smallest K, largest K), got {k!r}") from None
    if not 2 <= k_min <= k_max:
        raise ValueError(f"k: expected 2 <= smallest K <= largest K, got {k!r}")
    if seed is not None and seeds is not None:
        raise ValueError("give seed or seeds, not both")
    seed_list = [0 if seed is None else int(seed)] if seeds is None else [int(s) for s in seeds]
    if not seed_list or min(seed_list) < 0 or len(set(seed_list)) != len(seed_list):
        raise ValueError(f"seeds: expected distinct non-negative integers, got {seed_list}")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha: a false-alarm rate in (0, 1), got {alpha}")
    if silhouette_sample is not None and int(silhouette_sample) < 2:
        raise ValueError(f"silhouette_sample: at least 2 rows, got {silhouette_sample}")
    unseen_names = [str(n) for n in unseen]
    if len(set(unseen_names)) != len(unseen_names) or "" in unseen_names:
        raise ValueError(f"unseen: expected distinct non-empty names, got {unseen_names}")
    raw = _core.study(
        names,
        reference._payload(names, "reference"),
        None if test is None else test._payload(names, "test"),
        None if calibration is None else calibration._payload(names, "calibration"),
        [(str(n), s._payload(names, f"unseen {n}")) for n, s in unseen.items()],
        class_names, k_min, k_max, seed_list,
        None if silhouette_sample is None else int(silhouette_sample),
        float(alpha), bool(class_conditional),
    )
    return Study(raw)


def silhouette_score(x: Any, labels: Any) -> float:
    """The mean silhouette of ``x`` (samples x features) partitioned by ``labels``, exact:
    scikit-learn's ``silhouette_score(x, labels)`` (Rousseeuw 1987), in Rust."""
    x = _matrix(x, "x")
    return _core.silhouette_score(x, _indices(labels, "labels", x.shape[0]))


def compare(studies: Mapping[str, Study], out: Any = None, title: str = "Studies compared",
            resamples: int = 1000, seed: int = 0) -> dict:
    """Compares named studies as ``mtq compare`` does: every share and AUROC with a 95 % interval
    (``resamples`` seeded bootstrap replicates per seed, pooled over the seeds), the verdict of
    each difference, and linear CKA and ARI between the layers of studies whose test sets share
    samples (by id); gives ``compare.json``'s content as a dict and, with ``out``, writes
    compare.html, compare.json and compare.md into that folder.

    Raises:
        TypeError: a value that is not a ``Study``; ValueError: ``resamples`` below 1.
    """
    for name, s in studies.items():
        if not isinstance(s, Study):
            raise TypeError(f"{name}: expected a mtq_paths.Study")
    if int(resamples) < 1:
        raise ValueError("resamples: at least 1")
    text = _core.compare([(str(n), s._raw) for n, s in studies.items()], str(title),
                         int(resamples), int(seed), None if out is None else str(out))
    return json.loads(text)
