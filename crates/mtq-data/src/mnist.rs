//! MNIST: the embedded 10,000-digit sample, or the four standard files from a directory.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array1;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};
use crate::idx::{self, IdxImages};

/// Number of MNIST classes (digits 0 to 9).
pub const MNIST_CLASSES: usize = 10;

/// Standard name of the training images file (without `.gz`).
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
/// Standard name of the training labels file (without `.gz`).
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
/// Standard name of the test images file (without `.gz`).
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
/// Standard name of the test labels file (without `.gz`).
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

const EMBEDDED_TRAIN_IMAGES: &[u8] = include_bytes!("../data/mnist-10k/train-images-idx3-ubyte.gz");
const EMBEDDED_TRAIN_LABELS: &[u8] = include_bytes!("../data/mnist-10k/train-labels-idx1-ubyte.gz");
const EMBEDDED_TEST_IMAGES: &[u8] = include_bytes!("../data/mnist-10k/t10k-images-idx3-ubyte.gz");
const EMBEDDED_TEST_LABELS: &[u8] = include_bytes!("../data/mnist-10k/t10k-labels-idx1-ubyte.gz");

/// The paths of the four MNIST files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistPaths {
    /// Training images (IDX, magic 2051).
    pub train_images: PathBuf,
    /// Training labels (IDX, magic 2049).
    pub train_labels: PathBuf,
    /// Test images (IDX, magic 2051).
    pub test_images: PathBuf,
    /// Test labels (IDX, magic 2049).
    pub test_labels: PathBuf,
}

impl MnistPaths {
    /// Finds the four standard file names in `dir`, each as `<name>.gz` or else `<name>`
    /// (also `<name>.GZ`; the content, not the name, decides whether it is decompressed).
    ///
    /// # Errors
    /// [`DataError::MissingFile`] naming the first file not found.
    pub fn in_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let find = |name: &'static str| -> Result<PathBuf> {
            let tried = [format!("{name}.gz"), format!("{name}.GZ"), name.to_owned()];
            tried
                .iter()
                .map(|t| dir.join(t))
                .find(|p| p.is_file())
                .ok_or_else(|| DataError::MissingFile {
                    dir: dir.to_path_buf(),
                    name,
                    tried: tried.to_vec(),
                })
        };
        Ok(Self {
            train_images: find(TRAIN_IMAGES)?,
            train_labels: find(TRAIN_LABELS)?,
            test_images: find(TEST_IMAGES)?,
            test_labels: find(TEST_LABELS)?,
        })
    }
}

/// MNIST as a training and a test [`Dataset`].
///
/// Features are grey levels scaled to `[0, 1]` (pixel / 255), one row of `rows * cols` per image
/// (the image shape is kept); labels are the digits, `classes()` is `0..10`; ids are positions in
/// each file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    train: Dataset,
    test: Dataset,
}

impl Mnist {
    /// The 10,000 real MNIST digits shipped inside this crate (8,000 train, 2,000 test, 28 x 28),
    /// decoded from the embedded gzip files: no file system access, any working directory.
    /// Provenance and licence: `data/mnist-10k/README.md` in this crate.
    ///
    /// # Errors
    /// Cannot fail on the shipped files; returns the reader's errors otherwise (see
    /// [`Mnist::from_readers`]), with sources named `embedded:mnist-10k/<file>`.
    pub fn embedded() -> Result<Self> {
        let name = |n: &str| PathBuf::from(format!("embedded:mnist-10k/{n}.gz"));
        let train = read_split(
            EMBEDDED_TRAIN_IMAGES,
            name(TRAIN_IMAGES),
            EMBEDDED_TRAIN_LABELS,
            name(TRAIN_LABELS),
        )?;
        let test = read_split(
            EMBEDDED_TEST_IMAGES,
            name(TEST_IMAGES),
            EMBEDDED_TEST_LABELS,
            name(TEST_LABELS),
        )?;
        Self::new(train, test)
    }

