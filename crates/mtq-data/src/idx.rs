//! Reading and writing MNIST-format IDX files (unsigned bytes), raw or gzip-compressed.
//!
//! An IDX file is a big-endian header (a magic number, then one `u32` per dimension) followed by
//! the payload. MNIST uses two kinds: images (magic [`IMAGES_MAGIC`], `n x rows x cols`) and
//! labels (magic [`LABELS_MAGIC`], `n`). Gzip is recognised from its magic bytes `1f 8b`, never
//! from the name: a raw file named `.gz`, or a gzip file without the suffix, is read for what
//! it holds.
//!
//! The reader never allocates from the header: it reads at most `declared + 1` payload bytes,
//! into a buffer that grows with the bytes actually present, so a header claiming billions of
//! images fails with [`DataError::Truncated`] after reading what is really there. A gzip stream
//! can honestly inflate about a thousandfold, so when the count is known from elsewhere (the
//! label file), [`read_images_expecting`] checks it against the header before inflating a byte
//! of the payload. When the compressed size is known (the `*_file` readers take it from the
//! file system), a header declaring more than that size can inflate to
//! ([`MAX_DEFLATE_RATIO`] bytes per gzip byte) is refused before inflating anything: the payload
//! buffer never outgrows what the file honestly holds. A reader of unknown length inflates at
//! most what its stream really holds, itself bounded by that ratio.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{DataError, Result};

/// Magic number of an IDX file of unsigned-byte images (`0x00000803`: u8, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX file of unsigned-byte labels (`0x00000801`: u8, 1 dimension).
pub const LABELS_MAGIC: u32 = 2049;

/// The most bytes one compressed byte of a deflate stream can inflate to: a 258-byte match coded
/// in 2 bits (RFC 1951; zlib's technical details give the same 1032:1). A gzip file of `c` bytes
/// inflates to at most `1032 c` bytes.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Images read from (or to be written to) an IDX file, flattened to one row per image.
///
/// Row `i` holds image `i` in row-major order (`rows * cols` grey levels, 0 = background).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pixels: Array2<u8>,
    rows: usize,
    cols: usize,
}

impl IdxImages {
    /// Images from an `n x (rows * cols)` pixel matrix.
    ///
    /// # Errors
    /// [`DataError::ImageShape`] if `rows` or `cols` is zero, does not fit the IDX header's `u32`,
    /// or `rows * cols` is not the number of columns of `pixels`; [`DataError::SizeOverflow`] if
    /// there are more images than an IDX header can count.
    pub fn new(pixels: Array2<u8>, rows: usize, cols: usize) -> Result<Self> {
        let fits = |v: usize| u32::try_from(v).is_ok();
        if !fits(pixels.nrows()) {
            return Err(DataError::TooManyForIdx { n: pixels.nrows() });
        }
        if rows == 0
            || cols == 0
            || !fits(rows)
            || !fits(cols)
            || rows.checked_mul(cols) != Some(pixels.ncols())
        {
            return Err(DataError::ImageShape {
                rows,
                cols,
                n_features: pixels.ncols(),
            });
        }
        Ok(Self { pixels, rows, cols })
    }

    /// The `n x (rows * cols)` pixel matrix.
    pub fn pixels(&self) -> ArrayView2<'_, u8> {
        self.pixels.view()
    }

    /// The pixel matrix, by value.
    pub fn into_pixels(self) -> Array2<u8> {
        self.pixels
    }

    /// Rows per image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns per image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.nrows()
    }

    /// `true` when there is no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pixels as `f32` grey levels scaled to `[0, 1]` (divided by 255).
    pub fn to_unit_f32(&self) -> Array2<f32> {
        let table = unit_table();
        self.pixels.mapv(|p| table[usize::from(p)])
    }

    /// The images at `indices` (each below [`len`](Self::len)), in that order, as `f32` grey
    /// levels scaled to `[0, 1]`, one row each.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] if an index is not below [`len`](Self::len).
    pub fn select_unit_f32(&self, indices: &[usize]) -> Result<Array2<f32>> {
        let n_samples = self.len();
        if let Some(&index) = indices.iter().find(|&&i| i >= n_samples) {
            return Err(DataError::IndexOutOfRange { index, n_samples });
        }
        let table = unit_table();
        let mut out = Array2::<f32>::zeros((indices.len(), self.pixels.ncols()));
        for (mut row, &i) in out.rows_mut().into_iter().zip(indices) {
            row.zip_mut_with(&self.pixels.row(i), |o, &p| *o = table[usize::from(p)]);
        }
        Ok(out)
    }
}

