//! The embedded UCI digits and Breast Cancer sets against figures computed with numpy from the
//! original `.npy` files (`np.bincount(labels)`, `images.sum()`, `features.mean(0)`,
//! `features.std(0)`, first rows).

use mtq_data::{BreastCancer, Dataset, UciDigits};
use ndarray::Axis;

#[test]
fn uci_digits_shape_labels_and_pixels_match_numpy() -> mtq_data::Result<()> {
    let d = UciDigits::embedded()?;
    assert_eq!(d.n_samples(), UciDigits::N_SAMPLES);
    assert_eq!(d.n_features(), 64);
    assert_eq!(d.image_shape(), Some((8, 8)));
    assert_eq!(d.classes(), (0..10).collect::<Vec<_>>());
    // np.bincount(labels)
    assert_eq!(
        d.class_counts(),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    // labels[:10] == 0..9
    assert_eq!(
        d.labels().iter().take(10).copied().collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    // images.sum() == 561718 grey levels; features are levels / 16
    let total: f64 = d.features().iter().map(|&v| f64::from(v) * 16.0).sum();
    assert!((total - 561_718.0).abs() < 1e-6, "{total}");
    assert!(d.features().iter().all(|&v| (0.0..=1.0).contains(&v)));
    // images[0]
    let first: Vec<f32> = d.features().row(0).iter().map(|v| v * 16.0).collect();
    let expected = [
        0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0,
        0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0,
        0, 6, 13, 10, 0, 0, 0,
    ];
    assert_eq!(first, expected.map(|v| v as f32));
    // the 1-vs-7 study with 3s and 4s unseen
    let ones_sevens = d.select_classes(&[1, 7])?;
    assert_eq!(ones_sevens.class_counts(), [182, 179]);
    let (train, test) = ones_sevens.stratified_split(0.3, 0)?;
    assert_eq!(test.class_counts(), [54, 54]);
    assert_eq!(train.n_samples(), 361 - 108);
    Ok(())
}

#[test]
fn breast_cancer_shape_labels_and_statistics_match_numpy() -> mtq_data::Result<()> {
    let d = BreastCancer::embedded()?;
    assert_eq!((d.n_samples(), d.n_features()), (569, 30));
    assert_eq!(d.image_shape(), None);
    assert_eq!(d.class_counts(), [212, 357]); // np.bincount(labels)
    assert_eq!(BreastCancer::CLASS_NAMES, ["malignant", "benign"]);
    let names = BreastCancer::feature_names();
    assert_eq!(names.len(), 30);
    assert_eq!(names[0], "mean radius");
    assert_eq!(names[29], "worst fractal dimension");
    // features[0, :5]
    let row: Vec<f32> = d.features().row(0).iter().take(5).copied().collect();
    assert_eq!(row, [17.99, 10.38, 122.8, 1001.0, 0.1184]);
    // features.mean(0)[:5], features.std(0)[:5]
    let mean = d
        .features()
        .mapv(f64::from)
        .mean_axis(Axis(0))
        .expect("rows");
    let std = d.features().mapv(f64::from).std_axis(Axis(0), 0.0);
    let np_mean = [
        14.127291739894563,
        19.28964850615117,
        91.96903339191566,
        654.8891036906857,
        0.096360281195079,
    ];
    let np_std = [
        3.5209507607110626,
        4.297254637090421,
        24.277619293053174,
        351.6047540632298,
        0.014051764066591201,
    ];
    for j in 0..5 {
        assert!((mean[j] - np_mean[j]).abs() < 1e-5 * np_mean[j], "mean {j}");
        assert!((std[j] - np_std[j]).abs() < 1e-5 * np_std[j], "std {j}");
    }
    // features.sum() == 1056474.4596356 (f32 storage: relative 1e-6)
    let total: f64 = d.features().iter().map(|&v| f64::from(v)).sum();
    assert!((total - 1_056_474.459_635_6).abs() < 1.0, "{total}");

    let split = d.stratified_split_standardized(0.25, 0)?;
    assert_eq!(split.test.class_counts(), [53, 89]);
    assert_eq!(split.train.class_counts(), [159, 268]);
    let train_mean = split.train.features().mean_axis(Axis(0)).expect("rows");
    assert!(train_mean.iter().all(|m| m.abs() < 1e-4));
    // the test split is not centred by its own statistics
    let test_mean = split.test.features().mean_axis(Axis(0)).expect("rows");
    assert!(test_mean.iter().any(|m| m.abs() > 1e-3));
    Ok(())
}

#[test]
fn from_npy_reads_files_written_by_numpy_layout() -> Result<(), Box<dyn std::error::Error>> {
    use mtq_data::npy::write_npy;
    let dir = std::env::temp_dir().join(format!("mtq-data-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let images = ndarray::Array3::from_shape_fn((4, 3, 2), |(i, j, k)| (i * 6 + j * 2 + k) as f64);
    write_npy(dir.join("x.npy"), &images)?;
    write_npy(dir.join("y.npy"), &ndarray::arr1(&[3i64, 5, 3, 5]))?;
    let d = Dataset::from_npy(dir.join("x.npy"), dir.join("y.npy"))?;
    assert_eq!(d.image_shape(), Some((3, 2)));
    assert_eq!(d.features().row(3).to_vec(), [18., 19., 20., 21., 22., 23.]);
    assert_eq!(d.class_counts(), [0, 0, 0, 2, 0, 2]);
    let d = d.relabel();
    assert_eq!(
        (d.classes(), d.labels().to_vec()),
        (&[3, 5][..], vec![0, 1, 0, 1])
    );
    let unseen = mtq_data::npy::read_npy_features(dir.join("x.npy"))?;
    let unseen = Dataset::from_array(unseen, ndarray::Array1::from_elem(4, 9))?;
    assert_eq!(
        (unseen.n_samples(), unseen.image_shape()),
        (4, Some((3, 2)))
    );
    assert_eq!(
        mtq_data::npy::read_npy_labels(dir.join("y.npy"))?.to_vec(),
        [3, 5, 3, 5]
    );
    // a missing file names itself
    let err = Dataset::from_npy(dir.join("x.npy"), dir.join("missing.npy")).unwrap_err();
    assert!(err.to_string().contains("missing.npy"), "{err}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
