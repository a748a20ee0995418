"""The README's comparison of models and data sets: MLP vs CNN (convolution blocks as channel
means, and as flattened maps) on the embedded MNIST 1/7 (4s and 3s unseen), the MLP on UCI 8x8 digits (1/7, 4s and 3s unseen) and on Breast Cancer Wisconsin,
each for seeds 0, 1, 2, means over the seeds.

Runs the release `mtq` once per study and seed under `/usr/bin/time -v` (wall time and peak
memory of the whole process), reads each report.json and prints two Markdown tables: the
findings, and the study times. Standard library only.

    cargo build --release -p mtq-cli
    python3 benches/scripts/compare_models.py [--mtq target/release/mtq] [--seeds 0,1,2]
"""

import argparse
import json
import re
import statistics
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

STUDIES = [
    ("MNIST 1/7, MLP 784-32-64-2", ["mnist"]),
    ("MNIST 1/7, CNN (LeNet-style)", ["mnist", "--model", "cnn"]),
    ("MNIST 1/7, CNN, maps flattened", ["mnist", "--model", "cnn", "--conv-tap", "flatten"]),
    ("UCI digits 1/7, MLP 64-32-64-2", ["data", "--dataset", "uci-digits"]),
    ("Breast cancer, MLP 30-32-64-2", ["data", "--dataset", "breast-cancer"]),
]


def run(mtq, args, seed, out):
    cmd = ["/usr/bin/time", "-v", mtq, "-q", *args, "--seed", str(seed), "--out", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    seconds = sum(float(x) * 60**i for i, x in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return json.loads((out / "report.json").read_text()), seconds, rss / 1024


def findings(report):
    """The numbers of one seed's report."""
    layers = report["summary"]["layers"]
    ks = [c["chosen_k"] for c in report["silhouette_curves"]]
    redundant = [p["second"] for p in report["redundancy"]["pairs"] if p["redundant"]]
    scores = {s["name"]: [r["auroc"] for r in s["results"]] for s in report["anomaly"]["scores"]}
    trusted = report["anomaly"].get("trusted")
    # per unseen class (or, without any, per reference class): its most taken path and share,
    # and the class it is most often predicted as, with its share
    predicted = {
        s["class"]: max(s["predicted"], key=lambda p: p["count"]) for s in report["strangers"]
    }
    tables = [t for t in report["path_tables"] if t["injected"]] or report["path_tables"]
    unseen = {}
    for table in tables:
        top = table["rows"][0]
        pred = predicted.get(table["class"])
        unseen[table["class"]] = (
            " > ".join(top["path"]),
            (pred["label"], pred["count"] / table["n_samples"]) if pred else None,
            top["count"] / table["n_samples"],
        )
    return {
        "accuracy": report["summary"]["test_accuracy"],
        "layers": layers,
        "ks": ks,
        "redundant": redundant,
        "trusted": trusted,
        "trusted_auroc": scores.get(trusted) if trusted else None,
        "softmax_auroc": scores.get("max-softmax (1 - p)"),
        "unseen": unseen,
    }


def mean(xs):
    return statistics.fmean(xs) if xs else float("nan")


def row(name, per_seed):
    n = len(per_seed)
    acc = [f["accuracy"] for f in per_seed]
    ks = Counter(
        ", ".join(f"{l} {k}" for l, k in zip(f["layers"], f["ks"])) for f in per_seed
    )
    ks = "; ".join(f"{k} ({c}/{n})" if len(ks) > 1 else k for k, c in ks.most_common())
    red = Counter(l for f in per_seed for l in f["redundant"])
    red = ", ".join(f"{l} ({c}/{n})" for l, c in red.items()) or "none"
    unseen = []
    for cls in per_seed[0]["unseen"]:
        paths = Counter(f["unseen"][cls][0] for f in per_seed)
        path, c = paths.most_common(1)[0]
        share = mean([f["unseen"][cls][2] for f in per_seed if f["unseen"][cls][0] == path])
        line = f"{cls}: {path} ({share:.0%}, {c}/{n} seeds)"
        preds = [f["unseen"][cls][1] for f in per_seed if f["unseen"][cls][1]]
        if preds:
            label, k = Counter(p[0] for p in preds).most_common(1)[0]
            share = mean([p[1] for p in preds if p[0] == label])
            line += f"; predicted {label} ({share:.0%}, {k}/{n} seeds)"
        unseen.append(line)
    trusted_names = Counter(f["trusted"] for f in per_seed if f["trusted"])
    if per_seed[0]["trusted_auroc"]:
        tasks = list(per_seed[0]["unseen"])
        t = [mean([f["trusted_auroc"][i] for f in per_seed]) for i in range(len(tasks))]
        s = [mean([f["softmax_auroc"][i] for f in per_seed]) for i in range(len(tasks))]
        names = "; ".join(f"{k} ({c}/{n})" for k, c in trusted_names.most_common())
        trusted = ", ".join(f"{a:.3f}" for a in t) + f" ({names})"
        softmax = ", ".join(f"{a:.3f}" for a in s)
    else:
        trusted = softmax = "— (no unseen class)"
    return (
        f"| {name} | {mean(acc):.4f} ({', '.join(f'{a:.4f}' for a in acc)}) | {ks} | {red} | "
        f"{'<br>'.join(unseen) or '—'} | {trusted} | {softmax} |"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mtq", default="target/release/mtq")
    ap.add_argument("--seeds", default="0,1,2")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    rows, times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in STUDIES:
            per_seed, secs, mems = [], [], []
            for seed in seeds:
                report, s, mb = run(a.mtq, args, seed, Path(tmp) / f"{len(rows)}-{seed}")
                per_seed.append(findings(report))
                secs.append(s)
                mems.append(mb)
            rows.append(row(name, per_seed))
            times.append(
                f"| {name} | `mtq -q {' '.join(args)} --seed S` | "
                f"{', '.join(f'{s:.2f}' for s in secs)} | {statistics.median(secs):.2f} | "
                f"{max(mems):.0f} |"
            )
    print(f"Means over seeds {', '.join(map(str, seeds))} (per-seed values in brackets).\n")
    print(
        "| data, model | test accuracy | K per layer | redundant layer (seeds) | where the unseen "
        "classes go: most taken path, most predicted class (share; without unseen classes: each "
        "class's path) | AUROC of the trusted score, per unseen class | AUROC of max-softmax |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print("\n| study | command | wall time per seed (s) | median (s) | peak RSS (MB) |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(times))


if __name__ == "__main__":
    main()
