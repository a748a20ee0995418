//! A seeded mutator of valid inputs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Integers that break size arithmetic, written over headers.
const INTERESTING: [u64; 10] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    1 << 32,
    1 << 62,
    u64::MAX,
];

/// Decimal numbers that break parsers and size arithmetic, written over digit runs.
const HUGE_DIGITS: [&str; 7] = [
    "0",
    "1000000000",
    "4294967296",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "-1",
];

/// Seeded mutations of valid inputs; see the crate docs.
#[derive(Debug, Clone)]
pub struct Mutator {
    rng: ChaCha8Rng,
    header_len: usize,
}

impl Mutator {
    /// A mutator drawing from `ChaCha8Rng::seed_from_u64(seed)`; `header_len` bytes at the start
    /// are treated as a header and mutated more often.
    #[must_use]
    pub fn new(seed: u64, header_len: usize) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            header_len: header_len.max(1),
        }
    }

    /// The random generator, for choices of the caller's own.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// One to three mutations of `seed` (bytes).
    pub fn bytes(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut b = seed.to_vec();
        for _ in 0..self.rng.random_range(1..=3) {
            self.one(&mut b);
        }
        b
    }

    /// One to three mutations of `seed` as text: the byte mutations, plus digit runs replaced by
    /// huge or negative numbers and brackets inserted (deep nesting).
    pub fn text(&mut self, seed: &str) -> Vec<u8> {
        let mut b = seed.as_bytes().to_vec();
        for _ in 0..self.rng.random_range(1..=3) {
            match self.rng.random_range(0..4) {
                0 => self.digits(&mut b),
                1 => {
                    let at = self.rng.random_range(0..=b.len());
                    let open = [b'[', b'(', b'{'][self.rng.random_range(0..3)];
                    let n = self.rng.random_range(1..200);
                    b.splice(at..at, std::iter::repeat_n(open, n));
                }
                _ => self.one(&mut b),
            }
        }
        b
    }

    fn digits(&mut self, b: &mut Vec<u8>) {
        let runs: Vec<(usize, usize)> = {
            let mut runs = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i].is_ascii_digit() {
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    runs.push((start, i));
                } else {
                    i += 1;
                }
            }
            runs
        };
        if runs.is_empty() {
            return self.one(b);
        }
        let (s, e) = runs[self.rng.random_range(0..runs.len())];
        let with = HUGE_DIGITS[self.rng.random_range(0..HUGE_DIGITS.len())];
        b.splice(s..e, with.bytes());
    }

    fn pos(&mut self, len: usize, inclusive: bool) -> usize {
        let hi = if self.rng.random_bool(0.6) {
            len.min(self.header_len)
        } else {
            len
        };
        if inclusive {
            self.rng.random_range(0..=hi)
        } else {
            self.rng.random_range(0..hi.max(1))
        }
    }

    fn one(&mut self, b: &mut Vec<u8>) {
        match self.rng.random_range(0..7) {
            0 => {
                let i = self.pos(b.len(), false);
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << self.rng.random_range(0..8);
                }
            }
            1 => {
                let i = self.pos(b.len(), false);
                if let Some(x) = b.get_mut(i) {
                    *x = self.rng.random();
                }
            }
            2 => {
                let at = self.rng.random_range(0..=b.len());
                b.truncate(at);
            }
            3 => {
                let n = self.rng.random_range(1..64);
                b.extend((0..n).map(|_| self.rng.random::<u8>()));
            }
            4 => {
                let at = self.pos(b.len(), true);
                let v: u8 = self.rng.random();
                b.insert(at, v);
            }
            5 => {
                if !b.is_empty() {
                    let at = self.pos(b.len(), false);
                    let n = self.rng.random_range(1..=16).min(b.len() - at);
                    b.drain(at..at + n);
                }
            }
            _ => {
                // an interesting integer, little or big endian, 2, 4 or 8 bytes wide
                let v = INTERESTING[self.rng.random_range(0..INTERESTING.len())];
                let width = [2usize, 4, 8][self.rng.random_range(0..3)];
                let bytes = if self.rng.random_bool(0.5) {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                let bytes = if bytes[0] == 0 && width < 8 {
                    &bytes[8 - width..]
                } else {
                    &bytes[..width]
                };
                if b.len() >= width {
                    let at = self.pos(b.len() - width + 1, false);
                    b[at..at + width].copy_from_slice(bytes);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutations() {
        let seed = b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'shape': (3, 4), }";
        let mut a = Mutator::new(7, 16);
        let mut b = Mutator::new(7, 16);
        for _ in 0..50 {
            assert_eq!(a.bytes(seed), b.bytes(seed));
            assert_eq!(a.text("{\"n\": 12}"), b.text("{\"n\": 12}"));
        }
        let changed = (0..50).filter(|_| a.bytes(seed) != seed).count();
        assert!(changed > 40, "{changed}");
    }
}
