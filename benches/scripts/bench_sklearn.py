"""Speed baseline: scikit-learn K-means + silhouette "K sweep" on fixed .npy inputs.

MTQ Paths copy of the reference pipeline's bench_sklearn.py, adapted: the data folder and the results folder
are options (--data-dir, default $MTQ_BENCH_DATA or /tmp/mtqdata; --out-dir, default <data-dir>/results)
so that nothing is written beside the script. Run it with the Rust side by side via
benches/scripts/side_by_side.sh. Everything timed is unchanged from the reference script.

Run (from the peers folder; seed_pipeline.py --seed 0 --save-data must have run first for the
activation arrays; the blobs are generated here once, deterministically):
    .venv/bin/python bench_sklearn.py --make-blobs            # writes data/blobs_*.npy if missing
    .venv/bin/python bench_sklearn.py --tag asis               # environment as it is
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench_sklearn.py --tag unset
Options: --only NAME (one data set), --reps N (timed repetitions; default 5, 3 for 60k),
--alternatives (instead: K-means K = 2..10, n_init 1, seed 0 with scikit-learn, scikit-learn-intelex
(oneDAL) and faiss-cpu (faiss.Kmeans, 20 iterations) on the same array, sums of per-K medians).

What is timed (time.perf_counter, one process, library threads left at their defaults; one
untimed warm-up call before the timed ones, except silhouette and sweep on the 60k set;
medians are reported):
  * KMeans(n_clusters=k, n_init=1, init='k-means++', algorithm='lloyd', random_state=0).fit(X)
    for k = 2..10 (per k, plus n_iter_ and inertia_), "kmeans_total" = sum of per-k medians;
  * silhouette_score(X, labels_k) (euclidean, all samples) per k, "silhouette_total" likewise;
  * "sweep": one loop over k = 2..10 doing KMeans fit + silhouette_score, timed as a whole;
  * on blobs 60000x64 also KMeans(n_clusters=8, n_init=10, ...) (same other settings).
Writes results/bench_sklearn_{tag}.json (includes threadpoolctl info and OPENBLAS_* variables).
"""
import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("MTQ_BENCH_DATA", "/tmp/mtqdata")
KS = list(range(2, 11))
DATASETS = {
    "acts_h1_1755x32": "acts_h1_1755x32.npy",
    "acts_h2_1755x64": "acts_h2_1755x64.npy",
    "blobs_12000x64": "blobs_12000x64.npy",
    "blobs_60000x64": "blobs_60000x64.npy",
}


def make_blobs_files():
    from sklearn.datasets import make_blobs

    for n in (12000, 60000):
        p = os.path.join(DATA, f"blobs_{n}x64.npy")
        if os.path.exists(p):
            print("exists", p)
            continue
        # same random_state -> the same 8 centres for both sizes (centres are drawn first)
        X, y = make_blobs(n_samples=n, n_features=64, centers=8, cluster_std=1.0,
                          center_box=(-10.0, 10.0), shuffle=True, random_state=0)
        np.save(p, X.astype(np.float32))
        np.save(os.path.join(DATA, f"blobs_{n}x64_labels.npy"), y.astype(np.int32))
        print("wrote", p)


def timed(fn, reps, warmup=True):
    if warmup:
        fn()  # untimed warm-up call
    ts, r = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), ts, r


def bench_one(X, reps):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    def km(k, n_init=1):
        return KMeans(n_clusters=k, n_init=n_init, init="k-means++", algorithm="lloyd",
                      random_state=0)

    # on the 60k set one silhouette call takes ~30 s: no warm-up needed (nor affordable) there
    warm = X.shape[0] < 50000
    per_k = {}
    for k in KS:
        t_km, ts_km, model = timed(lambda: km(k).fit(X), reps)
        labels = model.labels_
        t_sil, ts_sil, sil = timed(lambda: silhouette_score(X, labels), reps, warm)
        per_k[str(k)] = {"kmeans_s": t_km, "kmeans_runs_s": ts_km, "n_iter": int(model.n_iter_),
                         "inertia": float(model.inertia_), "silhouette_s": t_sil,
                         "silhouette_runs_s": ts_sil, "silhouette": float(sil)}
        print(f"  k={k:2d} kmeans {t_km*1e3:9.2f} ms (iter {model.n_iter_:3d})  "
              f"silhouette {t_sil*1e3:10.2f} ms  s={sil:.5f}", flush=True)

    def sweep():
        best = None
        for k in KS:
            lab = km(k).fit(X).labels_
            s = silhouette_score(X, lab)
            if best is None or s > best[1]:
                best = (k, s)
        return best

    t_sw, ts_sw, best = timed(sweep, reps, warm)
    res = {"shape": list(X.shape), "dtype": str(X.dtype), "reps": reps, "per_k": per_k,
           "kmeans_total_s": sum(v["kmeans_s"] for v in per_k.values()),
           "silhouette_total_s": sum(v["silhouette_s"] for v in per_k.values()),
           "sweep_s": t_sw, "sweep_runs_s": ts_sw, "sweep_best_k": int(best[0])}
    print(f"  kmeans_total {res['kmeans_total_s']:.3f} s  silhouette_total "
          f"{res['silhouette_total_s']:.3f} s  sweep {t_sw:.3f} s (best k {best[0]})", flush=True)
    return res


