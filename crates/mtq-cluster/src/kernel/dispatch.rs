//! The one run-time CPU dispatch of the crate's kernels: which vector instructions this CPU
//! has ([`Level`]), each checked with `std`'s feature detection (which caches the CPUID query),
//! and the macro that calls the widest build of a K-means kernel the CPU and the packing allow.

/// The widest vector instructions of this CPU the kernels use, detected at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Plain code (what the compiler emits for the build target).
    Plain,
    /// AVX2 + FMA (both detected): 256-bit vectors, fused multiply-add.
    Avx2,
    /// AVX-512F: 512-bit vectors, fused multiply-add.
    Avx512,
}

impl Level {
    /// The level of this CPU.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if has_avx2_fma() {
                return Self::Avx2;
            }
        }
        Self::Plain
    }

    /// Rows per block of [`Packed`](super::Packed) data for this level: one vector register
    /// of f32.
    pub(crate) fn lanes(self) -> usize {
        match self {
            Self::Avx512 => 16,
            Self::Avx2 | Self::Plain => 8,
        }
    }
}

/// Whether this CPU has both AVX2 and FMA, each detected: what every `avx2,fma` build needs.
/// (An AVX-512F CPU is not assumed to have them: a virtual machine may hide either.)
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Runs the widest build of a K-means kernel this CPU and `$x`'s packing allow: `$a512`
/// (AVX-512F) with 16 lanes, else `$a2` (AVX2 + FMA, both detected here) with 8 or 16, else
/// `$plain`. The caller's module must allow `unsafe_code`.
macro_rules! dispatch {
    ($x:expr, avx512: $a512:expr, avx2: $a2:expr, plain: $plain:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            use $crate::kernel::dispatch::{Level, has_avx2_fma};
            if Level::detect() == Level::Avx512 && $x.lanes == 16 {
                // SAFETY: the CPU has AVX-512F (detected just above), the only requirement of
                // the `#[target_feature]` function.
                return unsafe { $a512 };
            }
            if has_avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA (both detected just above), the only
                // requirements of the `#[target_feature(enable = "avx2,fma")]` function.
                return unsafe { $a2 };
            }
        }
        $plain
    }};
}
pub(crate) use dispatch;
