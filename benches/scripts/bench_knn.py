"""Exact kNN side by side: faiss-cpu IndexFlatL2 (and scikit-learn's brute NearestNeighbors) on
the arrays the Rust example `knn_timings` reads.

    python benches/scripts/bench_knn.py --make-data --data-dir DIR   # writes the arrays once
    python benches/scripts/bench_knn.py --data-dir DIR [--reps N]

Arrays (float32, seeded sklearn make_blobs, 64 features, 10 centres, cluster_std 1.0, centre box
(-10, 10)): knn_ref_12000x64 / knn_query_2000x64 (one 14,000-row draw, random_state 0) timed with
k = 1, and knn_ref_48200x64 / knn_query_10000x64 (one 58,200-row draw, random_state 1) with
k = 50 (the 8-class full-MNIST scoring shape; faiss gives raw distances only, so it is timed
twice there: raw and on L2-normalised copies, as our search returns both). Times are medians
of N runs after one warm-up, index construction (`add`) excluded; faiss's distances are squared,
the sums printed are of their square roots (compare with knn_timings' sums).
"""
import argparse
import os
import statistics
import time

import numpy as np


def make_data(data):
    from sklearn.datasets import make_blobs

    os.makedirs(data, exist_ok=True)
    for n_ref, n_q, seed in ((12000, 2000, 0), (48200, 10000, 1)):
        X, _ = make_blobs(n_samples=n_ref + n_q, n_features=64, centers=10, cluster_std=1.0,
                          center_box=(-10.0, 10.0), shuffle=True, random_state=seed)
        X = X.astype(np.float32)
        np.save(os.path.join(data, f"knn_ref_{n_ref}x64.npy"), X[:n_ref])
        np.save(os.path.join(data, f"knn_query_{n_q}x64.npy"), X[n_ref:])
        print("wrote", n_ref, n_q)


def timed(fn, reps):
    fn()
    ts, r = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.environ.get("MTQ_BENCH_DATA", "/tmp/mtqdata"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--make-data", action="store_true")
    ap.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()
    if args.make_data:
        make_data(args.data_dir)
        return
    import faiss

    print("faiss", faiss.__version__, "omp threads", faiss.omp_get_max_threads())
    for n_ref, n_q, k in ((12000, 2000, 1), (48200, 10000, 50)):
        R = np.load(os.path.join(args.data_dir, f"knn_ref_{n_ref}x64.npy"))
        Q = np.load(os.path.join(args.data_dir, f"knn_query_{n_q}x64.npy"))
        index = faiss.IndexFlatL2(R.shape[1])
        index.add(R)
        t, (D, _) = timed(lambda: index.search(Q, k), args.reps)
        s = float(np.sqrt(np.maximum(D[:, 0], 0)).sum())
        print(f"faiss IndexFlatL2 {n_q} queries x {n_ref} reference x 64 k={k}: "
              f"{t*1e3:.2f} ms (sum of 1-NN {s:.6e})", flush=True)
        if k > 1:
            Rn = R / np.maximum(np.linalg.norm(R, axis=1, keepdims=True), 1e-30)
            Qn = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
            index_n = faiss.IndexFlatL2(R.shape[1])
            index_n.add(Rn.astype(np.float32))
            t2, _ = timed(lambda: index_n.search(Qn.astype(np.float32), k), args.reps)
            print(f"  + the same on L2-normalised rows: {t2*1e3:.2f} ms; raw+L2 {1e3*(t+t2):.2f} ms",
                  flush=True)
        if not args.no_sklearn:
            from sklearn.neighbors import NearestNeighbors

            nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(R)
            t, _ = timed(lambda: nn.kneighbors(Q), max(1, args.reps // 2))
            print(f"scikit-learn NearestNeighbors(brute) same: {t*1e3:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