def bench_alternatives(X, reps):
    """K-means K = 2..10, n_init 1, k-means++ / seed 0 where the library has it: scikit-learn
    (Lloyd), scikit-learn-intelex (oneDAL's KMeans, same parameters) and faiss-cpu
    (faiss.Kmeans(niter=20, nredo=1, seed=0): its own initialisation, a fixed iteration count).
    Per library the sum over K of per-K medians (one untimed warm-up per K)."""
    from sklearn.cluster import KMeans

    res = {}
    libs = {"scikit-learn": lambda k: KMeans(n_clusters=k, n_init=1, init="k-means++",
                                             algorithm="lloyd", random_state=0).fit(X)}
    try:
        from sklearnex.cluster import KMeans as KMeansX

        libs["scikit-learn-intelex"] = lambda k: KMeansX(
            n_clusters=k, n_init=1, init="k-means++", algorithm="lloyd", random_state=0).fit(X)
    except ImportError as e:
        print("  scikit-learn-intelex not available:", e)
    try:
        import faiss

        def fk(k):
            km = faiss.Kmeans(X.shape[1], k, niter=20, nredo=1, seed=0, verbose=False)
            km.train(np.ascontiguousarray(X, dtype=np.float32))
            return km

        libs["faiss-cpu"] = fk
    except ImportError as e:
        print("  faiss-cpu not available:", e)
    for name, fit in libs.items():
        total = 0.0
        for k in KS:
            t, _, _ = timed(lambda: fit(k), reps)
            total += t
        res[name] = total
        print(f"  {name:22s} KMeans K=2..10 n_init 1: {total*1e3:8.2f} ms", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", default="asis")
    ap.add_argument("--only", default=None)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--make-blobs", action="store_true")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out-dir", default=None)
    ap.add_argument("--alternatives", action="store_true")
    args = ap.parse_args()
    global DATA
    if args.data_dir:
        DATA = args.data_dir
    out_dir = args.out_dir or os.path.join(DATA, "results")
    if args.make_blobs:
        make_blobs_files()
        return

    import scipy
    import sklearn
    import threadpoolctl
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_info

    out = {"tag": args.tag,
           "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                   "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                   "MKL_NUM_THREADS")},
           "versions": {"python": platform.python_version(), "numpy": np.__version__,
                        "scipy": scipy.__version__, "sklearn": sklearn.__version__,
                        "threadpoolctl": threadpoolctl.__version__},
           "cpu_count": os.cpu_count(), "datasets": {}}
    X0 = np.load(os.path.join(DATA, DATASETS["acts_h1_1755x32"]))
    KMeans(n_clusters=2, n_init=1, random_state=0).fit(X0)  # load the OpenMP/BLAS libraries
    out["threadpool_info"] = threadpool_info()
    print("env", out["env"])
    for i in out["threadpool_info"]:
        print("threadpool", i.get("internal_api"), i.get("architecture"), i.get("version"),
              "threads", i.get("num_threads"), os.path.basename(i.get("filepath", "")))

    for name, fn in DATASETS.items():
        if args.only and args.only != name:
            continue
        X = np.load(os.path.join(DATA, fn))
        reps = args.reps or (3 if X.shape[0] >= 50000 else 5)
        print(f"{name} {X.shape} {X.dtype} reps={reps}", flush=True)
        if args.alternatives:
            out["datasets"][name] = {"kmeans_alternatives_s": bench_alternatives(X, reps)}
        else:
            out["datasets"][name] = bench_one(X, reps)

    if args.alternatives:
        args.tag += "_alternatives"
    elif not args.only or args.only == "blobs_60000x64":
        X = np.load(os.path.join(DATA, DATASETS["blobs_60000x64"]))
        t, ts, m = timed(lambda: KMeans(n_clusters=8, n_init=10, init="k-means++",
                                        algorithm="lloyd", random_state=0).fit(X), 3)
        out["kmeans_ninit10_k8_60000x64"] = {"s": t, "runs_s": ts, "n_iter": int(m.n_iter_),
                                             "inertia": float(m.inertia_)}
        print(f"KMeans n_init=10 k=8 60000x64: {t:.3f} s (n_iter of best {m.n_iter_})")

    os.makedirs(out_dir, exist_ok=True)
    suffix = f"_{args.only}" if args.only else ""
    with open(os.path.join(out_dir, f"bench_sklearn_{args.tag}{suffix}.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
