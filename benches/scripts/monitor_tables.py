#!/usr/bin/env python3
"""The path monitor's calibration and detection tables (issue: the path monitor).

Runs `mtq` on every (data, network) pair the project studies, seeds 0-4, and prints:

1. calibration: on the held-out test set (never trained on, never calibrated on), the share of
   inputs whose combined p-value (samples.csv `p_value`) is below alpha = 0.01, 0.05, 0.10,
   against the binomial 99 % interval around alpha; with --class-conditional, per predicted
   class too;
2. detection: per task, the AUROC of the trusted score (the monitor's combined p-value), of the
   max-softmax baseline and of the best single-layer score of the same study, mean over
   seeds 0-2; the goal is trusted >= max-softmax and trusted >= best - 0.03.

Usage:
    python3 benches/scripts/monitor_tables.py MTQ_BINARY [--mnist-dir DIR] [--seeds 0,1,2,3,4]

Only numpy and the standard library are needed. --mnist-dir (the four MNIST IDX files) adds the
8-class full-MNIST study; without it that row is skipped.
"""

import argparse
import csv
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ALPHAS = (0.01, 0.05, 0.10)
GLOBAL = ("max-softmax", "path rarity", "combined p-value", "Deep k-NN credibility")


def pairs(mnist_dir):
    out = [
        ("MNIST 1/7, MLP", ["mnist"]),
        ("MNIST 1/7, CNN", ["mnist", "--model", "cnn"]),
        ("UCI digits 1/7, MLP", ["data", "--dataset", "uci-digits"]),
        ("breast cancer, MLP", ["data", "--dataset", "breast-cancer"]),
        (
            "MNIST 1/7, MLP of 19 hidden layers of 16",
            ["mnist", "--hidden", ",".join(["16"] * 19), "--epochs", "3"],
        ),
    ]
    if mnist_dir:
        out.append(
            (
                "MNIST 8 classes (full), MLP",
                ["mnist", "--mnist-dir", mnist_dir, "--classes", "0,1,2,3,4,5,6,7", "--inject", "8,9"],
            )
        )
    return out


def interval(alpha, n):
    """Binomial 99 % interval of the flag rate of n inputs at rate alpha (exact, Clopper-style
    quantiles of Binomial(n, alpha))."""
    # cumulative binomial by the log-pmf recursion: fine for n up to ~10^5
    logp = [0.0] * (n + 1)
    logp[0] = n * math.log1p(-alpha)
    for k in range(1, n + 1):
        logp[k] = logp[k - 1] + math.log((n - k + 1) / k) + math.log(alpha / (1 - alpha))
    cdf, lo, hi = 0.0, None, None
    for k in range(n + 1):
        cdf += math.exp(logp[k])
        if lo is None and cdf >= 0.005:
            lo = k
        if hi is None and cdf >= 0.995:
            hi = k
            break
    return lo / n, hi / n


def run(mtq, args, seed, out, extra=()):
    cmd = [mtq, *args, "--seed", str(seed), "--out", str(out), "-q", *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    report = json.loads((out / "report.json").read_text())
    with open(out / "samples.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["set"] == "test"]
    return report, rows


def detection(report):
    """Per task: (trusted, max-softmax, best single-layer name, its AUROC)."""
    an = report["anomaly"]
    by_task = {}
    for s in an["scores"]:
        for r in s["results"]:
            by_task.setdefault(r["task"], {})[s["name"]] = r["auroc"]
    out = {}
    for task, scores in by_task.items():
        single = {k: v for k, v in scores.items() if not k.startswith(GLOBAL)}
        best = max(single, key=single.get)
        out[task] = (scores[an["trusted"]], scores.get("max-softmax (1 - p)", float("nan")), best, single[best])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mtq")
    ap.add_argument("--mnist-dir")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--long", action="store_true", help="one calibration row per seed and alpha")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    calib, detect, per_class = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in pairs(a.mnist_dir):
            for seed in seeds:
                report, rows = run(a.mtq, args, seed, Path(tmp) / "r")
                n = len(rows)
                for alpha in ALPHAS:
                    flagged = sum(float(r["p_value"]) < alpha for r in rows)
                    lo, hi = interval(alpha, n)
                    calib.append((name, seed, alpha, n, flagged / n, lo, hi))
                if seed <= 2:
                    for task, v in detection(report).items():
                        detect.append((name, seed, task, *v))
            # the class-conditional monitor, seed 0: flag rate per predicted class at 0.05
            _, rows = run(a.mtq, args, 0, Path(tmp) / "c", ["--class-conditional"])
            classes = sorted({r["predicted_class"] for r in rows})
            for c in classes:
                sub = [r for r in rows if r["predicted_class"] == c]
                flagged = sum(float(r["p_value"]) < 0.05 for r in sub)
                lo, hi = interval(0.05, len(sub))
                per_class.append((name, c, len(sub), flagged / len(sub), lo, hi))

    held = sum(lo <= rate <= hi for *_, rate, lo, hi in calib)
    print("## Calibration: flag rate on the test set (p_value < alpha), per seed\n")
    print("| data, network | alpha | n test | flag rate, seeds " + ", ".join(map(str, seeds)) + " | 99 % interval | inside |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in pairs(a.mnist_dir):
        for alpha in ALPHAS:
            rows = [c for c in calib if c[0] == name and c[2] == alpha]
            if not rows:
                continue
            n, lo, hi = rows[0][3], rows[0][5], rows[0][6]
            rates = ", ".join(f"{c[4]:.4f}" if c[5] <= c[4] <= c[6] else f"**{c[4]:.4f}**" for c in rows)
            inside = sum(c[5] <= c[4] <= c[6] for c in rows)
            print(f"| {name} | {alpha} | {n} | {rates} | [{lo:.4f}, {hi:.4f}] | {inside}/{len(rows)} |")
    print(f"\n{held} of {len(calib)} flag rates inside their interval (outside in bold).\n")
    if a.long:
        print("| data, network | seed | alpha | n test | flag rate | 99 % interval | holds |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, seed, alpha, n, rate, lo, hi in calib:
            ok = lo <= rate <= hi
            print(f"| {name} | {seed} | {alpha} | {n} | {rate:.4f} | [{lo:.4f}, {hi:.4f}] | {'yes' if ok else 'NO'} |")
        print()

    print("## Class-conditional (Mondrian) monitor, seed 0, alpha 0.05: flag rate per predicted class\n")
    print("| data, network | predicted class | n | flag rate | 99 % interval | holds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, c, n, rate, lo, hi in per_class:
        print(f"| {name} | {c} | {n} | {rate:.4f} | [{lo:.4f}, {hi:.4f}] | {'yes' if lo <= rate <= hi else 'NO'} |")

    print("\n## Detection: AUROC, mean over seeds 0-2\n")
    print("| data, network | task | trusted (monitor) | max-softmax | best single layer | trusted >= msp | within 0.03 of best |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    keys = sorted({(d[0], d[2]) for d in detect}, key=lambda k: [x[0] for x in pairs(a.mnist_dir)].index(k[0]))
    for name, task in keys:
        rows = [d for d in detect if d[0] == name and d[2] == task]
        t = sum(r[3] for r in rows) / len(rows)
        m = sum(r[4] for r in rows) / len(rows)
        b = sum(r[6] for r in rows) / len(rows)
        best_names = sorted({r[5] for r in rows})
        print(f"| {name} | {task} | {t:.3f} | {m:.3f} | {b:.3f} ({', '.join(best_names)}) | {'yes' if t >= m else 'NO'} | {'yes' if t >= b - 0.03 else 'NO'} |")


if __name__ == "__main__":
    sys.exit(main())
