"""Keras' side of the extraction benchmark (issue: mtq-activations): `predict(batch_size=256)` of the
layer sub-model (h1, h2, softmax output) of the reference 784-32-64-2 network, on the 1,755 training
1s and 7s and on the 60,000 synthetic inputs that `extract_throughput` uses (same formula).

    MNIST_DIR=.../mnist-10k python benches/scripts/bench_keras_extract.py --peers-dir benches/reference

Median of --reps timed runs after one warm-up; prints one JSON object. Run it in the same minutes as
`cargo run --release -p mtq-activations --example extract_throughput` for side-by-side ratios.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-dir", required=True)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, args.peers_dir)
    from seed_pipeline import build_model, extractor, load_data

    d = load_data()
    ext = extractor(build_model(0))
    n = 60_000
    i = np.arange(n, dtype=np.uint64)[:, None]
    j = np.arange(784, dtype=np.uint64)[None, :]
    synthetic = ((((i * np.uint64(2_654_435_761)) ^ (j * np.uint64(40_503))) % np.uint64(256))
                 .astype(np.float32) / np.float32(255.0))
    out = {}
    for name, x in [("ones_sevens_1755", d["x_train"]), ("synthetic_60000", synthetic)]:
        ext.predict(x, batch_size=256, verbose=0)
        ts = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            ext.predict(x, batch_size=256, verbose=0)
            ts.append(time.perf_counter() - t0)
        med = statistics.median(ts)
        out[name] = {"n": int(len(x)), "predict_s": med, "samples_per_s": len(x) / med}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
