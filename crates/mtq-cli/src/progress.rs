//! Progress lines on stderr, with the time since start, unless `--quiet`.

use std::time::Instant;

use mtq_report::sentences;
use mtq_signature::pipeline::Stage;

/// Where progress goes.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    quiet: bool,
}

impl Progress {
    /// Progress from now; silent if `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            start: Instant::now(),
            quiet,
        }
    }

    /// One line: `[  1.23 s] what`.
    pub fn say(&self, what: &str) {
        if !self.quiet {
            eprintln!("[{:6.2} s] {what}", self.start.elapsed().as_secs_f64());
        }
    }

    /// One line per stage of a study.
    pub fn stage(&self, s: &Stage) {
        if !self.quiet {
            self.say(&sentences::stage(s));
        }
    }
}
