"""Wide layers, side by side: `mtq npy` on 10 layers x 50,000 samples x 512 features against
scikit-learn doing the same K sweep.

The data (seeded, written once by --make): layer l (l = 0..9) holds 50,000 rows of 512
features drawn around 2 * (1 + l % 3) centres (2, 4 or 6; centres N(0, 1) per feature, unit
Gaussian noise, then ReLU as a network's layer would), every sample's label 0 or 1 deciding
half of its centre in every layer (label y goes to centres y, y + 2, y + 4, ...), so that the
paths carry the class.

    python benches/scripts/wide_study.py --make --dir /tmp/wide            # writes the arrays
    python benches/scripts/wide_study.py --mtq target/release/mtq --dir /tmp/wide
    python benches/scripts/wide_study.py --sklearn --dir /tmp/wide --layers 1

--mtq runs `mtq npy --layers l0,..,l9 --reference DIR/ref --quiet --out DIR/report` under
`/usr/bin/time -v` and prints its wall time, peak memory, K per layer and the report's note on
its samples. --sklearn times, per layer, scikit-learn's KMeans(n_clusters=k, n_init=10,
random_state=0) for k = 2..10 on every row and silhouette_score on the rows mtq's default
samples at 512 features (--sample, default 13,975; 0 = every row), and prints the per-layer and
projected 10-layer time (--layers 1: one layer, times 10).
"""
import argparse
import json
import os
import re
import subprocess
import time

import numpy as np

N, D, LAYERS = 50_000, 512, 10


def make(out, n=N, d=D, layers=LAYERS, seed=0):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(np.int64)
    np.save(os.path.join(out, "ref_labels.npy"), y)
    for layer in range(layers):
        k = 2 * (1 + layer % 3)
        centres = rng.standard_normal((k, d)).astype(np.float32)
        blob = y + 2 * rng.integers(0, k // 2, n)
        x = centres[blob] + rng.standard_normal((n, d), dtype=np.float32)
        np.maximum(x, 0.0, out=x)
        np.save(os.path.join(out, f"ref_l{layer}.npy"), x)
        print(f"l{layer}: {n} x {d}, {k} centres", flush=True)


def run_mtq(mtq, folder, layers):
    names = ",".join(f"l{i}" for i in range(layers))
    cmd = ["/usr/bin/time", "-v", mtq, "npy", "--layers", names, "--reference",
           os.path.join(folder, "ref"), "--quiet", "--out", os.path.join(folder, "report")]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    print(f"mtq npy, {layers} layers: {wall:.1f} s, peak {rss / 1024:.0f} MB")
    with open(os.path.join(folder, "report", "report.json")) as f:
        report = json.load(f)
    print("  K per layer: " + ", ".join(
        f"{c['layer']} {c['chosen_k']}" for c in report["silhouette_curves"]))
    for note in report["notes"]:
        print("  note:", note)
    return wall


def run_sklearn(folder, layers, sample):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    total = 0.0
    for layer in range(layers):
        x = np.load(os.path.join(folder, f"ref_l{layer}.npy"))
        # the study standardises nothing for .npy activations; time the sweep only
        t0 = time.perf_counter()
        best = None
        for k in range(2, 11):
            km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x)
            s = silhouette_score(x, km.labels_, sample_size=sample or None, random_state=0)
            if best is None or s > best[1]:
                best = (k, s)
        t = time.perf_counter() - t0
        total += t
        print(f"scikit-learn l{layer}: {t:.1f} s, K = {best[0]}", flush=True)
    print(f"scikit-learn, {layers} layers: {total:.1f} s "
          f"(projected to {LAYERS}: {total * LAYERS / layers:.1f} s)")
    return total * LAYERS / layers


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/wide")
    ap.add_argument("--make", action="store_true")
    ap.add_argument("--mtq")
    ap.add_argument("--sklearn", action="store_true")
    ap.add_argument("--layers", type=int, default=LAYERS)
    ap.add_argument("--sample", type=int, default=None,
                    help="silhouette rows for scikit-learn (default: as mtq's default)")
    a = ap.parse_args()
    if a.make:
        make(a.dir)
    mtq_time = run_mtq(a.mtq, a.dir, a.layers) * LAYERS / a.layers if a.mtq else None
    if a.sklearn:
        sample = a.sample if a.sample is not None else 13_975
        sk = run_sklearn(a.dir, a.layers, sample)
        if mtq_time:
            print(f"ratio scikit-learn / mtq: {sk / mtq_time:.1f}x")


if __name__ == "__main__":
    main()
