//! The one place that calls the `gemm` crate (an `unsafe fn` taking raw pointers): a safe,
//! bounds-checked wrapper for `out = A · Bᵀ` on row-major slices, plus small helpers.

#![allow(unsafe_code)]

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

/// `out[i * ld_out + j] (+)= Σ_p a[i, p] · b[j, p]` for `i < a.rows`, `j < b.rows`.
///
/// With `accumulate` the product is added to `out`, else `out` is overwritten. Single-threaded
/// (`Parallelism::None`): callers parallelise over fixed blocks, so the result never depends on
/// the number of threads.
///
/// # Panics
/// Panics (a bug in this crate, never caller input) if the shapes do not fit the slices.
pub(crate) fn gemm_abt(a: Mat<'_>, b: Mat<'_>, out: &mut [f32], ld_out: usize, accumulate: bool) {
    let (m, n, k) = (a.rows, b.rows, a.cols);
    assert_eq!(a.cols, b.cols, "inner dimensions differ");
    assert!(a.fits() && b.fits(), "operand out of bounds");
    assert!(
        m == 0 || n == 0 || (m - 1) * ld_out + n <= out.len(),
        "output out of bounds"
    );
    assert!(ld_out >= n || m <= 1, "output rows overlap");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                out[i * ld_out..i * ld_out + n].fill(0.0);
            }
        }
        return;
    }
    let to_isize = |v: usize| isize::try_from(v).expect("stride fits isize");
    // SAFETY: the asserts above keep every element gemm touches inside the three slices:
    // lhs (i, p) at i*a.ld + p, rhs (p, j) = b[j, p] at j*b.ld + p, dst (i, j) at i*ld_out + j,
    // for i < m, j < n, p < k. `out` is borrowed mutably, so dst aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            to_isize(ld_out),
            accumulate,
            a.data.as_ptr(),
            1,
            to_isize(a.ld),
            b.data.as_ptr(),
            to_isize(b.ld),
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
