"""A whole study from Python: `mtq_paths.study` against its K sweep written with scikit-learn in
the same interpreter (per layer: KMeans(K, n_init=10) and silhouette_score on every row for
K = 2..10, then the K of the best silhouette; mtq's study also computes the paths, the redundancy
and the anomaly scores), on 12,000 x 64 x 3 layers of seeded blobs; the Python layer's overhead:
`mtq_paths.study` (Set, argument checks, report.json read back) against the Rust call it makes
(`mtq_paths._core.study`, which copies the arrays in and runs the study); and `mtq npy` on the same
arrays saved as .npy (the whole process, which also writes the report's files). Each figure is the
median of --repeats runs, side by side in one run.

    pip install ./crates/mtq-py scikit-learn && cargo build --release -p mtq-cli
    python benches/scripts/python_vs_sklearn.py [--mtq target/release/mtq] [--repeats 3]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

import mtq_paths

N, D, LAYERS, KS = 12_000, 64, 3, range(2, 11)


def data(seed=0):
    """Three layers of 12,000 x 64: 4, 6 and 8 seeded blobs; labels: two classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, N)
    layers = {}
    for i, centres in enumerate([4, 6, 8]):
        c = rng.normal(scale=4.0, size=(centres, D))
        which = (y * (centres // 2) + rng.integers(0, centres // 2, N)) % centres
        layers[f"l{i}"] = (c[which] + rng.normal(size=(N, D))).astype(np.float32)
    return layers, y


def sklearn_study(layers):
    ks = {}
    for name, x in layers.items():
        best = max(KS, key=lambda k: silhouette_score(
            x, KMeans(k, n_init=10, random_state=0).fit(x).labels_))
        ks[name] = best
    return ks


def timed(f, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mtq", default="target/release/mtq")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sklearn-repeats", type=int, default=1)
    a = ap.parse_args()
    layers, y = data()
    ref = mtq_paths.Set(layers, labels=y)
    names = list(ref.layers)
    py, py_all, s = timed(
        lambda: mtq_paths.study(reference=mtq_paths.Set(layers, labels=y), k=(2, 10)), a.repeats)
    core, core_all, _ = timed(
        lambda: mtq_paths._core.study(names, ref._payload(names, "reference"), None, None, [],
                                      None, 2, 10, [0], None, 0.05, False), a.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        for name, x in layers.items():
            np.save(os.path.join(tmp, f"ref_{name}.npy"), x)
        np.save(os.path.join(tmp, "ref_labels.npy"), y.astype(np.int64))
        cmd = [a.mtq, "-q", "npy", "--layers", ",".join(layers), "--reference",
               os.path.join(tmp, "ref"), "--out", os.path.join(tmp, "out")]
        cli, cli_all, _ = timed(lambda: subprocess.run(cmd, check=True, capture_output=True),
                                a.repeats)
    sk, sk_all, ks = timed(lambda: sklearn_study(layers), a.sklearn_repeats)
    print(f"{N} x {D} x {LAYERS} layers, K = 2..10, n_init 10, exact silhouette")
    print(f"K chosen: mtq_paths {s.k}, scikit-learn {ks}")
    assert s.k == ks, "the two studies chose different K"
    print(f"mtq_paths.study: median {py:.3f} s ({', '.join(f'{t:.3f}' for t in py_all)})")
    print(f"mtq_paths._core.study (the Rust call alone): median {core:.3f} s "
          f"({', '.join(f'{t:.3f}' for t in core_all)})")
    print(f"mtq npy (same arrays in files, whole process): median {cli:.3f} s "
          f"({', '.join(f'{t:.3f}' for t in cli_all)})")
    print(f"scikit-learn: {sk:.1f} s ({', '.join(f'{t:.1f}' for t in sk_all)})")
    print(f"speed-up over scikit-learn: {sk / py:.0f}x")
    print(f"Python layer overhead against the Rust call: {100 * (py - core) / core:+.1f} %")


if __name__ == "__main__":
    main()