    /// MNIST from a directory holding the four standard files, raw or gzip (see
    /// [`MnistPaths::in_dir`]); e.g. the full 60,000 + 10,000 digits.
    ///
    /// # Errors
    /// [`DataError::MissingFile`] if a file is missing, else as [`Mnist::from_paths`].
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::from_paths(&MnistPaths::in_dir(dir)?)
    }

    /// MNIST from a directory, keeping only the digits in `classes`, in both splits. The pixels
    /// are decoded as bytes and only the kept images converted to `f32`: a study of two digits
    /// of the full 70,000 holds about a fifth of the memory of [`Mnist::from_dir`]. Ids stay the
    /// positions in the files and `classes()` stays `0..10`, so [`Dataset::select_classes`]
    /// works as on the whole set.
    ///
    /// ```no_run
    /// use mtq_data::Mnist;
    /// # fn main() -> mtq_data::Result<()> {
    /// let mnist = Mnist::from_dir_classes("data/mnist-full", &[1, 7, 4])?;
    /// let ones_sevens = mnist.train().select_classes(&[1, 7])?;
    /// let fours = mnist.test().select_classes(&[4])?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`DataError::NoClasses`] if `classes` is empty, [`DataError::DuplicateClass`] if a digit is
    /// listed twice, [`DataError::UnknownClass`] if one is not a digit; else as
    /// [`Mnist::from_dir`].
    pub fn from_dir_classes(dir: impl AsRef<Path>, classes: &[usize]) -> Result<Self> {
        let keep = keep_mask(classes)?;
        Self::read_paths(&MnistPaths::in_dir(dir)?, &keep, &keep)
    }

    /// As [`Mnist::from_dir_classes`], with one list of digits per split: a study that injects
    /// unseen digits from the test split only needs them there (the 8-class study of the full
    /// set then decodes 48,200 training images instead of 60,000).
    ///
    /// # Errors
    /// As [`Mnist::from_dir_classes`], for either list.
    pub fn from_dir_splits(
        dir: impl AsRef<Path>,
        train_classes: &[usize],
        test_classes: &[usize],
    ) -> Result<Self> {
        let (train, test) = (keep_mask(train_classes)?, keep_mask(test_classes)?);
        Self::read_paths(&MnistPaths::in_dir(dir)?, &train, &test)
    }

    /// MNIST from four explicit file paths, each raw or gzip.
    ///
    /// # Errors
    /// [`DataError::Io`] if a file cannot be read, else as [`Mnist::from_readers`].
    pub fn from_paths(paths: &MnistPaths) -> Result<Self> {
        Self::read_paths(paths, &[true; MNIST_CLASSES], &[true; MNIST_CLASSES])
    }

    /// Reads the two splits (each on its own thread), keeping the digits marked in `keep_train`
    /// and `keep_test`.
    fn read_paths(
        paths: &MnistPaths,
        keep_train: &[bool; MNIST_CLASSES],
        keep_test: &[bool; MNIST_CLASSES],
    ) -> Result<Self> {
        // Labels first: their count bounds how much of the image file is read (or inflated).
        let split = |images: &Path, labels: &Path, keep| -> Result<Dataset> {
            let labels_idx = idx::read_labels_file(labels)?;
            let images_idx = idx::read_images_file_expecting(images, labels_idx.len())
                .map_err(|e| count_mismatch(e, labels))?;
            dataset_from_idx(images_idx, labels_idx, (images, labels), keep)
        };
        let (train, test) = std::thread::scope(|scope| {
            let test = scope.spawn(|| split(&paths.test_images, &paths.test_labels, keep_test));
            let train = split(&paths.train_images, &paths.train_labels, keep_train);
            (train, test.join())
        });
        let test = test.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Self::new(train?, test?)
    }

    /// MNIST from four readers, each raw or gzip; errors name them by the standard file names.
    ///
    /// # Errors
    /// Any IDX error of [`idx::read_images`] or [`idx::read_labels`];
    /// [`DataError::CountMismatch`] if an image file and its label file disagree on the count;
    /// [`DataError::LabelOutOfRange`] if a label is not a digit;
    /// [`DataError::ImageShapeMismatch`] if training and test images differ in shape.
    pub fn from_readers(
        train_images: impl Read,
        train_labels: impl Read,
        test_images: impl Read,
        test_labels: impl Read,
    ) -> Result<Self> {
        let train = read_split(
            train_images,
            TRAIN_IMAGES.into(),
            train_labels,
            TRAIN_LABELS.into(),
        )?;
        let test = read_split(
            test_images,
            TEST_IMAGES.into(),
            test_labels,
            TEST_LABELS.into(),
        )?;
        Self::new(train, test)
    }

    fn new(train: Dataset, test: Dataset) -> Result<Self> {
        if let (Some(a), Some(b)) = (train.image_shape(), test.image_shape())
            && a != b
        {
            return Err(DataError::ImageShapeMismatch { train: a, test: b });
        }
        Ok(Self { train, test })
    }

    /// The training set.
    pub fn train(&self) -> &Dataset {
        &self.train
    }

    /// The test set.
    pub fn test(&self) -> &Dataset {
        &self.test
    }

    /// `(train, test)`, by value.
    pub fn into_split(self) -> (Dataset, Dataset) {
        (self.train, self.test)
    }
}