/// The 256 grey levels divided by 255: the same values as `f32::from(p) / 255.0`, no division.
fn unit_table() -> [f32; 256] {
    std::array::from_fn(|p| f32::from(u8::try_from(p).unwrap_or(u8::MAX)) / 255.0)
}

/// Reads an IDX image file (magic [`IMAGES_MAGIC`]) from any reader, raw or gzip.
///
/// `name` identifies the source in errors; the content, not the name, says whether it is gzip.
///
/// # Errors
/// [`DataError::Empty`], [`DataError::Decompress`],
/// [`DataError::HeaderTooShort`], [`DataError::BadMagic`], [`DataError::EmptyImage`],
/// [`DataError::SizeOverflow`], [`DataError::Truncated`], [`DataError::TrailingData`], or
/// [`DataError::Io`] if reading fails.
pub fn read_images<R: Read>(reader: R, name: impl AsRef<Path>) -> Result<IdxImages> {
    read_images_inner(reader, name.as_ref(), None, None)
}

/// Reads an IDX image file that must hold exactly `n_images` images (e.g. the count of its
/// label file), raw or gzip. The count in the header is checked before any pixel is read or
/// inflated, so a gzip stream whose header claims more images stops at the header: memory stays
/// at the honest size of `n_images` images.
///
/// # Errors
/// [`DataError::UnexpectedCount`] if the header declares another count; else as
/// [`read_images`].
pub fn read_images_expecting<R: Read>(
    reader: R,
    name: impl AsRef<Path>,
    n_images: usize,
) -> Result<IdxImages> {
    read_images_inner(reader, name.as_ref(), Some(n_images), None)
}

fn read_images_inner<R: Read>(
    reader: R,
    path: &Path,
    expect: Option<usize>,
    file_len: Option<u64>,
) -> Result<IdxImages> {
    let (dims, payload) = read_idx(reader, path, IMAGES_MAGIC, 3, expect, file_len)?;
    let [n, rows, cols] = [dims[0], dims[1], dims[2]].map(|d| d as usize);
    let pixels =
        Array2::from_shape_vec((n, rows * cols), payload).map_err(|_| DataError::SizeOverflow {
            path: path.to_path_buf(),
            dims: dims.clone(),
        })?;
    Ok(IdxImages { pixels, rows, cols })
}

/// Reads an IDX label file (magic [`LABELS_MAGIC`]) from any reader, raw or gzip.
///
/// Labels are returned as read; [`crate::Mnist`] checks they are digits.
///
/// # Errors
/// As [`read_images`], except [`DataError::EmptyImage`].
pub fn read_labels<R: Read>(reader: R, name: impl AsRef<Path>) -> Result<Array1<u8>> {
    let (_, payload) = read_idx(reader, name.as_ref(), LABELS_MAGIC, 1, None, None)?;
    Ok(Array1::from_vec(payload))
}

/// Reads an IDX image file from disk, raw or gzip (decided by the content, whatever the name).
/// A gzip file whose header declares more than [`MAX_DEFLATE_RATIO`] times the file's size is
/// refused before its payload is inflated.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened, [`DataError::InflationBeyondBound`] if it is
/// too small for its header, else as [`read_images`].
pub fn read_images_file(path: impl AsRef<Path>) -> Result<IdxImages> {
    let path = path.as_ref();
    let (reader, len) = open(path)?;
    read_images_inner(reader, path, None, len)
}

/// Reads an IDX label file from disk, raw or gzip; bounded as [`read_images_file`].
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened, [`DataError::InflationBeyondBound`] if it is
/// too small for its header, else as [`read_labels`].
pub fn read_labels_file(path: impl AsRef<Path>) -> Result<Array1<u8>> {
    let path = path.as_ref();
    let (reader, len) = open(path)?;
    let (_, payload) = read_idx(reader, path, LABELS_MAGIC, 1, None, len)?;
    Ok(Array1::from_vec(payload))
}

