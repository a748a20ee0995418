//! The data sets of the mtq-cluster benches (kmeans, silhouette, k_sweep): the reference
//! study's 1,755-row activations (fixtures of mtq-cluster) and 12,000 x 64 and 60,000 x 64
//! Gaussian blobs (8 centres, std 1, centres in [-10, 10], seed 0); and a wide layer's worth,
//! 50,000 x 512 blobs of the same kind ([`wide`]).

use mtq_testkit::make_blobs;
use ndarray::Array2;

/// `(name, data)` for every bench data set.
pub fn datasets() -> Vec<(String, Array2<f32>)> {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/mtq-cluster/tests/fixtures"
    );
    let mut out = Vec::new();
    for (name, file) in [
        ("acts_h1_1755x32", "acts_h1.npy"),
        ("acts_h2_1755x64", "acts_h2.npy"),
    ] {
        let x: Array2<f32> =
            mtq_data::npy::read_npy(format!("{fixtures}/{file}")).expect("fixture");
        out.push((name.to_string(), x));
    }
    for n in [12_000, 60_000] {
        let (x, _) = make_blobs(n, 64, 8, 1.0, 10.0, 0).expect("blobs");
        out.push((format!("blobs_{n}x64"), x));
    }
    out
}

/// `("blobs_50000x512", data)`: 50,000 x 512 Gaussian blobs (8 centres, std 1, centres in
/// [-10, 10], seed 0), the size of one layer of issue 22's wide study.
pub fn wide() -> (String, Array2<f32>) {
    let (x, _) = make_blobs(50_000, 512, 8, 1.0, 10.0, 0).expect("blobs");
    ("blobs_50000x512".to_string(), x)
}
