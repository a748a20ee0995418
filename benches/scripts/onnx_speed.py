"""ONNX extraction side by side: mtq (tract) vs onnxruntime, on the same ResNet-18, the same
inputs and the same 2 threads (issue 21: "extraction within 1.5x of onnxruntime").

    cargo build --release -p mtq-activations --features onnx --example onnx_extract
    python benches/scripts/onnx_speed.py --extract target/release/examples/onnx_extract \
        [--extract-before BIN] [--mtq-before BIN] [--mtq-after BIN] [--mnist-dir DIR] \
        [--reps 5] [--work-dir DIR]

Needs torch, torchvision, onnx, onnxruntime and numpy. Steps, one sitting:

1. torchvision `resnet18(num_classes=2)`, seeded (torch.manual_seed(0)). Its input is
   3 x 32 x 32: an MNIST digit padded from 28 x 28 to 32 x 32 and repeated on 3 channels (the
   network itself is unchanged; its adaptive average pooling takes any size). With
   `--mnist-dir DIR` (the four IDX files, plain or `.gz`) it is trained briefly on 1 vs 7 and the inputs are
   MNIST digits; otherwise the weights stay random and the inputs are seeded uniform noise.
2. Exported with `torch.onnx.export` (opset 17, `dynamo=False`, dynamic batch axis) into the
   work dir (a temp dir unless `--work-dir`), with `--n` (3,000) inputs as `X.npy`
   (N x 3 x 32 x 32), `X_flat.npy` (N x 3072, which a binary from before rank-4 `--x` also reads), labels `y.npy`
   (1 or 7) and 800 more inputs `U.npy` (flattened) as an unseen set, so the study sees 3,800.
3. Extraction, interleaved round by round, median of `--reps` rounds after one warm-up:
   - onnxruntime 1.x, 2 intra-op threads, sequential execution, the model with every node mtq
     taps added as a graph output, batches of `--ort-batch`, each rank-4 output reduced to
     channel means with numpy (mtq's default `--conv-tap mean`);
   - mtq: the `onnx_extract` example (load once, untimed; then `ExtractParams` extraction of the
     same taps, batch 1024 as the study), RAYON_NUM_THREADS=2.
   - with `--extract-before`: the same example built from the code before the change.
   Prints the medians and the ratio mtq / onnxruntime (goal: at most 1.5).
4. With `--mtq-before` / `--mtq-after`: the whole study, `mtq onnx MODEL --x X_flat.npy
   --y y.npy --unseen four=U.npy`, under `/usr/bin/time -v` (wall time, max RSS), once each
   (or `--study-reps`), RAYON_NUM_THREADS=2.

Prints a JSON summary on the last line. Generated models and arrays stay in the work dir.
"""
import argparse
import gzip
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(dirname):
    def find(stem):
        for name in os.listdir(dirname):
            if name.startswith(stem):
                return os.path.join(dirname, name)
        raise SystemExit(f"no {stem}* file in --mnist-dir")

    x = read_idx(find("train-images"))
    y = read_idx(find("train-labels"))
    return x, y


def to_input(images):
    """uint8 N x 28 x 28 -> float32 N x 3 x 32 x 32 in [0, 1]."""
    x = images.astype(np.float32) / 255.0
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    return np.repeat(x[:, None], 3, axis=1).astype(np.float32)


def build(args, work):
    import torch
    import torchvision

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    net = torchvision.models.resnet18(num_classes=2)
    rng = np.random.default_rng(0)
    n, n_unseen = args.n, 800
    if args.mnist_dir:
        images, labels = mnist(args.mnist_dir)
        pick = np.flatnonzero((labels == 1) | (labels == 7))
        rng.shuffle(pick)
        train = pick[n:]
        x_all = to_input(images[pick[:n]])
        y_all = labels[pick[:n]].astype(np.int64)
        fours = np.flatnonzero(labels == 4)[:n_unseen]
        unseen = to_input(images[fours])
        # brief training: a few hundred SGD steps on the 1s and 7s not used as inputs
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        net.train()
        for step in range(args.train_steps):
            idx = train[rng.integers(0, len(train), 64)]
            xb = torch.from_numpy(to_input(images[idx]))
            yb = torch.from_numpy((labels[idx] == 7).astype(np.int64))
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
        print(f"trained {args.train_steps} steps, last loss {loss.item():.4f}", file=sys.stderr)
    else:
        x_all = rng.random((n, 3, 32, 32), dtype=np.float32)
        y_all = np.where(rng.random(n) < 0.5, 1, 7).astype(np.int64)
        unseen = rng.random((n_unseen, 3, 32, 32), dtype=np.float32)
    net.eval()
    model = os.path.join(work, "resnet18.onnx")
    torch.onnx.export(
        net,
        torch.zeros(1, 3, 32, 32),
        model,
        opset_version=17,
        dynamo=False,
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
    )
    np.save(os.path.join(work, "X.npy"), x_all)
    np.save(os.path.join(work, "X_flat.npy"), x_all.reshape(n, -1))
    np.save(os.path.join(work, "y.npy"), y_all)
    np.save(os.path.join(work, "U.npy"), unseen.reshape(n_unseen, -1))
    return model


