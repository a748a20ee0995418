"""K-means side by side on the same arrays: mtq-cluster, faiss-cpu, scikit-learn-intelex and
scikit-learn, K = 2..10, one run per K (n_init 1), seed 0.

Arrays (written to --data-dir once, float32): `blobs_12000x64` (scikit-learn's make_blobs, 8
centres, std 1, box +-10, random_state 0, as bench_sklearn.py) and `blobs_50000x512` (the same
with 512 features).

Per library and array, the median of --reps fits per K, summed over K ("total"), and the time
per Lloyd iteration (total / iterations summed over K):
  * mtq: the `kmeans_peers` example of mtq-cluster (k-means++, tol 1e-4 as scikit-learn), and
    with faiss's fixed 20 iterations (`--max-iter 20 --tol 0`);
  * faiss-cpu: faiss.Kmeans(d, k, niter=20, nredo=1, seed=0) on every row
    (max_points_per_centroid = n: no subsampling, the same work as the others) and with its
    default (at most 256 rows per centroid: trained on a sample, then nothing assigned);
  * scikit-learn and scikit-learn-intelex: KMeans(n_clusters=k, n_init=1, random_state=0,
    algorithm='lloyd'), iterations from n_iter_.

    cargo build --release -p mtq-cluster --example kmeans_peers
    python benches/scripts/kmeans_peers.py --mtq target/release/examples/kmeans_peers \
        --data-dir /tmp/mtqdata [--reps 3] [--only blobs_50000x512]

Threads: RAYON_NUM_THREADS, OMP_NUM_THREADS and faiss.omp_set_num_threads all set to
--threads (default 2) before anything loads.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--mtq", required=True, help="the kmeans_peers example binary")
ap.add_argument("--data-dir", default="/tmp/mtqdata")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--only")
ap.add_argument("--json", help="write the results here")
args = ap.parse_args()
for v in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = str(args.threads)

import numpy as np  # noqa: E402

KS = list(range(2, 11))
SHAPES = {"blobs_12000x64": (12_000, 64), "blobs_50000x512": (50_000, 512)}


def array(name):
    path = os.path.join(args.data_dir, name + ".npy")
    if not os.path.exists(path):
        from sklearn.datasets import make_blobs

        n, d = SHAPES[name]
        x, _ = make_blobs(n_samples=n, n_features=d, centers=8, cluster_std=1.0,
                          center_box=(-10.0, 10.0), shuffle=True, random_state=0)
        os.makedirs(args.data_dir, exist_ok=True)
        np.save(path, x.astype(np.float32))
    return path, np.load(path)


def median_fit(fit):
    fit()  # warm-up
    times, it = [], 0
    for _ in range(args.reps):
        t = time.perf_counter()
        it = fit()
        times.append(time.perf_counter() - t)
    return statistics.median(times), it


def per_k(fit_k):
    secs, iters = [], []
    for k in KS:
        s, it = median_fit(lambda: fit_k(k))
        secs.append(s)
        iters.append(it)
    return {"seconds": secs, "n_iter": iters}


def mtq(path, extra):
    out = subprocess.run([args.mtq, path, "--reps", str(args.reps), *extra],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def faiss_fit(x, subsample):
    import faiss

    faiss.omp_set_num_threads(args.threads)

    def fit(k):
        kw = {} if subsample else {"max_points_per_centroid": x.shape[0]}
        km = faiss.Kmeans(x.shape[1], k, niter=20, nredo=1, seed=0, verbose=False, **kw)
        km.train(x)
        if not subsample:
            km.index.search(x, 1)  # the labels of every row, as the others give
        return 20

    return fit


def sk_fit(x, cls):
    def fit(k):
        return cls(n_clusters=k, n_init=1, random_state=0, algorithm="lloyd").fit(x).n_iter_

    return fit


def main():
    results = {}
    for name in SHAPES:
        if args.only and name != args.only:
            continue
        path, x = array(name)
        rows = {}
        rows["mtq-cluster"] = mtq(path, [])
        rows["mtq-cluster, 20 iterations"] = mtq(path, ["--max-iter", "20", "--tol", "0"])
        try:
            rows["faiss-cpu, every row"] = per_k(faiss_fit(x, False))
            rows["faiss-cpu, default sample"] = per_k(faiss_fit(x, True))
        except ImportError as e:
            print("faiss-cpu not available:", e, file=sys.stderr)
        try:
            from sklearnex.cluster import KMeans as KMeansX

            rows["scikit-learn-intelex"] = per_k(sk_fit(x, KMeansX))
        except ImportError as e:
            print("scikit-learn-intelex not available:", e, file=sys.stderr)
        from sklearn.cluster import KMeans

        rows["scikit-learn"] = per_k(sk_fit(x, KMeans))
        results[name] = rows
        print(f"\n{name}, K = 2..10, n_init 1, {args.threads} threads, median of {args.reps}")
        print(f"| library | total | iterations | per iteration | per iteration vs mtq |")
        print("| --- | --- | --- | --- | --- |")
        base = None
        for lib, r in rows.items():
            total, its = sum(r["seconds"]), sum(r["n_iter"])
            per = total / its
            if base is None:
                base = per
            print(f"| {lib} | {total * 1e3:.1f} ms | {its} | {per * 1e3:.3f} ms | {per / base:.2f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


main()
