#!/usr/bin/env bash
# Side-by-side timings for BENCHMARKS.md: scikit-learn (bench_sklearn.py) and mtq-cluster
# (the cluster_timings example), one sitting, one machine, the same .npy arrays.
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
"$PY" benches/scripts/bench_sklearn.py --make-blobs --data-dir "$DATA"
cargo build --release -p mtq-cluster --example cluster_timings
stamp=$(date -u +%Y%m%dT%H%M%S)
"$PY" benches/scripts/bench_sklearn.py --data-dir "$DATA" --tag "sbs_$stamp" "$@" | tee "$DATA/side_by_side_${stamp}_sklearn.log"
target/release/examples/cluster_timings "$DATA" "$@" | tee "$DATA/side_by_side_${stamp}_rust.log"
