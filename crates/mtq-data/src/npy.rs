//! Data sets from NumPy `.npy` arrays: features `n x d` or images `n x rows x cols`, and
//! integer labels.
//!
//! The header is read and checked against the bytes present before anything is allocated, so a
//! header that declares a huge array cannot make the reader allocate more than the file holds.

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array3, ArrayD, Dimension, Ix2, Ix3};
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;

use crate::dataset::Dataset;
use crate::error::{DataError, Result};

/// Feature dtypes [`Dataset::from_npy`] reads (converted to `f32`).
pub const FEATURE_DTYPES: &str = "float32, float64, uint8, uint16, int32, int64";
/// Label dtypes [`Dataset::from_npy`] reads.
pub const LABEL_DTYPES: &str = "int8..int64, uint8..uint64";

/// The parsed header of an `.npy` buffer, checked against the payload length.
struct Checked {
    /// The dtype string, e.g. `<f8` or `|u1`.
    descr: String,
    shape: Vec<usize>,
}

fn check_header(bytes: &[u8], path: &Path) -> Result<Checked> {
    let mut cursor = bytes;
    let header = Header::from_reader(&mut cursor).map_err(|e| DataError::NpyHeader {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let descr = match header.type_descriptor.as_string() {
        Some(s) => s.clone(),
        None => {
            return Err(DataError::NpyDtype {
                path: path.to_path_buf(),
                dtype: header.type_descriptor.to_string(),
                accepted: "a plain numeric dtype",
            });
        }
    };
    let item: usize =
        descr
            .get(2..)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| DataError::NpyDtype {
                path: path.to_path_buf(),
                dtype: descr.clone(),
                accepted: "a plain numeric dtype",
            })?;
    let expected = header
        .shape
        .iter()
        .try_fold(item, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::NpySize {
            path: path.to_path_buf(),
            shape: header.shape.clone(),
            expected: None,
            actual: cursor.len(),
        })?;
    if expected != cursor.len() {
        return Err(DataError::NpySize {
            path: path.to_path_buf(),
            shape: header.shape.clone(),
            expected: Some(expected),
            actual: cursor.len(),
        });
    }
    Ok(Checked {
        descr,
        shape: header.shape,
    })
}

fn npy_error(path: &Path, e: ndarray_npy::ReadNpyError) -> DataError {
    DataError::NpyRead {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads an `.npy` buffer of any supported feature dtype as `f32` (C or Fortran order, the
/// result in standard layout).
pub(crate) fn features_from_bytes(bytes: &[u8], path: &Path) -> Result<ArrayD<f32>> {
    let h = check_header(bytes, path)?;
    fn read<T: ndarray_npy::ReadableElement + Copy>(
        bytes: &[u8],
        path: &Path,
        f: impl Fn(T) -> f32,
    ) -> Result<ArrayD<f32>> {
        let a = ArrayD::<T>::read_npy(bytes).map_err(|e| npy_error(path, e))?;
        Ok(a.as_standard_layout().mapv(f))
    }
    // `<`: little-endian, `|`: not applicable (one byte); big-endian files are rejected by dtype.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let a = match h.descr.trim_start_matches(['<', '|', '=']) {
        "f4" => read::<f32>(bytes, path, |v| v)?,
        "f8" => read::<f64>(bytes, path, |v| v as f32)?,
        "u1" => read::<u8>(bytes, path, f32::from)?,
        "u2" => read::<u16>(bytes, path, f32::from)?,
        "i4" => read::<i32>(bytes, path, |v| v as f32)?,
        "i8" => read::<i64>(bytes, path, |v| v as f32)?,
        _ => {
            return Err(DataError::NpyDtype {
                path: path.to_path_buf(),
                dtype: h.descr,
                accepted: FEATURE_DTYPES,
            });
        }
    };
    debug_assert_eq!(a.shape(), h.shape.as_slice());
    if let Some((index, &value)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(DataError::NpyNonFinite {
            path: path.to_path_buf(),
            index: index.slice().to_vec(),
            value,
        });
    }
    Ok(a)
}

/// Reads a 1-D `.npy` buffer of integers as non-negative labels.
pub(crate) fn labels_from_bytes(bytes: &[u8], path: &Path) -> Result<Array1<usize>> {
    let h = check_header(bytes, path)?;
    if h.shape.len() != 1 {
        return Err(DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape,
            expected: "1 (one label per sample)",
        });
    }
    fn read<T: ndarray_npy::ReadableElement + Copy + TryInto<usize> + Into<i128>>(
        bytes: &[u8],
        path: &Path,
    ) -> Result<Array1<usize>> {
        let a = Array1::<T>::read_npy(bytes).map_err(|e| npy_error(path, e))?;
        a.iter()
            .enumerate()
            .map(|(index, &v)| {
                v.try_into().map_err(|_| DataError::NpyLabel {
                    path: path.to_path_buf(),
                    index,
                    value: v.into(),
                })
            })
            .collect::<Result<Vec<usize>>>()
            .map(Array1::from)
    }
    match h.descr.trim_start_matches(['<', '|', '=']) {
        "i1" => read::<i8>(bytes, path),
        "i2" => read::<i16>(bytes, path),
        "i4" => read::<i32>(bytes, path),
        "i8" => read::<i64>(bytes, path),
        "u1" => read::<u8>(bytes, path),
        "u2" => read::<u16>(bytes, path),
        "u4" => read::<u32>(bytes, path),
        "u8" => read::<u64>(bytes, path),
        _ => Err(DataError::NpyDtype {
            path: path.to_path_buf(),
            dtype: h.descr,
            accepted: LABEL_DTYPES,
        }),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// Reads an `.npy` file of features without labels (e.g. the samples of an unseen class):
/// any rank, dtype float32, float64, uint8, uint16, int32 or int64, as `f32` in standard layout.
/// Give it to [`Dataset::from_array`] with the labels you choose.
///
/// # Errors
/// [`DataError::Io`], [`DataError::NpyHeader`], [`DataError::NpyDtype`], [`DataError::NpySize`],
/// [`DataError::NpyRead`], [`DataError::NpyNonFinite`], each naming the file.
pub fn read_npy_features(path: impl AsRef<Path>) -> Result<ArrayD<f32>> {
    let path = path.as_ref();
    features_from_bytes(&read_file(path)?, path)
}

/// Reads a 1-D `.npy` file of non-negative integer labels (any integer dtype).
///
/// # Errors
/// [`DataError::Io`], [`DataError::NpyHeader`], [`DataError::NpyDtype`], [`DataError::NpySize`],
/// [`DataError::NpyRead`], [`DataError::NpyRank`], [`DataError::NpyLabel`], each naming the file.
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    let path = path.as_ref();
    labels_from_bytes(&read_file(path)?, path)
}

/// Inflates a gzip buffer (the embedded data sets).
pub(crate) fn gunzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Decompress {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

impl Dataset {
    /// A data set from an array of rank 2 (features, `n x d`) or rank 3 (images,
    /// `n x rows x cols`, flattened with the image shape kept) and one label per sample.
    /// Classes are `0..=max(labels)` as in [`Dataset::new`]; call [`Dataset::relabel`] or
    /// [`Dataset::select_classes`] to keep only the classes present or wanted.
    ///
    /// # Errors
    /// [`DataError::ArrayRank`] for another rank; [`DataError::LengthMismatch`] if the sample and
    /// label counts differ.
    pub fn from_array(x: ArrayD<f32>, labels: Array1<usize>) -> Result<Self> {
        let shape = x.shape().to_vec();
        match x.ndim() {
            2 => {
                let x = x
                    .into_dimensionality::<Ix2>()
                    .map_err(|_| DataError::ArrayRank {
                        shape: shape.clone(),
                    })?;
                let x = if x.is_standard_layout() {
                    x
                } else {
                    x.as_standard_layout().into_owned()
                };
                Self::new(x, labels)
            }
            3 => {
                let x: Array3<f32> =
                    x.into_dimensionality::<Ix3>()
                        .map_err(|_| DataError::ArrayRank {
                            shape: shape.clone(),
                        })?;
                Self::from_images(x, labels)
            }
            _ => Err(DataError::ArrayRank { shape }),
        }
    }

    /// A data set from two `.npy` files: features `X` (`n x d`, or images `n x rows x cols`;
    /// dtype float32, float64, uint8, uint16, int32 or int64, converted to `f32` unscaled) and
    /// labels `y` (`n` integers >= 0, any integer dtype), as written by `np.save`. Classes are
    /// `0..=max(y)` (see [`Dataset::from_array`]). Scale afterwards, e.g. with
    /// [`Dataset::stratified_split_standardized`].
    ///
    /// # Errors
    /// [`DataError::Io`] if a file cannot be read; [`DataError::NpyHeader`],
    /// [`DataError::NpyDtype`], [`DataError::NpySize`] (payload length differs from the header's
    /// shape), [`DataError::NpyRead`], [`DataError::NpyRank`], [`DataError::NpyNonFinite`],
    /// [`DataError::NpyLabel`] (a negative label), each naming the file;
    /// [`DataError::ArrayRank`] and [`DataError::NpyCountMismatch`].
    pub fn from_npy(x_path: impl AsRef<Path>, y_path: impl AsRef<Path>) -> Result<Self> {
        let (x_path, y_path) = (x_path.as_ref(), y_path.as_ref());
        let x = features_from_bytes(&read_file(x_path)?, x_path)?;
        let y = labels_from_bytes(&read_file(y_path)?, y_path)?;
        Self::from_named_arrays(x, y, x_path.to_path_buf(), y_path.to_path_buf())
    }

    /// Samples without labels from one `.npy` file of features (`n x d`, or images
    /// `n x rows x cols`; the dtypes of [`Dataset::from_npy`]), e.g. the samples of a class
    /// never seen in training: every label is 0 (one class, `0`).
    ///
    /// # Errors
    /// As [`Dataset::from_npy`] for the features file.
    pub fn from_npy_unlabelled(x_path: impl AsRef<Path>) -> Result<Self> {
        let x_path = x_path.as_ref();
        let x = features_from_bytes(&read_file(x_path)?, x_path)?;
        let n = x.shape().first().copied().unwrap_or(0);
        Self::from_named_arrays(
            x,
            Array1::zeros(n),
            x_path.to_path_buf(),
            x_path.to_path_buf(),
        )
    }

    /// [`Dataset::from_array`] with errors naming the two sources.
    pub(crate) fn from_named_arrays(
        x: ArrayD<f32>,
        y: Array1<usize>,
        x_path: PathBuf,
        y_path: PathBuf,
    ) -> Result<Self> {
        if !matches!(x.ndim(), 2 | 3) {
            return Err(DataError::NpyRank {
                path: x_path,
                shape: x.shape().to_vec(),
                expected: "2 (samples x features) or 3 (samples x rows x cols)",
            });
        }
        if x.shape()[0] != y.len() {
            return Err(DataError::NpyCountMismatch {
                x_path,
                y_path,
                samples: x.shape()[0],
                labels: y.len(),
            });
        }
        Self::from_array(x, y)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array, IxDyn, array};
    use ndarray_npy::WriteNpyExt;

    use super::*;

    fn npy<A: WriteNpyExt>(a: &A) -> Vec<u8> {
        let mut out = Vec::new();
        a.write_npy(&mut out).unwrap();
        out
    }

    #[test]
    fn reads_every_feature_dtype_and_rank() {
        let p = Path::new("x.npy");
        let f = features_from_bytes(&npy(&array![[1.5f64, 2.0], [3.0, 4.0]]), p).unwrap();
        assert_eq!(f.shape(), [2, 2]);
        assert_eq!(f[[0, 0]], 1.5);
        let img = Array::from_shape_fn((3, 2, 2), |(i, j, k)| (i * 4 + j * 2 + k) as u8);
        let f = features_from_bytes(&npy(&img), p).unwrap();
        assert_eq!(f.shape(), [3, 2, 2]);
        assert_eq!(f[[2, 1, 1]], 11.0);
        let d = Dataset::from_named_arrays(f, array![0, 1, 1], p.into(), "y.npy".into()).unwrap();
        assert_eq!(d.image_shape(), Some((2, 2)));
        assert_eq!(d.features().row(1).to_vec(), [4.0, 5.0, 6.0, 7.0]);
        // Fortran order comes back in standard layout with the same values
        let fortran = array![[1f32, 2., 3.], [4., 5., 6.]].reversed_axes();
        let f = features_from_bytes(&npy(&fortran), p).unwrap();
        assert_eq!(f, fortran.into_dyn());
        assert!(f.is_standard_layout());
    }

    #[test]
    fn unlabelled_features_are_one_class_and_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("mtq-data-unlabelled-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("u.npy");
        std::fs::write(&p, npy(&array![[1f32, 2.], [3., 4.], [5., 6.]])).unwrap();
        let d = Dataset::from_npy_unlabelled(&p).unwrap();
        assert_eq!((d.n_samples(), d.n_features()), (3, 2));
        assert_eq!((d.classes(), d.labels().to_vec()), (&[0][..], vec![0; 3]));
        std::fs::write(&p, npy(&array![1f32, 2.])).unwrap();
        let e = Dataset::from_npy_unlabelled(&p).unwrap_err();
        assert!(e.to_string().contains("u.npy"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_bad_dtype_rank_size_and_values() {
        let p = Path::new("bad.npy");
        assert!(matches!(
            features_from_bytes(&npy(&array![true, false]), p),
            Err(DataError::NpyDtype { .. })
        ));
        assert!(matches!(
            features_from_bytes(&npy(&array![[f32::NAN]]), p),
            Err(DataError::NpyNonFinite { ref index, .. }) if index == &[0, 0]
        ));
        let mut bytes = npy(&array![[1f32, 2.0]]);
        bytes.pop();
        assert!(matches!(
            features_from_bytes(&bytes, p),
            Err(DataError::NpySize {
                expected: Some(8),
                actual: 7,
                ..
            })
        ));
        assert!(matches!(
            features_from_bytes(b"not an npy file", p),
            Err(DataError::NpyHeader { .. })
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![1i64, -2]), p),
            Err(DataError::NpyLabel {
                index: 1,
                value: -2,
                ..
            })
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![[1u8]]), p),
            Err(DataError::NpyRank { .. })
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![1.0f32]), p),
            Err(DataError::NpyDtype { .. })
        ));
        let x = Array::<f32, _>::zeros(IxDyn(&[2, 2, 2, 2]));
        assert!(matches!(
            Dataset::from_named_arrays(x, array![0, 1], p.into(), p.into()),
            Err(DataError::NpyRank { .. })
        ));
        let x = Array::<f32, _>::zeros(IxDyn(&[3, 2]));
        assert!(matches!(
            Dataset::from_named_arrays(x, array![0, 1], p.into(), p.into()),
            Err(DataError::NpyCountMismatch {
                samples: 3,
                labels: 2,
                ..
            })
        ));
    }

    /// An `.npy` v1.0 buffer with the given header dictionary and payload.
    fn raw_npy(dict: &str, payload: &[u8]) -> Vec<u8> {
        let mut header = dict.to_owned();
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn a_lying_header_allocates_nothing() {
        let ok = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
            &[0; 8],
        );
        assert_eq!(
            features_from_bytes(&ok, Path::new("ok.npy"))
                .unwrap()
                .shape(),
            [1, 2]
        );
        // 10^12 floats declared over 8 bytes of payload: refused before any allocation
        let huge = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }",
            &[0; 8],
        );
        assert!(matches!(
            features_from_bytes(&huge, Path::new("huge.npy")),
            Err(DataError::NpySize {
                expected: Some(4_000_000_000_000),
                actual: 8,
                ..
            })
        ));
        let overflow = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
            &[0; 8],
        );
        assert!(matches!(
            features_from_bytes(&overflow, Path::new("overflow.npy")),
            Err(DataError::NpySize { expected: None, .. })
        ));
    }
}
