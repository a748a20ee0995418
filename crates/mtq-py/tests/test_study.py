"""The Python package against the `mtq` command and scikit-learn's numbers, on the repository's
fixtures: a study of numpy arrays equals `mtq npy`'s study of the same arrays in files; the
silhouette equals scikit-learn's; the GIL is released while a study runs; bad inputs raise clear
errors. Run: `pytest crates/mtq-py/tests` after `maturin develop --release` (or `pip install
./crates/mtq-py`); the comparison with the command runs `$MTQ_BIN` (default: target/release/mtq,
else target/debug/mtq)."""
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import mtq_paths
from mtq_paths import MtqError, Set

ROOT = Path(__file__).resolve().parents[3]
NPY = ROOT / "crates/mtq-signature/tests/fixtures/npy"
SKLEARN = ROOT / "crates/mtq-cluster/tests/fixtures"
LAYERS = ["h1", "h2"]


def fixture_set(name, labels=True):
    layers = {l: np.load(NPY / f"{name}_{l}.npy") for l in LAYERS}
    probs = NPY / f"{name}_probs.npy"
    return Set(layers, labels=np.load(NPY / f"{name}_labels.npy") if labels else None,
               probs=np.load(probs) if probs.exists() else None)


def fixture_study(k=(2, 5), **kw):
    return mtq_paths.study(reference=fixture_set("train"), test=fixture_set("test"),
                           unseen={"u": fixture_set("unseen", labels=False)}, k=k, **kw)


def mtq_bin():
    given = os.environ.get("MTQ_BIN")
    if given:
        return given
    for p in [ROOT / "target/release/mtq", ROOT / "target/debug/mtq"]:
        if p.exists():
            return str(p)
    pytest.fail("no mtq binary: build it (cargo build --release -p mtq-cli) or set MTQ_BIN")


def test_a_study_of_arrays_equals_mtq_npy_on_the_same_files(tmp_path):
    out = tmp_path / "cli"
    subprocess.run([mtq_bin(), "-q", "npy", "--layers", ",".join(LAYERS),
                    "--reference", str(NPY / "train"), "--test", str(NPY / "test"),
                    "--unseen", f"u={NPY / 'unseen'}", "--k-max", "5", "--out", str(out)],
                   check=True, capture_output=True)
    cli = json.loads((out / "report.json").read_text())
    s = fixture_study()
    py = json.loads(s.to_json())
    # every number; only what names the data (the files' prefix, the command) may differ
    for key in ["silhouette_curves", "cluster_tables", "path_tables", "redundancy", "strangers",
                "sankey", "stability", "shown_set"]:
        assert py[key] == cli[key], key
    for key in ["scores", "roc_curves", "trusted", "trusted_key", "monitor"]:
        assert py["anomaly"][key] == cli["anomaly"][key], key
    assert py["summary"]["test_accuracy"] == cli["summary"]["test_accuracy"]
    assert s.k == {c["layer"]: c["chosen_k"] for c in cli["silhouette_curves"]}
    # the same per-sample table, column for column
    cli_csv = (out / "samples.csv").read_text()
    assert s._raw.samples_csv() == cli_csv
    samples = s.samples
    assert list(samples.keys()) == cli_csv.splitlines()[0].split(",")
    assert len(samples[list(samples.keys())[0]]) == len(cli_csv.splitlines()) - 1


def test_the_study_is_deterministic_and_reads_as_python_values(tmp_path):
    a, b = fixture_study(seed=3), fixture_study(seed=3)
    assert a.to_json() == b.to_json()
    assert set(a.k) == {"h1", "h2"}
    assert all(2 <= k <= 5 for k in a.k.values())
    assert [r["layer"] for r in a.redundancy] == ["h2"]
    assert [s["class"] for s in a.strangers] == ["u"]
    assert a.trusted in list(a.auroc.index if hasattr(a.auroc, "index") else a.auroc)
    html_path = a.report(tmp_path / "r")
    assert Path(html_path).name == "report.html" and Path(html_path).exists()
    assert json.loads((tmp_path / "r" / "report.json").read_text()) == a.data
    frame = a._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;svg" in frame
    several = fixture_study(seeds=[0, 1])
    assert several.data["stability"]["seeds"] == [0, 1]


def test_the_silhouette_equals_scikit_learns():
    x = np.load(SKLEARN / "acts_h1.npy")
    labels = np.load(SKLEARN / "h1_labels.npy")
    scores = np.load(SKLEARN / "h1_scores.npy")
    for i in range(labels.shape[0]):  # K = 2..10, scikit-learn's KMeans labels
        assert abs(mtq_paths.silhouette_score(x, labels[i]) - scores[i, 1]) < 1e-6
    small = np.load(SKLEARN / "small_x.npy")
    expected = np.load(SKLEARN / "small_samples.npy").mean()
    assert abs(mtq_paths.silhouette_score(small, np.load(SKLEARN / "small_labels.npy"))
               - expected) < 1e-6


def test_another_thread_runs_while_a_study_runs():
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, n)
    layers = {f"l{i}": (rng.normal(size=(n, 32)) + 3 * y[:, None]).astype(np.float32)
              for i in range(3)}
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    mtq_paths.study(reference=Set(layers, labels=y), k=(2, 6))
    end = time.perf_counter()
    done.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # with the GIL held the ticking thread would stop for the whole study
    assert end - start > 0.05 and len(during) >= 0.3 * (end - start) / 0.0015, (
        len(during), end - start)