/// The digits of `classes` as a mask.
fn keep_mask(classes: &[usize]) -> Result<[bool; MNIST_CLASSES]> {
    if classes.is_empty() {
        return Err(DataError::NoClasses);
    }
    let mut keep = [false; MNIST_CLASSES];
    for &class in classes {
        match keep.get_mut(class) {
            Some(true) => return Err(DataError::DuplicateClass { class }),
            Some(k) => *k = true,
            None => {
                return Err(DataError::UnknownClass {
                    class,
                    available: (0..MNIST_CLASSES).collect(),
                });
            }
        }
    }
    Ok(keep)
}

fn read_split(
    images: impl Read,
    images_name: PathBuf,
    labels: impl Read,
    labels_name: PathBuf,
) -> Result<Dataset> {
    let labels_idx = idx::read_labels(labels, &labels_name)?;
    let images_idx = idx::read_images_expecting(images, &images_name, labels_idx.len())
        .map_err(|e| count_mismatch(e, &labels_name))?;
    dataset_from_idx(
        images_idx,
        labels_idx,
        (&images_name, &labels_name),
        &[true; MNIST_CLASSES],
    )
}

/// [`DataError::UnexpectedCount`] of an image file read against its label file, as the
/// [`DataError::CountMismatch`] that names both files.
fn count_mismatch(e: DataError, labels_path: &Path) -> DataError {
    match e {
        DataError::UnexpectedCount {
            path,
            declared,
            expected,
        } => DataError::CountMismatch {
            images_path: path,
            labels_path: labels_path.to_path_buf(),
            images: declared as usize,
            labels: expected,
        },
        e => e,
    }
}

/// Checks counts and label range, then builds the `[0, 1]`-scaled data set of the images whose
/// digit is marked in `keep` (ids: positions in the files).
fn dataset_from_idx(
    images: IdxImages,
    labels: Array1<u8>,
    (images_path, labels_path): (&Path, &Path),
    keep: &[bool; MNIST_CLASSES],
) -> Result<Dataset> {
    if images.len() != labels.len() {
        return Err(DataError::CountMismatch {
            images_path: images_path.to_path_buf(),
            labels_path: labels_path.to_path_buf(),
            images: images.len(),
            labels: labels.len(),
        });
    }
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= MNIST_CLASSES)
    {
        return Err(DataError::LabelOutOfRange {
            path: labels_path.to_path_buf(),
            index,
            label,
            n_classes: MNIST_CLASSES,
        });
    }
    let (rows, cols) = (images.rows(), images.cols());
    let (features, labels, ids) = if keep.iter().all(|&k| k) {
        let ids = Array1::from_iter(0..labels.len());
        (images.to_unit_f32(), labels.mapv(usize::from), ids)
    } else {
        let kept: Vec<usize> = (0..labels.len())
            .filter(|&i| keep[usize::from(labels[i])])
            .collect();
        let digits = kept.iter().map(|&i| usize::from(labels[i])).collect();
        (images.select_unit_f32(&kept)?, digits, Array1::from(kept))
    };
    Dataset::with_ids(features, labels, ids)?
        .with_classes((0..MNIST_CLASSES).collect())?
        .with_image_shape(rows, cols)
}
