//! Reading a 2-D `float32` / `float64` `.npy` matrix straight into its `f32` array: the data
//! are streamed through a 64 KB buffer and converted (and, for Fortran order, transposed) on the
//! way, so the only full-size allocation is the result. Reading the whole array first and
//! converting it after would hold the file's data twice (three times the result's size for
//! `float64`).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use ndarray::Array2;

use crate::error::{ActivationsError, Result};
use crate::npy_header::NpyHeader;

/// Values decoded per read.
const CHUNK_VALUES: usize = 8192;

/// The `rows x cols` matrix of the `.npy` file at `path` whose checked header is `header`
/// (dtype `float32` or `float64`, any byte order, C or Fortran order), as standard-layout `f32`.
///
/// # Errors
/// [`ActivationsError::Io`] if the file cannot be read to the end of its data;
/// [`ActivationsError::F32Range`] for a finite `float64` value beyond `f32`'s range (it would
/// become infinite). NaN and infinities are kept (checked where the values are used).
pub(crate) fn read_f32_matrix(path: &Path, header: &NpyHeader) -> Result<Array2<f32>> {
    let io = |source| ActivationsError::Io {
        path: path.to_owned(),
        source,
    };
    let (rows, cols) = (header.shape[0], header.shape[1]);
    let wide = header.dtype == "float64";
    let itemsize = if wide { 8 } else { 4 };
    let total = rows * cols;
    let mut out = vec![0.0f32; total];
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(header.data_offset)).map_err(io)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = vec![0u8; CHUNK_VALUES * itemsize];
    let mut done = 0;
    while done < total {
        let take = CHUNK_VALUES.min(total - done);
        let bytes = &mut buf[..take * itemsize];
        reader.read_exact(bytes).map_err(io)?;
        for (k, raw) in bytes.chunks_exact(itemsize).enumerate() {
            let e = done + k;
            // element `e` in file order: position `e` of the result in C order; (row, col) =
            // (e % rows, e / rows) in Fortran order (written with a stride: slower, as lean)
            let at = if header.fortran_order {
                (e % rows) * cols + e / rows
            } else {
                e
            };
            out[at] = if wide {
                let b: [u8; 8] = raw.try_into().unwrap_or_default();
                let v = if header.big_endian {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                let x = v as f32;
                if v.is_finite() && !x.is_finite() {
                    return Err(ActivationsError::F32Range {
                        path: path.to_owned(),
                        row: at / cols,
                        col: at % cols,
                        value: v,
                    });
                }
                x
            } else {
                let b: [u8; 4] = raw.try_into().unwrap_or_default();
                if header.big_endian {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                }
            };
        }
        done += take;
    }
    Ok(Array2::from_shape_vec((rows, cols), out).unwrap_or_default())
}
