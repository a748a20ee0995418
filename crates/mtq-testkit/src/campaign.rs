//! A fuzz campaign: many mutated inputs of one format, each run under a panic catcher and the
//! peak-memory counter, summarised at the end.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::peak::{LOCK, measure};

/// Counts the cases of one format, the panics, and the largest peak memory with the case that
/// caused it; [`Campaign::finish`] fails the test on any panic or budget overrun.
#[derive(Debug)]
pub struct Campaign {
    format: String,
    budget: fn(usize) -> usize,
    cases: usize,
    panics: Vec<String>,
    over_budget: Vec<String>,
    peak: usize,
    peak_case: String,
}

impl Campaign {
    /// A campaign over `format`; a case of `n` input bytes may hold at most `budget(n)` bytes
    /// of heap at its peak (with [`PeakAlloc`](crate::PeakAlloc) installed).
    #[must_use]
    pub fn new(format: &str, budget: fn(usize) -> usize) -> Self {
        Self {
            format: format.to_owned(),
            budget,
            cases: 0,
            panics: Vec::new(),
            over_budget: Vec::new(),
            peak: 0,
            peak_case: String::new(),
        }
    }

    /// Runs one case: `f` on an input of `len` bytes described by `what` (e.g. the seed and
    /// index that reproduce it). A panic is caught and recorded.
    pub fn case(&mut self, what: impl Fn() -> String, len: usize, f: impl FnOnce()) {
        let guard = LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (result, bytes) = measure(|| catch_unwind(AssertUnwindSafe(f)));
        drop(guard);
        self.cases += 1;
        if result.is_err() {
            self.panics.push(what());
        }
        if bytes > (self.budget)(len) {
            self.over_budget.push(format!(
                "{} ({len} input bytes, peak {bytes} bytes)",
                what()
            ));
        }
        if bytes > self.peak {
            self.peak = bytes;
            self.peak_case = format!("{} ({len} input bytes)", what());
        }
    }

    /// Cases run so far.
    #[must_use]
    pub fn cases(&self) -> usize {
        self.cases
    }

    /// Prints one summary line (cases, panics, largest peak and its input) to stderr and fails
    /// if a case panicked, went over budget, or fewer than `min_cases` ran.
    ///
    /// # Panics
    /// On any of those failures: that is the test failing.
    pub fn finish(self, min_cases: usize) {
        eprintln!(
            "fuzz {}: {} cases, {} panics, {} over budget, largest peak {} bytes from {}",
            self.format,
            self.cases,
            self.panics.len(),
            self.over_budget.len(),
            self.peak,
            self.peak_case
        );
        assert!(
            self.panics.is_empty(),
            "{}: panics in {:?}",
            self.format,
            &self.panics[..self.panics.len().min(10)]
        );
        assert!(
            self.over_budget.is_empty(),
            "{}: over the memory budget: {:?}",
            self.format,
            &self.over_budget[..self.over_budget.len().min(10)]
        );
        assert!(
            self.cases >= min_cases,
            "{}: {} cases",
            self.format,
            self.cases
        );
    }
}
