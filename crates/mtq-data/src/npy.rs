//! The one `.npy` reader and writer of MTQ Paths, and its one label rule.
//!
//! Every route that reads NumPy arrays comes here: features and labels of a data set
//! ([`Dataset::from_npy`]), the embedded UCI sets, the per-layer activations of
//! `mtq-activations` and the `.npy` sets of `mtq-signature`.
//!
//! * **Header.** [`read_header`] parses the `.npy` preamble and its Python-literal dictionary
//!   itself (versions 1.0, 2.0, 3.0; no recursion, at most [`MAX_HEADER_BYTES`] read) and checks
//!   that the data the header promises (`shape x itemsize` bytes) is exactly what follows it
//!   *before* anything is allocated: a 10 KB file whose header claims 16 GB is a
//!   [`DataError::NpySize`], never an allocation of 16 GB.
//! * **Values.** [`read_npy_features`] reads any rank of integers or floats as `f32` (refusing
//!   NaN and infinities), [`read_npy_matrix`] a 2-D matrix as `f32` (keeping them, for the
//!   caller to report with more context), [`read_npy`] an array of exactly one element type
//!   (for tests and benchmarks: `let x: Array2<f64> = read_npy(path)?`). C and Fortran order,
//!   little- and big-endian; results are in standard (C) layout.
//! * **Labels: one rule.** [`read_npy_labels`] accepts integer dtypes, or float dtypes whose
//!   every value is a whole number (`np.array([1., 0.])` reads as `[1, 0]`), each value in
//!   `0..=`[`MAX_LABEL`]. Text labels (`<U5`, `|S3`, object arrays) are a
//!   [`DataError::NpyTextLabels`] saying that integer class indices are needed; a bad value is a
//!   [`DataError::NpyLabel`] naming the file, the row and the value. [`read_npy_ids`] applies
//!   the same rule without the [`MAX_LABEL`] bound.
//! * **Writing.** [`write_npy`] (a file) and [`write_npy_to`] (any writer) write version 1.0
//!   files numpy reads, in C order, little-endian.
//!
//! Every error names the file (or, for bytes, the name the caller gave them).
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), mtq_data::DataError> {
//! use mtq_data::npy::{read_npy, read_npy_labels, write_npy};
//! use ndarray::{Array2, array};
//!
//! let dir = std::env::temp_dir().join(format!("mtq-npy-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).map_err(|source| mtq_data::DataError::Io { path: dir.clone(), source })?;
//! write_npy(dir.join("x.npy"), &array![[1.5f64, 2.0], [3.0, 4.0]])?;
//! let x: Array2<f64> = read_npy(dir.join("x.npy"))?;
//! assert_eq!(x[[1, 0]], 3.0);
//!
//! // whole-valued float labels are class indices; 0.5 would be refused, naming row and value
//! write_npy(dir.join("y.npy"), &array![1.0f32, 0.0, 7.0])?;
//! assert_eq!(read_npy_labels(dir.join("y.npy"))?.to_vec(), [1, 0, 7]);
//! # let _ = std::fs::remove_dir_all(&dir);
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayBase, ArrayD, Data, Dimension, Ix2, IxDyn, ShapeBuilder};

use crate::dataset::Dataset;
pub use crate::dataset::MAX_LABEL;
use crate::error::{DataError, Result};

/// Feature dtypes [`Dataset::from_npy`] and [`read_npy_features`] read (converted to `f32`).
pub const FEATURE_DTYPES: &str = "float32, float64, int8..int64, uint8..uint64";
/// Dtypes [`read_npy_matrix`] reads (converted to `f32`).
pub const MATRIX_DTYPES: &str = "float32 or float64";
/// Label dtypes [`read_npy_labels`] reads.
pub const LABEL_DTYPES: &str =
    "integers (int8..int64, uint8..uint64) or whole-valued floats (float32, float64)";

/// Longest header accepted, in bytes (numpy itself refuses headers above 10,000 bytes unless
/// told otherwise).
pub const MAX_HEADER_BYTES: usize = 65_536;

/// Deepest nesting of brackets accepted in a header. A plain array's header nests 2 deep (the
/// dict and the shape tuple); anything deeper is refused as a [`DataError::NpyHeader`].
pub const MAX_HEADER_DEPTH: usize = 4;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Largest float that is still an exact whole number (2^53).
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// What an `.npy` header says, checked against the bytes that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The dtype descriptor as written, e.g. `<f4`, `|u1`, `<U5`.
    pub descr: String,
    /// numpy's name of the dtype: `float32`, `int64`, `bool`, `str5`, `bytes3`, `object`; the
    /// descriptor itself when not a plain dtype.
    pub dtype: String,
    /// numpy's `dtype.kind`: `'f'`, `'i'`, `'u'`, `'b'`, `'c'`, `'U'`, `'S'`, `'O'`; `'?'` for a
    /// descriptor this reader does not know (e.g. a structured dtype).
    pub kind: char,
    /// Bytes per element (0 when unknown).
    pub item_size: usize,
    /// Whether the values are big-endian (`>` in the descriptor).
    pub big_endian: bool,
    /// Whether the data are in column-major (Fortran) order.
    pub fortran_order: bool,
    /// Shape of the array.
    pub shape: Vec<usize>,
    /// Where the data start, in bytes from the beginning of the file.
    pub data_offset: u64,
}

