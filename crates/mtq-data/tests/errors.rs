//! One test per `DataError` variant the readers and scalers produce (dataset-shaping variants
//! are tested beside their code): each malformed input is made here by cutting or editing bytes.

mod common;

use std::path::{Path, PathBuf};

use common::{TempDir, gzip, image_bytes, images, label_bytes, labels};
use mtq_data::idx::{read_images, read_images_file, read_labels, write_images_file};
use mtq_data::{DataError, Dataset, IdxImages, Mnist, MnistPaths, Scaler};
use ndarray::{Array1, Array2, array};

fn good_images() -> Vec<u8> {
    image_bytes(&images(5, 3, 2))
}

#[test]
fn missing_file_is_io_with_path() {
    let path = Path::new("/nonexistent/mtq/train-images-idx3-ubyte.gz");
    let err = read_images_file(path).unwrap_err();
    assert!(
        matches!(&err, DataError::Io { path: p, .. } if p == path),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("/nonexistent/mtq/train-images-idx3-ubyte.gz")
    );
}

#[test]
fn unwritable_path_is_write_error() {
    let path = Path::new("/nonexistent/mtq/out-idx3-ubyte");
    let err = write_images_file(path, &images(1, 1, 1)).unwrap_err();
    assert!(
        matches!(&err, DataError::Write { path: p, .. } if p == path),
        "{err}"
    );
}

#[test]
fn directory_without_the_files_is_missing_file() {
    let dir = TempDir::new("missing");
    let err = Mnist::from_dir(&dir.0).unwrap_err();
    assert!(
        matches!(&err, DataError::MissingFile { name: "train-images-idx3-ubyte", tried, .. } if tried.len() == 3),
        "{err}"
    );
    assert!(matches!(
        MnistPaths::in_dir(&dir.0),
        Err(DataError::MissingFile { .. })
    ));
}

#[test]
fn empty_input_is_empty() {
    assert!(
        matches!(read_images(&[][..], "x"), Err(DataError::Empty { path }) if path == Path::new("x"))
    );
    // A valid gzip stream of nothing is empty too.
    assert!(matches!(
        read_labels(&gzip(&[])[..], "y.gz"),
        Err(DataError::Empty { .. })
    ));
}

#[test]
fn content_not_name_decides_gzip() {
    // Raw bytes under a `.gz` name are read as raw (kind 7: recognised by content).
    assert_eq!(
        read_images(&good_images()[..], "train-images-idx3-ubyte.gz")
            .unwrap()
            .len(),
        5
    );
    // The same bytes under a raw name are read fine, and gzip under a raw name is detected.
    assert_eq!(read_images(&good_images()[..], "raw").unwrap().len(), 5);
    assert_eq!(
        read_images(&gzip(&good_images())[..], "raw").unwrap().len(),
        5
    );
}

#[test]
fn corrupt_or_cut_gzip_is_decompress() {
    let gz = gzip(&good_images());
    let mut corrupt = gz.clone();
    for b in &mut corrupt[10..] {
        *b ^= 0x5a;
    }
    assert!(matches!(
        read_images(&corrupt[..], "c.gz"),
        Err(DataError::Decompress { .. })
    ));
    let cut = &gz[..gz.len() - 9];
    assert!(matches!(
        read_images(cut, "cut.gz"),
        Err(DataError::Decompress { .. })
    ));
}

#[test]
fn short_header_is_header_too_short() {
    let bytes = good_images();
    for len in [1, 3, 4, 15] {
        let err = read_images(&bytes[..len], "h").unwrap_err();
        assert!(
            matches!(err, DataError::HeaderTooShort { expected: 16, actual, .. } if actual == len),
            "{len}: {err}"
        );
    }
    let labels = label_bytes(&labels(3));
    assert!(matches!(
        read_labels(&labels[..6], "l"),
        Err(DataError::HeaderTooShort {
            expected: 8,
            actual: 6,
            ..
        })
    ));
}

#[test]
fn wrong_magic_is_bad_magic() {
    // A label file given as images, and the reverse.
    let labels = label_bytes(&labels(3));
    assert!(matches!(
        read_images(&labels[..], "l"),
        Err(DataError::BadMagic {
            expected: 2051,
            found: 2049,
            ..
        })
    ));
    assert!(matches!(
        read_labels(&good_images()[..], "i"),
        Err(DataError::BadMagic {
            expected: 2049,
            found: 2051,
            ..
        })
    ));
    let mut bytes = good_images();
    bytes[2] = 0x0d; // f32 element type
    assert!(matches!(
        read_images(&bytes[..], "f"),
        Err(DataError::BadMagic { found: 0x0d03, .. })
    ));
}

#[test]
fn zero_rows_or_cols_is_empty_image() {
    let mut bytes = good_images();
    bytes[8..12].copy_from_slice(&0u32.to_be_bytes());
    assert!(matches!(
        read_images(&bytes[..], "z"),
        Err(DataError::EmptyImage {
            rows: 0,
            cols: 2,
            ..
        })
    ));
}

#[test]
fn overflowing_dimensions_are_size_overflow() {
    let mut bytes = good_images();
    bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    bytes[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        read_images(&bytes[..], "o"),
        Err(DataError::SizeOverflow { .. })
    ));
}