/// Reads an IDX image file from disk that must hold exactly `n_images` images; see
/// [`read_images_expecting`].
///
/// # Errors
/// [`DataError::Io`] if the file cannot be opened, else as [`read_images_expecting`].
pub fn read_images_file_expecting(path: impl AsRef<Path>, n_images: usize) -> Result<IdxImages> {
    let path = path.as_ref();
    let (reader, len) = open(path)?;
    read_images_inner(reader, path, Some(n_images), len)
}

/// Opens `path` for reading, with its size if it is a regular file (a pipe has none).
fn open(path: &Path) -> Result<(BufReader<File>, Option<u64>)> {
    File::open(path)
        .map(|f| {
            let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            (BufReader::with_capacity(1 << 16, f), len)
        })
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes images as a raw (uncompressed) IDX file; wrap `writer` in a gzip encoder to compress.
///
/// # Errors
/// Any error of `writer`.
pub fn write_images<W: Write>(mut writer: W, images: &IdxImages) -> io::Result<()> {
    // `IdxImages` guarantees every dimension fits a u32.
    let dims =
        [images.len(), images.rows, images.cols].map(|d| u32::try_from(d).unwrap_or(u32::MAX));
    write_header(&mut writer, IMAGES_MAGIC, &dims)?;
    match images.pixels.as_slice() {
        Some(bytes) => writer.write_all(bytes)?,
        None => {
            for row in images.pixels.rows() {
                writer.write_all(&row.to_vec())?;
            }
        }
    }
    writer.flush()
}

/// Writes labels as a raw (uncompressed) IDX file; wrap `writer` in a gzip encoder to compress.
///
/// # Errors
/// Any error of `writer`; [`io::ErrorKind::InvalidInput`] if there are more than `u32::MAX` labels.
pub fn write_labels<W: Write>(mut writer: W, labels: ArrayView1<'_, u8>) -> io::Result<()> {
    let n =
        u32::try_from(labels.len()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    write_header(&mut writer, LABELS_MAGIC, &[n])?;
    match labels.as_slice() {
        Some(bytes) => writer.write_all(bytes)?,
        None => writer.write_all(&labels.to_vec())?,
    }
    writer.flush()
}

/// Writes images to an IDX file, gzip-compressed when the name ends in `.gz`.
///
/// # Errors
/// [`DataError::Write`] if the file cannot be created or written.
pub fn write_images_file(path: impl AsRef<Path>, images: &IdxImages) -> Result<()> {
    write_file(path.as_ref(), |w| write_images(w, images))
}

/// Writes labels to an IDX file, gzip-compressed when the name ends in `.gz`.
///
/// # Errors
/// [`DataError::Write`] if the file cannot be created or written.
pub fn write_labels_file(path: impl AsRef<Path>, labels: ArrayView1<'_, u8>) -> Result<()> {
    write_file(path.as_ref(), |w| write_labels(w, labels))
}

fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let run = || -> io::Result<()> {
        let file = BufWriter::new(File::create(path)?);
        if is_gz_name(path) {
            let mut gz = GzEncoder::new(file, Compression::default());
            body(&mut gz)?;
            gz.finish()?
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .sync_all()
        } else {
            let mut file = file;
            body(&mut file)?;
            file.into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .sync_all()
        }
    };
    run().map_err(|source| DataError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn write_header(writer: &mut impl Write, magic: u32, dims: &[u32]) -> io::Result<()> {
    writer.write_all(&magic.to_be_bytes())?;
    for d in dims {
        writer.write_all(&d.to_be_bytes())?;
    }
    Ok(())
}

fn is_gz_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The shared IDX reader: header checks, then at most `declared + 1` payload bytes.
fn read_idx<R: Read>(
    mut reader: R,
    path: &Path,
    magic: u32,
    ndim: usize,
    expect_items: Option<usize>,
    file_len: Option<u64>,
) -> Result<(Vec<u32>, Vec<u8>)> {
    let io_err = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut prefix = [0u8; 2];
    let got = read_full(&mut reader, &mut prefix).map_err(io_err)?;
    if got == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    // The content decides, never the name: a raw file named `.gz` is read as raw.
    let gzip = got == 2 && prefix == GZIP_MAGIC;
    let chained = Cursor::new(prefix).take(got as u64).chain(reader);
    if gzip {
        let decoder = MultiGzDecoder::new(chained);
        let err = |source| DataError::Decompress {
            path: path.to_path_buf(),
            source,
        };
        read_idx_body(
            decoder,
            path,
            (magic, ndim, expect_items),
            true,
            file_len,
            err,
        )
    } else {
        read_idx_body(
            chained,
            path,
            (magic, ndim, expect_items),
            false,
            None,
            io_err,
        )
    }
}

fn read_idx_body<R: Read>(
    mut stream: R,
    path: &Path,
    (magic, ndim, expect_items): (u32, usize, Option<usize>),
    gzip: bool,
    compressed_len: Option<u64>,
    err: impl Fn(io::Error) -> DataError,
) -> Result<(Vec<u32>, Vec<u8>)> {
    let header_len = 4 + 4 * ndim;
    let mut header = [0u8; 16];
    let header = &mut header[..header_len];
    let got = read_full(&mut stream, header).map_err(&err)?;
    if got == 0 && gzip {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    let too_short = || DataError::HeaderTooShort {
        path: path.to_path_buf(),
        expected: header_len,
        actual: got,
    };
    if got < 4 {
        return Err(too_short());
    }
    let be =
        |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let found = be(0);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    if got < header_len {
        return Err(too_short());
    }
    let dims: Vec<u32> = (0..ndim).map(|i| be(4 + 4 * i)).collect();
    if ndim == 3 && (dims[1] == 0 || dims[2] == 0) {
        return Err(DataError::EmptyImage {
            path: path.to_path_buf(),
            rows: dims[1],
            cols: dims[2],
        });
    }
    // Checked before the payload is read: a gzip stream is never inflated past what the
    // caller's other file (the labels) allows.
    if let Some(expected) = expect_items
        && dims[0] as usize != expected
    {
        return Err(DataError::UnexpectedCount {
            path: path.to_path_buf(),
            declared: dims[0],
            expected,
        });
    }
    let overflow = || DataError::SizeOverflow {
        path: path.to_path_buf(),
        dims: dims.clone(),
    };
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .filter(|&n| n < isize::MAX as usize)
        .ok_or_else(overflow)?;
    // A gzip file of known size cannot honestly inflate past `MAX_DEFLATE_RATIO` times it.
    if let Some(compressed) = compressed_len {
        let declared = (header_len as u64).saturating_add(expected as u64);
        let max = compressed.saturating_mul(MAX_DEFLATE_RATIO);
        if declared > max {
            return Err(DataError::InflationBeyondBound {
                path: path.to_path_buf(),
                declared,
                compressed,
                max,
            });
        }
    }
    // The buffer grows with the bytes really present, never from `expected` alone.
    let mut payload = Vec::new();
    (&mut stream)
        .take(expected as u64 + 1)
        .read_to_end(&mut payload)
        .map_err(&err)?;
    if payload.len() < expected {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected,
            actual: payload.len(),
        });
    }
    if payload.len() > expected {
        let rest = io::copy(&mut stream, &mut io::sink()).map_err(&err)?;
        return Err(DataError::TrailingData {
            path: path.to_path_buf(),
            expected,
            actual: payload.len() as u64 + rest,
        });
    }
    Ok((dims, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_of_written_labels_is_big_endian() {
        let mut out = Vec::new();
        write_labels(&mut out, Array1::from_vec(vec![3u8, 1, 4]).view()).unwrap();
        assert_eq!(out, [0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4]);
    }

    #[test]
    fn unit_scaling_divides_every_grey_level_by_255() {
        let images =
            IdxImages::new(Array2::from_shape_fn((1, 256), |(_, p)| p as u8), 16, 16).unwrap();
        let unit = images.to_unit_f32();
        for (p, &v) in unit.iter().enumerate() {
            assert_eq!(v, p as f32 / 255.0);
        }
    }

    #[test]
    fn gz_name_is_case_insensitive() {
        assert!(is_gz_name(Path::new("a/b.GZ")));
        assert!(!is_gz_name(Path::new("a/b-gz")));
    }
}
