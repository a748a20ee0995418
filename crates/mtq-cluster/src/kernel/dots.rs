//! The inner loop shared by the K-means kernels: dot products of two blocks of packed rows
//! with a group of centres, handed to a [`DotsSink`].

use super::packed::{Centres, GROUP, PackedRows};

/// `a · b + c`, fused when `FMA` (the caller runs with the `fma` target feature).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Dot products of two blocks of `L` rows (`x0`, `x1`: `d` features each) with the
/// [`GROUP`] centres of `group`: `[block][centre][row lane]`. Each product is one sequential
/// chain over the features, so its value never depends on where the row sits.
#[inline(always)]
fn dots<const FMA: bool, const L: usize>(
    x0: &[[f32; L]],
    x1: &[[f32; L]],
    group: &[[f32; GROUP]],
) -> [[[f32; L]; GROUP]; 2] {
    let mut acc = [[[0.0f32; L]; GROUP]; 2];
    for ((cv, a), b) in group.iter().zip(x0).zip(x1) {
        for j in 0..GROUP {
            for l in 0..L {
                acc[0][j][l] = madd::<FMA>(a[l], cv[j], acc[0][j][l]);
                acc[1][j][l] = madd::<FMA>(b[l], cv[j], acc[1][j][l]);
            }
        }
    }
    acc
}

/// What a kernel does with the dot products of a pair of row blocks (first row `r0`) and the
/// centres of group `g`: `acc[block][centre][row lane]`. A trait with an always-inlined method
/// rather than a closure: a closure is a function of its own, compiled for the baseline CPU
/// (SSE2) whenever the compiler declines to inline it into the `#[target_feature]` kernel,
/// which made the AVX-512 build spend most of its time in SSE2 code.
pub(super) trait DotsSink<const L: usize> {
    fn take(&mut self, r0: usize, g: usize, acc: &[[[f32; L]; GROUP]; 2]);
}

/// Calls `sink.take(first_row, group, products)` for every pair of row blocks (2 x `L` rows; a
/// lone last block is computed twice) and every group of centres.
#[inline(always)]
pub(super) fn for_each_dots<const FMA: bool, const L: usize>(
    x: PackedRows<'_>,
    c: &Centres,
    sink: &mut impl DotsSink<L>,
) {
    let d = x.d;
    for (pi, pair) in x.blocks::<L>().chunks(2 * d).enumerate() {
        let (x0, x1) = if pair.len() == 2 * d {
            pair.split_at(d)
        } else {
            (pair, pair)
        };
        for (g, group) in c.groups.chunks_exact(d).enumerate() {
            sink.take(pi * 2 * L, g, &dots::<FMA, L>(x0, x1, group));
        }
    }
}
