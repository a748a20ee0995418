//! Two more real data sets shipped inside this crate: UCI 8 x 8 digits and Breast Cancer
//! Wisconsin (diagnostic). Both are stored as gzip-compressed `.npy` files next to their
//! licence notes (`data/uci-digits/README.md`, `data/breast-cancer/README.md`).

use std::path::PathBuf;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::npy::{features_from_bytes, gunzip, labels_from_bytes};

const UCI_IMAGES: &[u8] = include_bytes!("../data/uci-digits/images.npy.gz");
const UCI_LABELS: &[u8] = include_bytes!("../data/uci-digits/labels.npy.gz");
const BC_FEATURES: &[u8] = include_bytes!("../data/breast-cancer/features.npy.gz");
const BC_LABELS: &[u8] = include_bytes!("../data/breast-cancer/labels.npy.gz");
const BC_FEATURE_NAMES: &str = include_str!("../data/breast-cancer/feature_names.txt");

/// Decodes one embedded pair of gzip `.npy` files into a data set.
fn decode(set: &str, x: (&[u8], &str), y: (&[u8], &str)) -> Result<Dataset> {
    let name = |file: &str| PathBuf::from(format!("embedded:{set}/{file}"));
    let (x_path, y_path) = (name(x.1), name(y.1));
    let xs = features_from_bytes(&gunzip(x.0, &x_path)?, &x_path)?;
    let ys = labels_from_bytes(&gunzip(y.0, &y_path)?, &y_path)?;
    Dataset::from_named_arrays(xs, ys, x_path, y_path)
}

/// The UCI optical recognition of handwritten digits, 8 x 8 (Alpaydin & Kaynak, 1998), as
/// shipped in scikit-learn (`load_digits`): 1,797 images, grey levels 0..16, 10 classes.
///
/// ```
/// # fn main() -> Result<(), mtq_data::DataError> {
/// use mtq_data::UciDigits;
/// let digits = UciDigits::embedded()?;
/// assert_eq!((digits.n_samples(), digits.image_shape()), (1797, Some((8, 8))));
/// // the 1-vs-7 study, with 3s and 4s as unseen classes
/// let (train, test) = digits.select_classes(&[1, 7])?.stratified_split(0.25, 0)?;
/// let unseen = digits.select_classes(&[3, 4])?;
/// assert_eq!(train.n_samples() + test.n_samples(), 182 + 179);
/// assert_eq!(unseen.class_counts(), [183, 181]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UciDigits;

impl UciDigits {
    /// Number of samples.
    pub const N_SAMPLES: usize = 1797;
    /// Image side (the images are `SIDE x SIDE`).
    pub const SIDE: usize = 8;
    /// Largest grey level (pixels lie in `0..=MAX_LEVEL`).
    pub const MAX_LEVEL: f32 = 16.0;

    /// The 1,797 digits as a [`Dataset`]: features are grey levels divided by 16 (so in
    /// `[0, 1]`, like [`Mnist`](crate::Mnist)), 64 per row with image shape `(8, 8)`; labels
    /// and classes are the digits `0..10`; ids are positions in scikit-learn's order.
    ///
    /// # Errors
    /// Cannot fail on the shipped files; the `.npy` decoding errors otherwise, with sources
    /// named `embedded:uci-digits/<file>`.
    pub fn embedded() -> Result<Dataset> {
        let d = decode(
            "uci-digits",
            (UCI_IMAGES, "images.npy.gz"),
            (UCI_LABELS, "labels.npy.gz"),
        )?;
        let scaled = d.features().mapv(|v| v / Self::MAX_LEVEL);
        d.with_features(scaled).with_classes((0..10).collect())
    }
}

/// Breast Cancer Wisconsin (diagnostic) (Street, Wolberg & Mangasarian, 1993), as shipped in
/// scikit-learn (`load_breast_cancer`): 569 samples, 30 real-valued features, 2 classes
/// (0 = malignant: 212, 1 = benign: 357).
///
/// The features have very different scales (areas in the hundreds, smoothness near 0.1):
/// standardise them with statistics of the training split only,
/// [`Dataset::stratified_split_standardized`]:
///
/// ```
/// # fn main() -> Result<(), mtq_data::DataError> {
/// use mtq_data::BreastCancer;
/// let data = BreastCancer::embedded()?;
/// assert_eq!((data.n_samples(), data.n_features()), (569, 30));
/// assert_eq!(data.class_counts(), [212, 357]);
/// let split = data.stratified_split_standardized(0.25, 0)?;
/// assert_eq!(split.test.class_counts(), [53, 89]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreastCancer;

impl BreastCancer {
    /// Number of samples.
    pub const N_SAMPLES: usize = 569;
    /// Number of features.
    pub const N_FEATURES: usize = 30;
    /// Class names, by label: 0 = malignant, 1 = benign.
    pub const CLASS_NAMES: [&'static str; 2] = ["malignant", "benign"];

    /// The 569 samples as a [`Dataset`]: the 30 raw (unscaled) features as `f32`, labels
    /// 0 (malignant) and 1 (benign), ids the positions in scikit-learn's order.
    ///
    /// # Errors
    /// Cannot fail on the shipped files; the `.npy` decoding errors otherwise, with sources
    /// named `embedded:breast-cancer/<file>`.
    pub fn embedded() -> Result<Dataset> {
        decode(
            "breast-cancer",
            (BC_FEATURES, "features.npy.gz"),
            (BC_LABELS, "labels.npy.gz"),
        )
    }

    /// The 30 feature names in column order (`"mean radius"`, .., `"worst fractal dimension"`).
    pub fn feature_names() -> Vec<&'static str> {
        BC_FEATURE_NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}