def test_bad_inputs_raise_clear_errors():
    ref = fixture_set("train")
    h1, h2 = ref.layers["h1"], ref.layers["h2"]
    y = ref.labels
    with pytest.raises(TypeError, match="layer h1: expected numbers"):
        Set({"h1": h1.astype(str)}, labels=y)
    with pytest.raises(ValueError, match=r"layer h1: expected samples x units \(2 axes\)"):
        Set({"h1": h1[:, 0]}, labels=y)
    with pytest.raises(ValueError, match="layer h2: .* rows, but the set has"):
        Set({"h1": h1, "h2": h2[:-1]}, labels=y)
    with pytest.raises(TypeError, match="labels: expected integers"):
        Set({"h1": h1}, labels=y + 0.5)
    # whole-valued float labels are read as mtq npy reads them
    assert Set({"h1": h1}, labels=y.astype(float)).labels.dtype == np.int64
    with pytest.raises(ValueError, match="layers: two layers are named '1'"):
        Set({1: h1, "1": h1}, labels=y)
    with pytest.raises(ValueError, match="beyond float32's range"):
        Set({"h1": np.full((len(y), 2), 1e300)}, labels=y)
    with pytest.raises(ValueError, match="images: expected .* none of them 0"):
        Set({"h1": h1}, labels=y, images=np.zeros((len(y), 4, 0)))
    with pytest.raises(ValueError, match="labels: row 0 holds -1"):
        Set({"h1": h1}, labels=np.r_[-1, y[1:]])
    # sets whose layers differ from the reference's (a ragged dict)
    with pytest.raises(ValueError, match=r"the test set's layers \['h1'\] are not the reference's"):
        mtq_paths.study(reference=ref, test=Set({"h1": h1}, labels=y))
    with pytest.raises(ValueError, match="the reference set needs labels"):
        mtq_paths.study(reference=Set({"h1": h1}))
    with pytest.raises(ValueError, match="row .* holds 1, but there are 1 classes"):
        mtq_paths.study(reference=ref, classes=["only"])
    # a NaN: the core names the layer and the row, with its cause chain
    bad = h2.copy()
    bad[7, 1] = np.nan
    with pytest.raises(MtqError, match="h2") as e:
        mtq_paths.study(reference=Set({"h1": h1, "h2": bad}, labels=y))
    assert "row 7" in str(e.value)
    # options are ValueErrors naming the argument, before any work
    for kw, message in [({"k": (5, 3)}, "k: expected 2 <= smallest K"),
                        ({"k": 5}, r"k: expected \(smallest K, largest K\)"),
                        ({"seeds": [1, 1]}, "seeds: expected distinct"),
                        ({"seeds": [-1]}, "seeds: expected distinct non-negative"),
                        ({"seed": 1, "seeds": [2]}, "give seed or seeds, not both"),
                        ({"alpha": 1.5}, r"alpha: a false-alarm rate in \(0, 1\)"),
                        ({"silhouette_sample": 1}, "silhouette_sample: at least 2"),
                        ({"unseen": {"": ref}}, "unseen: expected distinct non-empty names"),
                        ({"classes": ["a", "a"]}, "--classes lists a twice")]:
        with pytest.raises(ValueError, match=message):
            mtq_paths.study(reference=ref, **kw)


def test_studies_compared_as_mtq_compare_does(tmp_path):
    a, b = fixture_study(seeds=[0, 1]), fixture_study(seeds=[0, 1], k=(2, 3))
    c = mtq_paths.compare({"A": a, "B": b}, out=tmp_path, resamples=200)
    assert [s["name"] for s in c["comparison"]["studies"]] == ["A", "B"]
    # the same test samples: CKA between their layers; the same activations: 1 on the diagonal
    across = next(m for m in c["comparison"]["similarities"] if (m["a"], m["b"]) == (0, 1))
    assert across["seeds"] == [0, 1]
    assert all(abs(across["cka"]["mean"][i][i] - 1) < 1e-9 for i in range(2))
    assert (tmp_path / "compare.html").exists() and (tmp_path / "compare.md").exists()
    assert json.loads((tmp_path / "compare.json").read_text()) == c
    with pytest.raises(TypeError, match="B: expected a mtq_paths.Study"):
        mtq_paths.compare({"A": a, "B": 1})


def test_torch_modules_are_collected_as_layers():
    torch = pytest.importorskip("torch")
    from mtq_paths.torch import collect
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(3 * 6 * 6, 2))
    x = torch.randn(10, 1, 8, 8)
    layers, probs = collect(model, [x[:4], (x[4:], None)], layers=["1", "3"])
    assert layers["1"].shape == (10, 3) and layers["3"].shape == (10, 2)  # channel means, logits
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-6)
    flat, _ = collect(model, [x], layers=["1"], conv="flatten")
    assert flat["1"].shape == (10, 3 * 6 * 6)
    assert np.allclose(flat["1"].reshape(10, 3, 36).mean(axis=2), layers["1"], atol=1e-6)
    with pytest.raises(ValueError, match="no module named"):
        collect(model, [x], layers=["nope"])