def ort_session(model, taps, threads, work):
    """An onnxruntime session whose outputs are the nodes mtq taps (by node name)."""
    import onnx
    import onnxruntime as ort

    m = onnx.load(model)
    by_name = {node.name or node.output[0]: node for node in m.graph.node}
    outputs = []
    for tap in taps:
        node_name, _, slot = tap.partition(":")
        outputs.append(by_name[node_name].output[int(slot or 0)])
    existing = {o.name for o in m.graph.output}
    for name in outputs:
        if name not in existing:
            m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    tapped = os.path.join(work, "resnet18_taps.onnx")
    onnx.save(m, tapped)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(tapped, so, providers=["CPUExecutionProvider"])
    return sess, outputs


def ort_extract(sess, outputs, x, batch):
    """Every tapped output over `x`, rank-4 outputs as channel means, as mtq stores them."""
    parts = [[] for _ in outputs]
    for start in range(0, len(x), batch):
        outs = sess.run(outputs, {"x": x[start : start + batch]})
        for p, o in zip(parts, outs):
            p.append(o.mean(axis=(2, 3)) if o.ndim == 4 else o.reshape(len(o), -1))
    return [np.concatenate(p) for p in parts]


def mtq_extract(args, model, x_flat, env, binary=None):
    out = subprocess.run(
        [binary or args.extract, model, x_flat, "--batch", str(args.mtq_batch), "--reps", "1"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def study(binary, model, work, env, tag):
    out = os.path.join(work, f"study_{tag}")
    cmd = ["/usr/bin/time", "-v", binary, "onnx", model, "--x", os.path.join(work, "X_flat.npy"),
           "--y", os.path.join(work, "y.npy"), "--unseen", "four=" + os.path.join(work, "U.npy"),
           "--out", out, "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{binary} failed:\n{r.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
    secs = sum(float(p) * 60**i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    user = float(re.search(r"User time \(seconds\): (\S+)", r.stderr).group(1))
    return {"wall_s": secs, "user_s": user, "max_rss_mb": rss / 1024}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extract", required=True, help="the onnx_extract example binary")
    ap.add_argument("--extract-before", help="onnx_extract built before the change (timed too)")
    ap.add_argument("--mtq-before", help="mtq binary before the change (whole study timed)")
    ap.add_argument("--mtq-after", help="mtq binary after the change (whole study timed)")
    ap.add_argument("--mnist-dir", help="folder with the MNIST IDX files: train briefly, real digits")
    ap.add_argument("--work-dir", help="where the model and arrays go (default: a temp dir)")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the model and arrays already in --work-dir (no export, no training)")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--study-reps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ort-batch", type=int, default=256)
    ap.add_argument("--mtq-batch", type=int, default=1024)
    ap.add_argument("--train-steps", type=int, default=150)
    args = ap.parse_args()
    work = args.work_dir or tempfile.mkdtemp(prefix="onnx_speed_")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "resnet18.onnx")
    if not (args.reuse and os.path.exists(model)):
        model = build(args, work)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    x = np.load(os.path.join(work, "X.npy"))
    x_flat = os.path.join(work, "X_flat.npy")

    first = mtq_extract(args, model, x_flat, env)  # warm-up; tells the taps
    taps = first["taps"]
    sess, outputs = ort_session(model, taps, args.threads, work)
    ref = ort_extract(sess, outputs, x, args.ort_batch)  # warm-up
    ort_t, mtq_t, before_t = [], [], []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        ort_extract(sess, outputs, x, args.ort_batch)
        ort_t.append(time.perf_counter() - t0)
        mtq_t.append(mtq_extract(args, model, x_flat, env)["seconds"][0])
        if args.extract_before:
            before = mtq_extract(args, model, x_flat, env, args.extract_before)
            before_t.append(before["seconds"][0])
    widths = [r.shape[1] for r in ref]
    if widths != first["widths"]:
        raise SystemExit(f"tap widths differ: onnxruntime {widths}, mtq {first['widths']}")
    summary = {
        "n": args.n,
        "threads": args.threads,
        "taps": len(taps),
        "onnxruntime_s": statistics.median(ort_t),
        "mtq_s": statistics.median(mtq_t),
        "onnxruntime_runs": ort_t,
        "mtq_runs": mtq_t,
    }
    summary["ratio"] = summary["mtq_s"] / summary["onnxruntime_s"]
    if before_t:
        summary["mtq_before_s"] = statistics.median(before_t)
        summary["mtq_before_runs"] = before_t
        summary["ratio_before"] = summary["mtq_before_s"] / summary["onnxruntime_s"]
    print(f"{len(taps)} taps, {args.n} inputs, {args.threads} threads, median of {args.reps}")
    print(f"  onnxruntime {summary['onnxruntime_s']:.3f} s  (batch {args.ort_batch})")
    print(f"  mtq         {summary['mtq_s']:.3f} s  (batch {args.mtq_batch})")
    if before_t:
        print(f"  mtq before  {summary['mtq_before_s']:.3f} s  (ratio {summary['ratio_before']:.2f})")
    print(f"  ratio       {summary['ratio']:.2f}  (goal <= 1.5: {'met' if summary['ratio'] <= 1.5 else 'not met'})")
    for tag, binary in [("before", args.mtq_before), ("after", args.mtq_after)]:
        if binary:
            runs = [study(binary, model, work, env, tag) for _ in range(args.study_reps)]
            best = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            summary[f"study_{tag}"] = best
            print(f"  study {tag:6}  {best['wall_s']:.2f} s wall, {best['user_s']:.2f} s user, "
                  f"{best['max_rss_mb']:.0f} MB max RSS")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
