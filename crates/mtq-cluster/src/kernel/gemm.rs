//! The one wrapper of the `gemm` crate: `dst (+)= lhs · rhs` on strided slices, bounds-checked
//! before the `unsafe` call, and `out = A · Bᵀ` on row-major views (the silhouette's distance
//! tiles, the kNN's and K-means' on wide rows); and `a · b` in `f64` on any ndarray views
//! ([`matmul_f64`], for the cross-products of CKA and covariances).

#![allow(unsafe_code)]

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Row-major matrix view on a slice: `rows x cols`, row `i` starting at `i * ld`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub ld: usize,
}

impl<'a> Mat<'a> {
    /// A dense row-major matrix (`ld = cols`).
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            ld: cols,
        }
    }

    /// Rows `start..start + len`.
    pub fn rows(self, start: usize, len: usize) -> Self {
        let from = (start * self.ld).min(self.data.len());
        Self {
            data: &self.data[from..],
            rows: len,
            cols: self.cols,
            ld: self.ld,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.ld + self.cols <= self.data.len()
    }
}

/// A strided matrix operand: element `(i, j)` at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

/// Largest index touched by a `rows x cols` matrix with strides `rs`, `cs` (None when empty).
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        return None;
    }
    Some((rows - 1) * rs + (cols - 1) * cs)
}

/// `dst (+)= lhs · rhs` with `lhs` `m x k`, `rhs` `k x n`, `dst` `m x n` at
/// `dst[i * dst_rs + j * dst_cs]`. With `accumulate` the product is added to `dst`, else
/// `dst` is overwritten. Single-threaded (`Parallelism::None`): callers parallelise over fixed
/// blocks, so the result never depends on the number of threads.
///
/// # Panics
/// Panics (a bug in this crate, never caller input) if the shapes do not fit the slices.
fn gemm_strided(
    (m, n, k): (usize, usize, usize),
    lhs: Strided<'_>,
    rhs: Strided<'_>,
    dst: &mut [f32],
    (dst_rs, dst_cs): (usize, usize),
    accumulate: bool,
) {
    let Some(last_dst) = last_index(m, n, dst_rs, dst_cs) else {
        return;
    };
    assert!(last_dst < dst.len(), "output out of bounds");
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * dst_rs + j * dst_cs] = 0.0;
                }
            }
        }
        return;
    }
    assert!(
        last_index(m, k, lhs.rs, lhs.cs).is_some_and(|v| v < lhs.data.len()),
        "lhs out of bounds"
    );
    assert!(
        last_index(k, n, rhs.rs, rhs.cs).is_some_and(|v| v < rhs.data.len()),
        "rhs out of bounds"
    );
    // distinct destination elements must not overlap
    assert!(
        (m <= 1 || dst_rs >= 1) && (n <= 1 || dst_cs >= 1),
        "degenerate output strides"
    );
    let to_isize = |v: usize| isize::try_from(v).expect("stride fits isize");
    // SAFETY: the asserts above keep every element gemm reads or writes inside the three
    // slices (index (i, j) of each operand is i * rs + j * cs <= the checked last index);
    // `dst` is borrowed mutably, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            to_isize(dst_cs),
            to_isize(dst_rs),
            accumulate,
            lhs.data.as_ptr(),
            to_isize(lhs.cs),
            to_isize(lhs.rs),
            rhs.data.as_ptr(),
            to_isize(rhs.cs),
            to_isize(rhs.rs),
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `out[i * ld_out + j] (+)= Σ_p a[i, p] · b[j, p]` for `i < a.rows`, `j < b.rows`.
///
/// # Panics
/// Panics (a bug in this crate) if the shapes do not fit the slices.
pub(crate) fn gemm_abt(a: Mat<'_>, b: Mat<'_>, out: &mut [f32], ld_out: usize, accumulate: bool) {
    assert_eq!(a.cols, b.cols, "inner dimensions differ");
    assert!(a.fits() && b.fits(), "operand out of bounds");
    gemm_strided(
        (a.rows, b.rows, a.cols),
        Strided {
            data: a.data,
            rs: a.ld,
            cs: 1,
        },
        Strided {
            data: b.data,
            rs: 1,
            cs: b.ld,
        },
        out,
        (ld_out, 1),
        accumulate,
    );
}

/// `out[j * c.rows + i] = Σ_p c[i, p] · x[j, p]`: the products of every row of `x` with every
/// row of `c`, each row of `x`'s contiguous. Computed as `C · Xᵀ`, which the GEMM runs without
/// repacking `x` (its row-major rows are the columns of a column-major right operand); only the
/// few rows of `c` are packed. For K-means on wide rows, where `x` is the large operand.
///
/// # Panics
/// Panics (a bug in this crate) if the shapes do not fit the slices.
pub(crate) fn gemm_xct(c: Mat<'_>, x: Mat<'_>, out: &mut [f32]) {
    assert_eq!(c.cols, x.cols, "inner dimensions differ");
    assert!(c.fits() && x.fits(), "operand out of bounds");
    gemm_strided(
        (c.rows, x.rows, c.cols),
        Strided {
            data: c.data,
            rs: c.ld,
            cs: 1,
        },
        Strided {
            data: x.data,
            rs: 1,
            cs: x.ld,
        },
        out,
        (1, c.rows),
        false,
    );
}