impl NpyHeader {
    /// Number of elements (`shape` multiplied out; 1 for a 0-d array).
    #[must_use]
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array holds no element.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the elements are text or Python objects (`<U..`, `|S..`, `|O`).
    #[must_use]
    pub fn is_text(&self) -> bool {
        matches!(self.kind, 'U' | 'S' | 'O')
    }
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

fn header_err(path: &Path, message: impl Into<String>) -> DataError {
    DataError::NpyHeader {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads until `buf` is full or the source ends.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parses the header from `r`, positioned at the start of an `.npy` stream of `total` bytes;
/// leaves `r` at the start of the data.
fn parse_header(r: &mut impl Read, total: u64, path: &Path) -> Result<NpyHeader> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut pre = [0u8; 10];
    let got = read_up_to(r, &mut pre).map_err(io)?;
    if got < 10 || &pre[..6] != MAGIC {
        return Err(header_err(
            path,
            format!(
                "not an .npy file (starts with {:02x?}, expected the magic \\x93NUMPY)",
                &pre[..got.min(6)]
            ),
        ));
    }
    let (major, minor) = (pre[6], pre[7]);
    let (preamble, header_len) = match major {
        1 => (10usize, usize::from(u16::from_le_bytes([pre[8], pre[9]]))),
        2 | 3 => {
            let mut more = [0u8; 2];
            if read_up_to(r, &mut more).map_err(io)? < 2 {
                return Err(header_err(path, "file cut short inside the preamble"));
            }
            let len = u32::from_le_bytes([pre[8], pre[9], more[0], more[1]]);
            (12usize, usize::try_from(len).unwrap_or(usize::MAX))
        }
        _ => {
            return Err(header_err(
                path,
                format!("unsupported .npy version {major}.{minor}"),
            ));
        }
    };
    if header_len > MAX_HEADER_BYTES {
        return Err(header_err(
            path,
            format!("header of {header_len} bytes, at most {MAX_HEADER_BYTES} accepted"),
        ));
    }
    let data_offset = (preamble + header_len) as u64;
    if data_offset > total {
        return Err(header_err(
            path,
            format!("header of {header_len} bytes but the file holds only {total} bytes"),
        ));
    }
    let mut text = vec![0u8; header_len];
    r.read_exact(&mut text).map_err(io)?;
    let text = std::str::from_utf8(&text)
        .map_err(|_| header_err(path, "header is not ASCII/UTF-8 text"))?;
    let depth = max_depth(text.as_bytes());
    if depth > MAX_HEADER_DEPTH {
        return Err(header_err(
            path,
            format!("header nests {depth} brackets deep, at most {MAX_HEADER_DEPTH} accepted"),
        ));
    }
    let dict = parse_dict(text).map_err(|m| header_err(path, m))?;
    let (dtype, kind, item_size) = describe(&dict.descr);
    let big_endian = dict.descr.starts_with('>') && item_size.is_some_and(|s| s > 1);
    let header = NpyHeader {
        dtype,
        kind,
        item_size: item_size.unwrap_or(0),
        big_endian,
        fortran_order: dict.fortran_order,
        shape: dict.shape,
        data_offset,
        descr: dict.descr,
    };
    let expected = header
        .shape
        .iter()
        .try_fold(item_size.unwrap_or(1), |acc, &d| acc.checked_mul(d));
    let actual = total - data_offset;
    if item_size.is_some() && expected.map(|e| e as u64) != Some(actual) {
        return Err(DataError::NpySize {
            path: path.to_path_buf(),
            shape: header.shape,
            dtype: header.dtype,
            expected,
            actual,
        });
    }
    if expected.is_none() {
        return Err(DataError::NpySize {
            path: path.to_path_buf(),
            shape: header.shape,
            dtype: header.dtype,
            expected: None,
            actual,
        });
    }
    Ok(header)
}

/// Deepest nesting of `()[]{}` in `text` (quotes not considered: a deeper count only refuses).
fn max_depth(text: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for &c in text {
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The three keys of an `.npy` header dictionary.
struct Dict {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A tiny cursor over the header text.
struct Lexer<'a> {
    s: &'a [u8],
    at: usize,
}

impl Lexer<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at byte {} of the header dictionary",
                c as char, self.at
            ))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let q = self.peek().ok_or("header dictionary ends early")?;
        if q != b'\'' && q != b'"' {
            return Err(format!("expected a quoted string at byte {}", self.at));
        }
        self.at += 1;
        let start = self.at;
        while self.at < self.s.len() && self.s[self.at] != q {
            self.at += 1;
        }
        if self.at >= self.s.len() {
            return Err("unterminated string in the header dictionary".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
        self.at += 1;
        Ok(out)
    }

    fn word(&mut self) -> &[u8] {
        self.ws();
        let start = self.at;
        while self.at < self.s.len()
            && (self.s[self.at].is_ascii_alphanumeric() || self.s[self.at] == b'_')
        {
            self.at += 1;
        }
        &self.s[start..self.at]
    }

    /// A bracketed value kept as raw text (a structured dtype's list of fields).
    fn raw_bracketed(&mut self) -> std::result::Result<String, String> {
        self.ws();
        let start = self.at;
        let mut depth = 0usize;
        while self.at < self.s.len() {
            match self.s[self.at] {
                b'[' | b'(' => depth += 1,
                b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.at += 1;
                        return Ok(String::from_utf8_lossy(&self.s[start..self.at]).into_owned());
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
        Err("unterminated bracket in the header dictionary".into())
    }
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_dict(text: &str) -> std::result::Result<Dict, String> {
    let mut lx = Lexer {
        s: text.as_bytes(),
        at: 0,
    };
    lx.expect(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if lx.eat(b'}') {
            break;
        }
        let key = lx.string()?;
        lx.expect(b':')?;
        match key.as_str() {
            "descr" => {
                descr = Some(if matches!(lx.peek(), Some(b'[' | b'(')) {
                    lx.raw_bracketed()?
                } else {
                    lx.string()?
                });
            }
            "fortran_order" => {
                fortran = Some(match lx.word() {
                    b"True" => true,
                    b"False" => false,
                    w => {
                        return Err(format!(
                            "fortran_order is {:?}, expected True or False",
                            String::from_utf8_lossy(w)
                        ));
                    }
                });
            }
            "shape" => {
                lx.expect(b'(')?;
                let mut dims = Vec::new();
                loop {
                    if lx.eat(b')') {
                        break;
                    }
                    let w = lx.word();
                    let w = w.strip_suffix(b"L").unwrap_or(w);
                    let d = std::str::from_utf8(w)
                        .ok()
                        .and_then(|w| w.parse::<usize>().ok())
                        .ok_or_else(|| {
                            format!(
                                "shape entry {:?} is not a non-negative integer",
                                String::from_utf8_lossy(w)
                            )
                        })?;
                    dims.push(d);
                    if !lx.eat(b',') {
                        lx.expect(b')')?;
                        break;
                    }
                }
                shape = Some(dims);
            }
            other => return Err(format!("unexpected key {other:?} in the header dictionary")),
        }
        if !lx.eat(b',') {
            lx.expect(b'}')?;
            break;
        }
    }
    Ok(Dict {
        descr: descr.ok_or("the header has no 'descr'")?,
        fortran_order: fortran.ok_or("the header has no 'fortran_order'")?,
        shape: shape.ok_or("the header has no 'shape'")?,
    })
}

/// numpy's dtype name, kind and item size of a simple descriptor such as `<f8` or `|u1`.
fn describe(descr: &str) -> (String, char, Option<usize>) {
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    if body == "O" {
        return ("object".to_owned(), 'O', None);
    }
    let mut chars = body.chars();
    let Some(kind) = chars.next() else {
        return (descr.to_owned(), '?', None);
    };
    let Ok(size) = chars.as_str().parse::<usize>() else {
        return (descr.to_owned(), '?', None);
    };
    let known = match kind {
        'f' => matches!(size, 2 | 4 | 8 | 16),
        'i' | 'u' => matches!(size, 1 | 2 | 4 | 8),
        'c' => matches!(size, 8 | 16 | 32),
        'b' => size == 1,
        'U' | 'S' => size <= 1 << 20,
        _ => false,
    };
    if !known {
        return (descr.to_owned(), '?', None);
    }
    let name = match kind {
        'f' => format!("float{}", 8 * size),
        'i' => format!("int{}", 8 * size),
        'u' => format!("uint{}", 8 * size),
        'c' => format!("complex{}", 8 * size),
        'b' => "bool".to_owned(),
        'U' => format!("str{size}"),
        _ => format!("bytes{size}"),
    };
    let item = if kind == 'U' { size * 4 } else { size };
    (name, kind, Some(item))
}

/// Opens `path` and reads its checked header; the reader is left at the data.
fn open(path: &Path) -> Result<(NpyHeader, BufReader<File>)> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let header = parse_header(&mut reader, total, path)?;
    Ok((header, reader))
}

/// Reads and checks the header of the `.npy` file at `path`: the data it promises must be
/// exactly the bytes that follow it. Nothing but the header is read.
///
/// # Errors
/// [`DataError::Io`]; [`DataError::NpyHeader`] (not an `.npy` file, unknown version, header too
/// long, too deep or malformed); [`DataError::NpySize`] (the data are not `shape x itemsize`
/// bytes), each naming the file.
pub fn read_header(path: impl AsRef<Path>) -> Result<NpyHeader> {
    Ok(open(path.as_ref())?.0)
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// One element, widened.
#[derive(Clone, Copy)]
enum Value {
    Int(i128),
    Float(f64),
    Bool(bool),
}

type Decode = fn(&[u8]) -> Value;

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// The decoder of one element of `header`'s dtype, if it is numeric or boolean.
fn decoder(h: &NpyHeader) -> Option<Decode> {
    let be = h.big_endian;
    Some(match (h.kind, h.item_size, be) {
        ('b', 1, _) => |b| Value::Bool(b[0] != 0),
        ('i', 1, _) => |b| Value::Int(i128::from(b[0] as i8)),
        ('u', 1, _) => |b| Value::Int(i128::from(b[0])),
        ('i', 2, false) => |b| Value::Int(i16::from_le_bytes(arr(b)).into()),
        ('i', 2, true) => |b| Value::Int(i16::from_be_bytes(arr(b)).into()),
        ('u', 2, false) => |b| Value::Int(u16::from_le_bytes(arr(b)).into()),
        ('u', 2, true) => |b| Value::Int(u16::from_be_bytes(arr(b)).into()),
        ('i', 4, false) => |b| Value::Int(i32::from_le_bytes(arr(b)).into()),
        ('i', 4, true) => |b| Value::Int(i32::from_be_bytes(arr(b)).into()),
        ('u', 4, false) => |b| Value::Int(u32::from_le_bytes(arr(b)).into()),
        ('u', 4, true) => |b| Value::Int(u32::from_be_bytes(arr(b)).into()),
        ('i', 8, false) => |b| Value::Int(i64::from_le_bytes(arr(b)).into()),
        ('i', 8, true) => |b| Value::Int(i64::from_be_bytes(arr(b)).into()),
        ('u', 8, false) => |b| Value::Int(u64::from_le_bytes(arr(b)).into()),
        ('u', 8, true) => |b| Value::Int(u64::from_be_bytes(arr(b)).into()),
        ('f', 4, false) => |b| Value::Float(f32::from_le_bytes(arr(b)).into()),
        ('f', 4, true) => |b| Value::Float(f32::from_be_bytes(arr(b)).into()),
        ('f', 8, false) => |b| Value::Float(f64::from_le_bytes(arr(b))),
        ('f', 8, true) => |b| Value::Float(f64::from_be_bytes(arr(b))),
        _ => return None,
    })
}

/// Multi-index of the `e`-th element in file order.
fn unravel(mut e: usize, shape: &[usize], fortran: bool) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    let axes: Vec<usize> = if fortran {
        (0..shape.len()).collect()
    } else {
        (0..shape.len()).rev().collect()
    };
    for a in axes {
        let d = shape[a].max(1);
        index[a] = e % d;
        e /= d;
    }
    index
}

/// Reads the data of `h` from `r` and converts every element with `f(file position, value)`;
/// returns the array in standard layout. Allocates the result only (the header was checked
/// against the source's size).
fn read_values<T: Clone + Default>(
    r: &mut impl Read,
    h: &NpyHeader,
    path: &Path,
    decode: Decode,
    mut f: impl FnMut(usize, Value) -> Result<T>,
) -> Result<ArrayD<T>> {
    const CHUNK: usize = 1 << 16;
    let n = h.len();
    let size = h.item_size;
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; CHUNK.max(size) / size * size];
    let mut done = 0;
    while done < n {
        let take = (buf.len() / size).min(n - done);
        let bytes = &mut buf[..take * size];
        r.read_exact(bytes).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        for (k, raw) in bytes.chunks_exact(size).enumerate() {
            out.push(f(done + k, decode(raw))?);
        }
        done += take;
    }
    let shape = IxDyn(&h.shape);
    let bad_shape = |_| {
        header_err(
            path,
            format!("shape {:?} cannot be held in memory", h.shape),
        )
    };
    if h.fortran_order {
        let a = ArrayD::from_shape_vec(shape.f(), out).map_err(bad_shape)?;
        Ok(a.as_standard_layout().into_owned())
    } else {
        ArrayD::from_shape_vec(shape, out).map_err(bad_shape)
    }
}

fn dtype_err(path: &Path, h: &NpyHeader, accepted: &'static str) -> DataError {
    DataError::NpyDtype {
        path: path.to_path_buf(),
        dtype: h.dtype.clone(),
        accepted,
    }
}

/// Features from an open `.npy` source: integers or floats as `f32`.
fn f32_values(r: &mut impl Read, h: &NpyHeader, path: &Path) -> Result<ArrayD<f32>> {
    if !matches!(h.kind, 'f' | 'i' | 'u') {
        return Err(dtype_err(path, h, FEATURE_DTYPES));
    }
    let accepted = if h.kind == 'f' {
        MATRIX_DTYPES
    } else {
        FEATURE_DTYPES
    };
    let decode = decoder(h).ok_or_else(|| dtype_err(path, h, accepted))?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    read_values(r, h, path, decode, |e, v| match v {
        Value::Float(x) => {
            let y = x as f32;
            if x.is_finite() && !y.is_finite() {
                return Err(DataError::NpyF32Range {
                    path: path.to_path_buf(),
                    index: unravel(e, &h.shape, h.fortran_order),
                    value: x,
                });
            }
            Ok(y)
        }
        Value::Int(i) => Ok(i as f32),
        Value::Bool(b) => Ok(f32::from(u8::from(b))),
    })
}

fn check_finite(a: ArrayD<f32>, path: &Path) -> Result<ArrayD<f32>> {
    if let Some((index, &value)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(DataError::NpyNonFinite {
            path: path.to_path_buf(),
            index: index.slice().to_vec(),
            value,
        });
    }
    Ok(a)
}

/// The one label rule, for labels (`max` = [`MAX_LABEL`]) and ids (`max` = `usize::MAX`).
fn index_values(
    r: &mut impl Read,
    h: &NpyHeader,
    path: &Path,
    max: usize,
    what: &'static str,
) -> Result<Array1<usize>> {
    if h.is_text() {
        return Err(DataError::NpyTextLabels {
            path: path.to_path_buf(),
            dtype: h.dtype.clone(),
            what,
        });
    }
    if h.shape.len() != 1 {
        return Err(DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape.clone(),
            expected: "1 (one value per sample)",
        });
    }
    let decode = match h.kind {
        'f' | 'i' | 'u' => decoder(h),
        _ => None,
    }
    .ok_or_else(|| dtype_err(path, h, LABEL_DTYPES))?;
    let bad = |row: usize, value: String, reason: String| DataError::NpyLabel {
        path: path.to_path_buf(),
        what,
        row,
        value,
        reason,
    };
    let above = || format!("above the largest accepted value {max}");
    let a = read_values(r, h, path, decode, |row, v| match v {
        Value::Int(i) => {
            if i < 0 {
                return Err(bad(row, i.to_string(), "negative".into()));
            }
            match usize::try_from(i) {
                Ok(u) if u <= max => Ok(u),
                _ => Err(bad(row, i.to_string(), above())),
            }
        }
        Value::Float(x) => {
            if !x.is_finite() || x.fract() != 0.0 {
                return Err(bad(
                    row,
                    x.to_string(),
                    format!("not a whole number ({})", h.dtype),
                ));
            }
            if x < 0.0 {
                return Err(bad(row, x.to_string(), "negative".into()));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            match (x <= MAX_EXACT_FLOAT).then_some(x as u64) {
                Some(u) if usize::try_from(u).is_ok_and(|u| u <= max) => {
                    Ok(usize::try_from(u).unwrap_or(usize::MAX))
                }
                _ => Err(bad(row, format!("{x}"), above())),
            }
        }
        Value::Bool(_) => Err(dtype_err(path, h, LABEL_DTYPES)),
    })?;
    a.into_dimensionality::<ndarray::Ix1>()
        .map_err(|_| DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape.clone(),
            expected: "1 (one value per sample)",
        })
}

/// An element type [`read_npy`] and [`write_npy`] handle: `f32`, `f64`, `i8`..`i64`,
/// `u8`..`u64`, `bool`.
pub trait NpyElement: Copy + Default + 'static {
    /// The little-endian descriptor written (`<f4`, `|u1`, ...).
    const DESCR: &'static str;
    /// numpy's `dtype.kind` (`'f'`, `'i'`, `'u'`, `'b'`).
    const KIND: char;
    /// Bytes per element.
    const SIZE: usize;
    /// The element from a decoded value of the same dtype.
    #[doc(hidden)]
    fn from_value(v: ValueRef) -> Self;
    /// Appends the element's little-endian bytes.
    fn write_le(self, out: &mut Vec<u8>);
}

/// A decoded element handed to [`NpyElement::from_value`] (opaque).
#[derive(Clone, Copy)]
#[doc(hidden)]
pub struct ValueRef(Value);

macro_rules! int_element {
    ($t:ty, $descr:literal, $kind:literal) => {
        impl NpyElement for $t {
            const DESCR: &'static str = $descr;
            const KIND: char = $kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            fn from_value(v: ValueRef) -> Self {
                match v.0 {
                    Value::Int(i) => i as $t,
                    Value::Float(x) => x as $t,
                    Value::Bool(b) => <$t>::from(b),
                }
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
int_element!(i8, "|i1", 'i');
int_element!(i16, "<i2", 'i');
int_element!(i32, "<i4", 'i');
int_element!(i64, "<i8", 'i');
int_element!(u8, "|u1", 'u');
int_element!(u16, "<u2", 'u');
int_element!(u32, "<u4", 'u');
int_element!(u64, "<u8", 'u');

macro_rules! float_element {
    ($t:ty, $descr:literal) => {
        impl NpyElement for $t {
            const DESCR: &'static str = $descr;
            const KIND: char = 'f';
            const SIZE: usize = std::mem::size_of::<$t>();
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            fn from_value(v: ValueRef) -> Self {
                match v.0 {
                    Value::Float(x) => x as $t,
                    Value::Int(i) => i as $t,
                    Value::Bool(b) => <$t>::from(u8::from(b)),
                }
            }
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
float_element!(f32, "<f4");
float_element!(f64, "<f8");

impl NpyElement for bool {
    const DESCR: &'static str = "|b1";
    const KIND: char = 'b';
    const SIZE: usize = 1;
    fn from_value(v: ValueRef) -> Self {
        matches!(v.0, Value::Bool(true))
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
}

fn rank_words(ndim: Option<usize>) -> &'static str {
    match ndim {
        Some(0) => "0",
        Some(1) => "1",
        Some(2) => "2",
        Some(3) => "3",
        Some(4) => "4",
        Some(5) => "5",
        Some(6) => "6",
        _ => "the one asked for",
    }
}

/// Reads an `.npy` file whose dtype is exactly `T` (either byte order, C or Fortran order) as an
/// array of dimension `D` in standard layout: `let x: Array2<f64> = read_npy(path)?`. For
/// tests, benchmarks and fixtures; the study's routes use [`read_npy_features`],
/// [`read_npy_matrix`] and [`read_npy_labels`], which convert dtypes.
///
/// # Errors
/// [`DataError::Io`], [`DataError::NpyHeader`], [`DataError::NpySize`];
/// [`DataError::NpyDtype`] if the dtype is not `T`'s; [`DataError::NpyRank`] if the rank is not
/// `D`'s; each naming the file.
pub fn read_npy<T: NpyElement, D: Dimension>(
    path: impl AsRef<Path>,
) -> Result<ndarray::Array<T, D>> {
    let path = path.as_ref();
    let (h, mut r) = open(path)?;
    let want = std::any::type_name::<T>();
    let decode = decoder(&h)
        .filter(|_| h.kind == T::KIND && h.item_size == T::SIZE)
        .ok_or_else(|| DataError::NpyDtype {
            path: path.to_path_buf(),
            dtype: h.dtype.clone(),
            accepted: want,
        })?;
    let a = read_values(&mut r, &h, path, decode, |_, v| {
        Ok(T::from_value(ValueRef(v)))
    })?;
    a.into_dimensionality::<D>()
        .map_err(|_| DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape.clone(),
            expected: rank_words(D::NDIM),
        })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// Reads an `.npy` buffer of any supported feature dtype as `f32` (refusing NaN and infinities).
pub(crate) fn features_from_bytes(bytes: &[u8], path: &Path) -> Result<ArrayD<f32>> {
    let mut r = bytes;
    let h = parse_header(&mut r, bytes.len() as u64, path)?;
    check_finite(f32_values(&mut r, &h, path)?, path)
}

/// Reads a 1-D `.npy` buffer of labels under the one label rule.
pub(crate) fn labels_from_bytes(bytes: &[u8], path: &Path) -> Result<Array1<usize>> {
    let mut r = bytes;
    let h = parse_header(&mut r, bytes.len() as u64, path)?;
    index_values(&mut r, &h, path, MAX_LABEL, "labels")
}

/// Reads an `.npy` file of features: any rank, integers (`int8`..`int64`, `uint8`..`uint64`)
/// or floats (`float32`, `float64`), as `f32` in standard layout. NaN and infinities are
/// refused (e.g. the samples of an unseen class; give them to [`Dataset::from_array`] with the
/// labels you choose).
///
/// # Errors
/// [`DataError::Io`], [`DataError::NpyHeader`], [`DataError::NpySize`], [`DataError::NpyDtype`],
/// [`DataError::NpyF32Range`] (a finite `float64` beyond `f32`'s range),
/// [`DataError::NpyNonFinite`], each naming the file.
pub fn read_npy_features(path: impl AsRef<Path>) -> Result<ArrayD<f32>> {
    let path = path.as_ref();
    let (h, mut r) = open(path)?;
    check_finite(f32_values(&mut r, &h, path)?, path)
}

/// Reads a 2-D `.npy` file of `float32` or `float64` values (C or Fortran order) as an `f32` matrix in
/// standard layout, e.g. one layer's activations exported with `np.save`. NaN and infinities
/// are kept, for the caller to report with the layer's name.
///
/// # Errors
/// As [`read_npy_features`] (without [`DataError::NpyNonFinite`]), and [`DataError::NpyRank`]
/// for another rank.
pub fn read_npy_matrix(path: impl AsRef<Path>) -> Result<Array2<f32>> {
    let path = path.as_ref();
    let (h, mut r) = open(path)?;
    if h.shape.len() != 2 {
        return Err(DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape,
            expected: "2 (samples x units)",
        });
    }
    if h.kind != 'f' {
        return Err(dtype_err(path, &h, MATRIX_DTYPES));
    }
    f32_values(&mut r, &h, path)?
        .into_dimensionality::<Ix2>()
        .map_err(|_| DataError::NpyRank {
            path: path.to_path_buf(),
            shape: h.shape.clone(),
            expected: "2 (samples x units)",
        })
}

/// Reads a 1-D `.npy` file of labels (class indices) under the one label rule: integer dtypes
/// as they are, `float32`/`float64` when every value is a whole number (`1.0` becomes `1`);
/// every value in `0..=`[`MAX_LABEL`].
///
/// # Errors
/// [`DataError::Io`], [`DataError::NpyHeader`], [`DataError::NpySize`];
/// [`DataError::NpyTextLabels`] for text or object labels (`<U5`, `|S3`, `|O`: integer class
/// indices are needed); [`DataError::NpyDtype`] for another dtype (`bool`, `complex128`);
/// [`DataError::NpyRank`] if not 1-D; [`DataError::NpyLabel`] naming the file, row and value of
/// a label that is negative, fractional, not finite or above [`MAX_LABEL`].
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    let path = path.as_ref();
    let (h, mut r) = open(path)?;
    index_values(&mut r, &h, path, MAX_LABEL, "labels")
}

/// Reads a 1-D `.npy` file of sample ids: the rule of [`read_npy_labels`] without the
/// [`MAX_LABEL`] bound (floats up to 2^53).
///
/// # Errors
/// As [`read_npy_labels`].
pub fn read_npy_ids(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    let path = path.as_ref();
    let (h, mut r) = open(path)?;
    index_values(&mut r, &h, path, usize::MAX, "ids")
}

/// Writes `array` as an `.npy` version 1.0 stream (C order, little-endian) to `writer`.
///
/// # Errors
/// The writer's I/O errors.
pub fn write_npy_to<T, S, D>(
    writer: &mut impl Write,
    array: &ArrayBase<S, D>,
) -> std::io::Result<()>
where
    T: NpyElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    let shape = match array.shape() {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        T::DESCR
    );
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let len = u16::try_from(header.len())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "header too long"))?;
    writer.write_all(MAGIC)?;
    writer.write_all(&[1, 0])?;
    writer.write_all(&len.to_le_bytes())?;
    writer.write_all(header.as_bytes())?;
    let mut buf = Vec::with_capacity(T::SIZE * 8192);
    for &v in array {
        v.write_le(&mut buf);
        if buf.len() >= T::SIZE * 8192 {
            writer.write_all(&buf)?;
            buf.clear();
        }
    }
    writer.write_all(&buf)?;
    writer.flush()
}

/// `array` as the bytes of an `.npy` file (see [`write_npy_to`]).
#[must_use]
pub fn to_npy_bytes<T, S, D>(array: &ArrayBase<S, D>) -> Vec<u8>
where
    T: NpyElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_npy_to(&mut out, array);
    out
}

/// Writes `array` to the `.npy` file `path` (created or truncated; C order, little-endian),
/// readable by `np.load` and by every reader of this module.
///
/// # Errors
/// [`DataError::Write`] naming the file.
pub fn write_npy<T, S, D>(path: impl AsRef<Path>, array: &ArrayBase<S, D>) -> Result<()>
where
    T: NpyElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    let path = path.as_ref();
    let err = |source| DataError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut w = BufWriter::new(File::create(path).map_err(err)?);
    write_npy_to(&mut w, array).map_err(err)
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
    /// A data set from an array of rank 2 (features, `n x d`) or more (samples of any shape,
    /// e.g. images `n x rows x cols` or `n x channels x rows x cols`, token sequences
    /// `n x tokens x features`: flattened row-major, the sample shape kept, see
    /// [`Dataset::sample_shape`]) and one label per sample.
    /// Classes are `0..=max(labels)` as in [`Dataset::new`]; call [`Dataset::relabel`] or
    /// [`Dataset::select_classes`] to keep only the classes present or wanted.
    ///
    /// # Errors
    /// [`DataError::ArrayRank`] for rank 0 or 1; [`DataError::LengthMismatch`] if the sample
    /// and label counts differ.
    pub fn from_array(x: ArrayD<f32>, labels: Array1<usize>) -> Result<Self> {
        let shape = x.shape().to_vec();
        let [n, sample @ ..] = shape.as_slice() else {
            return Err(DataError::ArrayRank { shape });
        };
        if sample.is_empty() {
            return Err(DataError::ArrayRank { shape });
        }
        let width = sample.iter().product::<usize>();
        let x = if x.is_standard_layout() {
            x
        } else {
            x.as_standard_layout().into_owned()
        };
        let x = x
            .into_shape_with_order((*n, width))
            .map_err(|_| DataError::ArrayRank {
                shape: shape.clone(),
            })?;
        Self::new(x, labels)?.with_sample_shape(sample.to_vec())
    }

    /// A data set from two `.npy` files: features `X` (`n x d`, or samples of any shape, see
    /// [`Dataset::from_array`];
    /// the dtypes of [`read_npy_features`], converted to `f32` unscaled) and labels `y` (`n`
    /// class indices under the one label rule of [`read_npy_labels`]), as written by `np.save`.
    /// Classes are `0..=max(y)` (see [`Dataset::from_array`]). Scale afterwards, e.g. with
    /// [`Dataset::stratified_split_standardized`].
    ///
    /// # Errors
    /// The errors of [`read_npy_features`] and [`read_npy_labels`], each naming the file;
    /// [`DataError::NpyRank`], [`DataError::ArrayRank`] and [`DataError::NpyCountMismatch`].
    pub fn from_npy(x_path: impl AsRef<Path>, y_path: impl AsRef<Path>) -> Result<Self> {
        let (x_path, y_path) = (x_path.as_ref(), y_path.as_ref());
        let x = features_from_bytes(&read_file(x_path)?, x_path)?;
        let y = labels_from_bytes(&read_file(y_path)?, y_path)?;
        Self::from_named_arrays(x, y, x_path.to_path_buf(), y_path.to_path_buf())
    }

    /// Samples without labels from one `.npy` file of features (`n x d`, or samples of any
    /// shape; the dtypes of [`Dataset::from_npy`]), e.g. the samples of a class
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
        if x.ndim() < 2 {
            return Err(DataError::NpyRank {
                path: x_path,
                shape: x.shape().to_vec(),
                expected: "2 or more (samples x features, or samples x the shape of one sample)",
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
    use mtq_testkit::raw_npy;
    use ndarray::{Array, IxDyn, array};

    use super::*;

    fn npy<T: NpyElement, S: Data<Elem = T>, D: Dimension>(a: &ArrayBase<S, D>) -> Vec<u8> {
        to_npy_bytes(a)
    }

    #[test]
    fn arrays_of_any_rank_keep_their_sample_shape() {
        let labels = array![0, 1];
        // RGB images as a network takes them: 2 x 3 x 2 x 2, flattened in c·h·w order
        let rgb = Array::from_shape_fn(IxDyn(&[2, 3, 2, 2]), |i| {
            (i[0] * 12 + i[1] * 4 + i[2] * 2 + i[3]) as f32
        });
        let d = Dataset::from_array(rgb, labels.clone()).unwrap();
        assert_eq!(d.n_features(), 12);
        assert_eq!(d.sample_shape(), Some(&[3, 2, 2][..]));
        assert_eq!(
            (d.image_shape(), d.image_channels()),
            (Some((2, 2)), Some(3))
        );
        assert!(
            d.image(0).is_none() && d.images().is_none(),
            "no grey view of RGB images"
        );
        assert_eq!(d.features().row(1)[4], 16.0); // sample 1, channel 1, pixel (0, 0)
        // one channel first: grey images
        let grey =
            Dataset::from_array(ArrayD::zeros(IxDyn(&[2, 1, 3, 2])), labels.clone()).unwrap();
        assert_eq!(
            (grey.image_shape(), grey.image_channels()),
            (Some((3, 2)), Some(1))
        );
        assert_eq!(grey.image(1).unwrap().dim(), (3, 2));
        // other shapes are kept but are not images
        let other =
            Dataset::from_array(ArrayD::zeros(IxDyn(&[2, 4, 3, 2, 2])), labels.clone()).unwrap();
        assert_eq!(other.sample_shape(), Some(&[4, 3, 2, 2][..]));
        assert_eq!((other.image_shape(), other.n_features()), (None, 48));
        // plain features have no sample shape; rank 1 has no feature axis
        let flat = Dataset::from_array(ArrayD::zeros(IxDyn(&[2, 5])), labels.clone()).unwrap();
        assert_eq!(flat.sample_shape(), None);
        assert!(matches!(
            Dataset::from_array(ArrayD::zeros(IxDyn(&[2])), labels.clone()),
            Err(DataError::ArrayRank { shape }) if shape == [2]
        ));
        assert!(matches!(
            flat.with_sample_shape(vec![2, 3]),
            Err(DataError::SampleShape { n_features: 5, .. })
        ));
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
        for bytes in [
            npy(&array![[1i8, -2]]),
            npy(&array![[1i16, -2]]),
            npy(&array![[1u32, 2]]),
            npy(&array![[1u64, 2]]),
        ] {
            let f = features_from_bytes(&bytes, p).unwrap();
            assert_eq!(f.shape(), [1, 2]);
        }
    }

    #[test]
    fn fortran_and_big_endian_files_read_in_standard_layout() {
        let p = Path::new("f.npy");
        // numpy: np.asfortranarray(np.arange(6, dtype='>f4').reshape(2, 3))
        let payload: Vec<u8> = [0f32, 3., 1., 4., 2., 5.]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let bytes = raw_npy(
            "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
            &payload,
        );
        let f = features_from_bytes(&bytes, p).unwrap();
        assert_eq!(f, array![[0f32, 1., 2.], [3., 4., 5.]].into_dyn());
        assert!(f.is_standard_layout());
    }

    #[test]
    fn unlabelled_features_are_one_class_and_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("mtq-data-unlabelled-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("u.npy");
        write_npy(&p, &array![[1f32, 2.], [3., 4.], [5., 6.]]).unwrap();
        let d = Dataset::from_npy_unlabelled(&p).unwrap();
        assert_eq!((d.n_samples(), d.n_features()), (3, 2));
        assert_eq!((d.classes(), d.labels().to_vec()), (&[0][..], vec![0; 3]));
        write_npy(&p, &array![1f32, 2.]).unwrap();
        let e = Dataset::from_npy_unlabelled(&p).unwrap_err();
        assert!(e.to_string().contains("u.npy"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_then_read_every_element_type() {
        let dir = std::env::temp_dir().join(format!("mtq-data-rw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.npy");
        let f = array![[1.5f32, -2.0, 3.25], [4.0, 5.0, 6.0]];
        write_npy(&p, &f).unwrap();
        assert_eq!(read_npy::<f32, Ix2>(&p).unwrap(), f);
        assert_eq!(read_npy_matrix(&p).unwrap(), f);
        let i = array![-1i64, 2, 3];
        write_npy(&p, &i).unwrap();
        assert_eq!(read_npy::<i64, ndarray::Ix1>(&p).unwrap(), i);
        assert!(matches!(
            read_npy::<f64, ndarray::Ix1>(&p),
            Err(DataError::NpyDtype { .. })
        ));
        assert!(matches!(
            read_npy::<i64, Ix2>(&p),
            Err(DataError::NpyRank { .. })
        ));
        let u = Array::from_shape_fn((2, 2, 2), |(a, b, c)| (a * 4 + b * 2 + c) as u8);
        write_npy(&p, &u).unwrap();
        assert_eq!(read_npy::<u8, ndarray::Ix3>(&p).unwrap(), u);
        // a transposed (non-standard) view is written in logical C order
        write_npy(&p, &f.t()).unwrap();
        assert_eq!(read_npy::<f32, Ix2>(&p).unwrap(), f.t());
        write_npy(&p, &array![true, false]).unwrap();
        assert_eq!(
            read_npy::<bool, ndarray::Ix1>(&p).unwrap(),
            array![true, false]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn one_label_rule() {
        let p = Path::new("y.npy");
        assert_eq!(
            labels_from_bytes(&npy(&array![1.0f64, 0.0, 7.0]), p).unwrap(),
            array![1, 0, 7]
        );
        assert_eq!(
            labels_from_bytes(&npy(&array![3u8, 1]), p).unwrap(),
            array![3, 1]
        );
        assert!(matches!(
            labels_from_bytes(&npy(&array![1.0f32, 0.5]), p),
            Err(DataError::NpyLabel { row: 1, ref value, .. }) if value == "0.5"
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![0i64, (MAX_LABEL + 1) as i64]), p),
            Err(DataError::NpyLabel { row: 1, .. })
        ));
        let text = raw_npy(
            "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
            &[0; 24],
        );
        let e = labels_from_bytes(&text, p).unwrap_err();
        assert!(matches!(e, DataError::NpyTextLabels { .. }), "{e:?}");
        assert!(
            e.to_string().contains("text") && e.to_string().contains("y.npy"),
            "{e}"
        );
        let obj = raw_npy(
            "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
            &[0; 16],
        );
        assert!(matches!(
            labels_from_bytes(&obj, p),
            Err(DataError::NpyTextLabels { .. })
        ));
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
        assert!(matches!(
            features_from_bytes(&npy(&array![[1e300f64]]), p),
            Err(DataError::NpyF32Range { ref index, .. }) if index == &[0, 0]
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
                row: 1,
                ref value,
                ..
            }) if value == "-2"
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![[1u8]]), p),
            Err(DataError::NpyRank { .. })
        ));
        assert!(matches!(
            labels_from_bytes(&npy(&array![true]), p),
            Err(DataError::NpyDtype { .. })
        ));
        let x = Array::<f32, _>::zeros(IxDyn(&[2]));
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
        // a zero-length axis beside a huge one holds no element
        let empty = raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 18446744073709551615), }",
            &[],
        );
        assert!(features_from_bytes(&empty, Path::new("empty.npy")).is_err());
    }

    #[test]
    fn header_dictionaries() {
        let d = parse_dict("{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }").unwrap();
        assert_eq!(
            (d.descr.as_str(), d.fortran_order, d.shape),
            ("<f8", true, vec![3])
        );
        let d =
            parse_dict("{\"shape\": (), \"fortran_order\": False, \"descr\": \"|u1\"}").unwrap();
        assert_eq!(d.shape, Vec::<usize>::new());
        let d =
            parse_dict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}").unwrap();
        assert_eq!(describe(&d.descr).1, '?');
        for bad in [
            "",
            "{",
            "{'descr': '<f4'}",
            "{'shape': (-1,)}",
            "{'descr': 3}",
            "{'x': 1}",
        ] {
            assert!(parse_dict(bad).is_err(), "{bad}");
        }
        assert_eq!(describe("<f8"), ("float64".into(), 'f', Some(8)));
        assert_eq!(describe("|b1"), ("bool".into(), 'b', Some(1)));
        assert_eq!(describe("<U3"), ("str3".into(), 'U', Some(12)));
        assert_eq!(describe("<f99999999999999999999").1, '?');
        assert_eq!(describe(&format!("<i{}", usize::MAX)).1, '?');
        assert_eq!(max_depth(b"((((x))))"), 4);
    }
}
