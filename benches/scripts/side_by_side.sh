#!/usr/bin/env bash
# Side-by-side timings for BENCHMARKS.md: scikit-learn (bench_sklearn.py), scikit-learn-intelex
# and faiss-cpu K-means (bench_sklearn.py --alternatives), faiss-cpu exact kNN (bench_knn.py)
# and ours (the cluster_timings and knn_timings examples), one sitting, one machine, the same
# .npy arrays. PYTHON needs numpy, scikit-learn, faiss-cpu, scikit-learn-intelex. Python runs
# with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (the library's own CPU detection).
#   bash benches/scripts/side_by_side.sh [DATA_DIR] [PYTHON] [extra args, e.g. --only blobs_12000x64 --reps 3]
# DATA_DIR (default /tmp/mtqdata) gets the blobs (bench_sklearn.py --make-blobs) and must hold
# the activation arrays acts_h1_1755x32.npy / acts_h2_1755x64.npy (copies are in
# crates/mtq-cluster/tests/fixtures/acts_h{1,2}.npy). Logs go to DATA_DIR/side_by_side_*.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-/tmp/mtqdata}
PY=${2:-python3}
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$DATA"
[ -f "$DATA/acts_h1_1755x32.npy" ] || cp crates/mtq-cluster/tests/fixtures/acts_h1.npy "$DATA/acts_h1_1755x32.npy"
[ -f "$DATA/acts_h2_1755x64.npy" ] || cp crates/mtq-cluster/tests/fixtures/acts_h2.npy "$DATA/acts_h2_1755x64.npy"
PYX=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY")
"${PYX[@]}" benches/scripts/bench_sklearn.py --make-blobs --data-dir "$DATA"
[ -f "$DATA/knn_ref_12000x64.npy" ] || "${PYX[@]}" benches/scripts/bench_knn.py --make-data --data-dir "$DATA"
cargo build --release -p mtq-cluster --example cluster_timings
cargo build --release -p mtq-cluster --example knn_timings
stamp=$(date -u +%Y%m%dT%H%M%S)
log="$DATA/side_by_side_${stamp}"
uptime | tee "$log.uptime"
"${PYX[@]}" benches/scripts/bench_sklearn.py --data-dir "$DATA" --tag "sbs_$stamp" "$@" | tee "${log}_sklearn.log"
"${PYX[@]}" benches/scripts/bench_sklearn.py --data-dir "$DATA" --tag "sbs_$stamp" --alternatives "$@" | tee "${log}_alternatives.log"
target/release/examples/cluster_timings "$DATA" "$@" | tee "${log}_rust.log"
"${PYX[@]}" benches/scripts/bench_knn.py --data-dir "$DATA" --no-sklearn | tee "${log}_knn_faiss.log"
target/release/examples/knn_timings "$DATA" | tee "${log}_knn_rust.log"
uptime | tee -a "$log.uptime"
