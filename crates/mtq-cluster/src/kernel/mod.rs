//! Every distance kernel of the crate and its run-time CPU dispatch, one concern per file; the
//! crate's only `unsafe` lives here (each file that needs it says so with a local
//! `#![allow(unsafe_code)]`):
//!
//! - [`dispatch`]: which vector instructions this CPU has (AVX-512F; AVX2 with FMA), detected
//!   once per call through `std`'s cached CPUID query, and the dispatch macro;
//! - [`gemm`]: the one bounds-checked wrapper of the `gemm` crate (`out = A · Bᵀ`);
//! - [`packed`], [`dots`], [`nearest`]: the K-means assignment kernels (rows packed in vector
//!   registers, dot products with groups of centres, nearest centre and squared distances),
//!   with [`nearest_x86`]'s intrinsics for the nearest-centre minimum, and for rows of
//!   [`packed::GEMM_MIN_FEATURES`] features or more [`nearest_gemm`]'s, through the GEMM;
//! - [`sums`]: the per-cluster sums of K-means' update step;
//! - [`tiles`]: the silhouette's exact distance tiles and square roots;
//! - [`smallest`], [`knn_scan`]: the kNN search's running `k` smallest and its tile scan.
//!
//! Every kernel computes the same bits whatever the build it runs (plain, AVX2 + FMA,
//! AVX-512F), except that the K-means dot products are fused multiply-adds on the vector
//! builds and separate multiply and add in plain code, and that the GEMM's kernels (wide
//! K-means rows, the silhouette's and kNN's tiles) are the `gemm` crate's choice for the CPU.
//! None depends on the number of threads.

mod dispatch;
mod dots;
mod gemm;
mod knn_scan;
mod nearest;
mod nearest_gemm;
#[cfg(target_arch = "x86_64")]
mod nearest_x86;
mod packed;
mod smallest;
mod sums;
#[cfg(test)]
mod tests;
mod tiles;

pub(crate) use gemm::{Mat, gemm_abt, matmul_f64};
pub(crate) use knn_scan::{QueryRow, Tile, scan_tile};
pub(crate) use nearest::{nearest, nearest_runs, sq_dists};
pub(crate) use packed::{Centres, Packed};
#[cfg(test)]
pub(crate) use smallest::INSERT_MAX_K;
pub(crate) use smallest::Smallest;
pub(crate) use sums::add_rows;
pub(crate) use tiles::{diff_tile, sqrt_clamp_flag};
