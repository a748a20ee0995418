//! The `.npy` header, read and checked against the file's size before any array is allocated.
//!
//! `ndarray-npy` allocates what a header promises (the header text, then `shape x itemsize`
//! bytes) before it reads them, so a 10 KB file whose header claims 16 GB aborts the process.
//! [`inspect`] reads the preamble itself, refuses a header longer than [`MAX_HEADER_BYTES`] or
//! than the file, refuses headers nested deeper than [`MAX_HEADER_DEPTH`] (the Python-literal
//! parser recurses), and checks that the data the header promises fits in the bytes left in the
//! file. Only then is the array read, so nothing is allocated beyond the file's own size.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use ndarray_npy::ReadNpyError;
use ndarray_npy::npy::header::Header;

use crate::error::{ActivationsError, Result};

/// Longest header accepted, in bytes (numpy itself refuses headers above 10,000 bytes unless
/// told otherwise).
pub const MAX_HEADER_BYTES: usize = 65_536;

/// Deepest nesting of brackets accepted in a header. A plain array's header nests 2 deep (the
/// dict and the shape tuple); the Python-literal parser backtracks exponentially on unclosed
/// brackets (a 176-byte header of 24 `[` held it for minutes in the fuzz harness), so the
/// bound is tight.
pub const MAX_HEADER_DEPTH: usize = 4;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// What an `.npy` header says, checked against the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyHeader {
    /// numpy's name of the dtype (`float32`, `int64`, `bool`, ...) or the raw descriptor.
    pub dtype: String,
    /// `'f'`, `'i'`, `'u'`, `'b'`, ... (numpy's `dtype.kind`), `'?'` if not a plain dtype.
    pub kind: char,
    /// Shape of the array.
    pub shape: Vec<usize>,
    /// Whether the data are in column-major (Fortran) order.
    pub fortran_order: bool,
    /// Whether the values are big-endian (`>` in the descriptor).
    pub big_endian: bool,
    /// Where the data start in the file, in bytes.
    pub data_offset: u64,
}

fn bad_header(path: &Path, source: impl Into<ReadNpyError>) -> ActivationsError {
    ActivationsError::NpyRead {
        path: path.to_owned(),
        source: source.into(),
    }
}

/// Reads and checks the header of the `.npy` file at `path`; see the module docs.
///
/// # Errors
/// [`ActivationsError::Io`] if the file cannot be read; [`ActivationsError::NpyHeader`] for a
/// header too long, too deep, or longer than the file; [`ActivationsError::NpyRead`] for a
/// header ndarray-npy cannot parse; [`ActivationsError::NpyTooShort`] if the data the header
/// promises does not fit in the rest of the file.
pub(crate) fn inspect(path: &Path) -> Result<NpyHeader> {
    let io = |source| ActivationsError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let header_err = |reason: String| ActivationsError::NpyHeader {
        path: path.to_owned(),
        reason,
    };
    let mut pre = [0u8; 12];
    let got = read_up_to(&mut file, &mut pre).map_err(io)?;
    if got < 10 || &pre[..6] != MAGIC {
        return Err(header_err(format!(
            "not an .npy file (starts with {:02x?}, expected the magic \\x93NUMPY)",
            &pre[..got.min(6)]
        )));
    }
    let (major, minor) = (pre[6], pre[7]);
    let (len_bytes, header_len) = match major {
        1 => (2, usize::from(u16::from_le_bytes([pre[8], pre[9]]))),
        2 | 3 if got == 12 => (
            4,
            u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize,
        ),
        _ => {
            return Err(header_err(format!(
                "unsupported .npy version {major}.{minor} (or file cut short)"
            )));
        }
    };
    let preamble = 8 + len_bytes;
    if header_len > MAX_HEADER_BYTES {
        return Err(header_err(format!(
            "header of {header_len} bytes, at most {MAX_HEADER_BYTES} accepted"
        )));
    }
    if (preamble + header_len) as u64 > file_len {
        return Err(header_err(format!(
            "header of {header_len} bytes but the file holds only {file_len} bytes"
        )));
    }
    // The header bytes, bounded above by MAX_HEADER_BYTES and by the file's size.
    let mut bytes = pre[..preamble].to_vec();
    bytes.resize(preamble + header_len, 0);
    let tail_got = (got - preamble.min(got)).min(header_len);
    bytes[preamble..preamble + tail_got].copy_from_slice(&pre[preamble..preamble + tail_got]);
    file.read_exact(&mut bytes[preamble + tail_got..])
        .map_err(io)?;
    let depth = max_depth(&bytes[preamble..]);
    if depth > MAX_HEADER_DEPTH {
        return Err(header_err(format!(
            "header nests {depth} brackets deep, at most {MAX_HEADER_DEPTH} accepted"
        )));
    }
    let header = Header::from_reader(&mut Cursor::new(&bytes)).map_err(|e| bad_header(path, e))?;
    let descr = header.type_descriptor.to_string();
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let (dtype, kind, itemsize) = describe(descr);
    let data_bytes = header
        .shape
        .iter()
        .try_fold(itemsize.unwrap_or(1), |acc, &d| acc.checked_mul(d));
    let available = file_len - (preamble + header_len) as u64;
    match data_bytes {
        Some(b) if (b as u64) <= available => Ok(NpyHeader {
            dtype,
            kind,
            shape: header.shape,
            fortran_order: header.layout.is_fortran(),
            big_endian: descr.starts_with('>'),
            data_offset: (preamble + header_len) as u64,
        }),
        _ => Err(ActivationsError::NpyTooShort {
            path: path.to_owned(),
            shape: header.shape,
            dtype,
            expected: data_bytes,
            available,
        }),
    }
}

/// Reads until `buf` is full or the file ends.
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

/// numpy's dtype name, kind and item size of a simple descriptor such as `<f8` or `|u1`.
fn describe(descr: &str) -> (String, char, Option<usize>) {
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = body.chars();
    let Some(kind) = chars.next() else {
        return (descr.to_owned(), '?', None);
    };
    let Ok(size) = chars.as_str().parse::<usize>() else {
        return (descr.to_owned(), '?', None);
    };
    if size > 64 && kind != 'U' && kind != 'S' {
        return (descr.to_owned(), '?', None);
    }
    let name = match kind {
        'f' => format!("float{}", 8 * size),
        'i' => format!("int{}", 8 * size),
        'u' => format!("uint{}", 8 * size),
        'c' => format!("complex{}", 8 * size),
        'b' if size == 1 => "bool".to_owned(),
        'U' => format!("str{size}"),
        'S' => format!("bytes{size}"),
        _ => descr.to_owned(),
    };
    let itemsize = match kind {
        'U' => size.checked_mul(4),
        _ => Some(size),
    };
    (name, kind, itemsize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_get_numpy_names() {
        assert_eq!(describe("<f8"), ("float64".into(), 'f', Some(8)));
        assert_eq!(describe("|u1"), ("uint8".into(), 'u', Some(1)));
        assert_eq!(describe("|b1"), ("bool".into(), 'b', Some(1)));
        assert_eq!(describe("<U3"), ("str3".into(), 'U', Some(12)));
        assert_eq!(describe("weird").1, '?');
        // sizes that would overflow the name arithmetic
        assert_eq!(describe("<f99999999999999999999").1, '?');
        assert_eq!(describe(&format!("<i{}", usize::MAX)).1, '?');
    }

    #[test]
    fn depth_counts_nesting() {
        assert_eq!(max_depth(b"{'shape': (3, 4), }"), 2);
        assert_eq!(max_depth(b"((((x))))"), 4);
    }
}
