//! Hand-built `.npy` bytes for tests of the readers: any header dictionary, even a lying one.

/// An `.npy` version 1.0 file: the magic and version, the header dictionary `dict` (e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`) padded with spaces and a
/// newline to a multiple of 64 bytes as numpy writes it, then `payload` as given.
///
/// # Panics
/// If the padded header exceeds 65,535 bytes (a version 1.0 header's limit).
#[must_use]
pub fn raw_npy(dict: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = dict.to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let len = u16::try_from(header.len()).expect("an .npy v1.0 header fits in 65,535 bytes");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_is_padded_to_64_bytes() {
        let b = super::raw_npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
            &[1, 2, 3, 4],
        );
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let len = usize::from(u16::from_le_bytes([b[8], b[9]]));
        assert_eq!((10 + len) % 64, 0);
        assert_eq!(b[10 + len - 1], b'\n');
        assert_eq!(&b[10 + len..], &[1, 2, 3, 4]);
    }
}