#[test]
fn lying_header_is_truncated_without_allocating_its_claim() {
    // 4 billion 28 x 28 images claimed, 6 pixels present: fails at once, raw or gzip.
    let mut bytes = good_images();
    bytes[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    bytes[8..16].copy_from_slice(&[0, 0, 0, 28, 0, 0, 0, 28]);
    for input in [bytes.clone(), gzip(&bytes)] {
        let err = read_images(&input[..], "lie").unwrap_err();
        assert!(
            matches!(err, DataError::Truncated { expected, actual: 30, .. } if expected == u32::MAX as usize * 784),
            "{err}"
        );
    }
    let cut = good_images();
    assert!(matches!(
        read_images(&cut[..cut.len() - 1], "t"),
        Err(DataError::Truncated {
            expected: 30,
            actual: 29,
            ..
        })
    ));
}

#[test]
fn a_bad_file_in_a_directory_is_named_in_the_error() {
    let dir = TempDir::new("bad-file");
    let lab = labels(4);
    let gz = gzip(&image_bytes(&images(4, 2, 2)));
    std::fs::write(
        dir.0.join("train-images-idx3-ubyte.gz"),
        &gz[..gz.len() - 3],
    )
    .unwrap();
    for name in ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"] {
        std::fs::write(dir.0.join(name), label_bytes(&lab)).unwrap();
    }
    std::fs::write(
        dir.0.join("t10k-images-idx3-ubyte"),
        image_bytes(&images(4, 2, 2)),
    )
    .unwrap();
    let err = Mnist::from_dir(&dir.0).unwrap_err();
    assert!(
        matches!(&err, DataError::Decompress { path, .. } if path == &dir.0.join("train-images-idx3-ubyte.gz")),
        "{err}"
    );
    assert!(err.to_string().contains("train-images-idx3-ubyte.gz"));
}

#[test]
fn extra_bytes_are_trailing_data() {
    let mut bytes = good_images();
    bytes.extend_from_slice(&[1; 100]);
    for input in [bytes.clone(), gzip(&bytes)] {
        let err = read_images(&input[..], "tr").unwrap_err();
        assert!(
            matches!(
                err,
                DataError::TrailingData {
                    expected: 30,
                    actual: 130,
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn too_many_images_for_a_header_is_too_many_for_idx() {
    // 2^32 rows of zero pixels: no memory, but more than a u32 can count.
    let pixels = Array2::<u8>::zeros((1 << 32, 0));
    assert!(matches!(
        IdxImages::new(pixels, 1, 1),
        Err(DataError::TooManyForIdx { n: 4_294_967_296 })
    ));
}

fn readers(n_images: usize, n_labels: usize, bad_label: Option<u8>) -> Result<Mnist, DataError> {
    let img = image_bytes(&images(n_images, 2, 2));
    let mut lab = labels(n_labels);
    if let Some(b) = bad_label {
        lab[1] = b;
    }
    let lab = label_bytes(&lab);
    Mnist::from_readers(&img[..], &lab[..], &img[..], &lab[..])
}

#[test]
fn image_and_label_counts_must_agree() {
    assert!(readers(4, 4, None).is_ok());
    let err = readers(4, 3, None).unwrap_err();
    assert!(
        matches!(&err, DataError::CountMismatch { images: 4, labels: 3, images_path, .. }
            if images_path == &PathBuf::from("train-images-idx3-ubyte")),
        "{err}"
    );
}

#[test]
fn label_past_nine_is_out_of_range() {
    let err = readers(4, 4, Some(10)).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 10,
                n_classes: 10,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn train_and_test_image_shapes_must_agree() {
    let (a, b) = (image_bytes(&images(2, 2, 2)), image_bytes(&images(2, 4, 1)));
    let lab = label_bytes(&labels(2));
    let err = Mnist::from_readers(&a[..], &lab[..], &b[..], &lab[..]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::ImageShapeMismatch {
                train: (2, 2),
                test: (4, 1)
            }
        ),
        "{err}"
    );
}

#[test]
fn image_shape_must_match_pixel_count() {
    assert!(matches!(
        IdxImages::new(Array2::zeros((2, 6)), 2, 2),
        Err(DataError::ImageShape { n_features: 6, .. })
    ));
    assert!(matches!(
        IdxImages::new(Array2::zeros((2, 0)), 0, 3),
        Err(DataError::ImageShape { .. })
    ));
}

#[test]
fn scaler_rejects_bad_fits_and_widths() {
    assert!(matches!(
        Scaler::standard(Array2::<f32>::zeros((0, 3)).view()),
        Err(DataError::EmptyFit)
    ));
    let x = array![[1.0, f32::NAN]];
    assert!(matches!(
        Scaler::min_max(x.view()),
        Err(DataError::NonFinite { row: 0, col: 1, .. })
    ));
    for (lo, hi) in [
        (1.0, 1.0),
        (2.0, 1.0),
        (0.0, f32::INFINITY),
        (f32::NAN, 1.0),
    ] {
        assert!(matches!(
            Scaler::range(lo, hi),
            Err(DataError::InvalidRange { .. })
        ));
    }
    let s = Scaler::min_max(array![[0.0, 1.0], [2.0, 3.0]].view()).unwrap();
    let d = Dataset::new(array![[1.0, 2.0, 3.0]], Array1::from_vec(vec![0])).unwrap();
    assert!(matches!(
        s.apply(&d),
        Err(DataError::FeatureCountMismatch {
            expected: 2,
            found: 3
        })
    ));
}