/// Rows of the product per parallel task of [`matmul_f64`].
const MATMUL_ROWS: usize = 64;

/// `a · b` in `f64` (`m x k` times `k x n`, any strides, e.g. a transposed view), through the
/// GEMM's widest kernel: blocks of [`MATMUL_ROWS`] rows of the product on the thread pool, each
/// one single-threaded call. Every entry is one call's reduction over `k` (its blocking depends
/// on `k` and the CPU's caches only), so the result does not depend on the number of threads.
///
/// # Panics
/// If the inner dimensions differ (a bug in the caller).
pub(crate) fn matmul_f64(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    assert_eq!(k, k2, "inner dimensions differ");
    let mut out = Array2::<f64>::zeros((m, n));
    if m == 0 || n == 0 || k == 0 {
        return out;
    }
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    let Some(flat) = out.as_slice_mut() else {
        unreachable!("a new array is contiguous")
    };
    flat.par_chunks_mut(MATMUL_ROWS * n)
        .enumerate()
        .for_each(|(t, block)| {
            let rows = block.len() / n;
            let a_block = a.slice(ndarray::s![t * MATMUL_ROWS..t * MATMUL_ROWS + rows, ..]);
            let dst = block.as_mut_ptr();
            let ld = isize::try_from(n).expect("width fits isize");
            // SAFETY: `a_block` and `b` are ndarray views: every element they index, at their
            // first element's pointer and their strides (negative ones included, which the
            // GEMM takes as such), is valid for reads; `block` is a contiguous `rows x n`
            // slice borrowed mutably (row stride `n`, column stride 1), so it aliases neither;
            // the shapes passed are the views' own, with `m, n, k > 0`.
            unsafe {
                gemm::gemm(
                    rows,
                    n,
                    k,
                    dst,
                    1,
                    ld,
                    false,
                    a_block.as_ptr(),
                    a_cs,
                    a_rs,
                    b.as_ptr(),
                    b_cs,
                    b_rs,
                    0.0f64,
                    1.0f64,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_f64_matches_ndarray_on_transposed_views_for_any_threads() {
        let a = Array2::from_shape_fn((150, 70), |(i, j)| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let b = Array2::from_shape_fn((150, 90), |(i, j)| ((i * 5 + j) as f64 * 0.11).cos());
        let want = a.t().dot(&b);
        let got = matmul_f64(a.t(), b.view());
        assert_eq!(got.dim(), (70, 90));
        for (g, w) in got.iter().zip(want.iter()) {
            assert!((g - w).abs() < 1e-10, "{g} vs {w}");
        }
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(one.install(|| matmul_f64(a.t(), b.view())), got);
        let abt = matmul_f64(a.view(), a.t());
        assert!((abt[[3, 5]] - a.row(3).dot(&a.row(5))).abs() < 1e-10);
        // a reversed view (negative strides) and an empty inner dimension
        let rev = a.slice(ndarray::s![..;-1, ..;-1]);
        let got = matmul_f64(rev.t(), rev);
        let want = rev.t().dot(&rev);
        assert!(
            got.iter()
                .zip(want.iter())
                .all(|(g, w)| (g - w).abs() < 1e-10)
        );
        let empty = Array2::<f64>::zeros((4, 0));
        assert_eq!(matmul_f64(empty.view(), empty.t()), Array2::zeros((4, 4)));
    }

    #[test]
    fn gemm_abt_matches_naive_and_accumulates() {
        let (m, n, k) = (7, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos()).collect();
        let mut out = vec![1.0f32; m * (n + 2)];
        gemm_abt(
            Mat::new(&a, m, k),
            Mat::new(&b, n, k),
            &mut out,
            n + 2,
            false,
        );
        for i in 0..m {
            for j in 0..n {
                let want: f32 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
                assert!((out[i * (n + 2) + j] - want).abs() < 1e-5);
            }
            // padding columns untouched
            assert_eq!(out[i * (n + 2) + n], 1.0);
        }
        let before = out.clone();
        gemm_abt(
            Mat::new(&a, m, k),
            Mat::new(&b, n, k),
            &mut out,
            n + 2,
            true,
        );
        for i in 0..m {
            for j in 0..n {
                let v = i * (n + 2) + j;
                assert!((out[v] - 2.0 * before[v]).abs() < 1e-5);
            }
        }
    }
}
